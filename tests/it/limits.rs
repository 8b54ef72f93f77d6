//! Every rate limit is a `frontdesk serve` flag with a `FRONTDESK_*` fallback: a raised limit
//! admits what the default refuses, a lowered one refuses what the default admits.

use frontdesk_server::db::Db;
use harness::*;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-under-test");

/// A database with one site and one agent; returns (dir, database, sysnum, account).
async fn fixture() -> (tempfile::TempDir, harness::TestDb, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = harness::TestDb::new(&dir.path().join("fd.db")).await;
    let db = Db::open(&path.url).await.unwrap();
    let site = frontdesk_server::admin::create_site(&db, "Limits")
        .await
        .unwrap();
    let account = format!("ann@{}", site.business_id);
    frontdesk_server::admin::create_agent(
        &db,
        frontdesk_server::admin::NewAgent {
            sysnum: &site.sysnum,
            account: &account,
            nick: "Ann",
            password: PASSWORD,
            groups: &[],
            max_chats: 5,
            role: shared::agent::Role::Agent,
        },
    )
    .await
    .unwrap();
    db.close().await;
    (dir, path, site.sysnum, account)
}

/// Sends `n` heartbeats on a logged-in agent connection as fast as possible; returns how many
/// were refused with the rate-limit code.
async fn refused_heartbeats(srv: &ProcessServer, account: &str, n: usize) -> usize {
    let token = login(&srv.http, account, PASSWORD).await;
    let (mut agent, _) = AgentClient::login(&srv.ws, &token).await;
    for _ in 0..n {
        agent.send_raw(&json!({"api_key": 0}).to_string()).await;
    }
    let mut refused = 0;
    for _ in 0..n {
        let r = agent.response(0).await;
        if r["code"] == -30003 {
            refused += 1;
        } else {
            assert_eq!(r["code"], 200, "heartbeat answer: {r}");
        }
    }
    refused
}

#[tokio::test]
async fn raised_agent_request_limit_admits_what_the_default_refuses() {
    let (_dir, path, _sysnum, account) = fixture().await;
    // The default allows 200 requests at once (then 50/s): 400 at once are partly refused.
    let srv = ProcessServer::spawn(BIN, &path.url, &[]).await;
    let refused = refused_heartbeats(&srv, &account, 400).await;
    assert!(
        refused > 0,
        "the default limit refused none of 400 requests"
    );
    srv.kill9().await;

    let srv = ProcessServer::spawn(BIN, &path.url, &["--agent-req-burst", "1000"]).await;
    assert_eq!(refused_heartbeats(&srv, &account, 400).await, 0);
    srv.kill9().await;

    // The same through the environment fallback.
    let srv = ProcessServer::spawn_with_env(
        BIN,
        &path.url,
        &[],
        &[("FRONTDESK_AGENT_REQ_BURST", "1000")],
    )
    .await;
    assert_eq!(refused_heartbeats(&srv, &account, 400).await, 0);
    srv.kill9().await;
}

/// Opens visitor sockets until one is refused; returns how many were accepted (max `n`).
async fn accepted_sockets(srv: &ProcessServer, n: usize) -> usize {
    let mut open = Vec::new();
    for _ in 0..n {
        match tokio_tungstenite::connect_async(format!("{}/ws/visitor", srv.ws)).await {
            Ok((ws, _)) => open.push(ws),
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                assert_eq!(r.status(), 429);
                break;
            }
            Err(e) => panic!("connect: {e}"),
        }
    }
    open.len()
}

#[tokio::test]
async fn connection_and_message_limits_follow_their_flags() {
    let (_dir, path, sysnum, _account) = fixture().await;
    // Default: 2000 new sockets per IP at once, so 300 are all accepted…
    let srv = ProcessServer::spawn(BIN, &path.url, &[]).await;
    assert_eq!(accepted_sockets(&srv, 300).await, 300);
    srv.kill9().await;
    // …and a lowered limit refuses the 6th.
    let srv = ProcessServer::spawn(
        BIN,
        &path.url,
        &["--connect-burst", "5", "--connect-rate", "0"],
    )
    .await;
    assert_eq!(accepted_sockets(&srv, 300).await, 5);
    srv.kill9().await;

    // Visitor messages: 20 at once by default; --visitor-burst 100 admits 60.
    for (flags, expect_refused) in [(&[][..], true), (&["--visitor-burst", "100"][..], false)] {
        let srv = ProcessServer::spawn(BIN, &path.url, flags).await;
        let mut v = VisitorClient::fresh(&srv.ws, &sysnum).await;
        for i in 0..60 {
            v.client.send_text(&format!("m{i}"), "hello").await;
        }
        let mut refused = 0;
        let mut acked = 0;
        while acked + refused < 60 {
            match v.client.recv().await {
                shared::visitor::ServerFrame::Ack { .. } => acked += 1,
                shared::visitor::ServerFrame::Error { code, .. } => {
                    assert_eq!(code, shared::visitor::ErrorCode::RateLimited);
                    refused += 1;
                }
                _ => {}
            }
        }
        assert_eq!(
            refused > 0,
            expect_refused,
            "flags {flags:?}: {refused} refused"
        );
        srv.kill9().await;
    }
}

//! The seed 001 agent protocol: login and its error codes, the chat list, pushed visitor
//! messages, sending, history, read marks, heartbeat, bad frames and the Origin check.

use std::time::Duration;

use harness::*;
use serde_json::json;
use shared::ids::Seq;
use shared::visitor::Author;

#[tokio::test]
async fn login_with_a_bad_token_gets_minus_31001() {
    let srv = TestServer::start().await;
    let mut c = AgentClient::connect(&srv.ws).await;
    for token in [json!(""), json!("nope"), json!("f".repeat(64)), json!(null)] {
        let r = c
            .request(json!({"api_key": 31000, "call_type": 3, "token": token}))
            .await;
        assert_eq!(r["code"], -31001, "{r}");
        assert_eq!(r["status"], "Fail");
        assert_eq!(r["data"], json!({}));
    }
    // Before a successful login, everything but a heartbeat asks to log in again.
    for key in [32000, 32100, 32300, 33000] {
        let r = c.request(json!({"api_key": key})).await;
        assert_eq!(r["code"], -9999, "{key}: {r}");
    }
    let r = c.request(json!({"call_type": 0})).await;
    assert_eq!(
        (r["api_key"].as_i64(), r["code"].as_i64()),
        (Some(0), Some(200)),
        "{r}"
    );
    srv.stop().await;
}

#[tokio::test]
async fn login_returns_the_seed_shape_with_ix_and_lists() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let a = srv.agent(&site.sysnum, "alice@test").await;
    let (_c, r) = srv.agent_client("alice@test").await;
    assert_eq!(r["api_key"], 31000);
    assert_eq!(r["status"], "Success");
    assert_eq!(r["message"], "");
    let d = &r["data"];
    let ix = d["ix"].as_str().expect("ix is a string");
    assert!(!ix.is_empty());
    assert_eq!(d["admin_list"][ix]["ix"], ix);
    assert_eq!(d["admin_list"][ix]["kf_id"], a.kf_id);
    assert_eq!(d["admin_list"][ix]["kf_account"], "alice@test");
    assert!(d["guest_list"].is_object());
    assert_eq!(d["is_refresh"], 0);
    assert_eq!(d["refresh_token"], "");
    srv.stop().await;
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_at_login() {
    let srv = TestServer::start_with(|c| c.agent_token_ttl = Duration::from_secs(3600)).await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "bob@test").await;
    // A token with less than half its lifetime left (made directly in the store).
    let agent = srv.db.agent_by_account("bob@test").await.unwrap().unwrap();
    let old = srv.db.create_agent_token(agent.id, 60).await.unwrap();
    let (mut c, r) = AgentClient::login(&srv.ws, &old).await;
    assert_eq!(r["data"]["is_refresh"], 1);
    let fresh = r["data"]["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(fresh.len(), 64);
    drop(c.ws.close(None).await);
    let (_c2, r2) = AgentClient::login(&srv.ws, &fresh).await;
    assert_eq!(r2["data"]["is_refresh"], 0);
    srv.stop().await;
}

#[tokio::test]
async fn visitor_and_agent_chat_both_ways() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let agent = srv.agent(&site.sysnum, "alice@test").await;
    let (mut alice, _) = srv.agent_client("alice@test").await;

    let mut v = VisitorClient::hello(
        &srv.ws,
        shared::visitor::Hello {
            uname: Some("<b>Zoe</b>".into()),
            ..hello(&site.sysnum, None, 0)
        },
    )
    .await
    .unwrap();
    v.client.send_text("v1", "I need help").await;
    assert_eq!(v.client.ack("v1").await, Seq(1));

    let push = alice.push(32399).await;
    assert_eq!(push["code"], 200);
    assert_eq!(push["status"], "Success");
    let gid = push["data"]["gid"].as_str().unwrap().to_owned();
    assert_eq!(gid, srv.gid(&site, &v.client.token).await);
    let info = &push["data"]["message_info"];
    assert_eq!(info["msg"], "I need help");
    assert_eq!(info["file_type"], 0);
    assert_eq!(info["direction"], "to_service");
    assert_eq!(info["gid"], gid);

    // The chat list shows the visitor (as text, exactly as given), served by alice, unread 1.
    let list = alice.request(json!({"api_key": 32000})).await;
    let g = &list["data"]["guest_list"][&gid];
    assert_eq!(g["gid"], gid);
    assert_eq!(g["uname"], "<b>Zoe</b>");
    assert_eq!(g["kf_id"], agent.kf_id);
    assert_eq!(g["unread"], 1);
    assert_eq!(g["state"], "online");
    assert_eq!(g["last_msg"]["msg"], "I need help");

    // Reply with the seed's 32300 shape (numbers as in the seed).
    let r = alice
        .request(json!({"api_key": 32300, "gid": gid.parse::<i64>().unwrap(), "msg": "Hi! How can I help?", "file_type": 0}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(r["data"]["gid"], gid);
    assert_eq!(r["data"]["message_info"]["direction"], "to_visiter");
    assert_eq!(r["data"]["message_info"]["seq"], 2);
    // The visitor's own message came back as its ack; the next message is the reply.
    let m = v.client.next_msg().await;
    assert_eq!(
        (m.seq, m.from, m.body.as_str()),
        (Seq(2), Author::Agent, "Hi! How can I help?")
    );
    assert_eq!(m.nick.as_deref(), Some("alice@test"));

    // History (32100), newest page first, oldest first within a page.
    let h = alice
        .request(
            json!({"api_key": 32100, "gid": gid, "group_id": 0, "page_index": 1, "page_size": 1}),
        )
        .await;
    assert_eq!(h["code"], 200, "{h}");
    assert_eq!(h["data"]["total"], 2);
    assert_eq!(h["data"]["list"][0]["msg"], "Hi! How can I help?");
    let h2 = alice.request(json!({"api_key": 32100, "gid": gid, "group_id": "0", "page_index": "2", "page_size": "1"})).await;
    assert_eq!(h2["data"]["list"][0]["msg"], "I need help");

    // Mark read (32200) clears the unread count.
    let rd = alice
        .request(json!({"api_key": 32200, "gid": gid, "group_id": 0}))
        .await;
    assert_eq!(rd["code"], 200);
    assert_eq!(rd["data"], json!({"group_id": "0", "gid": gid}));
    let list = alice.request(json!({"api_key": 32000})).await;
    assert_eq!(list["data"]["guest_list"][&gid]["unread"], 0);
    srv.stop().await;
}

#[tokio::test]
async fn missing_fields_get_the_seed_error_codes() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let (mut c, _) = srv.agent_client("alice@test").await;
    let cases = [
        (json!({"api_key": 32100, "group_id": 0}), -32101),
        (json!({"api_key": 32100, "gid": 0, "group_id": 0}), -32101),
        (json!({"api_key": 32100, "gid": 5}), -32102),
        (json!({"api_key": 32200, "group_id": 0}), -32201),
        (json!({"api_key": 32200, "gid": 5}), -32202),
        (
            json!({"api_key": 32300, "msg": "hi", "file_type": 0}),
            -32301,
        ),
        (json!({"api_key": 32300, "gid": 5, "file_type": 0}), -32302),
        (
            json!({"api_key": 32300, "gid": 5, "msg": "", "file_type": 0}),
            -32302,
        ),
        (
            json!({"api_key": 32300, "gid": 5, "msg": "hi", "file_type": 9}),
            -32305,
        ),
        (
            json!({"api_key": 32300, "gid": 999999, "msg": "hi"}),
            -32303,
        ),
        (json!({"api_key": 39999}), -30002),
    ];
    for (req, code) in cases {
        let r = c.request(req.clone()).await;
        assert_eq!(r["code"], code, "{req} → {r}");
        assert_eq!(r["status"], "Fail");
    }
    srv.stop().await;
}

#[tokio::test]
async fn malformed_agent_frames_get_an_error_and_the_connection_stays_usable() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let (mut c, _) = srv.agent_client("alice@test").await;
    for bad in ["not json", "[]", "{\"api_key\": {\"x\": 1}}", "{}"] {
        c.send_raw(bad).await;
        let r = c.response(0).await;
        assert_eq!(r["code"], -30001, "{bad} → {r}");
    }
    let r = c.request(json!({"api_key": 32000})).await;
    assert_eq!(r["code"], 200);
    srv.stop().await;
}

#[tokio::test]
async fn agents_of_other_sites_and_other_agents_cannot_touch_a_visitor() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let other = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    srv.agent(&site.sysnum, "bob@test").await;
    srv.agent(&other.sysnum, "eve@other").await;
    let (mut alice, _) = srv.agent_client("alice@test").await;
    let (_v, gid) = srv.visitor_to(&site.sysnum, &mut alice, "hello").await;

    let (mut eve, login) = srv.agent_client("eve@other").await;
    assert!(login["data"]["guest_list"].get(&gid).is_none());
    let r = eve
        .request(json!({"api_key": 32300, "gid": gid, "msg": "phish"}))
        .await;
    assert_eq!(r["code"], -32303);
    let r = eve
        .request(json!({"api_key": 32100, "gid": gid, "group_id": 0}))
        .await;
    assert_eq!(r["code"], -32303);

    let (mut bob, _) = srv.agent_client("bob@test").await;
    let r = bob
        .request(json!({"api_key": 32300, "gid": gid, "msg": "mine now"}))
        .await;
    assert_eq!(r["code"], -32304, "alice serves this visitor: {r}");
    srv.stop().await;
}

#[tokio::test]
async fn waiting_visitors_go_to_the_least_loaded_online_agent() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    srv.agent(&site.sysnum, "bob@test").await;
    let (mut alice, _) = srv.agent_client("alice@test").await;
    let (mut bob, _) = srv.agent_client("bob@test").await;
    let mut served = Vec::new();
    for i in 0..4 {
        let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
        v.client.send_text("m", &format!("visitor {i}")).await;
        v.client.ack("m").await;
        let to_alice = !alice
            .no_push_within(32399, Duration::from_millis(800))
            .await;
        let to_bob = !bob.no_push_within(32399, Duration::from_millis(800)).await;
        assert!(to_alice ^ to_bob, "exactly one agent is told");
        served.push(if to_alice { 'a' } else { 'b' });
    }
    served.sort();
    assert_eq!(served, vec!['a', 'a', 'b', 'b']);
    srv.stop().await;
}

#[tokio::test]
async fn suspend_and_online_list() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let (mut alice, login) = srv.agent_client("alice@test").await;
    let ix = login["data"]["ix"].as_str().unwrap().to_owned();
    let r = alice.request(json!({"api_key": 33000})).await;
    assert_eq!(r["data"][&ix]["status"], 1);
    let r = alice.request(json!({"api_key": 32500, "status": 1})).await;
    assert_eq!(r["code"], 200);
    let r = alice.request(json!({"api_key": 33000})).await;
    assert_eq!(r["data"][&ix]["status"], 2);
    // Suspended: a new visitor is not assigned to alice.
    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v.client.send_text("m", "anyone?").await;
    v.client.ack("m").await;
    let list = alice.push(32399).await; // told as a waiting visitor of the site…
    let gid = list["data"]["gid"].as_str().unwrap().to_owned();
    let l = alice.request(json!({"api_key": 32000})).await;
    assert_eq!(
        l["data"]["guest_list"][&gid]["kf_id"], "",
        "…but not assigned"
    );
    let r = alice.request(json!({"api_key": 32500, "status": 0})).await;
    assert_eq!(r["code"], 200);
    srv.stop().await;
}

#[tokio::test]
async fn browser_origins_are_checked_for_agent_sockets() {
    let srv = TestServer::start().await;
    let url = format!("{}/ws/agent", srv.ws);
    assert!(connect_with_origin(&url, "https://evil.example")
        .await
        .is_err());
    assert!(connect_with_origin(&url, &srv.http).await.is_ok());
    srv.stop().await;
}

#[tokio::test]
async fn transfer_hands_the_visitor_over_without_a_break() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let bob_kf = srv.agent(&site.sysnum, "bob@test").await;
    let (mut alice, alice_login) = srv.agent_client("alice@test").await;
    let alice_ix = alice_login["data"]["ix"].as_str().unwrap().to_owned();
    let mut v = VisitorClient::hello(
        &srv.ws,
        shared::visitor::Hello {
            uname: Some("Zoe".into()),
            ..hello(&site.sysnum, None, 0)
        },
    )
    .await
    .unwrap();
    v.client
        .send_text("v1", "can someone from billing help?")
        .await;
    v.client.ack("v1").await;
    let gid = alice.push(32399).await["data"]["gid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (mut bob, bob_login) = srv.agent_client("bob@test").await;
    let bob_ix = bob_login["data"]["ix"].as_str().unwrap().to_owned();

    let r = alice
        .request(json!({"api_key": 32400, "gid": gid, "aix": bob_ix}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(r["data"]["gid"], gid);
    assert_eq!(r["data"]["guest_info"]["uname"], "Zoe");
    assert_eq!(r["data"]["guest_info"]["kf_id"], bob_kf.kf_id);
    assert_eq!(r["data"]["data"]["direction"], "system");
    assert_eq!(
        (r["data"]["from_ix"].as_str(), r["data"]["to_ix"].as_str()),
        (Some(alice_ix.as_str()), Some(bob_ix.as_str()))
    );

    // Bob is told with the visitor's info and the recent messages; alice gets 32402.
    let incoming = bob.push(32401).await;
    assert_eq!(incoming["data"]["gid"], gid);
    assert_eq!(incoming["data"]["guest_info"]["uname"], "Zoe");
    let recs: Vec<&str> = incoming["data"]["recs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["msg"].as_str().unwrap())
        .collect();
    assert_eq!(recs.first(), Some(&"can someone from billing help?"));
    assert_eq!(recs.len(), 2, "the message and the transfer line: {recs:?}");
    let done = alice.push(32402).await;
    assert_eq!(done["data"]["gid"], gid);

    // The visitor sees one system line in the same conversation, then talks to bob.
    let line = v.client.next_msg().await;
    assert_eq!((line.seq, line.from), (Seq(2), Author::System));
    assert!(line.body.contains("bob@test"), "{}", line.body);
    let r = bob
        .request(json!({"api_key": 32300, "gid": gid, "msg": "Bob from billing here"}))
        .await;
    assert_eq!(r["code"], 200);
    let m = v.client.next_msg().await;
    assert_eq!((m.seq, m.body.as_str()), (Seq(3), "Bob from billing here"));
    // Further visitor messages go to bob, and alice can no longer write.
    v.client.send_text("v2", "thanks").await;
    v.client.ack("v2").await;
    assert_eq!(
        bob.push(32399).await["data"]["message_info"]["msg"],
        "thanks"
    );
    let r = alice
        .request(json!({"api_key": 32300, "gid": gid, "msg": "me again"}))
        .await;
    assert_eq!(r["code"], -32304);
    srv.stop().await;
}

#[tokio::test]
async fn transfer_errors() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let other = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    srv.agent(&site.sysnum, "bob@test").await;
    srv.agent(&other.sysnum, "eve@other").await;
    let (mut alice, login) = srv.agent_client("alice@test").await;
    let alice_ix = login["data"]["ix"].as_str().unwrap().to_owned();
    let (_eve, eve_login) = srv.agent_client("eve@other").await;
    let eve_ix = eve_login["data"]["ix"].as_str().unwrap().to_owned();
    let (_v, gid) = srv.visitor_to(&site.sysnum, &mut alice, "hi").await;
    for (req, code) in [
        (json!({"api_key": 32400, "aix": alice_ix}), -32403),
        (json!({"api_key": 32400, "gid": gid}), -32404),
        (json!({"api_key": 32400, "gid": gid, "aix": 0}), -32404),
        (
            json!({"api_key": 32400, "gid": gid, "aix": "999999"}),
            -32405,
        ),
        (json!({"api_key": 32400, "gid": gid, "aix": eve_ix}), -32405),
        (
            json!({"api_key": 32400, "gid": gid, "aix": alice_ix}),
            -32406,
        ),
    ] {
        let r = alice.request(req.clone()).await;
        assert_eq!(r["code"], code, "{req} → {r}");
    }
    // Bob cannot take alice's visitor by transferring it to himself via alice's ix… nor at all.
    let (mut bob, _) = srv.agent_client("bob@test").await;
    let r = bob
        .request(json!({"api_key": 32400, "gid": gid, "aix": alice_ix}))
        .await;
    assert_eq!(r["code"], -32304, "{r}");
    srv.stop().await;
}

/// Reads frames until the server closes; returns the last JSON frame seen.
async fn last_frame_before_close(c: &mut AgentClient) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    loop {
        match next_text(&mut c.ws).await {
            Next::Text(t) => last = serde_json::from_str(&t).unwrap(),
            Next::Closed => return last,
        }
    }
}

#[tokio::test]
async fn disabling_an_agent_refuses_login_and_closes_its_sockets() {
    let srv = TestServer::start_with(|c| c.ping_interval = Duration::from_millis(200)).await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let token = srv.token("alice@test").await;
    let (mut live, _) = AgentClient::login(&srv.ws, &token).await;
    frontdesk_server::admin::set_agent_disabled(&srv.db, "alice@test", true)
        .await
        .unwrap();
    let bye = last_frame_before_close(&mut live).await;
    assert_eq!(bye["code"], -9999, "told to log in again: {bye}");
    let mut again = AgentClient::connect(&srv.ws).await;
    let r = again
        .request(json!({"api_key": 31000, "call_type": 3, "token": token}))
        .await;
    assert_eq!(r["code"], -31003, "{r}");
    // Enabled again, the same token works.
    frontdesk_server::admin::set_agent_disabled(&srv.db, "alice@test", false)
        .await
        .unwrap();
    let r = again
        .request(json!({"api_key": 31000, "call_type": 3, "token": token}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    srv.stop().await;
}

/// `-31002` (admin_id does not exist): the token is valid but its agent row is gone. Agents
/// are never deleted by Frontdesk (their messages reference them), so this is an operator
/// deleting the row in the database by hand, with foreign keys off as a bulk edit would.
#[tokio::test]
async fn a_token_whose_agent_row_is_gone_gets_minus_31002() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "gone@test").await;
    let token = srv.token("gone@test").await;
    // Foreign keys off for this connection, as each backend spells it.
    let mut raw = <sqlx::AnyConnection as sqlx::Connection>::connect(&srv.tdb.url)
        .await
        .unwrap();
    let fk_off = if srv.tdb.is_sqlite() {
        "PRAGMA foreign_keys = OFF"
    } else {
        "SET session_replication_role = replica"
    };
    for sql in [fk_off, "DELETE FROM agents WHERE account = 'gone@test'"] {
        sqlx::query(sql).execute(&mut raw).await.unwrap();
    }
    let mut c = AgentClient::connect(&srv.ws).await;
    let r = c
        .request(json!({"api_key": 31000, "call_type": 3, "token": token}))
        .await;
    assert_eq!(r["code"], -31002, "{r}");
    assert_eq!(r["api_key"], 31000, "{r}");
    srv.stop().await;
}

#[tokio::test]
async fn disabling_all_of_an_agents_groups_refuses_login_with_minus_31004() {
    let srv = TestServer::start_with(|c| c.ping_interval = Duration::from_millis(200)).await;
    let site = srv.site().await;
    let g1 = frontdesk_server::admin::create_group(&srv.db, &site.sysnum, "Sales")
        .await
        .unwrap();
    let g2 = frontdesk_server::admin::create_group(&srv.db, &site.sysnum, "Billing")
        .await
        .unwrap();
    srv.agent_with(&site.sysnum, "alice@test", &[g1.id, g2.id], 5)
        .await;
    let token = srv.token("alice@test").await;
    let (mut live, _) = AgentClient::login(&srv.ws, &token).await;
    frontdesk_server::admin::set_group_disabled(&srv.db, &site.sysnum, g1.id, true)
        .await
        .unwrap();
    // One group left: still fine.
    let r = live.request(json!({"api_key": 32000})).await;
    assert_eq!(r["code"], 200);
    frontdesk_server::admin::set_group_disabled(&srv.db, &site.sysnum, g2.id, true)
        .await
        .unwrap();
    let bye = last_frame_before_close(&mut live).await;
    assert_eq!(bye["code"], -9999, "{bye}");
    let mut again = AgentClient::connect(&srv.ws).await;
    let r = again
        .request(json!({"api_key": 31000, "call_type": 3, "token": token}))
        .await;
    assert_eq!(r["code"], -31004, "{r}");
    srv.stop().await;
}

#[tokio::test]
async fn revoking_tokens_closes_sockets_and_the_token_stops_working() {
    let srv = TestServer::start_with(|c| c.ping_interval = Duration::from_millis(200)).await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let token = srv.token("alice@test").await;
    let (mut live, _) = AgentClient::login(&srv.ws, &token).await;
    assert_eq!(
        frontdesk_server::admin::revoke_agent(&srv.db, "alice@test")
            .await
            .unwrap(),
        1
    );
    let bye = last_frame_before_close(&mut live).await;
    assert_eq!(bye["code"], -9999, "{bye}");
    let mut again = AgentClient::connect(&srv.ws).await;
    let r = again
        .request(json!({"api_key": 31000, "call_type": 3, "token": token}))
        .await;
    assert_eq!(r["code"], -31001, "{r}");
    srv.stop().await;
}

#[tokio::test]
async fn typing_indicators_both_ways() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    srv.agent(&site.sysnum, "bob@test").await;
    let (mut alice, _) = srv.agent_client("alice@test").await;
    let (mut v, gid) = srv.visitor_to(&site.sysnum, &mut alice, "hello").await;

    // Visitor → agent: 32799.
    send_frame(
        &mut v.client.ws,
        &shared::visitor::ClientFrame::Typing { typing: true },
    )
    .await;
    let t = alice.push(32799).await;
    assert_eq!(t["data"], json!({"gid": gid, "status": 1}));
    send_frame(
        &mut v.client.ws,
        &shared::visitor::ClientFrame::Typing { typing: false },
    )
    .await;
    assert_eq!(alice.push(32799).await["data"]["status"], 0);

    // Agent → visitor: the visitor's tabs get `typing` frames.
    let r = alice
        .request(json!({"api_key": 32700, "gid": gid, "status": 1}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match v.client.recv().await {
            shared::visitor::ServerFrame::Typing { typing } => {
                seen.push(typing);
                if seen.len() == 1 {
                    alice
                        .request(json!({"api_key": 32700, "gid": gid, "status": 0}))
                        .await;
                }
            }
            _ => continue,
        }
    }
    assert_eq!(seen, vec![true, false]);

    // Only the serving agent, with a gid and a 0/1 status.
    let (mut bob, _) = srv.agent_client("bob@test").await;
    for (req, code) in [
        (json!({"api_key": 32700, "status": 1}), -32701),
        (json!({"api_key": 32700, "gid": gid, "status": 7}), -30001),
        (
            json!({"api_key": 32700, "gid": "999999", "status": 1}),
            -32303,
        ),
    ] {
        let r = alice.request(req.clone()).await;
        assert_eq!(r["code"], code, "{req} → {r}");
    }
    let r = bob
        .request(json!({"api_key": 32700, "gid": gid, "status": 1}))
        .await;
    assert_eq!(r["code"], -32304);
    // Nobody hears a waiting visitor typing.
    let mut w = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    send_frame(
        &mut w.client.ws,
        &shared::visitor::ClientFrame::Typing { typing: true },
    )
    .await;
    assert!(bob.no_push_within(32799, Duration::from_millis(300)).await);
    let _ = &mut w;
    srv.stop().await;
}

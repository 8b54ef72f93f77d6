//! `kill -9` of the server process while messages are in flight loses no acked message and
//! stores none twice when the client retries its unacked ones after the restart.

use std::collections::{BTreeMap, BTreeSet};

use frontdesk_server::db::Db;
use futures_util::{SinkExt, StreamExt};
use harness::*;
use shared::visitor::{ClientFrame, MsgKind, Send, ServerFrame};
use tokio_tungstenite::tungstenite::Message;

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-under-test");
const N: usize = 150;
/// The test floods on purpose; the per-visitor rate limit is tested elsewhere.
const UNLIMITED: &[&str] = &[
    "--visitor-burst",
    "100000",
    "--visitor-rate",
    "100000",
    "--client-msg-burst",
    "100000",
    "--client-msg-rate",
    "100000",
];

#[tokio::test]
async fn kill_9_mid_stream_loses_no_acked_message() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("fd.db");
    let site = {
        let db = Db::open(&format!("sqlite://{}", db_path.display()))
            .await
            .unwrap();
        let s = frontdesk_server::admin::create_site(&db, "Restart")
            .await
            .unwrap();
        db.close().await;
        s
    };

    let srv = ProcessServer::spawn(BIN, &db_path, UNLIMITED).await;
    let s = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let token = s.client.token.clone();
    let (mut tx, mut rx) = s.client.ws.split();
    // Pipeline every message without waiting, like an outbox flushing after a reconnect.
    let sender = tokio::spawn(async move {
        for i in 0..N {
            let f = ClientFrame::Send(Send {
                cmid: cmid(&format!("k{i}")),
                kind: MsgKind::Text,
                body: format!("msg {i}"),
            });
            if tx
                .send(Message::text(serde_json::to_string(&f).unwrap()))
                .await
                .is_err()
            {
                break;
            }
            tokio::task::yield_now().await;
        }
        tx
    });
    // Kill the server once a third of the messages are acknowledged.
    let mut acked: BTreeMap<String, u64> = BTreeMap::new();
    let mut srv = Some(srv);
    while let Ok(Some(Ok(frame))) = tokio::time::timeout(WAIT, rx.next()).await {
        let Message::Text(t) = frame else { continue };
        if let Ok(ServerFrame::Ack { cmid, seq, .. }) = serde_json::from_str(&t) {
            acked.insert(cmid.to_string(), seq.0);
            if acked.len() == N / 3 {
                if let Some(s) = srv.take() {
                    s.kill9().await;
                }
            }
        }
    }
    let _ = sender.await;
    assert!(
        acked.len() >= N / 3,
        "the kill happened after {} acks",
        acked.len()
    );
    assert!(
        acked.len() < N,
        "the kill must interrupt the stream (got all {N} acks)"
    );

    // Restart on the same file; the client resumes from 0 and sees every acked message once.
    let srv = ProcessServer::spawn(BIN, &db_path, UNLIMITED).await;
    let mut again = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 0))
        .await
        .unwrap();
    let stored: BTreeMap<String, u64> = again
        .replay
        .iter()
        .map(|m| (m.cmid.as_ref().unwrap().to_string(), m.seq.0))
        .collect();
    assert_eq!(stored.len(), again.replay.len(), "no cmid stored twice");
    for (c, seq) in &acked {
        assert_eq!(
            stored.get(c),
            Some(seq),
            "acked {c} (seq {seq}) must survive kill -9"
        );
    }
    let seqs: Vec<u64> = again.replay.iter().map(|m| m.seq.0).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "no gaps");

    // The client's outbox retries everything it has no ack for (and, harmlessly, the rest).
    for i in 0..N {
        again
            .client
            .send_text(&format!("k{i}"), &format!("msg {i}"))
            .await;
        again.client.ack(&format!("k{i}")).await;
    }
    drop(again);
    let last = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 0))
        .await
        .unwrap();
    let cmids: BTreeSet<String> = last
        .replay
        .iter()
        .map(|m| m.cmid.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(last.replay.len(), N, "every message exactly once");
    assert_eq!(cmids.len(), N);
    srv.kill9().await;
}

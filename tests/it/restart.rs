//! `kill -9` of the server process while messages are in flight loses no acked message and
//! stores none twice when the client retries its unacked ones after the restart.

use std::collections::{BTreeMap, BTreeSet};

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
    let tdb = harness::TestDb::new(&dir.path().join("fd.db")).await;
    let db_path = tdb.url.clone();
    let site = site_in_file(&db_path, "Restart").await;

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

/// Many visitors pipelining at once, so the writer's batches hold messages of several
/// conversations; `kill -9` lands while batches are being written. Every acked message of
/// every visitor survives with its seq, each conversation stays contiguous, and retrying
/// everything stores nothing twice.
#[tokio::test]
async fn kill_9_during_concurrent_batches_loses_no_acked_message() {
    const VISITORS: usize = 12;
    const EACH: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("fd.db")).await;
    let db_path = tdb.url.clone();
    let site = site_in_file(&db_path, "Batches").await;
    let srv = ProcessServer::spawn(BIN, &db_path, UNLIMITED).await;
    let mut tokens = Vec::new();
    let (ack_tx, mut ack_rx) = tokio::sync::mpsc::unbounded_channel::<(usize, String, u64)>();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(VISITORS));
    let mut tasks = Vec::new();
    for n in 0..VISITORS {
        let s = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
        tokens.push(s.client.token.clone());
        let (mut tx, mut rx) = s.client.ws.split();
        let (ack_tx, start) = (ack_tx.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let sender = tokio::spawn(async move {
                for i in 0..EACH {
                    let f = ClientFrame::Send(Send {
                        cmid: cmid(&format!("b{n}-{i}")),
                        kind: MsgKind::Text,
                        body: format!("msg {i} of {n}"),
                    });
                    if tx
                        .send(Message::text(serde_json::to_string(&f).unwrap()))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                tx
            });
            while let Ok(Some(Ok(frame))) = tokio::time::timeout(WAIT, rx.next()).await {
                let Message::Text(t) = frame else { continue };
                if let Ok(ServerFrame::Ack { cmid, seq, .. }) = serde_json::from_str(&t) {
                    let _ = ack_tx.send((n, cmid.to_string(), seq.0));
                }
            }
            let _ = sender.await;
        }));
    }
    drop(ack_tx);
    // Kill once a quarter of all messages are acked (the rest are in flight or queued).
    let mut acked: BTreeMap<(usize, String), u64> = BTreeMap::new();
    let mut srv = Some(srv);
    while let Some((n, c, seq)) = ack_rx.recv().await {
        acked.insert((n, c), seq);
        if acked.len() == VISITORS * EACH / 4 {
            if let Some(s) = srv.take() {
                s.kill9().await;
            }
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(acked.len() >= VISITORS * EACH / 4);
    assert!(
        acked.len() < VISITORS * EACH,
        "the kill must interrupt the stream"
    );

    let srv = ProcessServer::spawn(BIN, &db_path, UNLIMITED).await;
    for (n, token) in tokens.iter().enumerate() {
        let mut again = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(token), 0))
            .await
            .unwrap();
        let stored: BTreeMap<String, u64> = again
            .replay
            .iter()
            .map(|m| (m.cmid.as_ref().unwrap().to_string(), m.seq.0))
            .collect();
        assert_eq!(
            stored.len(),
            again.replay.len(),
            "visitor {n}: a cmid stored twice"
        );
        for ((v, c), seq) in acked.range((n, String::new())..(n + 1, String::new())) {
            assert_eq!(*v, n);
            assert_eq!(stored.get(c), Some(seq), "acked {c} (seq {seq}) lost");
        }
        let seqs: Vec<u64> = again.replay.iter().map(|m| m.seq.0).collect();
        assert_eq!(
            seqs,
            (1..=seqs.len() as u64).collect::<Vec<_>>(),
            "gap for {n}"
        );
        // Retry everything: nothing new for what was stored, the rest once.
        for i in 0..EACH {
            let c = format!("b{n}-{i}");
            again.client.send_text(&c, "retry").await;
            let seq = again.client.ack(&c).await;
            if let Some(s) = stored.get(&c) {
                assert_eq!(seq.0, *s, "{c}: retry must return the original seq");
            }
        }
        drop(again);
        let last = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(token), 0))
            .await
            .unwrap();
        assert_eq!(
            last.replay.len(),
            EACH,
            "visitor {n}: every message exactly once"
        );
    }
    srv.kill9().await;
}

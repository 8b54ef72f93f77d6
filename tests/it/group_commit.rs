//! Group commit (one writer per database, many messages per transaction) keeps every
//! delivery guarantee under concurrency: each acked message is stored once with a contiguous
//! `seq`, and a repeated `cmid` — even one sent twice at the same moment — stores nothing new
//! and returns the original `seq`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use harness::*;
use shared::ids::Seq;
use shared::visitor::{ClientFrame, MsgKind, Send, ServerFrame};
use tokio_tungstenite::tungstenite::Message;

const VISITORS: usize = 40;
/// Below the default per-visitor burst (20) together with the retries.
const PER_VISITOR: usize = 14;
const RETRIED: usize = 5;

/// Checks the stored conversation of `gid` against what the client was acked.
async fn check_stored(srv: &TestServer, gid: i64, acked: &BTreeMap<String, u64>) {
    let stored = srv.db.messages_after(gid, Seq(0), 10_000).await.unwrap();
    let seqs: Vec<i64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=stored.len() as i64).collect::<Vec<_>>(),
        "visitor {gid}: seq contiguous from 1"
    );
    let by_cmid: BTreeMap<String, u64> = stored
        .iter()
        .map(|m| (m.cmid.as_ref().unwrap().to_string(), m.seq as u64))
        .collect();
    assert_eq!(
        by_cmid.len(),
        stored.len(),
        "visitor {gid}: a cmid stored twice"
    );
    assert_eq!(&by_cmid, acked, "visitor {gid}: stored = acked");
}

#[tokio::test]
async fn concurrent_visitors_over_websockets_every_ack_stored_once_contiguous() {
    // Every visitor connects from 127.0.0.1: lift the per-address budgets (tested elsewhere)
    // so that only the writer is under test.
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let mut sessions = Vec::new();
    for _ in 0..VISITORS {
        sessions.push(VisitorClient::fresh(&srv.ws, &site.sysnum).await);
    }
    let start = Arc::new(tokio::sync::Barrier::new(VISITORS));
    let mut tasks = Vec::new();
    for (n, s) in sessions.into_iter().enumerate() {
        let start = start.clone();
        // The visitor's row (and id) comes with their first message.
        let token = s.client.token.clone();
        let (mut tx, mut rx) = s.client.ws.split();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            // Everything pipelined, then the first RETRIED again (an outbox retrying after a
            // lost ack): the same cmids must come back with their original seqs.
            let cmids: Vec<String> = (0..PER_VISITOR).map(|i| format!("v{n}-m{i}")).collect();
            let sends = cmids.iter().chain(cmids.iter().take(RETRIED));
            for c in sends {
                let f = ClientFrame::Send(Send {
                    cmid: cmid(c),
                    kind: MsgKind::Text,
                    body: format!("body of {c}"),
                });
                tx.send(Message::text(serde_json::to_string(&f).unwrap()))
                    .await
                    .unwrap();
            }
            let mut acks: Vec<(String, u64)> = Vec::new();
            while acks.len() < PER_VISITOR + RETRIED {
                let frame = tokio::time::timeout(WAIT, rx.next())
                    .await
                    .expect("ack in time")
                    .expect("open")
                    .unwrap();
                let Message::Text(t) = frame else { continue };
                match serde_json::from_str::<ServerFrame>(&t).unwrap() {
                    ServerFrame::Ack { cmid, seq, .. } => acks.push((cmid.to_string(), seq.0)),
                    ServerFrame::Error { code, message, .. } => {
                        panic!("visitor {n}: {code:?} {message}")
                    }
                    _ => {}
                }
            }
            (token, acks)
        }));
    }
    for t in tasks {
        let (token, acks) = t.await.unwrap();
        let gid: i64 = srv.gid(&site, &token).await.parse().unwrap();
        let mut acked: BTreeMap<String, u64> = BTreeMap::new();
        for (c, seq) in &acks {
            if let Some(first) = acked.insert(c.clone(), *seq) {
                assert_eq!(first, *seq, "retry of {c} acked with another seq");
            }
        }
        assert_eq!(acked.len(), PER_VISITOR);
        check_stored(&srv, gid, &acked).await;
    }
    srv.stop().await;
}

#[tokio::test]
async fn many_tasks_inserting_at_once_share_transactions_without_losing_or_doubling() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let mut gids = Vec::new();
    for _ in 0..20 {
        let (v, _) = srv.db.create_visitor(site.business_id).await.unwrap();
        gids.push(v.id);
    }
    // 20 visitors × 30 cmids, each cmid sent by two tasks at the same moment: 1200 tasks.
    let start = Arc::new(tokio::sync::Barrier::new(gids.len() * 30 * 2));
    let mut tasks = Vec::new();
    for &gid in &gids {
        for i in 0..30 {
            for _copy in 0..2 {
                let (db, start) = (srv.db.clone(), start.clone());
                tasks.push(tokio::spawn(async move {
                    start.wait().await;
                    let c = cmid(&format!("g{gid}-{i}"));
                    let st = db
                        .insert_visitor_message(gid, &c, MsgKind::Text, "x")
                        .await
                        .unwrap();
                    (gid, c.to_string(), st.message.seq as u64, st.duplicate)
                }));
            }
        }
    }
    let mut acked: BTreeMap<i64, BTreeMap<String, u64>> = BTreeMap::new();
    let mut duplicates = 0;
    for t in tasks {
        let (gid, c, seq, dup) = t.await.unwrap();
        duplicates += dup as usize;
        if let Some(first) = acked.entry(gid).or_default().insert(c.clone(), seq) {
            assert_eq!(first, seq, "{c}: both copies must get one seq");
        }
    }
    assert_eq!(
        duplicates,
        gids.len() * 30,
        "exactly one copy of each cmid stored"
    );
    let mut all = BTreeSet::new();
    for gid in &gids {
        check_stored(&srv, *gid, &acked[gid]).await;
        all.insert(*gid);
    }
    assert_eq!(all.len(), gids.len());
    srv.stop().await;
}

#[tokio::test]
async fn messages_and_other_writes_interleaved_in_batches_all_commit_in_order() {
    // Batches that mix messages with other jobs: on SQLite each run of messages and each run
    // of other jobs is a transaction of its own (two connections), on PostgreSQL the batch is
    // one. Either way every job sees the writes of the jobs before it: a visitor created by a
    // job takes a message in the next one, the read mark and a second message after it.
    let srv = TestServer::start().await;
    let site = srv.site().await;
    const TASKS: usize = 30;
    const ROUNDS: usize = 8;
    let start = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (db, start) = (srv.db.clone(), start.clone());
        let business = site.business_id;
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let mut gids = Vec::new();
            for r in 0..ROUNDS {
                let (v, _) = db.create_visitor(business).await.unwrap();
                let first = cmid(&format!("t{t}-r{r}-a"));
                let st = db
                    .insert_visitor_message(v.id, &first, MsgKind::Text, "a")
                    .await
                    .unwrap();
                assert_eq!((st.message.seq, st.duplicate), (1, false));
                db.mark_read(v.id, st.message.seq).await.unwrap();
                let again = db
                    .insert_visitor_message(v.id, &first, MsgKind::Text, "a")
                    .await
                    .unwrap();
                assert_eq!((again.message.seq, again.duplicate), (1, true));
                let second = db
                    .insert_visitor_message(
                        v.id,
                        &cmid(&format!("t{t}-r{r}-b")),
                        MsgKind::Text,
                        "b",
                    )
                    .await
                    .unwrap();
                assert_eq!(second.message.seq, 2);
                gids.push(v.id);
            }
            gids
        }));
    }
    let mut seen = BTreeSet::new();
    for t in tasks {
        for gid in t.await.unwrap() {
            assert!(seen.insert(gid), "visitor {gid} created twice");
            let v = srv
                .db
                .visitor_by_id(gid)
                .await
                .unwrap()
                .expect("visitor stored");
            assert_eq!((v.last_seq, v.agent_read_seq), (2, 1), "visitor {gid}");
            let bodies: Vec<String> = srv
                .db
                .messages_after(gid, Seq(0), 10)
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.body)
                .collect();
            assert_eq!(bodies, ["a", "b"], "visitor {gid}");
        }
    }
    assert_eq!(seen.len(), TASKS * ROUNDS);
    srv.stop().await;
}

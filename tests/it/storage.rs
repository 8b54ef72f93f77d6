//! Storage conformance: what must hold with several writers on one database, run on SQLite
//! by default and on PostgreSQL with `FRONTDESK_TEST_DATABASE_URL`. "Two nodes" are two
//! `Db` handles on the same database (each with its own writer and pool; on SQLite two
//! writers on one file, as two server processes would be), and for push leasing two whole
//! servers in this process, each with its push worker.
//!
//! - `seq` stays contiguous and a `cmid` is stored once when both nodes store into the same
//!   conversations at the same moment (the same `cmid` through both at once, too);
//! - assignment from both nodes never gives an agent more than its `max_chats`;
//! - the queue is served oldest first, and re-queueing keeps a visitor's place;
//! - each push is leased by one node and POSTed once;
//! - presence is one row per visitor token, and an invitation is taken by one poll only;
//! - rows read as the schema stores them, and a stored value it does not allow is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use frontdesk_server::admin::{self, SiteSettings};
use frontdesk_server::db::{Claim, Db, DbError, PresenceRenewal, SiteReception};
use harness::*;
use shared::ids::Seq;
use shared::visitor::MsgKind;

use crate::push::Receiver;

/// A second handle on `srv`'s database: another node.
async fn node_b(srv: &TestServer) -> Db {
    Db::open(&srv.tdb.url).await.expect("open second handle")
}

#[tokio::test]
async fn two_nodes_keep_seq_contiguous_and_store_each_cmid_once() {
    const VISITORS: usize = 6;
    const EACH: usize = 40;
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let b = node_b(&srv).await;
    let mut gids = Vec::new();
    for _ in 0..VISITORS {
        gids.push(srv.db.create_visitor(site.business_id).await.unwrap().0.id);
    }
    // Every message is sent through both nodes at once (a client retrying on the other node
    // while its first try is still in flight), all conversations concurrently.
    let mut tasks = tokio::task::JoinSet::new();
    for &gid in &gids {
        for (node, db) in [(0, srv.db.clone()), (1, b.clone())] {
            tasks.spawn(async move {
                let mut acked = Vec::new();
                for i in 0..EACH {
                    let id = cmid(&format!("m{i}"));
                    let st = db
                        .insert_visitor_message(gid, &id, MsgKind::Text, &format!("{i} via {node}"))
                        .await
                        .expect("stored");
                    acked.push((gid, i, st.message.seq));
                }
                acked
            });
        }
    }
    let mut acks: BTreeMap<(i64, usize), BTreeSet<i64>> = BTreeMap::new();
    while let Some(r) = tasks.join_next().await {
        for (gid, i, seq) in r.unwrap() {
            acks.entry((gid, i)).or_default().insert(seq);
        }
    }
    for &gid in &gids {
        for db in [&srv.db, &b] {
            let stored = db.messages_after(gid, Seq(0), 10_000).await.unwrap();
            assert_eq!(stored.len(), EACH, "visitor {gid}: each cmid stored once");
            let seqs: Vec<i64> = stored.iter().map(|m| m.seq).collect();
            assert_eq!(seqs, (1..=EACH as i64).collect::<Vec<_>>(), "contiguous");
            for m in &stored {
                let i: usize = m.cmid.as_ref().unwrap().as_str()[1..].parse().unwrap();
                assert_eq!(
                    acks[&(gid, i)],
                    BTreeSet::from([m.seq]),
                    "both nodes acked cmid m{i} with the stored seq"
                );
            }
            let v = db.visitor_by_id(gid).await.unwrap().unwrap();
            assert_eq!(v.last_seq, EACH as i64);
        }
    }
    b.close().await;
    srv.stop().await;
}

/// Texts reach the database exactly, whatever they hold, when several messages share a run
/// (on PostgreSQL each column of a run is bound as one array literal): stored bodies and the
/// agent's nick read back unchanged, and resent `cmid`s answer with the original bodies.
#[tokio::test]
async fn message_texts_are_stored_exactly_in_a_batch() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let nick = r#"Ann "the \ one" {x,y} NULL"#;
    let agent = admin::create_agent(
        &srv.db,
        admin::NewAgent {
            sysnum: &site.sysnum,
            account: "odd@test",
            nick,
            password: PASSWORD,
            groups: &[],
            max_chats: 5,
            role: shared::agent::Role::Agent,
        },
    )
    .await
    .expect("agent");
    let agent_id: i64 = agent.kf_id.parse().unwrap();
    const BODIES: [&str; 18] = [
        "\"",
        "\\",
        "\\\"",
        "{a,b}",
        "NULL",
        "null",
        " spaced ",
        "''",
        "line\nbreak\ttab",
        "中文 😀",
        "}",
        "{",
        ",",
        "\\N",
        "a\"b\\c",
        "{\"x\": [1, 2]}",
        "$1",
        "E'\\x41'",
    ];
    let gid = srv.db.create_visitor(site.business_id).await.unwrap().0.id;
    let store = |resend: bool| {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, body) in BODIES.iter().enumerate() {
            let db = srv.db.clone();
            tasks.spawn(async move {
                let text = if resend { "resent" } else { body };
                let v = db
                    .insert_visitor_message(gid, &cmid(&format!("t{i}")), MsgKind::Text, text)
                    .await
                    .expect("stored");
                let a = if resend {
                    None
                } else {
                    Some(
                        db.insert_agent_message(gid, agent_id, MsgKind::Text, body)
                            .await
                            .expect("stored"),
                    )
                };
                (i, v, a)
            });
        }
        tasks
    };
    let mut tasks = store(false);
    let mut stored = 0;
    while let Some(r) = tasks.join_next().await {
        let (i, v, a) = r.unwrap();
        assert!(!v.duplicate);
        assert_eq!(v.message.body, BODIES[i]);
        let a = a.unwrap();
        assert_eq!(a.body, BODIES[i]);
        assert_eq!(a.agent_nick.as_deref(), Some(nick));
        stored += 2;
    }
    let all = srv.db.messages_after(gid, Seq(0), 1000).await.unwrap();
    assert_eq!(all.len(), stored);
    for m in &all {
        assert!(
            BODIES.contains(&m.body.as_str()),
            "{:?} was not sent",
            m.body
        );
        if m.agent_id.is_some() {
            assert_eq!(m.agent_nick.as_deref(), Some(nick));
        }
    }
    for (i, body) in BODIES.iter().enumerate() {
        let id = format!("t{i}");
        let m = all
            .iter()
            .find(|m| m.cmid.as_ref().map(|c| c.as_str()) == Some(&id));
        assert_eq!(m.map(|m| m.body.as_str()), Some(*body), "cmid {id}");
    }
    // The same cmids again, together: each answers with what was stored first.
    let mut tasks = store(true);
    while let Some(r) = tasks.join_next().await {
        let (i, v, _) = r.unwrap();
        assert!(v.duplicate);
        assert_eq!(v.message.body, BODIES[i]);
    }
    assert_eq!(
        srv.db
            .messages_after(gid, Seq(0), 1000)
            .await
            .unwrap()
            .len(),
        stored
    );
    srv.stop().await;
}

#[tokio::test]
async fn assignment_from_two_nodes_never_exceeds_max_chats() {
    const MAX: i64 = 3;
    const WAITING: usize = 24;
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let agent: i64 = srv
        .agent_with(&site.sysnum, "full@test", &[], MAX)
        .await
        .kf_id
        .parse()
        .unwrap();
    let b = node_b(&srv).await;
    let mut gids = Vec::new();
    for i in 0..WAITING {
        let (v, _) = srv.db.create_visitor(site.business_id).await.unwrap();
        srv.db.enqueue(v.id, 1_000 + i as i64).await.unwrap();
        gids.push(v.id);
    }
    // Both nodes try to give every waiting visitor to the same agent at once.
    let mut tasks = tokio::task::JoinSet::new();
    for &gid in &gids {
        for db in [srv.db.clone(), b.clone()] {
            let agent_id = agent;
            tasks.spawn(async move { db.assign_visitor(gid, agent_id).await.unwrap() });
        }
    }
    let mut claimed = 0;
    while let Some(r) = tasks.join_next().await {
        if r.unwrap() == Claim::Claimed {
            claimed += 1;
        }
    }
    let served = srv.db.visitors_of_agent(agent).await.unwrap();
    assert_eq!(served.len() as i64, MAX, "served exactly max_chats");
    assert_eq!(claimed, MAX, "one successful claim per served visitor");
    assert_eq!(
        srv.db.queue(site.business_id).await.unwrap().len(),
        WAITING - MAX as usize,
        "the others still wait"
    );
    // A full agent stays full through either node; freeing a place admits one more.
    assert_eq!(
        b.assign_visitor(gids[WAITING - 1], agent).await.unwrap(),
        Claim::Full
    );
    srv.db.release_visitor(served[0].id, None).await.unwrap();
    let next = srv.db.queue(site.business_id).await.unwrap()[0].id;
    assert_eq!(b.assign_visitor(next, agent).await.unwrap(), Claim::Claimed);
    assert_eq!(
        srv.db.assign_visitor(next, agent).await.unwrap(),
        Claim::Full
    );
    b.close().await;
    srv.stop().await;
}

#[tokio::test]
async fn queue_is_oldest_first_across_nodes_and_requeue_keeps_the_place() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let b = node_b(&srv).await;
    let mut v = Vec::new();
    for _ in 0..5 {
        v.push(srv.db.create_visitor(site.business_id).await.unwrap().0.id);
    }
    // Enqueued through alternating nodes, not in order of waiting time; two at the same ms.
    let since = [
        (v[3], 100),
        (v[0], 300),
        (v[4], 200),
        (v[1], 200),
        (v[2], 50),
    ];
    for (i, (gid, at)) in since.iter().enumerate() {
        let db = if i % 2 == 0 { &srv.db } else { &b };
        db.enqueue(*gid, *at).await.unwrap().expect("waiting");
    }
    let order =
        |q: Vec<frontdesk_server::db::Visitor>| q.into_iter().map(|w| w.id).collect::<Vec<_>>();
    // Oldest first; the same time: lower gid first.
    let want = vec![v[2], v[3], v[1], v[4], v[0]];
    assert_eq!(order(srv.db.queue(site.business_id).await.unwrap()), want);
    assert_eq!(order(b.queue(site.business_id).await.unwrap()), want);
    // Enqueued again later (another message while waiting): same place.
    b.enqueue(v[2], 10_000).await.unwrap();
    assert_eq!(order(srv.db.queue(site.business_id).await.unwrap()), want);
    b.close().await;
    srv.stop().await;
}

#[tokio::test]
async fn a_push_row_is_leased_by_one_node_at_a_time() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let b = node_b(&srv).await;
    let (v, _) = srv.db.create_visitor(site.business_id).await.unwrap();
    const N: usize = 60;
    for i in 0..N {
        let m = srv
            .db
            .insert_visitor_message(v.id, &cmid(&format!("p{i}")), MsgKind::Text, "x")
            .await
            .unwrap()
            .message;
        srv.db
            .enqueue_push(
                frontdesk_server::db::PushOf::Message(m.id),
                site.business_id,
                "http://127.0.0.1:9/",
                "{}",
            )
            .await
            .unwrap();
    }
    // Both nodes lease in small bites at once until nothing is left to lease.
    let now = frontdesk_server::db::now_ms();
    let mut tasks = tokio::task::JoinSet::new();
    for (name, db) in [("a", srv.db.clone()), ("b", b.clone())] {
        tasks.spawn(async move {
            let mut got = Vec::new();
            loop {
                let l = db.lease_pushes(name, now, 60_000, 7).await.unwrap();
                if l.is_empty() {
                    return got;
                }
                got.extend(l.into_iter().map(|d| d.id));
            }
        });
    }
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r.unwrap());
    }
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), N, "each row leased once: {all:?}");
    assert_eq!(distinct.len(), N);
    // A lease that ran out is taken over; a released one at once.
    let later = now + 60_001;
    let again = b.lease_pushes("b", later, 60_000, 1000).await.unwrap();
    assert_eq!(again.len(), N, "expired leases are due again");
    let ids: Vec<i64> = again.iter().map(|d| d.id).take(5).collect();
    b.release_push_leases("b", &ids).await.unwrap();
    let released = srv.db.lease_pushes("a", later, 60_000, 1000).await.unwrap();
    assert_eq!(released.iter().map(|d| d.id).collect::<Vec<_>>(), ids);
    b.close().await;
    srv.stop().await;
}

#[tokio::test]
async fn two_servers_post_each_push_once() {
    const N: usize = 40;
    let rx = Receiver::start(0).await;
    let a = TestServer::start().await;
    let b = a.another_node().await;
    let site = a.site().await;
    admin::set_site(
        &a.db,
        &site.sysnum,
        SiteSettings {
            push_url: Some(format!("{}/hook", rx.base)),
            push_allow_private: Some(true),
            ..SiteSettings::default()
        },
    )
    .await
    .unwrap();
    let (v, _) = a.db.create_visitor(site.business_id).await.unwrap();
    // Messages stored and queued through both nodes; both workers deliver.
    for i in 0..N {
        let node = if i % 2 == 0 { &a } else { &b };
        let m = node
            .db
            .insert_visitor_message(v.id, &cmid(&format!("h{i}")), MsgKind::Text, "hi")
            .await
            .unwrap()
            .message;
        frontdesk_server::push::enqueue(&node.state, site.business_id, &m, None).await;
    }
    rx.wait_for(N).await;
    // Give a duplicate the time to show up.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let got = rx.received();
    let deliveries: BTreeSet<String> = got
        .iter()
        .map(|r| {
            r.headers["x-frontdesk-delivery"]
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(deliveries.len(), N, "every push arrived");
    assert_eq!(got.len(), N, "no push was POSTed twice");
    let log =
        a.db.push_deliveries_of_site(site.business_id)
            .await
            .unwrap();
    assert_eq!(log.len(), N);
    assert!(log
        .iter()
        .all(|d| d.state == "delivered" && d.attempts == 1));
    b.stop().await;
    a.stop().await;
}

/// PostgreSQL only (a SQLite file has no server to lose): when the database server drops
/// every connection (a restart, a failover), the writer connects again — the batch that
/// was cut off fails and stores nothing, later writes succeed — and reads go on.
#[tokio::test]
async fn writer_reconnects_after_the_database_dropped_its_connections() {
    let srv = TestServer::start().await;
    if srv.tdb.is_sqlite() {
        return;
    }
    let site = srv.site().await;
    let (v, _) = srv.db.create_visitor(site.business_id).await.unwrap();
    srv.db
        .insert_visitor_message(v.id, &cmid("before"), MsgKind::Text, "1")
        .await
        .unwrap();
    {
        use sqlx::Connection;
        let mut c = sqlx::AnyConnection::connect(&srv.tdb.url).await.unwrap();
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
    }
    // Retried like a client retries by cmid, until it is acked.
    let deadline = tokio::time::Instant::now() + WAIT;
    let st = loop {
        match srv
            .db
            .insert_visitor_message(v.id, &cmid("after"), MsgKind::Text, "2")
            .await
        {
            Ok(st) => break st,
            Err(e) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "never recovered: {e}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(st.message.seq, 2);
    let stored = srv.db.messages_after(v.id, Seq(0), 10).await.unwrap();
    assert_eq!(stored.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 2]);
    srv.stop().await;
}

/// Two nodes writing the same conversations with other writes mixed in, each node touching
/// the rows in the opposite order (each batch holds row locks of several visitors until it
/// commits): no write is refused — on PostgreSQL a batch locks all its visitor rows up front
/// in id order, so two batches never deadlock (before that, PostgreSQL broke dozens of
/// deadlocks here, each after a second, by failing a write) — and every conversation ends up
/// contiguous with each `cmid` once.
#[tokio::test]
async fn mixed_writes_from_two_nodes_keep_every_guarantee_with_retries() {
    const VISITORS: usize = 8;
    const EACH: usize = 30;
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let b = node_b(&srv).await;
    let mut gids = Vec::new();
    for _ in 0..VISITORS {
        gids.push(srv.db.create_visitor(site.business_id).await.unwrap().0.id);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (k, &gid) in gids.iter().enumerate() {
        for (node, db) in [(0usize, srv.db.clone()), (1, b.clone())] {
            // Lock other conversations' rows in the same batches, in the opposite order
            // on the two nodes.
            let other = if node == 0 {
                gids[(k + 1) % VISITORS]
            } else {
                gids[(k + VISITORS - 1) % VISITORS]
            };
            tasks.spawn(async move {
                let mut refused = 0;
                for i in 0..EACH {
                    let _ = db.mark_read(other, i as i64).await;
                    let id = cmid(&format!("x{i}"));
                    loop {
                        match db
                            .insert_visitor_message(gid, &id, MsgKind::Text, "m")
                            .await
                        {
                            Ok(_) => break,
                            Err(_) => refused += 1,
                        }
                    }
                }
                refused
            });
        }
    }
    let mut refused = 0;
    while let Some(r) = tasks.join_next().await {
        refused += r.unwrap();
    }
    assert_eq!(
        refused, 0,
        "writes refused (deadlocks between the nodes' batches)"
    );
    for &gid in &gids {
        let stored = srv.db.messages_after(gid, Seq(0), 10_000).await.unwrap();
        let seqs: Vec<i64> = stored.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, (1..=EACH as i64).collect::<Vec<_>>(), "visitor {gid}");
    }
    b.close().await;
    srv.stop().await;
}

fn renewal(site_id: i64, vid: &str, url: &str, now: i64) -> PresenceRenewal {
    PresenceRenewal {
        site_id,
        token_hash: "f".repeat(64),
        visitor_id: None,
        url: url.into(),
        title: "T".into(),
        fresh_vid: vid.into(),
        now,
        stale_before: now - 45_000,
    }
}

#[tokio::test]
async fn presence_is_one_row_per_token_and_an_invitation_is_taken_once_across_nodes() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let s = site.business_id;
    let b = node_b(&srv).await;
    let now = frontdesk_server::db::now_ms();
    // Both nodes renew the same visitor at once: one row, the first vid kept.
    let (ia, ib) = tokio::join!(
        srv.db.renew_presence(renewal(s, "va", "https://a/1", now)),
        b.renew_presence(renewal(s, "vb", "https://a/1", now + 1)),
    );
    assert_eq!(ia.unwrap(), ib.unwrap());
    let listed = b.present_on_site(s, now - 45_000, 100).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let vid = listed[0].vid.clone();
    let id = listed[0].id;
    // A new page restarts `since` but keeps the vid.
    srv.db
        .renew_presence(renewal(s, "vc", "https://a/2", now + 2_000))
        .await
        .unwrap();
    let p = b.present_on_site(s, now, 100).await.unwrap().remove(0);
    assert_eq!(
        (p.vid.as_str(), p.since, p.url.as_str()),
        (vid.as_str(), now + 2_000, "https://a/2")
    );
    // An invitation (from node B) is taken by exactly one of two concurrent polls.
    let got = b
        .invite_present(s, vid.clone(), "hello".into(), now - 45_000)
        .await
        .unwrap();
    assert_eq!(got, Some(id));
    assert_eq!(
        srv.db
            .invite_present(s, "nobody".into(), "x".into(), 0)
            .await
            .unwrap(),
        None
    );
    let (ta, tb) = tokio::join!(
        srv.db.take_presence_invite(id, "hello".into()),
        b.take_presence_invite(id, "hello".into()),
    );
    assert!(ta.unwrap() ^ tb.unwrap(), "taken exactly once");
    assert_eq!(srv.db.presence_invite(id).await.unwrap(), None);
    // Not renewed for the stale time: not listed, not invitable, and a later poll starts
    // over (new vid, no old invitation).
    b.invite_present(s, vid.clone(), "late".into(), 0)
        .await
        .unwrap();
    let later = now + 2_000 + 45_001;
    assert!(b
        .present_on_site(s, later - 45_000, 100)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        b.invite_present(s, vid.clone(), "x".into(), later - 45_000)
            .await
            .unwrap(),
        None
    );
    srv.db
        .renew_presence(renewal(s, "vnew", "https://a/2", later))
        .await
        .unwrap();
    let p = srv
        .db
        .present_on_site(s, later - 45_000, 100)
        .await
        .unwrap()
        .remove(0);
    assert_eq!((p.vid.as_str(), p.since, p.invite), ("vnew", later, None));
    // The sweep deletes rows renewed before its cutoff, and only those.
    assert_eq!(b.sweep_presence(later).await.unwrap(), 0);
    assert_eq!(b.sweep_presence(later + 1).await.unwrap(), 1);
    assert!(srv.db.present_on_site(s, 0, 100).await.unwrap().is_empty());
    b.close().await;
    srv.stop().await;
}

/// Migration 0013 drops `visitors.last_seq` and makes the `(visitor_id, cmid)` index partial
/// (a rebuild of `messages` on SQLite): a database written by 0012 keeps every message with
/// its id, `seq`, `cmid` and robot nick, the push log still points at its messages, each
/// conversation's highest `seq` is still known (now from the messages), a stored `cmid` is
/// still refused a second time, and messages without one are not in its index.
#[tokio::test]
async fn migration_0013_keeps_messages_and_their_highest_seq() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let tdb = TestDb::new(&dir.path().join("m.db")).await;
    let stmts = [
        "INSERT INTO sites (id, sysnum, name, appid, secret, sign_key, created_at)
         VALUES (1, '0123456789abcdef0123456789abcdef', 's', 'app', 'sec', 'k', 0)",
        "INSERT INTO visitors (id, site_id, last_seq, created_at, last_seen_at) VALUES (1, 1, 3, 0, 0)",
        "INSERT INTO visitors (id, site_id, last_seq, created_at, last_seen_at) VALUES (2, 1, 0, 0, 0)",
        "INSERT INTO messages (id, visitor_id, seq, author, cmid, kind, body, created_at)
         VALUES (10, 1, 1, 'visitor', 'c1', 0, '你好', 1)",
        "INSERT INTO messages (id, visitor_id, seq, author, kind, body, created_at, nick)
         VALUES (11, 1, 2, 'robot', 0, '您好', 2, '小智')",
        "INSERT INTO messages (id, visitor_id, seq, author, kind, body, created_at)
         VALUES (12, 1, 3, 'system', 0, 'sys', 3)",
        "INSERT INTO push_deliveries (id, message_id, site_id, url, payload, next_attempt_at, created_at)
         VALUES (1, 10, 1, 'http://x', '{}', 0, 0)",
    ];
    tdb.migrate_to(12, &stmts).await;

    // Opening applies 0013.
    let db = Db::open(&tdb.url).await.unwrap();
    let msgs = db.messages_after(1, Seq(0), 10).await.unwrap();
    type Row<'a> = (i64, i64, Option<&'a str>, Option<&'a str>, &'a str);
    let got: Vec<Row> = msgs
        .iter()
        .map(|m| {
            (
                m.id,
                m.seq,
                m.cmid.as_ref().map(|c| c.as_str()),
                m.agent_nick.as_deref(),
                m.body.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (10, 1, Some("c1"), None, "你好"),
            (11, 2, None, Some("小智"), "您好"),
            (12, 3, None, None, "sys"),
        ]
    );
    assert_eq!(db.visitor_by_id(1).await.unwrap().unwrap().last_seq, 3);
    assert_eq!(db.visitor_by_id(2).await.unwrap().unwrap().last_seq, 0);
    db.close().await;

    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(&tdb.url).await.unwrap();
    let joined: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM push_deliveries d JOIN messages m ON m.id = d.message_id
         WHERE m.body = '你好'",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(joined, 1);
    if tdb.is_sqlite() {
        let broken = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut c)
            .await
            .unwrap();
        assert!(broken.is_empty());
    }
    // The cmid index is partial.
    let def: String = sqlx::query_scalar(if tdb.is_sqlite() {
        "SELECT sql FROM sqlite_master WHERE name = 'messages_cmid'"
    } else {
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_cmid'"
    })
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert!(
        def.contains("WHERE") && def.contains("IS NOT NULL"),
        "{def}"
    );
    let ins = |id: i64, seq: i64, cmid: Option<&str>| {
        format!(
            "INSERT INTO messages (id, visitor_id, seq, author, cmid, kind, body, created_at)
             VALUES ({id}, 1, {seq}, 'visitor', {}, 0, 'x', 4)",
            cmid.map_or("NULL".to_owned(), |c| format!("'{c}'"))
        )
    };
    // A stored cmid again, or a taken seq: refused. New ones, with or without a cmid: stored.
    for bad in [ins(20, 4, Some("c1")), ins(21, 3, Some("c2"))] {
        assert!(sqlx::query(&bad).execute(&mut c).await.is_err(), "{bad}");
    }
    for good in [ins(22, 4, Some("c2")), ins(23, 5, None), ins(24, 6, None)] {
        sqlx::query(&good).execute(&mut c).await.unwrap();
    }
    let _ = c.close().await;
}

/// Rows are read by derived mappings (`db/rows.rs`): 0/1 flags, comma-separated lists and
/// codes read as they did by hand, and a stored value the schema does not allow (a `sysnum`
/// that is not 32 lowercase hex) is refused as corrupt, naming the column, not read.
#[tokio::test]
async fn rows_read_flags_lists_and_codes_and_refuse_a_corrupt_sysnum() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let id = site.business_id;
    let origins = " https://a.example , ,https://b.example";
    srv.db
        .update_site(id, None, Some(true), None, None, Some(origins))
        .await
        .unwrap();
    let s = srv.db.site_by_id(id).await.unwrap().unwrap();
    assert_eq!(s.sysnum.as_str(), site.sysnum);
    assert!(s.push_allow_private);
    assert_eq!(s.origins, ["https://a.example", "https://b.example"]);
    assert_eq!(s.reception, SiteReception::default());
    srv.tdb
        .exec(&[&format!(
            "UPDATE sites SET sysnum = 'NOT-HEX' WHERE id = {id}"
        )])
        .await;
    for read in [
        srv.db.site_by_id(id).await,
        srv.db.site_by_appid(&site.appid).await,
        srv.db.site_by_sysnum("NOT-HEX").await,
    ] {
        match read {
            Err(DbError::Corrupt(why)) => assert!(why.starts_with("sysnum: "), "{why}"),
            other => panic!("a corrupt sysnum was read: {other:?}"),
        }
    }
    srv.stop().await;
}

/// Migration 0015 makes every PRIMARY KEY column NOT NULL on SQLite as on PostgreSQL (a
/// rebuild of six tables there): a database written by 0014 keeps its settings, agent,
/// visitor and access tokens, files and leases, and each is still found by its key.
#[tokio::test]
async fn migration_0015_keeps_settings_tokens_files_and_leases() {
    use frontdesk_server::db::token_hash;
    let dir = tempfile::tempdir().unwrap();
    let tdb = TestDb::new(&dir.path().join("m15.db")).await;
    let far = frontdesk_server::db::now_s() + 3600;
    let (agent, visitor, access) = (
        token_hash("agent-t"),
        token_hash("visitor-t"),
        token_hash("access-t"),
    );
    let stmts = [
        "INSERT INTO settings (key, value) VALUES ('demo_sysnum', '0123456789abcdef0123456789abcdef')".to_owned(),
        "INSERT INTO sites (id, sysnum, name, appid, secret, sign_key, created_at)
         VALUES (1, '0123456789abcdef0123456789abcdef', 's', 'app', 'sec', 'k', 0)".to_owned(),
        "INSERT INTO agents (id, site_id, account, nick, password_hash, created_at)
         VALUES (1001, 1, 'a@s', 'A', 'x', 0)".to_owned(),
        "INSERT INTO visitors (id, site_id, created_at, last_seen_at) VALUES (7, 1, 0, 0)".to_owned(),
        format!("INSERT INTO agent_tokens (token_hash, agent_id, expires_at, created_at) VALUES ('{agent}', 1001, {far}, 0)"),
        format!("INSERT INTO visitor_tokens (token_hash, visitor_id, created_at) VALUES ('{visitor}', 7, 0)"),
        format!("INSERT INTO access_tokens (token_hash, site_id, expires_at, created_at) VALUES ('{access}', 1, {far}, 0)"),
        "INSERT INTO files (id, site_id, agent_id, name, mime, kind, size, created_at)
         VALUES ('00112233445566778899aabbccddeeff', 1, 1001, 'a.png', 'image/png', 1, 3, 0)".to_owned(),
        "INSERT INTO nodes (id, started_at, heartbeat_at) VALUES (3, 0, 0)".to_owned(),
        format!("INSERT INTO leases (name, node_id, expires_at) VALUES ('sweep', 3, {})", far * 1000),
    ];
    let stmts: Vec<&str> = stmts.iter().map(String::as_str).collect();
    tdb.migrate_to(14, &stmts).await;

    // Opening applies 0015.
    let db = Db::open(&tdb.url).await.unwrap();
    assert_eq!(
        db.setting("demo_sysnum").await.unwrap().as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert_eq!(
        db.agent_token("agent-t").await.unwrap().unwrap().agent_id,
        1001
    );
    assert_eq!(
        db.visitor_by_token(1, "visitor-t")
            .await
            .unwrap()
            .unwrap()
            .id,
        7
    );
    assert_eq!(
        db.access_token("access-t").await.unwrap().unwrap().site_id,
        1
    );
    let f = db
        .file("00112233445566778899aabbccddeeff")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((f.name.as_str(), f.size), ("a.png", 3));
    // The lease is still node 3's: node 4 cannot take it, node 3 keeps it.
    assert!(!db.take_lease("sweep", 4, far * 1000).await.unwrap());
    assert!(db.take_lease("sweep", 3, far * 1000).await.unwrap());
    // Revoking still finds the agent's token through its index.
    assert_eq!(db.revoke_agent_tokens(1001).await.unwrap(), 1);
    assert!(db.agent_token("agent-t").await.unwrap().is_none());
    db.close().await;
    // A NULL key is refused now on both backends.
    if tdb.is_sqlite() {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&tdb.url).await.unwrap();
        let null = sqlx::query("INSERT INTO settings (key, value) VALUES (NULL, 'x')")
            .execute(&mut c)
            .await;
        assert!(null.is_err(), "a NULL settings key was stored");
        let broken = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut c)
            .await
            .unwrap();
        assert!(broken.is_empty());
        c.close().await.unwrap();
    }
}

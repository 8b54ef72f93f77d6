//! `frontdesk admin backup` / `restore` (issue 26): a backup taken by the real binary while
//! visitors and an agent keep writing holds every message acked before it started, restores
//! into an empty database (and nowhere else), and a server on the restored database replays
//! a visitor's conversation. On SQLite and on PostgreSQL (`FRONTDESK_TEST_DATABASE_URL`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use frontdesk_server::db::Db;
use harness::*;
use serde_json::json;
use shared::ids::Seq;
use shared::visitor::Author;

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-under-test");

/// `frontdesk admin ARGS --database-url URL`: (exit code, stdout, stderr).
pub async fn admin(url: &str, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(BIN)
        .arg("admin")
        .args(args)
        .args(["--database-url", url])
        .output()
        .await
        .expect("run frontdesk admin");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What traffic got acked, with when.
#[derive(Default)]
struct Acked {
    /// Visitor messages: (visitor id, body) -> (seq, acked at).
    visitor: HashMap<(i64, String), (u64, Instant)>,
    /// Agent replies: (visitor id, body) -> acked at.
    agent: HashMap<(i64, String), Instant>,
}

#[tokio::test]
async fn a_backup_taken_under_traffic_restores_every_acked_message() {
    let s = TestServer::start_open().await;
    let site = s.site().await;
    let account = format!("bk@{}", site.sysnum);
    s.agent_with(&site.sysnum, &account, &[], 50).await;
    let acked = Arc::new(Mutex::new(Acked::default()));
    let stop = Arc::new(AtomicBool::new(false));

    // The agent answers every visitor message it is told about.
    let (mut agent, _) = s.agent_client(&account).await;
    let agent_task = {
        let (acked, stop) = (acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let Ok(push) =
                    tokio::time::timeout(Duration::from_millis(500), agent.push(32399)).await
                else {
                    continue;
                };
                let gid = push["data"]["gid"].as_str().unwrap().to_owned();
                n += 1;
                let text = format!("reply {n}");
                let r = agent
                    .request(json!({"api_key": 32300, "gid": gid, "msg": text, "file_type": 0}))
                    .await;
                if r["code"] == 200 {
                    let v: i64 = gid.parse().unwrap();
                    acked
                        .lock()
                        .unwrap()
                        .agent
                        .insert((v, text), Instant::now());
                }
            }
        })
    };
    let mut visitors = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..6 {
        let mut v = VisitorClient::fresh(&s.ws, &site.sysnum).await;
        v.client.send_text("c0", &format!("v{i} m0")).await;
        let seq = v.client.ack("c0").await;
        let id: i64 = s.gid(&site, &v.client.token).await.parse().unwrap();
        acked
            .lock()
            .unwrap()
            .visitor
            .insert((id, format!("v{i} m0")), (seq.0, Instant::now()));
        tokens.push((id, v.client.token.clone()));
        let (acked, stop) = (acked.clone(), stop.clone());
        visitors.push(tokio::spawn(async move {
            let mut k = 1;
            while !stop.load(Ordering::Relaxed) {
                let body = format!("v{i} m{k}");
                v.client.send_text(&format!("c{k}"), &body).await;
                let seq = v.client.ack(&format!("c{k}")).await;
                acked
                    .lock()
                    .unwrap()
                    .visitor
                    .insert((id, body), (seq.0, Instant::now()));
                k += 1;
                // Under the per-visitor limit (5 a second).
                tokio::time::sleep(Duration::from_millis(220)).await;
            }
        }));
    }
    // Traffic flows; then the backup, by the real binary, while it goes on.
    eventually("traffic before the backup", || async {
        let n = acked.lock().unwrap().visitor.len();
        (n >= 60).then_some(()).ok_or(format!("{n} acked"))
    })
    .await;
    let file = s.dir.path().join("backup.fd");
    let started = Instant::now();
    let (code, out, err) = admin(
        &s.tdb.url,
        &["backup", "--to", file.to_str().unwrap(), "--json"],
    )
    .await;
    assert_eq!(code, 0, "backup failed: {err}");
    let done: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON value");
    assert!(done["bytes"].as_u64().unwrap() > 0, "{done}");
    // More traffic after it, then stop.
    let after = acked.lock().unwrap().visitor.len();
    eventually("traffic after the backup", || async {
        let n = acked.lock().unwrap().visitor.len();
        (n >= after + 20).then_some(()).ok_or(format!("{n} acked"))
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    for v in visitors {
        v.await.unwrap();
    }
    agent_task.await.unwrap();

    // A second backup to the same file is refused (nothing overwritten).
    let (code, _, err) = admin(&s.tdb.url, &["backup", "--to", file.to_str().unwrap()]).await;
    assert_eq!(code, 1);
    assert!(err.contains("exists"), "{err}");
    // Restoring over a database that has data is refused, with the reason.
    let (code, _, err) = admin(&s.tdb.url, &["restore", "--from", file.to_str().unwrap()]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not empty"), "{err}");

    // Into an empty database.
    let dir = tempfile::tempdir().unwrap();
    let target = TestDb::new(&dir.path().join("restored.db")).await;
    let (code, _, err) = admin(&target.url, &["restore", "--from", file.to_str().unwrap()]).await;
    assert_eq!(code, 0, "restore failed: {err}");
    let restored = Db::open(&target.url)
        .await
        .expect("open the restored database");
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let mut per_visitor: BTreeMap<i64, Vec<_>> = BTreeMap::new();
    for (id, _) in &tokens {
        let ms = restored.messages_after(*id, Seq(0), 100_000).await.unwrap();
        let seqs: Vec<i64> = ms.iter().map(|m| m.seq).collect();
        let want: Vec<i64> = (1..=ms.len() as i64).collect();
        assert_eq!(
            seqs, want,
            "visitor {id}: sequence numbers contiguous from 1"
        );
        per_visitor.insert(*id, ms);
    }
    let (mut checked_v, mut checked_a) = (0, 0);
    for ((id, body), (seq, at)) in &acked.visitor {
        if *at >= started {
            continue;
        }
        let m = per_visitor[id]
            .iter()
            .find(|m| m.seq as u64 == *seq)
            .unwrap_or_else(|| {
                panic!("visitor {id}'s acked seq {seq} ({body}) is not in the backup")
            });
        assert_eq!((&m.body, m.author), (body, Author::Visitor));
        checked_v += 1;
    }
    for ((id, body), at) in &acked.agent {
        if *at >= started {
            continue;
        }
        let n = per_visitor[id]
            .iter()
            .filter(|m| &m.body == body && m.author == Author::Agent)
            .count();
        assert_eq!(
            n, 1,
            "the agent's acked {body:?} to {id} is in the backup once"
        );
        checked_a += 1;
    }
    assert!(
        checked_v >= 60 && checked_a >= 1,
        "{checked_v} visitor, {checked_a} agent messages checked"
    );
    eprintln!(
        "backup under traffic: {checked_v} visitor and {checked_a} agent messages acked before it are in it; {} bytes",
        done["bytes"]
    );
    restored.close().await;

    // A server on the restored database replays the conversation to the visitor's token.
    let node = ProcessServer::spawn(BIN, &target.url, &[]).await;
    let (id, token) = &tokens[0];
    let session = VisitorClient::hello(&node.ws, hello(&site.sysnum, Some(token), 0))
        .await
        .expect("welcome on the restored database");
    assert_eq!(session.replay.len(), per_visitor[id].len());
    node.kill9().await;
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk");
    std::fs::write(&junk, b"hello, not a database").unwrap();
    let target = TestDb::new(&dir.path().join("t.db")).await;
    let (code, _, err) = admin(&target.url, &["restore", "--from", junk.to_str().unwrap()]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a"), "{err}");
    let (code, _, err) = admin(&target.url, &["restore", "--from", "/nonexistent/backup"]).await;
    assert_ne!(code, 0, "{err}");
}

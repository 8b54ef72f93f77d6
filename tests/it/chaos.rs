//! Chaos (issue 26): two real nodes behind a real haproxy, visitors and an agent writing
//! all along, while something underneath fails: Redis restarts, one node is frozen
//! (SIGSTOP) for 15 s, PostgreSQL restarts or is frozen for 10 s, SQLite's disk fills up.
//! Each case asserts what a user would notice — every acked message stored exactly once,
//! shown once and in order — and what the operator sees (`/readyz` says which part failed,
//! and is ready again after); it prints the counts and how long the clients took to get
//! their first ack after the fault ended (reported, never asserted).
//!
//! The PostgreSQL and Redis that fail are the test's own (started here on free ports), never
//! the shared services. PostgreSQL cases run in the suite's PostgreSQL run, the disk case in
//! its SQLite run (it needs root to mount a 24 MB tmpfs, else it says why it skips); the
//! others in both.

use std::time::Duration;

use harness::*;
use serde_json::Value;
use tokio::time::Instant;

use crate::cluster::{agent_traffic, visitor_traffic, Haproxy, Pace, VisitorLog};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-under-test");
const VISITORS: usize = 6;
const TOKEN: &str = "chaos";

fn flags() -> Vec<&'static str> {
    vec![
        "--node-heartbeat-ms",
        "200",
        "--node-timeout-ms",
        "1500",
        "--agent-offline-grace-ms",
        "60000",
        "--visitor-burst",
        "100000",
        "--visitor-rate",
        "100000",
        "--client-msg-burst",
        "100000",
        "--client-msg-rate",
        "100000",
        "--client-new-visitor-burst",
        "100000",
        "--connect-burst",
        "100000",
        "--metrics-token",
        TOKEN,
    ]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// A node's `/readyz`: (status, body).
async fn readyz(http: &str) -> (u16, Value) {
    match reqwest::Client::new()
        .get(format!("{http}/readyz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
    {
        Ok(r) => (r.status().as_u16(), r.json().await.unwrap_or(Value::Null)),
        Err(e) => (0, Value::String(e.to_string())),
    }
}

/// Waits until node `http` reports `check` failing (503), then returns that body.
async fn not_ready(http: &str, check: &str) -> Value {
    eventually(&format!("/readyz reporting {check} down"), || async {
        let (s, b) = readyz(http).await;
        (s == 503 && b[check] != "ok")
            .then_some(b.clone())
            .ok_or(format!("{s} {b}"))
    })
    .await
}

async fn ready(http: &str) {
    eventually("/readyz ready again", || async {
        let (s, b) = readyz(http).await;
        (s == 200).then_some(()).ok_or(format!("{s} {b}"))
    })
    .await
}

/// Traffic through a balancer in front of a cluster's nodes: visitors paced so that they
/// write through the fault, an agent answering each visitor message.
struct Traffic {
    lb: Haproxy,
    visitors: Vec<tokio::task::JoinHandle<VisitorLog>>,
    agent: tokio::task::JoinHandle<(Vec<String>, u64)>,
    stop: tokio::sync::watch::Sender<bool>,
    n: usize,
}

/// What a case measured.
struct Report {
    visitor_acked: usize,
    agent_acked: usize,
    lost: usize,
    duplicated: usize,
    reconnects: u64,
    /// The slowest client's first ack after the fault ended.
    recovery: Duration,
}

impl Traffic {
    /// Starts `VISITORS` visitors sending `n` messages each, one every `every`.
    async fn start(c: &Cluster, n: usize, every: Duration) -> Traffic {
        c.agent("chaos@agent", 1000).await;
        let backends: Vec<String> = c.nodes.iter().flatten().map(|n| n.http.clone()).collect();
        let lb = Haproxy::start(&backends).await;
        let token = login(&format!("http://{}", lb.addr), "chaos@agent", PASSWORD).await;
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let agent = tokio::spawn(agent_traffic(
            lb.addr.clone(),
            token,
            stop_rx,
            Duration::from_secs(3),
        ));
        let pace = Pace {
            every,
            ack_timeout: Duration::from_secs(3),
            within: Duration::from_secs(120),
        };
        let visitors = (0..VISITORS)
            .map(|i| {
                tokio::spawn(visitor_traffic(
                    lb.addr.clone(),
                    c.site.sysnum.clone(),
                    i,
                    n,
                    pace,
                ))
            })
            .collect();
        // Traffic flows before the fault.
        tokio::time::sleep(every * 4).await;
        Traffic {
            lb,
            visitors,
            agent,
            stop,
            n,
        }
    }

    /// Waits for every visitor to have every message acked, then checks the database
    /// through the balancer: each acked message stored once, in order.
    async fn finish(self, case: &str, c: &Cluster, fault_ended: Instant) -> Report {
        let mut logs = Vec::new();
        for v in self.visitors {
            logs.push(v.await.expect("visitor task"));
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let _ = self.stop.send(true);
        let (agent_acked, _) = self.agent.await.unwrap();
        let mut lost = 0;
        let mut duplicated = 0;
        let mut replies: std::collections::BTreeMap<String, usize> = Default::default();
        let mut recovery = Duration::ZERO;
        for (i, log) in logs.iter().enumerate() {
            let s = VisitorClient::hello(
                &format!("ws://{}", self.lb.addr),
                hello(&c.site.sysnum, log.token.as_deref(), 0),
            )
            .await
            .expect("welcome");
            let mut cmids: std::collections::BTreeMap<String, usize> = Default::default();
            for m in &s.replay {
                match &m.cmid {
                    Some(id) => *cmids.entry(id.to_string()).or_default() += 1,
                    None if m.body.starts_with("re: ") => {
                        *replies.entry(m.body.clone()).or_default() += 1
                    }
                    None => {}
                }
            }
            for k in 0..self.n {
                match cmids.get(&format!("v{i}m{k}")) {
                    None => lost += 1,
                    Some(1) => {}
                    Some(_) => duplicated += 1,
                }
            }
            let seqs: Vec<u64> = s.replay.iter().map(|m| m.seq.0).collect();
            assert_eq!(
                seqs,
                (1..=seqs.len() as u64).collect::<Vec<_>>(),
                "{case}: contiguous seq"
            );
            if let Some(t) = log.ack_times.iter().find(|t| **t >= fault_ended) {
                recovery = recovery.max(*t - fault_ended);
            }
        }
        for r in &agent_acked {
            match replies.get(r) {
                None => lost += 1,
                Some(1) => {}
                Some(_) => duplicated += 1,
            }
        }
        let r = Report {
            visitor_acked: VISITORS * self.n,
            agent_acked: agent_acked.len(),
            lost,
            duplicated,
            reconnects: logs.iter().map(|l| l.reconnects).sum(),
            recovery,
        };
        println!(
            "chaos {case}: {} visitor messages and {} agent replies acked; lost {}, duplicated {}; \
             {} visitor reconnects; slowest first ack after the fault: {:.1} s",
            r.visitor_acked,
            r.agent_acked,
            r.lost,
            r.duplicated,
            r.reconnects,
            r.recovery.as_secs_f64()
        );
        assert_eq!(
            (r.lost, r.duplicated),
            (0, 0),
            "{case}: nothing lost or duplicated"
        );
        r
    }
}

/// A `redis-server` of the test's own on `port`.
async fn own_redis(port: u16) -> tokio::process::Child {
    let child = tokio::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server");
    eventually("own redis up", || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    })
    .await;
    child
}

#[tokio::test]
async fn redis_restarts_under_traffic() {
    if redis_url("chaos::redis_restarts_under_traffic").is_none() {
        return;
    }
    let port = free_port();
    let mut redis = own_redis(port).await;
    let url = format!("redis://127.0.0.1:{port}/");
    let c = Cluster::start(BIN, 2, &url, &flags()).await;
    let t = Traffic::start(&c, 30, Duration::from_millis(200)).await;
    redis.kill().await.unwrap();
    let down = not_ready(&c.node(0).http, "redis").await;
    println!("chaos redis: /readyz while down: {down}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _redis = own_redis(port).await;
    let ended = Instant::now();
    ready(&c.node(0).http).await;
    ready(&c.node(1).http).await;
    t.finish("redis restart", &c, ended).await;
    let m = crate::ops::scrape(&c.node(0).http, TOKEN).await;
    let resyncs: f64 = m
        .iter()
        .filter(|((n, _), _)| n == "frontdesk_bus_resyncs_total")
        .map(|(_, v)| v)
        .sum();
    assert!(resyncs >= 1.0, "the metrics show the bus resynced");
}

#[tokio::test]
async fn a_node_frozen_for_15_s_loses_and_duplicates_nothing() {
    let Some(redis) = redis_url("chaos::a_node_frozen_for_15_s") else {
        return;
    };
    let c = Cluster::start(BIN, 2, &redis, &flags()).await;
    let t = Traffic::start(&c, 60, Duration::from_millis(400)).await;
    let pid = c.node(1).child.id().unwrap();
    signal(pid, "STOP");
    tokio::time::sleep(Duration::from_secs(15)).await;
    signal(pid, "CONT");
    let ended = Instant::now();
    ready(&c.node(1).http).await;
    let r = t.finish("node SIGSTOP 15 s", &c, ended).await;
    assert!(r.reconnects > 0, "the frozen node's visitors moved");
}

/// A PostgreSQL of the test's own (data in a temp dir, a free port), to restart and freeze.
struct OwnPg {
    dir: tempfile::TempDir,
    port: u16,
    bin: std::path::PathBuf,
}

fn as_pg(cmd: &std::path::Path) -> std::process::Command {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    if root {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(cmd);
        c
    } else {
        std::process::Command::new(cmd)
    }
}

impl OwnPg {
    fn start() -> OwnPg {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL installed")
            .map(|e| e.unwrap().path().join("bin"))
            .max()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let _ = std::process::Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status();
        let data = dir.path().join("data");
        let ok = as_pg(&bin.join("initdb"))
            .args([
                "-D",
                data.to_str().unwrap(),
                "-U",
                "frontdesk",
                "--auth=trust",
                "-E",
                "UTF8",
            ])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "initdb");
        let pg = OwnPg {
            dir,
            port: free_port(),
            bin,
        };
        pg.ctl("start");
        pg
    }

    fn ctl(&self, what: &str) {
        let data = self.dir.path().join("data");
        let opts = format!(
            "-h 127.0.0.1 -p {} -k {}",
            self.port,
            self.dir.path().display()
        );
        let ok = as_pg(&self.bin.join("pg_ctl"))
            .args([
                "-D",
                data.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "-m",
                "fast",
                "-o",
                &opts,
            ])
            .args(["-l", self.dir.path().join("log").to_str().unwrap(), what])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "pg_ctl {what}");
    }

    fn url(&self) -> String {
        format!("postgres://frontdesk@127.0.0.1:{}/postgres", self.port)
    }

    /// The postmaster and every process it started (the backends serving connections).
    fn pids(&self) -> Vec<u32> {
        let pidfile = std::fs::read_to_string(self.dir.path().join("data/postmaster.pid")).unwrap();
        let master: u32 = pidfile.lines().next().unwrap().trim().parse().unwrap();
        let mut pids = vec![master];
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid …
            let after = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
            if after.split(' ').nth(1).and_then(|p| p.parse::<u32>().ok()) == Some(master) {
                pids.push(e.file_name().to_str().unwrap().parse().unwrap());
            }
        }
        pids
    }
}

impl Drop for OwnPg {
    fn drop(&mut self) {
        for p in self.pids() {
            let _ = std::process::Command::new("kill")
                .args(["-CONT", &p.to_string()])
                .status();
        }
        self.ctl("stop");
    }
}

/// Two nodes on the test's own PostgreSQL (and the shared Redis); only in the suite's
/// PostgreSQL run.
async fn on_own_pg(test: &str) -> Option<(OwnPg, Cluster)> {
    pg_url()?;
    let redis = redis_url(test)?;
    let pg = tokio::task::spawn_blocking(OwnPg::start).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tdb = TestDb::new_on(Some(pg.url()), &dir.path().join("unused")).await;
    let c = Cluster::start_on(BIN, 2, &redis, &flags(), dir, tdb).await;
    Some((pg, c))
}

#[tokio::test]
async fn postgres_restarts_under_traffic() {
    let Some((pg, c)) = on_own_pg("chaos::postgres_restarts").await else {
        return;
    };
    let t = Traffic::start(&c, 30, Duration::from_millis(200)).await;
    let pg = tokio::task::spawn_blocking(move || {
        pg.ctl("stop");
        std::thread::sleep(Duration::from_secs(2));
        pg
    })
    .await
    .unwrap();
    let down = not_ready(&c.node(0).http, "database").await;
    println!("chaos postgres restart: /readyz while down: {down}");
    let pg = tokio::task::spawn_blocking(move || {
        pg.ctl("start");
        pg
    })
    .await
    .unwrap();
    let ended = Instant::now();
    ready(&c.node(0).http).await;
    t.finish("PostgreSQL restart", &c, ended).await;
    drop(c);
    drop(pg);
}

#[tokio::test]
async fn postgres_frozen_for_10_s_under_traffic() {
    let Some((pg, c)) = on_own_pg("chaos::postgres_frozen").await else {
        return;
    };
    let t = Traffic::start(&c, 40, Duration::from_millis(300)).await;
    let pids = pg.pids();
    for p in &pids {
        signal(*p, "STOP");
    }
    let down = not_ready(&c.node(0).http, "database").await;
    println!("chaos postgres SIGSTOP: /readyz while frozen: {down}");
    tokio::time::sleep(Duration::from_secs(10)).await;
    for p in &pids {
        signal(*p, "CONT");
    }
    let ended = Instant::now();
    ready(&c.node(0).http).await;
    t.finish("PostgreSQL SIGSTOP 10 s", &c, ended).await;
    drop(c);
    drop(pg);
}

/// A size-limited tmpfs, unmounted on drop.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(mb: u32) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .status();
    }
}

#[tokio::test]
async fn sqlites_disk_fills_up_under_traffic() {
    if pg_url().is_some() {
        return; // a SQLite case: runs in the suite's SQLite run
    }
    let Some(redis) = redis_url("chaos::sqlites_disk_fills_up") else {
        return;
    };
    let Some(fs) = Tmpfs::mount(24) else {
        eprintln!("skipping chaos::sqlites_disk_fills_up: cannot mount a tmpfs (needs root)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tdb = TestDb::new_on(None, &fs.0.path().join("fd.db")).await;
    let c = Cluster::start_on(BIN, 2, &redis, &flags(), dir, tdb).await;
    let t = Traffic::start(&c, 40, Duration::from_millis(300)).await;
    // Fill the disk: a file takes every block left.
    let filler = fs.0.path().join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.flush();
    }
    let down = not_ready(&c.node(0).http, "writes").await;
    println!("chaos disk full: /readyz while full: {down}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    std::fs::remove_file(&filler).unwrap();
    let ended = Instant::now();
    let r = t.finish("SQLite disk full", &c, ended).await;
    ready(&c.node(0).http).await;
    let m = crate::ops::scrape(&c.node(0).http, TOKEN).await;
    let failures: f64 = m
        .iter()
        .filter(|((n, _), _)| n == "frontdesk_db_write_failures_total")
        .map(|(_, v)| v)
        .sum();
    println!("chaos disk full: {failures} failed writes counted on node 0");
    assert!(r.visitor_acked > 0);
    drop(c);
}

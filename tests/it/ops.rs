//! What an operator's monitoring sees (issue 26): `/metrics` in the Prometheus text format
//! (parsed here with a Prometheus parser) behind its bearer token, counters that move with
//! real traffic, `/readyz` beside `/healthz`, and `--log-format json`.

use std::collections::HashMap;

use harness::*;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-under-test");
const TOKEN: &str = "scrape-secret";

/// A parsed scrape: `(name, sorted labels) -> value` (a histogram's value is its count).
pub type Scraped = HashMap<(String, Vec<(String, String)>), f64>;

/// The server's `/metrics`, parsed.
pub async fn scrape(http: &str, token: &str) -> Scraped {
    let r = reqwest::Client::new()
        .get(format!("{http}/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let body = r.text().await.unwrap();
    let lines = body.lines().map(|l| Ok(l.to_owned()));
    let parsed = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    let mut out = HashMap::new();
    for s in parsed.samples {
        let mut labels: Vec<(String, String)> = s
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.sort();
        let v = match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(h) => h.iter().map(|b| b.count).fold(0.0, f64::max),
            prometheus_parse::Value::Summary(_) => continue,
        };
        out.insert((s.metric, labels), v);
    }
    out
}

/// One sample of a scrape (0 when absent).
pub fn sample(m: &Scraped, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut l: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.sort();
    m.get(&(name.to_owned(), l)).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_need_their_token_parse_and_move_with_traffic() {
    let s = TestServer::start_with(|c| c.metrics_token = Some(TOKEN.into())).await;
    let site = s.site().await;
    let c = reqwest::Client::new();
    let url = format!("{}/metrics", s.http);
    assert_eq!(c.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(
        c.get(&url)
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let before = scrape(&s.http, TOKEN).await;
    assert_eq!(
        sample(&before, "frontdesk_up", &[("check", "database")]),
        1.0
    );
    assert_eq!(sample(&before, "frontdesk_up", &[("check", "redis")]), 1.0);

    // A visitor waits (no agent yet): the queue of their site has one.
    let mut v = VisitorClient::fresh(&s.ws, &site.sysnum).await;
    for i in 0..5 {
        v.client.send_text(&format!("m{i}"), "hello").await;
        v.client.ack(&format!("m{i}")).await;
    }
    let site_id = site.business_id.to_string();
    let m = eventually("the visitor's message in the metrics", || async {
        let m = scrape(&s.http, TOKEN).await;
        let q = sample(&m, "frontdesk_queue_length", &[("site", &site_id)]);
        (q == 1.0).then_some(m).ok_or(format!("queue {q}"))
    })
    .await;
    let stored =
        |m: &Scraped, who| sample(m, "frontdesk_messages_stored_total", &[("author", who)]);
    assert_eq!(stored(&m, "visitor") - stored(&before, "visitor"), 5.0);
    assert_eq!(sample(&m, "frontdesk_visitor_connections", &[]), 1.0);
    assert!(
        sample(
            &m,
            "frontdesk_routing_decisions_total",
            &[("outcome", "queued")]
        ) >= 1.0
    );
    let backend = if s.tdb.is_sqlite() {
        "sqlite"
    } else {
        "postgres"
    };
    let commits = |m: &Scraped| {
        sample(
            m,
            "frontdesk_db_commit_seconds_count",
            &[("backend", backend)],
        )
    };
    assert!(commits(&m) > commits(&before), "commits are timed");
    assert!(sample(&m, "frontdesk_db_batch_jobs_count", &[]) > 0.0);

    // An agent logs in, is routed the waiting visitor and answers: delivered on both sides.
    s.agent(&site.sysnum, &format!("ann@{}", site.sysnum)).await;
    let (mut agent, _) = s.agent_client(&format!("ann@{}", site.sysnum)).await;
    v.client.send_text("m5", "anyone?").await;
    v.client.ack("m5").await;
    let push = agent.push(32399).await;
    let gid = push["data"]["gid"].as_str().unwrap().to_owned();
    let r = agent
        .request(json!({"api_key": 32300, "gid": gid, "msg": "hi!", "file_type": 0}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let reply = v.client.next_msg().await;
    assert_eq!(reply.body, "hi!");
    let m = eventually("the agent's reply in the metrics", || async {
        let m = scrape(&s.http, TOKEN).await;
        (stored(&m, "agent") >= 1.0 && sample(&m, "frontdesk_agent_connections", &[]) == 1.0)
            .then_some(m)
            .ok_or("not yet".to_owned())
    })
    .await;
    assert!(sample(&m, "frontdesk_messages_delivered_total", &[("to", "agent")]) >= 1.0);
    assert!(
        sample(
            &m,
            "frontdesk_messages_delivered_total",
            &[("to", "visitor")]
        ) >= 1.0
    );
    assert_eq!(
        sample(&m, "frontdesk_queue_length", &[("site", &site_id)]),
        0.0
    );

    // Refused by a rate limit: counted by limit.
    let refused = |m: &Scraped| {
        sample(
            m,
            "frontdesk_rate_limit_refusals_total",
            &[("limit", "logins")],
        )
    };
    let first = refused(&m);
    for _ in 0..70 {
        let _ = c
            .post(format!("{}/api/agent/login", s.http))
            .json(&json!({"account": "nobody@x", "password": "x"}))
            .send()
            .await
            .unwrap();
    }
    let m = scrape(&s.http, TOKEN).await;
    assert!(refused(&m) > first, "login refusals are counted");
    drop(v);
    eventually("the visitor's connection closed in the metrics", || async {
        let m = scrape(&s.http, TOKEN).await;
        let n = sample(&m, "frontdesk_visitor_connections", &[]);
        (n == 0.0).then_some(()).ok_or(format!("{n} open"))
    })
    .await;
}

#[tokio::test]
async fn without_a_token_there_are_no_metrics_and_readyz_says_ready() {
    let s = TestServer::start().await;
    let c = reqwest::Client::new();
    let r = c.get(format!("{}/metrics", s.http)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = c.get(format!("{}/readyz", s.http)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["ready"], true, "{body}");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["writes"], "ok");
    assert_eq!(body["redis"], "unused");
    let r = c.get(format!("{}/healthz", s.http)).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let tdb = TestDb::new(&dir.path().join("fd.db")).await;
    let mut child = tokio::process::Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--no-demo",
            "--log-format",
            "json",
        ])
        .args(["--database-url", &tdb.url])
        .env("FRONTDESK_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let line = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("a log line")
        .unwrap()
        .expect("a log line");
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
    assert_eq!(v["level"], "INFO", "{v}");
    assert_eq!(v["message"], "listening", "{v}");
    assert!(v["addr"].as_str().unwrap().starts_with("127.0.0.1:"), "{v}");
    child.kill().await.unwrap();
}

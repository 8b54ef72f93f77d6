//! Seed 000 custom push URL: the real server POSTs to a real receiver on 127.0.0.1 started
//! here. Payload fields and values, the HMAC signature (recomputed here), retries with
//! backoff and the delivery log, refusing private/metadata targets before connecting, and
//! redirects not followed. No traffic goes anywhere but 127.0.0.1.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use frontdesk_server::admin::{self, SiteSettings};
use frontdesk_server::db::PushDelivery;
use harness::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// A webhook receiver on 127.0.0.1:0. `/redirect` answers 302 to `/elsewhere`; every other
/// path answers 500 to the first `fail_first` requests, then 200.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) base: String,
    log: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub(crate) async fn start(fail_first: usize) -> Receiver {
        let log: Arc<Mutex<Vec<Received>>> = Arc::default();
        let failures = Arc::new(AtomicUsize::new(fail_first));
        let app = {
            let log = log.clone();
            axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
                let log = log.clone();
                let failures = failures.clone();
                async move {
                    let path = uri.path().to_owned();
                    log.lock().unwrap().push(Received {
                        path: path.clone(),
                        headers,
                        body,
                    });
                    if path == "/redirect" {
                        return Response::builder()
                            .status(StatusCode::FOUND)
                            .header("location", "/elsewhere")
                            .body(axum::body::Body::empty())
                            .unwrap();
                    }
                    let fail = failures
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if fail {
                        (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response()
                    } else {
                        (StatusCode::OK, "ok").into_response()
                    }
                }
            })
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            base: format!("http://{addr}"),
            log,
        }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    pub(crate) async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "receiver got {} of {n} requests",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub(crate) async fn set_push(srv: &TestServer, sysnum: &str, url: &str, allow_private: bool) {
    admin::set_site(
        &srv.db,
        sysnum,
        SiteSettings {
            push_url: Some(url.to_owned()),
            push_allow_private: Some(allow_private),
            ..SiteSettings::default()
        },
    )
    .await
    .expect("set push url");
}

/// Waits until the site has `n` deliveries and none is pending; returns them.
async fn settled(srv: &TestServer, site_id: i64, n: usize) -> Vec<PushDelivery> {
    eventually("deliveries settled", || async {
        let log = srv.db.push_deliveries_of_site(site_id).await.unwrap();
        if log.len() >= n && log.iter().all(|d| d.state != "pending") {
            Ok(log)
        } else {
            Err(format!("{log:?}"))
        }
    })
    .await
}

/// Recomputes the signature the receiver would check, in constant time.
fn verify(secret: &str, r: &Received) -> bool {
    let ts = r.headers["x-frontdesk-timestamp"].to_str().unwrap();
    let sig = r.headers["x-frontdesk-signature"].to_str().unwrap();
    let Some(hex_sig) = sig.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(raw) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    mac.verify_slice(&raw).is_ok()
}

const FIELDS: [&str; 10] = [
    "business_id",
    "content",
    "direction",
    "group",
    "service_id",
    "service_name",
    "service_url",
    "state",
    "timestamp",
    "visiter_id",
];

#[tokio::test]
async fn push_messages_both_ways_with_the_seed_fields_and_a_valid_signature() {
    let rx = Receiver::start(0).await;
    let srv = TestServer::start().await;
    let site = srv.site().await;
    set_push(&srv, &site.sysnum, &format!("{}/hook", rx.base), true).await;
    let g = admin::create_group(&srv.db, &site.sysnum, "Sales")
        .await
        .unwrap();
    let agent = srv.agent_with(&site.sysnum, "alice@test", &[g.id], 5).await;
    let (mut alice, _) = srv.agent_client("alice@test").await;

    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v.client.send_text("p1", "Where is my order?").await;
    v.client.ack("p1").await;
    let push = alice.push(32399).await;
    let gid = push["data"]["gid"].as_str().unwrap().to_owned();
    let r = alice
        .request(json!({"api_key": 32300, "gid": gid, "msg": "Let me check.", "file_type": 0}))
        .await;
    assert_eq!(r["code"], 200, "{r}");

    let got = rx.wait_for(2).await;
    let log = settled(&srv, site.business_id, 2).await;
    assert!(log
        .iter()
        .all(|d| d.state == "delivered" && d.attempts == 1));
    let mut bodies = Vec::new();
    for r in &got {
        assert_eq!(r.path, "/hook");
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(verify(&site.secret, r), "signature must verify");
        assert!(!verify("wrong secret", r));
        let ts: i64 = r.headers["x-frontdesk-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((ts - frontdesk_server::db::now_s()).abs() < 60);
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, FIELDS, "exactly the seed's fields");
        bodies.push(body);
    }
    bodies.sort_by_key(|b| b["direction"].as_str().unwrap().to_owned());
    let now = frontdesk_server::db::now_s();
    let (to_service, to_visiter) = (&bodies[0], &bodies[1]);
    for (b, dir, content) in [
        (to_service, "to_service", "Where is my order?"),
        (to_visiter, "to_visiter", "Let me check."),
    ] {
        assert_eq!(b["direction"], dir);
        assert_eq!(b["content"], content);
        assert_eq!(b["visiter_id"], json!(gid));
        assert_eq!(b["business_id"], json!(site.business_id));
        assert_eq!(b["service_id"], json!(agent.kf_id));
        assert_eq!(b["service_name"], "alice@test");
        assert_eq!(b["service_url"], "");
        assert_eq!(b["group"], "Sales");
        assert_eq!(b["state"], "online");
        let ts = b["timestamp"].as_i64().unwrap();
        assert!((ts - now).abs() < 60, "{ts} is unix seconds");
    }
    srv.stop().await;
}

#[tokio::test]
async fn push_failures_are_retried_with_backoff_and_logged() {
    let rx = Receiver::start(2).await;
    let srv = TestServer::start_with(|c| {
        c.push_backoff_base = Duration::from_millis(40);
        c.push_backoff_max = Duration::from_millis(200);
    })
    .await;
    let site = srv.site().await;
    set_push(&srv, &site.sysnum, &format!("{}/flaky", rx.base), true).await;
    // Nobody serves the visitor: the agent fields are empty.
    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v.client.send_text("r1", "anyone?").await;
    v.client.ack("r1").await;

    let log = settled(&srv, site.business_id, 1).await;
    assert_eq!(log.len(), 1);
    let d = &log[0];
    assert_eq!(d.state, "delivered", "{d:?}");
    assert_eq!((d.attempts, d.last_status), (3, Some(200)));
    assert!(d.delivered_at.is_some());
    let attempts = srv.db.push_attempts(d.id).await.unwrap();
    let seen: Vec<(i64, &str, Option<i64>)> = attempts
        .iter()
        .map(|a| (a.attempt, a.outcome.as_str(), a.status))
        .collect();
    assert_eq!(
        seen,
        [
            (1, "retry", Some(500)),
            (2, "retry", Some(500)),
            (3, "delivered", Some(200))
        ]
    );
    // Backed off between attempts (at least half the base delay).
    assert!(attempts[1].at - attempts[0].at >= 20, "{attempts:?}");

    let got = rx.received();
    assert_eq!(got.len(), 3, "two failures, then one delivery");
    let ids: Vec<_> = got
        .iter()
        .map(|r| r.headers["x-frontdesk-delivery"].clone())
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one delivery id across retries"
    );
    assert!(
        got.iter().all(|r| r.body == got[0].body),
        "the same body each time"
    );
    assert!(got.iter().all(|r| verify(&site.secret, r)));
    let body: Value = serde_json::from_slice(&got[2].body).unwrap();
    assert_eq!(body["direction"], "to_service");
    assert_eq!(
        (&body["service_id"], &body["service_name"], &body["group"]),
        (&json!(""), &json!(""), &json!(""))
    );
    srv.stop().await;
}

#[tokio::test]
async fn push_to_private_or_metadata_addresses_is_refused_before_connecting() {
    let rx = Receiver::start(0).await;
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let local = format!("{}/hook", rx.base);
    let targets = [
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        local.as_str(),
    ];
    for (i, url) in targets.iter().enumerate() {
        set_push(&srv, &site.sysnum, url, false).await;
        let id = format!("s{i}");
        v.client.send_text(&id, "hello").await;
        v.client.ack(&id).await;
        let log = settled(&srv, site.business_id, i + 1).await;
        let d = &log[i];
        assert_eq!(&d.url, url);
        assert_eq!(d.state, "refused", "{d:?}");
        // Refused before any connection: one logged attempt, no HTTP status, no retry.
        assert_eq!((d.attempts, d.last_status), (1, None), "{d:?}");
        let attempts = srv.db.push_attempts(d.id).await.unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].outcome, "refused");
        let host = url.split('/').nth(2).unwrap().split(':').next().unwrap();
        assert!(d.last_error.as_deref().unwrap().contains(host), "{d:?}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rx.received().is_empty(), "nothing reached 127.0.0.1");
    srv.stop().await;
}

#[tokio::test]
async fn push_redirects_are_not_followed() {
    let rx = Receiver::start(0).await;
    let srv = TestServer::start().await;
    let site = srv.site().await;
    set_push(&srv, &site.sysnum, &format!("{}/redirect", rx.base), true).await;
    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v.client.send_text("d1", "hi").await;
    v.client.ack("d1").await;
    let log = settled(&srv, site.business_id, 1).await;
    let d = &log[0];
    assert_eq!(d.state, "failed", "{d:?}");
    assert_eq!((d.attempts, d.last_status), (1, Some(302)));
    assert!(d.last_error.as_deref().unwrap().contains("/elsewhere"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let paths: Vec<String> = rx.received().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/redirect"],
        "the redirect target is never requested"
    );
    srv.stop().await;
}

#[tokio::test]
async fn push_queued_before_a_restart_is_delivered_by_the_next_server() {
    let rx = Receiver::start(0).await;
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("fd.db")).await;
    let url = tdb.url.clone();
    let site_id;
    let secret;
    {
        // A process that stored a message and queued its push, then died before delivering.
        let db = frontdesk_server::db::Db::open(&url).await.unwrap();
        let site = admin::create_site(&db, "Restart").await.unwrap();
        admin::set_site(
            &db,
            &site.sysnum,
            SiteSettings {
                push_url: Some(format!("{}/hook", rx.base)),
                push_allow_private: Some(true),
                ..SiteSettings::default()
            },
        )
        .await
        .unwrap();
        let (visitor, _) = db.create_visitor(site.business_id).await.unwrap();
        let m = db
            .insert_visitor_message(
                visitor.id,
                &cmid("k1"),
                shared::visitor::MsgKind::Text,
                "before the crash",
            )
            .await
            .unwrap()
            .message;
        let state = frontdesk_server::AppState::new(
            db.clone(),
            frontdesk_server::Config::new("http://127.0.0.1:1"),
        );
        frontdesk_server::push::enqueue(&state, site.business_id, &m, None).await;
        db.close().await;
        (site_id, secret) = (site.business_id, site.secret);
    }
    assert!(rx.received().is_empty());

    let db = frontdesk_server::db::Db::open(&url).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = frontdesk_server::AppState::new(
        db.clone(),
        frontdesk_server::Config::new(&format!("http://{addr}")),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(frontdesk_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let got = rx.wait_for(1).await;
    assert!(verify(&secret, &got[0]));
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["content"], "before the crash");
    assert_eq!(body["state"], "offline");
    eventually("the push marked delivered", || async {
        let state = db.push_deliveries_of_site(site_id).await.unwrap()[0]
            .state
            .clone();
        (state == "delivered").then_some(()).ok_or(state)
    })
    .await;
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
}

/// One site's receiver that never answers used to hold up every site's pushes (16.5 s in the
/// probe): attempts ran in batches and a batch waited for its slowest. Now a site has at most
/// two attempts in flight and the others' pushes go out at once.
#[tokio::test]
async fn a_hanging_receiver_does_not_delay_other_sites_pushes() {
    let srv = TestServer::start_with(|c| c.push_timeout = Duration::from_secs(20)).await;
    // Accepts connections and never answers.
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hang_addr = hang.local_addr().unwrap();
    let held = Arc::new(Mutex::new(Vec::new()));
    {
        let held = held.clone();
        tokio::spawn(async move {
            while let Ok((s, _)) = hang.accept().await {
                held.lock().unwrap().push(s);
            }
        });
    }
    let slow = srv.site().await;
    set_push(
        &srv,
        &slow.sysnum,
        &format!("http://{hang_addr}/hook"),
        true,
    )
    .await;
    let fast = srv.site().await;
    let rx = Receiver::start(0).await;
    set_push(&srv, &fast.sysnum, &format!("{}/hook", rx.base), true).await;

    let mut v = VisitorClient::fresh(&srv.ws, &slow.sysnum).await;
    for i in 0..12 {
        let id = format!("s{i}");
        v.client.send_text(&id, "to the slow site").await;
        v.client.ack(&id).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let mut w = VisitorClient::fresh(&srv.ws, &fast.sysnum).await;
    w.client.send_text("f1", "to the fast site").await;
    w.client.ack("f1").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while rx.received().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fast site's push waited behind the slow site's"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("fast site's push delivered after {:?}", started.elapsed());
    assert!(
        held.lock().unwrap().len() <= 2,
        "the slow site holds at most two attempts"
    );
    srv.stop().await;
}

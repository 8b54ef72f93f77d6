//! Web push to agents' phones (issue 27 item 6): subscriptions over the REST API (checked,
//! at most five per agent, deleted), the VAPID key kept in the database, and a new chat sent
//! to a push endpoint on 127.0.0.1 started here, which checks the request the way a push
//! service does — the VAPID JWT's ES256 signature with the key the server published, `aud`,
//! `exp`, `sub` — and decrypts the aes128gcm body (RFC 8291) with the subscription's private
//! key and auth secret that this test generated. The decryption here is written from the RFC,
//! independently of the server's code. A 410 from the endpoint removes the subscription.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use harness::*;
use hmac::{Hmac, Mac};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, ECDH_P256};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;
use sha2::Sha256;
use shared::webpush::{Notice, Subscribed, Subscription, SubscriptionKeys, Unsubscribe, VapidKey};

/// An agent's id (`kf_id`).
fn id(a: &frontdesk_server::admin::AgentCreated) -> i64 {
    a.kf_id.parse().unwrap()
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn unb64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).expect("base64url")
}

/// What a browser holds for one subscription: its ECDH private key and auth secret.
struct Browser {
    private: EphemeralPrivateKey,
    public: Vec<u8>,
    auth: [u8; 16],
}

impl Browser {
    fn new() -> Browser {
        let rng = SystemRandom::new();
        let private = EphemeralPrivateKey::generate(&ECDH_P256, &rng).unwrap();
        let public = private.compute_public_key().unwrap().as_ref().to_vec();
        let mut auth = [0u8; 16];
        rng.fill(&mut auth).unwrap();
        Browser {
            private,
            public,
            auth,
        }
    }

    fn subscription(&self, endpoint: &str) -> Subscription {
        Subscription {
            endpoint: endpoint.to_owned(),
            keys: SubscriptionKeys {
                p256dh: b64(&self.public),
                auth: b64(&self.auth),
            },
        }
    }

    /// Decrypts an aes128gcm body (RFC 8291 §3.3–3.4, RFC 8188 §2) → the plaintext.
    fn decrypt(self, body: &[u8]) -> Vec<u8> {
        use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
        let hmac = |key: &[u8], parts: &[&[u8]]| -> Vec<u8> {
            let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        };
        let salt = &body[..16];
        let rs = u32::from_be_bytes(body[16..20].try_into().unwrap());
        assert!(rs >= 18, "record size {rs}");
        let idlen = body[20] as usize;
        assert_eq!(idlen, 65, "the key id is the sender's P-256 public key");
        let as_public = body[21..21 + idlen].to_vec();
        let record = &body[21 + idlen..];
        assert!(record.len() <= rs as usize, "one record");
        let ecdh = agreement::agree_ephemeral(
            self.private,
            &UnparsedPublicKey::new(&ECDH_P256, &as_public),
            |s| s.to_vec(),
        )
        .expect("the sender's key is a P-256 point");
        let prk_key = hmac(&self.auth, &[&ecdh]);
        let ikm = hmac(
            &prk_key,
            &[b"WebPush: info\0", &self.public, &as_public, &[1]],
        );
        let prk = hmac(salt, &[&ikm]);
        let cek = hmac(&prk, &[b"Content-Encoding: aes128gcm\0", &[1]]);
        let nonce = hmac(&prk, &[b"Content-Encoding: nonce\0", &[1]]);
        let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek[..16]).unwrap());
        let mut data = record.to_vec();
        let plain = key
            .open_in_place(
                Nonce::try_assume_unique_for_key(&nonce[..12]).unwrap(),
                Aad::empty(),
                &mut data,
            )
            .expect("the record decrypts and its tag verifies");
        // Padding: the last record ends with 0x02 followed by zeros.
        let end = plain.iter().rposition(|&b| b != 0).expect("a delimiter");
        assert_eq!(plain[end], 2, "last-record delimiter");
        plain[..end].to_vec()
    }
}

/// A request the push endpoint got.
#[derive(Clone, Debug)]
struct Pushed {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A push endpoint on 127.0.0.1:0 that answers every request with `status`.
struct Endpoint {
    base: String,
    log: Arc<Mutex<Vec<Pushed>>>,
}

impl Endpoint {
    async fn start(status: StatusCode) -> Endpoint {
        let log: Arc<Mutex<Vec<Pushed>>> = Arc::default();
        let app = {
            let log = log.clone();
            axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
                let log = log.clone();
                async move {
                    log.lock().unwrap().push(Pushed {
                        path: uri.path().to_owned(),
                        headers,
                        body,
                    });
                    status
                }
            })
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Endpoint {
            base: format!("http://{addr}"),
            log,
        }
    }

    fn got(&self) -> Vec<Pushed> {
        self.log.lock().unwrap().clone()
    }
}

async fn vapid_key(srv: &TestServer, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/api/agent/push/key", srv.http))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn public_key(srv: &TestServer, token: &str) -> String {
    let r = vapid_key(srv, token).await;
    assert_eq!(r.status(), 200);
    r.json::<VapidKey>().await.unwrap().key
}

async fn subscribe(srv: &TestServer, token: &str, s: &Subscription) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/agent/push/subscription", srv.http))
        .bearer_auth(token)
        .json(s)
        .send()
        .await
        .unwrap()
}

async fn unsubscribe(srv: &TestServer, token: &str, endpoint: &str) -> reqwest::Response {
    reqwest::Client::new()
        .delete(format!("{}/api/agent/push/subscription", srv.http))
        .bearer_auth(token)
        .json(&Unsubscribe {
            endpoint: endpoint.to_owned(),
        })
        .send()
        .await
        .unwrap()
}

async fn endpoints_of(srv: &TestServer, agent_id: i64) -> Vec<String> {
    srv.db
        .webpush_subscriptions_of(agent_id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.endpoint)
        .collect()
}

#[tokio::test]
async fn subscriptions_are_checked_kept_to_five_and_deleted() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let ann = srv.agent(&site.sysnum, "ann@test").await;
    let bob = srv.agent(&site.sysnum, "bob@test").await;
    let token = srv.token("ann@test").await;
    let bob_token = srv.token("bob@test").await;

    // Only a logged-in agent gets the key or may subscribe.
    assert_eq!(vapid_key(&srv, "nope").await.status(), 401);
    let key = unb64(&public_key(&srv, &token).await);
    assert_eq!((key.len(), key[0]), (65, 4), "an uncompressed P-256 point");
    let b = Browser::new();
    let good = b.subscription("https://push.example.net/send/1");
    assert_eq!(subscribe(&srv, "nope", &good).await.status(), 401);

    // Refused: http (this server has no --webpush-allow-private), a long endpoint, keys
    // that are not a P-256 point and a 16-byte secret.
    let mut refused = vec![
        b.subscription("http://push.example.net/send/1"),
        b.subscription(&format!("https://push.example.net/{}", "a".repeat(1100))),
        b.subscription("javascript:alert(1)"),
    ];
    let mut short_auth = good.clone();
    short_auth.keys.auth = b64(&[1; 8]);
    let mut off_curve = good.clone();
    let mut k = b.public.clone();
    k[30] ^= 0x55;
    off_curve.keys.p256dh = b64(&k);
    refused.extend([short_auth, off_curve]);
    for s in &refused {
        let r = subscribe(&srv, &token, s).await;
        assert_eq!(r.status(), 400, "{}", s.endpoint);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "invalid", "{v}");
    }
    let r = reqwest::Client::new()
        .post(format!("{}/api/agent/push/subscription", srv.http))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"endpoint\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(endpoints_of(&srv, id(&ann)).await.is_empty());

    // Stored; the same endpoint again is one subscription (renewed keys).
    let r = subscribe(&srv, &token, &good).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Subscribed>().await.unwrap().subscriptions, 1);
    let again = Browser::new().subscription(&good.endpoint);
    assert_eq!(
        subscribe(&srv, &token, &again)
            .await
            .json::<Subscribed>()
            .await
            .unwrap()
            .subscriptions,
        1
    );
    let stored = srv.db.webpush_subscriptions_of(id(&ann)).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].p256dh, again.keys.p256dh);

    // At most five: the sixth replaces the oldest.
    for i in 2..=6 {
        let s = Browser::new().subscription(&format!("https://push.example.net/send/{i}"));
        let n = subscribe(&srv, &token, &s)
            .await
            .json::<Subscribed>()
            .await
            .unwrap()
            .subscriptions;
        assert_eq!(n, i.min(5));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let kept = endpoints_of(&srv, id(&ann)).await;
    assert_eq!(kept.len(), 5);
    assert!(!kept.contains(&good.endpoint), "the oldest went: {kept:?}");

    // Another agent cannot delete Ann's; Ann can.
    let two = "https://push.example.net/send/2".to_owned();
    assert_eq!(unsubscribe(&srv, &bob_token, &two).await.status(), 204);
    assert!(endpoints_of(&srv, id(&ann)).await.contains(&two));
    assert_eq!(unsubscribe(&srv, &token, &two).await.status(), 204);
    let kept = endpoints_of(&srv, id(&ann)).await;
    assert_eq!(kept.len(), 4);
    assert!(!kept.contains(&two));
    assert!(endpoints_of(&srv, id(&bob)).await.is_empty());
    srv.stop().await;
}

#[tokio::test]
async fn the_vapid_key_is_the_databases_across_nodes_and_restarts() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "ann@test").await;
    let token = srv.token("ann@test").await;
    let first = public_key(&srv, &token).await;
    // Another node on the same database signs with the same key…
    let other = srv.another_node().await;
    assert_eq!(public_key(&other, &token).await, first);
    other.stop().await;
    // …and so does a server started again on it (a new process state, the same rows).
    let again = srv.another_node().await;
    assert_eq!(public_key(&again, &token).await, first);
    again.stop().await;
    srv.stop().await;
}

/// Checks the request a push service would get; returns the decrypted notice.
fn check_push(p: &Pushed, endpoint: &Endpoint, server_key: &str, browser: Browser) -> Notice {
    use ring::signature::{UnparsedPublicKey as VerifyKey, ECDSA_P256_SHA256_FIXED};
    let h = |n: &str| {
        p.headers
            .get(n)
            .unwrap_or_else(|| panic!("header {n}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(h("content-encoding"), "aes128gcm");
    assert_eq!(h("urgency"), "high");
    let ttl: u64 = h("ttl").parse().unwrap();
    assert!(ttl > 0);
    // Authorization: vapid t=<JWT>, k=<the server's public key>
    let auth = h("authorization");
    let (t, k) = auth
        .strip_prefix("vapid t=")
        .and_then(|r| r.split_once(", k="))
        .unwrap_or_else(|| panic!("VAPID authorization: {auth}"));
    assert_eq!(k, server_key, "k is the key the server published");
    let (signed, sig) = t.rsplit_once('.').unwrap();
    let (header, claims) = signed.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&unb64(header)).unwrap();
    assert_eq!(header["alg"], "ES256");
    VerifyKey::new(&ECDSA_P256_SHA256_FIXED, unb64(server_key))
        .verify(signed.as_bytes(), &unb64(sig))
        .expect("the JWT's ES256 signature verifies with the published key");
    let claims: Value = serde_json::from_slice(&unb64(claims)).unwrap();
    assert_eq!(claims["aud"], endpoint.base, "aud is the endpoint's origin");
    let now = frontdesk_server::db::now_s();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(
        exp > now && exp <= now + 24 * 3600,
        "exp {exp} within 24 h of {now}"
    );
    assert!(
        claims["sub"]
            .as_str()
            .is_some_and(|s| s.starts_with("mailto:") || s.starts_with("https://")),
        "{claims}"
    );
    let plain = browser.decrypt(&p.body);
    serde_json::from_slice(&plain).expect("the payload is a Notice")
}

#[tokio::test]
async fn a_new_chat_is_pushed_signed_and_encrypted_to_an_agent_without_a_console() {
    let srv = TestServer::start_with(|c| c.webpush_allow_private = true).await;
    let site = srv.site().await;
    let ann = srv.agent(&site.sysnum, "ann@test").await;
    let token = srv.token("ann@test").await;
    let server_key = public_key(&srv, &token).await;
    let endpoint = Endpoint::start(StatusCode::CREATED).await;
    let browser = Browser::new();
    let url = format!("{}/push/ann-phone", endpoint.base);
    assert_eq!(
        subscribe(&srv, &token, &browser.subscription(&url))
            .await
            .status(),
        200
    );

    // Ann has no console open: a visitor's first message reaches her phone.
    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v.client.send_text("m1", "Hello, is anyone there?").await;
    v.client.ack("m1").await;
    let got = eventually("the push endpoint got a request", || async {
        match endpoint.got().as_slice() {
            [one] => Ok(one.clone()),
            other => Err(format!("{} requests", other.len())),
        }
    })
    .await;
    assert_eq!(got.path, "/push/ann-phone");
    let notice = check_push(&got, &endpoint, &server_key, browser);
    let gid = srv.gid(&site, &v.client.token).await;
    assert_eq!(notice.gid, gid);
    assert_eq!(notice.body, "Hello, is anyone there?");
    assert!(!notice.title.is_empty());
    // Delivered: nothing is owed any more.
    eventually("the outbox emptied", || async {
        let left = srv.db.webpush_deliveries_of(id(&ann)).await.unwrap();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("{left:?}"))
        }
    })
    .await;

    // The same visitor writing again is no new chat; nor is a chat for Ann while her
    // console is connected (the console alerts her itself).
    v.client.send_text("m2", "Still there?").await;
    v.client.ack("m2").await;
    let (mut console, _) = srv.agent_client("ann@test").await;
    let mut w = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    w.client.send_text("n1", "Another question").await;
    w.client.ack("n1").await;
    let _ = console.push(32399).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(endpoint.got().len(), 1, "no further push");
    srv.stop().await;
}

#[tokio::test]
async fn a_gone_subscription_is_deleted() {
    let srv = TestServer::start_with(|c| c.webpush_allow_private = true).await;
    let site = srv.site().await;
    let ann = srv.agent(&site.sysnum, "ann@test").await;
    let token = srv.token("ann@test").await;
    let endpoint = Endpoint::start(StatusCode::GONE).await;
    let url = format!("{}/push/expired", endpoint.base);
    let s = Browser::new().subscription(&url);
    assert_eq!(subscribe(&srv, &token, &s).await.status(), 200);
    assert_eq!(endpoints_of(&srv, id(&ann)).await, vec![url]);
    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v.client.send_text("m1", "hi").await;
    v.client.ack("m1").await;
    eventually("the 410 deleted the subscription", || async {
        let left = endpoints_of(&srv, id(&ann)).await;
        if left.is_empty() && endpoint.got().len() == 1 {
            Ok(())
        } else {
            Err(format!("{left:?}, {} requests", endpoint.got().len()))
        }
    })
    .await;
    assert!(srv
        .db
        .webpush_deliveries_of(id(&ann))
        .await
        .unwrap()
        .is_empty());
    srv.stop().await;
}

/// A push the service refuses for good (a 400) is logged as failed and keeps no visitor text
/// (the notice quotes the visitor's first message); the subscription stays.
#[tokio::test]
async fn a_refused_push_is_kept_as_failed_without_its_text() {
    let srv = TestServer::start_with(|c| c.webpush_allow_private = true).await;
    let site = srv.site().await;
    let bo = srv.agent(&site.sysnum, "bo@test").await;
    let token = srv.token("bo@test").await;
    let endpoint = Endpoint::start(StatusCode::BAD_REQUEST).await;
    let url = format!("{}/push/bad", endpoint.base);
    assert_eq!(
        subscribe(&srv, &token, &Browser::new().subscription(&url))
            .await
            .status(),
        200
    );
    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v.client.send_text("m1", "my secret order question").await;
    v.client.ack("m1").await;
    let log = eventually("the 400 was logged", || async {
        let log = srv.db.webpush_deliveries_of(id(&bo)).await.unwrap();
        match log.first() {
            Some(d) if d.state == "failed" => Ok(log),
            _ => Err(format!("{log:?}")),
        }
    })
    .await;
    assert_eq!(endpoint.got().len(), 1, "a 400 is not retried");
    assert_eq!(
        (log[0].last_status, log[0].payload.as_str()),
        (Some(400), "{}")
    );
    assert_eq!(endpoints_of(&srv, id(&bo)).await, vec![url]);
    srv.stop().await;
}

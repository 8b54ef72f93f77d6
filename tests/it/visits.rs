//! Visits, presence and invitations (issue 10, `server/src/trace.rs`): a pending visitor's
//! visit is kept from the first report and joins the conversation once they write; the
//! agent extensions `32800`/`32810`/`32811`; the presence long poll answered by an invitation;
//! refusals.

use std::time::Duration;

use harness::*;
use serde_json::{json, Value};

async fn post(srv: &TestServer, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", srv.http))
        .header("origin", &srv.http)
        .json(&body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn a_pending_visitors_visit_joins_their_conversation() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let (mut agent, _) = srv.agent_client("alice@test").await;
    // The notifier's hello without a token: a pending visitor (nothing stored).
    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let token = v.client.token.clone();
    let r = post(
        &srv,
        "/api/visitor/visit",
        json!({"sysnum": site.sysnum, "token": token,
               "params": {"tel": "18888888888", "groupid": "g1", "color": "ff0000"},
               "page": {"kind": "land", "url": "https://shop.test/", "title": "Home", "referrer": "",
                        "cur": {"cur_tags": "new"}}}),
    )
    .await;
    assert_eq!(r.status(), 204);
    for (url, kind) in [
        ("https://shop.test/p/1", "view"),
        ("https://shop.test/p/1", "chat"),
    ] {
        let r = post(
            &srv,
            "/api/visitor/visit",
            json!({"sysnum": site.sysnum, "token": token,
                   "page": {"kind": kind, "url": url, "title": "P1"}}),
        )
        .await;
        assert_eq!(r.status(), 204);
    }
    // Their first message: the visit is theirs.
    v.client.send_text("m1", "hello").await;
    v.client.ack("m1").await;
    let gid = agent.push(32399).await["data"]["gid"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = agent.request(json!({"api_key": 32800, "gid": gid})).await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(r["data"]["gid"], gid);
    assert_eq!(
        r["data"]["params"],
        json!({"tel": "18888888888", "groupid": "g1"})
    );
    let kinds: Vec<&str> = r["data"]["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["land", "view", "chat"]);
    assert_eq!(r["data"]["trace"][0]["cur"]["cur_tags"], "new");
    assert!(r["data"]["trace"][0]["ts"].as_i64().unwrap() > 0);
    // New values replace the old ones.
    let r = post(
        &srv,
        "/api/visitor/visit",
        json!({"sysnum": site.sysnum, "token": token, "params": {"tel": "1"}}),
    )
    .await;
    assert_eq!(r.status(), 204);
    let r = agent.request(json!({"api_key": 32800, "gid": gid})).await;
    assert_eq!(r["data"]["params"], json!({"tel": "1"}));
    // Another site's agent cannot read it.
    let other = srv.site().await;
    srv.agent(&other.sysnum, "bob@test").await;
    let (mut bob, _) = srv.agent_client("bob@test").await;
    let r = bob.request(json!({"api_key": 32800, "gid": gid})).await;
    assert_eq!(r["code"], -32303, "{r}");
    srv.stop().await;
}

#[tokio::test]
async fn visit_reports_are_refused_without_our_origin_a_known_token_or_within_bounds() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let token = v.client.token.clone();
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/api/visitor/visit", srv.http))
        .header("origin", "https://shop.example")
        .json(&json!({"sysnum": site.sysnum, "token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = post(
        &srv,
        "/api/visitor/visit",
        json!({"sysnum": site.sysnum, "token": "f".repeat(64)}),
    )
    .await;
    assert_eq!(r.status(), 401);
    // A pending token of another site is not this site's.
    let other = srv.site().await;
    let r = post(
        &srv,
        "/api/visitor/visit",
        json!({"sysnum": other.sysnum, "token": token}),
    )
    .await;
    assert_eq!(r.status(), 401);
    let big: serde_json::Map<String, Value> =
        (0..100).map(|i| (format!("k{i}"), json!("v"))).collect();
    let r = post(
        &srv,
        "/api/visitor/visit",
        json!({"sysnum": site.sysnum, "token": token, "params": big}),
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post(
        &srv,
        "/api/visitor/visit",
        json!({"sysnum": site.sysnum, "token": token, "page": {"kind": "elsewhere"}}),
    )
    .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    srv.stop().await;
}

#[tokio::test]
async fn an_agent_lists_who_is_on_the_site_and_their_poll_gets_the_invitation() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let (mut agent, _) = srv.agent_client("alice@test").await;
    let v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let token = v.client.token.clone();
    let body = json!({"sysnum": site.sysnum, "token": token, "url": "https://shop.test/shoes", "title": "Shoes"});
    let http = srv.http.clone();
    let poll = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{http}/api/visitor/presence"))
            .header("origin", &http)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    });
    let mut listed = Value::Null;
    for _ in 0..50 {
        let r = agent.request(json!({"api_key": 32810})).await;
        assert_eq!(r["code"], 200, "{r}");
        if let Some(e) = r["data"]
            .as_array()
            .and_then(|l| l.iter().find(|e| e["title"] == "Shoes"))
        {
            listed = e.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(listed["url"], "https://shop.test/shoes", "{listed}");
    assert!(
        listed.get("gid").is_none(),
        "a pending visitor has no gid yet"
    );
    let vid = listed["vid"].as_str().unwrap().to_owned();
    let r = agent
        .request(json!({"api_key": 32811, "gid": "nobody", "msg": "hi"}))
        .await;
    assert_eq!(r["code"], -32811);
    let r = agent
        .request(json!({"api_key": 32811, "gid": vid, "msg": "Need a size?"}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let answer = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("the poll is answered at once")
        .unwrap();
    assert_eq!(answer, json!({"invite": "Need a size?"}));
    // Another site's agent does not see this visitor.
    let other = srv.site().await;
    srv.agent(&other.sysnum, "bob@test").await;
    let (mut bob, _) = srv.agent_client("bob@test").await;
    let r = bob.request(json!({"api_key": 32810})).await;
    assert!(
        r["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["vid"] != vid.as_str()),
        "{r}"
    );
    srv.stop().await;
}

#[tokio::test]
async fn the_box_key_is_given_only_to_the_chat_origin_for_a_known_token() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let other = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let ask = |token: &str| json!({"sysnum": site.sysnum, "token": token});
    let key_of = |r: Value| r["key"].as_str().expect("a key").to_owned();

    let first = post(&srv, "/api/visitor/box-key", ask(&v.client.token)).await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.headers()["cache-control"],
        "no-store",
        "the key is never cached"
    );
    let key = key_of(first.json().await.unwrap());
    // Derived, not stored: the same token gets the same key; another visitor another key.
    let again = post(&srv, "/api/visitor/box-key", ask(&v.client.token)).await;
    assert_eq!(key_of(again.json().await.unwrap()), key);
    let theirs = post(&srv, "/api/visitor/box-key", ask(&other.client.token)).await;
    assert_ne!(key_of(theirs.json().await.unwrap()), key);

    // A token the server never minted, another page's origin, a malformed body.
    let r = post(&srv, "/api/visitor/box-key", ask("not-a-token")).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "unknown_visitor");
    let r = reqwest::Client::new()
        .post(format!("{}/api/visitor/box-key", srv.http))
        .header("origin", "https://shop.test")
        .json(&ask(&v.client.token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "forbidden");
    let r = post(&srv, "/api/visitor/box-key", json!({"sysnum": site.sysnum})).await;
    assert_eq!(r.status(), 400);
}

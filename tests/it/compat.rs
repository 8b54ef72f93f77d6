//! Seed 002 (WeChat-style account API) and seed 000 (`/api/group/{business_id}`) over real
//! HTTP, plus `frontdesk admin agent passwd` for agents created through `kfaccount/add`.

use frontdesk_server::admin::SiteCreated;
use harness::{eventually, login, AgentClient, ProcessServer, TestServer, VisitorClient};
use serde_json::{json, Value};

async fn get(url: &str) -> (u16, Value) {
    let r = reqwest::get(url).await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json body"))
}

async fn post(url: &str, body: &str) -> Value {
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 200, "WeChat-style errors are HTTP 200");
    r.json().await.expect("json body")
}

/// `GET` expecting HTTP 200 (seed 002 answers every error with 200 and an errcode).
async fn get200(url: &str) -> Value {
    let (status, v) = get(url).await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn access_token(srv: &TestServer, site: &SiteCreated) -> String {
    let v = get200(&format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        srv.http, site.appid, site.secret
    ))
    .await;
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {v}"))
        .to_owned()
}

fn errcode(v: &Value) -> i64 {
    v["errcode"]
        .as_i64()
        .unwrap_or_else(|| panic!("no errcode: {v}"))
}

async fn online(srv: &TestServer, token: &str) -> Vec<Value> {
    let v = get200(&format!(
        "{}/cgi-bin/customservice/getonlinekflist?access_token={token}",
        srv.http
    ))
    .await;
    v["kf_online_list"]
        .as_array()
        .unwrap_or_else(|| panic!("no kf_online_list: {v}"))
        .clone()
}

/// Polls getonlinekflist until `pred` holds (connection changes reach the hub
/// asynchronously).
async fn online_until(
    srv: &TestServer,
    token: &str,
    pred: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    eventually("the online list as expected", || async {
        let list = online(srv, token).await;
        if pred(&list) {
            Ok(list)
        } else {
            Err(format!("{list:?}"))
        }
    })
    .await
}

#[tokio::test]
async fn token_happy_path_and_every_error_code() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let base = format!("{}/cgi-bin/token", srv.http);

    let v = get200(&format!(
        "{base}?grant_type=client_credential&appid={}&secret={}",
        site.appid, site.secret
    ))
    .await;
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["access_token", "expires_in"], "{v}");
    assert_eq!(v["expires_in"], 7200);
    let token = v["access_token"].as_str().unwrap();
    assert!(token.len() >= 32);
    let stored = srv.db.access_token(token).await.unwrap().expect("stored");
    assert!(!stored.expired());

    let cases = [
        (
            format!("{base}?appid={}&secret={}", site.appid, site.secret),
            40002,
        ),
        (
            format!(
                "{base}?grant_type=password&appid={}&secret={}",
                site.appid, site.secret
            ),
            40002,
        ),
        (
            format!("{base}?grant_type=client_credential&secret={}", site.secret),
            41002,
        ),
        (
            format!("{base}?grant_type=client_credential&appid={}", site.appid),
            41004,
        ),
        (
            format!(
                "{base}?grant_type=client_credential&appid=nope&secret={}",
                site.secret
            ),
            // One answer for an unknown appid and a wrong secret (issue 22).
            40001,
        ),
        (
            format!(
                "{base}?grant_type=client_credential&appid={}&secret={}x",
                site.appid, site.secret
            ),
            40001,
        ),
        (
            format!(
                "{base}?grant_type=client_credential&appid={}&secret=short",
                site.appid
            ),
            40001,
        ),
    ];
    for (url, code) in cases {
        let v = get200(&url).await;
        assert_eq!(errcode(&v), code, "{url}: {v}");
        assert!(v["errmsg"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    // Wrong method.
    let r = reqwest::Client::new().put(&base).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(errcode(&r.json().await.unwrap()), 43001);
    // POST with the credentials in a JSON body (the secret stays out of URLs).
    let r = reqwest::Client::new().post(&base).send().await.unwrap();
    assert_eq!(errcode(&r.json().await.unwrap()), 44002);
    let r = reqwest::Client::new()
        .post(&base)
        .json(&serde_json::json!({"grant_type": "client_credential", "appid": site.appid, "secret": site.secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v: Value = r.json().await.unwrap();
    assert!(
        v["access_token"].as_str().is_some_and(|t| t.len() >= 32),
        "{v}"
    );
    srv.stop().await;
}

#[tokio::test]
async fn missing_unknown_and_expired_access_tokens() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let list = format!("{}/cgi-bin/customservice/getkflist", srv.http);
    assert_eq!(errcode(&get200(&list).await), 41001);
    assert_eq!(
        errcode(&get200(&format!("{list}?access_token=")).await),
        41001
    );
    assert_eq!(
        errcode(&get200(&format!("{list}?access_token=deadbeef")).await),
        40001
    );
    let expired = srv
        .db
        .create_access_token(site.business_id, -1)
        .await
        .unwrap();
    for path in [
        "cgi-bin/customservice/getkflist",
        "cgi-bin/customservice/getonlinekflist",
    ] {
        let v = get200(&format!("{}/{path}?access_token={expired}", srv.http)).await;
        assert_eq!(errcode(&v), 42001, "{path}: {v}");
    }
    let v = post(
        &format!(
            "{}/customservice/kfaccount/add?access_token={expired}",
            srv.http
        ),
        r#"{"kf_account":"a@b","nickname":"n"}"#,
    )
    .await;
    assert_eq!(errcode(&v), 42001);
    assert!(srv.db.agent_by_account("a@b").await.unwrap().is_none());
    srv.stop().await;
}

#[tokio::test]
async fn getkflist_has_the_seed_shape() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "test1@test").await;
    srv.agent(&site.sysnum, "test2@test").await;
    let token = access_token(&srv, &site).await;
    let v = get200(&format!(
        "{}/cgi-bin/customservice/getkflist?access_token={token}",
        srv.http
    ))
    .await;
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["kf_list"]);
    let list = v["kf_list"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    for (entry, (account, id)) in list
        .iter()
        .zip([("test1@test", "1001"), ("test2@test", "1002")])
    {
        let mut keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            vec!["kf_account", "kf_headimgurl", "kf_id", "kf_nick"]
        );
        assert_eq!(entry["kf_account"], account);
        assert_eq!(entry["kf_id"], id, "kf_id is a string");
        assert_eq!(entry["kf_nick"], account);
        assert!(entry["kf_headimgurl"].is_string());
    }
    srv.stop().await;
}

#[tokio::test]
async fn getonlinekflist_follows_live_agent_connections() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    srv.agent(&site.sysnum, "bob@test").await;
    let token = access_token(&srv, &site).await;
    assert!(online(&srv, &token).await.is_empty());

    let (mut alice, _) = srv.agent_client("alice@test").await;
    let list = online_until(&srv, &token, |l| l.len() == 1).await;
    assert_eq!(
        list[0],
        json!({"kf_account": "alice@test", "status": 1, "kf_id": "1001", "accepted_case": 0})
    );
    // A visitor writes; alice (the only online agent) is assigned.
    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v.client.send_text("m1", "hello?").await;
    v.client.ack("m1").await;
    alice.push(32399).await;
    let list = online_until(&srv, &token, |l| l.len() == 1 && l[0]["accepted_case"] == 1).await;
    assert_eq!(list[0]["kf_account"], "alice@test");

    // Bob comes online too.
    let (mut bob, _) = srv.agent_client("bob@test").await;
    let list = online_until(&srv, &token, |l| l.len() == 2).await;
    assert_eq!(list[1]["kf_account"], "bob@test");
    assert_eq!(list[1]["accepted_case"], 0);

    // Suspended agents are not online.
    let r = bob.request(json!({"api_key": 32500, "status": 1})).await;
    assert_eq!(r["code"], 200);
    let list = online_until(&srv, &token, |l| l.len() == 1).await;
    assert_eq!(list[0]["kf_account"], "alice@test");
    let r = bob.request(json!({"api_key": 32500, "status": 0})).await;
    assert_eq!(r["code"], 200);
    online_until(&srv, &token, |l| l.len() == 2).await;

    // Disconnected agents are not online.
    drop(alice);
    let list = online_until(&srv, &token, |l| l.len() == 1).await;
    assert_eq!(list[0]["kf_account"], "bob@test");
    drop(bob);
    online_until(&srv, &token, |l| l.is_empty()).await;
    srv.stop().await;
}

#[tokio::test]
async fn kfaccount_add_creates_an_agent_in_the_tokens_site() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let token = access_token(&srv, &site).await;
    let add = format!(
        "{}/customservice/kfaccount/add?access_token={token}",
        srv.http
    );
    let v = post(&add, r#"{"kf_account":"test1@test","nickname":"客服1"}"#).await;
    assert_eq!(v, json!({"errcode": 0, "errmsg": "ok"}));

    let v = get200(&format!(
        "{}/cgi-bin/customservice/getkflist?access_token={token}",
        srv.http
    ))
    .await;
    let list = v["kf_list"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["kf_account"], "test1@test");
    assert_eq!(list[0]["kf_nick"], "客服1");
    assert_eq!(list[0]["kf_id"], "1001");
    let agent = srv
        .db
        .agent_by_account("test1@test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(agent.site_id, site.business_id);

    let cases: [(&str, i64); 10] = [
        (r#"{"kf_account":"test1@test","nickname":"again"}"#, 65406),
        (r#"{"kf_account":"no-at-sign","nickname":"n"}"#, 65404),
        (r#"{"kf_account":"a b@test","nickname":"n"}"#, 65404),
        (r#"{"kf_account":"x@test","nickname":"   "}"#, 65403),
        (r#"{"kf_account":"x@test","nickname":""}"#, 65403),
        (r#"{"kf_account":"x@test"}"#, 47001),
        (r#"{"kf_account":7,"nickname":"n"}"#, 47001),
        (r#"{"kf_account":"x@test","nickname":"n""#, 47001),
        (r#"["x@test","n"]"#, 47001),
        ("", 44002),
    ];
    for (body, code) in cases {
        let v = post(&add, body).await;
        assert_eq!(errcode(&v), code, "{body}: {v}");
    }
    let long_nick = "长".repeat(65);
    let v = post(
        &add,
        &json!({"kf_account": "x@test", "nickname": long_nick}).to_string(),
    )
    .await;
    assert_eq!(errcode(&v), 65403);
    assert!(srv.db.agent_by_account("x@test").await.unwrap().is_none());
    assert_eq!(
        srv.db.agents_of_site(site.business_id).await.unwrap().len(),
        1
    );

    // The created agent cannot log in until an operator sets a password.
    let r = reqwest::Client::new()
        .post(format!("{}/api/agent/login", srv.http))
        .json(&json!({"account": "test1@test", "password": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // Wrong method.
    let r = reqwest::get(&add).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(errcode(&r.json().await.unwrap()), 43002);
    srv.stop().await;
}

#[tokio::test]
async fn access_tokens_see_only_their_own_site() {
    let srv = TestServer::start().await;
    let a = srv.site().await;
    let b = srv.site().await;
    srv.agent(&a.sysnum, "alice@a").await;
    srv.agent(&b.sysnum, "bob@b").await;
    let (_alice, _) = srv.agent_client("alice@a").await;
    let (_bob, _) = srv.agent_client("bob@b").await;
    let ta = access_token(&srv, &a).await;
    let tb = access_token(&srv, &b).await;
    // Site A's appid with site B's secret is refused.
    let v = get200(&format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        srv.http, a.appid, b.secret
    ))
    .await;
    assert_eq!(errcode(&v), 40001);

    for (token, mine) in [(&ta, "alice@a"), (&tb, "bob@b")] {
        let v = get200(&format!(
            "{}/cgi-bin/customservice/getkflist?access_token={token}",
            srv.http
        ))
        .await;
        let accounts: Vec<&str> = v["kf_list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kf_account"].as_str().unwrap())
            .collect();
        assert_eq!(accounts, vec![mine]);
        let list = online_until(&srv, token, |l| !l.is_empty()).await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["kf_account"], mine);
    }
    let v = post(
        &format!("{}/customservice/kfaccount/add?access_token={tb}", srv.http),
        r#"{"kf_account":"carol@b","nickname":"Carol"}"#,
    )
    .await;
    assert_eq!(errcode(&v), 0);
    let carol = srv.db.agent_by_account("carol@b").await.unwrap().unwrap();
    assert_eq!(carol.site_id, b.business_id);
    // Accounts are unique across sites, and site a may not learn that carol@b exists: an
    // `@b` account is simply invalid for it (issue 8).
    let v = post(
        &format!("{}/customservice/kfaccount/add?access_token={ta}", srv.http),
        r#"{"kf_account":"carol@b","nickname":"Carol"}"#,
    )
    .await;
    assert_eq!(errcode(&v), 65404);
    srv.stop().await;
}

#[tokio::test]
async fn api_group_lists_a_sites_enabled_groups() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let other = srv.site().await;
    let g1 = srv
        .db
        .create_group(site.business_id, "test1")
        .await
        .unwrap();
    let g2 = srv
        .db
        .create_group(site.business_id, "多商戶分組1")
        .await
        .unwrap();
    srv.db
        .create_group(other.business_id, "elsewhere")
        .await
        .unwrap();

    let (status, v) = get(&format!("{}/api/group/{}", srv.http, site.business_id)).await;
    assert_eq!(status, 200);
    assert_eq!(
        v,
        json!({"code": 0, "msg": [
            {"id": g1.id, "groupname": "test1"},
            {"id": g2.id, "groupname": "多商戶分組1"},
        ]})
    );
    assert!(v["msg"][0]["id"].is_i64(), "ids are numbers");

    let (status, v) = get(&format!("{}/api/group/{}", srv.http, other.business_id)).await;
    assert_eq!(status, 200);
    assert_eq!(v["msg"].as_array().unwrap().len(), 1);

    for (path, want) in [
        ("abc", 400),
        ("-1", 400),
        ("0", 400),
        ("1.5", 400),
        ("99999", 404),
    ] {
        let (status, v) = get(&format!("{}/api/group/{path}", srv.http)).await;
        assert_eq!(status, want, "{path}: {v}");
        assert_eq!(v["code"], 1, "{path}: {v}");
        assert!(v["msg"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    srv.stop().await;
}

fn admin(db: &str, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk-under-test"))
        .args(["admin", "--database-url", db])
        .args(args)
        .env_remove("FRONTDESK_AGENT_PASSWORD")
        .output()
        .expect("run frontdesk");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn admin_agent_passwd_lets_an_api_created_agent_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("c.db")).await;
    let db = tdb.url.clone();
    let (code, out, err) = admin(&db, &["site", "create", "--name", "Shop", "--json"]);
    assert_eq!(code, 0, "{err}");
    let site: Value = serde_json::from_str(out.trim()).unwrap();
    let srv = ProcessServer::spawn(env!("CARGO_BIN_EXE_frontdesk-under-test"), &db, &[]).await;

    let v = get200(&format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        srv.http,
        site["appid"].as_str().unwrap(),
        site["secret"].as_str().unwrap()
    ))
    .await;
    let token = v["access_token"].as_str().unwrap().to_owned();
    let v = post(
        &format!(
            "{}/customservice/kfaccount/add?access_token={token}",
            srv.http
        ),
        r#"{"kf_account":"kf1@shop","nickname":"客服1"}"#,
    )
    .await;
    assert_eq!(errcode(&v), 0);

    let pw = "a new password";
    let (code, _, err) = admin(
        &db,
        &[
            "agent",
            "passwd",
            "--account",
            "kf1@shop",
            "--password",
            "short",
        ],
    );
    assert_eq!(code, 2, "too short: {err}");
    assert!(err.contains("8 characters"), "{err}");
    let (code, _, err) = admin(
        &db,
        &[
            "agent",
            "passwd",
            "--account",
            "nobody@shop",
            "--password",
            pw,
        ],
    );
    assert_eq!(code, 2, "unknown account: {err}");
    assert!(err.contains("nobody@shop"), "{err}");
    let (code, out, err) = admin(
        &db,
        &["agent", "passwd", "--account", "kf1@shop", "--password", pw],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kf1@shop"), "{out}");

    let agent_token = login(&srv.http, "kf1@shop", pw).await;
    let (mut c, r) = AgentClient::login(&srv.ws, &agent_token).await;
    assert_eq!(r["code"], 200);
    let r = c.request(json!({"api_key": 33000})).await;
    assert_eq!(r["code"], 200);

    // Setting it again revokes the earlier agent token.
    let (code, _, err) = admin(
        &db,
        &[
            "agent",
            "passwd",
            "--account",
            "kf1@shop",
            "--password",
            "another password",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut c = AgentClient::connect(&srv.ws).await;
    let r = c
        .request(json!({"api_key": 31000, "call_type": 3, "token": agent_token}))
        .await;
    assert_ne!(r["code"], 200, "revoked: {r}");
    srv.kill9().await;
}

/// `admin agent set --avatar URL --nick N` (issue 24): seed 002's list shows the avatar as
/// `kf_headimgurl`; a URL that is not http(s), an unknown account and nothing to set are
/// refused and change nothing.
#[tokio::test]
async fn admin_agent_set_changes_the_avatar_seed_002_lists() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "face@test").await;
    let db = srv.tdb.url.clone();
    let run = |args: &[&str]| crate::cli::run(&db, args);
    let (code, _, err) = run(&[
        "agent",
        "set",
        "--account",
        "face@test",
        "--avatar",
        "https%3A%2F%2Fimg.example.com%2Fkim.png",
        "--nick",
        "Kim",
    ]);
    assert_eq!(code, 0, "{err}");
    for (args, says) in [
        (
            vec![
                "agent",
                "set",
                "--account",
                "face@test",
                "--avatar",
                "javascript:alert(1)",
            ],
            "http(s)",
        ),
        (
            vec!["agent", "set", "--account", "nobody@test", "--nick", "X"],
            "no agent",
        ),
        (
            vec!["agent", "set", "--account", "face@test"],
            "nothing to set",
        ),
        (
            vec!["agent", "set", "--account", "face@test", "--max-chats", "0"],
            "1-1000",
        ),
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let token = access_token(&srv, &site).await;
    let v = get200(&format!(
        "{}/cgi-bin/customservice/getkflist?access_token={token}",
        srv.http
    ))
    .await;
    let me = &v["kf_list"][0];
    assert_eq!(
        me["kf_headimgurl"], "https://img.example.com/kim.png",
        "{v}"
    );
    assert_eq!(me["kf_nick"], "Kim");
    srv.stop().await;
}

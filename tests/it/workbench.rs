//! The agent's workbench (issue 25): search over a site's conversations (`32900`: Chinese
//! words in messages, `partnerid`s, notes, summaries and labels; highlights; paging), private
//! notes (`32910`/`32911`, never seen by the visitor or the push URL), a conversation's
//! summary and labels when a chat ends (`32600`, the site's rules `32610`), reading one
//! conversation (`32830`), and an agent of another site seeing nothing of any of it.

use harness::*;
use serde_json::{json, Value};
use shared::agent::Request;
use shared::visitor::Hello;
use shared::workbench::EndSummary;

fn req(r: Request) -> Value {
    serde_json::to_value(r).expect("requests serialise")
}

/// A visitor of `sysnum` with a name and a claimed `partnerid` who wrote `text` (acked);
/// their gid as `agent` learnt it.
async fn named_visitor(
    srv: &TestServer,
    sysnum: &str,
    agent: &mut AgentClient,
    uname: &str,
    partnerid: &str,
    text: &str,
) -> (Session, String) {
    let h = Hello {
        uname: Some(uname.into()),
        partnerid: Some(partnerid.into()),
        ..hello(sysnum, None, 0)
    };
    let mut v = VisitorClient::hello(&srv.ws, h).await.expect("welcome");
    v.client.send_text("first", text).await;
    v.client.ack("first").await;
    let push = agent.push(32399).await;
    let gid = push["data"]["gid"].as_str().expect("gid").to_owned();
    (v, gid)
}

/// Searches until `check` accepts the answer (the indexer works in the background).
async fn search_until(
    agent: &mut AgentClient,
    q: &str,
    size: u32,
    page: u32,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..250 {
        let r = agent.request(req(Request::search(q, page, size))).await;
        assert_eq!(r["code"], 200, "{r}");
        if check(&r["data"]) {
            return r["data"].clone();
        }
        last = r;
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    panic!("search {q:?} never gave what was expected; last: {last}");
}

fn hits(d: &Value) -> &Vec<Value> {
    d["hits"].as_array().expect("hits")
}

/// The marked runs of a hit's snippet, joined.
fn marked(hit: &Value) -> String {
    hit["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["hit"] == true)
        .map(|m| m["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("|")
}

#[tokio::test]
async fn search_finds_chinese_words_partnerids_notes_and_summaries() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@shop").await;
    let (mut alice, _) = srv.agent_client("alice@shop").await;
    let (_v, gid) = named_visitor(
        &srv,
        &site.sysnum,
        &mut alice,
        "王小明",
        "u-1001",
        "我想退货，请问运费谁出？",
    )
    .await;
    let r = alice
        .request(req(Request::send(&gid, "好的，退货运费由我们承担。", 0)))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    // Another visitor who says nothing of returns.
    let (_w, other) = named_visitor(
        &srv,
        &site.sysnum,
        &mut alice,
        "Li",
        "u-2002",
        "Shipping to Shanghai?",
    )
    .await;

    // A Chinese word inside both messages: two message hits, the word marked, newest first.
    let d = search_until(&mut alice, "退货", 20, 1, |d| d["total"] == 2).await;
    let h = hits(&d);
    assert!(
        h.iter()
            .all(|x| x["gid"] == gid.as_str() && x["field"] == "message"),
        "{d}"
    );
    assert_eq!(h[0]["seq"], 2, "newest first: {d}");
    assert_eq!(marked(&h[0]), "退货");
    assert!(h[0]["conversation"].is_string(), "{d}");
    // Traditional characters find the same words.
    let d = search_until(&mut alice, "退貨", 20, 1, |d| d["total"] == 2).await;
    assert_eq!(hits(&d).len(), 2);
    // Paging: one hit a page.
    let p1 = search_until(&mut alice, "退货", 1, 1, |d| hits(d).len() == 1).await;
    let p2 = search_until(&mut alice, "退货", 1, 2, |d| hits(d).len() == 1).await;
    assert_eq!(
        (p1["total"].clone(), p2["total"].clone()),
        (json!(2), json!(2))
    );
    assert_ne!(hits(&p1)[0]["seq"], hits(&p2)[0]["seq"]);
    // A partnerid (claimed, unverified) and a name find the visitor's profile.
    let d = search_until(&mut alice, "u-1001", 20, 1, |d| {
        hits(d).iter().any(|h| h["field"] == "profile")
    })
    .await;
    let p: Vec<&Value> = hits(&d)
        .iter()
        .filter(|h| h["field"] == "profile")
        .collect();
    assert_eq!(p.len(), 1, "{d}");
    assert_eq!(p[0]["gid"], gid.as_str());
    assert_eq!(p[0]["partnerid"], "u-1001");
    assert_eq!(p[0]["partnerid_verified"], false);
    assert_eq!(marked(p[0]), "u-1001");
    let d = search_until(&mut alice, "小明", 20, 1, |d| d["total"] == 1).await;
    assert_eq!(hits(&d)[0]["field"], "profile");
    let d = search_until(&mut alice, "shipping", 20, 1, |d| d["total"] == 1).await;
    assert_eq!(hits(&d)[0]["gid"], other.as_str());

    // A note is found (and says it is one).
    let r = alice
        .request(req(Request::note(&gid, "客户很着急，优先处理")))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(r["data"]["kf_id"], alice_kf(&srv).await);
    let d = search_until(&mut alice, "着急", 20, 1, |d| d["total"] == 1).await;
    assert_eq!(hits(&d)[0]["field"], "note");
    assert_eq!(marked(&hits(&d)[0]), "着急");

    // The chat ends with a summary and labels; they are found, and open the conversation.
    let end = EndSummary {
        category: "售后".into(),
        summary: "已安排上门取件".into(),
        labels: vec!["vip".into(), "refund".into()],
    };
    let r = alice.request(req(Request::end_chat_with(&gid, &end))).await;
    assert_eq!(r["code"], 200, "{r}");
    let d = search_until(&mut alice, "VIP", 20, 1, |d| d["total"] == 1).await;
    let h = &hits(&d)[0];
    assert_eq!(h["field"], "summary");
    let conv = h["conversation"]
        .as_str()
        .expect("a summary names its conversation");
    let r = alice.request(req(Request::conversation(conv))).await;
    assert_eq!(r["code"], 200, "{r}");
    let c = &r["data"];
    assert_eq!(c["conversation"]["gid"], gid.as_str());
    assert_eq!(c["conversation"]["labels"], json!(["vip", "refund"]));
    assert_eq!(c["conversation"]["category"], "售后");
    assert_eq!(c["conversation"]["summary"], "已安排上门取件");
    assert!(c["conversation"]["ended_at"].as_i64().unwrap() > 0);
    let texts: Vec<&str> = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["msg"].as_str().unwrap())
        .collect();
    assert_eq!(texts[0], "我想退货，请问运费谁出？");
    assert!(texts.contains(&"好的，退货运费由我们承担。"), "{texts:?}");
    assert_eq!(c["notes"][0]["msg"], "客户很着急，优先处理");
    // A message hit opens the same conversation by gid and seq.
    let r = alice.request(req(Request::conversation_at(&gid, 1))).await;
    assert_eq!(r["data"]["conversation"]["id"], conv);
    srv.stop().await;
}

async fn alice_kf(srv: &TestServer) -> String {
    srv.db
        .agent_by_account("alice@shop")
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

#[tokio::test]
async fn notes_never_reach_the_visitor_or_the_push_url() {
    use frontdesk_server::admin::{self, SiteSettings};
    let rx = crate::push::Receiver::start(0).await;
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    admin::set_site(
        &srv.db,
        &site.sysnum,
        SiteSettings {
            push_url: Some(format!("{}/hook", rx.base)),
            push_allow_private: Some(true),
            ..SiteSettings::default()
        },
    )
    .await
    .unwrap();
    srv.agent(&site.sysnum, "alice@shop").await;
    let (mut alice, _) = srv.agent_client("alice@shop").await;
    let (mut v, gid) = srv.visitor_to(&site.sysnum, &mut alice, "hi").await;
    let r = alice
        .request(req(Request::note(&gid, "SECRET-NOTE 这位客户很难缠")))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let r = alice
        .request(req(Request::send(&gid, "How can I help?", 0)))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    // The visitor's next message is the reply, not the note.
    let m = v.client.next_msg().await;
    assert_eq!(m.body, "How can I help?");
    // Both messages were pushed (the visitor's and the reply), the note never.
    let got = rx.wait_for(2).await;
    assert_eq!(got.len(), 2);
    assert!(got
        .iter()
        .all(|r| !String::from_utf8_lossy(&r.body).contains("SECRET-NOTE")));
    // A new tab's replay holds no note either.
    let s = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&v.client.token), 0))
        .await
        .expect("welcome");
    assert_eq!(s.replay.len(), 2);
    assert!(s.replay.iter().all(|m| !m.body.contains("SECRET-NOTE")));
    // Agents see it.
    let r = alice.request(req(Request::notes(&gid))).await;
    assert_eq!(r["data"]["notes"][0]["msg"], "SECRET-NOTE 这位客户很难缠");
    assert_eq!(r["data"]["notes"][0]["after_seq"], 1);
    // And the push log holds no delivery with it (nothing left to send later).
    let log = srv
        .db
        .push_deliveries_of_site(site.business_id)
        .await
        .unwrap();
    assert!(log.iter().all(|d| !d.payload.contains("SECRET-NOTE")));
    srv.stop().await;
}

#[tokio::test]
async fn a_site_may_require_a_summary_from_its_categories() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let bad = "x".repeat(65);
    assert!(
        frontdesk_server::admin::set_summary_rules(&srv.db, &site.sysnum, None, Some(&bad))
            .await
            .is_err()
    );
    frontdesk_server::admin::set_summary_rules(
        &srv.db,
        &site.sysnum,
        Some(true),
        Some("退货, 咨询,退货"),
    )
    .await
    .unwrap();
    srv.agent(&site.sysnum, "alice@shop").await;
    let (mut alice, _) = srv.agent_client("alice@shop").await;
    let r = alice.request(req(Request::end_rules())).await;
    assert_eq!(
        r["data"],
        json!({"required": true, "categories": ["退货", "咨询"]})
    );
    let (_v, gid) = srv.visitor_to(&site.sysnum, &mut alice, "hi").await;
    let r = alice.request(req(Request::end_chat(&gid))).await;
    assert_eq!(r["code"], -32602, "{r}");
    let wrong = EndSummary {
        category: "投诉".into(),
        summary: "x".into(),
        labels: vec![],
    };
    let r = alice
        .request(req(Request::end_chat_with(&gid, &wrong)))
        .await;
    assert_eq!(r["code"], -32603, "{r}");
    // Refused ends changed nothing: the agent still serves the visitor.
    let r = alice
        .request(req(Request::send(&gid, "still here", 0)))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let good = EndSummary {
        category: "咨询".into(),
        summary: "问候".into(),
        labels: vec!["first-contact".into()],
    };
    let r = alice
        .request(req(Request::end_chat_with(&gid, &good)))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let r = alice.request(req(Request::conversation_at(&gid, 1))).await;
    let c = &r["data"]["conversation"];
    assert_eq!(c["category"], "咨询");
    assert_eq!(c["first_seq"], 1);
    assert_eq!(
        c["last_seq"],
        r["data"]["messages"].as_array().unwrap().len()
    );
    assert_eq!(c["labels"], json!(["first-contact"]));
    srv.stop().await;
}

#[tokio::test]
async fn an_agent_of_another_site_sees_nothing_of_this_one() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let other = srv.site().await;
    srv.agent(&site.sysnum, "alice@shop").await;
    srv.agent(&other.sysnum, "bob@other").await;
    let (mut alice, _) = srv.agent_client("alice@shop").await;
    let (mut bob, _) = srv.agent_client("bob@other").await;
    let (_v, gid) =
        named_visitor(&srv, &site.sysnum, &mut alice, "张三", "p-77", "退货怎么办").await;
    let r = alice.request(req(Request::note(&gid, "退货客户"))).await;
    assert_eq!(r["code"], 200);
    let r = alice
        .request(req(Request::end_chat_with(
            &gid,
            &EndSummary {
                category: "退货".into(),
                summary: "退货".into(),
                labels: vec!["退货".into()],
            },
        )))
        .await;
    assert_eq!(r["code"], 200);
    let d = search_until(&mut alice, "退货", 20, 1, |d| d["total"] == 3).await;
    let conv = hits(&d)
        .iter()
        .find_map(|h| h["conversation"].as_str())
        .unwrap()
        .to_owned();
    // Bob's site has nothing of it: no hit of any kind, no note, no conversation.
    for q in ["退货", "p-77", "张三"] {
        let r = bob.request(req(Request::search(q, 1, 20))).await;
        assert_eq!(r["data"]["total"], 0, "{q}: {r}");
    }
    assert_eq!(bob.request(req(Request::notes(&gid))).await["code"], -32303);
    assert_eq!(
        bob.request(req(Request::note(&gid, "hello"))).await["code"],
        -32303
    );
    assert_eq!(
        bob.request(req(Request::conversation(&conv))).await["code"],
        -32831
    );
    assert_eq!(
        bob.request(req(Request::conversation_at(&gid, 1))).await["code"],
        -32303
    );
    srv.stop().await;
}

#[tokio::test]
async fn an_erasure_takes_the_visitors_notes_summaries_and_search_terms_with_it() {
    use frontdesk_server::admin::{self, Whom};
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@shop").await;
    let (mut alice, _) = srv.agent_client("alice@shop").await;
    let (_v, gid) = srv.visitor_to(&site.sysnum, &mut alice, "我要退货").await;
    assert_eq!(
        alice.request(req(Request::note(&gid, "退货客户"))).await["code"],
        200
    );
    let end = EndSummary {
        category: "售后".into(),
        summary: "退货完成".into(),
        labels: vec!["refund".into()],
    };
    assert_eq!(
        alice.request(req(Request::end_chat_with(&gid, &end))).await["code"],
        200
    );
    search_until(&mut alice, "退货", 20, 1, |d| d["total"] == 3).await;
    admin::erase_visitor(
        &srv.db,
        &site.sysnum,
        &Whom::Visitor(gid.parse().unwrap()),
        "asked",
    )
    .await
    .unwrap();
    for q in ["退货", "refund"] {
        let r = alice.request(req(Request::search(q, 1, 20))).await;
        assert_eq!(r["data"]["total"], 0, "{q}: {r}");
    }
    assert_eq!(
        alice.request(req(Request::notes(&gid))).await["data"]["notes"],
        json!([])
    );
    let r = alice.request(req(Request::conversation_at(&gid, 1))).await;
    assert_eq!(r["data"]["conversation"]["summary"], "");
    srv.stop().await;
}

#[tokio::test]
async fn canned_replies_from_the_cli_and_the_console_are_the_sites_and_the_agents_own() {
    use crate::cli::run;
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let other = srv.site().await;
    srv.agent(&site.sysnum, "alice@shop").await;
    srv.agent(&site.sysnum, "bob@shop").await;
    srv.agent(&other.sysnum, "eve@other").await;
    let db = srv.tdb.url.clone();
    let s = site.sysnum.as_str();
    let (code, out, err) = run(
        &db,
        &[
            "canned",
            "add",
            "--site",
            s,
            "--shortcut",
            "/hi",
            "--text",
            "{name}您好，我是{agent}",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        serde_json::from_str::<Value>(&out).unwrap()["id"].is_i64(),
        "{out}"
    );
    let (code, _, err) = run(
        &db,
        &[
            "canned",
            "add",
            "--site",
            s,
            "--agent",
            "alice@shop",
            "--shortcut",
            "bye",
            "--text",
            "再见 {name}",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // The same validation as the console's: exit 2 with the reason, nothing stored.
    let (code, _, err) = run(
        &db,
        &[
            "canned",
            "add",
            "--site",
            s,
            "--shortcut",
            "a b",
            "--text",
            "x",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("shortcut"), "{err}");
    let (code, _, err) = run(
        &db,
        &[
            "canned",
            "add",
            "--site",
            s,
            "--agent",
            "eve@other",
            "--shortcut",
            "x",
            "--text",
            "x",
        ],
    );
    assert_eq!(code, 2, "another site's agent: {err}");
    // Imports: good rows kept, bad rows reported by line (exit 2).
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("canned.csv");
    std::fs::write(&csv, "shortcut,text\nship,我们包邮\nbad one,x\nempty,\n").unwrap();
    let (code, out, _) = run(
        &db,
        &[
            "canned",
            "import",
            "--site",
            s,
            "--json",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["added"], 1);
    let lines: Vec<i64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4]);
    let jsonl = dir.path().join("canned.jsonl");
    std::fs::write(&jsonl, "{\"shortcut\":\"wait\",\"text\":\"请稍等\"}\n").unwrap();
    let (code, _, err) = run(
        &db,
        &["canned", "import", "--site", s, jsonl.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(&db, &["canned", "list", "--site", s, "--json"]);
    assert_eq!(code, 0);
    let listed: Vec<(String, Value)> = serde_json::from_str::<Vec<Value>>(&out)
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c["shortcut"].as_str().unwrap().to_owned(),
                c["agent"].clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("hi".to_owned(), Value::Null),
            ("ship".to_owned(), Value::Null),
            ("wait".to_owned(), Value::Null),
            ("bye".to_owned(), json!("alice@shop")),
        ]
    );

    // Agents see the site's and their own, nobody else's.
    let shortcuts = |r: &Value| -> Vec<(String, bool)> {
        r["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["shortcut"].as_str().unwrap().to_owned(),
                    c["mine"] == true,
                )
            })
            .collect()
    };
    let (mut alice, _) = srv.agent_client("alice@shop").await;
    let (mut bob, _) = srv.agent_client("bob@shop").await;
    let (mut eve, _) = srv.agent_client("eve@other").await;
    let r = alice.request(req(Request::canned_list())).await;
    assert_eq!(
        shortcuts(&r),
        [
            ("bye".into(), true),
            ("hi".into(), false),
            ("ship".into(), false),
            ("wait".into(), false)
        ]
    );
    let r = bob.request(req(Request::canned_list())).await;
    assert_eq!(
        shortcuts(&r),
        [
            ("hi".into(), false),
            ("ship".into(), false),
            ("wait".into(), false)
        ]
    );
    assert_eq!(
        eve.request(req(Request::canned_list())).await["data"],
        json!([])
    );
    // An agent adds and deletes its own; not the site's, not a colleague's.
    let r = bob
        .request(req(Request::canned_add("thx", "谢谢 {name}")))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(r["data"]["mine"], true);
    let thx = r["data"]["id"].as_str().unwrap().to_owned();
    let r = bob.request(req(Request::canned_add("a b", "x"))).await;
    assert_eq!(r["code"], -32921, "{r}");
    let r = alice.request(req(Request::canned_delete(&thx))).await;
    assert_eq!(r["code"], -32922, "{r}");
    let hi = alice.request(req(Request::canned_list())).await["data"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        bob.request(req(Request::canned_delete(&hi))).await["code"],
        -32922
    );
    assert_eq!(
        bob.request(req(Request::canned_delete(&thx))).await["code"],
        200
    );
    let r = bob.request(req(Request::canned_list())).await;
    assert_eq!(shortcuts(&r).len(), 3);
    srv.stop().await;
}

/// A site admin's seed 002 access token.
pub(crate) async fn admin_token(
    srv: &TestServer,
    site: &frontdesk_server::admin::SiteCreated,
) -> String {
    let v: Value = reqwest::get(format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        srv.http, site.appid, site.secret
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    v["access_token"].as_str().expect("token").to_owned()
}

/// `GET` (no body) or `POST` `path` of the site admin API with `token`.
pub(crate) async fn admin_api(
    srv: &TestServer,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> Value {
    let c = reqwest::Client::new();
    let r = match body {
        None => c.get(format!("{}{path}", srv.http)),
        Some(b) => c.post(format!("{}{path}", srv.http)).body(b.to_string()),
    };
    let r = r.bearer_auth(token).send().await.expect("request");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

/// What a visitor socket says after its hello: `Ok(())` for a welcome, else the error code.
async fn hello_answer(srv: &TestServer, h: Hello) -> Result<(), String> {
    match VisitorClient::hello(&srv.ws, h).await {
        Ok(_) => Ok(()),
        Err(shared::visitor::ServerFrame::Error { code, .. }) => Err(serde_json::to_value(code)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()),
        Err(other) => panic!("unexpected: {other:?}"),
    }
}

/// The next error frame on a visitor socket (skipping messages, acks and reception frames).
async fn next_error(
    v: &mut VisitorClient,
) -> (shared::visitor::ErrorCode, Option<shared::ids::ClientMsgId>) {
    use shared::visitor::ServerFrame;
    loop {
        match v.recv().await {
            ServerFrame::Error { code, cmid, .. } => return (code, cmid),
            ServerFrame::Msg(_)
            | ServerFrame::Ack { .. }
            | ServerFrame::Queue { .. }
            | ServerFrame::Reception(_) => continue,
            other => panic!("expected an error, got {other:?}"),
        }
    }
}

/// Whether `agent`'s chat list (`32000`) shows visitor `gid`.
async fn lists(agent: &mut AgentClient, gid: &str) -> bool {
    let l = agent.request(json!({"api_key": 32000})).await;
    assert_eq!(l["code"], 200, "{l}");
    !l["data"]["guest_list"][gid].is_null()
}

#[tokio::test]
async fn a_blocked_visitor_is_refused_politely_and_no_agent_sees_them() {
    use shared::visitor::ErrorCode;
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let other = srv.site().await;
    srv.agent(&site.sysnum, "alice@shop").await;
    let (mut alice, _) = srv.agent_client("alice@shop").await;
    let (mut v, gid) = named_visitor(&srv, &site.sysnum, &mut alice, "Troll", "t-1", "hello").await;
    assert!(lists(&mut alice, &gid).await);
    let token = admin_token(&srv, &site).await;
    let theirs = admin_token(&srv, &other).await;

    // Bad input: a clear error, nothing stored.
    for bad in [
        json!({"reason": "x"}),
        json!({"ip": "127.0.0.1", "visitor": gid}),
        json!({"ip": "300.1.2.3"}),
        json!({"ip": "10.0.0.0/33"}),
        json!({"visitor": "999999"}),
        json!({"visitor": gid, "days": 0}),
        json!({"visitor": gid, "days": 3651}),
        json!({"visitor": gid, "reason": "x".repeat(201)}),
    ] {
        let r = admin_api(&srv, &token, "/api/admin/block/add", Some(bad.clone())).await;
        assert_eq!(r["errcode"], 40035, "{bad}: {r}");
        assert!(r["errmsg"].as_str().unwrap().len() > 20, "{r}");
    }
    // Another site's admin cannot block this site's visitor.
    let r = admin_api(
        &srv,
        &theirs,
        "/api/admin/block/add",
        Some(json!({"visitor": gid})),
    )
    .await;
    assert_eq!(r["errcode"], 40035, "{r}");
    assert!(lists(&mut alice, &gid).await);

    let r = admin_api(
        &srv,
        &token,
        "/api/admin/block/add",
        Some(json!({"visitor": gid, "reason": "abusive", "days": 7})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    let id = r["id"].as_i64().unwrap();
    // No agent sees them any more: the agent who had them is told at once.
    assert_eq!(alice.push(32802).await["data"]["gid"], gid.as_str());
    assert!(!lists(&mut alice, &gid).await);
    // Their open chat: the next message is refused and the socket closed; nothing stored.
    v.client.send_text("again", "are you there?").await;
    let (code, cmid) = next_error(&mut v.client).await;
    assert_eq!(code, ErrorCode::Blocked);
    assert_eq!(cmid.unwrap().as_str(), "again");
    assert!(
        alice
            .no_push_within(32399, std::time::Duration::from_millis(300))
            .await
    );
    // A new hello with their token is refused too.
    let h = || hello(&site.sysnum, Some(&v.client.token), 0);
    assert_eq!(hello_answer(&srv, h()).await, Err("blocked".into()));
    // The list: theirs, with the reason and an expiry 7 days out; nothing for another site.
    let l = admin_api(&srv, &token, "/api/admin/block/list", None).await;
    assert_eq!(l["errcode"], 0, "{l}");
    let b = &l["blocks"][0];
    assert_eq!(
        (b["id"].as_i64(), &b["visitor"], &b["reason"], &b["by"]),
        (Some(id), &json!(gid), &json!("abusive"), &json!("admin"))
    );
    let days = (b["expires_at"].as_i64().unwrap() - b["created_at"].as_i64().unwrap()) / 86_400_000;
    assert_eq!(days, 7);
    let l = admin_api(&srv, &theirs, "/api/admin/block/list", None).await;
    assert_eq!(l["blocks"], json!([]));
    let r = admin_api(
        &srv,
        &theirs,
        "/api/admin/block/delete",
        Some(json!({"id": id})),
    )
    .await;
    assert_eq!(r["errcode"], 46003, "{r}");
    assert_eq!(hello_answer(&srv, h()).await, Err("blocked".into()));
    // Deleted: they may chat again.
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/block/delete",
        Some(json!({"id": id})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    assert_eq!(hello_answer(&srv, h()).await, Ok(()));
    srv.stop().await;
}

#[tokio::test]
async fn an_address_block_from_the_cli_refuses_that_sites_visitors_from_it_until_it_expires() {
    use crate::cli::run;
    use shared::visitor::ErrorCode;
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let other = srv.site().await;
    srv.agent(&site.sysnum, "alice@shop").await;
    let (mut alice, _) = srv.agent_client("alice@shop").await;
    // A visitor chatting before the block (every test client is 127.0.0.1).
    let (mut v, gid) = named_visitor(&srv, &site.sysnum, &mut alice, "Ann", "a-1", "hi").await;
    let db = srv.tdb.url.clone();
    let s = site.sysnum.as_str();
    for (args, why) in [
        (vec!["--ip", "nonsense"], "not an IP address"),
        (vec!["--visitor", "424242"], "no visitor"),
        (vec!["--ip", "127.0.0.1", "--days", "0"], "days"),
    ] {
        let mut all = vec!["block", "add", "--site", s];
        all.extend(args);
        let (code, _, err) = run(&db, &all);
        assert_eq!(code, 2, "{all:?}");
        assert!(err.contains(why), "{all:?}: {err}");
    }
    let (code, _, _) = run(&db, &["block", "add", "--site", s]);
    assert_eq!(code, 2, "neither --ip nor --visitor");
    let (code, out, err) = run(
        &db,
        &[
            "block",
            "add",
            "--site",
            s,
            "--ip",
            "127.0.0.9/8",
            "--reason",
            "spam",
            "--days",
            "1",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let id = serde_json::from_str::<Value>(&out).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, out, _) = run(&db, &["block", "list", "--site", s, "--json"]);
    let l: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (l[0]["id"].as_i64(), &l[0]["ip"], &l[0]["by"]),
        (Some(id), &json!("127.0.0.0/8"), &json!("cli"))
    );

    // The running server applies it within a few seconds: new visitors of this site are
    // refused, the chatting one at their next message, and agents stop seeing them.
    eventually("new visitors from the range refused", || async {
        match hello_answer(&srv, hello(s, None, 0)).await {
            Err(c) if c == "blocked" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    v.client.send_text("more", "still there?").await;
    assert_eq!(next_error(&mut v.client).await.0, ErrorCode::Blocked);
    assert_eq!(alice.push(32802).await["data"]["gid"], gid.as_str());
    assert!(!lists(&mut alice, &gid).await);
    // Another site's visitors from the same address are not affected.
    assert_eq!(
        hello_answer(&srv, hello(&other.sysnum, None, 0)).await,
        Ok(())
    );

    // Expired: no longer listed nor applied.
    srv.tdb
        .exec(&[&format!(
            "UPDATE blocks SET expires_at = 1000 WHERE id = {id}"
        )])
        .await;
    let (_, out, _) = run(&db, &["block", "list", "--site", s, "--json"]);
    assert_eq!(out.trim(), "[]");
    eventually("the expired block lifted", || async {
        hello_answer(&srv, hello(s, None, 0)).await
    })
    .await;
    // Deleting: by its site only.
    let (code, _, err) = run(
        &db,
        &[
            "block",
            "delete",
            "--site",
            &other.sysnum,
            "--id",
            &id.to_string(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(
        &db,
        &["block", "delete", "--site", s, "--id", &id.to_string()],
    );
    assert_eq!(code, 0, "{err}");
    srv.stop().await;
}

#[tokio::test]
async fn the_customer_beside_the_chat_fields_badges_live_changes_and_earlier_conversations() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let other = srv.site().await;
    srv.agent(&site.sysnum, "alice@shop").await;
    srv.agent(&other.sysnum, "eve@other").await;
    frontdesk_server::admin::put_vip_level(&srv.db, &site.sysnum, "g1", "Gold", 5)
        .await
        .unwrap();
    let (mut alice, _) = srv.agent_client("alice@shop").await;
    let (mut eve, _) = srv.agent_client("eve@other").await;

    // Two conversations of one visitor (the first ended), one of another visitor whose page
    // claims the same partnerid, one of a stranger.
    let (mut v, gid) = named_visitor(&srv, &site.sysnum, &mut alice, "丁丁", "p-9", "first").await;
    let r = alice.request(req(Request::end_chat(&gid))).await;
    assert_eq!(r["code"], 200, "{r}");
    v.client.send_text("second", "second").await;
    v.client.ack("second").await;
    alice.push(32399).await;
    let (_w, other_gid) = named_visitor(
        &srv,
        &site.sysnum,
        &mut alice,
        "丁丁",
        "p-9",
        "other device",
    )
    .await;
    let (_x, _) = named_visitor(&srv, &site.sysnum, &mut alice, "Li", "p-1", "stranger").await;
    let r = alice.request(req(Request::conversations(&gid))).await;
    assert_eq!(r["code"], 200, "{r}");
    let d = &r["data"];
    assert_eq!((&d["gid"], &d["partnerid"]), (&json!(gid), &json!("p-9")));
    let convs = d["conversations"].as_array().unwrap();
    let whose: Vec<&str> = convs.iter().map(|c| c["gid"].as_str().unwrap()).collect();
    assert_eq!(
        whose,
        [other_gid.as_str(), gid.as_str(), gid.as_str()],
        "newest first: {d}"
    );
    assert!(
        convs[2]["ended_at"].is_i64() && convs[1]["ended_at"].is_null(),
        "{d}"
    );
    // The ended one opens read-only with its messages.
    let id = convs[2]["id"].as_str().unwrap();
    let r = alice.request(req(Request::conversation(id))).await;
    assert_eq!(r["data"]["messages"][0]["msg"], "first", "{r}");
    // An agent of another site sees none of it.
    let r = eve.request(req(Request::conversations(&gid))).await;
    assert_ne!(r["code"], 200, "{r}");
    assert!(
        r["data"].is_null() || r["data"]["conversations"].is_null(),
        "{r}"
    );

    // The page passes its CRM values (as the notifier reports `zc("config")`): the agent is
    // told at once, and 32800 gives the customer as labelled fields and badges.
    let report = reqwest::Client::new()
        .post(format!("{}/api/visitor/visit", srv.http))
        .header("origin", &srv.http)
        .json(
            &json!({"sysnum": site.sysnum, "token": v.client.token, "params": {
            "uname": "小丁哥", "realname": "丁丁猫", "tel": "18888888888",
            "face": "https%3A%2F%2Fimg.test%2Fface.png", "remark": "<b>vip</b>",
            "params": "{\"等级\":\"Boss\",\"来自\":\"北京\",\"n\":3}",
            "customer_fields": "not json", "is_vip": "1", "vip_level": "g1",
            "user_label": "回头客, 大客户", "source": "10", "locale": "en"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), 204);
    let push = alice.push(32801).await;
    assert_eq!(push["data"]["gid"], gid.as_str());
    let r = alice.request(json!({"api_key": 32800, "gid": gid})).await;
    assert_eq!(r["code"], 200, "{r}");
    let c = &r["data"]["customer"];
    assert_eq!(c["name"], "丁丁猫");
    assert_eq!(c["face"], "https://img.test/face.png");
    assert_eq!(c["vip"], "Gold");
    assert_eq!(c["labels"], json!(["回头客", "大客户"]));
    assert_eq!(c["source"], "WeChat mini-program");
    assert_eq!(c["locale"], "en");
    let fields: Vec<(String, String, String)> = c["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_owned();
            (s("group"), s("key"), s("value"))
        })
        .collect();
    let f = |g: &str, k: &str, v: &str| (g.to_owned(), k.to_owned(), v.to_owned());
    assert_eq!(
        fields,
        [
            f("crm", "partnerid", "p-9"),
            f("crm", "realname", "丁丁猫"),
            f("crm", "uname", "小丁哥"),
            f("crm", "tel", "18888888888"),
            f("crm", "remark", "<b>vip</b>"),
            f("params", "n", "3"),
            f("params", "来自", "北京"),
            f("params", "等级", "Boss"),
            f("customer_fields", "customer_fields", "not json"),
        ]
    );
    // A face that is not an http(s) URL is no avatar; is_vip 0 is no badge.
    let report = reqwest::Client::new()
        .post(format!("{}/api/visitor/visit", srv.http))
        .header("origin", &srv.http)
        .json(
            &json!({"sysnum": site.sysnum, "token": v.client.token, "params": {
            "face": "javascript:alert(1)", "is_vip": "0", "vip_level": "g1"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), 204);
    alice.push(32801).await;
    let r = alice.request(json!({"api_key": 32800, "gid": gid})).await;
    let c = &r["data"]["customer"];
    assert!(c["face"].is_null() && c["vip"].is_null(), "{c}");
    srv.stop().await;
}

#[tokio::test]
async fn reports_compute_the_figures_of_known_conversations_in_the_asked_zone() {
    use crate::cli::run;
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let other = srv.site().await;
    srv.agent(&site.sysnum, "alice@shop").await;
    let (mut alice, _) = srv.agent_client("alice@shop").await;
    // Three conversations, made for real, then moved to known times (ms, UTC):
    // v1 2026-01-05 10:00, answered after 30 s, ended after 600 s;
    // v2 2026-01-06 09:00, answered after 90 s, ended after 1200 s;
    // v3 2026-01-05 20:00, never taken by an agent (left the queue).
    let (t1, t2, t3) = (
        1_767_607_200_000_i64,
        1_767_690_000_000_i64,
        1_767_643_200_000_i64,
    );
    let mut gids = Vec::new();
    for (i, t) in [(1, t1), (2, t2)] {
        let (_v, gid) = named_visitor(
            &srv,
            &site.sysnum,
            &mut alice,
            &format!("v{i}"),
            &format!("p{i}"),
            "q",
        )
        .await;
        let r = alice.request(req(Request::send(&gid, "a", 0))).await;
        assert_eq!(r["code"], 200, "{r}");
        let r = alice.request(req(Request::end_chat(&gid))).await;
        assert_eq!(r["code"], 200, "{r}");
        let (answer, end) = if i == 1 {
            (30_000, 600_000)
        } else {
            (90_000, 1_200_000)
        };
        srv.tdb
            .exec(&[
                &format!("UPDATE messages SET created_at = {t} WHERE visitor_id = {gid} AND seq = 1"),
                &format!("UPDATE messages SET created_at = {} WHERE visitor_id = {gid} AND seq = 2", t + answer),
                &format!("UPDATE messages SET created_at = {} WHERE visitor_id = {gid} AND seq > 2", t + end),
                &format!("UPDATE conversations SET started_at = {t}, assigned_at = {t}, ended_at = {} WHERE visitor_id = {gid}", t + end),
            ])
            .await;
        gids.push(gid);
    }
    let (_v3, gid3) = named_visitor(&srv, &site.sysnum, &mut alice, "v3", "p3", "q").await;
    srv.tdb
        .exec(&[
            &format!("UPDATE messages SET created_at = {t3} WHERE visitor_id = {gid3}"),
            &format!("UPDATE conversations SET started_at = {t3}, assigned_at = NULL, agent_id = NULL WHERE visitor_id = {gid3}"),
        ])
        .await;
    let token = admin_token(&srv, &site).await;
    let get = |q: &str| {
        let q = q.to_owned();
        let token = token.clone();
        let srv = &srv;
        async move { admin_api(srv, &token, &format!("/api/admin/report?{q}"), None).await }
    };

    let a = get("since=2026-01-05&until=2026-01-06&tz=UTC").await;
    assert_eq!(a["errcode"], 0, "{a}");
    let r = &a["report"];
    assert_eq!(
        (&r["conversations"], &r["messages"]),
        (&json!(3), &json!(5)),
        "{r}"
    );
    assert_eq!(
        (&r["visitor_messages"], &r["agent_messages"]),
        (&json!(3), &json!(2))
    );
    assert_eq!((&r["answered"], &r["abandoned"]), (&json!(2), &json!(1)));
    assert_eq!(
        (&r["first_response_p50_s"], &r["first_response_p90_s"]),
        (&json!(30.0), &json!(90.0))
    );
    assert_eq!(
        (&r["resolution_p50_s"], &r["resolution_p90_s"]),
        (&json!(600.0), &json!(1200.0))
    );
    assert_eq!(r["csat"]["count"], 0);
    let days = |r: &Value| -> Vec<(String, u64, u64)> {
        r["by_day"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["key"].as_str().unwrap().to_owned(),
                    b["conversations"].as_u64().unwrap(),
                    b["messages"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        days(r),
        [("2026-01-05".into(), 2, 3), ("2026-01-06".into(), 1, 2)]
    );
    let hour = |r: &Value, h: usize| {
        (
            r["by_hour"][h]["conversations"].as_u64().unwrap(),
            r["by_hour"][h]["messages"].as_u64().unwrap(),
        )
    };
    assert_eq!(
        (hour(r, 9), hour(r, 10), hour(r, 20), hour(r, 12)),
        ((1, 2), (1, 2), (1, 1), (0, 0))
    );
    let alice_row = &r["by_agent"][0];
    assert_eq!(
        (
            &alice_row["kf_nick"],
            &alice_row["conversations"],
            &alice_row["answered"]
        ),
        (&json!("alice@shop"), &json!(2), &json!(2)),
        "{r}"
    );
    assert_eq!(alice_row["first_response_p50_s"], 30.0);
    assert_eq!(r["by_group"][0]["abandoned"], 1);

    // The same conversations counted in Shanghai's days: v3 (20:00 UTC) falls on the 6th.
    let a = get("since=2026-01-05&until=2026-01-06&tz=Asia/Shanghai").await;
    let r = &a["report"];
    assert_eq!(
        days(r),
        [("2026-01-05".into(), 1, 2), ("2026-01-06".into(), 2, 3)]
    );
    assert_eq!(
        (hour(r, 18), hour(r, 4), hour(r, 17)),
        ((1, 2), (1, 1), (1, 2))
    );
    // One day only.
    let a = get("since=2026-01-06&until=2026-01-06").await;
    assert_eq!(a["report"]["conversations"], 1);
    // The CLI gives the same figures.
    let (code, out, err) = run(
        &srv.tdb.url,
        &[
            "report",
            "--site",
            &site.sysnum,
            "--since",
            "2026-01-05",
            "--until",
            "2026-01-06",
            "--tz",
            "UTC",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let cli: Value = serde_json::from_str(&out).unwrap();
    let api = get("since=2026-01-05&until=2026-01-06&tz=UTC").await;
    assert_eq!(cli, api["report"]);
    // Bad ranges and zones: the reason; another site's admin sees nothing of this one.
    for q in [
        "since=2026-1-5x",
        "tz=Mars/Base",
        "since=2026-01-07&until=2026-01-06",
    ] {
        let a = get(q).await;
        assert_eq!(a["errcode"], 40035, "{q}: {a}");
    }
    let (code, _, err) = run(
        &srv.tdb.url,
        &["report", "--site", &site.sysnum, "--tz", "Mars/Base"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("time zone"), "{err}");
    let theirs = admin_token(&srv, &other).await;
    let a = admin_api(
        &srv,
        &theirs,
        "/api/admin/report?since=2026-01-05&until=2026-01-06",
        None,
    )
    .await;
    assert_eq!(
        (&a["report"]["conversations"], &a["report"]["messages"]),
        (&json!(0), &json!(0))
    );
    srv.stop().await;
}

/// Settings in the browser (issue 25, item 9): the admin API reads and changes a site's
/// reception defaults, push URL, sign check and embedding origins with the CLI's validation:
/// a bad value is refused with the text `frontdesk admin site set` prints and changes
/// nothing; another site's admin neither sees nor changes them.
#[tokio::test]
async fn site_settings_are_changed_in_the_browser_with_the_clis_validation() {
    use crate::cli::run;
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let other = srv.site().await;
    let token = admin_token(&srv, &site).await;
    let theirs = admin_token(&srv, &other).await;
    let get = |t: String| {
        let srv = &srv;
        async move { admin_api(srv, &t, "/api/admin/site", None).await }
    };

    let s = get(token.clone()).await;
    assert_eq!(s["errcode"], 0, "{s}");
    assert_eq!(s["sysnum"], site.sysnum.as_str());
    let defaults = json!({"reception": 2, "manual_after": 1, "offline_title": "",
        "agent_hello": "", "push_url": "", "push_allow_private": false, "sign_check": "off",
        "page_trust": "auto", "origins": "", "platform": "", "retain_days": 0,
        "summary_required": false, "summary_categories": ""});
    assert_eq!(s["settings"], defaults);

    // Each bad value: the CLI's error text (as 40035 `invalid parameter: …`), nothing stored,
    // even the good values sent with it.
    let db = srv.tdb.url.clone();
    for (field, bad, flag) in [
        ("push_url", json!("ftp://hooks.example/x"), "--push-url"),
        ("sign_check", json!("sha1"), "--sign-check"),
        (
            "origins",
            json!("https://shop.example,javascript:alert(1)"),
            "--origins",
        ),
        ("reception", json!(5), "--reception"),
        ("manual_after", json!(101), "--manual-after"),
        ("offline_title", json!("a\u{202e}b"), "--offline-title"),
    ] {
        let mut body = json!({"reception": 3, "push_url": "https://hooks.example/fd"});
        body[field] = bad.clone();
        let r = admin_api(&srv, &token, "/api/admin/site/set", Some(body)).await;
        assert_eq!(r["errcode"], 40035, "{field}: {r}");
        let arg = match &bad {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let (code, _, err) = run(&db, &["site", "set", "--site", &site.sysnum, flag, &arg]);
        if field == "sign_check" {
            // clap refuses it before the shared check: its own words, the value named.
            assert_eq!(code, 2, "{err}");
            assert!(err.contains("sha1"), "{err}");
            assert_eq!(
                r["errmsg"],
                "invalid parameter: sign check must be off, md5 or hmac"
            );
        } else {
            assert_eq!(code, 2, "{field}: {err}");
            let cli = err.trim().strip_prefix("error: ").expect("an error line");
            assert_eq!(r["errmsg"], format!("invalid parameter: {cli}"), "{field}");
        }
        assert_eq!(get(token.clone()).await["settings"], defaults, "{field}");
    }

    // Good values are stored, shown again, and the other site is untouched.
    let good = json!({"reception": 4, "manual_after": 3, "offline_title": "We are away",
        "agent_hello": "Hello, I am here", "push_url": "https://hooks.example/fd",
        "push_allow_private": true, "sign_check": "hmac", "page_trust": "off",
        "origins": "https://shop.example/, https://m.shop.example"});
    let r = admin_api(&srv, &token, "/api/admin/site/set", Some(good)).await;
    assert_eq!(r["errcode"], 0, "{r}");
    let s = get(token.clone()).await;
    assert_eq!(
        s["settings"],
        json!({"reception": 4, "manual_after": 3, "offline_title": "We are away",
            "agent_hello": "Hello, I am here", "push_url": "https://hooks.example/fd",
            "push_allow_private": true, "sign_check": "hmac", "page_trust": "off",
            "origins": "https://shop.example,https://m.shop.example", "platform": "",
            "retain_days": 0, "summary_required": false, "summary_categories": ""})
    );
    let row = srv.db.site_by_sysnum(&site.sysnum).await.unwrap().unwrap();
    assert_eq!(row.sign_check, "hmac");
    assert_eq!(
        srv.db.site_push_url(row.id).await.unwrap().as_deref(),
        Some("https://hooks.example/fd")
    );
    let o = get(theirs.clone()).await;
    assert_eq!(
        (&o["sysnum"], &o["settings"]),
        (&json!(other.sysnum), &defaults)
    );

    // Absent fields are kept; "" clears; the CLI's changes show in the browser.
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/site/set",
        Some(json!({"push_url": ""})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    let (code, _, err) = run(
        &db,
        &["site", "set", "--site", &site.sysnum, "--reception", "1"],
    );
    assert_eq!(code, 0, "{err}");
    let s = get(token.clone()).await["settings"].clone();
    assert_eq!(
        (&s["push_url"], &s["reception"], &s["sign_check"]),
        (&json!(""), &json!(1), &json!("hmac"))
    );
    let r = admin_api(
        &srv,
        &theirs,
        "/api/admin/site/set",
        Some(json!({"reception": 3})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    assert_eq!(get(token.clone()).await["settings"]["reception"], 1);
    // A body that is not the shape: the API's data format error.
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/site/set",
        Some(json!({"reception": "x"})),
    )
    .await;
    assert_eq!(r["errcode"], 47001, "{r}");
    srv.stop().await;
}

/// Groups and agents in the browser (issue 25, item 9): the admin API creates a group with
/// working hours in a zone, changes and disables it, creates an agent in it, changes its
/// groups and most chats, disables it and resets its password — with the CLI's checks and
/// texts; another site's admin can touch none of it.
#[tokio::test]
async fn groups_and_agents_are_managed_in_the_browser_with_the_clis_validation() {
    use crate::cli::run;
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let other = srv.site().await;
    let token = admin_token(&srv, &site).await;
    let theirs = admin_token(&srv, &other).await;
    let db = srv.tdb.url.clone();
    let s = site.sysnum.as_str();

    // Groups: bad hours and zones get the CLI's words and create nothing.
    for (body, args) in [
        (
            json!({"name": "Sales", "hours": "Mon-Fri 25:00-18:00", "tz": "UTC"}),
            vec!["--hours", "Mon-Fri 25:00-18:00", "--tz", "UTC"],
        ),
        (
            json!({"name": "Sales", "hours": "Mon-Fri 09:00-18:00", "tz": "Mars/Olympus"}),
            vec!["--hours", "Mon-Fri 09:00-18:00", "--tz", "Mars/Olympus"],
        ),
        (json!({"name": " "}), vec![]),
    ] {
        let r = admin_api(&srv, &token, "/api/admin/group/save", Some(body.clone())).await;
        assert_eq!(r["errcode"], 40035, "{body}: {r}");
        let name = body["name"].as_str().unwrap();
        let mut all = vec!["group", "create", "--site", s, "--name", name];
        all.extend(args);
        let (code, _, err) = run(&db, &all);
        assert_eq!(code, 2, "{err}");
        let cli = err.trim().strip_prefix("error: ").expect("an error line");
        assert_eq!(r["errmsg"], format!("invalid parameter: {cli}"), "{body}");
    }
    let l = admin_api(&srv, &token, "/api/admin/group/list", None).await;
    assert_eq!(l["groups"], json!([]), "{l}");
    assert!(l["zones"]
        .as_array()
        .unwrap()
        .contains(&json!("Asia/Shanghai")));

    let r = admin_api(
        &srv,
        &token,
        "/api/admin/group/save",
        Some(json!({"name": "Sales", "hours": "Mon-Fri 09:00-18:00", "tz": "Asia/Shanghai"})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    let sales = r["id"].as_i64().unwrap();
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/group/save",
        Some(json!({"name": "Support"})),
    )
    .await;
    let support = r["id"].as_i64().unwrap();
    let r = admin_api(&srv, &token, "/api/admin/group/save",
        Some(json!({"id": support, "hours": "Sat 10:00-14:00", "tz": "Europe/Berlin", "external_id": "sup-1"}))).await;
    assert_eq!(r["errcode"], 0, "{r}");
    let l = admin_api(&srv, &token, "/api/admin/group/list", None).await;
    assert_eq!(
        l["groups"],
        json!([
            {"id": sales, "groupname": "Sales", "external_id": "", "hours": "Mon-Fri 09:00-18:00", "tz": "Asia/Shanghai", "disabled": false},
            {"id": support, "groupname": "Support", "external_id": "sup-1", "hours": "Sat 10:00-14:00", "tz": "Europe/Berlin", "disabled": false},
        ])
    );
    // Another site's admin neither sees nor changes them.
    let l = admin_api(&srv, &theirs, "/api/admin/group/list", None).await;
    assert_eq!(l["groups"], json!([]));
    let r = admin_api(
        &srv,
        &theirs,
        "/api/admin/group/save",
        Some(json!({"id": sales, "disabled": true})),
    )
    .await;
    assert_eq!(r["errcode"], 40035, "{r}");
    assert_eq!(
        r["errmsg"],
        format!("invalid parameter: group {sales} is not a group of this site")
    );

    // Agents: the CLI's checks and texts; nothing created on a refusal.
    let good = json!({"account": "bob@shop", "nick": "Bob", "password": "long enough 1", "groups": [sales], "max_chats": 4});
    for (field, bad) in [
        ("account", json!("bob")),
        ("nick", json!("")),
        ("password", json!("short")),
        ("max_chats", json!(0)),
    ] {
        let mut body = good.clone();
        body[field] = bad.clone();
        let r = admin_api(&srv, &token, "/api/admin/agent/create", Some(body)).await;
        assert_eq!(r["errcode"], 40035, "{field}: {r}");
        let val = match &bad {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        // The same agent on the command line, with the same one value bad.
        let mut all = vec!["agent", "create", "--site", s];
        for (f, k) in [
            ("account", "--account"),
            ("nick", "--nick"),
            ("password", "--password"),
        ] {
            all.extend([
                k,
                if f == field {
                    val.as_str()
                } else {
                    good[f].as_str().unwrap()
                },
            ]);
        }
        let max = if field == "max_chats" {
            val.clone()
        } else {
            "4".into()
        };
        all.extend(["--max-chats", max.as_str()]);
        let (code, _, err) = run(&db, &all);
        assert_eq!(code, 2, "{field}: {err}");
        let cli = err.trim().strip_prefix("error: ").expect("an error line");
        assert_eq!(r["errmsg"], format!("invalid parameter: {cli}"), "{field}");
    }
    let mut body = good.clone();
    body["groups"] = json!([sales, 999_999]);
    let r = admin_api(&srv, &token, "/api/admin/agent/create", Some(body)).await;
    assert_eq!(
        r["errmsg"], "invalid parameter: group 999999 is not a group of this site",
        "{r}"
    );
    assert_eq!(
        admin_api(&srv, &token, "/api/admin/agent/list", None).await["agents"],
        json!([])
    );

    let r = admin_api(&srv, &token, "/api/admin/agent/create", Some(good.clone())).await;
    assert_eq!(r["errcode"], 0, "{r}");
    let kf_id = r["id"].as_i64().unwrap();
    let r = admin_api(&srv, &token, "/api/admin/agent/create", Some(good.clone())).await;
    assert_eq!(
        r["errmsg"], "invalid parameter: agent account bob@shop already exists",
        "{r}"
    );
    // The new agent logs in and is Bob.
    let t = login(&srv.http, "bob@shop", "long enough 1").await;
    let (_bob, r) = AgentClient::login(&srv.ws, &t).await;
    assert_eq!(r["code"], 200, "{r}");

    // Changes: bad values change nothing; good ones are listed.
    for (bad, why) in [
        (
            json!({"account": "bob@shop", "max_chats": 1001, "nick": "Robert"}),
            "max chats must be 1-1000",
        ),
        (
            json!({"account": "bob@shop", "groups": [999_999], "nick": "Robert"}),
            "group 999999 is not a group of this site",
        ),
        (
            json!({"account": "bob@shop", "password": "short", "nick": "Robert"}),
            "password must have at least 8 characters",
        ),
        (
            json!({"account": "nobody@shop", "nick": "Robert"}),
            "no agent with account nobody@shop",
        ),
        (
            json!({"account": "bob@shop", "avatar": "javascript:alert(1)"}),
            "avatar must be an http(s) URL",
        ),
        (json!({"account": "bob@shop"}), "nothing to set"),
    ] {
        let r = admin_api(&srv, &token, "/api/admin/agent/set", Some(bad.clone())).await;
        let msg = r["errmsg"].as_str().unwrap_or_default();
        assert!(
            msg.starts_with(&format!("invalid parameter: {why}")),
            "{bad}: {r}"
        );
    }
    let r = admin_api(
        &srv,
        &theirs,
        "/api/admin/agent/set",
        Some(json!({"account": "bob@shop", "disabled": true})),
    )
    .await;
    assert_eq!(
        r["errmsg"], "invalid parameter: no agent with account bob@shop",
        "{r}"
    );
    let r = admin_api(&srv, &token, "/api/admin/agent/set",
        Some(json!({"account": "bob@shop", "nick": "Robert", "max_chats": 8, "groups": [support, sales],
            "avatar": "https%3A%2F%2Fimg.example.com%2Fbob.png"}))).await;
    assert_eq!(r["errcode"], 0, "{r}");
    let l = admin_api(&srv, &token, "/api/admin/agent/list", None).await;
    assert_eq!(
        l["agents"],
        json!([{"kf_id": kf_id, "kf_account": "bob@shop", "nick": "Robert", "groups": [sales, support], "max_chats": 8, "disabled": false,
            "avatar": "https://img.example.com/bob.png", "role": "agent"}])
    );
    // Roles: a supervisor now; a role that is none is refused.
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/agent/set",
        Some(json!({"account": "bob@shop", "role": "supervisor"})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/agent/set",
        Some(json!({"account": "bob@shop", "role": "boss"})),
    )
    .await;
    assert_eq!(r["errcode"], 47001, "{r}");
    let l = admin_api(&srv, &token, "/api/admin/agent/list", None).await;
    assert_eq!(l["agents"][0]["role"], "supervisor", "{l}");
    assert_eq!(
        admin_api(&srv, &theirs, "/api/admin/agent/list", None).await["agents"],
        json!([])
    );
    // The CLI's `agent set` is the same operation.
    let (code, _, err) = run(
        &db,
        &["agent", "set", "--account", "bob@shop", "--max-chats", "0"],
    );
    assert_eq!((code, err.trim()), (2, "error: max chats must be 1-1000"));
    let (code, _, err) = run(
        &db,
        &[
            "agent",
            "set",
            "--site",
            s,
            "--account",
            "bob@shop",
            "--group",
            &sales.to_string(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let l = admin_api(&srv, &token, "/api/admin/agent/list", None).await;
    assert_eq!(l["agents"][0]["groups"], json!([sales]));

    // A new password: the old one no longer logs in, the new one does; disabled: no login.
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/agent/set",
        Some(json!({"account": "bob@shop", "password": "brand new pass"})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    assert_eq!(login_status(&srv, "bob@shop", "long enough 1").await, 401);
    assert_eq!(login_status(&srv, "bob@shop", "brand new pass").await, 200);
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/agent/set",
        Some(json!({"account": "bob@shop", "disabled": true})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    assert_eq!(login_status(&srv, "bob@shop", "brand new pass").await, 403);
    assert_eq!(
        admin_api(&srv, &token, "/api/admin/agent/list", None).await["agents"][0]["disabled"],
        true
    );
    srv.stop().await;
}

/// The HTTP status of `POST /api/agent/login` with this account and password.
async fn login_status(srv: &TestServer, account: &str, password: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/api/agent/login", srv.http))
        .json(&json!({"account": account, "password": password}))
        .send()
        .await
        .expect("login request")
        .status()
        .as_u16()
}

/// VIP levels in the browser and the audit log (issue 25, item 9): levels are added and
/// changed with `admin vip add`'s checks and texts; every change made through the admin API
/// is logged — who, what (passwords left out), when — and only the site's own admin reads it.
#[tokio::test]
async fn vip_levels_and_every_admin_change_land_in_the_sites_audit_log() {
    use crate::cli::run;
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let other = srv.site().await;
    let token = admin_token(&srv, &site).await;
    let theirs = admin_token(&srv, &other).await;
    let db = srv.tdb.url.clone();
    let s = site.sysnum.as_str();
    let before = frontdesk_server::db::now_ms();

    for (bad, args) in [
        (
            json!({"id": "gold", "name": "Gold", "rank": 1_000_001}),
            ["gold", "Gold", "1000001"],
        ),
        (
            json!({"id": "g o", "name": "Gold", "rank": 5}),
            ["g o", "Gold", "5"],
        ),
        (
            json!({"id": "gold", "name": "", "rank": 5}),
            ["gold", "", "5"],
        ),
    ] {
        let r = admin_api(&srv, &token, "/api/admin/vip/put", Some(bad.clone())).await;
        assert_eq!(r["errcode"], 40035, "{bad}: {r}");
        let (code, _, err) = run(
            &db,
            &[
                "vip", "add", "--site", s, "--id", args[0], "--name", args[1], "--rank", args[2],
            ],
        );
        assert_eq!(code, 2, "{err}");
        let cli = err.trim().strip_prefix("error: ").expect("an error line");
        assert_eq!(r["errmsg"], format!("invalid parameter: {cli}"), "{bad}");
    }
    for body in [
        json!({"id": "gold", "name": "Gold", "rank": 10}),
        json!({"id": "plat", "name": "Platinum", "rank": 20}),
        json!({"id": "gold", "name": "Gold+", "rank": 15}),
    ] {
        let r = admin_api(&srv, &token, "/api/admin/vip/put", Some(body)).await;
        assert_eq!(r["errcode"], 0, "{r}");
    }
    let l = admin_api(&srv, &token, "/api/admin/vip/list", None).await;
    assert_eq!(
        l["levels"],
        json!([{"id": "plat", "name": "Platinum", "rank": 20}, {"id": "gold", "name": "Gold+", "rank": 15}])
    );
    assert_eq!(
        admin_api(&srv, &theirs, "/api/admin/vip/list", None).await["levels"],
        json!([])
    );

    // More changes of other kinds, one refused (not logged).
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/site/set",
        Some(json!({"reception": 3})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/site/set",
        Some(json!({"reception": 9})),
    )
    .await;
    assert_eq!(r["errcode"], 40035, "{r}");
    let r = admin_api(&srv, &token, "/api/admin/agent/create",
        Some(json!({"account": "cat@shop", "nick": "Cat", "password": "secret words 1", "max_chats": 2}))).await;
    assert_eq!(r["errcode"], 0, "{r}");
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/agent/set",
        Some(json!({"account": "cat@shop", "password": "other words 2"})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/block/add",
        Some(json!({"ip": "203.0.113.0/24", "reason": "spam"})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");

    let log = admin_api(&srv, &token, "/api/admin/audit", None).await;
    assert_eq!(log["errcode"], 0, "{log}");
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "block/add",
            "agent/set",
            "agent/create",
            "site/set",
            "vip/put",
            "vip/put",
            "vip/put"
        ]
    );
    let who = format!("site admin (appid {})", site.appid);
    for e in entries {
        assert_eq!(e["actor"], who.as_str(), "{e}");
        let at = e["at"].as_i64().unwrap();
        assert!(at >= before && at <= frontdesk_server::db::now_ms(), "{e}");
    }
    let detail = |i: usize| -> Value {
        serde_json::from_str(entries[i]["detail"].as_str().unwrap()).unwrap()
    };
    assert_eq!(detail(3), json!({"reception": 3}));
    assert_eq!(detail(6), json!({"id": "gold", "name": "Gold", "rank": 10}));
    assert_eq!(detail(0)["ip"], "203.0.113.0/24");
    // Passwords never reach the log.
    let text = log.to_string();
    assert!(
        !text.contains("secret words 1") && !text.contains("other words 2"),
        "{text}"
    );
    assert_eq!(detail(2)["account"], "cat@shop");
    // Another site's admin reads only its own (empty) log.
    assert_eq!(
        admin_api(&srv, &theirs, "/api/admin/audit", None).await["entries"],
        json!([])
    );
    srv.stop().await;
}

/// The admin view's leave-message forms and site canned replies: the admin API adds and
/// lists them with the CLI's checks and texts, the CLI sees what the browser added, agents are
/// offered a site reply, every change is logged, and another site's admin sees none of it.
#[tokio::test]
async fn leave_templates_and_site_canned_replies_are_managed_in_the_browser() {
    let srv = TestServer::start_open().await;
    let (site, other) = (srv.site().await, srv.site().await);
    let token = admin_token(&srv, &site).await;
    let theirs = admin_token(&srv, &other).await;
    let form = json!({"name": "售后", "fields": [
        {"kind": "text", "required": true, "label": "订单号"},
        {"kind": "phone", "label": "电话"}]});
    let r = admin_api(&srv, &token, "/api/admin/leave/template/add", Some(form)).await;
    assert_eq!(r["errcode"], 0, "{r}");
    let templateid = r["id"].as_i64().unwrap();
    for (bad, why) in [
        (json!({"name": "", "fields": []}), "name"),
        (
            json!({"name": "x", "fields": [{"kind": "text", "label": ""}]}),
            "label",
        ),
        (
            json!({"name": "x", "fields": [{"kind": "fax", "label": "传真"}]}),
            "data format",
        ),
    ] {
        let r = admin_api(
            &srv,
            &token,
            "/api/admin/leave/template/add",
            Some(bad.clone()),
        )
        .await;
        assert_ne!(r["errcode"], 0, "{bad} {r}");
        assert!(r["errmsg"].as_str().unwrap().contains(why), "{bad} {r}");
    }
    let l = admin_api(&srv, &token, "/api/admin/leave/template/list", None).await;
    assert_eq!(l["templates"].as_array().unwrap().len(), 1, "{l}");
    assert_eq!(l["templates"][0]["templateid"], templateid);
    assert_eq!(l["templates"][0]["fields"][0]["label"], "订单号");
    assert_eq!(l["templates"][0]["fields"][0]["required"], true);
    let (code, out, err) = crate::cli::run(
        &srv.tdb.url,
        &[
            "leave",
            "template",
            "list",
            "--site",
            &site.sysnum,
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("订单号"), "{out}");
    let l = admin_api(&srv, &theirs, "/api/admin/leave/template/list", None).await;
    assert_eq!(l["templates"], json!([]), "{l}");

    // Site canned replies.
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/canned/add",
        Some(json!({"shortcut": "hi", "text": "您好 {name}，请问有什么可以帮您？"})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    let id = r["id"].as_i64().unwrap();
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/canned/add",
        Some(json!({"shortcut": "bad key", "text": "x"})),
    )
    .await;
    assert_eq!(r["errcode"], 40035, "{r}");
    let l = admin_api(&srv, &token, "/api/admin/canned/list", None).await;
    assert_eq!(
        l["replies"],
        json!([{"id": id, "shortcut": "hi", "text": "您好 {name}，请问有什么可以帮您？"}])
    );
    srv.agent(&site.sysnum, "kf@canned").await;
    let (mut agent, _) = srv.agent_client("kf@canned").await;
    let r = agent
        .request(serde_json::to_value(Request::canned_list()).unwrap())
        .await;
    assert_eq!(r["data"][0]["shortcut"], "hi", "{r}");
    let r = admin_api(
        &srv,
        &theirs,
        "/api/admin/canned/delete",
        Some(json!({"id": id})),
    )
    .await;
    assert_eq!(r["errcode"], 40035, "another site's reply: {r}");
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/canned/delete",
        Some(json!({"id": id})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    let l = admin_api(&srv, &token, "/api/admin/canned/list", None).await;
    assert_eq!(l["replies"], json!([]));
    let a = admin_api(&srv, &token, "/api/admin/audit", None).await;
    let actions: Vec<&str> = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["canned/delete", "canned/add", "leave/template/add"],
        "{a}"
    );
    srv.stop().await;
}

/// The site form's platform code, retention and summary rules (what `admin site set
/// --platform --retain-days --summary-required --summary-categories` changes): read with the
/// other settings, saved with the CLI's checks, and a bad one changes nothing of the form.
#[tokio::test]
async fn the_site_form_sets_platform_retention_and_summary_rules_with_the_clis_checks() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let token = admin_token(&srv, &site).await;
    let now = admin_api(&srv, &token, "/api/admin/site", None).await;
    let s = &now["settings"];
    assert_eq!(
        (
            &s["platform"],
            &s["retain_days"],
            &s["summary_required"],
            &s["summary_categories"]
        ),
        (&json!(""), &json!(0), &json!(false), &json!("")),
        "{now}"
    );
    let r = admin_api(
        &srv,
        &token,
        "/api/admin/site/set",
        Some(json!({
        "platform": "shop-group", "retain_days": 30, "summary_required": true,
        "summary_categories": "退货, 咨询，退货"})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    let now = admin_api(&srv, &token, "/api/admin/site", None).await;
    let s = &now["settings"];
    assert_eq!(
        (
            &s["platform"],
            &s["retain_days"],
            &s["summary_required"],
            &s["summary_categories"]
        ),
        (
            &json!("shop-group"),
            &json!(30),
            &json!(true),
            &json!("退货,咨询")
        ),
        "{now}"
    );
    // One bad value: the CLI's words, and nothing of the form is stored.
    let long = "长".repeat(65);
    for (bad, why) in [
        (
            json!({"retain_days": -1, "push_url": "https://hooks.example/x"}),
            "retain days must be 0",
        ),
        (
            json!({"summary_categories": long, "push_url": "https://hooks.example/x"}),
            "category",
        ),
        (
            json!({"platform": "has space", "retain_days": 7}),
            "platform must be",
        ),
    ] {
        let r = admin_api(&srv, &token, "/api/admin/site/set", Some(bad.clone())).await;
        assert_eq!(r["errcode"], 40035, "{bad} {r}");
        assert!(r["errmsg"].as_str().unwrap().contains(why), "{bad} {r}");
    }
    let after = admin_api(&srv, &token, "/api/admin/site", None).await;
    assert_eq!(after["settings"], now["settings"], "nothing changed");
    srv.stop().await;
}

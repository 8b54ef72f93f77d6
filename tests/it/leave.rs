//! Leave a message (issue 24, item 3): a visitor leaves a message (from the chat, with its
//! token, or from the stand-alone page, without one), agents list and answer it over the
//! agent socket (`34000`–`34200`), the answer is in the visitor's conversation on the next
//! visit; templates from the CLI shape the form; bad input and limits get a clear reason.
//! On SQLite and, in the suite's PostgreSQL run, on PostgreSQL.

use harness::*;
use serde_json::{json, Value};
use shared::agent::Request;
use shared::leave::{LeaveRequest, Left, LeftList, Template};

use crate::cli::run;

/// `POST /api/leave` from the chat's own origin → (status, body).
async fn leave(srv: &TestServer, r: &LeaveRequest) -> (u16, Value) {
    leave_from(srv, Some(&srv.http), r).await
}

async fn leave_from(srv: &TestServer, origin: Option<&str>, r: &LeaveRequest) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/leave", srv.http))
        .json(r);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn req(sysnum: &str, content: &str, fields: &[(&str, &str)]) -> LeaveRequest {
    LeaveRequest {
        sysnum: sysnum.into(),
        content: content.into(),
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..LeaveRequest::default()
    }
}

async fn agent_req(agent: &mut AgentClient, r: Request) -> Value {
    agent.request(serde_json::to_value(r).unwrap()).await
}

#[tokio::test]
async fn a_message_left_from_the_chat_is_answered_in_the_chat_on_the_next_visit() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "kf@leave").await;
    // A visitor of the chat page: a (pending) token and no message yet.
    let v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let token = v.client.token.clone();
    drop(v);
    let mut r = req(
        &site.sysnum,
        "想咨询批量采购，请回电。\n谢谢",
        &[("phone", "138 0013 8000")],
    );
    r.token = Some(token.clone());
    r.uname = Some("王先生".into());
    r.source = Some("0".into());
    let (status, body) = leave(&srv, &r).await;
    assert_eq!(status, 201, "{body}");
    let left: Left = serde_json::from_value(body).unwrap();
    assert_eq!(left.token, None, "the chat's own visitor: no new token");

    let (mut agent, _) = srv.agent_client("kf@leave").await;
    let list = agent_req(&mut agent, Request::leave_list(Some(false), 1, 20)).await;
    assert_eq!(list["code"], 200, "{list}");
    let data: LeftList = serde_json::from_value(list["data"].clone()).unwrap();
    assert_eq!(data.open, 1);
    let m = &data.items[0];
    assert_eq!(m.id, left.id);
    assert_eq!(m.content, "想咨询批量采购，请回电。\n谢谢");
    assert_eq!(m.uname, "王先生");
    assert_eq!(
        (m.fields[0].label.as_str(), m.fields[0].value.as_str()),
        ("phone", "138 0013 8000")
    );
    assert!(!m.done);
    assert_eq!(m.gid, srv.gid(&site, &token).await, "the chat's visitor");

    let answered = agent_req(
        &mut agent,
        Request::leave_answer(left.id, "您好，我们明天上午联系您。"),
    )
    .await;
    assert_eq!(answered["code"], 200, "{answered}");
    assert_eq!(answered["data"]["done"], true);
    assert_eq!(answered["data"]["answered_by"], "kf@leave");
    let open = agent_req(&mut agent, Request::leave_list(Some(false), 1, 20)).await;
    assert_eq!(open["data"]["open"], 0, "{open}");

    // The next visit: the answer is in the conversation, said by the agent.
    let back = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 0))
        .await
        .expect("welcome");
    let said: Vec<_> = back.replay.iter().map(|m| m.body.as_str()).collect();
    assert!(said.contains(&"您好，我们明天上午联系您。"), "{said:?}");

    // And the operator's list says so.
    let (code, out, err) = run(
        &srv.tdb.url,
        &["leave", "list", "--site", &site.sysnum, "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let list: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(list[0]["id"], left.id);
    assert_eq!(list[0]["answer"], "您好，我们明天上午联系您。");
    srv.stop().await;
}

#[tokio::test]
async fn templates_from_the_cli_shape_the_form_of_the_standalone_page() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let db = srv.tdb.url.clone();
    let (code, out, err) = run(
        &db,
        &[
            "leave",
            "template",
            "add",
            "--site",
            &site.sysnum,
            "--name",
            "售后",
            "--field",
            "text*:订单号",
            "--field",
            "email:邮箱",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).unwrap(),
        json!({"templateid": 1})
    );
    let (code, _, err) = run(
        &db,
        &[
            "leave",
            "template",
            "add",
            "--site",
            &site.sysnum,
            "--name",
            "x",
            "--field",
            "html:x",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("KIND"), "{err}");
    let (_, out, _) = run(
        &db,
        &[
            "leave",
            "template",
            "list",
            "--site",
            &site.sysnum,
            "--json",
        ],
    );
    let list: Vec<Template> = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(list.len(), 1, "the refused one is not stored");

    let t: Template = reqwest::get(format!(
        "{}/api/leave/template?sysnum={}&templateid=1",
        srv.http, site.sysnum
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(t, list[0]);
    assert_eq!(
        (
            t.fields[0].name.as_str(),
            t.fields[0].label.as_str(),
            t.fields[0].required
        ),
        ("f1", "订单号", true)
    );
    let default: Template = reqwest::get(format!(
        "{}/api/leave/template?sysnum={}",
        srv.http, site.sysnum
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(default, Template::default_form());

    // The stand-alone page (source=9, uid, no token): the required field, then a new visitor.
    let mut r = req(&site.sysnum, "退货地址是哪里？", &[("f2", "a@example.com")]);
    r.templateid = Some("1".into());
    r.uid = Some("shop-user-7".into());
    r.source = Some("9".into());
    let (status, body) = leave(&srv, &r).await;
    assert_eq!(
        (status, body["error"].as_str(), body["field"].as_str()),
        (400, Some("required"), Some("f1"))
    );
    r.fields.insert("f1".into(), "SO-1001".into());
    let (status, body) = leave(&srv, &r).await;
    assert_eq!(status, 201, "{body}");
    let left: Left = serde_json::from_value(body).unwrap();
    let token = left.token.expect("a new visitor's token for this browser");
    let (mut agent, _) = {
        srv.agent(&site.sysnum, "kf@tpl").await;
        srv.agent_client("kf@tpl").await
    };
    let list = agent_req(&mut agent, Request::leave_list(None, 1, 20)).await;
    let m = &list["data"]["items"][0];
    assert_eq!(m["templateid"], 1);
    assert_eq!(m["source"], "9");
    assert_eq!(m["partnerid"], "shop-user-7", "{m}");
    assert_eq!(
        m["fields"],
        json!([
            {"label": "订单号", "kind": "text", "value": "SO-1001"},
            {"label": "邮箱", "kind": "email", "value": "a@example.com"}
        ])
    );
    agent_req(
        &mut agent,
        Request::leave_answer(left.id, "地址已发到您的邮箱"),
    )
    .await;
    let back = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 0))
        .await
        .expect("the page's token opens the chat");
    assert_eq!(back.replay.last().unwrap().body, "地址已发到您的邮箱");
    srv.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_a_reason_and_nothing_is_stored() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let s = site.sysnum.as_str();
    let long = "长".repeat(2001);
    for (r, status, error, field) in [
        (
            req(s, "   ", &[("phone", "13800138000")]),
            400,
            "required",
            Some("content"),
        ),
        (
            req(s, &long, &[("phone", "13800138000")]),
            400,
            "too_long",
            Some("content"),
        ),
        (req(s, "hi", &[]), 400, "contact_required", Some("contact")),
        (
            req(s, "hi", &[("email", "not an address")]),
            400,
            "invalid",
            Some("email"),
        ),
        (
            req(s, "hi", &[("phone", "12")]),
            400,
            "invalid",
            Some("phone"),
        ),
        (
            req(s, "hi", &[("phone", "13800138000"), ("fax", "1")]),
            400,
            "unknown_field",
            Some("fax"),
        ),
        (
            req(s, "a\u{202e}b", &[("phone", "13800138000")]),
            400,
            "invalid",
            Some("content"),
        ),
        (
            req(&"0".repeat(32), "hi", &[("phone", "13800138000")]),
            404,
            "unknown_site",
            None,
        ),
        (
            req("nonsense", "hi", &[("phone", "13800138000")]),
            404,
            "unknown_site",
            None,
        ),
        (
            LeaveRequest {
                templateid: Some("9".into()),
                ..req(s, "hi", &[("phone", "13800138000")])
            },
            404,
            "unknown_template",
            None,
        ),
    ] {
        let (got, body) = leave(&srv, &r).await;
        assert_eq!(got, status, "{r:?}: {body}");
        assert_eq!(body["error"], error, "{body}");
        assert_eq!(body["field"].as_str(), field, "{body}");
        assert!(!body["message"].as_str().unwrap().is_empty());
    }
    // Only from the chat's own origin; a body that is no request.
    let ok = req(s, "hi", &[("phone", "13800138000")]);
    assert_eq!(leave_from(&srv, None, &ok).await.0, 403);
    assert_eq!(
        leave_from(&srv, Some("https://evil.example"), &ok).await.0,
        403
    );
    let resp = reqwest::Client::new()
        .post(format!("{}/api/leave", srv.http))
        .header("origin", &srv.http)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    // Agents: a missing id, an unknown one, an empty answer.
    srv.agent(s, "kf@bad").await;
    let (mut agent, _) = srv.agent_client("kf@bad").await;
    let list = agent_req(&mut agent, Request::leave_list(None, 1, 20)).await;
    assert_eq!(list["data"], json!({"open": 0, "items": []}));
    let r = agent.request(json!({"api_key": 34100, "msg": "x"})).await;
    assert_eq!(r["code"], -34101, "{r}");
    let r = agent_req(&mut agent, Request::leave_answer(999, "x")).await;
    assert_eq!(r["code"], -34102, "{r}");
    let (_, body) = leave(&srv, &ok).await;
    let id = body["id"].as_i64().unwrap();
    let r = agent_req(&mut agent, Request::leave_answer(id, "  ")).await;
    assert_eq!(r["code"], -34103, "{r}");
    // Done, then open again.
    let r = agent_req(&mut agent, Request::leave_done(id, true)).await;
    assert_eq!(
        (r["code"].as_i64(), r["data"]["done"].as_bool()),
        (Some(200), Some(true))
    );
    let r = agent_req(&mut agent, Request::leave_done(id, false)).await;
    assert_eq!(r["data"]["done"], false);
    // Another site's agent sees none of it.
    let other = srv.site().await;
    srv.agent(&other.sysnum, "kf@other").await;
    let (mut stranger, _) = srv.agent_client("kf@other").await;
    let r = agent_req(&mut stranger, Request::leave_list(None, 1, 20)).await;
    assert_eq!(r["data"]["open"], 0);
    let r = agent_req(&mut stranger, Request::leave_done(id, true)).await;
    assert_eq!(r["code"], -34102, "{r}");
    srv.stop().await;
}

#[tokio::test]
async fn left_messages_count_against_the_clients_message_budget() {
    let srv = TestServer::start_with_limits(
        |_| {},
        |l| {
            *l = frontdesk_server::Limits::new(&frontdesk_server::RateSettings {
                msgs_per_client: frontdesk_server::Rate {
                    burst: 2,
                    per_sec: 0.001,
                },
                ..frontdesk_server::RateSettings::default()
            })
        },
    )
    .await;
    let site = srv.site().await;
    let r = req(&site.sysnum, "hi", &[("email", "a@example.com")]);
    assert_eq!(leave(&srv, &r).await.0, 201);
    assert_eq!(leave(&srv, &r).await.0, 201);
    let (status, body) = leave(&srv, &r).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("rate_limited"))
    );
    let n = srv.db.open_left_messages(site.business_id).await.unwrap();
    assert_eq!(n, 2);
    srv.stop().await;
}

/// Issue 24: "posted to the site's push URL like any message": the left message (with the
/// form's values, since the seed's payload has no field for them) and then the agent's answer
/// reach a real receiver with the seed's ten fields and a valid signature.
#[tokio::test]
async fn a_left_message_and_its_answer_go_to_the_push_url() {
    let rx = crate::push::Receiver::start(0).await;
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    crate::push::set_push(&srv, &site.sysnum, &format!("{}/hook", rx.base), true).await;
    let g = frontdesk_server::admin::create_group(&srv.db, &site.sysnum, "售后")
        .await
        .unwrap();
    srv.agent_with(&site.sysnum, "kf@push", &[g.id], 5).await;
    let mut r = req(&site.sysnum, "请回电", &[("phone", "138 0013 8000")]);
    r.groupid = Some(g.id.to_string());
    let (status, body) = leave(&srv, &r).await;
    assert_eq!(status, 201, "{body}");
    let left: Left = serde_json::from_value(body).unwrap();

    let got = rx.wait_for(1).await;
    assert_eq!(got.len(), 1, "one push for one left message");
    let b: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(
        b.as_object().unwrap().len(),
        10,
        "the seed's ten fields: {b}"
    );
    assert_eq!(b["direction"], "to_service");
    assert_eq!(b["content"], "请回电\nphone: 138 0013 8000");
    assert_eq!(b["business_id"], json!(site.business_id));
    assert_eq!(
        (&b["service_id"], &b["service_name"]),
        (&json!(""), &json!(""))
    );
    assert_eq!(b["group"], "售后");
    assert_eq!(b["state"], "offline", "nobody has the chat open");
    let gid = b["visiter_id"].as_str().unwrap().to_owned();
    let delivery = srv
        .db
        .push_deliveries_of_site(site.business_id)
        .await
        .unwrap();
    assert_eq!(
        (delivery[0].left_id, delivery[0].message_id),
        (Some(left.id), None)
    );

    // The agent's answer goes as an agent message to the same visitor.
    let (mut agent, _) = srv.agent_client("kf@push").await;
    let answered = agent_req(&mut agent, Request::leave_answer(left.id, "明天联系您")).await;
    assert_eq!(answered["code"], 200, "{answered}");
    let got = rx.wait_for(2).await;
    let b: Value = serde_json::from_slice(&got[1].body).unwrap();
    assert_eq!(
        (&b["direction"], &b["content"], &b["visiter_id"]),
        (&json!("to_visiter"), &json!("明天联系您"), &json!(gid))
    );
    assert_eq!(b["service_name"], "kf@push");

    // Erasing the visitor empties the left message's push too (its text was in it).
    let (code, _, err) = run(
        &srv.tdb.url,
        &[
            "visitor",
            "erase",
            "--site",
            &site.sysnum,
            "--visitor",
            &gid,
            "--reason",
            "asked",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let log = srv
        .db
        .push_deliveries_of_site(site.business_id)
        .await
        .unwrap();
    assert!(log.iter().all(|d| d.payload == "{}"), "{log:?}");
    srv.stop().await;
}

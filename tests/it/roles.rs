//! Roles (issue 25, item 10): an agent serves its own chats; a supervisor also sees every
//! chat of its site (`32840`, live `32841`), writes in a colleague's chat (`32300`: the
//! colleague keeps it and sees the message) or takes it (`32842`); an admin also uses the site
//! admin API with its console token. Also the agent's invitation to rate (`32620`) and the
//! audit log of command-line changes. On SQLite and on PostgreSQL.

use harness::*;
use serde_json::Value;
use shared::agent::{api, code, Request};
use shared::visitor::{Author, RATE_INVITE};

use crate::cli::run;
use crate::workbench::{admin_api, admin_token};

fn rq(r: Request) -> Value {
    serde_json::to_value(r).unwrap()
}

/// An agent of `sysnum` with `role`, through `frontdesk admin agent create --role`.
fn agent_with_role(srv: &TestServer, sysnum: &str, account: &str, role: &str) {
    let (code, _, err) = run(
        &srv.tdb.url,
        &[
            "agent",
            "create",
            "--site",
            sysnum,
            "--account",
            account,
            "--nick",
            account,
            "--password",
            PASSWORD,
            "--role",
            role,
        ],
    );
    assert_eq!(code, 0, "{err}");
}

#[tokio::test]
async fn a_supervisor_sees_every_chat_joins_one_and_takes_one() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let s = site.sysnum.as_str();
    srv.agent(s, "ann@roles").await;
    agent_with_role(&srv, s, "sue@roles", "supervisor");
    let (mut ann, _) = srv.agent_client("ann@roles").await;
    let (mut v, gid) = srv.visitor_to(s, &mut ann, "我的订单还没到").await;
    // Sue logs in after Ann took the visitor; her login says who she is.
    let (mut sue, login) = srv.agent_client("sue@roles").await;
    assert_eq!(login["data"]["me"]["role"], "supervisor", "{login}");
    assert_eq!(login["data"]["guest_list"].as_object().unwrap().len(), 0);

    // Every chat of the site, with who serves it.
    let r = sue.request(rq(Request::watch_list())).await;
    assert_eq!(r["code"], 200, "{r}");
    let chats = r["data"]["chats"].as_array().unwrap();
    assert_eq!(chats.len(), 1, "{r}");
    assert_eq!(chats[0]["gid"], gid.as_str());
    assert_eq!(chats[0]["kf_nick"], "ann@roles");
    assert_eq!(chats[0]["last_msg"]["msg"], "我的订单还没到");

    // Live: the visitor's next message reaches Ann (32399) and Sue (32841).
    v.client.send_text("second", "还在吗").await;
    v.client.ack("second").await;
    assert_eq!(
        ann.push(api::VISITOR_MESSAGE).await["data"]["message_info"]["msg"],
        "还在吗"
    );
    let w = sue.push(api::WATCH_MESSAGE).await;
    assert_eq!(
        (
            w["data"]["gid"].as_str(),
            w["data"]["message_info"]["msg"].as_str()
        ),
        (Some(gid.as_str()), Some("还在吗"))
    );
    // Ann's own reply too.
    let r = ann.request(rq(Request::send(&gid, "马上查", 0))).await;
    assert_eq!(r["code"], 200);
    assert_eq!(
        sue.push(api::WATCH_MESSAGE).await["data"]["message_info"]["msg"],
        "马上查"
    );

    // Sue joins: the visitor sees her message, Ann keeps the chat and sees it too.
    let r = sue
        .request(rq(Request::send(&gid, "我是主管，我来跟进", 0)))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let m = loop {
        let m = v.client.next_msg().await;
        if m.body == "我是主管，我来跟进" {
            break m;
        }
    };
    assert_eq!(
        (m.from, m.nick.as_deref()),
        (Author::Agent, Some("sue@roles"))
    );
    let p = ann.push(api::VISITOR_MESSAGE).await;
    assert_eq!(
        p["data"]["message_info"]["msg"], "我是主管，我来跟进",
        "{p}"
    );
    assert_eq!(p["data"]["message_info"]["kf_nick"], "sue@roles");
    let r = ann.request(rq(Request::watch_list())).await;
    assert_eq!(
        r["code"],
        code::ROLE_FORBIDDEN,
        "an agent sees only its own: {r}"
    );

    // Sue takes the chat: Ann is told as after a transfer, Sue gets the visitor.
    let r = sue.request(rq(Request::take(&gid))).await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(r["data"]["kf_id"], login["data"]["me"]["kf_id"]);
    let done = ann.push(api::TRANSFER_DONE).await;
    assert_eq!(done["data"]["gid"], gid.as_str(), "{done}");
    sue.push(api::TRANSFER_IN).await;
    let r = sue.request(rq(Request::take(&gid))).await;
    assert_eq!(r["code"], code::TAKE_OWN, "{r}");
    // The visitor's next message goes to Sue now.
    v.client.send_text("third", "好的").await;
    v.client.ack("third").await;
    assert_eq!(
        sue.push(api::VISITOR_MESSAGE).await["data"]["message_info"]["msg"],
        "好的"
    );
    // Ann, an agent, may neither write in Sue's chat nor take it.
    let r = ann.request(rq(Request::send(&gid, "我还在", 0))).await;
    assert_eq!(r["code"], code::NOT_YOUR_VISITOR, "{r}");
    let r = ann.request(rq(Request::take(&gid))).await;
    assert_eq!(r["code"], code::ROLE_FORBIDDEN, "{r}");
    srv.stop().await;
}

#[tokio::test]
async fn a_supervisor_sees_nothing_of_another_site_and_a_demoted_one_stops_watching() {
    let srv =
        TestServer::start_with(|c| c.ping_interval = std::time::Duration::from_millis(200)).await;
    let (one, two) = (srv.site().await, srv.site().await);
    srv.agent(&one.sysnum, "ann@one").await;
    agent_with_role(&srv, &two.sysnum, "sue@two", "supervisor");
    let (mut ann, _) = srv.agent_client("ann@one").await;
    let (mut v, gid) = srv.visitor_to(&one.sysnum, &mut ann, "hello").await;
    let (mut sue, _) = srv.agent_client("sue@two").await;
    let r = sue.request(rq(Request::watch_list())).await;
    assert_eq!(r["data"]["chats"].as_array().unwrap().len(), 0, "{r}");
    for r in [Request::take(&gid), Request::send(&gid, "hi", 0)] {
        let r = sue.request(rq(r)).await;
        assert_eq!(r["code"], code::GID_NOT_FOUND, "{r}");
    }
    v.client.send_text("2", "again").await;
    v.client.ack("2").await;
    assert!(
        sue.no_push_within(api::WATCH_MESSAGE, std::time::Duration::from_millis(500))
            .await
    );

    // A supervisor of site one, demoted while logged in, stops hearing the site.
    agent_with_role(&srv, &one.sysnum, "sam@one", "supervisor");
    let (mut sam, _) = srv.agent_client("sam@one").await;
    v.client.send_text("3", "three").await;
    v.client.ack("3").await;
    assert_eq!(
        sam.push(api::WATCH_MESSAGE).await["data"]["message_info"]["msg"],
        "three"
    );
    let (code_, _, err) = run(
        &srv.tdb.url,
        &["agent", "set", "--account", "sam@one", "--role", "agent"],
    );
    assert_eq!(code_, 0, "{err}");
    // The socket re-reads its agent at each ping (every 200 ms here).
    let mut r = Value::Null;
    for _ in 0..100 {
        r = sam.request(rq(Request::watch_list())).await;
        if r["code"] != 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(r["code"], code::ROLE_FORBIDDEN, "{r}");
    v.client.send_text("4", "four").await;
    v.client.ack("4").await;
    assert!(
        sam.no_push_within(api::WATCH_MESSAGE, std::time::Duration::from_millis(500))
            .await
    );
    srv.stop().await;
}

#[tokio::test]
async fn an_admin_uses_the_admin_api_with_its_console_token_and_the_log_names_it() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let s = site.sysnum.as_str();
    agent_with_role(&srv, s, "boss@adm", "admin");
    agent_with_role(&srv, s, "sue@adm", "supervisor");
    let boss = srv.token("boss@adm").await;
    let r = admin_api(&srv, &boss, "/api/admin/site", None).await;
    assert_eq!(r["errcode"], 0, "{r}");
    let r = admin_api(
        &srv,
        &boss,
        "/api/admin/site/set",
        Some(serde_json::json!({"offline_title": "稍后回复您"})),
    )
    .await;
    assert_eq!(r["errcode"], 0, "{r}");
    // A supervisor's token is not enough; the site's own token still works.
    let sue = srv.token("sue@adm").await;
    let r = admin_api(&srv, &sue, "/api/admin/site", None).await;
    assert_eq!(r["errcode"], 48001, "{r}");
    assert!(r["errmsg"].as_str().unwrap().contains("supervisor"), "{r}");
    let site_token = admin_token(&srv, &site).await;
    let r = admin_api(&srv, &site_token, "/api/admin/audit", None).await;
    let entries = r["entries"].as_array().unwrap();
    let by_boss = entries
        .iter()
        .find(|e| e["action"] == "site/set")
        .expect("the change is logged");
    assert_eq!(by_boss["actor"], "agent boss@adm (admin)", "{r}");
    // Command-line changes are logged too, secrets left out; reads are not.
    let (c, _, err) = run(
        &srv.tdb.url,
        &[
            "agent",
            "passwd",
            "--account",
            "sue@adm",
            "--password",
            "n3w-passw0rd",
        ],
    );
    assert_eq!(c, 0, "{err}");
    let (c, _, err) = run(&srv.tdb.url, &["agent", "list", "--site", s]);
    assert_eq!(c, 0, "{err}");
    let r = admin_api(&srv, &site_token, "/api/admin/audit", None).await;
    let entries = r["entries"].as_array().unwrap();
    let cli: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["actor"]
                .as_str()
                .unwrap_or("")
                .starts_with("command line")
        })
        .collect();
    let actions: Vec<&str> = cli.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["agent passwd", "agent create", "agent create"],
        "{r}"
    );
    assert_eq!(cli[0]["detail"], r#"--account "sue@adm" --password (set)"#);
    assert!(!r.to_string().contains("n3w-passw0rd") && !r.to_string().contains(PASSWORD));
    srv.stop().await;
}

#[tokio::test]
async fn an_agent_asks_the_visitor_to_rate_once_it_answered() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "ann@ask").await;
    srv.agent(&site.sysnum, "bob@ask").await;
    let (mut ann, _) = srv.agent_client("ann@ask").await;
    let (mut v, gid) = srv.visitor_to(&site.sysnum, &mut ann, "hi").await;
    let r = ann.request(rq(Request::ask_rating(&gid))).await;
    assert_eq!(r["code"], code::RATING_NOTHING_TO_RATE, "{r}");
    let r = ann.request(rq(Request::send(&gid, "您好", 0))).await;
    assert_eq!(r["code"], 200);
    let r = ann.request(rq(Request::ask_rating(&gid))).await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(r["data"]["message_info"]["msg"], RATE_INVITE);
    assert_eq!(r["data"]["message_info"]["direction"], "system");
    let m = loop {
        let m = v.client.next_msg().await;
        if m.from == Author::System {
            break m;
        }
    };
    assert_eq!(m.body, RATE_INVITE);
    // Only the agent serving them may ask.
    let (mut bob, _) = srv.agent_client("bob@ask").await;
    let r = bob.request(rq(Request::ask_rating(&gid))).await;
    assert_eq!(r["code"], code::NOT_YOUR_VISITOR, "{r}");
    srv.stop().await;
}

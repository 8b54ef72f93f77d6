//! Rating a chat (issue 24, item 4): `POST /api/visitor/rating` stores one rating per chat
//! (changeable until the next chat), `frontdesk admin ratings` lists them; bad input and
//! visitors nobody served are refused with a reason. On SQLite and on PostgreSQL.

use harness::*;
use serde_json::{json, Value};
use shared::rating::{RateRequest, Rating};

use crate::cli::run;

async fn rate(srv: &TestServer, origin: Option<&str>, r: &RateRequest) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/visitor/rating", srv.http))
        .json(r);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn rq(sysnum: &str, token: &str, score: u8, comment: &str) -> RateRequest {
    RateRequest {
        sysnum: sysnum.into(),
        token: token.into(),
        score,
        tags: vec!["回复快".into()],
        comment: comment.into(),
    }
}

fn listed(srv: &TestServer, sysnum: &str, extra: &[&str]) -> Vec<Rating> {
    let mut args = vec!["ratings", "--site", sysnum, "--json"];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&srv.tdb.url, &args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(out.trim()).unwrap()
}

#[tokio::test]
async fn one_rating_per_chat_changeable_until_the_next_chat_and_listed() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "kf@rate").await;
    let (mut agent, _) = srv.agent_client("kf@rate").await;
    let (v, gid) = srv.visitor_to(&site.sysnum, &mut agent, "hello").await;
    let token = v.client.token.clone();
    let s = site.sysnum.as_str();

    // Nobody answered yet: nothing to rate.
    let (status, body) = rate(&srv, Some(&srv.http), &rq(s, &token, 5, "")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("not_served")),
        "{body}"
    );

    let r = agent
        .request(json!({"api_key": 32300, "gid": gid, "msg": "您好", "file_type": 0}))
        .await;
    assert_eq!(r["code"], 200);
    let (status, body) = rate(&srv, Some(&srv.http), &rq(s, &token, 5, "很专业")).await;
    assert_eq!(
        (status, body.clone()),
        (200, json!({"score": 5, "changed": false}))
    );
    // Changed, same chat.
    let (_, body) = rate(&srv, Some(&srv.http), &rq(s, &token, 3, "其实一般")).await;
    assert_eq!(body, json!({"score": 3, "changed": true}));
    let list = listed(&srv, s, &[]);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        (
            list[0].gid.as_str(),
            list[0].agent.as_str(),
            list[0].score,
            list[0].comment.as_str()
        ),
        (gid.as_str(), "kf@rate", 3, "其实一般")
    );
    assert_eq!(list[0].tags, vec!["回复快".to_owned()]);

    // The agent ends the chat; the next chat gets its own rating, the first one stays.
    let r = agent.request(json!({"api_key": 32600, "gid": gid})).await;
    assert_eq!(r["code"], 200, "{r}");
    let mut v = v;
    v.client.send_text("again", "再问一个问题").await;
    v.client.ack("again").await;
    // Routed again (to this agent, the only one online) before it answers.
    agent.push(32399).await;
    let r = agent
        .request(json!({"api_key": 32300, "gid": gid, "msg": "请讲", "file_type": 0}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let (_, body) = rate(&srv, Some(&srv.http), &rq(s, &token, 4, "")).await;
    assert_eq!(body, json!({"score": 4, "changed": false}));
    let list = listed(&srv, s, &[]);
    let scores: Vec<u8> = list.iter().map(|r| r.score).collect();
    assert_eq!(scores, vec![4, 3], "newest first");
    // The site's report counts both chats' ratings (CSAT, issue 25's reports).
    let report = frontdesk_server::admin::site_report(&srv.db, s, None, None, Some("UTC"))
        .await
        .unwrap();
    assert_eq!(
        (report.csat.count, report.csat.scores, report.csat.average),
        (2, [0, 0, 1, 1, 0], Some(3.5))
    );
    // --since: a day to come lists nothing; a bad date is refused.
    assert!(listed(&srv, s, &["--since", "2999-01-01"]).is_empty());
    assert_eq!(listed(&srv, s, &["--since", "2000-01-01"]).len(), 2);
    let (code, _, err) = run(
        &srv.tdb.url,
        &["ratings", "--site", s, "--since", "yesterday"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    srv.stop().await;
}

#[tokio::test]
async fn bad_ratings_are_refused_with_a_reason() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "kf@bad-rate").await;
    let (mut agent, _) = srv.agent_client("kf@bad-rate").await;
    let (v, gid) = srv.visitor_to(&site.sysnum, &mut agent, "hi").await;
    agent
        .request(json!({"api_key": 32300, "gid": gid, "msg": "hello", "file_type": 0}))
        .await;
    let (s, t) = (site.sysnum.as_str(), v.client.token.as_str());
    let long = "长".repeat(501);
    for (r, status, error) in [
        (rq(s, t, 0, ""), 400, "invalid"),
        (rq(s, t, 6, ""), 400, "invalid"),
        (rq(s, t, 5, &long), 400, "invalid"),
        (rq(s, t, 5, "a\u{0}b"), 400, "invalid"),
        (
            RateRequest {
                tags: vec!["x\u{202e}y".into()],
                ..rq(s, t, 5, "")
            },
            400,
            "invalid",
        ),
        (rq(s, "no-such-token", 5, ""), 403, "forbidden"),
        (rq(&"0".repeat(32), t, 5, ""), 403, "forbidden"),
    ] {
        let (got, body) = rate(&srv, Some(&srv.http), &r).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(error)),
            "{r:?}: {body}"
        );
        assert!(!body["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(rate(&srv, None, &rq(s, t, 5, "")).await.0, 403);
    assert_eq!(
        rate(&srv, Some("https://evil.example"), &rq(s, t, 5, ""))
            .await
            .0,
        403
    );
    assert!(listed(&srv, s, &[]).is_empty(), "nothing stored");
    srv.stop().await;
}

//! Avatars in the visitor's chat (issue 24 item 6, seed 003 `show_face`):
//! `POST /api/visitor/faces` answers the avatars of the agents who wrote in the token's
//! conversation, by nick, and nothing of the site's other agents; it takes requests from the
//! chat's own origin only, and a token nobody holds is refused. On SQLite and on PostgreSQL.

use harness::*;
use serde_json::{json, Value};
use shared::face::{Face, Faces, FacesRequest};

async fn faces(srv: &TestServer, origin: Option<&str>, sysnum: &str, token: &str) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/visitor/faces", srv.http))
        .json(&FacesRequest {
            sysnum: sysnum.into(),
            token: token.into(),
        });
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn set(srv: &TestServer, account: &str, args: &[&str]) {
    let mut all = vec!["agent", "set", "--account", account];
    all.extend_from_slice(args);
    let (code, _, err) = crate::cli::run(&srv.tdb.url, &all);
    assert_eq!(code, 0, "{err}");
}

#[tokio::test]
async fn a_visitor_gets_the_avatars_of_the_agents_who_wrote_to_them_only() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let s = site.sysnum.as_str();
    srv.agent(s, "kim@face").await;
    srv.agent(s, "lee@face").await;
    set(
        &srv,
        "kim@face",
        &[
            "--avatar",
            "https%3A%2F%2Fimg.example.com%2Fkim.png",
            "--nick",
            "Kim",
        ],
    );
    set(
        &srv,
        "lee@face",
        &[
            "--avatar",
            "https://img.example.com/lee.png",
            "--nick",
            "Lee",
        ],
    );
    let (mut kim, _) = srv.agent_client("kim@face").await;

    // Before writing, a visitor holds a pending token: no conversation, no faces.
    let fresh = VisitorClient::fresh(&srv.ws, s).await;
    let (status, body) = faces(&srv, Some(&srv.http), s, &fresh.client.token).await;
    assert_eq!((status, body), (200, json!({"faces": []})));

    let (v, gid) = srv.visitor_to(s, &mut kim, "hello").await;
    let token = v.client.token.clone();
    let (_, body) = faces(&srv, Some(&srv.http), s, &token).await;
    assert_eq!(body, json!({"faces": []}), "nobody answered yet");
    let r = kim
        .request(json!({"api_key": 32300, "gid": gid, "msg": "Hi, Kim here", "file_type": 0}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let (status, body) = faces(&srv, Some(&srv.http), s, &token).await;
    assert_eq!(status, 200, "{body}");
    let got: Faces = serde_json::from_value(body).unwrap();
    assert_eq!(
        got.faces,
        vec![Face {
            nick: "Kim".into(),
            avatar: "https://img.example.com/kim.png".into()
        }],
        "Kim wrote; Lee, of the same site, did not"
    );

    // An agent without an avatar is left out (the chat page shows the nick's initial).
    set(&srv, "kim@face", &["--avatar", ""]);
    let (_, body) = faces(&srv, Some(&srv.http), s, &token).await;
    assert_eq!(body, json!({"faces": []}));

    // Refused: another origin, no origin, a token nobody holds, a bad sysnum.
    for (origin, sysnum, tok) in [
        (Some("https://evil.example"), s, token.as_str()),
        (None, s, token.as_str()),
        (Some(srv.http.as_str()), s, "no-such-token"),
        (Some(srv.http.as_str()), "not a sysnum", token.as_str()),
    ] {
        let (status, body) = faces(&srv, origin, sysnum, tok).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("forbidden")),
            "{origin:?} {sysnum} {tok}: {body}"
        );
    }
    let bad = reqwest::Client::new()
        .post(format!("{}/api/visitor/faces", srv.http))
        .header("origin", &srv.http)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    srv.stop().await;
}

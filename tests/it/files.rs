//! Uploads: agents send images and files; types are checked by content, sizes are capped,
//! and files are served so that nothing in them can run on our origin.

use harness::*;
use serde_json::{json, Value};
use shared::visitor::MsgKind;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

async fn upload(srv: &TestServer, token: &str, name: &str, body: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/files?name={}", srv.http, name))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/html") // what the client claims never matters
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_agent_uploads_an_image_and_sends_it_to_the_visitor() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let token = srv.token("alice@test").await;
    let (mut alice, _) = AgentClient::login(&srv.ws, &token).await;
    let (mut v, gid) = srv
        .visitor_to(&site.sysnum, &mut alice, "can you show me?")
        .await;

    let r = upload(&srv, &token, "photo%20one.png", PNG.to_vec()).await;
    assert_eq!(r.status(), 200);
    let up: Value = r.json().await.unwrap();
    assert_eq!(up["mime"], "image/png");
    assert_eq!(up["file_type"], 1);
    assert_eq!(up["name"], "photo one.png");
    let url = up["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/files/", srv.http)), "{url}");

    let r = alice
        .request(json!({"api_key": 32300, "gid": gid, "msg": url, "file_type": 1}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let m = v.client.next_msg().await;
    assert_eq!((m.kind, m.body.as_str()), (MsgKind::Image, url.as_str()));

    // Served as an inline image, with nosniff and a sandboxing CSP.
    let got = reqwest::get(&url).await.unwrap();
    assert_eq!(got.status(), 200);
    let h = got.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline"));
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);
    srv.stop().await;
}

#[tokio::test]
async fn documents_download_as_attachments_and_dangerous_types_are_refused() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let token = srv.token("alice@test").await;

    let r = upload(&srv, &token, "invoice.pdf", b"%PDF-1.7\n%...".to_vec()).await;
    let up: Value = r.json().await.unwrap();
    assert_eq!(up["file_type"], 6);
    let got = reqwest::get(up["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(got.headers()["content-type"], "application/pdf");
    let cd = got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cd.starts_with("attachment") && cd.contains("invoice.pdf"),
        "{cd}"
    );

    // HTML (even named .png), SVG and executables are refused by content.
    for (name, body) in [
        (
            "evil.html",
            b"<html><script>alert(1)</script></html>".to_vec(),
        ),
        (
            "evil.png",
            b"<html><script>alert(1)</script></html>".to_vec(),
        ),
        (
            "logo.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec(),
        ),
        ("setup.exe", b"MZ\x90\x00\x03\x00".to_vec()),
    ] {
        let r = upload(&srv, &token, name, body).await;
        assert_eq!(r.status(), 415, "{name}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"],
            "unsupported_type"
        );
    }
    // Text is fine, but only ever served as a text/plain attachment.
    let r = upload(
        &srv,
        &token,
        "notes.txt",
        b"<script>alert(1)</script>".to_vec(),
    )
    .await;
    let up: Value = r.json().await.unwrap();
    let got = reqwest::get(up["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(got.headers()["content-type"], "text/plain; charset=utf-8");
    assert!(got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    srv.stop().await;
}

#[tokio::test]
async fn uploads_need_a_live_agent_token_and_respect_the_size_cap() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let token = srv.token("alice@test").await;
    assert_eq!(
        upload(&srv, "nope", "a.png", PNG.to_vec()).await.status(),
        401
    );
    assert_eq!(
        upload(&srv, &token, "a.png", Vec::new()).await.status(),
        400
    );
    let mut big = PNG.to_vec();
    big.resize(frontdesk_server::files::MAX_UPLOAD + 1, 0);
    assert_eq!(upload(&srv, &token, "big.png", big).await.status(), 413);
    // Unknown ids and malformed ids are plain 404s.
    for p in [
        "/files/00000000000000000000000000000000/x.png",
        "/files/..%2f..%2fetc/passwd",
    ] {
        assert_eq!(
            reqwest::get(format!("{}{p}", srv.http))
                .await
                .unwrap()
                .status(),
            404,
            "{p}"
        );
    }
    srv.stop().await;
}

#[tokio::test]
async fn media_messages_must_be_http_urls_and_cards_json_objects() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let (mut alice, _) = srv.agent_client("alice@test").await;
    let (_v, gid) = srv.visitor_to(&site.sysnum, &mut alice, "hi").await;
    for (msg, ft) in [
        ("javascript:alert(1)", 1),
        ("data:text/html,<script>alert(1)</script>", 6),
        ("https://ok.example/a b.png", 1),
        ("not json", 3),
        ("[1,2]", 4),
    ] {
        let r = alice
            .request(json!({"api_key": 32300, "gid": gid, "msg": msg, "file_type": ft}))
            .await;
        assert_eq!(r["code"], -32305, "{msg} as {ft}: {r}");
    }
    let card =
        json!({"card_title": "云客服", "card_url": "https://www.sobot.com", "card_note": "1500"})
            .to_string();
    let r = alice
        .request(json!({"api_key": 32300, "gid": gid, "msg": card, "file_type": 3}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    srv.stop().await;
}

async fn visitor_upload(
    srv: &TestServer,
    origin: Option<&str>,
    sysnum: &str,
    token: &str,
    name: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .post(format!(
            "{}/api/visitor/files?sysnum={sysnum}&name={name}",
            srv.http
        ))
        .header("authorization", format!("Bearer {token}"))
        .body(body);
    if let Some(o) = origin {
        r = r.header("origin", o);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// Issue 24, item 5: a visitor sends a picture once an agent serves them — from the chat's
/// own origin with their token, the same type sniffing and cap as agents' uploads — and the
/// agent gets it as `file_type` 1 whose URL serves the same bytes.
#[tokio::test]
async fn a_visitor_sends_a_picture_once_served_with_the_agents_checks() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let s = site.sysnum.as_str();
    srv.agent(s, "ann@pics").await;
    let mut v = VisitorClient::fresh(&srv.ws, s).await;
    v.client
        .send_text("1", "I have a photo of the damage")
        .await;
    v.client.ack("1").await;
    let token = v.client.token.clone();
    let own = Some(srv.http.as_str());
    // Nobody serves them yet.
    let (st, body) = visitor_upload(&srv, own, s, &token, "a.png", PNG.to_vec()).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (409, Some("not_served")),
        "{body}"
    );
    let (mut ann, _) = srv.agent_client("ann@pics").await;
    let gid = srv.gid(&site, &token).await;
    let r = ann
        .request(
            serde_json::to_value(shared::agent::Request::send(&gid, "Please send it", 0)).unwrap(),
        )
        .await;
    assert_eq!(r["code"], 200, "{r}");
    // Another origin, no origin, a wrong token: refused.
    for (origin, tok) in [
        (Some("https://evil.example"), token.as_str()),
        (None, token.as_str()),
        (own, "nope"),
    ] {
        let (st, body) = visitor_upload(&srv, origin, s, tok, "a.png", PNG.to_vec()).await;
        assert_eq!(
            (st, body["error"].as_str()),
            (403, Some("forbidden")),
            "{origin:?} {body}"
        );
    }
    // An SVG (script inside) and an oversized file: refused with a reason.
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    let (st, body) = visitor_upload(&srv, own, s, &token, "x.svg", svg).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (415, Some("unsupported_type")),
        "{body}"
    );
    let mut big = PNG.to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let (st, body) = visitor_upload(&srv, own, s, &token, "big.png", big).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );
    // A picture: stored, sent as kind 1, the same bytes served inline.
    let (st, up) = visitor_upload(&srv, own, s, &token, "damage.png", PNG.to_vec()).await;
    assert_eq!(st, 200, "{up}");
    assert_eq!(
        (up["file_type"].as_u64(), up["mime"].as_str()),
        (Some(1), Some("image/png"))
    );
    let url = up["url"].as_str().unwrap().to_owned();
    v.client.send_frame_kind("2", MsgKind::Image, &url).await;
    v.client.ack("2").await;
    let p = ann.push(32399).await;
    assert_eq!(
        (
            p["data"]["message_info"]["file_type"].as_u64(),
            p["data"]["message_info"]["msg"].as_str()
        ),
        (Some(1), Some(url.as_str()))
    );
    let got = reqwest::get(&url).await.unwrap();
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);
    srv.stop().await;
}

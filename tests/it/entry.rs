//! Seed 000's chat entry, `GET /index/index/home?visiter_id=&visiter_name=&avatar=
//! &business_id=&groupid=&product=`: `visiter_id` is the identity (another device resumes the
//! conversation), the other values go to the chat page; bad input gets a page saying what is
//! wrong, never a 500.

use harness::*;
use serde_json::json;
use shared::visitor::ServerFrame;

/// The seed's product example, verbatim (seed 000 "product").
const PRODUCT: &str = r#"{"pid":1,"title":" Apple MacBook Air ","img":"http://www.wolive.cc/assets/images/pro.jpg","info":"13.3英寸笔记本电脑银色(2017款Core i5 处理器/8GB内存/128GB闪存 MQD32CH/A)","price":"¥7588.00","url":"http://www.wolive.cc/demo/index/product1"}"#;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `GET /index/index/home` with `query` → (status, body, `Location`).
async fn home(srv: &TestServer, query: &[(&str, &str)]) -> (u16, String, Option<String>) {
    let r = client()
        .get(format!("{}/index/index/home", srv.http))
        .query(query)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, r.text().await.unwrap(), location)
}

/// An attribute of the token page's `<html>` element.
fn attr(page: &str, name: &str) -> String {
    let start = page.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
    let end = start + page[start..].find('"').unwrap();
    page[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn visiter_id_is_the_identity_on_every_device() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    let bid = site.business_id.to_string();
    let query = [
        ("visiter_id", "wolive-user-42"),
        ("visiter_name", "小王"),
        ("avatar", "http://www.wolive.cc/assets/images/avatar.png"),
        ("business_id", bid.as_str()),
        ("groupid", ""),
        ("product", PRODUCT),
    ];
    let (status, page, _) = home(&srv, &query).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        attr(&page, "data-k"),
        format!("frontdesk.token.{}", site.sysnum)
    );
    let chat = attr(&page, "data-u");
    assert!(
        chat.starts_with(&format!("/chat/h5/v2/index.html?sysnum={}", site.sysnum)),
        "{chat}"
    );
    for part in [
        "uname=%E5%B0%8F%E7%8E%8B",
        "face=http%3A%2F%2Fwww.wolive.cc%2Fassets%2Fimages%2Favatar.png",
        "product=%7B%22pid%22%3A1%2C",
    ] {
        assert!(chat.contains(part), "{part} in {chat}");
    }
    // The first device writes.
    let token = attr(&page, "data-t");
    let mut a = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 0))
        .await
        .expect("welcome");
    assert!(
        !a.client.visitor_id.is_empty(),
        "the entry made the visitor"
    );
    a.client.send_text("c1", "hello from the phone").await;
    a.client.ack("c1").await;
    // Another device, the same visiter_id: another token, the same conversation.
    let (_, page2, _) = home(&srv, &query).await;
    let token2 = attr(&page2, "data-t");
    assert_ne!(token, token2);
    let b = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token2), 0))
        .await
        .expect("welcome");
    assert_eq!(b.client.visitor_id, a.client.visitor_id);
    assert_eq!(b.replay.len(), 1);
    assert_eq!(b.replay[0].body, "hello from the phone");
    // Agents see the id as the visitor's partnerid.
    srv.agent(&site.sysnum, "kf@entry").await;
    let (_, login) = srv.agent_client("kf@entry").await;
    let g = &login["data"]["guest_list"][&a.client.visitor_id];
    assert_eq!(g["partnerid"], "wolive-user-42", "{login}");
    srv.stop().await;
}

#[tokio::test]
async fn bad_entries_get_a_page_that_says_why() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let bid = site.business_id.to_string();
    for (query, status, says) in [
        (vec![("visiter_id", "u1")], 404, "business_id"),
        (
            vec![("business_id", "99999"), ("visiter_id", "u1")],
            404,
            "business_id",
        ),
        (vec![("business_id", "abc")], 400, "business_id"),
        (
            vec![("business_id", bid.as_str()), ("product", "{not json")],
            400,
            "product",
        ),
        (
            vec![("business_id", bid.as_str()), ("product", "[1,2]")],
            400,
            "product",
        ),
        (
            vec![("business_id", bid.as_str()), ("visiter_id", "a\u{202e}b")],
            400,
            "visiter_id",
        ),
    ] {
        let (got, page, _) = home(&srv, &query).await;
        assert_eq!(got, status, "{query:?}: {page}");
        assert!(page.contains(says), "{query:?}: {page}");
        assert!(page.contains("data-testid=\"fd-home-error\""), "{page}");
    }
    // In English when asked, and what was asked is never echoed as HTML.
    let (_, page, _) = home(
        &srv,
        &[("business_id", "<script>x</script>"), ("locale", "en")],
    )
    .await;
    assert!(page.contains("business_id is not valid."), "{page}");
    assert!(!page.contains("<script>x"), "{page}");
    srv.stop().await;
}

#[tokio::test]
async fn without_an_id_the_entry_is_the_chat_link() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let bid = site.business_id.to_string();
    let (status, _, location) = home(
        &srv,
        &[
            ("business_id", bid.as_str()),
            ("visiter_name", "Guest"),
            ("avatar", "javascript:alert(1)"),
            ("groupid", "7"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.unwrap(),
        format!(
            "/chat/h5/v2/index.html?sysnum={}&uname=Guest&groupid=7",
            site.sysnum
        ),
        "an avatar that is no http(s) URL is dropped"
    );
    srv.stop().await;
}

#[tokio::test]
async fn a_site_with_the_security_check_needs_a_signed_entry() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    frontdesk_server::admin::set_site(
        &srv.db,
        &site.sysnum,
        frontdesk_server::admin::SiteSettings {
            sign_check: Some("md5".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let bid = site.business_id.to_string();
    let (status, page, _) =
        home(&srv, &[("business_id", bid.as_str()), ("visiter_id", "u1")]).await;
    assert_eq!(status, 403, "{page}");
    let sign = {
        use md5::{Digest, Md5};
        hex::encode(Md5::digest(format!("{}{}u1", site.sysnum, site.sign_key)))
    };
    let (status, _, location) = home(
        &srv,
        &[
            ("business_id", bid.as_str()),
            ("visiter_id", "u1"),
            ("sign", &sign),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(
        location.ends_with(&format!("&partnerid=u1&sign={sign}")),
        "{location}"
    );
    // The chat page proves it at hello like any signed page.
    let mut h = hello(&site.sysnum, None, 0);
    h.partnerid = Some("u1".into());
    h.sign = Some(sign);
    let s = VisitorClient::hello(&srv.ws, h).await.expect("welcome");
    assert!(!s.client.visitor_id.is_empty());
    let mut h = hello(&site.sysnum, None, 0);
    h.partnerid = Some("u1".into());
    h.sign = Some("0".repeat(32));
    match VisitorClient::hello(&srv.ws, h).await {
        Err(ServerFrame::Error { code, .. }) => {
            assert_eq!(serde_json::to_value(code).unwrap(), json!("sign_invalid"))
        }
        Ok(_) => panic!("a wrong sign was accepted"),
        Err(other) => panic!("{other:?}"),
    }
    srv.stop().await;
}

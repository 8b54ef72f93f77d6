//! A customer's data (issue 26): `admin visitor export` prints everything stored about one
//! visitor, `admin visitor erase` removes what they said and left (counts stay, the erasure
//! is logged), and a site's `--retain-days` has the background sweep delete older messages
//! and uploads. Through the real binary's CLI, on SQLite and PostgreSQL.

use std::time::Duration;

use frontdesk_server::admin::{self, SiteSettings};
use harness::*;
use md5::{Digest, Md5};
use serde_json::{json, Value};
use shared::ids::Seq;

use crate::backup::admin as cli;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

/// A signed visitor `partnerid` of `site` (md5 check on) who wrote `texts`, answered by
/// `account` with an uploaded picture; returns the session and the picture's URL.
async fn customer(
    s: &TestServer,
    site: &admin::SiteCreated,
    partnerid: &str,
    account: &str,
    texts: &[&str],
) -> (Session, String) {
    let sign = hex::encode(Md5::digest(format!(
        "{}{}{partnerid}",
        site.sysnum, site.sign_key
    )));
    let h = shared::visitor::Hello {
        partnerid: Some(partnerid.into()),
        sign: Some(sign),
        uname: Some("Jane Customer".into()),
        ..hello(&site.sysnum, None, 0)
    };
    let mut v = VisitorClient::hello(&s.ws, h).await.expect("welcome");
    let (mut agent, _) = s.agent_client(account).await;
    for (i, t) in texts.iter().enumerate() {
        v.client.send_text(&format!("c{i}"), t).await;
        v.client.ack(&format!("c{i}")).await;
    }
    let gid = agent.push(32399).await["data"]["gid"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = s.token(account).await;
    let up: Value = reqwest::Client::new()
        .post(format!("{}/api/files?name=receipt.png", s.http))
        .bearer_auth(&token)
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = up["url"].as_str().expect("uploaded").to_owned();
    let r = agent
        .request(json!({"api_key": 32300, "gid": gid, "msg": url, "file_type": 1}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    (v, url)
}

async fn md5_site(s: &TestServer) -> admin::SiteCreated {
    let site = s.site().await;
    admin::set_site(
        &s.db,
        &site.sysnum,
        SiteSettings {
            sign_check: Some("md5".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    site
}

#[tokio::test]
async fn a_visitors_data_is_exported_then_erased_and_the_erasure_logged() {
    let s = TestServer::start().await;
    let site = md5_site(&s).await;
    let account = format!("pat@{}", site.sysnum);
    s.agent(&site.sysnum, &account).await;
    let (v, url) = customer(
        &s,
        &site,
        "cust-42",
        &account,
        &["my address is 1 Main St", "thanks"],
    )
    .await;
    // Another visitor of the site, who is not erased.
    let (other, _) = customer(&s, &site, "cust-43", &account, &["unrelated"]).await;
    let id: i64 = v.client.visitor_id.parse().unwrap();
    // They also left a message (signed, as the site's check requires).
    let left = reqwest::Client::new()
        .post(format!("{}/api/leave", s.http))
        .header("origin", &s.http)
        .json(&shared::leave::LeaveRequest {
            sysnum: site.sysnum.clone(),
            uid: Some("cust-42".into()),
            sign: Some(hex::encode(Md5::digest(format!(
                "{}{}cust-42",
                site.sysnum, site.sign_key
            )))),
            content: "please call me back".into(),
            fields: [("phone".to_owned(), "13800138000".to_owned())].into(),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    assert_eq!(left.status().as_u16(), 201);

    let (code, out, err) = cli(
        &s.tdb.url,
        &[
            "visitor",
            "export",
            "--site",
            &site.sysnum,
            "--partnerid",
            "cust-42",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let e: Value = serde_json::from_str(&out).expect("export is one JSON value");
    assert_eq!(e["visitor"]["id"], id);
    assert_eq!(e["visitor"]["partnerid"], "cust-42");
    assert_eq!(e["visitor"]["uname"], "Jane Customer");
    let bodies: Vec<&str> = e["conversation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies.contains(&"my address is 1 Main St") && bodies.contains(&url.as_str()),
        "{bodies:?}"
    );
    assert_eq!(e["uploads"][0]["name"], "receipt.png", "{e}");
    assert_eq!(e["uploads"][0]["mime"], "image/png");
    assert!(e["visits"].is_object() && e["erasures"] == json!([]), "{e}");
    assert_eq!(e["ratings"], json!([]), "{e}");
    assert_eq!(
        e["left_messages"][0]["content"], "please call me back",
        "{e}"
    );
    let length = bodies.len();

    let (code, out, err) = cli(
        &s.tdb.url,
        &[
            "visitor",
            "erase",
            "--site",
            &site.sysnum,
            "--partnerid",
            "cust-42",
            "--reason",
            "request #7",
            "--json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let erased: Value = serde_json::from_str(out.trim()).expect("one JSON value");
    assert_eq!(erased["messages"], length as i64, "{erased}");
    assert_eq!(erased["files"], 1, "{erased}");

    // The upload is gone; the text is gone; the conversation's length (aggregates) is kept.
    let got = reqwest::get(&url).await.unwrap();
    assert_eq!(got.status(), 404);
    let left = s.db.messages_after(id, Seq(0), 1000).await.unwrap();
    assert_eq!(left.len(), length);
    assert!(left.iter().all(|m| m.body.is_empty()), "{left:?}");
    // The partnerid no longer names them; by id, the export shows the logged erasure.
    let (code, _, err) = cli(
        &s.tdb.url,
        &[
            "visitor",
            "export",
            "--site",
            &site.sysnum,
            "--partnerid",
            "cust-42",
        ],
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no visitor with partnerid"), "{err}");
    let (code, out, _) = cli(
        &s.tdb.url,
        &[
            "visitor",
            "export",
            "--site",
            &site.sysnum,
            "--visitor",
            &id.to_string(),
        ],
    )
    .await;
    assert_eq!(code, 0);
    let e: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(e["visitor"]["partnerid"], Value::Null);
    assert_eq!(e["visitor"]["uname"], "");
    assert_eq!(e["erasures"][0]["reason"], "request #7");
    assert_eq!(e["uploads"], json!([]));
    assert_eq!(
        e["left_messages"][0]["content"], "",
        "the left message's text is gone"
    );
    assert_eq!(e["left_messages"][0]["fields"], json!([]));
    // Their old token no longer opens the conversation.
    assert!(s
        .db
        .visitor_by_token(site.business_id, &v.client.token)
        .await
        .unwrap()
        .is_none());
    // The other visitor is untouched.
    let oid: i64 = other.client.visitor_id.parse().unwrap();
    let theirs = s.db.messages_after(oid, Seq(0), 1000).await.unwrap();
    assert!(theirs.iter().any(|m| m.body == "unrelated"));
    // Nobody else's: a visitor id of another site is refused.
    let (code, _, err) = cli(
        &s.tdb.url,
        &[
            "visitor",
            "erase",
            "--site",
            &s.site().await.sysnum,
            "--visitor",
            &oid.to_string(),
        ],
    )
    .await;
    assert_eq!(code, 2, "{err}");
}

#[tokio::test]
async fn retention_deletes_old_messages_and_uploads_and_conversations_go_on() {
    let s = TestServer::start_with(|c| c.retention_sweep = Duration::from_millis(100)).await;
    let (kept_site, old_site) = (md5_site(&s).await, md5_site(&s).await);
    for site in [&kept_site, &old_site] {
        s.agent(&site.sysnum, &format!("ann@{}", site.sysnum)).await;
    }
    let (mut old, old_url) = customer(
        &s,
        &old_site,
        "p1",
        &format!("ann@{}", old_site.sysnum),
        &["one", "two", "three"],
    )
    .await;
    let (kept, _) = customer(
        &s,
        &kept_site,
        "p2",
        &format!("ann@{}", kept_site.sysnum),
        &["stays"],
    )
    .await;
    let (oid, kid): (i64, i64) = (
        old.client.visitor_id.parse().unwrap(),
        kept.client.visitor_id.parse().unwrap(),
    );
    let before = s.db.messages_after(oid, Seq(0), 1000).await.unwrap();
    let kept_before = s.db.messages_after(kid, Seq(0), 1000).await.unwrap();
    // Everything so far is 40 days old (a fixture: no API writes the past).
    let day_ms: i64 = 86_400_000;
    s.tdb
        .exec(&[
            &format!(
                "UPDATE messages SET created_at = created_at - {}",
                40 * day_ms
            ),
            &format!("UPDATE files SET created_at = created_at - {}", 40 * 86_400),
        ])
        .await;
    let (code, _, err) = cli(
        &s.tdb.url,
        &[
            "site",
            "set",
            "--site",
            &old_site.sysnum,
            "--retain-days",
            "30",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let last_seq = before.last().unwrap().seq;
    let left = eventually("the retention sweep", || async {
        let left = s.db.messages_after(oid, Seq(0), 1000).await.unwrap();
        (left.len() == 1)
            .then_some(left)
            .ok_or(format!("{} messages left", before.len()))
    })
    .await;
    assert_eq!(
        left[0].seq, last_seq,
        "the last message stays, numbering goes on from it"
    );
    assert_eq!(left[0].body, "", "its text is removed");
    assert_eq!(
        reqwest::get(&old_url).await.unwrap().status(),
        404,
        "the old upload is gone"
    );
    // A site without retention keeps everything.
    let kept_now = s.db.messages_after(kid, Seq(0), 1000).await.unwrap();
    assert_eq!(kept_now.len(), kept_before.len());
    // The conversation goes on: the next message is numbered after the last.
    old.client.send_text("c9", "four").await;
    assert_eq!(old.client.ack("c9").await, Seq(last_seq as u64 + 1));
    // New messages are younger than 30 days: the sweep leaves them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = s.db.messages_after(oid, Seq(0), 1000).await.unwrap();
    assert_eq!(after.last().unwrap().body, "four");
}

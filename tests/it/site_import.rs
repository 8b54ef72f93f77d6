//! A site that moves from the hosted system keeps its ids: `admin site create` with
//! `--sysnum`, `--business-id`, `--appid/--secret` and `--sign-key` stores exactly those, and
//! the site's snippet key, seed 000/002 calls and signing backend work unchanged against the
//! real server. Malformed ids and ids another site holds are refused with exit code ≠ 0 and
//! nothing is created.

use harness::*;
use md5::{Digest, Md5};
use serde_json::Value;
use shared::visitor::Hello;

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-under-test");

const SYSNUM: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const BUSINESS_ID: &str = "4242";
const APPID: &str = "wx8f3c2a1b0d9e7f65";
const SECRET: &str = "hosted-secret_0123456789";
const SIGN_KEY: &str = "k3y-from-the-hosted-console";

fn admin(db: &str, args: &[&str]) -> (i32, String, String) {
    crate::cli::run(db, args)
}

fn import(db: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["site", "create", "--name", "Moved shop", "--json"];
    args.extend_from_slice(extra);
    admin(db, &args)
}

const ALL_IDS: &[&str] = &[
    "--sysnum",
    SYSNUM,
    "--business-id",
    BUSINESS_ID,
    "--appid",
    APPID,
    "--secret",
    SECRET,
    "--sign-key",
    SIGN_KEY,
];

#[tokio::test]
async fn a_moved_site_keeps_its_ids_and_its_integrations_work() {
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("fd.db")).await;
    let db = tdb.url.clone();
    let (code, out, err) = import(&db, ALL_IDS);
    assert_eq!(code, 0, "{err}");
    let site: Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(site["sysnum"], SYSNUM);
    assert_eq!(site["business_id"], 4242);
    assert_eq!(site["appid"], APPID);
    assert_eq!(site["secret"], SECRET);
    assert_eq!(site["sign_key"], SIGN_KEY);

    let (code, _, err) = admin(
        &db,
        &["group", "create", "--site", SYSNUM, "--name", "Sales"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = admin(
        &db,
        &["site", "set", "--site", SYSNUM, "--sign-check", "md5"],
    );
    assert_eq!(code, 0, "{err}");

    let srv = ProcessServer::spawn(BIN, &db, &[]).await;
    let http = reqwest::Client::new();

    // The pasted snippet's loader URL, unchanged but for the host.
    let entrance = http
        .get(format!(
            "{}/chat/frame/v2/entrance.js?sysnum={SYSNUM}",
            srv.http
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(entrance.status(), 200);

    // Seed 000: the group list under the old business_id.
    let groups: Value = http
        .get(format!("{}/api/group/{BUSINESS_ID}", srv.http))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(groups["code"], 0, "{groups}");
    assert_eq!(groups["msg"][0]["groupname"], "Sales", "{groups}");

    // Seed 002: a token from the old appid/secret.
    let token: Value = http
        .get(format!(
            "{}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}",
            srv.http
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(token["access_token"].is_string(), "{token}");
    assert_eq!(token["expires_in"], 7200);

    // The site's signing backend keeps computing MD5(sysnum + sign_key + partnerid).
    let partnerid = "member-77";
    let sign = hex::encode(Md5::digest(format!("{SYSNUM}{SIGN_KEY}{partnerid}")));
    let signed = Hello {
        partnerid: Some(partnerid.into()),
        sign: Some(sign),
        ..hello(SYSNUM, None, 0)
    };
    let mut s = VisitorClient::hello(&srv.ws, signed)
        .await
        .expect("a correctly signed visitor is welcomed");
    s.client.send_text("c1", "hello from the moved site").await;
    assert_eq!(s.client.ack("c1").await.0, 1);

    let forged = Hello {
        partnerid: Some(partnerid.into()),
        sign: Some(hex::encode(Md5::digest(format!(
            "{SYSNUM}wrong{partnerid}"
        )))),
        ..hello(SYSNUM, None, 0)
    };
    assert!(
        VisitorClient::hello(&srv.ws, forged).await.is_err(),
        "a sign made with another key is refused"
    );
    srv.kill9().await;
}

#[tokio::test]
async fn clashing_or_malformed_ids_are_refused_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("fd.db")).await;
    let db = tdb.url.clone();
    let (code, _, err) = import(&db, ALL_IDS);
    assert_eq!(code, 0, "{err}");

    let other_sysnum = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let clashes: &[(&[&str], &str)] = &[
        (&["--sysnum", SYSNUM], "sysnum is already used"),
        (
            &["--business-id", BUSINESS_ID],
            "business_id is already used",
        ),
        (
            &["--appid", APPID, "--secret", "another-secret-16ch"],
            "appid is already used",
        ),
    ];
    for (args, want) in clashes {
        let (code, out, err) = import(&db, args);
        assert_ne!(code, 0, "{args:?} must fail: {out}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(out.trim().is_empty(), "nothing on stdout: {out}");
    }

    let malformed: &[&[&str]] = &[
        &["--sysnum", "0F1E2D3C4B5A69788796A5B4C3D2E1F0"],
        &["--sysnum", "abc"],
        &["--sysnum", " aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
        &["--business-id", "0"],
        &["--business-id", "-7"],
        &["--business-id", "12abc"],
        &["--business-id", "9007199254740992"],
        &["--appid", "wx1"],
        &["--secret", "s"],
        &["--appid", "wx 1", "--secret", "s"],
        &["--appid", "wx1", "--secret", ""],
        // Issue 22: a secret too short to guard the account API.
        &["--appid", "wx1", "--secret", "fifteen-chars!!"],
        &["--sign-key", "has space"],
    ];
    for args in malformed {
        let (code, out, err) = import(&db, args);
        assert_ne!(code, 0, "{args:?} must fail: {out}");
        assert!(!err.trim().is_empty(), "{args:?}: a message on stderr");
    }

    // Only the first site exists: a fresh site still gets minted ids and is the second.
    let (code, out, err) = import(&db, &["--sysnum", other_sysnum]);
    assert_eq!(code, 0, "{err}");
    let second: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(second["sysnum"], other_sysnum);
    assert_ne!(second["business_id"], 4242);
    assert!(second["appid"].as_str().unwrap().starts_with("fd"));
    let db = frontdesk_server::db::Db::open(&db).await.unwrap();
    assert_eq!(db.count_sites().await.unwrap(), 2);
}

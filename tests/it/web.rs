//! What browsers fetch: health, the demo page with the verbatim seed snippet, the loader,
//! cache and security headers, and the REST login's error shapes.

use harness::*;
use serde_json::{json, Value};

#[tokio::test]
async fn healthz_and_login_errors() {
    let srv = TestServer::start().await;
    let c = reqwest::Client::new();
    let r = c.get(format!("{}/healthz", srv.http)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.json::<Value>().await.unwrap();
    assert_eq!(h["status"], "ok");
    assert!(h["node"].as_i64().is_some_and(|n| n > 0), "{h}");

    let site = srv.site().await;
    srv.agent(&site.sysnum, "alice@test").await;
    let bad = c
        .post(format!("{}/api/agent/login", srv.http))
        .json(&json!({"account": "alice@test", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["error"],
        "invalid_credentials"
    );
    let unknown = c
        .post(format!("{}/api/agent/login", srv.http))
        .json(&json!({"account": "nobody@test", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        unknown.status(),
        401,
        "unknown accounts look like wrong passwords"
    );
    let garbage = c
        .post(format!("{}/api/agent/login", srv.http))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    assert_eq!(
        garbage.json::<Value>().await.unwrap()["error"],
        "bad_request"
    );
    srv.stop().await;
}

#[tokio::test]
async fn logins_are_rate_limited_per_ip() {
    let srv = TestServer::start().await;
    let c = reqwest::Client::new();
    // All at once, so the bucket cannot refill in between (default burst 60, then 0.5/s).
    let attempts = (0..75).map(|_| {
        c.post(format!("{}/api/agent/login", srv.http))
            .json(&json!({"account": "x@y", "password": "guess guess"}))
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        limited >= 10,
        "75 simultaneous attempts from one IP: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 429 || *s == 401),
        "{statuses:?}"
    );
    srv.stop().await;
}

#[tokio::test]
async fn demo_page_carries_the_seed_snippet_pointing_here() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let c = reqwest::Client::new();
    let html = c
        .get(format!("{}/demo/?sysnum={}", srv.http, site.sysnum))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Seed 003's snippet, line for line, with only the host changed.
    for line in [
        "(function (w, d, e, x) {",
        "w[e] = function () {",
        "w.cbk = w.cbk || []",
        "w.cbk.push(arguments);",
        "x = d.createElement(\"script\");",
        "x.async = true;",
        "x.id = \"zhichiScript\";",
        "d.body.appendChild(x);",
        "})(window, document, \"zc\");",
    ] {
        assert!(html.contains(line), "demo page lacks {line:?}");
    }
    let src = format!(
        "x.src = \"{}/chat/frame/v2/entrance.js?sysnum={}\";",
        srv.http, site.sysnum
    );
    assert!(html.contains(&src), "demo page lacks {src}");
    // It shows the snippet it uses, as text, and links the console.
    let shown = frontdesk_server::admin::snippet(&srv.http, site.sysnum.as_str())
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    assert!(html.contains(&shown), "demo page does not show its snippet");
    assert!(html.contains(&format!("href=\"{}/console/\"", srv.http)));
    let bad = c
        .get(format!("{}/demo/?sysnum=%3Cscript%3E", srv.http))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    srv.stop().await;
}

#[tokio::test]
async fn loader_is_cors_open_short_cached_and_versioned() {
    let srv = TestServer::start().await;
    let r = reqwest::Client::new()
        .get(format!("{}/chat/frame/v2/entrance.js?sysnum=abc", srv.http))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert_eq!(h["cache-control"], "public, max-age=300");
    assert!(h["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    let gz = reqwest::Client::new()
        .get(format!("{}/chat/frame/v2/entrance.js", srv.http))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        gz.headers()["content-encoding"],
        "gzip",
        "static files are compressed"
    );
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("__FD_VERSION__"),
        "the version placeholder is filled in"
    );
    assert!(body.contains("cbk"), "the loader replays window.cbk");
    srv.stop().await;
}

#[tokio::test]
async fn static_paths_cannot_escape_their_folders() {
    let srv = TestServer::start().await;
    let c = reqwest::Client::new();
    for p in [
        "/chat/h5/v2/..%2f..%2fCargo.toml",
        "/chat/frame/v2/launcher/..%2fchat%2findex.html",
        "/chat/h5/v2/.hidden",
    ] {
        let r = c.get(format!("{}{p}", srv.http)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{p}");
    }
    srv.stop().await;
}

#[tokio::test]
async fn console_is_served_unframeable_with_immutable_assets() {
    let web = tempfile::tempdir().unwrap();
    let dir = web.path().join("console");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Frontdesk</title>",
    )
    .unwrap();
    std::fs::write(dir.join("frontdesk-console-0123abcd.js"), "export {}").unwrap();
    let web_dir = web.path().to_path_buf();
    let srv = TestServer::start_with(move |c| c.web = web_dir.into()).await;
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let r = c.get(format!("{}/console", srv.http)).send().await.unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "/console/");

    let r = c
        .get(format!("{}/console/", srv.http))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["cache-control"], "no-cache");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(r.text().await.unwrap().contains("<title>Frontdesk</title>"));

    let r = c
        .get(format!(
            "{}/console/frontdesk-console-0123abcd.js",
            srv.http
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    for p in [
        "/console/..%2f..%2fCargo.toml",
        "/console/.hidden",
        "/console/nope.js",
    ] {
        let r = c.get(format!("{}{p}", srv.http)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{p}");
    }
    srv.stop().await;
}

//! Issue 8, what an outside probe broke: each test replays the attack against the real server
//! and asserts that it is refused or bounded.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use frontdesk_server::admin::{self, SiteSettings};
use harness::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-under-test");
const MIB: usize = 1024 * 1024;

fn addr_of(http: &str) -> SocketAddr {
    http.trim_start_matches("http://").parse().expect("addr")
}

/// Resident memory of process `pid`, in bytes.
fn rss(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb * 1024
}

/// Reads until the response's status line is complete; `None` if the connection ended or
/// nothing came within `wait`.
async fn status_line(r: &mut (impl AsyncReadExt + Unpin), wait: Duration) -> Option<String> {
    let mut buf = Vec::new();
    let mut b = [0u8; 512];
    let end = Instant::now() + wait;
    while !buf.windows(2).any(|w| w == b"\r\n") {
        let n = tokio::time::timeout_at(end.into(), r.read(&mut b))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&b[..n]);
    }
    let s = String::from_utf8_lossy(&buf).into_owned();
    Some(s.lines().next().unwrap_or("").to_owned())
}

/// Whether the server closed `s` (EOF or reset) within `wait`; bytes it sent are skipped.
async fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
    let mut b = [0u8; 1024];
    let end = Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(end.into(), s.read(&mut b)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// 100 requests that declare a 10 MiB upload without a valid token and send all but its last
/// byte. Before the fix the server read every body into memory (280 MB → 1.1 GB) and answered
/// 401 only at the end; now each gets 401 before its body is read, and the server's resident
/// memory grows by less than 64 MiB (the bodies alone are 1000 MiB).
#[tokio::test]
async fn hanging_unauthenticated_uploads_are_refused_before_the_body_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let uploads = dir.path().join("up");
    let tdb = harness::TestDb::new(&dir.path().join("fd.db")).await;
    let srv =
        ProcessServer::spawn(BIN, &tdb.url, &["--upload-dir", uploads.to_str().unwrap()]).await;
    let pid = srv.child.id().expect("pid");
    let addr = addr_of(&srv.http);
    // Warm up, then take the baseline.
    reqwest::get(format!("{}/healthz", srv.http)).await.unwrap();
    let before = rss(pid);

    static CHUNK: [u8; 64 * 1024] = [0u8; 64 * 1024];
    let len = 10 * MIB;
    let mut tasks = Vec::new();
    for _ in 0..100 {
        tasks.push(tokio::spawn(async move {
            let s = TcpStream::connect(addr).await.unwrap();
            let (mut r, mut w) = s.into_split();
            let writer = tokio::spawn(async move {
                let head = format!(
                    "POST /api/files?name=a.png HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nContent-Length: {len}\r\n\r\n"
                );
                w.write_all(head.as_bytes()).await?;
                let mut left = len - 1;
                while left > 0 {
                    let n = left.min(CHUNK.len());
                    w.write_all(&CHUNK[..n]).await?;
                    left -= n;
                }
                // Hold the connection with the last byte unsent.
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok::<_, std::io::Error>(w)
            });
            let line = status_line(&mut r, Duration::from_secs(20)).await;
            (line, writer, r)
        }));
    }
    let mut held = Vec::new();
    for t in tasks {
        let (line, writer, r) = t.await.unwrap();
        assert_eq!(
            line.as_deref(),
            Some("HTTP/1.1 401 Unauthorized"),
            "refused at once"
        );
        held.push((writer, r));
    }
    // Give any body reading the old way time to happen, then measure.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss(pid);
    let grown = after.saturating_sub(before);
    println!(
        "server RSS: {} MiB before, {} MiB with 100 hanging uploads (+{} MiB)",
        before / MIB,
        after / MIB,
        grown / MIB
    );
    assert!(grown < 64 * MIB, "RSS grew by {} MiB", grown / MIB);
    assert!(
        std::fs::read_dir(&uploads).map_or(0, |d| d.count()) == 0,
        "nothing stored"
    );
    for (w, _) in held {
        w.abort();
    }
    srv.kill9().await;
}

/// Authenticated uploads are bounded too: the declared size is checked before the body, an
/// agent has at most two uploads in flight, and a body that stalls is dropped.
#[tokio::test]
async fn uploads_are_bounded_per_agent_and_by_declared_size() {
    let srv = TestServer::start_with(|c| c.header_timeout = Duration::from_secs(2)).await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "up@test").await;
    let token = srv.token("up@test").await;
    let addr = addr_of(&srv.http);
    let head = |len: usize| {
        format!(
            "POST /api/files?name=a.png HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: {len}\r\n\r\n"
        )
    };

    // Declared over 10 MiB: refused before any body byte is sent.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(head(10 * MIB + 1).as_bytes()).await.unwrap();
    assert_eq!(
        status_line(&mut s, WAIT).await.as_deref(),
        Some("HTTP/1.1 413 Payload Too Large")
    );

    // Two uploads hang half-sent; a third from the same agent is refused at once.
    let mut hanging = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(head(MIB).as_bytes()).await.unwrap();
        s.write_all(&vec![0x89; 1000]).await.unwrap();
        hanging.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = reqwest::Client::new()
        .post(format!("{}/api/files?name=a.png", srv.http))
        .header("authorization", format!("Bearer {token}"))
        .body(b"\x89PNG\r\n\x1a\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "too_many_uploads"
    );

    // The stalled ones are cut off (408) and free their slots.
    for s in &mut hanging {
        assert_eq!(
            status_line(s, Duration::from_secs(10)).await.as_deref(),
            Some("HTTP/1.1 408 Request Timeout")
        );
    }
    let r = reqwest::Client::new()
        .post(format!("{}/api/files?name=a.png", srv.http))
        .header("authorization", format!("Bearer {token}"))
        .body(b"\x89PNG\r\n\x1a\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    srv.stop().await;
}

/// A site's upload quota: past it uploads get 507 `quota_exceeded`.
#[tokio::test]
async fn uploads_stop_at_the_site_quota() {
    let srv = TestServer::start_with(|c| c.upload_quota_bytes = 3000).await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "q@test").await;
    let token = srv.token("q@test").await;
    let mut body = b"\x89PNG\r\n\x1a\n".to_vec();
    body.resize(1000, 0);
    let send = || {
        reqwest::Client::new()
            .post(format!("{}/api/files?name=a.png", srv.http))
            .header("authorization", format!("Bearer {token}"))
            .body(body.clone())
            .send()
    };
    for _ in 0..3 {
        assert_eq!(send().await.unwrap().status(), 200);
    }
    let r = send().await.unwrap();
    assert_eq!(r.status(), 507);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "quota_exceeded"
    );
    srv.stop().await;
}

/// The database and the uploads are private to the server's user.
#[tokio::test]
async fn database_and_uploads_are_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "m@test").await;
    let token = srv.token("m@test").await;
    let r = reqwest::Client::new()
        .post(format!("{}/api/files?name=a.png", srv.http))
        .header("authorization", format!("Bearer {token}"))
        .body(b"\x89PNG\r\n\x1a\n....".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // The SQLite file (PostgreSQL keeps its files to itself).
    if srv.tdb.is_sqlite() {
        assert_eq!(mode(&srv.dir.path().join("fd.db")), 0o600);
    }
    let up = srv.dir.path().join("uploads");
    assert_eq!(mode(&up), 0o700);
    for f in std::fs::read_dir(&up).unwrap() {
        assert_eq!(mode(&f.unwrap().path()), 0o600);
    }
    srv.stop().await;
}

async fn chat_page_csp(srv: &TestServer, query: &str) -> String {
    let r = reqwest::get(format!("{}/chat/h5/v2/index.html?{query}", srv.http))
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{query}");
    r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// A duplicated or padded `sysnum` used to get `frame-ancestors *` (the server read the last,
/// untrimmed value; the page the first, trimmed one) so a restricted site's chat could be
/// framed anywhere. Both now use `Sysnum::from_query`, which refuses both.
#[tokio::test]
async fn a_duplicated_or_padded_sysnum_never_gets_frame_ancestors_star() {
    let web = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(web.path().join("chat")).unwrap();
    std::fs::write(web.path().join("chat/index.html"), "<!doctype html>").unwrap();
    let web_dir = web.path().to_path_buf();
    let srv = TestServer::start_with(move |c| c.web = web_dir.into()).await;
    let site = srv.site().await;
    admin::set_site(
        &srv.db,
        &site.sysnum,
        SiteSettings {
            origins: Some("https://shop.example".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let open = srv.site().await;
    let s = &site.sysnum;

    let own = chat_page_csp(&srv, &format!("sysnum={s}")).await;
    assert!(
        own.ends_with("frame-ancestors 'self' https://shop.example"),
        "{own}"
    );
    for q in [
        format!("sysnum={s}&sysnum=x"),
        format!("sysnum=x&sysnum={s}"),
        format!("sysnum={s}&sysnum={s}"),
        format!("sysnum=%20{s}"),
        format!("sysnum=+{s}"),
        format!("sysnum={s}%20"),
        format!("sysnum={}", s.to_uppercase()),
        "sysnum=".to_owned(),
        String::new(),
        // A well-formed sysnum of no site.
        format!("sysnum={}", "0".repeat(32)),
    ] {
        let csp = chat_page_csp(&srv, &q).await;
        assert!(!csp.contains("frame-ancestors *"), "{q}: {csp}");
        assert!(csp.ends_with("frame-ancestors 'self'"), "{q}: {csp}");
    }
    // A site without origins may still be embedded anywhere.
    let csp = chat_page_csp(&srv, &format!("sysnum={}", open.sysnum)).await;
    assert!(csp.ends_with("frame-ancestors *"), "{csp}");
    srv.stop().await;
}

/// Connections that send nothing, or half a request head, used to stay open for ever (500
/// half-sent requests after 50 s, one after 300 s). They are now closed after the header
/// timeout, and so is a kept-alive connection that went quiet.
#[tokio::test]
async fn silent_and_half_sent_connections_are_closed() {
    let srv = TestServer::start_with(|c| c.header_timeout = Duration::from_secs(1)).await;
    let addr = addr_of(&srv.http);
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        status_line(&mut idle, WAIT).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );
    // A half-sent body on an ordinary route is cut off too.
    let mut body = TcpStream::connect(addr).await.unwrap();
    body.write_all(
        b"POST /api/agent/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"acc",
    )
    .await
    .unwrap();
    let started = Instant::now();
    for (name, s) in [
        ("silent", &mut silent),
        ("half-sent head", &mut half),
        ("idle keep-alive", &mut idle),
        ("half-sent body", &mut body),
    ] {
        assert!(
            closed_within(s, Duration::from_secs(8)).await,
            "{name} still open"
        );
    }
    println!("all closed after {:?}", started.elapsed());
    srv.stop().await;
}

/// One client may hold at most `max_conns_per_client` HTTP connections; more are closed at
/// once, and a closed one frees its place. WebSockets count apart, against
/// `max_sockets_per_client`: an upgrade over it is refused.
#[tokio::test]
async fn connections_per_client_are_capped() {
    let srv = TestServer::start_with(|c| {
        c.max_conns_per_client = 4;
        c.max_sockets_per_client = 2;
    })
    .await;
    let site = srv.site().await;
    let addr = addr_of(&srv.http);
    let ws1 = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let ws2 = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let mut open = Vec::new();
    for _ in 0..4 {
        open.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(addr).await.unwrap();
    assert!(
        closed_within(&mut extra, Duration::from_secs(3)).await,
        "the fifth HTTP connection is closed (the two WebSockets do not count)"
    );
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = reqwest::get(format!("{}/healthz", srv.http)).await.unwrap();
    assert_eq!(r.status(), 200, "a freed place can be used again");

    drop(open);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let third = tokio_tungstenite::connect_async(format!("{}/ws/visitor", srv.ws)).await;
    match third {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 503),
        other => panic!("a third WebSocket must be refused with 503, got {other:?}"),
    }
    drop(ws1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    drop((again, ws2));
    srv.stop().await;
}

async fn login_status(http: &str, account: &str, password: &str, xff: Option<&str>) -> u16 {
    let mut rq = reqwest::Client::new()
        .post(format!("{http}/api/agent/login"))
        .json(&json!({"account": account, "password": password}));
    if let Some(x) = xff {
        rq = rq.header("x-forwarded-for", x);
    }
    rq.send().await.unwrap().status().as_u16()
}

/// Behind a trusted proxy, limits see the client named by `X-Forwarded-For`: one client
/// failing logins does not lock out another. From an untrusted peer the header is ignored.
#[tokio::test]
async fn login_limits_see_the_client_behind_a_trusted_proxy() {
    use frontdesk_server::ratelimit::RateLimiter;
    // The default budget (10) without its refill, so a slow machine sees the same numbers.
    let no_refill = |l: &mut frontdesk_server::Limits| l.logins = RateLimiter::new(10, 0.0);
    let srv = TestServer::start_with_limits(
        |c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()],
        no_refill,
    )
    .await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "p@test").await;
    // The per-address budget is 10 attempts; spend it from one client (on unknown accounts,
    // so the per-account limit is not what stops it).
    for i in 0..10 {
        let s = login_status(
            &srv.http,
            &format!("x{i}@test"),
            "bad",
            Some("198.51.100.1"),
        )
        .await;
        assert_eq!(s, 401);
    }
    assert_eq!(
        login_status(&srv.http, "x@test", "bad", Some("198.51.100.1")).await,
        429
    );
    assert_eq!(
        login_status(&srv.http, "p@test", PASSWORD, Some("198.51.100.2")).await,
        200,
        "another client behind the same proxy is not locked out"
    );
    srv.stop().await;

    // Without trusted proxies the header means nothing: the spoofed addresses share one budget.
    let srv = TestServer::start_with_limits(|_| {}, no_refill).await;
    for i in 0..10 {
        let xff = format!("198.51.100.{i}");
        login_status(&srv.http, "nobody@test", "bad", Some(&xff)).await;
    }
    assert_eq!(
        login_status(&srv.http, "nobody@test", "bad", Some("203.0.113.1")).await,
        429
    );
    srv.stop().await;
}

/// Failed logins are counted per account *and* address (issue 22: one stranger's wrong
/// passwords every 2 s kept the account locked for its owner) and per account over all
/// addresses: spread over many addresses, guessing soon meets the account's budget, after
/// which only a browser that logged in to the account before (its device cookie) may try.
#[tokio::test]
async fn failed_logins_throttle_the_guesser_not_the_owner() {
    let srv = TestServer::start_with_limits(
        |c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()],
        |l| {
            l.login_failures = frontdesk_server::ratelimit::RateLimiter::new(10, 0.0);
            l.account_failures = frontdesk_server::ratelimit::RateLimiter::new(30, 0.0);
        },
    )
    .await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "victim@test").await;
    srv.agent(&site.sysnum, "other@test").await;
    // The owner's browser logged in once: it holds a device cookie for the account.
    let first = reqwest::Client::new()
        .post(format!("{}/api/agent/login", srv.http))
        .header("x-forwarded-for", "203.0.113.7")
        .json(&json!({"account": "victim@test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "no-store");
    let set = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let device = set.split(';').next().unwrap().to_owned();
    let owner_login = |xff: &'static str| {
        reqwest::Client::new()
            .post(format!("{}/api/agent/login", srv.http))
            .header("x-forwarded-for", xff)
            .header("cookie", device.clone())
            .json(&json!({"account": "victim@test", "password": PASSWORD}))
            .send()
    };
    // One stranger: ten wrong guesses, then that address is limited, the owner is not.
    for _ in 0..10 {
        let s = login_status(&srv.http, "victim@test", "guess", Some("198.51.100.1")).await;
        assert_eq!(s, 401);
    }
    let s = login_status(&srv.http, "Victim@test", "guess", Some("198.51.100.1")).await;
    assert_eq!(s, 429, "the guessing address is limited");
    let s = login_status(&srv.http, "victim@test", PASSWORD, Some("203.0.113.50")).await;
    assert_eq!(s, 200, "the owner, elsewhere, is not");
    // Many addresses: the account's budget (30) is spent; a new browser is refused, the
    // owner's (device cookie) is not, and other accounts are untouched.
    for i in 2..=21 {
        let xff = format!("198.51.100.{i}");
        assert_eq!(
            login_status(&srv.http, "victim@test", "guess", Some(&xff)).await,
            401
        );
    }
    assert_eq!(
        login_status(&srv.http, "victim@test", PASSWORD, Some("192.0.2.1")).await,
        429,
        "a browser new to the account waits once the account's budget is spent"
    );
    assert_eq!(owner_login("192.0.2.2").await.unwrap().status(), 200);
    assert_eq!(
        login_status(&srv.http, "other@test", PASSWORD, Some("203.0.113.51")).await,
        200
    );
    srv.stop().await;
}

/// A huge `page_index` used to overflow the history offset (a panic in the session, or a
/// wrapped offset in release builds); it is now an empty page past the end.
#[tokio::test]
async fn a_huge_history_page_index_is_an_empty_page() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "h@test").await;
    let (mut agent, _) = srv.agent_client("h@test").await;
    let (_v, gid) = srv.visitor_to(&site.sysnum, &mut agent, "hello").await;
    for page in [json!(i64::MAX), json!("9223372036854775807")] {
        let h = agent
            .request(json!({"api_key": 32100, "gid": gid, "group_id": 0, "page_index": page, "page_size": 50}))
            .await;
        assert_eq!(h["code"], 200, "{h}");
        assert_eq!(h["data"]["list"], json!([]), "{h}");
        assert_eq!(h["data"]["total"], 1);
    }
    let h = agent
        .request(json!({"api_key": 32100, "gid": gid, "group_id": 0, "page_index": 1}))
        .await;
    assert_eq!(
        h["data"]["list"][0]["msg"], "hello",
        "the session still works"
    );
    srv.stop().await;
}

/// Names agents see may not carry direction overrides or invisible characters; a partnerid
/// no `sign` verified is marked as such for agents.
#[tokio::test]
async fn disguised_names_are_refused_and_unverified_partnerids_are_marked() {
    use shared::visitor::{ErrorCode, ServerFrame};
    let srv = TestServer::start().await;
    let site = srv.site().await;
    for (uname, partnerid) in [
        (Some("alice\u{202E}nimda"), None),
        (Some("ad\u{200B}min"), None),
        (None, Some("vip\u{2066}-1")),
    ] {
        let mut h = hello(&site.sysnum, None, 0);
        h.uname = uname.map(str::to_owned);
        h.partnerid = partnerid.map(str::to_owned);
        match VisitorClient::hello(&srv.ws, h).await {
            Err(ServerFrame::Error { code, .. }) => assert_eq!(code, ErrorCode::Invalid),
            Err(other) => panic!("unexpected {other:?}"),
            Ok(_) => panic!("{uname:?} {partnerid:?} was accepted"),
        }
    }
    assert!(
        admin::create_agent(
            &srv.db,
            admin::NewAgent {
                sysnum: &site.sysnum,
                account: "n@test",
                nick: "Support\u{202E}",
                password: PASSWORD,
                groups: &[],
                max_chats: 5,
                role: shared::agent::Role::Agent,
            },
        )
        .await
        .is_err(),
        "agent nicks are checked too"
    );

    srv.agent(&site.sysnum, "pv@test").await;
    let (mut agent, _) = srv.agent_client("pv@test").await;
    let mut h = hello(&site.sysnum, None, 0);
    h.uname = Some("Claire".into());
    h.partnerid = Some("customer-42".into());
    let mut s = VisitorClient::hello(&srv.ws, h).await.expect("hello");
    s.client.send_text("c1", "hi").await;
    s.client.ack("c1").await;
    let push = agent.push(32399).await;
    let gid = push["data"]["gid"].as_str().unwrap().to_owned();
    let list = agent.request(json!({"api_key": 32000})).await;
    let g = &list["data"]["guest_list"][&gid];
    assert_eq!(g["partnerid"], "customer-42", "{g}");
    assert_eq!(g["partnerid_verified"], false, "{g}");
    srv.stop().await;
}

/// One address used to mint a fresh anonymous visitor (with a fresh message budget) per
/// socket: 211 visitors and 4 220 messages in 11 s. New visitors and messages are now also
/// limited per client address, and per site.
#[tokio::test]
async fn one_client_cannot_flood_a_site_with_new_visitors_or_messages() {
    use frontdesk_server::ratelimit::RateLimiter;
    use shared::visitor::{ErrorCode, ServerFrame};
    // The default budgets without their refill, so a slow machine sees the same numbers.
    let srv = TestServer::start_with_limits(
        |_| {},
        |l| {
            l.new_visitors_per_client = RateLimiter::new(20, 0.0);
            l.msgs_per_client = RateLimiter::new(60, 0.0);
        },
    )
    .await;
    let site = srv.site().await;
    let mut visitors = Vec::new();
    let mut refused = 0;
    for _ in 0..25 {
        match VisitorClient::hello(&srv.ws, hello(&site.sysnum, None, 0)).await {
            Ok(s) => visitors.push(s),
            Err(ServerFrame::Error { code, .. }) => {
                assert_eq!(code, ErrorCode::RateLimited);
                refused += 1;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(visitors.len(), 20, "20 new visitors per address at once");
    assert_eq!(refused, 5);
    // A returning visitor (with its token) is not a new one.
    let token = visitors[0].client.token.clone();
    assert!(
        VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 0))
            .await
            .is_ok()
    );

    // Each visitor stays under its own limit (20), the address goes over its 60.
    let mut acked = 0;
    let mut limited = 0;
    for (i, v) in visitors.iter_mut().take(4).enumerate() {
        for j in 0..20 {
            let id = format!("m{i}x{j}");
            v.client.send_text(&id, "spam").await;
            loop {
                match v.client.recv().await {
                    ServerFrame::Ack { .. } => acked += 1,
                    ServerFrame::Error { code, .. } => {
                        assert_eq!(code, ErrorCode::RateLimited);
                        limited += 1;
                    }
                    _ => continue,
                }
                break;
            }
        }
    }
    // 80 were sent, each visitor within its own limit; the address may send 60.
    assert_eq!((acked, limited), (60, 20));
    srv.stop().await;
}

/// The waiting queue is bounded: with no agent online and `max_queue` visitors waiting, a new
/// visitor's message is refused (`rate_limited`, retried by the chat page) and nothing is
/// stored; visitors already waiting can still write.
#[tokio::test]
async fn the_waiting_queue_is_bounded() {
    use shared::visitor::{ErrorCode, ServerFrame};
    let srv = TestServer::start_with(|c| c.max_queue = 3).await;
    let site = srv.site().await;
    let mut waiting = Vec::new();
    for i in 0..3 {
        let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
        let id = format!("w{i}");
        v.client.send_text(&id, "anyone there?").await;
        v.client.ack(&id).await;
        waiting.push(v);
    }
    let mut late = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    late.client.send_text("late1", "hello?").await;
    loop {
        match late.client.recv().await {
            ServerFrame::Error {
                code,
                cmid,
                message,
            } => {
                assert_eq!(code, ErrorCode::RateLimited, "{message}");
                assert_eq!(
                    cmid.map(|c| c.as_str().to_owned()).as_deref(),
                    Some("late1")
                );
                assert!(message.contains("queue is full"), "{message}");
                break;
            }
            ServerFrame::Ack { .. } => panic!("stored although the queue is full"),
            _ => continue,
        }
    }
    // Someone already waiting may still write.
    waiting[0].client.send_text("w0b", "still here").await;
    waiting[0].client.ack("w0b").await;
    srv.stop().await;
}

/// Seed 002's `kfaccount/add` answered "exists" for another site's account names, so one
/// tenant could probe another's. An `@site` part another site uses is now refused as
/// invalid whatever the prefix; within its own `@site` a site still hears "exists".
#[tokio::test]
async fn one_site_cannot_probe_another_sites_account_names() {
    let srv = TestServer::start().await;
    let a = srv.site().await;
    let b = srv.site().await;
    srv.agent(&b.sysnum, "kim@shop-b").await;
    let token = {
        let v: serde_json::Value = reqwest::get(format!(
            "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            srv.http, a.appid, a.secret
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    };
    let add = |account: &'static str| {
        let url = format!(
            "{}/customservice/kfaccount/add?access_token={token}",
            srv.http
        );
        async move {
            let v: serde_json::Value = reqwest::Client::new()
                .post(url)
                .json(&json!({"kf_account": account, "nickname": "Probe"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["errcode"].as_i64().unwrap()
        }
    };
    assert_eq!(
        add("kim@shop-b").await,
        65404,
        "exists elsewhere: same answer…"
    );
    assert_eq!(add("nobody@shop-b").await, 65404, "…as not existing");
    assert_eq!(add("kim@shop-a").await, 0);
    assert_eq!(add("kim@shop-a").await, 65406, "own names still say exists");
    srv.stop().await;
}

/// Connecting without writing leaves nothing behind: an anonymous visitor's row (and
/// token) is created only with their first message, so a connect-only flood stores nothing.
/// The token handed out at `hello` still identifies them: reconnecting with it, then
/// writing, starts their conversation, and later reconnects replay it.
#[tokio::test]
async fn a_visitor_row_is_created_only_with_the_first_message() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let mut tokens = Vec::new();
    for _ in 0..15 {
        let v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
        assert_eq!(v.client.visitor_id, "", "no id before the first message");
        tokens.push(v.client.token.clone());
    }
    for t in &tokens {
        assert!(
            srv.db
                .visitor_by_token(site.business_id, t)
                .await
                .unwrap()
                .is_none(),
            "a visitor row for a visitor who never wrote"
        );
    }
    assert!(
        srv.db.visitor_by_id(1).await.unwrap().is_none(),
        "no visitor rows at all"
    );

    let mut v = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&tokens[0]), 0))
        .await
        .unwrap();
    assert_eq!(
        v.client.token, tokens[0],
        "a pending visitor keeps their token"
    );
    v.client.send_text("c1", "first words").await;
    assert_eq!(v.client.ack("c1").await.0, 1);
    let gid = srv.gid(&site, &tokens[0]).await;
    drop(v);
    let again = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&tokens[0]), 0))
        .await
        .unwrap();
    assert_eq!(again.client.visitor_id, gid);
    let bodies: Vec<&str> = again.replay.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, vec!["first words"]);
    assert!(
        srv.db
            .visitor_by_token(site.business_id, &tokens[1])
            .await
            .unwrap()
            .is_none(),
        "the others still have none"
    );
    srv.stop().await;
}

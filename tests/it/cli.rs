//! `frontdesk admin … --json` prints exactly one JSON object with the fields SPEC §2 names;
//! bad input exits non-zero with a message and changes nothing.

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-under-test");

/// `frontdesk admin --database-url DB ARGS…`: exit code, stdout, stderr.
pub(crate) fn run(db: &str, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(BIN)
        .args(["admin", "--database-url", db])
        .args(args)
        .output()
        .expect("run frontdesk");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn one_json(stdout: &str) -> Value {
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one line on stdout: {stdout:?}");
    let v: Value = serde_json::from_str(lines[0]).expect("stdout is JSON");
    assert!(v.is_object());
    v
}

#[tokio::test]
async fn admin_create_commands_print_one_json_object() {
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("a.db")).await;
    let db = tdb.url.clone();

    let (code, out, err) = run(&db, &["site", "create", "--name", "Shop", "--json"]);
    assert_eq!(code, 0, "{err}");
    let site = one_json(&out);
    let keys: Vec<&str> = site
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5);
    for k in ["sysnum", "business_id", "appid", "secret", "sign_key"] {
        assert!(site.get(k).is_some(), "missing {k}: {site}");
    }
    let sysnum = site["sysnum"].as_str().unwrap().to_owned();
    assert!(shared::ids::Sysnum::parse(&sysnum).is_ok());
    assert!(site["business_id"].is_i64());

    let (code, out, err) = run(
        &db,
        &[
            "group", "create", "--site", &sysnum, "--name", "Sales", "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let group = one_json(&out);
    assert_eq!(group["groupname"], "Sales");
    let gid = group["id"].as_i64().unwrap().to_string();

    let (code, out, err) = run(
        &db,
        &[
            "agent",
            "create",
            "--site",
            &sysnum,
            "--account",
            "kf1@shop",
            "--nick",
            "Kim",
            "--password",
            "longenough1",
            "--group",
            &gid,
            "--max-chats",
            "3",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let agent = one_json(&out);
    assert_eq!(agent["kf_account"], "kf1@shop");
    assert_eq!(
        agent["kf_id"], "1001",
        "kf_id is a numeric string, as in seed 002"
    );

    let (code, out, err) = run(
        &db,
        &[
            "site",
            "set",
            "--site",
            &sysnum,
            "--sign-check",
            "md5",
            "--origins",
            "https://shop.example",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("updated"));

    // Disable / enable / revoke, and group disable / enable.
    for args in [
        vec!["agent", "disable", "--account", "kf1@shop"],
        vec!["agent", "enable", "--account", "kf1@shop"],
        vec!["agent", "revoke", "--account", "kf1@shop"],
        vec!["group", "disable", "--site", &sysnum, "--id", &gid],
        vec!["group", "enable", "--site", &sysnum, "--id", &gid],
    ] {
        let (code, out, err) = run(&db, &args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!out.trim().is_empty(), "{args:?} says what it did");
    }

    // Bad input: clear errors, non-zero exit, nothing printed on stdout.
    for (args, needle) in [
        (
            vec![
                "agent",
                "create",
                "--site",
                &sysnum,
                "--account",
                "kf1@shop",
                "--nick",
                "K",
                "--password",
                "longenough1",
                "--json",
            ],
            "already exists",
        ),
        (
            vec![
                "agent",
                "create",
                "--site",
                &sysnum,
                "--account",
                "no-at-sign",
                "--nick",
                "K",
                "--password",
                "longenough1",
            ],
            "prefix@site",
        ),
        (
            vec![
                "agent",
                "create",
                "--site",
                &sysnum,
                "--account",
                "k2@shop",
                "--nick",
                "K",
                "--password",
                "short",
            ],
            "at least 8",
        ),
        (
            vec![
                "agent",
                "create",
                "--site",
                &sysnum,
                "--account",
                "k3@shop",
                "--nick",
                "K",
                "--password",
                "longenough1",
                "--group",
                "999",
            ],
            "group 999",
        ),
        (
            vec![
                "group",
                "create",
                "--site",
                "0123456789abcdef0123456789abcdef",
                "--name",
                "X",
            ],
            "no site",
        ),
        (
            vec!["site", "set", "--site", &sysnum, "--push-url", "ftp://x"],
            "http(s)",
        ),
        (
            vec!["agent", "disable", "--account", "nobody@shop"],
            "no agent",
        ),
        (
            vec!["group", "disable", "--site", &sysnum, "--id", "999"],
            "group 999",
        ),
    ] {
        let (code, out, err) = run(&db, &args);
        assert_ne!(code, 0, "{args:?} should fail");
        assert!(out.trim().is_empty(), "{args:?} printed {out}");
        assert!(
            err.contains(needle),
            "{args:?}: stderr {err:?} should mention {needle:?}"
        );
    }
}

#[test]
fn help_documents_serve_flags() {
    let out = std::process::Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--addr",
        "--database-url",
        "--public-url",
        "--no-demo",
        "FRONTDESK_DATABASE_URL",
    ] {
        assert!(help.contains(flag), "serve --help lacks {flag}");
    }
}

/// stdout as exactly one JSON array.
fn one_array(stdout: &str) -> Vec<Value> {
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one line on stdout: {stdout:?}");
    match serde_json::from_str(lines[0]).expect("stdout is JSON") {
        Value::Array(items) => items,
        v => panic!("not an array: {v}"),
    }
}

#[tokio::test]
async fn site_and_agent_lists_print_one_json_array() {
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("a.db")).await;
    let db = tdb.url.clone();

    let (code, out, err) = run(&db, &["site", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(one_array(&out).is_empty(), "no sites yet: {out}");

    let mut sysnums = Vec::new();
    for name in ["Shop", "Outlet"] {
        let (code, out, err) = run(&db, &["site", "create", "--name", name, "--json"]);
        assert_eq!(code, 0, "{err}");
        sysnums.push(one_json(&out)["sysnum"].as_str().unwrap().to_owned());
    }
    for (account, nick) in [("kf1@shop", "Kim"), ("kf2@shop", "Lee")] {
        let (code, _, err) = run(
            &db,
            &[
                "agent",
                "create",
                "--site",
                &sysnums[0],
                "--account",
                account,
                "--nick",
                nick,
                "--password",
                "longenough1",
            ],
        );
        assert_eq!(code, 0, "{err}");
    }
    run(&db, &["agent", "disable", "--account", "kf2@shop"]);

    let (code, out, err) = run(&db, &["site", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let sites = one_array(&out);
    assert_eq!(sites.len(), 2);
    assert_eq!(sites[0]["sysnum"], sysnums[0].as_str(), "oldest first");
    assert_eq!(sites[0]["name"], "Shop");
    assert_eq!(sites[0]["agents"], 2);
    assert_eq!(sites[1]["name"], "Outlet");
    assert!(sites[0].get("secret").is_none(), "lists carry no secrets");

    let (code, out, err) = run(&db, &["agent", "list", "--site", &sysnums[0], "--json"]);
    assert_eq!(code, 0, "{err}");
    let agents = one_array(&out);
    let accounts: Vec<&str> = agents
        .iter()
        .map(|a| a["kf_account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, ["kf1@shop", "kf2@shop"]);
    assert_eq!(agents[0]["nick"], "Kim");
    assert_eq!(agents[0]["kf_id"], 1001);
    assert_eq!(agents[0]["disabled"], false);
    assert_eq!(agents[1]["disabled"], true);

    let (code, out, _) = run(&db, &["agent", "list", "--site", &sysnums[1], "--json"]);
    assert_eq!((code, one_array(&out).len()), (0, 0));

    // Without --json: one line per entry, and the names are in it.
    let (code, out, _) = run(&db, &["site", "list"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2);
    assert!(out.contains("Outlet") && out.contains(&sysnums[1]), "{out}");
    let (_, out, _) = run(&db, &["agent", "list", "--site", &sysnums[0]]);
    assert!(
        out.contains("kf2@shop") && out.contains("disabled"),
        "{out}"
    );

    let (code, out, err) = run(
        &db,
        &[
            "agent",
            "list",
            "--site",
            "0123456789abcdef0123456789abcdef",
            "--json",
        ],
    );
    assert_eq!(code, 2);
    assert!(out.is_empty() && err.contains("no site"), "{err}");
}

#[tokio::test]
async fn site_create_prints_the_snippet_for_the_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("a.db")).await;
    let db = tdb.url.clone();

    // No serve has run and no URL is given: the default address.
    let (code, out, err) = run(&db, &["site", "create", "--name", "Shop"]);
    assert_eq!(code, 0, "{err}");
    let sysnum = out
        .lines()
        .find_map(|l| l.strip_prefix("sysnum: "))
        .expect("sysnum line")
        .to_owned();
    for needle in [
        "appid: fd",
        "secret: ",
        "<script>",
        "</script>",
        "w.cbk.push(arguments);",
    ] {
        assert!(out.contains(needle), "lacks {needle:?}: {out}");
    }
    assert!(
        out.contains(&format!(
            "x.src = \"http://127.0.0.1:8080/chat/frame/v2/entrance.js?sysnum={sysnum}\";"
        )),
        "{out}"
    );

    let (code, out, err) = run(
        &db,
        &[
            "site",
            "create",
            "--name",
            "Outlet",
            "--public-url",
            "https://chat.example.com/",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("x.src = \"https://chat.example.com/chat/frame/v2/entrance.js?sysnum="),
        "{out}"
    );
    assert!(out.contains("https://chat.example.com/console/"), "{out}");

    // `site show` prints it again, with the credentials.
    let (code, out, err) = run(
        &db,
        &[
            "site",
            "show",
            "--site",
            &sysnum,
            "--public-url",
            "https://chat.example.com",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let shown = one_json(&out);
    assert_eq!(shown["sysnum"], sysnum.as_str());
    assert!(shown["secret"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        shown["chat_link"],
        format!("https://chat.example.com/chat/h5/v2/index.html?sysnum={sysnum}")
    );
    assert!(shown["snippet"]
        .as_str()
        .unwrap()
        .contains("https://chat.example.com/chat/frame/v2/entrance.js"));

    // A URL a page cannot load from is refused before anything is created.
    let (code, out, err) = run(
        &db,
        &[
            "site",
            "create",
            "--name",
            "Bad",
            "--public-url",
            "javascript:alert(1)",
        ],
    );
    assert_eq!(code, 2);
    assert!(out.is_empty() && err.contains("http(s)"), "{err}");
    let (_, out, _) = run(&db, &["site", "list", "--json"]);
    assert_eq!(one_array(&out).len(), 2);
}

/// The first start prints what the owner needs: the demo's sysnum, appid and secret, the
/// agent login, the console and the snippet; later `site create`s use its public URL.
#[tokio::test]
async fn first_start_prints_the_demo_credentials_and_snippet() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("a.db")).await;
    let mut child = tokio::process::Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &tdb.url])
        .args(["--public-url", "https://chat.example.com"])
        .env("FRONTDESK_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(l) = lines.next_line().await.unwrap() {
            printed.push_str(&l);
            printed.push('\n');
            if l.trim() == "</script>" {
                break;
            }
        }
    })
    .await
    .expect("the snippet is printed");
    child.kill().await.unwrap();

    let (_, out, _) = run(&tdb.url, &["site", "list", "--json"]);
    let sites = one_array(&out);
    assert_eq!(sites.len(), 1, "the demo site");
    let sysnum = sites[0]["sysnum"].as_str().unwrap();
    let (_, out, _) = run(&tdb.url, &["site", "show", "--site", sysnum, "--json"]);
    let site = one_json(&out);
    for needle in [
        format!("demo sysnum:  {sysnum}"),
        format!(
            "demo appid:   {} (secret {})",
            site["appid"].as_str().unwrap(),
            site["secret"].as_str().unwrap()
        ),
        "demo agent:   demo@frontdesk / ".to_owned(),
        "agent console: https://chat.example.com/console/".to_owned(),
        format!("x.src = \"https://chat.example.com/chat/frame/v2/entrance.js?sysnum={sysnum}\";"),
    ] {
        assert!(printed.contains(&needle), "lacks {needle:?}:\n{printed}");
    }

    // `site create` now uses the URL the server started with.
    let (code, out, err) = run(&tdb.url, &["site", "create", "--name", "Shop"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("x.src = \"https://chat.example.com/chat/frame/v2/entrance.js?sysnum="),
        "{out}"
    );
}

#[test]
fn version_names_the_commit_and_where_the_files_come_from() {
    let out = std::process::Command::new(BIN)
        .arg("--version")
        .output()
        .unwrap();
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(v.starts_with("frontdesk 0."), "{v}");
    let commit = v
        .split("(commit ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .unwrap_or_default();
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{v}"
    );
    // Test builds are debug builds: they read dist/ from disk and never need it built.
    assert!(v.contains("read from --web-dir"), "{v}");
}

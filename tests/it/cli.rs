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

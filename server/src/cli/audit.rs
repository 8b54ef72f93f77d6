//! The audit log of changes made on the command line (issue 25, item 9: "who changed what"):
//! every `frontdesk admin …` that changes a site — not `list`, `show`, `export`, reports,
//! backups — is written to that site's audit log (`admin_audit`, also what the console's
//! admin view lists) after it succeeded, as the operator typed it with secrets left out.
//! The actor is "command line" and the operating system's user.

use crate::db::Db;

/// Flags whose value is a secret: shown as `(set)`.
const SECRET_FLAGS: [&str; 3] = ["--password", "--secret", "--sign-key"];
/// Flags that say where, not what: left out.
const QUIET_FLAGS: [&str; 1] = ["--database-url"];
/// Last words of commands that change nothing.
const READS: [&str; 4] = ["list", "show", "export", "help"];

/// A change made on the command line, as it will be logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The command's words: `agent set`, `leave template add`.
    pub action: String,
    /// The flags and values typed, secrets as `(set)`.
    pub detail: String,
    /// `--site`'s value, if given.
    pub site: Option<String>,
    /// `--account`'s value, if given (the agent's site is the one logged).
    pub account: Option<String>,
}

/// The change `args` (what follows `admin` on the command line) asks for, or `None` for a
/// command that only reads.
pub fn change(args: &[String]) -> Option<Change> {
    let mut words = Vec::new();
    let mut flags = Vec::new();
    let (mut site, mut account) = (None, None);
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        if !a.starts_with("--") {
            if flags.is_empty() {
                words.push(a.as_str());
            }
            continue;
        }
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (a.as_str(), None),
        };
        // A flag's value follows it unless it is given inline or the flag is a switch.
        let value = inline.or_else(|| it.next_if(|v| !v.starts_with("--")).map(|v| v.to_owned()));
        if QUIET_FLAGS.contains(&name) {
            continue;
        }
        match name {
            "--site" => site = value.clone(),
            "--account" => account = value.clone(),
            _ => {}
        }
        flags.push(match (value, SECRET_FLAGS.contains(&name)) {
            (Some(_), true) => format!("{name} (set)"),
            (Some(v), false) => format!("{name} {v:?}"),
            (None, _) => name.to_owned(),
        });
    }
    let last = *words.last()?;
    let area = *words.first()?;
    if READS.contains(&last) || matches!(area, "report" | "ratings" | "backup" | "restore") {
        return None;
    }
    Some(Change {
        action: words.join(" "),
        detail: flags.join(" "),
        site,
        account,
    })
}

/// Who is at the command line.
fn actor() -> String {
    match std::env::var("USER").or_else(|_| std::env::var("LOGNAME")) {
        Ok(u) if !u.is_empty() => format!("command line ({u})"),
        _ => "command line".to_owned(),
    }
}

/// Writes `c` to the audit log of its site (`sysnum` when the command created it, else
/// `--site`'s, else the site of `--account`'s agent); a change that names no site is
/// logged nowhere. A failure to log is reported, not fatal: the change is made.
pub async fn record(db: &Db, c: &Change, sysnum: Option<&str>) {
    let site = async {
        let key = match (sysnum, c.site.as_deref(), &c.account) {
            (Some(s), _, _) | (None, Some(s), _) => s.to_owned(),
            (None, None, Some(a)) => match db.agent_by_account(a.trim()).await? {
                Some(agent) => return Ok(Some(agent.site_id)),
                None => return Ok(None),
            },
            (None, None, None) => return Ok(None),
        };
        Ok::<_, crate::db::DbError>(db.site_by_sysnum(key.trim()).await?.map(|s| s.id))
    };
    let done = match site.await {
        Ok(Some(site_id)) => {
            db.add_audit(site_id, crate::db::now_ms(), &actor(), &c.action, &c.detail)
                .await
        }
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = done {
        eprintln!("warning: the change was made but not written to the audit log: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn changes_are_named_with_their_flags_and_secrets_are_left_out() {
        let c = change(&args(
            "--database-url sqlite://x.db agent create --site S1 --account a@s --nick Ann --password hunter22 --role supervisor --json",
        ))
        .unwrap();
        assert_eq!(c.action, "agent create");
        assert_eq!(
            c.detail,
            r#"--site "S1" --account "a@s" --nick "Ann" --password (set) --role "supervisor" --json"#
        );
        assert_eq!(c.site.as_deref(), Some("S1"));
        assert!(!c.detail.contains("hunter22") && !c.detail.contains("x.db"));
        let c = change(&args("agent passwd --account a@s --password=pw12345678")).unwrap();
        assert_eq!(c.detail, r#"--account "a@s" --password (set)"#);
        assert_eq!(c.account.as_deref(), Some("a@s"));
        let c = change(&args("leave template add --site S --name x")).unwrap();
        assert_eq!(c.action, "leave template add");
        let c = change(&args("site create --name Shop --secret s3cr3t")).unwrap();
        assert_eq!(c.detail, r#"--name "Shop" --secret (set)"#);
    }

    #[test]
    fn reads_are_not_changes() {
        for a in [
            "agent list --site S",
            "site show --sysnum S",
            "visitor export --site S --visitor 1",
            "report --site S",
            "ratings --site S --json",
            "leave template list --site S",
            "backup --to f",
        ] {
            assert_eq!(change(&args(a)), None, "{a}");
        }
    }
}

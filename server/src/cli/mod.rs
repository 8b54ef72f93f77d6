//! The command line (SPEC §2): `frontdesk serve …` (`serve.rs`) and `frontdesk admin …`
//! (`admin.rs`); this file parses and dispatches.
//! Every flag has a `FRONTDESK_*` environment fallback; `--json` prints exactly one JSON
//! value on stdout (an object, or an array for lists). Startup errors are reported with
//! `anyhow` and exit code 1; invalid admin input exits with 2.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

mod admin;
mod audit;
mod data;
mod robot;
mod serve;
mod workbench;

pub use admin::{AdminArgs, AdminWhat, AgentCmd, GroupCmd, SiteCmd, VipCmd};
pub use data::{BackupArgs, RestoreArgs, VisitorCmd, WhomArgs};
pub use robot::{FaqCmd, RobotCmd};
pub use serve::ServeArgs;
pub use workbench::{BlockCmd, CannedCmd, ReportArgs};

/// `frontdesk --version`: the crate version, the git commit built (server/build.rs) and
/// whether the widget, console and static files are inside the binary.
#[cfg(frontdesk_embedded)]
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("FRONTDESK_COMMIT"),
    "; widget, console and static files built in)"
);
#[cfg(not(frontdesk_embedded))]
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("FRONTDESK_COMMIT"),
    "; widget, console and static files read from --web-dir/--public-dir)"
);

#[derive(Parser, Debug)]
#[command(
    name = "frontdesk",
    version = VERSION,
    about = "Self-hosted customer-service live chat"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    // Boxed: the serve flags are many, the enum stays small.
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Create and configure sites, groups and agents.
    Admin(Box<AdminArgs>),
}

#[derive(Args, Debug)]
pub struct DbArg {
    /// Database: sqlite://FILE (created if missing) or postgres://USER@HOST:PORT/DB (the
    /// database must exist; migrations are applied on start).
    #[arg(
        long,
        env = "FRONTDESK_DATABASE_URL",
        default_value = "sqlite://frontdesk.db",
        global = true
    )]
    pub database_url: String,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        match cli.command {
            Command::Serve(args) => match serve::run(*args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            },
            Command::Admin(args) => admin::run(*args).await,
        }
    })
}

/// What the packaged binary does before parsing its command line: every `KEY=value` line of
/// `file` (the systemd unit's `EnvironmentFile`; `#` comments, optional quotes) that the
/// environment does not already set becomes an environment variable, so flags fall back to
/// the service's settings (its database above all). Refuses to run as root on the
/// service's SQLite database: files root creates there would lock the service out.
pub fn packaged(file: &str) -> Result<(), ExitCode> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        // Unreadable (not root, not in the frontdesk group): flags and environment only.
        Err(_) => return Ok(()),
    };
    for (k, v) in env_file(&text) {
        if std::env::var_os(&k).is_none() {
            // Before any thread exists (the runtime starts after this).
            std::env::set_var(k, v);
        }
    }
    let sqlite = std::env::var("FRONTDESK_DATABASE_URL").is_ok_and(|u| u.starts_with("sqlite:"));
    // Only the commands that open the database (not --version, --help).
    let opens_db = std::env::args()
        .nth(1)
        .is_some_and(|c| c == "serve" || c == "admin");
    if sqlite && opens_db && running_as_root() && std::env::var_os("FRONTDESK_ALLOW_ROOT").is_none()
    {
        eprintln!(
            "error: run frontdesk as its own user, e.g. `sudo -u frontdesk frontdesk admin …`: \
             database files root creates would lock the service out (FRONTDESK_ALLOW_ROOT=1 \
             to do it anyway)"
        );
        return Err(ExitCode::from(2));
    }
    Ok(())
}

/// The `KEY=value` pairs of a systemd environment file (no variable expansion).
fn env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            let k = k.trim().strip_prefix("export ").unwrap_or(k.trim()).trim();
            if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return None;
            }
            let v = v.trim();
            let v = [('"', '"'), ('\'', '\'')]
                .iter()
                .find_map(|(a, b)| v.strip_prefix(*a)?.strip_suffix(*b))
                .unwrap_or(v);
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

#[cfg(unix)]
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(not(unix))]
fn running_as_root() -> bool {
    false
}

/// Logs to stderr, filtered by `FRONTDESK_LOG`; `json`: one JSON object per line
/// (`--log-format json`).
fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FRONTDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        fmt.json().flatten_event(true).try_init()
    } else {
        fmt.try_init()
    };
}

/// A list for `--json`: one JSON array on one line.
fn print_json<T: Serialize>(items: &[T]) {
    println!(
        "{}",
        serde_json::to_string(items).expect("plain structs serialise")
    );
}

fn print_out<T: Serialize>(json: bool, value: &T, human: &[(&str, String)]) {
    if json {
        println!(
            "{}",
            serde_json::to_string(value).expect("plain structs serialise")
        );
    } else {
        for (k, v) in human {
            println!("{k}: {v}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Rate, RateSettings};

    fn serve_args(extra: &[&str]) -> Result<ServeArgs, clap::Error> {
        let argv = ["frontdesk", "serve"].iter().chain(extra);
        match Cli::try_parse_from(argv)?.command {
            Command::Serve(a) => Ok(*a),
            Command::Admin(_) => unreachable!("parsed serve"),
        }
    }

    #[test]
    fn env_file_lines_become_pairs() {
        let text = "# comment\nFRONTDESK_ADDR=127.0.0.1:8080\n\n  FRONTDESK_PUBLIC_URL = \"https://chat.example.com\"\n\
                    #FRONTDESK_LOG=debug\nexport FRONTDESK_NO_DEMO='true'\nnot a pair\nBAD KEY=1\n";
        assert_eq!(
            env_file(text),
            [
                ("FRONTDESK_ADDR", "127.0.0.1:8080"),
                ("FRONTDESK_PUBLIC_URL", "https://chat.example.com"),
                ("FRONTDESK_NO_DEMO", "true"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn rate_flag_defaults_are_the_documented_defaults() {
        let a = serve_args(&[]).unwrap();
        assert_eq!(a.rate_settings(), RateSettings::default());
    }

    #[test]
    fn rate_flags_set_every_limit_and_refuse_nonsense() {
        let a = serve_args(&[
            "--connect-burst",
            "5",
            "--connect-rate",
            "0.5",
            "--login-burst",
            "7",
            "--agent-req-rate",
            "1000",
            "--typing-burst",
            "9",
        ])
        .unwrap();
        let r = a.rate_settings();
        assert_eq!(
            r.connects,
            Rate {
                burst: 5,
                per_sec: 0.5
            }
        );
        assert_eq!(r.logins.burst, 7);
        assert_eq!(r.agent_reqs.per_sec, 1000.0);
        assert_eq!(r.typing.burst, 9);
        for bad in [
            &["--connect-burst", "0"][..],
            &["--login-rate", "-1"],
            &["--visitor-rate", "NaN"],
            &["--typing-rate", "inf"],
        ] {
            assert!(serve_args(bad).is_err(), "{bad:?} accepted");
        }
    }
}

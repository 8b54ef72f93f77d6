//! The command line (SPEC §2): `frontdesk serve …` (`serve.rs`) and `frontdesk admin …`
//! (`admin.rs`); this file parses and dispatches.
//! Every flag has a `FRONTDESK_*` environment fallback; `--json` prints exactly one JSON
//! object on stdout. Startup errors are reported with `anyhow` and exit code 1; invalid
//! admin input exits with 2.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

mod admin;
mod data;
mod robot;
mod serve;
mod workbench;

pub use admin::{AdminArgs, AdminWhat, AgentCmd, GroupCmd, SiteCmd, VipCmd};
pub use data::{BackupArgs, RestoreArgs, VisitorCmd, WhomArgs};
pub use robot::{FaqCmd, RobotCmd};
pub use serve::ServeArgs;
pub use workbench::{BlockCmd, CannedCmd, ReportArgs};

#[derive(Parser, Debug)]
#[command(
    name = "frontdesk",
    version,
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

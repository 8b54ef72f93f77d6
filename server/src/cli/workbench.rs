//! `frontdesk admin canned …` and `frontdesk admin block …` (issue 25): a site's canned
//! replies and its agents' own; visitors and address ranges kept out of its chat
//! (`crate::admin`'s validated operations).

use std::path::PathBuf;

use clap::Subcommand;

use super::print_out;
use crate::admin::{self, AdminError};
use crate::db::Db;

#[derive(Subcommand, Debug)]
pub enum CannedCmd {
    /// Add a canned reply (the site's, or --agent's own), or change the text of the one with
    /// this shortcut; prints its id. Agents type /SHORTCUT in the composer; {name},
    /// {partnerid} and {agent} in the text become the visitor's name, partnerid and the
    /// agent's nick.
    Add {
        #[arg(long)]
        site: String,
        /// PREFIX@SITE: that agent's own reply (default: the site's, for every agent).
        #[arg(long)]
        agent: Option<String>,
        #[arg(long)]
        shortcut: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        json: bool,
    },
    /// List the site's canned replies and every agent's (or only --agent's).
    List {
        #[arg(long)]
        site: String,
        #[arg(long)]
        agent: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Import canned replies from FILE: CSV with the header shortcut,text, or JSON lines
    /// {"shortcut","text"}. Good rows are stored, each bad row reported with its line; exit
    /// status 2 if any row was bad.
    Import {
        #[arg(long)]
        site: String,
        #[arg(long)]
        agent: Option<String>,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Delete a canned reply by id (the site's, or --agent's own).
    Delete {
        #[arg(long)]
        site: String,
        #[arg(long)]
        agent: Option<String>,
        #[arg(long)]
        id: i64,
    },
}

/// Runs a `canned` command; `Ok(true)` when an import refused rows (exit status 2).
pub(super) async fn canned_cmd(db: &Db, cmd: CannedCmd) -> Result<bool, AdminError> {
    match cmd {
        CannedCmd::Add {
            site,
            agent,
            shortcut,
            text,
            json,
        } => {
            let id = admin::add_canned(db, &site, agent.as_deref(), &shortcut, &text).await?;
            print_out(
                json,
                &serde_json::json!({ "id": id }),
                &[("id", id.to_string())],
            );
        }
        CannedCmd::List { site, agent, json } => {
            let list = admin::list_canned(db, &site, agent.as_deref()).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&list).expect("plain structs serialise")
                );
            } else {
                for c in &list {
                    println!(
                        "{}\t/{}\t{}\t{}",
                        c.id,
                        c.shortcut,
                        c.agent.as_deref().unwrap_or("(site)"),
                        c.text.replace('\n', " ")
                    );
                }
            }
        }
        CannedCmd::Import {
            site,
            agent,
            file,
            json,
        } => {
            let text = std::fs::read(&file)
                .map_err(|e| AdminError::Invalid(format!("cannot read {}: {e}", file.display())))?;
            let text = String::from_utf8(text).map_err(|e| {
                AdminError::Invalid(format!("{} is not UTF-8 text: {e}", file.display()))
            })?;
            let report = admin::import_canned(db, &site, agent.as_deref(), &text).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&report).expect("plain structs serialise")
                );
            } else {
                for e in &report.errors {
                    eprintln!("{}:{}: {}", file.display(), e.line, e.reason);
                }
                println!(
                    "{} canned replies stored, {} rows refused",
                    report.added,
                    report.errors.len()
                );
            }
            return Ok(!report.errors.is_empty());
        }
        CannedCmd::Delete { site, agent, id } => {
            admin::delete_canned(db, &site, agent.as_deref(), id).await?;
            println!("canned reply {id} deleted");
        }
    }
    Ok(false)
}

#[derive(Subcommand, Debug)]
pub enum BlockCmd {
    /// Block a visitor (--visitor GID, as agents see it) or an address range (--ip, an
    /// address or CIDR range; IPv6 at most a /64) on a site: they get a polite refusal
    /// instead of the chat and no agent sees them. Running servers apply it within 5 s.
    /// Prints the block's id.
    Add {
        #[arg(long)]
        site: String,
        #[arg(long, conflicts_with = "visitor", required_unless_present = "visitor")]
        ip: Option<String>,
        #[arg(long)]
        visitor: Option<String>,
        /// Why (shown to admins, never to the visitor), at most 200 characters.
        #[arg(long, default_value = "")]
        reason: String,
        /// Days it lasts (1-3650); without it, until deleted.
        #[arg(long)]
        days: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// List the site's blocks in force, newest first.
    List {
        #[arg(long)]
        site: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a block by id (the visitor may chat again).
    Delete {
        #[arg(long)]
        site: String,
        #[arg(long)]
        id: i64,
    },
}

/// Runs a `block` command.
pub(super) async fn block_cmd(db: &Db, cmd: BlockCmd) -> Result<(), AdminError> {
    match cmd {
        BlockCmd::Add {
            site,
            ip,
            visitor,
            reason,
            days,
            json,
        } => {
            let id =
                admin::add_block_cli(db, &site, ip.as_deref(), visitor.as_deref(), &reason, days)
                    .await?;
            print_out(
                json,
                &serde_json::json!({ "id": id }),
                &[("id", id.to_string())],
            );
        }
        BlockCmd::List { site, json } => {
            let list = admin::list_blocks_cli(db, &site).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&list).expect("plain structs serialise")
                );
            } else {
                for b in &list {
                    let what = match (&b.ip, &b.visitor) {
                        (Some(ip), _) => format!("ip {ip}"),
                        (_, Some(v)) => format!("visitor {v}"),
                        _ => String::new(),
                    };
                    let until = b
                        .expires_at
                        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                        .map_or("until deleted".to_owned(), |t| format!("until {t:.0}"));
                    println!("{}\t{what}\t{until}\t{}", b.id, b.reason);
                }
            }
        }
        BlockCmd::Delete { site, id } => {
            admin::delete_block_cli(db, &site, id).await?;
            println!("block {id} deleted");
        }
    }
    Ok(())
}

/// `admin report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    #[arg(long)]
    site: String,
    /// First day, YYYY-MM-DD (default: 6 days before --until).
    #[arg(long)]
    since: Option<String>,
    /// Last day, YYYY-MM-DD, inclusive (default: today in --tz).
    #[arg(long)]
    until: Option<String>,
    /// IANA time zone the days and hours are counted in (default UTC).
    #[arg(long)]
    tz: Option<String>,
    #[arg(long)]
    json: bool,
}

/// Runs `admin report`: the figures as one JSON object, or as lines to read.
pub(super) async fn report_cmd(db: &Db, a: ReportArgs) -> Result<(), AdminError> {
    let r = admin::site_report(
        db,
        &a.site,
        a.since.as_deref(),
        a.until.as_deref(),
        a.tz.as_deref(),
    )
    .await?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string(&r).expect("plain structs serialise")
        );
        return Ok(());
    }
    let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v} s"));
    println!("{} to {} ({})", r.since, r.until, r.tz);
    println!("conversations\t{}", r.conversations);
    println!(
        "messages\t{} ({} from visitors, {} from agents)",
        r.messages, r.visitor_messages, r.agent_messages
    );
    println!("answered\t{}\tabandoned\t{}", r.answered, r.abandoned);
    println!(
        "first response\tp50 {}\tp90 {}",
        opt(r.first_response_p50_s),
        opt(r.first_response_p90_s)
    );
    println!(
        "resolution\tp50 {}\tp90 {}",
        opt(r.resolution_p50_s),
        opt(r.resolution_p90_s)
    );
    println!("csat\t{} ratings", r.csat.count);
    for d in &r.by_day {
        println!(
            "{}\t{} conversations\t{} messages",
            d.key, d.conversations, d.messages
        );
    }
    for a in &r.by_agent {
        println!(
            "agent {} ({})\t{} conversations\t{} answered\tfirst response p50 {}",
            a.kf_nick,
            a.kf_id,
            a.conversations,
            a.answered,
            opt(a.first_response_p50_s)
        );
    }
    Ok(())
}

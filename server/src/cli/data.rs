//! `frontdesk admin backup|restore|visitor …`: the whole database's backups, and one
//! customer's data on request. Backups and restores run before the database is opened
//! (a restore's target must stay empty; `crate::db::backup`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::print_out;
use crate::admin::{self, AdminError, Whom};
use crate::db::{self, Db, DbError};

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The backup file to write (must not exist). SQLite: a copy of the database file;
    /// PostgreSQL: a pg_dump custom-format archive.
    #[arg(long)]
    pub to: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A file `admin backup` wrote (or `pg_dump --format=custom`).
    #[arg(long)]
    pub from: PathBuf,
    #[arg(long)]
    pub json: bool,
}

/// `admin backup`: exit 1 when it failed.
pub(super) async fn backup_cmd(url: &str, a: BackupArgs) -> ExitCode {
    match db::backup::backup(url, &a.to).await {
        Ok(done) => {
            print_out(
                a.json,
                &done,
                &[
                    ("backup", done.file.clone()),
                    ("backend", done.backend.into()),
                    ("bytes", done.bytes.to_string()),
                ],
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: backup of {}: {e}", db::display_url(url));
            ExitCode::FAILURE
        }
    }
}

/// `admin restore`: exit 2 when refused (the target is not empty, the file is no backup),
/// 1 when it failed.
pub(super) async fn restore_cmd(url: &str, a: RestoreArgs) -> ExitCode {
    match db::backup::restore(url, &a.from).await {
        Ok(done) => {
            print_out(
                a.json,
                &done,
                &[
                    ("restored", done.file.clone()),
                    ("into", db::display_url(url)),
                    ("backend", done.backend.into()),
                ],
            );
            ExitCode::SUCCESS
        }
        Err(e @ (DbError::NotEmpty(_) | DbError::Backup(_))) => {
            eprintln!("error: restore refused: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: restore into {}: {e}", db::display_url(url));
            ExitCode::FAILURE
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum VisitorCmd {
    /// Print everything stored about one visitor as one JSON document: profile,
    /// conversation, uploads' metadata, visits, earlier erasures.
    Export {
        #[command(flatten)]
        whom: WhomArgs,
    },
    /// Erase one visitor's data: the text of their messages, their uploads, visits and
    /// profile (counts and sequence numbers stay); the erasure is logged.
    Erase {
        #[command(flatten)]
        whom: WhomArgs,
        /// Why (kept in the erasure log).
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct WhomArgs {
    /// The site's sysnum.
    #[arg(long)]
    pub site: String,
    /// The visitor's partnerid (as the site's pages pass it).
    #[arg(long, required_unless_present = "visitor", conflicts_with = "visitor")]
    pub partnerid: Option<String>,
    /// The visitor's id (seed 001 `gid`).
    #[arg(long)]
    pub visitor: Option<i64>,
}

impl WhomArgs {
    fn whom(&self) -> Whom {
        match (&self.partnerid, self.visitor) {
            (Some(p), _) => Whom::Partner(p.clone()),
            (None, Some(v)) => Whom::Visitor(v),
            (None, None) => unreachable!("clap requires one of them"),
        }
    }
}

pub(super) async fn visitor_cmd(db: &Db, cmd: VisitorCmd) -> Result<(), AdminError> {
    match cmd {
        VisitorCmd::Export { whom } => {
            let e = admin::export_visitor(db, &whom.site, &whom.whom()).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&e).expect("plain structs serialise")
            );
        }
        VisitorCmd::Erase { whom, reason, json } => {
            let e = admin::erase_visitor(db, &whom.site, &whom.whom(), &reason).await?;
            print_out(
                json,
                &e,
                &[
                    ("erased visitor", e.visitor_id.to_string()),
                    ("messages", e.messages.to_string()),
                    ("uploads", e.files.to_string()),
                    ("visits", e.visits.to_string()),
                ],
            );
        }
    }
    Ok(())
}

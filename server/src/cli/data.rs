//! `frontdesk admin backup|restore|visitor …`: the whole database's backups, and one
//! customer's data on request. Backups and restores run before the database is opened
//! (a restore's target must stay empty; `crate::db::backup`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::print_out;
use crate::db::{self, DbError};

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

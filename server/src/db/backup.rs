//! Backups of the whole database while it serves, and restoring one into an empty database
//! (`frontdesk admin backup --to FILE`, `admin restore --from FILE`).
//!
//! - SQLite: SQLite's online backup API copies every page in one step, that is inside one
//!   read transaction: the copy is the database as of one commit (WAL: the server's writer
//!   goes on meanwhile and is never blocked). The copy is switched to `journal_mode=DELETE`
//!   (one self-contained file) and checked (`PRAGMA quick_check`). Restoring copies it back
//!   with the same API into the target file, which must not exist or hold no table.
//! - PostgreSQL: `pg_dump --format=custom` (one snapshot, the same guarantee) and
//!   `pg_restore --single-transaction --exit-on-error` into a database with no table in any
//!   schema but the system's. The PostgreSQL client tools must be on `PATH`, of the server's
//!   major version or newer.
//!
//! A restored database is migrated by the next `serve` or `admin` command like any other.
//! Owns no table. These are functions, not `Db` methods: a restore must not open (and so
//! migrate) its target first.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use sqlx::{Connection as _, SqliteConnection};

use super::connect::create_private;
use super::{Backend, DbError, DbResult};

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
/// The first bytes of a `pg_dump --format=custom` archive.
const PGDUMP_MAGIC: &[u8] = b"PGDMP";

/// What a backup or a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct BackupDone {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The backup file.
    pub file: String,
    /// Its size.
    pub bytes: u64,
}

/// The file a `sqlite:` URL names.
fn sqlite_path(url: &str) -> DbResult<PathBuf> {
    let opts: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
    Ok(opts.get_filename().to_path_buf())
}

fn io(what: &str, e: impl std::fmt::Display) -> DbError {
    DbError::Backup(format!("{what}: {e}"))
}

/// Writes a consistent copy of the database at `url` to `to`, which must not exist.
pub async fn backup(url: &str, to: &Path) -> DbResult<BackupDone> {
    if to.exists() {
        return Err(DbError::Backup(format!(
            "{} exists; back up to a new file",
            to.display()
        )));
    }
    let backend = Backend::of_url(url).ok_or_else(|| DbError::UnsupportedUrl(url.into()))?;
    // Everything of every site is in it: readable by this user only.
    create_private(to)?;
    let name = match backend {
        Backend::Sqlite => {
            let from = sqlite_path(url)?;
            let to = to.to_path_buf();
            tokio::task::spawn_blocking(move || sqlite_copy(&from, &to, false))
                .await
                .map_err(|e| io("backup thread", e))??;
            "sqlite"
        }
        Backend::Postgres => {
            let mut dump = tokio::process::Command::new("pg_dump");
            dump.args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(to)
                .arg(format!("--dbname={url}"));
            run_tool(dump, "pg_dump").await?;
            "postgres"
        }
    };
    let bytes = std::fs::metadata(to)
        .map_err(|e| io("reading the backup", e))?
        .len();
    Ok(BackupDone {
        backend: name,
        file: to.display().to_string(),
        bytes,
    })
}

/// Puts the backup `from` into the database at `url`, which must be empty: a SQLite file
/// that does not exist or has no table, a PostgreSQL database with no table.
pub async fn restore(url: &str, from: &Path) -> DbResult<BackupDone> {
    let head = {
        use std::io::Read;
        let mut f = std::fs::File::open(from).map_err(|e| io(&from.display().to_string(), e))?;
        let mut head = [0u8; 16];
        let n = f.read(&mut head).map_err(|e| io("reading the backup", e))?;
        head[..n].to_vec()
    };
    let backend = Backend::of_url(url).ok_or_else(|| DbError::UnsupportedUrl(url.into()))?;
    let name = match backend {
        Backend::Sqlite => {
            if !head.starts_with(SQLITE_MAGIC) {
                return Err(not_a_backup(from, "SQLite"));
            }
            let to = sqlite_path(url)?;
            if to.exists() {
                let mut c = SqliteConnection::connect(url).await?;
                let tables: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table'")
                        .fetch_one(&mut c)
                        .await?;
                c.close().await?;
                if tables > 0 {
                    return Err(DbError::NotEmpty(to.display().to_string()));
                }
            }
            create_private(&to)?;
            let from = from.to_path_buf();
            tokio::task::spawn_blocking(move || sqlite_copy(&from, &to, true))
                .await
                .map_err(|e| io("restore thread", e))??;
            "sqlite"
        }
        Backend::Postgres => {
            if !head.starts_with(PGDUMP_MAGIC) {
                return Err(not_a_backup(from, "pg_dump --format=custom"));
            }
            let mut c = sqlx::PgConnection::connect(url).await?;
            let tables: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables
                 WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
            )
            .fetch_one(&mut c)
            .await?;
            c.close().await?;
            if tables > 0 {
                return Err(DbError::NotEmpty(super::display_url(url)));
            }
            let mut restore = tokio::process::Command::new("pg_restore");
            restore
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                ])
                .arg(format!("--dbname={url}"))
                .arg(from);
            run_tool(restore, "pg_restore").await?;
            "postgres"
        }
    };
    Ok(BackupDone {
        backend: name,
        file: from.display().to_string(),
        bytes: std::fs::metadata(from).map(|m| m.len()).unwrap_or(0),
    })
}

fn not_a_backup(from: &Path, kind: &str) -> DbError {
    DbError::Backup(format!(
        "{} is not a {kind} backup (a SQLite backup restores into sqlite://…, a pg_dump \
         archive into postgres://…)",
        from.display()
    ))
}

/// Copies the SQLite database `from` into `to` with the online backup API, in one step
/// (one read transaction on `from`: one consistent state), then checks the copy. `to` of a
/// backup becomes a self-contained file (`journal_mode=DELETE`); a restored database is put
/// back in WAL mode, as the server runs it.
fn sqlite_copy(from: &Path, to: &Path, restoring: bool) -> DbResult<()> {
    let src = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    src.busy_timeout(Duration::from_secs(10))?;
    if restoring {
        let ours: i64 = src.query_row(
            "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = '_sqlx_migrations'",
            [],
            |r| r.get(0),
        )?;
        if ours == 0 {
            return Err(DbError::Backup(format!(
                "{} is a SQLite file but not a Frontdesk database",
                from.display()
            )));
        }
    }
    let mut dst = Connection::open(to)?;
    {
        let b = Backup::new(&src, &mut dst)?;
        // -1: every page in one step. Busy/locked (another process holds a lock a moment):
        // again after a pause.
        loop {
            match b.step(-1)? {
                StepResult::Done => break,
                StepResult::More => {}
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    let mode = if restoring { "WAL" } else { "DELETE" };
    let _: String = dst.query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| r.get(0))?;
    let check: String = dst.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(DbError::Backup(format!(
            "the copy fails its check: {check}"
        )));
    }
    dst.close().map_err(|(_, e)| e)?;
    Ok(())
}

/// Runs a PostgreSQL client tool; its stderr becomes the error.
async fn run_tool(mut cmd: tokio::process::Command, name: &str) -> DbResult<()> {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| {
            io(
                &format!("running {name} (PostgreSQL client tools on PATH?)"),
                e,
            )
        })?;
    if !out.status.success() {
        return Err(DbError::Backup(format!(
            "{name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

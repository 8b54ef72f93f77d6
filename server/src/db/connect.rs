//! Connecting: which backend a URL names (and how it may be logged), each connection's
//! settings, and the SQLite file's mode. Owns no table and runs no query of the schema.

use std::os::unix::fs::OpenOptionsExt;

use sqlx::{AnyConnection, Executor};

use super::{DbError, DbResult};

/// Creates the database file readable by this user only (0600) when it does not exist yet,
/// so SQLite (which gives its `-wal`/`-shm` files the same mode) never makes a
/// world-readable one. An existing file keeps the mode its operator gave it.
pub(super) fn create_private(path: &std::path::Path) -> DbResult<()> {
    if path.as_os_str().is_empty() || path.to_str() == Some(":memory:") || path.exists() {
        return Ok(());
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .or_else(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Ok(()),
            _ => Err(DbError::Sqlx(sqlx::Error::Io(e))),
        })
}

/// The database behind a [`Db`]. Every query is one SQL text for both (numbered `$N`
/// parameters, 0/1 integer flags, BIGINT columns); where the dialects must differ the
/// difference is a `match` on this, inside `db/` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a `--database-url` names, if it is one this build stores data in.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// `url` as it may be shown in logs and errors: a password in it is replaced by `***`.
pub fn display_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => match rest[..at].find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &rest[..colon],
                &rest[at..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Per-connection settings of a SQLite connection opened through `Any` (the journal mode is
/// a property of the file, set once when the database is opened).
pub(super) const SQLITE_PRAGMAS: [&str; 3] = [
    // FULL: a commit is on disk before it returns, so acks survive power loss too.
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA foreign_keys = ON",
];

/// Applies the per-connection settings of `backend` to a fresh connection.
pub(super) async fn prepare_conn(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<(), sqlx::Error> {
    match backend {
        Backend::Sqlite => {
            for p in SQLITE_PRAGMAS {
                conn.execute(p).await?;
            }
        }
        Backend::Postgres => {
            // An acked write is on disk (the default, stated so no server setting loosens it).
            conn.execute("SET synchronous_commit = on").await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::display_url;

    #[test]
    fn display_url_hides_only_the_password() {
        assert_eq!(
            display_url("postgres://fd:s3cr@t@db:5432/x?sslmode=require"),
            "postgres://fd:***@db:5432/x?sslmode=require"
        );
        assert_eq!(display_url("postgres://fd@db/x"), "postgres://fd@db/x");
        assert_eq!(display_url("sqlite://a/b@c.db"), "sqlite://a/b@c.db");
        assert_eq!(display_url("sqlite:fd.db"), "sqlite:fd.db");
    }
}

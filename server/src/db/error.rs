//! The storage layer's one error type: what a `Db` method fails with. Callers log it and
//! answer with a generic internal error, except for the variants that name a refusal
//! (`AccountTaken`, `SiteTaken`, `NotServed`, `QueueFull`, `Invalid`).

use super::{rows, SiteKey};

/// A storage failure. Callers log it and answer with a generic internal error.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlx(#[source] sqlx::Error),
    /// From SQLite's message path (`db/native.rs`).
    #[error("database: {0}")]
    Native(#[from] rusqlite::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database url: {0}")]
    UnsupportedUrl(String),
    /// The write was not committed: its batch failed (everything in it was rolled back, so a
    /// retry is safe) or the writer has stopped.
    #[error("write not committed: {0}")]
    NotCommitted(String),
    /// A stored value is not what the schema promises (e.g. an invalid `sysnum`).
    #[error("stored data invalid: {0}")]
    Corrupt(String),
    /// `create_agent`: the account name is another agent's.
    #[error("agent account {0} already exists")]
    AccountTaken(String),
    #[error("{0}")]
    NotFound(String),
    /// A site id given at import (`admin site create --sysnum/--business-id/--appid`) is
    /// already another site's.
    #[error("{0} is already used by another site")]
    SiteTaken(SiteKey),
    /// A conditional write found that the agent does not serve the visitor (or the visitor
    /// is not of the agent's site).
    #[error("the visitor is not served by this agent")]
    NotServed,
    /// A visitor's first message while their site's waiting queue is full
    /// (`Config::max_queue`): nothing was stored.
    #[error("the waiting queue is full")]
    QueueFull,
    /// A value no backend stores (e.g. a text with U+0000, `runs::storable`); refused
    /// before any statement, so nothing else of its batch is affected.
    #[error("{0}")]
    Invalid(&'static str),
    /// A backup or restore could not be made (`db/backup.rs`); says why.
    #[error("{0}")]
    Backup(String),
    /// `admin restore` into a database that holds tables already: nothing was changed.
    #[error("{0} is not empty: restore only into a new database (a missing SQLite file, or a PostgreSQL database with no table)")]
    NotEmpty(String),
}

impl From<sqlx::Error> for DbError {
    /// A column a row type refuses (`rows::Corrupt`, e.g. a `sysnum` that does not parse) is
    /// [`DbError::Corrupt`], naming the column; anything else is the driver's error.
    fn from(e: sqlx::Error) -> DbError {
        match e {
            sqlx::Error::ColumnDecode { index, source } if source.is::<rows::Corrupt>() => {
                DbError::Corrupt(format!("{}: {source}", index.trim_matches('"')))
            }
            e => DbError::Sqlx(e),
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

//! Storage: the database and every query the server runs. Nothing outside `db/` writes
//! SQL; each area may keep its queries in a submodule (`db/<area>.rs`, an `impl Db` block).
//!
//! Two backends through sqlx `Any`: SQLite (`sqlite://FILE`, the zero-config default) and
//! PostgreSQL (`postgres://…`). Every query is one SQL text for both — numbered `$N`
//! parameters, BIGINT/INTEGER columns read as `i64`, flags stored as 0/1, no `bool`, no
//! `NUMERIC` results — and where the dialects must differ (`BEGIN IMMEDIATE` vs `BEGIN`, row
//! locks `FOR UPDATE` / `SKIP LOCKED`, `instr` vs `strpos`, how a new id is picked) the SQL is
//! chosen by [`Backend`] here, never outside `db/`. Opening the database applies the
//! migrations of its backend (`server/migrations` for SQLite, `server/migrations-pg` for
//! PostgreSQL; same numbers, same tables).
//!
//! Durability: SQLite runs in WAL mode with `synchronous = FULL`, PostgreSQL's writer with
//! `synchronous_commit = on`, so a transaction that has committed is on disk; callers
//! acknowledge a message to a client only after [`Db::insert_visitor_message`] /
//! [`Db::insert_agent_message`] returned, i.e. after commit.
//!
//! Reads use a pool of connections. Every write goes through the one writer of this process
//! (`writer.rs`): write methods hand it a job (`Db::write`) or a message, and it commits
//! everything queued together (group commit) before answering any of them. Several
//! processes on one database each have their own writer; what must hold across them is
//! enforced in SQL (row locks on PostgreSQL, the file's write lock on SQLite).

/// The highest `seq` of the conversation of the `visitors` row in scope (0 before its first
/// message): no column keeps it (migration 0013), it is one seek in the `(visitor_id, seq)`
/// index. A macro so that `concat!` can put it into constant SQL texts.
macro_rules! last_seq_sql {
    () => {
        "COALESCE((SELECT MAX(seq) FROM messages WHERE visitor_id = visitors.id), 0)"
    };
}

/// The columns of a message as [`message_from`] reads them, from `messages m` and its agent
/// `agents a` (a macro for `concat!`, like `last_seq_sql!`).
macro_rules! msg_cols {
    () => {
        "m.id, m.visitor_id, m.seq, m.author, m.agent_id, COALESCE(m.nick, a.nick) AS agent_nick, m.cmid, m.kind, m.body, m.created_at"
    };
}

mod agents;
mod cluster;
pub use cluster::{AgentConnRow, GoneAgent};
mod file_chunks;
pub use file_chunks::CHUNK;
mod files;
mod messages;
pub(crate) use messages::storable;
mod native;
mod presence;
pub use presence::{PresenceRenewal, PresenceRow};
mod writer;
pub use files::StoredFile;
pub use writer::MAX_BATCH;
mod queue;
mod reception;
pub use reception::{ReceptionState, ReceptionValues};
mod routing;
pub use routing::{GroupRouting, SiteReception, SiteReceptionUpdate, VipLevel};
mod robots;
pub use robots::{FaqRow, NewFaq, RobotRow};
mod sites;
mod visits;
pub use sites::{NewSite, SiteKey};
pub use visits::{NewPage, StoredPage};

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use native::NativeWriter;
use rand::RngCore;
use sha2::{Digest, Sha256};
use shared::ids::{ClientMsgId, Seq, Sysnum};
use shared::visitor::{Author, MsgKind};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor, Row};
use writer::{WriteConn, Writer};

mod push;
pub use push::{AttemptResult, PushAttempt, PushDelivery};
mod accounts;
pub use accounts::AccessToken;

/// A storage failure. Callers log it and answer with a generic internal error.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
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
    /// A value no backend stores (e.g. a text with U+0000, `messages::storable`); refused
    /// before any statement, so nothing else of its batch is affected.
    #[error("{0}")]
    Invalid(&'static str),
}

pub type DbResult<T> = Result<T, DbError>;

/// Handle to the database; cheap to clone. Reads use a pool of connections; every write
/// goes through the one [`Writer`] (group commit, see `db/writer.rs`).
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// Which database this is: where the dialects differ, `db/` picks the SQL by it.
    backend: Backend,
    writer: Writer,
    /// Sites' push URLs as last read (see [`Db::site_push_url`]).
    push_urls: std::sync::Arc<std::sync::Mutex<PushUrls>>,
    /// The key that signs pending visitor tokens (see [`Db::pending_token_key`]), read once.
    token_key: std::sync::Arc<tokio::sync::OnceCell<String>>,
}

/// Site id → (when read, push URL).
type PushUrls = HashMap<i64, (std::time::Instant, Option<String>)>;

/// How long a site's push URL is taken from memory before it is read again. Changes made by
/// this process apply at once; changes by another process (`frontdesk admin site set`)
/// within this time.
const PUSH_URL_TTL: Duration = Duration::from_secs(1);

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub fn now_s() -> i64 {
    now_ms() / 1000
}

/// A fresh random secret: `bytes` random bytes as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Bearer tokens are stored only as their SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Clone)]
pub struct Site {
    pub id: i64,
    pub sysnum: Sysnum,
    pub name: String,
    pub appid: String,
    pub secret: String,
    pub sign_key: String,
    pub sign_check: String,
    pub push_url: Option<String>,
    pub push_allow_private: bool,
    pub origins: Vec<String>,
    /// Reception settings (`admin site set --reception …`), read with the row.
    pub reception: SiteReception,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: i64,
    pub site_id: i64,
    pub groupname: String,
    pub disabled: bool,
}

#[derive(Debug, Clone)]
pub struct Agent {
    pub id: i64,
    pub site_id: i64,
    pub account: String,
    pub nick: String,
    pub headimgurl: String,
    pub password_hash: String,
    pub max_chats: i64,
    pub disabled: bool,
}

#[derive(Debug, Clone)]
pub struct Visitor {
    pub id: i64,
    pub site_id: i64,
    pub partnerid: Option<String>,
    pub claimed_partnerid: String,
    pub uname: String,
    pub source: String,
    pub agent_id: Option<i64>,
    pub last_seq: i64,
    pub agent_read_seq: i64,
    /// Set while the visitor waits for an agent (unix ms of their first unanswered message).
    pub waiting_since: Option<i64>,
    /// The skill group the visitor asked for.
    pub group_id: Option<i64>,
    /// The rest of the route their page asked for (JSON, `rules::Route`), if any.
    pub route: Option<String>,
    /// Queue priority (`rules::priority`): higher waits less.
    pub priority: i64,
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub id: i64,
    pub visitor_id: i64,
    pub seq: i64,
    pub author: Author,
    pub agent_id: Option<i64>,
    pub agent_nick: Option<String>,
    pub cmid: Option<ClientMsgId>,
    pub kind: MsgKind,
    pub body: String,
    pub created_at: i64,
}

/// A visitor as an agent's chat list shows it.
#[derive(Debug, Clone)]
pub struct Guest {
    pub visitor: Visitor,
    /// The conversation's latest message.
    pub last: Option<StoredMessage>,
    /// Visitor messages after the serving agent's read mark.
    pub unread: i64,
}

/// Result of storing a visitor message.
#[derive(Debug, Clone)]
pub struct Stored {
    pub message: StoredMessage,
    /// The `cmid` had been stored before; `message` is the original.
    pub duplicate: bool,
    /// The agent serving the visitor when the message committed (read in the same
    /// transaction, so routing needs no second look-up).
    pub serving: Option<i64>,
}

/// The outcome of [`Db::assign_visitor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The agent serves the visitor now.
    Claimed,
    /// Someone else serves the visitor already (or there is no such visitor).
    Taken,
    /// The agent serves `max_chats` visitors already (or is disabled or gone): nothing changed.
    Full,
}

/// Result of a token lookup.
#[derive(Debug, Clone)]
pub struct AgentToken {
    pub agent_id: i64,
    pub expires_at: i64,
}

const SITE_COLS: &str =
    "id, sysnum, name, appid, secret, sign_key, sign_check, push_url, push_allow_private, origins, reception, manual_after, offline_title, agent_hello";
const AGENT_COLS: &str =
    "id, site_id, account, nick, headimgurl, password_hash, max_chats, disabled";
/// A visitor row as [`visitor_from`] reads it (`last_seq`: see `last_seq_sql!`).
const VISITOR_COLS: &str = concat!(
    "id, site_id, partnerid, claimed_partnerid, uname, source, agent_id, ",
    last_seq_sql!(),
    " AS last_seq, agent_read_seq, waiting_since, group_id, route, priority"
);
const MSG_SELECT: &str = concat!(
    "SELECT ",
    msg_cols!(),
    " FROM messages m LEFT JOIN agents a ON a.id = m.agent_id"
);

fn site_from(row: &AnyRow) -> DbResult<Site> {
    let sysnum: String = row.try_get("sysnum")?;
    let origins: String = row.try_get("origins")?;
    Ok(Site {
        id: row.try_get("id")?,
        sysnum: Sysnum::parse(&sysnum).map_err(|e| DbError::Corrupt(format!("sysnum: {e}")))?,
        name: row.try_get("name")?,
        appid: row.try_get("appid")?,
        secret: row.try_get("secret")?,
        sign_key: row.try_get("sign_key")?,
        sign_check: row.try_get("sign_check")?,
        push_url: row.try_get("push_url")?,
        push_allow_private: row.try_get::<i64, _>("push_allow_private")? != 0,
        origins: origins
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        reception: routing::site_reception_from(row)?,
    })
}

fn group_from(row: &AnyRow) -> DbResult<Group> {
    Ok(Group {
        id: row.try_get("id")?,
        site_id: row.try_get("site_id")?,
        groupname: row.try_get("groupname")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

fn agent_from(row: &AnyRow) -> DbResult<Agent> {
    Ok(Agent {
        id: row.try_get("id")?,
        site_id: row.try_get("site_id")?,
        account: row.try_get("account")?,
        nick: row.try_get("nick")?,
        headimgurl: row.try_get("headimgurl")?,
        password_hash: row.try_get("password_hash")?,
        max_chats: row.try_get("max_chats")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

fn visitor_from(row: &AnyRow) -> DbResult<Visitor> {
    Ok(Visitor {
        id: row.try_get("id")?,
        site_id: row.try_get("site_id")?,
        partnerid: row.try_get("partnerid")?,
        claimed_partnerid: row.try_get("claimed_partnerid")?,
        uname: row.try_get("uname")?,
        source: row.try_get("source")?,
        agent_id: row.try_get("agent_id")?,
        last_seq: row.try_get("last_seq")?,
        agent_read_seq: row.try_get("agent_read_seq")?,
        waiting_since: row.try_get("waiting_since")?,
        group_id: row.try_get("group_id")?,
        route: row.try_get("route")?,
        priority: row.try_get("priority")?,
    })
}

fn message_from(row: &AnyRow) -> DbResult<StoredMessage> {
    Ok(StoredMessage {
        id: row.try_get("id")?,
        visitor_id: row.try_get("visitor_id")?,
        seq: row.try_get("seq")?,
        author: author_of(&row.try_get::<String, _>("author")?),
        agent_id: row.try_get("agent_id")?,
        agent_nick: row.try_get("agent_nick")?,
        cmid: cmid_of(row.try_get("cmid")?),
        kind: kind_of(row.try_get("kind")?),
        body: row.try_get("body")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A stored `author` column as the author.
fn author_of(author: &str) -> Author {
    Author::parse(author).unwrap_or(Author::System)
}

/// A stored `cmid` column as the client message id.
fn cmid_of(cmid: Option<String>) -> Option<ClientMsgId> {
    cmid.and_then(|c| ClientMsgId::parse(&c).ok())
}

/// A stored `kind` column as the message kind.
fn kind_of(kind: i64) -> MsgKind {
    u8::try_from(kind)
        .ok()
        .and_then(|k| MsgKind::try_from(k).ok())
        .unwrap_or(MsgKind::Text)
}

/// Creates the database file readable by this user only (0600) when it does not exist yet,
/// so SQLite (which gives its `-wal`/`-shm` files the same mode) never makes a
/// world-readable one. An existing file keeps the mode its operator gave it.
fn create_private(path: &std::path::Path) -> DbResult<()> {
    use std::os::unix::fs::OpenOptionsExt;
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

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
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
const SQLITE_PRAGMAS: [&str; 3] = [
    // FULL: a commit is on disk before it returns, so acks survive power loss too.
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA foreign_keys = ON",
];

/// Applies the per-connection settings of `backend` to a fresh connection.
async fn prepare_conn(conn: &mut AnyConnection, backend: Backend) -> Result<(), sqlx::Error> {
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

impl Db {
    /// Opens (creating if needed) the database at `url` and applies migrations:
    /// `sqlite://path`, `sqlite:path` (migrations in `server/migrations`)
    /// or `postgres://…` (the database must exist; migrations in `server/migrations-pg`).
    pub async fn open(url: &str) -> DbResult<Db> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url).ok_or_else(|| {
            DbError::UnsupportedUrl(format!(
                "{} (use sqlite://FILE or postgres://USER@HOST:PORT/DATABASE)",
                display_url(url)
            ))
        })?;
        let mut native = None;
        match backend {
            Backend::Sqlite => {
                let opts = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                if opts.get_filename().to_str() == Some(":memory:") {
                    // Every connection would have a database of its own.
                    return Err(DbError::UnsupportedUrl(format!(
                        "{url}: an in-memory SQLite database (use sqlite://FILE)"
                    )));
                }
                create_private(opts.get_filename())?;
                // Migrations (and WAL, a property of the file) on a native connection.
                let mut conn = opts.connect().await?;
                sqlx::migrate!("./migrations").run(&mut conn).await?;
                conn.close().await?;
                native = Some(NativeWriter::open(opts.get_filename())?);
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(url).await?;
                sqlx::migrate!("./migrations-pg").run(&mut conn).await?;
                conn.close().await?;
            }
        }
        // The one writing connection, then the group-commit writer.
        let mut conn = AnyConnection::connect(url).await?;
        prepare_conn(&mut conn, backend).await?;
        let writer = Writer::start(conn, backend, url.to_owned(), native);
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .after_connect(move |conn, _| {
                Box::pin(async move { prepare_conn(conn, backend).await })
            })
            .connect(url)
            .await?;
        Ok(Db {
            pool,
            backend,
            writer,
            push_urls: Default::default(),
            token_key: Default::default(),
        })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `job` on the writer's connection inside the next group-commit batch; returns
    /// once that batch has committed durably (see `db/writer.rs`).
    async fn write<T, F>(&self, job: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut WriteConn) -> BoxFuture<'c, DbResult<T>> + Send + 'static,
    {
        self.writer.write(job).await
    }

    /// [`Db::write`] for a job that writes the row of visitor `visitor_id` before any other
    /// row: on PostgreSQL the writer locks that row at the start of the batch, with the
    /// batch's other visitor rows in id order, so batches of two processes cannot deadlock
    /// on visitor rows (see `writer::lock_visitors`). Use it for every job that writes a
    /// visitor row.
    async fn write_visitor<T, F>(&self, visitor_id: i64, job: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut WriteConn) -> BoxFuture<'c, DbResult<T>> + Send + 'static,
    {
        self.writer.write_visitor(Some(visitor_id), job).await
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ----- settings -------------------------------------------------------------------

    pub async fn setting(&self, key: &str) -> DbResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> DbResult<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |c| Box::pin(async move {
            sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .bind(key)
                .bind(value)
                .execute(&mut *c)
                .await?;
            Ok(())
        }))
        .await
    }

    // ----- sites ----------------------------------------------------------------------

    pub async fn count_sites(&self) -> DbResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM sites")
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn site_by_id(&self, id: i64) -> DbResult<Option<Site>> {
        let row = sqlx::query(&format!("SELECT {SITE_COLS} FROM sites WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(site_from).transpose()
    }

    pub async fn site_by_sysnum(&self, sysnum: &str) -> DbResult<Option<Site>> {
        let row = sqlx::query(&format!("SELECT {SITE_COLS} FROM sites WHERE sysnum = $1"))
            .bind(sysnum)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(site_from).transpose()
    }

    /// The site's custom push URL (`None`: no site or no push), read from the database at
    /// most once per [`PUSH_URL_TTL`]: every message asks, and almost no site changes it.
    pub async fn site_push_url(&self, site_id: i64) -> DbResult<Option<String>> {
        if let Some((at, url)) = self.push_urls.lock().expect("cache lock").get(&site_id) {
            if at.elapsed() < PUSH_URL_TTL {
                return Ok(url.clone());
            }
        }
        let url: Option<String> = sqlx::query_scalar("SELECT push_url FROM sites WHERE id = $1")
            .bind(site_id)
            .fetch_optional(&self.pool)
            .await?
            .flatten()
            .filter(|u: &String| !u.is_empty());
        self.push_urls
            .lock()
            .expect("cache lock")
            .insert(site_id, (std::time::Instant::now(), url.clone()));
        Ok(url)
    }

    /// Updates the given site settings; `None` leaves a setting unchanged.
    pub async fn update_site(
        &self,
        site_id: i64,
        push_url: Option<Option<&str>>,
        push_allow_private: Option<bool>,
        sign_check: Option<&str>,
        origins: Option<&str>,
    ) -> DbResult<()> {
        let push_url = push_url.map(|u| u.map(str::to_owned));
        let sign_check = sign_check.map(str::to_owned);
        let origins = origins.map(str::to_owned);
        self.write(move |c| {
            Box::pin(async move {
                if let Some(url) = push_url {
                    sqlx::query("UPDATE sites SET push_url = $1 WHERE id = $2")
                        .bind(url)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                if let Some(allow) = push_allow_private {
                    sqlx::query("UPDATE sites SET push_allow_private = $1 WHERE id = $2")
                        .bind(allow as i64)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                if let Some(check) = sign_check {
                    sqlx::query("UPDATE sites SET sign_check = $1 WHERE id = $2")
                        .bind(check)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                if let Some(origins) = origins {
                    sqlx::query("UPDATE sites SET origins = $1 WHERE id = $2")
                        .bind(origins)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                Ok(())
            })
        })
        .await?;
        self.push_urls.lock().expect("cache lock").remove(&site_id);
        Ok(())
    }

    // ----- groups ---------------------------------------------------------------------

    pub async fn create_group(&self, site_id: i64, groupname: &str) -> DbResult<Group> {
        let name = groupname.to_owned();
        let id: i64 = self
            .write(move |c| {
                Box::pin(async move {
                    Ok(sqlx::query_scalar(
                        "INSERT INTO agent_groups (site_id, groupname) VALUES ($1, $2) RETURNING id",
                    )
                    .bind(site_id)
                    .bind(name)
                    .fetch_one(&mut *c)
                    .await?)
                })
            })
            .await?;
        Ok(Group {
            id,
            site_id,
            groupname: groupname.to_owned(),
            disabled: false,
        })
    }

    pub async fn groups_of_site(&self, site_id: i64) -> DbResult<Vec<Group>> {
        let rows = sqlx::query(
            "SELECT id, site_id, groupname, disabled FROM agent_groups WHERE site_id = $1 ORDER BY id",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(group_from).collect()
    }

    pub async fn groups_of_agent(&self, agent_id: i64) -> DbResult<Vec<Group>> {
        let rows = sqlx::query(
            "SELECT g.id, g.site_id, g.groupname, g.disabled FROM agent_groups g JOIN agent_group_members m ON m.group_id = g.id WHERE m.agent_id = $1 ORDER BY g.id",
        )
        .bind(agent_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(group_from).collect()
    }

    // ----- agents ---------------------------------------------------------------------

    /// Creates an agent. `groups` must belong to the same site.
    pub async fn create_agent(
        &self,
        site_id: i64,
        account: &str,
        nick: &str,
        password_hash: &str,
        groups: &[i64],
        max_chats: i64,
    ) -> DbResult<Agent> {
        let (account, nick, password_hash) = (
            account.to_owned(),
            nick.to_owned(),
            password_hash.to_owned(),
        );
        let groups = groups.to_vec();
        let backend = self.backend;
        let id = self
            .write(move |c| {
                Box::pin(async move {
                    // kf_ids come from the schema and count from 1001, as in seed 002's
                    // examples: PostgreSQL's identity starts there; SQLite's rowid takes
                    // the next free one itself, given 1001 only for the very first agent.
                    let sql = match backend {
                        Backend::Postgres => "INSERT INTO agents (site_id, account, nick, password_hash, max_chats, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        Backend::Sqlite => "INSERT INTO agents (id, site_id, account, nick, password_hash, max_chats, created_at)
                         VALUES (CASE WHEN EXISTS (SELECT 1 FROM agents) THEN NULL ELSE 1001 END, $1, $2, $3, $4, $5, $6) RETURNING id",
                    };
                    let id: i64 = match sqlx::query_scalar(sql)
                    .bind(site_id)
                    .bind(&account)
                    .bind(nick)
                    .bind(password_hash)
                    .bind(max_chats)
                    .bind(now_s())
                    .fetch_one(&mut *c)
                    .await
                    {
                        Ok(id) => id,
                        Err(e) if is_unique_violation(&e) => {
                            return Err(DbError::AccountTaken(account))
                        }
                        Err(e) => return Err(e.into()),
                    };
                    for g in groups {
                        let ok: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM agent_groups WHERE id = $1 AND site_id = $2",
                        )
                        .bind(g)
                        .bind(site_id)
                        .fetch_optional(&mut *c)
                        .await?;
                        if ok.is_none() {
                            return Err(DbError::NotFound(format!(
                                "group {g} is not a group of this site"
                            )));
                        }
                        sqlx::query(
                            "INSERT INTO agent_group_members (agent_id, group_id) VALUES ($1, $2)",
                        )
                        .bind(id)
                        .bind(g)
                        .execute(&mut *c)
                        .await?;
                    }
                    Ok(id)
                })
            })
            .await?;
        self.agent_by_id(id)
            .await?
            .ok_or_else(|| DbError::NotFound("agent vanished".into()))
    }

    pub async fn agent_by_id(&self, id: i64) -> DbResult<Option<Agent>> {
        let row = sqlx::query(&format!("SELECT {AGENT_COLS} FROM agents WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(agent_from).transpose()
    }

    pub async fn agent_by_account(&self, account: &str) -> DbResult<Option<Agent>> {
        let row = sqlx::query(&format!(
            "SELECT {AGENT_COLS} FROM agents WHERE account = $1"
        ))
        .bind(account)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(agent_from).transpose()
    }

    pub async fn agents_of_site(&self, site_id: i64) -> DbResult<Vec<Agent>> {
        let rows = sqlx::query(&format!(
            "SELECT {AGENT_COLS} FROM agents WHERE site_id = $1 ORDER BY id"
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(agent_from).collect()
    }

    /// Issues a bearer token for an agent, valid for `ttl_s` seconds.
    pub async fn create_agent_token(&self, agent_id: i64, ttl_s: i64) -> DbResult<String> {
        let token = random_hex(32);
        let now = now_s();
        let hash = token_hash(&token);
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO agent_tokens (token_hash, agent_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(hash)
                .bind(agent_id)
                .bind(now + ttl_s)
                .bind(now)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(token)
    }

    /// The live (unexpired, unrevoked) token, if any.
    pub async fn agent_token(&self, token: &str) -> DbResult<Option<AgentToken>> {
        let row = sqlx::query(
            "SELECT agent_id, expires_at FROM agent_tokens WHERE token_hash = $1 AND revoked = 0 AND expires_at > $2",
        )
        .bind(token_hash(token))
        .bind(now_s())
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Some(AgentToken {
                agent_id: r.try_get("agent_id")?,
                expires_at: r.try_get("expires_at")?,
            }),
            None => None,
        })
    }

    /// Conversations each agent of the site is serving now (agent id → count).
    pub async fn agent_loads(&self, site_id: i64) -> DbResult<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT agent_id, COUNT(*) AS n FROM visitors WHERE site_id = $1 AND agent_id IS NOT NULL GROUP BY agent_id",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("agent_id")?, r.try_get("n")?)))
            .collect()
    }

    // ----- visitors -------------------------------------------------------------------

    pub async fn visitor_by_id(&self, id: i64) -> DbResult<Option<Visitor>> {
        let row = sqlx::query(&format!(
            "SELECT {VISITOR_COLS} FROM visitors WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(visitor_from).transpose()
    }

    /// The visitor of `site_id` holding `token`, if any.
    pub async fn visitor_by_token(&self, site_id: i64, token: &str) -> DbResult<Option<Visitor>> {
        let row = sqlx::query(&format!(
            "SELECT {VISITOR_COLS} FROM visitors WHERE site_id = $1 AND id = (SELECT visitor_id FROM visitor_tokens WHERE token_hash = $2)"
        ))
        .bind(site_id)
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(visitor_from).transpose()
    }

    /// Issues a new token for visitor `id` on the writer's connection.
    async fn new_visitor_token(c: &mut WriteConn, id: i64, now: i64) -> DbResult<String> {
        let token = random_hex(32);
        sqlx::query(
            "INSERT INTO visitor_tokens (token_hash, visitor_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash(&token))
        .bind(id)
        .bind(now)
        .execute(&mut *c)
        .await?;
        Ok(token)
    }

    /// The server's key for pending visitor tokens (`security::pending_token`): created once
    /// per database (so every node agrees), then read from memory.
    pub async fn pending_token_key(&self) -> DbResult<String> {
        let key = self
            .token_key
            .get_or_try_init(|| async {
                let fresh = random_hex(32);
                self.write(move |c| {
                    Box::pin(async move {
                        sqlx::query(
                            "INSERT INTO settings (key, value) VALUES ('visitor_token_key', $1) ON CONFLICT(key) DO NOTHING",
                        )
                        .bind(fresh)
                        .execute(&mut *c)
                        .await?;
                        Ok(sqlx::query_scalar::<_, String>(
                            "SELECT value FROM settings WHERE key = 'visitor_token_key'",
                        )
                        .fetch_one(&mut *c)
                        .await?)
                    })
                })
                .await
            })
            .await?;
        Ok(key.clone())
    }

    /// The anonymous visitor holding `token` on `site_id`: found, or created now with that
    /// token (a pending visitor's first message). One writer job, so two tabs sending their
    /// first message at once get the same visitor.
    pub async fn visitor_for_token(&self, site_id: i64, token: &str) -> DbResult<Visitor> {
        let hash = token_hash(token);
        let now = now_s();
        self.write(move |c| {
            Box::pin(async move {
                let found = sqlx::query(&format!(
                    "SELECT {VISITOR_COLS} FROM visitors WHERE site_id = $1 AND id = (SELECT visitor_id FROM visitor_tokens WHERE token_hash = $2)"
                ))
                .bind(site_id)
                .bind(&hash)
                .fetch_optional(&mut *c)
                .await?;
                if let Some(row) = found {
                    return visitor_from(&row);
                }
                let row = sqlx::query(&format!(
                    "INSERT INTO visitors (site_id, created_at, last_seen_at) VALUES ($1, $2, $3) RETURNING {VISITOR_COLS}"
                ))
                .bind(site_id)
                .bind(now)
                .bind(now)
                .fetch_one(&mut *c)
                .await?;
                let v = visitor_from(&row)?;
                sqlx::query(
                    "INSERT INTO visitor_tokens (token_hash, visitor_id, created_at) VALUES ($1, $2, $3)",
                )
                .bind(&hash)
                .bind(v.id)
                .bind(now)
                .execute(&mut *c)
                .await?;
                Ok(v)
            })
        })
        .await
    }

    /// Creates an anonymous visitor and a token for it.
    pub async fn create_visitor(&self, site_id: i64) -> DbResult<(Visitor, String)> {
        let now = now_s();
        self.write(move |c| {
            Box::pin(async move {
                let row = sqlx::query(&format!(
                    "INSERT INTO visitors (site_id, created_at, last_seen_at) VALUES ($1, $2, $3) RETURNING {VISITOR_COLS}"
                ))
                .bind(site_id)
                .bind(now)
                .bind(now)
                .fetch_one(&mut *c)
                .await?;
                let v = visitor_from(&row)?;
                let token = Self::new_visitor_token(c, v.id, now).await?;
                Ok((v, token))
            })
        })
        .await
    }

    /// The visitor a *verified* `partnerid` names (created on first sight), with a new token.
    pub async fn partner_visitor(
        &self,
        site_id: i64,
        partnerid: &str,
    ) -> DbResult<(Visitor, String)> {
        let now = now_s();
        let partnerid = partnerid.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let row = sqlx::query(&format!(
                    "INSERT INTO visitors (site_id, partnerid, claimed_partnerid, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT(site_id, partnerid) DO UPDATE SET last_seen_at = excluded.last_seen_at RETURNING {VISITOR_COLS}"
                ))
                .bind(site_id)
                .bind(&partnerid)
                .bind(&partnerid)
                .bind(now)
                .bind(now)
                .fetch_one(&mut *c)
                .await?;
                let v = visitor_from(&row)?;
                let token = Self::new_visitor_token(c, v.id, now).await?;
                Ok((v, token))
            })
        })
        .await
    }

    /// At the start of a visitor session: records what the visitor's page said about them
    /// (display only; `None` keeps the stored value), the visit time and, when `group` is
    /// `Some`, the skill group they asked for (kept only if it is an enabled group of their
    /// site; anything else routes them site-wide). `group: None` leaves the stored group as
    /// it is. One write; returns the visitor as it is now.
    pub async fn touch_visitor(
        &self,
        visitor_id: i64,
        uname: Option<&str>,
        claimed_partnerid: Option<&str>,
        source: Option<&str>,
        group: Option<Option<i64>>,
    ) -> DbResult<Option<Visitor>> {
        let uname = uname.map(str::to_owned);
        let claimed = claimed_partnerid.map(str::to_owned);
        let source = source.map(str::to_owned);
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let row = sqlx::query(&format!(
                    "UPDATE visitors SET uname = COALESCE($1, uname), claimed_partnerid = COALESCE($2, claimed_partnerid),
                     source = COALESCE($3, source), last_seen_at = $4,
                     group_id = CASE WHEN $5 = 1
                       THEN (SELECT g.id FROM agent_groups g WHERE g.site_id = visitors.site_id AND g.id = $6 AND g.disabled = 0)
                       ELSE group_id END
                     WHERE id = $7 RETURNING {VISITOR_COLS}"
                ))
                .bind(uname)
                .bind(claimed)
                .bind(source)
                .bind(now_s())
                .bind(i64::from(group.is_some()))
                .bind(group.flatten())
                .bind(visitor_id)
                .fetch_optional(&mut *c)
                .await?;
                row.as_ref().map(visitor_from).transpose()
            })
        })
        .await
    }

    /// Visitors an agent sees in `guest_list` (those it serves and those waiting in the
    /// queue, newest activity first, at most 500), each with its unread count and last
    /// message: two queries for the whole list.
    pub async fn guests_for_agent(&self, site_id: i64, agent_id: i64) -> DbResult<Vec<Guest>> {
        // Served by this agent (also a visitor of a linked site after a `flowType` overflow),
        // or waiting on the agent's own site.
        const WHO: &str =
            "(agent_id = $2 OR (site_id = $1 AND agent_id IS NULL AND waiting_since IS NOT NULL))";
        let rows = sqlx::query(&format!(
            "SELECT {VISITOR_COLS}, (SELECT COUNT(*) FROM messages mm WHERE mm.visitor_id = visitors.id
               AND mm.author = 'visitor' AND mm.seq > visitors.agent_read_seq) AS unread
             FROM visitors WHERE {WHO} ORDER BY last_seen_at DESC LIMIT 500"
        ))
        .bind(site_id)
        .bind(agent_id)
        .fetch_all(&self.pool)
        .await?;
        let last_rows = sqlx::query(
            "SELECT m.id, m.visitor_id, m.seq, m.author, m.agent_id, COALESCE(m.nick, a.nick) AS agent_nick, m.cmid, m.kind, m.body, m.created_at
             FROM visitors v JOIN messages m ON m.visitor_id = v.id
               AND m.seq = (SELECT MAX(seq) FROM messages WHERE visitor_id = v.id)
             LEFT JOIN agents a ON a.id = m.agent_id
             WHERE (v.agent_id = $2 OR (v.site_id = $1 AND v.agent_id IS NULL AND v.waiting_since IS NOT NULL))",
        )
        .bind(site_id)
        .bind(agent_id)
        .fetch_all(&self.pool)
        .await?;
        let mut last: std::collections::HashMap<i64, StoredMessage> = last_rows
            .iter()
            .map(|r| message_from(r).map(|m| (m.visitor_id, m)))
            .collect::<DbResult<_>>()?;
        rows.iter()
            .map(|r| {
                let visitor = visitor_from(r)?;
                Ok(Guest {
                    last: last.remove(&visitor.id),
                    unread: r.try_get("unread")?,
                    visitor,
                })
            })
            .collect()
    }

    /// Routing assigns a waiting visitor to an agent, only while the agent serves fewer than
    /// its `max_chats` visitors: decided in the same write as the assignment, under a lock
    /// that serialises every claim for that agent — on PostgreSQL the agent's row
    /// (`FOR UPDATE`, held until the batch commits, so claims from several processes queue
    /// up), on SQLite the file's write lock — so concurrent assignment, from this process or
    /// another, never exceeds it.
    pub async fn assign_visitor(&self, visitor_id: i64, agent_id: i64) -> DbResult<Claim> {
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        };
        let agent_sql =
            format!("SELECT max_chats FROM agents WHERE id = $1 AND disabled = 0{lock}");
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let Some(max): Option<i64> = sqlx::query_scalar(&agent_sql)
                    .bind(agent_id)
                    .fetch_optional(&mut *c)
                    .await?
                else {
                    return Ok(Claim::Full);
                };
                let load: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM visitors WHERE agent_id = $1")
                        .bind(agent_id)
                        .fetch_one(&mut *c)
                        .await?;
                if load >= max {
                    return Ok(Claim::Full);
                }
                let r = sqlx::query(
                    "UPDATE visitors SET agent_id = $1, waiting_since = NULL WHERE id = $2 AND agent_id IS NULL",
                )
                .bind(agent_id)
                .bind(visitor_id)
                .execute(&mut *c)
                .await?;
                Ok(if r.rows_affected() == 1 {
                    Claim::Claimed
                } else {
                    Claim::Taken
                })
            })
        })
        .await
    }

    /// An agent takes a waiting visitor it chose to answer (seed 001 `32300` to a visitor
    /// in the queue): not bounded by `max_chats`, which limits what routing hands out. False
    /// when someone else got the visitor first.
    pub async fn claim_visitor(&self, visitor_id: i64, agent_id: i64) -> DbResult<bool> {
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let r = sqlx::query(
                    "UPDATE visitors SET agent_id = $1, waiting_since = NULL WHERE id = $2 AND agent_id IS NULL",
                )
                .bind(agent_id)
                .bind(visitor_id)
                .execute(&mut *c)
                .await?;
                Ok(r.rows_affected() == 1)
            })
        })
        .await
    }

    /// Marks a visitor's conversation read by the serving agent up to `seq`.
    pub async fn mark_read(&self, visitor_id: i64, seq: i64) -> DbResult<()> {
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE visitors SET agent_read_seq = CASE WHEN agent_read_seq > $1 THEN agent_read_seq ELSE $1 END WHERE id = $2",
                )
                .bind(seq)
                .bind(visitor_id)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Visitor messages after the agent's read mark.
    pub async fn unread_count(&self, visitor: &Visitor) -> DbResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE visitor_id = $1 AND author = 'visitor' AND seq > $2",
        )
        .bind(visitor.id)
        .bind(visitor.agent_read_seq)
        .fetch_one(&self.pool)
        .await?)
    }

    // ----- messages -------------------------------------------------------------------

    /// Stores a message in the visitor's conversation with the next sequence number, in the
    /// writer's next batch (stored together with the other messages queued at that moment,
    /// see `db/messages.rs`); returns once that batch committed. With a `cmid` already stored,
    /// returns the original instead (`duplicate`).
    async fn insert_message(
        &self,
        visitor_id: i64,
        author: Author,
        agent_id: Option<i64>,
        cmid: Option<&ClientMsgId>,
        kind: MsgKind,
        body: &str,
    ) -> DbResult<Stored> {
        self.writer
            .insert_message(messages::NewMessage {
                visitor_id,
                author,
                agent_id,
                cmid: cmid.cloned(),
                kind,
                body: body.to_owned(),
                agent_nick: None,
                served_by: None,
                queue_cap: None,
            })
            .await
    }

    /// An agent's message (`agent`: id and display name) to a visitor of `site_id` whom this
    /// agent serves now: checked and stored in one step of the writer, with no read before it. `None` (nothing stored)
    /// when the visitor is not of that site or not served by this agent.
    pub async fn insert_agent_message_if_serving(
        &self,
        site_id: i64,
        visitor_id: i64,
        agent: (i64, &str),
        kind: MsgKind,
        body: &str,
    ) -> DbResult<Option<StoredMessage>> {
        let (agent_id, nick) = agent;
        let r = self
            .writer
            .insert_message(messages::NewMessage {
                visitor_id,
                author: Author::Agent,
                agent_id: Some(agent_id),
                cmid: None,
                kind,
                body: body.to_owned(),
                agent_nick: Some(nick.to_owned()),
                served_by: Some((site_id, agent_id)),
                queue_cap: None,
            })
            .await;
        match r {
            Ok(st) => Ok(Some(st.message)),
            Err(DbError::NotServed) | Err(DbError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A visitor's message, idempotent on `cmid`. Returns after the commit is durable.
    pub async fn insert_visitor_message(
        &self,
        visitor_id: i64,
        cmid: &ClientMsgId,
        kind: MsgKind,
        body: &str,
    ) -> DbResult<Stored> {
        self.insert_message(visitor_id, Author::Visitor, None, Some(cmid), kind, body)
            .await
    }

    /// [`Db::insert_visitor_message`] that refuses with [`DbError::QueueFull`] when the
    /// visitor is neither served nor waiting and their site already has `max_queue` waiting
    /// visitors; decided by the writer with the rows it reads anyway (no extra round trip).
    pub async fn insert_visitor_message_bounded(
        &self,
        visitor_id: i64,
        cmid: &ClientMsgId,
        kind: MsgKind,
        body: &str,
        max_queue: i64,
    ) -> DbResult<Stored> {
        self.writer
            .insert_message(messages::NewMessage {
                visitor_id,
                author: Author::Visitor,
                agent_id: None,
                cmid: Some(cmid.clone()),
                kind,
                body: body.to_owned(),
                agent_nick: None,
                served_by: None,
                queue_cap: Some(max_queue),
            })
            .await
    }

    /// An agent's message to a visitor. Returns after the commit is durable.
    pub async fn insert_agent_message(
        &self,
        visitor_id: i64,
        agent_id: i64,
        kind: MsgKind,
        body: &str,
    ) -> DbResult<StoredMessage> {
        Ok(self
            .insert_message(visitor_id, Author::Agent, Some(agent_id), None, kind, body)
            .await?
            .message)
    }

    /// A system line in the visitor's conversation (e.g. a transfer). Returns after commit.
    pub async fn insert_system_message(
        &self,
        visitor_id: i64,
        body: &str,
    ) -> DbResult<StoredMessage> {
        Ok(self
            .insert_message(visitor_id, Author::System, None, None, MsgKind::Text, body)
            .await?
            .message)
    }

    /// Messages of a conversation after `after`, oldest first, at most `limit`.
    pub async fn messages_after(
        &self,
        visitor_id: i64,
        after: Seq,
        limit: i64,
    ) -> DbResult<Vec<StoredMessage>> {
        let rows = sqlx::query(&format!(
            "{MSG_SELECT} WHERE m.visitor_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3"
        ))
        .bind(visitor_id)
        .bind(after.0 as i64)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_from).collect()
    }

    /// Page `page` (1 = newest) of `size` messages, oldest first within the page, and the total.
    pub async fn history_page(
        &self,
        visitor_id: i64,
        page: i64,
        size: i64,
    ) -> DbResult<(Vec<StoredMessage>, i64)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE visitor_id = $1")
            .bind(visitor_id)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(&format!(
            "{MSG_SELECT} WHERE m.visitor_id = $1 ORDER BY m.seq DESC LIMIT $2 OFFSET $3"
        ))
        .bind(visitor_id)
        .bind(size)
        .bind(page.saturating_sub(1).saturating_mul(size))
        .fetch_all(&self.pool)
        .await?;
        let mut list: Vec<StoredMessage> =
            rows.iter().map(message_from).collect::<DbResult<_>>()?;
        list.reverse();
        Ok((list, total))
    }

    pub async fn last_message(&self, visitor_id: i64) -> DbResult<Option<StoredMessage>> {
        let row = sqlx::query(&format!(
            "{MSG_SELECT} WHERE m.visitor_id = $1 ORDER BY m.seq DESC LIMIT 1"
        ))
        .bind(visitor_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(message_from).transpose()
    }
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

//! Storage: the database and every query the server runs. Nothing outside `db/` writes SQL.
//! SQLite (`sqlite://FILE`, the zero-config default) or PostgreSQL (`postgres://…`) through
//! sqlx `Any`: one SQL text per query for both (numbered `$N` parameters, BIGINT/INTEGER
//! columns read as `i64`, 0/1 flags, no `bool`, no `NUMERIC` results); where the dialects
//! differ the SQL is chosen by [`Backend`], inside `db/` only. Opening the database applies
//! its backend's migrations (`server/migrations`, `server/migrations-pg`: same numbers, same
//! schema — `tests/it/schema.rs` compares them). Reads use a pool; every write goes through
//! the one writer of this process (`writer.rs`, group commit): a write method returns after
//! its batch committed durably, so an answer sent after it never names an uncommitted row.
//! Rows are read into the types of `rows.rs` (derived `FromRow`).
//!
//! The storage contract — each file, the tables (or columns) it owns, its `Db` methods:
//!
//! | file | owns | methods |
//! |---|---|---|
//! | `sites.rs` | `sites`, `vip_levels`, `settings` | create_site, count_sites, all_sites, site_by_id, site_by_sysnum, site_by_appid, site_push_url, update_site, site_reception, set_site_reception, site_platform, linked_sites, put_vip_level, vip_levels, setting, set_setting |
//! | `agents.rs` | `agents`, `agent_groups`, `agent_group_members` | create_agent, agent_by_id, agent_by_account, agents_of_site, set_agent_disabled, set_agent_password, set_agent_profile, set_agent_prefs, account_suffix_used_elsewhere, set_agent_external_id, resolve_agent, create_group, groups_of_site, groups_of_agent, enabled_group_ids, set_group_disabled, set_group_routing, resolve_group, external_id_owner, routing_groups, group_memberships, agent_faces_of_visitor |
//! | `tokens.rs` | `agent_tokens`, `visitor_tokens`, `access_tokens` | create_agent_token, refresh_agent_token, agent_token, revoke_agent_tokens, create_access_token, access_token, pending_token_key |
//! | `visitors.rs` | `visitors` (identity, profile, route, read mark) | create_visitor, partner_visitor, visitor_for_token, visitor_by_id, visitor_by_token, touch_visitor, set_visitor_route, mark_read, unread_count, guests_for_agent, site_chats, visitors_with_partnerid |
//! | `assignment.rs` | `visitors.agent_id`, `visitors.waiting_since` | agent_loads, assign_visitor, claim_visitor, transfer_visitor, release_visitor, enqueue, queue, visitors_of_agent |
//! | `reception.rs` | `visitors.answerer`, `.robot_misses`, `.reception` | reception_state, start_reception, set_answerer, robot_missed |
//! | `messages.rs` | `messages` (runs of them stored by `runs.rs`, `native.rs`, `writer.rs`) | insert_visitor_message, insert_visitor_message_bounded, insert_agent_message, insert_agent_message_if_serving, insert_system_message, insert_robot_message, messages_after, history_page, last_message |
//! | `cluster.rs` | `nodes`, `agent_conns`, `agent_seen`, `leases`, `visitor_tabs` | register_node, node_heartbeat, revive_node, remove_node, sweep_dead_nodes, add_agent_conn, remove_agent_conn, set_conn_suspended, live_agent_conns, live_agent_conn, agent_online_anywhere, gone_agents, take_lease, visitor_tab_opened, visitor_tab_closed, site_visitors_online_elsewhere, visitor_online_elsewhere, watched_elsewhere, cluster_id, bus_key |
//! | `presence.rs` | `presence` | renew_presence, presence_of, presence_invite, invite_present, take_presence_invite, present_on_site, sweep_presence |
//! | `push.rs` | `push_deliveries`, `push_attempts` | enqueue_push, lease_pushes, release_push_leases, record_push_attempt, next_push_due, due_pushes, push_deliveries_of_site, push_attempts |
//! | `webpush.rs` | `webpush_subscriptions`, `webpush_deliveries`, the `webpush_vapid_pkcs8` setting | webpush_vapid_key, add_webpush_subscription, delete_webpush_subscription, drop_webpush_subscription, webpush_subscriptions_of, webpush_subscription, webpush_subscribers, enqueue_webpush, lease_webpushes, record_webpush_attempt, next_webpush_due, webpush_deliveries_of |
//! | `robots.rs` | `robots`, `faqs` | create_robot, robots_of_site, robot_for, robot_exact, robot_version, add_faqs, delete_faq, faqs_of_robot, faq_questions, faq_page |
//! | `visits.rs` | `visits`, `visit_pages` | record_visit, expire_pending_visits, visitor_visits |
//! | `leave.rs` | `leave_templates`, `left_messages` | create_leave_template, leave_templates, leave_template, insert_left_message, left_messages, visitor_left_messages, open_left_messages, left_message, answer_left_message, set_left_message_done |
//! | `ratings.rs` | `ratings` | rate_chat, chat_answered, ratings_of_site, visitor_ratings |
//! | `files.rs` | `files` | insert_file, file, site_upload_bytes |
//! | `file_chunks.rs` | `file_chunks` | put_file_chunk, file_chunk, drop_file_chunks |
//! | `health.rs` | — (reads `visitors.waiting_since`, `push_deliveries.state`) | ping, queue_lengths, push_backlog, metrics |
//! | `backup.rs` | — | (functions, not methods) backup, restore: the online backup API, pg_dump/pg_restore |
//! | `customer.rs` | `erasures`, `sites.retain_days` (erases and sweeps `messages`, pushes, `files`, visits) | visitor_by_partnerid, erase_visitor, visitor_erasures, set_site_retention, site_retention, retaining_sites, sweep_retention |
//! | `conversations.rs` | `conversations`, `sites.summary_required`, `sites.summary_categories` | open_conversation, conversation_taken, close_conversation, conversation, conversation_holding, conversations_of, summary_rules, set_summary_rules |
//! | `notes.rs` | `notes` | add_note, notes_of |
//! | `canned.rs` | `canned_replies` | put_canned, canned_for_agent, canned_of, count_canned, delete_canned |
//! | `audit.rs` | `admin_audit` | add_audit, audit_of_site |
//! | `blocks.rs` | `blocks` | add_block, active_blocks, count_active_blocks, delete_block |
//! | `report.rs` | — (reads `conversations`, `messages`) | report_conversations, report_messages |
//! | `search.rs` | `search_terms`, `search_progress` | messages_to_index, index_messages, search_progress, search, search_count |
//! | `rows.rs` | — | the row types |
//! | `writer.rs`, `native.rs` | — | the writer (group commit), SQLite's message path |
//! | `connect.rs` | — | `Backend`, `display_url`, each connection's settings |
//! | `contract.rs` | — | (test) every method above is listed here and in its file |
//! | `error.rs` | — | `DbError`, `DbResult` |
//! | `mod.rs` | — | open, backend, close; `now_ms`, `now_s`, `random_hex`, `token_hash` |

/// The highest `seq` of the conversation of the `visitors` row in scope (0 before its first
/// message): no column keeps it (migration 0013), it is one seek in the `(visitor_id, seq)`
/// index. A macro so that `concat!` can put it into constant SQL texts.
macro_rules! last_seq_sql {
    () => {
        "COALESCE((SELECT MAX(seq) FROM messages WHERE visitor_id = visitors.id), 0)"
    };
}

/// The columns of a message as [`StoredMessage`] reads them, from `messages m` and its agent
/// `agents a` (a macro for `concat!`, like `last_seq_sql!`).
macro_rules! msg_cols {
    () => {
        "m.id, m.visitor_id, m.seq, m.author, m.agent_id, COALESCE(m.nick, a.nick) AS agent_nick, m.cmid, m.kind, m.body, m.created_at"
    };
}

mod agents;
mod assignment;
mod audit;
pub mod backup;
mod blocks;
mod canned;
mod cluster;
mod connect;
#[cfg(test)]
mod contract;
mod conversations;
mod customer;
mod error;
mod file_chunks;
mod files;
mod health;
mod leave;
mod messages;
mod native;
mod notes;
mod presence;
mod push;
mod ratings;
mod reception;
mod report;
mod robots;
mod rows;
mod search;
mod sites;
mod tokens;
pub(crate) use tokens::expired;
mod visitors;
mod visits;
mod webpush;
mod writer;

pub use agents::{NewAgentRow, Profile};
pub use assignment::Claim;
pub use audit::AuditRow;
pub use connect::{display_url, Backend};
pub use conversations::Closing;
pub use customer::{Erasure, Swept};
pub use error::{DbError, DbResult};
pub use file_chunks::CHUNK;
pub use leave::NewLeft;
pub use ratings::RateOutcome;
mod runs;
pub use blocks::NewBlock;
pub use presence::PresenceRenewal;
pub use push::{AttemptResult, PushOf};
pub use reception::ReceptionValues;
pub use report::{ReportConversation, QUARTER_MS};
pub use robots::{NewFaq, MAX_FAQS_PER_SITE, MAX_FAQ_CHARS_PER_SITE};
pub use rows::{
    AccessToken, Agent, AgentConnRow, AgentToken, BlockRow, CannedRow, ConversationRow, FaqRow,
    GoneAgent, Group, GroupRouting, Guest, IndexRow, LeaveTemplateRow, LeftRow, NoteRow,
    PresenceRow, PushAttempt, PushDelivery, RatingRow, ReceptionState, RobotRow, SearchRow, Site,
    SiteReception, Stored, StoredFile, StoredMessage, StoredPage, VipLevel, Visitor,
};
pub(crate) use runs::storable;
pub use search::SearchQuery;
pub use sites::{NewSite, SiteKey, SiteReceptionUpdate};
pub use visits::NewPage;
pub use webpush::{WebpushDelivery, WebpushSubscription};

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connect::{create_private, prepare_conn};
use futures_util::future::BoxFuture;
use native::NativeWriter;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection};
use writer::{WriteConn, Writer};

/// Handle to the database; cheap to clone. Reads use a pool of connections; every write
/// goes through the one [`Writer`] (group commit, see `db/writer.rs`).
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// Which database this is: where the dialects differ, `db/` picks the SQL by it.
    backend: Backend,
    writer: Writer,
    /// Sites' push URLs as last read (see [`Db::site_push_url`]).
    push_urls: Arc<Mutex<sites::PushUrls>>,
    /// The key that signs pending visitor tokens (see [`Db::pending_token_key`]), read once.
    token_key: Arc<tokio::sync::OnceCell<String>>,
    /// This handle's counters: the writer's commits and failures, and everything the
    /// server serving it counts (`crate::metrics`).
    metrics: Arc<crate::metrics::Metrics>,
}

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

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
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
        let metrics = Arc::new(crate::metrics::Metrics::new(match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }));
        let writer = Writer::start(conn, backend, url.to_owned(), native, metrics.clone());
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
            metrics,
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
}

//! SQLite's message path on the driver itself (rusqlite on the same `libsqlite3` that sqlx
//! links), without sqlx.
//!
//! Chat messages are the write the server does most. Through sqlx every statement of a run
//! would be a round trip between the writer task and sqlx's SQLite worker thread, and a
//! multi-row `INSERT` keeps a statement journal of every page it touches (SQLite has no
//! arrays to bind, so PostgreSQL's statements of [`super::runs::insert_many`] do not
//! carry over as they are). Here a run of messages is one call on a blocking thread: its own
//! transaction (`BEGIN IMMEDIATE` … `COMMIT`, `synchronous = FULL`), cached prepared
//! statements, one row per statement (none needs a statement journal). The writer
//! (`db/writer.rs`) hands it runs of consecutive messages and answers their callers after it
//! returns, that is after the commit; other jobs still run through sqlx, each run of them in
//! its own transaction, in arrival order. The rules (a `seq` per new message, a `cmid` stored
//! once, served-by and queue checks) are those of `db/messages.rs`, shared through
//! [`Known::plan`] and [`results`]; only the reads and writes differ.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::connect::SQLITE_PRAGMAS;
use super::rows::{author_of, cmid_of, kind_of, MSG_SELECT};
use super::runs::{
    agents_to_name, cmids_of, new_rows, results, stored_nick, visitors_of, Conv, Known, NewMessage,
    INSERT_MESSAGES, QUEUE_LEN,
};
use super::{now_ms, DbResult, Stored, StoredMessage};

/// A visitor row as deciding their messages needs it.
const CONV: &str = concat!(
    "SELECT ",
    last_seq_sql!(),
    ", agent_id, site_id, waiting_since IS NOT NULL FROM visitors WHERE id = $1"
);
const AGENT_NICK: &str = "SELECT nick FROM agents WHERE id = $1";

/// The writer's second connection to the SQLite file, for runs of messages.
pub(super) struct NativeWriter {
    conn: Connection,
    /// The message stored under `($1 visitor, $2 cmid)`.
    stored_sql: String,
    /// One new message.
    insert_sql: String,
}

impl NativeWriter {
    /// Opens the database file at `path` (migrated already) with the writer's settings.
    pub fn open(path: &Path) -> DbResult<NativeWriter> {
        let conn = Connection::open(path)?;
        for p in SQLITE_PRAGMAS {
            conn.execute_batch(p)?;
        }
        Ok(NativeWriter {
            conn,
            stored_sql: format!("{MSG_SELECT} WHERE m.visitor_id = $1 AND m.cmid = $2"),
            insert_sql: format!("{INSERT_MESSAGES} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
        })
    }

    /// Stores `msgs` in order in one transaction and returns once it has committed durably;
    /// one result per message (see [`super::runs::insert_many`]). An `Err` means nothing
    /// of the run is stored.
    pub fn store(&mut self, msgs: &[NewMessage]) -> DbResult<Vec<DbResult<Stored>>> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let stored = self.insert(msgs).and_then(|r| {
            self.conn.execute_batch("COMMIT")?;
            Ok(r)
        });
        if stored.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        stored
    }

    fn insert(&self, msgs: &[NewMessage]) -> DbResult<Vec<DbResult<Stored>>> {
        let c = &self.conn;
        let mut known = Known::default();
        let mut st = c.prepare_cached(CONV)?;
        for v in visitors_of(msgs) {
            let conv = st
                .query_row([v], |r| {
                    Ok(Conv::new(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            if let Some(conv) = conv {
                known.convs.insert(v, conv);
            }
        }
        let mut st = c.prepare_cached(&self.stored_sql)?;
        for (v, cmid) in cmids_of(msgs) {
            if let Some(m) = st.query_row(params![v, cmid], message_row).optional()? {
                known.stored.insert((v, cmid.to_owned()), m);
            }
        }
        for site in known.sites_to_count(msgs) {
            let n: i64 = c
                .prepare_cached(QUEUE_LEN)?
                .query_row([site], |r| r.get(0))?;
            known.queue_len.insert(site, n);
        }

        let plans = known.plan(msgs);
        let now = now_ms();
        let new = new_rows(&plans);
        let mut ids: HashMap<(i64, i64), i64> = HashMap::with_capacity(new.len());
        let mut st = c.prepare_cached(&self.insert_sql)?;
        for &(i, seq) in &new {
            let m = &msgs[i];
            st.execute(params![
                m.visitor_id,
                seq,
                m.author.as_str(),
                m.agent_id,
                m.cmid.as_ref().map(|c| c.as_str()),
                u8::from(m.kind),
                m.body.as_str(),
                now,
                stored_nick(m),
            ])?;
            ids.insert((m.visitor_id, seq), c.last_insert_rowid());
        }
        let mut nicks: HashMap<i64, String> = HashMap::new();
        let mut st = c.prepare_cached(AGENT_NICK)?;
        for a in agents_to_name(msgs, &new) {
            if let Some(nick) = st.query_row([a], |r| r.get(0)).optional()? {
                nicks.insert(a, nick);
            }
        }
        results(msgs, plans, &ids, &nicks, now)
    }
}

/// A row of `MSG_SELECT` as the message.
fn message_row(r: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        id: r.get(0)?,
        visitor_id: r.get(1)?,
        seq: r.get(2)?,
        author: author_of(&r.get::<_, String>(3)?),
        agent_id: r.get(4)?,
        agent_nick: r.get(5)?,
        cmid: cmid_of(r.get(6)?),
        kind: kind_of(r.get(7)?),
        body: r.get(8)?,
        created_at: r.get(9)?,
    })
}

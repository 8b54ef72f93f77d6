//! Storing a run of chat messages at once (issue 12): the group-commit path.
//!
//! Storing chat messages in bulk: on PostgreSQL the writer (`db/writer.rs`) hands every run
//! of queued messages to [`insert_many`], which stores them with a fixed number of statements
//! however many there are (visitors' serving agent in one read, their highest `seq` and the
//! `cmid`s already stored in one, one `INSERT` of every row that returns the agents' nicks
//! too) instead of several round trips per message; each statement has one text, the
//! lists bound as arrays. SQLite stores runs on its own connection (`db/native.rs`) with the
//! same rules ([`Known::plan`], [`results`]). No visitor row is written: a conversation's
//! highest `seq` is read from the `(visitor_id, seq)` index, whose leaf the insert writes
//! anyway.
//!
//! Per message the rules are those of a single insert: a `cmid` already stored in that
//! conversation (earlier, or earlier in the same run) stores nothing and answers with the
//! original message (`duplicate`); otherwise the message gets the conversation's next `seq`.
//! The caller runs this inside the batch transaction and answers only after the commit.

use std::collections::HashMap;
use std::fmt::Write as _;

use shared::ids::ClientMsgId;
use shared::visitor::{Author, MsgKind};
use sqlx::{FromRow, Row};

use super::writer::WriteConn;
use super::{now_ms, DbError, DbResult, Stored, StoredMessage};

/// The waiting queue's length on site `$1`.
pub(super) const QUEUE_LEN: &str =
    "SELECT COUNT(*) FROM visitors WHERE site_id = $1 AND agent_id IS NULL AND waiting_since IS NOT NULL";
/// The start of a message insert; the rows follow (`VALUES` on SQLite, `SELECT … FROM unnest`
/// on PostgreSQL).
pub(super) const INSERT_MESSAGES: &str =
    "INSERT INTO messages (visitor_id, seq, author, agent_id, cmid, kind, body, created_at, nick)";

/// Most messages per run of statements (a batch of messages alone, at most this many, needs
/// no separate lock statement: see `db/writer.rs`).
pub(super) const CHUNK: usize = 500;

// PostgreSQL's statements for a run of messages. Lists are bound as one array literal each
// (`int_array`, `text_array`: sqlx's `Any` binds no arrays, so the text is cast in the
// statement), so every statement has one text whatever the run's length: prepared once per
// connection and planned once, instead of a new statement (parsed and planned again, and
// planned for the table as it was then) for every length of `IN (…)` or multi-row `VALUES`.

/// The run's visitors (`$1`), locked in id order until the batch commits.
const LOCK_CONVS: &str = "SELECT id, agent_id, site_id, CASE WHEN waiting_since IS NULL THEN 0 ELSE 1 END AS waiting FROM visitors WHERE id = ANY($1::text::bigint[]) ORDER BY id FOR UPDATE";
/// After the lock (see [`insert_many`]), in one statement: the highest `seq` of each
/// visitor `$1`, as a row without a message (`id` NULL, `seq` that highest), then the
/// messages stored under the pairs `($2 visitors, $3 cmids)`, one look-up in the
/// `(visitor_id, cmid)` index per pair. `OFFSET 0` keeps the lateral subquery from being
/// flattened into a join, which PostgreSQL may plan (and keep, as the statement's generic
/// plan) as a hash join over a sequential scan of `messages` while the table is small.
const LAST_SEQS_AND_STORED: &str = concat!(
    "SELECT NULL::bigint AS id, id AS visitor_id, ",
    last_seq_sql!(),
    " AS seq, NULL::text AS author, NULL::bigint AS agent_id, NULL::text AS agent_nick, NULL::text AS cmid, NULL::bigint AS kind, NULL::text AS body, NULL::bigint AS created_at FROM visitors WHERE id = ANY($1::text::bigint[]) UNION ALL SELECT ",
    msg_cols!(),
    " FROM unnest($2::text::bigint[], $3::text::text[]) AS k(v, c) CROSS JOIN LATERAL (SELECT * FROM messages WHERE visitor_id = k.v AND cmid = k.c AND cmid IS NOT NULL OFFSET 0) m LEFT JOIN agents a ON a.id = m.agent_id"
);
/// The new rows, one array per column (`$8` the time, the same for all), after
/// [`INSERT_MESSAGES`]; each comes back with its id and its agent's display name (no
/// statement of its own for the names).
const INSERT_ROWS: &str = " SELECT v, s, a, g, c, k, b, $8, n FROM unnest($1::text::bigint[], $2::text::bigint[], $3::text::text[], $4::text::bigint[], $5::text::text[], $6::text::bigint[], $7::text::text[], $9::text::text[]) AS r(v, s, a, g, c, k, b, n) RETURNING id, visitor_id, seq, agent_id, (SELECT a.nick FROM agents a WHERE a.id = messages.agent_id) AS agent_nick";

/// A PostgreSQL array literal, `{a,b,NULL}`: `put` writes each present element, `None` is
/// `NULL`.
fn array_literal<T>(
    items: impl IntoIterator<Item = Option<T>>,
    mut put: impl FnMut(&mut String, T),
) -> String {
    let mut s = String::from("{");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        match item {
            Some(x) => put(&mut s, x),
            None => s.push_str("NULL"),
        }
    }
    s.push('}');
    s
}

/// A PostgreSQL array literal of integers, `{1,2,NULL}`.
pub(super) fn int_array(items: impl IntoIterator<Item = Option<i64>>) -> String {
    array_literal(items, |s, n| {
        let _ = write!(s, "{n}");
    })
}

/// A PostgreSQL array literal of texts: every element double-quoted with `\` and `"`
/// escaped, so any text (braces, commas, quotes, spaces, `NULL`, the empty string) comes back
/// exactly; `None` is `NULL`.
pub(super) fn text_array<'a>(items: impl IntoIterator<Item = Option<&'a str>>) -> String {
    array_literal(items, |s, t: &str| {
        s.reserve(t.len() + 2);
        s.push('"');
        for ch in t.chars() {
            if ch == '"' || ch == '\\' {
                s.push('\\');
            }
            s.push(ch);
        }
        s.push('"');
    })
}

/// A message to store.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage {
    pub visitor_id: i64,
    pub author: Author,
    pub agent_id: Option<i64>,
    pub cmid: Option<ClientMsgId>,
    pub kind: MsgKind,
    pub body: String,
    /// The agent's display name when the caller knows it (else it is read, once per run).
    pub agent_nick: Option<String>,
    /// `(site, agent)`: store only if the visitor is of that site and that agent serves them
    /// at this moment (else the result is [`DbError::NotServed`]).
    pub served_by: Option<(i64, i64)>,
    /// A visitor's message: store only if the visitor is served or already waiting, or their
    /// site's waiting queue holds fewer than this many visitors (else
    /// [`DbError::QueueFull`]). A retried `cmid` that is stored already is never refused.
    pub queue_cap: Option<i64>,
}

/// Stores `msgs` in order on PostgreSQL (SQLite's runs go through `db/native.rs`); one result
/// per message (a visitor that does not exist fails only its own messages). An `Err` means a
/// statement failed: the caller fails the whole batch.
pub(crate) async fn insert_many(
    c: &mut WriteConn,
    msgs: &[NewMessage],
) -> DbResult<Vec<DbResult<Stored>>> {
    let mut out = Vec::with_capacity(msgs.len());
    for chunk in msgs.chunks(CHUNK) {
        out.extend(insert_chunk(c, chunk).await?);
    }
    Ok(out)
}

/// What happens to one message of a run.
pub(super) enum Plan {
    New {
        seq: i64,
        serving: Option<i64>,
    },
    /// The original is already stored.
    Stored(StoredMessage, Option<i64>),
    /// Same `cmid` as message `i` of this run.
    SameAs(usize),
    Missing,
    NotServed,
    QueueFull,
    /// A text the database must not be given ([`storable`]): refused before any statement,
    /// the same way on both backends.
    Invalid(&'static str),
}

/// Whether `text` can be stored as it is on every backend: PostgreSQL refuses U+0000 in
/// `text` (and one such message used to fail its whole run of other sites' messages), so no
/// backend stores it.
pub(crate) fn storable(text: &str) -> Result<(), &'static str> {
    if text.contains('\0') {
        Err("text may not contain NUL (U+0000) characters")
    } else {
        Ok(())
    }
}

/// A conversation as deciding its messages needs it (its visitor's row and highest `seq`).
pub(super) struct Conv {
    pub last_seq: i64,
    pub serving: Option<i64>,
    pub site: i64,
    /// Served or already waiting: their messages never meet the queue bound.
    pub in_queue_or_served: bool,
}

impl Conv {
    /// From the conversation's highest `seq` and its visitor row's serving agent, site and
    /// whether they wait.
    pub fn new(last_seq: i64, serving: Option<i64>, site: i64, waiting: bool) -> Conv {
        Conv {
            last_seq,
            serving,
            site,
            in_queue_or_served: serving.is_some() || waiting,
        }
    }
}

/// What is read before a run's messages are decided. Both stores ([`insert_many`] here,
/// `db/native.rs` on SQLite) read it and then share [`Known::plan`] and [`results`], so the
/// rules are written once.
#[derive(Default)]
pub(super) struct Known {
    pub convs: HashMap<i64, Conv>,
    /// Messages already stored under a `(visitor, cmid)` of the run.
    pub stored: HashMap<(i64, String), StoredMessage>,
    /// Waiting visitors per site, for the sites of [`Known::sites_to_count`].
    pub queue_len: HashMap<i64, i64>,
}

/// The run's visitors, sorted, once.
pub(super) fn visitors_of(msgs: &[NewMessage]) -> Vec<i64> {
    let mut vids: Vec<i64> = msgs.iter().map(|m| m.visitor_id).collect();
    vids.sort_unstable();
    vids.dedup();
    vids
}

/// The `(visitor, cmid)` pairs of the run.
pub(super) fn cmids_of(msgs: &[NewMessage]) -> Vec<(i64, &str)> {
    msgs.iter()
        .filter_map(|m| m.cmid.as_ref().map(|c| (m.visitor_id, c.as_str())))
        .collect()
}

impl Known {
    /// Sites where a message of the run may make its visitor join the waiting queue: their
    /// queue length must be read (into `queue_len`) before [`Known::plan`].
    pub fn sites_to_count(&self, msgs: &[NewMessage]) -> Vec<i64> {
        let mut sites: Vec<i64> = msgs
            .iter()
            .filter(|m| m.queue_cap.is_some())
            .filter_map(|m| self.convs.get(&m.visitor_id))
            .filter(|c| !c.in_queue_or_served)
            .map(|c| c.site)
            .collect();
        sites.sort_unstable();
        sites.dedup();
        sites
    }

    /// Decides each message in order (a `seq` for each new one). Afterwards each
    /// conversation's `last_seq` is its highest `seq`, new messages included.
    pub fn plan(&mut self, msgs: &[NewMessage]) -> Vec<Plan> {
        let mut in_run: HashMap<(i64, &str), usize> = HashMap::new();
        let mut plans = Vec::with_capacity(msgs.len());
        for (i, m) in msgs.iter().enumerate() {
            if let Err(why) =
                storable(&m.body).and_then(|()| m.agent_nick.as_deref().map_or(Ok(()), storable))
            {
                plans.push(Plan::Invalid(why));
                continue;
            }
            let Some(conv) = self.convs.get_mut(&m.visitor_id) else {
                plans.push(Plan::Missing);
                continue;
            };
            if let Some((want_site, want_agent)) = m.served_by {
                if conv.site != want_site || conv.serving != Some(want_agent) {
                    plans.push(Plan::NotServed);
                    continue;
                }
            }
            if let Some(cmid) = m.cmid.as_ref() {
                if let Some(orig) = self.stored.get(&(m.visitor_id, cmid.as_str().to_owned())) {
                    plans.push(Plan::Stored(orig.clone(), conv.serving));
                    continue;
                }
                if let Some(&first) = in_run.get(&(m.visitor_id, cmid.as_str())) {
                    plans.push(Plan::SameAs(first));
                    continue;
                }
                in_run.insert((m.visitor_id, cmid.as_str()), i);
            }
            if let Some(cap) = m.queue_cap {
                if !conv.in_queue_or_served {
                    let len = self.queue_len.entry(conv.site).or_default();
                    if *len >= cap {
                        if let Some(cmid) = m.cmid.as_ref() {
                            in_run.remove(&(m.visitor_id, cmid.as_str()));
                        }
                        plans.push(Plan::QueueFull);
                        continue;
                    }
                    // This visitor joins the queue (or is served) once the message is
                    // routed: count them now so that one run cannot overfill it.
                    *len += 1;
                    conv.in_queue_or_served = true;
                }
            }
            conv.last_seq += 1;
            plans.push(Plan::New {
                seq: conv.last_seq,
                serving: conv.serving,
            });
        }
        plans
    }
}

/// The messages to insert: `(index in the run, seq)`.
pub(super) fn new_rows(plans: &[Plan]) -> Vec<(usize, i64)> {
    plans
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p {
            Plan::New { seq, .. } => Some((i, *seq)),
            _ => None,
        })
        .collect()
}

/// The agents whose display name the new messages need (an agent's name is read from their
/// row; only a robot's is stored with the message).
pub(super) fn agents_to_name(msgs: &[NewMessage], new: &[(usize, i64)]) -> Vec<i64> {
    let mut ids: Vec<i64> = new
        .iter()
        .filter(|&&(i, _)| msgs[i].agent_nick.is_none())
        .filter_map(|&(i, _)| msgs[i].agent_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The name stored with message `m` (a robot's).
pub(super) fn stored_nick(m: &NewMessage) -> Option<&str> {
    m.agent_nick
        .as_deref()
        .filter(|_| m.author == Author::Robot)
}

/// One result per message of the run, in order, once the new ones are inserted (`ids`: the
/// row id of each by `(visitor, seq)`).
pub(super) fn results(
    msgs: &[NewMessage],
    plans: Vec<Plan>,
    ids: &HashMap<(i64, i64), i64>,
    nicks: &HashMap<i64, String>,
    now: i64,
) -> DbResult<Vec<DbResult<Stored>>> {
    let mut out: Vec<DbResult<Stored>> = Vec::with_capacity(msgs.len());
    for (i, plan) in plans.into_iter().enumerate() {
        let m = &msgs[i];
        let r = match plan {
            Plan::Missing => Err(DbError::NotFound(format!("visitor {}", m.visitor_id))),
            Plan::NotServed => Err(DbError::NotServed),
            Plan::QueueFull => Err(DbError::QueueFull),
            Plan::Invalid(why) => Err(DbError::Invalid(why)),
            Plan::Stored(message, serving) => Ok(Stored {
                message,
                duplicate: true,
                serving,
            }),
            Plan::SameAs(first) => match &out[first] {
                Ok(st) => Ok(Stored {
                    duplicate: true,
                    ..st.clone()
                }),
                Err(_) => Err(DbError::NotCommitted(
                    "the first message with this cmid failed".into(),
                )),
            },
            Plan::New { seq, serving } => {
                let id = ids.get(&(m.visitor_id, seq)).copied().ok_or_else(|| {
                    DbError::Corrupt(format!("message {}#{seq} not returned", m.visitor_id))
                })?;
                Ok(Stored {
                    message: StoredMessage {
                        id,
                        visitor_id: m.visitor_id,
                        seq,
                        author: m.author,
                        agent_id: m.agent_id,
                        agent_nick: m
                            .agent_nick
                            .clone()
                            .or_else(|| m.agent_id.and_then(|a| nicks.get(&a).cloned())),
                        cmid: m.cmid.clone(),
                        kind: m.kind,
                        body: m.body.clone(),
                        created_at: now,
                    },
                    duplicate: false,
                    serving,
                })
            }
        };
        out.push(r);
    }
    Ok(out)
}

async fn insert_chunk(c: &mut WriteConn, msgs: &[NewMessage]) -> DbResult<Vec<DbResult<Stored>>> {
    // Visitors: who serves them, then their latest seq. The rows are locked (in id order)
    // until the batch commits, so another process's writer storing into the same
    // conversation waits here; the highest `seq` and the stored `cmid`s are read by the next
    // statement, whose snapshot (READ COMMITTED) includes what that writer committed: `seq`
    // stays contiguous and a `cmid` is stored once across processes.
    let vids = int_array(visitors_of(msgs).into_iter().map(Some));
    let mut known = Known::default();
    let rows = sqlx::query_as::<_, (i64, Option<i64>, i64, i64)>(LOCK_CONVS)
        .bind(&vids)
        .fetch_all(&mut *c)
        .await?;
    for (id, serving, site, waiting) in rows {
        known
            .convs
            .insert(id, Conv::new(0, serving, site, waiting != 0));
    }
    // Their highest `seq`s and the run's `cmid`s that are already stored.
    if !known.convs.is_empty() {
        let with_cmid = cmids_of(msgs);
        let rows = sqlx::query(LAST_SEQS_AND_STORED)
            .bind(&vids)
            .bind(int_array(with_cmid.iter().map(|&(v, _)| Some(v))))
            .bind(text_array(with_cmid.iter().map(|&(_, cmid)| Some(cmid))))
            .fetch_all(&mut *c)
            .await?;
        for row in rows {
            if row.try_get::<Option<i64>, _>("id")?.is_none() {
                let visitor: i64 = row.try_get("visitor_id")?;
                if let Some(conv) = known.convs.get_mut(&visitor) {
                    conv.last_seq = row.try_get("seq")?;
                }
                continue;
            }
            let m = StoredMessage::from_row(&row)?;
            if let Some(cmid) = m.cmid.as_ref() {
                known
                    .stored
                    .insert((m.visitor_id, cmid.as_str().to_owned()), m);
            }
        }
    }
    for site in known.sites_to_count(msgs) {
        let n: i64 = sqlx::query_scalar(QUEUE_LEN)
            .bind(site)
            .fetch_one(&mut *c)
            .await?;
        known.queue_len.insert(site, n);
    }

    let plans = known.plan(msgs);

    // One INSERT for every new message; ids come back keyed by (visitor, seq).
    let now = now_ms();
    let new = new_rows(&plans);
    let mut ids: HashMap<(i64, i64), i64> = HashMap::new();
    let mut nicks: HashMap<i64, String> = HashMap::new();
    if !new.is_empty() {
        let rows = new.iter().map(|&(i, seq)| (&msgs[i], seq));
        let sql = format!("{INSERT_MESSAGES}{INSERT_ROWS}");
        let inserted = sqlx::query(&sql)
            .bind(int_array(rows.clone().map(|(m, _)| Some(m.visitor_id))))
            .bind(int_array(rows.clone().map(|(_, seq)| Some(seq))))
            .bind(text_array(
                rows.clone().map(|(m, _)| Some(m.author.as_str())),
            ))
            .bind(int_array(rows.clone().map(|(m, _)| m.agent_id)))
            .bind(text_array(
                rows.clone()
                    .map(|(m, _)| m.cmid.as_ref().map(|c| c.as_str())),
            ))
            .bind(int_array(
                rows.clone().map(|(m, _)| Some(i64::from(u8::from(m.kind)))),
            ))
            .bind(text_array(rows.clone().map(|(m, _)| Some(m.body.as_str()))))
            .bind(now)
            .bind(text_array(rows.map(|(m, _)| stored_nick(m))))
            .fetch_all(&mut *c)
            .await?;
        for row in inserted {
            ids.insert(
                (row.try_get("visitor_id")?, row.try_get("seq")?),
                row.try_get("id")?,
            );
            let agent: Option<i64> = row.try_get("agent_id")?;
            let nick: Option<String> = row.try_get("agent_nick")?;
            if let (Some(agent), Some(nick)) = (agent, nick) {
                nicks.insert(agent, nick);
            }
        }
    }
    results(msgs, plans, &ids, &nicks, now)
}

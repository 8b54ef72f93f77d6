//! The one writer path of a database, with group commit.
//!
//! Every write of the server goes through [`Writer::write`]: the caller hands over a job (a
//! closure that runs its statements on the writer's connection) and waits. One task (on
//! SQLite a thread, see below) owns the only writing connection. It takes every job that is
//! queued at that moment (at most [`MAX_BATCH`]), runs them one after another inside a
//! single transaction — each inside its own savepoint, so a job that fails is rolled back
//! alone and the others go on — commits once, and only then answers every caller of the
//! batch. While one batch commits (the fsync
//! of `synchronous = FULL`), the next one queues up, so the commit cost is shared by every
//! message that arrived meanwhile instead of being paid per message, and no two connections of
//! this process ever wait on SQLite's write lock.
//!
//! Invariants:
//! - A job's result reaches its caller only after the transaction that holds its writes has
//!   committed durably; if the commit fails, every job of the batch gets the error (nothing
//!   of the batch is stored, so a client retry with the same `cmid` is safe).
//! - Jobs run strictly one at a time in arrival order on one connection, so a job sees the
//!   writes of every job before it (committed or in the same batch) and read-modify-write
//!   inside a job (next `seq`, `cmid` check) needs no further locking.
//! - A job that is cancelled by its caller (the client went away) still runs and commits; a
//!   job never outlives the batch it is in.
//! - No driver type leaves `db/`: jobs are written inside `db/` against [`WriteConn`].
//!
//! On SQLite the writer is a thread (`sqlite-writer`) with a second, native connection for
//! chat messages (`db/native.rs`): a batch is cut into runs of consecutive messages and runs
//! of other jobs, in arrival order, and each run is a transaction of its own on its
//! connection, its callers answered after its commit. One connection writes at a time, so
//! the invariants above hold per run.
//!
//! On PostgreSQL the same holds per process: one task with one connection runs batches as
//! one transaction (`BEGIN` … `COMMIT` with `synchronous_commit = on`) with a savepoint per
//! job. Several processes then each have a writer; what must stay true across them (`seq`
//! contiguous, `cmid` once, `max_chats`) is enforced by row locks taken inside the jobs, which
//! PostgreSQL holds until the batch commits. So that two processes' batches never deadlock
//! on visitor rows, a batch on PostgreSQL first locks every visitor row its jobs write
//! ([`lock_visitors`]: messages' visitors and what `write_visitor` jobs name) in id order in
//! one statement. A job that still hits a deadlock fails alone (its savepoint; a run of
//! messages has one too on PostgreSQL).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use sqlx::{AnyConnection, Connection};
use tokio::sync::{mpsc, oneshot};

use super::native::NativeWriter;
use super::runs::{insert_many, int_array, NewMessage, CHUNK};
use super::{Backend, DbError, DbResult, Stored};
use crate::metrics::Metrics;

/// The connection a write job runs its statements on.
pub(super) type WriteConn = AnyConnection;

/// Most jobs in one transaction.
pub const MAX_BATCH: usize = 1024;
/// Jobs waiting for the writer before senders wait for room.
const QUEUE: usize = 8192;

/// Called once the batch of a job has ended: `None` when it committed, else why not.
type Done = Box<dyn FnOnce(Option<&DbError>) + Send>;
/// A general job: runs on the writer's connection; `true` when its savepoint may be kept.
type Closure = Box<dyn for<'c> FnOnce(&'c mut WriteConn) -> BoxFuture<'c, (bool, Done)> + Send>;

/// What the writer is asked to do.
enum Job {
    /// Any write, run alone inside its own savepoint; with the visitor whose row it writes,
    /// if it names one (PostgreSQL locks that row at the start of the batch, see
    /// [`lock_visitors`]).
    Closure(Closure, Option<i64>),
    /// A chat message. Consecutive message jobs are stored together: on PostgreSQL by
    /// [`super::runs::insert_many`] (a handful of statements for the whole run of
    /// messages instead of several per message), on SQLite by [`NativeWriter::store`].
    Message(NewMessage, oneshot::Sender<DbResult<Stored>>),
}

/// Handle to the writer task; cheap to clone.
#[derive(Clone, Debug)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task on `conn` (the only connection of the process that writes).
    /// `url` is where to connect again if the connection is lost (a PostgreSQL restart).
    /// `native`: SQLite's connection for messages (`db/native.rs`); without it (PostgreSQL)
    /// messages are stored through `conn` like every other job.
    pub(super) fn start(
        conn: WriteConn,
        backend: Backend,
        url: String,
        native: Option<NativeWriter>,
        metrics: Arc<Metrics>,
    ) -> Writer {
        let (tx, rx) = mpsc::channel(QUEUE);
        match native {
            Some(native) => {
                let rt = tokio::runtime::Handle::current();
                let spawned = std::thread::Builder::new()
                    .name("sqlite-writer".into())
                    .spawn(move || run_sqlite(conn, url, native, rx, rt, metrics));
                if let Err(e) = spawned {
                    // Without its thread every write answers "the writer has stopped".
                    tracing::error!(error = %e, "starting the database writer failed");
                }
            }
            None => {
                tokio::spawn(run(conn, backend, url, rx, metrics));
            }
        }
        Writer { tx }
    }

    /// Runs `job` in the next batch and returns its result once that batch has committed.
    pub(super) async fn write<T, F>(&self, job: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut WriteConn) -> BoxFuture<'c, DbResult<T>> + Send + 'static,
    {
        self.write_visitor(None, job).await
    }

    /// [`Writer::write`] for a job that writes the row of `visitor` (and takes no other row
    /// lock before it): on PostgreSQL that row is locked with the batch's others, in order,
    /// before any job runs.
    pub(super) async fn write_visitor<T, F>(&self, visitor: Option<i64>, job: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut WriteConn) -> BoxFuture<'c, DbResult<T>> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<DbResult<T>>();
        let job: Closure = Box::new(move |conn| {
            Box::pin(async move {
                let result = job(conn).await;
                let ok = result.is_ok();
                let done: Done = Box::new(move |failed: Option<&DbError>| {
                    let _ = answer.send(match failed {
                        None => result,
                        Some(e) => Err(DbError::NotCommitted(format!("batch failed: {e}"))),
                    });
                });
                (ok, done)
            })
        });
        self.submit(Job::Closure(job, visitor), answered).await
    }

    /// Stores a chat message in the next batch; returns once that batch has committed.
    pub(super) async fn insert_message(&self, m: NewMessage) -> DbResult<Stored> {
        let (answer, answered) = oneshot::channel();
        self.submit(Job::Message(m, answer), answered).await
    }

    async fn submit<T>(&self, job: Job, answered: oneshot::Receiver<DbResult<T>>) -> DbResult<T> {
        self.tx
            .send(job)
            .await
            .map_err(|_| DbError::NotCommitted("the database writer has stopped".into()))?;
        answered
            .await
            .map_err(|_| DbError::NotCommitted("its batch failed or the writer stopped".into()))?
    }
}

/// PostgreSQL's writer: a task that runs every batch as one transaction on `conn`.
async fn run(
    mut conn: WriteConn,
    backend: Backend,
    url: String,
    mut rx: mpsc::Receiver<Job>,
    metrics: Arc<Metrics>,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit(&mut conn, backend, &url, &mut batch, &metrics).await;
    }
    let _ = conn.close().await;
}

/// SQLite's writer: a thread of its own that owns both connections. Each run of
/// consecutive messages of a batch is stored on the native connection, each run of other
/// jobs through sqlx (driven from this thread by `rt`); one transaction each, in arrival
/// order. Under load the thread finds the next batch queued when it ends one, so a batch
/// costs no wake-up of a task or of a blocking-pool thread.
fn run_sqlite(
    mut conn: WriteConn,
    url: String,
    mut native: NativeWriter,
    mut rx: mpsc::Receiver<Job>,
    rt: tokio::runtime::Handle,
    metrics: Arc<Metrics>,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut part: Vec<Job> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut jobs = batch.drain(..).peekable();
        while jobs.peek().is_some() {
            let mut messages = Vec::new();
            while let Some(Job::Message(m, answer)) =
                jobs.next_if(|j| matches!(j, Job::Message(..)))
            {
                messages.push((m, answer));
            }
            if !messages.is_empty() {
                store_native(&mut native, messages, &metrics);
            }
            part.extend(std::iter::from_fn(|| {
                jobs.next_if(|j| matches!(j, Job::Closure(..)))
            }));
            if !part.is_empty() {
                rt.block_on(commit(
                    &mut conn,
                    Backend::Sqlite,
                    &url,
                    &mut part,
                    &metrics,
                ));
            }
        }
    }
    let _ = rt.block_on(conn.close());
}

/// Runs `batch` as one transaction on the sqlx connection and answers every job of it.
async fn commit(
    conn: &mut WriteConn,
    backend: Backend,
    url: &str,
    batch: &mut Vec<Job>,
    metrics: &Metrics,
) {
    let mut done: Vec<Done> = Vec::with_capacity(batch.len());
    let (jobs, started) = (batch.len(), Instant::now());
    let failed = match run_batch(conn, backend, batch, &mut done).await {
        Ok(()) => {
            metrics.committed(jobs, started.elapsed());
            None
        }
        Err(e) => {
            tracing::error!(error = %e, jobs = done.len() + batch.len(), "write batch failed");
            metrics.write_failed(&e.to_string());
            // Leave no transaction open for the next batch; a connection that is gone (the
            // database server restarted) is replaced before the next one.
            if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err()
                && conn.ping().await.is_err()
            {
                *conn = reconnect(backend, url).await;
            }
            Some(e)
        }
    };
    // Jobs never started (the batch failed before them): dropping one drops its answer
    // channel, so its caller gets "not committed" too.
    batch.clear();
    for d in done {
        d(failed.as_ref());
    }
}

/// Stores a run of messages on SQLite's native connection and answers each caller once
/// its transaction has committed.
fn store_native(
    native: &mut NativeWriter,
    messages: Vec<(NewMessage, oneshot::Sender<DbResult<Stored>>)>,
    metrics: &Metrics,
) {
    let (new, answers): (Vec<NewMessage>, Vec<_>) = messages.into_iter().unzip();
    let started = Instant::now();
    let results = match native.store(&new) {
        Ok(r) => {
            metrics.committed(new.len(), started.elapsed());
            r
        }
        Err(e) => {
            // Nothing of the run was stored: each message again in a transaction of its own,
            // so one that fails fails alone (as on PostgreSQL, `store_messages`).
            tracing::warn!(error = %e, messages = new.len(), "a run of messages failed; storing them one by one");
            metrics.write_failed(&e.to_string());
            new.iter()
                .map(|m| match native.store(std::slice::from_ref(m)) {
                    Ok(mut r) => {
                        metrics.committed(1, started.elapsed());
                        r.pop().unwrap_or_else(|| {
                            Err(DbError::Corrupt("a stored message gave no result".into()))
                        })
                    }
                    // Counted, but readiness follows the run: one refused message is no outage.
                    Err(e) => {
                        metrics.write_refused();
                        Err(DbError::NotCommitted(e.to_string()))
                    }
                })
                .collect()
        }
    };
    for (result, answer) in results.into_iter().zip(answers) {
        let _ = answer.send(result);
    }
}

async fn run_batch(
    conn: &mut WriteConn,
    backend: Backend,
    batch: &mut Vec<Job>,
    done: &mut Vec<Done>,
) -> DbResult<()> {
    begin(conn, backend).await?;
    // PostgreSQL, a batch of messages only that one statement stores: the run's own
    // `SELECT … ORDER BY id FOR UPDATE` (`db/messages.rs`) locks its visitors in id order in
    // one statement, as `lock_visitors` would, and should the run fail, the batch is those
    // messages; so neither the separate lock statement nor the run's savepoint is needed
    // (5 round trips instead of 10).
    let messages_only = batch.len() <= CHUNK && batch.iter().all(|j| matches!(j, Job::Message(..)));
    let guarded = backend == Backend::Postgres && !messages_only;
    if guarded {
        let ids = visitors_of(batch);
        lock_visitors(conn, ids).await?;
    }
    let mut messages: Vec<(NewMessage, oneshot::Sender<DbResult<Stored>>)> = Vec::new();
    for job in batch.drain(..) {
        match job {
            Job::Message(m, answer) => messages.push((m, answer)),
            Job::Closure(job, _) => {
                // Keep arrival order: the messages queued before this job go first.
                store_messages(conn, guarded, &mut messages, done).await?;
                sqlx::query("SAVEPOINT job").execute(&mut *conn).await?;
                let (ok, d) = job(conn).await;
                done.push(d);
                if !ok {
                    sqlx::query("ROLLBACK TO job").execute(&mut *conn).await?;
                }
                sqlx::query("RELEASE job").execute(&mut *conn).await?;
            }
        }
    }
    store_messages(conn, guarded, &mut messages, done).await?;
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(())
}

/// PostgreSQL: locks the rows of every visitor the batch's messages and visitor jobs write,
/// in one statement in id order, before any job runs. A batch then never waits for a
/// visitor row while holding another, so two processes' batches cannot deadlock on visitor
/// rows (the one that comes second waits for the first to commit; the locks taken later —
/// an agent row in `assign_visitor` — come after every visitor lock of both). Without it,
/// batches that lock rows job by job in arrival order deadlock under cross-node traffic, and
/// PostgreSQL breaks each deadlock only after `deadlock_timeout` (1 s) by failing a job.
async fn lock_visitors(conn: &mut WriteConn, ids: Vec<i64>) -> DbResult<()> {
    sqlx::query(
        "SELECT id FROM visitors WHERE id = ANY($1::text::bigint[]) ORDER BY id FOR UPDATE",
    )
    .bind(int_array(ids.into_iter().map(Some)))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The visitors whose rows the jobs of `batch` write (as far as they say), sorted, once.
fn visitors_of(batch: &[Job]) -> Vec<i64> {
    let mut ids: Vec<i64> = batch
        .iter()
        .filter_map(|j| match j {
            Job::Message(m, _) => Some(m.visitor_id),
            Job::Closure(_, v) => *v,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A new writing connection, retried (with a pause, up to 2 s) until the database answers;
/// jobs queue up meanwhile.
async fn reconnect(backend: Backend, url: &str) -> WriteConn {
    let mut pause = Duration::from_millis(50);
    loop {
        match AnyConnection::connect(url).await {
            Ok(mut c) => match super::prepare_conn(&mut c, backend).await {
                Ok(()) => {
                    tracing::warn!("database writer reconnected");
                    return c;
                }
                Err(e) => tracing::error!(error = %e, "preparing the writer connection failed"),
            },
            Err(e) => tracing::error!(error = %e, "database writer reconnecting"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// Stores a run of queued messages together; each caller is answered after the commit.
/// With `own_savepoint` (PostgreSQL, a batch with other jobs) the run has a savepoint of its
/// own; without it (PostgreSQL, a batch of these messages only) the run is the whole
/// transaction. Either way, when the run fails — a deadlock with another process's batch,
/// which PostgreSQL breaks by failing one statement, or a message the database refuses —
/// it is rolled back and its messages are stored again one by one, each in a savepoint of
/// its own ([`store_alone`]), so a failing message fails only itself (`NotCommitted`, the
/// client retries by `cmid`) and every other message of the run, of any site, is stored.
async fn store_messages(
    conn: &mut WriteConn,
    own_savepoint: bool,
    messages: &mut Vec<(NewMessage, oneshot::Sender<DbResult<Stored>>)>,
    done: &mut Vec<Done>,
) -> DbResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let (new, answers): (Vec<NewMessage>, Vec<_>) = messages.drain(..).unzip();
    if own_savepoint {
        sqlx::query("SAVEPOINT msgs").execute(&mut *conn).await?;
    }
    let results = match insert_many(conn, &new).await {
        Ok(r) => {
            if own_savepoint {
                sqlx::query("RELEASE msgs").execute(&mut *conn).await?;
            }
            r
        }
        Err(e) => {
            tracing::warn!(error = %e, messages = new.len(), "a run of messages failed; storing them one by one");
            if own_savepoint {
                sqlx::query("ROLLBACK TO msgs").execute(&mut *conn).await?;
                sqlx::query("RELEASE msgs").execute(&mut *conn).await?;
            } else {
                // The run was the batch's only work: start its transaction again.
                sqlx::query("ROLLBACK").execute(&mut *conn).await?;
                begin(conn, Backend::Postgres).await?;
            }
            store_alone(conn, &new).await?
        }
    };
    for (result, answer) in results.into_iter().zip(answers) {
        done.push(Box::new(move |failed: Option<&DbError>| {
            let _ = answer.send(match failed {
                None => result,
                Some(e) => Err(DbError::NotCommitted(format!("batch failed: {e}"))),
            });
        }));
    }
    Ok(())
}

/// Stores each message in a savepoint of its own (after its run failed): one result per
/// message, a failure only for the messages whose own statements fail.
async fn store_alone(conn: &mut WriteConn, msgs: &[NewMessage]) -> DbResult<Vec<DbResult<Stored>>> {
    let mut out = Vec::with_capacity(msgs.len());
    for m in msgs {
        sqlx::query("SAVEPOINT one").execute(&mut *conn).await?;
        match insert_many(conn, std::slice::from_ref(m)).await {
            Ok(mut r) => out.push(r.pop().unwrap_or_else(|| {
                Err(DbError::Corrupt("a stored message gave no result".into()))
            })),
            Err(e) => {
                tracing::warn!(error = %e, visitor = m.visitor_id, "a message was refused");
                sqlx::query("ROLLBACK TO one").execute(&mut *conn).await?;
                out.push(Err(DbError::NotCommitted(e.to_string())));
            }
        }
        sqlx::query("RELEASE one").execute(&mut *conn).await?;
    }
    Ok(out)
}

/// Starts the batch's transaction. SQLite: `BEGIN IMMEDIATE` takes the file's write lock now
/// (another process — `frontdesk admin`, a second server — may hold it for a moment; the
/// connection's busy timeout waits for it, and we retry a few times beyond that before
/// failing the batch). PostgreSQL: a plain `BEGIN` (READ COMMITTED); the jobs take row locks
/// where they read-modify-write (see `db/messages.rs`, `Db::claim_visitor`).
async fn begin(conn: &mut WriteConn, backend: Backend) -> DbResult<()> {
    let sql = match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    let mut tries = 0;
    loop {
        match sqlx::query(sql).execute(&mut *conn).await {
            Ok(_) => return Ok(()),
            Err(e) if tries < 3 => {
                tries += 1;
                tracing::warn!(error = %e, "write lock busy; retrying");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

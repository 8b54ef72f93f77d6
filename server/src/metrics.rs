//! What this process counts for Prometheus (`GET /metrics`, served by `crate::ops`): one
//! [`Metrics`] per database handle (`Db::metrics`), shared by everything that serves it.
//!
//! On the message path a count is one atomic add on a counter whose labels were fixed when
//! the process started (`prometheus-client`'s `Counter` is an `Arc<AtomicU64>`): no lock, no
//! allocation, no label look-up per message. Histograms take a short lock per observation
//! and are observed per write batch, per robot answer, never per delivered message. What the
//! database or another part already knows (queue lengths, the push backlog, rate-limit
//! refusals, this node's id) is read when scraped, in `crate::ops`.
//!
//! Imports nothing of this crate: every module may count.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Label set of a family: `(name, value)` pairs fixed at start.
type Labels = Vec<(&'static str, &'static str)>;

/// Counters and histograms of one serving process.
pub struct Metrics {
    registry: Registry,
    /// Open visitor WebSockets.
    pub visitor_conns: Gauge,
    /// Open agent WebSockets.
    pub agent_conns: Gauge,
    stored: [Counter; 4],
    /// Chat messages written to a visitor tab's socket (live, replayed or caught up).
    pub delivered_to_visitors: Counter,
    /// Frames queued to agent sockets from the hub (`32399`, `32401`, …).
    pub delivered_to_agents: Counter,
    commit: Histogram,
    batch: Histogram,
    write_failures: Counter,
    /// Whether the last write transaction failed (`/readyz`), and with what error.
    writes_failing: AtomicBool,
    last_write_error: std::sync::Mutex<String>,
    routed: [Counter; 3],
    push: [Counter; 4],
    robot: Histogram,
    /// Bytes of uploads stored.
    pub upload_bytes: Counter,
    /// Notes this node handed to the bus / dropped because the bus queue was full / received
    /// from other nodes / bus reconnects after which every tab resynced.
    pub bus_sent: Counter,
    pub bus_dropped: Counter,
    pub bus_received: Counter,
    pub bus_resyncs: Counter,
    /// Tabs that read missing messages from the database (a gap, a lag, a resync).
    pub catch_ups: Counter,
    /// Visitor messages deleted by the retention sweep, and conversations erased on request.
    pub retention_deleted: Counter,
    pub erased: Counter,
}

/// Who wrote a stored message (the `author` label).
#[derive(Debug, Clone, Copy)]
pub enum Author {
    Visitor = 0,
    Agent = 1,
    Robot = 2,
    System = 3,
}

/// What routing did with a visitor message (the `outcome` label).
#[derive(Debug, Clone, Copy)]
pub enum Routing {
    /// An agent serves the visitor now (this message assigned them).
    Assigned = 0,
    /// The visitor waits in the queue.
    Queued = 1,
    /// Already served when routing looked (an agent answered meanwhile).
    Served = 2,
}

impl Default for Metrics {
    /// Metrics of no database (a hub in a unit test).
    fn default() -> Self {
        Metrics::new("none")
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// `family` with one member per label value of `key`, in order; the members share their
/// atomics with the family, so counting on one is counting in the exposition.
fn members<const N: usize>(
    family: &Family<Labels, Counter>,
    key: &'static str,
    values: [&'static str; N],
) -> [Counter; N] {
    values.map(|v| family.get_or_create_owned(&vec![(key, v)]))
}

impl Metrics {
    /// The metrics of a process whose database is `backend` (`sqlite`, `postgres`: the
    /// `backend` label of the commit histogram).
    pub fn new(backend: &'static str) -> Metrics {
        let mut r = Registry::with_prefix("frontdesk");
        let visitor_conns = Gauge::default();
        r.register(
            "visitor_connections",
            "Open visitor WebSockets",
            visitor_conns.clone(),
        );
        let agent_conns = Gauge::default();
        r.register(
            "agent_connections",
            "Open agent WebSockets",
            agent_conns.clone(),
        );
        let stored_f = Family::<Labels, Counter>::default();
        let stored = members(&stored_f, "author", ["visitor", "agent", "robot", "system"]);
        r.register(
            "messages_stored",
            "Chat messages committed (a repeated cmid is not counted)",
            stored_f,
        );
        let delivered_f = Family::<Labels, Counter>::default();
        let [delivered_to_visitors, delivered_to_agents] =
            members(&delivered_f, "to", ["visitor", "agent"]);
        r.register(
            "messages_delivered",
            "Messages written to visitor tabs, frames queued to agent sockets",
            delivered_f,
        );
        let commit_f = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(|| {
            // 0.25 ms … ~4 s.
            Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
        });
        let commit = commit_f.get_or_create_owned(&vec![("backend", backend)]);
        r.register(
            "db_commit_seconds",
            "Time of one write transaction, BEGIN to COMMIT (group commit: one per batch or run)",
            commit_f,
        );
        let batch = Histogram::new(exponential_buckets(1.0, 2.0, 11));
        r.register(
            "db_batch_jobs",
            "Jobs (messages and other writes) per write transaction",
            batch.clone(),
        );
        let write_failures = Counter::default();
        r.register(
            "db_write_failures",
            "Write transactions that did not commit (every job of it was answered with an error)",
            write_failures.clone(),
        );
        let routed_f = Family::<Labels, Counter>::default();
        let routed = members(&routed_f, "outcome", ["assigned", "queued", "served"]);
        r.register(
            "routing_decisions",
            "What routing did with a visitor message nobody served",
            routed_f,
        );
        let push_f = Family::<Labels, Counter>::default();
        let push = members(
            &push_f,
            "outcome",
            ["delivered", "retry", "failed", "refused"],
        );
        r.register(
            "push_attempts",
            "Custom push (webhook) attempts by outcome",
            push_f,
        );
        // 0.5 ms … ~1 s.
        let robot = Histogram::new(exponential_buckets(0.000_5, 2.0, 12));
        r.register(
            "robot_answer_seconds",
            "Time the FAQ robot took to find an answer",
            robot.clone(),
        );
        let upload_bytes = Counter::default();
        r.register(
            "upload_bytes",
            "Bytes of uploaded files stored",
            upload_bytes.clone(),
        );
        let retention_deleted = Counter::default();
        r.register(
            "retention_deleted_messages",
            "Messages deleted by the retention sweep (--retain-days)",
            retention_deleted.clone(),
        );
        let erased = Counter::default();
        r.register(
            "visitors_erased",
            "Visitors whose messages and uploads were erased on request",
            erased.clone(),
        );
        Metrics {
            registry: r,
            visitor_conns,
            agent_conns,
            stored,
            delivered_to_visitors,
            delivered_to_agents,
            commit,
            batch,
            write_failures,
            writes_failing: AtomicBool::new(false),
            last_write_error: Default::default(),
            routed,
            push,
            robot,
            upload_bytes,
            bus_sent: Counter::default(),
            bus_dropped: Counter::default(),
            bus_received: Counter::default(),
            bus_resyncs: Counter::default(),
            catch_ups: Counter::default(),
            retention_deleted,
            erased,
        }
    }

    /// The counters and histograms registered at start, for the exposition.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// A message committed.
    pub fn stored(&self, who: Author) {
        self.stored[who as usize].inc();
    }

    /// A write transaction of `jobs` jobs committed in `took`.
    pub fn committed(&self, jobs: usize, took: Duration) {
        self.commit.observe(took.as_secs_f64());
        self.batch.observe(jobs as f64);
        self.writes_failing.store(false, Ordering::Relaxed);
    }

    /// A write transaction failed (nothing of it was stored).
    pub fn write_failed(&self, error: &str) {
        self.write_failures.inc();
        if let Ok(mut e) = self.last_write_error.lock() {
            error.clone_into(&mut e);
        }
        self.writes_failing.store(true, Ordering::Relaxed);
    }

    /// A message the database refused alone (its run was stored without it).
    pub fn write_refused(&self) {
        self.write_failures.inc();
    }

    /// Whether the last write transaction failed, and with what error (`/readyz`).
    pub fn writes_failing(&self) -> Option<String> {
        self.writes_failing.load(Ordering::Relaxed).then(|| {
            self.last_write_error
                .lock()
                .map(|e| e.clone())
                .unwrap_or_default()
        })
    }

    pub fn routed(&self, outcome: Routing) {
        self.routed[outcome as usize].inc();
    }

    /// A push attempt ended with `outcome` (`delivered`, `retry`, `failed`, `refused`).
    pub fn push_attempt(&self, outcome: &str) {
        let i = match outcome {
            "delivered" => 0,
            "retry" => 1,
            "failed" => 2,
            _ => 3,
        };
        self.push[i].inc();
    }

    pub fn robot_answered(&self, took: Duration) {
        self.robot.observe(took.as_secs_f64());
    }

    /// Counts an open connection until the guard is dropped.
    pub fn open(&self, agent: bool) -> Open {
        let g = if agent {
            &self.agent_conns
        } else {
            &self.visitor_conns
        };
        g.inc();
        Open(g.clone())
    }
}

/// An open connection (see [`Metrics::open`]).
pub struct Open(Gauge);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.dec();
    }
}

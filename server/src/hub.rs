//! In-memory delivery between live connections of this process: one broadcast channel per
//! visitor conversation (every open tab of that visitor listens) and a registry of agent
//! connections by `ix`. The hub holds no data that is not also in the database: a message is
//! published only after it was committed, and a client that misses a publish (lag, reconnect)
//! catches up from the database by sequence number.
//!
//! The maps sit behind `std::sync::Mutex`: every critical section is a few map operations
//! with no `.await` inside, so a blocking mutex is cheaper than tokio's and cannot deadlock
//! across an await point.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc};

use crate::db::StoredMessage;

/// Messages queued for one agent connection before it counts as too slow and is dropped.
pub const AGENT_QUEUE: usize = 1024;
/// Events buffered per visitor conversation; a lagging tab resyncs from the database. Each
/// slot is allocated when the conversation's first tab subscribes (~48 bytes a slot), so this
/// is kept small: 256 slots cost ~12 KB per connected visitor. A tab's session drains its
/// channel as fast as the events come (one conversation sees a few a second).
const VISITOR_CHANNEL: usize = 8;

/// A text frame ready to send to an agent connection.
pub type AgentFrame = Arc<str>;

/// What a visitor's open tabs are told.
#[derive(Debug, Clone)]
pub enum VisitorEvent {
    /// A committed message of the conversation.
    Message(Arc<StoredMessage>),
    /// The visitor's place in the waiting queue (0: an agent serves them now).
    Queue(u32),
    /// The serving agent started (`true`) or stopped (`false`) typing.
    Typing(bool),
}

#[derive(Debug, Clone)]
pub struct AgentConn {
    pub ix: u64,
    pub agent_id: i64,
    pub site_id: i64,
    pub suspended: bool,
    tx: mpsc::Sender<AgentFrame>,
}

#[derive(Default)]
pub struct Hub {
    visitors: Mutex<HashMap<i64, broadcast::Sender<VisitorEvent>>>,
    /// Tabs of pending visitors (no row yet), by their token's hash: told the visitor's id
    /// when one of the tabs' first message creates the row.
    pending: Mutex<HashMap<String, broadcast::Sender<i64>>>,
    agents: Mutex<HashMap<u64, AgentConn>>,
    next_ix: AtomicU64,
}

/// A subscription to one visitor conversation; unsubscribes on drop.
pub struct VisitorSub {
    hub: Arc<Hub>,
    visitor_id: i64,
    pub rx: broadcast::Receiver<VisitorEvent>,
}

impl Drop for VisitorSub {
    fn drop(&mut self) {
        let mut map = self.hub.visitors.lock().expect("hub lock");
        if let Some(tx) = map.get(&self.visitor_id) {
            // Our receiver is still alive while we hold the lock, hence `<= 1`.
            if tx.receiver_count() <= 1 {
                map.remove(&self.visitor_id);
            }
        }
    }
}

/// A pending visitor's tab waiting to learn that its conversation was created; leaves the
/// hub on drop.
pub struct PendingSub {
    hub: Arc<Hub>,
    key: String,
    pub rx: broadcast::Receiver<i64>,
}

impl PendingSub {
    /// Tells the visitor's other pending tabs that their row exists now.
    pub fn announce(&self, visitor_id: i64) {
        self.hub.announce_visitor(&self.key, visitor_id);
    }
}

impl Drop for PendingSub {
    fn drop(&mut self) {
        let mut map = self.hub.pending.lock().expect("hub lock");
        if let Some(tx) = map.get(&self.key) {
            if tx.receiver_count() <= 1 {
                map.remove(&self.key);
            }
        }
    }
}

impl Hub {
    pub fn new() -> Arc<Hub> {
        Arc::new(Hub {
            next_ix: AtomicU64::new(1),
            ..Hub::default()
        })
    }

    /// Subscribes to a visitor conversation. Subscribe *before* reading the backlog from
    /// the database so nothing committed in between is missed.
    pub fn subscribe_visitor(self: &Arc<Self>, visitor_id: i64) -> VisitorSub {
        let mut map = self.visitors.lock().expect("hub lock");
        let rx = map
            .entry(visitor_id)
            .or_insert_with(|| broadcast::channel(VISITOR_CHANNEL).0)
            .subscribe();
        VisitorSub {
            hub: self.clone(),
            visitor_id,
            rx,
        }
    }

    /// Waits, as a tab of the pending visitor whose token hashes to `key`, for their row.
    pub fn subscribe_pending(self: &Arc<Self>, key: String) -> PendingSub {
        let mut map = self.pending.lock().expect("hub lock");
        let rx = map
            .entry(key.clone())
            .or_insert_with(|| broadcast::channel(1).0)
            .subscribe();
        PendingSub {
            hub: self.clone(),
            key,
            rx,
        }
    }

    /// Tells the other tabs of a pending visitor (token hash `key`) that their row exists.
    fn announce_visitor(&self, key: &str, visitor_id: i64) {
        if let Some(tx) = self.pending.lock().expect("hub lock").get(key) {
            let _ = tx.send(visitor_id);
        }
    }

    /// Delivers a committed message to every open tab of the visitor.
    pub fn publish_visitor(&self, visitor_id: i64, msg: Arc<StoredMessage>) {
        self.publish(visitor_id, VisitorEvent::Message(msg));
    }

    /// Tells every open tab of the visitor their place in the queue.
    pub fn publish_queue(&self, visitor_id: i64, position: u32) {
        self.publish(visitor_id, VisitorEvent::Queue(position));
    }

    /// Tells every open tab of the visitor whether their agent is typing.
    pub fn publish_typing(&self, visitor_id: i64, typing: bool) {
        self.publish(visitor_id, VisitorEvent::Typing(typing));
    }

    fn publish(&self, visitor_id: i64, event: VisitorEvent) {
        if let Some(tx) = self.visitors.lock().expect("hub lock").get(&visitor_id) {
            let _ = tx.send(event);
        }
    }

    /// Whether any connection of `agent_id` is open on this node.
    pub fn agent_online(&self, agent_id: i64) -> bool {
        self.agents
            .lock()
            .expect("hub lock")
            .values()
            .any(|c| c.agent_id == agent_id)
    }

    /// Whether the visitor has the chat open anywhere (on this node).
    pub fn visitor_online(&self, visitor_id: i64) -> bool {
        self.visitors
            .lock()
            .expect("hub lock")
            .get(&visitor_id)
            .is_some_and(|tx| tx.receiver_count() > 0)
    }

    /// Registers an agent connection and returns its `ix` and the queue it reads.
    pub fn register_agent(&self, agent_id: i64, site_id: i64) -> (u64, mpsc::Receiver<AgentFrame>) {
        let ix = self.next_ix.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(AGENT_QUEUE);
        self.agents.lock().expect("hub lock").insert(
            ix,
            AgentConn {
                ix,
                agent_id,
                site_id,
                suspended: false,
                tx,
            },
        );
        (ix, rx)
    }

    pub fn unregister_agent(&self, ix: u64) {
        self.agents.lock().expect("hub lock").remove(&ix);
    }

    /// Live agent connections of a site, ordered by `ix`.
    pub fn agent_conns(&self, site_id: i64) -> Vec<AgentConn> {
        let mut v: Vec<AgentConn> = self
            .agents
            .lock()
            .expect("hub lock")
            .values()
            .filter(|c| c.site_id == site_id)
            .cloned()
            .collect();
        v.sort_by_key(|c| c.ix);
        v
    }

    /// The live connection with this `ix`, if any.
    pub fn agent_conn(&self, ix: u64) -> Option<AgentConn> {
        self.agents.lock().expect("hub lock").get(&ix).cloned()
    }

    pub fn set_suspended(&self, ix: u64, suspended: bool) {
        if let Some(c) = self.agents.lock().expect("hub lock").get_mut(&ix) {
            c.suspended = suspended;
        }
    }

    /// Queues a frame to every connection of `agent_id`; returns how many got it. A
    /// connection whose queue is full is too slow: its queue is closed, which ends it (the
    /// agent reconnects and reloads the chat list).
    pub fn send_to_agent(&self, agent_id: i64, frame: &AgentFrame) -> usize {
        self.send_where(|c| c.agent_id == agent_id, frame)
    }

    /// Queues a frame to every agent connection of a site.
    pub fn send_to_site(&self, site_id: i64, frame: &AgentFrame) -> usize {
        self.send_where(|c| c.site_id == site_id, frame)
    }

    fn send_where(&self, pred: impl Fn(&AgentConn) -> bool, frame: &AgentFrame) -> usize {
        let mut map = self.agents.lock().expect("hub lock");
        let mut sent = 0;
        let mut slow = Vec::new();
        for c in map.values().filter(|c| pred(c)) {
            match c.tx.try_send(frame.clone()) {
                Ok(()) => sent += 1,
                Err(mpsc::error::TrySendError::Full(_)) => slow.push(c.ix),
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        for ix in slow {
            tracing::warn!(ix, "agent connection too slow; dropping it");
            map.remove(&ix);
        }
        sent
    }
}

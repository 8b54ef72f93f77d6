//! In-memory delivery between live connections of this process: one broadcast channel per
//! visitor conversation (every open tab of that visitor listens) and a registry of agent
//! connections by `ix`. The hub holds no data that is not also in the database: a message is
//! published only after it was committed, and a client that misses a publish (lag, reconnect)
//! catches up from the database by sequence number.
//!
//! With several nodes (`--redis-url`), everything published here is also handed to the bus
//! ([`crate::bus`]) and what other nodes publish arrives through [`Hub::deliver`]; without
//! it, the hub is the whole bus. Which agent connections exist on *any* node is in the
//! database (`db/cluster.rs`); the hub only holds this node's sockets, and which presence
//! long polls this node holds (to wake them when an invitation for their row was stored).
//!
//! The maps sit behind `std::sync::Mutex`: every critical section is a few map operations
//! with no `.await` inside, so a blocking mutex is cheaper than tokio's and cannot deadlock
//! across an await point.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::{broadcast, mpsc, Notify};

use shared::visitor::ChatMessage;

use crate::bus::Note;
use crate::db::StoredMessage;
pub use crate::wire::AgentFrame;

/// Messages queued for one agent connection before it counts as too slow and is dropped.
pub const AGENT_QUEUE: usize = 1024;
/// Events buffered per visitor conversation; a lagging tab resyncs from the database. Each
/// slot is allocated when the conversation's first tab subscribes (~48 bytes a slot), so this
/// is kept small: 256 slots cost ~12 KB per connected visitor. A tab's session drains its
/// channel as fast as the events come (one conversation sees a few a second).
const VISITOR_CHANNEL: usize = 8;

/// What a visitor's open tabs are told.
#[derive(Debug, Clone)]
pub enum VisitorEvent {
    /// A committed message of the conversation.
    Message(Arc<StoredMessage>),
    /// The visitor's place in the waiting queue (0: an agent serves them now).
    Queue(u32),
    /// The serving agent started (`true`) or stopped (`false`) typing.
    Typing(bool),
    /// Another node committed this message (`seq`) of the conversation, attached as the
    /// visitor sees it when the note carried it: send it if it is the next one, else read
    /// from the database.
    Committed(u64, Option<Arc<ChatMessage>>),
    /// Notes may have been lost (the bus reconnected): read whatever is missing.
    Resync,
    /// The visitor's reception changed (robot or human, suggestions, hand-over control,
    /// offline text): sent to every tab as it is.
    Reception(Arc<shared::reception::ReceptionFrame>),
}

#[derive(Debug, Clone)]
pub struct AgentConn {
    pub ix: u64,
    pub agent_id: i64,
    pub site_id: i64,
    /// A supervisor's or admin's connection: hears every message of its site (`32841`).
    pub watches: bool,
    tx: mpsc::Sender<AgentFrame>,
}

#[derive(Default)]
pub struct Hub {
    visitors: Mutex<HashMap<i64, broadcast::Sender<VisitorEvent>>>,
    /// Tabs of pending visitors (no row yet), by their token's hash: told the visitor's id
    /// when one of the tabs' first message creates the row.
    pending: Mutex<HashMap<String, broadcast::Sender<i64>>>,
    agents: Mutex<HashMap<u64, AgentConn>>,
    /// Presence long polls held on this node, by presence row id: how many, and what wakes
    /// them when an invitation for that row was stored.
    presence: Mutex<HashMap<i64, (usize, Arc<Notify>)>>,
    /// The bus to the other nodes, when there are any (`--redis-url`).
    remote: OnceLock<mpsc::Sender<Note>>,
    /// Counts notes sent, dropped and received, and resyncs.
    metrics: Arc<crate::metrics::Metrics>,
    /// Whether some node has a watching connection of a site, as last read from the
    /// database, and when (only asked with other nodes; see [`Hub::watched_elsewhere`]).
    watched_elsewhere: Mutex<HashMap<i64, (bool, std::time::Instant)>>,
}

/// How long [`Hub::watched_elsewhere`]'s answer from the database is kept.
pub const WATCHERS_TTL: std::time::Duration = std::time::Duration::from_secs(5);

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

/// A presence poll held on this node for one presence row; leaves the hub on drop.
pub struct PresenceWatch {
    hub: Arc<Hub>,
    id: i64,
    /// Notified (every waiter) when an invitation for the row may be in the database.
    pub wake: Arc<Notify>,
}

impl Drop for PresenceWatch {
    fn drop(&mut self) {
        let mut map = self.hub.presence.lock().expect("hub lock");
        if let Some(e) = map.get_mut(&self.id) {
            e.0 -= 1;
            if e.0 == 0 {
                map.remove(&self.id);
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
        Arc::new(Hub::default())
    }

    /// A hub that counts its bus traffic in `metrics`.
    pub fn with_metrics(metrics: Arc<crate::metrics::Metrics>) -> Arc<Hub> {
        Arc::new(Hub {
            metrics,
            ..Hub::default()
        })
    }

    /// From now on, everything published here also goes to the other nodes.
    pub fn set_remote(&self, tx: mpsc::Sender<Note>) {
        let _ = self.remote.set(tx);
    }

    /// Hands a note to the other nodes (a no-op on a single node).
    fn tell_others(&self, note: impl FnOnce() -> Note) {
        if let Some(tx) = self.remote.get() {
            if tx.try_send(note()).is_err() {
                self.metrics.bus_dropped.inc();
                tracing::warn!("bus queue full; a note was dropped (sessions resync)");
            } else {
                self.metrics.bus_sent.inc();
            }
        }
    }
}

impl crate::bus::Listener for Hub {
    /// What another node published, for this node's connections.
    fn deliver(&self, note: Note) {
        self.metrics.bus_received.inc();
        match note {
            Note::Committed { v, seq, m } => self.publish_local(
                v,
                VisitorEvent::Committed(seq.max(0) as u64, m.map(Arc::new)),
            ),
            Note::Queue { v, p } => self.publish_local(v, VisitorEvent::Queue(p)),
            Note::Typing { v, on } => self.publish_local(v, VisitorEvent::Typing(on)),
            Note::Reception { v, r } => self.publish_local(v, VisitorEvent::Reception(Arc::new(r))),
            Note::Created { key, v } => self.announce_local(&key, v),
            Note::ToAgent { a, f } => {
                self.send_where(|c| c.agent_id == a, &AgentFrame::from(f));
            }
            Note::ToSite { s, f } => {
                self.send_where(|c| c.site_id == s, &AgentFrame::from(f));
            }
            Note::ToWatchers { s, f } => {
                self.send_where(|c| c.watches && c.site_id == s, &AgentFrame::from(f));
            }
            Note::Invited { p } => self.wake_presence(p),
        }
    }

    /// Tells every conversation open on this node to read what it lacks from the database.
    fn resync(&self) {
        self.metrics.bus_resyncs.inc();
        for tx in self.visitors.lock().expect("hub lock").values() {
            let _ = tx.send(VisitorEvent::Resync);
        }
        // Presence polls look for an invitation they may have missed.
        for (_, wake) in self.presence.lock().expect("hub lock").values() {
            wake.notify_waiters();
        }
    }
}

impl Hub {
    /// Registers a presence poll for row `id` held on this node.
    pub fn watch_presence(self: &Arc<Self>, id: i64) -> PresenceWatch {
        let mut map = self.presence.lock().expect("hub lock");
        let e = map
            .entry(id)
            .or_insert_with(|| (0, Arc::new(Notify::new())));
        e.0 += 1;
        PresenceWatch {
            hub: self.clone(),
            id,
            wake: e.1.clone(),
        }
    }

    /// An invitation for presence row `id` is stored: wakes the polls for it here and on
    /// every other node.
    pub fn invited(&self, id: i64) {
        self.wake_presence(id);
        self.tell_others(|| Note::Invited { p: id });
    }

    fn wake_presence(&self, id: i64) {
        if let Some((_, wake)) = self.presence.lock().expect("hub lock").get(&id) {
            wake.notify_waiters();
        }
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
        self.announce_local(key, visitor_id);
        self.tell_others(|| Note::Created {
            key: key.to_owned(),
            v: visitor_id,
        });
    }

    fn announce_local(&self, key: &str, visitor_id: i64) {
        if let Some(tx) = self.pending.lock().expect("hub lock").get(key) {
            let _ = tx.send(visitor_id);
        }
    }

    /// Delivers a committed message to every open tab of the visitor.
    pub fn publish_visitor(&self, visitor_id: i64, msg: Arc<StoredMessage>) {
        self.tell_others(|| Note::Committed {
            v: visitor_id,
            seq: msg.seq,
            m: Some(crate::wire::chat_message(&msg)),
        });
        self.publish_local(visitor_id, VisitorEvent::Message(msg));
    }

    /// Tells every open tab of the visitor their place in the queue.
    pub fn publish_queue(&self, visitor_id: i64, position: u32) {
        self.publish_local(visitor_id, VisitorEvent::Queue(position));
        self.tell_others(|| Note::Queue {
            v: visitor_id,
            p: position,
        });
    }

    /// Tells every open tab of the visitor whether their agent is typing.
    pub fn publish_typing(&self, visitor_id: i64, typing: bool) {
        self.publish_local(visitor_id, VisitorEvent::Typing(typing));
        self.tell_others(|| Note::Typing {
            v: visitor_id,
            on: typing,
        });
    }

    /// Tells every open tab of the visitor (on every node) their reception frame.
    pub fn publish_reception(&self, visitor_id: i64, frame: shared::reception::ReceptionFrame) {
        let frame = Arc::new(frame);
        self.publish_local(visitor_id, VisitorEvent::Reception(frame.clone()));
        self.tell_others(|| Note::Reception {
            v: visitor_id,
            r: shared::reception::ReceptionFrame::clone(&frame),
        });
    }

    fn publish_local(&self, visitor_id: i64, event: VisitorEvent) {
        if let Some(tx) = self.visitors.lock().expect("hub lock").get(&visitor_id) {
            let _ = tx.send(event);
        }
    }

    /// Whether the visitor has the chat open on this node.
    pub fn visitor_online(&self, visitor_id: i64) -> bool {
        self.visitors
            .lock()
            .expect("hub lock")
            .get(&visitor_id)
            .is_some_and(|tx| tx.receiver_count() > 0)
    }

    /// Registers this node's agent connection `ix` (from the database, unique across
    /// nodes) and returns the queue it reads.
    pub fn register_agent(
        &self,
        ix: u64,
        agent_id: i64,
        site_id: i64,
        watches: bool,
    ) -> mpsc::Receiver<AgentFrame> {
        let (tx, rx) = mpsc::channel(AGENT_QUEUE);
        self.agents.lock().expect("hub lock").insert(
            ix,
            AgentConn {
                ix,
                agent_id,
                site_id,
                watches,
                tx,
            },
        );
        rx
    }

    /// Connection `ix`'s agent got another role: it hears the site's every message or not.
    pub fn set_watching(&self, ix: u64, watches: bool) {
        if let Some(c) = self.agents.lock().expect("hub lock").get_mut(&ix) {
            c.watches = watches;
        }
    }

    /// Whether a connection of this node watches site `site_id`.
    pub fn watched_here(&self, site_id: i64) -> bool {
        self.agents
            .lock()
            .expect("hub lock")
            .values()
            .any(|c| c.watches && c.site_id == site_id)
    }

    /// With other nodes: whether one of them has a watching connection of `site_id`, as the
    /// database said less than [`WATCHERS_TTL`] ago (`None`: ask it, then
    /// [`Hub::remember_watched`]). Without other nodes: `Some(false)`.
    pub fn watched_elsewhere(&self, site_id: i64) -> Option<bool> {
        if self.remote.get().is_none() {
            return Some(false);
        }
        self.watched_elsewhere
            .lock()
            .expect("hub lock")
            .get(&site_id)
            .filter(|(_, at)| at.elapsed() < WATCHERS_TTL)
            .map(|(w, _)| *w)
    }

    pub fn remember_watched(&self, site_id: i64, watched: bool) {
        self.watched_elsewhere
            .lock()
            .expect("hub lock")
            .insert(site_id, (watched, std::time::Instant::now()));
    }

    /// Queues a frame to every watching connection (supervisors, admins) of a site, on any
    /// node.
    pub fn send_to_watchers(&self, site_id: i64, frame: &AgentFrame, elsewhere: bool) -> usize {
        if elsewhere {
            self.tell_others(|| Note::ToWatchers {
                s: site_id,
                f: frame.to_string(),
            });
        }
        self.send_where(|c| c.watches && c.site_id == site_id, frame)
    }

    /// Ends every agent connection of this node (their queues close; the agents reconnect).
    pub fn disconnect_agents(&self) {
        self.agents.lock().expect("hub lock").clear();
    }

    pub fn unregister_agent(&self, ix: u64) {
        self.agents.lock().expect("hub lock").remove(&ix);
    }

    /// Queues a frame to every connection of `agent_id`; returns how many got it. A
    /// connection whose queue is full is too slow: its queue is closed, which ends it (the
    /// agent reconnects and reloads the chat list).
    /// Connections on other nodes get it through the bus.
    pub fn send_to_agent(&self, agent_id: i64, frame: &AgentFrame) -> usize {
        self.tell_others(|| Note::ToAgent {
            a: agent_id,
            f: frame.to_string(),
        });
        self.send_where(|c| c.agent_id == agent_id, frame)
    }

    /// Queues a frame to every agent connection of a site.
    pub fn send_to_site(&self, site_id: i64, frame: &AgentFrame) -> usize {
        self.tell_others(|| Note::ToSite {
            s: site_id,
            f: frame.to_string(),
        });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Listener;

    #[tokio::test]
    async fn an_invitation_wakes_every_poll_of_its_row_and_watches_leave_on_drop() {
        let hub = Hub::new();
        let (a, b, other) = (
            hub.watch_presence(1),
            hub.watch_presence(1),
            hub.watch_presence(2),
        );
        let (na, nb, no) = (a.wake.clone(), b.wake.clone(), other.wake.clone());
        let (wa, wb, wo) = (na.notified(), nb.notified(), no.notified());
        tokio::pin!(wa, wb, wo);
        wa.as_mut().enable();
        wb.as_mut().enable();
        wo.as_mut().enable();
        // From another node, as the bus hands it over.
        hub.deliver(Note::Invited { p: 1 });
        let quick = std::time::Duration::from_millis(50);
        assert!(tokio::time::timeout(quick, wa).await.is_ok());
        assert!(tokio::time::timeout(quick, wb).await.is_ok());
        assert!(
            tokio::time::timeout(quick, wo).await.is_err(),
            "another row's poll sleeps on"
        );
        drop((a, other));
        assert_eq!(hub.presence.lock().unwrap().len(), 1, "row 1 still polled");
        drop(b);
        assert!(hub.presence.lock().unwrap().is_empty());
    }
}

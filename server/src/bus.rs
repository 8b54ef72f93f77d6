//! The bus between nodes: what one `frontdesk serve` process tells the others so their live
//! connections hear about it. Without `--redis-url` there is no other node and the bus is the
//! hub itself (in-process, nothing is serialised). With it, every [`Note`] the hub publishes
//! locally is also published on one Redis pub/sub channel per database
//! (`frontdesk:<cluster_id>`, see `Db::cluster_id`); each node holds one publishing and one
//! subscribing connection, and hands what other nodes published to its own hub.
//!
//! The bus carries notifications, not data: the database stays the source of truth. A visitor
//! message crosses as "seq N of conversation V is committed", with the message as the visitor
//! sees it attached so that a tab on the other node that is exactly one behind sends it without
//! a read; any other tab reads from the database (its catch-up path), so the attachment is a
//! shortcut, never the only copy. Redis pub/sub is at most once: a note lost in a
//! disconnect is made good by the sequence numbers (the next note shows a gap, and a tab
//! reads everything after what it has) and, after the subscriber reconnects, by telling every
//! local tab to resync. An agent's invitation crosses as "presence row P has one"; the node
//! holding that visitor's presence poll takes it from the database, and a lost note is made
//! good by the poll's own read when it ends (and by the next poll). Agent pushes (`32399`, `32401`, `32402`, `32799`) cross as the frame
//! the origin node built from committed rows; seed 001 has no replay, so an agent connection
//! that misses one sees it in its next chat list (`33000`), as after any reconnect.
//!
//! Publishing never waits: notes go to a bounded queue that one task drains, sending each run
//! of queued notes as one `PUBLISH`. A full queue or a Redis outage drops notes (logged);
//! nothing the database holds is lost.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use shared::visitor::ChatMessage;

/// Notes waiting to be published before new ones are dropped.
const QUEUE: usize = 65_536;
/// Most notes in one `PUBLISH`.
const BATCH: usize = 512;

/// One notification between nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum Note {
    /// Message `seq` of visitor `v`'s conversation is committed; `m` is that message as the
    /// visitor sees it (absent: read it from the database).
    #[serde(rename = "m")]
    Committed {
        v: i64,
        seq: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        m: Option<ChatMessage>,
    },
    /// Visitor `v`'s place in the queue (0: served now).
    #[serde(rename = "q")]
    Queue { v: i64, p: u32 },
    /// Visitor `v`'s agent started or stopped typing.
    #[serde(rename = "y")]
    Typing { v: i64, on: bool },
    /// Visitor `v`'s reception frame (`shared::reception::ReceptionFrame`).
    #[serde(rename = "r")]
    Reception {
        v: i64,
        r: shared::reception::ReceptionFrame,
    },
    /// The pending visitor whose token hashes to `key` now has row `v`.
    #[serde(rename = "n")]
    Created { key: String, v: i64 },
    /// A seed 001 frame for every connection of agent `a`.
    #[serde(rename = "a")]
    ToAgent { a: i64, f: String },
    /// A seed 001 frame for every agent connection of site `s`.
    #[serde(rename = "s")]
    ToSite { s: i64, f: String },
    /// A seed 001 frame for the watching connections (supervisors, admins) of site `s`.
    #[serde(rename = "w")]
    ToWatchers { s: i64, f: String },
    /// An invitation waits in presence row `p`: the node holding that visitor's poll reads
    /// it from the database.
    #[serde(rename = "i")]
    Invited { p: i64 },
}

/// Who hears what other nodes publish (this node's hub): the bus calls up through this and
/// imports nothing above it.
pub trait Listener: Send + Sync + 'static {
    /// A note another node published.
    fn deliver(&self, note: Note);
    /// Notes may have been lost (the subscription was re-made): read what is missing.
    fn resync(&self);
}

/// What crosses Redis: the sending node, when it was sent (unix ms) and a run of notes;
/// sealed ([`Seal`]) so that only nodes of this database make packets that others accept.
#[derive(Debug, Serialize, Deserialize)]
struct Packet {
    node: i64,
    #[serde(default)]
    at: i64,
    notes: Vec<Note>,
}

/// Packets older (or further in the future) than this are dropped: a packet captured on
/// Redis cannot be replayed later.
const PACKET_AGE_MS: i64 = 60_000;

/// Signs and checks packets with the database's bus key (`Db::bus_key`): a packet is
/// `<HMAC-SHA256(key, json) in hex>.<json>`. Whoever can reach Redis but not the database
/// can neither forge a note (an agent message shown to visitors, a logout) nor, after
/// [`PACKET_AGE_MS`], replay one.
#[derive(Clone)]
pub struct Seal {
    key: Arc<[u8]>,
}

impl Seal {
    pub fn new(key: &str) -> Seal {
        Seal {
            key: key.as_bytes().into(),
        }
    }

    fn mac(&self, json: &[u8]) -> String {
        use hmac::Mac;
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("any key size");
        m.update(json);
        hex::encode(m.finalize().into_bytes())
    }

    fn seal(&self, json: String) -> String {
        format!("{}.{json}", self.mac(json.as_bytes()))
    }

    /// The JSON of a packet whose seal holds; `None` for anything else.
    fn open<'a>(&self, payload: &'a [u8]) -> Option<&'a [u8]> {
        let dot = payload.iter().position(|&b| b == b'.')?;
        let (mac, json) = (&payload[..dot], &payload[dot + 1..]);
        let want = self.mac(json);
        bool::from(subtle::ConstantTimeEq::ct_eq(want.as_bytes(), mac)).then_some(json)
    }
}

/// Connects this node to the Redis bus at `url` on `channel`: checks that Redis answers, then
/// starts the subscriber (handing what others publish to `listener`) and the publisher, and
/// returns the queue to publish through. Both stop when `shutdown` flips.
pub async fn connect(
    url: &str,
    channel: String,
    node_id: i64,
    seal: Seal,
    listener: Arc<dyn Listener>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<mpsc::Sender<Note>> {
    let client = redis::Client::open(url)?;
    let conn = tokio::time::timeout(
        Duration::from_secs(10),
        client.get_multiplexed_async_connection(),
    )
    .await
    .map_err(|_| anyhow::anyhow!("redis at {url} did not answer in 10 s"))??;
    let (tx, rx) = mpsc::channel(QUEUE);
    // Subscribe before publishing anything, so this node hears every note sent after start.
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(subscriber(
        client.clone(),
        channel.clone(),
        node_id,
        seal.clone(),
        listener,
        shutdown.clone(),
        ready_tx,
    ));
    let _ = tokio::time::timeout(Duration::from_secs(10), ready_rx).await;
    tokio::spawn(publisher(
        client, conn, channel, node_id, seal, rx, shutdown,
    ));
    tracing::info!(node = node_id, "bus: connected to redis");
    Ok(tx)
}

async fn publisher(
    client: redis::Client,
    conn: redis::aio::MultiplexedConnection,
    channel: String,
    node: i64,
    seal: Seal,
    mut rx: mpsc::Receiver<Note>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conn = Some(conn);
    let mut notes = Vec::with_capacity(BATCH);
    loop {
        notes.clear();
        tokio::select! {
            n = rx.recv_many(&mut notes, BATCH) => if n == 0 { return },
            _ = shutdown.changed() => return,
        }
        let payload = seal.seal(
            serde_json::to_string(&Packet {
                node,
                at: crate::db::now_ms(),
                notes: std::mem::take(&mut notes),
            })
            .expect("notes always serialise"),
        );
        if conn.is_none() {
            conn = client.get_multiplexed_async_connection().await.ok();
        }
        let Some(c) = conn.as_mut() else {
            tracing::warn!(
                "bus: redis unavailable; notes dropped (sessions resync from the database)"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(payload)
            .query_async(c)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "bus: publish failed; notes dropped");
            conn = None;
        }
    }
}

async fn subscriber(
    client: redis::Client,
    channel: String,
    node: i64,
    seal: Seal,
    listener: Arc<dyn Listener>,
    mut shutdown: watch::Receiver<bool>,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    let mut backoff = Duration::from_millis(100);
    loop {
        let subscribed = async {
            let mut ps = client.get_async_pubsub().await?;
            ps.subscribe(&channel).await?;
            redis::RedisResult::Ok(ps)
        };
        match subscribed.await {
            Ok(mut ps) => {
                backoff = Duration::from_millis(100);
                match ready.take() {
                    Some(r) => {
                        let _ = r.send(());
                    }
                    // Notes may have been missed while disconnected: every local tab reads
                    // what it lacks from the database.
                    None => {
                        tracing::info!("bus: resubscribed; resyncing local sessions");
                        listener.resync();
                    }
                }
                let mut stream = ps.on_message();
                loop {
                    tokio::select! {
                        msg = stream.next() => {
                            let Some(msg) = msg else { break };
                            let Some(json) = seal.open(msg.get_payload_bytes()) else {
                                tracing::warn!("bus: a packet without this cluster's seal dropped");
                                continue;
                            };
                            match serde_json::from_slice::<Packet>(json) {
                                Ok(p) if p.node == node => {}
                                Ok(p) if (crate::db::now_ms() - p.at).abs() > PACKET_AGE_MS => {
                                    tracing::warn!(from = p.node, "bus: a stale packet dropped");
                                }
                                Ok(p) => p.notes.into_iter().for_each(|n| listener.deliver(n)),
                                Err(e) => tracing::warn!(error = %e, "bus: unreadable packet"),
                            }
                        }
                        _ = shutdown.changed() => return,
                    }
                }
                tracing::warn!("bus: subscription lost; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "bus: cannot subscribe; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_round_trip_compactly() {
        let p = Packet {
            node: 3,
            at: 0,
            notes: vec![
                Note::Committed {
                    v: 7,
                    seq: 12,
                    m: None,
                },
                Note::ToAgent {
                    a: 2,
                    f: "{\"api_key\":32399}".into(),
                },
                Note::Invited { p: 5 },
            ],
        };
        let s = serde_json::to_string(&p).unwrap();
        assert_eq!(
            s,
            r#"{"node":3,"at":0,"notes":[{"t":"m","v":7,"seq":12},{"t":"a","a":2,"f":"{\"api_key\":32399}"},{"t":"i","p":5}]}"#
        );
        let back: Packet = serde_json::from_str(&s).unwrap();
        assert_eq!(back.notes, p.notes);
    }

    #[test]
    fn only_sealed_packets_open() {
        let seal = Seal::new("cluster key");
        let sealed = seal.seal(r#"{"node":1,"at":5,"notes":[]}"#.to_owned());
        assert_eq!(
            seal.open(sealed.as_bytes()),
            Some(&br#"{"node":1,"at":5,"notes":[]}"#[..])
        );
        let forged = sealed.replace("\"at\":5", "\"at\":6");
        assert_eq!(seal.open(forged.as_bytes()), None);
        assert_eq!(seal.open(br#"{"node":1,"notes":[]}"#), None);
        assert_eq!(Seal::new("another key").open(sealed.as_bytes()), None);
    }

    #[test]
    fn reception_notes_round_trip() {
        use shared::reception::{Answerer, ReceptionFrame};
        let note = Note::Reception {
            v: 9,
            r: ReceptionFrame {
                mode: Answerer::Robot,
                robot: Some("小智".into()),
                greeting: None,
                suggest: vec!["怎么退货".into()],
                manual: true,
                offline: None,
            },
        };
        let s = serde_json::to_string(&note).unwrap();
        assert_eq!(
            s,
            r#"{"t":"r","v":9,"r":{"mode":"robot","robot":"小智","suggest":["怎么退货"],"manual":true}}"#
        );
        assert_eq!(serde_json::from_str::<Note>(&s).unwrap(), note);
    }
}

//! This process as one node of a cluster (issue 7). Every `frontdesk serve` registers a row
//! in `nodes` at start (its node id) and heartbeats it; logged-in agent connections are rows
//! of `agent_conns` (their `ix` is the row id, so unique across nodes), with `suspended`, so
//! routing and the online lists on every node see every node's agents. A node whose heartbeat
//! is older than `--node-timeout-ms` is dead: its connections no longer count, and the offline
//! sweep deletes them.
//!
//! The agent offline grace is a periodic sweep under a lease (`leases`, one node at a time
//! holds it and renews it each round; when that node dies or restarts, another takes it once
//! it expired): agents who still serve visitors, have no live connection anywhere and were
//! last seen longer than the grace ago are handed to [`conversation::agent_gone`]. The same sweep
//! deletes stale presence rows (visitors who left the site, see [`crate::trace`]) every
//! [`PRESENCE_SWEEP_MS`].
//!
//! The retention sweep (`admin site set --retain-days`) runs the same way under a lease of
//! its own, every `--retention-sweep-ms`: for each site with a retention it deletes, in
//! short transactions of at most [`RETENTION_BATCH`] rows, the messages and uploads older
//! than that (`Db::sweep_retention`).
//!
//! The search indexer (issue 25, [`crate::search::indexer`]) runs under a lease of its own
//! too: one node at a time turns new messages into search terms.
//!
//! With `--redis-url` the node also joins the bus ([`crate::bus`]). Which node a visitor's
//! tabs are on, and this node's id, are [`crate::presence`]'s.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::db::{now_ms, DbResult};
use crate::{bus, conversation, trace, AppState};

/// The lease of the offline sweep.
const SWEEP_LEASE: &str = "agent_offline_sweep";
/// The lease of the retention sweep.
const RETENTION_LEASE: &str = "retention_sweep";
/// Most rows one transaction of the retention sweep deletes (the writer's other jobs wait
/// behind it, so it stays short).
pub const RETENTION_BATCH: i64 = 2000;
/// How often the sweep deletes stale presence rows (the listing ignores them meanwhile).
const PRESENCE_SWEEP_MS: i64 = 15_000;

/// How often the offline sweep runs: a quarter of the grace, between 100 ms and 2 s.
pub fn sweep_interval(grace: Duration) -> Duration {
    (grace / 4).clamp(Duration::from_millis(100), Duration::from_secs(2))
}

/// Registers the node, joins the bus when configured, and starts the heartbeat and the
/// offline sweep (both end with the server's shutdown signal).
pub async fn start(state: &AppState) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let node = state.node_id().await?;
    if let Some(url) = state.config.redis_url.as_deref() {
        let channel = format!("frontdesk:{}", state.db.cluster_id().await?);
        let seal = bus::Seal::new(&state.db.bus_key().await?);
        let remote = bus::connect(
            url,
            channel,
            node,
            seal,
            state.hub.clone(),
            state.shutdown.clone(),
        )
        .await?;
        state.hub.set_remote(remote);
    }
    Ok(vec![
        tokio::spawn(heartbeat(state.clone(), node)),
        tokio::spawn(sweeper(state.clone(), node)),
        tokio::spawn(retention(state.clone(), node)),
        tokio::spawn(crate::search::indexer(state.clone(), node)),
    ])
}

async fn heartbeat(state: AppState, node: i64) {
    let mut tick = tokio::time::interval(state.config.node_heartbeat);
    let mut shutdown = state.shutdown.clone();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        match state.db.node_heartbeat(node).await {
            Ok(true) => {}
            Ok(false) => {
                // Declared dead by another node (this one stalled past the timeout): its
                // agent connections were removed, so they reconnect and register again.
                tracing::error!(node, "this node was declared dead; reconnecting its agents");
                if let Err(e) = state.db.revive_node(node).await {
                    tracing::error!(error = %e, "re-registering the node failed");
                }
                state.hub.disconnect_agents();
            }
            Err(e) => tracing::warn!(error = %e, "node heartbeat failed"),
        }
    }
}

async fn sweeper(state: AppState, node: i64) {
    let every = sweep_interval(state.config.agent_offline_grace);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = state.shutdown.clone();
    let mut presence_swept = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = sweep_once(&state, node, &mut presence_swept).await {
            tracing::warn!(error = %e, "offline sweep failed");
        }
    }
}

/// One round of the offline sweep, if this node holds (or can take) the lease; also deletes
/// stale presence rows when the last time it did (`presence_swept`, ms) is
/// [`PRESENCE_SWEEP_MS`] ago.
async fn sweep_once(state: &AppState, node: i64, presence_swept: &mut i64) -> DbResult<()> {
    let until = now_ms() + state.config.node_timeout.as_millis() as i64;
    if !state.db.take_lease(SWEEP_LEASE, node, until).await? {
        return Ok(());
    }
    if now_ms() - *presence_swept >= PRESENCE_SWEEP_MS {
        *presence_swept = now_ms();
        trace::sweep(state).await?;
    }
    let alive_since = state.alive_since();
    for dead in state.db.sweep_dead_nodes(alive_since).await? {
        tracing::warn!(
            node = dead,
            "node stopped heartbeating; its agent connections are gone"
        );
    }
    let seen_before = now_ms() - state.config.agent_offline_grace.as_millis() as i64;
    for gone in state.db.gone_agents(alive_since, seen_before).await? {
        conversation::agent_gone(state, gone.site_id, gone.agent_id).await?;
    }
    Ok(())
}

/// The retention sweep: every `config.retention_sweep`, if this node holds (or can take) its
/// lease, one [`retain_once`].
async fn retention(state: AppState, node: i64) {
    let mut tick = tokio::time::interval(state.config.retention_sweep);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = state.shutdown.clone();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        if let Err(e) = retain_once(&state, node).await {
            tracing::warn!(error = %e, "retention sweep failed");
        }
    }
}

/// Deletes every retaining site's messages and uploads older than its retention, in
/// batches; logs what it deleted.
async fn retain_once(state: &AppState, node: i64) -> DbResult<()> {
    // Held past this round's end so that no other node starts one meanwhile.
    let until = now_ms() + (state.config.retention_sweep * 2).as_millis() as i64;
    if !state.db.take_lease(RETENTION_LEASE, node, until).await? {
        return Ok(());
    }
    for (site, days) in state.db.retaining_sites().await? {
        let before = now_ms() - days * 86_400_000;
        let mut total = crate::db::Swept::default();
        loop {
            let s = state
                .db
                .sweep_retention(site, before, RETENTION_BATCH)
                .await?;
            total.deleted += s.deleted;
            total.blanked += s.blanked;
            total.files += s.files;
            state
                .metrics
                .retention_deleted
                .inc_by((s.deleted + s.blanked) as u64);
            if s.deleted < RETENTION_BATCH && s.files < RETENTION_BATCH {
                break;
            }
        }
        if total != crate::db::Swept::default() {
            tracing::info!(
                site,
                days,
                deleted = total.deleted,
                blanked = total.blanked,
                files = total.files,
                "retention: old messages and uploads deleted"
            );
        }
    }
    Ok(())
}

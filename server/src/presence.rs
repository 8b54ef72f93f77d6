//! Where visitors' chat tabs are open — on this node (the hub knows) or on another live node
//! (`visitor_tabs`, `db/cluster.rs`) — and this process's identity as a node (its id, which
//! nodes count as alive). Agent connections' presence is in the database (`agent_conns`),
//! read by routing and the agent lists directly.
//!
//! Architecture invariant: nothing here routes, stores messages or tells anybody; modules that
//! need "is this visitor online" ask here, and [`crate::cluster`] (heartbeats, sweeps) is
//! never imported for it.

use crate::db::{now_ms, DbResult};
use crate::AppState;

impl AppState {
    /// This process's node id, registered on first use.
    pub async fn node_id(&self) -> DbResult<i64> {
        self.node
            .get_or_try_init(|| self.db.register_node())
            .await
            .copied()
    }

    /// Nodes heard from at or after this time (unix ms) are alive.
    pub fn alive_since(&self) -> i64 {
        now_ms() - self.config.node_timeout.as_millis() as i64
    }

    /// Whether other nodes may share this database (the bus is Redis).
    pub fn clustered(&self) -> bool {
        self.config.redis_url.is_some()
    }
}

/// Whether the visitor has a chat tab open on any node.
pub async fn visitor_online(state: &AppState, visitor_id: i64) -> DbResult<bool> {
    if state.hub.visitor_online(visitor_id) {
        return Ok(true);
    }
    if !state.clustered() {
        return Ok(false);
    }
    let node = state.node_id().await?;
    state
        .db
        .visitor_online_elsewhere(visitor_id, node, state.alive_since())
        .await
}

/// Visitors of a site with a tab open on another live node (none on a single node).
pub async fn site_visitors_online_elsewhere(
    state: &AppState,
    site_id: i64,
) -> DbResult<std::collections::HashSet<i64>> {
    if !state.clustered() {
        return Ok(Default::default());
    }
    let node = state.node_id().await?;
    Ok(state
        .db
        .site_visitors_online_elsewhere(site_id, node, state.alive_since())
        .await?
        .into_iter()
        .collect())
}

/// A chat tab of the visitor opened (`true`) or closed on this node: recorded for the other
/// nodes (`visitor_tabs`) when there are any; on one node the hub alone knows.
pub async fn visitor_tab(state: &AppState, visitor_id: i64, open: bool) {
    if !state.clustered() {
        return;
    }
    let done = async {
        let node = state.node_id().await?;
        if open {
            state.db.visitor_tab_opened(visitor_id, node).await
        } else {
            state.db.visitor_tab_closed(visitor_id, node).await
        }
    };
    if let Err(e) = done.await {
        tracing::warn!(error = %e, visitor_id, open, "recording a visitor tab failed");
    }
}

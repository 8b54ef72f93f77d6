//! Blocks (issue 25): whether a site keeps a visitor or their address out of its chat. The
//! rules are rows of `blocks` (`db/blocks.rs`), added and deleted by `crate::admin` (the CLI
//! and the site admin API); this module answers "is this visitor, from this address,
//! blocked on this site?" for the visitor socket.
//!
//! A session asks at its hello (rules read from the database then: a block added by the CLI
//! or on another node applies to the next hello at once), before each message it stores and
//! at each ping (rules from this node's copy, read again when older than [`FRESH`], or at
//! once after this node changed them). A block stops a visitor who is already chatting
//! within [`FRESH`] of their next message, or a ping interval.
//!
//! Addresses are matched by the client's [`crate::clientip::bucket`] (IPv6 by its /64, as
//! the rate limits count them), which is why a block keeps an IPv6 range at most a /64.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::clientip::Net;
use crate::db::{now_ms, BlockRow, DbResult};
use crate::AppState;

/// How old this node's copy of a site's rules may be.
pub const FRESH: Duration = Duration::from_secs(5);

/// What a blocked visitor is told (the chat page shows its own localised text for the
/// code; this is for other clients).
pub const REFUSAL: &str = "Sorry, this chat is not available to you.";

/// One rule as sessions match it.
#[derive(Debug, Clone)]
struct Rule {
    visitor: Option<i64>,
    net: Option<Net>,
    expires_at: Option<i64>,
}

/// A site's rules as read at `read_at`.
#[derive(Debug)]
pub struct SiteRules {
    read_at: Instant,
    rules: Vec<Rule>,
}

impl SiteRules {
    fn from_rows(rows: &[BlockRow]) -> SiteRules {
        SiteRules {
            read_at: Instant::now(),
            rules: rows
                .iter()
                .map(|r| Rule {
                    visitor: r.visitor_id,
                    net: r.net.as_deref().and_then(|n| n.parse().ok()),
                    expires_at: r.expires_at,
                })
                .collect(),
        }
    }

    /// Whether visitor `visitor` (if known), from address `ip` (if known: a
    /// [`crate::clientip::bucket`]), is blocked at `now` (ms).
    pub fn blocks(&self, visitor: Option<i64>, ip: Option<IpAddr>, now: i64) -> bool {
        self.rules.iter().any(|r| {
            r.expires_at.is_none_or(|e| e > now)
                && ((r.visitor.is_some() && r.visitor == visitor)
                    || r.net.zip(ip).is_some_and(|(n, ip)| n.contains(ip)))
        })
    }
}

/// This node's copy of each site's rules (sites whose rules were asked for).
#[derive(Default)]
pub struct Blocks {
    /// A std `Mutex`: held only to clone an `Arc` or put one in, never across an await.
    sites: Mutex<HashMap<i64, Arc<SiteRules>>>,
}

impl Blocks {
    fn cached(&self, site_id: i64) -> Option<Arc<SiteRules>> {
        let sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        sites
            .get(&site_id)
            .filter(|r| r.read_at.elapsed() < FRESH)
            .cloned()
    }

    fn put(&self, site_id: i64, rules: Arc<SiteRules>) {
        let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        sites.insert(site_id, rules);
    }

    /// Forgets the copy of `site_id`'s rules (this node changed them).
    pub fn changed(&self, site_id: i64) {
        let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        sites.remove(&site_id);
    }
}

/// `site_id`'s rules read from the database now (and kept as this node's copy).
pub async fn fresh(state: &AppState, site_id: i64) -> DbResult<Arc<SiteRules>> {
    let rows = state.db.active_blocks(site_id, now_ms()).await?;
    let rules = Arc::new(SiteRules::from_rows(&rows));
    state.blocks.put(site_id, rules.clone());
    Ok(rules)
}

/// `site_id`'s rules, from this node's copy when it is younger than [`FRESH`].
pub async fn rules(state: &AppState, site_id: i64) -> DbResult<Arc<SiteRules>> {
    match state.blocks.cached(site_id) {
        Some(r) => Ok(r),
        None => fresh(state, site_id).await,
    }
}

/// Whether visitor `visitor` from `ip` is blocked on `site_id` now (this node's copy).
pub async fn blocked(
    state: &AppState,
    site_id: i64,
    visitor: Option<i64>,
    ip: Option<IpAddr>,
) -> DbResult<bool> {
    Ok(rules(state, site_id).await?.blocks(visitor, ip, now_ms()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(visitor: Option<i64>, net: Option<&str>, expires_at: Option<i64>) -> BlockRow {
        BlockRow {
            id: 1,
            site_id: 1,
            visitor_id: visitor,
            net: net.map(str::to_owned),
            reason: String::new(),
            created_by: String::new(),
            created_at: 0,
            expires_at,
        }
    }

    #[test]
    fn rules_match_the_visitor_or_the_range_until_they_expire() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let r = SiteRules::from_rows(&[
            row(Some(7), None, None),
            row(None, Some("203.0.113.0/24"), Some(1_000)),
        ]);
        assert!(r.blocks(Some(7), None, 0));
        assert!(!r.blocks(Some(8), ip("198.51.100.1"), 0));
        assert!(!r.blocks(None, None, 0));
        assert!(r.blocks(Some(8), ip("203.0.113.9"), 999));
        assert!(!r.blocks(Some(8), ip("203.0.113.9"), 1_000), "expired");
        assert!(r.blocks(Some(7), ip("203.0.113.9"), 5_000), "no expiry");
    }
}

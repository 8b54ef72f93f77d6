//! Blocks (issue 25): a visitor (their `gid`) or an address range kept out of a site's chat,
//! with a reason and an optional expiry. One validation for the CLI (`admin block …`) and
//! the site admin API (`crate::adminapi`); the sessions' side is `crate::blocks`.

use shared::workbench::{Block, MAX_BLOCK_DAYS, MAX_BLOCK_REASON_CHARS};

use super::*;
use crate::clientip::Net;
use crate::db::{now_ms, NewBlock, Site};

/// Most blocks in force on one site.
pub const MAX_BLOCKS: i64 = 10_000;

/// What a block names, checked: a visitor of the site, or an address range kept canonical
/// (`Net::for_block`).
enum Target {
    Visitor(i64),
    Net(Net),
}

/// Reads `ip` / `visitor` (exactly one) as a target on `site`.
async fn target(
    db: &Db,
    site: &Site,
    ip: Option<&str>,
    visitor: Option<&str>,
) -> Result<Target, AdminError> {
    let ip = ip.map(str::trim).filter(|s| !s.is_empty());
    let visitor = visitor.map(str::trim).filter(|s| !s.is_empty());
    match (ip, visitor) {
        (Some(ip), None) => {
            let net: Net = ip.parse().map_err(AdminError::Invalid)?;
            Ok(Target::Net(net.for_block()))
        }
        (None, Some(gid)) => {
            let found = match gid.parse::<i64>() {
                Ok(id) => db.visitor_by_id(id).await?,
                Err(_) => None,
            };
            match found {
                Some(v) if v.site_id == site.id => Ok(Target::Visitor(v.id)),
                _ => Err(AdminError::Invalid(format!(
                    "no visitor {gid:?} on this site (give the gid agents see)"
                ))),
            }
        }
        _ => Err(AdminError::Invalid(
            "give exactly one of an IP address or CIDR range and a visitor".into(),
        )),
    }
}

/// Blocks `ip` (an address or CIDR range) or `visitor` (a `gid`) on `site` for `days` (1 to
/// 3650; `None`: until deleted), with `reason` (at most 200 characters), added by `by`. A
/// blocked visitor is taken off the agents' lists here (nobody serves them, they wait for
/// nobody); a session of theirs stops at its next message or ping. Returns the block's id.
pub async fn add_block(
    db: &Db,
    site: &Site,
    ip: Option<&str>,
    visitor: Option<&str>,
    reason: &str,
    days: Option<u32>,
    by: &str,
) -> Result<i64, AdminError> {
    let target = target(db, site, ip, visitor).await?;
    let reason = reason.trim();
    if reason.chars().count() > MAX_BLOCK_REASON_CHARS || !shared::display_safe(reason) {
        return Err(AdminError::Invalid(format!(
            "a reason is at most {MAX_BLOCK_REASON_CHARS} characters, without control or invisible characters"
        )));
    }
    if days.is_some_and(|d| d == 0 || d > MAX_BLOCK_DAYS) {
        return Err(AdminError::Invalid(format!(
            "days is 1-{MAX_BLOCK_DAYS} (leave it out for a block until deleted)"
        )));
    }
    let now = now_ms();
    if db.count_active_blocks(site.id, now).await? >= MAX_BLOCKS {
        return Err(AdminError::Invalid(format!(
            "a site has at most {MAX_BLOCKS} blocks in force"
        )));
    }
    let (visitor_id, net) = match target {
        Target::Visitor(id) => (Some(id), None),
        Target::Net(n) => (None, Some(n.to_string())),
    };
    let id = db
        .add_block(NewBlock {
            site_id: site.id,
            visitor_id,
            net,
            reason: reason.to_owned(),
            created_by: by.to_owned(),
            created_at: now,
            expires_at: days.map(|d| now + i64::from(d) * 86_400_000),
        })
        .await?;
    if let Some(v) = visitor_id {
        db.release_visitor(v, None).await?;
    }
    Ok(id)
}

/// `site`'s blocks in force, newest first.
pub async fn list_blocks(db: &Db, site: &Site) -> Result<Vec<Block>, AdminError> {
    Ok(db
        .active_blocks(site.id, now_ms())
        .await?
        .iter()
        .map(crate::wire::block_info)
        .collect())
}

/// Deletes `site`'s block `id`; whether it had one.
pub async fn delete_block(db: &Db, site: &Site, id: i64) -> Result<bool, AdminError> {
    Ok(db.delete_block(site.id, id).await?)
}

/// [`add_block`] for the CLI: the site by `sysnum`.
pub async fn add_block_cli(
    db: &Db,
    sysnum: &str,
    ip: Option<&str>,
    visitor: Option<&str>,
    reason: &str,
    days: Option<u32>,
) -> Result<i64, AdminError> {
    let site = site_of(db, sysnum).await?;
    add_block(db, &site, ip, visitor, reason, days, "cli").await
}

/// [`list_blocks`] for the CLI.
pub async fn list_blocks_cli(db: &Db, sysnum: &str) -> Result<Vec<Block>, AdminError> {
    list_blocks(db, &site_of(db, sysnum).await?).await
}

/// [`delete_block`] for the CLI: a block the site does not have is refused.
pub async fn delete_block_cli(db: &Db, sysnum: &str, id: i64) -> Result<(), AdminError> {
    if delete_block(db, &site_of(db, sysnum).await?, id).await? {
        Ok(())
    } else {
        Err(AdminError::Invalid(format!("no block {id} on this site")))
    }
}

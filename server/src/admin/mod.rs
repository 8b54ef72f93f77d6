//! Creating and configuring sites, groups and agents — what `frontdesk admin …` does, and
//! the demo data a fresh install starts with. Validation lives here so every caller gets
//! the same rules (and the same error texts).
//!
//! `sites.rs` (create, import with given ids, settings, reception defaults, the demo),
//! `agents.rs` (accounts, passwords, external ids), `groups.rs` (groups, working hours,
//! VIP levels), `leave.rs` (leave-message templates, the left messages), `ratings.rs`
//! (ratings of chats), `privacy.rs` (a visitor's data: export, erase; a site's retention),
//! `workbench.rs` (issue 25: summary rules); this
//! file has the error type and the checks they share.

use serde::Serialize;

use shared::ids::Sysnum;

use crate::db::{random_hex, Db, DbError, NewSite, SiteKey};
use crate::security::{hash_password, SignCheck};

mod agents;
mod blocks;
mod groups;
mod leave;
mod privacy;
mod ratings;
mod sites;
mod workbench;

pub use agents::*;
pub use blocks::*;
pub use groups::*;
pub use leave::*;
pub use privacy::*;
pub use ratings::*;
pub use sites::*;
pub use workbench::*;

/// What an admin command can fail with; the message is meant for the operator.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("no site with sysnum {0}")]
    NoSite(String),
    /// An agent with this account exists already (accounts are unique across sites).
    #[error("agent account {0} already exists")]
    Exists(String),
    #[error("no agent with account {0}")]
    NoAgent(String),
    /// A site id given at `admin site create` belongs to another site.
    #[error("{0} is already used by another site")]
    Taken(SiteKey),
    #[error(transparent)]
    Db(#[from] DbError),
}

#[derive(Debug, Serialize)]
pub struct SiteCreated {
    pub sysnum: String,
    pub business_id: i64,
    pub appid: String,
    pub secret: String,
    pub sign_key: String,
}

#[derive(Debug, Serialize)]
pub struct GroupCreated {
    pub id: i64,
    pub groupname: String,
}

#[derive(Debug, Serialize)]
pub struct AgentCreated {
    pub kf_id: String,
    pub kf_account: String,
}

fn check_name(what: &str, s: &str, max: usize) -> Result<(), AdminError> {
    if s.trim().is_empty() || s.chars().count() > max {
        return Err(AdminError::Invalid(format!(
            "{what} must be 1-{max} characters"
        )));
    }
    if !shared::display_safe(s) {
        return Err(AdminError::Invalid(format!(
            "{what} may not contain control, direction-changing or invisible characters"
        )));
    }
    Ok(())
}

/// The id of the site with this sysnum.
pub async fn site_id(db: &Db, sysnum: &str) -> Result<i64, AdminError> {
    Ok(db
        .site_by_sysnum(sysnum)
        .await?
        .ok_or_else(|| AdminError::NoSite(sysnum.to_owned()))?
        .id)
}

// ----- routing (issue 11) ---------------------------------------------------------------------

async fn site_of(db: &Db, sysnum: &str) -> Result<crate::db::Site, AdminError> {
    db.site_by_sysnum(sysnum)
        .await?
        .ok_or_else(|| AdminError::NoSite(sysnum.to_owned()))
}

/// An external id: 1-64 printable ASCII characters without spaces (the hosted system's ids
/// look like `1q2w3e4r` or `162bb6bb038d4a9ea018241a30694064`).
fn check_external_id(v: &str) -> Result<(), AdminError> {
    if v.is_empty() || v.len() > 64 || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AdminError::Invalid(
            "external id must be 1-64 printable ASCII characters without spaces".into(),
        ));
    }
    Ok(())
}

/// Checks that `external_id` is free on the site (or already `owner`'s).
async fn external_id_free(
    db: &Db,
    groups: bool,
    site_id: i64,
    external_id: &str,
    owner: i64,
) -> Result<(), AdminError> {
    check_external_id(external_id)?;
    match db.external_id_owner(groups, site_id, external_id).await? {
        Some(other) if other != owner => Err(AdminError::Invalid(format!(
            "external id {external_id} is already used by {} {other}",
            if groups { "group" } else { "agent" }
        ))),
        _ => Ok(()),
    }
}

fn optional_text(what: &str, v: Option<String>) -> Result<Option<Option<String>>, AdminError> {
    match v.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(t) => {
            check_name(what, t, 500)?;
            Ok(Some(Some(t.to_owned())))
        }
    }
}

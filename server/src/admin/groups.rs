//! Skill groups (with working hours and external ids) and VIP levels.

use super::*;

pub async fn create_group(db: &Db, sysnum: &str, name: &str) -> Result<GroupCreated, AdminError> {
    check_name("group name", name, 100)?;
    let site = db
        .site_by_sysnum(sysnum)
        .await?
        .ok_or_else(|| AdminError::NoSite(sysnum.to_owned()))?;
    let g = db.create_group(site.id, name.trim()).await?;
    Ok(GroupCreated {
        id: g.id,
        groupname: g.groupname,
    })
}

/// Disables (or re-enables) a group: agents whose groups are all disabled cannot log in
/// (`-31004`) and are logged out.
pub async fn set_group_disabled(
    db: &Db,
    sysnum: &str,
    group_id: i64,
    disabled: bool,
) -> Result<(), AdminError> {
    let site = db
        .site_by_sysnum(sysnum)
        .await?
        .ok_or_else(|| AdminError::NoSite(sysnum.to_owned()))?;
    if !db.set_group_disabled(site.id, group_id, disabled).await? {
        return Err(AdminError::Invalid(format!(
            "group {group_id} is not a group of this site"
        )));
    }
    Ok(())
}

/// A group's routing settings to change (`None` leaves one; `""` clears external id/hours).
#[derive(Debug, Default)]
pub struct GroupSettings {
    pub external_id: Option<String>,
    /// `Mon-Fri 09:00-18:00; Sat 10:00-14:00`.
    pub hours: Option<String>,
    /// IANA zone of the hours (default UTC when hours are given without one).
    pub tz: Option<String>,
}

/// A group's validated routing settings, as `Db::set_group_routing` takes them.
type GroupRoutingValues = (Option<Option<String>>, Option<Option<(String, String)>>);

/// Validates `s` for group `group_id` (0: a group about to be created) of `site_id`.
async fn prepare_group(
    db: &Db,
    site_id: i64,
    group_id: i64,
    s: GroupSettings,
) -> Result<GroupRoutingValues, AdminError> {
    let external_id = match s.external_id.as_deref().map(str::trim) {
        Some("") => Some(None),
        Some(x) => {
            external_id_free(db, true, site_id, x, group_id).await?;
            Some(Some(x.to_owned()))
        }
        None => None,
    };
    if let Some(tz) = &s.tz {
        crate::rules::time_zone(tz).map_err(AdminError::Invalid)?;
    }
    let hours = match (s.hours.as_deref().map(str::trim), s.tz) {
        (Some(""), _) => Some(None),
        (Some(h), tz) => {
            crate::rules::Hours::parse(h)
                .map_err(|e| AdminError::Invalid(format!("hours: {e}")))?;
            Some(Some((h.to_owned(), tz.unwrap_or_else(|| "UTC".into()))))
        }
        (None, Some(_)) => {
            return Err(AdminError::Invalid(
                "--tz needs --hours (the hours it applies to)".into(),
            ))
        }
        (None, None) => None,
    };
    Ok((external_id, hours))
}

/// Changes a group's external id and working hours.
pub async fn set_group(
    db: &Db,
    sysnum: &str,
    group_id: i64,
    s: GroupSettings,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    let (external_id, hours) = prepare_group(db, site.id, group_id, s).await?;
    if !db
        .set_group_routing(site.id, group_id, external_id, hours)
        .await?
    {
        return Err(AdminError::Invalid(format!(
            "group {group_id} is not a group of this site"
        )));
    }
    Ok(())
}

/// Creates a group with routing settings; bad settings create nothing.
pub async fn create_group_with(
    db: &Db,
    sysnum: &str,
    name: &str,
    s: GroupSettings,
) -> Result<GroupCreated, AdminError> {
    check_name("group name", name, 100)?;
    let site = site_of(db, sysnum).await?;
    let (external_id, hours) = prepare_group(db, site.id, 0, s).await?;
    let g = create_group(db, sysnum, name).await?;
    if external_id.is_some() || hours.is_some() {
        db.set_group_routing(site.id, g.id, external_id, hours)
            .await?;
    }
    Ok(g)
}

/// Adds (or changes) a VIP level of a site: `id` and `name` are what `vip_level` may say,
/// `rank` orders the queue (higher first, 0-1000000).
pub async fn put_vip_level(
    db: &Db,
    sysnum: &str,
    id: &str,
    name: &str,
    rank: i64,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    check_external_id(id.trim()).map_err(|_| {
        AdminError::Invalid("VIP level id must be 1-64 printable ASCII characters".into())
    })?;
    check_name("VIP level name", name, 64)?;
    if !(0..=1_000_000).contains(&rank) {
        return Err(AdminError::Invalid("rank must be 0-1000000".into()));
    }
    db.put_vip_level(
        site.id,
        crate::db::VipLevel {
            level_id: id.trim().to_owned(),
            name: name.trim().to_owned(),
            rank,
        },
    )
    .await?;
    Ok(())
}

pub async fn vip_levels(db: &Db, sysnum: &str) -> Result<Vec<crate::db::VipLevel>, AdminError> {
    let site = site_of(db, sysnum).await?;
    Ok(db.vip_levels(site.id).await?)
}

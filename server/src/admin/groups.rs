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

/// A site's groups with their external ids and working hours, as the admin API lists them.
pub async fn list_groups(db: &Db, sysnum: &str) -> Result<Vec<shared::admin::Group>, AdminError> {
    let site = site_of(db, sysnum).await?;
    let routing = db.routing_groups(site.id).await?;
    Ok(db
        .groups_of_site(site.id)
        .await?
        .into_iter()
        .map(|g| {
            let r = routing.iter().find(|r| r.id == g.id);
            let text = |f: fn(&crate::db::GroupRouting) -> &Option<String>| {
                r.and_then(|r| f(r).clone()).unwrap_or_default()
            };
            shared::admin::Group {
                id: g.id,
                groupname: g.groupname,
                external_id: text(|r| &r.external_id),
                hours: text(|r| &r.hours),
                tz: text(|r| &r.tz),
                disabled: g.disabled,
            }
        })
        .collect())
}

/// The time zones working hours may be given in (IANA names the server knows).
pub fn time_zones() -> Vec<String> {
    let mut zones: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.to_string())
        .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("posix"))
        .collect();
    zones.sort();
    zones.insert(0, "UTC".into());
    zones
}

/// Creates a group (`s.id` absent: `admin group create`) or changes one (`admin group set`,
/// `disable`/`enable`); every value is checked before anything is stored. Returns its id.
pub async fn save_group(
    db: &Db,
    sysnum: &str,
    s: shared::admin::GroupSave,
) -> Result<i64, AdminError> {
    let settings = GroupSettings {
        external_id: s.external_id,
        hours: s.hours,
        tz: s.tz,
    };
    match s.id {
        None => {
            let name = s.name.unwrap_or_default();
            let g = create_group_with(db, sysnum, &name, settings).await?;
            if s.disabled == Some(true) {
                set_group_disabled(db, sysnum, g.id, true).await?;
            }
            Ok(g.id)
        }
        Some(id) => {
            let site = site_of(db, sysnum).await?;
            if !db.groups_of_site(site.id).await?.iter().any(|g| g.id == id) {
                return Err(AdminError::Invalid(format!(
                    "group {id} is not a group of this site"
                )));
            }
            let (external_id, hours) = prepare_group(db, site.id, id, settings).await?;
            if external_id.is_some() || hours.is_some() {
                db.set_group_routing(site.id, id, external_id, hours)
                    .await?;
            }
            if let Some(d) = s.disabled {
                set_group_disabled(db, sysnum, id, d).await?;
            }
            Ok(id)
        }
    }
}

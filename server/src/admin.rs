//! Creating and configuring sites, groups and agents — what `frontdesk admin …` does, and
//! the demo data a fresh install starts with. Validation lives here so every caller gets
//! the same rules.

use serde::Serialize;

use shared::ids::Sysnum;

use crate::db::{random_hex, Db, DbError, NewSite, SiteKey};
use crate::security::{hash_password, SignCheck};

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

pub async fn create_site(db: &Db, name: &str) -> Result<SiteCreated, AdminError> {
    import_site(db, SiteIds::default(), name).await
}

/// Ids a site brings from the hosted system it moves from; `None` mints a fresh one.
/// Strings as the operator typed them: [`import_site`] validates them.
#[derive(Debug, Default, Clone)]
pub struct SiteIds {
    pub sysnum: Option<String>,
    pub business_id: Option<i64>,
    pub appid: Option<String>,
    pub secret: Option<String>,
    pub sign_key: Option<String>,
}

/// The largest `business_id` a JSON client (JavaScript numbers) reads exactly.
const MAX_BUSINESS_ID: i64 = (1 << 53) - 1;

/// A credential the operator gives: 1–`max` printable ASCII characters, no spaces.
fn check_credential(what: &str, v: &str, max: usize) -> Result<(), AdminError> {
    if v.is_empty() || v.len() > max || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AdminError::Invalid(format!(
            "{what} must be 1-{max} printable ASCII characters without spaces"
        )));
    }
    Ok(())
}

/// Creates a site keeping the ids it is given (a site that moves here), minting the rest.
/// Malformed ids are [`AdminError::Invalid`]; an id another site has is
/// [`AdminError::Taken`].
pub async fn import_site(db: &Db, ids: SiteIds, name: &str) -> Result<SiteCreated, AdminError> {
    check_name("site name", name, 100)?;
    let sysnum = ids
        .sysnum
        .as_deref()
        .map(|s| Sysnum::parse(s).map_err(|e| AdminError::Invalid(e.to_string())))
        .transpose()?;
    if let Some(id) = ids.business_id {
        if !(1..=MAX_BUSINESS_ID).contains(&id) {
            return Err(AdminError::Invalid(format!(
                "business_id must be a positive integer up to {MAX_BUSINESS_ID}"
            )));
        }
    }
    match (&ids.appid, &ids.secret) {
        (Some(appid), Some(secret)) => {
            check_credential("appid", appid, 64)?;
            check_credential("secret", secret, 128)?;
        }
        (None, None) => {}
        _ => {
            return Err(AdminError::Invalid(
                "appid and secret must be given together".into(),
            ))
        }
    }
    if let Some(k) = &ids.sign_key {
        check_credential("sign_key", k, 128)?;
    }
    let new = NewSite {
        name: name.trim().to_owned(),
        sysnum,
        business_id: ids.business_id,
        appid: ids.appid,
        secret: ids.secret,
        sign_key: ids.sign_key,
    };
    let s = db.create_site(&new).await.map_err(|e| match e {
        DbError::SiteTaken(key) => AdminError::Taken(key),
        e => e.into(),
    })?;
    Ok(SiteCreated {
        sysnum: s.sysnum.to_string(),
        business_id: s.id,
        appid: s.appid,
        secret: s.secret,
        sign_key: s.sign_key,
    })
}

/// Site settings to change; `None` leaves one as it is.
#[derive(Debug, Default)]
pub struct SiteSettings {
    /// `Some("")` clears the push URL.
    pub push_url: Option<String>,
    pub push_allow_private: Option<bool>,
    pub sign_check: Option<String>,
    pub origins: Option<String>,
}

pub async fn set_site(db: &Db, sysnum: &str, s: SiteSettings) -> Result<(), AdminError> {
    let site = db
        .site_by_sysnum(sysnum)
        .await?
        .ok_or_else(|| AdminError::NoSite(sysnum.to_owned()))?;
    if let Some(u) = s.push_url.as_deref().filter(|u| !u.is_empty()) {
        if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() > 2000 {
            return Err(AdminError::Invalid(
                "push URL must be an http(s) URL".into(),
            ));
        }
    }
    if let Some(c) = s.sign_check.as_deref() {
        if SignCheck::parse(c).is_none() {
            return Err(AdminError::Invalid(
                "sign check must be off, md5 or hmac".into(),
            ));
        }
    }
    let origins = match s.origins.as_deref() {
        Some(list) => {
            let mut clean = Vec::new();
            for o in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                let o = o.trim_end_matches('/');
                let ok = (o.starts_with("http://") || o.starts_with("https://"))
                    && o.bytes()
                        .all(|b| b.is_ascii_graphic() && !b";,'\"".contains(&b));
                if !ok {
                    return Err(AdminError::Invalid(format!("not an origin: {o}")));
                }
                clean.push(o.to_owned());
            }
            Some(clean.join(","))
        }
        None => None,
    };
    let push_url = s
        .push_url
        .as_deref()
        .map(|u| Some(u).filter(|u| !u.is_empty()));
    db.update_site(
        site.id,
        push_url,
        s.push_allow_private,
        s.sign_check.as_deref(),
        origins.as_deref(),
    )
    .await?;
    Ok(())
}

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

/// `kf_account` is `prefix@site`, as seed 002 spells it.
pub fn check_account(account: &str) -> Result<(), AdminError> {
    let ok = match account.split_once('@') {
        Some((prefix, site)) => {
            let part = |s: &str| {
                !s.is_empty()
                    && s.len() <= 64
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            };
            part(prefix) && part(site)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AdminError::Invalid(
            "account must look like prefix@site (letters, digits, . _ -)".into(),
        ))
    }
}

/// An agent's nick: 1-64 characters, not only whitespace.
pub fn check_nick(nick: &str) -> Result<(), AdminError> {
    check_name("nick", nick, 64)
}

fn check_password(password: &str) -> Result<(), AdminError> {
    if password.chars().count() < 8 {
        return Err(AdminError::Invalid(
            "password must have at least 8 characters".into(),
        ));
    }
    Ok(())
}

async fn hash(password: &str) -> Result<String, AdminError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AdminError::Invalid(format!("hashing failed: {e}")))?
        .map_err(|e| AdminError::Invalid(format!("hashing failed: {e}")))
}

pub struct NewAgent<'a> {
    pub sysnum: &'a str,
    pub account: &'a str,
    pub nick: &'a str,
    pub password: &'a str,
    pub groups: &'a [i64],
    pub max_chats: i64,
}

pub async fn create_agent(db: &Db, a: NewAgent<'_>) -> Result<AgentCreated, AdminError> {
    check_account(a.account)?;
    check_nick(a.nick)?;
    check_password(a.password)?;
    if !(1..=1000).contains(&a.max_chats) {
        return Err(AdminError::Invalid("max chats must be 1-1000".into()));
    }
    let site = db
        .site_by_sysnum(a.sysnum)
        .await?
        .ok_or_else(|| AdminError::NoSite(a.sysnum.to_owned()))?;
    let phc = hash(a.password).await?;
    let agent = db
        .create_agent(
            site.id,
            a.account,
            a.nick.trim(),
            &phc,
            a.groups,
            a.max_chats,
        )
        .await
        .map_err(|e| match e {
            DbError::AccountTaken(_) => AdminError::Exists(a.account.to_owned()),
            DbError::NotFound(m) => AdminError::Invalid(m),
            e => AdminError::Db(e),
        })?;
    Ok(AgentCreated {
        kf_id: agent.id.to_string(),
        kf_account: agent.account,
    })
}

/// Disables (or re-enables) an agent; a disabled agent's open sockets close at their next
/// check. `revoke` also invalidates every token it holds.
pub async fn set_agent_disabled(db: &Db, account: &str, disabled: bool) -> Result<(), AdminError> {
    if !db.set_agent_disabled(account, disabled).await? {
        return Err(AdminError::Invalid(format!(
            "no agent with account {account}"
        )));
    }
    Ok(())
}

/// Revokes every token of an agent (its sockets close at their next check); returns how many.
pub async fn revoke_agent(db: &Db, account: &str) -> Result<u64, AdminError> {
    let agent = db
        .agent_by_account(account)
        .await?
        .ok_or_else(|| AdminError::Invalid(format!("no agent with account {account}")))?;
    Ok(db.revoke_agent_tokens(agent.id).await?)
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

/// Sets an agent's password (at least 8 characters) and revokes its current agent tokens.
/// Agents created through seed 002's `kfaccount/add` have a random password nobody knows
/// until an operator sets one with this (`frontdesk admin agent passwd`).
pub async fn set_password(db: &Db, account: &str, password: &str) -> Result<(), AdminError> {
    check_password(password)?;
    let phc = hash(password).await?;
    if db.set_agent_password(account.trim(), &phc).await? {
        Ok(())
    } else {
        Err(AdminError::NoAgent(account.trim().to_owned()))
    }
}

/// The demo site and agent a fresh install starts with.
pub struct Demo {
    pub sysnum: String,
    pub account: String,
    pub password: String,
}

/// Creates the demo site, group and agent when the database has no site yet; returns the
/// demo (new or earlier) if there is one.
pub async fn ensure_demo(db: &Db) -> Result<Option<Demo>, AdminError> {
    if db.count_sites().await? == 0 {
        let site = create_site(db, "Demo site").await?;
        let group = create_group(db, &site.sysnum, "Default").await?;
        let password = random_hex(6);
        let account = "demo@frontdesk";
        create_agent(
            db,
            NewAgent {
                sysnum: &site.sysnum,
                account,
                nick: "Demo agent",
                password: &password,
                groups: &[group.id],
                max_chats: 10,
            },
        )
        .await?;
        // Kept so the demo login can be printed at every start; demo data only.
        db.set_setting("demo_sysnum", &site.sysnum).await?;
        db.set_setting("demo_agent_account", account).await?;
        db.set_setting("demo_agent_password", &password).await?;
    }
    let (Some(sysnum), Some(account), Some(password)) = (
        db.setting("demo_sysnum").await?,
        db.setting("demo_agent_account").await?,
        db.setting("demo_agent_password").await?,
    ) else {
        return Ok(None);
    };
    Ok(Some(Demo {
        sysnum,
        account,
        password,
    }))
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

/// Gives an agent (by kf_id) an external id; `""` clears it.
pub async fn set_agent_external_id(
    db: &Db,
    sysnum: &str,
    kf_id: i64,
    external_id: &str,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    let external_id = external_id.trim();
    if !external_id.is_empty() {
        external_id_free(db, false, site.id, external_id, kf_id).await?;
    }
    db.set_agent_external_id(
        kf_id,
        Some(external_id.to_owned()).filter(|x| !x.is_empty()),
    )
    .await?;
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

/// A site's reception settings to change; `None` leaves one as it is.
#[derive(Debug, Default)]
pub struct ReceptionSettings {
    /// 1 robot only, 2 human only, 3 robot first, 4 human first.
    pub reception: Option<i64>,
    pub manual_after: Option<i64>,
    /// `""` clears.
    pub offline_title: Option<String>,
    pub agent_hello: Option<String>,
    /// The platform code linking sites for `flowType` overflow; `""` unlinks.
    pub platform: Option<String>,
}

impl ReceptionSettings {
    pub fn is_empty(&self) -> bool {
        self.reception.is_none()
            && self.manual_after.is_none()
            && self.offline_title.is_none()
            && self.agent_hello.is_none()
            && self.platform.is_none()
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

pub async fn set_site_reception(
    db: &Db,
    sysnum: &str,
    s: ReceptionSettings,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    if let Some(r) = s.reception {
        if !(1..=4).contains(&r) {
            return Err(AdminError::Invalid(
                "reception must be 1 (robot only), 2 (human only), 3 (robot first) or 4 (human first)".into(),
            ));
        }
    }
    if let Some(n) = s.manual_after {
        if !(0..=100).contains(&n) {
            return Err(AdminError::Invalid("manual-after must be 0-100".into()));
        }
    }
    let platform = match s.platform.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(p) => {
            if p.len() > 64 || !p.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(AdminError::Invalid(
                    "platform must be 1-64 printable ASCII characters without spaces".into(),
                ));
            }
            Some(Some(p.to_owned()))
        }
    };
    let update = crate::db::SiteReceptionUpdate {
        mode: s.reception,
        manual_after: s.manual_after,
        offline_title: optional_text("offline title", s.offline_title)?,
        agent_hello: optional_text("agent hello", s.agent_hello)?,
        platform,
    };
    db.set_site_reception(site.id, update).await?;
    Ok(())
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

/// Checks an external id for an agent about to be created on `sysnum`.
pub async fn check_new_agent_external_id(
    db: &Db,
    sysnum: &str,
    external_id: &str,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    external_id_free(db, false, site.id, external_id.trim(), 0).await
}

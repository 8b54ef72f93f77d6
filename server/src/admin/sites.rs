//! Sites: created (fresh or with the ids a moving site keeps), their settings and reception
//! defaults, and the demo site a fresh install starts with.

use super::*;

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

/// Shortest `secret` a site may be given (`site create --secret`): 16 characters. Minted
/// ones are 32 hex characters, WeChat's AppSecrets too.
pub const MIN_SECRET_LEN: usize = 16;

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
            if secret.len() < MIN_SECRET_LEN {
                return Err(AdminError::Invalid(format!(
                    "secret must have at least {MIN_SECRET_LEN} characters (it guards the site's account API)"
                )));
            }
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
    /// `auto`, `on` or `off`: see [`PageTrust`].
    pub page_trust: Option<String>,
    pub origins: Option<String>,
}

/// Whether a site honours what only the page says — queue priority (`queueFirst`, `is_vip`,
/// `vip_level`) and greeting texts (`agent_hello_word`, `robot_hello_word`,
/// `agent_offline_title`) — from a visitor who did not prove who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageTrust {
    /// The default: yes, unless the site's sign check is on (a site without it cannot tell
    /// one visitor from another anyway, and the seed's pages rely on these keys; a site that
    /// turned it on has said its visitors must prove who they are, and the `sign` covers
    /// only the `partnerid`).
    Auto,
    On,
    Off,
}

impl PageTrust {
    pub fn parse(s: &str) -> Option<PageTrust> {
        match s {
            "auto" => Some(PageTrust::Auto),
            "on" => Some(PageTrust::On),
            "off" => Some(PageTrust::Off),
            _ => None,
        }
    }

    /// Whether a site with this setting and sign check honours the page's claims.
    pub fn trusts_page(self, sign_check: SignCheck) -> bool {
        match self {
            PageTrust::Auto => sign_check == SignCheck::Off,
            PageTrust::On => true,
            PageTrust::Off => false,
        }
    }
}

/// [`SiteSettings`] validated, as `Db::update_site` takes them.
struct CheckedSite {
    push_url: Option<Option<String>>,
    push_allow_private: Option<bool>,
    sign_check: Option<String>,
    page_trust: Option<String>,
    origins: Option<String>,
}

fn check_site(s: SiteSettings) -> Result<CheckedSite, AdminError> {
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
    if s.page_trust
        .as_deref()
        .is_some_and(|t| PageTrust::parse(t).is_none())
    {
        return Err(AdminError::Invalid(
            "page trust must be auto, on or off".into(),
        ));
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
    Ok(CheckedSite {
        push_url: s.push_url.map(|u| Some(u).filter(|u| !u.is_empty())),
        push_allow_private: s.push_allow_private,
        sign_check: s.sign_check,
        page_trust: s.page_trust,
        origins,
    })
}

async fn update_site(db: &Db, site_id: i64, c: CheckedSite) -> Result<(), AdminError> {
    db.update_site(
        site_id,
        c.push_url.as_ref().map(Option::as_deref),
        c.push_allow_private,
        c.sign_check.as_deref(),
        c.page_trust.as_deref(),
        c.origins.as_deref(),
    )
    .await?;
    Ok(())
}

pub async fn set_site(db: &Db, sysnum: &str, s: SiteSettings) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    let c = check_site(s)?;
    update_site(db, site.id, c).await
}

/// Changes a site's settings and reception defaults: everything is checked before anything
/// is stored, so a bad value changes nothing. What `admin site set` and the admin API's
/// `POST /api/admin/site/set` do (one validation, the same error texts).
pub async fn change_site(
    db: &Db,
    sysnum: &str,
    settings: SiteSettings,
    reception: ReceptionSettings,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    let r = (!reception.is_empty())
        .then(|| check_reception(reception))
        .transpose()?;
    let c = check_site(settings)?;
    if let Some(r) = r {
        db.set_site_reception(site.id, r).await?;
    }
    update_site(db, site.id, c).await
}

/// A site's settings now, as the admin API shows them.
pub fn site_settings(site: &crate::db::Site) -> shared::admin::SiteSettings {
    let r = &site.reception;
    shared::admin::SiteSettings {
        reception: Some(r.mode as i64),
        manual_after: Some(i64::from(r.manual_after)),
        offline_title: Some(r.offline_title.clone().unwrap_or_default()),
        agent_hello: Some(r.agent_hello.clone().unwrap_or_default()),
        push_url: Some(site.push_url.clone().unwrap_or_default()),
        push_allow_private: Some(site.push_allow_private),
        sign_check: Some(site.sign_check.clone()),
        page_trust: Some(site.page_trust.clone()),
        origins: Some(site.origins.join(",")),
        // Read beside the row (`site_get`): platform, retention, summary rules.
        platform: None,
        retain_days: None,
        summary_required: None,
        summary_categories: None,
    }
}

/// The settings of the admin API's body as the CLI's flags take them.
pub fn settings_of(s: shared::admin::SiteSettings) -> (SiteSettings, ReceptionSettings) {
    (
        SiteSettings {
            push_url: s.push_url,
            push_allow_private: s.push_allow_private,
            sign_check: s.sign_check,
            page_trust: s.page_trust,
            origins: s.origins,
        },
        ReceptionSettings {
            reception: s.reception,
            manual_after: s.manual_after,
            offline_title: s.offline_title,
            agent_hello: s.agent_hello,
            platform: s.platform,
        },
    )
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
                // The shop's owner: also the site's admin in the console.
                role: shared::agent::Role::Admin,
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

pub async fn set_site_reception(
    db: &Db,
    sysnum: &str,
    s: ReceptionSettings,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    let update = check_reception(s)?;
    db.set_site_reception(site.id, update).await?;
    Ok(())
}

fn check_reception(s: ReceptionSettings) -> Result<crate::db::SiteReceptionUpdate, AdminError> {
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
    Ok(crate::db::SiteReceptionUpdate {
        mode: s.reception,
        manual_after: s.manual_after,
        offline_title: optional_text("offline title", s.offline_title)?,
        agent_hello: optional_text("agent hello", s.agent_hello)?,
        platform,
    })
}

/// The `settings` key of the public URL `serve` last started with: `site create` prints the
/// snippet with it when not told another.
const PUBLIC_URL_SETTING: &str = "public_url";

/// What `site create` uses when neither `--public-url` nor an earlier `serve` says.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// Remembers the public URL a `serve` started with (for the snippets `site create` prints).
pub async fn remember_public_url(db: &Db, public_url: &str) -> Result<(), AdminError> {
    if db.setting(PUBLIC_URL_SETTING).await?.as_deref() != Some(public_url) {
        db.set_setting(PUBLIC_URL_SETTING, public_url).await?;
    }
    Ok(())
}

/// The public URL for snippets: `given`, else the one `serve` last started with, else
/// [`DEFAULT_PUBLIC_URL`]; without a trailing slash.
pub async fn public_url(db: &Db, given: Option<&str>) -> Result<String, AdminError> {
    let url = match given.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => u.to_owned(),
        None => db
            .setting(PUBLIC_URL_SETTING)
            .await?
            .unwrap_or_else(|| DEFAULT_PUBLIC_URL.to_owned()),
    };
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || !url
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"\"'<>\\`".contains(&b))
    {
        return Err(AdminError::Invalid(format!(
            "public URL must be an http(s) URL: {url}"
        )));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The loader snippet a site pastes before `</body>`: seed 003's, verbatim but for the host
/// (`public_url`, an origin without a trailing slash) and the site's sysnum.
pub fn snippet(public_url: &str, sysnum: &str) -> String {
    format!(
        r#"<script>
(function (w, d, e, x) {{
w[e] = function () {{
w.cbk = w.cbk || []
w.cbk.push(arguments);
}}
x = d.createElement("script");
x.async = true;
x.id = "zhichiScript";
x.src = "{public_url}/chat/frame/v2/entrance.js?sysnum={sysnum}";
d.body.appendChild(x);
}})(window, document, "zc");
</script>"#
    )
}

/// A site as `site list` shows it (no credentials; `site show` prints those).
#[derive(Debug, Serialize)]
pub struct SiteSummary {
    pub sysnum: String,
    pub business_id: i64,
    pub name: String,
    pub appid: String,
    /// Origins allowed to embed the chat (empty: any).
    pub origins: Vec<String>,
    pub agents: usize,
}

/// Every site, oldest first.
pub async fn list_sites(db: &Db) -> Result<Vec<SiteSummary>, AdminError> {
    let mut out = Vec::new();
    for s in db.all_sites().await? {
        let agents = db.agents_of_site(s.id).await?.len();
        out.push(SiteSummary {
            sysnum: s.sysnum.to_string(),
            business_id: s.id,
            name: s.name,
            appid: s.appid,
            origins: s.origins,
            agents,
        });
    }
    Ok(out)
}

/// One site with its credentials and its snippet (`site show`).
#[derive(Debug, Serialize)]
pub struct SiteDetails {
    pub sysnum: String,
    pub business_id: i64,
    pub name: String,
    pub appid: String,
    pub secret: String,
    pub sign_key: String,
    pub sign_check: String,
    pub origins: Vec<String>,
    pub push_url: Option<String>,
    /// The chat link (seed 003 link deployment) for this site.
    pub chat_link: String,
    pub snippet: String,
}

pub async fn site_details(
    db: &Db,
    sysnum: &str,
    public_url: &str,
) -> Result<SiteDetails, AdminError> {
    let s = site_of(db, sysnum).await?;
    let sysnum = s.sysnum.to_string();
    Ok(SiteDetails {
        chat_link: format!("{public_url}/chat/h5/v2/index.html?sysnum={sysnum}"),
        snippet: snippet(public_url, &sysnum),
        sysnum,
        business_id: s.id,
        name: s.name,
        appid: s.appid,
        secret: s.secret,
        sign_key: s.sign_key,
        sign_check: s.sign_check,
        origins: s.origins,
        push_url: s.push_url,
    })
}

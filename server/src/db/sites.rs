//! Sites and what is set per site or per database.
//!
//! Owns `sites` (ids, credentials, push URL, origins, reception settings, platform link),
//! `vip_levels` and `settings` (the database's key/value settings: the demo site's names, the
//! public URL `serve` last started with, and through [`setting_or_insert`] the visitor token key
//! and the cluster id).
//!
//! Methods: `create_site`, `count_sites`, `all_sites`, `site_by_id`, `site_by_sysnum`,
//! `site_by_appid`, `site_push_url`, `update_site`, `site_reception`, `set_site_reception`,
//! `site_platform`, `linked_sites`, `put_vip_level`, `vip_levels`, `setting`, `set_setting`.
//!
//! A new site gets fresh random ids unless the operator gives the ones it had on the hosted
//! system (a site that moves keeps its `sysnum`, `business_id`, `appid`/`secret` and
//! `sign_key`, so its snippet, links and integrations keep working); a given id that another
//! site holds is refused with [`DbError::SiteTaken`] naming it. A site's push URL is read at
//! most once per [`PUSH_URL_TTL`] (every message asks).

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use shared::ids::Sysnum;

use super::rows::SITE_COLS;
use super::writer::WriteConn;
use super::{
    is_unique_violation, now_s, random_hex, Backend, Db, DbError, DbResult, Site, SiteReception,
    VipLevel,
};

/// What a new site starts with; `None` means "mint a fresh one".
#[derive(Debug, Clone, Default)]
pub struct NewSite {
    pub name: String,
    pub sysnum: Option<Sysnum>,
    /// Seed 000's `business_id` (the site's row id).
    pub business_id: Option<i64>,
    /// Seed 002's credentials; given together or not at all.
    pub appid: Option<String>,
    pub secret: Option<String>,
    pub sign_key: Option<String>,
}

/// Which of a site's unique ids clashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKey {
    Sysnum,
    BusinessId,
    Appid,
}

impl fmt::Display for SiteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SiteKey::Sysnum => "sysnum",
            SiteKey::BusinessId => "business_id",
            SiteKey::Appid => "appid",
        })
    }
}

/// Reception settings to change; `None` leaves one as it is, `Some(None)` clears a text.
#[derive(Debug, Clone, Default)]
pub struct SiteReceptionUpdate {
    pub mode: Option<i64>,
    pub manual_after: Option<i64>,
    pub offline_title: Option<Option<String>>,
    pub agent_hello: Option<Option<String>>,
    pub platform: Option<Option<String>>,
}

/// Site id → (when read, push URL).
pub(super) type PushUrls = HashMap<i64, (Instant, Option<String>)>;

/// How long a site's push URL is taken from memory before it is read again. Changes made by
/// this process apply at once; changes by another process (`frontdesk admin site set`)
/// within this time.
const PUSH_URL_TTL: Duration = Duration::from_secs(1);

/// The setting `key`, stored as `fresh` if it has none yet: on the writer's connection, so
/// every node of a database agrees on the first value written.
pub(super) async fn setting_or_insert(
    c: &mut WriteConn,
    key: &'static str,
    fresh: &str,
) -> DbResult<String> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(fresh)
        .execute(&mut *c)
        .await?;
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *c)
            .await?,
    )
}

impl Db {
    /// Creates a site with the given ids, minting the missing ones. A given id that is taken
    /// is [`DbError::SiteTaken`], also when another process took it a moment earlier.
    pub async fn create_site(&self, new: &NewSite) -> DbResult<Site> {
        if let Some(key) = self.taken_site_key(new).await? {
            return Err(DbError::SiteTaken(key));
        }
        let sysnum = new
            .sysnum
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| random_hex(16));
        let appid = new
            .appid
            .clone()
            .unwrap_or_else(|| format!("fd{}", random_hex(8)));
        let secret = new.secret.clone().unwrap_or_else(|| random_hex(16));
        let sign_key = new.sign_key.clone().unwrap_or_else(|| random_hex(16));
        let (business_id, name) = (new.business_id, new.name.clone());
        let backend = self.backend;
        let inserted = self
            .write(move |c| {
                Box::pin(async move {
                    // No business_id given: the schema picks it (an id column left out
                    // gets SQLite's next rowid, PostgreSQL's identity).
                    let sql = match business_id {
                        Some(_) => "INSERT INTO sites (id, sysnum, name, appid, secret, sign_key, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                        None => "INSERT INTO sites (sysnum, name, appid, secret, sign_key, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    };
                    let mut q = sqlx::query_scalar(sql);
                    if let Some(id) = business_id {
                        q = q.bind(id);
                    }
                    let id: i64 = q
                        .bind(sysnum)
                        .bind(name)
                        .bind(appid)
                        .bind(secret)
                        .bind(sign_key)
                        .bind(now_s())
                        .fetch_one(&mut *c)
                        .await?;
                    if business_id.is_some() && backend == Backend::Postgres {
                        // An id given at import: move the identity past it, so a later
                        // site without one never collides with it.
                        sqlx::query("SELECT setval(pg_get_serial_sequence('sites', 'id'), (SELECT MAX(id) FROM sites))")
                            .execute(&mut *c)
                            .await?;
                    }
                    Ok(id)
                })
            })
            .await;
        let id: i64 = match inserted {
            Ok(id) => id,
            Err(DbError::Sqlx(e)) if is_unique_violation(&e) => {
                // Lost a race with another creator: say which id it took.
                return Err(match self.taken_site_key(new).await? {
                    Some(key) => DbError::SiteTaken(key),
                    None => DbError::Sqlx(e),
                });
            }
            Err(e) => return Err(e),
        };
        self.site_by_id(id)
            .await?
            .ok_or_else(|| DbError::NotFound("site vanished".into()))
    }

    /// The first of `new`'s given ids that a site already has.
    async fn taken_site_key(&self, new: &NewSite) -> DbResult<Option<SiteKey>> {
        if let Some(s) = &new.sysnum {
            if self.site_by_sysnum(s.as_str()).await?.is_some() {
                return Ok(Some(SiteKey::Sysnum));
            }
        }
        if let Some(id) = new.business_id {
            if self.site_by_id(id).await?.is_some() {
                return Ok(Some(SiteKey::BusinessId));
            }
        }
        if let Some(appid) = &new.appid {
            if self.site_by_appid(appid).await?.is_some() {
                return Ok(Some(SiteKey::Appid));
            }
        }
        Ok(None)
    }

    pub async fn count_sites(&self) -> DbResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM sites")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Every site, oldest first (`frontdesk admin site list`).
    pub async fn all_sites(&self) -> DbResult<Vec<Site>> {
        Ok(
            sqlx::query_as(&format!("SELECT {SITE_COLS} FROM sites ORDER BY id"))
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn site_by_id(&self, id: i64) -> DbResult<Option<Site>> {
        Ok(
            sqlx::query_as(&format!("SELECT {SITE_COLS} FROM sites WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn site_by_sysnum(&self, sysnum: &str) -> DbResult<Option<Site>> {
        Ok(
            sqlx::query_as(&format!("SELECT {SITE_COLS} FROM sites WHERE sysnum = $1"))
                .bind(sysnum)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn site_by_appid(&self, appid: &str) -> DbResult<Option<Site>> {
        Ok(
            sqlx::query_as(&format!("SELECT {SITE_COLS} FROM sites WHERE appid = $1"))
                .bind(appid)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The site's custom push URL (`None`: no site or no push), read from the database at
    /// most once per [`PUSH_URL_TTL`]: every message asks, and almost no site changes it.
    pub async fn site_push_url(&self, site_id: i64) -> DbResult<Option<String>> {
        if let Some((at, url)) = self.push_urls.lock().expect("cache lock").get(&site_id) {
            if at.elapsed() < PUSH_URL_TTL {
                return Ok(url.clone());
            }
        }
        let url: Option<String> = sqlx::query_scalar("SELECT push_url FROM sites WHERE id = $1")
            .bind(site_id)
            .fetch_optional(&self.pool)
            .await?
            .flatten()
            .filter(|u: &String| !u.is_empty());
        self.push_urls
            .lock()
            .expect("cache lock")
            .insert(site_id, (Instant::now(), url.clone()));
        Ok(url)
    }

    /// Updates the given site settings; `None` leaves a setting unchanged.
    pub async fn update_site(
        &self,
        site_id: i64,
        push_url: Option<Option<&str>>,
        push_allow_private: Option<bool>,
        sign_check: Option<&str>,
        page_trust: Option<&str>,
        origins: Option<&str>,
    ) -> DbResult<()> {
        let push_url = push_url.map(|u| u.map(str::to_owned));
        let sign_check = sign_check.map(str::to_owned);
        let page_trust = page_trust.map(str::to_owned);
        let origins = origins.map(str::to_owned);
        self.write(move |c| {
            Box::pin(async move {
                if let Some(url) = push_url {
                    sqlx::query("UPDATE sites SET push_url = $1 WHERE id = $2")
                        .bind(url)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                if let Some(allow) = push_allow_private {
                    sqlx::query("UPDATE sites SET push_allow_private = $1 WHERE id = $2")
                        .bind(allow as i64)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                if let Some(check) = sign_check {
                    sqlx::query("UPDATE sites SET sign_check = $1 WHERE id = $2")
                        .bind(check)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                if let Some(trust) = page_trust {
                    sqlx::query("UPDATE sites SET page_trust = $1 WHERE id = $2")
                        .bind(trust)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                if let Some(origins) = origins {
                    sqlx::query("UPDATE sites SET origins = $1 WHERE id = $2")
                        .bind(origins)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                Ok(())
            })
        })
        .await?;
        self.push_urls.lock().expect("cache lock").remove(&site_id);
        Ok(())
    }

    /// The site's reception settings (defaults for an unknown site).
    pub async fn site_reception(&self, site_id: i64) -> DbResult<SiteReception> {
        let r: Option<SiteReception> = sqlx::query_as(
            "SELECT reception, manual_after, offline_title, agent_hello FROM sites WHERE id = $1",
        )
        .bind(site_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.unwrap_or_default())
    }

    /// Changes a site's reception settings (values already validated by `admin.rs`).
    pub async fn set_site_reception(&self, site_id: i64, u: SiteReceptionUpdate) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                if let Some(m) = u.mode {
                    sqlx::query("UPDATE sites SET reception = $1 WHERE id = $2")
                        .bind(m)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                if let Some(n) = u.manual_after {
                    sqlx::query("UPDATE sites SET manual_after = $1 WHERE id = $2")
                        .bind(n)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                for (col, v) in [
                    ("offline_title", u.offline_title),
                    ("agent_hello", u.agent_hello),
                    ("platform", u.platform),
                ] {
                    if let Some(v) = v {
                        sqlx::query(&format!("UPDATE sites SET {col} = $1 WHERE id = $2"))
                            .bind(v)
                            .bind(site_id)
                            .execute(&mut *c)
                            .await?;
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// The platform code a site is linked to, if any.
    pub async fn site_platform(&self, site_id: i64) -> DbResult<Option<String>> {
        Ok(
            sqlx::query_scalar::<_, Option<String>>("SELECT platform FROM sites WHERE id = $1")
                .bind(site_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// The other sites linked to the same platform as `site_id` (none when it has none).
    pub async fn linked_sites(&self, site_id: i64) -> DbResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM sites WHERE platform IS NOT NULL AND id <> $1
             AND platform = (SELECT platform FROM sites WHERE id = $1) ORDER BY id",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Adds a VIP level to a site, or changes the one with that id.
    pub async fn put_vip_level(&self, site_id: i64, level: VipLevel) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO vip_levels (site_id, level_id, name, vip_rank) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (site_id, level_id) DO UPDATE SET name = excluded.name, vip_rank = excluded.vip_rank",
                )
                .bind(site_id)
                .bind(level.level_id)
                .bind(level.name)
                .bind(level.rank)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// A site's VIP levels, highest rank first.
    pub async fn vip_levels(&self, site_id: i64) -> DbResult<Vec<VipLevel>> {
        Ok(sqlx::query_as(
            "SELECT level_id, name, vip_rank FROM vip_levels WHERE site_id = $1 ORDER BY vip_rank DESC, level_id",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn setting(&self, key: &str) -> DbResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> DbResult<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |c| Box::pin(async move {
            sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .bind(key)
                .bind(value)
                .execute(&mut *c)
                .await?;
            Ok(())
        }))
        .await
    }
}

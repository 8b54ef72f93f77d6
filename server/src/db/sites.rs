//! Creating sites. A new site gets fresh random ids unless the operator gives the ones it
//! had on the hosted system (a site that moves keeps its `sysnum`, `business_id`,
//! `appid`/`secret` and `sign_key`, so its snippet, links and integrations keep working);
//! a given id that another site holds is refused with [`DbError::SiteTaken`] naming it.

use std::fmt;

use shared::ids::Sysnum;

use super::{now_s, random_hex, Backend, Db, DbError, DbResult, Site};

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
            Err(DbError::Sqlx(e)) if super::is_unique_violation(&e) => {
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
}

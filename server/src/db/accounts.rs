//! Queries of the seed 002 account API (`compat.rs`): sites by `appid`, access tokens
//! (stored as SHA-256, per site, expiring) and setting an agent's password.

use sqlx::Row;

use super::{now_s, random_hex, site_from, token_hash, Backend, Db, DbResult, Site, SITE_COLS};

/// What an access token names, whether or not it has expired.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub site_id: i64,
    pub expires_at: i64,
}

impl AccessToken {
    pub fn expired(&self) -> bool {
        self.expires_at <= now_s()
    }
}

impl Db {
    pub async fn site_by_appid(&self, appid: &str) -> DbResult<Option<Site>> {
        let row = sqlx::query(&format!("SELECT {SITE_COLS} FROM sites WHERE appid = $1"))
            .bind(appid)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(site_from).transpose()
    }

    /// Issues an access token for a site, valid for `ttl_s` seconds, and deletes the site's
    /// tokens that expired more than a day ago (so the table does not grow without bound).
    pub async fn create_access_token(&self, site_id: i64, ttl_s: i64) -> DbResult<String> {
        let token = random_hex(32);
        let now = now_s();
        let hash = token_hash(&token);
        self.write(move |c| {
            Box::pin(async move {
        sqlx::query("DELETE FROM access_tokens WHERE site_id = $1 AND expires_at < $2")
            .bind(site_id)
            .bind(now - 86_400)
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "INSERT INTO access_tokens (token_hash, site_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(hash)
        .bind(site_id)
        .bind(now + ttl_s)
        .bind(now)
        .execute(&mut *c)
        .await?;
        Ok(())
            })
        })
        .await?;
        Ok(token)
    }

    /// The site and expiry an access token names (expired ones included, so callers can
    /// tell "expired" from "unknown").
    pub async fn access_token(&self, token: &str) -> DbResult<Option<AccessToken>> {
        let row =
            sqlx::query("SELECT site_id, expires_at FROM access_tokens WHERE token_hash = $1")
                .bind(token_hash(token))
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(r) => Some(AccessToken {
                site_id: r.try_get("site_id")?,
                expires_at: r.try_get("expires_at")?,
            }),
            None => None,
        })
    }

    /// Replaces an agent's password hash and revokes its agent tokens. False when no agent
    /// has this account.
    /// Whether an agent of a site other than `site_id` has an account `…@suffix`.
    pub async fn account_suffix_used_elsewhere(
        &self,
        site_id: i64,
        suffix: &str,
    ) -> DbResult<bool> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT COUNT(*) FROM agents WHERE site_id != $1 AND substr(account, instr(account, '@') + 1) = $2",
            Backend::Postgres => "SELECT COUNT(*) FROM agents WHERE site_id != $1 AND substr(account, strpos(account, '@') + 1) = $2",
        };
        let n: i64 = sqlx::query_scalar(sql)
            .bind(site_id)
            .bind(suffix)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    pub async fn set_agent_password(&self, account: &str, password_hash: &str) -> DbResult<bool> {
        let (account, password_hash) = (account.to_owned(), password_hash.to_owned());
        self.write(move |c| {
            Box::pin(async move {
                let id: Option<i64> = sqlx::query_scalar(
                    "UPDATE agents SET password_hash = $1 WHERE account = $2 RETURNING id",
                )
                .bind(password_hash)
                .bind(account)
                .fetch_optional(&mut *c)
                .await?;
                let Some(id) = id else {
                    return Ok(false);
                };
                sqlx::query("UPDATE agent_tokens SET revoked = 1 WHERE agent_id = $1")
                    .bind(id)
                    .execute(&mut *c)
                    .await?;
                Ok(true)
            })
        })
        .await
    }
}

//! Bearer tokens: agents' (login), visitors' (a chat identity) and sites' seed 002 access
//! tokens. Every token is minted here ([`mint`]: 32 random bytes as hex) and stored only as
//! its SHA-256 ([`token_hash`]) by [`store`]; one rule says when a token has expired
//! ([`expired`]). A visitor's pending token (minted and signed by `security::pending_token`
//! before the visitor has a row) is stored by its hash the same way when it first writes.
//!
//! Owns `agent_tokens`, `visitor_tokens` and `access_tokens`.
//!
//! Methods: `create_agent_token`, `refresh_agent_token`, `agent_token`,
//! `revoke_agent_tokens`, `create_access_token`, `access_token`, `pending_token_key`.

use super::sites::setting_or_insert;
use super::writer::WriteConn;
use super::{now_s, random_hex, token_hash, AccessToken, AgentToken, Db, DbResult};

/// Access tokens that expired longer ago than this (seconds) are deleted when the site gets a
/// new one.
const ACCESS_TOKEN_KEPT_S: i64 = 86_400;

/// Who a token is for, and so where it is stored.
pub(super) enum Holder {
    /// An agent's bearer token (`agent_tokens`), live for `ttl_s` seconds, descending from
    /// the password login at `login_at` (unix seconds).
    Agent { id: i64, ttl_s: i64, login_at: i64 },
    /// A site's seed 002 access token (`access_tokens`), live for `ttl_s` seconds.
    Site { id: i64, ttl_s: i64 },
    /// A visitor's token (`visitor_tokens`); it does not expire.
    Visitor { id: i64 },
}

/// A fresh bearer token and the hash it is stored under.
pub(super) fn mint() -> (String, String) {
    let token = random_hex(32);
    let hash = token_hash(&token);
    (token, hash)
}

/// The one expiry rule: a token issued with an expiry (unix seconds) is live while `now` is
/// before it.
pub(crate) fn expired(expires_at: i64, now: i64) -> bool {
    expires_at <= now
}

/// Stores the token hashing to `hash` for `holder`, issued at `now` (unix seconds).
pub(super) async fn store(c: &mut WriteConn, hash: &str, holder: Holder, now: i64) -> DbResult<()> {
    let q = match holder {
        Holder::Agent {
            id,
            ttl_s,
            login_at,
        } => sqlx::query(
            "INSERT INTO agent_tokens (token_hash, agent_id, expires_at, created_at, login_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(hash)
        .bind(id)
        .bind(now + ttl_s)
        .bind(now)
        .bind(login_at),
        Holder::Site { id, ttl_s } => sqlx::query(
            "INSERT INTO access_tokens (token_hash, site_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(hash)
        .bind(id)
        .bind(now + ttl_s)
        .bind(now),
        Holder::Visitor { id } => sqlx::query(
            "INSERT INTO visitor_tokens (token_hash, visitor_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(hash)
        .bind(id)
        .bind(now),
    };
    q.execute(&mut *c).await?;
    Ok(())
}

/// Mints a token for `holder` and stores it on the writer's connection; returns the token.
pub(super) async fn issue(c: &mut WriteConn, holder: Holder, now: i64) -> DbResult<String> {
    let (token, hash) = mint();
    store(c, &hash, holder, now).await?;
    Ok(token)
}

/// Revokes every live token of agent `agent_id`; returns how many there were.
pub(super) async fn revoke_agent(c: &mut WriteConn, agent_id: i64) -> DbResult<u64> {
    let r = sqlx::query("UPDATE agent_tokens SET revoked = 1 WHERE agent_id = $1 AND revoked = 0")
        .bind(agent_id)
        .execute(&mut *c)
        .await?;
    Ok(r.rows_affected())
}

impl AccessToken {
    pub fn expired(&self) -> bool {
        expired(self.expires_at, now_s())
    }
}

/// Most live tokens an agent holds: a password login beyond it revokes the oldest ones, so
/// logging in again and again (or a stolen password) cannot pile up sessions.
pub const MAX_AGENT_TOKENS: i64 = 20;
/// How long after a password login its tokens may still be refreshed (30 days); then the
/// agent logs in with the password again.
pub const MAX_AGENT_SESSION_S: i64 = 30 * 86_400;
/// How long a refreshed token stays valid after its successor was issued (requests in
/// flight on other connections), seconds.
const REFRESHED_GRACE_S: i64 = 60;

impl Db {
    /// Issues a bearer token for an agent who just gave their password, valid for `ttl_s`
    /// seconds; beyond [`MAX_AGENT_TOKENS`] live tokens the oldest are revoked.
    pub async fn create_agent_token(&self, agent_id: i64, ttl_s: i64) -> DbResult<String> {
        let (token, hash) = mint();
        let now = now_s();
        let holder = Holder::Agent {
            id: agent_id,
            ttl_s,
            login_at: now,
        };
        self.write(move |c| {
            Box::pin(async move {
                store(c, &hash, holder, now).await?;
                sqlx::query(
                    "UPDATE agent_tokens SET revoked = 1 WHERE token_hash IN (\
                     SELECT token_hash FROM agent_tokens WHERE agent_id = $1 AND revoked = 0 \
                     AND expires_at > $2 ORDER BY created_at DESC, token_hash LIMIT 1000000 OFFSET $3)",
                )
                .bind(agent_id)
                .bind(now)
                .bind(MAX_AGENT_TOKENS)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(token)
    }

    /// The token that replaces `token` (live) for another `ttl_s` seconds, with the same
    /// password login; `token` itself then stays valid only [`REFRESHED_GRACE_S`] more.
    /// `None` when `token` is not live or its login is older than [`MAX_AGENT_SESSION_S`]
    /// (the agent must give the password again).
    pub async fn refresh_agent_token(&self, token: &str, ttl_s: i64) -> DbResult<Option<String>> {
        let old = token_hash(token);
        let (fresh, hash) = mint();
        let now = now_s();
        self.write(move |c| {
            Box::pin(async move {
                let row: Option<(i64, i64, i64, i64)> = sqlx::query_as(
                    "SELECT agent_id, expires_at, login_at, created_at FROM agent_tokens \
                     WHERE token_hash = $1 AND revoked = 0",
                )
                .bind(&old)
                .fetch_optional(&mut *c)
                .await?;
                let Some((agent_id, expires_at, login_at, created_at)) = row else {
                    return Ok(None);
                };
                let login_at = if login_at == 0 { created_at } else { login_at };
                if expired(expires_at, now) || now - login_at > MAX_AGENT_SESSION_S {
                    return Ok(None);
                }
                let holder = Holder::Agent {
                    id: agent_id,
                    ttl_s,
                    login_at,
                };
                store(c, &hash, holder, now).await?;
                sqlx::query("UPDATE agent_tokens SET expires_at = $1 WHERE token_hash = $2 AND expires_at > $1")
                    .bind(now + REFRESHED_GRACE_S)
                    .bind(&old)
                    .execute(&mut *c)
                    .await?;
                Ok(Some(fresh))
            })
        })
        .await
    }

    /// The live (unexpired, unrevoked) token, if any.
    pub async fn agent_token(&self, token: &str) -> DbResult<Option<AgentToken>> {
        let now = now_s();
        let t: Option<AgentToken> = sqlx::query_as(
            "SELECT agent_id, expires_at FROM agent_tokens WHERE token_hash = $1 AND revoked = 0",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        Ok(t.filter(|t| !expired(t.expires_at, now)))
    }

    /// Revokes every token of an agent; returns how many were live.
    pub async fn revoke_agent_tokens(&self, agent_id: i64) -> DbResult<u64> {
        self.write(move |c| Box::pin(async move { revoke_agent(c, agent_id).await }))
            .await
    }

    /// Issues an access token for a site, valid for `ttl_s` seconds, and deletes the site's
    /// tokens that expired more than a day ago (so the table does not grow without bound).
    pub async fn create_access_token(&self, site_id: i64, ttl_s: i64) -> DbResult<String> {
        let (token, hash) = mint();
        let now = now_s();
        let holder = Holder::Site { id: site_id, ttl_s };
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query("DELETE FROM access_tokens WHERE site_id = $1 AND expires_at < $2")
                    .bind(site_id)
                    .bind(now - ACCESS_TOKEN_KEPT_S)
                    .execute(&mut *c)
                    .await?;
                store(c, &hash, holder, now).await
            })
        })
        .await?;
        Ok(token)
    }

    /// The site and expiry an access token names (expired ones included, so callers can
    /// tell "expired" from "unknown").
    pub async fn access_token(&self, token: &str) -> DbResult<Option<AccessToken>> {
        Ok(
            sqlx::query_as("SELECT site_id, expires_at FROM access_tokens WHERE token_hash = $1")
                .bind(token_hash(token))
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The server's key for pending visitor tokens (`security::pending_token`): created once
    /// per database (so every node agrees), then read from memory.
    pub async fn pending_token_key(&self) -> DbResult<String> {
        let key = self
            .token_key
            .get_or_try_init(|| async {
                let fresh = random_hex(32);
                self.write(move |c| {
                    Box::pin(async move { setting_or_insert(c, "visitor_token_key", &fresh).await })
                })
                .await
            })
            .await?;
        Ok(key.clone())
    }
}

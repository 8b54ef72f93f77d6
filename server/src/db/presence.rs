//! Presence and invitations (issue 10's `invite_flag`, shared by every node since issue 7):
//! who is on which site now, one `presence` row per visitor token (by its hash), renewed by
//! the notifier's long polls, and the invitation an agent left for that visitor until a poll
//! takes it. Every node reads and writes the same rows, so an agent on any node lists the
//! visitors polling on any other, and an invitation reaches whichever node holds (or next
//! receives) the visitor's poll. Portable SQL (`$n` parameters, integer/text columns).
//!
//! Owns `presence`.
//!
//! Methods: `renew_presence`, `presence_of`, `presence_invite`, `invite_present`,
//! `take_presence_invite`, `present_on_site`, `sweep_presence`.

use super::{Db, DbResult, PresenceRow};

/// What one poll reports (already validated and bounded by the caller).
#[derive(Debug, Clone)]
pub struct PresenceRenewal {
    pub site_id: i64,
    pub token_hash: String,
    pub visitor_id: Option<i64>,
    pub url: String,
    pub title: String,
    /// The `vid` the row gets if it is new or was stale.
    pub fresh_vid: String,
    pub now: i64,
    /// Rows renewed before this (ms) are stale: they start over (new `vid` and `since`, no
    /// invitation), as if the visitor had just arrived.
    pub stale_before: i64,
}

const COLS: &str = "id, vid, visitor_id, url, title, since, renewed_at, invite";

impl Db {
    /// The presence row of the visitor token hashing to `token_hash` on `site_id`, stale or
    /// not.
    pub async fn presence_of(
        &self,
        site_id: i64,
        token_hash: &str,
    ) -> DbResult<Option<PresenceRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLS} FROM presence WHERE site_id = $1 AND token_hash = $2"
        ))
        .bind(site_id)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The invitation waiting in presence row `id`, if any.
    pub async fn presence_invite(&self, id: i64) -> DbResult<Option<String>> {
        let invite: Option<Option<String>> =
            sqlx::query_scalar("SELECT invite FROM presence WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(invite.flatten())
    }

    /// Inserts or renews the visitor's presence row; returns its id. A new page restarts
    /// `since`; a stale row starts over.
    pub async fn renew_presence(&self, p: PresenceRenewal) -> DbResult<i64> {
        self.write(move |c| {
            Box::pin(async move {
                Ok(sqlx::query_scalar(
                    "INSERT INTO presence
                       (site_id, token_hash, vid, visitor_id, url, title, since, renewed_at, invite)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, NULL)
                     ON CONFLICT (site_id, token_hash) DO UPDATE SET
                       vid = CASE WHEN presence.renewed_at < $8 THEN excluded.vid
                                  ELSE presence.vid END,
                       since = CASE WHEN presence.renewed_at < $8 OR presence.url <> excluded.url
                                    THEN excluded.since ELSE presence.since END,
                       invite = CASE WHEN presence.renewed_at < $8 THEN NULL
                                     ELSE presence.invite END,
                       visitor_id = excluded.visitor_id,
                       url = excluded.url,
                       title = excluded.title,
                       renewed_at = excluded.renewed_at
                     RETURNING id",
                )
                .bind(p.site_id)
                .bind(&p.token_hash)
                .bind(&p.fresh_vid)
                .bind(p.visitor_id)
                .bind(&p.url)
                .bind(&p.title)
                .bind(p.now)
                .bind(p.stale_before)
                .fetch_one(&mut *c)
                .await?)
            })
        })
        .await
    }

    /// Takes the invitation `text` out of presence row `id`: `true` for exactly one caller
    /// (on any node) per invitation; `false` when another poll took it first or it changed.
    pub async fn take_presence_invite(&self, id: i64, text: String) -> DbResult<bool> {
        self.write(move |c| {
            Box::pin(async move {
                let n =
                    sqlx::query("UPDATE presence SET invite = NULL WHERE id = $1 AND invite = $2")
                        .bind(id)
                        .bind(&text)
                        .execute(&mut *c)
                        .await?
                        .rows_affected();
                Ok(n == 1)
            })
        })
        .await
    }

    /// Leaves invitation `text` for the visitor `vid` of `site_id` if they are on the site
    /// (renewed at or after `fresh_since` ms); returns their presence row id, or `None` when
    /// they are not. A newer invitation replaces one not yet delivered.
    pub async fn invite_present(
        &self,
        site_id: i64,
        vid: String,
        text: String,
        fresh_since: i64,
    ) -> DbResult<Option<i64>> {
        self.write(move |c| {
            Box::pin(async move {
                let id: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM presence WHERE site_id = $1 AND vid = $2 AND renewed_at >= $3",
                )
                .bind(site_id)
                .bind(&vid)
                .bind(fresh_since)
                .fetch_optional(&mut *c)
                .await?;
                if let Some(id) = id {
                    sqlx::query("UPDATE presence SET invite = $1 WHERE id = $2")
                        .bind(&text)
                        .bind(id)
                        .execute(&mut *c)
                        .await?;
                }
                Ok(id)
            })
        })
        .await
    }

    /// Who is on `site_id` now (renewed at or after `fresh_since` ms), newest page first, at
    /// most `limit`.
    pub async fn present_on_site(
        &self,
        site_id: i64,
        fresh_since: i64,
        limit: i64,
    ) -> DbResult<Vec<PresenceRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLS} FROM presence WHERE site_id = $1 AND renewed_at >= $2
             ORDER BY since DESC, id DESC LIMIT $3"
        ))
        .bind(site_id)
        .bind(fresh_since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Deletes presence rows renewed before `stale_before` ms (their visitors left; an
    /// undelivered invitation goes with them); returns how many.
    pub async fn sweep_presence(&self, stale_before: i64) -> DbResult<u64> {
        self.write(move |c| {
            Box::pin(async move {
                Ok(sqlx::query("DELETE FROM presence WHERE renewed_at < $1")
                    .bind(stale_before)
                    .execute(&mut *c)
                    .await?
                    .rows_affected())
            })
        })
        .await
    }
}

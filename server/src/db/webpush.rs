//! Web push to agents' browsers (issue 27 item 6, `crate::webpush`): their subscriptions and
//! the outbox of notifications to them, leased like the seed 000 outbox (`push.rs`) so that
//! with several nodes each notification is sent by one of them. A delivered notification's
//! row is deleted (the outbox holds what is owed, and failures for the operator to read);
//! forgetting a subscription deletes what was still owed to it. The VAPID key pair is one
//! `settings` row (`webpush_vapid_pkcs8`), written once by whichever node starts first.
//!
//! Owns `webpush_subscriptions`, `webpush_deliveries` and the `webpush_vapid_pkcs8` setting.
//!
//! Methods: `webpush_vapid_key`, `add_webpush_subscription`, `delete_webpush_subscription`,
//! `drop_webpush_subscription`, `webpush_subscriptions_of`, `webpush_subscription`,
//! `webpush_subscribers`, `enqueue_webpush`, `lease_webpushes`, `record_webpush_attempt`, `next_webpush_due`,
//! `webpush_deliveries_of`.

use super::sites::setting_or_insert;
use super::writer::WriteConn;
use super::{now_ms, AttemptResult, Db, DbResult};

/// One browser's push subscription of an agent.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebpushSubscription {
    pub id: i64,
    pub agent_id: i64,
    pub endpoint: String,
    /// The browser's P-256 public key, unpadded base64url (as the browser sent it).
    pub p256dh: String,
    /// Its 16-byte authentication secret, unpadded base64url.
    pub auth: String,
    pub created_at: i64,
}

/// A notification owed to a subscription.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebpushDelivery {
    pub id: i64,
    pub subscription_id: i64,
    /// The JSON notice (`shared::webpush::Notice`), encrypted at each attempt.
    pub payload: String,
    /// `pending`, `failed` (gave up or refused by the push service) or `refused` (the
    /// endpoint's address is not allowed; nothing was sent).
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
}

const SUB_COLS: &str = "id, agent_id, endpoint, p256dh, auth, created_at";
const DELIVERY_COLS: &str =
    "id, subscription_id, payload, state, attempts, next_attempt_at, last_status, last_error";

/// Deletes subscription `id` and whatever is still owed to it.
async fn drop_subscription(c: &mut WriteConn, id: i64) -> DbResult<u64> {
    sqlx::query("DELETE FROM webpush_deliveries WHERE subscription_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(
        sqlx::query("DELETE FROM webpush_subscriptions WHERE id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?
            .rows_affected(),
    )
}

impl Db {
    /// The VAPID key pair (PKCS#8, base64url): the stored one, or `fresh` stored now when
    /// there is none yet (the first node to ask wins; every node then reads the same).
    pub async fn webpush_vapid_key(&self, fresh: String) -> DbResult<String> {
        self.write(move |c| {
            Box::pin(async move { setting_or_insert(c, "webpush_vapid_pkcs8", &fresh).await })
        })
        .await
    }

    /// Stores a subscription of `agent_id` (an endpoint stored before, for this or another
    /// agent of this browser, is replaced) and keeps the agent's newest `max`: older ones are
    /// dropped. Returns how many the agent has now.
    pub async fn add_webpush_subscription(
        &self,
        agent_id: i64,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        max: usize,
    ) -> DbResult<u32> {
        let (endpoint, p256dh, auth) = (endpoint.to_owned(), p256dh.to_owned(), auth.to_owned());
        let now = now_ms();
        self.write(move |c| {
            Box::pin(async move {
                let old: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM webpush_subscriptions WHERE endpoint = $1")
                        .bind(&endpoint)
                        .fetch_optional(&mut *c)
                        .await?;
                if let Some(id) = old {
                    drop_subscription(c, id).await?;
                }
                sqlx::query(
                    "INSERT INTO webpush_subscriptions (agent_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(agent_id)
                .bind(&endpoint)
                .bind(&p256dh)
                .bind(&auth)
                .bind(now)
                .execute(&mut *c)
                .await?;
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM webpush_subscriptions WHERE agent_id = $1 ORDER BY created_at DESC, id DESC",
                )
                .bind(agent_id)
                .fetch_all(&mut *c)
                .await?;
                for id in ids.iter().skip(max) {
                    drop_subscription(c, *id).await?;
                }
                Ok(ids.len().min(max) as u32)
            })
        })
        .await
    }

    /// Forgets `agent_id`'s subscription with this endpoint; `false` when it had none.
    pub async fn delete_webpush_subscription(
        &self,
        agent_id: i64,
        endpoint: &str,
    ) -> DbResult<bool> {
        let endpoint = endpoint.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let id: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM webpush_subscriptions WHERE agent_id = $1 AND endpoint = $2",
                )
                .bind(agent_id)
                .bind(&endpoint)
                .fetch_optional(&mut *c)
                .await?;
                match id {
                    Some(id) => Ok(drop_subscription(c, id).await? > 0),
                    None => Ok(false),
                }
            })
        })
        .await
    }

    /// Forgets subscription `id` (its push service said it is gone: 404/410).
    pub async fn drop_webpush_subscription(&self, id: i64) -> DbResult<()> {
        self.write(move |c| Box::pin(async move { drop_subscription(c, id).await.map(|_| ()) }))
            .await
    }

    /// An agent's subscriptions, oldest first.
    pub async fn webpush_subscriptions_of(
        &self,
        agent_id: i64,
    ) -> DbResult<Vec<WebpushSubscription>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUB_COLS} FROM webpush_subscriptions WHERE agent_id = $1 ORDER BY created_at, id"
        ))
        .bind(agent_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn webpush_subscription(&self, id: i64) -> DbResult<Option<WebpushSubscription>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUB_COLS} FROM webpush_subscriptions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The enabled agents of site `site_id` that have a subscription.
    pub async fn webpush_subscribers(&self, site_id: i64) -> DbResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT s.agent_id FROM webpush_subscriptions s JOIN agents a ON a.id = s.agent_id
             WHERE a.site_id = $1 AND a.disabled = 0 ORDER BY s.agent_id",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Queues `payload` for every subscription of each agent in `agent_ids`, due now.
    /// Returns how many notifications were queued.
    pub async fn enqueue_webpush(&self, agent_ids: &[i64], payload: &str) -> DbResult<u64> {
        let (agent_ids, payload) = (agent_ids.to_vec(), payload.to_owned());
        let now = now_ms();
        self.write(move |c| {
            Box::pin(async move {
                let mut n = 0;
                for a in agent_ids {
                    n += sqlx::query(
                        "INSERT INTO webpush_deliveries (subscription_id, payload, next_attempt_at, created_at)
                         SELECT id, $1, $2, $3 FROM webpush_subscriptions WHERE agent_id = $4",
                    )
                    .bind(&payload)
                    .bind(now)
                    .bind(now)
                    .bind(a)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                }
                Ok(n)
            })
        })
        .await
    }

    /// Takes up to `limit` pending notifications due at `now_ms` whose lease is free or ran
    /// out, leasing them to `holder` until `now_ms + lease_ms` (as `lease_pushes` does).
    pub async fn lease_webpushes(
        &self,
        holder: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> DbResult<Vec<WebpushDelivery>> {
        let sql = super::push::lease_sql(self.backend, "webpush_deliveries", DELIVERY_COLS);
        let holder = holder.to_owned();
        let mut leased = self
            .write(move |c| {
                Box::pin(async move {
                    Ok(sqlx::query_as::<_, WebpushDelivery>(&sql)
                        .bind(holder)
                        .bind(now_ms + lease_ms)
                        .bind(now_ms)
                        .bind(limit)
                        .fetch_all(&mut *c)
                        .await?)
                })
            })
            .await?;
        leased.sort_by_key(|d| (d.next_attempt_at, d.id));
        Ok(leased)
    }

    /// Moves notification `id` on after attempt number `attempt`: `delivered` deletes it,
    /// `retry` keeps it pending until `next_attempt_at`, `failed`/`refused` keep it as
    /// such, without its text. Ends the lease.
    pub async fn record_webpush_attempt(
        &self,
        id: i64,
        attempt: i64,
        r: &AttemptResult,
    ) -> DbResult<()> {
        let (outcome, status, error, next) =
            (r.outcome, r.status, r.error.clone(), r.next_attempt_at);
        self.write(move |c| {
            Box::pin(async move {
                if outcome == "delivered" {
                    sqlx::query("DELETE FROM webpush_deliveries WHERE id = $1")
                        .bind(id)
                        .execute(&mut *c)
                        .await?;
                    return Ok(());
                }
                let state = if outcome == "retry" { "pending" } else { outcome };
                // A notice that will never be sent keeps no visitor text (it quotes the
                // visitor's first message): only its outcome stays, for the log.
                sqlx::query(
                    "UPDATE webpush_deliveries SET state = $1, attempts = $2, next_attempt_at = $3, last_status = $4,
                     last_error = $5, lease_holder = NULL, lease_until = NULL,
                     payload = CASE WHEN $1 = 'pending' THEN payload ELSE '{}' END WHERE id = $6",
                )
                .bind(state)
                .bind(attempt)
                .bind(next)
                .bind(status)
                .bind(error.as_deref())
                .bind(id)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// When the next pending notification is due (unix milliseconds), if any.
    pub async fn next_webpush_due(&self) -> DbResult<Option<i64>> {
        Ok(
            sqlx::query_scalar::<_, Option<i64>>(&super::push::next_due_sql("webpush_deliveries"))
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// What is still owed to (or failed for) an agent's subscriptions, oldest first.
    pub async fn webpush_deliveries_of(&self, agent_id: i64) -> DbResult<Vec<WebpushDelivery>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {} FROM webpush_deliveries d JOIN webpush_subscriptions s ON s.id = d.subscription_id
             WHERE s.agent_id = $1 ORDER BY d.id",
            DELIVERY_COLS
                .split(", ")
                .map(|c| format!("d.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(agent_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

//! The push outbox and delivery log (seed 000 custom push URL): `push_deliveries` holds one
//! row per message or left message to push ([`PushOf`]), `push_attempts` every attempt's
//! outcome.
//!
//! Leasing: a push worker takes due rows with [`Db::lease_pushes`], which marks them
//! (`lease_holder`, `lease_until`) in one write, so with several server processes on one
//! database each row is taken by one of them (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so two
//! nodes leasing at once skip each other's rows instead of waiting; SQLite: the write lock
//! makes the statement atomic). A lease that runs out (its holder died mid-attempt) makes the
//! row due again; recording the attempt ends the lease.
//!
//! Owns `push_deliveries` and `push_attempts`.
//!
//! Methods: `enqueue_push`, `lease_pushes`, `release_push_leases`, `record_push_attempt`,
//! `next_push_due`, `due_pushes`, `push_deliveries_of_site`, `push_attempts`.

use super::{now_ms, Backend, Db, DbResult, PushAttempt, PushDelivery};

/// What a delivery pushes: a stored message or a left message (issue 24), each at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOf {
    Message(i64),
    Left(i64),
}

/// The outcome of one attempt, to record.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    /// `delivered`, `retry`, `failed` or `refused`.
    pub outcome: &'static str,
    pub status: Option<i64>,
    pub error: Option<String>,
    /// For `retry`: when to try again (unix milliseconds).
    pub next_attempt_at: i64,
}

/// The statement that leases up to `$4` pending rows of the outbox `table` due at `$3`
/// whose lease is free or ran out, oldest first, to holder `$1` until `$2`, and returns their
/// `cols`. On PostgreSQL the rows are locked with `SKIP LOCKED`, so two nodes leasing at once
/// skip each other's rows; on SQLite the write lock makes it atomic. The seed 000 outbox's
/// and web push's (`db/webpush.rs`).
pub(super) fn lease_sql(backend: Backend, table: &str, cols: &str) -> String {
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    format!(
        "UPDATE {table} SET lease_holder = $1, lease_until = $2 WHERE id IN (
           SELECT id FROM {table} WHERE state = 'pending' AND next_attempt_at <= $3
           AND (lease_until IS NULL OR lease_until <= $3) ORDER BY next_attempt_at, id LIMIT $4{lock})
         RETURNING {cols}"
    )
}

/// When the outbox `table`'s next pending row is due: its next attempt, or later while
/// another holder's lease on it runs.
pub(super) fn next_due_sql(table: &str) -> String {
    format!(
        "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END)
         FROM {table} WHERE state = 'pending'"
    )
}

const DELIVERY_COLS: &str = "id, message_id, left_id, site_id, url, payload, state, attempts, next_attempt_at, last_status, last_error, delivered_at";

impl Db {
    /// Queues a push of `of`, due now. A message or left message is queued at most once.
    pub async fn enqueue_push(
        &self,
        of: PushOf,
        site_id: i64,
        url: &str,
        payload: &str,
    ) -> DbResult<()> {
        let now = now_ms();
        let (column, id) = match of {
            PushOf::Message(id) => ("message_id", id),
            PushOf::Left(id) => ("left_id", id),
        };
        let sql = format!(
            "INSERT INTO push_deliveries ({column}, site_id, url, payload, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT({column}) DO NOTHING"
        );
        let (url, payload) = (url.to_owned(), payload.to_owned());
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(&sql)
                    .bind(id)
                    .bind(site_id)
                    .bind(url)
                    .bind(payload)
                    .bind(now)
                    .bind(now)
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Pending deliveries due at `now_ms`, oldest first, at most `limit`.
    pub async fn due_pushes(&self, now_ms: i64, limit: i64) -> DbResult<Vec<PushDelivery>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLS} FROM push_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Takes up to `limit` pending deliveries due at `now_ms` whose lease is free or ran out,
    /// oldest first, leasing them to `holder` until `now_ms + lease_ms`. A row is leased by
    /// one caller at a time, across processes.
    pub async fn lease_pushes(
        &self,
        holder: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> DbResult<Vec<PushDelivery>> {
        let sql = lease_sql(self.backend, "push_deliveries", DELIVERY_COLS);
        let holder = holder.to_owned();
        let mut leased = self
            .write(move |c| {
                Box::pin(async move {
                    Ok(sqlx::query_as::<_, PushDelivery>(&sql)
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

    /// Gives back leases of `holder` it did not use (the rows are due again at once).
    pub async fn release_push_leases(&self, holder: &str, ids: &[i64]) -> DbResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let (holder, ids) = (holder.to_owned(), ids.to_vec());
        self.write(move |c| {
            Box::pin(async move {
                for id in ids {
                    sqlx::query("UPDATE push_deliveries SET lease_holder = NULL, lease_until = NULL WHERE id = $1 AND lease_holder = $2")
                        .bind(id)
                        .bind(&holder)
                        .execute(&mut *c)
                        .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// When the next pending delivery is due (unix milliseconds), if any: its next attempt,
    /// or later while another holder's lease on it runs.
    pub async fn next_push_due(&self) -> DbResult<Option<i64>> {
        Ok(
            sqlx::query_scalar::<_, Option<i64>>(&next_due_sql("push_deliveries"))
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Logs attempt number `attempt` of delivery `id` and moves the delivery on: `retry`
    /// keeps it pending until `next_attempt_at`, the other outcomes are final. Ends the lease.
    pub async fn record_push_attempt(
        &self,
        id: i64,
        attempt: i64,
        r: &AttemptResult,
    ) -> DbResult<()> {
        let now = now_ms();
        let state = match r.outcome {
            "retry" => "pending",
            other => other,
        };
        let (outcome, status, error, next) =
            (r.outcome, r.status, r.error.clone(), r.next_attempt_at);
        self.write(move |c| {
            Box::pin(async move {
        sqlx::query(
            "UPDATE push_deliveries SET state = $1, attempts = $2, next_attempt_at = $3, last_status = $4, last_error = $5, delivered_at = $6,
             lease_holder = NULL, lease_until = NULL WHERE id = $7",
        )
        .bind(state)
        .bind(attempt)
        .bind(next)
        .bind(status)
        .bind(error.as_deref())
        .bind((outcome == "delivered").then_some(now))
        .bind(id)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "INSERT INTO push_attempts (delivery_id, attempt, at, outcome, status, error) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(attempt)
        .bind(now)
        .bind(outcome)
        .bind(status)
        .bind(error.as_deref())
        .execute(&mut *c)
        .await?;
        Ok(())
            })
        })
        .await
    }

    /// The delivery log of a site, oldest first.
    pub async fn push_deliveries_of_site(&self, site_id: i64) -> DbResult<Vec<PushDelivery>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLS} FROM push_deliveries WHERE site_id = $1 ORDER BY id"
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every logged attempt of a delivery, in order.
    pub async fn push_attempts(&self, delivery_id: i64) -> DbResult<Vec<PushAttempt>> {
        Ok(sqlx::query_as(
            "SELECT attempt, at, outcome, status, error FROM push_attempts WHERE delivery_id = $1 ORDER BY attempt, id",
        )
        .bind(delivery_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

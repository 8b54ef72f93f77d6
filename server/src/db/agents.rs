//! Agent administration and hand-over queries: enabling/disabling agents and groups, revoking
//! tokens, and moving a visitor from one agent to another.

use super::{Db, DbResult};

impl Db {
    /// Disables or re-enables an agent. A disabled agent cannot log in (`-31003`) and its open
    /// sockets are closed at their next check. Returns false when no such account exists.
    pub async fn set_agent_disabled(&self, account: &str, disabled: bool) -> DbResult<bool> {
        let account = account.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let r = sqlx::query("UPDATE agents SET disabled = $1 WHERE account = $2")
                    .bind(disabled as i64)
                    .bind(account)
                    .execute(&mut *c)
                    .await?;
                Ok(r.rows_affected() == 1)
            })
        })
        .await
    }

    /// Revokes every token of an agent; returns how many were live.
    pub async fn revoke_agent_tokens(&self, agent_id: i64) -> DbResult<u64> {
        self.write(move |c| {
            Box::pin(async move {
                let r = sqlx::query(
                    "UPDATE agent_tokens SET revoked = 1 WHERE agent_id = $1 AND revoked = 0",
                )
                .bind(agent_id)
                .execute(&mut *c)
                .await?;
                Ok(r.rows_affected())
            })
        })
        .await
    }

    /// Disables or re-enables a group of a site. Returns false when the site has no such group.
    pub async fn set_group_disabled(
        &self,
        site_id: i64,
        group_id: i64,
        disabled: bool,
    ) -> DbResult<bool> {
        self.write(move |c| {
            Box::pin(async move {
                let r = sqlx::query(
                    "UPDATE agent_groups SET disabled = $1 WHERE id = $2 AND site_id = $3",
                )
                .bind(disabled as i64)
                .bind(group_id)
                .bind(site_id)
                .execute(&mut *c)
                .await?;
                Ok(r.rows_affected() == 1)
            })
        })
        .await
    }

    /// Hands a visitor to `to_agent` if `from_agent` serves them (or nobody does yet).
    /// False when someone else serves the visitor.
    pub async fn transfer_visitor(
        &self,
        visitor_id: i64,
        from_agent: i64,
        to_agent: i64,
    ) -> DbResult<bool> {
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let r = sqlx::query(
                    "UPDATE visitors SET agent_id = $1, waiting_since = NULL WHERE id = $2 AND (agent_id = $3 OR agent_id IS NULL)",
                )
                .bind(to_agent)
                .bind(visitor_id)
                .bind(from_agent)
                .execute(&mut *c)
                .await?;
                Ok(r.rows_affected() == 1)
            })
        })
        .await
    }
}

//! Leave a message (issue 24): a site's forms and what visitors left. JSON columns are
//! stored and read as text; `crate::leave` reads and writes them.
//!
//! Owns `leave_templates` and `left_messages`.
//!
//! Methods: `create_leave_template`, `leave_templates`, `leave_template`,
//! `insert_left_message`, `left_messages`, `visitor_left_messages`, `open_left_messages`, `left_message`,
//! `answer_left_message`, `set_left_message_done`.

use super::{now_ms, Db, DbResult, LeaveTemplateRow, LeftRow};

const TEMPLATE_COLS: &str = "id, site_id, templateid, name, fields";
/// The columns of [`LeftRow`] from `left_messages l`, its visitor `v` and answering agent `a`.
const LEFT_SELECT: &str = "SELECT l.id, l.site_id, l.visitor_id, l.templateid, l.group_id, l.source, l.content, l.fields,
        l.answer, a.nick AS answered_by, l.answered_at, l.done_at, l.created_at,
        v.uname, COALESCE(v.partnerid, v.claimed_partnerid) AS partnerid
     FROM left_messages l JOIN visitors v ON v.id = l.visitor_id LEFT JOIN agents a ON a.id = l.answered_by";

/// A message to leave (validated by `crate::leave`).
#[derive(Debug, Clone)]
pub struct NewLeft {
    pub site_id: i64,
    pub visitor_id: i64,
    pub templateid: i64,
    pub group_id: Option<i64>,
    pub source: String,
    pub content: String,
    /// JSON array of `shared::leave::FieldValue`.
    pub fields: String,
}

impl Db {
    /// A new form of `site_id`, numbered after the site's last one.
    pub async fn create_leave_template(
        &self,
        site_id: i64,
        name: &str,
        fields: &str,
    ) -> DbResult<LeaveTemplateRow> {
        let (name, fields) = (name.to_owned(), fields.to_owned());
        self.write(move |c| {
            Box::pin(async move {
                let max: Option<i64> = sqlx::query_scalar(
                    "SELECT MAX(templateid) FROM leave_templates WHERE site_id = $1",
                )
                .bind(site_id)
                .fetch_one(&mut *c)
                .await?;
                Ok(sqlx::query_as(&format!(
                    "INSERT INTO leave_templates (site_id, templateid, name, fields, created_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING {TEMPLATE_COLS}"
                ))
                .bind(site_id)
                .bind(max.unwrap_or(0) + 1)
                .bind(&name)
                .bind(&fields)
                .bind(now_ms())
                .fetch_one(&mut *c)
                .await?)
            })
        })
        .await
    }

    pub async fn leave_templates(&self, site_id: i64) -> DbResult<Vec<LeaveTemplateRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {TEMPLATE_COLS} FROM leave_templates WHERE site_id = $1 ORDER BY templateid"
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn leave_template(
        &self,
        site_id: i64,
        templateid: i64,
    ) -> DbResult<Option<LeaveTemplateRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {TEMPLATE_COLS} FROM leave_templates WHERE site_id = $1 AND templateid = $2"
        ))
        .bind(site_id)
        .bind(templateid)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Stores `m` unless its site already has `max_open` open messages (then `None`).
    pub async fn insert_left_message(&self, m: NewLeft, max_open: i64) -> DbResult<Option<i64>> {
        self.write(move |c| {
            Box::pin(async move {
                let open: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM left_messages WHERE site_id = $1 AND done_at IS NULL",
                )
                .bind(m.site_id)
                .fetch_one(&mut *c)
                .await?;
                if open >= max_open {
                    return Ok(None);
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO left_messages (site_id, visitor_id, templateid, group_id, source, content, fields, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(m.site_id)
                .bind(m.visitor_id)
                .bind(m.templateid)
                .bind(m.group_id)
                .bind(&m.source)
                .bind(&m.content)
                .bind(&m.fields)
                .bind(now_ms())
                .fetch_one(&mut *c)
                .await?;
                Ok(Some(id))
            })
        })
        .await
    }

    /// `site_id`'s left messages, newest first: open ones (`done` false), done ones, or all.
    pub async fn left_messages(
        &self,
        site_id: i64,
        done: Option<bool>,
        limit: i64,
        offset: i64,
    ) -> DbResult<Vec<LeftRow>> {
        let which = match done {
            None => "",
            Some(false) => " AND l.done_at IS NULL",
            Some(true) => " AND l.done_at IS NOT NULL",
        };
        Ok(sqlx::query_as(&format!(
            "{LEFT_SELECT} WHERE l.site_id = $1{which} ORDER BY l.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(site_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Everything visitor `visitor_id` left, oldest first (their data export).
    pub async fn visitor_left_messages(&self, visitor_id: i64) -> DbResult<Vec<LeftRow>> {
        Ok(sqlx::query_as(&format!(
            "{LEFT_SELECT} WHERE l.visitor_id = $1 ORDER BY l.id"
        ))
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many of `site_id`'s left messages are open.
    pub async fn open_left_messages(&self, site_id: i64) -> DbResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM left_messages WHERE site_id = $1 AND done_at IS NULL",
        )
        .bind(site_id)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn left_message(&self, site_id: i64, id: i64) -> DbResult<Option<LeftRow>> {
        Ok(
            sqlx::query_as(&format!("{LEFT_SELECT} WHERE l.site_id = $1 AND l.id = $2"))
                .bind(site_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Agent `agent_id`'s answer to left message `id` of `site_id` (which is then done);
    /// false when there is no such message.
    pub async fn answer_left_message(
        &self,
        site_id: i64,
        id: i64,
        agent_id: i64,
        answer: &str,
    ) -> DbResult<bool> {
        let answer = answer.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let now = now_ms();
                let r = sqlx::query(
                    "UPDATE left_messages SET answer = $1, answered_by = $2, answered_at = $3,
                       done_at = COALESCE(done_at, $3) WHERE site_id = $4 AND id = $5",
                )
                .bind(&answer)
                .bind(agent_id)
                .bind(now)
                .bind(site_id)
                .bind(id)
                .execute(&mut *c)
                .await?;
                Ok(r.rows_affected() > 0)
            })
        })
        .await
    }

    /// Left message `id` of `site_id` done, or open again; false when there is none.
    pub async fn set_left_message_done(&self, site_id: i64, id: i64, done: bool) -> DbResult<bool> {
        self.write(move |c| {
            Box::pin(async move {
                let r = sqlx::query(
                    "UPDATE left_messages SET done_at = CASE WHEN $1 = 1 THEN COALESCE(done_at, $2) ELSE NULL END
                     WHERE site_id = $3 AND id = $4",
                )
                .bind(i64::from(done))
                .bind(now_ms())
                .bind(site_id)
                .bind(id)
                .execute(&mut *c)
                .await?;
                Ok(r.rows_affected() > 0)
            })
        })
        .await
    }
}

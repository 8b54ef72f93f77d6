//! The visitor's reception state (issue 11), on the visitor row so every tab on every node
//! shares it (migration `0012_reception`): who answers now (`answerer`, robot or human; NULL
//! means human, as before reception existed), how often the robot did not know the answer
//! (`robot_misses`, for `show_manual`), and the reception values the server needs after the
//! hello (`reception`, the JSON of [`ReceptionValues`]). Robot messages are ordinary messages
//! of the conversation (author `robot`, the robot's name in `nick`), stored by
//! `messages.rs`'s `insert_robot_message`. Every write goes through the writer.
//!
//! Owns these columns of `visitors`: `answerer`, `robot_misses`, `reception`.
//!
//! Methods: `reception_state`, `start_reception`, `set_answerer`, `robot_missed`.

use serde::{Deserialize, Serialize};
use shared::reception::Answerer;

use super::{Db, DbError, DbResult, ReceptionState};

/// What the server keeps of a visitor's reception (the effective values: the hello's, else
/// the site's), as JSON in `visitors.reception`. Unknown keys are ignored and missing ones
/// take their defaults, so the shape can grow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceptionValues {
    /// The effective `type` (1–4).
    #[serde(default)]
    pub mode: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robotid: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faqid: Option<i64>,
    /// `show_manual`: the hand-over control only after the robot missed often enough.
    #[serde(default)]
    pub show_manual: bool,
    /// `agent_hello_word` (the site's `agent_hello` applies when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_hello: Option<String>,
    /// `agent_offline_title` (the site's `offline_title` applies when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_title: Option<String>,
    /// `cn`, `en` or `tw`.
    #[serde(default)]
    pub locale: String,
}

fn answerer_str(a: Answerer) -> &'static str {
    match a {
        Answerer::Robot => "robot",
        Answerer::Human => "human",
    }
}

const COLS: &str = "answerer, robot_misses, reception";

impl Db {
    /// The reception state of visitor `visitor_id` (`None`: no such visitor).
    pub async fn reception_state(&self, visitor_id: i64) -> DbResult<Option<ReceptionState>> {
        Ok(
            sqlx::query_as(&format!("SELECT {COLS} FROM visitors WHERE id = $1"))
                .bind(visitor_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// At a session's start: stores the effective reception `values` and who answers —
    /// `answerer` when `force` or when nobody was set yet (a hand-over already made stays).
    /// One write; returns the state as it is now (`None`: no such visitor).
    pub async fn start_reception(
        &self,
        visitor_id: i64,
        values: &ReceptionValues,
        answerer: Answerer,
        force: bool,
    ) -> DbResult<Option<ReceptionState>> {
        let json = serde_json::to_string(values).map_err(|e| DbError::Corrupt(e.to_string()))?;
        let a = answerer_str(answerer);
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                Ok(sqlx::query_as(&format!(
                    "UPDATE visitors SET reception = $1,
                     answerer = CASE WHEN $2 = 1 OR answerer IS NULL THEN $3 ELSE answerer END
                     WHERE id = $4 RETURNING {COLS}"
                ))
                .bind(json)
                .bind(force as i64)
                .bind(a)
                .bind(visitor_id)
                .fetch_optional(&mut *c)
                .await?)
            })
        })
        .await
    }

    /// Sets who answers; `true` when that changed it (so a hand-over requested from two tabs
    /// at once happens once).
    pub async fn set_answerer(&self, visitor_id: i64, answerer: Answerer) -> DbResult<bool> {
        let a = answerer_str(answerer);
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let done = sqlx::query(
                    "UPDATE visitors SET answerer = $1 WHERE id = $2 AND (answerer IS NULL OR answerer <> $1)",
                )
                .bind(a)
                .bind(visitor_id)
                .execute(&mut *c)
                .await?;
                Ok(done.rows_affected() > 0)
            })
        })
        .await
    }

    /// The robot did not know an answer: counts it and returns the new count.
    pub async fn robot_missed(&self, visitor_id: i64) -> DbResult<i64> {
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let n: Option<i64> = sqlx::query_scalar(
                    "UPDATE visitors SET robot_misses = robot_misses + 1 WHERE id = $1 RETURNING robot_misses",
                )
                .bind(visitor_id)
                .fetch_optional(&mut *c)
                .await?;
                n.ok_or_else(|| DbError::NotFound(format!("visitor {visitor_id}")))
            })
        })
        .await
    }
}

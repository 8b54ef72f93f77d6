//! Rating a chat (issue 24, seed 003 `feedback_flag` / `show_evaluate` / `satDegree_A`):
//! `POST /api/visitor/rating` (the chat's own origin, the visitor's token) stores 1–5 stars,
//! tags and a comment for the visitor's current chat — the one of the agent's latest message
//! — replacing that chat's earlier rating (changeable until the next chat). Shapes in
//! `shared::rating`; the list for operators is `admin::ratings`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use shared::rating::{RateRequest, Rated, MAX_COMMENT_CHARS, MAX_TAGS, MAX_TAG_CHARS};

use crate::db::RateOutcome;
use crate::trace::error;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/visitor/rating", post(rate))
}

/// Why a rating is refused, before anything is stored (`invalid`, with what is wrong).
fn check(r: &RateRequest) -> Result<(), &'static str> {
    if !(1..=5).contains(&r.score) {
        return Err("score must be 1 to 5");
    }
    if r.comment.chars().count() > MAX_COMMENT_CHARS {
        return Err("the comment is longer than 500 characters");
    }
    if r.comment
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("the comment has control characters");
    }
    if r.tags.len() > MAX_TAGS
        || r.tags.iter().any(|t| {
            t.trim().is_empty() || t.chars().count() > MAX_TAG_CHARS || !shared::display_safe(t)
        })
    {
        return Err("at most 8 tags of 1 to 20 characters that can be shown");
    }
    Ok(())
}

async fn rate(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r: RateRequest = match crate::trace::admit(
        &state,
        addr,
        &headers,
        &body,
        "ratings are sent only by the chat's own origin",
    ) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    if let Err(why) = check(&r) {
        return error(StatusCode::BAD_REQUEST, "invalid", why);
    }
    match store(&state, &r).await {
        Ok(Some(outcome)) => match outcome {
            RateOutcome::NotServed => error(
                StatusCode::CONFLICT,
                "not_served",
                "no agent has answered this visitor yet",
            ),
            o => Json(Rated {
                score: r.score,
                changed: o == RateOutcome::Changed,
            })
            .into_response(),
        },
        Ok(None) => error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "no visitor of this site holds this token",
        ),
        Err(e) => {
            tracing::error!(error = %e, "storing a rating failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        }
    }
}

/// Stores `r` for its visitor; `None` when the site or the token names nobody.
async fn store(state: &AppState, r: &RateRequest) -> crate::db::DbResult<Option<RateOutcome>> {
    let Some((site, Some(v))) = crate::trace::token_holder(state, &r.sysnum, &r.token).await?
    else {
        return Ok(None);
    };
    let tags: Vec<&str> = r.tags.iter().map(|t| t.trim()).collect();
    let tags = serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into());
    let outcome = state
        .db
        .rate_chat(
            site.id,
            v.id,
            shared::visitor::CHAT_ENDED,
            i64::from(r.score),
            &tags,
            r.comment.trim(),
        )
        .await?;
    if outcome != RateOutcome::NotServed {
        tracing::info!(site = site.id, score = r.score, "a chat was rated");
    }
    Ok(Some(outcome))
}

//! Visits (issue 10, seed 003): `POST /api/visitor/visit`, where the notifier frame on our
//! origin reports a visitor's CRM/routing values (`zc("config")`) and browse trace
//! (`man_trace`, `zc("trace")`), and the agent-socket extension `32800` that reads them back
//! (`shared::visit`, queries in `db/visits.rs`).
//!
//! The endpoint takes only requests from our own origin (the same rule as `/ws/visitor`), so
//! scripts on a customer page cannot write into a visit even if they know a token; the body
//! names the site and carries the visitor token (stored, or a pending one the server minted:
//! a visit is kept from the landing page on, before any message). Reports count against the
//! per-client connection budget. Errors are JSON `{error, message}`: 400 `bad_request`,
//! 401 `unknown_visitor`, 403 `forbidden`, 404 `unknown_site`, 429 `rate_limited`,
//! 500 `internal`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use shared::agent::{code, Envelope, Request};
use shared::visit::{
    validate, Page, PageKind, TracePage, VisitInfo, VisitReport, MAX_PAGES, PARAM_KEYS,
};

use crate::db::{token_hash, DbResult, NewPage};
use crate::hub::AgentFrame;
use crate::routing::agent_frame;
use crate::security::is_pending_token;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/visitor/visit", post(report))
}

fn error(status: StatusCode, error: &'static str, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": error, "message": message })),
    )
        .into_response()
}

async fn report(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !crate::visitor::same_origin(&state, &headers) {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "visits are reported only by the chat's own origin",
        );
    }
    if !state
        .limits
        .connects
        .check(&crate::clientip::bucket(addr.ip()))
    {
        return error(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "slow down");
    }
    let r: VisitReport = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", &e.to_string()),
    };
    if let Err(why) = validate(&r) {
        return error(StatusCode::BAD_REQUEST, "bad_request", why);
    }
    match record(&state, r).await {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(resp)) => resp,
        Err(e) => {
            tracing::error!(error = %e, "recording a visit failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        }
    }
}

async fn record(state: &AppState, r: VisitReport) -> DbResult<Result<(), Response>> {
    let Some(site) = state.db.site_by_sysnum(r.sysnum.as_str()).await? else {
        return Ok(Err(error(
            StatusCode::NOT_FOUND,
            "unknown_site",
            "no site has this sysnum",
        )));
    };
    let known = r.token.len() <= 128
        && (state
            .db
            .visitor_by_token(site.id, &r.token)
            .await?
            .is_some()
            || is_pending_token(&state.db.pending_token_key().await?, site.id, &r.token));
    if !known {
        return Ok(Err(error(
            StatusCode::UNAUTHORIZED,
            "unknown_visitor",
            "the token names no visitor of this site",
        )));
    }
    // Only the seed's CRM and routing values are kept; presentation options are not.
    let params = r.params.map(|p| {
        let kept: BTreeMap<String, String> = p
            .into_iter()
            .filter(|(k, _)| PARAM_KEYS.contains(&k.as_str()))
            .collect();
        serde_json::to_string(&kept).unwrap_or_else(|_| "{}".into())
    });
    let page = r.page.map(|p| NewPage {
        kind: p.kind.as_str().into(),
        args: serde_json::json!({ "pre": p.pre, "cur": p.cur }).to_string(),
        url: p.url,
        title: p.title,
        referrer: p.referrer,
    });
    state
        .db
        .record_visit(site.id, token_hash(&r.token), params, page, MAX_PAGES)
        .await?;
    Ok(Ok(()))
}

/// `32800` (extension): visitor `gid`'s stored parameters and browse trace, for any agent of
/// the visitor's site.
pub async fn agent_visit(state: &AppState, site_id: i64, req: &Request) -> DbResult<AgentFrame> {
    let key = shared::agent::api::VISIT;
    let Some(gid) = req.gid.as_ref().and_then(|g| g.non_zero()) else {
        return Ok(agent_frame(&Envelope::error(
            key,
            code::VISIT_GID_MISSING,
            "gid not null",
        )));
    };
    let visitor = match gid.parse::<i64>() {
        Ok(id) => state.db.visitor_by_id(id).await?,
        Err(_) => None,
    };
    let Some(v) = visitor.filter(|v| v.site_id == site_id) else {
        return Ok(agent_frame(&Envelope::error(
            key,
            code::GID_NOT_FOUND,
            "no such visitor",
        )));
    };
    let (params, pages) = state.db.visitor_visits(site_id, v.id).await?;
    let params = params
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default();
    let trace = pages
        .into_iter()
        .filter_map(|p| {
            #[derive(serde::Deserialize, Default)]
            struct Args {
                #[serde(default)]
                pre: BTreeMap<String, String>,
                #[serde(default)]
                cur: BTreeMap<String, String>,
            }
            let args: Args = serde_json::from_str(&p.args).unwrap_or_default();
            Some(TracePage {
                page: Page {
                    kind: PageKind::parse(&p.kind)?,
                    url: p.url,
                    title: p.title,
                    referrer: p.referrer,
                    pre: args.pre,
                    cur: args.cur,
                },
                ts: p.at,
            })
        })
        .collect();
    Ok(agent_frame(&Envelope::ok(
        key,
        VisitInfo {
            gid: v.id.to_string(),
            params,
            trace,
        },
    )))
}

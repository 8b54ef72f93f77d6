//! `POST /api/visitor/box-key`: the key that seals a visitor's unsent messages while they wait
//! in the host page (docs/design/sealed-outbox.md).
//!
//! Where the browser denies the chat frame its own storage, the chat page keeps its outbox in
//! the host page's storage, encrypted (AES-GCM, WebCrypto) with this key, so scripts of the
//! customer page, which hold the visitor token, never read the text. The key is
//! HMAC-SHA256(the database's secret, site and token) ([`crate::security::box_key`]): the
//! same for a visitor across reloads and server restarts, nothing stored. Only our own origin
//! gets it (the rule of `/ws/visitor`), and only for a token of the site (stored or pending).
//! Body `{sysnum, token}`; answer `{key}` (64 hex digits). Errors as `/api/visitor/visit`:
//! JSON `{error, message}`, 400 `bad_request`, 401 `unknown_visitor`, 403 `forbidden`,
//! 404 `unknown_site`, 429 `rate_limited`, 500 `internal`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use crate::trace::{admit, error};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/visitor/box-key", post(box_key))
}

#[derive(Deserialize)]
struct Ask {
    sysnum: String,
    token: String,
}

async fn box_key(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ask: Ask = match admit(
        &state,
        addr,
        &headers,
        &body,
        "the key is given only to the chat's own origin",
    ) {
        Ok(a) => a,
        Err(resp) => return *resp,
    };
    let answer = async {
        let site = match crate::trace::authorise(&state, &ask.sysnum, &ask.token).await? {
            Ok((site, _)) => site.id,
            Err(resp) => return Ok(resp),
        };
        let secret = state.db.pending_token_key().await?;
        let key = crate::security::box_key(&secret, site, &ask.token);
        let mut resp = Json(serde_json::json!({ "key": key })).into_response();
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok::<_, crate::db::DbError>(resp)
    };
    match answer.await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::error!(error = %e, "giving a box key failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        }
    }
}

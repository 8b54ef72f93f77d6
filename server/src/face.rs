//! Avatars for the visitor's chat (seed 003 `show_face`): `POST /api/visitor/faces` (the
//! chat's own origin, the visitor's token) answers the nick and avatar URL of every agent with
//! an avatar who wrote in that visitor's conversation, so the chat page can put them beside
//! the agents' messages. Only that conversation's agents: a token shows nothing of the site's
//! other agents. Shapes and statuses in `shared::face`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use shared::face::{Face, Faces, FacesRequest};

use crate::trace::error;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/visitor/faces", post(faces))
}

async fn faces(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r: FacesRequest = match crate::trace::admit(
        &state,
        addr,
        &headers,
        &body,
        "avatars are asked for only by the chat's own origin",
    ) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    match lookup(&state, &r).await {
        Ok(Some(faces)) => Json(faces).into_response(),
        Ok(None) => error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "no visitor of this site holds this token",
        ),
        Err(e) => {
            tracing::error!(error = %e, "reading avatars failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        }
    }
}

/// The faces of `r`'s conversation; `None` when the site or the token names nobody.
async fn lookup(state: &AppState, r: &FacesRequest) -> crate::db::DbResult<Option<Faces>> {
    let v = match crate::trace::token_holder(state, &r.sysnum, &r.token).await? {
        None => return Ok(None),
        Some((_, Some(v))) => v,
        // A visitor who has not written yet holds a pending token: no conversation, no faces.
        Some((site, None)) => {
            let key = state.db.pending_token_key().await?;
            let pending = crate::security::is_pending_token(&key, site.id, &r.token);
            return Ok(pending.then(Faces::default));
        }
    };
    let faces = state
        .db
        .agent_faces_of_visitor(v.id)
        .await?
        .into_iter()
        .map(|(nick, avatar)| Face { nick, avatar })
        .collect();
    Ok(Some(Faces { faces }))
}

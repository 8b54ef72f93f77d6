//! REST endpoints of our own: agent login (`POST /api/agent/login` → a token for seed 001's
//! `31000`) and `GET /healthz`. Errors are JSON `{error, message}` with a fitting status;
//! internal failures are logged and never described to the client.

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use shared::agent::login::{LoginRequest, LoginResponse};

use crate::security::{device_cookie, hash_password, is_device_cookie, verify_password};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/agent/login", post(login))
        .route("/healthz", get(healthz))
}

/// Errors of the REST boundary.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `bad_request`: the body is not the expected JSON.
    #[error("{0}")]
    BadRequest(String),
    /// 401 `invalid_credentials`: unknown account or wrong password (not told apart).
    #[error("account or password is wrong")]
    InvalidCredentials,
    /// 403 `disabled`: the agent may not log in.
    #[error("this agent is disabled")]
    Disabled,
    /// 429 `rate_limited`.
    #[error("too many attempts; wait a minute")]
    RateLimited,
    /// 500 `internal`: logged, not described.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error) = match &self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            ApiError::Disabled => (StatusCode::FORBIDDEN, "disabled"),
            ApiError::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        (
            status,
            Json(ErrorBody {
                error,
                message: self.to_string(),
            }),
        )
            .into_response()
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        ApiError::Internal(e.into())
    }
}

/// A hash to verify against for unknown accounts, so both paths cost the same.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

/// The cookie a browser keeps after logging in to an account (`security::device_cookie`).
const DEVICE_COOKIE: &str = "fd_agent_device";
/// How long a device cookie is kept: 180 days.
const DEVICE_COOKIE_AGE_S: u64 = 180 * 86_400;

/// `POST /api/agent/login`. Failures are counted per account *and* client address, so a
/// stranger guessing from one address slows only that address down; and per account over all
/// addresses, which once spent admits only browsers that logged in to the account before
/// (they hold a device cookie for it). The owner is never locked out by someone else.
async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<(HeaderMap, Json<LoginResponse>), ApiError> {
    let client = crate::clientip::bucket(addr.ip());
    if !state.limits.logins.check(&client) {
        return Err(ApiError::RateLimited);
    }
    let Json(req) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    if req.account.len() > 200 || req.password.len() > 1024 {
        return Err(ApiError::BadRequest("account or password too long".into()));
    }
    let account_key = req.account.trim().to_lowercase();
    let here = (account_key.clone(), client);
    if !state.limits.login_failures.allows(&here) {
        return Err(ApiError::RateLimited);
    }
    let key = state.db.pending_token_key().await?;
    if !state.limits.account_failures.allows(&account_key) {
        let known = cookie(&headers, DEVICE_COOKIE)
            .is_some_and(|c| is_device_cookie(&key, &account_key, c));
        if !known {
            return Err(ApiError::RateLimited);
        }
    }
    let agent = state.db.agent_by_account(req.account.trim()).await?;
    let phc = agent
        .as_ref()
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let agent = match agent {
        Some(a) if ok => a,
        _ => {
            state.limits.login_failures.check(&here);
            state.limits.account_failures.check(&account_key);
            return Err(ApiError::InvalidCredentials);
        }
    };
    if agent.disabled {
        return Err(ApiError::Disabled);
    }
    let ttl = state.config.agent_token_ttl.as_secs();
    let token = state.db.create_agent_token(agent.id, ttl as i64).await?;
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let set = format!(
        "{DEVICE_COOKIE}={}; Max-Age={DEVICE_COOKIE_AGE_S}; Path=/api/agent/login; HttpOnly; SameSite=Strict{secure}",
        device_cookie(&key, &account_key)
    );
    let mut out = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&set) {
        out.insert(header::SET_COOKIE, v);
    }
    Ok((
        out,
        Json(LoginResponse {
            token,
            expires_in: ttl,
            kf_id: agent.id.to_string(),
            kf_account: agent.account,
            kf_nick: agent.nick,
            role: agent.role,
        }),
    ))
}

/// The value of cookie `name` in the request, if any.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state.db.count_sites().await?;
    // The node id tells which process of a cluster answered (behind a balancer).
    let node = state.node_id().await?;
    Ok(Json(serde_json::json!({"status": "ok", "node": node})))
}

//! Compatibility endpoints for integrators who already speak two existing APIs:
//!
//! **Seed 002, the WeChat-style customer-service account API.** The JSON shapes are the
//! wire format, literally; a site's `appid`/`secret` (printed by `admin site create`) are
//! the credentials.
//! - `GET /cgi-bin/token?grant_type=client_credential&appid=&secret=` →
//!   `{"access_token","expires_in":7200}` (also `POST` with those keys as a JSON body, which
//!   keeps the secret out of URLs). Tokens are stored only as SHA-256, belong to one site and
//!   expire after 7200 s; issuing a new one does not revoke earlier ones (WeChat does after 5
//!   minutes). Secrets are compared in constant time; an unknown appid and a wrong secret get
//!   the same answer, and failures are limited per client address.
//! - `GET /cgi-bin/customservice/getkflist?access_token=` → `{"kf_list":[{"kf_account",
//!   "kf_headimgurl","kf_id","kf_nick"}]}` for every agent of the token's site (disabled
//!   ones too: it is the account list), `kf_id` a string. `kf_wx`, `invite_wx`,
//!   `invite_expire_time` and `invite_status` are never sent: we have no WeChat binding.
//! - `GET /cgi-bin/customservice/getonlinekflist?access_token=` → `{"kf_online_list":
//!   [{"kf_account","status":1,"kf_id","accepted_case"}]}`: agents with at least one live,
//!   non-suspended `/ws/agent` connection; `accepted_case` is the number of visitors the
//!   agent serves now. `status` is always 1 ("web online").
//! - `POST /customservice/kfaccount/add?access_token=` with `{"kf_account","nickname"}` →
//!   `{"errcode":0,"errmsg":"ok"}`. Creates an agent of the token's site with a random
//!   password nobody knows: it cannot log in until an operator runs
//!   `frontdesk admin agent passwd --account A --password PW`. The account is validated like
//!   `admin agent create` (`prefix@site`); accounts are unique across all sites.
//!
//! Like WeChat, these answer HTTP 200 with an `errcode` body for every error. Codes used
//! (WeChat's own meanings):
//!
//! | errcode | errmsg | when |
//! |---|---|---|
//! | -1 | `system error` | internal failure (logged, not described) |
//! | 40001 | `invalid credential, access_token is invalid or not latest` | wrong secret or unknown appid (one answer for both); unknown access_token |
//! | 40002 | `invalid grant_type` | grant_type missing or not `client_credential` |
//! | 41001 | `access_token missing` | no `access_token` parameter |
//! | 41002 | `appid missing` | no `appid` parameter |
//! | 41004 | `appsecret missing` | no `secret` parameter |
//! | 42001 | `access_token expired` | the token is older than 7200 s |
//! | 43001 | `require GET method` | `/cgi-bin/…` (but the token) with another method |
//! | 45009 | `api freq out of limit` | too many failed `/cgi-bin/token` requests from this address |
//! | 43002 | `require POST method` | `kfaccount/add` with another method |
//! | 44002 | `empty post data` | `kfaccount/add` without a body |
//! | 47001 | `data format error` | body not a JSON object with string `kf_account` and `nickname`; malformed query |
//! | 65403 | `invalid nickname` | nickname empty or over 64 characters |
//! | 65404 | `invalid kf_account` | account not `prefix@site` (letters, digits, `._-`, ≤ 64 each), or its `@site` part is used by another site's agents (whatever the prefix, so another site's account names cannot be probed) |
//! | 65406 | `kf_account exsited` | an agent with this account exists (WeChat's spelling) |
//!
//! **Seed 000, 商戶分組信息.** `GET /api/group/{business_id}` → `{"code":0,"msg":[{"id":11,
//! "groupname":"test1"},…]}`: the site's non-disabled groups, ids as numbers. `business_id`
//! is the site's numeric id (`admin site create` prints it). Errors, in the same shape:
//! `400 {"code":1,"msg":"business_id must be a positive integer"}`,
//! `404 {"code":1,"msg":"business_id not found"}`, `500 {"code":1,"msg":"internal error"}`.
//! As in the seed, this endpoint needs no credentials: group names are public.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::admin::{self, AdminError, NewAgent};
use crate::db::{random_hex, DbError, Site};
use crate::AppState;

/// Lifetime of an access token, as WeChat's.
pub const ACCESS_TOKEN_TTL: i64 = 7200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/cgi-bin/token",
            get(token)
                .post(token_posted)
                .fallback(|| async { WxError::RequireGet }),
        )
        .route(
            "/cgi-bin/customservice/getkflist",
            get(getkflist).fallback(|| async { WxError::RequireGet }),
        )
        .route(
            "/cgi-bin/customservice/getonlinekflist",
            get(getonlinekflist).fallback(|| async { WxError::RequireGet }),
        )
        .route(
            "/customservice/kfaccount/add",
            post(kfaccount_add).fallback(|| async { WxError::RequirePost }),
        )
        .route("/api/group/{business_id}", get(groups))
}

/// Errors of the seed 002 boundary; each is one WeChat `errcode`.
#[derive(Debug, thiserror::Error)]
pub enum WxError {
    #[error("invalid credential, access_token is invalid or not latest")]
    InvalidCredential,
    #[error("invalid grant_type")]
    InvalidGrantType,
    #[error("access_token missing")]
    TokenMissing,
    #[error("appid missing")]
    AppidMissing,
    #[error("appsecret missing")]
    SecretMissing,
    #[error("access_token expired")]
    TokenExpired,
    #[error("require GET method")]
    RequireGet,
    #[error("require POST method")]
    RequirePost,
    #[error("empty post data")]
    EmptyPostData,
    #[error("data format error")]
    DataFormat,
    #[error("invalid nickname")]
    InvalidNickname,
    #[error("invalid kf_account")]
    InvalidAccount,
    #[error("kf_account exsited")]
    AccountExists,
    #[error("api freq out of limit")]
    RateLimited,
    #[error("system error")]
    Internal(#[from] anyhow::Error),
}

impl WxError {
    pub fn errcode(&self) -> i64 {
        match self {
            WxError::InvalidCredential => 40001,
            WxError::InvalidGrantType => 40002,
            WxError::TokenMissing => 41001,
            WxError::AppidMissing => 41002,
            WxError::SecretMissing => 41004,
            WxError::TokenExpired => 42001,
            WxError::RequireGet => 43001,
            WxError::RequirePost => 43002,
            WxError::EmptyPostData => 44002,
            WxError::DataFormat => 47001,
            WxError::InvalidNickname => 65403,
            WxError::InvalidAccount => 65404,
            WxError::AccountExists => 65406,
            WxError::RateLimited => 45009,
            WxError::Internal(_) => -1,
        }
    }
}

impl IntoResponse for WxError {
    fn into_response(self) -> Response {
        if let WxError::Internal(e) = &self {
            tracing::error!(error = %e, "internal error");
        }
        // WeChat answers every API error with HTTP 200 and an errcode.
        (
            StatusCode::OK,
            Json(json!({"errcode": self.errcode(), "errmsg": self.to_string()})),
        )
            .into_response()
    }
}

impl From<DbError> for WxError {
    fn from(e: DbError) -> Self {
        WxError::Internal(e.into())
    }
}

pub(crate) type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

pub(crate) fn params(p: Params) -> Result<HashMap<String, String>, WxError> {
    p.map(|Query(q)| q).map_err(|_| WxError::DataFormat)
}

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    expires_in: i64,
}

/// `GET /cgi-bin/token?grant_type=client_credential&appid=&secret=` (seed 002).
async fn token(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    q: Params,
) -> Result<Json<TokenResponse>, WxError> {
    issue_token(&state, addr, &params(q)?).await
}

/// `POST /cgi-bin/token` with the same keys in a JSON body: the secret stays out of URLs
/// (and so out of proxies' and servers' access logs); the console's admin view uses it.
async fn token_posted(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Result<Json<TokenResponse>, WxError> {
    if body.is_empty() {
        return Err(WxError::EmptyPostData);
    }
    let q: HashMap<String, String> =
        serde_json::from_slice(&body).map_err(|_| WxError::DataFormat)?;
    issue_token(&state, addr, &q).await
}

/// Checks the site's credentials and issues an access token. A wrong secret and an unknown
/// appid get the same answer (40001), so appids cannot be probed; failures are limited per
/// client address (45009 once spent), so secrets cannot be guessed at speed.
async fn issue_token(
    state: &AppState,
    addr: SocketAddr,
    q: &HashMap<String, String>,
) -> Result<Json<TokenResponse>, WxError> {
    if q.get("grant_type").map(String::as_str) != Some("client_credential") {
        return Err(WxError::InvalidGrantType);
    }
    let appid = q
        .get("appid")
        .filter(|s| !s.is_empty())
        .ok_or(WxError::AppidMissing)?;
    let secret = q
        .get("secret")
        .filter(|s| !s.is_empty())
        .ok_or(WxError::SecretMissing)?;
    let client = crate::clientip::bucket(addr.ip());
    if !state.limits.token_failures.allows(&client) {
        return Err(WxError::RateLimited);
    }
    let site = state.db.site_by_appid(appid).await?;
    let ok = site.as_ref().is_some_and(|site| {
        secret.len() == site.secret.len()
            && bool::from(secret.as_bytes().ct_eq(site.secret.as_bytes()))
    });
    let Some(site) = site.filter(|_| ok) else {
        state.limits.token_failures.check(&client);
        return Err(WxError::InvalidCredential);
    };
    let access_token = state
        .db
        .create_access_token(site.id, ACCESS_TOKEN_TTL)
        .await?;
    Ok(Json(TokenResponse {
        access_token,
        expires_in: ACCESS_TOKEN_TTL,
    }))
}

/// The site the request's `access_token` belongs to.
pub(crate) async fn authed_site(
    state: &AppState,
    q: &HashMap<String, String>,
) -> Result<Site, WxError> {
    let token = q
        .get("access_token")
        .filter(|s| !s.is_empty())
        .ok_or(WxError::TokenMissing)?;
    let t = state
        .db
        .access_token(token)
        .await?
        .ok_or(WxError::InvalidCredential)?;
    if t.expired() {
        return Err(WxError::TokenExpired);
    }
    state
        .db
        .site_by_id(t.site_id)
        .await?
        .ok_or(WxError::InvalidCredential)
}

#[derive(Serialize)]
struct KfEntry {
    kf_account: String,
    kf_headimgurl: String,
    kf_id: String,
    kf_nick: String,
}

async fn getkflist(State(state): State<AppState>, q: Params) -> Result<Json<Value>, WxError> {
    let site = authed_site(&state, &params(q)?).await?;
    let list: Vec<KfEntry> = state
        .db
        .agents_of_site(site.id)
        .await?
        .into_iter()
        .map(|a| KfEntry {
            kf_account: a.account,
            kf_headimgurl: a.headimgurl,
            kf_id: a.id.to_string(),
            kf_nick: a.nick,
        })
        .collect();
    Ok(Json(json!({ "kf_list": list })))
}

#[derive(Serialize)]
struct OnlineEntry {
    kf_account: String,
    status: u8,
    kf_id: String,
    accepted_case: i64,
}

async fn getonlinekflist(State(state): State<AppState>, q: Params) -> Result<Json<Value>, WxError> {
    let site = authed_site(&state, &params(q)?).await?;
    // An agent may have several connections, on any node; it is online if any is live and
    // not suspended.
    let online: std::collections::BTreeSet<i64> = state
        .db
        .live_agent_conns(site.id, state.alive_since())
        .await?
        .into_iter()
        .filter(|c| !c.suspended)
        .map(|c| c.agent_id)
        .collect();
    let loads: BTreeMap<i64, i64> = state.db.agent_loads(site.id).await?.into_iter().collect();
    let mut list = Vec::new();
    for id in online {
        let Some(a) = state.db.agent_by_id(id).await? else {
            continue;
        };
        if a.disabled || a.site_id != site.id {
            continue;
        }
        list.push(OnlineEntry {
            kf_account: a.account,
            status: 1,
            kf_id: a.id.to_string(),
            accepted_case: loads.get(&a.id).copied().unwrap_or(0),
        });
    }
    Ok(Json(json!({ "kf_online_list": list })))
}

async fn kfaccount_add(
    State(state): State<AppState>,
    q: Params,
    body: Bytes,
) -> Result<Json<Value>, WxError> {
    let site = authed_site(&state, &params(q)?).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(WxError::EmptyPostData);
    }
    let v: Value = serde_json::from_slice(&body).map_err(|_| WxError::DataFormat)?;
    let (Some(account), Some(nick)) = (v["kf_account"].as_str(), v["nickname"].as_str()) else {
        return Err(WxError::DataFormat);
    };
    let account = account.trim();
    admin::check_account(account).map_err(|_| WxError::InvalidAccount)?;
    // Account names are unique across sites; so that one site cannot learn another's names
    // from "exists", an `@site` part another site's agents use is refused as invalid
    // whatever the prefix.
    let suffix = account.split_once('@').map_or("", |(_, s)| s);
    if state
        .db
        .account_suffix_used_elsewhere(site.id, suffix)
        .await?
    {
        return Err(WxError::InvalidAccount);
    }
    admin::check_nick(nick).map_err(|_| WxError::InvalidNickname)?;
    // A password nobody knows: the agent logs in only after `admin agent passwd`.
    let password = random_hex(32);
    let sysnum = site.sysnum.to_string();
    admin::create_agent(
        &state.db,
        NewAgent {
            sysnum: &sysnum,
            account,
            nick,
            password: &password,
            groups: &[],
            max_chats: 5,
            role: shared::agent::Role::Agent,
        },
    )
    .await
    .map_err(|e| match e {
        AdminError::Exists(_) => WxError::AccountExists,
        e => WxError::Internal(e.into()),
    })?;
    Ok(Json(json!({"errcode": 0, "errmsg": "ok"})))
}

/// Errors of the seed 000 boundary: `{"code":1,"msg":…}` with a fitting status.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("business_id must be a positive integer")]
    BadId,
    #[error("business_id not found")]
    NotFound,
    #[error("internal error")]
    Internal(#[from] DbError),
}

impl IntoResponse for GroupError {
    fn into_response(self) -> Response {
        let status = match &self {
            GroupError::BadId => StatusCode::BAD_REQUEST,
            GroupError::NotFound => StatusCode::NOT_FOUND,
            GroupError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (status, Json(json!({"code": 1, "msg": self.to_string()}))).into_response()
    }
}

#[derive(Serialize)]
struct GroupEntry {
    id: i64,
    groupname: String,
}

async fn groups(
    State(state): State<AppState>,
    Path(business_id): Path<String>,
) -> Result<Json<Value>, GroupError> {
    let id: i64 = business_id
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(GroupError::BadId)?;
    let site = state.db.site_by_id(id).await?.ok_or(GroupError::NotFound)?;
    let list: Vec<GroupEntry> = state
        .db
        .groups_of_site(site.id)
        .await?
        .into_iter()
        .filter(|g| !g.disabled)
        .map(|g| GroupEntry {
            id: g.id,
            groupname: g.groupname,
        })
        .collect();
    Ok(Json(json!({"code": 0, "msg": list})))
}

//! The FAQ robot's admin REST API, for the console's admin view and integrators. Wire shapes
//! in `shared::robot`. Every request carries a site's seed 002 `access_token`
//! (`GET /cgi-bin/token?grant_type=client_credential&appid=&secret=`, checked exactly as
//! `compat.rs` checks it) as a query parameter or the bearer, or as the bearer the console
//! token of an agent of the site with the `admin` role ([`site`]); everything it does is on
//! that site only.
//!
//! - `GET /api/robot/list` → `RobotList`
//! - `GET /api/robot/faq/list?robotid=&offset=&limit=` → `FaqPage` (`limit` 1–200, default 50)
//! - `POST /api/robot/faq/add` body `FaqAdd` → `FaqAdded`
//! - `POST /api/robot/faq/delete` body `FaqDelete` → `Status`
//! - `POST /api/robot/faq/import?robotid=` body the CSV or JSON-lines text (≤ 1 MiB; larger
//!   files with `frontdesk admin faq import`) → `ImportReport` (the good rows added, each bad
//!   row with its line and reason)
//!
//! Every change (add, delete, import) is written to the site's audit log
//! ([`audit`]).
//!
//! Like seed 002, every answer is HTTP 200 with `errcode`/`errmsg`. Codes: those of
//! `compat.rs` for the token (40001 unknown token, 41001 missing, 42001 expired), 43001 /
//! 43002 wrong method, -1 internal failure, and:
//!
//! | errcode | errmsg | when |
//! |---|---|---|
//! | 44002 | `empty post data` | add/delete/import without a body |
//! | 47001 | `data format error` | body not the JSON shape, not UTF-8, or a malformed query |
//! | 40035 | `invalid parameter: …` | an entry or file the operator must fix (the reason follows) |
//! | 46001 | `no such robot` | `robotid` the site does not have |
//! | 46002 | `no such faq entry` | delete of an id the site does not have |
//! | 46003 | `no such block` | (`crate::adminapi`) delete of a block the site does not have |
//! | 48001 | `not an admin: this agent's role is …` | an agent's console token as the bearer, of an agent whose role is not `admin` |

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::robot::{
    Faq, FaqAdd, FaqAdded, FaqDelete, FaqPage, ImportReport, Robot, RobotList, Status, OK,
};

use crate::admin::AdminError;
use crate::compat::{authed_site, params, Params, WxError};
use crate::db::{DbError, FaqRow, RobotRow, Site};
use crate::robot::{faqfile, manage};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/robot/list",
            get(list_robots).fallback(|| async { ApiError::Wx(WxError::RequireGet) }),
        )
        .route(
            "/api/robot/faq/list",
            get(list_faqs).fallback(|| async { ApiError::Wx(WxError::RequireGet) }),
        )
        .route(
            "/api/robot/faq/add",
            post(add).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
        .route(
            "/api/robot/faq/delete",
            post(delete).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
        .route(
            "/api/robot/faq/import",
            post(import).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
}

/// Errors of this API; each is one `errcode`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Wx(WxError),
    #[error("invalid parameter: {0}")]
    Invalid(String),
    #[error("no such robot")]
    NoRobot,
    #[error("no such faq entry")]
    NoFaq,
    /// The site admin API (`crate::adminapi`): a block the site does not have.
    #[error("no such block")]
    NoBlock,
    /// An agent's console token whose agent is not the site's admin (role `admin`).
    #[error("not an admin: this agent's role is {0}")]
    NotAdmin(&'static str),
}

impl ApiError {
    pub fn errcode(&self) -> i64 {
        match self {
            ApiError::Wx(e) => e.errcode(),
            ApiError::Invalid(_) => 40035,
            ApiError::NoRobot => 46001,
            ApiError::NoFaq => 46002,
            ApiError::NoBlock => 46003,
            ApiError::NotAdmin(_) => 48001,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Wx(WxError::Internal(e)) = &self {
            tracing::error!(error = %e, "internal error");
        }
        let body = Status {
            errcode: self.errcode(),
            errmsg: self.to_string(),
        };
        (StatusCode::OK, Json(body)).into_response()
    }
}

impl From<WxError> for ApiError {
    fn from(e: WxError) -> Self {
        ApiError::Wx(e)
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::Wx(WxError::Internal(e.into()))
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Db(e) => e.into(),
            e => ApiError::Invalid(e.to_string()),
        }
    }
}

pub(crate) type ApiResult<T> = Result<Json<T>, ApiError>;

/// Who calls: the site itself (its seed 002 access token, from `appid`/`secret`) or one of
/// its agents with the `admin` role (its console token). Everything it does is on
/// [`Caller::site`] (what it derefs to); the audit log names [`Caller::actor`].
pub(crate) struct Caller {
    pub site: Site,
    pub actor: String,
}

impl std::ops::Deref for Caller {
    type Target = Site;
    fn deref(&self) -> &Site {
        &self.site
    }
}

/// The caller of the request: `Authorization: Bearer T` (what the console sends: the token
/// stays out of URLs and access logs) — an admin agent's console token or the site's access
/// token — else the seed's `access_token` query parameter.
pub(crate) async fn site(
    state: &AppState,
    headers: &HeaderMap,
    q: Params,
) -> Result<(Caller, HashMap<String, String>), ApiError> {
    let mut q = params(q)?;
    if let Some(t) = crate::security::bearer(headers) {
        if let Some(admin) = admin_agent(state, t).await? {
            return Ok((admin, q));
        }
        q.insert("access_token".into(), t.to_owned());
    }
    let site = authed_site(state, &q).await?;
    let actor = format!("site admin (appid {})", site.appid);
    Ok((Caller { site, actor }, q))
}

/// The site of an agent's console token when that agent is enabled and its site's admin;
/// `None` when `token` is no agent's token (it may be an access token).
async fn admin_agent(state: &AppState, token: &str) -> Result<Option<Caller>, ApiError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let Some(t) = state.db.agent_token(token).await? else {
        return Ok(None);
    };
    let agent = state
        .db
        .agent_by_id(t.agent_id)
        .await?
        .filter(|a| !a.disabled)
        .ok_or(ApiError::Wx(WxError::InvalidCredential))?;
    if agent.role != shared::agent::Role::Admin {
        return Err(ApiError::NotAdmin(agent.role.as_str()));
    }
    let site = state
        .db
        .site_by_id(agent.site_id)
        .await?
        .ok_or(ApiError::Wx(WxError::InvalidCredential))?;
    let actor = format!("agent {} (admin)", agent.account);
    Ok(Some(Caller { site, actor }))
}

/// The query's `robotid`, if any (a non-number is a data format error).
fn robotid(q: &HashMap<String, String>) -> Result<Option<i64>, ApiError> {
    match q.get("robotid").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::Wx(WxError::DataFormat)),
    }
}

/// The robot `robotid` names (which must exist), or the site's default one (created if the
/// site has none).
async fn robot_to_edit(
    state: &AppState,
    site: &Site,
    robotid: Option<i64>,
) -> Result<RobotRow, ApiError> {
    if let Some(id) = robotid {
        if state.db.robot_exact(site.id, id).await?.is_none() {
            return Err(ApiError::NoRobot);
        }
    }
    Ok(manage::robot_to_edit(&state.db, site.id, robotid).await?)
}

fn wire(f: FaqRow) -> Faq {
    Faq {
        id: f.id,
        faq_group: f.faq_group,
        question: f.question,
        answer: f.answer,
        similar: f.similar,
    }
}

pub(crate) fn body_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(WxError::EmptyPostData.into());
    }
    serde_json::from_slice(body).map_err(|_| WxError::DataFormat.into())
}

async fn list_robots(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> ApiResult<RobotList> {
    let (site, _) = site(&state, &headers, q).await?;
    let robots = state
        .db
        .robots_of_site(site.id)
        .await?
        .into_iter()
        .map(|r| Robot {
            robotid: r.robotid,
            name: r.name,
            hello: r.hello,
        })
        .collect();
    Ok(Json(RobotList {
        errcode: OK,
        errmsg: "ok".into(),
        robots,
    }))
}

async fn list_faqs(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> ApiResult<FaqPage> {
    let (site, q) = site(&state, &headers, q).await?;
    let num = |k: &str, default: i64| -> Result<i64, ApiError> {
        match q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => s
                .parse::<i64>()
                .map_err(|_| ApiError::Wx(WxError::DataFormat)),
        }
    };
    let offset = num("offset", 0)?.max(0);
    let limit = num("limit", 50)?.clamp(1, 200);
    let robot = match robotid(&q)? {
        Some(id) => Some(
            state
                .db
                .robot_exact(site.id, id)
                .await?
                .ok_or(ApiError::NoRobot)?,
        ),
        None => state.db.robot_for(site.id, None).await?,
    };
    let Some(robot) = robot else {
        return Ok(Json(FaqPage {
            errcode: OK,
            errmsg: "ok".into(),
            robotid: 0,
            total: 0,
            offset,
            faqs: Vec::new(),
        }));
    };
    let (faqs, total) = manage::list(&state.db, &robot, offset, limit).await?;
    Ok(Json(FaqPage {
        errcode: OK,
        errmsg: "ok".into(),
        robotid: robot.robotid,
        total,
        offset,
        faqs: faqs.into_iter().map(wire).collect(),
    }))
}

async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<FaqAdded> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: FaqAdd = body_json(&body)?;
    let faq = faqfile::validate(&req.question, &req.answer, &req.similar, req.faq_group)
        .map_err(ApiError::Invalid)?;
    let robot = robot_to_edit(&state, &site, req.robotid).await?;
    let id = manage::add_faq(&state.db, &robot, faq).await?;
    audit(&state, &site, "robot/faq/add", &req).await?;
    Ok(Json(FaqAdded {
        errcode: OK,
        errmsg: "ok".into(),
        id,
    }))
}

async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<Status> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: FaqDelete = body_json(&body)?;
    if !state.db.delete_faq(Some(site.id), req.id).await? {
        return Err(ApiError::NoFaq);
    }
    audit(&state, &site, "robot/faq/delete", &req).await?;
    Ok(Json(Status {
        errcode: OK,
        errmsg: "ok".into(),
    }))
}

async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<ImportReport> {
    let (site, q) = site(&state, &headers, q).await?;
    let robotid = robotid(&q)?;
    if body.is_empty() {
        return Err(WxError::EmptyPostData.into());
    }
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::Wx(WxError::DataFormat))?;
    let robot = robot_to_edit(&state, &site, robotid).await?;
    let report = manage::import(&state.db, &robot, text).await?;
    let what = serde_json::json!({"robotid": robot.robotid, "added": report.added.len(), "refused": report.errors.len()});
    audit(&state, &site, "robot/faq/import", &what).await?;
    Ok(Json(report))
}

/// Records a change the site's admin made through the API: `action` (the request's path
/// under `/api/`) and `detail` (the request, passwords left out by the caller).
pub(crate) async fn audit(
    state: &AppState,
    caller: &Caller,
    action: &str,
    detail: &impl serde::Serialize,
) -> Result<(), ApiError> {
    let detail = serde_json::to_string(detail).unwrap_or_default();
    state
        .db
        .add_audit(
            caller.id,
            crate::db::now_ms(),
            &caller.actor,
            action,
            &detail,
        )
        .await?;
    Ok(())
}

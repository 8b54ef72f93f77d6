//! Leave a message (issue 24, seed 003 留言): `GET /api/leave/template` (the form a page
//! shows), `POST /api/leave` (what a visitor leaves), and the steps agents take on left
//! messages (`agent/leave.rs` calls [`list`], [`answer`], [`set_done`]).
//!
//! A left message always belongs to a visitor: the browser's own (its chat token, or the
//! site's `uid` + `sign` with the security check), or one made for it (its token is returned
//! and the page keeps it where the chat page looks). An agent's answer is stored on the left
//! message and said as that agent in the visitor's conversation (`conversation::committed`:
//! the visitor sees it on their next visit, it counts in `offline_message_count` and goes to
//! the site's push URL like any agent message). The left message itself goes to the push URL
//! too (`push::enqueue_left`), once it is stored.
//!
//! Limits: the message 1–2 000 characters, each field ≤ 200, no control characters; a
//! client's and a site's left messages count against the same budgets as their chat messages
//! (`--rate-msgs-per-client`, `--rate-msgs-per-site`), and a site keeps at most
//! [`MAX_OPEN_PER_SITE`] open ones. The endpoints take requests from the chat's own origin
//! only (the leave page and the chat page are ours), like `/api/visitor/visit`.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::ids::Sysnum;
use shared::leave::{
    error, Field, FieldKind, FieldValue, LeaveError, LeaveRequest, Left, LeftList, LeftMessage,
    Template, MAX_ANSWER_CHARS, MAX_CONTENT_CHARS, MAX_FIELD_CHARS,
};
use shared::visitor::MsgKind;

use crate::conversation::{self, After};
use crate::db::{Agent, DbResult, NewLeft, Site, Visitor};
use crate::security::SignCheck;
use crate::wire::{left_message, left_template};
use crate::AppState;

/// Most open (not yet done) left messages a site keeps; more are refused (`site_full`).
pub const MAX_OPEN_PER_SITE: i64 = 10_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/leave/template", get(template))
        .route("/api/leave", post(leave))
}

/// A refused request: status and [`LeaveError`].
struct Refused(StatusCode, &'static str, String, Option<String>);

impl Refused {
    fn bad(code: &'static str, message: impl Into<String>, field: &str) -> Refused {
        Refused(
            StatusCode::BAD_REQUEST,
            code,
            message.into(),
            Some(field.to_owned()),
        )
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(LeaveError {
                error: self.1.to_owned(),
                message: self.2,
                field: self.3,
            }),
        )
            .into_response()
    }
}

impl From<crate::db::DbError> for Refused {
    fn from(e: crate::db::DbError) -> Refused {
        tracing::error!(error = %e, "leave a message: storage failed");
        Refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            error::INTERNAL,
            "internal error".into(),
            None,
        )
    }
}

async fn site_of(state: &AppState, sysnum: &str) -> Result<Site, Refused> {
    let unknown = || {
        Refused(
            StatusCode::NOT_FOUND,
            error::UNKNOWN_SITE,
            "no site has this sysnum".into(),
            None,
        )
    };
    let sysnum = Sysnum::parse(sysnum.trim()).map_err(|_| unknown())?;
    state
        .db
        .site_by_sysnum(sysnum.as_str())
        .await?
        .ok_or_else(unknown)
}

/// The form `templateid` names (none, empty or `0`: the default form).
async fn form(
    state: &AppState,
    site: &Site,
    templateid: Option<&str>,
) -> Result<Template, Refused> {
    let Some(t) = templateid
        .map(str::trim)
        .filter(|t| !t.is_empty() && *t != "0")
    else {
        return Ok(Template::default_form());
    };
    let unknown = || {
        Refused(
            StatusCode::NOT_FOUND,
            error::UNKNOWN_TEMPLATE,
            "the site has no template with this templateid".into(),
            None,
        )
    };
    let n: i64 = t.parse().map_err(|_| unknown())?;
    let row = state
        .db
        .leave_template(site.id, n)
        .await?
        .ok_or_else(unknown)?;
    Ok(left_template(&row))
}

/// `GET /api/leave/template?sysnum=S[&templateid=N]`.
async fn template(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let run = async {
        let site = site_of(&state, q.get("sysnum").map_or("", String::as_str)).await?;
        form(&state, &site, q.get("templateid").map(String::as_str)).await
    };
    match run.await {
        Ok(t) => Json(t).into_response(),
        Err(r) => r.into_response(),
    }
}

/// A value as stored: trimmed; refused when longer than `max` or with control characters
/// (a line break is allowed in the message only).
fn checked<'a>(v: &'a str, max: usize, field: &str, multiline: bool) -> Result<&'a str, Refused> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(Refused::bad(
            error::TOO_LONG,
            format!("{field} is longer than {max} characters"),
            field,
        ));
    }
    let bad_char = |c: char| c.is_control() && !(multiline && matches!(c, '\n' | '\t'));
    if v.chars().any(bad_char) || !shared::display_safe(&v.replace(['\n', '\t'], " ")) {
        return Err(Refused::bad(
            error::INVALID,
            format!("{field} has characters that cannot be shown"),
            field,
        ));
    }
    Ok(v)
}

/// The message and the template's values of `r`, checked against `t`.
fn validate(t: &Template, r: &LeaveRequest) -> Result<(String, Vec<FieldValue>), Refused> {
    let content = checked(&r.content, MAX_CONTENT_CHARS, "content", true)?;
    if content.is_empty() {
        return Err(Refused::bad(
            error::REQUIRED,
            "the message is empty",
            "content",
        ));
    }
    if let Some(k) = r
        .fields
        .keys()
        .find(|k| !t.fields.iter().any(|f| &f.name == *k))
    {
        return Err(Refused::bad(
            error::UNKNOWN_FIELD,
            format!("the form has no field {k}"),
            k,
        ));
    }
    let mut values = Vec::new();
    for f in &t.fields {
        let v = checked(
            r.fields.get(&f.name).map_or("", String::as_str),
            MAX_FIELD_CHARS,
            &f.name,
            false,
        )?;
        if v.is_empty() {
            if f.required {
                return Err(Refused::bad(
                    error::REQUIRED,
                    format!("{} is required", f.name),
                    &f.name,
                ));
            }
            continue;
        }
        if !f.kind.accepts(v) {
            let what = match f.kind {
                FieldKind::Phone => "a phone number",
                FieldKind::Email => "an email address",
                FieldKind::Text => "text",
            };
            return Err(Refused::bad(
                error::INVALID,
                format!("{} is not {what}", f.name),
                &f.name,
            ));
        }
        values.push(FieldValue {
            label: label_of(f),
            kind: f.kind,
            value: v.to_owned(),
        });
    }
    if t.contact_required
        && !values
            .iter()
            .any(|v| matches!(v.kind, FieldKind::Phone | FieldKind::Email))
    {
        return Err(Refused::bad(
            error::CONTACT_REQUIRED,
            "a phone number or an email address is required",
            "contact",
        ));
    }
    Ok((content.to_owned(), values))
}

/// What agents see as a field's label (the default form's fields have none: their kind).
fn label_of(f: &Field) -> String {
    if !f.label.is_empty() {
        return f.label.clone();
    }
    match f.kind {
        FieldKind::Phone => "phone",
        FieldKind::Email => "email",
        FieldKind::Text => f.name.as_str(),
    }
    .to_owned()
}

/// `POST /api/leave`.
async fn leave(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r: LeaveRequest = match crate::trace::admit(
        &state,
        addr,
        &headers,
        &body,
        "messages are left only from the chat's own origin",
    ) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    match store(&state, addr, r).await {
        Ok(left) => (StatusCode::CREATED, Json(left)).into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn store(state: &AppState, addr: SocketAddr, r: LeaveRequest) -> Result<Left, Refused> {
    let site = site_of(state, &r.sysnum).await?;
    let t = form(state, &site, r.templateid.as_deref()).await?;
    let (content, values) = validate(&t, &r)?;
    let uname = checked(
        r.uname.as_deref().unwrap_or(""),
        crate::visitor::MAX_UNAME_CHARS,
        "uname",
        false,
    )?;
    let uid = checked(
        r.uid.as_deref().unwrap_or(""),
        shared::MAX_PARTNERID_CHARS,
        "uid",
        false,
    )?;
    let limited = |m: &str| {
        Refused(
            StatusCode::TOO_MANY_REQUESTS,
            error::RATE_LIMITED,
            m.into(),
            None,
        )
    };
    let client = crate::clientip::bucket(addr.ip());
    if !state.limits.msgs_per_client.check(&client) {
        return Err(limited(
            "too many messages from this address; retry shortly",
        ));
    }
    if !state.limits.msgs_per_site.check(&site.id) {
        return Err(limited(
            "this site is receiving too many messages; retry shortly",
        ));
    }
    let (visitor, token) = visitor_of(state, &site, &r, uid, client).await?;
    if !uname.is_empty() || (!uid.is_empty() && visitor.partnerid.is_none()) {
        let claimed = (!uid.is_empty() && visitor.partnerid.is_none()).then_some(uid);
        let uname = (!uname.is_empty()).then_some(uname);
        state
            .db
            .touch_visitor(visitor.id, uname, claimed, None, None)
            .await?;
    }
    let group_id = match r
        .groupid
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        Some(g) if g.len() <= 64 => state.db.resolve_group(site.id, g).await?,
        _ => None,
    };
    let source = r
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| s.len() <= 8 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or("")
        .to_owned();
    // (A list of plain structs: serializing it cannot fail.)
    let fields = serde_json::to_string(&values).unwrap_or_else(|_| "[]".into());
    let id = state
        .db
        .insert_left_message(
            NewLeft {
                site_id: site.id,
                visitor_id: visitor.id,
                templateid: t.templateid,
                group_id,
                source,
                content: content.clone(),
                fields,
            },
            MAX_OPEN_PER_SITE,
        )
        .await?
        .ok_or(Refused(
            StatusCode::SERVICE_UNAVAILABLE,
            error::SITE_FULL,
            "this site cannot take more messages now".into(),
            None,
        ))?;
    tracing::info!(site = site.id, left = id, "a message was left");
    crate::push::enqueue_left(
        state,
        crate::push::LeftPush {
            id,
            site_id: site.id,
            visitor_id: visitor.id,
            content: &content,
            fields: &values,
            group_id,
        },
    )
    .await;
    Ok(Left { id, token })
}

/// The visitor a left message belongs to, and their token when it is new to this browser.
async fn visitor_of(
    state: &AppState,
    site: &Site,
    r: &LeaveRequest,
    uid: &str,
    client: std::net::IpAddr,
) -> Result<(Visitor, Option<String>), Refused> {
    let check = SignCheck::parse(&site.sign_check).unwrap_or(SignCheck::Md5);
    if check != SignCheck::Off {
        let sign = r.sign.as_deref().unwrap_or("");
        if uid.is_empty() || !check.verify(site.sysnum.as_str(), &site.sign_key, uid, sign) {
            return Err(Refused(
                StatusCode::FORBIDDEN,
                error::SIGN_INVALID,
                "uid and a matching sign are required".into(),
                None,
            ));
        }
        let (v, _) = state.db.partner_visitor(site.id, uid).await?;
        return Ok((v, None));
    }
    if let Some(t) = r.token.as_deref().filter(|t| t.len() <= 128) {
        if let Some(v) = state.db.visitor_by_token(site.id, t).await? {
            return Ok((v, None));
        }
        if crate::security::is_pending_token(&state.db.pending_token_key().await?, site.id, t) {
            return Ok((state.db.visitor_for_token(site.id, t).await?, None));
        }
    }
    if !state.limits.new_visitors_per_client.check(&client)
        || !state.limits.new_visitors_per_site.check(&site.id)
    {
        return Err(Refused(
            StatusCode::TOO_MANY_REQUESTS,
            error::RATE_LIMITED,
            "too many new visitors; try again later".into(),
            None,
        ));
    }
    let (v, token) = state.db.create_visitor(site.id).await?;
    Ok((v, Some(token)))
}

/// `34000`: a page (1 = newest) of `site_id`'s left messages.
pub async fn list(
    state: &AppState,
    site_id: i64,
    done: Option<bool>,
    page: i64,
    size: i64,
) -> DbResult<LeftList> {
    let size = size.clamp(1, 100);
    let rows = state
        .db
        .left_messages(site_id, done, size, (page.max(1) - 1) * size)
        .await?;
    Ok(LeftList {
        open: state.db.open_left_messages(site_id).await?,
        items: rows.into_iter().map(left_message).collect(),
    })
}

/// Why an agent's step on a left message was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No left message by that id on the agent's site.
    NotFound,
    /// The answer is empty, too long or has control characters.
    BadAnswer,
}

/// `34100`: agent `agent` answers left message `id`: stored on it (done), then said as the
/// agent in the visitor's conversation.
pub async fn answer(
    state: &AppState,
    agent: &Agent,
    id: i64,
    text: &str,
) -> DbResult<Result<LeftMessage, Refusal>> {
    let text = text.trim();
    if text.is_empty()
        || text.chars().count() > MAX_ANSWER_CHARS
        || text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Ok(Err(Refusal::BadAnswer));
    }
    let Some(row) = state.db.left_message(agent.site_id, id).await? else {
        return Ok(Err(Refusal::NotFound));
    };
    if !state
        .db
        .answer_left_message(agent.site_id, id, agent.id, text)
        .await?
    {
        return Ok(Err(Refusal::NotFound));
    }
    let m = state
        .db
        .insert_agent_message(row.visitor_id, agent.id, MsgKind::Text, text)
        .await?;
    conversation::committed(state, row.site_id, m, After::FromAgent).await;
    let row = state.db.left_message(agent.site_id, id).await?;
    Ok(row.map(left_message).ok_or(Refusal::NotFound))
}

/// `34200`: left message `id` done, or open again.
pub async fn set_done(
    state: &AppState,
    agent: &Agent,
    id: i64,
    done: bool,
) -> DbResult<Result<LeftMessage, Refusal>> {
    if !state
        .db
        .set_left_message_done(agent.site_id, id, done)
        .await?
    {
        return Ok(Err(Refusal::NotFound));
    }
    let row = state.db.left_message(agent.site_id, id).await?;
    Ok(row.map(left_message).ok_or(Refusal::NotFound))
}

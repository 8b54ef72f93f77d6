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
//!
//! Presence and agent invitations (`invite_flag`): `POST /api/visitor/presence` is a long poll
//! (up to [`POLL`]) the notifier repeats while a page that allows invitations is open; agents
//! list who is on the site now (`32810`) and invite one of them (`32811`), which answers that
//! visitor's poll at once. Presence and pending invitations are rows of the database
//! (`presence`, queries in `db/presence.rs`), so every node sees them: a poll renews its row
//! at most every [`RENEW_MS`] (or when the page changed), a row not renewed for [`STALE_MS`] is
//! gone (the leased cluster sweep deletes it), and an invitation is stored, announced on the
//! bus, and taken by exactly one poll — the one held on whichever node, or the next one.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use shared::agent::{code, Envelope, Request};
use shared::visit::{
    validate, OnSite, Page, PageKind, PresenceAnswer, PresenceReport, TracePage, VisitInfo,
    VisitReport, MAX_PAGES, MAX_PENDING_PAGES, MAX_TEXT, MAX_URL, PARAM_KEYS,
};

use crate::db::{now_ms, random_hex, token_hash, DbResult, NewPage, PresenceRenewal};
use crate::security::is_pending_token;
use crate::wire::{agent_frame, AgentFrame};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/visitor/visit", post(report))
        .route("/api/visitor/presence", post(presence))
}

pub(crate) fn error(status: StatusCode, error: &'static str, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": error, "message": message })),
    )
        .into_response()
}

/// What the chat origin's endpoints (visits, presence, the box key) check first: the request
/// comes from the chat's own origin (else 403 with `forbidden`), the client is within its
/// budget, and the body is a `T`.
pub(crate) fn admit<T: serde::de::DeserializeOwned>(
    state: &AppState,
    addr: SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
    forbidden: &str,
) -> Result<T, Box<Response>> {
    from_chat_page(state, addr, headers, forbidden)?;
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            &e.to_string(),
        ))
    })
}

/// The site `sysnum` names and the stored visitor there who holds `token` (`None` inside:
/// a pending token, or nobody's); `None` when no site has that sysnum. For the chat origin's
/// endpoints that act on the visitor's behalf (rating, avatars, uploads).
pub(crate) async fn token_holder(
    state: &AppState,
    sysnum: &str,
    token: &str,
) -> DbResult<Option<(crate::db::Site, Option<crate::db::Visitor>)>> {
    let Ok(sysnum) = shared::ids::Sysnum::parse(sysnum.trim()) else {
        return Ok(None);
    };
    let Some(site) = state.db.site_by_sysnum(sysnum.as_str()).await? else {
        return Ok(None);
    };
    let visitor = if token.is_empty() || token.len() > 128 {
        None
    } else {
        state.db.visitor_by_token(site.id, token).await?
    };
    Ok(Some((site, visitor)))
}

/// [`admit`]'s checks before the body: the request comes from the chat's own origin (else
/// 403 `forbidden` with `forbidden` as the message) and the client is within its budget
/// (else 429 `rate_limited`). Also for bodies that are not JSON (a visitor's upload).
pub(crate) fn from_chat_page(
    state: &AppState,
    addr: SocketAddr,
    headers: &HeaderMap,
    forbidden: &str,
) -> Result<(), Box<Response>> {
    // Browsers send `Origin` with every POST; these endpoints serve only the notifier frame
    // and the chat page, so a request without one (a script elsewhere replaying a visitor's
    // token, issue 22) is refused too.
    if headers.get(axum::http::header::ORIGIN).is_none()
        || !crate::security::same_origin(state, headers)
    {
        return Err(Box::new(error(
            StatusCode::FORBIDDEN,
            "forbidden",
            forbidden,
        )));
    }
    if !state
        .limits
        .connects
        .check(&crate::clientip::bucket(addr.ip()))
    {
        return Err(Box::new(error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "slow down",
        )));
    }
    Ok(())
}

async fn report(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r: VisitReport = match admit(
        &state,
        addr,
        &headers,
        &body,
        "visits are reported only by the chat's own origin",
    ) {
        Ok(r) => r,
        Err(resp) => return *resp,
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

/// The site and, if they have a row, the visitor's id for `token`; or the error answer.
/// Also the gate of `/api/visitor/box-key` (`crate::boxkey`).
pub(crate) async fn authorise(
    state: &AppState,
    sysnum: &str,
    token: &str,
) -> DbResult<Result<(crate::db::Site, Option<i64>), Response>> {
    let Some(site) = state.db.site_by_sysnum(sysnum).await? else {
        return Ok(Err(error(
            StatusCode::NOT_FOUND,
            "unknown_site",
            "no site has this sysnum",
        )));
    };
    if token.len() > 128 {
        return Ok(Err(error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "token too long",
        )));
    }
    let visitor = state.db.visitor_by_token(site.id, token).await?;
    let known =
        visitor.is_some() || is_pending_token(&state.db.pending_token_key().await?, site.id, token);
    if !known {
        return Ok(Err(error(
            StatusCode::UNAUTHORIZED,
            "unknown_visitor",
            "the token names no visitor of this site",
        )));
    }
    Ok(Ok((site, visitor.map(|v| v.id))))
}

/// Whether a page URL a browser reports may be shown to agents: `http(s)` only and, on a
/// site with embedding origins (`admin site set --origins`), on one of them. (Agents see it
/// as text either way; this keeps strangers' URLs out of a site that said where it lives.)
fn page_allowed(origins: &[String], url: &str) -> bool {
    let web = url.starts_with("https://") || url.starts_with("http://");
    web && (origins.is_empty()
        || origins.iter().any(|o| {
            url.strip_prefix(o.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
        }))
}

/// How long the visit of a pending token (no message yet) is kept after its last report.
pub const PENDING_VISIT_TTL_MS: i64 = 24 * 3600 * 1000;

/// Stores a report. Storage per visit is bounded by [`validate`] (bytes per report) and the
/// pages kept ([`MAX_PAGES`]; [`MAX_PENDING_PAGES`] while the token is pending); a pending
/// token's visit is created only while the site holds fewer than `--max-pending-visits`
/// of them (else 429), and expires [`PENDING_VISIT_TTL_MS`] after its last report
/// ([`sweep`]). Anyone can mint a pending token, so this is what bounds what strangers
/// store.
async fn record(state: &AppState, r: VisitReport) -> DbResult<Result<(), Response>> {
    let (site, visitor) = match authorise(state, r.sysnum.as_str(), &r.token).await? {
        Ok(found) => found,
        Err(resp) => return Ok(Err(resp)),
    };
    let site_id = site.id;
    if let Some(p) = r.page.as_ref().filter(|p| !p.url.is_empty()) {
        if !page_allowed(&site.origins, &p.url) {
            return Ok(Err(error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the page is not on this site",
            )));
        }
    }
    let (keep, new_pending_cap) = match visitor {
        Some(_) => (MAX_PAGES, None),
        None => (
            MAX_PENDING_PAGES,
            Some(i64::from(state.config.max_pending_visits)),
        ),
    };
    // Only the seed's CRM and routing values are kept; presentation options are not.
    let changed = r.params.is_some() || r.page.is_some();
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
    let stored = state
        .db
        .record_visit(
            site_id,
            token_hash(&r.token),
            params,
            page,
            keep,
            new_pending_cap,
        )
        .await?;
    if !stored {
        tracing::warn!(
            site_id,
            "anonymous visits of this site at --max-pending-visits"
        );
        return Ok(Err(error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many anonymous visits on this site; try again later",
        )));
    }
    // The page called `zc("config")` (again) or the visitor went to another page: whoever
    // may have them open reads the visit again (issue 25: the customer beside the chat).
    if let (true, Some(id)) = (changed, visitor) {
        if let Some(v) = state.db.visitor_by_id(id).await? {
            // Only agents whose lists show them: the one serving them, or the site's while
            // they wait (a visitor in nobody's list is nobody's open chat).
            let frame = || crate::wire::visit_changed_frame(v.id);
            match (v.agent_id, v.waiting_since) {
                (Some(a), _) => {
                    state.hub.send_to_agent(a, &frame());
                }
                (None, Some(_)) => {
                    state.hub.send_to_site(site_id, &frame());
                }
                (None, None) => {}
            }
        }
    }
    Ok(Ok(()))
}

/// The seed's CRM/routing values ([`PARAM_KEYS`]) in the query of a chat link opened directly
/// (`/chat/h5/v2/index.html?sysnum=…&tel=…`; the chat page hands its query to its first
/// `/ws/visitor` socket). `None` when there are none, or for the launcher's iframe (`embed`):
/// there the notifier reports `zc("config")` (and its later changes) instead.
pub(crate) fn link_params(query: &str) -> Option<BTreeMap<String, String>> {
    let pairs: Vec<(String, String)> = query_pairs(query);
    if pairs
        .iter()
        .any(|(k, v)| k == "embed" && shared::config::parse_flag(v) == Some(true))
    {
        return None;
    }
    let kept: BTreeMap<String, String> = pairs
        .into_iter()
        .filter(|(k, v)| PARAM_KEYS.contains(&k.as_str()) && !v.trim().is_empty())
        .collect();
    (!kept.is_empty()).then_some(kept)
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    let uri = format!("/?{query}");
    uri.parse::<axum::http::Uri>()
        .ok()
        .and_then(|u| axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&u).ok())
        .map(|q| q.0)
        .unwrap_or_default()
}

/// Records a chat link's values ([`link_params`]) for the visitor holding `token`, as a
/// `zc("config")` report would (they replace the stored values; a later report replaces
/// them). Values that are too long are refused with a log line, as the endpoint would.
pub(crate) async fn record_link(
    state: &AppState,
    sysnum: shared::ids::Sysnum,
    token: String,
    params: BTreeMap<String, String>,
) {
    let r = VisitReport {
        sysnum,
        token,
        params: Some(params),
        page: None,
    };
    if let Err(why) = validate(&r) {
        tracing::info!(why, "chat link values refused");
        return;
    }
    match record(state, r).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => tracing::info!("chat link values refused"),
        Err(e) => tracing::error!(error = %e, "recording chat link values failed"),
    }
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
    let vips = state.db.vip_levels(site_id).await?;
    let customer = crate::wire::customer_info(&params, &v, &vips);
    Ok(agent_frame(&Envelope::ok(
        key,
        VisitInfo {
            gid: v.id.to_string(),
            params,
            trace,
            customer,
            ratings: state
                .db
                .visitor_ratings(v.id)
                .await?
                .into_iter()
                .map(crate::wire::rating)
                .collect(),
        },
    )))
}

/// How long a presence poll waits for an invitation before answering "nothing".
pub const POLL: Duration = Duration::from_secs(25);
/// A presence not renewed for this long is gone (the notifier polls again at once).
pub const STALE_MS: i64 = 45_000;
/// A poll renews its presence row only when the last renewal is at least this old (or the
/// page changed), so a burst of polls costs one write.
pub const RENEW_MS: i64 = 5_000;
/// Most visitors `32810` lists (the newest pages first).
pub const ON_SITE_MAX: i64 = 1_000;

async fn presence(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r: PresenceReport = match admit(
        &state,
        addr,
        &headers,
        &body,
        "presence is reported only by the chat's own origin",
    ) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    if r.url.chars().count() > MAX_URL || r.title.chars().count() > MAX_TEXT {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "url or title too long",
        );
    }
    if r.url.contains('\0') || r.title.contains('\0') {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "url and title may not contain NUL characters",
        );
    }
    match poll(&state, r).await {
        Ok(Ok(invite)) => Json(PresenceAnswer { invite }).into_response(),
        Ok(Err(resp)) => resp,
        Err(e) => {
            tracing::error!(error = %e, "presence failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        }
    }
}

/// Renews the visitor's presence row and waits (up to [`POLL`]) for an invitation: the one
/// already waiting in the database, or one an agent on any node leaves while this poll is
/// held here (a bus note wakes it; the poll's last read before answering catches a lost
/// note).
async fn poll(state: &AppState, r: PresenceReport) -> DbResult<Result<Option<String>, Response>> {
    let (site, gid) = match authorise(state, r.sysnum.as_str(), &r.token).await? {
        Ok(v) => v,
        Err(resp) => return Ok(Err(resp)),
    };
    let site_id = site.id;
    if !page_allowed(&site.origins, &r.url) {
        return Ok(Err(error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the page is not on this site",
        )));
    }
    let hash = token_hash(&r.token);
    let now = now_ms();
    let row = state
        .db
        .presence_of(site_id, &hash)
        .await?
        .filter(|p| now - p.renewed_at < STALE_MS);
    let id = match row {
        Some(p)
            if p.url == r.url
                && p.title == r.title
                && p.visitor_id == gid
                && now - p.renewed_at < RENEW_MS =>
        {
            p.id
        }
        _ => {
            state
                .db
                .renew_presence(PresenceRenewal {
                    site_id,
                    token_hash: hash,
                    visitor_id: gid,
                    url: r.url,
                    title: r.title,
                    fresh_vid: random_hex(8),
                    now,
                    stale_before: now - STALE_MS,
                })
                .await?
        }
    };
    let watch = state.hub.watch_presence(id);
    let deadline = tokio::time::Instant::now() + POLL;
    let mut shutdown = state.shutdown.clone();
    loop {
        // Listen before reading, so an invitation stored in between still wakes this poll.
        let woken = watch.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if let Some(text) = take_invite(state, id).await? {
            return Ok(Ok(Some(text)));
        }
        tokio::select! {
            _ = &mut woken => {}
            _ = tokio::time::sleep_until(deadline) => break,
            _ = shutdown.changed() => return Ok(Ok(None)),
        }
    }
    Ok(Ok(take_invite(state, id).await?))
}

/// The invitation waiting in presence row `id`, taken so that no other poll (on any node)
/// delivers it again.
async fn take_invite(state: &AppState, id: i64) -> DbResult<Option<String>> {
    let Some(text) = state.db.presence_invite(id).await? else {
        return Ok(None);
    };
    Ok(state
        .db
        .take_presence_invite(id, text.clone())
        .await?
        .then_some(text))
}

/// `32810` (extension): who is on the agent's site now (on any node), newest page first.
pub async fn agent_on_site(state: &AppState, site_id: i64) -> DbResult<AgentFrame> {
    // A blocked visitor is nobody's to see (issue 25).
    let blocks = crate::blocks::rules(state, site_id).await?;
    let now = now_ms();
    let list: Vec<OnSite> = state
        .db
        .present_on_site(site_id, now - STALE_MS, ON_SITE_MAX)
        .await?
        .into_iter()
        .filter(|p| p.visitor_id.is_none() || !blocks.blocks(p.visitor_id, None, now))
        .map(|p| OnSite {
            vid: p.vid,
            url: p.url,
            title: p.title,
            since: p.since,
            last: p.renewed_at,
            gid: p.visitor_id.map(|g| g.to_string()),
        })
        .collect();
    Ok(agent_frame(&Envelope::ok(
        shared::agent::api::ON_SITE,
        list,
    )))
}

/// `32811` (extension): invites the visitor on site `gid` (a `vid`) with `msg`: stored in
/// their presence row, and every node told, so the poll that holds it (or the next one, on
/// any node) answers with it once.
pub async fn agent_invite(state: &AppState, site_id: i64, req: &Request) -> DbResult<AgentFrame> {
    let key = shared::agent::api::INVITE;
    let vid = req
        .gid
        .as_ref()
        .map(|g| g.0.trim().to_owned())
        .unwrap_or_default();
    let text: String = req
        .msg
        .as_ref()
        .map(|m| m.0.trim().chars().take(MAX_TEXT).collect())
        .unwrap_or_default();
    let stored = if vid.is_empty() || vid.len() > 64 {
        None
    } else {
        state
            .db
            .invite_present(site_id, vid, text, now_ms() - STALE_MS)
            .await?
    };
    let Some(id) = stored else {
        return Ok(agent_frame(&Envelope::error(
            key,
            code::INVITE_NOT_ON_SITE,
            "this visitor is not on the site now",
        )));
    };
    state.hub.invited(id);
    Ok(agent_frame(&Envelope::ok(key, shared::agent::Empty {})))
}

/// Deletes presence rows not renewed for [`STALE_MS`] (run by the leased cluster sweep).
/// Deletes stale presence rows and expired visits of pending tokens (at most
/// [`EXPIRE_BATCH`] per round, so a round is one short write).
pub async fn sweep(state: &AppState) -> DbResult<()> {
    state.db.sweep_presence(now_ms() - STALE_MS).await?;
    let expired = state
        .db
        .expire_pending_visits(now_ms() - PENDING_VISIT_TTL_MS, EXPIRE_BATCH)
        .await?;
    if expired > 0 {
        tracing::info!(expired, "visits of pending tokens expired");
    }
    Ok(())
}

/// Most expired visits deleted per sweep round.
const EXPIRE_BATCH: i64 = 1_000;

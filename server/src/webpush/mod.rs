//! Web push to agents' phones and desktops (issue 27 item 6): the console installed as a PWA
//! subscribes its browser's push service, and when a new chat reaches an agent while no
//! console of theirs is connected, their subscriptions get a notification.
//!
//! **Who is notified.** A new chat is a visitor's message for people while nobody serves
//! them ([`new_chat`], called by `conversation`): the agent routing assigned them to, or —
//! when they start waiting in the queue — every agent of the site. Of those, only agents
//! with **no live console connection on any node** get a push: a phone in a pocket (whose
//! console tab the phone suspended, or which is closed) buzzes; an agent at an open console
//! already hears the console's own alert and is not buzzed twice. A waiting visitor's
//! further messages, and chats that are already someone's, push nothing.
//!
//! **Keys.** The VAPID key pair (P-256) is generated on the first start and stored in the
//! database (`settings`), so every node of a cluster signs with the same key and a restart
//! keeps it (browsers bind a subscription to the key). [`router`] serves its public key to
//! logged-in agents and stores their subscriptions (`shared::webpush`).
//!
//! **Delivery.** Like the seed 000 outbox (`crate::push`): one durable row per subscription
//! per notification (`db/webpush.rs`), leased by one node's [`worker`], at least once,
//! retried with the push settings' backoff on 5xx/408/429/network errors. A 404 or 410 from
//! the push service means the subscription is gone: it is deleted. The endpoint is vetted
//! by `push::vet` (public addresses only, pinned, no redirects) and must be `https://`;
//! `--webpush-allow-private` (tests, development) allows `http://` and private addresses.
//! Each request is encrypted (RFC 8291 aes128gcm) and signed (RFC 8292 VAPID), with
//! `TTL: 3600` and `Urgency: high` ([`crypto`]).

pub mod crypto;

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use shared::webpush::{
    Notice, Subscribed, Subscription, Unsubscribe, VapidKey, MAX_ENDPOINT_CHARS, MAX_SUBSCRIPTIONS,
    NOTICE_BODY_CHARS,
};

use crate::db::{now_ms, now_s, Agent, AttemptResult, DbResult, StoredMessage, WebpushDelivery};
use crate::http::ApiError;
use crate::push;
use crate::AppState;
use crypto::Vapid;

/// How long a push service keeps a notification for a phone that is offline (seconds): a
/// chat older than this is better seen in the console than announced.
pub const TTL_S: u32 = 3600;

/// This process's part: the worker's wake-up and the VAPID key once read.
#[derive(Default)]
pub struct Local {
    wake: tokio::sync::Notify,
    vapid: tokio::sync::OnceCell<Vapid>,
}

/// The VAPID key pair: the database's, or a new one stored now (first start).
pub async fn vapid(state: &AppState) -> DbResult<&Vapid> {
    state
        .webpush
        .vapid
        .get_or_try_init(|| async {
            let stored = state.db.webpush_vapid_key(Vapid::generate()).await?;
            Vapid::from_pkcs8(&stored).ok_or_else(|| {
                crate::db::DbError::Corrupt("the stored VAPID key is not a P-256 key".into())
            })
        })
        .await
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/agent/push/key", get(key)).route(
        "/api/agent/push/subscription",
        axum::routing::post(subscribe).delete(unsubscribe),
    )
}

/// The logged-in, enabled agent of the request's bearer token.
async fn agent(state: &AppState, headers: &HeaderMap) -> Result<Agent, ApiError> {
    let token = crate::security::bearer(headers).unwrap_or("");
    let agent = match state.db.agent_token(token).await? {
        Some(t) => state.db.agent_by_id(t.agent_id).await?,
        None => None,
    };
    agent
        .filter(|a| !a.disabled)
        .ok_or(ApiError::InvalidCredentials)
}

async fn key(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    agent(&state, &headers).await?;
    let v = vapid(&state).await?;
    Ok(Json(VapidKey {
        key: v.public.clone(),
    })
    .into_response())
}

/// Why a subscription is refused (`invalid`), or `None`.
pub fn check(s: &Subscription, allow_private: bool) -> Option<String> {
    if s.endpoint.chars().count() > MAX_ENDPOINT_CHARS {
        return Some(format!(
            "the endpoint is longer than {MAX_ENDPOINT_CHARS} characters"
        ));
    }
    let url = match reqwest::Url::parse(&s.endpoint) {
        Ok(u) => u,
        Err(_) => return Some("the endpoint is not a URL".into()),
    };
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => allow_private,
        _ => false,
    };
    if !scheme_ok || url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() {
        return Some("the endpoint must be an https:// URL".into());
    }
    if !crypto::unb64(&s.keys.p256dh).is_some_and(|k| crypto::valid_p256_public(&k)) {
        return Some("keys.p256dh is not a P-256 public key in base64url".into());
    }
    if crypto::unb64(&s.keys.auth).is_none_or(|a| a.len() != 16) {
        return Some("keys.auth is not a 16-byte secret in base64url".into());
    }
    None
}

async fn subscribe(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Subscription>, JsonRejection>,
) -> Result<Response, ApiError> {
    let a = agent(&state, &headers).await?;
    let Json(s) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    if let Some(why) = check(&s, state.config.webpush_allow_private) {
        return Ok(invalid(why));
    }
    let n = state
        .db
        .add_webpush_subscription(
            a.id,
            &s.endpoint,
            &s.keys.p256dh,
            &s.keys.auth,
            MAX_SUBSCRIPTIONS,
        )
        .await?;
    tracing::info!(
        agent = a.id,
        subscriptions = n,
        "web push subscription stored"
    );
    Ok(Json(Subscribed { subscriptions: n }).into_response())
}

async fn unsubscribe(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Unsubscribe>, JsonRejection>,
) -> Result<Response, ApiError> {
    let a = agent(&state, &headers).await?;
    let Json(u) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    state
        .db
        .delete_webpush_subscription(a.id, &u.endpoint)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn invalid(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": "invalid", "message": message })),
    )
        .into_response()
}

/// After visitor message `m` of site `site_id` was routed (nobody served them before it):
/// `serving` serves them now, `assigned_now` when this routing assigned them. Queues the
/// notifications the module doc describes; failures are logged (the chat goes on).
pub async fn new_chat(
    state: &AppState,
    site_id: i64,
    m: &StoredMessage,
    serving: Option<i64>,
    assigned_now: bool,
) {
    if let Err(e) = try_new_chat(state, site_id, m, serving, assigned_now).await {
        tracing::error!(error = %e, visitor = m.visitor_id, "queueing web pushes failed");
    }
}

async fn try_new_chat(
    state: &AppState,
    site_id: i64,
    m: &StoredMessage,
    serving: Option<i64>,
    assigned_now: bool,
) -> DbResult<()> {
    let subscribers = state.db.webpush_subscribers(site_id).await?;
    if subscribers.is_empty() {
        return Ok(());
    }
    let Some(v) = state.db.visitor_by_id(m.visitor_id).await? else {
        return Ok(());
    };
    let told: Vec<i64> = match serving {
        Some(a) if assigned_now => vec![a],
        // They started waiting with this very message: a new chat for anyone of the site.
        None if v.waiting_since == Some(m.created_at) => subscribers.clone(),
        _ => return Ok(()),
    };
    let mut to = Vec::new();
    for a in told.into_iter().filter(|a| subscribers.contains(a)) {
        if !state
            .db
            .agent_online_anywhere(a, state.alive_since())
            .await?
        {
            to.push(a);
        }
    }
    if to.is_empty() {
        return Ok(());
    }
    let notice = Notice {
        title: if v.uname.trim().is_empty() {
            format!("#{}", v.id)
        } else {
            v.uname.clone()
        },
        body: m.body.chars().take(NOTICE_BODY_CHARS).collect(),
        gid: v.id.to_string(),
    };
    let payload = serde_json::to_string(&notice).expect("a notice serialises");
    let n = state.db.enqueue_webpush(&to, &payload).await?;
    tracing::debug!(visitor = v.id, agents = ?to, notifications = n, "web pushes queued");
    state.webpush.wake.notify_one();
    Ok(())
}

/// Delivers due notifications until the server shuts down. Creates the VAPID key pair on a
/// first start.
pub async fn worker(state: AppState) {
    if let Err(e) = vapid(&state).await {
        tracing::error!(error = %e, "reading or creating the VAPID key failed");
    }
    let mut shutdown = state.shutdown.clone();
    // A lease outlasts an attempt (the push timeout) and its recording, as in `push`.
    const LEASE_MS: i64 = 60_000;
    let holder = crate::db::random_hex(8);
    loop {
        if *shutdown.borrow() {
            break;
        }
        let due = match state
            .db
            .lease_webpushes(&holder, now_ms(), LEASE_MS, 16)
            .await
        {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "leasing from the web push queue failed");
                Vec::new()
            }
        };
        // One batch at a time, its attempts side by side (each bounded by the timeout).
        let idle = due.is_empty();
        let batch = due.into_iter().map(|d| attempt(&state, d));
        futures_util::future::join_all(batch).await;
        let wait = match state.db.next_webpush_due().await {
            Ok(Some(at)) => Duration::from_millis((at - now_ms()).clamp(0, 60_000) as u64),
            _ => Duration::from_secs(60),
        };
        // Nothing could be leased although something is due (a failing database): don't
        // spin on it.
        let wait = if idle {
            wait.max(Duration::from_millis(500))
        } else {
            wait
        };
        if wait.is_zero() {
            continue;
        }
        tokio::select! {
            _ = state.webpush.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn attempt(state: &AppState, d: WebpushDelivery) {
    let n = d.attempts + 1;
    let result = match try_deliver(state, &d).await {
        Some(r) => r,
        None => return, // the subscription is gone, and with it this row
    };
    if result.outcome == "delivered" {
        tracing::info!(delivery = d.id, attempt = n, "web push delivered");
    } else {
        tracing::warn!(
            delivery = d.id,
            attempt = n,
            outcome = result.outcome,
            status = result.status,
            error = result.error.as_deref().unwrap_or(""),
            "web push not delivered"
        );
    }
    if let Err(e) = state.db.record_webpush_attempt(d.id, n, &result).await {
        tracing::error!(error = %e, delivery = d.id, "recording a web push attempt failed");
    }
}

/// One attempt; `None` when the subscription no longer exists (deleted here on a 404/410).
async fn try_deliver(state: &AppState, d: &WebpushDelivery) -> Option<AttemptResult> {
    let cfg = &state.config;
    let n = d.attempts + 1;
    let retry = |status: Option<i64>, error: String| push::retry_or_give_up(cfg, n, status, error);
    let final_ = |outcome, status, error: String| push::settled(outcome, status, Some(error));
    let sub = match state.db.webpush_subscription(d.subscription_id).await {
        Ok(Some(s)) => s,
        Ok(None) => return None,
        Err(e) => return Some(retry(None, format!("database: {e}"))),
    };
    let vapid = match vapid(state).await {
        Ok(v) => v,
        Err(e) => return Some(retry(None, format!("VAPID key: {e}"))),
    };
    let allow_private = cfg.webpush_allow_private;
    if !(sub.endpoint.starts_with("https://") || allow_private) {
        return Some(final_("refused", None, "not an https:// endpoint".into()));
    }
    let target = match push::vet(&sub.endpoint, allow_private).await {
        Ok(t) => t,
        Err(Ok(refused)) => return Some(final_("refused", None, refused.to_string())),
        Err(Err(e)) => return Some(retry(None, e)),
    };
    let (Some(p256dh), Some(auth)) = (crypto::unb64(&sub.p256dh), crypto::unb64(&sub.auth)) else {
        return Some(final_(
            "failed",
            None,
            "the subscription's keys do not decode".into(),
        ));
    };
    let Some(body) = crypto::encrypt(&p256dh, &auth, d.payload.as_bytes()) else {
        return Some(final_(
            "failed",
            None,
            "the subscription's key is not a P-256 point".into(),
        ));
    };
    let origin = target.url.origin().ascii_serialization();
    let subject = if cfg.public_url.starts_with("https://") {
        cfg.public_url.clone()
    } else {
        "mailto:webpush@localhost".to_owned()
    };
    let client = match push::client(
        cfg,
        &target,
        concat!("Frontdesk-WebPush/", env!("CARGO_PKG_VERSION")),
    ) {
        Ok(c) => c,
        Err(e) => return Some(retry(None, format!("http client: {e}"))),
    };
    let sent = client
        .post(target.url)
        .header(
            reqwest::header::AUTHORIZATION,
            vapid.authorization(&origin, &subject, now_s()),
        )
        .header(reqwest::header::CONTENT_ENCODING, "aes128gcm")
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .header("TTL", TTL_S.to_string())
        .header("Urgency", "high")
        .body(body)
        .send()
        .await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) => return Some(retry(None, format!("request: {e}"))),
    };
    let status = resp.status();
    let code = Some(i64::from(status.as_u16()));
    Some(if status.is_success() {
        push::settled("delivered", code, None)
    } else if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
        tracing::info!(subscription = sub.id, %status, "web push subscription gone: deleted");
        if let Err(e) = state.db.drop_webpush_subscription(sub.id).await {
            return Some(retry(code, format!("deleting the gone subscription: {e}")));
        }
        return None;
    } else if push::retryable(status) {
        retry(code, format!("HTTP {status}"))
    } else {
        final_("failed", code, format!("HTTP {status}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::webpush::SubscriptionKeys;

    fn sub(endpoint: &str, p256dh: &str, auth: &str) -> Subscription {
        Subscription {
            endpoint: endpoint.into(),
            keys: SubscriptionKeys {
                p256dh: p256dh.into(),
                auth: auth.into(),
            },
        }
    }

    const KEY: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    #[test]
    fn subscriptions_are_checked() {
        assert_eq!(
            check(&sub("https://fcm.googleapis.com/x", KEY, AUTH), false),
            None
        );
        assert!(check(&sub("http://127.0.0.1:9/x", KEY, AUTH), false).is_some());
        assert_eq!(check(&sub("http://127.0.0.1:9/x", KEY, AUTH), true), None);
        assert!(check(&sub("ftp://example.com/x", KEY, AUTH), true).is_some());
        let long = format!("https://example.com/{}", "a".repeat(MAX_ENDPOINT_CHARS));
        assert!(check(&sub(&long, KEY, AUTH), false).is_some());
        assert!(check(&sub("https://example.com/x", &KEY[..40], AUTH), false).is_some());
        assert!(check(&sub("https://example.com/x", KEY, "c2hvcnQ"), false).is_some());
    }
}

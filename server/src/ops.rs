//! What an operator's monitoring reads: `GET /metrics` (Prometheus text format 0.0.4; served
//! only with `serve --metrics-token T`, then only to `Authorization: Bearer T`) and
//! `GET /readyz` (200 when this node can serve: the database answers, its last write
//! committed, and with `--redis-url` Redis answers; else 503, the JSON body says which
//! check failed). `/healthz` (`crate::http`) only says the process runs.
//!
//! The exposition is the counters of [`crate::metrics`] plus what is read when scraped: the
//! queue length of every site and the push backlog (from the database, so every node tells
//! the same), the rate limiters' refusals, the bus counters labelled with this node's id,
//! and the readiness checks as `frontdesk_up{check}`. A check that does not answer within
//! [`CHECK_TIMEOUT`] counts as down; a scrape never waits longer than that per check.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::Serialize;

use crate::AppState;

/// How long one readiness check (a database round trip, a Redis `PING`) may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/readyz", get(readyz))
}

/// The readiness checks' results.
#[derive(Debug, Serialize)]
struct Ready {
    ready: bool,
    /// `ok`, or why not.
    database: String,
    /// `ok`, or the error of the last write transaction (it failed, none committed since).
    writes: String,
    /// `ok`, `unused` (one node), or why not.
    redis: String,
}

impl Ready {
    fn ok(check: &str) -> bool {
        check == "ok" || check == "unused"
    }
}

async fn check_ready(state: &AppState) -> Ready {
    let database = match tokio::time::timeout(CHECK_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => "ok".to_owned(),
        Ok(Err(e)) => format!("unreachable: {e}"),
        Err(_) => format!("no answer within {CHECK_TIMEOUT:?}"),
    };
    let writes = match state.metrics.writes_failing() {
        None => "ok".to_owned(),
        Some(e) => format!("the last write failed: {e}"),
    };
    let redis = match state.config.redis_url.as_deref() {
        None => "unused".to_owned(),
        Some(url) => match tokio::time::timeout(CHECK_TIMEOUT, redis_ping(url)).await {
            Ok(Ok(())) => "ok".to_owned(),
            Ok(Err(e)) => format!("unreachable: {e}"),
            Err(_) => format!("no answer within {CHECK_TIMEOUT:?}"),
        },
    };
    Ready {
        ready: Ready::ok(&database) && Ready::ok(&writes) && Ready::ok(&redis),
        database,
        writes,
        redis,
    }
}

async fn redis_ping(url: &str) -> redis::RedisResult<()> {
    let client = redis::Client::open(url)?;
    let mut c = client.get_multiplexed_async_connection().await?;
    let _: String = redis::cmd("PING").query_async(&mut c).await?;
    Ok(())
}

async fn readyz(State(state): State<AppState>) -> Response {
    let r = check_ready(&state).await;
    let status = if r.ready {
        StatusCode::OK
    } else {
        tracing::warn!(database = %r.database, writes = %r.writes, redis = %r.redis, "not ready");
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(r)).into_response()
}

/// Whether `headers` carry `Authorization: Bearer <token>` (compared in constant time).
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    use subtle::ConstantTimeEq;
    crate::security::bearer(headers)
        .is_some_and(|given| given.as_bytes().ct_eq(token.as_bytes()).into())
}

type Labels = Vec<(&'static str, String)>;

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !authorized(&headers, token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need Authorization: Bearer <--metrics-token>",
        )
            .into_response();
    }
    let ready = check_ready(&state).await;
    let mut r = Registry::with_prefix("frontdesk");
    let up = Family::<Labels, Gauge>::default();
    for (check, value) in [
        ("database", &ready.database),
        ("writes", &ready.writes),
        ("redis", &ready.redis),
    ] {
        up.get_or_create(&vec![("check", check.to_owned())])
            .set(i64::from(Ready::ok(value)));
    }
    r.register(
        "up",
        "Readiness checks (1 ok, 0 failing), as /readyz reports them",
        up,
    );
    let queue = Family::<Labels, Gauge>::default();
    if let Ok(Ok(lengths)) = tokio::time::timeout(CHECK_TIMEOUT, state.db.queue_lengths()).await {
        for (site, n) in lengths {
            queue
                .get_or_create(&vec![("site", site.to_string())])
                .set(n);
        }
    }
    r.register(
        "queue_length",
        "Visitors waiting for an agent, per site (business_id)",
        queue,
    );
    if let Ok(Ok(n)) = tokio::time::timeout(CHECK_TIMEOUT, state.db.push_backlog()).await {
        let g = Gauge::<i64>::default();
        g.set(n);
        r.register(
            "push_backlog",
            "Custom pushes waiting to be delivered (pending), all sites",
            g,
        );
    }
    let refused = Family::<Labels, Counter>::default();
    let l = &state.limits;
    for (name, n) in [
        ("visitor_msgs", l.visitor_msgs.refused()),
        ("connects", l.connects.refused()),
        ("logins", l.logins.refused()),
        ("login_failures", l.login_failures.refused()),
        ("agent_connects", l.agent_connects.refused()),
        ("agent_reqs", l.agent_reqs.refused()),
        ("typing", l.typing.refused()),
        (
            "new_visitors_per_client",
            l.new_visitors_per_client.refused(),
        ),
        ("new_visitors_per_site", l.new_visitors_per_site.refused()),
        ("msgs_per_client", l.msgs_per_client.refused()),
        ("msgs_per_site", l.msgs_per_site.refused()),
    ] {
        refused
            .get_or_create(&vec![("limit", name.to_owned())])
            .inc_by(n);
    }
    r.register(
        "rate_limit_refusals",
        "Events a rate limit refused, per limit",
        refused,
    );
    let m = &state.metrics;
    let node = state
        .node
        .get()
        .map_or_else(|| "unregistered".to_owned(), i64::to_string);
    let notes = Family::<Labels, Counter>::default();
    for (direction, c) in [
        ("sent", &m.bus_sent),
        ("dropped", &m.bus_dropped),
        ("received", &m.bus_received),
    ] {
        notes
            .get_or_create(&vec![
                ("node", node.clone()),
                ("direction", direction.into()),
            ])
            .inc_by(c.get());
    }
    r.register(
        "bus_notes",
        "Notes this node handed to the bus, dropped (bus queue full) or received from others",
        notes,
    );
    for (name, help, c) in [
        (
            "bus_resyncs",
            "Bus reconnects after which every tab of this node resynced from the database",
            &m.bus_resyncs,
        ),
        (
            "catch_ups",
            "Times a visitor tab read missing messages from the database (gap, lag, resync)",
            &m.catch_ups,
        ),
    ] {
        let f = Family::<Labels, Counter>::default();
        f.get_or_create(&vec![("node", node.clone())])
            .inc_by(c.get());
        r.register(name, help, f);
    }
    let mut body = String::with_capacity(16 * 1024);
    if prometheus_text::encode(&mut body, m.registry()).is_err()
        || prometheus_text::encode(&mut body, &r).is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)],
        body,
    )
        .into_response()
}

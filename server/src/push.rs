//! Seed 000 "custom push URL": every message of a site that has a push URL is POSTed there,
//! and every message a visitor leaves ([`enqueue_left`], issue 24).
//!
//! **Payload.** A JSON object (`Content-Type: application/json`) with exactly the seed's ten
//! fields: `visiter_id` (the visitor's `gid`, string), `content` (the message body),
//! `business_id` (the site id, number), `service_id` (the agent's `kf_id` as a string, or
//! `""` while nobody serves the visitor), `direction` (`to_service` for visitor → agent,
//! `to_visiter` for agent → visitor), `timestamp` (unix seconds of the message), `group` (the
//! agent's first group name or `""`), `state` (`online` when the visitor has the chat open
//! at the time of the message, else `offline`), `service_name` (agent nick or `""`),
//! `service_url` (agent avatar URL or `""`). The seed's table has no types; we chose JSON
//! over a form post so the types above survive, and strings for ids like seed 001 does.
//!
//! **Signature.** Each attempt carries `X-Frontdesk-Timestamp: <unix seconds>` and
//! `X-Frontdesk-Signature: sha256=<hex HMAC-SHA256(key = the site's secret,
//! message = "<timestamp>.<raw body>")>` (the same `secret` that `admin site create`
//! prints). Receivers recompute it over the raw body bytes, compare in constant time and
//! reject timestamps far from their clock (e.g. more than 5 minutes) to stop replays.
//! `X-Frontdesk-Delivery: <id>` is the same on every retry of one message, so a receiver can
//! drop duplicates (delivery is at least once).
//!
//! **Durability and retries.** [`enqueue`] writes the outbox row right after the message
//! committed (`push_deliveries`); the [`worker`] delivers due rows, wakes on
//! [`AppState::push_wake`] after an enqueue, and survives restarts because the queue is in
//! the database. A 2xx response is delivered. 5xx, 408, 429 and network errors are retried
//! with exponential backoff and jitter (`Config::push_backoff_base` doubling up to
//! `push_backoff_max`, at most `push_max_attempts` attempts, then `failed`). Other statuses
//! (3xx — redirects are never followed — and 4xx) are final: `failed` at once. Every attempt
//! is logged in `push_attempts`. Fairness: at most 8 attempts run at once and at most 2 for
//! one site, and a finished attempt's place is refilled at once, so a site whose receiver is
//! slow or hangs delays only its own pushes, never another site's.
//!
//! **Where we send (SSRF guard).** Only `http`/`https` URLs. The host is resolved here and
//! the request is refused if *any* resolved address is loopback, private, link-local,
//! unique-local, CGNAT, unspecified, broadcast/multicast, reserved, documentation/benchmark
//! or a cloud metadata address (see [`forbidden_ip`]) — unless the site has
//! `push_allow_private`. The connection then goes to exactly the vetted addresses (pinned in
//! the client, so a second DNS answer cannot rebind it), with no proxy, no redirects,
//! a 5 s connect and 10 s total timeout. A refused target is logged as `refused` and never
//! retried (nothing was sent).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use shared::agent::{Direction, Presence};
use shared::leave::FieldValue;
use shared::visitor::Author;

use crate::db::{now_ms, now_s, AttemptResult, DbResult, PushDelivery, PushOf, StoredMessage};
use crate::AppState;

/// The seed 000 push body. Field names are the wire format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushPayload {
    pub visiter_id: String,
    pub content: String,
    pub business_id: i64,
    pub service_id: String,
    pub direction: Direction,
    pub timestamp: i64,
    pub group: String,
    pub state: Presence,
    pub service_name: String,
    pub service_url: String,
}

/// Header names of the signature scheme.
pub const TIMESTAMP_HEADER: &str = "x-frontdesk-timestamp";
pub const SIGNATURE_HEADER: &str = "x-frontdesk-signature";
pub const DELIVERY_HEADER: &str = "x-frontdesk-delivery";

/// `sha256=<hex>` of HMAC-SHA256(`secret`, `"<timestamp>.<body>"`).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// After a message committed: queue its push when the site has a push URL and wake the
/// worker. `serving` is the agent serving the visitor (for a visitor's message). Failures are
/// logged; they never fail the message.
pub async fn enqueue(state: &AppState, site_id: i64, m: &StoredMessage, serving: Option<i64>) {
    if let Err(e) = try_enqueue(state, site_id, m, serving).await {
        tracing::error!(error = %e, message = m.id, "queueing a push failed");
    }
}

/// The site's push URL, if it has one.
async fn push_url(state: &AppState, site_id: i64) -> DbResult<Option<String>> {
    // Most sites have no push URL: answered from memory, no query per message.
    if state.db.site_push_url(site_id).await?.is_none() {
        return Ok(None);
    }
    Ok(state
        .db
        .site_by_id(site_id)
        .await?
        .and_then(|site| site.push_url)
        .filter(|u| !u.is_empty()))
}

/// Writes the outbox row of `payload` for `of` and wakes the worker.
async fn queue(
    state: &AppState,
    of: PushOf,
    site_id: i64,
    url: &str,
    payload: &PushPayload,
) -> DbResult<()> {
    let body = serde_json::to_string(payload).expect("payload serialises");
    state.db.enqueue_push(of, site_id, url, &body).await?;
    state.push_wake.notify_one();
    Ok(())
}

async fn try_enqueue(
    state: &AppState,
    site_id: i64,
    m: &StoredMessage,
    serving: Option<i64>,
) -> DbResult<()> {
    if m.author == Author::System {
        return Ok(());
    }
    let Some(url) = push_url(state, site_id).await? else {
        return Ok(());
    };
    // A robot message names no agent (`service_name` is the robot's name).
    let agent_id = match m.author {
        Author::Robot => None,
        _ => m.agent_id.or(serving),
    };
    let agent = match agent_id {
        Some(a) => state.db.agent_by_id(a).await?,
        None => None,
    };
    let group = match &agent {
        Some(a) => state
            .db
            .groups_of_agent(a.id)
            .await?
            .into_iter()
            .next()
            .map(|g| g.groupname)
            .unwrap_or_default(),
        None => String::new(),
    };
    let payload = PushPayload {
        visiter_id: m.visitor_id.to_string(),
        content: m.body.clone(),
        business_id: site_id,
        service_id: agent.as_ref().map(|a| a.id.to_string()).unwrap_or_default(),
        direction: Direction::of(m.author),
        timestamp: m.created_at / 1000,
        group,
        state: Presence::of(crate::presence::visitor_online(state, m.visitor_id).await?),
        service_name: match m.author {
            Author::Robot => m.agent_nick.clone().unwrap_or_default(),
            _ => agent.as_ref().map(|a| a.nick.clone()).unwrap_or_default(),
        },
        service_url: agent.map(|a| a.headimgurl).unwrap_or_default(),
    };
    queue(state, PushOf::Message(m.id), site_id, &url, &payload).await
}

/// A message a visitor left (issue 24), as the push sees it.
pub struct LeftPush<'a> {
    pub id: i64,
    pub site_id: i64,
    pub visitor_id: i64,
    pub content: &'a str,
    /// The form's other fields (phone, email, …), as the form labelled them.
    pub fields: &'a [FieldValue],
    pub group_id: Option<i64>,
}

/// After a visitor left a message: queue its push when the site has a push URL, like a
/// visitor's message nobody serves (`direction` `to_service`, `service_*` empty, `group` the
/// group the page asked for). The seed's payload has no field for the form's values, so
/// `content` is the message followed by one `label: value` line per filled field (a
/// receiver needs the phone or email to answer). Failures are logged; the message is kept.
pub async fn enqueue_left(state: &AppState, left: LeftPush<'_>) {
    if let Err(e) = try_enqueue_left(state, &left).await {
        tracing::error!(error = %e, left = left.id, "queueing a push failed");
    }
}

async fn try_enqueue_left(state: &AppState, left: &LeftPush<'_>) -> DbResult<()> {
    let Some(url) = push_url(state, left.site_id).await? else {
        return Ok(());
    };
    let group = match left.group_id {
        Some(g) => state
            .db
            .groups_of_site(left.site_id)
            .await?
            .into_iter()
            .find(|x| x.id == g)
            .map(|x| x.groupname)
            .unwrap_or_default(),
        None => String::new(),
    };
    let payload = PushPayload {
        visiter_id: left.visitor_id.to_string(),
        content: left_content(left.content, left.fields),
        business_id: left.site_id,
        service_id: String::new(),
        direction: Direction::ToService,
        timestamp: now_s(),
        group,
        state: Presence::of(crate::presence::visitor_online(state, left.visitor_id).await?),
        service_name: String::new(),
        service_url: String::new(),
    };
    queue(state, PushOf::Left(left.id), left.site_id, &url, &payload).await
}

/// A left message's `content`: the text, then `label: value` for each filled field.
fn left_content(content: &str, fields: &[FieldValue]) -> String {
    let mut out = content.to_owned();
    for f in fields.iter().filter(|f| !f.value.is_empty()) {
        out.push('\n');
        out.push_str(&f.label);
        out.push_str(": ");
        out.push_str(&f.value);
    }
    out
}

/// Whether a push may not go to `ip` (without the site's `push_allow_private`).
pub fn forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // includes the metadata address 169.254.169.254
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let [hi, lo] = [s[6].to_be_bytes(), s[7].to_be_bytes()];
        return forbidden_v4(Ipv4Addr::new(hi[0], hi[1], lo[0], lo[1]));
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7 (includes fd00:ec2::254)
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // deprecated site-local fec0::/10
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation 2001:db8::/32
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard 100::/64
        || (s[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible ::a.b.c.d (deprecated)
}

/// Why a push was not sent at all.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("not an http(s) URL: {0}")]
    BadUrl(String),
    #[error("{host} resolves to {ip}, a private/reserved address (push_allow_private is off)")]
    Private { host: String, ip: IpAddr },
}

/// The target of a push: the parsed URL and the vetted addresses to connect to.
#[derive(Debug)]
pub struct Target {
    pub url: reqwest::Url,
    /// The host name to pin (`None` for an IP literal).
    pub domain: Option<String>,
    pub addrs: Vec<SocketAddr>,
}

/// Parses and resolves `url`, refusing forbidden addresses unless `allow_private`.
/// `Err(Ok(_))` is a refusal (final), `Err(Err(_))` a resolution failure (retry).
pub async fn vet(url: &str, allow_private: bool) -> Result<Target, Result<Refused, String>> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| Ok(Refused::BadUrl(format!("{url}: {e}"))))?;
    if !matches!(parsed.scheme(), "http" | "https")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(Ok(Refused::BadUrl(url.to_owned())));
    }
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| Ok(Refused::BadUrl(url.to_owned())))?;
    let host = parsed.host_str().unwrap_or_default();
    // The URL parser normalises IP literals (`0x7f.1` → `127.0.0.1`, `[::1]`).
    let literal = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<IpAddr>().ok(),
        None => host.parse::<IpAddr>().ok(),
    };
    let (domain, addrs) = match (literal, host) {
        (_, "") => return Err(Ok(Refused::BadUrl(url.to_owned()))),
        (Some(ip), _) => (None, vec![SocketAddr::new(ip, port)]),
        (None, d) => {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((d, port))
                .await
                .map_err(|e| Err(format!("resolving {d}: {e}")))?
                .collect();
            if addrs.is_empty() {
                return Err(Err(format!("{d} has no addresses")));
            }
            (Some(d.to_owned()), addrs)
        }
    };
    if !allow_private {
        if let Some(a) = addrs.iter().find(|a| forbidden_ip(a.ip())) {
            return Err(Ok(Refused::Private {
                host: parsed.host_str().unwrap_or_default().to_owned(),
                ip: a.ip(),
            }));
        }
    }
    Ok(Target {
        url: parsed,
        domain,
        addrs,
    })
}

/// Delay before attempt `failed + 1` after `failed` failed attempts: `base · 2^(failed-1)`
/// capped at `max`, then jittered into its upper half.
pub fn backoff(base: Duration, max: Duration, failed: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << failed.saturating_sub(1).min(20));
    let d = exp.min(max);
    let half = d / 2;
    half + half.mul_f64(rand::thread_rng().gen_range(0.0..=1.0))
}

/// The outcome of failed attempt `n` that may be tried again (a 5xx, 408, 429, a network
/// or database error): `retry` after [`backoff`], or `failed` once `push_max_attempts` were
/// made. Shared by this outbox and web push's.
pub fn retry_or_give_up(
    cfg: &crate::Config,
    n: i64,
    status: Option<i64>,
    error: String,
) -> AttemptResult {
    if n >= i64::from(cfg.push_max_attempts) {
        AttemptResult {
            outcome: "failed",
            status,
            error: Some(format!("{error} (gave up after {n} attempts)")),
            next_attempt_at: now_ms(),
        }
    } else {
        let delay = backoff(cfg.push_backoff_base, cfg.push_backoff_max, n as u32);
        AttemptResult {
            outcome: "retry",
            status,
            error: Some(error),
            next_attempt_at: now_ms() + delay.as_millis() as i64,
        }
    }
}

/// A final outcome (`delivered`, `failed`, `refused`): nothing is tried again.
pub fn settled(outcome: &'static str, status: Option<i64>, error: Option<String>) -> AttemptResult {
    AttemptResult {
        outcome,
        status,
        error,
        next_attempt_at: now_ms(),
    }
}

/// Whether an HTTP status is worth another attempt: a server error, 408 or 429.
pub fn retryable(status: reqwest::StatusCode) -> bool {
    status.is_server_error()
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
}

/// The HTTP client for one attempt at `target`: connects only to its vetted addresses
/// (pinned, so a second DNS answer cannot rebind it), no proxy, no redirects, the push
/// timeouts. Shared by this outbox and web push's.
pub fn client(
    cfg: &crate::Config,
    target: &Target,
    user_agent: &str,
) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(cfg.push_connect_timeout)
        .timeout(cfg.push_timeout)
        .user_agent(user_agent);
    if let Some(domain) = &target.domain {
        builder = builder.resolve_to_addrs(domain, &target.addrs);
    }
    builder.build()
}

/// Delivers due pushes until the server shuts down.
pub async fn worker(state: AppState) {
    let mut shutdown = state.shutdown.clone();
    // Attempts run as tasks, at most `IN_FLIGHT` at once and `PER_SITE` for one site, and
    // the loop refills free places as soon as any attempt ends: one site's slow or hanging
    // receiver holds at most its own `PER_SITE` places and never delays another site.
    const IN_FLIGHT: usize = 8;
    const PER_SITE: usize = 2;
    // Due rows are leased to this process (several nodes share one outbox: each row is
    // POSTed by the node that leased it). The lease outlasts an attempt (10 s timeout) and
    // its recording; if this process dies mid-attempt the row is due again when it ends.
    const LEASE_MS: i64 = 60_000;
    let holder = crate::db::random_hex(8);
    let mut running: tokio::task::JoinSet<()> = tokio::task::JoinSet::new();
    let mut tasks: std::collections::HashMap<tokio::task::Id, (i64, i64)> =
        std::collections::HashMap::new();
    let mut busy: std::collections::HashSet<i64> = std::collections::HashSet::new();
    let mut per_site: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        if running.len() < IN_FLIGHT {
            let due = match state.db.lease_pushes(&holder, now_ms(), LEASE_MS, 64).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!(error = %e, "leasing from the push queue failed");
                    Vec::new()
                }
            };
            // Leased rows this pass cannot start (places full) go back at once, for this
            // node's next pass or another node.
            let mut unused = Vec::new();
            for d in due {
                let n = per_site.get(&d.site_id).copied().unwrap_or(0);
                if running.len() >= IN_FLIGHT || busy.contains(&d.id) || n >= PER_SITE {
                    if !busy.contains(&d.id) {
                        unused.push(d.id);
                    }
                    continue;
                }
                busy.insert(d.id);
                per_site.insert(d.site_id, n + 1);
                let st = state.clone();
                let key = (d.id, d.site_id);
                let h = running.spawn(async move { attempt(&st, d).await });
                tasks.insert(h.id(), key);
            }
            if let Err(e) = state.db.release_push_leases(&holder, &unused).await {
                tracing::error!(error = %e, "releasing push leases failed");
            }
        }
        let wait = if running.is_empty() {
            match state.db.next_push_due().await {
                Ok(Some(at)) => Duration::from_millis((at - now_ms()).clamp(0, 60_000) as u64),
                _ => Duration::from_secs(60),
            }
        } else {
            Duration::from_secs(60)
        };
        tokio::select! {
            Some(done) = running.join_next_with_id(), if !running.is_empty() => {
                let task = match done {
                    Ok((task, ())) => task,
                    Err(e) => e.id(),
                };
                if let Some((id, site)) = tasks.remove(&task) {
                    busy.remove(&id);
                    if let Some(n) = per_site.get_mut(&site) {
                        *n -= 1;
                        if *n == 0 {
                            per_site.remove(&site);
                        }
                    }
                }
            }
            _ = state.push_wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
    }
    running.abort_all();
}

/// One attempt at delivering `d`, recorded in the log.
async fn attempt(state: &AppState, d: PushDelivery) {
    let n = d.attempts + 1;
    let result = try_deliver(state, &d).await;
    state.metrics.push_attempt(result.outcome);
    if result.outcome == "delivered" {
        tracing::info!(delivery = d.id, attempt = n, "push delivered");
    } else {
        tracing::warn!(
            delivery = d.id,
            attempt = n,
            outcome = result.outcome,
            status = result.status,
            error = result.error.as_deref().unwrap_or(""),
            "push not delivered"
        );
    }
    if let Err(e) = state.db.record_push_attempt(d.id, n, &result).await {
        tracing::error!(error = %e, delivery = d.id, "recording a push attempt failed");
    }
}

async fn try_deliver(state: &AppState, d: &PushDelivery) -> AttemptResult {
    let cfg = &state.config;
    let n = d.attempts + 1;
    let retry = |status: Option<i64>, error: String| retry_or_give_up(cfg, n, status, error);
    let final_ = settled;
    let site = match state.db.site_by_id(d.site_id).await {
        Ok(Some(s)) => s,
        Ok(None) => return final_("failed", None, Some("site no longer exists".into())),
        Err(e) => return retry(None, format!("database: {e}")),
    };
    let target = match vet(&d.url, site.push_allow_private).await {
        Ok(t) => t,
        Err(Ok(refused)) => return final_("refused", None, Some(refused.to_string())),
        Err(Err(e)) => return retry(None, e),
    };
    let client = match client(
        cfg,
        &target,
        concat!("Frontdesk-Push/", env!("CARGO_PKG_VERSION")),
    ) {
        Ok(c) => c,
        Err(e) => return retry(None, format!("http client: {e}")),
    };
    let ts = now_s();
    let sig = signature(&site.secret, ts, d.payload.as_bytes());
    let sent = client
        .post(target.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, ts.to_string())
        .header(SIGNATURE_HEADER, sig)
        .header(DELIVERY_HEADER, d.id.to_string())
        .body(d.payload.clone())
        .send()
        .await;
    match sent {
        Ok(resp) => {
            let status = resp.status();
            let code = Some(i64::from(status.as_u16()));
            if status.is_success() {
                final_("delivered", code, None)
            } else if retryable(status) {
                retry(code, format!("HTTP {status}"))
            } else if status.is_redirection() {
                let to = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or("")
                    .chars()
                    .take(200)
                    .collect::<String>();
                final_(
                    "failed",
                    code,
                    Some(format!("HTTP {status}: redirect to {to:?} not followed")),
                )
            } else {
                final_("failed", code, Some(format!("HTTP {status}")))
            }
        }
        Err(e) => retry(None, format!("request: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forbidden_addresses() {
        for s in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd00:ec2::254",
            "ff02::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(forbidden_ip(ip(s)), "{s} must be refused");
        }
        for s in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!forbidden_ip(ip(s)), "{s} is public");
        }
    }

    #[test]
    fn signature_is_hmac_of_timestamp_dot_body() {
        // HMAC-SHA256("key", "1.{}") computed independently (Python's hmac module).
        let s = signature("key", 1, b"{}");
        assert_eq!(
            s,
            "sha256=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
        assert_ne!(s, signature("key", 2, b"{}"));
        assert_ne!(s, signature("other", 1, b"{}"));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(5);
        let max = Duration::from_secs(3600);
        for _ in 0..50 {
            let d1 = backoff(base, max, 1);
            assert!(d1 >= Duration::from_millis(2500) && d1 <= base);
            let d3 = backoff(base, max, 3);
            assert!(d3 >= Duration::from_secs(10) && d3 <= Duration::from_secs(20));
            let d30 = backoff(base, max, 30);
            assert!(d30 >= max / 2 && d30 <= max);
        }
    }

    #[tokio::test]
    async fn vetting_refuses_before_connecting() {
        for u in [
            "http://10.0.0.1/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]:8080/",
            "http://localhost/",
        ] {
            assert!(
                matches!(vet(u, false).await, Err(Ok(Refused::Private { .. }))),
                "{u}"
            );
        }
        for u in [
            "ftp://example.com/",
            "http://user:pw@example.com/",
            "nonsense",
        ] {
            assert!(
                matches!(vet(u, false).await, Err(Ok(Refused::BadUrl(_)))),
                "{u}"
            );
        }
        let t = vet("http://127.0.0.1:9/x", true).await.unwrap();
        assert_eq!(t.addrs, vec!["127.0.0.1:9".parse().unwrap()]);
    }
}

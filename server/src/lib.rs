//! The Frontdesk server: one axum application that serves the loader, the widget bundles and
//! demo page, the visitor WebSocket (our protocol, `shared::visitor`), the agent WebSocket
//! (seed 001, `shared::agent`) and the REST endpoints, on top of one database (SQLite or PostgreSQL, `db`).
//!
//! Layout (dependencies point down this list; `../shared/tools/import-circles` checks it):
//! - `cli`: command line (`serve`, `admin …`); `main.rs` only calls it.
//! - Transport: `visitor` (`/ws/visitor`), `agent` (`/ws/agent`, seed 001), `http`
//!   (agent login, health), `compat` (seed 002 `/cgi-bin/…`, seed 000 groups),
//!   `robotapi` (the robot's admin REST), `trace` (visits, presence, invitations),
//!   `files` (uploads), `boxkey` (the sealed outbox's key), `web` (static files, pages;
//!   `assets`: from a folder or built in),
//!   `listen` and `clientip` (the accept loop, who the client is).
//! - `conversation`: what happens after a message commits, and a chat's business steps.
//! - `search` (issue 25): the search index of messages, notes and summaries, and queries.
//! - `reception` (robot or people), `routing` with `rules` (who serves whom),
//!   `robot` (the FAQ robot).
//! - `push` (seed 000 webhooks), `webpush` (notifications to agents' phones, issue 27),
//!   `presence` (where visitors' tabs are), `hub` (this
//!   node's fan-out), `bus` (other nodes, Redis), `wire` (rows → frames).
//! - `db`: every SQL statement (SQLite or PostgreSQL), one writer with group commit.
//! - Beside them: `cluster` (heartbeats, leased sweeps), `admin` (validated operator
//!   actions, the demo), `security`, `ratelimit`, `ops` (`/metrics`, `/readyz`) and
//!   `metrics` (the counters; imports nothing of this crate).
//!
//! [`app`] builds the router from an [`AppState`]; [`serve`] runs it on a listener until the
//! shutdown future resolves, then closes every WebSocket with "going away" and drains.

pub mod admin;
pub(crate) mod adminapi;
pub(crate) mod agent;
pub mod assets;
pub(crate) mod blocks;
pub(crate) mod boxkey;
pub(crate) mod bus;
pub mod cli;
pub(crate) mod clientip;
pub(crate) mod cluster;
pub(crate) mod compat;
pub(crate) mod conversation;
pub mod db;
pub(crate) mod face;
pub mod files;
pub(crate) mod home;
pub(crate) mod http;
pub(crate) mod hub;
pub mod leave;
pub(crate) mod listen;
pub mod metrics;
pub(crate) mod ops;
pub(crate) mod presence;
pub mod push;
pub mod ratelimit;
pub(crate) mod rating;
pub(crate) mod reception;
pub(crate) mod report;
pub mod robot;
pub(crate) mod robotapi;
pub mod routing;
pub(crate) mod rules;
pub(crate) mod search;
pub(crate) mod security;
pub(crate) mod trace;
pub(crate) mod visitor;
pub(crate) mod web;
pub mod webpush;
pub(crate) mod wire;

use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::db::Db;
use crate::hub::Hub;
use crate::ratelimit::RateLimiter;

/// Runtime settings of a serving process.
#[derive(Debug, Clone)]
pub struct Config {
    /// Origin under which browsers reach this server, without a trailing slash
    /// (`http://127.0.0.1:8080`). Used in the loader's URLs and the demo page.
    pub public_url: String,
    /// Built widget bundles and console: `chat/`, `launcher/`, `extras/`, `console/`
    /// (`dist/`, a folder or built into the binary).
    pub web: assets::Assets,
    /// Static files: `entrance.js`, `demo/` (`public/`, a folder or built into the binary).
    pub public: assets::Assets,
    /// Where uploaded files are kept (created on first upload).
    pub upload_dir: PathBuf,
    /// Browser origins allowed to open `/ws/agent` besides `public_url` (non-browser clients
    /// send no `Origin` and are allowed).
    pub agent_origins: Vec<String>,
    /// Lifetime of an agent token from `POST /api/agent/login`.
    pub agent_token_ttl: Duration,
    /// How long a new WebSocket may take to send its first (`hello`/login) frame.
    pub hello_timeout: Duration,
    /// A connection with no frame from the client for this long is closed.
    pub idle_timeout: Duration,
    /// How often sockets are pinged; logged-in agent sockets also re-check their token, their
    /// account and their groups this often (so disabling or revoking takes effect live).
    pub ping_interval: Duration,
    /// An agent with no open connection for this long is offline: its unanswered visitors
    /// go back to the queue (see `routing::agent_gone`).
    pub agent_offline_grace: Duration,
    /// Push URL retries: the first retry waits about this long, doubling each time…
    pub push_backoff_base: Duration,
    /// …up to this long between attempts.
    pub push_backoff_max: Duration,
    /// A push is given up (`failed`) after this many attempts.
    pub push_max_attempts: u32,
    /// Connect timeout of one push attempt.
    pub push_connect_timeout: Duration,
    /// Total timeout of one push attempt.
    pub push_timeout: Duration,
    /// Bytes of uploads one site may keep in total (`--upload-quota-mb`).
    pub upload_quota_bytes: u64,
    /// Uploads in flight at once, over all agents (`--max-uploads`)…
    pub max_uploads: usize,
    /// …and for one agent (`--max-uploads-per-agent`).
    pub max_uploads_per_agent: usize,
    /// A request's head must arrive within this, and an idle kept-alive connection is closed
    /// after it (`--header-timeout-secs`); a request body that sends nothing for this long is
    /// cut off.
    pub header_timeout: Duration,
    /// Open HTTP connections per client address, WebSockets not counted
    /// (`--max-conns-per-client`).
    pub max_conns_per_client: usize,
    /// Open WebSockets per client address (IPv6: /64); visitors behind one NAT share it.
    pub max_sockets_per_client: usize,
    /// Reverse proxies whose `Forwarded`/`X-Forwarded-For` name the client
    /// (`--trusted-proxies`); see [`clientip`].
    pub trusted_proxies: Vec<clientip::Net>,
    /// Visitors one site's waiting queue holds (`--max-queue`). When it is full, the first
    /// message of a visitor who is neither served nor waiting is refused with
    /// `rate_limited` (the chat page keeps it and retries); nothing is stored or pushed.
    pub max_queue: usize,
    /// Visits of pending tokens one site keeps (`--max-pending-visits`): see `trace.rs`.
    pub max_pending_visits: u32,
    /// Redis for the bus between nodes (`--redis-url`); `None`: one node, in-process bus.
    pub redis_url: Option<String>,
    /// How often this node's heartbeat is written (`--node-heartbeat-ms`)…
    pub node_heartbeat: Duration,
    /// …and how old another node's heartbeat may be before it counts as dead, its agent
    /// connections gone (`--node-timeout-ms`).
    pub node_timeout: Duration,
    /// `GET /metrics` is served only with this bearer token (`--metrics-token`); `None`: not
    /// at all (404).
    pub metrics_token: Option<String>,
    /// How often the retention sweep runs (`--retention-sweep-ms`; see `cluster`).
    pub retention_sweep: Duration,
    /// TLS for every connection (`--tls-cert`/`--tls-key`); `None`: plain HTTP (the usual
    /// setup behind a reverse proxy).
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// Web push endpoints may be `http://` and on loopback/private addresses
    /// (`--webpush-allow-private`: tests and development only; browsers' push services are
    /// public `https://` hosts).
    pub webpush_allow_private: bool,
}

impl Config {
    pub fn new(public_url: &str) -> Config {
        Config {
            public_url: public_url.trim_end_matches('/').to_owned(),
            web: assets::Assets::web(),
            public: assets::Assets::public(),
            upload_dir: PathBuf::from("uploads"),
            agent_origins: Vec::new(),
            agent_token_ttl: Duration::from_secs(12 * 3600),
            hello_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(120),
            ping_interval: Duration::from_secs(25),
            agent_offline_grace: Duration::from_secs(60),
            push_backoff_base: Duration::from_secs(5),
            push_backoff_max: Duration::from_secs(3600),
            push_max_attempts: 8,
            push_connect_timeout: Duration::from_secs(5),
            push_timeout: Duration::from_secs(10),
            upload_quota_bytes: 1024 * 1024 * 1024,
            max_uploads: 16,
            max_uploads_per_agent: 2,
            header_timeout: Duration::from_secs(10),
            max_conns_per_client: 128,
            max_sockets_per_client: 20_000,
            trusted_proxies: Vec::new(),
            max_queue: 200,
            max_pending_visits: 10_000,
            redis_url: None,
            node_heartbeat: Duration::from_secs(2),
            node_timeout: Duration::from_secs(10),
            metrics_token: None,
            retention_sweep: Duration::from_secs(600),
            tls: None,
            webpush_allow_private: false,
        }
    }
}

/// `./NAME` when it exists (the normal case: started from the repository root), else the
/// directory beside this crate in the source tree (tests and `cargo run` from elsewhere).
pub fn default_dir(name: &str) -> PathBuf {
    let local = PathBuf::from(name);
    if local.exists() {
        return local;
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name);
    if repo.exists() {
        repo
    } else {
        local
    }
}

/// A token bucket's size: `burst` events at once, then `per_sec` sustained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub burst: u32,
    pub per_sec: f64,
}

/// Every rate limit's setting (`frontdesk serve --*-burst/--*-rate`, README "Operating").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateSettings {
    /// Messages per visitor (all tabs together).
    pub visitor_msgs: Rate,
    /// New WebSocket sessions per client IP. The default lets 10 000 visitors behind one NAT
    /// reconnect within a minute of a restart (2 000 at once, then 200/s) and still stops a
    /// single host from opening sockets without end.
    pub connects: Rate,
    /// Login attempts per client IP (each costs an argon2 hash): a 50-agent office logs in at
    /// once; a password guesser gets one try every 2 s.
    pub logins: Rate,
    /// Requests per agent connection.
    pub agent_reqs: Rate,
    /// Typing notices per visitor (extra ones are dropped silently).
    pub typing: Rate,
    /// Failed logins per account and client address: one address guessing an account's
    /// password is slowed down, the account's owner at another address is not.
    pub login_failures: Rate,
    /// Failed logins per account from any address: spreading guesses over many addresses
    /// does not help. When it is spent, only browsers that logged in to the account before
    /// (a device cookie) may still try.
    pub account_failures: Rate,
    /// Failed `/cgi-bin/token` requests (wrong or unknown credentials) per client address.
    pub token_failures: Rate,
    /// New agent WebSocket sessions per client IP, a budget apart from visitors'.
    pub agent_connects: Rate,
    /// New anonymous visitors per client address (IPv6 /64).
    pub new_visitors_per_client: Rate,
    /// New anonymous visitors per site, whatever the address.
    pub new_visitors_per_site: Rate,
    /// Visitor messages per client address, over all its visitors.
    pub msgs_per_client: Rate,
    /// Visitor messages per site, over all its visitors.
    pub msgs_per_site: Rate,
}

impl Default for RateSettings {
    fn default() -> Self {
        RateSettings {
            visitor_msgs: Rate {
                burst: 20,
                per_sec: 5.0,
            },
            connects: Rate {
                burst: 2000,
                per_sec: 200.0,
            },
            logins: Rate {
                burst: 60,
                per_sec: 0.5,
            },
            agent_reqs: Rate {
                burst: 200,
                per_sec: 50.0,
            },
            typing: Rate {
                burst: 3,
                per_sec: 1.0,
            },
            login_failures: Rate {
                burst: 10,
                per_sec: 1.0 / 30.0,
            },
            account_failures: Rate {
                burst: 100,
                per_sec: 1.0 / 60.0,
            },
            token_failures: Rate {
                burst: 10,
                per_sec: 0.5,
            },
            agent_connects: Rate {
                burst: 60,
                per_sec: 5.0,
            },
            new_visitors_per_client: Rate {
                burst: 20,
                per_sec: 1.0 / 6.0,
            },
            new_visitors_per_site: Rate {
                burst: 300,
                per_sec: 10.0,
            },
            msgs_per_client: Rate {
                burst: 200,
                per_sec: 30.0,
            },
            msgs_per_site: Rate {
                burst: 5000,
                per_sec: 500.0,
            },
        }
    }
}

/// Rate limits shared by all connections.
pub struct Limits {
    /// Messages per visitor (all tabs together).
    pub visitor_msgs: RateLimiter<i64>,
    /// New WebSocket sessions per client IP.
    pub connects: RateLimiter<IpAddr>,
    /// Login attempts per client IP.
    pub logins: RateLimiter<IpAddr>,
    /// Failed logins per account (lowercased) and client address.
    pub login_failures: RateLimiter<(String, IpAddr)>,
    /// Failed logins per account from any address (see [`RateSettings::account_failures`]).
    pub account_failures: RateLimiter<String>,
    /// Failed `/cgi-bin/token` requests per client address.
    pub token_failures: RateLimiter<IpAddr>,
    /// New agent WebSocket sessions per client IP, a budget apart from visitors'
    /// (`connects`), so a visitor flood cannot lock agents out.
    pub agent_connects: RateLimiter<IpAddr>,
    /// Requests per agent connection.
    pub agent_reqs: RateLimiter<u64>,
    /// Typing notices per visitor (extra ones are dropped silently).
    pub typing: RateLimiter<i64>,
    /// New anonymous visitors per client address (IPv6 /64): every new socket could
    /// otherwise mint a fresh visitor with a fresh per-visitor message budget.
    pub new_visitors_per_client: RateLimiter<IpAddr>,
    /// New anonymous visitors per site, whatever the address.
    pub new_visitors_per_site: RateLimiter<i64>,
    /// Visitor messages per client address, over all its visitors.
    pub msgs_per_client: RateLimiter<IpAddr>,
    /// Visitor messages per site, over all its visitors.
    pub msgs_per_site: RateLimiter<i64>,
}

impl Limits {
    pub fn new(s: &RateSettings) -> Limits {
        fn limiter<K: std::hash::Hash + Eq + Clone>(r: Rate) -> RateLimiter<K> {
            RateLimiter::new(r.burst, r.per_sec)
        }
        Limits {
            visitor_msgs: limiter(s.visitor_msgs),
            connects: limiter(s.connects),
            logins: limiter(s.logins),
            agent_reqs: limiter(s.agent_reqs),
            typing: limiter(s.typing),
            login_failures: limiter(s.login_failures),
            account_failures: limiter(s.account_failures),
            token_failures: limiter(s.token_failures),
            agent_connects: limiter(s.agent_connects),
            new_visitors_per_client: limiter(s.new_visitors_per_client),
            new_visitors_per_site: limiter(s.new_visitors_per_site),
            msgs_per_client: limiter(s.msgs_per_client),
            msgs_per_site: limiter(s.msgs_per_site),
        }
    }

    /// Default limits with the per-visitor message limit set to `burst` at once and
    /// `per_sec` sustained.
    pub fn with_visitor_rate(burst: u32, per_sec: f64) -> Limits {
        Limits::new(&RateSettings {
            visitor_msgs: Rate { burst, per_sec },
            ..RateSettings::default()
        })
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(&RateSettings::default())
    }
}

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub hub: Arc<Hub>,
    pub config: Arc<Config>,
    pub limits: Arc<Limits>,
    /// Flips to `true` when the server starts shutting down; sessions then close.
    pub shutdown: watch::Receiver<bool>,
    /// Wakes the push worker after a push was queued.
    pub push_wake: Arc<tokio::sync::Notify>,
    /// The web push worker's wake-up and the VAPID key once read (see [`webpush`]).
    pub(crate) webpush: Arc<webpush::Local>,
    /// Bounds uploads in flight (see [`files::UploadGate`]).
    pub uploads: Arc<files::UploadGate>,
    /// The FAQ robots, with this node's cached indexes (see [`robot`]).
    pub robots: Arc<robot::Robots>,
    /// What this process counts for `/metrics` (the database handle's, see [`metrics`]).
    pub metrics: Arc<metrics::Metrics>,
    /// This node's copy of the sites' blocks (see [`blocks`]).
    pub(crate) blocks: Arc<blocks::Blocks>,
    /// This process's node id (see [`cluster`]), registered on first use.
    node: Arc<tokio::sync::OnceCell<i64>>,
    shutdown_tx: Arc<watch::Sender<bool>>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        let metrics = db.metrics().clone();
        let (tx, rx) = watch::channel(false);
        let uploads = files::UploadGate::new(config.max_uploads, config.max_uploads_per_agent);
        AppState {
            db,
            uploads: Arc::new(uploads),
            robots: Arc::new(robot::Robots::new()),
            blocks: Arc::default(),
            hub: Hub::with_metrics(metrics.clone()),
            metrics,
            config: Arc::new(config),
            limits: Arc::new(Limits::default()),
            shutdown: rx,
            push_wake: Arc::new(tokio::sync::Notify::new()),
            webpush: Arc::default(),
            node: Default::default(),
            shutdown_tx: Arc::new(tx),
        }
    }
}

/// Whose budget a new WebSocket session counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Budget {
    Visitor,
    Agent,
}

/// Initial read buffer of a WebSocket, in bytes: most chat frames fit in one read, and it
/// grows for a larger one (up to the 64 KiB frame limit).
pub const WS_READ_BUFFER: usize = 1024;

/// Accepts a WebSocket for `session` after the checks both socket endpoints share: the per-IP
/// connection limit (visitors and agents have separate budgets; IPv6 counts per /64) and the
/// frame size limits. The session runs inside `span`.
pub(crate) fn accept_socket<F, Fut>(
    ws: axum::extract::ws::WebSocketUpgrade,
    state: AppState,
    ip: IpAddr,
    budget: Budget,
    span: tracing::Span,
    session: F,
) -> axum::response::Response
where
    F: FnOnce(AppState, axum::extract::ws::WebSocket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    use axum::response::IntoResponse;
    use tracing::Instrument;
    let limiter = match budget {
        Budget::Visitor => &state.limits.connects,
        Budget::Agent => &state.limits.agent_connects,
    };
    if !limiter.check(&clientip::bucket(ip)) {
        return (
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "too many connections from this address",
        )
            .into_response();
    }
    ws.max_message_size(shared::MAX_FRAME_BYTES)
        .max_frame_size(shared::MAX_FRAME_BYTES)
        // Sized for chat frames: tungstenite's default allocates 128 KiB per socket up front
        // and keeps it. The buffer grows for a larger frame (up to the 64 KiB limit).
        .read_buffer_size(WS_READ_BUFFER)
        .on_upgrade(move |socket| {
            async move {
                let _open = state.metrics.open(budget == Budget::Agent);
                session(state, socket).await
            }
            .instrument(span)
        })
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    // Answers that carry tokens, keys, account data or a visitor's values are never kept by a
    // browser or proxy cache: `Cache-Control: no-store` unless the handler said otherwise.
    let private = Router::new()
        .merge(http::router())
        .merge(compat::router())
        .merge(robotapi::router())
        .merge(adminapi::router())
        .merge(trace::router())
        .merge(boxkey::router())
        .merge(webpush::router())
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            ),
        );
    // Every route but uploads takes bodies of at most 1 MiB; uploads have their own limit.
    let small_bodies = Router::new()
        .merge(visitor::router())
        .merge(agent::router())
        .merge(private)
        .merge(web::router())
        .merge(home::router())
        .merge(leave::router())
        .merge(rating::router())
        .merge(face::router())
        .merge(ops::router())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1024 * 1024))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.config.header_timeout,
        ));
    Router::new()
        .merge(small_bodies)
        .merge(files::router())
        .layer(
            tower::ServiceBuilder::new()
                .layer(tower_http::trace::TraceLayer::new_for_http())
                .layer(
                    tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                        axum::http::header::X_CONTENT_TYPE_OPTIONS,
                        axum::http::HeaderValue::from_static("nosniff"),
                    ),
                )
                .layer(tower_http::compression::CompressionLayer::new()),
        )
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` resolves, then asks every session to close
/// and waits (at most 10 s) for connections to drain. Runs the push worker meanwhile; it
/// stops with the server (an attempt cut short is retried after the next start).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let notify = state.shutdown_tx.clone();
    let node_tasks = cluster::start(&state)
        .await
        .map_err(|e| std::io::Error::other(format!("joining the cluster: {e:#}")))?;
    let sweeper = {
        let limits = state.limits.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                limits.visitor_msgs.sweep(Duration::from_secs(600));
                limits.connects.sweep(Duration::from_secs(600));
                limits.logins.sweep(Duration::from_secs(600));
                limits.login_failures.sweep(Duration::from_secs(3600));
                limits.account_failures.sweep(Duration::from_secs(7200));
                limits.token_failures.sweep(Duration::from_secs(600));
                limits.agent_connects.sweep(Duration::from_secs(600));
                limits.agent_reqs.sweep(Duration::from_secs(600));
                limits.typing.sweep(Duration::from_secs(600));
                limits
                    .new_visitors_per_client
                    .sweep(Duration::from_secs(600));
                limits.new_visitors_per_site.sweep(Duration::from_secs(600));
                limits.msgs_per_client.sweep(Duration::from_secs(600));
                limits.msgs_per_site.sweep(Duration::from_secs(600));
            }
        })
    };
    let pusher = tokio::spawn(push::worker(state.clone()));
    let webpusher = tokio::spawn(webpush::worker(state.clone()));
    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    files::sweep_partials(&state.config.upload_dir).await;
    let nofile = listen::raise_nofile();
    let caps = listen::Caps::from_nofile(nofile);
    tracing::info!(
        nofile,
        max_conns = caps.max_conns,
        max_visitor_sockets = caps.max_visitor_sockets,
        "connection caps"
    );
    let opts = listen::ConnOptions {
        header_timeout: state.config.header_timeout,
        max_per_client: state.config.max_conns_per_client,
        max_sockets_per_client: state.config.max_sockets_per_client,
        max_conns: caps.max_conns,
        max_visitor_sockets: caps.max_visitor_sockets,
        trusted_proxies: Arc::new(state.config.trusted_proxies.clone()),
        tls: state.config.tls.clone(),
    };
    let state_for_exit = state.clone();
    let server = listen::serve(listener, app(state), opts, async move {
        shutdown.await;
        tracing::info!("shutting down: closing sessions");
        let _ = notify.send(true);
        let _ = drained_tx.send(());
    });
    let result: std::io::Result<()> = tokio::select! {
        () = server => Ok(()),
        _ = async {
            let _ = drained_rx.await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        } => {
            tracing::warn!("connections did not drain in 10 s; exiting anyway");
            Ok(())
        }
    };
    sweeper.abort();
    for t in node_tasks {
        t.abort();
    }
    if let Ok(node) = state_for_exit.node_id().await {
        if let Err(e) = state_for_exit.db.remove_node(node).await {
            tracing::warn!(error = %e, "removing this node's row failed");
        }
    }
    // The workers see the shutdown flag between batches; don't wait on a slow receiver.
    webpusher.abort();
    let abort = pusher.abort_handle();
    if tokio::time::timeout(Duration::from_secs(2), pusher)
        .await
        .is_err()
    {
        abort.abort();
    }
    result
}

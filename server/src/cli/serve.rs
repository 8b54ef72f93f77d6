//! `frontdesk serve`: every flag (with its `FRONTDESK_*` fallback) and [`run`], which opens
//! the database, binds, prints the demo's URLs on first start and serves until SIGINT or
//! SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::DbArg;
use crate::admin;
use crate::db::{self, Db};
use crate::{AppState, Config, Rate, RateSettings};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the bound address is printed).
    #[arg(long, env = "FRONTDESK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub db: DbArg,
    /// URL under which browsers reach this server (default: http://ADDR as bound).
    #[arg(long, env = "FRONTDESK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Serve HTTPS directly with this certificate chain (PEM; needs --tls-key). Without it,
    /// plain HTTP: put TLS in a reverse proxy (README).
    #[arg(long, env = "FRONTDESK_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "FRONTDESK_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Do not create the demo site and agent on an empty database.
    #[arg(long, env = "FRONTDESK_NO_DEMO")]
    pub no_demo: bool,
    /// Directory with the built widget bundles and console (chat/, launcher/, extras/,
    /// console/; `./x build` makes them in dist/). Default: the copies built into a release
    /// binary, else ./dist.
    #[arg(long, env = "FRONTDESK_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Directory with static files (entrance.js, demo/). Default: the copies built into a
    /// release binary, else ./public.
    #[arg(long, env = "FRONTDESK_PUBLIC_DIR")]
    pub public_dir: Option<PathBuf>,
    /// Directory for uploaded files.
    #[arg(long, env = "FRONTDESK_UPLOAD_DIR", default_value = "uploads")]
    pub upload_dir: PathBuf,
    /// Megabytes of uploads one site may keep in total.
    #[arg(long, env = "FRONTDESK_UPLOAD_QUOTA_MB", default_value_t = 1024)]
    pub upload_quota_mb: u64,
    /// Uploads in progress at once over all agents.
    #[arg(long, env = "FRONTDESK_MAX_UPLOADS", default_value_t = 16)]
    pub max_uploads: usize,
    /// Uploads in progress at once for one agent.
    #[arg(long, env = "FRONTDESK_MAX_UPLOADS_PER_AGENT", default_value_t = 2)]
    pub max_uploads_per_agent: usize,
    /// Seconds a client has to send a request's headers; also how long an idle kept-alive
    /// connection stays open, and how long a request body may send nothing.
    #[arg(long, env = "FRONTDESK_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Open HTTP connections per client address (IPv6: per /64), WebSockets not counted.
    #[arg(long, env = "FRONTDESK_MAX_CONNS_PER_CLIENT", default_value_t = 128)]
    pub max_conns_per_client: usize,
    /// Open WebSockets per client address (IPv6: per /64): visitors behind one NAT share it.
    #[arg(
        long,
        env = "FRONTDESK_MAX_SOCKETS_PER_CLIENT",
        default_value_t = 20_000
    )]
    pub max_sockets_per_client: usize,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose `Forwarded` /
    /// `X-Forwarded-For` header names the client. Empty: the TCP peer is the client.
    #[arg(long, env = "FRONTDESK_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<crate::clientip::Net>,
    /// Visitors one site's waiting queue holds; when full, new visitors' messages are refused
    /// (rate_limited, retried by the chat page) until someone is served.
    #[arg(long, env = "FRONTDESK_MAX_QUEUE", default_value_t = 200)]
    pub max_queue: usize,
    /// Visits of anonymous visitors who have not written yet (pending tokens) one site keeps
    /// (each at most 16 KiB of values and 5 pages of 8 KiB; they expire 24 h after their last
    /// report). When full, new anonymous visits are not recorded until some expire.
    #[arg(long, env = "FRONTDESK_MAX_PENDING_VISITS", default_value_t = 10_000)]
    pub max_pending_visits: u32,
    /// Redis (`redis://host:port/`) for the bus between several `frontdesk serve` processes
    /// on one database. Without it this process is the only node (in-process bus).
    #[arg(long, env = "FRONTDESK_REDIS_URL")]
    pub redis_url: Option<String>,
    /// How often this node writes its heartbeat, in milliseconds.
    #[arg(long, env = "FRONTDESK_NODE_HEARTBEAT_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(10..))]
    pub node_heartbeat_ms: u64,
    /// A node not heard from for this long (ms) is dead: its agent connections stop counting.
    #[arg(long, env = "FRONTDESK_NODE_TIMEOUT_MS", default_value_t = 10000, value_parser = clap::value_parser!(u64).range(50..))]
    pub node_timeout_ms: u64,
    /// An agent with no connection on any node for this long (ms) is offline: its
    /// unanswered visitors go back to the queue.
    #[arg(
        long,
        env = "FRONTDESK_AGENT_OFFLINE_GRACE_MS",
        default_value_t = 60000
    )]
    pub agent_offline_grace_ms: u64,
    /// How often sockets are pinged and agent sockets re-check their token and account (ms).
    #[arg(long, env = "FRONTDESK_PING_INTERVAL_MS", default_value_t = 25000, value_parser = clap::value_parser!(u64).range(10..))]
    pub ping_interval_ms: u64,
    /// Let web push endpoints be http:// and loopback/private addresses (tests and
    /// development only: real push services are public https hosts).
    #[arg(long, env = "FRONTDESK_WEBPUSH_ALLOW_PRIVATE")]
    pub webpush_allow_private: bool,
    /// Extra browser origins allowed to open /ws/agent, comma-separated.
    #[arg(long, env = "FRONTDESK_AGENT_ORIGINS", value_delimiter = ',')]
    pub agent_origins: Vec<String>,
    /// Messages one visitor may send at once before being rate limited.
    #[arg(long, env = "FRONTDESK_VISITOR_BURST", default_value_t = 20, value_parser = burst())]
    pub visitor_burst: u32,
    /// Messages per second one visitor may send sustained.
    #[arg(long, env = "FRONTDESK_VISITOR_RATE", default_value_t = 5.0, value_parser = rate)]
    pub visitor_rate: f64,
    /// New WebSocket sessions (visitor or agent) one client IP may open at once. Visitors
    /// behind one NAT share it: the default lets 10 000 of them reconnect within a minute.
    #[arg(long, env = "FRONTDESK_CONNECT_BURST", default_value_t = 2000, value_parser = burst())]
    pub connect_burst: u32,
    /// New WebSocket sessions per second one client IP may open sustained.
    #[arg(long, env = "FRONTDESK_CONNECT_RATE", default_value_t = 200.0, value_parser = rate)]
    pub connect_rate: f64,
    /// Agent logins (POST /api/agent/login) one client IP may attempt at once.
    #[arg(long, env = "FRONTDESK_LOGIN_BURST", default_value_t = 60, value_parser = burst())]
    pub login_burst: u32,
    /// Agent logins per second one client IP may attempt sustained.
    #[arg(long, env = "FRONTDESK_LOGIN_RATE", default_value_t = 0.5, value_parser = rate)]
    pub login_rate: f64,
    /// Requests one agent connection may make at once (beyond that: -30003 until refilled).
    #[arg(long, env = "FRONTDESK_AGENT_REQ_BURST", default_value_t = 200, value_parser = burst())]
    pub agent_req_burst: u32,
    /// Requests per second one agent connection may make sustained.
    #[arg(long, env = "FRONTDESK_AGENT_REQ_RATE", default_value_t = 50.0, value_parser = rate)]
    pub agent_req_rate: f64,
    /// Typing notices one visitor may send at once (extra ones are dropped).
    #[arg(long, env = "FRONTDESK_TYPING_BURST", default_value_t = 3, value_parser = burst())]
    pub typing_burst: u32,
    /// Typing notices per second one visitor may send sustained.
    #[arg(long, env = "FRONTDESK_TYPING_RATE", default_value_t = 1.0, value_parser = rate)]
    pub typing_rate: f64,
    /// Failed logins one account may have at once from one client address…
    #[arg(long, env = "FRONTDESK_LOGIN_FAILURE_BURST", default_value_t = 10, value_parser = burst())]
    pub login_failure_burst: u32,
    /// …and per second sustained (default one every 30 s).
    #[arg(long, env = "FRONTDESK_LOGIN_FAILURE_RATE", default_value_t = 1.0 / 30.0, value_parser = rate)]
    pub login_failure_rate: f64,
    /// Failed logins one account may have at once from all addresses together; beyond it
    /// only browsers that logged in to that account before may try…
    #[arg(long, env = "FRONTDESK_ACCOUNT_FAILURE_BURST", default_value_t = 100, value_parser = burst())]
    pub account_failure_burst: u32,
    /// …and per second sustained (default one a minute).
    #[arg(long, env = "FRONTDESK_ACCOUNT_FAILURE_RATE", default_value_t = 1.0 / 60.0, value_parser = rate)]
    pub account_failure_rate: f64,
    /// Failed `/cgi-bin/token` requests one client address may make at once…
    #[arg(long, env = "FRONTDESK_TOKEN_FAILURE_BURST", default_value_t = 10, value_parser = burst())]
    pub token_failure_burst: u32,
    /// …and per second sustained.
    #[arg(long, env = "FRONTDESK_TOKEN_FAILURE_RATE", default_value_t = 0.5, value_parser = rate)]
    pub token_failure_rate: f64,
    /// New agent WebSocket sessions one client IP may open at once (apart from visitors')…
    #[arg(long, env = "FRONTDESK_AGENT_CONNECT_BURST", default_value_t = 60, value_parser = burst())]
    pub agent_connect_burst: u32,
    /// …and per second sustained.
    #[arg(long, env = "FRONTDESK_AGENT_CONNECT_RATE", default_value_t = 5.0, value_parser = rate)]
    pub agent_connect_rate: f64,
    /// New anonymous visitors one client address (IPv6: /64) may start at once…
    #[arg(long, env = "FRONTDESK_CLIENT_NEW_VISITOR_BURST", default_value_t = 20, value_parser = burst())]
    pub client_new_visitor_burst: u32,
    /// …and per second sustained (default one every 6 s).
    #[arg(long, env = "FRONTDESK_CLIENT_NEW_VISITOR_RATE", default_value_t = 1.0 / 6.0, value_parser = rate)]
    pub client_new_visitor_rate: f64,
    /// New anonymous visitors one site may get at once…
    #[arg(long, env = "FRONTDESK_SITE_NEW_VISITOR_BURST", default_value_t = 300, value_parser = burst())]
    pub site_new_visitor_burst: u32,
    /// …and per second sustained.
    #[arg(long, env = "FRONTDESK_SITE_NEW_VISITOR_RATE", default_value_t = 10.0, value_parser = rate)]
    pub site_new_visitor_rate: f64,
    /// Visitor messages one client address may send at once (all its visitors together)…
    #[arg(long, env = "FRONTDESK_CLIENT_MSG_BURST", default_value_t = 200, value_parser = burst())]
    pub client_msg_burst: u32,
    /// …and per second sustained.
    #[arg(long, env = "FRONTDESK_CLIENT_MSG_RATE", default_value_t = 30.0, value_parser = rate)]
    pub client_msg_rate: f64,
    /// Visitor messages one site may receive at once…
    #[arg(long, env = "FRONTDESK_SITE_MSG_BURST", default_value_t = 5000, value_parser = burst())]
    pub site_msg_burst: u32,
    /// …and per second sustained.
    #[arg(long, env = "FRONTDESK_SITE_MSG_RATE", default_value_t = 500.0, value_parser = rate)]
    pub site_msg_rate: f64,
    /// Serve Prometheus metrics at /metrics to `Authorization: Bearer TOKEN` (without it,
    /// /metrics answers 404). /readyz and /healthz need no token.
    #[arg(long, env = "FRONTDESK_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// How often (ms) the retention sweep looks for messages and uploads older than their
    /// site's `--retain-days` (one node at a time, under a lease).
    #[arg(long, env = "FRONTDESK_RETENTION_SWEEP_MS", default_value_t = 600_000, value_parser = clap::value_parser!(u64).range(100..))]
    pub retention_sweep_ms: u64,
    /// Log lines as text (for people) or JSON (one object per line, for log collectors).
    #[arg(long, env = "FRONTDESK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// `--log-format`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl ServeArgs {
    /// The rate limits these flags set.
    pub fn rate_settings(&self) -> RateSettings {
        let r = |burst, per_sec| Rate { burst, per_sec };
        RateSettings {
            visitor_msgs: r(self.visitor_burst, self.visitor_rate),
            connects: r(self.connect_burst, self.connect_rate),
            logins: r(self.login_burst, self.login_rate),
            agent_reqs: r(self.agent_req_burst, self.agent_req_rate),
            typing: r(self.typing_burst, self.typing_rate),
            login_failures: r(self.login_failure_burst, self.login_failure_rate),
            account_failures: r(self.account_failure_burst, self.account_failure_rate),
            token_failures: r(self.token_failure_burst, self.token_failure_rate),
            agent_connects: r(self.agent_connect_burst, self.agent_connect_rate),
            new_visitors_per_client: r(self.client_new_visitor_burst, self.client_new_visitor_rate),
            new_visitors_per_site: r(self.site_new_visitor_burst, self.site_new_visitor_rate),
            msgs_per_client: r(self.client_msg_burst, self.client_msg_rate),
            msgs_per_site: r(self.site_msg_burst, self.site_msg_rate),
        }
    }
}

/// A bucket size: at least 1.
fn burst() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(1..)
}

/// A refill rate: a finite number of events per second, ≥ 0.
fn rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.0 => Ok(r),
        _ => Err(format!(
            "{s:?} is not a rate (events per second, a number ≥ 0)"
        )),
    }
}

pub(super) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    super::init_tracing(args.log_format == LogFormat::Json);
    let rates = args.rate_settings();
    // Read before anything else starts: a bad certificate is a startup error.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls_config(cert, key)?),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let db = Db::open(&args.db.database_url)
        .await
        .with_context(|| format!("opening {}", db::display_url(&args.db.database_url)))?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    let bound = listener.local_addr()?;
    let shown = if bound.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], bound.port()))
    } else {
        bound
    };
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{shown}"));
    let mut config = Config::new(&public_url);
    if let Some(d) = args.web_dir {
        config.web = d.into();
    }
    if let Some(d) = args.public_dir {
        config.public = d.into();
    }
    config.tls = tls;
    config.upload_dir = args.upload_dir;
    config.upload_quota_bytes = args.upload_quota_mb.saturating_mul(1024 * 1024);
    config.max_uploads = args.max_uploads.max(1);
    config.max_uploads_per_agent = args.max_uploads_per_agent.max(1);
    config.header_timeout = Duration::from_secs(args.header_timeout_secs.max(1));
    config.max_conns_per_client = args.max_conns_per_client.max(1);
    config.max_sockets_per_client = args.max_sockets_per_client.max(1);
    config.trusted_proxies = args.trusted_proxies;
    config.max_queue = args.max_queue.max(1);
    config.max_pending_visits = args.max_pending_visits;
    config.redis_url = args.redis_url.filter(|u| !u.trim().is_empty());
    config.node_heartbeat = Duration::from_millis(args.node_heartbeat_ms);
    config.node_timeout = Duration::from_millis(args.node_timeout_ms);
    config.agent_offline_grace = Duration::from_millis(args.agent_offline_grace_ms);
    config.ping_interval = Duration::from_millis(args.ping_interval_ms);
    config.metrics_token = args.metrics_token.filter(|t| !t.trim().is_empty());
    config.retention_sweep = Duration::from_millis(args.retention_sweep_ms);
    config.webpush_allow_private = args.webpush_allow_private;
    config.agent_origins = args
        .agent_origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/').to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    let public_url = config.public_url.clone();
    // `admin site create` prints its snippet with this URL.
    admin::remember_public_url(&db, &public_url)
        .await
        .context("storing the public URL")?;
    println!("frontdesk listening on {scheme}://{bound}");
    tracing::info!(addr = %bound, public_url = %public_url, "listening");
    println!("  public URL:   {public_url}");
    println!("  web files:    {}", config.web.describe());
    if !args.no_demo {
        if let Some(demo) = admin::ensure_demo(&db)
            .await
            .context("creating the demo site")?
        {
            // The demo host page is shown on another origin (localhost vs 127.0.0.1) so
            // the widget runs cross-origin exactly as on a customer's site.
            let host_origin = if shown.ip().is_loopback() && args.public_url.is_none() {
                format!("http://localhost:{}", shown.port())
            } else {
                public_url.clone()
            };
            println!("  demo sysnum:  {}", demo.sysnum);
            if let Some(site) = db.site_by_sysnum(&demo.sysnum).await? {
                println!("  demo appid:   {} (secret {})", site.appid, site.secret);
            }
            println!("  demo agent:   {} / {}", demo.account, demo.password);
            println!("  demo page:    {host_origin}/demo/");
            println!(
                "  chat link:    {public_url}/chat/h5/v2/index.html?sysnum={}",
                demo.sysnum
            );
            println!("  agent console: {public_url}/console/");
            println!(
                "  agent socket: {}/ws/agent (token: POST {public_url}/api/agent/login)",
                public_url.replacen("http", "ws", 1)
            );
            println!("  snippet (paste before </body>; the demo page shows it too):");
            for line in admin::snippet(&public_url, &demo.sysnum).lines() {
                println!("    {line}");
            }
        }
    }
    let mut state = AppState::new(db.clone(), config);
    state.limits = std::sync::Arc::new(crate::Limits::new(&rates));
    crate::serve(listener, state, shutdown_signal()).await?;
    db.close().await;
    println!("frontdesk stopped");
    Ok(())
}

/// The rustls configuration for `--tls-cert`/`--tls-key`: HTTP/1.1 only (WebSockets
/// upgrade from it), no client certificates.
fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> anyhow::Result<std::sync::Arc<tokio_rustls::rustls::ServerConfig>> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading the certificate chain {}", cert.display()))?;
    anyhow::ensure!(!certs.is_empty(), "{} holds no certificate", cert.display());
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("reading the private key {}", key.display()))?;
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and key do not fit together")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(std::sync::Arc::new(config))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

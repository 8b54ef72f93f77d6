//! The command line (SPEC §2): `frontdesk serve …` and `frontdesk admin site|group|agent …`.
//! Every flag has a `FRONTDESK_*` environment fallback; `--json` prints exactly one JSON
//! object on stdout. Startup errors are reported with `anyhow` and exit code 1; invalid
//! admin input exits with 2.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::admin::{self, AdminError, NewAgent, SiteSettings};
use crate::db::{self, Db};
use crate::robot::{faqfile, manage};
use crate::{AppState, Config, Rate, RateSettings};

#[derive(Parser, Debug)]
#[command(
    name = "frontdesk",
    version,
    about = "Self-hosted customer-service live chat"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server. (Boxed: the serve flags are many, the enum stays small.)
    Serve(Box<ServeArgs>),
    /// Create and configure sites, groups and agents. (Boxed like `Serve`.)
    Admin(Box<AdminArgs>),
}

#[derive(Args, Debug)]
pub struct DbArg {
    /// Database: sqlite://FILE (created if missing) or postgres://USER@HOST:PORT/DB (the
    /// database must exist; migrations are applied on start).
    #[arg(
        long,
        env = "FRONTDESK_DATABASE_URL",
        default_value = "sqlite://frontdesk.db",
        global = true
    )]
    pub database_url: String,
}

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
    /// Do not create the demo site and agent on an empty database.
    #[arg(long, env = "FRONTDESK_NO_DEMO")]
    pub no_demo: bool,
    /// Directory with the built widget bundles (chat/, launcher/).
    #[arg(long, env = "FRONTDESK_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Directory with static files (entrance.js, demo/).
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
    /// Failed logins one account may have at once, from any address…
    #[arg(long, env = "FRONTDESK_LOGIN_FAILURE_BURST", default_value_t = 10, value_parser = burst())]
    pub login_failure_burst: u32,
    /// …and per second sustained (default one every 30 s).
    #[arg(long, env = "FRONTDESK_LOGIN_FAILURE_RATE", default_value_t = 1.0 / 30.0, value_parser = rate)]
    pub login_failure_rate: f64,
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

#[derive(Args, Debug)]
pub struct AdminArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(subcommand)]
    pub what: AdminWhat,
}

#[derive(Subcommand, Debug)]
pub enum AdminWhat {
    /// Sites (customer websites).
    #[command(subcommand)]
    Site(SiteCmd),
    /// Skill groups.
    #[command(subcommand)]
    Group(GroupCmd),
    /// Agents.
    #[command(subcommand)]
    Agent(AgentCmd),
    /// VIP levels (routing priority for `vip_level` / `is_vip`).
    #[command(subcommand)]
    Vip(VipCmd),
    /// FAQ robots.
    #[command(subcommand)]
    Robot(RobotCmd),
    /// A robot's FAQ entries.
    #[command(subcommand)]
    Faq(FaqCmd),
}

#[derive(Subcommand, Debug)]
pub enum VipCmd {
    /// Add a VIP level, or change the one with this id.
    Add {
        #[arg(long)]
        site: String,
        /// What `vip_level` may say (or the name).
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// Higher ranks are served first (0-1000000).
        #[arg(long)]
        rank: i64,
    },
    /// List a site's VIP levels, highest rank first.
    List {
        #[arg(long)]
        site: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SiteCmd {
    /// Create a site; prints sysnum, business_id, appid, secret and sign_key. A site moving
    /// from the hosted system keeps its ids: give them and they are kept (a malformed id or
    /// one another site has is an error).
    Create {
        #[arg(long)]
        name: String,
        /// Keep this sysnum (32 lowercase hex), so existing snippets and chat links work.
        #[arg(long)]
        sysnum: Option<String>,
        /// Keep this business_id (seed 000), a positive integer.
        #[arg(long)]
        business_id: Option<i64>,
        /// Keep this seed 002 appid (needs --secret).
        #[arg(long, requires = "secret")]
        appid: Option<String>,
        /// Keep this seed 002 secret (needs --appid).
        #[arg(long, requires = "appid")]
        secret: Option<String>,
        /// Keep this security-check key (sign = MD5(sysnum + sign_key + partnerid)).
        #[arg(long)]
        sign_key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change a site's settings.
    Set {
        /// The site's sysnum.
        #[arg(long)]
        site: String,
        /// Custom push (webhook) URL; "" clears it.
        #[arg(long)]
        push_url: Option<String>,
        /// Allow pushes to loopback/private addresses (true/false; bare flag = true).
        #[arg(long, num_args = 0..=1, default_missing_value = "true")]
        push_allow_private: Option<bool>,
        /// Visitor security check: off, md5 (seed 003) or hmac (recommended).
        #[arg(long, value_parser = ["off", "md5", "hmac"])]
        sign_check: Option<String>,
        /// Origins allowed to embed the chat, comma-separated ("" allows any).
        #[arg(long)]
        origins: Option<String>,
        /// Reception mode for pages that do not say: 1 robot only, 2 human only (default),
        /// 3 robot first, 4 human first.
        #[arg(long)]
        reception: Option<i64>,
        /// Robot answers that miss before `show_manual` shows the hand-over control.
        #[arg(long)]
        manual_after: Option<i64>,
        /// Shown when nobody is available ("" clears).
        #[arg(long)]
        offline_title: Option<String>,
        /// Said to the visitor when an agent takes the chat ("" clears).
        #[arg(long)]
        agent_hello: Option<String>,
        /// Platform code linking sites for flowType overflow ("" unlinks).
        #[arg(long)]
        platform: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum GroupCmd {
    /// Disable a group (its agents with no other enabled group are logged out).
    Disable {
        #[arg(long)]
        site: String,
        #[arg(long)]
        id: i64,
    },
    /// Enable a disabled group again.
    Enable {
        #[arg(long)]
        site: String,
        #[arg(long)]
        id: i64,
    },
    /// Create a group; prints id and groupname.
    Create {
        #[arg(long)]
        site: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
        /// The hosted system's id of the group (groupid / deciId / flowGroupId may name it).
        #[arg(long)]
        external_id: Option<String>,
        /// Working hours, e.g. "Mon-Fri 09:00-18:00; Sat 10:00-14:00" (none: always on duty).
        #[arg(long)]
        hours: Option<String>,
        /// Time zone of the hours (IANA name, e.g. Asia/Shanghai; default UTC).
        #[arg(long)]
        tz: Option<String>,
    },
    /// Change a group's external id or working hours ("" clears).
    Set {
        #[arg(long)]
        site: String,
        #[arg(long)]
        id: i64,
        #[arg(long)]
        external_id: Option<String>,
        #[arg(long)]
        hours: Option<String>,
        #[arg(long)]
        tz: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgentCmd {
    /// Disable an agent: no login (-31003), open sockets closed.
    Disable {
        #[arg(long)]
        account: String,
    },
    /// Enable a disabled agent again.
    Enable {
        #[arg(long)]
        account: String,
    },
    /// Revoke every token of an agent (open sockets closed; it must log in again).
    Revoke {
        #[arg(long)]
        account: String,
    },
    /// Create an agent; prints kf_id and kf_account.
    Create {
        #[arg(long)]
        site: String,
        /// prefix@site
        #[arg(long)]
        account: String,
        #[arg(long)]
        nick: String,
        #[arg(long, env = "FRONTDESK_AGENT_PASSWORD")]
        password: String,
        /// Group id (repeatable).
        #[arg(long = "group")]
        groups: Vec<i64>,
        /// Most conversations served at once.
        #[arg(long, default_value_t = 5)]
        max_chats: i64,
        #[arg(long)]
        json: bool,
        /// The hosted system's id of the agent (agentid / deciId may name it).
        #[arg(long)]
        external_id: Option<String>,
    },
    /// Set an agent's password (e.g. one created by seed 002's kfaccount/add, which gets a
    /// random one); revokes the agent's current login tokens.
    Passwd {
        /// prefix@site
        #[arg(long)]
        account: String,
        #[arg(long, env = "FRONTDESK_AGENT_PASSWORD")]
        password: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RobotCmd {
    /// Create a robot; prints its robotid (the number pages ask for with seed 003 `robotid`).
    Create {
        /// The site's sysnum.
        #[arg(long)]
        site: String,
        #[arg(long)]
        name: String,
        /// Its robotid (default: one past the site's highest, 1 for the first).
        #[arg(long)]
        id: Option<i64>,
        /// Its greeting (default: a greeting in the visitor's language).
        #[arg(long, default_value = "")]
        hello: String,
        #[arg(long)]
        json: bool,
    },
    /// List a site's robots.
    List {
        #[arg(long)]
        site: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum FaqCmd {
    /// Add an FAQ entry; prints its id.
    Add {
        #[arg(long)]
        site: String,
        /// The robot's robotid (default: the site's default robot, created if it has none).
        #[arg(long)]
        robot: Option<i64>,
        /// The FAQ group (seed 003 `faqid`).
        #[arg(long)]
        faq_group: Option<i64>,
        #[arg(long)]
        question: String,
        #[arg(long)]
        answer: String,
        /// Another phrasing of the question (repeatable).
        #[arg(long = "similar")]
        similar: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Import entries from FILE: CSV with the header question,answer,similar,faq_group
    /// (similar phrasings separated by |) or JSON lines with those keys. Good rows are
    /// added, each bad row is reported with its line; exit status 2 if any row was bad.
    Import {
        #[arg(long)]
        site: String,
        /// The robot's robotid (default: the site's default robot, created if it has none).
        #[arg(long)]
        robot: Option<i64>,
        file: PathBuf,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List a robot's entries.
    List {
        #[arg(long)]
        site: String,
        #[arg(long)]
        robot: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Delete an entry.
    Delete {
        /// Only if the entry is this site's (sysnum).
        #[arg(long)]
        site: Option<String>,
        #[arg(long)]
        id: i64,
    },
}

/// Entry point of the `frontdesk` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        match cli.command {
            Command::Serve(args) => match run_serve(*args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            },
            Command::Admin(args) => run_admin(*args).await,
        }
    })
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FRONTDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    init_tracing();
    let rates = args.rate_settings();
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
        .unwrap_or_else(|| format!("http://{shown}"));
    let mut config = Config::new(&public_url);
    if let Some(d) = args.web_dir {
        config.web_dir = d;
    }
    if let Some(d) = args.public_dir {
        config.public_dir = d;
    }
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
    config.agent_origins = args
        .agent_origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/').to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    let public_url = config.public_url.clone();
    println!("frontdesk listening on http://{bound}");
    println!("  public URL:   {public_url}");
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
        }
    }
    let mut state = AppState::new(db.clone(), config);
    state.limits = std::sync::Arc::new(crate::Limits::new(&rates));
    crate::serve(listener, state, shutdown_signal()).await?;
    db.close().await;
    println!("frontdesk stopped");
    Ok(())
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

fn print_out<T: Serialize>(json: bool, value: &T, human: &[(&str, String)]) {
    if json {
        println!(
            "{}",
            serde_json::to_string(value).expect("plain structs serialise")
        );
    } else {
        for (k, v) in human {
            println!("{k}: {v}");
        }
    }
}

async fn run_admin(args: AdminArgs) -> ExitCode {
    let db = match Db::open(&args.db.database_url).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!(
                "error: opening {}: {e}",
                db::display_url(&args.db.database_url)
            );
            return ExitCode::FAILURE;
        }
    };
    // An import that refused some rows (reported) ends with exit status 2.
    let mut partial = false;
    let result: Result<(), AdminError> = async {
        match args.what {
            AdminWhat::Site(SiteCmd::Create {
                name,
                sysnum,
                business_id,
                appid,
                secret,
                sign_key,
                json,
            }) => {
                let ids = admin::SiteIds {
                    sysnum,
                    business_id,
                    appid,
                    secret,
                    sign_key,
                };
                let s = admin::import_site(&db, ids, &name).await?;
                print_out(
                    json,
                    &s,
                    &[
                        ("sysnum", s.sysnum.clone()),
                        ("business_id", s.business_id.to_string()),
                        ("appid", s.appid.clone()),
                        ("secret", s.secret.clone()),
                        ("sign_key", s.sign_key.clone()),
                    ],
                );
            }
            AdminWhat::Site(SiteCmd::Set {
                site,
                push_url,
                push_allow_private,
                sign_check,
                origins,
                reception,
                manual_after,
                offline_title,
                agent_hello,
                platform,
            }) => {
                let r = admin::ReceptionSettings {
                    reception,
                    manual_after,
                    offline_title,
                    agent_hello,
                    platform,
                };
                if !r.is_empty() {
                    admin::set_site_reception(&db, &site, r).await?;
                }
                admin::set_site(
                    &db,
                    &site,
                    SiteSettings {
                        push_url,
                        push_allow_private,
                        sign_check,
                        origins,
                    },
                )
                .await?;
                println!("site {site} updated");
            }
            AdminWhat::Group(GroupCmd::Disable { site, id }) => {
                admin::set_group_disabled(&db, &site, id, true).await?;
                println!("group {id} disabled");
            }
            AdminWhat::Group(GroupCmd::Enable { site, id }) => {
                admin::set_group_disabled(&db, &site, id, false).await?;
                println!("group {id} enabled");
            }
            AdminWhat::Agent(AgentCmd::Disable { account }) => {
                admin::set_agent_disabled(&db, &account, true).await?;
                println!("agent {account} disabled");
            }
            AdminWhat::Agent(AgentCmd::Enable { account }) => {
                admin::set_agent_disabled(&db, &account, false).await?;
                println!("agent {account} enabled");
            }
            AdminWhat::Agent(AgentCmd::Revoke { account }) => {
                let n = admin::revoke_agent(&db, &account).await?;
                println!("agent {account}: {n} token(s) revoked");
            }
            AdminWhat::Group(GroupCmd::Create {
                site,
                name,
                json,
                external_id,
                hours,
                tz,
            }) => {
                let s = admin::GroupSettings {
                    external_id,
                    hours,
                    tz,
                };
                let g = admin::create_group_with(&db, &site, &name, s).await?;
                print_out(
                    json,
                    &g,
                    &[("id", g.id.to_string()), ("groupname", g.groupname.clone())],
                );
            }
            AdminWhat::Agent(AgentCmd::Create {
                site,
                account,
                nick,
                password,
                groups,
                max_chats,
                json,
                external_id,
            }) => {
                if let Some(x) = external_id.as_deref() {
                    // Checked before the agent exists, so a bad one creates nothing.
                    admin::check_new_agent_external_id(&db, &site, x).await?;
                }
                let a = admin::create_agent(
                    &db,
                    NewAgent {
                        sysnum: &site,
                        account: &account,
                        nick: &nick,
                        password: &password,
                        groups: &groups,
                        max_chats,
                    },
                )
                .await?;
                if let Some(x) = external_id.as_deref() {
                    let kf_id = a.kf_id.parse().unwrap_or_default();
                    admin::set_agent_external_id(&db, &site, kf_id, x).await?;
                }
                print_out(
                    json,
                    &a,
                    &[
                        ("kf_id", a.kf_id.clone()),
                        ("kf_account", a.kf_account.clone()),
                    ],
                );
            }
            AdminWhat::Agent(AgentCmd::Passwd { account, password }) => {
                admin::set_password(&db, &account, &password).await?;
                println!("password of {} set", account.trim());
            }
            AdminWhat::Group(GroupCmd::Set {
                site,
                id,
                external_id,
                hours,
                tz,
            }) => {
                let s = admin::GroupSettings {
                    external_id,
                    hours,
                    tz,
                };
                admin::set_group(&db, &site, id, s).await?;
                println!("group {id} updated");
            }
            AdminWhat::Vip(VipCmd::Add {
                site,
                id,
                name,
                rank,
            }) => {
                admin::put_vip_level(&db, &site, &id, &name, rank).await?;
                println!("VIP level {} set", id.trim());
            }
            AdminWhat::Vip(VipCmd::List { site, json }) => {
                let levels = admin::vip_levels(&db, &site).await?;
                if json {
                    println!("{}", serde_json::json!({ "levels": levels }));
                } else {
                    for l in &levels {
                        println!("{}\t{}\t{}", l.level_id, l.name, l.rank);
                    }
                }
            }
            AdminWhat::Robot(cmd) => robot_cmd(&db, cmd).await?,
            AdminWhat::Faq(cmd) => partial = faq_cmd(&db, cmd).await?,
        }
        Ok(())
    }
    .await;
    db.close().await;
    match result {
        Ok(()) if partial => ExitCode::from(2),
        Ok(()) => ExitCode::SUCCESS,
        Err(AdminError::Db(e)) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn robot_cmd(db: &Db, cmd: RobotCmd) -> Result<(), AdminError> {
    match cmd {
        RobotCmd::Create {
            site,
            name,
            id,
            hello,
            json,
        } => {
            let site = admin::site_id(db, &site).await?;
            let r = manage::create_robot(db, site, id, &name, &hello).await?;
            print_out(
                json,
                &serde_json::json!({ "robotid": r.robotid }),
                &[("robotid", r.robotid.to_string())],
            );
        }
        RobotCmd::List { site, json } => {
            let site = admin::site_id(db, &site).await?;
            let robots = db.robots_of_site(site).await?;
            if json {
                let list: Vec<shared::robot::Robot> = robots
                    .iter()
                    .map(|r| shared::robot::Robot {
                        robotid: r.robotid,
                        name: r.name.clone(),
                        hello: r.hello.clone(),
                    })
                    .collect();
                println!("{}", serde_json::json!({ "robots": list }));
            } else {
                for r in robots {
                    println!("{}\t{}", r.robotid, r.name);
                }
            }
        }
    }
    Ok(())
}

/// Runs an `admin faq` command; true if an import refused some rows.
async fn faq_cmd(db: &Db, cmd: FaqCmd) -> Result<bool, AdminError> {
    match cmd {
        FaqCmd::Add {
            site,
            robot,
            faq_group,
            question,
            answer,
            similar,
            json,
        } => {
            let site = admin::site_id(db, &site).await?;
            let faq = faqfile::validate(&question, &answer, &similar, faq_group)
                .map_err(AdminError::Invalid)?;
            let robot = manage::robot_to_edit(db, site, robot).await?;
            let id = manage::add_faq(db, &robot, faq).await?;
            print_out(
                json,
                &serde_json::json!({ "id": id }),
                &[("id", id.to_string())],
            );
        }
        FaqCmd::Import {
            site,
            robot,
            file,
            json,
        } => {
            let site = admin::site_id(db, &site).await?;
            let text = std::fs::read(&file)
                .map_err(|e| AdminError::Invalid(format!("cannot read {}: {e}", file.display())))?;
            let text = String::from_utf8(text).map_err(|e| {
                AdminError::Invalid(format!("{} is not UTF-8 text: {e}", file.display()))
            })?;
            let robot = manage::robot_to_edit(db, site, robot).await?;
            let report = manage::import(db, &robot, &text).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&report).expect("plain structs serialise")
                );
            } else {
                for e in &report.errors {
                    eprintln!("{}:{}: {}", file.display(), e.line, e.reason);
                }
                println!("robot {}: {}", report.robotid, manage::summary(&report));
            }
            return Ok(!report.errors.is_empty());
        }
        FaqCmd::List { site, robot, json } => {
            let site = admin::site_id(db, &site).await?;
            let Some(robot) = (match robot {
                Some(id) => db.robot_exact(site, id).await?,
                None => db.robot_for(site, None).await?,
            }) else {
                return Err(AdminError::Invalid("the site has no such robot".into()));
            };
            let (faqs, _) = db.faq_page(robot.id, 0, i64::MAX).await?;
            if json {
                let list: Vec<shared::robot::Faq> = faqs
                    .iter()
                    .map(|f| shared::robot::Faq {
                        id: f.id,
                        faq_group: f.faq_group,
                        question: f.question.clone(),
                        answer: f.answer.clone(),
                        similar: f.similar.clone(),
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({ "robotid": robot.robotid, "faqs": list })
                );
            } else {
                for f in faqs {
                    println!("{}\t{}", f.id, f.question);
                }
            }
        }
        FaqCmd::Delete { site, id } => {
            let site = match site {
                Some(s) => Some(admin::site_id(db, &s).await?),
                None => None,
            };
            if !db.delete_faq(site, id).await? {
                return Err(AdminError::Invalid(format!("no FAQ entry {id}")));
            }
            println!("FAQ entry {id} deleted");
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_args(extra: &[&str]) -> Result<ServeArgs, clap::Error> {
        let argv = ["frontdesk", "serve"].iter().chain(extra);
        match Cli::try_parse_from(argv)?.command {
            Command::Serve(a) => Ok(*a),
            Command::Admin(_) => unreachable!("parsed serve"),
        }
    }

    #[test]
    fn rate_flag_defaults_are_the_documented_defaults() {
        let a = serve_args(&[]).unwrap();
        assert_eq!(a.rate_settings(), RateSettings::default());
    }

    #[test]
    fn rate_flags_set_every_limit_and_refuse_nonsense() {
        let a = serve_args(&[
            "--connect-burst",
            "5",
            "--connect-rate",
            "0.5",
            "--login-burst",
            "7",
            "--agent-req-rate",
            "1000",
            "--typing-burst",
            "9",
        ])
        .unwrap();
        let r = a.rate_settings();
        assert_eq!(
            r.connects,
            Rate {
                burst: 5,
                per_sec: 0.5
            }
        );
        assert_eq!(r.logins.burst, 7);
        assert_eq!(r.agent_reqs.per_sec, 1000.0);
        assert_eq!(r.typing.burst, 9);
        for bad in [
            &["--connect-burst", "0"][..],
            &["--login-rate", "-1"],
            &["--visitor-rate", "NaN"],
            &["--typing-rate", "inf"],
        ] {
            assert!(serve_args(bad).is_err(), "{bad:?} accepted");
        }
    }
}

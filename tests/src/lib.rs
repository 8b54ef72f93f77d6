//! Test harness: starts the real server on `127.0.0.1:0` with a fresh database, and speaks
//! to it with real clients — tungstenite WebSockets for both protocols and reqwest for REST.
//! Nothing here stands in for server code.
//!
//! The database is a SQLite file in the test's temp dir, or, when
//! `FRONTDESK_TEST_DATABASE_URL=postgres://USER@HOST:PORT/DB` is set, a fresh PostgreSQL
//! database created on that server for each [`TestDb`] and dropped with it ([`TestDb`]).

use std::path::Path;
use std::time::Duration;

use frontdesk_server::admin::{self, AgentCreated, NewAgent, SiteCreated};
use frontdesk_server::db::Db;
use frontdesk_server::{AppState, Config};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::ids::{ClientMsgId, Seq, Sysnum};
use shared::visitor::{ChatMessage, ClientFrame, Hello, MsgKind, Send, ServerFrame};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for any single frame.
pub const WAIT: Duration = Duration::from_secs(10);

/// Polls `check` every 20 ms until it gives `Some`, for at most [`WAIT`]; then panics with
/// `what` and the last value `show` was given. What an integration test waits for that no
/// frame announces (a row routing wrote, a push delivered, a list that fills).
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(last) if tokio::time::Instant::now() >= deadline => {
                panic!("{what} within {WAIT:?}; last seen: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// The PostgreSQL server tests run against, if any (`FRONTDESK_TEST_DATABASE_URL`).
pub fn pg_url() -> Option<String> {
    std::env::var("FRONTDESK_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

/// One test's fresh database: `sqlite://<file>` by default; with
/// `FRONTDESK_TEST_DATABASE_URL` a new database `fdtest_<random>` on that PostgreSQL server
/// (`file` unused), dropped (`WITH (FORCE)`) when this is dropped.
pub struct TestDb {
    /// What `--database-url` / `Db::open` take.
    pub url: String,
    /// PostgreSQL, when this handle owns the database: (the server's URL, the database to
    /// drop).
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(file: &Path) -> TestDb {
        Self::new_on(pg_url(), file).await
    }

    /// [`TestDb::new`] on the PostgreSQL server `admin` (e.g. a test's own), or SQLite at
    /// `file` when `None`.
    pub async fn new_on(admin: Option<String>, file: &Path) -> TestDb {
        let Some(admin) = admin else {
            return TestDb {
                url: format!("sqlite://{}", file.display()),
                pg: None,
            };
        };
        use sqlx::Connection;
        let name = format!("fdtest_{}", frontdesk_server::db::random_hex(8));
        let mut c = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect to FRONTDESK_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .expect("create test database");
        let _ = c.close().await;
        TestDb {
            url: with_database(&admin, &name),
            pg: Some((admin, name)),
        }
    }

    /// Whether this is a SQLite file (tests that look at the file itself).
    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }

    /// Runs `stmts` on the database as they are (fixtures a test needs that no API makes,
    /// e.g. a trigger that makes the database refuse one row).
    pub async fn exec(&self, stmts: &[&str]) {
        use sqlx::Connection;
        if self.is_sqlite() {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            for s in stmts {
                sqlx::query(s).execute(&mut c).await.unwrap();
            }
            c.close().await.unwrap();
        } else {
            let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
            for s in stmts {
                sqlx::query(s).execute(&mut c).await.unwrap();
            }
            c.close().await.unwrap();
        }
    }

    /// Applies the server's migrations of this backend up to `version` only, then runs
    /// `stmts`: a database as a release of that version left it, for migration tests.
    pub async fn migrate_to(&self, version: i64, stmts: &[&str]) {
        use sqlx::Connection;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server");
        let dir = if self.is_sqlite() {
            "migrations"
        } else {
            "migrations-pg"
        };
        let mut m = sqlx::migrate::Migrator::new(root.join(dir)).await.unwrap();
        m.migrations = m
            .migrations
            .iter()
            .filter(|x| x.version <= version)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        if self.is_sqlite() {
            let url = format!("{}?mode=rwc", self.url);
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            m.run(&mut c).await.unwrap();
            c.close().await.unwrap();
        } else {
            let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
            m.run(&mut c).await.unwrap();
            c.close().await.unwrap();
        }
        self.exec(stmts).await;
    }
}

/// `url` with its database (path) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{name}{query}", &base[..host_end])
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else {
            return;
        };
        // Drop runs inside the test's runtime: do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut c)
                        .await;
                    let _ = c.close().await;
                }
            })
        })
        .join();
    }
}

/// A server running inside the test process.
pub struct TestServer {
    pub http: String,
    pub ws: String,
    pub db: Db,
    pub state: AppState,
    /// The server's database (its URL opens a second handle on it, as another node would).
    pub tdb: TestDb,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// A test that ends without [`TestServer::stop`] (a failed assertion) still stops its server.
impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        Self::start_with_limits(tweak, |_| {}).await
    }

    /// A server with a tweaked configuration and tweaked rate limits.
    pub async fn start_with_limits(
        tweak: impl FnOnce(&mut Config),
        limits: impl FnOnce(&mut frontdesk_server::Limits),
    ) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let tdb = TestDb::new(&dir.path().join("fd.db")).await;
        Self::serve(tdb, dir, tweak, limits).await
    }

    /// Serves `tdb` on `127.0.0.1:0` with uploads under `dir`, a tweaked configuration and
    /// tweaked rate limits.
    async fn serve(
        tdb: TestDb,
        dir: tempfile::TempDir,
        tweak: impl FnOnce(&mut Config),
        limits: impl FnOnce(&mut frontdesk_server::Limits),
    ) -> TestServer {
        let db = Db::open(&tdb.url).await.expect("open db");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Config::new(&format!("http://{addr}"));
        config.upload_dir = dir.path().join("uploads");
        tweak(&mut config);
        let mut state = AppState::new(db.clone(), config);
        let mut l = frontdesk_server::Limits::default();
        limits(&mut l);
        state.limits = std::sync::Arc::new(l);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(frontdesk_server::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        TestServer {
            http: format!("http://{addr}"),
            ws: format!("ws://{addr}"),
            db,
            state,
            tdb,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A server whose per-address budgets (new visitors, messages) are lifted: every test
    /// client connects from 127.0.0.1, and what such a test checks is not those limits.
    pub async fn start_open() -> TestServer {
        Self::start_with_limits(
            |_| {},
            |l| {
                *l = frontdesk_server::Limits::new(&frontdesk_server::RateSettings {
                    new_visitors_per_client: frontdesk_server::Rate {
                        burst: 1000,
                        per_sec: 1000.0,
                    },
                    msgs_per_client: frontdesk_server::Rate {
                        burst: 10_000,
                        per_sec: 10_000.0,
                    },
                    ..frontdesk_server::RateSettings::default()
                })
            },
        )
        .await
    }

    /// A second server in this process on the same database, as another node of a cluster
    /// would be: its own `Db` handle (own writer and pool), its own hub and push worker.
    pub async fn another_node(&self) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let tdb = TestDb {
            url: self.tdb.url.clone(),
            pg: None,
        };
        Self::serve(tdb, dir, |_| {}, |_| {}).await
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), t).await;
        }
    }

    pub async fn site(&self) -> SiteCreated {
        admin::create_site(&self.db, "Test site")
            .await
            .expect("site")
    }

    pub async fn agent(&self, sysnum: &str, account: &str) -> AgentCreated {
        self.agent_with(sysnum, account, &[], 5).await
    }

    pub async fn agent_with(
        &self,
        sysnum: &str,
        account: &str,
        groups: &[i64],
        max_chats: i64,
    ) -> AgentCreated {
        admin::create_agent(
            &self.db,
            NewAgent {
                sysnum,
                account,
                nick: account,
                password: PASSWORD,
                groups,
                max_chats,
                role: shared::agent::Role::Agent,
            },
        )
        .await
        .expect("agent")
    }

    /// Logs an agent in over REST and returns the token.
    pub async fn token(&self, account: &str) -> String {
        login(&self.http, account, PASSWORD).await
    }

    /// A new visitor of `sysnum` who wrote `text` (acked), and their `gid` as `agent` learnt
    /// it from the `32399` push.
    pub async fn visitor_to(
        &self,
        sysnum: &str,
        agent: &mut AgentClient,
        text: &str,
    ) -> (Session, String) {
        let mut v = VisitorClient::fresh(&self.ws, sysnum).await;
        v.client.send_text("first", text).await;
        v.client.ack("first").await;
        let push = agent.push(32399).await;
        let gid = push["data"]["gid"]
            .as_str()
            .expect("32399 carries data.gid")
            .to_owned();
        (v, gid)
    }

    /// The id (`gid`) of the visitor holding `token` on the test's site `site`: an anonymous
    /// visitor has one only once their first message is stored.
    pub async fn gid(&self, site: &SiteCreated, token: &str) -> String {
        self.db
            .visitor_by_token(site.business_id, token)
            .await
            .expect("db")
            .expect("the visitor has a row (sent a message)")
            .id
            .to_string()
    }

    /// A logged-in agent connection.
    pub async fn agent_client(&self, account: &str) -> (AgentClient, Value) {
        let token = self.token(account).await;
        AgentClient::login(&self.ws, &token).await
    }
}

/// Password of every agent the harness creates.
pub const PASSWORD: &str = "correct horse battery";

pub async fn login(http: &str, account: &str, password: &str) -> String {
    let r: Value = reqwest::Client::new()
        .post(format!("{http}/api/agent/login"))
        .json(&json!({"account": account, "password": password}))
        .send()
        .await
        .expect("login request")
        .json()
        .await
        .expect("login json");
    r["token"]
        .as_str()
        .unwrap_or_else(|| panic!("login failed: {r}"))
        .to_owned()
}

pub async fn connect(url: &str) -> Ws {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect")
        .0
}

pub async fn connect_with_origin(
    url: &str,
    origin: &str,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = url.into_client_request().expect("request");
    req.headers_mut()
        .insert("Origin", origin.parse().expect("header"));
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

/// What the next frame was, for tests that expect the connection to end.
#[derive(Debug)]
pub enum Next {
    Text(String),
    Closed,
}

/// The next text frame (pings skipped), or `Closed` when the server closes or drops.
pub async fn next_text(ws: &mut Ws) -> Next {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("timed out waiting for a frame")
        {
            Some(Ok(Message::Text(t))) => return Next::Text(t.to_string()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Next::Closed,
            Some(Ok(_)) => continue,
        }
    }
}

pub fn cmid(s: &str) -> ClientMsgId {
    ClientMsgId::parse(s).expect("cmid")
}

/// A visitor's chat connection.
pub struct VisitorClient {
    pub ws: Ws,
    pub token: String,
    pub visitor_id: String,
}

/// What a hello returned.
pub struct Session {
    pub client: VisitorClient,
    pub last_seq: Seq,
    pub replay: Vec<ChatMessage>,
}

impl VisitorClient {
    /// Connects and says hello; returns the replay up to `synced`.
    pub async fn hello(ws_base: &str, hello: Hello) -> Result<Session, ServerFrame> {
        let mut ws = connect(&format!("{ws_base}/ws/visitor")).await;
        send_frame(&mut ws, &ClientFrame::Hello(hello)).await;
        let (token, visitor_id, last_seq) = match recv_frame(&mut ws).await {
            ServerFrame::Welcome {
                token,
                visitor_id,
                last_seq,
            } => (token, visitor_id, last_seq),
            other => return Err(other),
        };
        let mut replay = Vec::new();
        loop {
            match recv_frame(&mut ws).await {
                ServerFrame::Msg(m) => replay.push(m),
                ServerFrame::Synced { .. } => break,
                other => panic!("unexpected during replay: {other:?}"),
            }
        }
        Ok(Session {
            client: VisitorClient {
                ws,
                token,
                visitor_id,
            },
            last_seq,
            replay,
        })
    }

    /// A new anonymous visitor of `sysnum`.
    pub async fn fresh(ws_base: &str, sysnum: &str) -> Session {
        Self::hello(ws_base, hello(sysnum, None, 0))
            .await
            .expect("welcome")
    }

    pub async fn send_text(&mut self, id: &str, body: &str) {
        self.send_frame_kind(id, MsgKind::Text, body).await;
    }

    /// Sends a message of `kind` (a media URL, a card's JSON, text).
    pub async fn send_frame_kind(&mut self, id: &str, kind: MsgKind, body: &str) {
        let f = ClientFrame::Send(Send {
            cmid: cmid(id),
            kind,
            body: body.into(),
        });
        send_frame(&mut self.ws, &f).await;
    }

    pub async fn recv(&mut self) -> ServerFrame {
        recv_frame(&mut self.ws).await
    }

    /// Waits for the ack of `id`, skipping live `msg` frames.
    pub async fn ack(&mut self, id: &str) -> Seq {
        loop {
            match self.recv().await {
                ServerFrame::Ack { cmid, seq, .. } if cmid.as_str() == id => return seq,
                ServerFrame::Msg(_) | ServerFrame::Queue { .. } | ServerFrame::Reception(_) => {
                    continue
                }
                other => panic!("expected ack of {id}, got {other:?}"),
            }
        }
    }

    /// Waits for the next queue position (skipping messages and acks).
    pub async fn queue_position(&mut self) -> u32 {
        loop {
            match self.recv().await {
                ServerFrame::Queue { position } => return position,
                ServerFrame::Msg(_) | ServerFrame::Ack { .. } | ServerFrame::Reception(_) => {
                    continue
                }
                other => panic!("expected queue, got {other:?}"),
            }
        }
    }

    /// Waits for the next live message (skipping acks).
    pub async fn next_msg(&mut self) -> ChatMessage {
        loop {
            match self.recv().await {
                ServerFrame::Msg(m) => return m,
                ServerFrame::Ack { .. } | ServerFrame::Queue { .. } | ServerFrame::Reception(_) => {
                    continue
                }
                other => panic!("expected msg, got {other:?}"),
            }
        }
    }
}

pub fn hello(sysnum: &str, token: Option<&str>, last_seq: u64) -> Hello {
    Hello {
        sysnum: Sysnum::parse(sysnum).expect("sysnum"),
        token: token.map(str::to_owned),
        last_seq: Seq(last_seq),
        ..Hello::default()
    }
}

pub async fn send_frame(ws: &mut Ws, f: &ClientFrame) {
    ws.send(Message::text(serde_json::to_string(f).expect("json")))
        .await
        .expect("send");
}

pub async fn recv_frame(ws: &mut Ws) -> ServerFrame {
    match next_text(ws).await {
        Next::Text(t) => {
            serde_json::from_str(&t).unwrap_or_else(|e| panic!("bad server frame {t}: {e}"))
        }
        Next::Closed => panic!("connection closed while waiting for a frame"),
    }
}

/// An agent connection speaking seed 001. Pushes that arrive while waiting for a response
/// are kept for [`AgentClient::push`].
pub struct AgentClient {
    pub ws: Ws,
    pending: Vec<Value>,
}

impl AgentClient {
    /// An agent client over an already open socket (not logged in).
    pub fn from_ws(ws: Ws) -> AgentClient {
        AgentClient {
            ws,
            pending: Vec::new(),
        }
    }

    pub async fn connect(ws_base: &str) -> AgentClient {
        AgentClient {
            ws: connect(&format!("{ws_base}/ws/agent")).await,
            pending: Vec::new(),
        }
    }

    /// Connects and logs in with `31000`; returns the login response.
    pub async fn login(ws_base: &str, token: &str) -> (AgentClient, Value) {
        let mut c = Self::connect(ws_base).await;
        let r = c
            .request(json!({"api_key": 31000, "call_type": 3, "token": token}))
            .await;
        assert_eq!(r["code"], 200, "login failed: {r}");
        (c, r)
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws
            .send(Message::text(text.to_owned()))
            .await
            .expect("send");
    }

    async fn next_json(&mut self) -> Value {
        match next_text(&mut self.ws).await {
            Next::Text(t) => serde_json::from_str(&t).expect("agent frames are JSON"),
            Next::Closed => panic!("agent connection closed"),
        }
    }

    /// Sends a request and returns the response with the same `api_key` (for a heartbeat,
    /// `api_key` 0; for an unparseable frame, 0).
    pub async fn request(&mut self, req: Value) -> Value {
        let key = req["api_key"].as_i64().unwrap_or(0);
        self.send_raw(&req.to_string()).await;
        self.response(key).await
    }

    pub async fn response(&mut self, key: i64) -> Value {
        loop {
            let v = self.next_json().await;
            if v["api_key"].as_i64() == Some(key) {
                return v;
            }
            self.pending.push(v);
        }
    }

    /// The next push with this `api_key` (e.g. 32399).
    pub async fn push(&mut self, key: i64) -> Value {
        if let Some(i) = self
            .pending
            .iter()
            .position(|v| v["api_key"].as_i64() == Some(key))
        {
            return self.pending.remove(i);
        }
        self.response(key).await
    }

    /// Whether a push with this key arrives within `wait`.
    pub async fn no_push_within(&mut self, key: i64, wait: Duration) -> bool {
        if self
            .pending
            .iter()
            .any(|v| v["api_key"].as_i64() == Some(key))
        {
            return false;
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return true,
                Ok(Some(Ok(Message::Text(t)))) => {
                    let v: Value = serde_json::from_str(&t).expect("json");
                    if v["api_key"].as_i64() == Some(key) {
                        return false;
                    }
                    self.pending.push(v);
                }
                Ok(Some(Ok(_))) => continue,
                Ok(_) => return true,
            }
        }
    }
}

/// A `frontdesk serve` child process on its own port, over a given database file.
pub struct ProcessServer {
    pub child: tokio::process::Child,
    pub http: String,
    pub ws: String,
}

/// The database at `db` (a URL) holding one site `name`, closed again, for a server process
/// to open (tests that spawn or kill the real binary).
pub async fn site_in_file(db: &str, name: &str) -> SiteCreated {
    let handle = Db::open(db).await.expect("open db");
    let site = admin::create_site(&handle, name).await.expect("site");
    handle.close().await;
    site
}

impl ProcessServer {
    /// Starts `bin serve --addr 127.0.0.1:0` over `db` (a database URL) and waits for its
    /// listening line.
    pub async fn spawn(bin: &str, db: &str, extra: &[&str]) -> ProcessServer {
        Self::spawn_with_env(bin, db, extra, &[]).await
    }

    /// [`ProcessServer::spawn`] with extra environment variables (`FRONTDESK_*` fallbacks).
    pub async fn spawn_with_env(
        bin: &str,
        db: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> ProcessServer {
        let mut cmd = tokio::process::Command::new(bin);
        cmd.envs(env.iter().copied());
        Self::launch(cmd, db, extra).await
    }

    /// [`ProcessServer::spawn`] under a limit of `nofile` open files (soft and hard, set by
    /// util-linux's `prlimit`), as an operator's service manager might set it.
    pub async fn spawn_with_nofile(
        bin: &str,
        db: &str,
        extra: &[&str],
        nofile: u64,
    ) -> ProcessServer {
        let mut cmd = tokio::process::Command::new("prlimit");
        cmd.arg(format!("--nofile={nofile}:{nofile}"))
            .arg("--")
            .arg(bin);
        Self::launch(cmd, db, extra).await
    }

    /// Runs `cmd serve` on `db` with `extra` flags and waits until it listens.
    async fn launch(mut cmd: tokio::process::Command, db: &str, extra: &[&str]) -> ProcessServer {
        use tokio::io::AsyncBufReadExt;
        let mut child = cmd
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--no-demo",
                "--database-url",
            ])
            .arg(db)
            .args(extra)
            .env("FRONTDESK_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(a) = line.strip_prefix("frontdesk listening on http://") {
                    return a.trim().to_owned();
                }
            }
            panic!("server exited before listening")
        })
        .await
        .expect("server did not start in time");
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        ProcessServer {
            child,
            http: format!("http://{addr}"),
            ws: format!("ws://{addr}"),
        }
    }

    /// SIGKILL: no shutdown code runs.
    pub async fn kill9(mut self) {
        self.child.kill().await.expect("kill");
    }
}

/// Redis for the multi-node tests (`FRONTDESK_REDIS_URL`, printed by `scripts/services.sh`).
/// Unset: `None` with the reason printed (the caller skips), unless
/// `FRONTDESK_REQUIRE_SERVICES=1` (set by `./x test`), which makes it a failure.
pub fn redis_url(test: &str) -> Option<String> {
    match std::env::var("FRONTDESK_REDIS_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("FRONTDESK_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "{test}: FRONTDESK_REDIS_URL is unset but FRONTDESK_REQUIRE_SERVICES=1 \
                 (start Redis with `bash scripts/services.sh start`)"
            );
            eprintln!(
                "skipping {test}: FRONTDESK_REDIS_URL is unset (start Redis with \
                 `bash scripts/services.sh start` and export what it prints)"
            );
            None
        }
    }
}

/// Several real `frontdesk serve` processes (nodes) over one database and one Redis: one
/// cluster. Node `i` is `nodes[i]` (`None` once killed). The database is a [`TestDb`]: a
/// SQLite file in `dir`, or a fresh PostgreSQL database with `FRONTDESK_TEST_DATABASE_URL`.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub db_url: String,
    pub site: SiteCreated,
    pub nodes: Vec<Option<ProcessServer>>,
    bin: String,
    args: Vec<String>,
    /// Owns the database (drops a PostgreSQL one); last, so the nodes are killed first.
    _tdb: TestDb,
}

impl Cluster {
    /// Starts `n` nodes of `bin` with `--redis-url redis` and `extra` flags, on a fresh
    /// database holding one site.
    pub async fn start(bin: &str, n: usize, redis: &str, extra: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let tdb = TestDb::new(&dir.path().join("fd.db")).await;
        Self::start_on(bin, n, redis, extra, dir, tdb).await
    }

    /// [`Cluster::start`] on a given database (`tdb`, its files under `dir`).
    pub async fn start_on(
        bin: &str,
        n: usize,
        redis: &str,
        extra: &[&str],
        dir: tempfile::TempDir,
        tdb: TestDb,
    ) -> Cluster {
        let db_url = tdb.url.clone();
        let db = Db::open(&db_url).await.expect("open db");
        let site = admin::create_site(&db, "Cluster").await.expect("site");
        db.close().await;
        let mut args: Vec<String> = vec!["--redis-url".into(), redis.into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut c = Cluster {
            dir,
            db_url,
            site,
            nodes: Vec::new(),
            bin: bin.to_owned(),
            args,
            _tdb: tdb,
        };
        for _ in 0..n {
            c.add_node().await;
        }
        c
    }

    /// Starts one more node; returns its index.
    pub async fn add_node(&mut self) -> usize {
        let uploads = self.dir.path().join(format!("uploads{}", self.nodes.len()));
        let mut args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let uploads = uploads.display().to_string();
        args.extend(["--upload-dir", &uploads]);
        let node = ProcessServer::spawn(&self.bin, &self.db_url, &args).await;
        self.nodes.push(Some(node));
        self.nodes.len() - 1
    }

    /// Node `i` (panics if it was killed).
    pub fn node(&self, i: usize) -> &ProcessServer {
        self.nodes[i].as_ref().expect("node is running")
    }

    /// `kill -9` of node `i`.
    pub async fn kill9(&mut self, i: usize) {
        if let Some(n) = self.nodes[i].take() {
            n.kill9().await;
        }
    }

    /// A handle on the cluster's database, for admin actions made "from another process".
    pub async fn db(&self) -> Db {
        Db::open(&self.db_url).await.expect("open db")
    }

    /// Creates an agent of the cluster's site (at most `max_chats` visitors).
    pub async fn agent(&self, account: &str, max_chats: i64) {
        let db = self.db().await;
        admin::create_agent(
            &db,
            NewAgent {
                sysnum: &self.site.sysnum,
                account,
                nick: account,
                password: PASSWORD,
                groups: &[],
                max_chats,
                role: shared::agent::Role::Agent,
            },
        )
        .await
        .expect("agent");
        db.close().await;
    }

    /// Agent `account` logged in on node `i`.
    pub async fn agent_on(&self, i: usize, account: &str) -> (AgentClient, Value) {
        let token = login(&self.node(i).http, account, PASSWORD).await;
        AgentClient::login(&self.node(i).ws, &token).await
    }
}

//! The accept loop (instead of `axum::serve`, which has no timeouts and no connection caps).
//! Every connection is HTTP/1.1 (WebSockets upgrade from it) and gets:
//! - a header-read timeout ([`ConnOptions::header_timeout`]): a request's head must arrive
//!   within it, and a kept-alive connection waiting for its next request is closed after it,
//!   so connections that send nothing or half a request end;
//! - a cap on open HTTP connections per client ([`ConnOptions::max_per_client`], keyed by
//!   [`clientip::bucket`] of the TCP peer; trusted proxies are exempt); over it the socket is
//!   closed at once. A connection that upgrades to a WebSocket moves to a second, larger cap
//!   ([`ConnOptions::max_sockets_per_client`]: many visitors share one NAT, and an idle chat
//!   socket is cheap) and counts there until it closes; an upgrade over that cap gets 503;
//! - the client address ([`clientip::client_ip`]) as the request's `ConnectInfo`;
//! - caps for the whole process, below its file descriptor limit ([`Caps::from_nofile`]):
//!   open connections of all kinds ([`ConnOptions::max_conns`]; over it a new one is closed
//!   at once, so the process never runs out of descriptors for its database and files), and
//!   visitor WebSockets ([`ConnOptions::max_visitor_sockets`]) below that, so that the
//!   connections beyond them — `/healthz`, agent logins and agent sockets — stay possible
//!   whoever holds every visitor socket. No single client may take more than half of the
//!   visitor sockets or a quarter of the connections. Trusted proxies are exempt from the
//!   per-client caps, not from these.
//! - with `--tls-cert` ([`ConnOptions::tls`]), a TLS handshake first (rustls), which must
//!   also end within the header timeout.
//!
//! Request bodies that stall are cut by the body timeout layer in [`crate::app`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use crate::clientip::{self, Net};

/// Connection-level limits of [`serve`].
#[derive(Debug, Clone)]
pub struct ConnOptions {
    pub header_timeout: Duration,
    pub max_per_client: usize,
    pub max_sockets_per_client: usize,
    /// Open connections of the process, of every kind.
    pub max_conns: usize,
    /// Visitor WebSockets of the process (below `max_conns`).
    pub max_visitor_sockets: usize,
    pub trusted_proxies: Arc<Vec<Net>>,
    /// TLS on every connection (`--tls-cert`/`--tls-key`); `None`: plain HTTP.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
}

/// A connection's bytes: plain TCP, or TLS over it.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }
    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
}

/// The process-wide caps for a file descriptor limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub max_conns: usize,
    pub max_visitor_sockets: usize,
}

impl Caps {
    /// Caps under a limit of `nofile` descriptors: a tenth (at least 64) stays for the
    /// database, uploads and logs; of the connections, a tenth (at least 32) is never
    /// given to visitor sockets (health checks, logins, agents).
    pub fn from_nofile(nofile: u64) -> Caps {
        let nofile = usize::try_from(nofile).unwrap_or(usize::MAX).min(1 << 24);
        let max_conns = nofile.saturating_sub((nofile / 10).max(64)).max(16);
        let max_visitor_sockets = max_conns.saturating_sub((max_conns / 10).max(32)).max(8);
        Caps {
            max_conns,
            max_visitor_sockets,
        }
    }
}

/// Raises this process's soft limit of open files to its hard limit; returns the limit now
/// in force (the soft one as it was if raising failed).
pub fn raise_nofile() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open files limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

/// A count shared by every connection of a kind, with its cap; [`Held`] gives the place back.
#[derive(Debug, Clone)]
struct Gauge(Arc<std::sync::atomic::AtomicUsize>, usize);

/// A place held in a [`Gauge`].
struct Held(Arc<std::sync::atomic::AtomicUsize>);

impl Gauge {
    fn new(cap: usize) -> Gauge {
        Gauge(Arc::default(), cap)
    }

    fn enter(&self) -> Option<Held> {
        use std::sync::atomic::Ordering;
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.1).then_some(n + 1)
            })
            .ok()
            .map(|_| Held(self.0.clone()))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Whether a request upgrades to a visitor socket (the path the chat page connects to).
fn is_visitor_socket(req: &hyper::Request<Incoming>) -> bool {
    req.uri().path() == "/ws/visitor"
}

type Counts = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// One open connection of a client; gives its place back on drop.
struct Slot {
    counts: Counts,
    key: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.counts.lock().expect("conn counts");
        if let Some(n) = c.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                c.remove(&self.key);
            }
        }
    }
}

fn enter(counts: &Counts, key: IpAddr, max: usize) -> Option<Slot> {
    let mut c = counts.lock().expect("conn counts");
    let n = c.entry(key).or_insert(0);
    if *n >= max {
        return None;
    }
    *n += 1;
    Some(Slot {
        counts: counts.clone(),
        key,
    })
}

/// The places a connection holds: an HTTP one until it upgrades, then a WebSocket one.
/// Shared by the stream (which outlives the upgrade) and the connection's request handler.
#[derive(Default)]
struct Slots {
    http: Mutex<Option<Slot>>,
    socket: Mutex<Option<Slot>>,
    visitor: Mutex<Option<Held>>,
}

/// A TCP stream holding its client's [`Slots`] and its place among the process's connections
/// for as long as it lives (also after a WebSocket upgrade took it over).
struct Counted {
    inner: Stream,
    _slots: Arc<Slots>,
    _open: Held,
}

fn is_websocket_upgrade(req: &hyper::Request<Incoming>) -> bool {
    req.headers()
        .get(hyper::header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Serves `app` on `listener` until `signal` resolves; then stops accepting, lets every
/// connection finish its request (graceful shutdown) and returns when all have ended.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    opts: ConnOptions,
    signal: impl Future<Output = ()> + Send + 'static,
) {
    let (signal_tx, signal_rx) = watch::channel(());
    tokio::spawn(async move {
        signal.await;
        drop(signal_rx);
    });
    let (close_tx, close_rx) = watch::channel(());
    let counts: Counts = Arc::default();
    let socket_counts: Counts = Arc::default();
    let open = Gauge::new(opts.max_conns);
    let visitor_sockets = Gauge::new(opts.max_visitor_sockets);
    // One client may hold at most half of the visitor sockets and a quarter of all
    // connections, whatever the flags say.
    let max_sockets_per_client = opts
        .max_sockets_per_client
        .min((opts.max_visitor_sockets / 2).max(1));
    let max_per_client = opts.max_per_client.min((opts.max_conns / 4).max(1));
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = signal_tx.closed() => break,
        };
        let Some(held) = open.enter() else {
            tracing::warn!(%peer, max = opts.max_conns, "connection cap reached; closed");
            drop(stream);
            continue;
        };
        let exempt = opts.trusted_proxies.iter().any(|n| n.contains(peer.ip()));
        let key = clientip::bucket(peer.ip());
        let slots = Arc::new(Slots::default());
        if !exempt {
            match enter(&counts, key, max_per_client) {
                Some(s) => *slots.http.lock().expect("slots") = Some(s),
                None => {
                    tracing::debug!(%peer, "too many connections from this client; closed");
                    drop(stream);
                    continue;
                }
            }
        }
        // TCP_NODELAY: a chat frame must not wait for the peer's delayed ACK of the previous
        // one (Nagle), which cost tens of milliseconds per message.
        let _ = stream.set_nodelay(true);
        let io_slots = slots.clone();
        let tls = opts.tls.clone();
        let trusted = opts.trusted_proxies.clone();
        let app = app.clone();
        let socket_counts = socket_counts.clone();
        let visitor_sockets = visitor_sockets.clone();
        let max_sockets = max_sockets_per_client;
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let ip = clientip::client_ip(peer.ip(), req.headers(), &trusted);
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(ip, peer.port())));
            // A WebSocket takes its place among the client's sockets (and a visitor's among
            // the process's visitor sockets) before the upgrade is answered; over a cap it is
            // refused instead of upgraded.
            let busy = |why: &'static str| {
                let r = hyper::Response::builder()
                    .status(hyper::StatusCode::SERVICE_UNAVAILABLE)
                    .body(Body::from(why))
                    .expect("static response");
                futures_util::future::Either::Left(std::future::ready(Ok(r)))
            };
            let upgrade = is_websocket_upgrade(&req);
            let visitor = if upgrade && is_visitor_socket(&req) {
                match visitor_sockets.enter() {
                    Some(h) => Some(h),
                    None => {
                        tracing::warn!(%peer, "visitor socket cap reached");
                        return busy("the server is at its visitor connection limit");
                    }
                }
            } else {
                None
            };
            let reserved = if !exempt && upgrade {
                match enter(&socket_counts, key, max_sockets) {
                    Some(s) => Some(s),
                    None => {
                        tracing::debug!(%peer, "too many WebSockets from this client");
                        return busy("too many connections from this address");
                    }
                }
            } else {
                None
            };
            let app = app.clone();
            let slots = slots.clone();
            futures_util::future::Either::Right(async move {
                let r = match app.oneshot(req.map(Body::new)).await {
                    Ok(r) => r,
                    Err(e) => match e {},
                };
                if r.status() == hyper::StatusCode::SWITCHING_PROTOCOLS {
                    if let Some(s) = reserved {
                        *slots.socket.lock().expect("slots") = Some(s);
                        slots.http.lock().expect("slots").take();
                    }
                    *slots.visitor.lock().expect("slots") = visitor;
                }
                Ok::<_, Infallible>(r)
            })
        });
        let signal_tx = signal_tx.clone();
        let close_rx = close_rx.clone();
        let header_timeout = opts.header_timeout;
        tokio::spawn(async move {
            let inner = match tls {
                None => Stream::Plain(stream),
                Some(config) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(config);
                    match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => Stream::Tls(Box::new(s)),
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    }
                }
            };
            let io = TokioIo::new(Counted {
                inner,
                _slots: io_slots,
                _open: held,
            });
            let mut conn = pin!(hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(io, service)
                .with_upgrades());
            let mut stopping = pin!(signal_tx.closed());
            let mut asked = false;
            loop {
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, "connection ended");
                        }
                        break;
                    }
                    _ = &mut stopping, if !asked => {
                        asked = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(close_rx);
        });
    }
    drop(close_rx);
    drop(listener);
    close_tx.closed().await;
}

//! Uploads: agents' and visitors' images and attachments.
//!
//! `POST /api/files?name=NAME` with `Authorization: Bearer <agent token>` and the raw file as
//! the body (at most [`MAX_UPLOAD`] bytes) → `{url, name, mime, size, file_type}`; the agent
//! then sends `url` with `32300` and that `file_type`. `POST /api/visitor/files?sysnum=S&name=NAME`
//! is the same for a visitor (issue 24, seed 003 `photo_flag`): from the chat's own origin,
//! `Authorization: Bearer <visitor token>`, only once an agent serves them (409 `not_served`),
//! never while the site blocks them (403 `blocked`); the chat page then sends `url` as a
//! message of that kind. The type is decided by the content's
//! magic bytes, never by the client's `Content-Type` or the name: PNG, JPEG, GIF and WebP
//! images; PDF; ZIP (and Office files, which are ZIPs); MP4 video; MP3/Ogg/WAV audio; plain
//! UTF-8 text for `.txt`/`.csv`/`.log`. Anything else (HTML, SVG, scripts, executables, …) is
//! refused with 415.
//!
//! `GET /files/{id}/{name}` serves a file with its detected type, `nosniff`, a CSP that
//! sandboxes it, and `Content-Disposition: attachment` unless it is one of the safe image
//! types (shown inline). The body is received into a private temporary file under
//! `--upload-dir` (never held in memory, cut off at the cap), checked, then copied into the
//! database in 256 KiB chunks (`db/file_chunks.rs`), so every node of a cluster serves every
//! upload; downloads stream it back a chunk at a time. The 128-bit random id makes the URL a capability: whoever was sent
//! the message can open it, nobody can guess another.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use shared::agent::Uploaded;
use shared::visitor::MsgKind;
use tokio::io::AsyncWriteExt;

use crate::db::{random_hex, StoredFile, CHUNK};
use crate::http::ApiError;
use crate::AppState;

/// Largest upload, in bytes.
pub const MAX_UPLOAD: usize = 10 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/files", post(upload))
        .route("/api/visitor/files", post(visitor_upload))
        .route("/files/{id}/{name}", get(download))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
}

/// The MIME type and message kind of `bytes`, from their magic numbers; `None` when the
/// content is not an accepted type. `name` only matters for plain text.
pub fn sniff(bytes: &[u8], name: &str) -> Option<(&'static str, MsgKind)> {
    let mut s = Sniffer::default();
    s.feed(bytes);
    s.finish(name)
}

/// [`sniff`] over a stream: keeps the first bytes for the magic numbers and checks "is this
/// UTF-8 text without NUL" incrementally, so a file is never held in memory.
#[derive(Default)]
pub struct Sniffer {
    head: Vec<u8>,
    /// Bytes of a UTF-8 sequence split across chunks.
    carry: Vec<u8>,
    text: Option<bool>,
}

impl Sniffer {
    const HEAD: usize = 16;

    pub fn feed(&mut self, chunk: &[u8]) {
        let take = Self::HEAD.saturating_sub(self.head.len()).min(chunk.len());
        self.head.extend_from_slice(&chunk[..take]);
        if self.text == Some(false) {
            return;
        }
        let joined;
        let chunk = if self.carry.is_empty() {
            chunk
        } else {
            let mut j = std::mem::take(&mut self.carry);
            j.extend_from_slice(chunk);
            joined = j;
            &joined[..]
        };
        if chunk.contains(&0) {
            self.text = Some(false);
            return;
        }
        match std::str::from_utf8(chunk) {
            Ok(_) => self.text = Some(true),
            Err(e) if e.error_len().is_none() && chunk.len() - e.valid_up_to() < 4 => {
                self.carry = chunk[e.valid_up_to()..].to_vec();
                self.text = Some(true);
            }
            Err(_) => self.text = Some(false),
        }
    }

    pub fn finish(&self, name: &str) -> Option<(&'static str, MsgKind)> {
        let bytes = &self.head[..];
        let starts = |m: &[u8]| bytes.starts_with(m);
        let at = |off: usize, m: &[u8]| bytes.get(off..off + m.len()) == Some(m);
        if starts(b"\x89PNG\r\n\x1a\n") {
            return Some(("image/png", MsgKind::Image));
        }
        if starts(b"\xff\xd8\xff") {
            return Some(("image/jpeg", MsgKind::Image));
        }
        if starts(b"GIF87a") || starts(b"GIF89a") {
            return Some(("image/gif", MsgKind::Image));
        }
        if starts(b"RIFF") && at(8, b"WEBP") {
            return Some(("image/webp", MsgKind::Image));
        }
        if starts(b"RIFF") && at(8, b"WAVE") {
            return Some(("audio/wav", MsgKind::Voice));
        }
        if starts(b"%PDF-") {
            return Some(("application/pdf", MsgKind::File));
        }
        if starts(b"PK\x03\x04") {
            return Some(("application/zip", MsgKind::File));
        }
        if at(4, b"ftyp") {
            return Some(("video/mp4", MsgKind::Video));
        }
        if starts(b"ID3") || starts(b"\xff\xfb") || starts(b"\xff\xf3") || starts(b"\xff\xf2") {
            return Some(("audio/mpeg", MsgKind::Voice));
        }
        if starts(b"OggS") {
            return Some(("audio/ogg", MsgKind::Voice));
        }
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        let texty = matches!(ext.as_deref(), Some("txt" | "csv" | "log"));
        if texty && self.text == Some(true) && self.carry.is_empty() {
            return Some(("text/plain; charset=utf-8", MsgKind::File));
        }
        None
    }
}

/// A display name safe to store and echo: no path, no control characters, ≤ 120 chars.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .take(120)
        .collect();
    let name = name.trim().trim_start_matches('.').to_owned();
    if name.is_empty() {
        "file".to_owned()
    } else {
        name
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn upload_dir(state: &AppState) -> &Path {
    &state.config.upload_dir
}

/// Bounds uploads in flight: at most `total` at once, `per_agent` of them for one agent.
/// A request over either bound is refused at once (429) instead of waiting while holding a
/// connection.
pub struct UploadGate {
    total: usize,
    per_agent: usize,
    running: Mutex<(usize, HashMap<i64, usize>)>,
}

/// One upload's place in the [`UploadGate`]; freed on drop.
pub struct UploadSlot<'a> {
    gate: &'a UploadGate,
    agent: i64,
}

impl UploadGate {
    pub fn new(total: usize, per_agent: usize) -> UploadGate {
        UploadGate {
            total,
            per_agent,
            running: Mutex::new((0, HashMap::new())),
        }
    }

    /// A slot for `agent`, or `None` when the server or that agent is at its bound.
    pub fn enter(&self, agent: i64) -> Option<UploadSlot<'_>> {
        let mut r = self.running.lock().expect("upload gate");
        let mine = r.1.get(&agent).copied().unwrap_or(0);
        if r.0 >= self.total || mine >= self.per_agent {
            return None;
        }
        r.0 += 1;
        r.1.insert(agent, mine + 1);
        Some(UploadSlot { gate: self, agent })
    }
}

impl Drop for UploadSlot<'_> {
    fn drop(&mut self) {
        let mut r = self.gate.running.lock().expect("upload gate");
        r.0 -= 1;
        if let Some(n) = r.1.get_mut(&self.agent) {
            *n -= 1;
            if *n == 0 {
                r.1.remove(&self.agent);
            }
        }
    }
}

/// A refusal with its own status and `{error, message}` body.
fn refuse(status: StatusCode, error: &str, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": error, "message": message })),
    )
        .into_response()
}

/// Who uploads: an agent, or a visitor (`site_id`, `visitor_id`).
#[derive(Debug, Clone, Copy)]
enum Uploader {
    Agent { site_id: i64, agent_id: i64 },
    Visitor { site_id: i64, visitor_id: i64 },
}

impl Uploader {
    fn site_id(self) -> i64 {
        match self {
            Uploader::Agent { site_id, .. } | Uploader::Visitor { site_id, .. } => site_id,
        }
    }

    /// The key of its uploads in progress ([`UploadGate`]): agents by id, visitors below 0.
    fn gate_key(self) -> i64 {
        match self {
            Uploader::Agent { agent_id, .. } => agent_id,
            Uploader::Visitor { visitor_id, .. } => -visitor_id,
        }
    }
}

/// An agent's upload (`POST /api/files`).
async fn upload(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let agent = match state
        .db
        .agent_token(crate::security::bearer(&headers).unwrap_or(""))
        .await?
    {
        Some(t) => state.db.agent_by_id(t.agent_id).await?,
        None => None,
    };
    let Some(agent) = agent.filter(|a| !a.disabled) else {
        return Err(ApiError::InvalidCredentials);
    };
    let who = Uploader::Agent {
        site_id: agent.site_id,
        agent_id: agent.id,
    };
    receive_upload(&state, who, &q, &headers, body).await
}

/// A visitor's upload (`POST /api/visitor/files`): from the chat's own origin, within the
/// client's budget, with the token of a visitor of `sysnum` whom an agent serves and the
/// site does not block.
async fn visitor_upload(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Err(refused) = crate::trace::from_chat_page(
        &state,
        addr,
        &headers,
        "files are sent only from the chat's own page",
    ) {
        return Ok(*refused);
    }
    let sysnum = q.get("sysnum").map_or("", String::as_str);
    let token = crate::security::bearer(&headers).unwrap_or("");
    let Some((_, Some(v))) = crate::trace::token_holder(&state, sysnum, token).await? else {
        return Ok(refuse(
            StatusCode::FORBIDDEN,
            "forbidden",
            "no visitor of this site holds this token",
        ));
    };
    let client = Some(crate::clientip::bucket(addr.ip()));
    if crate::blocks::blocked(&state, v.site_id, Some(v.id), client)
        .await
        .unwrap_or(false)
    {
        return Ok(refuse(
            StatusCode::FORBIDDEN,
            "blocked",
            "this site does not take messages from you",
        ));
    }
    if v.agent_id.is_none() {
        return Ok(refuse(
            StatusCode::CONFLICT,
            "not_served",
            "pictures and files can be sent once an agent serves the chat",
        ));
    }
    let who = Uploader::Visitor {
        site_id: v.site_id,
        visitor_id: v.id,
    };
    receive_upload(&state, who, &q, &headers, body).await
}

/// An upload once its sender is known. Nothing of the body is read before the declared
/// `Content-Length`, the site's quota and the upload bounds have been checked; the body is
/// then streamed to a private temporary file (never held in memory) and cut off at
/// [`MAX_UPLOAD`] bytes or after `Config::header_timeout` of silence.
async fn receive_upload(
    state: &AppState,
    who: Uploader,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let site_id = who.site_id();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_UPLOAD as u64) {
        return Ok(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "files are limited to 10 MiB",
        ));
    }
    if declared == Some(0) {
        return Err(ApiError::BadRequest(
            "the request body (the file) is empty".into(),
        ));
    }
    let quota = state.config.upload_quota_bytes;
    let used = state.db.site_upload_bytes(site_id).await? as u64;
    if used.saturating_add(declared.unwrap_or(1)) > quota {
        return Ok(refuse(
            StatusCode::INSUFFICIENT_STORAGE,
            "quota_exceeded",
            "this site's upload quota is used up",
        ));
    }
    let Some(_slot) = state.uploads.enter(who.gate_key()) else {
        return Ok(refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_uploads",
            "too many uploads in progress; try again when one has finished",
        ));
    };
    let name = clean_name(q.get("name").map(String::as_str).unwrap_or("file"));
    let id = random_hex(16);
    let dir = upload_dir(state).to_path_buf();
    let tmp = dir.join(format!(".{id}.part"));
    let idle = state.config.header_timeout;
    let received = match receive(&dir, &tmp, body, idle).await {
        Ok(r) => r,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return match e {
                Receive::TooLarge => Ok(refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "files are limited to 10 MiB",
                )),
                Receive::Stalled => Ok(refuse(
                    StatusCode::REQUEST_TIMEOUT,
                    "timeout",
                    "the upload stalled",
                )),
                Receive::Body => Err(ApiError::BadRequest("the upload was cut off".into())),
                Receive::Io(e) => Err(ApiError::Internal(anyhow::anyhow!("storing upload: {e}"))),
            };
        }
    };
    let size = received.size;
    if size == 0 {
        return discard(
            &tmp,
            Err(ApiError::BadRequest(
                "the request body (the file) is empty".into(),
            )),
        )
        .await;
    }
    let Some((mime, kind)) = received.sniffer.finish(&name) else {
        return discard(&tmp, Ok(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            "accepted: PNG, JPEG, GIF, WebP, PDF, ZIP/Office, MP4, MP3, Ogg, WAV, and .txt/.csv/.log text",
        )))
        .await;
    };
    if used.saturating_add(size as u64) > quota {
        return discard(
            &tmp,
            Ok(refuse(
                StatusCode::INSUFFICIENT_STORAGE,
                "quota_exceeded",
                "this site's upload quota is used up",
            )),
        )
        .await;
    }
    // Into the database, chunk by chunk, so every node serves it.
    if let Err(e) = store_chunks(state, &id, &tmp).await {
        let _ = state.db.drop_file_chunks(&id).await;
        return discard(
            &tmp,
            Err(ApiError::Internal(anyhow::anyhow!("storing upload: {e}"))),
        )
        .await;
    }
    let _ = tokio::fs::remove_file(&tmp).await;
    let stored = StoredFile {
        id: id.clone(),
        site_id,
        name: name.clone(),
        mime: mime.to_owned(),
        kind: u8::from(kind) as i64,
        size: size as i64,
    };
    let agent_id = match who {
        Uploader::Agent { agent_id, .. } => Some(agent_id),
        Uploader::Visitor { .. } => None,
    };
    state.db.insert_file(&stored, agent_id).await?;
    state.metrics.upload_bytes.inc_by(size as u64);
    tracing::info!(?who, id, mime, size, "file uploaded");
    Ok(Json(Uploaded {
        url: format!("{}/files/{id}/{}", state.config.public_url, pct(&name)),
        name,
        mime: mime.to_owned(),
        size,
        file_type: kind.into(),
    })
    .into_response())
}

/// Copies the received file at `tmp` into the database in chunks of [`CHUNK`] bytes.
async fn store_chunks(state: &AppState, id: &str, tmp: &Path) -> anyhow::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(tmp).await?;
    let mut n = 0i64;
    loop {
        let mut buf = Vec::with_capacity(CHUNK);
        while buf.len() < CHUNK {
            let read = (&mut file)
                .take((CHUNK - buf.len()) as u64)
                .read_to_end(&mut buf)
                .await?;
            if read == 0 {
                break;
            }
        }
        if buf.is_empty() {
            return Ok(());
        }
        let last = buf.len() < CHUNK;
        state.db.put_file_chunk(id, n, buf).await?;
        n += 1;
        if last {
            return Ok(());
        }
    }
}

/// Removes the temporary file of a refused upload and passes `r` on.
async fn discard<T>(tmp: &Path, r: T) -> T {
    let _ = tokio::fs::remove_file(tmp).await;
    r
}

enum Receive {
    TooLarge,
    Stalled,
    Body,
    Io(std::io::Error),
}

struct Received {
    size: usize,
    sniffer: Sniffer,
}

/// Creates `dir` (0700) and streams `body` into `tmp` (0600), sniffing as it goes.
async fn receive(dir: &Path, tmp: &Path, body: Body, idle: Duration) -> Result<Received, Receive> {
    private_dir(dir).await.map_err(Receive::Io)?;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)
        .await
        .map_err(Receive::Io)?;
    let mut stream = body.into_data_stream();
    let mut size = 0usize;
    let mut sniffer = Sniffer::default();
    loop {
        let chunk = match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => return Err(Receive::Stalled),
            Ok(None) => break,
            Ok(Some(Err(_))) => return Err(Receive::Body),
            Ok(Some(Ok(c))) => c,
        };
        size += chunk.len();
        if size > MAX_UPLOAD {
            return Err(Receive::TooLarge);
        }
        sniffer.feed(&chunk);
        file.write_all(&chunk).await.map_err(Receive::Io)?;
    }
    file.sync_all().await.map_err(Receive::Io)?;
    Ok(Received { size, sniffer })
}

/// Creates `dir` and its parents readable by this user only (0700).
pub async fn private_dir(dir: &Path) -> std::io::Result<()> {
    tokio::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .await
}

/// Removes partial uploads left by a crash (`.<id>.part`); run once at start.
pub async fn sweep_partials(dir: &Path) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return;
    };
    while let Ok(Some(e)) = entries.next_entry().await {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(".part") {
            let _ = tokio::fs::remove_file(e.path()).await;
        }
    }
}

/// Images browsers render without running anything.
fn inline_safe(mime: &str) -> bool {
    matches!(
        mime,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

async fn download(
    State(state): State<AppState>,
    UrlPath((id, _name)): UrlPath<(String, String)>,
) -> Response {
    let valid = id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !valid {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Ok(Some(f)) = state.db.file(&id).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Stored in the database (any node uploaded it): streamed a chunk at a time. Files kept on
    // disk by versions before the cluster are still read from the upload directory.
    let body = match state.db.file_chunk(&f.id, 0).await {
        Ok(Some(first)) => {
            let db = state.db.clone();
            let id = f.id.clone();
            let rest = futures_util::stream::unfold(1i64, move |n| {
                let db = db.clone();
                let id = id.clone();
                async move {
                    match db.file_chunk(&id, n).await {
                        Ok(Some(c)) => Some((Ok::<_, std::io::Error>(c), n + 1)),
                        Ok(None) => None,
                        Err(e) => Some((Err(std::io::Error::other(e.to_string())), i64::MAX)),
                    }
                }
            });
            let all = futures_util::stream::once(std::future::ready(Ok(first))).chain(rest);
            Body::from_stream(all)
        }
        Ok(None) => match tokio::fs::read(upload_dir(&state).join(&f.id)).await {
            Ok(bytes) => Body::from(bytes),
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        },
        Err(e) => {
            tracing::error!(error = %e, "reading an upload failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let ascii: String = f
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    let disposition = format!(
        "{}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        if inline_safe(&f.mime) {
            "inline"
        } else {
            "attachment"
        },
        pct(&f.name)
    );
    let mut headers = HeaderMap::new();
    let mime = HeaderValue::from_str(&f.mime)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, mime);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; media-src 'self'; sandbox"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&f.size.to_string()) {
        headers.insert(header::CONTENT_LENGTH, v);
    }
    (headers, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_goes_by_content_not_name() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n....", "x.exe").unwrap().0,
            "image/png"
        );
        assert_eq!(sniff(b"%PDF-1.7", "a.png").unwrap().1, MsgKind::File);
        assert!(sniff(b"<html><script>alert(1)</script>", "page.html").is_none());
        assert!(sniff(b"<svg onload=alert(1)>", "x.svg").is_none());
        assert!(
            sniff(b"<html>", "notes.txt").is_some(),
            "text is allowed, served as text/plain"
        );
        assert!(
            sniff(b"MZ\x90\x00", "setup.txt").is_none(),
            "NUL bytes are not text"
        );
    }

    #[test]
    fn streamed_sniffing_matches_whole_sniffing() {
        let text = "报告 line\n".repeat(50);
        let b = text.as_bytes();
        for split in [1, 2, 3, 7, 100] {
            let mut s = Sniffer::default();
            for c in b.chunks(split) {
                s.feed(c);
            }
            assert_eq!(s.finish("a.txt"), sniff(b, "a.txt"), "chunks of {split}");
            assert!(s.finish("a.txt").is_some());
        }
        let mut s = Sniffer::default();
        s.feed(&b[..b.len() - 1]);
        s.feed(&[0xe6]);
        assert!(
            s.finish("a.txt").is_none(),
            "a cut-off character is not text"
        );
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\a\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("a\"b<c>.txt"), "abc.txt");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name("报告.pdf"), "报告.pdf");
        assert_eq!(pct("报 告.pdf"), "%E6%8A%A5%20%E5%91%8A.pdf");
    }
}

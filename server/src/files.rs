//! Uploads: agents' images and attachments.
//!
//! `POST /api/files?name=NAME` with `Authorization: Bearer <agent token>` and the raw file as
//! the body (at most [`MAX_UPLOAD`] bytes) → `{url, name, mime, size, file_type}`; the agent
//! then sends `url` with `32300` and that `file_type`. The type is decided by the content's
//! magic bytes, never by the client's `Content-Type` or the name: PNG, JPEG, GIF and WebP
//! images; PDF; ZIP (and Office files, which are ZIPs); MP4 video; MP3/Ogg/WAV audio; plain
//! UTF-8 text for `.txt`/`.csv`/`.log`. Anything else (HTML, SVG, scripts, executables, …) is
//! refused with 415.
//!
//! `GET /files/{id}/{name}` serves a file with its detected type, `nosniff`, a CSP that
//! sandboxes it, and `Content-Disposition: attachment` unless it is one of the safe image
//! types (shown inline). The 128-bit random id makes the URL a capability: whoever was sent
//! the message can open it, nobody can guess another.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::agent::Uploaded;
use shared::visitor::MsgKind;

use crate::db::{random_hex, StoredFile};
use crate::http::ApiError;
use crate::AppState;

/// Largest upload, in bytes.
pub const MAX_UPLOAD: usize = 10 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/files", post(upload))
        .route("/files/{id}/{name}", get(download))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_UPLOAD))
}

/// The MIME type and message kind of `bytes`, from their magic numbers; `None` when the
/// content is not an accepted type. `name` only matters for plain text.
pub fn sniff(bytes: &[u8], name: &str) -> Option<(&'static str, MsgKind)> {
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
    if texty && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        return Some(("text/plain; charset=utf-8", MsgKind::File));
    }
    None
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

async fn upload(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    let agent = match state.db.agent_token(token).await? {
        Some(t) => state.db.agent_by_id(t.agent_id).await?,
        None => None,
    };
    let Some(agent) = agent.filter(|a| !a.disabled) else {
        return Err(ApiError::InvalidCredentials);
    };
    if body.is_empty() {
        return Err(ApiError::BadRequest(
            "the request body (the file) is empty".into(),
        ));
    }
    let name = clean_name(q.get("name").map(String::as_str).unwrap_or("file"));
    let Some((mime, kind)) = sniff(&body, &name) else {
        return Ok((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Json(serde_json::json!({
                "error": "unsupported_type",
                "message": "accepted: PNG, JPEG, GIF, WebP, PDF, ZIP/Office, MP4, MP3, Ogg, WAV, and .txt/.csv/.log text"
            })),
        )
            .into_response());
    };
    let id = random_hex(16);
    let dir = upload_dir(&state).to_path_buf();
    let size = body.len();
    write_file(&dir, &id, body)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("storing upload: {e}")))?;
    let stored = StoredFile {
        id: id.clone(),
        site_id: agent.site_id,
        name: name.clone(),
        mime: mime.to_owned(),
        kind: u8::from(kind) as i64,
        size: size as i64,
    };
    state.db.insert_file(&stored, agent.id).await?;
    tracing::info!(agent = agent.id, id, mime, size, "file uploaded");
    Ok(Json(Uploaded {
        url: format!("{}/files/{id}/{}", state.config.public_url, pct(&name)),
        name,
        mime: mime.to_owned(),
        size,
        file_type: kind.into(),
    })
    .into_response())
}

/// Writes to a temporary name and renames, so a reader never sees half a file.
async fn write_file(dir: &Path, id: &str, body: Bytes) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let tmp: PathBuf = dir.join(format!(".{id}.part"));
    tokio::fs::write(&tmp, &body).await?;
    tokio::fs::rename(&tmp, dir.join(id)).await
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
    let Ok(bytes) = tokio::fs::read(upload_dir(&state).join(&f.id)).await else {
        return StatusCode::NOT_FOUND.into_response();
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
    (headers, bytes).into_response()
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
    fn names_are_cleaned() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\a\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("a\"b<c>.txt"), "abc.txt");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name("报告.pdf"), "报告.pdf");
        assert_eq!(pct("报 告.pdf"), "%E6%8A%A5%20%E5%91%8A.pdf");
    }
}

//! Files browsers load: the loader (`/chat/frame/v2/entrance.js`), the launcher bundle it
//! imports into host pages (`/chat/frame/v2/launcher/…`, CORS-open), the chat page
//! (`/chat/h5/v2/…`) and its lazy tier (`/chat/h5/v2/extras/…`, from `dist/extras`), and the
//! demo host page (`/demo/`).
//!
//! Caching: content-hashed bundle files are `immutable`; the loader is cached for five
//! minutes and carries the launcher's version in the URLs it imports; HTML is revalidated
//! every time (ETag). Built files are precompressed at build time (`.br`, `.gz` beside each
//! one, scripts/precompress.mjs) and sent as the request accepts; only the templated loader
//! and demo page are left to the compression layer in `app`. Files come from
//! [`Assets`](crate::assets::Assets): a folder, or the copies built into the binary.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use axum::extract::{Path as UrlPath, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use shared::ids::Sysnum;

use crate::assets::{plain, Assets};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/demo/") }))
        .route("/demo", get(|| async { Redirect::permanent("/demo/") }))
        .route("/demo/", get(demo))
        .route("/chat/frame/v2/entrance.js", get(entrance))
        .route("/chat/frame/v2/launcher/{*file}", get(launcher_file))
        .route("/chat/frame/v2/notify.html", get(notify_page))
        .route(
            "/chat/h5/v2",
            get(|| async { Redirect::permanent("/chat/h5/v2/index.html") }),
        )
        .route("/chat/h5/v2/", get(chat_index))
        .route("/chat/h5/v2/index.html", get(chat_index))
        .route("/chat/h5/v2/leavemessage.html", get(leave_page))
        .route("/chat/h5/v2/{*file}", get(chat_file))
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(console_index))
        .route("/console/origins.json", get(console_origins))
        .route("/console/{*file}", get(console_file))
}

const NO_CACHE: &str = "no-cache";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn content_type(rel: &str) -> &'static str {
    match rel.rsplit_once('.').map_or("", |(_, ext)| ext) {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn not_built(what: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("{what} is not built: run `./x build` (or scripts/build-widget.sh and scripts/build-console.sh) first\n"),
    )
        .into_response()
}

/// The encodings a request accepts among the ones we precompress (`br`, `gzip`), by
/// `Accept-Encoding` (a `q=0` refuses one).
fn accepted(req_headers: &HeaderMap) -> (bool, bool) {
    let (mut br, mut gzip) = (false, false);
    for v in req_headers.get_all(header::ACCEPT_ENCODING) {
        for item in v.to_str().unwrap_or("").split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            if refused {
                continue;
            }
            match name.to_ascii_lowercase().as_str() {
                "br" => br = true,
                "gzip" => gzip = true,
                "*" => (br, gzip) = (true, true),
                _ => {}
            }
        }
    }
    (br, gzip)
}

/// The variant of `rel` to send: `rel.br` or `rel.gz` (written at build time by
/// scripts/precompress.mjs) when the request accepts it and it exists, else `rel` itself.
/// The `bool` says whether `rel` has precompressed variants at all (then the answer varies
/// by `Accept-Encoding`).
async fn pick_variant(
    files: &Assets,
    rel: &str,
    req_headers: &HeaderMap,
) -> (String, Option<&'static str>, bool) {
    let (br, gzip) = accepted(req_headers);
    let mut has_variants = false;
    for (ok, ext, enc) in [(br, "br", "br"), (gzip, "gz", "gzip")] {
        let candidate = format!("{rel}.{ext}");
        if files.exists(&candidate).await {
            has_variants = true;
            if ok {
                return (candidate, Some(enc), true);
            }
        }
    }
    (rel.to_owned(), None, has_variants)
}

/// Answers the file at `rel` with validators; `None` when it does not exist. A file built
/// with precompressed siblings (`.br`, `.gz`) is answered with the best one the request
/// accepts, with `Content-Encoding` and `Vary: Accept-Encoding` (the compression layer in
/// `app` leaves already encoded responses alone), so nothing is compressed per request.
async fn file_response(
    files: &Assets,
    rel: &str,
    req_headers: &HeaderMap,
    cache: &'static str,
    extra: &[(header::HeaderName, HeaderValue)],
) -> Option<Response> {
    if !files.exists(rel).await {
        return None;
    }
    let (variant, encoding, varies) = pick_variant(files, rel, req_headers).await;
    let bytes = files.read(&variant).await?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    let etag = format!("\"{:016x}\"", h.finish());
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if varies {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    for (k, v) in extra {
        headers.insert(k.clone(), v.clone());
    }
    if req_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Some((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(rel)),
    );
    if let Some(enc) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    Some((headers, bytes).into_response())
}

/// A short version of the launcher build, so a new build gets new URLs.
async fn launcher_version(web: &Assets) -> String {
    web.version(&[
        "launcher/launcher.js",
        "launcher/launcher_bg.wasm",
        "launcher/host.js",
    ])
    .await
}

fn cors_any() -> (header::HeaderName, HeaderValue) {
    (
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    )
}

async fn entrance(State(state): State<AppState>) -> Response {
    // The minified build of the loader (scripts/build-widget.sh), else its source.
    let built = match state.config.web.read("entrance.js").await {
        Some(b) => Some(b),
        None => state.config.public.read("entrance.js").await,
    };
    let Some(src) = built.and_then(|b| String::from_utf8(b.to_vec()).ok()) else {
        return not_built("public/entrance.js");
    };
    let body = src.replace("__FD_VERSION__", &launcher_version(&state.config.web).await);
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            cors_any(),
        ],
        body,
    )
        .into_response()
}

async fn launcher_file(
    State(state): State<AppState>,
    UrlPath(file): UrlPath<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    // Pages are served only with their policy (notify.html: `notify_page`).
    if file.ends_with(".html") {
        return StatusCode::NOT_FOUND.into_response();
    }
    if !plain(&file) {
        return StatusCode::NOT_FOUND.into_response();
    }
    // Versioned URLs (from the loader) never change; bare ones are revalidated.
    let cache = if q.contains_key("v") {
        IMMUTABLE
    } else {
        NO_CACHE
    };
    let rel = format!("launcher/{file}");
    match file_response(&state.config.web, &rel, &headers, cache, &[cors_any()]).await {
        Some(r) => r,
        None if !state.config.web.has_dir("launcher") => not_built("the launcher bundle"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `frame-ancestors` for the chat page: for a known site with embedding origins those origins
/// (and `'self'`); for a known site without any, anyone. The sysnum is read with
/// [`Sysnum::from_query`], the chat page's own parser, so the page never connects to a site
/// other than the one whose policy was sent; a missing, repeated or padded sysnum (the page
/// will not connect) and an unknown site get `'self'`, never `*`.
async fn frame_ancestors(state: &AppState, raw_query: Option<&str>) -> String {
    let Ok(sysnum) = Sysnum::from_query(raw_query.unwrap_or("")) else {
        return "'self'".to_owned();
    };
    let site = match state.db.site_by_sysnum(sysnum.as_str()).await {
        Ok(Some(site)) => site,
        _ => return "'self'".to_owned(),
    };
    match site {
        site if !site.origins.is_empty() => {
            let safe: Vec<&str> = site
                .origins
                .iter()
                .map(String::as_str)
                .filter(|o| {
                    o.bytes()
                        .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
                })
                .collect();
            format!("'self' {}", safe.join(" "))
        }
        _ => "*".to_owned(),
    }
}

async fn chat_index(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    match page_response(&state, "chat/index.html", q.as_deref(), &headers).await {
        Some(r) => r,
        None => not_built("the chat page"),
    }
}

/// Seed 003's stand-alone leave-message page (`widget/leavemessage.html`; its form is the
/// lazy tier's): the chat page's policy.
async fn leave_page(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    match page_response(&state, "chat/leavemessage.html", q.as_deref(), &headers).await {
        Some(r) => r,
        None => not_built("the leave-message page"),
    }
}

/// The host-page module's notifier frame (`widget/host/notify.html`): a hidden page on this
/// origin that tells the launcher's host page about agent messages while the chat window is
/// collapsed. Same policy as the chat page (it reads the same storage and socket).
async fn notify_page(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    match page_response(&state, "launcher/notify.html", q.as_deref(), &headers).await {
        Some(r) => r,
        None => not_built("the launcher bundle"),
    }
}

/// The CSP sources of the inline `<script>`s of `html` (those without `src`), each
/// `'sha256-…'`: with them a page's `script-src` needs no `'unsafe-inline'`, so a script
/// injected into the page would not run (issue 22).
fn inline_script_hashes(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        let tag_end = match rest[open..].find('>') {
            Some(i) => open + i,
            None => break,
        };
        let tag = &rest[open..tag_end];
        let Some(close) = rest[tag_end..].find("</script>") else {
            break;
        };
        let body = &rest[tag_end + 1..tag_end + close];
        if !tag.contains(" src=") {
            out.push(' ');
            out.push_str(&script_hash(body));
        }
        rest = &rest[tag_end + close + "</script>".len()..];
    }
    out
}

/// The CSP source (`'sha256-…'`) that allows the inline script `body`.
pub(crate) fn script_hash(body: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(body.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// [`inline_script_hashes`] of the file at `rel` in `assets`, worked out once per version
/// of the file.
async fn file_script_hashes(assets: &Assets, rel: &str) -> String {
    type Seen = std::sync::Mutex<HashMap<(String, String), (String, String)>>;
    static SEEN: std::sync::OnceLock<Seen> = std::sync::OnceLock::new();
    let seen = SEEN.get_or_init(Seen::default);
    let key = (assets.describe(), rel.to_owned());
    let version = assets.version(&[rel]).await;
    if let Some((at, h)) = seen.lock().expect("hashes").get(&key) {
        if *at == version {
            return h.clone();
        }
    }
    let Some(html) = assets.read(rel).await else {
        return String::new();
    };
    let h = inline_script_hashes(&String::from_utf8_lossy(&html));
    seen.lock()
        .expect("hashes")
        .insert(key, (version, h.clone()));
    h
}

/// A framed page of ours with the chat page's CSP (`frame-ancestors` per site; its inline
/// scripts by hash).
async fn page_response(
    state: &AppState,
    rel: &str,
    q: Option<&str>,
    headers: &HeaderMap,
) -> Option<Response> {
    // In a WeChat mini-program web-view (seed 003 `source=10`) the chat page loads the WeChat
    // JS SDK to hand files to the mini-program; no other page, and no other source, may.
    let wechat = rel == "chat/index.html" && q.unwrap_or("").split('&').any(|p| p == "source=10");
    let csp = format!(
        "default-src 'self'; script-src 'self'{}{} 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http:; \
         media-src 'self' https: http:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors {}",
        file_script_hashes(&state.config.web, rel).await,
        if wechat { " https://res.wx.qq.com" } else { "" },
        frame_ancestors(state, q).await
    );
    let extra = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static("default-src 'self'")),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ];
    file_response(&state.config.web, rel, headers, NO_CACHE, &extra).await
}

async fn chat_file(
    State(state): State<AppState>,
    UrlPath(file): UrlPath<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    // The lazy tier (`dist/extras`, fixed names): immutable under the versioned URLs the chat
    // page imports it with, revalidated otherwise.
    let (dir, rel, cache) = match file.strip_prefix("extras/") {
        Some(rel) if q.contains_key("v") => ("extras", rel, IMMUTABLE),
        Some(rel) => ("extras", rel, NO_CACHE),
        // Trunk names the chat page's bundle files by content hash.
        None => ("chat", file.as_str(), IMMUTABLE),
    };
    if !plain(rel) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let rel = format!("{dir}/{rel}");
    match file_response(&state.config.web, &rel, &headers, cache, &[]).await {
        Some(r) => r,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The agent console (`dist/console`, built by scripts/build-console.sh). It is never framed
/// and talks only to this origin (`/api/agent/login`, `/ws/agent`).
async fn console_index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let csp = format!(
        "default-src 'self'; script-src 'self'{} 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http:; \
         media-src 'self' https: http:; connect-src 'self'; \
         worker-src 'self'; manifest-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        file_script_hashes(&state.config.web, "console/index.html").await
    );
    let extra = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static("default-src 'self'")),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ];
    match file_response(
        &state.config.web,
        "console/index.html",
        &headers,
        NO_CACHE,
        &extra,
    )
    .await
    {
        Some(r) => r,
        None => not_built("the agent console (scripts/build-console.sh)"),
    }
}

/// The console's service worker (`console/pwa/sw.js`; scope `/console/`) and web app
/// manifest, copied into `dist/console/` by Trunk.
const PWA_WORKER: &str = "sw.js";
const PWA_MANIFEST: &str = "manifest.webmanifest";

async fn console_file(
    State(state): State<AppState>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if file == "index.html" {
        return console_index(State(state), headers).await;
    }
    if !plain(&file) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let rel = format!("console/{file}");
    // The PWA's files keep their names (the service worker's URL is its identity, the
    // manifest and its icons are named by the page): a new version must be seen at once.
    let cache = if file == PWA_WORKER || file == PWA_MANIFEST || file.starts_with("icon-") {
        NO_CACHE
    } else {
        IMMUTABLE
    };
    let scope = [(
        header::HeaderName::from_static("service-worker-allowed"),
        HeaderValue::from_static("/console/"),
    )];
    let extra: &[(header::HeaderName, HeaderValue)] = if file == PWA_WORKER { &scope } else { &[] };
    match file_response(&state.config.web, &rel, &headers, cache, extra).await {
        Some(r) => r,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The origins that may open the agent socket (the public URL first, then
/// `--agent-origins`): the console compares its own origin with them before its login, so
/// one opened under another host name says why it cannot connect.
async fn console_origins(State(state): State<AppState>) -> Response {
    let mut allowed = vec![state.config.public_url.clone()];
    allowed.extend(state.config.agent_origins.iter().cloned());
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        axum::Json(serde_json::json!({ "allowed": allowed })),
    )
        .into_response()
}

/// `&`, `<`, `>`, `"` and `'` as character references.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

async fn demo(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let sysnum = match q.get("sysnum") {
        Some(s) => match Sysnum::parse(s) {
            Ok(s) => s.as_str().to_owned(),
            Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
        },
        None => match state.db.setting("demo_sysnum").await {
            Ok(Some(s)) => s,
            _ => {
                return (
                    StatusCode::NOT_FOUND,
                    "no demo site: open /demo/?sysnum=YOUR_SYSNUM\n",
                )
                    .into_response()
            }
        },
    };
    let template = state.config.public.read("demo/index.html").await;
    let Some(template) = template.and_then(|b| String::from_utf8(b.to_vec()).ok()) else {
        return not_built("public/demo/index.html");
    };
    let chat = &state.config.public_url;
    // The page embeds the snippet `site create` prints, and shows it as text.
    let snippet = crate::admin::snippet(chat, &sysnum);
    let html = template
        .replace("{{SNIPPET_TEXT}}", &html_escape(&snippet))
        .replace("{{SNIPPET}}", &snippet)
        .replace("{{SYSNUM}}", &sysnum)
        .replace("{{CHAT_ORIGIN}}", chat);
    // What a customer's page needs for the widget: our scripts (the loader, the launcher's
    // glue, host.js) and wasm from the chat origin, the chat and notifier frames from it; the
    // page's own inline scripts (the snippet) by hash.
    let csp = format!(
        "default-src 'self'; script-src 'self' {chat}{} 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: {chat}; connect-src 'self' {chat}; \
         frame-src {chat}; base-uri 'none'; form-action 'self'; object-src 'none'",
        inline_script_hashes(&html)
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(NO_CACHE)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(&csp)
                    .unwrap_or(HeaderValue::from_static("default-src 'self'")),
            ),
        ],
        html,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = "<p>x</p><script>a()</script><script src=\"/x.js\"></script>\n<script type=\"module\">b()</script>";
        let h = inline_script_hashes(html);
        // sha256("a()") and sha256("b()"), base64.
        use base64::Engine as _;
        use sha2::Digest as _;
        let b64 = |s: &str| {
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s.as_bytes()))
        };
        assert_eq!(
            h,
            format!(" 'sha256-{}' 'sha256-{}'", b64("a()"), b64("b()"))
        );
        assert_eq!(inline_script_hashes("<script>unclosed"), "");
    }

    #[test]
    fn accept_encoding_picks_precompressed_variants() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepted(&m)
        };
        assert_eq!(accepted(&HeaderMap::new()), (false, false));
        assert_eq!(h("gzip, deflate"), (false, true));
        assert_eq!(h("gzip, deflate, br, zstd"), (true, true));
        assert_eq!(h("BR;q=0.5"), (true, false));
        assert_eq!(h("br;q=0, gzip;q=1.0"), (false, true));
        assert_eq!(h("*"), (true, true));
        assert_eq!(h("identity"), (false, false));
    }
}

//! Seed 000's chat entry: `GET /index/index/home?visiter_id=&visiter_name=&avatar=
//! &business_id=&groupid=&product=` opens the chat page (`/chat/h5/v2/index.html`) for that
//! visitor of the site whose `business_id` it names.
//!
//! - `visiter_id` is the visitor's identity, as seed 000 defines it: another device that
//!   opens the entry with the same id resumes the same conversation. On a site without a
//!   security check the id is taken as given (the site's own user id; whoever knows it reads
//!   that conversation, so sites should use ids nobody can guess, or turn the check on); the
//!   visitor gets a token for this browser, which a small page of ours stores where the chat
//!   page keeps its own (`frontdesk.token.<sysnum>`) before it opens the chat. On a site with
//!   the check (`admin site set --sign-check md5|hmac`) the entry needs `sign`, computed as
//!   for `partnerid` (seed 003), and the chat page proves it at `hello` like any signed page.
//! - `visiter_name` → `uname`, `avatar` → the CRM `face` (an `http(s)` URL, else dropped),
//!   both shown to agents; `groupid` routes (a group id or external id); `product` (seed 000's
//!   JSON `{pid, title, img, info, price, url}`) is shown at the top of the chat as a product
//!   card the visitor can send (`crate::web`'s chat page, the lazy tier's `card`).
//! - A missing or unknown `business_id` gets a page that says so (404), malformed values a
//!   page that says which (400); never a 500 for bad input. The pages are ours (text only,
//!   no value of the request as HTML).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use shared::config::Locale;

use crate::security::SignCheck;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/index/index/home", get(home))
}

/// Longest `visiter_id` (seed 003's `partnerid` limit: the same identity).
const MAX_ID: usize = shared::MAX_PARTNERID_CHARS;
/// Longest `product` JSON, in characters (a message body's limit).
const MAX_PRODUCT: usize = shared::MAX_BODY_CHARS;

/// What went wrong, shown on the error page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Problem {
    /// 404: no `business_id`, or no site has it.
    UnknownSite,
    /// 400: a value is malformed (its name).
    Bad(&'static str),
    /// 403: the site's security check refused the entry.
    Refused,
    /// 500: storage failed (logged).
    Internal,
}

pub async fn home(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let locale = get("locale").and_then(Locale::parse).unwrap_or_default();
    match open(&state, &q).await {
        Ok(r) => r,
        Err(p) => problem_page(p, locale),
    }
}

async fn open(state: &AppState, q: &HashMap<String, String>) -> Result<Response, Problem> {
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let business_id = match get("business_id") {
        None => return Err(Problem::UnknownSite),
        Some(b) => b.parse::<i64>().map_err(|_| Problem::Bad("business_id"))?,
    };
    let site = match state.db.site_by_id(business_id).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(Problem::UnknownSite),
        Err(e) => {
            tracing::error!(error = %e, "seed 000 entry: reading the site failed");
            return Err(Problem::Internal);
        }
    };
    let visiter_id = get("visiter_id");
    if visiter_id.is_some_and(|v| v.chars().count() > MAX_ID || !shared::display_safe(v)) {
        return Err(Problem::Bad("visiter_id"));
    }
    let name = get("visiter_name");
    if name.is_some_and(|n| {
        n.chars().count() > crate::visitor::MAX_UNAME_CHARS || !shared::display_safe(n)
    }) {
        return Err(Problem::Bad("visiter_name"));
    }
    let group = get("groupid");
    if group.is_some_and(|g| g.len() > 64 || !g.bytes().all(|b| b.is_ascii_graphic())) {
        return Err(Problem::Bad("groupid"));
    }
    let product = get("product");
    if let Some(p) = product {
        let card = serde_json::from_str::<shared::card::RawCard>(p)
            .ok()
            .and_then(|c| c.product());
        if p.chars().count() > MAX_PRODUCT || card.is_none() {
            return Err(Problem::Bad("product"));
        }
    }
    // An avatar is shown to agents as an image: http(s) only; anything else is dropped.
    let avatar = get("avatar").and_then(shared::card::safe_url);

    let mut chat = format!("/chat/h5/v2/index.html?sysnum={}", site.sysnum.as_str());
    let mut param = |k: &str, v: &str| {
        chat.push('&');
        chat.push_str(k);
        chat.push('=');
        chat.push_str(&pct(v));
    };
    for (k, v) in [
        ("uname", name),
        ("face", avatar.as_deref()),
        ("groupid", group),
        ("product", product),
        ("locale", get("locale")),
    ] {
        if let Some(v) = v {
            param(k, v);
        }
    }
    let Some(id) = visiter_id else {
        // No identity: the chat page's own visitor of this browser.
        return Ok(Redirect::to(&chat).into_response());
    };
    let check = SignCheck::parse(&site.sign_check).unwrap_or(SignCheck::Md5);
    if check != SignCheck::Off {
        let sign = get("sign").unwrap_or("");
        if !check.verify(site.sysnum.as_str(), &site.sign_key, id, sign) {
            return Err(Problem::Refused);
        }
        // The chat page proves it again at hello, as any signed page does.
        param("partnerid", id);
        param("sign", sign);
        return Ok(Redirect::to(&chat).into_response());
    }
    let token = match state.db.partner_visitor(site.id, id).await {
        Ok((_, token)) => token,
        Err(e) => {
            tracing::error!(error = %e, "seed 000 entry: finding the visitor failed");
            return Err(Problem::Internal);
        }
    };
    tracing::info!(site = site.id, "seed 000 entry for a visiter_id");
    Ok(token_page(site.sysnum.as_str(), &token, &chat))
}

/// The page that keeps the visitor's token where the chat page looks for it, then opens the
/// chat in its place. Its script is constant (allowed by hash in its CSP); the values are
/// attributes, escaped.
fn token_page(sysnum: &str, token: &str, chat: &str) -> Response {
    let html = format!(
        "<!doctype html><html data-k=\"frontdesk.token.{sysnum}\" data-t=\"{}\" data-u=\"{}\">\
         <meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>…</title><script>{TOKEN_SCRIPT}</script></html>",
        escape(token),
        escape(chat)
    );
    let csp = format!(
        "default-src 'none'; script-src {}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        crate::web::script_hash(TOKEN_SCRIPT)
    );
    page(StatusCode::OK, html, &csp)
}

/// Stores the token (if this browser lets us) and replaces this page with the chat.
const TOKEN_SCRIPT: &str = "var d=document.documentElement.dataset;try{localStorage.setItem(d.k,d.t)}catch(e){}location.replace(d.u)";

fn page(status: StatusCode, html: String, csp: &str) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(csp)
                    .unwrap_or(HeaderValue::from_static("default-src 'none'")),
            ),
        ],
        html,
    )
        .into_response()
}

/// The error page: what is wrong, in the visitor's language.
fn problem_page(p: Problem, locale: Locale) -> Response {
    let (status, text) = match p {
        Problem::UnknownSite => (
            StatusCode::NOT_FOUND,
            match locale {
                Locale::Cn => "找不到该客服系统（business_id 无效）。".to_owned(),
                Locale::Tw => "找不到該客服系統（business_id 無效）。".to_owned(),
                Locale::En => "No customer service here: the business_id is unknown.".to_owned(),
            },
        ),
        Problem::Bad(field) => (
            StatusCode::BAD_REQUEST,
            match locale {
                Locale::Cn => format!("链接参数 {field} 无效。"),
                Locale::Tw => format!("連結參數 {field} 無效。"),
                Locale::En => format!("The link's {field} is not valid."),
            },
        ),
        Problem::Refused => (
            StatusCode::FORBIDDEN,
            match locale {
                Locale::Cn => "经验证当前用户为非法用户,不予接入客户服务中心".to_owned(),
                Locale::Tw => "經驗證當前用戶為非法用戶,不予接入客戶服務中心".to_owned(),
                Locale::En => {
                    "Verification failed: this user may not access the customer service center"
                        .to_owned()
                }
            },
        ),
        Problem::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            match locale {
                Locale::Cn => "服务暂时不可用，请稍后再试。".to_owned(),
                Locale::Tw => "服務暫時不可用，請稍後再試。".to_owned(),
                Locale::En => {
                    "The service is unavailable right now. Please try again later.".to_owned()
                }
            },
        ),
    };
    let lang = match locale {
        Locale::Cn => "zh-CN",
        Locale::Tw => "zh-TW",
        Locale::En => "en",
    };
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{t}</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;margin:0;padding:32px 16px;color:#1f2328}}\
         p{{max-width:40em;margin:0 auto;padding:16px;border-radius:8px;background:#fef3f2;color:#b42318}}</style>\
         <p role=\"alert\" data-testid=\"fd-home-error\">{t}</p></html>",
        t = escape(&text)
    );
    page(
        status,
        html,
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    )
}

/// Text as HTML text or attribute value.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
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

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_encoded() {
        assert_eq!(
            escape("<a href=\"x\">'&'"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;"
        );
        assert_eq!(
            pct("{\"pid\":1,\"t\":\"Mac 银\"}"),
            "%7B%22pid%22%3A1%2C%22t%22%3A%22Mac%20%E9%93%B6%22%7D"
        );
    }
}

//! The console's REST calls: `POST /api/agent/login` (account, password → token),
//! `POST /api/files` (an attachment → the URL to send with `32300`) and
//! `GET /console/origins.json` (may this origin open the agent socket?).

use js_sys::Reflect;
use shared::agent::login::{LoginRequest, LoginResponse};
use shared::agent::Uploaded;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{place, t};

/// The server's upload cap (`server/src/files.rs`), checked here first to spare the upload.
pub const MAX_UPLOAD_BYTES: f64 = 10.0 * 1024.0 * 1024.0;

/// `POST url` → (HTTP status, body text); `Err` when the server cannot be reached.
async fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: &JsValue,
) -> Result<(u16, String), String> {
    request("POST", url, headers, Some(body)).await
}

/// `method url` with `headers` and `body` → (HTTP status, body text); `Err` when the server
/// cannot be reached. Every REST call of the console goes through it (web push's too).
pub async fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&JsValue>,
) -> Result<(u16, String), String> {
    let win = web_sys::window().ok_or("no window")?;
    let h = web_sys::Headers::new().map_err(|_| "headers")?;
    for (k, v) in headers {
        let _ = h.set(k, v);
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&h);
    if let Some(b) = body {
        init.set_body(b);
    }
    let resp = JsFuture::from(win.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| t().unreachable.to_owned())?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| t().unexpected_answer)?;
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    Ok((resp.status(), text.unwrap_or_default()))
}

/// The server's `{message}` (or `{errmsg}`) from an error body, if any.
fn server_message(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("errmsg"))?
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

/// Logs in → the console token, or a text for the login form.
pub async fn login(account: String, password: String) -> Result<String, String> {
    let body = serde_json::to_string(&LoginRequest { account, password })
        .map_err(|_| t().login_not_sent.to_owned())?;
    let (status, text) = post(
        "/api/agent/login",
        &[("content-type", "application/json")],
        &body.into(),
    )
    .await?;
    match status {
        200 => serde_json::from_str::<LoginResponse>(&text)
            .map(|r| r.token)
            .map_err(|_| t().unexpected_answer.to_owned()),
        401 => Err(t().wrong_password.into()),
        403 => Err(t().account_disabled.into()),
        429 => Err(t().too_many_attempts.into()),
        s => Err(place(&t().login_failed, &s.to_string())),
    }
}

/// Why this console cannot connect, when it is open under an origin the agent socket refuses
/// (another host name than the server's public URL, not in `--agent-origins`): the origin
/// to open instead and a text saying so. `None` when it may, or when the server cannot say.
pub async fn wrong_origin() -> Option<(String, String)> {
    let win = web_sys::window()?;
    let here = win.location().origin().ok()?;
    let resp = JsFuture::from(win.fetch_with_str("/console/origins.json"))
        .await
        .ok()?;
    let resp: web_sys::Response = resp.dyn_into().ok()?;
    if resp.status() != 200 {
        return None;
    }
    let text = JsFuture::from(resp.text().ok()?).await.ok()?.as_string()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let allowed: Vec<&str> = v
        .get("allowed")?
        .as_array()?
        .iter()
        .filter_map(|o| o.as_str())
        .collect();
    if allowed.is_empty() || allowed.contains(&here.as_str()) {
        return None;
    }
    let public = allowed[0].to_owned();
    let why = [
        t().wrong_origin_why[0],
        &here,
        t().wrong_origin_why[1],
        &allowed.join(", "),
        t().wrong_origin_why[2],
        &format!("{public}/console/"),
        t().wrong_origin_why[3],
        &here,
        t().wrong_origin_why[4],
    ]
    .concat();
    Some((public, why))
}

/// A `File` from an `<input type=file>`: its name, size and type (through `Reflect`, so no
/// extra web-sys features).
pub struct Picked {
    pub file: JsValue,
    pub name: String,
    pub size: f64,
    pub mime: String,
}

fn prop(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// The first file chosen in `input`, if any.
pub fn picked(input: &web_sys::HtmlInputElement) -> Option<Picked> {
    let files = prop(input, "files");
    let file = js_sys::Reflect::get_u32(&files, 0)
        .ok()
        .filter(|f| !f.is_undefined() && !f.is_null())?;
    Some(Picked {
        name: prop(&file, "name").as_string().unwrap_or_default(),
        size: prop(&file, "size").as_f64().unwrap_or(0.0),
        mime: prop(&file, "type").as_string().unwrap_or_default(),
        file,
    })
}

/// Uploads `f` with the agent's token → where it is served and the `file_type` to send.
pub async fn upload(token: &str, f: &Picked) -> Result<Uploaded, String> {
    if f.size > MAX_UPLOAD_BYTES {
        return Err(t().too_large.into());
    }
    if f.size == 0.0 {
        return Err(t().empty_file.into());
    }
    let url = format!(
        "/api/files?name={}",
        String::from(js_sys::encode_uri_component(&f.name))
    );
    let auth = format!("Bearer {token}");
    let mime = if f.mime.is_empty() {
        "application/octet-stream"
    } else {
        &f.mime
    };
    let (status, text) = post(
        &url,
        &[("authorization", &auth), ("content-type", mime)],
        &f.file,
    )
    .await?;
    match status {
        200 => {
            serde_json::from_str::<Uploaded>(&text).map_err(|_| t().unexpected_answer.to_owned())
        }
        401 => Err(t().session_expired.into()),
        413 => Err(t().too_large.into()),
        415 => Err(format!("{} {}", t().type_refused, server_message(&text))),
        s => Err(format!(
            "{} {}",
            place(&t().upload_failed, &s.to_string()),
            server_message(&text)
        )),
    }
}

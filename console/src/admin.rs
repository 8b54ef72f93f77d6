//! The site admin view (`/console/?admin`): an operator signs in with the site's seed 002
//! `appid` + `secret` (exchanged at `/cgi-bin/token`) or an `access_token` — or is signed in
//! already as an agent with the `admin` role (its console token, from this tab) — then manages the
//! FAQ robot through `/api/robot/…` (`shared::robot` shapes only): the site's robots, their
//! FAQ entries page by page, adding, deleting, and importing a CSV / JSON-lines file read in
//! the browser, with the server's per-row report; the site's settings (`crate::settings`);
//! the site's blocks through
//! `/api/admin/block/…` (`shared::workbench` shapes: [`Blocks`]); reports
//! (`crate::report`). The token is kept in memory only. Every
//! string from the server is a text node; nothing is parsed as HTML.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use shared::robot::{
    FaqAdd, FaqAdded, FaqDelete, FaqPage, ImportReport, RobotList, Status, TokenAnswer,
    TokenRequest,
};
use shared::workbench::{BlockAdd, BlockAdded, BlockDelete, BlockList};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{place, place2, t as tr};

/// Entries per page.
const PAGE: i64 = 20;

/// Whether the page was opened as the admin view (`?admin`).
pub fn wanted() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|s| {
            s.trim_start_matches('?')
                .split('&')
                .any(|p| p == "admin" || p.starts_with("admin="))
        })
}

/// `method url` with an optional text body → the decoded answer, or the text to show.
/// A request to the server; `token` goes in `Authorization: Bearer` (never in the URL, so
/// it stays out of access logs and the browser's history).
pub(crate) async fn call<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<String>,
    token: Option<&str>,
) -> Result<T, String> {
    let win = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(b) = body {
        init.set_body(&JsValue::from_str(&b));
    }
    if let Some(t) = token {
        let h = web_sys::Headers::new().map_err(|_| "headers")?;
        h.set("authorization", &format!("Bearer {t}"))
            .map_err(|_| "headers")?;
        init.set_headers(&h);
    }
    let resp = JsFuture::from(win.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| tr().unreachable.to_owned())?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| tr().unexpected_answer)?;
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    }
    .unwrap_or_default();
    if resp.status() == 413 {
        return Err(tr().a_file_too_large.into());
    }
    if let Ok(s) = serde_json::from_str::<Status>(&text) {
        if s.errcode != 0 {
            return Err(format!("{} (errcode {})", s.errmsg, s.errcode));
        }
    }
    serde_json::from_str(&text)
        .map_err(|_| place(&tr().a_unexpected_http, &resp.status().to_string()))
}

/// The text of the first file chosen in `input` (`File.text()`, through `Reflect`).
async fn file_text(input: &web_sys::HtmlInputElement) -> Result<String, String> {
    let files = js_sys::Reflect::get(input, &"files".into()).map_err(|_| "no files")?;
    let file = js_sys::Reflect::get_u32(&files, 0)
        .ok()
        .filter(|f| !f.is_undefined() && !f.is_null())
        .ok_or(tr().a_choose_file)?;
    let text: js_sys::Function = js_sys::Reflect::get(&file, &"text".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or(tr().a_cannot_read_files)?;
    let promise: js_sys::Promise = text
        .call0(&file)
        .ok()
        .and_then(|p| p.dyn_into().ok())
        .ok_or(tr().a_file_unreadable)?;
    JsFuture::from(promise)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| tr().a_file_unreadable.to_owned())
}

/// The view's state.
#[derive(Clone, Copy)]
struct St {
    token: RwSignal<Option<String>>,
    robots: RwSignal<Option<RobotList>>,
    /// The robot shown (None: the site's default one).
    robot: RwSignal<Option<i64>>,
    page: RwSignal<Option<FaqPage>>,
    offset: RwSignal<i64>,
    notice: RwSignal<String>,
    report: RwSignal<Option<ImportReport>>,
    busy: RwSignal<bool>,
    /// The site's groups (`crate::people`: the groups section lists them, agents name them).
    groups: RwSignal<Option<shared::admin::GroupList>>,
}

impl St {
    fn token(&self) -> String {
        self.token.get_untracked().unwrap_or_default()
    }

    /// Reads the robots and the shown page again.
    fn reload(self) {
        leptos::task::spawn_local(async move {
            let t = self.token();
            match call::<RobotList>("GET", "/api/robot/list", None, Some(&t)).await {
                Ok(l) => self.robots.set(Some(l)),
                Err(e) => return self.notice.set(e),
            }
            let robot = self
                .robot
                .get_untracked()
                .map(|r| format!("&robotid={r}"))
                .unwrap_or_default();
            let url = format!(
                "/api/robot/faq/list?offset={}&limit={PAGE}{robot}",
                self.offset.get_untracked()
            );
            match call::<FaqPage>("GET", &url, None, Some(&t)).await {
                Ok(p) => self.page.set(Some(p)),
                Err(e) => self.notice.set(e),
            }
        });
    }
}

#[component]
pub fn AdminView() -> impl IntoView {
    let st = St {
        token: RwSignal::new(None),
        robots: RwSignal::new(None),
        robot: RwSignal::new(None),
        page: RwSignal::new(None),
        offset: RwSignal::new(0),
        notice: RwSignal::new(String::new()),
        report: RwSignal::new(None),
        busy: RwSignal::new(false),
        groups: RwSignal::new(None),
    };
    // An agent signed in to the console in this tab: if it is the site's admin (role
    // `admin`), its console token signs in here too; else the server says why not.
    if let Some(t) = crate::conn::saved_token() {
        leptos::task::spawn_local(async move {
            match call::<shared::admin::SiteAnswer>("GET", "/api/admin/site", None, Some(&t)).await
            {
                Ok(_) => {
                    st.token.set(Some(t));
                    st.reload();
                }
                Err(e) => st.notice.set(e),
            }
        });
    }
    view! {
        <main class="c-admin" data-testid="fd-a">
            <h1>{tr().a_title}</h1>
            <crate::view::LangPick/>
            <p class="c-err" role="alert" data-testid="fd-a-notice">{move || st.notice.get()}</p>
            <Show when=move || st.token.with(Option::is_some) fallback=move || view! { <SignIn st/> }>
                <Manage st/>
            </Show>
            <p><a href="./">{tr().a_agent_console}</a></p>
        </main>
    }
}

#[component]
fn SignIn(st: St) -> impl IntoView {
    let appid: NodeRef<html::Input> = NodeRef::new();
    let secret: NodeRef<html::Input> = NodeRef::new();
    let token: NodeRef<html::Input> = NodeRef::new();
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let val = |n: NodeRef<html::Input>| {
            n.get_untracked()
                .map(|i| i.value().trim().to_owned())
                .unwrap_or_default()
        };
        let (a, s, t) = (val(appid), val(secret), val(token));
        st.notice.set(String::new());
        if !t.is_empty() {
            st.token.set(Some(t));
            return st.reload();
        }
        if a.is_empty() || s.is_empty() {
            return st.notice.set(tr().a_enter_credentials.into());
        }
        st.busy.set(true);
        leptos::task::spawn_local(async move {
            // POST: the secret stays out of the URL.
            let body = serde_json::to_string(&TokenRequest::new(&a, &s)).unwrap_or_default();
            match call::<TokenAnswer>("POST", "/cgi-bin/token", Some(body), None).await {
                Ok(t) => {
                    st.token.set(Some(t.access_token));
                    st.reload();
                }
                Err(e) => st.notice.set(e),
            }
            st.busy.set(false);
        });
    };
    view! {
        <form class="c-login" on:submit=submit>
            <label for="a-appid">"appid"</label>
            <input id="a-appid" node_ref=appid data-testid="fd-a-appid" autocomplete="username"/>
            <label for="a-secret">"secret"</label>
            <input id="a-secret" node_ref=secret type="password" data-testid="fd-a-secret" autocomplete="current-password"/>
            <label for="a-token">{tr().a_or_token}</label>
            <input id="a-token" node_ref=token data-testid="fd-a-token"/>
            <button type="submit" class="c-btn c-pri" data-testid="fd-a-signin" disabled=move || st.busy.get()>{tr().a_sign_in}</button>
        </form>
    }
}

#[component]
fn Manage(st: St) -> impl IntoView {
    let robots = move || {
        st.robots.get().map(|l| {
            l.robots
                .into_iter()
                .map(|r| {
                    let id = r.robotid;
                    let shown = move || {
                        st.page.with(|p| p.as_ref().map(|p| p.robotid)) == Some(id)
                    };
                    view! {
                        <li>
                            <button type="button" class="c-btn" data-testid="fd-a-robot"
                                aria-pressed=move || shown().to_string()
                                on:click=move |_| { st.robot.set(Some(id)); st.offset.set(0); st.reload(); }>
                                {r.name} " (robotid " {id.to_string()} ")"
                            </button>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    let rows = move || {
        st.page.get().map(|p| {
            p.faqs
                .into_iter()
                .map(|f| {
                    let id = f.id;
                    let delete = move |_| {
                        leptos::task::spawn_local(async move {
                            let body = serde_json::to_string(&FaqDelete { id }).unwrap_or_default();
                            let t = st.token();
                            match call::<Status>("POST", "/api/robot/faq/delete", Some(body), Some(&t)).await {
                                Ok(_) => st.notice.set(place(&tr().a_entry_deleted, &id.to_string())),
                                Err(e) => st.notice.set(e),
                            }
                            st.reload();
                        });
                    };
                    view! {
                        <tr data-testid="fd-a-faq">
                            <td>{id.to_string()}</td>
                            <td data-testid="fd-a-q">{f.question}</td>
                            <td data-testid="fd-a-ans">{f.answer}</td>
                            <td>{f.similar.join(" | ")}</td>
                            <td>{f.faq_group.map(|g| g.to_string()).unwrap_or_default()}</td>
                            <td><button type="button" class="c-btn" data-testid="fd-a-delete" on:click=delete>{tr().delete}</button></td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let summary = move || {
        st.page.with(|p| {
            p.as_ref().map(|p| {
                if p.total == 0 {
                    tr().a_no_entries.to_owned()
                } else {
                    let e = &tr().a_entries;
                    [
                        e[0],
                        &(p.offset + 1).to_string(),
                        e[1],
                        &(p.offset + p.faqs.len() as i64).to_string(),
                        e[2],
                        &p.total.to_string(),
                        e[3],
                        &p.robotid.to_string(),
                        e[4],
                    ]
                    .concat()
                }
            })
        })
    };
    let more = move || {
        st.page.with(|p| {
            p.as_ref()
                .is_some_and(|p| p.offset + (p.faqs.len() as i64) < p.total)
        })
    };
    view! {
        <crate::settings::SiteForm token=st.token notice=st.notice/>
        <crate::people::Groups token=st.token notice=st.notice groups=st.groups/>
        <crate::people::Agents token=st.token notice=st.notice groups=st.groups/>
        <crate::audit::VipLevels token=st.token notice=st.notice/>
        <crate::forms::LeaveTemplates token=st.token notice=st.notice/>
        <crate::forms::SiteCanned token=st.token notice=st.notice/>
        <section aria-labelledby="a-h-robots">
            <h2 id="a-h-robots">{tr().a_robots}</h2>
            <ul data-testid="fd-a-robots">{robots}</ul>
        </section>
        <section aria-labelledby="a-h-faqs">
            <h2 id="a-h-faqs">{tr().a_faqs}</h2>
            <p data-testid="fd-a-summary">{summary}</p>
            <table class="c-faqs">
                <thead><tr><th>"id"</th><th>{tr().a_question}</th><th>{tr().answer}</th><th>{tr().a_similar}</th><th>{tr().a_group}</th><th></th></tr></thead>
                <tbody data-testid="fd-a-faqs">{rows}</tbody>
            </table>
            <button type="button" class="c-btn" data-testid="fd-a-prev"
                disabled=move || st.offset.get() == 0
                on:click=move |_| { st.offset.update(|o| *o = (*o - PAGE).max(0)); st.reload(); }>{tr().previous}</button>
            <button type="button" class="c-btn" data-testid="fd-a-next"
                disabled=move || !more()
                on:click=move |_| { st.offset.update(|o| *o += PAGE); st.reload(); }>{tr().next}</button>
        </section>
        <AddForm st/>
        <Import st/>
        <Blocks st/>
        <crate::report::Reports token=st.token notice=st.notice/>
        <crate::audit::AuditLog token=st.token notice=st.notice/>
    }
}

#[component]
fn AddForm(st: St) -> impl IntoView {
    let question: NodeRef<html::Input> = NodeRef::new();
    let answer: NodeRef<html::Textarea> = NodeRef::new();
    let similar: NodeRef<html::Textarea> = NodeRef::new();
    let group: NodeRef<html::Input> = NodeRef::new();
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let q = question
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let a = answer
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let s = similar
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let g = group.get_untracked().map(|i| i.value()).unwrap_or_default();
        let faq_group = match g.trim() {
            "" => None,
            g => match g.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => return st.notice.set(tr().a_group_number.into()),
            },
        };
        let add = FaqAdd {
            robotid: st
                .page
                .with_untracked(|p| p.as_ref().map(|p| p.robotid).filter(|&r| r > 0)),
            faq_group,
            question: q,
            answer: a,
            similar: s
                .lines()
                .map(str::to_owned)
                .filter(|l| !l.trim().is_empty())
                .collect(),
        };
        leptos::task::spawn_local(async move {
            let body = serde_json::to_string(&add).unwrap_or_default();
            let t = st.token();
            match call::<FaqAdded>("POST", "/api/robot/faq/add", Some(body), Some(&t)).await {
                Ok(a) => {
                    st.notice.set(place(&tr().a_entry_added, &a.id.to_string()));
                    if let Some(i) = question.get_untracked() {
                        i.set_value("");
                    }
                    if let Some(i) = answer.get_untracked() {
                        i.set_value("");
                    }
                    if let Some(i) = similar.get_untracked() {
                        i.set_value("");
                    }
                }
                Err(e) => st.notice.set(e),
            }
            st.reload();
        });
    };
    view! {
        <form class="c-admin-form" on:submit=submit aria-labelledby="a-h-add">
            <h2 id="a-h-add">{tr().a_add_entry}</h2>
            <label for="a-q">{tr().a_question}</label>
            <input id="a-q" node_ref=question data-testid="fd-a-add-q"/>
            <label for="a-a">{tr().answer}</label>
            <textarea id="a-a" node_ref=answer data-testid="fd-a-add-a"></textarea>
            <label for="a-s">{tr().a_similar_label}</label>
            <textarea id="a-s" node_ref=similar data-testid="fd-a-add-s"></textarea>
            <label for="a-g">{tr().a_group_label}</label>
            <input id="a-g" node_ref=group data-testid="fd-a-add-g" inputmode="numeric"/>
            <button type="submit" class="c-btn c-pri" data-testid="fd-a-add">{tr().add}</button>
        </form>
    }
}

#[component]
fn Import(st: St) -> impl IntoView {
    let file: NodeRef<html::Input> = NodeRef::new();
    let run = move |_| {
        let Some(input) = file.get_untracked() else {
            return;
        };
        let input: web_sys::HtmlInputElement = input;
        st.report.set(None);
        leptos::task::spawn_local(async move {
            let text = match file_text(&input).await {
                Ok(t) => t,
                Err(e) => return st.notice.set(e),
            };
            let robot = st
                .page
                .with_untracked(|p| p.as_ref().map(|p| p.robotid).filter(|&r| r > 0))
                .map(|r| format!("?robotid={r}"))
                .unwrap_or_default();
            let url = format!("/api/robot/faq/import{robot}");
            let t = st.token();
            match call::<ImportReport>("POST", &url, Some(text), Some(&t)).await {
                Ok(r) => {
                    st.notice.set(String::new());
                    st.report.set(Some(r));
                }
                Err(e) => st.notice.set(e),
            }
            st.reload();
        });
    };
    let report = move || {
        st.report.get().map(|r| {
            let summary = place2(&tr().a_import_summary, &r.added.len().to_string(), &r.errors.len().to_string());
            let errors = r
                .errors
                .into_iter()
                .map(|e| view! { <li data-testid="fd-a-row-error">{place(&tr().a_line, &e.line.to_string())}" "{e.reason}</li> })
                .collect_view();
            view! {
                <p data-testid="fd-a-report-summary">
                    {summary}
                </p>
                <ul>{errors}</ul>
            }
        })
    };
    view! {
        <section aria-labelledby="a-h-import">
            <h2 id="a-h-import">{tr().a_import}</h2>
            <p class="c-muted">
                {tr().a_import_help}
            </p>
            <label for="a-file">{tr().file}</label>" "
            <input type="file" id="a-file" node_ref=file data-testid="fd-a-file" accept=".csv,.jsonl,.json,.txt,text/csv"/>
            <button type="button" class="c-btn" data-testid="fd-a-import" on:click=run>{tr().a_import_button}</button>
            <div data-testid="fd-a-report" role="status">{report}</div>
        </section>
    }
}

/// When a block ends, as the admin's browser shows times.
fn until(ms: Option<i64>) -> String {
    match ms {
        None => tr().a_until_deleted.into(),
        Some(ms) => place(&tr().a_until, &crate::i18n::when(ms)),
    }
}

/// The site's blocks (issue 25): the ones in force, deleting one, and adding a visitor
/// (`gid`) or an address range with a reason and a number of days.
#[component]
fn Blocks(st: St) -> impl IntoView {
    let list: RwSignal<Option<BlockList>> = RwSignal::new(None);
    let reload = move || {
        leptos::task::spawn_local(async move {
            let t = st.token();
            match call::<BlockList>("GET", "/api/admin/block/list", None, Some(&t)).await {
                Ok(l) => list.set(Some(l)),
                Err(e) => st.notice.set(e),
            }
        });
    };
    Effect::new(move |_| {
        if st.token.with(Option::is_some) {
            reload();
        }
    });
    let kind: NodeRef<html::Select> = NodeRef::new();
    let target: NodeRef<html::Input> = NodeRef::new();
    let reason: NodeRef<html::Input> = NodeRef::new();
    let days: NodeRef<html::Input> = NodeRef::new();
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let val = |v: Option<String>| v.map(|s| s.trim().to_owned()).unwrap_or_default();
        let by_ip = kind.get_untracked().is_some_and(|k| k.value() == "ip");
        let what = val(target.get_untracked().map(|i| i.value()));
        let days = match val(days.get_untracked().map(|i| i.value())).as_str() {
            "" => None,
            d => match d.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => return st.notice.set(tr().a_days_number.into()),
            },
        };
        let add = BlockAdd {
            ip: by_ip.then(|| what.clone()),
            visitor: (!by_ip).then_some(what),
            reason: val(reason.get_untracked().map(|i| i.value())),
            days,
        };
        leptos::task::spawn_local(async move {
            let body = serde_json::to_string(&add).unwrap_or_default();
            let t = st.token();
            match call::<BlockAdded>("POST", "/api/admin/block/add", Some(body), Some(&t)).await {
                Ok(a) => {
                    st.notice.set(place(&tr().a_block_added, &a.id.to_string()));
                    if let Some(i) = target.get_untracked() {
                        i.set_value("");
                    }
                    if let Some(i) = reason.get_untracked() {
                        i.set_value("");
                    }
                }
                Err(e) => st.notice.set(e),
            }
            reload();
        });
    };
    let rows = move || {
        list.get().map(|l| {
            l.blocks
                .into_iter()
                .map(|b| {
                    let id = b.id;
                    let what = match (b.ip, b.visitor) {
                        (Some(ip), _) => place(&tr().a_address, &ip),
                        (_, Some(v)) => place(&tr().a_visitor, &v),
                        _ => String::new(),
                    };
                    let delete = move |_| {
                        leptos::task::spawn_local(async move {
                            let body = serde_json::to_string(&BlockDelete { id }).unwrap_or_default();
                            let t = st.token();
                            match call::<Status>("POST", "/api/admin/block/delete", Some(body), Some(&t)).await {
                                Ok(_) => st.notice.set(place(&tr().a_block_deleted, &id.to_string())),
                                Err(e) => st.notice.set(e),
                            }
                            reload();
                        });
                    };
                    view! {
                        <tr data-testid="fd-a-block">
                            <td>{id.to_string()}</td>
                            <td data-testid="fd-a-block-what">{what}</td>
                            <td>{b.reason}</td>
                            <td>{until(b.expires_at)}</td>
                            <td>{b.by}</td>
                            <td><button type="button" class="c-btn" data-testid="fd-a-block-delete" on:click=delete>{tr().delete}</button></td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section aria-labelledby="a-h-blocks">
            <h2 id="a-h-blocks">{tr().a_blocks}</h2>
            <p class="c-muted">
                {tr().a_blocks_help}
            </p>
            <table class="c-faqs">
                <thead><tr><th>"id"</th><th>{tr().a_blocked}</th><th>{tr().a_reason}</th><th>{tr().a_lasts}</th><th>{tr().a_by}</th><th></th></tr></thead>
                <tbody data-testid="fd-a-blocks">{rows}</tbody>
            </table>
            <form class="c-admin-form" on:submit=submit aria-labelledby="a-h-block-add">
                <h3 id="a-h-block-add">{tr().a_block}</h3>
                <label for="a-b-kind">{tr().a_by}</label>
                <select id="a-b-kind" node_ref=kind data-testid="fd-a-block-kind">
                    <option value="ip">{tr().a_by_ip}</option>
                    <option value="visitor">{tr().a_by_visitor}</option>
                </select>
                <label for="a-b-target">{tr().a_target}</label>
                <input id="a-b-target" node_ref=target data-testid="fd-a-block-target"/>
                <label for="a-b-reason">{tr().a_reason_label}</label>
                <input id="a-b-reason" node_ref=reason data-testid="fd-a-block-reason" maxlength="200"/>
                <label for="a-b-days">{tr().a_days_label}</label>
                <input id="a-b-days" node_ref=days data-testid="fd-a-block-days" inputmode="numeric"/>
                <button type="submit" class="c-btn c-pri" data-testid="fd-a-block-add">{tr().a_block}</button>
            </form>
        </section>
    }
}

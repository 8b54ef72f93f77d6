//! Reports in the site admin view (issue 25, item 7): a range of days and a time zone, the
//! figures of `GET /api/admin/report` (`shared::report`), bar charts drawn here as SVG
//! (conversations and messages per day, conversations per hour, CSAT), per agent and per
//! group, and the CSV export (`shared::report::csv`, a `data:` link: nothing leaves the
//! browser). Every string is text.

use leptos::html;
use leptos::prelude::*;
use shared::report::{Report, ReportAnswer};
use wasm_bindgen::JsValue;

/// The browser's time zone (IANA name), else `UTC`.
fn browser_zone() -> String {
    let f = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&f.resolved_options(), &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|z| z.as_string())
        .unwrap_or_else(|| "UTC".into())
}

fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

fn secs(v: Option<f64>) -> String {
    v.map_or("–".into(), |s| {
        if s >= 60.0 {
            format!("{:.1} min", s / 60.0)
        } else {
            format!("{s:.0} s")
        }
    })
}

/// A bar chart: one bar per `(label, value)`, labels under the bars (every `step`-th one),
/// each bar's value in its tooltip and as text above it.
fn bars(title: &'static str, testid: &'static str, items: Vec<(String, u64)>) -> impl IntoView {
    const H: f64 = 120.0;
    const TOP: f64 = 16.0;
    const BOTTOM: f64 = 18.0;
    let n = items.len().max(1);
    let w = (n as f64 * 22.0).max(240.0);
    let slot = w / n as f64;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let step = n.div_ceil(12);
    let rects = items
        .into_iter()
        .enumerate()
        .map(|(i, (label, v))| {
            let h = v as f64 / max * H;
            let x = i as f64 * slot + slot * 0.15;
            let y = TOP + H - h;
            let bw = slot * 0.7;
            let tip = format!("{label}: {v}");
            let show_label = i % step == 0;
            view! {
                <g>
                    <rect data-testid="fd-a-bar" data-label=label.clone() data-value=v.to_string()
                        x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{bw:.1}") height=format!("{h:.1}")
                        fill="#0969da"><title>{tip}</title></rect>
                    {(v > 0).then(|| view! {
                        <text x=format!("{:.1}", x + bw / 2.0) y=format!("{:.1}", y - 3.0) font-size="10"
                            text-anchor="middle" fill="#24292f">{v.to_string()}</text>
                    })}
                    {show_label.then(|| view! {
                        <text x=format!("{:.1}", x + bw / 2.0) y=format!("{:.1}", TOP + H + 13.0) font-size="10"
                            text-anchor="middle" fill="#57606a">{label}</text>
                    })}
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="c-chart">
            <figcaption>{title}</figcaption>
            <svg data-testid=testid role="img" aria-label=title width=format!("{w:.0}")
                height=format!("{:.0}", TOP + H + BOTTOM) viewBox=format!("0 0 {w:.0} {:.0}", TOP + H + BOTTOM)>
                <line x1="0" x2=format!("{w:.0}") y1=format!("{:.0}", TOP + H) y2=format!("{:.0}", TOP + H) stroke="#8c959f"/>
                {rects}
            </svg>
        </figure>
    }
}

fn figures(r: Report) -> impl IntoView {
    let csv = format!(
        "data:text/csv;charset=utf-8,{}",
        enc(&shared::report::csv(&r))
    );
    let file = format!("report-{}-{}.csv", r.since, r.until);
    let day = |f: fn(&shared::report::Bucket) -> u64| {
        r.by_day
            .iter()
            .map(|b| (b.key.get(5..).unwrap_or(&b.key).to_owned(), f(b)))
            .collect::<Vec<_>>()
    };
    let per_day = day(|b| b.conversations);
    let msgs_day = day(|b| b.messages);
    let per_hour: Vec<(String, u64)> = r
        .by_hour
        .iter()
        .map(|b| (b.key.clone(), b.conversations))
        .collect();
    let csat: Vec<(String, u64)> = r
        .csat
        .scores
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("{}★", i + 1), *n))
        .collect();
    let stat = |label: &'static str, key: &'static str, value: String| {
        view! { <dt>{label}</dt><dd data-testid="fd-a-rep" data-key=key>{value}</dd> }
    };
    let agents = r
        .by_agent
        .iter()
        .map(|a| {
            view! {
                <tr data-testid="fd-a-rep-agent">
                    <td>{a.kf_nick.clone()}</td><td>{a.conversations.to_string()}</td>
                    <td>{a.answered.to_string()}</td><td>{secs(a.first_response_p50_s)}</td>
                    <td>{secs(a.resolution_p50_s)}</td>
                </tr>
            }
        })
        .collect_view();
    let groups = r
        .by_group
        .iter()
        .map(|g| {
            let name = if g.groupname.is_empty() {
                "(no group)".to_owned()
            } else {
                g.groupname.clone()
            };
            view! {
                <tr data-testid="fd-a-rep-group">
                    <td>{name}</td><td>{g.conversations.to_string()}</td><td>{g.abandoned.to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    let average = r.csat.average.map_or("–".to_owned(), |a| format!("{a:.2}"));
    view! {
        <p class="c-muted" data-testid="fd-a-rep-range">{format!("{} to {} ({})", r.since, r.until, r.tz)}</p>
        <dl class="c-stats">
            {stat("Conversations", "conversations", r.conversations.to_string())}
            {stat("Messages", "messages", r.messages.to_string())}
            {stat("Answered", "answered", r.answered.to_string())}
            {stat("Abandoned in the queue", "abandoned", r.abandoned.to_string())}
            {stat("First response p50", "first_response_p50_s", secs(r.first_response_p50_s))}
            {stat("First response p90", "first_response_p90_s", secs(r.first_response_p90_s))}
            {stat("Resolution p50", "resolution_p50_s", secs(r.resolution_p50_s))}
            {stat("Resolution p90", "resolution_p90_s", secs(r.resolution_p90_s))}
            {stat("Ratings (average)", "csat", format!("{} ({average})", r.csat.count))}
        </dl>
        <div class="c-charts">
            {bars("Conversations per day", "fd-a-chart-days", per_day)}
            {bars("Messages per day", "fd-a-chart-messages", msgs_day)}
            {bars("Conversations by hour", "fd-a-chart-hours", per_hour)}
            {bars("Ratings", "fd-a-chart-csat", csat)}
        </div>
        <table class="c-faqs">
            <caption>"Per agent"</caption>
            <thead><tr><th>"Agent"</th><th>"Conversations"</th><th>"Answered"</th><th>"First response p50"</th><th>"Resolution p50"</th></tr></thead>
            <tbody>{agents}</tbody>
        </table>
        <table class="c-faqs">
            <caption>"Per group"</caption>
            <thead><tr><th>"Group"</th><th>"Conversations"</th><th>"Abandoned"</th></tr></thead>
            <tbody>{groups}</tbody>
        </table>
        <p><a href=csv download=file data-testid="fd-a-rep-csv">"Export CSV"</a></p>
    }
}

/// The reports section of the admin view.
#[component]
pub fn Reports(token: RwSignal<Option<String>>, notice: RwSignal<String>) -> impl IntoView {
    let report: RwSignal<Option<Report>> = RwSignal::new(None);
    let since: NodeRef<html::Input> = NodeRef::new();
    let until: NodeRef<html::Input> = NodeRef::new();
    let zone: NodeRef<html::Input> = NodeRef::new();
    let show = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let val =
            |n: NodeRef<html::Input>| n.get_untracked().map(|i| i.value()).unwrap_or_default();
        let url = format!(
            "/api/admin/report?since={}&until={}&tz={}",
            enc(val(since).trim()),
            enc(val(until).trim()),
            enc(val(zone).trim())
        );
        leptos::task::spawn_local(async move {
            let t = token.get_untracked().unwrap_or_default();
            match crate::admin::call::<ReportAnswer>("GET", &url, None, Some(&t)).await {
                Ok(a) => {
                    notice.set(String::new());
                    report.set(Some(a.report));
                }
                Err(e) => notice.set(e),
            }
        });
    };
    view! {
        <section aria-labelledby="a-h-reports" data-testid="fd-a-reports">
            <h2 id="a-h-reports">"Reports"</h2>
            <form class="c-admin-form" on:submit=show aria-label="Report range">
                <label for="a-r-since">"From (YYYY-MM-DD, empty: 6 days before the end)"</label>
                <input id="a-r-since" node_ref=since data-testid="fd-a-rep-since" placeholder="2026-01-01"/>
                <label for="a-r-until">"To (inclusive, empty: today)"</label>
                <input id="a-r-until" node_ref=until data-testid="fd-a-rep-until"/>
                <label for="a-r-tz">"Time zone"</label>
                <input id="a-r-tz" node_ref=zone data-testid="fd-a-rep-tz" value=browser_zone()/>
                <button type="submit" class="c-btn c-pri" data-testid="fd-a-rep-show">"Show"</button>
            </form>
            {move || report.get().map(figures)}
        </section>
    }
}

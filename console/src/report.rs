//! Reports in the site admin view (issue 25, item 7): a range of days and a time zone, the
//! figures of `GET /api/admin/report` (`shared::report`), bar charts drawn here as SVG
//! (conversations and messages per day, conversations per hour, CSAT), per agent and per
//! group, and the CSV export (`shared::report::csv`, a `data:` link: nothing leaves the
//! browser). Every string is text.

use crate::i18n::{place, t as tr};
use leptos::html;
use leptos::prelude::*;
use shared::report::{Report, ReportAnswer};

/// The agent's time zone when known (`crate::i18n`), else the browser's.
fn browser_zone() -> String {
    crate::i18n::tz().get_untracked()
}

fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

fn secs(v: Option<f64>) -> String {
    v.map_or("–".into(), |s| {
        if s >= 60.0 {
            place(&tr().r_min, &format!("{:.1}", s / 60.0))
        } else {
            place(&tr().r_s, &format!("{s:.0}"))
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
                tr().r_no_group.to_owned()
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
        <p class="c-muted" data-testid="fd-a-rep-range">{[tr().r_range[0], &r.since, tr().r_range[1], &r.until, tr().r_range[2], &r.tz, tr().r_range[3]].concat()}</p>
        <dl class="c-stats">
            {stat(tr().r_conversations, "conversations", r.conversations.to_string())}
            {stat(tr().messages, "messages", r.messages.to_string())}
            {stat(tr().r_answered, "answered", r.answered.to_string())}
            {stat(tr().r_abandoned_queue, "abandoned", r.abandoned.to_string())}
            {stat(tr().r_first_p50, "first_response_p50_s", secs(r.first_response_p50_s))}
            {stat(tr().r_first_p90, "first_response_p90_s", secs(r.first_response_p90_s))}
            {stat(tr().r_res_p50, "resolution_p50_s", secs(r.resolution_p50_s))}
            {stat(tr().r_res_p90, "resolution_p90_s", secs(r.resolution_p90_s))}
            {stat(tr().r_ratings_avg, "csat", format!("{} ({average})", r.csat.count))}
        </dl>
        <div class="c-charts">
            {bars(tr().r_per_day, "fd-a-chart-days", per_day)}
            {bars(tr().r_msgs_day, "fd-a-chart-messages", msgs_day)}
            {bars(tr().r_by_hour, "fd-a-chart-hours", per_hour)}
            {bars(tr().ratings, "fd-a-chart-csat", csat)}
        </div>
        <table class="c-faqs">
            <caption>{tr().r_per_agent}</caption>
            <thead><tr><th>{tr().r_agent}</th><th>{tr().r_conversations}</th><th>{tr().r_answered}</th><th>{tr().r_first_p50}</th><th>{tr().r_res_p50}</th></tr></thead>
            <tbody>{agents}</tbody>
        </table>
        <table class="c-faqs">
            <caption>{tr().r_per_group}</caption>
            <thead><tr><th>{tr().a_group}</th><th>{tr().r_conversations}</th><th>{tr().r_abandoned}</th></tr></thead>
            <tbody>{groups}</tbody>
        </table>
        <p><a href=csv download=file data-testid="fd-a-rep-csv">{tr().r_csv}</a></p>
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
            <h2 id="a-h-reports">{tr().r_title}</h2>
            <form class="c-admin-form" on:submit=show aria-label=tr().r_range_label>
                <label for="a-r-since">{tr().r_from}</label>
                <input id="a-r-since" node_ref=since data-testid="fd-a-rep-since" placeholder="2026-01-01"/>
                <label for="a-r-until">{tr().r_to}</label>
                <input id="a-r-until" node_ref=until data-testid="fd-a-rep-until"/>
                <label for="a-r-tz">{tr().time_zone}</label>
                <input id="a-r-tz" node_ref=zone data-testid="fd-a-rep-tz" value=browser_zone()/>
                <button type="submit" class="c-btn c-pri" data-testid="fd-a-rep-show">{tr().r_show}</button>
            </form>
            {move || report.get().map(figures)}
        </section>
    }
}

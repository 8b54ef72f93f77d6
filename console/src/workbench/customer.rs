//! The customer beside the chat (issue 25, item 1): who they are as their page described them
//! (`32800`'s `Customer`: the avatar, VIP level and labels as badges, the CRM values and the
//! `params`/`customer_fields` rows as labelled fields), where they came from, the page they
//! are on now and the pages before it with their times (`pre_*`/`cur_*` included), and their
//! earlier conversations (`32831`), each opened read-only in the viewer (`32830`), and their
//! ratings of chats (issue 24). The server
//! says when the page reported new values or another page (`32801`); the panel then reads
//! the visit again. Everything is text; the avatar from another host loads after a click.

use leptos::prelude::*;
use shared::agent::Request;
use shared::visit::{Field, FieldGroup, PageKind, TracePage, VisitInfo};
use shared::workbench::Conversation;

use super::when;
use crate::conn;
use crate::store::Store;

/// The label of a CRM value.
fn label(f: &Field) -> String {
    match f.group {
        FieldGroup::Crm => match f.key.as_str() {
            "realname" => crate::i18n::t().f_name,
            "uname" => crate::i18n::t().f_nickname,
            "tel" => crate::i18n::t().f_phone,
            "email" => crate::i18n::t().f_email,
            "qq" => "QQ",
            "remark" => crate::i18n::t().f_remark,
            other => other,
        }
        .to_owned(),
        FieldGroup::Params | FieldGroup::CustomerFields => f.key.clone(),
    }
}

fn group_name(g: FieldGroup) -> &'static str {
    match g {
        FieldGroup::Crm => "crm",
        FieldGroup::Params => "params",
        FieldGroup::CustomerFields => "customer_fields",
    }
}

/// One page of the trace: when, what kind, title and URL, and the page's own extras.
fn page(p: TracePage) -> impl IntoView {
    let kind = match p.page.kind {
        PageKind::Land => crate::i18n::t().p_landed,
        PageKind::View => crate::i18n::t().p_viewed,
        PageKind::Chat => crate::i18n::t().p_chat,
        PageKind::Manual => crate::i18n::t().p_page,
    };
    let extras: Vec<String> = p
        .page
        .pre
        .iter()
        .chain(p.page.cur.iter())
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let at = when(p.ts);
    view! {
        <li data-testid="fd-c-trace" data-kind=p.page.kind.as_str()>
            <span class="c-muted">{at} " " {kind} ": "</span>
            {p.page.title} " " <span class="c-muted">{p.page.url}</span>
            {(!extras.is_empty()).then(|| view! {
                <span class="c-muted c-extras" data-testid="fd-c-trace-extra">{extras.join(" · ")}</span>
            })}
        </li>
    }
}

/// One earlier conversation: a button that opens it read-only.
fn earlier(c: Conversation, gid: String) -> impl IntoView {
    let id = c.id.clone();
    let started = when(c.started_at);
    let who = if c.kf_nick.is_empty() {
        crate::i18n::t().nobody_took.to_owned()
    } else {
        c.kf_nick.clone()
    };
    let state = if c.ended_at.is_some() {
        String::new()
    } else {
        format!(" · {}", crate::i18n::t().going_on)
    };
    let other = (c.gid != gid)
        .then(|| view! { <span class="c-muted">" · "{crate::i18n::place(&crate::i18n::t().another_visitor, &c.gid)}</span> });
    let about = [c.category.as_str(), c.summary.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    view! {
        <li>
            <button type="button" class="c-item" data-testid="fd-c-earlier" data-id=id.clone()
                on:click=move |_| conn::request(Request::conversation(&id))>
                <span>{started} " · " {who} {state}</span>
                {other}
                {(!about.is_empty()).then(|| view! { <span class="c-muted c-extras">{about}</span> })}
            </button>
        </li>
    }
}

fn head(v: &VisitInfo) -> impl IntoView {
    let c = &v.customer;
    let face = c.face.clone().map(|url| {
        let src = url.clone();
        crate::media::gated(&url, crate::i18n::t().what_photo, move || {
            view! { <img class="c-face" data-testid="fd-c-face" src=src.clone() alt=crate::i18n::t().customer_photo width="40" height="40"/> }
                .into_any()
        })
    });
    let vip = c
        .vip
        .clone()
        .map(|v| view! { <span class="c-tag c-vip" data-testid="fd-c-vip">{v}</span> });
    let labels = c
        .labels
        .iter()
        .cloned()
        .map(|l| view! { <span class="c-tag" data-testid="fd-c-label">{l}</span> })
        .collect_view();
    let origin = [c.source.as_str(), c.locale.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let now = v.trace.last().cloned().map(|p| {
        let at = when(p.ts);
        view! {
            <p data-testid="fd-c-now"><span class="c-muted">{crate::i18n::t().now_on}" "</span>{p.page.title}" "
                <span class="c-muted">{p.page.url}" · "{crate::i18n::place(&crate::i18n::t().since, &at)}</span></p>
        }
    });
    view! {
        <div class="c-cust-head">
            {face}
            <strong data-testid="fd-c-cust-name">{c.name.clone()}</strong>
            {vip}
            {labels}
        </div>
        {(!origin.is_empty()).then(|| view! { <p class="c-muted" data-testid="fd-c-origin">{origin}</p> })}
        {now}
    }
}

/// The panel above the open chat's messages.
#[component]
pub fn CustomerPanel(store: Store) -> impl IntoView {
    let wb = store.wb;
    // Each chat opened asks for its earlier conversations.
    Effect::new(move |_| {
        if let Some(gid) = store.open.get() {
            wb.earlier.set(None);
            conn::request(Request::conversations(&gid));
        }
    });
    let info = move || store.visit.get();
    let fields = move || {
        info().map(|v| {
            v.customer
                .fields
                .into_iter()
                .map(|f| {
                    let l = label(&f);
                    view! {
                        <dt data-group=group_name(f.group)>{l}</dt>
                        <dd data-testid="fd-c-field" data-key=f.key.clone() data-group=group_name(f.group)>{f.value}</dd>
                    }
                })
                .collect_view()
        })
    };
    // The visitor's ratings of their chats (issue 24): stars, score, agent, comment and tags as
    // text.
    let ratings = move || {
        info().map(|v| {
            v.ratings
                .into_iter()
                .map(|r| {
                    let stars: String = (1..=5)
                        .map(|n| if n <= r.score { '★' } else { '☆' })
                        .collect();
                    let tags = r
                        .tags
                        .into_iter()
                        .map(|t| view! { " " <span class="c-tag" data-testid="fd-c-rating-tag">{t}</span> })
                        .collect_view();
                    view! {
                        <li data-testid="fd-c-rating">
                            <span aria-hidden="true">{stars}</span> " " {format!("{}/5", r.score)}
                            " " <span class="c-muted">{r.agent}</span> " " {r.comment} {tags}
                        </li>
                    }
                })
                .collect_view()
        })
    };
    let trace = move || info().map(|v| v.trace.into_iter().map(page).collect_view());
    let pages = move || info().map_or(0, |v| v.trace.len());
    let earlier_list = move || {
        let gid = store.open.get().unwrap_or_default();
        wb.earlier.get().map(|l| {
            l.conversations
                .into_iter()
                .map(|c| earlier(c, gid.clone()))
                .collect_view()
        })
    };
    let earlier_count = move || {
        wb.earlier
            .with(|l| l.as_ref().map_or(0, |l| l.conversations.len()))
    };
    view! {
        <section class="c-visit" data-testid="fd-c-visit" aria-label=crate::i18n::t().customer>
            {move || info().map(|v| head(&v))}
            <dl data-testid="fd-c-fields">{fields}</dl>
            <ul class="c-ratings" aria-label=crate::i18n::t().ratings>{ratings}</ul>
            <details data-testid="fd-c-pages" open>
                <summary>{crate::i18n::t().pages}" (" {pages} ")"</summary>
                <ol>{trace}</ol>
            </details>
            <details data-testid="fd-c-earlier-list">
                <summary>{crate::i18n::t().conversations}" (" {earlier_count} ")"</summary>
                <ul class="c-earlier">{earlier_list}</ul>
            </details>
        </section>
    }
}

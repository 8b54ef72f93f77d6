//! The search box (`32900`) and its hits: the visitor, where the query was found (message,
//! note, summary, profile), when, and the text around it with the matched runs in `<mark>`.
//! A hit opens its conversation read-only (`32830`); hits are paged.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::agent::Request;
use shared::workbench::{HitField, SearchHit};

use super::when;
use crate::conn;
use crate::store::Store;

/// Hits per page.
pub const PAGE: u32 = 10;

fn field_label(f: HitField) -> &'static str {
    match f {
        HitField::Message => crate::i18n::t().h_message,
        HitField::Note => crate::i18n::t().h_note,
        HitField::Summary => crate::i18n::t().h_summary,
        HitField::Profile => crate::i18n::t().h_profile,
    }
}

/// Opens `h`'s conversation in the viewer.
pub fn open_hit(h: &SearchHit) {
    let r = match &h.conversation {
        Some(id) => Request::conversation(id),
        None => Request::conversation_at(&h.gid, h.seq),
    };
    conn::request(r);
}

fn hit_view(h: SearchHit) -> impl IntoView {
    let name = if !h.uname.is_empty() {
        h.uname.clone()
    } else if !h.partnerid.is_empty() {
        h.partnerid.clone()
    } else {
        crate::i18n::place(&crate::i18n::t().visitor, &h.gid)
    };
    let marks = h
        .snippet
        .iter()
        .map(|m| {
            let t = m.text.clone();
            if m.hit {
                view! { <mark>{t}</mark> }.into_any()
            } else {
                t.into_any()
            }
        })
        .collect_view();
    let field = field_label(h.field);
    let at = when(h.ts);
    let gid = h.gid.clone();
    view! {
        <li data-testid="fd-c-hit" data-gid=gid data-field=field>
            <button type="button" class="c-item c-hit" on:click=move |_| open_hit(&h)>
                <span class="c-who">{name}" "<span class="c-muted">{field}" · "{at}</span>
                    <span class="c-snip" data-testid="fd-c-snippet">{marks}</span>
                </span>
            </button>
        </li>
    }
}

#[component]
pub fn Search(store: Store) -> impl IntoView {
    let wb = store.wb;
    let input: NodeRef<html::Input> = NodeRef::new();
    let run = move |page: u32| {
        let q = wb.query.get_untracked();
        if !q.trim().is_empty() {
            conn::request(Request::search(&q, page, PAGE));
        }
    };
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let q = input
            .get_untracked()
            .map(|i| i.value().trim().to_owned())
            .unwrap_or_default();
        if q.is_empty() {
            wb.results.set(None);
            return;
        }
        wb.query.set(q);
        run(1);
    };
    let page = move || wb.results.with(|r| r.as_ref().map_or(1, |r| r.page_index));
    let summary = move || {
        wb.results.with(|r| {
            r.as_ref().map(|r| match r.total {
                0 => crate::i18n::place(&crate::i18n::t().no_results, &r.q),
                1 => crate::i18n::t().one_result.to_owned(),
                n => crate::i18n::place(&crate::i18n::t().n_results, &n.to_string()),
            })
        })
    };
    let more = move || {
        wb.results.with(|r| {
            r.as_ref()
                .is_some_and(|r| u64::from(r.page_index) * u64::from(r.page_size) < r.total)
        })
    };
    view! {
        <h2 id="c-h-search">{crate::i18n::t().search}</h2>
        <form class="c-search" role="search" aria-labelledby="c-h-search" on:submit=submit>
            <label for="c-q" class="c-sr">{crate::i18n::t().search_label}</label>
            <input id="c-q" node_ref=input type="search" data-testid="fd-c-search"
                placeholder=crate::i18n::t().search_placeholder maxlength="200"/>
            <button type="submit" class="c-btn" data-testid="fd-c-search-go"
                disabled=move || !store.online.get()>{crate::i18n::t().search}</button>
        </form>
        <p class="c-muted" role="status" data-testid="fd-c-search-summary">{summary}</p>
        <ul data-testid="fd-c-hits" aria-label=crate::i18n::t().search_results>
            {move || wb.results.get().map(|r| r.hits.into_iter().map(hit_view).collect_view())}
        </ul>
        <Show when=move || wb.results.with(Option::is_some)>
            <div class="c-row">
                <button type="button" class="c-btn" data-testid="fd-c-search-prev"
                    disabled=move || page() <= 1 on:click=move |_| run(page() - 1)>{crate::i18n::t().previous}</button>
                <button type="button" class="c-btn" data-testid="fd-c-search-next"
                    disabled=move || !more() on:click=move |_| run(page() + 1)>{crate::i18n::t().next}</button>
            </div>
        </Show>
    }
}

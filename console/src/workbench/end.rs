//! "End chat" with the conversation's summary: a category (one of the site's, or any text
//! when it has none), a summary and labels (comma-separated), sent with `32600`. The site's
//! rules (`32610`) say whether the category and summary are required; the server checks
//! them either way and its refusal is shown in the form.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::agent::Request;
use shared::workbench::EndSummary;

use crate::conn;
use crate::store::Store;

#[component]
pub fn EndChat(store: Store, gid: Signal<String>) -> impl IntoView {
    let wb = store.wb;
    let open = RwSignal::new(false);
    let category: NodeRef<html::Input> = NodeRef::new();
    let choice: NodeRef<html::Select> = NodeRef::new();
    let summary: NodeRef<html::Textarea> = NodeRef::new();
    let labels: NodeRef<html::Input> = NodeRef::new();
    // Another chat opened: the form closes.
    Effect::new(move |_| {
        gid.track();
        open.set(false);
    });
    let toggle = move |_| {
        if !open.get_untracked() {
            wb.error.set(String::new());
            conn::request(Request::end_rules());
        }
        open.update(|o| *o = !*o);
    };
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let category = choice
            .get_untracked()
            .map(|s| s.value())
            .or_else(|| category.get_untracked().map(|i| i.value()))
            .unwrap_or_default();
        let s = EndSummary {
            category,
            summary: summary
                .get_untracked()
                .map(|t| t.value())
                .unwrap_or_default(),
            labels: labels
                .get_untracked()
                .map(|i| i.value())
                .unwrap_or_default()
                .split([',', '，'])
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect(),
        };
        wb.error.set(String::new());
        conn::request(Request::end_chat_with(&gid.get_untracked(), &s));
    };
    let required = move || wb.rules.with(|r| r.as_ref().is_some_and(|r| r.required));
    let categories = move || {
        wb.rules
            .with(|r| r.as_ref().map(|r| r.categories.clone()).unwrap_or_default())
    };
    view! {
        <button type="button" class="c-btn" data-testid="fd-c-end" aria-expanded=move || open.get().to_string()
            on:click=toggle>{crate::i18n::t().end_chat}</button>
        <Show when=move || open.get()>
            <form class="c-endform c-grid" data-testid="fd-c-end-form" on:submit=submit aria-label=crate::i18n::t().end_label>
                <label for="c-end-cat">
                    {crate::i18n::t().category}{move || required().then_some(crate::i18n::t().required)}
                </label>
                {move || {
                    let list = categories();
                    if list.is_empty() {
                        view! { <input id="c-end-cat" node_ref=category data-testid="fd-c-end-category" maxlength="64"/> }
                            .into_any()
                    } else {
                        view! {
                            <select id="c-end-cat" node_ref=choice data-testid="fd-c-end-category">
                                <option value="">"—"</option>
                                {list.into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                            </select>
                        }
                        .into_any()
                    }
                }}
                <label for="c-end-sum">{crate::i18n::t().summary}{move || required().then_some(crate::i18n::t().required)}</label>
                <textarea id="c-end-sum" node_ref=summary data-testid="fd-c-end-summary" rows="2" maxlength="2000"></textarea>
                <label for="c-end-labels">{crate::i18n::t().labels}</label>
                <input id="c-end-labels" node_ref=labels data-testid="fd-c-end-labels"/>
                <p class="c-err" role="alert" data-testid="fd-c-end-error">{move || wb.error.get()}</p>
                <div class="c-row">
                    <button type="submit" class="c-btn c-pri" data-testid="fd-c-end-confirm">{crate::i18n::t().end_chat}</button>
                    <button type="button" class="c-btn" on:click=move |_| open.set(false)>{crate::i18n::t().cancel}</button>
                </div>
            </form>
        </Show>
    }
}

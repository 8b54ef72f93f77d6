//! Canned replies (`32920`–`32922`): the site's and the agent's own. Typing `/` and a
//! shortcut in the reply box lists the matching ones; Enter, Tab or a click puts the text in
//! the box with its variables filled (`shared::workbench::fill`: `{name}`, `{partnerid}`,
//! `{agent}`), for the agent to read before sending. The panel lists them and adds or
//! deletes the agent's own.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::agent::Request;
use shared::workbench::{fill, Canned, Vars};

use crate::conn;
use crate::store::Store;

/// Most suggestions shown.
const SHOWN: usize = 8;

/// The shortcut being typed: the box holds `/` and a word without spaces.
fn typed(value: &str) -> Option<String> {
    let rest = value.strip_prefix('/')?;
    (!rest.chars().any(char::is_whitespace)).then(|| rest.to_lowercase())
}

/// The reply box changed: the suggestions follow what is typed.
pub fn on_input(store: Store, input: NodeRef<html::Textarea>) {
    let wb = store.wb;
    let value = input
        .get_untracked()
        .map(|el| el.value())
        .unwrap_or_default();
    let list = match typed(&value) {
        Some(word) => wb.canned.with_untracked(|all| {
            all.iter()
                .filter(|c| c.shortcut.to_lowercase().starts_with(&word))
                .take(SHOWN)
                .cloned()
                .collect()
        }),
        None => Vec::new(),
    };
    wb.pick.set(0);
    wb.suggest.set(list);
}

/// A key in the reply box while suggestions are shown: arrows move, Enter/Tab take one,
/// Escape closes. Returns whether the key was used.
pub fn on_key(store: Store, input: NodeRef<html::Textarea>, e: &ev::KeyboardEvent) -> bool {
    let wb = store.wb;
    let n = wb.suggest.with_untracked(Vec::len);
    if n == 0 || e.is_composing() {
        return false;
    }
    match e.key().as_str() {
        "ArrowDown" => wb.pick.update(|p| *p = (*p + 1) % n),
        "ArrowUp" => wb.pick.update(|p| *p = (*p + n - 1) % n),
        "Enter" | "Tab" => {
            let c = wb
                .suggest
                .with_untracked(|s| s.get(wb.pick.get_untracked()).cloned());
            if let Some(c) = c {
                apply(store, input, &c);
            }
        }
        "Escape" => wb.suggest.set(Vec::new()),
        _ => return false,
    }
    e.prevent_default();
    true
}

/// Puts `c`'s text, its variables filled for the open chat, in the reply box.
fn apply(store: Store, input: NodeRef<html::Textarea>, c: &Canned) {
    let gid = store.open.get_untracked().unwrap_or_default();
    let (name, partnerid) = store
        .guests
        .with_untracked(|g| {
            g.get(&gid).map(|g| {
                let name = if g.uname.is_empty() {
                    g.partnerid.clone()
                } else {
                    g.uname.clone()
                };
                (name, g.partnerid.clone())
            })
        })
        .unwrap_or_default();
    let me = store.me_ix.get_untracked();
    let agent = store
        .agents
        .with_untracked(|a| a.get(&me).map(|e| e.kf_nick.clone()))
        .unwrap_or_default();
    let text = fill(
        &c.text,
        &Vars {
            name,
            partnerid,
            agent,
        },
    );
    if let Some(el) = input.get_untracked() {
        el.set_value(&text);
        let _ = el.focus();
    }
    store.wb.suggest.set(Vec::new());
}

/// The suggestions under the reply box.
#[component]
pub fn Suggest(store: Store, input: NodeRef<html::Textarea>) -> impl IntoView {
    let wb = store.wb;
    view! {
        <Show when=move || !wb.suggest.with(Vec::is_empty)>
            <ul class="c-suggest" role="listbox" aria-label=crate::i18n::t().canned data-testid="fd-c-canned-suggest">
                {move || wb.suggest.get().into_iter().enumerate().map(|(i, c)| {
                    let selected = move || wb.pick.get() == i;
                    let label = format!("/{}", c.shortcut);
                    let text = c.text.clone();
                    view! {
                        <li role="option" aria-selected=move || selected().to_string()>
                            <button type="button" class="c-item" class=("c-sel", selected)
                                data-testid="fd-c-canned-option" data-shortcut=c.shortcut.clone()
                                on:mousedown=move |e: ev::MouseEvent| e.prevent_default()
                                on:click=move |_| apply(store, input, &c)>
                                <strong>{label}</strong>" "<span class="c-muted">{text}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Show>
    }
}

/// The canned replies panel: the list, and the agent's own to add or delete.
#[component]
pub fn CannedPanel(store: Store) -> impl IntoView {
    let wb = store.wb;
    Effect::new(move |_| {
        if store.online.get() {
            conn::request(Request::canned_list());
        }
    });
    let shortcut: NodeRef<html::Input> = NodeRef::new();
    let text: NodeRef<html::Textarea> = NodeRef::new();
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let (Some(s), Some(t)) = (shortcut.get_untracked(), text.get_untracked()) else {
            return;
        };
        wb.error.set(String::new());
        conn::request(Request::canned_add(&s.value(), &t.value()));
        s.set_value("");
        t.set_value("");
    };
    view! {
        <details class="c-canned" data-testid="fd-c-canned">
            <summary><h2 id="c-h-canned">{crate::i18n::t().canned}</h2></summary>
            <ul aria-labelledby="c-h-canned">
                <For each=move || wb.canned.get() key=|c| (c.id.clone(), c.text.clone()) children=move |c| {
                    let id = c.id.clone();
                    view! {
                        <li class="c-agent" data-testid="fd-c-canned-item" data-shortcut=c.shortcut.clone()>
                            <strong>"/"{c.shortcut.clone()}</strong>" "
                            <span class="c-muted">{if c.mine { crate::i18n::t().canned_mine } else { crate::i18n::t().canned_site }}</span>" "
                            <span>{c.text.clone()}</span>
                            {c.mine.then(|| view! {
                                " "<button type="button" class="c-btn" data-testid="fd-c-canned-delete"
                                    on:click=move |_| conn::request(Request::canned_delete(&id))>{crate::i18n::t().delete}</button>
                            })}
                        </li>
                    }
                }/>
            </ul>
            <form class="c-admin-form" on:submit=submit aria-label=crate::i18n::t().canned_add_label>
                <label for="c-canned-key">{crate::i18n::t().shortcut}</label>
                <input id="c-canned-key" node_ref=shortcut data-testid="fd-c-canned-shortcut" maxlength="32"/>
                <label for="c-canned-text">{crate::i18n::t().canned_text}</label>
                <textarea id="c-canned-text" node_ref=text data-testid="fd-c-canned-text" rows="2" maxlength="5000"></textarea>
                <button type="submit" class="c-btn" data-testid="fd-c-canned-add">{crate::i18n::t().add}</button>
            </form>
        </details>
    }
}

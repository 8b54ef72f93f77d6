//! The open chat's private notes (`32911` when a chat opens, `32910` to add one): for the
//! site's agents only — the visitor and the push URL never see them.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::agent::Request;

use super::when;
use crate::conn;
use crate::store::Store;

#[component]
pub fn Notes(store: Store) -> impl IntoView {
    let wb = store.wb;
    let input: NodeRef<html::Textarea> = NodeRef::new();
    // A chat opened (or the socket logged in again): its notes.
    Effect::new(move |_| {
        let open = store.open.get();
        let online = store.online.get();
        wb.notes.set(Vec::new());
        if let (Some(gid), true) = (open, online) {
            conn::request(Request::notes(&gid));
        }
    });
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let (Some(el), Some(gid)) = (input.get_untracked(), store.open.get_untracked()) else {
            return;
        };
        let text = el.value();
        if text.trim().is_empty() {
            return;
        }
        conn::request(Request::note(&gid, text.trim()));
        el.set_value("");
    };
    let count = move || wb.notes.with(Vec::len);
    view! {
        <details class="c-notes" data-testid="fd-c-notes" open>
            <summary>{crate::i18n::t().notes}" ("{count}")"</summary>
            <ul>
                <For each=move || wb.notes.get() key=|n| n.id.clone() children=|n| {
                    let at = when(n.ts);
                    view! {
                        <li data-testid="fd-c-note">
                            <span class="c-muted">{n.kf_nick.clone()}" · "{at}": "</span>{n.msg.clone()}
                        </li>
                    }
                }/>
            </ul>
            <form class="c-row" on:submit=submit>
                <label for="c-note-in" class="c-sr">{crate::i18n::t().note}</label>
                <textarea id="c-note-in" node_ref=input data-testid="fd-c-note-input" rows="2"
                    maxlength="5000" placeholder=crate::i18n::t().note_placeholder></textarea>
                <button type="submit" class="c-btn" data-testid="fd-c-note-add">{crate::i18n::t().add_note}</button>
            </form>
        </details>
    }
}

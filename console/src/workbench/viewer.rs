//! One conversation, read only (`32830`): who served it, when, its summary and labels, and
//! its messages with the agents' notes where they were written. Opened from a search hit or
//! from the customer's earlier conversations; closed with its button.

use leptos::prelude::*;
use shared::agent::{Direction, MessageInfo};
use shared::workbench::{ConversationData, Note};

use super::when;
use crate::media;
use crate::store::Store;

fn message(m: MessageInfo) -> AnyView {
    let from = match m.direction {
        _ if m.sender.as_deref() == Some(shared::agent::SENDER_ROBOT) => "robot",
        Direction::ToService => "visitor",
        Direction::ToVisiter => "agent",
        Direction::System => "system",
    };
    let at = when(m.ts);
    view! {
        <div class="c-msg" data-testid="fd-c-viewer-msg" data-from=from data-seq=m.seq.to_string()
            data-kind=m.file_type.to_string()>
            {media::body(&m)}
            <span class="c-ts">{at}</span>
        </div>
    }
    .into_any()
}

fn note(n: Note) -> AnyView {
    let at = when(n.ts);
    view! {
        <div class="c-note" data-testid="fd-c-viewer-note">
            <span class="c-muted">{crate::i18n::t().note}" · "{n.kf_nick}" · "{at}</span>
            <span>{n.msg}</span>
        </div>
    }
    .into_any()
}

/// The messages with each note after the message it follows.
fn thread(d: &ConversationData) -> Vec<AnyView> {
    let mut notes = d.notes.clone();
    notes.sort_by_key(|n| n.after_seq);
    let mut notes = notes.into_iter().peekable();
    let mut out = Vec::new();
    for m in &d.messages {
        while notes.peek().is_some_and(|n| n.after_seq < m.seq) {
            out.push(note(notes.next().expect("peeked")));
        }
        out.push(message(m.clone()));
    }
    out.extend(notes.map(note));
    out
}

#[component]
pub fn Viewer(store: Store) -> impl IntoView {
    let wb = store.wb;
    move || {
        wb.viewing.get().map(|d| {
            let c = d.conversation.clone();
            let title = crate::i18n::place(&crate::i18n::t().conversation_of, &c.gid);
            let span = format!(
                "{}{}",
                when(c.started_at),
                c.ended_at.map(|e| format!(" – {}", when(e))).unwrap_or_else(|| format!(" ({})", crate::i18n::t().going_on))
            );
            let agent = (!c.kf_nick.is_empty()).then(|| crate::i18n::place(&crate::i18n::t().served_by, &c.kf_nick));
            let labels = c
                .labels
                .iter()
                .map(|l| view! { <span class="c-tag" data-testid="fd-c-viewer-label">{l.clone()}</span> })
                .collect_view();
            let summary = (!c.category.is_empty() || !c.summary.is_empty()).then(|| {
                view! {
                    <p data-testid="fd-c-viewer-summary">
                        <strong>{c.category.clone()}</strong>" "{c.summary.clone()}
                    </p>
                }
            });
            view! {
                <section class="c-viewer" data-testid="fd-c-viewer" aria-labelledby="c-h-viewer">
                    <header class="c-head">
                        <h2 id="c-h-viewer">{title}</h2>
                        <span class="c-muted">{span}</span>
                        <button type="button" class="c-btn" data-testid="fd-c-viewer-close"
                            on:click=move |_| wb.viewing.set(None)>{crate::i18n::t().close}</button>
                    </header>
                    <div class="c-viewer-meta">
                        {agent.map(|a| view! { <p class="c-muted">{a}</p> })}
                        {summary}
                        <p>{labels}</p>
                    </div>
                    <div class="c-list" role="log" aria-label=crate::i18n::t().messages_read_only>{thread(&d)}</div>
                </section>
            }
        })
    }
}

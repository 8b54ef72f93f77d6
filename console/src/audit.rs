//! VIP levels and the audit log in the admin view (issue 25, item 9): the site's VIP levels
//! (`/api/admin/vip/…`: added or changed with `admin vip add`'s checks) and every change made
//! through the admin API — who, what, when (`GET /api/admin/audit`). `shared::admin` shapes
//! only; server strings are text nodes.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::admin::{AuditList, VipLevel, VipList};
use shared::robot::Status;

use crate::admin::call;
use crate::i18n::{place, t as tr};

/// The VIP levels section.
#[component]
pub fn VipLevels(token: RwSignal<Option<String>>, notice: RwSignal<String>) -> impl IntoView {
    let list: RwSignal<Option<VipList>> = RwSignal::new(None);
    let reload = move || {
        leptos::task::spawn_local(async move {
            let t = token.get_untracked().unwrap_or_default();
            match call::<VipList>("GET", "/api/admin/vip/list", None, Some(&t)).await {
                Ok(l) => list.set(Some(l)),
                Err(e) => notice.set(e),
            }
        });
    };
    Effect::new(move |_| {
        if token.with(Option::is_some) {
            reload();
        }
    });
    let id: NodeRef<html::Input> = NodeRef::new();
    let name: NodeRef<html::Input> = NodeRef::new();
    let rank: NodeRef<html::Input> = NodeRef::new();
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let val =
            |n: NodeRef<html::Input>| n.get_untracked().map(|i| i.value()).unwrap_or_default();
        let Ok(r) = val(rank).trim().parse::<i64>() else {
            return notice.set(tr().v_rank_bad.into());
        };
        let level = VipLevel {
            id: val(id),
            name: val(name),
            rank: r,
        };
        leptos::task::spawn_local(async move {
            let body = serde_json::to_string(&level).unwrap_or_default();
            let t = token.get_untracked().unwrap_or_default();
            match call::<Status>("POST", "/api/admin/vip/put", Some(body), Some(&t)).await {
                Ok(_) => {
                    notice.set(place(&tr().v_saved, level.id.trim()));
                    reload();
                }
                Err(e) => notice.set(e),
            }
        });
    };
    let rows = move || {
        list.get().map(|l| {
            l.levels
                .into_iter()
                .map(|v| {
                    view! {
                        <tr data-testid="fd-a-vip">
                            <td>{v.id}</td>
                            <td>{v.name}</td>
                            <td data-testid="fd-a-vip-rank">{v.rank.to_string()}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section aria-labelledby="a-h-vip">
            <h2 id="a-h-vip">{tr().v_title}</h2>
            <p class="c-muted">{tr().v_help}</p>
            <table class="c-faqs">
                <thead><tr><th>"id"</th><th>{tr().name}</th><th>{tr().v_rank}</th></tr></thead>
                <tbody data-testid="fd-a-vips">{rows}</tbody>
            </table>
            <form class="c-admin-form" on:submit=submit aria-labelledby="a-h-vip-form">
                <h3 id="a-h-vip-form">{tr().v_form}</h3>
                <label for="a-v-id">{tr().v_id}</label>
                <input id="a-v-id" node_ref=id data-testid="fd-a-vip-id"/>
                <label for="a-v-name">{tr().name}</label>
                <input id="a-v-name" node_ref=name data-testid="fd-a-vip-name" maxlength="64"/>
                <label for="a-v-rank">{tr().v_rank_label}</label>
                <input id="a-v-rank" node_ref=rank data-testid="fd-a-vip-rank-input" inputmode="numeric"/>
                <button type="submit" class="c-btn c-pri" data-testid="fd-a-vip-save">{tr().v_save}</button>
            </form>
        </section>
    }
}

/// When, in the agent's (else the browser's) time zone and the console's language.
fn when(ms: i64) -> String {
    crate::i18n::when(ms)
}

/// The audit log section: the site's last 200 changes through the admin API.
#[component]
pub fn AuditLog(token: RwSignal<Option<String>>, notice: RwSignal<String>) -> impl IntoView {
    let list: RwSignal<Option<AuditList>> = RwSignal::new(None);
    let reload = move || {
        leptos::task::spawn_local(async move {
            let t = token.get_untracked().unwrap_or_default();
            match call::<AuditList>("GET", "/api/admin/audit", None, Some(&t)).await {
                Ok(l) => list.set(Some(l)),
                Err(e) => notice.set(e),
            }
        });
    };
    Effect::new(move |_| {
        if token.with(Option::is_some) {
            reload();
        }
    });
    let rows = move || {
        list.get().map(|l| {
            l.entries
                .into_iter()
                .map(|e| {
                    view! {
                        <tr data-testid="fd-a-audit-row">
                            <td>{when(e.at)}</td>
                            <td>{e.actor}</td>
                            <td data-testid="fd-a-audit-action">{e.action}</td>
                            <td data-testid="fd-a-audit-detail"><code>{e.detail}</code></td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section aria-labelledby="a-h-audit">
            <h2 id="a-h-audit">{tr().au_title}</h2>
            <p class="c-muted">{tr().au_help}</p>
            <button type="button" class="c-btn" data-testid="fd-a-audit-reload" on:click=move |_| reload()>{tr().au_reload}</button>
            <table class="c-faqs">
                <thead><tr><th>{tr().au_when}</th><th>{tr().au_who}</th><th>{tr().au_what}</th><th>{tr().au_request}</th></tr></thead>
                <tbody data-testid="fd-a-audit">{rows}</tbody>
            </table>
        </section>
    }
}

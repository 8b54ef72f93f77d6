//! The site's settings in the admin view (issue 25, item 9): reception defaults, push URL,
//! sign check, embedding origins, the platform code, retention, the end-of-chat summary
//! rules — read from `GET /api/admin/site` and saved with
//! `POST /api/admin/site/set` (`shared::admin` shapes only). The server validates them with
//! `frontdesk admin site set`'s checks, so a bad value is shown with the CLI's text.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::admin::{SiteAnswer, SiteSettings};
use shared::robot::Status;

use crate::admin::call;
use crate::i18n::{place, t as tr};

/// The settings section; `token` the admin's access token, `notice` where outcomes show.
#[component]
pub fn SiteForm(token: RwSignal<Option<String>>, notice: RwSignal<String>) -> impl IntoView {
    let now: RwSignal<Option<SiteAnswer>> = RwSignal::new(None);
    let reload = move || {
        leptos::task::spawn_local(async move {
            let t = token.get_untracked().unwrap_or_default();
            match call::<SiteAnswer>("GET", "/api/admin/site", None, Some(&t)).await {
                Ok(a) => now.set(Some(a)),
                Err(e) => notice.set(e),
            }
        });
    };
    Effect::new(move |_| {
        if token.with(Option::is_some) {
            reload();
        }
    });
    let reception: NodeRef<html::Select> = NodeRef::new();
    let manual_after: NodeRef<html::Input> = NodeRef::new();
    let offline_title: NodeRef<html::Input> = NodeRef::new();
    let agent_hello: NodeRef<html::Input> = NodeRef::new();
    let push_url: NodeRef<html::Input> = NodeRef::new();
    let push_private: NodeRef<html::Input> = NodeRef::new();
    let sign_check: NodeRef<html::Select> = NodeRef::new();
    let page_trust: NodeRef<html::Select> = NodeRef::new();
    let origins: NodeRef<html::Input> = NodeRef::new();
    let platform: NodeRef<html::Input> = NodeRef::new();
    let retain: NodeRef<html::Input> = NodeRef::new();
    let summary_required: NodeRef<html::Input> = NodeRef::new();
    let categories: NodeRef<html::Input> = NodeRef::new();
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let input = |n: NodeRef<html::Input>| n.get_untracked().map(|i| i.value());
        let select = |n: NodeRef<html::Select>| n.get_untracked().map(|s| s.value());
        let manual = match input(manual_after).as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) => match v.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => return notice.set(tr().s_manual_bad.into()),
            },
        };
        let retain_days = match input(retain).as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) => match v.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => return notice.set(tr().s_retain_bad.into()),
            },
        };
        let s = SiteSettings {
            reception: select(reception).and_then(|v| v.parse().ok()),
            manual_after: manual,
            offline_title: input(offline_title),
            agent_hello: input(agent_hello),
            push_url: input(push_url).map(|u| u.trim().to_owned()),
            push_allow_private: push_private.get_untracked().map(|c| c.checked()),
            sign_check: select(sign_check),
            page_trust: select(page_trust),
            origins: input(origins),
            platform: input(platform),
            retain_days,
            summary_required: summary_required.get_untracked().map(|c| c.checked()),
            summary_categories: input(categories),
        };
        leptos::task::spawn_local(async move {
            let body = serde_json::to_string(&s).unwrap_or_default();
            let t = token.get_untracked().unwrap_or_default();
            match call::<Status>("POST", "/api/admin/site/set", Some(body), Some(&t)).await {
                Ok(_) => {
                    notice.set(tr().s_saved.into());
                    reload();
                }
                // The form keeps what was typed, to be corrected.
                Err(e) => notice.set(e),
            }
        });
    };
    let text = move |f: fn(&SiteSettings) -> Option<String>| {
        move || now.with(|a| a.as_ref().and_then(|a| f(&a.settings)).unwrap_or_default())
    };
    let heading = move || {
        now.with(|a| {
            a.as_ref()
                .map(|a| place(&tr().s_heading_of, &format!("{} ({})", a.name, a.sysnum)))
                .unwrap_or_else(|| tr().s_heading.into())
        })
    };
    view! {
        <section aria-labelledby="a-h-site" data-testid="fd-a-site">
            <h2 id="a-h-site">{heading}</h2>
            <form class="c-admin-form" on:submit=submit aria-labelledby="a-h-site">
                <label for="a-s-reception">{tr().s_reception}</label>
                <select id="a-s-reception" node_ref=reception data-testid="fd-a-site-reception"
                    prop:value=text(|s| s.reception.map(|r| r.to_string()))>
                    <option value="1">{tr().s_r1}</option>
                    <option value="2">{tr().s_r2}</option>
                    <option value="3">{tr().s_r3}</option>
                    <option value="4">{tr().s_r4}</option>
                </select>
                <label for="a-s-manual">{tr().s_manual}</label>
                <input id="a-s-manual" node_ref=manual_after data-testid="fd-a-site-manual-after" inputmode="numeric"
                    prop:value=text(|s| s.manual_after.map(|n| n.to_string()))/>
                <label for="a-s-offline">{tr().s_offline}</label>
                <input id="a-s-offline" node_ref=offline_title data-testid="fd-a-site-offline-title" maxlength="500"
                    prop:value=text(|s| s.offline_title.clone())/>
                <label for="a-s-hello">{tr().s_hello}</label>
                <input id="a-s-hello" node_ref=agent_hello data-testid="fd-a-site-agent-hello" maxlength="500"
                    prop:value=text(|s| s.agent_hello.clone())/>
                <label for="a-s-push">{tr().s_push}</label>
                <input id="a-s-push" node_ref=push_url data-testid="fd-a-site-push-url" type="text"
                    prop:value=text(|s| s.push_url.clone())/>
                <label>
                    <input type="checkbox" node_ref=push_private data-testid="fd-a-site-push-private"
                        prop:checked=move || now.with(|a| a.as_ref().and_then(|a| a.settings.push_allow_private).unwrap_or(false))/>
                    {tr().s_push_private}
                </label>
                <label for="a-s-sign">{tr().s_sign}</label>
                <select id="a-s-sign" node_ref=sign_check data-testid="fd-a-site-sign-check"
                    prop:value=text(|s| s.sign_check.clone())>
                    <option value="off">{tr().off}</option>
                    <option value="md5">{tr().s_md5}</option>
                    <option value="hmac">{tr().s_hmac}</option>
                </select>
                <label for="a-s-trust">{tr().s_trust}</label>
                <select id="a-s-trust" node_ref=page_trust data-testid="fd-a-site-page-trust"
                    prop:value=text(|s| s.page_trust.clone())>
                    <option value="auto">{tr().s_auto}</option>
                    <option value="on">{tr().on}</option>
                    <option value="off">{tr().off}</option>
                </select>
                <label for="a-s-origins">{tr().s_origins}</label>
                <input id="a-s-origins" node_ref=origins data-testid="fd-a-site-origins"
                    prop:value=text(|s| s.origins.clone())/>
                <label for="a-s-platform">{tr().s_platform}</label>
                <input id="a-s-platform" node_ref=platform data-testid="fd-a-site-platform" maxlength="64"
                    prop:value=text(|s| s.platform.clone())/>
                <label for="a-s-retain">{tr().s_retain}</label>
                <input id="a-s-retain" node_ref=retain data-testid="fd-a-site-retain-days" inputmode="numeric"
                    prop:value=text(|s| s.retain_days.map(|n| n.to_string()))/>
                <label>
                    <input type="checkbox" node_ref=summary_required data-testid="fd-a-site-summary-required"
                        prop:checked=move || now.with(|a| a.as_ref().and_then(|a| a.settings.summary_required).unwrap_or(false))/>
                    {tr().s_summary_required}
                </label>
                <label for="a-s-categories">{tr().s_summary_categories}</label>
                <input id="a-s-categories" node_ref=categories data-testid="fd-a-site-summary-categories"
                    prop:value=text(|s| s.summary_categories.clone())/>
                <button type="submit" class="c-btn c-pri" data-testid="fd-a-site-save">{tr().s_save}</button>
            </form>
        </section>
    }
}

//! Groups and agents in the admin view (issue 25, item 9): the site's skill groups with
//! their working hours (a time zone picker offering the zones the server knows) and its
//! agents (create; change nick, groups, most chats; disable; a new password), through
//! `/api/admin/group/…` and `/api/admin/agent/…` (`shared::admin` shapes only). The server
//! checks every value as `frontdesk admin group|agent …` does and answers with its text.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::admin::{
    AgentCreate, AgentInfo, AgentList, AgentSet, Group, GroupList, GroupSave, Saved,
};
use shared::agent::Role;
use shared::robot::Status;

use crate::admin::call;
use crate::i18n::{place, place2, t as tr};

fn value(n: NodeRef<html::Input>) -> String {
    n.get_untracked().map(|i| i.value()).unwrap_or_default()
}

fn set(n: NodeRef<html::Input>, v: &str) {
    if let Some(i) = n.get_untracked() {
        i.set_value(v);
    }
}

/// `"1, 2"` → the group ids, or the text to show.
fn group_ids(s: &str) -> Result<Vec<i64>, String> {
    s.split([',', ' '])
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| tr().g_ids_bad.to_owned())
}

fn ids_text(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The groups section.
#[component]
pub fn Groups(
    token: RwSignal<Option<String>>,
    notice: RwSignal<String>,
    groups: RwSignal<Option<GroupList>>,
) -> impl IntoView {
    let reload = move || {
        leptos::task::spawn_local(async move {
            let t = token.get_untracked().unwrap_or_default();
            match call::<GroupList>("GET", "/api/admin/group/list", None, Some(&t)).await {
                Ok(l) => groups.set(Some(l)),
                Err(e) => notice.set(e),
            }
        });
    };
    Effect::new(move |_| {
        if token.with(Option::is_some) {
            reload();
        }
    });
    // The group being changed (None: a new one).
    let editing: RwSignal<Option<i64>> = RwSignal::new(None);
    let name: NodeRef<html::Input> = NodeRef::new();
    let external: NodeRef<html::Input> = NodeRef::new();
    let hours: NodeRef<html::Input> = NodeRef::new();
    let tz: NodeRef<html::Select> = NodeRef::new();
    let disabled: NodeRef<html::Input> = NodeRef::new();
    let fill = move |g: Option<&Group>| {
        editing.set(g.map(|g| g.id));
        set(name, g.map(|g| g.groupname.as_str()).unwrap_or(""));
        set(external, g.map(|g| g.external_id.as_str()).unwrap_or(""));
        set(hours, g.map(|g| g.hours.as_str()).unwrap_or(""));
        if let Some(s) = tz.get_untracked() {
            let z = g
                .map(|g| g.tz.as_str())
                .filter(|z| !z.is_empty())
                .unwrap_or("UTC");
            s.set_value(z);
        }
        if let Some(c) = disabled.get_untracked() {
            c.set_checked(g.is_some_and(|g| g.disabled));
        }
    };
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let id = editing.get_untracked();
        let h = value(hours);
        let save = GroupSave {
            id,
            name: id.is_none().then(|| value(name)),
            external_id: Some(value(external)),
            tz: (!h.trim().is_empty())
                .then(|| tz.get_untracked().map(|s| s.value()))
                .flatten(),
            hours: Some(h),
            disabled: disabled.get_untracked().map(|c| c.checked()),
        };
        leptos::task::spawn_local(async move {
            let body = serde_json::to_string(&save).unwrap_or_default();
            let t = token.get_untracked().unwrap_or_default();
            match call::<Saved>("POST", "/api/admin/group/save", Some(body), Some(&t)).await {
                Ok(s) => {
                    notice.set(place(&tr().g_saved, &s.id.to_string()));
                    fill(None);
                    reload();
                }
                Err(e) => notice.set(e),
            }
        });
    };
    let rows =
        move || {
            groups.get().map(|l| {
                l.groups
                .into_iter()
                .map(|g| {
                    let hours = if g.hours.is_empty() {
                        tr().g_always.to_owned()
                    } else {
                        format!("{} ({})", g.hours, g.tz)
                    };
                    let state = if g.disabled { tr().disabled } else { tr().enabled };
                    let edit = g.clone();
                    view! {
                        <tr data-testid="fd-a-group">
                            <td>{g.id.to_string()}</td>
                            <td data-testid="fd-a-group-name">{g.groupname}</td>
                            <td>{g.external_id}</td>
                            <td data-testid="fd-a-group-hours">{hours}</td>
                            <td data-testid="fd-a-group-state">{state}</td>
                            <td><button type="button" class="c-btn" data-testid="fd-a-group-edit"
                                on:click=move |_| fill(Some(&edit))>{tr().change}</button></td>
                        </tr>
                    }
                })
                .collect_view()
            })
        };
    let zones = move || {
        groups
            .with(|l| {
                l.as_ref()
                    .map(|l| l.zones.clone())
                    .unwrap_or_else(|| vec!["UTC".into()])
            })
            .into_iter()
            .map(|z| view! { <option value=z.clone()>{z.clone()}</option> })
            .collect_view()
    };
    let title = move || match editing.get() {
        Some(id) => place(&tr().g_change, &id.to_string()),
        None => tr().g_new.to_owned(),
    };
    view! {
        <section aria-labelledby="a-h-groups">
            <h2 id="a-h-groups">{tr().g_title}</h2>
            <table class="c-faqs">
                <thead><tr><th>"id"</th><th>{tr().name}</th><th>{tr().g_ext}</th><th>{tr().g_hours}</th><th>{tr().state}</th><th></th></tr></thead>
                <tbody data-testid="fd-a-groups">{rows}</tbody>
            </table>
            <form class="c-admin-form" on:submit=submit aria-labelledby="a-h-group-form">
                <h3 id="a-h-group-form" data-testid="fd-a-group-title">{title}</h3>
                <label for="a-g-name">{tr().name}</label>
                <input id="a-g-name" node_ref=name data-testid="fd-a-group-name-input" maxlength="100"
                    disabled=move || editing.get().is_some()/>
                <label for="a-g-ext">{tr().g_ext_label}</label>
                <input id="a-g-ext" node_ref=external data-testid="fd-a-group-external"/>
                <label for="a-g-hours">{tr().g_hours_label}</label>
                <input id="a-g-hours" node_ref=hours data-testid="fd-a-group-hours-input"/>
                <label for="a-g-tz">{tr().g_tz}</label>
                <select id="a-g-tz" node_ref=tz data-testid="fd-a-group-tz">{zones}</select>
                <label>
                    <input type="checkbox" node_ref=disabled data-testid="fd-a-group-disabled"/>
                    {tr().g_disabled}
                </label>
                <button type="submit" class="c-btn c-pri" data-testid="fd-a-group-save">{tr().g_save}</button>
                <button type="button" class="c-btn" data-testid="fd-a-group-new" on:click=move |_| fill(None)>{tr().g_new}</button>
            </form>
        </section>
    }
}

/// The agents section; `groups` the site's groups (to name them).
#[component]
pub fn Agents(
    token: RwSignal<Option<String>>,
    notice: RwSignal<String>,
    groups: RwSignal<Option<GroupList>>,
) -> impl IntoView {
    let list: RwSignal<Option<AgentList>> = RwSignal::new(None);
    let reload = move || {
        leptos::task::spawn_local(async move {
            let t = token.get_untracked().unwrap_or_default();
            match call::<AgentList>("GET", "/api/admin/agent/list", None, Some(&t)).await {
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
    let account: NodeRef<html::Input> = NodeRef::new();
    let nick: NodeRef<html::Input> = NodeRef::new();
    let password: NodeRef<html::Input> = NodeRef::new();
    let member: NodeRef<html::Input> = NodeRef::new();
    let max: NodeRef<html::Input> = NodeRef::new();
    let role: NodeRef<html::Select> = NodeRef::new();
    let create = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let g = match group_ids(&value(member)) {
            Ok(g) => g,
            Err(e) => return notice.set(e),
        };
        let Ok(max_chats) = value(max).trim().parse::<i64>() else {
            return notice.set(tr().p_max_bad.into());
        };
        let req = AgentCreate {
            account: value(account).trim().to_owned(),
            nick: value(nick),
            password: value(password),
            groups: g,
            max_chats,
            role: picked(role).unwrap_or_default(),
        };
        leptos::task::spawn_local(async move {
            let body = serde_json::to_string(&req).unwrap_or_default();
            let t = token.get_untracked().unwrap_or_default();
            match call::<Saved>("POST", "/api/admin/agent/create", Some(body), Some(&t)).await {
                Ok(s) => {
                    notice.set(place2(&tr().p_created, &req.account, &s.id.to_string()));
                    for n in [account, nick, password, member] {
                        set(n, "");
                    }
                    reload();
                }
                Err(e) => notice.set(e),
            }
        });
    };
    // The agent being changed.
    let editing: RwSignal<Option<AgentInfo>> = RwSignal::new(None);
    let e_nick: NodeRef<html::Input> = NodeRef::new();
    let e_groups: NodeRef<html::Input> = NodeRef::new();
    let e_max: NodeRef<html::Input> = NodeRef::new();
    let e_avatar: NodeRef<html::Input> = NodeRef::new();
    let e_disabled: NodeRef<html::Input> = NodeRef::new();
    let e_password: NodeRef<html::Input> = NodeRef::new();
    let e_role: NodeRef<html::Select> = NodeRef::new();
    let change = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let Some(a) = editing.get_untracked() else {
            return;
        };
        let g = match group_ids(&value(e_groups)) {
            Ok(g) => g,
            Err(e) => return notice.set(e),
        };
        let Ok(max_chats) = value(e_max).trim().parse::<i64>() else {
            return notice.set(tr().p_max_bad.into());
        };
        let pw = value(e_password);
        let req = AgentSet {
            account: a.kf_account.clone(),
            nick: Some(value(e_nick)),
            max_chats: Some(max_chats),
            groups: Some(g),
            disabled: e_disabled.get_untracked().map(|c| c.checked()),
            password: (!pw.is_empty()).then_some(pw),
            avatar: Some(value(e_avatar)),
            role: picked(e_role),
        };
        leptos::task::spawn_local(async move {
            let body = serde_json::to_string(&req).unwrap_or_default();
            let t = token.get_untracked().unwrap_or_default();
            match call::<Status>("POST", "/api/admin/agent/set", Some(body), Some(&t)).await {
                Ok(_) => {
                    notice.set(place(&tr().p_saved, &req.account));
                    editing.set(None);
                    reload();
                }
                Err(e) => notice.set(e),
            }
        });
    };
    let group_names = move |ids: &[i64]| {
        groups.with(|l| {
            ids.iter()
                .map(|id| {
                    l.as_ref()
                        .and_then(|l| l.groups.iter().find(|g| g.id == *id))
                        .map(|g| format!("{} ({id})", g.groupname))
                        .unwrap_or_else(|| id.to_string())
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let rows = move || {
        list.get().map(|l| {
            l.agents
                .into_iter()
                .map(|a| {
                    let names = group_names(&a.groups);
                    let state = if a.disabled { tr().disabled } else { tr().enabled };
                    let edit = a.clone();
                    let pick = move |_| {
                        let a = edit.clone();
                        set(e_nick, &a.nick);
                        set(e_groups, &ids_text(&a.groups));
                        set(e_max, &a.max_chats.to_string());
                        set(e_avatar, &a.avatar);
                        set(e_password, "");
                        if let Some(s) = e_role.get_untracked() {
                            s.set_value(a.role.as_str());
                        }
                        if let Some(c) = e_disabled.get_untracked() {
                            c.set_checked(a.disabled);
                        }
                        editing.set(Some(a));
                    };
                    view! {
                        <tr data-testid="fd-a-agent">
                            <td>{a.kf_id.to_string()}</td>
                            <td data-testid="fd-a-agent-account">{a.kf_account}</td>
                            <td data-testid="fd-a-agent-nick">{a.nick}</td>
                            <td data-testid="fd-a-agent-groups">{names}</td>
                            <td data-testid="fd-a-agent-max">{a.max_chats.to_string()}</td>
                            <td data-testid="fd-a-agent-role">{a.role.as_str()}</td>
                            <td data-testid="fd-a-agent-state">{state}</td>
                            <td><button type="button" class="c-btn" data-testid="fd-a-agent-edit" on:click=pick>{tr().change}</button></td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let shown = move || editing.with(Option::is_some);
    let who = move || {
        editing.with(|a| {
            a.as_ref()
                .map(|a| place(&tr().p_change, &a.kf_account))
                .unwrap_or_default()
        })
    };
    view! {
        <section aria-labelledby="a-h-agents">
            <h2 id="a-h-agents">{tr().p_title}</h2>
            <table class="c-faqs">
                <thead><tr><th>"kf_id"</th><th>{tr().account}</th><th>{tr().nick}</th><th>{tr().groups}</th><th>{tr().p_max}</th><th>{tr().role}</th><th>{tr().state}</th><th></th></tr></thead>
                <tbody data-testid="fd-a-agents">{rows}</tbody>
            </table>
            <form class="c-admin-form" on:submit=change aria-labelledby="a-h-agent-change"
                data-testid="fd-a-agent-change" hidden=move || !shown()>
                <h3 id="a-h-agent-change">{who}</h3>
                <label for="a-e-nick">{tr().nick}</label>
                <input id="a-e-nick" node_ref=e_nick data-testid="fd-a-agent-e-nick" maxlength="64"/>
                <label for="a-e-groups">{tr().p_groups}</label>
                <input id="a-e-groups" node_ref=e_groups data-testid="fd-a-agent-e-groups"/>
                <label for="a-e-max">{tr().p_max_label}</label>
                <input id="a-e-max" node_ref=e_max data-testid="fd-a-agent-e-max" inputmode="numeric"/>
                <label for="a-e-avatar">{tr().p_avatar}</label>
                <input id="a-e-avatar" node_ref=e_avatar data-testid="fd-a-agent-e-avatar" type="url"/>
                <label for="a-e-role">{tr().role}</label>
                <RoleSelect id="a-e-role" node=e_role testid="fd-a-agent-e-role"/>
                <label>
                    <input type="checkbox" node_ref=e_disabled data-testid="fd-a-agent-e-disabled"/>
                    {tr().p_disabled}
                </label>
                <label for="a-e-pw">{tr().p_pw_new}</label>
                <input id="a-e-pw" node_ref=e_password type="password" autocomplete="new-password" data-testid="fd-a-agent-e-password"/>
                <button type="submit" class="c-btn c-pri" data-testid="fd-a-agent-save">{tr().p_save}</button>
                <button type="button" class="c-btn" on:click=move |_| editing.set(None)>{tr().cancel}</button>
            </form>
            <form class="c-admin-form" on:submit=create aria-labelledby="a-h-agent-add">
                <h3 id="a-h-agent-add">{tr().p_new}</h3>
                <label for="a-n-account">{tr().p_account}</label>
                <input id="a-n-account" node_ref=account data-testid="fd-a-agent-account-input" autocomplete="off"/>
                <label for="a-n-nick">{tr().nick}</label>
                <input id="a-n-nick" node_ref=nick data-testid="fd-a-agent-nick-input" maxlength="64"/>
                <label for="a-n-pw">{tr().p_pw}</label>
                <input id="a-n-pw" node_ref=password type="password" autocomplete="new-password" data-testid="fd-a-agent-password-input"/>
                <label for="a-n-groups">{tr().p_groups}</label>
                <input id="a-n-groups" node_ref=member data-testid="fd-a-agent-groups-input"/>
                <label for="a-n-max">{tr().p_max_label}</label>
                <input id="a-n-max" node_ref=max data-testid="fd-a-agent-max-input" inputmode="numeric" value="5"/>
                <label for="a-n-role">{tr().role}</label>
                <RoleSelect id="a-n-role" node=role testid="fd-a-agent-role-input"/>
                <button type="submit" class="c-btn c-pri" data-testid="fd-a-agent-create">{tr().p_create}</button>
            </form>
        </section>
    }
}

/// The role picked in a [`RoleSelect`].
fn picked(n: NodeRef<html::Select>) -> Option<Role> {
    n.get_untracked().and_then(|s| Role::parse(&s.value()))
}

/// A role picker: agent (its own chats), supervisor (every chat of the site: join, take),
/// admin (also this admin view).
#[component]
fn RoleSelect(
    id: &'static str,
    node: NodeRef<html::Select>,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <select id=id node_ref=node data-testid=testid>
            <option value="agent">{tr().role_agent}</option>
            <option value="supervisor">{tr().role_supervisor}</option>
            <option value="admin">{tr().role_admin}</option>
        </select>
    }
}

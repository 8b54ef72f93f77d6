//! Leave-message forms and the site's canned replies in the admin view (issue 25, item 9):
//! `/api/admin/leave/template/…` (what `admin leave template add|list` does: a form's name
//! and its fields — text, phone or email, required or not, each with a label; a page picks one
//! with `templateid`) and `/api/admin/canned/…` (what `admin canned add|list|delete` does for
//! the site: every agent is offered these). `shared::admin` shapes only; the server's checks
//! and texts; server strings are text nodes.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::admin::{
    CannedAdd, CannedDelete, CannedList, Saved, TemplateAdd, TemplateField, TemplateList,
};
use shared::leave::FieldKind;
use shared::robot::Status;

use crate::admin::call;
use crate::i18n::{place, place2, t as tr};

/// Fields a new form may have in this view (the server allows more through the CLI).
const FIELD_ROWS: usize = 4;

fn value(n: NodeRef<html::Input>) -> String {
    n.get_untracked().map(|i| i.value()).unwrap_or_default()
}

/// The leave-message forms section.
#[component]
pub fn LeaveTemplates(token: RwSignal<Option<String>>, notice: RwSignal<String>) -> impl IntoView {
    let list: RwSignal<Option<TemplateList>> = RwSignal::new(None);
    let reload = move || {
        leptos::task::spawn_local(async move {
            let t = token.get_untracked().unwrap_or_default();
            match call::<TemplateList>("GET", "/api/admin/leave/template/list", None, Some(&t))
                .await
            {
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
    let name: NodeRef<html::Input> = NodeRef::new();
    // Each field row: its kind, whether it is required, its label (empty: no field).
    let rows: Vec<(
        NodeRef<html::Select>,
        NodeRef<html::Input>,
        NodeRef<html::Input>,
    )> = (0..FIELD_ROWS)
        .map(|_| (NodeRef::new(), NodeRef::new(), NodeRef::new()))
        .collect();
    let fields_of = {
        let rows = rows.clone();
        move || {
            rows.iter()
                .filter_map(|(kind, required, label)| {
                    let label = value(*label);
                    if label.trim().is_empty() {
                        return None;
                    }
                    let kind = kind
                        .get_untracked()
                        .and_then(|s| FieldKind::parse(&s.value()))
                        .unwrap_or(FieldKind::Text);
                    let required = required.get_untracked().is_some_and(|c| c.checked());
                    Some(TemplateField {
                        kind,
                        required,
                        label,
                    })
                })
                .collect::<Vec<_>>()
        }
    };
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let req = TemplateAdd {
            name: value(name),
            fields: fields_of(),
        };
        leptos::task::spawn_local(async move {
            let body = serde_json::to_string(&req).unwrap_or_default();
            let t = token.get_untracked().unwrap_or_default();
            match call::<Saved>(
                "POST",
                "/api/admin/leave/template/add",
                Some(body),
                Some(&t),
            )
            .await
            {
                Ok(s) => {
                    notice.set(place2(&tr().f_saved, req.name.trim(), &s.id.to_string()));
                    reload();
                }
                Err(e) => notice.set(e),
            }
        });
    };
    let shown = move || {
        list.get().map(|l| {
            l.templates
                .into_iter()
                .map(|t| {
                    let fields = t
                        .fields
                        .iter()
                        .map(|f| {
                            format!(
                                "{} ({}{})",
                                f.label,
                                f.kind.as_str(),
                                if f.required { tr().f_required_mark } else { "" }
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    view! {
                        <tr data-testid="fd-a-template">
                            <td data-testid="fd-a-template-id">{t.templateid.to_string()}</td>
                            <td>{t.name}</td>
                            <td data-testid="fd-a-template-fields">{fields}</td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    let field_rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, (kind, required, label))| {
            let (k_id, l_id) = (format!("a-t-kind-{i}"), format!("a-t-label-{i}"));
            view! {
                <div class="c-field-row" data-testid="fd-a-template-field">
                    <label for=l_id.clone()>{place(&tr().f_field_label, &(i + 1).to_string())}</label>
                    <input id=l_id node_ref=label data-testid="fd-a-template-label" maxlength="40"/>
                    <label for=k_id.clone()>{tr().f_kind}</label>
                    <select id=k_id node_ref=kind data-testid="fd-a-template-kind">
                        {FieldKind::ALL.iter().map(|k| view! {
                            <option value=k.as_str()>{k.as_str()}</option>
                        }).collect_view()}
                    </select>
                    <label>
                        <input type="checkbox" node_ref=required data-testid="fd-a-template-required"/>
                        " "{tr().f_required}
                    </label>
                </div>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="a-h-templates">
            <h2 id="a-h-templates">{tr().f_templates}</h2>
            <p class="c-muted">{tr().f_templates_help}</p>
            <table class="c-faqs">
                <thead><tr><th>{tr().f_templateid}</th><th>{tr().f_form_name}</th><th>{tr().f_fields}</th></tr></thead>
                <tbody data-testid="fd-a-templates">{shown}</tbody>
            </table>
            <form class="c-admin-form" on:submit=submit aria-labelledby="a-h-template-add">
                <h3 id="a-h-template-add">{tr().f_new}</h3>
                <label for="a-t-name">{tr().f_form_name}</label>
                <input id="a-t-name" node_ref=name data-testid="fd-a-template-name" maxlength="100"/>
                {field_rows}
                <button type="submit" class="c-btn c-pri" data-testid="fd-a-template-save">{tr().f_save}</button>
            </form>
        </section>
    }
}

/// The site's canned replies section.
#[component]
pub fn SiteCanned(token: RwSignal<Option<String>>, notice: RwSignal<String>) -> impl IntoView {
    let list: RwSignal<Option<CannedList>> = RwSignal::new(None);
    let reload = move || {
        leptos::task::spawn_local(async move {
            let t = token.get_untracked().unwrap_or_default();
            match call::<CannedList>("GET", "/api/admin/canned/list", None, Some(&t)).await {
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
    let delete = move |id: i64| {
        leptos::task::spawn_local(async move {
            let body = serde_json::to_string(&CannedDelete { id }).unwrap_or_default();
            let t = token.get_untracked().unwrap_or_default();
            match call::<Status>("POST", "/api/admin/canned/delete", Some(body), Some(&t)).await {
                Ok(_) => {
                    notice.set(tr().f_canned_deleted.into());
                    reload();
                }
                Err(e) => notice.set(e),
            }
        });
    };
    let shortcut: NodeRef<html::Input> = NodeRef::new();
    let text: NodeRef<html::Textarea> = NodeRef::new();
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let req = CannedAdd {
            shortcut: value(shortcut),
            text: text.get_untracked().map(|t| t.value()).unwrap_or_default(),
        };
        leptos::task::spawn_local(async move {
            let body = serde_json::to_string(&req).unwrap_or_default();
            let t = token.get_untracked().unwrap_or_default();
            match call::<Saved>("POST", "/api/admin/canned/add", Some(body), Some(&t)).await {
                Ok(_) => {
                    notice.set(place(&tr().f_canned_saved, req.shortcut.trim()));
                    reload();
                }
                Err(e) => notice.set(e),
            }
        });
    };
    let rows = move || {
        list.get().map(|l| {
            l.replies
                .into_iter()
                .map(|c| {
                    let id = c.id;
                    view! {
                        <tr data-testid="fd-a-canned">
                            <td data-testid="fd-a-canned-shortcut">{format!("/{}", c.shortcut)}</td>
                            <td>{c.text}</td>
                            <td><button type="button" class="c-btn" data-testid="fd-a-canned-delete"
                                on:click=move |_| delete(id)>{tr().f_delete}</button></td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section aria-labelledby="a-h-canned">
            <h2 id="a-h-canned">{tr().f_canned}</h2>
            <p class="c-muted">{tr().f_canned_help}</p>
            <table class="c-faqs">
                <thead><tr><th>{tr().f_shortcut}</th><th>{tr().f_text}</th><th></th></tr></thead>
                <tbody data-testid="fd-a-canned-list">{rows}</tbody>
            </table>
            <form class="c-admin-form" on:submit=submit aria-labelledby="a-h-canned-add">
                <h3 id="a-h-canned-add">{tr().f_canned_add}</h3>
                <label for="a-c-shortcut">{tr().f_shortcut_label}</label>
                <input id="a-c-shortcut" node_ref=shortcut data-testid="fd-a-canned-shortcut-input" maxlength="32"/>
                <label for="a-c-text">{tr().f_text}</label>
                <textarea id="a-c-text" node_ref=text data-testid="fd-a-canned-text" rows="3" maxlength="5000"></textarea>
                <button type="submit" class="c-btn c-pri" data-testid="fd-a-canned-save">{tr().f_canned_save}</button>
            </form>
        </section>
    }
}

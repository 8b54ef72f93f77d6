//! The site admin API's settings, groups, agents, VIP levels and audit log (issue 25,
//! item 9: settings in the browser): what `/api/admin/site…`, `/api/admin/group/…`,
//! `/api/admin/agent/…`, `/api/admin/vip/…`, `/api/admin/leave/template/…`,
//! `/api/admin/canned/…` and `/api/admin/audit` (server `adminapi.rs`,
//! the console's admin view) read and change — the values `frontdesk admin site set`,
//! `group …`, `agent …` and `vip add` take, validated by the same server functions
//! (`admin::change_site`, `save_group`, `create_agent`, `set_agent`, `put_vip_level`), so a
//! bad value gets the CLI's error text. Answers carry `errcode`/`errmsg` like
//! [`crate::robot`]'s; an error answer is only [`crate::robot::Status`] (40035 with the
//! reason).

use serde::{Deserialize, Serialize};

/// A site's settings. In `GET /api/admin/site` every field is present (the values now); as
/// the body of `POST /api/admin/site/set` an absent field is left as it is, and `""` clears
/// a text (`push_url`, `origins`: any origin, `offline_title`, `agent_hello`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSettings {
    /// Reception mode for pages that do not say: 1 robot only, 2 human only, 3 robot
    /// first, 4 human first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reception: Option<i64>,
    /// Robot answers that miss before the hand-over control shows (0-100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_after: Option<i64>,
    /// Shown when nobody is available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_title: Option<String>,
    /// Said to the visitor when an agent takes the chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_hello: Option<String>,
    /// The custom push (webhook) URL, an http(s) URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_url: Option<String>,
    /// Whether pushes may go to loopback/private addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_allow_private: Option<bool>,
    /// The visitor security check: `off`, `md5` (seed 003) or `hmac`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_check: Option<String>,
    /// Whether what only the page says counts: `auto`, `on` or `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_trust: Option<String>,
    /// Origins allowed to embed the chat, comma-separated (`""`: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origins: Option<String>,
    /// The platform code linking sites for `flowType` overflow (`""`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Days messages and uploads are kept (0: for ever, up to 36 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_days: Option<i64>,
    /// Whether ending a chat needs a category and a summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_required: Option<bool>,
    /// The categories offered when a chat ends, comma-separated (`""`: any text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_categories: Option<String>,
}

/// `GET /api/admin/site`: the site's settings now (every field present).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteAnswer {
    pub errcode: i64,
    pub errmsg: String,
    /// The site's name and `sysnum`, for the view's heading.
    pub name: String,
    pub sysnum: String,
    pub settings: SiteSettings,
}

/// A skill group of the site (`GET /api/admin/group/list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: i64,
    pub groupname: String,
    /// The hosted system's id of the group (`""`: none).
    pub external_id: String,
    /// Working hours, e.g. `Mon-Fri 09:00-18:00; Sat 10:00-14:00` (`""`: always on duty).
    pub hours: String,
    /// The IANA zone of the hours (`""` without hours).
    pub tz: String,
    pub disabled: bool,
}

/// `GET /api/admin/group/list`: the site's groups, and the time zones the server knows
/// (what the hours' zone picker offers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupList {
    pub errcode: i64,
    pub errmsg: String,
    pub groups: Vec<Group>,
    pub zones: Vec<String>,
}

/// `POST /api/admin/group/save`: without `id` a new group named `name` (what `admin group
/// create` does), with one a change of that group (`admin group set`, `disable`/`enable`).
/// Absent fields are kept; `""` clears the external id or the hours; `tz` needs `hours`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSave {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// The answer to [`GroupSave`] and [`AgentCreate`]: the id of the group or agent (`kf_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub errcode: i64,
    pub errmsg: String,
    pub id: i64,
}

/// An agent of the site (`GET /api/admin/agent/list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub kf_id: i64,
    pub kf_account: String,
    pub nick: String,
    /// Ids of the groups it belongs to.
    pub groups: Vec<i64>,
    pub max_chats: i64,
    pub disabled: bool,
    /// Its avatar URL (`""`: none).
    #[serde(default)]
    pub avatar: String,
    #[serde(default)]
    pub role: crate::agent::Role,
}

/// `GET /api/admin/agent/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentList {
    pub errcode: i64,
    pub errmsg: String,
    pub agents: Vec<AgentInfo>,
}

/// `POST /api/admin/agent/create`: what `admin agent create` takes (answered with [`Saved`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentCreate {
    pub account: String,
    pub nick: String,
    pub password: String,
    #[serde(default)]
    pub groups: Vec<i64>,
    /// Most conversations served at once (1-1000).
    pub max_chats: i64,
    #[serde(default)]
    pub role: crate::agent::Role,
}

/// `POST /api/admin/agent/set`: changes agent `account` of the site (`admin agent set`,
/// `passwd`, `disable`/`enable`); absent fields are kept. A new password also ends the
/// agent's logins. Answered with [`crate::robot::Status`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSet {
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chats: Option<i64>,
    /// The groups it belongs to from now on (all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Its avatar (`kf_headimgurl` in seed 002's lists): an http(s) URL, `""` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<crate::agent::Role>,
}

/// A VIP level of the site: what a page's `vip_level` may say (`id` or `name`), and its
/// queue rank (higher first, 0-1000000). `GET /api/admin/vip/list` lists them, highest rank
/// first; `POST /api/admin/vip/put` with one adds it or changes the one with its `id`
/// (`admin vip add`; answered with [`crate::robot::Status`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VipLevel {
    pub id: String,
    pub name: String,
    pub rank: i64,
}

/// `GET /api/admin/vip/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VipList {
    pub errcode: i64,
    pub errmsg: String,
    pub levels: Vec<VipLevel>,
}

/// An entry of the admin audit log: who changed what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// Who: `site admin (appid …)` for the admin API with the site's token, `agent … (admin)`
    /// for an admin agent's console, `command line (user)` for `frontdesk admin`.
    pub actor: String,
    /// What: the request's path, e.g. `site/set`, `agent/create`; on the command line its
    /// words, e.g. `agent set`.
    pub action: String,
    /// The request as sent (JSON; on the command line its flags), passwords and secrets left
    /// out.
    pub detail: String,
}

/// `GET /api/admin/audit`: the site's last 200 changes, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditList {
    pub errcode: i64,
    pub errmsg: String,
    pub entries: Vec<AuditEntry>,
}

/// One field of a new leave-message form ([`TemplateAdd`]): what `admin leave template add
/// --field KIND[*]:LABEL` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateField {
    pub kind: crate::leave::FieldKind,
    #[serde(default)]
    pub required: bool,
    pub label: String,
}

/// `POST /api/admin/leave/template/add` (answered with [`Saved`], `id` the `templateid`): a
/// leave-message form, as `admin leave template add` makes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateAdd {
    pub name: String,
    #[serde(default)]
    pub fields: Vec<TemplateField>,
}

/// `GET /api/admin/leave/template/list`: the site's forms, by `templateid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateList {
    pub errcode: i64,
    pub errmsg: String,
    pub templates: Vec<crate::leave::Template>,
}

/// One of the site's canned replies (every agent of the site is offered it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteCanned {
    pub id: i64,
    pub shortcut: String,
    pub text: String,
}

/// `GET /api/admin/canned/list`: the site's canned replies (not the agents' own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedList {
    pub errcode: i64,
    pub errmsg: String,
    pub replies: Vec<SiteCanned>,
}

/// `POST /api/admin/canned/add` (answered with [`Saved`]): a site canned reply, as `admin
/// canned add` makes it (an existing shortcut gets the new text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedAdd {
    pub shortcut: String,
    pub text: String,
}

/// `POST /api/admin/canned/delete` (answered with [`crate::robot::Status`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedDelete {
    pub id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn site_settings_round_trip(text in ".*", n in proptest::option::of(any::<i64>()), b in proptest::option::of(any::<bool>()), some in any::<bool>()) {
            let t = some.then(|| text.clone());
            let s = SiteSettings {
                reception: n, manual_after: n, offline_title: t.clone(), agent_hello: t.clone(),
                push_url: t.clone(), push_allow_private: b, sign_check: t.clone(),
                page_trust: t.clone(), origins: t.clone(), platform: t.clone(), retain_days: n,
                summary_required: b, summary_categories: t,
            };
            let json = serde_json::to_string(&s).unwrap();
            prop_assert_eq!(serde_json::from_str::<SiteSettings>(&json).unwrap(), s.clone());
            let a = SiteAnswer { errcode: 0, errmsg: text.clone(), name: text.clone(), sysnum: text, settings: s };
            let json = serde_json::to_string(&a).unwrap();
            prop_assert_eq!(serde_json::from_str::<SiteAnswer>(&json).unwrap(), a);
        }

        #[test]
        fn groups_and_agents_round_trip(text in ".*", id in any::<i64>(), b in any::<bool>(), ids in proptest::collection::vec(any::<i64>(), 0..4),
            role in proptest::sample::select(crate::agent::Role::ALL.to_vec())) {
            let g = Group { id, groupname: text.clone(), external_id: text.clone(), hours: text.clone(), tz: text.clone(), disabled: b };
            let l = GroupList { errcode: 0, errmsg: text.clone(), groups: vec![g], zones: vec![text.clone()] };
            prop_assert_eq!(serde_json::from_str::<GroupList>(&serde_json::to_string(&l).unwrap()).unwrap(), l);
            let s = GroupSave { id: b.then_some(id), name: Some(text.clone()), external_id: None, hours: Some(text.clone()), tz: Some(text.clone()), disabled: Some(b) };
            prop_assert_eq!(serde_json::from_str::<GroupSave>(&serde_json::to_string(&s).unwrap()).unwrap(), s);
            let a = AgentInfo { kf_id: id, kf_account: text.clone(), nick: text.clone(), groups: ids.clone(), max_chats: id, disabled: b, avatar: text.clone(), role };
            let l = AgentList { errcode: 0, errmsg: text.clone(), agents: vec![a] };
            prop_assert_eq!(serde_json::from_str::<AgentList>(&serde_json::to_string(&l).unwrap()).unwrap(), l);
            let c = AgentCreate { account: text.clone(), nick: text.clone(), password: text.clone(), groups: ids.clone(), max_chats: id, role };
            prop_assert_eq!(serde_json::from_str::<AgentCreate>(&serde_json::to_string(&c).unwrap()).unwrap(), c);
            let s = AgentSet { account: text.clone(), nick: None, max_chats: Some(id), groups: b.then_some(ids), disabled: Some(b), password: Some(text.clone()), avatar: b.then(|| text.clone()), role: b.then_some(role) };
            prop_assert_eq!(serde_json::from_str::<AgentSet>(&serde_json::to_string(&s).unwrap()).unwrap(), s);
            let r = Saved { errcode: 0, errmsg: text, id };
            prop_assert_eq!(serde_json::from_str::<Saved>(&serde_json::to_string(&r).unwrap()).unwrap(), r);
        }

        #[test]
        fn vip_levels_and_the_audit_log_round_trip(text in ".*", n in any::<i64>()) {
            let l = VipList { errcode: 0, errmsg: text.clone(), levels: vec![VipLevel { id: text.clone(), name: text.clone(), rank: n }] };
            prop_assert_eq!(serde_json::from_str::<VipList>(&serde_json::to_string(&l).unwrap()).unwrap(), l);
            let a = AuditList { errcode: 0, errmsg: text.clone(), entries: vec![AuditEntry { id: n, at: n, actor: text.clone(), action: text.clone(), detail: text }] };
            prop_assert_eq!(serde_json::from_str::<AuditList>(&serde_json::to_string(&a).unwrap()).unwrap(), a);
        }
    }

    #[test]
    fn an_absent_field_is_left_as_it_is() {
        let s: SiteSettings = serde_json::from_str(r#"{"push_url":""}"#).unwrap();
        assert_eq!(
            s,
            SiteSettings {
                push_url: Some(String::new()),
                ..SiteSettings::default()
            }
        );
    }
}

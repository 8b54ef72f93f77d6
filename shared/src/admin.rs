//! The site admin API's settings (issue 25, item 9: settings in the browser): what
//! `/api/admin/site…` (server `adminapi.rs`, the console's admin view) reads and changes.
//! The same values `frontdesk admin site set` takes, validated by the same server functions
//! (`admin::change_site`), so a bad value gets the CLI's error text. Answers carry
//! `errcode`/`errmsg` like [`crate::robot`]'s; an error answer is only
//! [`crate::robot::Status`] (40035 with the reason).

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
                page_trust: t.clone(), origins: t,
            };
            let json = serde_json::to_string(&s).unwrap();
            prop_assert_eq!(serde_json::from_str::<SiteSettings>(&json).unwrap(), s.clone());
            let a = SiteAnswer { errcode: 0, errmsg: text.clone(), name: text.clone(), sysnum: text, settings: s };
            let json = serde_json::to_string(&a).unwrap();
            prop_assert_eq!(serde_json::from_str::<SiteAnswer>(&json).unwrap(), a);
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

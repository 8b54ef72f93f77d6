//! Leave a message (seed 003 留言: `leave_msg_flag`, `msg_flag`, the stand-alone
//! `leavemessage.html?sysnum&uid&source=9&uname&templateid&groupid&locale&t`): the form's
//! template, what a visitor leaves, what agents list and answer.
//!
//! - `GET /api/leave/template?sysnum=S[&templateid=N]` → [`Template`] (no `templateid`, or
//!   `0`: [`Template::default_form`]).
//! - `POST /api/leave` [`LeaveRequest`] → [`Left`], or an error [`LeaveError`] with a status
//!   (400 a bad value, naming the `field`; 404 unknown site or template; 429 a limit).
//! - Agents over seed 001's socket (extensions): `34000` [`crate::agent::api::LEAVE_LIST`]
//!   → [`LeftList`], `34100` answer, `34200` done/reopen (see `agent::api`).
//!
//! A template's fields are the form's beside the message itself (always asked, required,
//! ≤ [`MAX_CONTENT_CHARS`]); the default asks for a phone number or an email address, one of
//! the two required ([`Template::contact_required`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest message a visitor may leave, in characters (issue 24: "oversized (>2 000 chars)").
pub const MAX_CONTENT_CHARS: usize = 2000;
/// Longest value of a template field, in characters.
pub const MAX_FIELD_CHARS: usize = 200;
/// Longest label of a template field, in characters.
pub const MAX_LABEL_CHARS: usize = 40;
/// Most fields a template may have.
pub const MAX_FIELDS: usize = 10;
/// Longest agent answer, in characters (a message body's limit).
pub const MAX_ANSWER_CHARS: usize = crate::MAX_BODY_CHARS;

/// What a template field holds (and how it is checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// Any text on one line.
    Text,
    /// A phone number: digits, spaces, `+ - ( )`, 5–20 digits.
    Phone,
    /// An email address.
    Email,
}

impl FieldKind {
    pub const ALL: [FieldKind; 3] = [FieldKind::Text, FieldKind::Phone, FieldKind::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Phone => "phone",
            FieldKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<FieldKind> {
        let s = s.trim();
        FieldKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether `v` (trimmed, non-empty) is a value of this kind.
    pub fn accepts(self, v: &str) -> bool {
        match self {
            FieldKind::Text => true,
            FieldKind::Phone => {
                let digits = v.chars().filter(char::is_ascii_digit).count();
                (5..=20).contains(&digits)
                    && v.chars()
                        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
            }
            FieldKind::Email => {
                let Some((local, domain)) = v.split_once('@') else {
                    return false;
                };
                v.len() <= 254
                    && !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !v.chars().any(|c| c.is_whitespace() || c.is_control())
            }
        }
    }
}

/// One field of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The key of its value in [`LeaveRequest::fields`] (`f1`, `f2`, … by position; the
    /// default form's `phone` and `email`).
    pub name: String,
    /// What the form shows (empty in the default form: the page's own words for its kind).
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
}

/// A leave-message form (`frontdesk admin leave template add`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// The site's own number for it (seed 003 `templateid`); 0 for the default form.
    pub templateid: i64,
    pub name: String,
    pub fields: Vec<Field>,
    /// At least one of the `phone`/`email` fields must be given (the default form).
    #[serde(default)]
    pub contact_required: bool,
}

impl Template {
    /// The form when the page names no template: the message, and a phone number or an
    /// email address (one of them required).
    pub fn default_form() -> Template {
        let field = |name: &str, kind| Field {
            name: name.into(),
            label: String::new(),
            kind,
            required: false,
        };
        Template {
            templateid: 0,
            name: String::new(),
            fields: vec![
                field("phone", FieldKind::Phone),
                field("email", FieldKind::Email),
            ],
            contact_required: true,
        }
    }
}

/// `POST /api/leave`: what a visitor leaves. Ids as the page has them (strings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaveRequest {
    pub sysnum: String,
    /// The chat page's visitor token (`frontdesk.token.<sysnum>`), when this browser has one:
    /// the answer then reaches that conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Seed 003 `uid` (the site's user id, as `partnerid`); with the site's security check
    /// it needs `sign`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templateid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groupid: Option<String>,
    /// Seed 003 `source` (9: the stand-alone page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The message.
    pub content: String,
    /// The template's fields: [`Field::name`] → value.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// `POST /api/leave`'s answer: the stored message's id, and the visitor token of this
/// browser when the server made a new visitor for it (the page keeps it where the chat page
/// looks, so the answer shows in the chat on the next visit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Left {
    pub id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// An error of `/api/leave*`: `error` one of the codes below, `message` in English for
/// logs and operators, `field` the value that was refused (`content`, a field's name,
/// `contact`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaveError {
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// [`LeaveError::error`] codes.
pub mod error {
    /// 400: the body is not a [`super::LeaveRequest`].
    pub const BAD_REQUEST: &str = "bad_request";
    /// 404: no site has that `sysnum`.
    pub const UNKNOWN_SITE: &str = "unknown_site";
    /// 404: the site has no template with that `templateid`.
    pub const UNKNOWN_TEMPLATE: &str = "unknown_template";
    /// 400: a required value is empty.
    pub const REQUIRED: &str = "required";
    /// 400: a value is longer than allowed.
    pub const TOO_LONG: &str = "too_long";
    /// 400: a value is not of its kind (phone, email) or has control characters.
    pub const INVALID: &str = "invalid";
    /// 400: neither a phone number nor an email address (the default form).
    pub const CONTACT_REQUIRED: &str = "contact_required";
    /// 400: a field the template does not have.
    pub const UNKNOWN_FIELD: &str = "unknown_field";
    /// 403: `uid` without a valid `sign` on a site with the security check.
    pub const SIGN_INVALID: &str = "sign_invalid";
    /// 429: too many messages from this client or for this site; try later.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 503: the site has too many open left messages.
    pub const SITE_FULL: &str = "site_full";
    /// 500: logged, not described.
    pub const INTERNAL: &str = "internal";
}

/// One value of a left message, as the form asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    pub label: String,
    pub kind: FieldKind,
    pub value: String,
}

/// A left message as agents and `admin leave list` see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftMessage {
    pub id: i64,
    /// The visitor's id (seed 001 `gid`): their conversation, where the answer goes.
    pub gid: String,
    pub uname: String,
    pub partnerid: String,
    pub content: String,
    pub fields: Vec<FieldValue>,
    pub templateid: i64,
    /// The group the page named (`groupid`), if any.
    pub groupid: Option<i64>,
    pub source: String,
    /// `false` while open, `true` once answered or marked done.
    pub done: bool,
    pub answer: Option<String>,
    /// The answering agent's nick.
    pub answered_by: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub answered_at: Option<i64>,
}

/// `34000`'s data: how many are open, and the page asked for (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftList {
    pub open: i64,
    pub items: Vec<LeftMessage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_check_their_values() {
        for ok in ["13800138000", "+86 138-0013-8000", "(021) 5555"] {
            assert!(FieldKind::Phone.accepts(ok), "{ok}");
        }
        for bad in ["1234", "call me", "138\u{0}0013"] {
            assert!(!FieldKind::Phone.accepts(bad), "{bad}");
        }
        assert!(FieldKind::Email.accepts("a.b@example.com"));
        for bad in ["a@b", "@x.com", "a b@x.com", "a@x.com.", "a@@x.com"] {
            assert!(!FieldKind::Email.accepts(bad), "{bad}");
        }
        assert_eq!(FieldKind::parse("email"), Some(FieldKind::Email));
        assert_eq!(FieldKind::parse("html"), None);
    }

    #[test]
    fn wire_shapes_round_trip() {
        fn round<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(v: T) {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), v, "{json}");
        }
        round(LeaveRequest {
            sysnum: "a".repeat(32),
            uid: Some("u1".into()),
            content: "你好".into(),
            fields: [("phone".to_owned(), "13800138000".to_owned())].into(),
            ..LeaveRequest::default()
        });
        round(Template::default_form());
        round(Left { id: 7, token: None });
        round(LeftList {
            open: 1,
            items: vec![LeftMessage {
                id: 1,
                gid: "9".into(),
                uname: String::new(),
                partnerid: String::new(),
                content: "x".into(),
                fields: vec![FieldValue {
                    label: "Phone".into(),
                    kind: FieldKind::Phone,
                    value: "13800138000".into(),
                }],
                templateid: 0,
                groupid: None,
                source: "9".into(),
                done: false,
                answer: None,
                answered_by: None,
                created_at: 1,
                answered_at: None,
            }],
        });
    }
}

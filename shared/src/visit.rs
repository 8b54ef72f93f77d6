//! What a visitor's browser reports about the visit besides chat messages (issue 10, seed 003):
//! the CRM and routing values given through `zc("config")` and the browse trace
//! (`man_trace`, `pre_visit_args`/`cur_visit_args`, `zc("trace", …)`).
//!
//! Sent by the notifier frame (`widget/host/notify.html`, our origin) as the body of
//! `POST /api/visitor/visit`, authenticated by the visitor's token; read by agents with the
//! agent-socket extension [`crate::agent::api::VISIT`] (response data [`VisitInfo`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::Sysnum;

/// Longest key / value of a CRM or routing parameter, in characters; most parameters kept.
pub const MAX_PARAM_KEY: usize = 64;
pub const MAX_PARAM_VALUE: usize = 4000;
pub const MAX_PARAMS: usize = 64;
/// Longest URL / title / other trace field, in characters.
pub const MAX_URL: usize = 2000;
pub const MAX_TEXT: usize = 500;
/// Pages kept per visit of a visitor who has written (older ones are dropped).
pub const MAX_PAGES: i64 = 100;
/// Pages kept per visit of a pending token (nobody has written yet: anyone can mint one).
pub const MAX_PENDING_PAGES: i64 = 5;
/// Most bytes (UTF-8, keys and values) of a report's parameters, and of one trace page (URL,
/// referrer, title, `pre`/`cur` keys and values): what one report can make the server store.
pub const MAX_PARAMS_BYTES: usize = 16 * 1024;
pub const MAX_PAGE_BYTES: usize = 8 * 1024;

/// The seed's CRM and routing parameters that are stored with the visit. Everything else in
/// `zc("config")` is presentation.
pub const PARAM_KEYS: &[&str] = &[
    "uname",
    "realname",
    "tel",
    "email",
    "qq",
    "face",
    "remark",
    "params",
    "customer_fields",
    "is_vip",
    "vip_level",
    "user_label",
    "type",
    "robotid",
    "agentid",
    "groupid",
    "transfer_action",
    "queueFirst",
    "summaryparams",
    "partnerid",
    "platformUnionCode",
    "flowType",
    "flowCompanyId",
    "flowGroupId",
    "faqid",
    "source",
    "locale",
];

/// Which of the seed's three kinds of browsing a page is, or a manual `zc("trace")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    /// The first page of the visit (着陆行为).
    Land,
    /// A later page (浏览行为).
    View,
    /// The page a chat was started from (发起咨询行为).
    Chat,
    /// Sent on demand with `zc("trace", {...})`.
    Manual,
}

impl PageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Land => "land",
            PageKind::View => "view",
            PageKind::Chat => "chat",
            PageKind::Manual => "manual",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "land" => Some(PageKind::Land),
            "view" => Some(PageKind::View),
            "chat" => Some(PageKind::Chat),
            "manual" => Some(PageKind::Manual),
            _ => None,
        }
    }
}

/// One page of the browse trace. `url`/`title`/`referrer` are what the browser collected,
/// already overridden by `cur_visit_url`/`cur_visit_title`/`pre_visit_url`; `pre`/`cur` keep
/// the seed's `pre_visit_args`/`cur_visit_args` as given (strings only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub kind: PageKind,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub referrer: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pre: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cur: BTreeMap<String, String>,
}

/// Body of `POST /api/visitor/visit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitReport {
    pub sysnum: Sysnum,
    pub token: String,
    /// The CRM/routing values now in force (replacing what was stored), if sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<BTreeMap<String, String>>,
    /// A page to add to the trace, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<Page>,
}

/// A stored page of the trace, as agents get it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracePage {
    #[serde(flatten)]
    pub page: Page,
    /// Milliseconds since the Unix epoch, server clock.
    pub ts: i64,
}

/// Response data of the agent extension [`crate::agent::api::VISIT`]: the visitor's stored
/// parameters and browse trace (oldest first), and the customer they describe as the
/// console shows it beside the chat ([`Customer`], issue 25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitInfo {
    pub gid: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    #[serde(default)]
    pub trace: Vec<TracePage>,
    /// The visitor's ratings of their chats (issue 24), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<crate::rating::Rating>,
    #[serde(default)]
    pub customer: Customer,
}

/// The customer beside the chat (issue 25), read by the server from the CRM values a page
/// passed (`zc("config")`) and the visitor's row: everything is text to show as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// `realname`, else `uname`.
    #[serde(default)]
    pub name: String,
    /// `face`, only when it is an `http(s)` URL ([`crate::card::safe_url`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face: Option<String>,
    /// `VIP` for `is_vip: 1`, or the site's name of `vip_level` (else the level as given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip: Option<String>,
    /// `user_label`, split at commas and bars.
    #[serde(default)]
    pub labels: Vec<String>,
    /// The labelled fields, in order: the seed's CRM values, then `params`' and
    /// `customer_fields`' keys (their JSON parsed; a value that is not a JSON object is one
    /// row as given).
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Where they came from, as [`source_label`] names it (empty: not said).
    #[serde(default)]
    pub source: String,
    /// `locale` (`cn`, `en`, `tw`), if the page gave one.
    #[serde(default)]
    pub locale: String,
}

/// One labelled field of a [`Customer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub group: FieldGroup,
    /// The label: the seed's name (`tel`, …) for CRM values, the key for the others.
    pub key: String,
    pub value: String,
}

/// Which values a [`Field`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldGroup {
    Crm,
    Params,
    CustomerFields,
}

/// Seed 003's `source` codes as the console names them: 0 desktop website (PC), 1 WeChat,
/// 2 app, 3 Weibo, 4 mobile website (H5), 9 WeCom / the leave-a-message page, 10 WeChat
/// mini-program. `None` for anything else.
pub fn source_label(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        "0" => "PC website",
        "1" => "WeChat",
        "2" => "App",
        "3" => "Weibo",
        "4" => "H5 (mobile website)",
        "9" => "WeCom / leave-message page",
        "10" => "WeChat mini-program",
        _ => return None,
    })
}

/// Push data of the agent extension [`crate::agent::api::VISIT_CHANGED`]: the page of visitor
/// `gid` reported new CRM values (`zc("config")` again); read them with `32800`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitChanged {
    pub gid: String,
}

/// Body of `POST /api/visitor/presence`: the visitor is on `url` now (the notifier repeats it
/// as a long poll while the page is open, on sites that allow agent invitations with
/// `invite_flag`). The answer is [`PresenceAnswer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceReport {
    pub sysnum: Sysnum,
    pub token: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub title: String,
}

/// An agent's invitation for this visitor (its text, possibly empty: the page's own
/// `tip_title` then), or nothing before the poll ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceAnswer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

/// A visitor on the site right now, as agents see it (`32810`, extension). `vid` names the
/// presence for an invitation (`32811` with `gid: vid`); it is not a visitor id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnSite {
    pub vid: String,
    pub url: String,
    pub title: String,
    /// When this page was entered / last reported, ms since the epoch (server clock).
    pub since: i64,
    pub last: i64,
    /// The visitor's id (`gid`) when they have talked to the site before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
}

/// Checks a report's sizes and characters; the reason when refused. Every text is stored,
/// so none may hold U+0000 (PostgreSQL refuses it; no backend stores it).
pub fn validate(r: &VisitReport) -> Result<(), &'static str> {
    let long = |s: &str, n: usize| s.chars().count() > n;
    let bytes =
        |m: &BTreeMap<String, String>| -> usize { m.iter().map(|(k, v)| k.len() + v.len()).sum() };
    let nul = |s: &String| s.contains('\0');
    if let Some(p) = &r.params {
        if p.len() > MAX_PARAMS {
            return Err("too many params");
        }
        if p.iter()
            .any(|(k, v)| k.is_empty() || long(k, MAX_PARAM_KEY) || long(v, MAX_PARAM_VALUE))
        {
            return Err("a param key or value is too long");
        }
        if bytes(p) > MAX_PARAMS_BYTES {
            return Err("params are longer than 16 KiB in all");
        }
        if p.iter().any(|(k, v)| nul(k) || nul(v)) {
            return Err("params may not contain NUL characters");
        }
    }
    if let Some(pg) = &r.page {
        if long(&pg.url, MAX_URL) || long(&pg.referrer, MAX_URL) || long(&pg.title, MAX_TEXT) {
            return Err("url, referrer or title too long");
        }
        for m in [&pg.pre, &pg.cur] {
            if m.len() > 16
                || m.iter()
                    .any(|(k, v)| long(k, MAX_PARAM_KEY) || long(v, MAX_URL))
            {
                return Err("pre/cur visit args too long");
            }
        }
        let size =
            pg.url.len() + pg.referrer.len() + pg.title.len() + bytes(&pg.pre) + bytes(&pg.cur);
        if size > MAX_PAGE_BYTES {
            return Err("a trace page is longer than 8 KiB in all");
        }
        let texts = [&pg.url, &pg.referrer, &pg.title];
        if texts.into_iter().any(nul)
            || [&pg.pre, &pg.cur]
                .iter()
                .any(|m| m.iter().any(|(k, v)| nul(k) || nul(v)))
        {
            return Err("trace pages may not contain NUL characters");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_round_trip_and_are_bounded() {
        let json = r#"{"sysnum":"4c349791a07b46c1a70b8ac88aa23257","token":"t","params":{"tel":"18888888888"},
            "page":{"kind":"land","url":"https://shop.test/a","title":"A","referrer":"",
            "cur":{"cur_tags":"sale"}}}"#;
        let r: VisitReport = serde_json::from_str(json).unwrap();
        assert_eq!(r.page.as_ref().unwrap().kind, PageKind::Land);
        assert_eq!(r.params.as_ref().unwrap()["tel"], "18888888888");
        assert!(validate(&r).is_ok());
        let mut big = r.clone();
        big.page.as_mut().unwrap().url = "x".repeat(MAX_URL + 1);
        assert!(validate(&big).is_err());
        let mut many = r;
        many.params = Some(
            (0..=MAX_PARAMS)
                .map(|i| (i.to_string(), String::new()))
                .collect(),
        );
        assert!(validate(&many).is_err());
        assert_eq!(PageKind::parse("chat"), Some(PageKind::Chat));
    }

    proptest::proptest! {
        #[test]
        fn the_customer_round_trips(text in ".*", face in proptest::option::of(".*"),
            vip in proptest::option::of(".*"), n in 0usize..4) {
            let customer = Customer {
                name: text.clone(), face, vip,
                labels: vec![text.clone(); n],
                fields: [FieldGroup::Crm, FieldGroup::Params, FieldGroup::CustomerFields]
                    .into_iter()
                    .map(|group| Field { group, key: text.clone(), value: text.clone() })
                    .collect(),
                source: text.clone(), locale: text.clone(),
            };
            let v = VisitInfo { gid: text.clone(), customer, ..VisitInfo::default() };
            let json = serde_json::to_string(&v).unwrap();
            proptest::prop_assert_eq!(serde_json::from_str::<VisitInfo>(&json).unwrap(), v);
            let c = VisitChanged { gid: text };
            let json = serde_json::to_string(&c).unwrap();
            proptest::prop_assert_eq!(serde_json::from_str::<VisitChanged>(&json).unwrap(), c);
        }
    }

    #[test]
    fn sources_are_named() {
        assert_eq!(source_label("10"), Some("WeChat mini-program"));
        assert_eq!(source_label(" 0 "), Some("PC website"));
        assert_eq!(source_label("7"), None);
    }

    #[test]
    fn reports_are_bounded_in_bytes_and_refuse_nul() {
        let page = |url: &str, title: &str| Page {
            kind: PageKind::View,
            url: url.into(),
            title: title.into(),
            referrer: String::new(),
            pre: BTreeMap::new(),
            cur: BTreeMap::new(),
        };
        let report = |params: Option<BTreeMap<String, String>>, page: Option<Page>| VisitReport {
            sysnum: Sysnum::parse("4c349791a07b46c1a70b8ac88aa23257").unwrap(),
            token: "t".into(),
            params,
            page,
        };
        // Within every per-field limit, but four 4 000-character CJK values are 48 KB.
        let cjk: BTreeMap<String, String> = ["params", "customer_fields", "remark", "realname"]
            .iter()
            .map(|k| (k.to_string(), "等".repeat(MAX_PARAM_VALUE)))
            .collect();
        assert_eq!(
            validate(&report(Some(cjk), None)),
            Err("params are longer than 16 KiB in all")
        );
        // A 2 000-character URL and 500-character title in CJK: 7.5 KB; with `cur` over 8 KiB.
        let mut big = page(&"页".repeat(MAX_URL), &"题".repeat(MAX_TEXT));
        assert!(validate(&report(None, Some(big.clone()))).is_ok());
        big.cur.insert("cur_abstract".into(), "x".repeat(1000));
        assert!(validate(&report(None, Some(big))).is_err());
        let nul_param = BTreeMap::from([("tel".to_string(), "1\u{0}2".to_string())]);
        assert!(validate(&report(Some(nul_param), None)).is_err());
        assert!(validate(&report(None, Some(page("https://a.test/\u{0}", "")))).is_err());
        let mut nul_cur = page("https://a.test/", "");
        nul_cur.cur.insert("cur_tags".into(), "\u{0}".into());
        assert!(validate(&report(None, Some(nul_cur))).is_err());
        assert_eq!(PageKind::parse("x"), None);
    }
}

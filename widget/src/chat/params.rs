//! The chat page's configuration: seed 003 parameters from the query string. The launcher
//! puts them there for the iframe; a site linking to the page directly writes them itself.
//! Parameters this issue does not use are ignored silently; nonsense in the ones it uses is
//! reported with one console warning and replaced by the default.

use shared::config::{parse_color, parse_flag, Locale, DEFAULT_COLOR};
use shared::ids::Sysnum;
use shared::reception::Reception;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// `None` when missing or malformed: the page then shows "unavailable" and never connects.
    pub sysnum: Option<Sysnum>,
    /// Six lowercase hex digits, no `#`.
    pub color: String,
    pub locale: Locale,
    pub uname: Option<String>,
    pub partnerid: Option<String>,
    pub sign: Option<String>,
    pub source: Option<String>,
    /// seed 003 `groupid`: the skill group to be served by (passed to the server as is).
    pub groupid: Option<String>,
    /// `embed=1`: we are the launcher's iframe (show the collapse button, talk to `host`).
    pub embed: bool,
    /// The host page's origin as the launcher saw it (`location.origin`); the only
    /// postMessage target. Checked again in [`crate::chat::bridge`] before use.
    pub host: Option<String>,
    /// seed 003 `emoji_state`: `"hide"` hides the emoji button.
    pub emoji: bool,
    /// seed 003's reception keys (`type`, `robotid`, …, and the page's `locale` when not the
    /// default), passed to the server in `hello` as they are; `None` when the page has none.
    pub reception: Option<Box<Reception>>,
    /// `to_customsys_flag` with an `http(s)` `to_customsys_url` (percent-encoded or not): the
    /// hand-over control opens this URL instead of asking for a person; with
    /// `to_customsys_open_style` 1 in a new window, else in place of the host page.
    pub customsys: Option<(String, bool)>,
}

impl Params {
    /// Builds the configuration from the raw query string `search` (the sysnum is read from
    /// it by [`Sysnum::from_query`], the same parser the server uses for `frame-ancestors`:
    /// exactly once, no padding) and a lookup of the other query parameters. Returns the
    /// names of parameters whose values were nonsense (the caller warns about them).
    pub fn parse(search: &str, get: impl Fn(&str) -> Option<String>) -> (Self, Vec<&'static str>) {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let mut bad = Vec::new();
        let sysnum = Sysnum::from_query(search).ok();
        if sysnum.is_none() {
            bad.push("sysnum");
        }
        let color = match get("color") {
            None => DEFAULT_COLOR.into(),
            Some(c) => parse_color(&c).unwrap_or_else(|| {
                bad.push("color");
                DEFAULT_COLOR.into()
            }),
        };
        let locale = match get("locale") {
            None => Locale::default(),
            Some(l) => Locale::parse(&l).unwrap_or_else(|| {
                bad.push("locale");
                Locale::default()
            }),
        };
        let embed = match get("embed") {
            None => false,
            Some(e) => parse_flag(&e).unwrap_or_else(|| {
                bad.push("embed");
                false
            }),
        };
        let flag = |k: &str| get(k).and_then(|v| parse_flag(&v)).unwrap_or(false);
        let customsys = flag("to_customsys_flag")
            .then(|| get("to_customsys_url"))
            .flatten()
            .and_then(|u| shared::card::safe_url(u.trim()))
            .map(|u| (u, flag("to_customsys_open_style")));
        let reception = Reception {
            mode: get("type"),
            robotid: get("robotid"),
            faqid: get("faqid"),
            guide_flag: get("guide_flag"),
            show_manual: get("show_manual"),
            robot_hello_word: get("robot_hello_word"),
            agentid: get("agentid"),
            agent_mode_flag: get("agent_mode_flag"),
            transfer_action: get("transfer_action"),
            is_vip: get("is_vip"),
            vip_level: get("vip_level"),
            queue_first: get("queueFirst"),
            flow_type: get("flowType"),
            flow_company_id: get("flowCompanyId"),
            flow_group_id: get("flowGroupId"),
            platform_union_code: get("platformUnionCode"),
            agent_hello_word: get("agent_hello_word"),
            agent_offline_title: get("agent_offline_title"),
            locale: (locale != Locale::default()).then(|| locale.as_str().into()),
        };
        let reception = (reception != Reception::default()).then(|| Box::new(reception));
        let params = Params {
            sysnum,
            color,
            locale,
            uname: get("uname"),
            partnerid: get("partnerid"),
            sign: get("sign"),
            source: get("source"),
            groupid: get("groupid"),
            embed,
            host: get("host"),
            emoji: get("emoji_state").is_none_or(|v| v.trim() != "hide"),
            reception,
            customsys,
        };
        (params, bad)
    }

    /// Reads `location.search`; warns once per nonsense parameter.
    pub fn from_location() -> Self {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        let query = web_sys::UrlSearchParams::new_with_str(&search).ok();
        let (params, bad) = Params::parse(&search, |k| query.as_ref()?.get(k));
        for name in bad {
            web_sys::console::warn_2(
                &"frontdesk: ignoring invalid chat parameter".into(),
                &name.into(),
            );
        }
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &[(&str, &str)]) -> (Params, Vec<&'static str>) {
        let search: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Params::parse(&search.join("&"), |k| {
            q.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn seed_values_and_defaults() {
        let (p, bad) = parse(&[
            ("sysnum", "3542411be2184c8cb6b48d66ca1b2730"),
            ("color", "04babc"),
            ("locale", "en"),
            ("embed", "1"),
            ("uname", "智齿客服"),
            ("card_title", "ignored for now"),
        ]);
        assert!(bad.is_empty());
        assert_eq!(p.color, "04babc");
        assert_eq!(p.locale, Locale::En);
        assert!(p.embed);
        assert_eq!(p.uname.as_deref(), Some("智齿客服"));
        assert_eq!(p.partnerid, None);
        assert!(p.emoji);
        assert!(!parse(&[("emoji_state", "hide")]).0.emoji);

        let (p, bad) = parse(&[("sysnum", "x"), ("color", "red"), ("locale", "fr")]);
        assert_eq!(bad, ["sysnum", "color", "locale"]);
        assert_eq!(p.sysnum, None);
        assert_eq!(p.color, DEFAULT_COLOR);
        assert_eq!(p.locale, Locale::Cn);
        assert!(!p.embed);

        let s = "3542411be2184c8cb6b48d66ca1b2730";
        let (p, bad) = parse(&[("sysnum", s), ("sysnum", "x")]);
        assert_eq!(
            (p.sysnum, bad),
            (None, vec!["sysnum"]),
            "duplicates are refused"
        );
        let (p, _) = parse(&[("sysnum", &format!("%20{s}"))]);
        assert_eq!(p.sysnum, None, "padding is refused, not trimmed");
    }

    #[test]
    fn reception_keys_go_to_hello() {
        let (p, _) = parse(&[("sysnum", "3542411be2184c8cb6b48d66ca1b2730")]);
        assert_eq!((p.reception, p.customsys), (None, None));
        let (p, bad) = parse(&[
            ("type", "3"),
            ("robotid", "2"),
            ("faqid", "7"),
            ("guide_flag", "1"),
            ("show_manual", "1"),
            ("robot_hello_word", "嗨"),
            ("agentid", "1q2w3e4r"),
            ("agent_mode_flag", "1"),
            (
                "transfer_action",
                r#"[{"actionType":"to_group","optionId":"4","deciId":"g"}]"#,
            ),
            ("is_vip", "1"),
            ("vip_level", "gold"),
            ("queueFirst", "1"),
            ("flowType", "2"),
            ("flowCompanyId", "c"),
            ("flowGroupId", "g2"),
            ("platformUnionCode", "p"),
            ("agent_hello_word", "hi"),
            ("agent_offline_title", "off"),
            ("locale", "tw"),
        ]);
        assert_eq!(bad, ["sysnum"]);
        let r = p.reception.unwrap();
        assert_eq!(r.mode(), Some(shared::reception::Mode::RobotFirst));
        assert_eq!((r.robot_id(), r.faq_group()), (Some(2), Some(7)));
        assert!(r.guide() && r.show_manual() && r.agent_strict() && r.vip() && r.queue_first());
        assert_eq!(r.robot_hello(), Some("嗨"));
        assert_eq!(r.agent(), Some("1q2w3e4r"));
        assert!(r
            .transfer_action
            .as_deref()
            .unwrap()
            .contains(r#""deciId":"g""#));
        assert_eq!(r.vip_level(), Some("gold"));
        assert_eq!(r.flow(), Some(shared::reception::FlowType::WhenBusy));
        assert_eq!(
            (r.flow_company(), r.flow_group(), r.platform()),
            (Some("c"), Some("g2"), Some("p"))
        );
        assert_eq!(
            (r.agent_hello(), r.offline_title()),
            (Some("hi"), Some("off"))
        );
        assert_eq!(r.locale.as_deref(), Some("tw"));
        // A non-default locale alone is worth sending (the robot's phrases).
        let (p, _) = parse(&[("locale", "en")]);
        assert_eq!(p.reception.unwrap().locale.as_deref(), Some("en"));
    }

    #[test]
    fn customsys_url_encoded_or_not_http_only() {
        let url = |q: &[(&str, &str)]| parse(q).0.customsys;
        assert_eq!(
            url(&[
                ("to_customsys_flag", "true"),
                ("to_customsys_url", "https://www.sobot.com")
            ]),
            Some(("https://www.sobot.com".into(), false))
        );
        assert_eq!(
            url(&[
                ("to_customsys_flag", "1"),
                ("to_customsys_url", "https%3A%2F%2Fa.example%2Fp%3Fx%3D1"),
                ("to_customsys_open_style", "1"),
            ]),
            Some(("https://a.example/p?x=1".into(), true))
        );
        assert_eq!(
            url(&[
                ("to_customsys_flag", "1"),
                ("to_customsys_url", "javascript:alert(1)")
            ]),
            None
        );
        assert_eq!(
            url(&[
                ("to_customsys_flag", "0"),
                ("to_customsys_url", "https://a.example")
            ]),
            None
        );
        assert_eq!(url(&[("to_customsys_url", "https://a.example")]), None);
    }
}

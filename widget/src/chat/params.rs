//! The chat page's configuration: seed 003 parameters from the query string. The launcher
//! puts them there for the iframe; a site linking to the page directly writes them itself.
//! Parameters this issue does not use are ignored silently; nonsense in the ones it uses is
//! reported with one console warning and replaced by the default.

use shared::config::{parse_color, parse_flag, Locale, DEFAULT_COLOR};
use shared::ids::Sysnum;

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
    /// seed 003 `is_link`: `0` shows URLs in messages as plain text; anything else (the
    /// default) makes `http(s)` URLs links.
    pub links: bool,
    /// seed 003 `show_evaluate=1`: closing the window of a chat an agent answered asks for a
    /// rating first.
    pub show_evaluate: bool,
    /// seed 003 `custom_title`: the page's title (and, with `top_bar_flag=1` and
    /// `title_flag=2`, the header's); 1–30 characters.
    pub custom_title: Option<String>,
    /// seed 003 `title_flag` (with `top_bar_flag=1`): 2 the header shows `custom_title`, 3
    /// the serving agent's name; anything else our title.
    pub title_flag: u8,
    /// seed 003 `top_bar_flag` (H5 only): `Some(false)` hides the header of the chat link.
    pub top_bar: Option<bool>,
    /// seed 003 `time`: show the history of only the last this many minutes (10–2880).
    pub history_minutes: Option<u32>,
    /// The query string itself, for `hello`: the server reads seed 003's reception keys
    /// (`type`, `robotid`, `locale`, …) from it (`shared::reception::Reception::from_query`).
    pub query: Option<String>,
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
            links: get("is_link").is_none_or(|v| v.trim() != "0"),
            show_evaluate: get("show_evaluate").is_some_and(|v| parse_flag(&v) == Some(true)),
            custom_title: get("custom_title")
                .map(|s| s.trim().to_owned())
                .filter(|s| s.chars().count() <= 30),
            title_flag: get("title_flag")
                .and_then(|f| f.trim().parse().ok())
                .unwrap_or(0),
            top_bar: get("top_bar_flag").and_then(|f| parse_flag(&f)),
            history_minutes: get("time")
                .and_then(|m| m.trim().parse().ok())
                .filter(|m| (10..=2880).contains(m)),
            query: Some(search.to_owned()).filter(|q| q.len() > 1),
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
        assert!(parse(&[]).0.links && parse(&[("is_link", "1")]).0.links);
        assert!(!parse(&[("is_link", "0")]).0.links);
        assert!(!parse(&[]).0.show_evaluate && !parse(&[("show_evaluate", "0")]).0.show_evaluate);
        assert!(parse(&[("show_evaluate", "1")]).0.show_evaluate);
        let (p, _) = parse(&[
            ("custom_title", "我的店铺"),
            ("title_flag", "2"),
            ("top_bar_flag", "0"),
            ("time", "60"),
        ]);
        assert_eq!(
            (
                p.custom_title.as_deref(),
                p.title_flag,
                p.top_bar,
                p.history_minutes
            ),
            (Some("我的店铺"), 2, Some(false), Some(60))
        );
        let long = "x".repeat(31);
        let (p, _) = parse(&[
            ("custom_title", long.as_str()),
            ("time", "5"),
            ("top_bar_flag", "maybe"),
        ]);
        assert_eq!(
            (p.custom_title, p.history_minutes, p.top_bar),
            (None, None, None)
        );
        assert_eq!(parse(&[("time", "2881")]).0.history_minutes, None);

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
    fn the_query_goes_to_hello_for_the_reception_keys() {
        let (p, _) = parse(&[
            ("sysnum", "3542411be2184c8cb6b48d66ca1b2730"),
            ("type", "3"),
        ]);
        assert_eq!(
            p.query.as_deref(),
            Some("sysnum=3542411be2184c8cb6b48d66ca1b2730&type=3")
        );
        let r = shared::reception::Reception::from_query(p.query.as_deref().unwrap()).unwrap();
        assert_eq!(r.mode(), Some(shared::reception::Mode::RobotFirst));
        assert_eq!(parse(&[]).0.query, None);
    }
}

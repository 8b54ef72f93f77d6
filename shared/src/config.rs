//! Values of the widget configuration (seed 003's `zc("config", …)` table) that more than
//! one crate interprets. They arrive the way the seed shows them — numbers as strings,
//! booleans as `true`/`"1"`/`1` — so each parser accepts all of those forms and returns
//! `None` for nonsense (the caller warns once and keeps the default).

/// Theme colour used when the site passes none (or nonsense): six lowercase hex digits.
pub const DEFAULT_COLOR: &str = "1e6fd9";

/// `locale`: `cn` (default), `en`, `tw`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Locale {
    #[default]
    Cn,
    En,
    Tw,
}

impl Locale {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cn" | "zh" | "zh-cn" => Some(Locale::Cn),
            "en" => Some(Locale::En),
            "tw" | "zh-tw" => Some(Locale::Tw),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Cn => "cn",
            Locale::En => "en",
            Locale::Tw => "tw",
        }
    }
}

/// `color`: six hex digits without `#` (a leading `#` is tolerated). Returns lowercase hex.
pub fn parse_color(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches('#');
    (s.len() == 6 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

/// `location`: 1 bottom-right (default), 2 bottom-left.
pub fn parse_location(s: &str) -> Option<u8> {
    match s.trim() {
        "1" => Some(1),
        "2" => Some(2),
        _ => None,
    }
}

/// Seed booleans: `true`/`false`, `1`/`0`, `"true"`/`"false"`, `"1"`/`"0"`.
pub fn parse_flag(s: &str) -> Option<bool> {
    match s.trim() {
        "1" | "true" => Some(true),
        "0" | "false" | "" => Some(false),
        _ => None,
    }
}

/// Whether a visitor- or site-supplied URL may become a link: only absolute `http:`/`https:`
/// URLs (case-insensitive scheme, non-empty rest, no whitespace or control characters).
/// Everything else (`javascript:`, `data:`, relative paths) is shown as text.
pub fn is_http_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return false;
    };
    !rest.is_empty() && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_values_parse() {
        assert_eq!(parse_color("04babc").as_deref(), Some("04babc"));
        assert_eq!(parse_color("#04BABC").as_deref(), Some("04babc"));
        assert_eq!(parse_color("red"), None);
        assert_eq!(parse_color("04babc;x"), None);
        assert_eq!(parse_location("2"), Some(2));
        assert_eq!(parse_location("3"), None);
        assert_eq!(Locale::parse("en"), Some(Locale::En));
        assert_eq!(Locale::parse("fr"), None);
        assert_eq!(parse_flag("true"), Some(true));
        assert_eq!(parse_flag("maybe"), None);
    }

    #[test]
    fn only_http_urls_become_links() {
        assert!(is_http_url("https://img.sobot.com/a.png"));
        assert!(is_http_url("HTTP://example.com"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("data:text/html,x"));
        assert!(!is_http_url("//example.com"));
        assert!(!is_http_url("http://a b"));
        assert!(!is_http_url("httpé"));
        assert_eq!(parse_color(DEFAULT_COLOR).as_deref(), Some(DEFAULT_COLOR));
    }
}

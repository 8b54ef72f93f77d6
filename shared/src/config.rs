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

/// The WCAG 2.1 relative luminance of a colour from [`parse_color`] (six hex digits), 0 to 1.
/// Without `powf` (the launcher's bundle would carry a `pow` for it): each channel's
/// `x^2.4` is `x^2 * x^0.4` with `x^0.4` a product of square roots (exponent
/// 0.3994…), off by under 0.1 %.
pub fn luminance(hex: &str) -> f64 {
    // Hex digits by hand: `u8::from_str_radix` would bring integer parsing and its error
    // type into the launcher's bundle (about 400 bytes).
    let b = hex.as_bytes();
    let digit = |i: usize| match b.get(i) {
        Some(&d @ b'0'..=b'9') => d - b'0',
        Some(&d @ b'a'..=b'f') => d - b'a' + 10,
        Some(&d @ b'A'..=b'F') => d - b'A' + 10,
        _ => 0,
    };
    let channel = |i: usize| {
        let c = f64::from(digit(i) * 16 + digit(i + 1)) / 255.0;
        if c <= 0.04045 {
            return c / 12.92;
        }
        let v = (c + 0.055) / 1.055;
        // v^0.4 ≈ v^(1/4 + 1/8 + 1/64 + 1/128 + 1/1024).
        let (mut s, mut p) = (v, 1.0);
        for k in 1..=10 {
            s = s.sqrt();
            if matches!(k, 2 | 3 | 6 | 7 | 10) {
                p *= s;
            }
        }
        v * v * p
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

/// The text colour for the brand colour `hex` as a background: black or white, whichever
/// contrasts more. That one always reaches 4.58:1 (the worst case is a luminance of
/// √(1.05 · 0.05) − 0.05 ≈ 0.179, where both give 4.58:1), so text on any `color` a page
/// sets keeps WCAG AA's 4.5:1.
pub fn ink_on(hex: &str) -> &'static str {
    if luminance(hex) > 0.179_13 {
        "000000"
    } else {
        "ffffff"
    }
}

/// The brand colour `hex` for text and focus rings on white: itself while it keeps 4.5:1
/// against white (luminance ≤ 0.183), else a near-black, so a pale brand colour never
/// makes a label unreadable or hides the focus.
pub fn on_white(hex: &str) -> &str {
    if luminance(hex) <= 0.183 {
        hex
    } else {
        "1f2328"
    }
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

    /// WCAG's contrast ratio of two luminances.
    fn ratio(a: f64, b: f64) -> f64 {
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// The luminance exactly as WCAG defines it (with `powf`).
    fn exact(hex: &str) -> f64 {
        let ch = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * ch(0) + 0.7152 * ch(2) + 0.0722 * ch(4)
    }

    #[test]
    fn text_on_any_brand_colour_keeps_4_5_to_1() {
        let mut worst = f64::MAX;
        for r in (0..=255).step_by(3) {
            for g in (0..=255).step_by(3) {
                for b in (0..=255).step_by(5) {
                    let hex = format!("{r:02x}{g:02x}{b:02x}");
                    let l = exact(&hex);
                    assert!((luminance(&hex) - l).abs() < 1e-3, "{hex}");
                    let ink = if ink_on(&hex) == "000000" { 0.0 } else { 1.0 };
                    worst = worst.min(ratio(l, ink));
                }
            }
        }
        assert!(worst >= 4.5, "worst contrast {worst}");
        assert_eq!(ink_on("ffeb3b"), "000000", "yellow gets black text");
        assert_eq!(ink_on(DEFAULT_COLOR), "ffffff");
        assert_eq!(
            ink_on("04babc"),
            "000000",
            "the seed's teal is too light for white"
        );
        assert_eq!(on_white("ffeb3b"), "1f2328");
        assert_eq!(on_white(DEFAULT_COLOR), DEFAULT_COLOR);
        for hex in ["1e6fd9", "04babc", "ffeb3b", "767676", "777777"] {
            assert!(ratio(exact(on_white(hex)), 1.0) >= 4.5, "{hex} on white");
        }
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

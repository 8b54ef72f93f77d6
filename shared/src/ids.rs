//! Identifiers that can only be constructed valid. A `Sysnum` is 32 lowercase hex digits
//! (the site key in the loader snippet); a `ClientMsgId` is what a client names one message
//! with so that a retry is recognised; a `Seq` is a position in one conversation.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId(pub &'static str);

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for InvalidId {}

/// A site's public key: 32 lowercase hex characters, as in seed 003's `sysnum=…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Sysnum(String);

impl Sysnum {
    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        if s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidId("sysnum must be 32 lowercase hex characters"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The one reading of a page's `sysnum` from a raw query string (`a=1&sysnum=…`, with or
    /// without the leading `?`), used by the server (which site's `frame-ancestors` to send)
    /// and by the chat page (which site to connect to), so the two can never disagree.
    /// Names and values are form-decoded (`+`, `%XX`) as browsers do; the parameter must
    /// occur exactly once and its value must be a valid sysnum as is: duplicates, padding
    /// (`%20…`) and case changes are refused, never trimmed or picked from.
    pub fn from_query(query: &str) -> Result<Self, InvalidId> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut found = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if form_decode(k) != "sysnum" {
                continue;
            }
            if found.is_some() {
                return Err(InvalidId("sysnum must be given exactly once"));
            }
            found = Some(form_decode(v));
        }
        match found {
            Some(v) => Sysnum::parse(&v),
            None => Err(InvalidId("sysnum is missing")),
        }
    }
}

/// `application/x-www-form-urlencoded` decoding of one name or value: `+` is a space, `%XX`
/// a byte; a `%` not followed by two hex digits stays as it is (as in `URLSearchParams`).
pub fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl fmt::Display for Sysnum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Sysnum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Sysnum::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A client-chosen message id: 1–64 characters of `[A-Za-z0-9_-]`. Unique per conversation;
/// sending the same id again returns the original ack instead of storing a second copy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ClientMsgId(String);

impl ClientMsgId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        if !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidId("cmid must be 1-64 characters of A-Z a-z 0-9 _ -"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientMsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ClientMsgId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ClientMsgId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Position of a message inside one conversation, starting at 1. `Seq(0)` means "nothing yet"
/// and is what a fresh client resumes from.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Seq(pub u64);

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysnum_accepts_only_32_lower_hex() {
        assert!(Sysnum::parse("3542411be2184c8cb6b48d66ca1b2730").is_ok());
        assert!(Sysnum::parse("3542411BE2184C8CB6B48D66CA1B2730").is_err());
        assert!(Sysnum::parse("3542411be2184c8cb6b48d66ca1b273").is_err());
        assert!(Sysnum::parse("zz42411be2184c8cb6b48d66ca1b2730").is_err());
        assert!(serde_json::from_str::<Sysnum>("\"<script>\"").is_err());
    }

    #[test]
    fn sysnum_from_query_refuses_duplicates_and_padding() {
        let s = "3542411be2184c8cb6b48d66ca1b2730";
        assert_eq!(
            Sysnum::from_query(&format!("?sysnum={s}"))
                .unwrap()
                .as_str(),
            s
        );
        assert_eq!(
            Sysnum::from_query(&format!("embed=1&sysnum={s}&color=ff0000"))
                .unwrap()
                .as_str(),
            s
        );
        assert_eq!(
            Sysnum::from_query(&format!("sys%6Eum={s}"))
                .unwrap()
                .as_str(),
            s
        );
        assert!(Sysnum::from_query(&format!("sysnum={s}&sysnum=x")).is_err());
        assert!(Sysnum::from_query(&format!("sysnum=x&sysnum={s}")).is_err());
        assert!(Sysnum::from_query(&format!("sysnum={s}&sys%6Eum={s}")).is_err());
        assert!(Sysnum::from_query(&format!("sysnum=%20{s}")).is_err());
        assert!(Sysnum::from_query(&format!("sysnum=+{s}")).is_err());
        assert!(Sysnum::from_query(&format!("sysnum={s}%0A")).is_err());
        assert!(Sysnum::from_query("").is_err());
        assert!(Sysnum::from_query("sysnum").is_err());
        assert!(Sysnum::from_query("sysnum=%zz%").is_err());
        assert_eq!(form_decode("a%20b+c%2"), "a b c%2");
        assert_eq!(form_decode("%e6%8a%a5"), "报");
    }

    #[test]
    fn cmid_rejects_empty_long_and_odd_characters() {
        assert!(ClientMsgId::parse("a1-_Z").is_ok());
        assert!(ClientMsgId::parse("").is_err());
        assert!(ClientMsgId::parse(&"a".repeat(65)).is_err());
        assert!(ClientMsgId::parse("a b").is_err());
        assert!(ClientMsgId::parse("é").is_err());
    }
}

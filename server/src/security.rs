//! Secrets and checks: agent passwords (argon2id), the seed 003 security check
//! (`sign = MD5(sysnum + key + partnerid)`, and HMAC-SHA256 as the recommended scheme),
//! all compared in constant time.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Hashes a password as an argon2id PHC string.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// True when `password` matches the stored PHC hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A site's security-check scheme (`frontdesk admin site set --sign-check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignCheck {
    Off,
    /// seed 003: `sign = md5(sysnum + sign_key + partnerid)`, lowercase hex.
    Md5,
    /// `sign = hex(hmac_sha256(key = sign_key, sysnum + partnerid))`, lowercase hex.
    Hmac,
}

impl SignCheck {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "off" => Some(SignCheck::Off),
            "md5" => Some(SignCheck::Md5),
            "hmac" => Some(SignCheck::Hmac),
            _ => None,
        }
    }

    /// The expected signature for `partnerid`, or `None` when the check is off.
    pub fn expected(self, sysnum: &str, sign_key: &str, partnerid: &str) -> Option<String> {
        match self {
            SignCheck::Off => None,
            SignCheck::Md5 => {
                let mut h = Md5::new();
                h.update(sysnum.as_bytes());
                h.update(sign_key.as_bytes());
                h.update(partnerid.as_bytes());
                Some(hex::encode(h.finalize()))
            }
            SignCheck::Hmac => {
                let mut m = Hmac::<Sha256>::new_from_slice(sign_key.as_bytes())
                    .expect("HMAC takes keys of any length");
                m.update(sysnum.as_bytes());
                m.update(partnerid.as_bytes());
                Some(hex::encode(m.finalize().into_bytes()))
            }
        }
    }

    /// Verifies `sign` in constant time (case-insensitive hex).
    pub fn verify(self, sysnum: &str, sign_key: &str, partnerid: &str, sign: &str) -> bool {
        match self.expected(sysnum, sign_key, partnerid) {
            None => true,
            Some(exp) => {
                let got = sign.trim().to_ascii_lowercase();
                got.len() == exp.len() && bool::from(got.as_bytes().ct_eq(exp.as_bytes()))
            }
        }
    }
}

/// A pending visitor's token: what an anonymous visitor gets at `hello` before any row
/// exists (the row is created with their first message). 64 hex characters like a stored
/// token: 16 random bytes and the first 16 bytes of HMAC-SHA256(`key`, site id and those
/// bytes), so the
/// server can later recognise a token it minted for this site without having stored it.
pub fn pending_token(key: &str, site_id: i64) -> String {
    let random = crate::db::random_hex(16);
    let mac = pending_mac(key, site_id, &random);
    random + &mac
}

/// Whether `token` is a pending token minted with `key` for site `site_id` (constant-time
/// comparison). A token minted for another site is not: that site gets a fresh one.
pub fn is_pending_token(key: &str, site_id: i64, token: &str) -> bool {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let (random, mac) = token.split_at(32);
    let want = pending_mac(key, site_id, random);
    subtle::ConstantTimeEq::ct_eq(want.as_bytes(), mac.as_bytes()).into()
}

/// A device cookie for `account` (lowercased): what a browser that logged in to the account
/// keeps, so that it may still try when the account's failure budget is spent (issue 22:
/// strangers' failures must not lock the owner out). 16 random bytes and the first 16 bytes
/// of HMAC-SHA256(`key`, account and those bytes), as hex; nothing is stored.
pub fn device_cookie(key: &str, account: &str) -> String {
    let random = crate::db::random_hex(16);
    let mac = device_mac(key, account, &random);
    random + &mac
}

/// Whether `cookie` is a device cookie [`device_cookie`] made for `account` (constant time).
pub fn is_device_cookie(key: &str, account: &str, cookie: &str) -> bool {
    if cookie.len() != 64 || !cookie.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let (random, mac) = cookie.split_at(32);
    let want = device_mac(key, account, random);
    subtle::ConstantTimeEq::ct_eq(want.as_bytes(), mac.as_bytes()).into()
}

fn device_mac(key: &str, account: &str, random: &str) -> String {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key size");
    m.update(b"frontdesk agent device:");
    m.update(account.as_bytes());
    m.update(b"\0");
    m.update(random.as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

/// The key that seals visitor `token`'s unsent messages in the host page (`crate::boxkey`):
/// HMAC-SHA256(`secret`, a label, site id, token) as 64 hex digits, an AES-256 key.
pub fn box_key(secret: &str, site_id: i64, token: &str) -> String {
    use hmac::Mac;
    let mut m =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key size");
    m.update(b"frontdesk outbox key:");
    m.update(&site_id.to_be_bytes());
    m.update(token.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

fn pending_mac(key: &str, site_id: i64, random: &str) -> String {
    use hmac::Mac;
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key size");
    m.update(b"frontdesk pending visitor:");
    m.update(&site_id.to_be_bytes());
    m.update(random.as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

/// Browsers send `Origin` on every WebSocket. Only the chat page itself — served by this
/// server — may open a visitor socket: the origin must be this request's own host, or the
/// public URL. Scripts on a customer page (another origin) are refused even if they hold a
/// visitor token. Non-browser clients send no `Origin` and are allowed.
pub fn same_origin(state: &crate::AppState, headers: &axum::http::HeaderMap) -> bool {
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == state.config.public_url {
        return true;
    }
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// The token of the request's `Authorization: Bearer <token>` header, trimmed.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_seed_formula() {
        // md5("abc" + "key" + "u1") computed independently: md5("abckeyu1").
        let exp = hex::encode(Md5::digest(b"abckeyu1"));
        assert_eq!(SignCheck::Md5.expected("abc", "key", "u1").unwrap(), exp);
        assert!(SignCheck::Md5.verify("abc", "key", "u1", &exp.to_uppercase()));
        assert!(!SignCheck::Md5.verify("abc", "key", "u2", &exp));
        assert!(!SignCheck::Hmac.verify("abc", "key", "u1", &exp));
        assert!(SignCheck::Off.verify("abc", "key", "u1", ""));
    }

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("nope", &h));
        assert!(!verify_password("s3cret", "garbage"));
    }

    #[test]
    fn box_keys_differ_per_secret_site_and_token() {
        let k = box_key("s", 1, "t");
        assert_eq!(k.len(), 64);
        assert_eq!(k, box_key("s", 1, "t"));
        assert_ne!(k, box_key("s2", 1, "t"));
        assert_ne!(k, box_key("s", 2, "t"));
        assert_ne!(k, box_key("s", 1, "u"));
        assert_ne!(k, pending_mac("s", 1, "t"));
    }

    #[test]
    fn pending_tokens_are_recognised_only_with_their_key() {
        let t = pending_token("key-a", 1);
        assert_eq!(t.len(), 64);
        assert!(is_pending_token("key-a", 1, &t));
        assert!(!is_pending_token("key-b", 1, &t), "another server's key");
        assert!(!is_pending_token("key-a", 2, &t), "another site");
        let mut forged = t.clone();
        forged.replace_range(0..1, if t.starts_with('0') { "1" } else { "0" });
        assert!(
            !is_pending_token("key-a", 1, &forged),
            "changed random part"
        );
        assert!(
            !is_pending_token("key-a", 1, &crate::db::random_hex(32)),
            "a stored-style token"
        );
        assert!(!is_pending_token("key-a", 1, "short"));
    }
}

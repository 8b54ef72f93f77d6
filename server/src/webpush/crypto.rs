//! The two standards a web push needs, on `ring` (already in the build for TLS, so no new
//! crate and no system library):
//!
//! - RFC 8292 VAPID: the server's P-256 key pair ([`Vapid`], kept as PKCS#8) signs a JWT
//!   (ES256) with `aud` = the push endpoint's origin, `exp` = 12 hours ahead (the RFC's
//!   maximum is 24) and `sub` = a contact URL; the request carries
//!   `Authorization: vapid t=<JWT>, k=<public key>`.
//! - RFC 8291 message encryption (`Content-Encoding: aes128gcm`, RFC 8188): a fresh P-256
//!   key pair and salt per message, ECDH with the browser's `p256dh`, HKDF-SHA-256 with its
//!   `auth` secret, one AES-128-GCM record. [`seal`] is the deterministic part (from the ECDH
//!   secret on), checked against RFC 8291 Appendix A; [`encrypt`] adds the random key and salt.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, ECDH_P256};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use sha2::Sha256;

/// The record size announced in the header (one record: a push payload is < 4 KiB).
const RECORD_SIZE: u32 = 4096;

/// `base64url` without padding, as every web push field is written.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded (or padded) base64url.
pub fn unb64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// Whether `key` is an uncompressed P-256 public key (a point on the curve).
pub fn valid_p256_public(key: &[u8]) -> bool {
    if key.len() != 65 || key[0] != 4 {
        return false;
    }
    let rng = SystemRandom::new();
    let Ok(mine) = EphemeralPrivateKey::generate(&ECDH_P256, &rng) else {
        return false;
    };
    agreement::agree_ephemeral(mine, &UnparsedPublicKey::new(&ECDH_P256, key), |_| ()).is_ok()
}

/// The server's VAPID key pair.
pub struct Vapid {
    pair: EcdsaKeyPair,
    /// The public key, unpadded base64url (what browsers and push services are given).
    pub public: String,
}

impl Vapid {
    /// A new key pair as PKCS#8 (base64url), to store.
    pub fn generate() -> String {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("the system's random source works");
        b64(doc.as_ref())
    }

    /// The key pair stored as `pkcs8` (base64url).
    pub fn from_pkcs8(pkcs8: &str) -> Option<Vapid> {
        let der = unb64(pkcs8)?;
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &SystemRandom::new())
                .ok()?;
        let public = b64(pair.public_key().as_ref());
        Some(Vapid { pair, public })
    }

    /// The `Authorization` header for a push to `endpoint`'s origin, valid from `now_s`
    /// (unix seconds) for 12 hours, naming `subject` (a `mailto:` or `https:` URL).
    pub fn authorization(&self, origin: &str, subject: &str, now_s: i64) -> String {
        let header = b64(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({ "aud": origin, "exp": now_s + 12 * 3600, "sub": subject });
        let signing_input = format!("{header}.{}", b64(claims.to_string().as_bytes()));
        let sig = self
            .pair
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .expect("signing with a valid key");
        format!(
            "vapid t={signing_input}.{}, k={}",
            b64(sig.as_ref()),
            self.public
        )
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// The aes128gcm body for `plaintext`, from the ECDH secret on (RFC 8291 §3.3–3.4): the
/// header (`salt`, record size, `as_public`) and one record, `plaintext` + the last-record
/// delimiter `0x02`, sealed with the content key and nonce derived from `ecdh_secret`, the
/// browser's `auth` secret and both public keys.
pub fn seal(
    ecdh_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    auth: &[u8],
    salt: &[u8; 16],
    plaintext: &[u8],
) -> Vec<u8> {
    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
    // HKDF-SHA-256 with one block of output each time (all lengths here are ≤ 32).
    let prk_key = hmac(auth, &[ecdh_secret]);
    let ikm = hmac(&prk_key, &[b"WebPush: info\0", ua_public, as_public, &[1]]);
    let prk = hmac(salt, &[&ikm]);
    let cek = hmac(&prk, &[b"Content-Encoding: aes128gcm\0", &[1]]);
    let nonce = hmac(&prk, &[b"Content-Encoding: nonce\0", &[1]]);
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek[..16]).expect("16 bytes"));
    let nonce = Nonce::try_assume_unique_for_key(&nonce[..12]).expect("12 bytes");
    let mut record = Vec::with_capacity(plaintext.len() + 17);
    record.extend_from_slice(plaintext);
    record.push(2);
    key.seal_in_place_append_tag(nonce, Aad::empty(), &mut record)
        .expect("a record this small seals");
    let mut body = Vec::with_capacity(86 + record.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(as_public.len() as u8);
    body.extend_from_slice(as_public);
    body.extend_from_slice(&record);
    body
}

/// Encrypts `plaintext` for a subscription's `p256dh` key and `auth` secret: a fresh
/// sender key pair and salt, then [`seal`]. `None` when the key is not a P-256 point.
pub fn encrypt(p256dh: &[u8], auth: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
    let rng = SystemRandom::new();
    let mine = EphemeralPrivateKey::generate(&ECDH_P256, &rng).ok()?;
    let as_public = mine.compute_public_key().ok()?.as_ref().to_vec();
    let mut salt = [0u8; 16];
    rng.fill(&mut salt).ok()?;
    agreement::agree_ephemeral(
        mine,
        &UnparsedPublicKey::new(&ECDH_P256, p256dh),
        |secret| seal(secret, p256dh, &as_public, auth, &salt, plaintext),
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey as VerifyKey, ECDSA_P256_SHA256_FIXED};

    fn d(s: &str) -> Vec<u8> {
        unb64(s).unwrap()
    }

    /// RFC 8291 Appendix A: from the published ECDH secret, the published body byte for
    /// byte (the key pairs are fixed there; ring cannot import a fixed ECDH private key, so
    /// the agreement itself is the library's).
    #[test]
    fn seal_gives_rfc_8291_appendix_a() {
        let salt: [u8; 16] = d("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let body = seal(
            &d("kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs"),
            &d("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"),
            &d("BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"),
            &d("BTBZMqHH6r4Tts7J_aSIgg"),
            &salt,
            b"When I grow up, I want to be a watermelon",
        );
        assert_eq!(
            b64(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn encrypt_uses_a_fresh_key_and_salt_and_checks_the_point() {
        let ua_public = d("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4");
        let auth = d("BTBZMqHH6r4Tts7J_aSIgg");
        let a = encrypt(&ua_public, &auth, b"hi").unwrap();
        let b = encrypt(&ua_public, &auth, b"hi").unwrap();
        assert_eq!(a.len(), 86 + 2 + 1 + 16);
        assert_ne!(a[..16], b[..16], "salt");
        assert_ne!(a[21..86], b[21..86], "sender key");
        assert!(valid_p256_public(&ua_public));
        let mut off_curve = ua_public.clone();
        off_curve[40] ^= 1;
        assert!(!valid_p256_public(&off_curve));
        assert!(encrypt(&off_curve, &auth, b"hi").is_none());
        assert!(!valid_p256_public(&ua_public[..64]));
    }

    #[test]
    fn vapid_jwt_verifies_with_the_published_key() {
        let v = Vapid::from_pkcs8(&Vapid::generate()).unwrap();
        let h = v.authorization("https://push.example.net", "mailto:ops@example.com", 1000);
        let (t, k) = h
            .strip_prefix("vapid t=")
            .unwrap()
            .split_once(", k=")
            .unwrap();
        assert_eq!(k, v.public);
        let (input, sig) = t.rsplit_once('.').unwrap();
        VerifyKey::new(&ECDSA_P256_SHA256_FIXED, d(k))
            .verify(input.as_bytes(), &d(sig))
            .expect("ES256 signature over header.claims");
        let claims: serde_json::Value =
            serde_json::from_slice(&d(input.split_once('.').unwrap().1)).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1000 + 12 * 3600);
        assert_eq!(claims["sub"], "mailto:ops@example.com");
    }
}

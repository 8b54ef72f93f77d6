//! Web push to an agent's phone or desktop (issue 27 item 6): the console, installed as a
//! PWA, subscribes its browser's push service and the server sends a notification when a new
//! chat reaches the agent while no console of theirs is connected.
//!
//! - `GET /api/agent/push/key` (`Authorization: Bearer <console token>`) → [`VapidKey`]: the
//!   server's VAPID public key, the `applicationServerKey` of `pushManager.subscribe`.
//! - `POST /api/agent/push/subscription` [`Subscription`] → [`Subscribed`]: stores (or
//!   renews) this browser's subscription for the agent; an agent keeps at most
//!   [`MAX_SUBSCRIPTIONS`], the oldest is replaced.
//! - `DELETE /api/agent/push/subscription` [`Unsubscribe`] → 204: forgets it.
//!
//! Errors are `{error, message}`: 400 `bad_request` (not this JSON), 400 `invalid` (an
//! endpoint that is not `https://` — `http://` only on a server started with
//! `--webpush-allow-private` —, longer than [`MAX_ENDPOINT_CHARS`], or keys that are not a
//! P-256 point and a 16-byte secret in unpadded base64url), 401 `invalid_credentials`.
//!
//! What the service worker receives ([`Notice`]) is JSON encrypted per RFC 8291 (aes128gcm)
//! for the subscription's keys.

use serde::{Deserialize, Serialize};

/// Subscriptions one agent keeps (phones, tablets, desktops); a new one replaces the oldest.
pub const MAX_SUBSCRIPTIONS: usize = 5;
/// Longest push endpoint URL, in characters.
pub const MAX_ENDPOINT_CHARS: usize = 1024;

/// `GET /api/agent/push/key`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VapidKey {
    /// The uncompressed P-256 public key (65 bytes), unpadded base64url.
    pub key: String,
}

/// A browser's `PushSubscription.toJSON()` keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key (65 bytes), unpadded base64url.
    pub p256dh: String,
    /// The 16-byte authentication secret, unpadded base64url.
    pub auth: String,
}

/// `POST /api/agent/push/subscription`'s body: `PushSubscription.toJSON()` minus
/// `expirationTime` (ignored when sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub endpoint: String,
    pub keys: SubscriptionKeys,
}

/// The answer to a subscription: how many the agent has now (at most [`MAX_SUBSCRIPTIONS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscribed {
    pub subscriptions: u32,
}

/// `DELETE /api/agent/push/subscription`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsubscribe {
    pub endpoint: String,
}

/// The decrypted payload of a push: what the service worker shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The notification's title: who wrote (the visitor's name as agents see it).
    pub title: String,
    /// Its body: the start of the visitor's first message (at most [`NOTICE_BODY_CHARS`]).
    pub body: String,
    /// The visitor's `gid`: the notification's tag (a second push for the same chat replaces
    /// the first) and the chat a tap opens (`/console/#chat=<gid>`).
    pub gid: String,
}

/// Longest [`Notice::body`], in characters (a push payload must stay under 4 KiB).
pub const NOTICE_BODY_CHARS: usize = 140;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_reads_what_browsers_send() {
        // PushSubscription.toJSON() as Chromium gives it (with expirationTime).
        let s: Subscription = serde_json::from_str(
            r#"{"endpoint":"https://fcm.googleapis.com/fcm/send/x","expirationTime":null,
                "keys":{"p256dh":"BCVx","auth":"BTBZ"}}"#,
        )
        .unwrap();
        assert_eq!(s.endpoint, "https://fcm.googleapis.com/fcm/send/x");
        assert_eq!(s.keys.auth, "BTBZ");
        let back: Subscription = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        let n = Notice {
            title: "Ann".into(),
            body: "hello".into(),
            gid: "7".into(),
        };
        let v: serde_json::Value = serde_json::to_value(&n).unwrap();
        assert_eq!(v["gid"], "7");
        assert_eq!(serde_json::from_value::<Notice>(v).unwrap(), n);
    }
}

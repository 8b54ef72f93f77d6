//! Rating a chat (seed 003 `feedback_flag`, `show_evaluate`, `satDegree_A`): 1–5 stars with
//! optional tags and a comment, one rating per chat (changeable until the next chat: a chat
//! runs from the agent's first message after the last end of a chat to its end).
//!
//! - `POST /api/visitor/rating` [`RateRequest`] (the chat's own origin, the visitor's token)
//!   → [`Rated`], or `{error, message}`: 400 `bad_request` / `invalid` (a score outside 1–5,
//!   a comment over [`MAX_COMMENT_CHARS`], more than [`MAX_TAGS`] tags), 403 `forbidden`
//!   (not from the chat's origin, or no visitor for the token), 409 `not_served` (no agent
//!   has answered this visitor yet), 429 `rate_limited`.
//! - `frontdesk admin ratings --site S [--since YYYY-MM-DD] [--json]` → [`Rating`]s.

use serde::{Deserialize, Serialize};

/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;
/// Most tags a rating may carry, each ≤ [`MAX_TAG_CHARS`].
pub const MAX_TAGS: usize = 8;
pub const MAX_TAG_CHARS: usize = 20;

/// What the chat page sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateRequest {
    pub sysnum: String,
    pub token: String,
    /// 1–5.
    pub score: u8,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
}

/// The answer: the rating as stored (`changed`: it replaced this chat's earlier one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rated {
    pub score: u8,
    pub changed: bool,
}

/// A rating as operators list it (SPEC §2: `{gid, visitor, agent, score, comment, at}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// The visitor's id (seed 001 `gid`).
    pub gid: String,
    /// Their name or partnerid as the site gave it (may be empty).
    pub visitor: String,
    /// The rated agent's account.
    pub agent: String,
    pub score: u8,
    pub comment: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Unix milliseconds of the last change.
    pub at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shapes_round_trip() {
        let r = RateRequest {
            sysnum: "a".repeat(32),
            token: "t".into(),
            score: 5,
            tags: vec!["快".into()],
            comment: "很好".into(),
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<RateRequest>(&json).unwrap(), r);
        let l = Rating {
            gid: "1".into(),
            visitor: "".into(),
            agent: "kf@x".into(),
            score: 4,
            comment: "".into(),
            tags: vec![],
            at: 1,
        };
        let json = serde_json::to_string(&l).unwrap();
        assert_eq!(serde_json::from_str::<Rating>(&json).unwrap(), l);
    }
}

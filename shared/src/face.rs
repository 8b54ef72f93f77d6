//! Avatars in the visitor's chat (seed 003 `show_face`: "1: show the agents' avatars; with
//! `face` set too, the visitor's"). The agents' avatars are the ones operators set
//! (`frontdesk admin agent set --avatar URL`, seed 002's `kf_headimgurl`); the chat page
//! asks for those of the agents who wrote in its conversation, by the nick its messages show.
//!
//! - `POST /api/visitor/faces` [`FacesRequest`] (the chat's own origin, the visitor's token)
//!   → [`Faces`], or `{error, message}`: 400 `bad_request`, 403 `forbidden` (not from the
//!   chat's origin, or no visitor of the site holds the token), 429 `rate_limited`. A visitor
//!   who has not written yet (a pending token) gets an empty list.

use serde::{Deserialize, Serialize};

/// What the chat page sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacesRequest {
    pub sysnum: String,
    pub token: String,
}

/// One agent who wrote in the conversation and has an avatar: its nick (as on the messages)
/// and the avatar's http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Face {
    pub nick: String,
    pub avatar: String,
}

/// The answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faces {
    pub faces: Vec<Face>,
}

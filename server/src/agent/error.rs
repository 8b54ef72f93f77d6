//! The agent socket's one error type: every handler returns `Result<AgentFrame, AgentError>`
//! and the dispatcher (`agent::handle`) turns an error into the seed 001 envelope for the
//! request's `api_key`.

use std::borrow::Cow;

use shared::agent::code;

use crate::conversation::Refused;
use crate::db::DbError;

/// Why a request got no success envelope.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The request was refused: `{code, message}` as seed 001 lists them (`-32303` no such
    /// visitor, `-32304` not your visitor, `…_MISSING` for an absent field, …).
    #[error("{message} ({code})")]
    Refused {
        code: i64,
        message: Cow<'static, str>,
    },
    /// Storage failed: logged, and the client gets `INTERNAL` "server error" (never the
    /// cause).
    #[error(transparent)]
    Db(#[from] DbError),
}

pub type AgentResult<T> = Result<T, AgentError>;

impl AgentError {
    pub fn refused(code: i64, message: impl Into<Cow<'static, str>>) -> AgentError {
        AgentError::Refused {
            code,
            message: message.into(),
        }
    }

    /// A required `gid` is absent or `0` (each request has its own code for it).
    pub fn gid_missing(code: i64) -> AgentError {
        AgentError::refused(code, "gid not null")
    }

    /// `-32303`: no visitor by that `gid` that this agent may see.
    pub fn no_such_visitor() -> AgentError {
        AgentError::refused(code::GID_NOT_FOUND, "no such visitor")
    }

    /// `-32304`: another agent serves the visitor.
    pub fn not_yours() -> AgentError {
        AgentError::refused(code::NOT_YOUR_VISITOR, "another agent serves this visitor")
    }

    /// `-32304`: the request needs the agent to serve the visitor, and it does not.
    pub fn not_serving() -> AgentError {
        AgentError::refused(code::NOT_YOUR_VISITOR, "you do not serve this visitor")
    }
}

impl From<Refused> for AgentError {
    fn from(r: Refused) -> AgentError {
        match r {
            Refused::NoSuchVisitor => AgentError::no_such_visitor(),
            Refused::NotYours => AgentError::not_yours(),
        }
    }
}

//! The visitor's frames after the hello: `send` (validated, limited, stored, acked after the
//! commit, then `crate::conversation::committed`), typing and hand-over.

use axum::extract::ws::Message;
use futures_util::Sink;
use shared::ids::Seq;
use shared::visitor::{ClientFrame, ErrorCode, MsgKind, Send, ServerFrame};
use shared::MAX_BODY_CHARS;

use super::{bad_frame, internal, over_budget, Out};
use crate::conversation::{self, After};
use crate::db::{DbError, Visitor};
use crate::AppState;

pub(super) async fn on_text<T: Sink<Message> + Unpin>(
    state: &AppState,
    site_id: i64,
    visitor: Option<&Visitor>,
    reception: Option<&crate::reception::Ctx>,
    text: &str,
    sent_upto: &mut Seq,
    out: &mut Out<T>,
) -> bool {
    match serde_json::from_str::<ClientFrame>(text) {
        // A pending visitor's send is adopted before this (`live`); never `None` here.
        Ok(ClientFrame::Send(s)) => match visitor {
            Some(v) => on_send(state, site_id, v, reception, s, sent_upto, out).await,
            None => out.send(&internal(Some(s.cmid))).await,
        },
        Ok(ClientFrame::Ping) => out.send(&ServerFrame::Pong).await,
        // Typing before the first message has nobody to tell.
        Ok(ClientFrame::Typing { typing }) => {
            if let Some(v) = visitor {
                if let Err(e) = conversation::visitor_typing(state, v.id, typing).await {
                    tracing::warn!(error = %e, "typing notice failed");
                }
            }
            true
        }
        // "转人工": the tabs hear the outcome from the hub (`crate::reception::hand_over`).
        Ok(ClientFrame::Handover) => {
            if let (Some(ctx), Some(v)) = (reception, visitor) {
                if let Err(e) = conversation::hand_over(state, ctx, v).await {
                    tracing::error!(error = %e, "hand-over failed");
                    return out.send(&internal(None)).await;
                }
            }
            true
        }
        Ok(ClientFrame::Hello(_)) => {
            let e = ServerFrame::Error {
                code: ErrorCode::HelloFirst,
                message: "this session has already started".into(),
                cmid: None,
            };
            out.send(&e).await
        }
        Err(e) => out.send(&bad_frame(&e.to_string())).await,
    }
}

/// Checks a message body: text must have visible characters; media kinds (image, voice,
/// video, file) must be an http(s) URL; cards (product, order) a JSON object; every kind is
/// capped at 5000 characters and must be storable (no U+0000, `db::storable`).
pub fn validate_body(kind: MsgKind, body: &str) -> Result<(), &'static str> {
    if body.chars().count() > MAX_BODY_CHARS {
        return Err("body is longer than 5000 characters");
    }
    crate::db::storable(body)?;
    if body.trim().is_empty() {
        return Err(if kind == MsgKind::Text {
            "text is empty"
        } else {
            "body is empty"
        });
    }
    match kind {
        MsgKind::Text => Ok(()),
        MsgKind::Image | MsgKind::Voice | MsgKind::Video | MsgKind::File => {
            let url_like = (body.starts_with("https://") || body.starts_with("http://"))
                && !body.chars().any(|c| c.is_whitespace() || c.is_control());
            if url_like {
                Ok(())
            } else {
                Err("media messages must be an http(s) URL")
            }
        }
        MsgKind::Product | MsgKind::Order => {
            match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(body) {
                Ok(_) => Ok(()),
                Err(_) => Err("card messages must be a JSON object"),
            }
        }
    }
}

/// Whether the site blocks this visitor or the session's client now (issue 25, this node's
/// copy of the rules); when it does, the visitor is taken off every agent's list. A failure
/// to read the rules lets the message through (it is logged).
pub(super) async fn is_blocked(state: &AppState, site_id: i64, visitor: Option<i64>) -> bool {
    let client = super::CLIENT.try_with(|c| *c).ok();
    match crate::blocks::blocked(state, site_id, visitor, client).await {
        Ok(false) => false,
        Ok(true) => {
            if let Some(id) = visitor {
                if let Err(e) = conversation::blocked(state, site_id, id).await {
                    tracing::error!(error = %e, "releasing a blocked visitor failed");
                }
            }
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "blocks unavailable");
            false
        }
    }
}

/// The error frame refusing the `send` with `cmid`.
fn refused(
    code: ErrorCode,
    message: impl Into<String>,
    cmid: shared::ids::ClientMsgId,
) -> ServerFrame {
    ServerFrame::Error {
        code,
        message: message.into(),
        cmid: Some(cmid),
    }
}

async fn on_send<T: Sink<Message> + Unpin>(
    state: &AppState,
    site_id: i64,
    visitor: &Visitor,
    reception: Option<&crate::reception::Ctx>,
    s: Send,
    sent_upto: &mut Seq,
    out: &mut Out<T>,
) -> bool {
    if let Err(why) = validate_body(s.kind, &s.body) {
        return out.send(&refused(ErrorCode::Invalid, why, s.cmid)).await;
    }
    if is_blocked(state, site_id, Some(visitor.id)).await {
        out.send(&refused(ErrorCode::Blocked, crate::blocks::REFUSAL, s.cmid))
            .await;
        out.close(4000 + ErrorCode::Blocked as u16, "blocked").await;
        return false;
    }
    if !state.limits.visitor_msgs.check(&visitor.id) {
        return out
            .send(&refused(
                ErrorCode::RateLimited,
                "too many messages; retry shortly",
                s.cmid,
            ))
            .await;
    }
    if let Some(why) = over_budget(state, site_id, false) {
        return out
            .send(&refused(ErrorCode::RateLimited, why, s.cmid))
            .await;
    }
    // While the robot answers, the message is stored but not routed to agents (and the
    // waiting queue's bound does not apply: the visitor does not join it).
    let robot = match reception {
        Some(ctx) => crate::reception::robot_answers(state, ctx, visitor)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "reception state unavailable; people answer");
                false
            }),
        None => false,
    };
    let max_queue = i64::try_from(state.config.max_queue).unwrap_or(i64::MAX);
    let stored = if robot {
        (state.db)
            .insert_visitor_message(visitor.id, &s.cmid, s.kind, &s.body)
            .await
    } else {
        (state.db)
            .insert_visitor_message_bounded(visitor.id, &s.cmid, s.kind, &s.body, max_queue)
            .await
    };
    let stored = match stored {
        Ok(st) => st,
        Err(DbError::QueueFull) => {
            return out.send(&refused(ErrorCode::RateLimited, "all agents are busy and the waiting queue is full; your message will be retried", s.cmid)).await;
        }
        Err(DbError::Invalid(why)) => {
            return out.send(&refused(ErrorCode::Invalid, why, s.cmid)).await;
        }
        Err(e) => {
            tracing::error!(error = %e, "storing a visitor message failed");
            return out.send(&internal(Some(s.cmid))).await;
        }
    };
    let m = stored.message;
    let seq = Seq(m.seq as u64);
    let ack = ServerFrame::Ack {
        cmid: s.cmid,
        seq,
        ts: m.created_at,
    };
    // A new message's ack carries it to this tab (with the body the tab sent): when it is
    // the next one the tab is owed, the hub's copy is not sent to this tab again. If the
    // ack does not get through, the client retries with the same cmid; the message is
    // stored, so deliver it on.
    if out.send(&ack).await && !stored.duplicate && seq.0 == sent_upto.0 + 1 {
        *sent_upto = seq;
    }
    if stored.duplicate {
        return true;
    }
    let visitor_message = m.visitor_id;
    match reception {
        Some(ctx) if robot => {
            let (kind, body) = (m.kind, m.body.clone());
            conversation::committed(state, site_id, m, After::ToRobot).await;
            let answered = conversation::robot_reply(state, ctx, site_id, visitor, kind, &body);
            if let Err(e) = answered.await {
                tracing::error!(error = %e, visitor = visitor_message, "the robot's answer failed");
            }
        }
        _ => {
            let after = After::ToPeople {
                serving: stored.serving,
                reception,
            };
            conversation::committed(state, site_id, m, after).await;
        }
    }
    true
}

//! A live visitor session's state between events ([`Live`]): the opening (welcome, replay,
//! `synced`, queue position, reception frame), a pending visitor becoming a stored one
//! ([`Live::adopt`]), and what the hub tells the visitor's tabs.

use axum::extract::ws::Message;
use futures_util::Sink;
use shared::ids::Seq;
use shared::visitor::{ChatMessage, ServerFrame};
use tokio::sync::broadcast::error::RecvError;

use super::send::on_text;
use super::start::{Profile, Started};
use super::{bad_frame, internal, starts_conversation, Asked, Out, LINK, REPLAY_BATCH};
use crate::db::{token_hash, DbError, Visitor};
use crate::hub::VisitorEvent;
use crate::routing;
use crate::wire::chat_message;
use crate::AppState;

/// What a live visitor session holds between events.
pub(super) struct Live {
    pub(super) site_id: i64,
    /// `None` while pending (no message yet). Boxed: most idle tabs are pending.
    pub(super) visitor: Option<Box<Visitor>>,
    pub(super) token: String,
    pub(super) profile: Profile,
    pub(super) reception: Option<Box<crate::reception::Ctx>>,
    /// The visitor's hub subscription (once they have a row).
    pub(super) sub: Option<crate::hub::VisitorSub>,
    /// While pending: told when another tab of theirs creates the row.
    pub(super) pending: Option<crate::hub::PendingSub>,
    /// The highest sequence this tab has been sent.
    pub(super) sent_upto: Seq,
    /// The visitor this tab counts as online (`visitor_tabs`).
    pub(super) present: Option<i64>,
}

/// What woke a live session.
pub(super) enum Event {
    Frame(Message),
    /// Another tab of this pending visitor started the conversation.
    Created,
    Hub(Result<VisitorEvent, RecvError>),
    Ping,
}

/// Welcome, replay, `synced`, the queue position, the reception frame, and this tab counted
/// as online. `None` ends the session.
pub(super) async fn open<T: Sink<Message> + Unpin>(
    state: &AppState,
    started: Started,
    resume_from: Seq,
    asked: Asked,
    out: &mut Out<T>,
) -> Option<Live> {
    tracing::info!("visitor connected");
    let Started {
        site,
        visitor,
        token,
        profile,
    } = started;
    let sub = visitor.as_ref().map(|v| state.hub.subscribe_visitor(v.id));
    // A pending visitor's tab learns from the hub when another of their tabs (on any node:
    // the bus carries it) starts the conversation.
    let pending = visitor
        .is_none()
        .then(|| state.hub.subscribe_pending(token_hash(&token)));
    let welcome = ServerFrame::Welcome {
        token: token.clone(),
        // A pending visitor (no message yet) has no id until their first message.
        visitor_id: visitor
            .as_ref()
            .map(|v| v.id.to_string())
            .unwrap_or_default(),
        last_seq: Seq(visitor.as_ref().map_or(0, |v| v.last_seq as u64)),
    };
    if !out.send(&welcome).await {
        return None;
    }
    if let Ok(Some(params)) = LINK.try_with(Clone::clone) {
        let (state, sysnum, token) = (state.clone(), site.sysnum.clone(), token.clone());
        tokio::spawn(async move { crate::trace::record_link(&state, sysnum, token, params).await });
    }
    let mut sent_upto = resume_from;
    if let Some(v) = &visitor {
        if !catch_up(state, v.id, &mut sent_upto, out).await {
            return None;
        }
    }
    if !out
        .send(&ServerFrame::Synced {
            last_seq: sent_upto,
        })
        .await
    {
        return None;
    }
    if let Some(v) = &visitor {
        match routing::position_of(state, v).await {
            Ok(Some(position)) => {
                if !out.send(&ServerFrame::Queue { position }).await {
                    return None;
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "queue position unavailable"),
        }
    }
    // Who receives this visitor (robot or people): the greeting, guide questions, the
    // hand-over control or the offline text.
    let started = crate::reception::start(
        state,
        &site,
        visitor.as_ref(),
        asked.group,
        asked.reception.as_deref(),
    );
    let reception = match started.await {
        Ok((ctx, frame)) => {
            if let Some(f) = frame {
                if !out.send(&ServerFrame::Reception(f)).await {
                    return None;
                }
            }
            Some(ctx)
        }
        Err(e) => {
            tracing::warn!(error = %e, "reception unavailable; people answer");
            None
        }
    };
    // This tab counts as the visitor being online, for agents on every node.
    let present = visitor.as_ref().map(|v| v.id);
    if let Some(id) = present {
        crate::presence::visitor_tab(state, id, true).await;
    }
    Some(Live {
        site_id: site.id,
        visitor: visitor.map(Box::new),
        token,
        profile,
        reception,
        sub,
        pending,
        sent_upto,
        present,
    })
}

impl Live {
    /// Handles one event; `false` ends the session.
    pub(super) async fn on_event<T: Sink<Message> + Unpin>(
        &mut self,
        state: &AppState,
        event: Event,
        out: &mut Out<T>,
    ) -> bool {
        match event {
            Event::Frame(Message::Text(text)) => {
                // A pending visitor's first message creates their row (or finds the one
                // another tab of theirs created).
                if self.visitor.is_none()
                    && starts_conversation(text.as_str())
                    && !self.adopt(state, true, out).await
                {
                    return false;
                }
                let reception = self.reception.as_deref();
                on_text(
                    state,
                    self.site_id,
                    self.visitor.as_deref(),
                    reception,
                    text.as_str(),
                    &mut self.sent_upto,
                    out,
                )
                .await
            }
            Event::Frame(Message::Binary(_)) => {
                out.send(&bad_frame("binary frames are not accepted")).await
            }
            Event::Frame(Message::Close(_)) => false,
            Event::Frame(Message::Ping(_) | Message::Pong(_)) => true,
            Event::Created => {
                // Another tab of this pending visitor started the conversation: follow it.
                self.pending = None;
                self.adopt(state, false, out).await
            }
            Event::Hub(live) => self.on_hub(state, live, out).await,
            Event::Ping => {
                let visitor = self.visitor.as_ref().map(|v| v.id);
                if super::send::is_blocked(state, self.site_id, visitor).await {
                    let refusal = ServerFrame::Error {
                        code: shared::visitor::ErrorCode::Blocked,
                        message: crate::blocks::REFUSAL.into(),
                        cmid: None,
                    };
                    out.send(&refusal).await;
                    out.close(4000 + shared::visitor::ErrorCode::Blocked as u16, "blocked")
                        .await;
                    return false;
                }
                out.raw(Message::Ping(Vec::new().into())).await
            }
        }
    }

    /// A pending visitor becomes a stored one, at their first message or when another tab of
    /// theirs announced it: their row is found or created with the token they hold (one
    /// writer job), the hello's profile applied (and, by the tab that made the row —
    /// `with_reception` —, its reception decision), the session subscribed, anything already
    /// stored replayed, the visitor's other pending tabs told, and this tab counted as them
    /// being online. `false` ends the session (after an error frame).
    async fn adopt<T: Sink<Message> + Unpin>(
        &mut self,
        state: &AppState,
        with_reception: bool,
        out: &mut Out<T>,
    ) -> bool {
        let reception = self.reception.as_deref().filter(|_| with_reception);
        let created = async {
            let v = state
                .db
                .visitor_for_token(self.site_id, &self.token)
                .await?;
            let v = self.profile.apply(state, v).await?;
            if let Some(ctx) = reception {
                crate::reception::adopted(state, ctx, &v).await?;
            }
            Ok::<_, DbError>(v)
        };
        let v = match created.await {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "creating a visitor failed");
                out.send(&internal(None)).await;
                out.close(1011, "internal error").await;
                return false;
            }
        };
        self.sub = Some(state.hub.subscribe_visitor(v.id));
        if !catch_up(state, v.id, &mut self.sent_upto, out).await {
            return false;
        }
        // Tell this visitor's other pending tabs (none left when they told us).
        if let Some(p) = self.pending.take() {
            p.announce(v.id);
        }
        crate::presence::visitor_tab(state, v.id, true).await;
        self.present = Some(v.id);
        self.visitor = Some(Box::new(v));
        true
    }

    /// Something for this visitor's tabs from the hub.
    async fn on_hub<T: Sink<Message> + Unpin>(
        &mut self,
        state: &AppState,
        live: Result<VisitorEvent, RecvError>,
        out: &mut Out<T>,
    ) -> bool {
        let Some(v) = &self.visitor else { return false };
        let sent_upto = &mut self.sent_upto;
        match live {
            Ok(VisitorEvent::Queue(position)) => out.send(&ServerFrame::Queue { position }).await,
            Ok(VisitorEvent::Typing(typing)) => out.send(&ServerFrame::Typing { typing }).await,
            Ok(VisitorEvent::Reception(r)) => {
                out.send(&ServerFrame::Reception(r.as_ref().clone())).await
            }
            Ok(VisitorEvent::Message(m)) if m.seq as u64 <= sent_upto.0 => true,
            Ok(VisitorEvent::Message(m)) if m.seq as u64 == sent_upto.0 + 1 => {
                *sent_upto = Seq(m.seq as u64);
                state.metrics.delivered_to_visitors.inc();
                out.send(&ServerFrame::Msg(chat_message(&m))).await
            }
            // Committed on another node.
            Ok(VisitorEvent::Committed(seq, _)) if seq <= sent_upto.0 => true,
            Ok(VisitorEvent::Committed(seq, Some(m))) if seq == sent_upto.0 + 1 => {
                *sent_upto = Seq(seq);
                state.metrics.delivered_to_visitors.inc();
                out.send(&ServerFrame::Msg(ChatMessage::clone(&m))).await
            }
            // A gap (a publish overtook another, or we lagged), a message from another node,
            // or the bus reconnected: the database is the truth.
            Ok(VisitorEvent::Message(_) | VisitorEvent::Committed(..) | VisitorEvent::Resync)
            | Err(RecvError::Lagged(_)) => {
                state.metrics.catch_ups.inc();
                catch_up(state, v.id, sent_upto, out).await
            }
            Err(RecvError::Closed) => false,
        }
    }
}

/// The next event of the visitor's hub subscription (never, while there is none).
pub(super) async fn next_event(
    sub: &mut Option<crate::hub::VisitorSub>,
) -> Result<VisitorEvent, RecvError> {
    match sub {
        Some(s) => s.rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The id a pending visitor's row got (never, while not pending).
pub(super) async fn next_created(
    pending: &mut Option<crate::hub::PendingSub>,
) -> Result<i64, RecvError> {
    match pending {
        Some(p) => p.rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Sends every stored message after `sent_upto`, advancing it.
pub(super) async fn catch_up<T: Sink<Message> + Unpin>(
    state: &AppState,
    visitor_id: i64,
    sent_upto: &mut Seq,
    out: &mut Out<T>,
) -> bool {
    loop {
        let batch = match state
            .db
            .messages_after(visitor_id, *sent_upto, REPLAY_BATCH)
            .await
        {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "replay failed");
                out.send(&internal(None)).await;
                out.close(1011, "internal error").await;
                return false;
            }
        };
        let n = batch.len();
        for m in &batch {
            state.metrics.delivered_to_visitors.inc();
            if !out.send(&ServerFrame::Msg(chat_message(m))).await {
                return false;
            }
            *sent_upto = Seq(m.seq as u64);
        }
        if (n as i64) < REPLAY_BATCH {
            return true;
        }
    }
}

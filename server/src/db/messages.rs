//! Chat messages: stored in bulk by the writer, and read back.
//!
//! Owns `messages`.
//!
//! Methods (the `impl Db` block at the end): `insert_visitor_message`,
//! `insert_visitor_message_bounded`, `insert_agent_message`,
//! `insert_agent_message_if_serving`, `insert_system_message`, `insert_robot_message`,
//! `messages_after`, `history_page`, `last_message`.
//!
//! The writer stores them in runs (`db/runs.rs`); these methods queue one each and read.

use shared::ids::ClientMsgId;
use shared::ids::Seq;
use shared::visitor::{Author, MsgKind};

use super::rows::MSG_SELECT;
use super::runs::NewMessage;
use super::{Db, DbError, DbResult, Stored, StoredMessage};

impl Db {
    /// Stores a message in the visitor's conversation with the next sequence number, in the
    /// writer's next batch (stored together with the other messages queued at that moment);
    /// returns once that batch committed. With a `cmid` already stored, returns the original
    /// instead (`duplicate`).
    async fn insert_message(
        &self,
        visitor_id: i64,
        author: Author,
        agent_id: Option<i64>,
        cmid: Option<&ClientMsgId>,
        kind: MsgKind,
        body: &str,
    ) -> DbResult<Stored> {
        self.writer
            .insert_message(NewMessage {
                visitor_id,
                author,
                agent_id,
                cmid: cmid.cloned(),
                kind,
                body: body.to_owned(),
                agent_nick: None,
                served_by: None,
                queue_cap: None,
            })
            .await
    }

    /// An agent's message (`agent`: id and display name) to a visitor of `site_id` whom this
    /// agent serves now: checked and stored in one step of the writer, with no read before it. `None` (nothing stored)
    /// when the visitor is not of that site or not served by this agent.
    pub async fn insert_agent_message_if_serving(
        &self,
        site_id: i64,
        visitor_id: i64,
        agent: (i64, &str),
        kind: MsgKind,
        body: &str,
    ) -> DbResult<Option<StoredMessage>> {
        let (agent_id, nick) = agent;
        let r = self
            .writer
            .insert_message(NewMessage {
                visitor_id,
                author: Author::Agent,
                agent_id: Some(agent_id),
                cmid: None,
                kind,
                body: body.to_owned(),
                agent_nick: Some(nick.to_owned()),
                served_by: Some((site_id, agent_id)),
                queue_cap: None,
            })
            .await;
        match r {
            Ok(st) => Ok(Some(st.message)),
            Err(DbError::NotServed) | Err(DbError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A visitor's message, idempotent on `cmid`. Returns after the commit is durable.
    pub async fn insert_visitor_message(
        &self,
        visitor_id: i64,
        cmid: &ClientMsgId,
        kind: MsgKind,
        body: &str,
    ) -> DbResult<Stored> {
        self.insert_message(visitor_id, Author::Visitor, None, Some(cmid), kind, body)
            .await
    }

    /// [`Db::insert_visitor_message`] that refuses with [`DbError::QueueFull`] when the
    /// visitor is neither served nor waiting and their site already has `max_queue` waiting
    /// visitors; decided by the writer with the rows it reads anyway (no extra round trip).
    pub async fn insert_visitor_message_bounded(
        &self,
        visitor_id: i64,
        cmid: &ClientMsgId,
        kind: MsgKind,
        body: &str,
        max_queue: i64,
    ) -> DbResult<Stored> {
        self.writer
            .insert_message(NewMessage {
                visitor_id,
                author: Author::Visitor,
                agent_id: None,
                cmid: Some(cmid.clone()),
                kind,
                body: body.to_owned(),
                agent_nick: None,
                served_by: None,
                queue_cap: Some(max_queue),
            })
            .await
    }

    /// An agent's message to a visitor. Returns after the commit is durable.
    pub async fn insert_agent_message(
        &self,
        visitor_id: i64,
        agent_id: i64,
        kind: MsgKind,
        body: &str,
    ) -> DbResult<StoredMessage> {
        Ok(self
            .insert_message(visitor_id, Author::Agent, Some(agent_id), None, kind, body)
            .await?
            .message)
    }

    /// A system line in the visitor's conversation (e.g. a transfer). Returns after commit.
    pub async fn insert_system_message(
        &self,
        visitor_id: i64,
        body: &str,
    ) -> DbResult<StoredMessage> {
        Ok(self
            .insert_message(visitor_id, Author::System, None, None, MsgKind::Text, body)
            .await?
            .message)
    }

    /// A robot message (`nick`: the robot's name) in the visitor's conversation: the next
    /// `seq`, stored through the writer like any message. Returns after the commit.
    pub async fn insert_robot_message(
        &self,
        visitor_id: i64,
        nick: &str,
        kind: MsgKind,
        body: &str,
    ) -> DbResult<StoredMessage> {
        let st = self
            .writer
            .insert_message(NewMessage {
                visitor_id,
                author: Author::Robot,
                agent_id: None,
                cmid: None,
                kind,
                body: body.to_owned(),
                agent_nick: Some(nick.to_owned()),
                served_by: None,
                queue_cap: None,
            })
            .await?;
        Ok(st.message)
    }

    /// Messages of a conversation after `after`, oldest first, at most `limit`.
    pub async fn messages_after(
        &self,
        visitor_id: i64,
        after: Seq,
        limit: i64,
    ) -> DbResult<Vec<StoredMessage>> {
        Ok(sqlx::query_as(&format!(
            "{MSG_SELECT} WHERE m.visitor_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3"
        ))
        .bind(visitor_id)
        .bind(after.0 as i64)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Page `page` (1 = newest) of `size` messages, oldest first within the page, and the total.
    pub async fn history_page(
        &self,
        visitor_id: i64,
        page: i64,
        size: i64,
    ) -> DbResult<(Vec<StoredMessage>, i64)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE visitor_id = $1")
            .bind(visitor_id)
            .fetch_one(&self.pool)
            .await?;
        let mut list: Vec<StoredMessage> = sqlx::query_as(&format!(
            "{MSG_SELECT} WHERE m.visitor_id = $1 ORDER BY m.seq DESC LIMIT $2 OFFSET $3"
        ))
        .bind(visitor_id)
        .bind(size)
        .bind(page.saturating_sub(1).saturating_mul(size))
        .fetch_all(&self.pool)
        .await?;
        list.reverse();
        Ok((list, total))
    }

    pub async fn last_message(&self, visitor_id: i64) -> DbResult<Option<StoredMessage>> {
        Ok(sqlx::query_as(&format!(
            "{MSG_SELECT} WHERE m.visitor_id = $1 ORDER BY m.seq DESC LIMIT 1"
        ))
        .bind(visitor_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}

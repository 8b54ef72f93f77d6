//! The workbench's requests (issue 25, types in `shared::workbench`): search (`32900`),
//! private notes (`32910`, `32911`), one conversation to read (`32830`), the site's summary
//! rules (`32610`), and the summary an agent gives when ending a chat (checked here for
//! `32600`, whose handler is `chats.rs`'s), a visitor's earlier conversations (`32831`);
//! canned replies (`32920`–`32922`: the site's and
//! the agent's own, validated by `crate::admin` as the CLI's are). Any agent of the visitor's site may use them;
//! nothing of another site is ever read (`conversation::visible_visitor`, site-bound
//! queries).

use shared::agent::{api, code, Envelope, Request};
use shared::ids::Seq;
use shared::workbench::{
    Conversation, ConversationData, ConversationList, EndSummary, NotesData, SummaryRules,
    MAX_CONVERSATION_MESSAGES, MAX_EARLIER,
};

use super::error::{AgentError, AgentResult};
use super::Login;
use crate::conversation::visible_visitor;
use crate::db::{Closing, Visitor};
use crate::search::{self, doc_terms};
use crate::wire::{
    agent_frame, canned_info, conversation_info, message_info, note_info, AgentFrame,
};
use crate::AppState;

/// Most notes one conversation shows.
const MAX_NOTES: i64 = 500;
/// Messages on either side of a message that belongs to no conversation (a robot's chat),
/// when `32830` is asked for it.
const AROUND: i64 = 50;

fn gid(req: &Request, missing: i64) -> AgentResult<&str> {
    req.gid
        .as_ref()
        .and_then(|g| g.non_zero())
        .ok_or_else(|| AgentError::gid_missing(missing))
}

async fn visitor(state: &AppState, l: &Login, gid: &str) -> AgentResult<Visitor> {
    visible_visitor(state, &l.agent, gid)
        .await?
        .ok_or_else(AgentError::no_such_visitor)
}

/// Terms of `text` off the async workers (the first use loads jieba's dictionary).
async fn terms_of(text: String) -> Vec<String> {
    tokio::task::spawn_blocking(move || doc_terms(&text))
        .await
        .unwrap_or_default()
}

/// `32900`: a page of hits for `q` on the agent's site.
pub async fn search(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let q = req.q.as_deref().unwrap_or_default();
    let data = search::search(
        state,
        l.agent.site_id,
        q,
        req.page_index.as_ref(),
        req.page_size.as_ref(),
    )
    .await?
    .map_err(|search::Refused::Query| {
        AgentError::refused(code::SEARCH_QUERY_INVALID, "q must be 1-200 characters")
    })?;
    Ok(agent_frame(&Envelope::ok(api::SEARCH, data)))
}

/// `32910`: a private note on `gid`, for the site's agents only.
pub async fn note(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let gid = gid(req, code::NOTE_GID_MISSING)?;
    let text = req
        .msg
        .as_ref()
        .map(|m| m.0.trim().to_owned())
        .unwrap_or_default();
    if text.is_empty() || text.chars().count() > shared::MAX_BODY_CHARS {
        return Err(AgentError::refused(
            code::NOTE_INVALID,
            "a note is 1-5000 characters",
        ));
    }
    crate::db::storable(&text).map_err(|why| AgentError::refused(code::NOTE_INVALID, why))?;
    let v = visitor(state, l, gid).await?;
    let terms = terms_of(text.clone()).await;
    let n = state
        .db
        .add_note(v.site_id, v.id, l.agent.id, text, terms)
        .await?;
    Ok(agent_frame(&Envelope::ok(api::NOTE, note_info(&n))))
}

/// `32911`: every note on `gid`, oldest first.
pub async fn notes(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let gid = gid(req, code::NOTE_GID_MISSING)?;
    let v = visitor(state, l, gid).await?;
    let notes = state.db.notes_of(v.id, 0, i64::MAX, MAX_NOTES).await?;
    Ok(agent_frame(&Envelope::ok(
        api::NOTES,
        NotesData {
            gid: v.id.to_string(),
            notes: notes.iter().map(note_info).collect(),
        },
    )))
}

/// `32831`: visitor `gid`'s conversations and those of the site's other visitors with the
/// same `partnerid` (verified or claimed), newest first. A visitor of another site the agent
/// serves (a `flowType` overflow) shows only their own.
pub async fn conversations(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let gid = gid(req, code::CONVERSATION_NOT_FOUND)?;
    let v = visitor(state, l, gid).await?;
    let partnerid = v
        .partnerid
        .clone()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| v.claimed_partnerid.clone());
    let mut ids = vec![v.id];
    if !partnerid.is_empty() && v.site_id == l.agent.site_id {
        let limit = MAX_EARLIER as i64;
        for id in state
            .db
            .visitors_with_partnerid(v.site_id, &partnerid, limit)
            .await?
        {
            if id != v.id {
                ids.push(id);
            }
        }
    }
    let rows = state
        .db
        .conversations_of(v.site_id, &ids, MAX_EARLIER as i64)
        .await?;
    Ok(agent_frame(&Envelope::ok(
        api::CONVERSATIONS,
        ConversationList {
            gid: v.id.to_string(),
            partnerid: if ids.len() > 1 {
                partnerid
            } else {
                String::new()
            },
            conversations: rows.iter().map(conversation_info).collect(),
        },
    )))
}

/// `32830`: conversation `id`, or the one of `gid` holding `seq` (around `seq` when it is in
/// none), with its messages and notes.
pub async fn conversation(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let not_found = || AgentError::refused(code::CONVERSATION_NOT_FOUND, "no such conversation");
    let by_id = match req.id.as_ref().and_then(|i| i.as_i64()) {
        Some(id) => Some(state.db.conversation(id).await?.ok_or_else(not_found)?),
        None => None,
    };
    let (v, conv) = match by_id {
        Some(c) => {
            let v = visible_visitor(state, &l.agent, &c.visitor_id.to_string())
                .await?
                .ok_or_else(not_found)?;
            (v, Some(c))
        }
        None => {
            let gid = gid(req, code::CONVERSATION_NOT_FOUND)?;
            let v = visitor(state, l, gid).await?;
            let seq = req
                .seq
                .as_ref()
                .and_then(|s| s.as_i64())
                .unwrap_or(v.last_seq);
            let c = state.db.conversation_holding(v.id, seq).await?;
            (v, c)
        }
    };
    let conversation = match &conv {
        Some(c) => conversation_info(c),
        None => {
            let seq = req
                .seq
                .as_ref()
                .and_then(|s| s.as_i64())
                .unwrap_or(v.last_seq);
            Conversation {
                id: String::new(),
                gid: v.id.to_string(),
                first_seq: (seq - AROUND).max(1) as u64,
                last_seq: Some((seq + AROUND).min(v.last_seq).max(0) as u64),
                kf_id: String::new(),
                kf_nick: String::new(),
                started_at: 0,
                ended_at: None,
                category: String::new(),
                summary: String::new(),
                labels: Vec::new(),
            }
        }
    };
    let last = conversation
        .last_seq
        .map_or(v.last_seq, |s| s as i64)
        .max(0);
    let first =
        (conversation.first_seq as i64).max(last - i64::from(MAX_CONVERSATION_MESSAGES) + 1);
    let messages = state
        .db
        .messages_after(
            v.id,
            Seq((first - 1).max(0) as u64),
            i64::from(MAX_CONVERSATION_MESSAGES),
        )
        .await?;
    let notes = state
        .db
        .notes_of(v.id, conversation.first_seq as i64, last, MAX_NOTES)
        .await?;
    let mut conversation = conversation;
    if conversation.started_at == 0 {
        conversation.started_at = messages.first().map_or(0, |m| m.created_at);
    }
    Ok(agent_frame(&Envelope::ok(
        api::CONVERSATION,
        ConversationData {
            conversation,
            messages: messages
                .iter()
                .filter(|m| m.seq <= last)
                .map(message_info)
                .collect(),
            notes: notes.iter().map(note_info).collect(),
        },
    )))
}

/// The site's summary rules.
pub async fn rules(state: &AppState, site_id: i64) -> AgentResult<SummaryRules> {
    let (required, categories) = state.db.summary_rules(site_id).await?;
    Ok(SummaryRules {
        required,
        categories: categories
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// `32610`: the agent's site's summary rules.
pub async fn end_rules(state: &AppState, l: &Login) -> AgentResult<AgentFrame> {
    let r = rules(state, l.agent.site_id).await?;
    Ok(agent_frame(&Envelope::ok(api::END_RULES, r)))
}

/// The summary `32600` gives for a chat with a visitor of `site_id`, checked against the
/// site's rules (`-32602` required and missing, `-32603` invalid), with its search terms.
pub async fn closing(state: &AppState, site_id: i64, req: &Request) -> AgentResult<Closing> {
    let given = EndSummary {
        category: req.category.clone().unwrap_or_default(),
        summary: req.summary.clone().unwrap_or_default(),
        labels: req.labels.clone().unwrap_or_default(),
    };
    let r = rules(state, site_id).await?;
    let s = given.checked(&r).map_err(|why| {
        let required =
            r.required && (given.category.trim().is_empty() || given.summary.trim().is_empty());
        AgentError::refused(
            if required {
                code::END_SUMMARY_REQUIRED
            } else {
                code::END_SUMMARY_INVALID
            },
            why,
        )
    })?;
    let text = format!("{} {} {}", s.category, s.summary, s.labels.join(" "));
    let terms = if text.trim().is_empty() {
        Vec::new()
    } else {
        terms_of(text).await
    };
    Ok(Closing {
        category: s.category,
        summary: s.summary,
        labels: s.labels,
        terms,
    })
}

/// `32920`: the canned replies this agent may use (the site's and its own).
pub async fn canned_list(state: &AppState, l: &Login) -> AgentResult<AgentFrame> {
    let rows = state
        .db
        .canned_for_agent(l.agent.site_id, l.agent.id)
        .await?;
    let list: Vec<_> = rows.iter().map(|r| canned_info(r, l.agent.id)).collect();
    Ok(agent_frame(&Envelope::ok(api::CANNED_LIST, list)))
}

/// `32921`: the agent's own canned reply `shortcut` → `msg` (an existing shortcut of its own
/// gets the new text).
pub async fn canned_add(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let refused = |e: crate::admin::AdminError| match e {
        crate::admin::AdminError::Db(e) => AgentError::Db(e),
        e => AgentError::refused(code::CANNED_INVALID, e.to_string()),
    };
    let text = req.msg.as_ref().map(|m| m.0.as_str()).unwrap_or_default();
    let reply = crate::admin::check_canned(req.shortcut.as_deref().unwrap_or_default(), text)
        .map_err(refused)?;
    let site = l.agent.site_id;
    let id = crate::admin::put_canned(&state.db, site, l.agent.id, vec![reply])
        .await
        .map_err(refused)?[0];
    let row = state
        .db
        .canned_for_agent(site, l.agent.id)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AgentError::refused(code::CANNED_NOT_FOUND, "no such canned reply"))?;
    Ok(agent_frame(&Envelope::ok(
        api::CANNED_ADD,
        canned_info(&row, l.agent.id),
    )))
}

/// `32922`: deletes the agent's own canned reply `id` (the site's are the site admin's).
pub async fn canned_delete(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let id = req.id.as_ref().and_then(|i| i.as_i64()).unwrap_or(0);
    if !state
        .db
        .delete_canned(l.agent.site_id, l.agent.id, id)
        .await?
    {
        return Err(AgentError::refused(
            code::CANNED_NOT_FOUND,
            "no canned reply of yours with this id",
        ));
    }
    Ok(agent_frame(&Envelope::ok(
        api::CANNED_DELETE,
        shared::agent::Empty {},
    )))
}

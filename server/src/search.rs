//! Search over a site's conversations (issue 25): the background indexer of messages, and
//! the query — terms, the visitor-profile pattern, hits with their highlighted snippet.
//!
//! Text becomes terms with the FAQ robot's one function (`robot::text::terms`: traditional →
//! simplified, jieba's search-mode segmentation for Chinese, stemmed English), for the
//! indexed documents and the query alike; a hit holds every term of the query
//! (`db/search.rs`). Names, `partnerid`s and CRM values are matched as a substring
//! (lowercased), so a partial id or a CRM value finds its visitor.
//!
//! **Indexing messages stays off the message path.** One node at a time (lease
//! [`LEASE`]) reads messages by id past the stored progress, turns their text into terms on
//! the blocking pool and stores them with the new progress in one transaction. On
//! PostgreSQL ids are taken before commit, so a message may become visible after one with a
//! higher id: the progress moves past a gap in the ids only once the message after the gap
//! is [`GAP_GRACE_MS`] old (every transaction that took an id before it has ended by then);
//! until then the rows after the gap are indexed again (terms are stored once).
//!
//! Invariant: an agent searches only their own site (every statement is bound to it).

use std::time::Duration;

use shared::agent::Flex;
use shared::visitor::{Author, MsgKind};
use shared::workbench::{Mark, SearchData, SearchHit, MAX_PAGE_SIZE, MAX_QUERY_CHARS};

use crate::db::{now_ms, DbResult, SearchQuery, SearchRow};
use crate::robot::text::{normalise, terms};
use crate::AppState;

/// The indexer's lease.
const LEASE: &str = "search_index";
/// How often the indexer looks for new messages.
const EVERY: Duration = Duration::from_millis(300);
/// Messages read per round: at most one round per [`EVERY`], so the index takes at most
/// ~1 600 messages/s of the database's writes and the tokeniser's CPU. Under a burst above
/// that (far above people chatting) the index lags and catches up afterwards; the message
/// path never waits for it.
const BATCH: i64 = 500;
/// Distinct terms kept per document (a 5 000-character message has fewer in practice).
const MAX_TERMS: usize = 400;
/// See the module doc.
pub const GAP_GRACE_MS: i64 = 30_000;
/// Characters of context around the first match in a snippet.
const CONTEXT: usize = 40;

/// The distinct terms a document is found by, at most [`MAX_TERMS`]: its terms
/// (`robot::text::terms`), and every two adjacent Chinese characters of it (simplified), so a
/// two-character query word is found whichever way jieba cut the sentence around it
/// (退货运费 may be cut 退 / 货运费: 退货 is still found).
pub fn doc_terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |t: String| {
        if out.len() < MAX_TERMS && t.chars().count() <= 64 && !out.contains(&t) {
            out.push(t);
        }
    };
    for t in terms(text) {
        add(t);
    }
    let chars: Vec<char> = normalise(text).chars().collect();
    for w in chars.windows(2) {
        if w.iter().all(|c| is_cjk(*c)) {
            add(w.iter().collect());
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Runs the message indexer until shutdown (one node at a time, see the module doc).
pub async fn indexer(state: AppState, node: i64) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = state.shutdown.clone();
    let mut lease_until = 0;
    // Messages this process indexed already (above the stored progress, behind a gap).
    let mut done_up_to = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = now_ms();
        if lease_until - now < 5_000 {
            let until = now + 15_000;
            match state.db.take_lease(LEASE, node, until).await {
                Ok(true) => lease_until = until,
                Ok(false) => {
                    lease_until = 0;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "search indexer: lease");
                    continue;
                }
            }
        }
        if let Err(e) = index_once(&state, &mut done_up_to).await {
            tracing::warn!(error = %e, "search indexer failed; retrying");
        }
    }
}

/// One round: the next [`BATCH`] messages past the progress. Returns how many were read.
async fn index_once(state: &AppState, done_up_to: &mut i64) -> DbResult<usize> {
    let progress = state.db.search_progress().await?;
    let rows = state.db.messages_to_index(progress, BATCH).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let now = now_ms();
    let mut upto = progress;
    let mut blocked = false;
    for r in &rows {
        if !blocked && (r.id == upto + 1 || now - r.created_at >= GAP_GRACE_MS) {
            upto = r.id;
        } else {
            blocked = true;
        }
    }
    let todo: Vec<_> = rows
        .iter()
        .filter(|r| r.id > *done_up_to)
        .filter(|r| r.kind == MsgKind::Text && r.author != Author::System && !r.body.is_empty())
        .map(|r| (r.id, r.site_id, r.visitor_id, r.body.clone()))
        .collect();
    let docs = tokio::task::spawn_blocking(move || {
        todo.into_iter()
            .map(|(id, site, visitor, body)| (id, site, visitor, doc_terms(&body)))
            .filter(|d| !d.3.is_empty())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let n = rows.len();
    if upto > progress || !docs.is_empty() {
        state.db.index_messages(upto, docs).await?;
    }
    *done_up_to = (*done_up_to).max(rows.last().map_or(0, |r| r.id));
    // Behind a young gap: stop this round (the caller would otherwise loop on it).
    Ok(if blocked { 0 } else { n })
}

/// Why a search was refused.
pub enum Refused {
    Query,
}

/// `q` as the database looks for it on `site_id`: its terms, and the `LIKE` pattern for
/// profiles (`%`, `_` and `\` escaped).
pub fn query(site_id: i64, q: &str) -> SearchQuery {
    let mut t: Vec<String> = Vec::new();
    for w in terms(q) {
        if !t.contains(&w) {
            t.push(w);
        }
    }
    let trimmed = q.trim().to_lowercase();
    let mut like = String::from("%");
    for ch in trimmed.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            like.push('\\');
        }
        like.push(ch);
    }
    like.push('%');
    SearchQuery {
        site_id,
        terms: t,
        like: if trimmed.is_empty() {
            String::new()
        } else {
            like
        },
    }
}

/// Page `page_index` (from 1) of `page_size` hits for `q` on `site_id`.
pub async fn search(
    state: &AppState,
    site_id: i64,
    q: &str,
    page_index: Option<&Flex>,
    page_size: Option<&Flex>,
) -> DbResult<Result<SearchData, Refused>> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > MAX_QUERY_CHARS || q.contains('\0') {
        return Ok(Err(Refused::Query));
    }
    let page_index = page_index
        .and_then(Flex::as_i64)
        .unwrap_or(1)
        .clamp(1, 10_000);
    let page_size = page_size
        .and_then(Flex::as_i64)
        .unwrap_or(20)
        .clamp(1, i64::from(MAX_PAGE_SIZE));
    let sq = query(site_id, q);
    let total = state.db.search_count(&sq).await?;
    let rows = state
        .db
        .search(&sq, (page_index - 1) * page_size, page_size)
        .await?;
    let needles = needles(q, &sq.terms);
    let hits = rows.into_iter().map(|r| hit(r, &needles)).collect();
    Ok(Ok(SearchData {
        q: q.to_owned(),
        total: total.max(0) as u64,
        page_index: page_index as u32,
        page_size: page_size as u32,
        hits,
    }))
}

/// What a snippet marks: the query's words and its terms, normalised, longest first.
fn needles(q: &str, terms: &[String]) -> Vec<String> {
    let mut n: Vec<String> = q
        .split_whitespace()
        .map(normalise)
        .chain(terms.iter().cloned())
        .filter(|w| !w.is_empty())
        .collect();
    n.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    n.dedup();
    n
}

fn hit(r: SearchRow, needles: &[String]) -> SearchHit {
    let text = if r.kind == "p" {
        profile_text(&r, needles)
    } else {
        r.body.clone()
    };
    let marks = snippet(&text, needles);
    crate::wire::search_hit(r, marks)
}

/// The part of a visitor's profile that matched: their name, `partnerid`, or the first CRM
/// value (as `key: value`) holding a needle; the name when none does.
fn profile_text(r: &SearchRow, needles: &[String]) -> String {
    let partnerid = r.partnerid.as_deref().unwrap_or(&r.claimed_partnerid);
    let mut candidates = vec![r.uname.clone(), partnerid.to_owned()];
    if let Some(p) = r
        .params
        .as_deref()
        .and_then(|p| serde_json::from_str::<std::collections::BTreeMap<String, String>>(p).ok())
    {
        candidates.extend(p.into_iter().map(|(k, v)| format!("{k}: {v}")));
    }
    candidates
        .iter()
        .find(|c| {
            let n = normalise(c);
            needles.iter().any(|w| n.contains(w.as_str()))
        })
        .cloned()
        .unwrap_or_else(|| r.uname.clone())
}

/// `text` around its first match (at most [`CONTEXT`] characters on either side), the
/// matched runs marked. Matches are found in the normalised text (same length in
/// characters as the original for the conversions `normalise` does; when not, in the
/// lowercased text).
pub fn snippet(text: &str, needles: &[String]) -> Vec<Mark> {
    let chars: Vec<char> = text.chars().collect();
    let norm: Vec<char> = {
        let n: Vec<char> = normalise(text).chars().collect();
        if n.len() == chars.len() {
            n
        } else {
            text.to_lowercase().chars().collect::<Vec<char>>()
        }
    };
    let mut marked = vec![false; chars.len()];
    if norm.len() == chars.len() {
        for w in needles {
            let w: Vec<char> = w.chars().collect();
            if w.is_empty() || w.len() > norm.len() {
                continue;
            }
            for i in 0..=norm.len() - w.len() {
                if norm[i..i + w.len()] == w[..] {
                    for m in &mut marked[i..i + w.len()] {
                        *m = true;
                    }
                }
            }
        }
    }
    let first = marked.iter().position(|m| *m).unwrap_or(0);
    let start = first.saturating_sub(CONTEXT);
    let end = (first + CONTEXT * 2).min(chars.len());
    let mut out: Vec<Mark> = Vec::new();
    if start > 0 {
        out.push(Mark {
            text: "…".into(),
            hit: false,
        });
    }
    for i in start..end {
        let c = if chars[i].is_control() { ' ' } else { chars[i] };
        match out.last_mut() {
            Some(m) if m.hit == marked[i] && m.text != "…" => m.text.push(c),
            _ => out.push(Mark {
                text: c.to_string(),
                hit: marked[i],
            }),
        }
    }
    if end < chars.len() {
        out.push(Mark {
            text: "…".into(),
            hit: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(m: &[Mark]) -> String {
        m.iter()
            .map(|m| {
                if m.hit {
                    format!("[{}]", m.text)
                } else {
                    m.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn snippets_mark_chinese_and_latin_matches() {
        let q = "退货";
        let n = needles(q, &terms(q));
        assert_eq!(
            shown(&snippet("我想退货，请问退货政策？", &n)),
            "我想[退货]，请问[退货]政策？"
        );
        let q = "Refund";
        let n = needles(q, &terms(q));
        assert_eq!(
            shown(&snippet("Need a REFUND now", &n)),
            "Need a [REFUND] now"
        );
        // Traditional text, simplified query.
        let q = "退货";
        let n = needles(q, &terms(q));
        assert_eq!(shown(&snippet("我要退貨", &n)), "我要[退貨]");
    }

    #[test]
    fn long_texts_are_cut_around_the_first_match() {
        let text = format!("{}退货{}", "好".repeat(100), "的".repeat(100));
        let n = needles("退货", &terms("退货"));
        let s = snippet(&text, &n);
        assert_eq!(s.first().unwrap().text, "…");
        assert_eq!(s.last().unwrap().text, "…");
        assert!(s.iter().any(|m| m.hit && m.text == "退货"));
    }

    #[test]
    fn two_character_words_are_found_however_jieba_cut_them() {
        let t = doc_terms("好的，退货运费由我们承担。");
        assert!(t.contains(&"退货".to_string()), "{t:?}");
        assert!(t.contains(&"运费".to_string()), "{t:?}");
        let t = doc_terms("退貨");
        assert!(t.contains(&"退货".to_string()), "{t:?}");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        let q = query(1, " 100%_a\\ ");
        assert_eq!(q.like, "%100\\%\\_a\\\\%");
        assert!(query(1, "   ").like.is_empty());
        assert_eq!(
            query(1, "退货政策 退货")
                .terms
                .iter()
                .filter(|t| *t == "退货")
                .count(),
            1
        );
    }
}

//! The FAQ robot's brain (issue 11): which robot receives a visitor, its greeting and guide
//! questions, and its reply to a question — an answer from the site's FAQ, "did you mean"
//! suggestions, or "I don't know", in the visitor's locale.
//!
//! `text` turns text into terms (jieba for Chinese, Snowball stemming for English,
//! traditional → simplified), `index` ranks a robot's entries (BM25, then a confidence
//! decides), `faqfile` validates and parses what operators give, `manage` is what the CLI and
//! the admin REST API do. Storage in `db/robots.rs`.
//!
//! **One index per (site, robot) per node**, cached in [`Robots`] with the robot's `version`.
//! Every reply reads the robot's row first (one indexed query, which also resolves the
//! default robot); if its `version` differs from the cached index's, the index is rebuilt
//! from the stored entries before answering. Every FAQ change bumps the version in the same
//! transaction, so a change made on any node (or by `frontdesk admin faq …`) is used by every
//! node from its next question on. Rebuilds run on the blocking pool, one at a time per
//! process.
//!
//! **No tenant stalls the others** (issue 22): searches run on the blocking pool too, at most
//! [`SEARCHES`] at a time, each given [`SEARCH_BUDGET`] (past it the visitor gets "I don't
//! know" and the search's result is dropped); a site's FAQ is capped
//! (`db::MAX_FAQS_PER_SITE`, `db::MAX_FAQ_CHARS_PER_SITE`) and imported in short chunks
//! (`manage::import`); the cache keeps the [`CACHED_INDEXES`] indexes used last.

pub mod faqfile;
pub mod index;
pub mod manage;
pub mod text;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shared::config::Locale;

use crate::db::{Db, DbResult, RobotRow};
use index::{Found, Index};

/// Characters of a visitor's question the robot reads (a chat message may be longer).
pub const MAX_QUESTION: usize = 1000;

/// The robot receiving a visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotInfo {
    /// The site's number for it; 0 for the built-in robot of a site without robots.
    pub robotid: i64,
    pub name: String,
    /// Its greeting (the stored one, or the default one of the locale).
    pub hello: String,
}

/// The robot's reply to a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A known question: the answer text (the FAQ entry's answer).
    Answer { text: String, faq_id: i64 },
    /// Not sure: a phrase ("您是不是想问：" / "Did you mean:") and the closest questions (≤ 5).
    Unsure {
        text: String,
        suggestions: Vec<String>,
    },
    /// Nothing close: the robot says it does not know (in the locale).
    Unknown { text: String },
}

/// The built-in robot's name.
pub fn builtin_name(locale: Locale) -> &'static str {
    match locale {
        Locale::En => "Assistant",
        Locale::Cn | Locale::Tw => "智能客服",
    }
}

/// The greeting of a robot without one of its own.
pub fn default_hello(locale: Locale, name: &str) -> String {
    match locale {
        Locale::Cn => format!("您好，我是{name}，请问有什么可以帮您？"),
        Locale::Tw => format!("您好，我是{name}，請問有什麼可以幫您？"),
        Locale::En => format!("Hello, I'm {name}. How can I help you?"),
    }
}

fn unsure_text(locale: Locale) -> &'static str {
    match locale {
        Locale::Cn => "您是不是想问：",
        Locale::Tw => "您是不是想問：",
        Locale::En => "Did you mean:",
    }
}

fn unknown_text(locale: Locale) -> &'static str {
    match locale {
        Locale::Cn => "抱歉，我还不知道这个问题的答案。您可以换个说法，或转人工客服。",
        Locale::Tw => "抱歉，我還不知道這個問題的答案。您可以換個說法，或轉人工客服。",
        Locale::En => {
            "Sorry, I don't know the answer to that yet. Try asking another way, or talk to a person."
        }
    }
}

/// A robot's index as built from its entries at `version`.
struct Cached {
    version: i64,
    index: Arc<Index>,
    /// When a reply last used it (for evicting the least recently used).
    used: std::time::Instant,
}

/// Searches running at once on this node (on the blocking pool), about its cores.
pub const SEARCHES: usize = 2;
/// How long a search may take before the visitor is answered "I don't know".
pub const SEARCH_BUDGET: std::time::Duration = std::time::Duration::from_millis(500);
/// Indexes kept in memory per node; the least recently used goes first.
pub const CACHED_INDEXES: usize = 64;

/// The robots of every site, with this node's cached indexes (see the module doc).
pub struct Robots {
    /// Robot row id → its index.
    cache: Mutex<HashMap<i64, Cached>>,
    /// One rebuild at a time (a burst of questions after a change rebuilds once).
    building: tokio::sync::Mutex<()>,
    /// [`SEARCHES`] permits.
    searching: tokio::sync::Semaphore,
}

impl Default for Robots {
    fn default() -> Self {
        Robots {
            cache: Mutex::default(),
            building: tokio::sync::Mutex::default(),
            searching: tokio::sync::Semaphore::new(SEARCHES),
        }
    }
}

impl std::fmt::Debug for Robots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Robots").finish_non_exhaustive()
    }
}

impl Robots {
    pub fn new() -> Robots {
        Robots::default()
    }

    /// The robot receiving a visitor of `site_id` who asked for `robotid` (None, or an id the
    /// site does not have: the site's default robot = its lowest robotid; a site with no
    /// robot at all gets a built-in one named "智能客服" with an empty FAQ and a default
    /// greeting). Defaults in Chinese; [`Robots::robot_in`] for another locale.
    pub async fn robot(&self, db: &Db, site_id: i64, robotid: Option<i64>) -> DbResult<RobotInfo> {
        self.robot_in(db, site_id, robotid, Locale::Cn).await
    }

    /// [`Robots::robot`] with the built-in name and default greeting in `locale`.
    pub async fn robot_in(
        &self,
        db: &Db,
        site_id: i64,
        robotid: Option<i64>,
        locale: Locale,
    ) -> DbResult<RobotInfo> {
        Ok(match db.robot_for(site_id, robotid).await? {
            Some(r) => {
                let hello = if r.hello.trim().is_empty() {
                    default_hello(locale, &r.name)
                } else {
                    r.hello
                };
                RobotInfo {
                    robotid: r.robotid,
                    name: r.name,
                    hello,
                }
            }
            None => {
                let name = builtin_name(locale);
                RobotInfo {
                    robotid: 0,
                    name: name.to_owned(),
                    hello: default_hello(locale, name),
                }
            }
        })
    }

    /// Up to `n` guide questions (for `guide_flag`), from the FAQ group `faqid` if given.
    pub async fn guide(
        &self,
        db: &Db,
        site_id: i64,
        robotid: Option<i64>,
        faqid: Option<i64>,
        n: usize,
    ) -> DbResult<Vec<String>> {
        match db.robot_for(site_id, robotid).await? {
            Some(r) => db.faq_questions(r.id, faqid, n).await,
            None => Ok(Vec::new()),
        }
    }

    /// The robot's reply to `question`.
    pub async fn reply(
        &self,
        db: &Db,
        site_id: i64,
        robotid: Option<i64>,
        faqid: Option<i64>,
        locale: Locale,
        question: &str,
    ) -> DbResult<Reply> {
        let found = match db.robot_for(site_id, robotid).await? {
            Some(r) => {
                // A question is read up to its first MAX_QUESTION characters.
                let question: String = question.chars().take(MAX_QUESTION).collect();
                let index = self.index(db, &r).await?;
                self.search(index, question, faqid, r.id).await
            }
            None => Found::Nothing,
        };
        Ok(match found {
            Found::Answer { faq_id, answer } => Reply::Answer {
                text: answer,
                faq_id,
            },
            Found::Unsure(suggestions) => Reply::Unsure {
                text: unsure_text(locale).to_owned(),
                suggestions,
            },
            Found::Nothing => Reply::Unknown {
                text: unknown_text(locale).to_owned(),
            },
        })
    }

    /// Searches `index` on the blocking pool, at most [`SEARCHES`] at a time, within
    /// [`SEARCH_BUDGET`] (waiting for a permit included); past it, or if the search failed,
    /// nothing was found.
    async fn search(
        &self,
        index: Arc<Index>,
        question: String,
        faqid: Option<i64>,
        robot: i64,
    ) -> Found {
        let searched = async {
            let _permit = self.searching.acquire().await.ok()?;
            tokio::task::spawn_blocking(move || index.search(&question, faqid))
                .await
                .ok()
        };
        match tokio::time::timeout(SEARCH_BUDGET, searched).await {
            Ok(Some(found)) => found,
            Ok(None) => Found::Nothing,
            Err(_) => {
                tracing::warn!(robot, budget = ?SEARCH_BUDGET, "FAQ search over its budget");
                Found::Nothing
            }
        }
    }

    /// The index of robot `r` at its current version, rebuilt if the cached one is older.
    async fn index(&self, db: &Db, r: &RobotRow) -> DbResult<Arc<Index>> {
        if let Some(i) = self.cached(r) {
            return Ok(i);
        }
        let _one = self.building.lock().await;
        if let Some(i) = self.cached(r) {
            return Ok(i);
        }
        // The entries are read after the version: they are at least that new. If they are
        // newer, the next reply sees a higher version and rebuilds again.
        let faqs = db.faqs_of_robot(r.id).await?;
        let index = tokio::task::spawn_blocking(move || {
            // jieba's dictionary is loaded here (once per process), not on an async worker
            // at the first question, even for a robot without entries.
            text::jieba();
            Index::build(&faqs)
        })
        .await
        .map_err(|e| crate::db::DbError::Corrupt(format!("building the FAQ index failed: {e}")))?;
        let index = Arc::new(index);
        {
            let mut cache = self.cache.lock().expect("robot cache");
            cache.insert(
                r.id,
                Cached {
                    version: r.version,
                    index: index.clone(),
                    used: std::time::Instant::now(),
                },
            );
            while cache.len() > CACHED_INDEXES {
                let oldest = cache.iter().min_by_key(|(_, c)| c.used).map(|(&id, _)| id);
                match oldest {
                    Some(id) => cache.remove(&id),
                    None => break,
                };
            }
        }
        tracing::debug!(
            robot = r.id,
            version = r.version,
            entries = index.len(),
            "FAQ index built"
        );
        Ok(index)
    }

    fn cached(&self, r: &RobotRow) -> Option<Arc<Index>> {
        let mut cache = self.cache.lock().expect("robot cache");
        cache
            .get_mut(&r.id)
            .filter(|c| c.version == r.version)
            .map(|c| {
                c.used = std::time::Instant::now();
                c.index.clone()
            })
    }
}

//! Reception (issue 11, seed 003 接待模式): who receives a visitor — the site's FAQ robot or
//! people — and the robot as a participant of the conversation. The visitor session
//! (`visitor.rs`) and `crate::conversation` call in here at a few points. Architecture
//! invariant: reception decides and tells the tabs its frame; it stores no message and tells
//! no agent — the conversation layer stores the robot's replies and the agent's greeting it
//! returns ([`reply`], [`taken`]) and runs the steps after the commit.
//!
//! **Modes** (`type` of the hello, else the site's `admin site set --reception`): 1 robot only
//! (never a person, no hand-over control); 2 human only (as before this issue); 3 robot first
//! (the robot answers until the visitor asks for a person, "转人工"); 4 human first (the robot
//! answers only while nobody can take the visitor, `routing::availability` = `Nobody`).
//!
//! **State** lives on the visitor row (`db/reception.rs`), so every tab on every node agrees:
//! who answers now (`answerer`), how often the robot missed (`robot_misses`), and the
//! effective reception values ([`ReceptionValues`]). A session keeps only what its hello said
//! ([`Ctx`], boxed: the idle session stays small). An anonymous visitor has no row until
//! their first message (or hand-over); until then the decision is the session's and is
//! written when the row is made ([`adopted`]).
//!
//! **The robot answers** a visitor message the way people do: the visitor's message is stored
//! as always (writer, ack after commit, `cmid` idempotency) but not routed to agents; the
//! reply is stored as an ordinary message (author robot, `nick` = the robot's name), published
//! to every tab on every node and queued for the seed 000 push URL, and a
//! [`ReceptionFrame`] follows with the suggestions of an unsure answer and, once the robot
//! missed `manual_after` times (`show_manual`), the hand-over control.
//!
//! **Hand-over** ([`hand_over`]): with nobody available the visitor is told the offline text
//! (`agent_offline_title`, else the site's, else a default) and the robot keeps answering;
//! otherwise the visitor becomes human-answered and joins the queue now
//! (`routing::hand_over`, from `crate::conversation::hand_over`), so the agent who takes them
//! gets `32401` with the robot part in its `recs` (and `32100` shows it).
//!
//! **Agent greeting** ([`taken`]): when an agent takes the chat (from the queue, or by
//! answering), `agent_hello_word` (else the site's `agent_hello`) is stored as that agent's
//! message, once per take (by `crate::conversation::greet`).
//!
//! Every change of the frame reaches every tab (`Hub::publish_reception`, a bus note).

use shared::config::Locale;
use shared::reception::{Answerer, Mode, Reception, ReceptionFrame};
use shared::visitor::MsgKind;

use crate::db::{
    DbResult, ReceptionState, ReceptionValues, Site, SiteReception, StoredMessage, Visitor,
};
use crate::robot::{Reply, RobotInfo};
use crate::routing::{self, Availability};
use crate::AppState;

/// Guide questions shown at the start with `guide_flag`.
const GUIDE_QUESTIONS: usize = 5;

/// What a visitor session knows of its reception (from its hello and the site).
pub struct Ctx {
    pub values: ReceptionValues,
    mode: Mode,
    manual_after: u32,
    site_offline: Option<String>,
    /// The robot receiving this visitor (modes 1, 3, 4).
    robot: Option<RobotInfo>,
    /// The greeting shown at the top while the robot answers (not stored).
    greeting: Option<String>,
    guide: bool,
    /// A pending visitor's decided answerer, written when their row is made.
    pending: Answerer,
}

fn locale_of(values: &ReceptionValues) -> Locale {
    Locale::parse(&values.locale).unwrap_or_default()
}

fn mode_of(values: &ReceptionValues) -> Mode {
    Mode::parse(&values.mode.to_string()).unwrap_or(Mode::HumanOnly)
}

/// The offline text when nobody can take the visitor.
fn default_offline(locale: Locale) -> &'static str {
    match locale {
        Locale::Cn => "人工客服暂时不在线，请稍后再试",
        Locale::En => "No agent is available right now. Please try again later.",
        Locale::Tw => "人工客服暫時不在線，請稍後再試",
    }
}

impl Ctx {
    fn offline_text(&self) -> String {
        self.values
            .offline_title
            .clone()
            .or_else(|| self.site_offline.clone())
            .unwrap_or_else(|| default_offline(locale_of(&self.values)).to_owned())
    }

    /// Whether the hand-over control shows while the robot answers.
    fn manual(&self, misses: i64) -> bool {
        matches!(self.mode, Mode::RobotFirst | Mode::HumanFirst)
            && (!self.values.show_manual || misses >= i64::from(self.manual_after))
    }

    /// The frame for the state: `robot` answers or not, plus the greeting, suggestions and
    /// offline text given.
    fn frame(
        &self,
        robot: bool,
        misses: i64,
        greeting: bool,
        suggest: Vec<String>,
        offline: Option<String>,
    ) -> ReceptionFrame {
        ReceptionFrame {
            mode: if robot {
                Answerer::Robot
            } else {
                Answerer::Human
            },
            robot: self.robot.as_ref().map(|r| r.name.clone()),
            greeting: if robot && greeting {
                self.greeting.clone()
            } else {
                None
            },
            suggest,
            manual: robot && self.manual(misses),
            offline,
        }
    }
}

/// The effective reception values: the hello's, else the site's.
pub fn values_of(hello: Option<&Reception>, site: &SiteReception) -> ReceptionValues {
    let mode = hello.and_then(Reception::mode).unwrap_or(site.mode);
    ReceptionValues {
        mode: mode as u8,
        robotid: hello.and_then(Reception::robot_id),
        faqid: hello.and_then(Reception::faq_group),
        show_manual: hello.is_some_and(Reception::show_manual),
        agent_hello: hello.and_then(Reception::agent_hello).map(str::to_owned),
        offline_title: hello.and_then(Reception::offline_title).map(str::to_owned),
        locale: hello
            .and_then(|r| r.locale.as_deref())
            .and_then(Locale::parse)
            .unwrap_or_default()
            .as_str()
            .to_owned(),
    }
}

/// A visitor as routing sees one who has no row yet (an anonymous visitor before their first
/// message): site-wide or in the group they asked for, no other route. Only used to ask
/// whether anybody could take them now.
fn unsaved(site: &Site, group: Option<i64>) -> Visitor {
    Visitor {
        id: 0,
        site_id: site.id,
        partnerid: None,
        claimed_partnerid: String::new(),
        uname: String::new(),
        source: String::new(),
        agent_id: None,
        last_seq: 0,
        agent_read_seq: 0,
        waiting_since: None,
        group_id: group,
        route: None,
        priority: 0,
    }
}

/// Who answers at the start of a session, and whether that overrides a stored choice: the
/// robot in mode 1, people in mode 2, the robot in mode 3 unless a hand-over was made, and
/// in mode 4 the robot exactly while nobody is available.
async fn initial_answerer(state: &AppState, mode: Mode, v: &Visitor) -> DbResult<(Answerer, bool)> {
    Ok(match mode {
        Mode::RobotOnly => (Answerer::Robot, true),
        Mode::HumanOnly => (Answerer::Human, true),
        Mode::RobotFirst => (Answerer::Robot, false),
        Mode::HumanFirst => {
            let nobody = routing::availability(state, v).await? == Availability::Nobody;
            (
                if nobody {
                    Answerer::Robot
                } else {
                    Answerer::Human
                },
                true,
            )
        }
    })
}

/// After `synced`: the session's reception, stored on the visitor's row when they have one,
/// and the frame to send (`None` for a human-only visitor with nothing to say).
pub async fn start(
    state: &AppState,
    site: &Site,
    visitor: Option<&Visitor>,
    group: Option<i64>,
    hello: Option<&Reception>,
) -> DbResult<(Box<Ctx>, Option<ReceptionFrame>)> {
    let site_rc = &site.reception;
    let stored = match visitor {
        Some(v) => state.db.reception_state(v.id).await?.unwrap_or_default(),
        None => ReceptionState::default(),
    };
    // A hello without reception keys (the host page's notifier, a plain chat link) keeps
    // what an earlier hello of this visitor stored; otherwise the hello's values, else the
    // site's.
    let values = match (hello, &stored.values) {
        (None, Some(kept)) => kept.clone(),
        _ => values_of(hello, site_rc),
    };
    let mode = mode_of(&values);
    let robot = match mode {
        Mode::HumanOnly => None,
        _ => Some(
            state
                .robots
                .robot_in(&state.db, site.id, values.robotid, locale_of(&values))
                .await?,
        ),
    };
    let greeting = robot.as_ref().map(|r| {
        hello
            .and_then(Reception::robot_hello)
            .map(str::to_owned)
            .unwrap_or_else(|| r.hello.clone())
    });
    let mut ctx = Box::new(Ctx {
        values,
        mode,
        manual_after: site_rc.manual_after,
        site_offline: site_rc.offline_title.clone(),
        robot,
        greeting: greeting.filter(|g| !g.trim().is_empty()),
        guide: hello.is_some_and(Reception::guide),
        pending: Answerer::Human,
    });
    let st = match visitor {
        Some(v) => {
            let (a, force) = initial_answerer(state, mode, v).await?;
            let st = stored;
            // A write only when something changes (a returning visitor's hello usually
            // says what the row holds; a human-only visitor with nothing to keep, nothing).
            let same = st.values.as_ref() == Some(&ctx.values)
                && (st.answerer == Some(a) || (!force && st.answerer.is_some()));
            let nothing = st.values.is_none() && ctx.values == values_of(None, site_rc);
            if same || (nothing && mode == Mode::HumanOnly) {
                st
            } else {
                state
                    .db
                    .start_reception(v.id, &ctx.values, a, force)
                    .await?
                    .unwrap_or_default()
            }
        }
        None => {
            let (a, _) = initial_answerer(state, mode, &unsaved(site, group)).await?;
            ctx.pending = a;
            ReceptionState {
                answerer: Some(a),
                ..ReceptionState::default()
            }
        }
    };
    let robot = st.robot_answers() && ctx.robot.is_some();
    let frame = if robot {
        let suggest = if ctx.guide {
            state
                .robots
                .guide(
                    &state.db,
                    site.id,
                    ctx.values.robotid,
                    ctx.values.faqid,
                    GUIDE_QUESTIONS,
                )
                .await?
        } else {
            Vec::new()
        };
        Some(ctx.frame(true, st.misses, true, suggest, None))
    } else {
        // People answer: only the offline text is news (a visitor waiting while nobody can
        // take them).
        let offline = match visitor {
            Some(v) if v.agent_id.is_none() && v.waiting_since.is_some() => {
                nobody_text(state, &ctx, v).await?
            }
            _ => None,
        };
        (offline.is_some() || ctx.mode != Mode::HumanOnly)
            .then(|| ctx.frame(false, st.misses, false, Vec::new(), offline))
    };
    Ok((ctx, frame))
}

/// The offline text when nobody can take visitor `v` now.
async fn nobody_text(state: &AppState, ctx: &Ctx, v: &Visitor) -> DbResult<Option<String>> {
    Ok(
        (routing::availability(state, v).await? == Availability::Nobody)
            .then(|| ctx.offline_text()),
    )
}

/// A pending visitor got their row: what the session decided is stored on it.
pub async fn adopted(state: &AppState, ctx: &Ctx, v: &Visitor) -> DbResult<()> {
    let force = ctx.mode != Mode::RobotFirst;
    state
        .db
        .start_reception(v.id, &ctx.values, ctx.pending, force)
        .await?;
    Ok(())
}

/// Before a visitor message is stored: whether the robot answers it (then it is not routed
/// to agents). In mode 4 this follows availability: the robot answers only while nobody
/// can take the visitor, and the tabs learn when that changes.
pub async fn robot_answers(state: &AppState, ctx: &Ctx, v: &Visitor) -> DbResult<bool> {
    if ctx.robot.is_none() || v.agent_id.is_some() {
        return Ok(false);
    }
    let st = state.db.reception_state(v.id).await?.unwrap_or_default();
    match ctx.mode {
        Mode::RobotOnly => Ok(true),
        Mode::HumanOnly => Ok(false),
        Mode::RobotFirst => Ok(st.robot_answers()),
        Mode::HumanFirst => {
            let nobody = routing::availability(state, v).await? == Availability::Nobody;
            let now = if nobody {
                Answerer::Robot
            } else {
                Answerer::Human
            };
            if state.db.set_answerer(v.id, now).await? {
                state.hub.publish_reception(
                    v.id,
                    ctx.frame(nobody, st.misses, nobody, Vec::new(), None),
                );
            }
            Ok(nobody)
        }
    }
}

/// What the robot says to a visitor's message, before it is stored.
pub struct RobotReply {
    /// The robot's name (stored with the message).
    pub name: String,
    pub text: String,
    suggest: Vec<String>,
    /// The robot did not know the answer (`Unsure` or `Unknown`).
    missed: bool,
}

/// The robot's reply to visitor message `question` (already stored and published); `None`
/// when no robot receives this visitor. The caller stores it as the robot's message
/// (`crate::conversation`), then calls [`replied`].
pub async fn reply(
    state: &AppState,
    ctx: &Ctx,
    site_id: i64,
    kind: MsgKind,
    question: &str,
) -> DbResult<Option<RobotReply>> {
    let Some(robot) = &ctx.robot else {
        return Ok(None);
    };
    let locale = locale_of(&ctx.values);
    // Pictures, files and cards are for people: the robot cannot read them (it answers as
    // to a question it does not know).
    let question = if kind == MsgKind::Text { question } else { "" };
    let reply = state
        .robots
        .reply(
            &state.db,
            site_id,
            ctx.values.robotid,
            ctx.values.faqid,
            locale,
            question,
        )
        .await?;
    let (text, suggest, missed) = match reply {
        Reply::Answer { text, .. } => (text, Vec::new(), false),
        Reply::Unsure { text, suggestions } => (text, suggestions, true),
        Reply::Unknown { text } => (text, Vec::new(), true),
    };
    Ok(Some(RobotReply {
        name: robot.name.clone(),
        text,
        suggest,
        missed,
    }))
}

/// After the robot's reply was stored and published: a miss is counted, and every tab gets
/// the frame (the unsure answer's suggestions, the hand-over control once it shows).
pub async fn replied(
    state: &AppState,
    ctx: &Ctx,
    visitor_id: i64,
    reply: RobotReply,
) -> DbResult<()> {
    let misses = if reply.missed {
        state.db.robot_missed(visitor_id).await?
    } else {
        state
            .db
            .reception_state(visitor_id)
            .await?
            .map_or(0, |s| s.misses)
    };
    state.hub.publish_reception(
        visitor_id,
        ctx.frame(true, misses, false, reply.suggest, None),
    );
    Ok(())
}

/// After visitor message `m` was routed to people: a visitor whom this message put in the
/// queue while nobody can take them sees the offline text instead of a queue position (once
/// per wait, not per message).
pub async fn routed(state: &AppState, ctx: &Ctx, m: &StoredMessage) -> DbResult<()> {
    let Some(v) = state.db.visitor_by_id(m.visitor_id).await? else {
        return Ok(());
    };
    if v.agent_id.is_some() || v.waiting_since != Some(m.created_at) {
        return Ok(());
    }
    if let Some(text) = nobody_text(state, ctx, &v).await? {
        let misses = state
            .db
            .reception_state(v.id)
            .await?
            .map_or(0, |s| s.misses);
        state.hub.publish_reception(
            v.id,
            ctx.frame(false, misses, false, Vec::new(), Some(text)),
        );
    }
    Ok(())
}

/// The visitor asked for a person (`handover`): `true` when they are to wait for people now
/// (the caller, `crate::conversation::hand_over`, routes them). Only while the robot answers
/// in mode 3 or 4; anything else is ignored. With nobody available the robot keeps
/// answering and the tabs are told why nobody comes.
pub async fn hand_over(state: &AppState, ctx: &Ctx, v: &Visitor) -> DbResult<bool> {
    if !matches!(ctx.mode, Mode::RobotFirst | Mode::HumanFirst) || v.agent_id.is_some() {
        return Ok(false);
    }
    let st = state.db.reception_state(v.id).await?.unwrap_or_default();
    if !st.robot_answers() {
        return Ok(false);
    }
    if routing::availability(state, v).await? == Availability::Nobody {
        state.hub.publish_reception(
            v.id,
            ctx.frame(true, st.misses, false, Vec::new(), Some(ctx.offline_text())),
        );
        return Ok(false);
    }
    if !state.db.set_answerer(v.id, Answerer::Human).await? {
        return Ok(false); // another tab handed over first
    }
    tracing::info!(visitor = v.id, "handed over to people");
    state
        .hub
        .publish_reception(v.id, ctx.frame(false, st.misses, false, Vec::new(), None));
    Ok(true)
}

/// The greeting said when an agent takes a chat, and whose words it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Greeting {
    /// The site's own (`admin site set --agent-hello`): said as the agent who took the chat.
    Site(String),
    /// The page's `agent_hello_word`: said as the site's (a system line), never as an agent's
    /// own words — nobody vouched for it.
    Page(String),
}

/// An agent took visitor `v` (assigned from the queue, or claimed by answering): the tabs
/// learn that a person answers now, and the greeting to store is returned (the page's
/// `agent_hello_word`, else the site's `agent_hello`; `None` when there is none).
pub async fn taken(state: &AppState, v: &Visitor) -> DbResult<Option<Greeting>> {
    let st = state.db.reception_state(v.id).await?.unwrap_or_default();
    let site_rc = state.db.site_reception(v.site_id).await?;
    let page = st.values.as_ref().and_then(|x| x.agent_hello.clone());
    let hello = match (page, site_rc.agent_hello) {
        (Some(p), _) if !p.trim().is_empty() => Some(Greeting::Page(p)),
        (_, Some(s)) if !s.trim().is_empty() => Some(Greeting::Site(s)),
        _ => None,
    };
    if st.answerer == Some(Answerer::Robot) {
        state.db.set_answerer(v.id, Answerer::Human).await?;
    }
    // A person answers now: no hand-over control, no offline text (a tab that never showed
    // anything of reception ignores this).
    state.hub.publish_reception(
        v.id,
        ReceptionFrame {
            mode: Answerer::Human,
            robot: None,
            greeting: None,
            suggest: Vec::new(),
            manual: false,
            offline: None,
        },
    );
    Ok(hello)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(mode: Mode) -> SiteReception {
        SiteReception {
            mode,
            manual_after: 2,
            offline_title: Some("下班了".into()),
            agent_hello: None,
        }
    }

    #[test]
    fn the_hello_overrides_the_site() {
        let hello = Reception {
            mode: Some("3".into()),
            robotid: Some("7".into()),
            faqid: Some("x".into()),
            show_manual: Some("1".into()),
            agent_hello_word: Some(" 您好 ".into()),
            locale: Some("en".into()),
            ..Reception::default()
        };
        let v = values_of(Some(&hello), &site(Mode::HumanOnly));
        assert_eq!(v.mode, 3);
        assert_eq!((v.robotid, v.faqid), (Some(7), None));
        assert!(v.show_manual);
        assert_eq!(v.agent_hello.as_deref(), Some("您好"));
        assert_eq!(v.locale, "en");
        let v = values_of(None, &site(Mode::HumanFirst));
        assert_eq!((v.mode, v.locale.as_str()), (4, "cn"));
        let bad = Reception {
            mode: Some("9".into()),
            locale: Some("fr".into()),
            ..Reception::default()
        };
        let v = values_of(Some(&bad), &site(Mode::RobotOnly));
        assert_eq!((v.mode, v.locale.as_str()), (1, "cn"));
        assert_eq!(mode_of(&v), Mode::RobotOnly);
    }

    fn ctx(mode: Mode, show_manual: bool) -> Ctx {
        Ctx {
            values: ReceptionValues {
                mode: mode as u8,
                show_manual,
                locale: "tw".into(),
                ..ReceptionValues::default()
            },
            mode,
            manual_after: 2,
            site_offline: None,
            robot: Some(RobotInfo {
                robotid: 1,
                name: "小智".into(),
                hello: "你好".into(),
            }),
            greeting: Some("你好".into()),
            guide: false,
            pending: Answerer::Robot,
        }
    }

    #[test]
    fn the_hand_over_control_follows_mode_and_misses() {
        assert!(!ctx(Mode::RobotOnly, false).manual(0), "mode 1 never");
        assert!(ctx(Mode::RobotFirst, false).manual(0));
        assert!(ctx(Mode::HumanFirst, false).manual(0));
        let c = ctx(Mode::RobotFirst, true);
        assert!(
            !c.manual(1) && c.manual(2),
            "show_manual: after manual_after misses"
        );
        let f = c.frame(true, 2, true, vec!["q".into()], None);
        assert_eq!(f.mode, Answerer::Robot);
        assert!(f.manual);
        assert_eq!(f.greeting.as_deref(), Some("你好"));
        assert_eq!(f.robot.as_deref(), Some("小智"));
        let f = c.frame(false, 9, true, Vec::new(), None);
        assert!(
            !f.manual && f.greeting.is_none(),
            "people answer: no control, no greeting"
        );
        assert_eq!(c.offline_text(), default_offline(Locale::Tw));
    }
}

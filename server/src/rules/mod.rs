//! Routing decisions as pure functions (SPEC §9, seed 003 接待模式 / VIP智能路由接待 /
//! 平台电商对接): given a visitor's [`Route`] (what their page asked for, resolved to ids when
//! it was stored) and a [`Snapshot`] of the agents and groups that could serve them (read once
//! by `routing.rs` from the shared tables, so every node decides alike), [`decide`] returns the
//! agents to try in order, or why nobody can take the visitor now.
//!
//! Rules, in order:
//! 1. `agentid`: that agent if they can take the visitor. Otherwise with `agent_mode_flag` 1
//!    the visitor waits for them (`Busy`: online but full or suspended) or gets the offline
//!    prompt (`Nobody`: offline or unknown); with 0 the rules below apply.
//! 2. `groupid`: the least-loaded free agent of that group; else `Busy`/`Nobody` for the group.
//! 3. `transfer_action`, rule by rule: the rule's target if someone there is free; else a rule
//!    with overflow whose spill condition holds goes on to the next rule (after the last one:
//!    to rule 4); any other rule keeps the visitor there (`Busy` or `Nobody`).
//!    Spill conditions (`spillId`): 1 agent offline; 2 agent at `max_chats`; 3 agent offline,
//!    suspended or busy; 4 nobody of the group online; 5 everyone of the group online busy;
//!    6 group off duty; 7 group off duty, nobody online or all busy. (An agent condition on a
//!    group rule reads as the group's, and the other way round.)
//! 4. Otherwise: the least-loaded free agent of the site.
//!
//! `flowType` then may overflow to the linked site's group (`Route::flow`, only stored when
//! both sites are linked to the same platform): 1 always there, 2 when the result above is
//! `Busy`, 3 when it is `Nobody` — and only if someone there is free (else the result above
//! stands; with 1, that group's own `Busy`/`Nobody`).
//!
//! "Free" = online on some node, not suspended, serving fewer than `max_chats`, enabled, and
//! for a group: a member, the group enabled and on duty ([`on_duty`]). Candidates are ordered
//! least loaded first, ties by lowest kf_id; the claim in `db` enforces `max_chats` again.
//!
//! Queue order: `priority` desc, then waiting time: `queueFirst` visitors first, then VIPs by
//! their level's rank (higher first), then everyone else first come first served
//! ([`priority`]). Waiters compete only with waiters for the same target ([`Route::queue_key`]).

use serde::{Deserialize, Serialize};
use shared::reception::{FlowType, Spill};

// ----- working hours ------------------------------------------------------------------------

/// A group's working hours: spans like `Mon-Fri 09:00-18:00; Sat 10:00-14:00`. A span whose
/// end is not after its start crosses midnight (`Fri 22:00-02:00` covers Saturday 01:00).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    spans: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    /// Bit 0 = Monday … bit 6 = Sunday: the days the span starts on.
    days: u8,
    /// Minutes after midnight; `end` 1440 = 24:00.
    start: u16,
    end: u16,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day(s: &str) -> Result<u8, String> {
    const NAMES: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let l = s.trim().to_ascii_lowercase();
    (0..7)
        .find(|&i| l == DAYS[i] || l == NAMES[i])
        .map(|i| i as u8)
        .ok_or_else(|| format!("not a day: {s:?} (use Mon, Tue, … Sun)"))
}

fn days(s: &str) -> Result<u8, String> {
    let mut mask = 0u8;
    for part in s.split(',') {
        let part = part.trim();
        if part.eq_ignore_ascii_case("daily") {
            mask |= 0x7f;
            continue;
        }
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                let mut d = a;
                loop {
                    mask |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => mask |= 1 << day(part)?,
        }
    }
    Ok(mask)
}

fn clock(s: &str) -> Result<u16, String> {
    let bad = || format!("not a time: {s:?} (use HH:MM, 00:00-24:00)");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m != 0) || s.trim().len() != 5 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl Hours {
    /// Parses `DAYS HH:MM-HH:MM[; DAYS HH:MM-HH:MM …]`; DAYS is a day (`Mon`), a range
    /// (`Mon-Fri`, may wrap: `Fri-Mon`), a comma list (`Mon,Wed`) or `Daily`.
    pub fn parse(s: &str) -> Result<Hours, String> {
        let mut spans = Vec::new();
        for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (d, t) = part
                .rsplit_once(' ')
                .ok_or_else(|| format!("{part:?}: expected e.g. \"Mon-Fri 09:00-18:00\""))?;
            let (a, b) = t
                .split_once('-')
                .ok_or_else(|| format!("{t:?}: expected a time range like 09:00-18:00"))?;
            let (start, end) = (clock(a)?, clock(b)?);
            if start == end || start == 1440 {
                return Err(format!("{t:?}: an empty time range"));
            }
            spans.push(Span {
                days: days(d)?,
                start,
                end,
            });
        }
        if spans.is_empty() {
            return Err("working hours are empty".into());
        }
        Ok(Hours { spans })
    }
}

/// A time zone by IANA name (`Asia/Shanghai`), for [`on_duty`].
pub fn time_zone(name: &str) -> Result<jiff::tz::TimeZone, String> {
    jiff::tz::TimeZone::get(name.trim()).map_err(|_| format!("unknown time zone {name:?}"))
}

/// Whether `now` falls in `hours` in the zone `tz` (wall-clock time there, so a DST change
/// moves the hours with the local clock).
pub fn on_duty(hours: &Hours, tz: &jiff::tz::TimeZone, now: jiff::Timestamp) -> bool {
    let local = tz.to_datetime(now);
    let wd = local.weekday().to_monday_zero_offset() as u8;
    let yesterday = (wd + 6) % 7;
    let min = local.hour() as u16 * 60 + local.minute() as u16;
    hours.spans.iter().any(|s| {
        let on = |d: u8| s.days & (1 << d) != 0;
        if s.start < s.end {
            on(wd) && (s.start..s.end).contains(&min)
        } else {
            (on(wd) && min >= s.start) || (on(yesterday) && min < s.end)
        }
    })
}

// ----- the route ------------------------------------------------------------------------------

/// What a visitor's page asked of routing, resolved to ids when stored (`routing.rs`), kept on
/// the visitor row as JSON. The `groupid` is the row's own `group_id` column ([`Route::group`]
/// is filled from it when read, not stored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The page named an agent (`agentid`), known or not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub agent_asked: bool,
    /// That agent's kf_id; `None`: no agent of the site has that id or external id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<i64>,
    /// `agent_mode_flag` 1.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict: bool,
    #[serde(skip)]
    pub group: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<Flow>,
}

/// One `transfer_action` rule, its `deciId` resolved (`None`: names nothing of the site).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub to: To,
    pub overflow: bool,
    /// `spillId` 1–7.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spill: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum To {
    Agent(Option<i64>),
    Group(Option<i64>),
}

/// `flowType` overflow to a linked site's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// 1 always, 2 when busy, 3 when offline.
    pub when: i64,
    pub site_id: i64,
    pub group_id: i64,
}

impl Flow {
    pub fn kind(&self) -> Option<FlowType> {
        match self.when {
            1 => Some(FlowType::Always),
            2 => Some(FlowType::WhenBusy),
            3 => Some(FlowType::WhenOffline),
            _ => None,
        }
    }
}

impl Route {
    /// Nothing asked: the site's default rule.
    pub fn is_empty(&self) -> bool {
        !self.agent_asked && self.group.is_none() && self.rules.is_empty() && self.flow.is_none()
    }

    /// The stored form (`None` for an empty route).
    pub fn to_json(&self) -> Option<String> {
        let plain = Route {
            group: None,
            ..self.clone()
        };
        (!plain.is_empty()).then(|| serde_json::to_string(&plain).expect("plain structs serialise"))
    }

    /// The stored form read back (nonsense: an empty route), with the row's group.
    pub fn from_stored(json: Option<&str>, group: Option<i64>) -> Route {
        let mut r: Route = json
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default();
        r.group = group;
        r
    }

    /// The target waiters compete for: visitors with the same key queue behind each other,
    /// others do not count in each other's position.
    pub fn queue_key(&self) -> String {
        if let (true, Some(a)) = (self.strict, self.agent) {
            return format!("agent:{a}");
        }
        if let Some(g) = self.group {
            return format!("group:{g}");
        }
        match self.rules.first().map(|r| r.to) {
            Some(To::Agent(Some(a))) => return format!("agent:{a}"),
            Some(To::Group(Some(g))) => return format!("group:{g}"),
            _ => {}
        }
        match self.flow {
            Some(f) if f.when == 1 => format!("flow:{}:{}", f.site_id, f.group_id),
            _ => "site".into(),
        }
    }
}

/// The queue priority stored on the visitor row: `queueFirst` above every VIP, a VIP above
/// everyone else, higher ranks first. `vip_rank`: the rank of the visitor's VIP level (for
/// `is_vip` without a known level, the site's lowest rank), `None` when not a VIP.
pub fn priority(queue_first: bool, vip_rank: Option<i64>) -> i64 {
    const FIRST: i64 = 1 << 40;
    if queue_first {
        return FIRST;
    }
    match vip_rank {
        Some(r) => 1 + r.clamp(0, FIRST - 2),
        None => 0,
    }
}

// ----- the snapshot and the decision --------------------------------------------------------

/// An enabled agent of a site the decision may look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSnap {
    pub id: i64,
    pub site_id: i64,
    /// Has a live connection on some node.
    pub online: bool,
    /// Every live connection is suspended.
    pub suspended: bool,
    /// Visitors it serves now.
    pub load: i64,
    pub max_chats: i64,
    /// Its enabled groups.
    pub groups: Vec<i64>,
}

impl AgentSnap {
    fn free(&self) -> bool {
        self.online && !self.suspended && self.load < self.max_chats
    }
}

/// An enabled group and whether it is on duty now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSnap {
    pub id: i64,
    pub site_id: i64,
    pub on_duty: bool,
}

/// Who could serve, read once per decision (or per queue drain).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub agents: Vec<AgentSnap>,
    pub groups: Vec<GroupSnap>,
}

impl Snapshot {
    /// Counts a visitor just assigned to `agent_id`, so later decisions from the same snapshot
    /// see the load.
    pub fn took(&mut self, agent_id: i64) {
        if let Some(a) = self.agents.iter_mut().find(|a| a.id == agent_id) {
            a.load += 1;
        }
    }
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Try these agents in order.
    Serve(Vec<i64>),
    /// Someone fitting is online (and on duty) but full or suspended: wait in the queue.
    Busy,
    /// Nobody fitting is online or on duty: the offline prompt.
    Nobody,
}

/// What the decision knows about one target (an agent, a group or the whole site).
#[derive(Debug, Default)]
struct Look {
    /// Free agents, least loaded first.
    free: Vec<i64>,
    /// Someone of the target is online (free or not).
    online: bool,
    /// A group outside its working hours.
    off_duty: bool,
}

impl Look {
    fn of<'a>(agents: impl Iterator<Item = &'a AgentSnap>, off_duty: bool) -> Look {
        let mut l = Look {
            off_duty,
            ..Look::default()
        };
        let mut free: Vec<(i64, i64)> = Vec::new();
        for a in agents {
            l.online |= a.online;
            if a.free() && !off_duty {
                free.push((a.load, a.id));
            }
        }
        free.sort_unstable();
        l.free = free.into_iter().map(|(_, id)| id).collect();
        l
    }

    /// Where the visitor stays when nobody here is free.
    fn stay(&self) -> Decision {
        if !self.free.is_empty() {
            Decision::Serve(self.free.clone())
        } else if self.online && !self.off_duty {
            Decision::Busy
        } else {
            Decision::Nobody
        }
    }

    /// Whether `spill` holds (only asked when nobody here is free).
    fn spills(&self, spill: Spill) -> bool {
        match spill {
            Spill::AgentOffline | Spill::GroupNobodyOnline => !self.online,
            Spill::AgentBusy | Spill::GroupAllBusy => {
                self.online && !self.off_duty && self.free.is_empty()
            }
            Spill::GroupOffDuty => self.off_duty,
            Spill::AgentSmart | Spill::GroupSmart => self.free.is_empty(),
        }
    }
}

fn look_agent(snap: &Snapshot, agent: Option<i64>) -> Look {
    Look::of(snap.agents.iter().filter(|a| Some(a.id) == agent), false)
}

fn look_group(snap: &Snapshot, group: Option<i64>) -> Look {
    let Some(g) = group.and_then(|g| snap.groups.iter().find(|s| s.id == g)) else {
        // Disabled or unknown: nobody there.
        return Look::default();
    };
    Look::of(
        snap.agents
            .iter()
            .filter(|a| a.site_id == g.site_id && a.groups.contains(&g.id)),
        !g.on_duty,
    )
}

fn look_site(snap: &Snapshot, site_id: i64) -> Look {
    Look::of(snap.agents.iter().filter(|a| a.site_id == site_id), false)
}

/// The decision for a visitor of `site_id` with `route` (see the module doc).
pub fn decide(route: &Route, site_id: i64, snap: &Snapshot) -> Decision {
    let own = decide_own(route, site_id, snap);
    let Some(flow) = route.flow else {
        return own;
    };
    let there = look_group(snap, Some(flow.group_id));
    match flow.kind() {
        Some(FlowType::Always) => there.stay(),
        Some(FlowType::WhenBusy) if own == Decision::Busy && !there.free.is_empty() => {
            Decision::Serve(there.free)
        }
        Some(FlowType::WhenOffline) if own == Decision::Nobody && !there.free.is_empty() => {
            Decision::Serve(there.free)
        }
        _ => own,
    }
}

fn decide_own(route: &Route, site_id: i64, snap: &Snapshot) -> Decision {
    if route.agent_asked {
        let l = look_agent(snap, route.agent);
        if !l.free.is_empty() || route.strict {
            return l.stay();
        }
    }
    if route.group.is_some() {
        return look_group(snap, route.group).stay();
    }
    for rule in &route.rules {
        let l = match rule.to {
            To::Agent(a) => look_agent(snap, a),
            To::Group(g) => look_group(snap, g),
        };
        if !l.free.is_empty() {
            return Decision::Serve(l.free);
        }
        let spill = rule.overflow
            && rule
                .spill
                .and_then(Spill::from_id)
                .is_some_and(|s| l.spills(s));
        if !spill {
            return l.stay();
        }
    }
    look_site(snap, site_id).stay()
}

#[cfg(test)]
mod tests;

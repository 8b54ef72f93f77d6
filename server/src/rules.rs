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
mod tests {
    use super::*;

    const SITE: i64 = 1;
    const OTHER: i64 = 2;

    fn agent(id: i64, groups: &[i64]) -> AgentSnap {
        AgentSnap {
            id,
            site_id: SITE,
            online: true,
            suspended: false,
            load: 0,
            max_chats: 2,
            groups: groups.to_vec(),
        }
    }
    fn offline(mut a: AgentSnap) -> AgentSnap {
        a.online = false;
        a
    }
    fn full(mut a: AgentSnap) -> AgentSnap {
        a.load = a.max_chats;
        a
    }
    fn suspended(mut a: AgentSnap) -> AgentSnap {
        a.suspended = true;
        a
    }
    fn group(id: i64, on_duty: bool) -> GroupSnap {
        GroupSnap {
            id,
            site_id: SITE,
            on_duty,
        }
    }
    fn snap(agents: Vec<AgentSnap>, groups: Vec<GroupSnap>) -> Snapshot {
        Snapshot { agents, groups }
    }
    fn rule(to: To, overflow: bool, spill: i64) -> Rule {
        Rule {
            to,
            overflow,
            spill: Some(spill),
        }
    }
    fn rules(r: Vec<Rule>) -> Route {
        Route {
            rules: r,
            ..Route::default()
        }
    }
    fn serve(ids: &[i64]) -> Decision {
        Decision::Serve(ids.to_vec())
    }

    #[test]
    fn site_wide_least_loaded_then_lowest_id() {
        let mut a = agent(10, &[]);
        a.load = 1;
        let s = snap(
            vec![a, agent(12, &[]), agent(11, &[]), offline(agent(9, &[]))],
            vec![],
        );
        assert_eq!(decide(&Route::default(), SITE, &s), serve(&[11, 12, 10]));
        let s = snap(vec![full(agent(1, &[])), suspended(agent(2, &[]))], vec![]);
        assert_eq!(decide(&Route::default(), SITE, &s), Decision::Busy);
        let s = snap(vec![offline(agent(1, &[]))], vec![]);
        assert_eq!(decide(&Route::default(), SITE, &s), Decision::Nobody);
        assert_eq!(
            decide(&Route::default(), SITE, &Snapshot::default()),
            Decision::Nobody
        );
    }

    #[test]
    fn agentid_strict_and_not() {
        let strict = |a| Route {
            agent_asked: true,
            agent: a,
            strict: true,
            ..Route::default()
        };
        let loose = |a| Route {
            strict: false,
            ..strict(a)
        };
        let others = |x: AgentSnap| snap(vec![x, agent(2, &[])], vec![]);
        assert_eq!(
            decide(&strict(Some(1)), SITE, &others(agent(1, &[]))),
            serve(&[1])
        );
        assert_eq!(
            decide(&strict(Some(1)), SITE, &others(full(agent(1, &[])))),
            Decision::Busy
        );
        assert_eq!(
            decide(&strict(Some(1)), SITE, &others(suspended(agent(1, &[])))),
            Decision::Busy
        );
        assert_eq!(
            decide(&strict(Some(1)), SITE, &others(offline(agent(1, &[])))),
            Decision::Nobody
        );
        assert_eq!(
            decide(&strict(None), SITE, &others(agent(1, &[]))),
            Decision::Nobody
        );
        // agent_mode_flag 0: that agent if free, else the rest.
        assert_eq!(
            decide(&loose(Some(1)), SITE, &others(agent(1, &[]))),
            serve(&[1])
        );
        assert_eq!(
            decide(&loose(Some(1)), SITE, &others(offline(agent(1, &[])))),
            serve(&[2])
        );
        assert_eq!(
            decide(&loose(Some(1)), SITE, &others(full(agent(1, &[])))),
            serve(&[2])
        );
        assert_eq!(
            decide(&loose(None), SITE, &others(agent(1, &[]))),
            serve(&[1, 2])
        );
    }

    #[test]
    fn groupid_keeps_the_visitor_in_the_group() {
        let r = Route {
            group: Some(7),
            ..Route::default()
        };
        let s = snap(vec![agent(1, &[7]), agent(2, &[])], vec![group(7, true)]);
        assert_eq!(decide(&r, SITE, &s), serve(&[1]));
        let s = snap(
            vec![full(agent(1, &[7])), agent(2, &[])],
            vec![group(7, true)],
        );
        assert_eq!(decide(&r, SITE, &s), Decision::Busy);
        let s = snap(
            vec![offline(agent(1, &[7])), agent(2, &[])],
            vec![group(7, true)],
        );
        assert_eq!(decide(&r, SITE, &s), Decision::Nobody);
        // Off duty: nobody serves, even online members.
        let s = snap(vec![agent(1, &[7])], vec![group(7, false)]);
        assert_eq!(decide(&r, SITE, &s), Decision::Nobody);
        // A disabled group (absent from the snapshot): nobody.
        let s = snap(vec![agent(1, &[7])], vec![]);
        assert_eq!(decide(&r, SITE, &s), Decision::Nobody);
    }

    /// Rule 1 to group 7 overflowing on `spill`, rule 2 to group 8 without overflow.
    fn two_groups(spill: i64) -> Route {
        rules(vec![
            rule(To::Group(Some(7)), true, spill),
            Rule {
                to: To::Group(Some(8)),
                overflow: false,
                spill: None,
            },
        ])
    }

    #[test]
    fn group_spill_conditions() {
        let g8 = || agent(2, &[8]);
        let on = || vec![group(7, true), group(8, true)];
        let off = || vec![group(7, false), group(8, true)];
        let nobody = snap(vec![offline(agent(1, &[7])), g8()], on());
        let busy = snap(vec![full(agent(1, &[7])), g8()], on());
        let susp = snap(vec![suspended(agent(1, &[7])), g8()], on());
        let off_duty = snap(vec![agent(1, &[7]), g8()], off());
        let free = snap(vec![agent(1, &[7]), g8()], on());
        for spill in 1..=7 {
            assert_eq!(
                decide(&two_groups(spill), SITE, &free),
                serve(&[1]),
                "{spill}"
            );
        }
        // 4: nobody online.
        assert_eq!(decide(&two_groups(4), SITE, &nobody), serve(&[2]));
        assert_eq!(decide(&two_groups(4), SITE, &busy), Decision::Busy);
        assert_eq!(decide(&two_groups(4), SITE, &off_duty), Decision::Nobody);
        // 5: all busy.
        assert_eq!(decide(&two_groups(5), SITE, &busy), serve(&[2]));
        assert_eq!(decide(&two_groups(5), SITE, &susp), serve(&[2]));
        assert_eq!(decide(&two_groups(5), SITE, &nobody), Decision::Nobody);
        assert_eq!(decide(&two_groups(5), SITE, &off_duty), Decision::Nobody);
        // 6: off duty.
        assert_eq!(decide(&two_groups(6), SITE, &off_duty), serve(&[2]));
        assert_eq!(decide(&two_groups(6), SITE, &busy), Decision::Busy);
        assert_eq!(decide(&two_groups(6), SITE, &nobody), Decision::Nobody);
        // 7: any of them.
        for s in [&nobody, &busy, &susp, &off_duty] {
            assert_eq!(decide(&two_groups(7), SITE, s), serve(&[2]));
        }
        // Agent conditions on a group rule read as the group's.
        assert_eq!(decide(&two_groups(1), SITE, &nobody), serve(&[2]));
        assert_eq!(decide(&two_groups(2), SITE, &busy), serve(&[2]));
        assert_eq!(decide(&two_groups(3), SITE, &off_duty), serve(&[2]));
    }

    #[test]
    fn agent_spill_conditions() {
        let r = |spill| {
            rules(vec![
                rule(To::Agent(Some(1)), true, spill),
                Rule {
                    to: To::Agent(Some(2)),
                    overflow: false,
                    spill: None,
                },
            ])
        };
        let with = |a: AgentSnap| snap(vec![a, agent(2, &[]), agent(3, &[])], vec![]);
        assert_eq!(decide(&r(1), SITE, &with(agent(1, &[]))), serve(&[1]));
        // 1: offline.
        assert_eq!(
            decide(&r(1), SITE, &with(offline(agent(1, &[])))),
            serve(&[2])
        );
        assert_eq!(
            decide(&r(1), SITE, &with(full(agent(1, &[])))),
            Decision::Busy
        );
        // 2: busy.
        assert_eq!(decide(&r(2), SITE, &with(full(agent(1, &[])))), serve(&[2]));
        assert_eq!(
            decide(&r(2), SITE, &with(offline(agent(1, &[])))),
            Decision::Nobody
        );
        // 3: offline, suspended or busy.
        for a in [
            offline(agent(1, &[])),
            full(agent(1, &[])),
            suspended(agent(1, &[])),
        ] {
            assert_eq!(decide(&r(3), SITE, &with(a)), serve(&[2]));
        }
        // The last rule keeps the visitor even when its agent is gone.
        let s = snap(
            vec![
                offline(agent(1, &[])),
                offline(agent(2, &[])),
                agent(3, &[]),
            ],
            vec![],
        );
        assert_eq!(decide(&r(1), SITE, &s), Decision::Nobody);
    }

    #[test]
    fn rule_without_overflow_or_spill_keeps_the_visitor() {
        let s = snap(
            vec![offline(agent(1, &[7])), agent(2, &[8])],
            vec![group(7, true), group(8, true)],
        );
        let no_overflow = rules(vec![
            rule(To::Group(Some(7)), false, 4),
            rule(To::Group(Some(8)), false, 4),
        ]);
        assert_eq!(decide(&no_overflow, SITE, &s), Decision::Nobody);
        let no_spill = rules(vec![
            Rule {
                to: To::Group(Some(7)),
                overflow: true,
                spill: None,
            },
            rule(To::Group(Some(8)), false, 4),
        ]);
        assert_eq!(decide(&no_spill, SITE, &s), Decision::Nobody);
        // Overflow past the last rule: the site's default rule.
        let last = rules(vec![rule(To::Group(Some(7)), true, 4)]);
        assert_eq!(decide(&last, SITE, &s), serve(&[2]));
        // An unknown target counts as nobody online.
        let unknown = rules(vec![
            rule(To::Group(None), true, 4),
            rule(To::Agent(Some(2)), false, 1),
        ]);
        assert_eq!(decide(&unknown, SITE, &s), serve(&[2]));
    }

    #[test]
    fn flow_types() {
        let there = |a: AgentSnap| AgentSnap {
            site_id: OTHER,
            ..a
        };
        let flow = |when| Route {
            group: Some(7),
            flow: Some(Flow {
                when,
                site_id: OTHER,
                group_id: 50,
            }),
            ..Route::default()
        };
        let groups = vec![
            group(7, true),
            GroupSnap {
                id: 50,
                site_id: OTHER,
                on_duty: true,
            },
        ];
        let s = |own: AgentSnap, other: AgentSnap| snap(vec![own, there(other)], groups.clone());
        // 1: always there.
        assert_eq!(
            decide(&flow(1), SITE, &s(agent(1, &[7]), agent(90, &[50]))),
            serve(&[90])
        );
        assert_eq!(
            decide(&flow(1), SITE, &s(agent(1, &[7]), full(agent(90, &[50])))),
            Decision::Busy
        );
        // 2: when busy here.
        assert_eq!(
            decide(&flow(2), SITE, &s(agent(1, &[7]), agent(90, &[50]))),
            serve(&[1])
        );
        assert_eq!(
            decide(&flow(2), SITE, &s(full(agent(1, &[7])), agent(90, &[50]))),
            serve(&[90])
        );
        assert_eq!(
            decide(
                &flow(2),
                SITE,
                &s(offline(agent(1, &[7])), agent(90, &[50]))
            ),
            Decision::Nobody
        );
        assert_eq!(
            decide(
                &flow(2),
                SITE,
                &s(full(agent(1, &[7])), full(agent(90, &[50])))
            ),
            Decision::Busy
        );
        // 3: when nobody here.
        assert_eq!(
            decide(
                &flow(3),
                SITE,
                &s(offline(agent(1, &[7])), agent(90, &[50]))
            ),
            serve(&[90])
        );
        assert_eq!(
            decide(&flow(3), SITE, &s(full(agent(1, &[7])), agent(90, &[50]))),
            Decision::Busy
        );
        // A member of a group with the same id on another site is not a member.
        let confusing = snap(
            vec![offline(agent(1, &[7])), there(agent(90, &[7]))],
            vec![group(7, true)],
        );
        assert_eq!(
            decide(
                &Route {
                    group: Some(7),
                    ..Route::default()
                },
                SITE,
                &confusing
            ),
            Decision::Nobody
        );
    }

    #[test]
    fn snapshot_counts_what_it_handed_out() {
        let mut s = snap(vec![agent(1, &[]), agent(2, &[])], vec![]);
        s.took(1);
        assert_eq!(decide(&Route::default(), SITE, &s), serve(&[2, 1]));
        s.took(1);
        assert_eq!(decide(&Route::default(), SITE, &s), serve(&[2]));
    }

    #[test]
    fn route_round_trips_and_keys() {
        let r = Route {
            agent_asked: true,
            agent: Some(3),
            strict: true,
            group: Some(9),
            rules: vec![rule(To::Group(Some(7)), true, 4)],
            flow: Some(Flow {
                when: 2,
                site_id: 2,
                group_id: 5,
            }),
        };
        let json = r.to_json().unwrap();
        assert_eq!(Route::from_stored(Some(&json), Some(9)), r);
        assert_eq!(Route::default().to_json(), None);
        assert_eq!(Route::from_stored(Some("nonsense"), None), Route::default());
        assert_eq!(r.queue_key(), "agent:3");
        assert_eq!(
            Route {
                strict: false,
                ..r.clone()
            }
            .queue_key(),
            "group:9"
        );
        assert_eq!(
            Route {
                strict: false,
                group: None,
                ..r.clone()
            }
            .queue_key(),
            "group:7"
        );
        assert_eq!(Route::default().queue_key(), "site");
    }

    #[test]
    fn priorities_order_queue_first_vip_rest() {
        assert!(priority(true, None) > priority(false, Some(1_000_000)));
        assert!(priority(false, Some(5)) > priority(false, Some(1)));
        assert!(priority(false, Some(0)) > priority(false, None));
        assert_eq!(priority(false, None), 0);
    }

    fn at(tz: &str, local: &str) -> (jiff::tz::TimeZone, jiff::Timestamp) {
        let tz = time_zone(tz).unwrap();
        let dt: jiff::civil::DateTime = local.parse().unwrap();
        let ts = dt.to_zoned_datetime(tz.clone()).unwrap().timestamp();
        (tz, ts)
    }

    #[test]
    fn working_hours() {
        let h = Hours::parse("Mon-Fri 09:00-18:00").unwrap();
        // 2026-11-30 is a Monday.
        for (t, want) in [
            ("2026-11-30T09:00", true),
            ("2026-11-30T08:59", false),
            ("2026-11-30T17:59", true),
            ("2026-11-30T18:00", false),
            ("2026-12-04T12:00", true),
            ("2026-12-05T12:00", false),
        ] {
            let (tz, now) = at("Asia/Shanghai", t);
            assert_eq!(on_duty(&h, &tz, now), want, "{t}");
        }
        // The same instant in another zone: 09:30 in Shanghai is 01:30 UTC.
        let (_, now) = at("Asia/Shanghai", "2026-11-30T09:30");
        assert!(!on_duty(&h, &time_zone("UTC").unwrap(), now));
    }

    #[test]
    fn working_hours_across_midnight() {
        let h = Hours::parse("Fri 22:00-02:00; Sun 10:00-12:00").unwrap();
        for (t, want) in [
            ("2026-12-04T22:00", true), // Fri
            ("2026-12-05T01:59", true), // Sat, after Friday's night
            ("2026-12-05T02:00", false),
            ("2026-12-05T23:00", false), // Sat night: no span starts on Saturday
            ("2026-12-04T01:00", false), // Fri early: Thursday had no span
            ("2026-12-06T11:00", true),
        ] {
            let (tz, now) = at("Europe/Berlin", t);
            assert_eq!(on_duty(&h, &tz, now), want, "{t}");
        }
        let wrap = Hours::parse("Sat-Sun 00:00-24:00").unwrap();
        let (tz, now) = at("UTC", "2026-12-06T23:59");
        assert!(on_duty(&wrap, &tz, now));
        let (tz, now) = at("UTC", "2026-12-07T00:00");
        assert!(!on_duty(&wrap, &tz, now));
    }

    #[test]
    fn working_hours_follow_daylight_saving() {
        // New York: 09:00 local is 14:00 UTC in winter, 13:00 UTC in summer.
        let h = Hours::parse("Daily 09:00-10:00").unwrap();
        let tz = time_zone("America/New_York").unwrap();
        let utc = |s: &str| -> jiff::Timestamp { s.parse().unwrap() };
        assert!(on_duty(&h, &tz, utc("2026-01-15T14:30:00Z")));
        assert!(!on_duty(&h, &tz, utc("2026-01-15T13:30:00Z")));
        assert!(on_duty(&h, &tz, utc("2026-07-15T13:30:00Z")));
        assert!(!on_duty(&h, &tz, utc("2026-07-15T14:30:00Z")));
    }

    #[test]
    fn bad_hours_are_refused_with_a_reason() {
        for (bad, says) in [
            ("", "empty"),
            ("Mon-Fri", "expected"),
            ("Mon-Fri 9-18", "time"),
            ("Mon-Fri 09:00-25:00", "time"),
            ("Mon-Fri 09:00-09:00", "empty"),
            ("Moonday 09:00-10:00", "day"),
            ("Mon-Fri 09:60-10:00", "time"),
        ] {
            let e = Hours::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad:?}: {e}");
        }
        assert!(Hours::parse("Mon,Wed,Fri 08:00-12:00; Sat 10:00-14:00").is_ok());
        assert!(Hours::parse("monday-friday 09:00-18:00").is_ok());
        assert!(time_zone("Mars/Olympus").is_err());
    }
}

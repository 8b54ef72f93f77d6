//! The routing rules' unit tests: every branch of `decide`, priorities, working hours.

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

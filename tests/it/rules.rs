//! Routing rules (issue 11, seed 003 接待模式 / VIP智能路由接待 / 平台电商对接) end to end:
//! visitors on `/ws/visitor` whose hello carries `reception` (type 2: people only), agents on
//! `/ws/agent`. `transfer_action` overflow conditions 1–7 (and the seed's own example with
//! external group ids), `agentid` by kf_id and external id with `agent_mode_flag` 1 and 0, VIP
//! and `queueFirst` order in the queue, working hours, `flowType` overflow between linked
//! sites only, and `routing::availability`.

use std::time::Duration;

use frontdesk_server::admin::{self, GroupSettings, ReceptionSettings};
use frontdesk_server::routing::{self, Availability};
use harness::*;
use serde_json::json;
use shared::reception::Reception;
use shared::visitor::{Hello, ServerFrame};

fn people_only() -> Reception {
    Reception {
        mode: Some("2".into()),
        ..Reception::default()
    }
}

fn hello_with(sysnum: &str, groupid: Option<&str>, r: Reception) -> Hello {
    Hello {
        groupid: groupid.map(str::to_owned),
        reception: Some(Box::new(r)),
        ..hello(sysnum, None, 0)
    }
}

/// A new visitor who said hello with `h` and wrote once (acked), and their gid.
async fn visitor(srv: &TestServer, site: &admin::SiteCreated, h: Hello) -> (Session, i64) {
    let mut v = VisitorClient::hello(&srv.ws, h).await.expect("welcome");
    v.client.send_text("m", "hello").await;
    v.client.ack("m").await;
    let gid = srv.gid(site, &v.client.token).await.parse().unwrap();
    (v, gid)
}

async fn serving(srv: &TestServer, gid: i64) -> Option<i64> {
    srv.db.visitor_by_id(gid).await.unwrap().unwrap().agent_id
}

/// The agent serving `gid` once routing has run (the ack comes before routing).
async fn served_by(srv: &TestServer, gid: i64) -> i64 {
    eventually(&format!("visitor {gid} served"), || async {
        serving(srv, gid).await.ok_or_else(|| "nobody".to_owned())
    })
    .await
}

/// The visitor waits (was told a queue position) and nobody serves them.
async fn waits(srv: &TestServer, v: &mut Session, gid: i64) -> u32 {
    let p = v.client.queue_position().await;
    assert!(p >= 1, "visitor {gid} was told position {p}");
    assert_eq!(serving(srv, gid).await, None, "visitor {gid} is served");
    p
}

async fn availability(srv: &TestServer, gid: i64) -> Availability {
    let v = srv.db.visitor_by_id(gid).await.unwrap().unwrap();
    routing::availability(&srv.state, &v).await.unwrap()
}

/// The last queue position announced to `v` within a short while (`None`: none).
async fn last_position(v: &mut Session) -> Option<u32> {
    let mut last = None;
    while let Ok(f) = tokio::time::timeout(Duration::from_millis(400), v.client.recv()).await {
        if let ServerFrame::Queue { position } = f {
            last = Some(position);
        }
    }
    last
}

async fn group(srv: &TestServer, sysnum: &str, name: &str, s: GroupSettings) -> i64 {
    let g = admin::create_group(&srv.db, sysnum, name).await.unwrap();
    admin::set_group(&srv.db, sysnum, g.id, s).await.unwrap();
    g.id
}

fn kf(a: &admin::AgentCreated) -> i64 {
    a.kf_id.parse().unwrap()
}

/// Working hours that do not include the current UTC hour (an hour that starts two hours
/// from now).
fn off_duty_now() -> GroupSettings {
    let h = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 3600)
        % 24;
    GroupSettings {
        hours: Some(format!(
            "Daily {:02}:00-{:02}:00",
            (h + 2) % 24,
            (h + 3) % 24
        )),
        tz: Some("UTC".into()),
        ..GroupSettings::default()
    }
}

#[tokio::test]
async fn the_seeds_transfer_action_overflows_by_external_group_ids() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let ext = |x: &str| GroupSettings {
        external_id: Some(x.into()),
        ..GroupSettings::default()
    };
    let first = group(
        &srv,
        &site.sysnum,
        "First",
        ext("162bb6bb038d4a9ea018241a30694064"),
    )
    .await;
    let second = group(
        &srv,
        &site.sysnum,
        "Second",
        ext("cae6834444ac43e39d95b1725d2ae454"),
    )
    .await;
    let a = srv
        .agent_with(&site.sysnum, "first@test", &[first], 5)
        .await;
    let b = srv
        .agent_with(&site.sysnum, "second@test", &[second], 5)
        .await;
    let (_cb, _) = srv.agent_client("second@test").await;
    // Seed 003, VIP智能路由接待: group 1 overflows to group 2 when nobody of it is online.
    let seed = Reception {
        transfer_action: Some(r#"[{"actionType":"to_group","optionId":"3","deciId":"162bb6bb038d4a9ea018241a30694064","spillId":"4"},{"actionType":"to_group","optionId":"4","deciId":"cae6834444ac43e39d95b1725d2ae454"}]"#.into()),
        is_vip: Some("1".into()),
        ..people_only()
    };
    let (_v1, g1) = visitor(&srv, &site, hello_with(&site.sysnum, None, seed.clone())).await;
    assert_eq!(
        served_by(&srv, g1).await,
        kf(&b),
        "nobody of group 1 online: group 2"
    );
    let (_ca, _) = srv.agent_client("first@test").await;
    let (_v2, g2) = visitor(&srv, &site, hello_with(&site.sysnum, None, seed.clone())).await;
    assert_eq!(served_by(&srv, g2).await, kf(&a), "group 1 online: group 1");
    // A malformed transfer_action is ignored (site-wide), never an error frame.
    let bad = Reception {
        transfer_action: Some("[{\"actionType\":\"sideways\"}".into()),
        ..people_only()
    };
    let (_v3, g3) = visitor(&srv, &site, hello_with(&site.sysnum, None, bad)).await;
    served_by(&srv, g3).await;
    srv.stop().await;
}

#[tokio::test]
async fn every_spill_condition_overflows_exactly_when_it_holds() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let s = &site.sysnum;
    let g_nobody = group(&srv, s, "Nobody", GroupSettings::default()).await;
    let g_busy = group(&srv, s, "Busy", GroupSettings::default()).await;
    let g_susp = group(&srv, s, "Suspended", GroupSettings::default()).await;
    let g_off = group(&srv, s, "Off duty", off_duty_now()).await;
    let g_free = group(&srv, s, "Fallback", GroupSettings::default()).await;
    let off = srv.agent_with(s, "off@test", &[g_nobody], 5).await;
    let busy = srv.agent_with(s, "busy@test", &[g_busy], 1).await;
    let susp = srv.agent_with(s, "susp@test", &[g_susp], 5).await;
    srv.agent_with(s, "duty@test", &[g_off], 5).await;
    let free = srv.agent_with(s, "free@test", &[g_free], 100).await;
    let (_c1, _) = srv.agent_client("busy@test").await;
    let (mut c2, _) = srv.agent_client("susp@test").await;
    let (_c3, _) = srv.agent_client("duty@test").await;
    let (_c4, _) = srv.agent_client("free@test").await;
    let r = c2.request(json!({"api_key": 32500, "status": 1})).await;
    assert_eq!(r["code"], 200, "{r}");
    // busy@ serves its one visitor.
    let strict = |a: &admin::AgentCreated| Reception {
        agentid: Some(a.kf_id.clone()),
        agent_mode_flag: Some("1".into()),
        ..people_only()
    };
    let (_occupant, g) = visitor(&srv, &site, hello_with(s, None, strict(&busy))).await;
    assert_eq!(served_by(&srv, g).await, kf(&busy));

    let rules = |action: &str, id: i64, spill: i64| Reception {
        transfer_action: Some(
            json!([
                {"actionType": action, "optionId": if action == "to_group" { "3" } else { "1" },
                 "deciId": id.to_string(), "spillId": spill.to_string()},
                {"actionType": "to_group", "optionId": "4", "deciId": g_free.to_string()}
            ])
            .to_string(),
        ),
        ..people_only()
    };
    let cases = [
        // (spill, rule, target, overflows)
        (1, "to_service", kf(&off), true),
        (1, "to_service", kf(&busy), false),
        (2, "to_service", kf(&busy), true),
        (2, "to_service", kf(&off), false),
        (3, "to_service", kf(&off), true),
        (3, "to_service", kf(&busy), true),
        (3, "to_service", kf(&susp), true),
        (4, "to_group", g_nobody, true),
        (4, "to_group", g_busy, false),
        (5, "to_group", g_busy, true),
        (5, "to_group", g_susp, true),
        (5, "to_group", g_nobody, false),
        (6, "to_group", g_off, true),
        (6, "to_group", g_busy, false),
        (7, "to_group", g_nobody, true),
        (7, "to_group", g_busy, true),
        (7, "to_group", g_off, true),
    ];
    let mut sessions = Vec::new();
    for (spill, action, target, overflows) in cases {
        let (mut v, gid) = visitor(
            &srv,
            &site,
            hello_with(s, None, rules(action, target, spill)),
        )
        .await;
        if overflows {
            assert_eq!(
                served_by(&srv, gid).await,
                kf(&free),
                "spill {spill} on {action} {target} overflows"
            );
        } else {
            waits(&srv, &mut v, gid).await;
            let want = if target == kf(&off) || target == g_nobody {
                Availability::Nobody
            } else {
                Availability::Busy
            };
            assert_eq!(
                availability(&srv, gid).await,
                want,
                "spill {spill} on {target}"
            );
        }
        sessions.push(v);
    }
    srv.stop().await;
}

#[tokio::test]
async fn agentid_by_kf_id_or_external_id_strict_or_falling_through() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let s = &site.sysnum;
    let p = srv.agent_with(s, "p@test", &[], 1).await;
    admin::set_agent_external_id(&srv.db, s, kf(&p), "1q2w3e4r")
        .await
        .unwrap();
    let q = srv.agent_with(s, "q@test", &[], 5).await;
    let r = srv.agent_with(s, "r@test", &[], 5).await;
    let (_cp, _) = srv.agent_client("p@test").await;
    let (_cq, _) = srv.agent_client("q@test").await;
    let ask = |agent: &str, flag: &str| {
        hello_with(
            s,
            None,
            Reception {
                agentid: Some(agent.into()),
                agent_mode_flag: Some(flag.into()),
                ..people_only()
            },
        )
    };
    let (_v1, g1) = visitor(&srv, &site, ask("1q2w3e4r", "1")).await;
    assert_eq!(served_by(&srv, g1).await, kf(&p), "by external id");
    assert_eq!(availability(&srv, g1).await, Availability::Available);
    // p is full: a strict visitor waits for p, a loose one goes to q.
    let (mut v2, g2) = visitor(&srv, &site, ask("1q2w3e4r", "1")).await;
    waits(&srv, &mut v2, g2).await;
    assert_eq!(availability(&srv, g2).await, Availability::Busy);
    let (_v3, g3) = visitor(&srv, &site, ask(&p.kf_id, "0")).await;
    assert_eq!(
        served_by(&srv, g3).await,
        kf(&q),
        "by kf_id, falling through"
    );
    // r is offline: strict → nobody (offline prompt); loose → q.
    let (mut v4, g4) = visitor(&srv, &site, ask(&r.kf_id, "1")).await;
    waits(&srv, &mut v4, g4).await;
    assert_eq!(availability(&srv, g4).await, Availability::Nobody);
    let (_v5, g5) = visitor(&srv, &site, ask(&r.kf_id, "0")).await;
    assert_eq!(served_by(&srv, g5).await, kf(&q));
    // An agent no one has: strict → nobody.
    let (mut v6, g6) = visitor(&srv, &site, ask("no-such-agent", "1")).await;
    waits(&srv, &mut v6, g6).await;
    assert_eq!(availability(&srv, g6).await, Availability::Nobody);
    // r logs in: the strict waiter for r is served by r.
    let (_cr, _) = srv.agent_client("r@test").await;
    assert_eq!(served_by(&srv, g4).await, kf(&r));
    srv.stop().await;
}

#[tokio::test]
async fn queue_first_then_vip_by_rank_then_first_come() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let s = &site.sysnum;
    admin::put_vip_level(&srv.db, s, "g1", "Gold", 5)
        .await
        .unwrap();
    admin::put_vip_level(&srv.db, s, "silver", "Silver", 1)
        .await
        .unwrap();
    srv.agent_with(s, "solo@test", &[], 1).await;
    let (mut solo, _) = srv.agent_client("solo@test").await;
    let (_occupant, occupant) = visitor(&srv, &site, hello_with(s, None, people_only())).await;
    served_by(&srv, occupant).await;

    let with = |f: fn(&mut Reception)| {
        let mut r = people_only();
        f(&mut r);
        hello_with(s, None, r)
    };
    // A normal customer's `vip_level` counts for nothing (seed 003).
    let (mut plain, g_plain) = visitor(
        &srv,
        &site,
        with(|r| {
            r.is_vip = Some("0".into());
            r.vip_level = Some("Gold".into());
        }),
    )
    .await;
    assert_eq!(waits(&srv, &mut plain, g_plain).await, 1);
    let (mut silver, g_silver) = visitor(
        &srv,
        &site,
        with(|r| {
            r.is_vip = Some("1".into());
            r.vip_level = Some("silver".into());
        }),
    )
    .await;
    assert_eq!(
        waits(&srv, &mut silver, g_silver).await,
        1,
        "a VIP (level by id) goes first"
    );
    assert_eq!(
        last_position(&mut plain).await,
        Some(2),
        "and the others are told"
    );
    let (mut gold, g_gold) = visitor(
        &srv,
        &site,
        with(|r| {
            r.is_vip = Some("1".into());
            r.vip_level = Some("Gold".into());
        }),
    )
    .await;
    assert_eq!(
        waits(&srv, &mut gold, g_gold).await,
        1,
        "a higher rank (level by name) goes first"
    );
    let (mut vip, g_vip) = visitor(&srv, &site, with(|r| r.is_vip = Some("1".into()))).await;
    assert_eq!(
        waits(&srv, &mut vip, g_vip).await,
        3,
        "is_vip alone: the lowest rank, after silver"
    );
    let (mut first, g_first) = visitor(
        &srv,
        &site,
        with(|r| {
            r.queue_first = Some("1".into());
            r.vip_level = Some("Gold".into());
        }),
    )
    .await;
    assert_eq!(
        waits(&srv, &mut first, g_first).await,
        1,
        "queueFirst above every VIP"
    );

    let order: Vec<i64> = srv
        .db
        .queue(site.business_id)
        .await
        .unwrap()
        .iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(order, vec![g_first, g_gold, g_silver, g_vip, g_plain]);
    for (i, (v, gid)) in [
        (&mut gold, g_gold),
        (&mut silver, g_silver),
        (&mut vip, g_vip),
        (&mut plain, g_plain),
    ]
    .into_iter()
    .enumerate()
    {
        let _ = last_position(v).await;
        let w = srv.db.visitor_by_id(gid).await.unwrap().unwrap();
        assert_eq!(
            routing::position_of(&srv.state, &w).await.unwrap(),
            Some(i as u32 + 2)
        );
    }
    // The chat ends: the queueFirst visitor is served; everyone moves up.
    let r = solo
        .request(json!({"api_key": 32600, "gid": occupant.to_string()}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(solo.push(32401).await["data"]["gid"], g_first.to_string());
    assert_eq!(last_position(&mut gold).await, Some(1));
    assert_eq!(last_position(&mut plain).await, Some(4));
    srv.stop().await;
}

#[tokio::test]
async fn working_hours_and_external_group_ids_decide_who_is_on_duty() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let s = &site.sysnum;
    let night = group(&srv, s, "Night", off_duty_now()).await;
    let day = group(
        &srv,
        s,
        "Day",
        GroupSettings {
            external_id: Some("4r3e2w1q".into()),
            hours: Some("Daily 00:00-24:00".into()),
            tz: Some("Asia/Shanghai".into()),
        },
    )
    .await;
    srv.agent_with(s, "n@test", &[night], 5).await;
    let d = srv.agent_with(s, "d@test", &[day], 1).await;
    let (_cn, _) = srv.agent_client("n@test").await;
    let (_cd, _) = srv.agent_client("d@test").await;
    let (mut v1, g1) = visitor(
        &srv,
        &site,
        hello_with(s, Some(&night.to_string()), people_only()),
    )
    .await;
    waits(&srv, &mut v1, g1).await;
    assert_eq!(
        availability(&srv, g1).await,
        Availability::Nobody,
        "off duty, though n is online"
    );
    let (_v2, g2) = visitor(&srv, &site, hello_with(s, Some("4r3e2w1q"), people_only())).await;
    assert_eq!(served_by(&srv, g2).await, kf(&d), "groupid by external id");
    let (mut v3, g3) = visitor(&srv, &site, hello_with(s, Some("4r3e2w1q"), people_only())).await;
    waits(&srv, &mut v3, g3).await;
    assert_eq!(availability(&srv, g3).await, Availability::Busy);
    // Off duty with overflow (spill 6) goes to the day group... which is full: wait there.
    let spill6 = Reception {
        transfer_action: Some(
            json!([{"actionType":"to_group","optionId":"3","deciId":night.to_string(),"spillId":"6"},
                   {"actionType":"to_group","optionId":"4","deciId":"4r3e2w1q"}])
            .to_string(),
        ),
        ..people_only()
    };
    let (mut v4, g4) = visitor(&srv, &site, hello_with(s, None, spill6)).await;
    waits(&srv, &mut v4, g4).await;
    assert_eq!(availability(&srv, g4).await, Availability::Busy);
    // The night group loses its hours (always on duty): n can take its waiter now.
    admin::set_group(
        &srv.db,
        s,
        night,
        GroupSettings {
            hours: Some(String::new()),
            ..GroupSettings::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(availability(&srv, g1).await, Availability::Available);
    srv.stop().await;
}

#[tokio::test]
async fn flow_type_overflows_only_between_sites_linked_to_the_same_platform() {
    let srv = TestServer::start().await;
    let a = srv.site().await;
    let b = admin::create_site(&srv.db, "Other shop").await.unwrap();
    let mall = group(
        &srv,
        &b.sysnum,
        "Mall",
        GroupSettings {
            external_id: Some("4r3e2w1q".into()),
            ..GroupSettings::default()
        },
    )
    .await;
    srv.agent_with(&a.sysnum, "a1@test", &[], 5).await;
    let b1 = srv.agent_with(&b.sysnum, "b1@test", &[mall], 5).await;
    let (mut cb, _) = srv.agent_client("b1@test").await;
    let flow = |company: &str, platform: Option<&str>| {
        hello_with(
            &a.sysnum,
            None,
            Reception {
                flow_type: Some("3".into()),
                flow_company_id: Some(company.into()),
                flow_group_id: Some("4r3e2w1q".into()),
                platform_union_code: platform.map(str::to_owned),
                ..people_only()
            },
        )
    };
    // Not linked: no overflow; the visitor waits on their own site, where nobody is online.
    let (mut v1, g1) = visitor(&srv, &a, flow(&b.sysnum, None)).await;
    waits(&srv, &mut v1, g1).await;
    assert_eq!(availability(&srv, g1).await, Availability::Nobody);
    // Only one of them linked: still none.
    let link = |p: &str| ReceptionSettings {
        platform: Some(p.into()),
        ..ReceptionSettings::default()
    };
    admin::set_site_reception(&srv.db, &b.sysnum, link("mall"))
        .await
        .unwrap();
    let (mut v2, g2) = visitor(&srv, &a, flow(&b.sysnum, None)).await;
    waits(&srv, &mut v2, g2).await;
    admin::set_site_reception(&srv.db, &a.sysnum, link("mall"))
        .await
        .unwrap();
    // A page naming another platform: none.
    let (mut v3, g3) = visitor(&srv, &a, flow(&b.sysnum, Some("elsewhere"))).await;
    waits(&srv, &mut v3, g3).await;
    // Linked (company by sysnum, then by business id): b1 serves the visitor of site a.
    let (mut v4, g4) = visitor(&srv, &a, flow(&b.sysnum, Some("mall"))).await;
    assert_eq!(served_by(&srv, g4).await, kf(&b1));
    let (_v5, g5) = visitor(&srv, &a, flow(&b.business_id.to_string(), None)).await;
    assert_eq!(served_by(&srv, g5).await, kf(&b1));
    // b1 sees and answers the visitor it serves…
    let push = cb.push(32399).await;
    assert_eq!(push["data"]["gid"], g4.to_string(), "{push}");
    let r = cb
        .request(json!({"api_key": 32300, "gid": g4.to_string(), "msg": "hi from the mall"}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    while v4.client.next_msg().await.body != "hi from the mall" {}
    let r = cb
        .request(json!({"api_key": 32100, "gid": g4.to_string(), "group_id": "0"}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let list = cb.request(json!({"api_key": 32000})).await;
    let listed = |gid: i64| list.to_string().contains(&format!("\"gid\":\"{gid}\""));
    assert!(listed(g4), "{list}");
    // …but no other visitor of site a: not the waiting one, not in its list.
    for gid in [g1, g2] {
        let r = cb
            .request(json!({"api_key": 32100, "gid": gid.to_string(), "group_id": "0"}))
            .await;
        assert_eq!(r["code"], -32303, "{r}");
        let r = cb
            .request(json!({"api_key": 32300, "gid": gid.to_string(), "msg": "psst"}))
            .await;
        assert_ne!(r["code"], 200, "{r}");
        assert!(!listed(gid), "{list}");
    }
    // A waiter for the linked site's group is served when an agent of that site comes online.
    let late = group(
        &srv,
        &b.sysnum,
        "Late",
        GroupSettings {
            external_id: Some("x2".into()),
            ..GroupSettings::default()
        },
    )
    .await;
    let b2 = srv.agent_with(&b.sysnum, "b2@test", &[late], 5).await;
    let to_late = hello_with(
        &a.sysnum,
        None,
        Reception {
            flow_type: Some("1".into()),
            flow_company_id: Some(b.sysnum.clone()),
            flow_group_id: Some("x2".into()),
            ..people_only()
        },
    );
    let (mut v6, g6) = visitor(&srv, &a, to_late).await;
    waits(&srv, &mut v6, g6).await;
    let (_cb2, _) = srv.agent_client("b2@test").await;
    assert_eq!(served_by(&srv, g6).await, kf(&b2));
    drop(v1);
    srv.stop().await;
}

/// An agent's load has one definition (`db/assignment.rs`): after a `flowType` overflow the
/// agent lists — `33000`, a login's `admin_list` and seed 002's `getonlinekflist` — count
/// the visitors of the linked site the agent serves, as routing does when it decides the
/// agent has no room left (`max_chats`).
#[tokio::test]
async fn after_a_flow_type_overflow_the_agent_lists_show_the_load_routing_uses() {
    let srv = TestServer::start().await;
    let a = srv.site().await;
    let b = admin::create_site(&srv.db, "Other shop").await.unwrap();
    let mall = group(
        &srv,
        &b.sysnum,
        "Mall",
        GroupSettings {
            external_id: Some("mall-1".into()),
            ..GroupSettings::default()
        },
    )
    .await;
    let b1 = srv.agent_with(&b.sysnum, "b1@test", &[mall], 2).await;
    for site in [&a.sysnum, &b.sysnum] {
        let link = ReceptionSettings {
            platform: Some("mall".into()),
            ..ReceptionSettings::default()
        };
        admin::set_site_reception(&srv.db, site, link)
            .await
            .unwrap();
    }
    let (mut cb, login) = srv.agent_client("b1@test").await;
    let ix = login["data"]["ix"].as_str().unwrap().to_owned();
    let flow = || {
        hello_with(
            &a.sysnum,
            None,
            Reception {
                flow_type: Some("3".into()),
                flow_company_id: Some(b.sysnum.clone()),
                flow_group_id: Some("mall-1".into()),
                ..people_only()
            },
        )
    };
    // Two visitors of site a overflow to b1 (max_chats 2); routing then counts b1 full, so
    // a third one waits.
    let (_v1, g1) = visitor(&srv, &a, flow()).await;
    assert_eq!(served_by(&srv, g1).await, kf(&b1));
    let (_v2, g2) = visitor(&srv, &a, flow()).await;
    assert_eq!(served_by(&srv, g2).await, kf(&b1));
    let (mut v3, g3) = visitor(&srv, &a, flow()).await;
    waits(&srv, &mut v3, g3).await;
    // The lists of site b say the same: b1 serves 2.
    let list = cb.request(json!({"api_key": 33000})).await;
    assert_eq!(list["data"][&ix]["kf_id"], b1.kf_id, "{list}");
    assert_eq!(list["data"][&ix]["accepted_case"], 2, "{list}");
    let (_again, login) = srv.agent_client("b1@test").await;
    let entry = &login["data"]["admin_list"][&ix];
    assert_eq!(entry["accepted_case"], 2, "{login}");
    let token: serde_json::Value = reqwest::get(format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        srv.http, b.appid, b.secret
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let online: serde_json::Value = reqwest::get(format!(
        "{}/cgi-bin/customservice/getonlinekflist?access_token={}",
        srv.http,
        token["access_token"].as_str().unwrap()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(online["kf_online_list"][0]["accepted_case"], 2, "{online}");
    srv.stop().await;
}

#[tokio::test]
async fn admin_commands_set_routing_and_refuse_bad_values() {
    use crate::cli::run;
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("a.db")).await;
    let url = tdb.url.clone();
    let ok = |args: &[&str]| {
        let (code, out, err) = run(&url, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    let refused = |args: &[&str], says: &str| {
        let (code, _, err) = run(&url, args);
        assert_eq!(code, 2, "{args:?} exit code ({err})");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    let out = ok(&["site", "create", "--name", "Shop", "--json"]);
    let site: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let s = site["sysnum"].as_str().unwrap().to_owned();
    let out = ok(&[
        "group",
        "create",
        "--site",
        &s,
        "--name",
        "Day",
        "--json",
        "--external-id",
        "4r3e2w1q",
        "--hours",
        "Mon-Fri 09:00-18:00",
        "--tz",
        "Asia/Shanghai",
    ]);
    let gid = serde_json::from_str::<serde_json::Value>(out.trim()).unwrap()["id"]
        .as_i64()
        .unwrap();
    refused(
        &[
            "group",
            "create",
            "--site",
            &s,
            "--name",
            "X",
            "--hours",
            "Mon-Fri 9-18",
        ],
        "hours",
    );
    refused(
        &[
            "group",
            "create",
            "--site",
            &s,
            "--name",
            "X",
            "--hours",
            "Daily 09:00-10:00",
            "--tz",
            "Mars/Olympus",
        ],
        "time zone",
    );
    refused(
        &[
            "group",
            "create",
            "--site",
            &s,
            "--name",
            "X",
            "--external-id",
            "4r3e2w1q",
        ],
        "already used",
    );
    let out = ok(&["group", "create", "--site", &s, "--name", "Night", "--json"]);
    let other = serde_json::from_str::<serde_json::Value>(out.trim()).unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    refused(
        &[
            "group",
            "set",
            "--site",
            &s,
            "--id",
            &other,
            "--external-id",
            "4r3e2w1q",
        ],
        "already used",
    );
    refused(
        &[
            "group",
            "set",
            "--site",
            &s,
            "--id",
            "999999",
            "--hours",
            "Daily 09:00-10:00",
        ],
        "not a group",
    );
    ok(&[
        "group",
        "set",
        "--site",
        &s,
        "--id",
        &other,
        "--hours",
        "Sat 22:00-02:00",
        "--tz",
        "Europe/Berlin",
    ]);
    let out = ok(&[
        "agent",
        "create",
        "--site",
        &s,
        "--account",
        "p@shop",
        "--nick",
        "P",
        "--password",
        PASSWORD,
        "--external-id",
        "1q2w3e4r",
        "--json",
    ]);
    let kf: i64 = serde_json::from_str::<serde_json::Value>(out.trim()).unwrap()["kf_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    refused(
        &[
            "agent",
            "create",
            "--site",
            &s,
            "--account",
            "q@shop",
            "--nick",
            "Q",
            "--password",
            PASSWORD,
            "--external-id",
            "1q2w3e4r",
        ],
        "already used",
    );
    ok(&[
        "site",
        "set",
        "--site",
        &s,
        "--reception",
        "3",
        "--manual-after",
        "2",
        "--offline-title",
        "We are away",
        "--agent-hello",
        "Hi, I am here",
        "--platform",
        "mall",
    ]);
    refused(
        &["site", "set", "--site", &s, "--reception", "5"],
        "reception must be",
    );
    refused(
        &["site", "set", "--site", &s, "--manual-after=101"],
        "manual-after must be 0-100",
    );
    refused(
        &["site", "set", "--site", &s, "--platform", "a b"],
        "platform must be",
    );
    ok(&[
        "vip", "add", "--site", &s, "--id", "g1", "--name", "Gold", "--rank", "5",
    ]);
    refused(
        &[
            "vip",
            "add",
            "--site",
            &s,
            "--id",
            "g2",
            "--name",
            "Bad",
            "--rank=-1",
        ],
        "rank must be 0-1000000",
    );
    let out = ok(&["vip", "list", "--site", &s, "--json"]);
    assert!(out.contains("\"Gold\""), "{out}");

    let db = frontdesk_server::db::Db::open(&url).await.unwrap();
    let site_id = site["business_id"].as_i64().unwrap();
    assert_eq!(
        db.resolve_agent(site_id, "1q2w3e4r").await.unwrap(),
        Some(kf)
    );
    assert_eq!(
        db.resolve_agent(site_id, &kf.to_string()).await.unwrap(),
        Some(kf)
    );
    assert!(
        db.agent_by_account("q@shop").await.unwrap().is_none(),
        "a refused agent is not created"
    );
    assert_eq!(
        db.resolve_group(site_id, "4r3e2w1q").await.unwrap(),
        Some(gid)
    );
    let groups = db.routing_groups(site_id).await.unwrap();
    assert_eq!(
        groups.len(),
        2,
        "refused groups are not created: {groups:?}"
    );
    let day = groups.iter().find(|g| g.id == gid).unwrap();
    assert_eq!(day.hours.as_deref(), Some("Mon-Fri 09:00-18:00"));
    assert_eq!(day.tz.as_deref(), Some("Asia/Shanghai"));
    let r = db.site_reception(site_id).await.unwrap();
    assert_eq!(r.mode, shared::reception::Mode::RobotFirst);
    assert_eq!(r.manual_after, 2);
    assert_eq!(r.offline_title.as_deref(), Some("We are away"));
    assert_eq!(r.agent_hello.as_deref(), Some("Hi, I am here"));
    assert_eq!(
        db.site_platform(site_id).await.unwrap().as_deref(),
        Some("mall")
    );
    db.close().await;
    ok(&[
        "site",
        "set",
        "--site",
        &s,
        "--platform",
        "",
        "--offline-title",
        "",
    ]);
    let db = frontdesk_server::db::Db::open(&url).await.unwrap();
    assert_eq!(
        db.site_platform(site_id).await.unwrap(),
        None,
        "\"\" unlinks"
    );
    assert_eq!(
        db.site_reception(site_id).await.unwrap().offline_title,
        None
    );
    db.close().await;
}

#[tokio::test]
async fn decisions_see_agents_on_every_node() {
    let a = TestServer::start().await;
    let b = a.another_node().await;
    let site = a.site().await;
    let s = &site.sysnum;
    let day = group(
        &a,
        s,
        "Day",
        GroupSettings {
            external_id: Some("4r3e2w1q".into()),
            ..GroupSettings::default()
        },
    )
    .await;
    let p = a.agent_with(s, "p@test", &[day], 1).await;
    // The agent is connected to node b only; visitors come to node a.
    let (_cp, _) = b.agent_client("p@test").await;
    let in_day = || hello_with(s, Some("4r3e2w1q"), people_only());
    let (_v1, g1) = visitor(&a, &site, in_day()).await;
    assert_eq!(served_by(&a, g1).await, kf(&p));
    let (mut v2, g2) = visitor(&a, &site, in_day()).await;
    waits(&a, &mut v2, g2).await;
    assert_eq!(
        availability(&a, g2).await,
        Availability::Busy,
        "full on the other node"
    );
    b.stop().await;
    a.stop().await;
}

/// The visitor row's routing: `(group_id, route, priority)`.
async fn stored_route(srv: &TestServer, gid: i64) -> (Option<i64>, Option<String>, i64) {
    let v = srv.db.visitor_by_id(gid).await.unwrap().unwrap();
    (v.group_id, v.route, v.priority)
}

/// Issue 21: the host-page notifier's hello (no routing keys) used to clear what the chat
/// frame's hello stored. The rule (`visitor.rs`, `Profile`): routing keys are one set; a hello
/// without any leaves them; a hello with some replaces them.
#[tokio::test]
async fn hellos_without_routing_keys_never_change_the_stored_route_or_priority() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let s = &site.sysnum;
    admin::put_vip_level(&srv.db, s, "g1", "Gold", 5)
        .await
        .unwrap();
    let after_sales = group(
        &srv,
        s,
        "售后",
        GroupSettings {
            external_id: Some("shouhou".into()),
            ..GroupSettings::default()
        },
    )
    .await;
    let pre_sales = group(&srv, s, "售前", GroupSettings::default()).await;
    let bob = srv.agent_with(s, "bob@test", &[after_sales], 5).await;
    let (_bob_socket, _) = srv.agent_client("bob@test").await;

    // The notifier's tab says hello first (no keys) and gets the pending token; the chat
    // frame says hello with that token and the page's config, and writes.
    let mut notifier = VisitorClient::hello(&srv.ws, hello(s, None, 0))
        .await
        .expect("welcome");
    let token = notifier.client.token.clone();
    let page = |r: &mut Reception| {
        r.is_vip = Some("1".into());
        r.vip_level = Some("Gold".into());
        r.agentid = Some(bob.kf_id.clone());
        r.transfer_action = Some(
            r#"[{"actionType":"to_group","deciId":"shouhou","optionId":"3","spillId":"4"}]"#.into(),
        );
    };
    let mut r = people_only();
    page(&mut r);
    let mut chat = VisitorClient::hello(
        &srv.ws,
        Hello {
            token: Some(token.clone()),
            ..hello_with(s, Some("shouhou"), r)
        },
    )
    .await
    .expect("welcome");
    chat.client.send_text("m", "where is my parcel").await;
    chat.client.ack("m").await;
    let gid: i64 = srv.gid(&site, &token).await.parse().unwrap();
    // The notifier follows the conversation (it adopts the row: its profile is applied).
    assert_eq!(notifier.client.next_msg().await.body, "where is my parcel");
    let stored = stored_route(&srv, gid).await;
    assert_eq!(stored.0, Some(after_sales));
    assert!(stored.1.is_some(), "agentid and transfer_action stored");
    assert!(stored.2 > 0, "a VIP's priority");

    // Reconnects and other pages without routing keys: a bare hello, the notifier's (uname,
    // partnerid), one with only reception keys.
    let bare = hello(s, Some(&token), 0);
    let notifier_like = Hello {
        uname: Some("小丁哥".into()),
        partnerid: Some("u-1".into()),
        ..hello(s, Some(&token), 0)
    };
    let reception_only = Hello {
        token: Some(token.clone()),
        ..hello_with(s, None, people_only())
    };
    let blank_group = Hello {
        groupid: Some("  ".into()),
        ..hello(s, Some(&token), 0)
    };
    for h in [bare, notifier_like, reception_only, blank_group] {
        let again = VisitorClient::hello(&srv.ws, h).await.expect("welcome");
        assert_eq!(stored_route(&srv, gid).await, stored, "kept");
        drop(again);
    }
    assert_eq!(
        served_by(&srv, gid).await,
        kf(&bob),
        "routed to 售后's agent"
    );

    // The same hello again: nothing changes. Another page's config replaces the whole set.
    let mut r = people_only();
    page(&mut r);
    let same = Hello {
        token: Some(token.clone()),
        ..hello_with(s, Some("shouhou"), r)
    };
    VisitorClient::hello(&srv.ws, same).await.expect("welcome");
    assert_eq!(stored_route(&srv, gid).await, stored);
    let other = Hello {
        token: Some(token.clone()),
        groupid: Some(pre_sales.to_string()),
        ..hello(s, None, 0)
    };
    VisitorClient::hello(&srv.ws, other).await.expect("welcome");
    assert_eq!(
        stored_route(&srv, gid).await,
        (Some(pre_sales), None, 0),
        "a hello that states routing replaces group, route and priority"
    );
    srv.stop().await;
}

/// Issue 21's VIP case: a VIP waiting in the queue whose other tabs (the notifier, a second
/// page without the config) say hello keeps their priority and is served first.
#[tokio::test]
async fn a_waiting_vip_keeps_their_place_when_other_tabs_say_hello() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let s = &site.sysnum;
    srv.agent_with(s, "solo@test", &[], 1).await;
    let (mut solo, _) = srv.agent_client("solo@test").await;
    let (_occupant, occupant) = visitor(&srv, &site, hello_with(s, None, people_only())).await;
    served_by(&srv, occupant).await;
    let (mut plain, g_plain) = visitor(&srv, &site, hello_with(s, None, people_only())).await;
    assert_eq!(waits(&srv, &mut plain, g_plain).await, 1);
    let mut vip_page = people_only();
    vip_page.is_vip = Some("1".into());
    let (mut vip, g_vip) = visitor(&srv, &site, hello_with(s, None, vip_page)).await;
    assert_eq!(waits(&srv, &mut vip, g_vip).await, 1, "the VIP goes first");
    let priority = stored_route(&srv, g_vip).await.2;
    assert!(priority > 0);
    // The VIP's notifier and a second page without the config.
    let mut tabs = Vec::new();
    for _ in 0..2 {
        let mut t = VisitorClient::hello(&srv.ws, hello(s, Some(&vip.client.token), 0))
            .await
            .expect("welcome");
        assert_eq!(t.client.queue_position().await, 1, "still first");
        tabs.push(t);
    }
    assert_eq!(stored_route(&srv, g_vip).await.2, priority);
    let r = solo
        .request(json!({"api_key": 32600, "gid": occupant.to_string()}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(solo.push(32401).await["data"]["gid"], g_vip.to_string());
    assert_eq!(last_position(&mut plain).await, Some(1));
    srv.stop().await;
}

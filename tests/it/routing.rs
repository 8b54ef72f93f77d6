//! Routing: least-loaded agents up to their capacity, a waiting queue with visible positions
//! served oldest first, skill groups, ending chats, and agents who vanish (heartbeat timeout)
//! handing their unanswered visitors back to the queue.

use std::collections::BTreeMap;
use std::time::Duration;

use harness::*;
use serde_json::json;

async fn serving_agent(srv: &TestServer, gid: &str) -> Option<i64> {
    srv.db
        .visitor_by_id(gid.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .agent_id
}

/// The agent serving `gid` once routing has run (the ack comes before routing).
async fn served_by(srv: &TestServer, gid: &str) -> i64 {
    eventually(&format!("visitor {gid} served"), || async {
        serving_agent(srv, gid)
            .await
            .ok_or_else(|| "nobody".to_owned())
    })
    .await
}

#[tokio::test]
async fn three_agents_of_different_capacity_then_a_queue_served_oldest_first() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let a = srv.agent_with(&site.sysnum, "a@test", &[], 1).await;
    let b = srv.agent_with(&site.sysnum, "b@test", &[], 2).await;
    let c = srv.agent_with(&site.sysnum, "c@test", &[], 1).await;
    let (_ca, _) = srv.agent_client("a@test").await;
    let (mut cb, _) = srv.agent_client("b@test").await;
    let (_cc, _) = srv.agent_client("c@test").await;

    // Least loaded first (ties: lowest kf_id), never above max_chats: a, b, c, then b. Each
    // visitor arrives once the one before is served: the ack comes before routing, and which
    // of two simultaneous arrivals an agent gets first is not what this checks.
    let mut visitors = Vec::new();
    let mut served = Vec::new();
    for i in 0..4 {
        let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
        v.client.send_text("m", &format!("visitor {i}")).await;
        v.client.ack("m").await;
        let gid = srv.gid(&site, &v.client.token).await;
        served.push(served_by(&srv, &gid).await.to_string());
        visitors.push(v);
    }
    assert_eq!(
        served,
        vec![
            a.kf_id.clone(),
            b.kf_id.clone(),
            c.kf_id.clone(),
            b.kf_id.clone()
        ]
    );

    // Everyone is full: the next two wait, and see their places.
    let mut v5 = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v5.client.send_text("m", "visitor 5").await;
    v5.client.ack("m").await;
    assert_eq!(v5.client.queue_position().await, 1);
    let mut v6 = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v6.client.send_text("m", "visitor 6").await;
    v6.client.ack("m").await;
    assert_eq!(v6.client.queue_position().await, 2);
    assert_eq!(
        serving_agent(&srv, &srv.gid(&site, &v5.client.token).await).await,
        None
    );
    // A reconnecting waiter is told their place right away.
    let again = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&v6.client.token), 0))
        .await
        .unwrap();
    let mut again = again.client;
    assert_eq!(again.queue_position().await, 2);

    // b ends a chat: the oldest waiter (v5) goes to b, who is told with 32401; v6 moves up.
    let gid2 = srv.gid(&site, &visitors[1].client.token).await;
    let r = cb.request(json!({"api_key": 32600, "gid": gid2})).await;
    assert_eq!(r["code"], 200, "{r}");
    let pushed = cb.push(32401).await;
    assert_eq!(
        pushed["data"]["gid"],
        srv.gid(&site, &v5.client.token).await
    );
    assert_eq!(pushed["data"]["recs"][0]["msg"], "visitor 5");
    assert_eq!(v5.client.queue_position().await, 0, "v5 is served now");
    assert_eq!(v6.client.queue_position().await, 1);
    assert_eq!(
        serving_agent(&srv, &srv.gid(&site, &v5.client.token).await).await,
        Some(b.kf_id.parse().unwrap())
    );
    // The ended visitor saw a closing system line (its own message came back as the ack)
    // and is served by nobody until they write.
    let closing = visitors[1].client.next_msg().await;
    assert_eq!(closing.from, shared::visitor::Author::System);
    assert_eq!(serving_agent(&srv, &gid2).await, None);
    srv.stop().await;
}

#[tokio::test]
async fn ending_chats_checks_its_input() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "a@test").await;
    srv.agent(&site.sysnum, "b@test").await;
    let (mut ca, _) = srv.agent_client("a@test").await;
    let (mut cb, _) = srv.agent_client("b@test").await;
    let (_v, gid) = srv.visitor_to(&site.sysnum, &mut ca, "hi").await;
    for (req, code) in [
        (json!({"api_key": 32600}), -32601),
        (json!({"api_key": 32600, "gid": "999999"}), -32303),
    ] {
        let r = ca.request(req.clone()).await;
        assert_eq!(r["code"], code, "{req} → {r}");
    }
    let r = cb.request(json!({"api_key": 32600, "gid": gid})).await;
    assert_eq!(r["code"], -32304, "b does not serve this visitor: {r}");
    srv.stop().await;
}

#[tokio::test]
async fn visitors_with_a_groupid_are_served_inside_that_group() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let sales = frontdesk_server::admin::create_group(&srv.db, &site.sysnum, "Sales")
        .await
        .unwrap();
    let billing = frontdesk_server::admin::create_group(&srv.db, &site.sysnum, "Billing")
        .await
        .unwrap();
    let alice = srv
        .agent_with(&site.sysnum, "alice@test", &[sales.id], 5)
        .await;
    let bob = srv
        .agent_with(&site.sysnum, "bob@test", &[billing.id], 1)
        .await;
    let (_a, _) = srv.agent_client("alice@test").await;
    let (_b, _) = srv.agent_client("bob@test").await;
    let with_group = |g: &str| shared::visitor::Hello {
        groupid: Some(g.into()),
        ..hello(&site.sysnum, None, 0)
    };

    let mut loads: BTreeMap<String, u32> = BTreeMap::new();
    for g in [
        billing.id.to_string(),
        "not-a-group".into(),
        "999999".into(),
    ] {
        let mut v = VisitorClient::hello(&srv.ws, with_group(&g)).await.unwrap();
        v.client.send_text("m", "hello").await;
        v.client.ack("m").await;
        let who = served_by(&srv, &srv.gid(&site, &v.client.token).await)
            .await
            .to_string();
        *loads.entry(who.clone()).or_default() += 1;
        if g == billing.id.to_string() {
            assert_eq!(who, bob.kf_id, "Billing visitors go to Billing agents");
        }
    }
    // Unknown groups are routed site-wide (bob is full, so alice).
    assert_eq!(loads.get(&alice.kf_id), Some(&2));
    // A second Billing visitor waits for bob although alice has room.
    let mut v = VisitorClient::hello(&srv.ws, with_group(&billing.id.to_string()))
        .await
        .unwrap();
    v.client.send_text("m", "billing question").await;
    v.client.ack("m").await;
    assert_eq!(v.client.queue_position().await, 1);
    assert_eq!(
        serving_agent(&srv, &srv.gid(&site, &v.client.token).await).await,
        None
    );
    srv.stop().await;
}

#[tokio::test]
async fn an_agent_who_stops_answering_heartbeats_goes_offline_and_its_visitor_is_requeued() {
    let srv = TestServer::start_with(|c| {
        c.idle_timeout = Duration::from_millis(700);
        c.ping_interval = Duration::from_millis(150);
        c.agent_offline_grace = Duration::from_millis(300);
    })
    .await;
    let site = srv.site().await;
    let alice = srv.agent(&site.sysnum, "alice@test").await;
    let bob = srv.agent(&site.sysnum, "bob@test").await;
    // alice logs in and then goes silent: her client never reads, so never answers pings.
    let (mut silent_alice, login) = srv.agent_client("alice@test").await;
    let alice_ix = login["data"]["ix"].as_str().unwrap().to_owned();
    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v.client.send_text("m", "is anyone there?").await;
    v.client.ack("m").await;
    let gid = srv.gid(&site, &v.client.token).await;
    assert_eq!(
        served_by(&srv, &gid).await,
        alice.kf_id.parse::<i64>().unwrap()
    );
    let (mut bob_c, _) = srv.agent_client("bob@test").await;

    // bob (who keeps reading, so answers pings) is handed the unanswered visitor.
    let pushed = bob_c.push(32401).await;
    assert_eq!(pushed["data"]["gid"], gid);
    assert_eq!(
        serving_agent(&srv, &gid).await,
        Some(bob.kf_id.parse().unwrap())
    );
    let online = bob_c.request(json!({"api_key": 33000})).await;
    assert!(
        online["data"].get(&alice_ix).is_none(),
        "alice is offline: {online}"
    );
    // alice's socket was closed by the server.
    loop {
        if let Next::Closed = next_text(&mut silent_alice.ws).await {
            break;
        }
    }
    srv.stop().await;
}

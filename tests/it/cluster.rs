//! Many nodes (issue 7): two real `frontdesk serve` processes on one database file and one
//! Redis act as one system. The visitor is on node A (0) and the agent on node B (1) unless a
//! test says otherwise. Needs Redis (`FRONTDESK_REDIS_URL`); without it each test prints why
//! it skips, or fails when `FRONTDESK_REQUIRE_SERVICES=1`.

use std::time::Duration;

use harness::*;
use serde_json::{json, Value};
use shared::visitor::{ClientFrame, ServerFrame};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-under-test");
/// Short timings so failures of a node and the offline grace show within a test.
const FAST: &[&str] = &[
    "--node-heartbeat-ms",
    "200",
    "--node-timeout-ms",
    "1500",
    "--agent-offline-grace-ms",
    "500",
    "--ping-interval-ms",
    "300",
];

async fn two_nodes(test: &str) -> Option<Cluster> {
    let redis = redis_url(test)?;
    Some(Cluster::start(BIN, 2, &redis, FAST).await)
}

/// The next live message with a sequence number above `after` (a tab also gets its own
/// messages back after their ack; those are skipped here).
async fn msg_after(s: &mut Session, after: u64) -> shared::visitor::ChatMessage {
    loop {
        let m = s.client.next_msg().await;
        if m.seq.0 > after {
            return m;
        }
    }
}

/// Whether the agent is typing, from the next typing notice (messages, acks, queue skipped).
async fn next_typing(s: &mut Session) -> bool {
    loop {
        match s.client.recv().await {
            ServerFrame::Typing { typing } => return typing,
            ServerFrame::Msg(_) | ServerFrame::Ack { .. } | ServerFrame::Queue { .. } => continue,
            other => panic!("expected typing, got {other:?}"),
        }
    }
}

fn gid_of(push: &Value) -> String {
    push["data"]["gid"]
        .as_str()
        .unwrap_or_else(|| panic!("no gid in {push}"))
        .to_owned()
}

#[tokio::test]
async fn messages_tabs_resume_and_typing_across_nodes() {
    let Some(c) = two_nodes("cluster::messages_tabs_resume_and_typing_across_nodes").await else {
        return;
    };
    c.agent("bea@b", 5).await;
    let (mut agent, _) = c.agent_on(1, "bea@b").await;
    let (a, b) = (c.node(0), c.node(1));

    // Visitor on A, agent on B.
    let mut tab_a = VisitorClient::fresh(&a.ws, &c.site.sysnum).await;
    tab_a.client.send_text("v1", "hello from A").await;
    assert_eq!(tab_a.client.ack("v1").await.0, 1);
    let push = agent.push(32399).await;
    assert_eq!(push["data"]["message_info"]["msg"], "hello from A");
    let gid = gid_of(&push);
    let token = tab_a.client.token.clone();

    // A second tab of the same visitor on B sees the backlog.
    let mut tab_b = VisitorClient::hello(&b.ws, hello(&c.site.sysnum, Some(&token), 0))
        .await
        .expect("welcome");
    assert_eq!(tab_b.replay.len(), 1);
    assert_eq!(tab_b.client.visitor_id, gid);

    // The agent answers on B: both tabs get it live.
    let r = agent
        .request(json!({"api_key": 32300, "gid": gid, "msg": "hi, agent here"}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    for tab in [&mut tab_a, &mut tab_b] {
        let m = msg_after(tab, 1).await;
        assert_eq!((m.seq.0, m.body.as_str()), (2, "hi, agent here"));
    }

    // The tab on B writes: the tab on A and the agent see it.
    tab_b.client.send_text("v2", "from tab B").await;
    assert_eq!(tab_b.client.ack("v2").await.0, 3);
    let m = msg_after(&mut tab_a, 2).await;
    assert_eq!((m.seq.0, m.body.as_str()), (3, "from tab B"));
    let push = agent.push(32399).await;
    assert_eq!(push["data"]["message_info"]["msg"], "from tab B");

    // Typing, both ways across nodes.
    let r = agent
        .request(json!({"api_key": 32700, "gid": gid, "status": 1}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    assert!(next_typing(&mut tab_a).await);
    send_frame(&mut tab_a.client.ws, &ClientFrame::Typing { typing: true }).await;
    let t = agent.push(32799).await;
    assert_eq!(
        (t["data"]["gid"].as_str(), t["data"]["status"].as_u64()),
        (Some(gid.as_str()), Some(1))
    );

    // Resume on the other node from seq 2: only seq 3 is replayed.
    drop(tab_a);
    let resumed = VisitorClient::hello(&b.ws, hello(&c.site.sysnum, Some(&token), 2))
        .await
        .expect("welcome");
    let seqs: Vec<u64> = resumed.replay.iter().map(|m| m.seq.0).collect();
    assert_eq!(seqs, vec![3]);
}

#[tokio::test]
async fn a_pending_visitors_tab_on_another_node_follows_the_first_message() {
    let Some(c) = two_nodes("cluster::a_pending_visitors_tab_on_another_node_follows").await else {
        return;
    };
    let (a, b) = (c.node(0), c.node(1));
    let mut tab_a = VisitorClient::fresh(&a.ws, &c.site.sysnum).await;
    assert_eq!(
        tab_a.client.visitor_id, "",
        "pending until the first message"
    );
    let token = tab_a.client.token.clone();
    let mut tab_b = VisitorClient::hello(&b.ws, hello(&c.site.sysnum, Some(&token), 0))
        .await
        .expect("welcome");
    assert_eq!(tab_b.client.visitor_id, "");
    tab_a.client.send_text("p1", "first words").await;
    tab_a.client.ack("p1").await;
    let m = tab_b.client.next_msg().await;
    assert_eq!((m.seq.0, m.body.as_str()), (1, "first words"));
}

#[tokio::test]
async fn queue_positions_and_32399_while_waiting_cross_nodes() {
    let Some(c) = two_nodes("cluster::queue_positions_and_32399_while_waiting").await else {
        return;
    };
    c.agent("solo@b", 1).await;
    let (mut agent, _) = c.agent_on(1, "solo@b").await;
    let a = c.node(0);

    let mut v1 = VisitorClient::fresh(&a.ws, &c.site.sysnum).await;
    v1.client.send_text("a", "first").await;
    v1.client.ack("a").await;
    let gid1 = gid_of(&agent.push(32399).await);

    // The agent is full: the second visitor (on A) waits, sees their place, and the agent on
    // B is told about the waiting visitor's message.
    let mut v2 = VisitorClient::fresh(&a.ws, &c.site.sysnum).await;
    v2.client.send_text("b", "second").await;
    v2.client.ack("b").await;
    assert_eq!(v2.client.queue_position().await, 1);
    let waiting = agent.push(32399).await;
    let gid2 = gid_of(&waiting);
    assert_ne!(gid1, gid2);

    // The agent ends the first chat on B: the waiter is served and told so on A.
    let r = agent.request(json!({"api_key": 32600, "gid": gid1})).await;
    assert_eq!(r["code"], 200, "{r}");
    let t = agent.push(32401).await;
    assert_eq!(gid_of(&t), gid2);
    assert_eq!(v2.client.queue_position().await, 0);
}

#[tokio::test]
async fn suspend_online_lists_and_transfer_across_nodes() {
    let Some(c) = two_nodes("cluster::suspend_online_lists_and_transfer").await else {
        return;
    };
    // yan is created first (lowest kf_id: routing's tie-break would pick her).
    c.agent("yan@b", 5).await;
    c.agent("xu@a", 5).await;
    let (mut yan, ylogin) = c.agent_on(1, "yan@b").await;
    let (mut xu, xlogin) = c.agent_on(0, "xu@a").await;
    let yix = ylogin["data"]["ix"].as_str().unwrap().to_owned();
    let xix = xlogin["data"]["ix"].as_str().unwrap().to_owned();
    assert_ne!(xix, yix, "ix unique across nodes");

    // yan suspends on B; routing on A must see it.
    let r = yan.request(json!({"api_key": 32500, "status": 1})).await;
    assert_eq!(r["code"], 200);
    let mut v = VisitorClient::fresh(&c.node(0).ws, &c.site.sysnum).await;
    v.client.send_text("m", "need help").await;
    v.client.ack("m").await;
    let push = xu.push(32399).await;
    let gid = gid_of(&push);

    // 33000 on A lists both nodes' connections with live accepted_case and status.
    let list = xu.request(json!({"api_key": 33000})).await;
    assert_eq!(list["data"][&xix]["accepted_case"], 1, "{list}");
    assert_eq!(list["data"][&xix]["status"], 1);
    assert_eq!(list["data"][&yix]["status"], 2, "{list}");
    assert_eq!(list["data"][&yix]["accepted_case"], 0);
    let list_b = yan.request(json!({"api_key": 33000})).await;
    assert_eq!(list_b["data"], list["data"], "every node lists the same");

    // getonlinekflist on B: xu online (not suspended) with one case; yan suspended, absent.
    let tok: Value = reqwest::get(format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        c.node(1).http,
        c.site.appid,
        c.site.secret
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let at = tok["access_token"].as_str().expect("token").to_owned();
    let online: Value = reqwest::get(format!(
        "{}/cgi-bin/customservice/getonlinekflist?access_token={at}",
        c.node(1).http
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let l = online["kf_online_list"].as_array().expect("list");
    assert_eq!(l.len(), 1, "{online}");
    assert_eq!(l[0]["kf_account"], "xu@a");
    assert_eq!(l[0]["accepted_case"], 1);

    // xu (on A) transfers the visitor to yan's connection on B.
    let r = xu
        .request(json!({"api_key": 32400, "gid": gid, "aix": yix}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    let done = xu.push(32402).await;
    assert_eq!(done["data"]["to_ix"], yix.as_str());
    let got = yan.push(32401).await;
    assert_eq!(gid_of(&got), gid);
    assert_eq!(got["data"]["from_ix"], xix.as_str());
    // The visitor on A sees the transfer line, and yan can answer.
    let line = msg_after(&mut v, 1).await;
    assert!(line.body.contains("yan@b"), "{line:?}");
    let r = yan
        .request(json!({"api_key": 32300, "gid": gid, "msg": "yan here"}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(msg_after(&mut v, 2).await.body, "yan here");
}

#[tokio::test]
async fn revoking_an_agent_closes_its_socket_on_another_node() {
    let Some(c) = two_nodes("cluster::revoking_an_agent_closes_its_socket").await else {
        return;
    };
    c.agent("rev@b", 5).await;
    c.agent("dis@a", 5).await;
    let (mut rev, _) = c.agent_on(1, "rev@b").await;
    let (mut dis, _) = c.agent_on(0, "dis@a").await;
    let db = c.db().await;
    frontdesk_server::admin::revoke_agent(&db, "rev@b")
        .await
        .unwrap();
    frontdesk_server::admin::set_agent_disabled(&db, "dis@a", true)
        .await
        .unwrap();
    db.close().await;
    for agent in [&mut rev, &mut dis] {
        let bye = loop {
            match next_text(&mut agent.ws).await {
                Next::Text(t) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    if v["code"] == -9999 {
                        break v;
                    }
                }
                Next::Closed => panic!("closed without -9999"),
            }
        };
        assert_eq!(bye["api_key"], 31000);
        assert!(matches!(next_text(&mut agent.ws).await, Next::Closed));
    }
}

#[tokio::test]
async fn a_killed_nodes_agent_goes_offline_and_its_waiting_visitor_is_served_elsewhere() {
    let Some(mut c) = two_nodes("cluster::a_killed_nodes_agent_goes_offline").await else {
        return;
    };
    c.agent("gone@b", 5).await;
    c.agent("stays@a", 5).await;
    let (mut gone, _) = c.agent_on(1, "gone@b").await;
    let mut v = VisitorClient::fresh(&c.node(0).ws, &c.site.sysnum).await;
    v.client.send_text("q", "unanswered question").await;
    v.client.ack("q").await;
    let gid = gid_of(&gone.push(32399).await);
    let (mut stays, _) = c.agent_on(0, "stays@a").await;

    // Node B dies with its agent's socket; nobody closes anything.
    c.kill9(1).await;
    // After the node timeout and the offline grace, the sweep (whichever node holds its
    // lease) re-queues the unanswered visitor and the agent on A is handed them.
    let t = tokio::time::timeout(Duration::from_secs(15), stays.push(32401))
        .await
        .expect("the visitor was handed over");
    assert_eq!(gid_of(&t), gid);
    let list = stays.request(json!({"api_key": 33000})).await;
    assert_eq!(
        list["data"].as_object().map(|m| m.len()),
        Some(1),
        "only the live node's agent is listed: {list}"
    );
    let r = stays
        .request(json!({"api_key": 32300, "gid": gid, "msg": "I can help"}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(msg_after(&mut v, 1).await.body, "I can help");
}

// ----- point 3: kill -9 of a node behind a load balancer -----------------------------------

/// A real haproxy on loopback in front of `backends` (WebSocket-aware: HTTP mode, upgraded
/// connections become tunnels), health-checking `/healthz` every 200 ms and re-dispatching a
/// connection a dead backend refuses. Killed on drop.
pub(crate) struct Haproxy {
    _child: tokio::process::Child,
    pub(crate) addr: String,
    _dir: tempfile::TempDir,
}

impl Haproxy {
    pub(crate) async fn start(backends: &[String]) -> Haproxy {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut cfg = format!(
            "global\n  maxconn 4096\n\
             defaults\n  mode http\n  option redispatch\n  retries 3\n  timeout connect 1s\n  \
             timeout client 30s\n  timeout server 30s\n  timeout tunnel 120s\n\
             frontend fd\n  bind 127.0.0.1:{port}\n  default_backend nodes\n\
             backend nodes\n  balance roundrobin\n  option httpchk GET /healthz\n"
        );
        for (i, b) in backends.iter().enumerate() {
            let hostport = b.trim_start_matches("http://");
            cfg.push_str(&format!(
                "  server n{i} {hostport} check inter 200ms fall 1 rise 2\n"
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, cfg).unwrap();
        let child = tokio::process::Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start haproxy (Debian's haproxy package)");
        let addr = format!("127.0.0.1:{port}");
        // Wait until it accepts and a backend answers.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(r) = reqwest::get(format!("http://{addr}/healthz")).await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "haproxy did not come up"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Haproxy {
            _child: child,
            addr,
            _dir: dir,
        }
    }
}

/// What one visitor saw and was told.
#[derive(Default)]
pub(crate) struct VisitorLog {
    pub(crate) token: Option<String>,
    /// cmid → seq of every acked message.
    acked: std::collections::BTreeMap<String, u64>,
    /// Highest seq shown, in order; every shown seq once (a repeat is a duplicate).
    shown_upto: u64,
    /// Seqs shown from their ack (as the chat page does): the server may still send such a
    /// message once as `msg` (when the ack answered a resend), which the page merges.
    shown_by_ack: std::collections::BTreeSet<u64>,
    duplicates_shown: u64,
    gaps: u64,
    pub(crate) reconnects: u64,
    /// When each ack arrived.
    pub(crate) ack_times: Vec<tokio::time::Instant>,
    /// Error frames the server answered a send with (e.g. the database refused the write):
    /// the message stays unacked and goes again.
    pub(crate) errors: u64,
}

/// How a visitor of [`visitor_traffic`] sends.
#[derive(Clone, Copy)]
pub(crate) struct Pace {
    /// Between two sends.
    pub(crate) every: Duration,
    /// A message unacked this long means the connection is dead: reconnect (the chat page's
    /// outbox does the same).
    pub(crate) ack_timeout: Duration,
    /// The visitor must have every message acked by then.
    pub(crate) within: Duration,
}

async fn visitor_under_kill(lb: String, sysnum: String, idx: usize, n: usize) -> VisitorLog {
    let pace = Pace {
        every: Duration::from_millis(15),
        ack_timeout: Duration::from_secs(60),
        within: Duration::from_secs(60),
    };
    visitor_traffic(lb, sysnum, idx, n, pace).await
}

/// One visitor sending `n` messages through `lb`, reconnecting whenever its socket drops (or
/// an ack is overdue), and resending unacked messages with their `cmid` (as the chat page's
/// outbox does).
pub(crate) async fn visitor_traffic(
    lb: String,
    sysnum: String,
    idx: usize,
    n: usize,
    pace: Pace,
) -> VisitorLog {
    use futures_util::{SinkExt, StreamExt};
    use shared::visitor::{MsgKind, Send};
    use tokio_tungstenite::tungstenite::Message;
    let mut log = VisitorLog::default();
    let mut next = 0usize;
    let deadline = tokio::time::Instant::now() + pace.within;
    while log.acked.len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "visitor {idx} stuck"
        );
        let Ok((mut ws, _)) =
            tokio_tungstenite::connect_async(format!("ws://{lb}/ws/visitor")).await
        else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let h = hello(&sysnum, log.token.as_deref(), log.shown_upto);
        if ws
            .send(Message::text(
                serde_json::to_string(&ClientFrame::Hello(h)).unwrap(),
            ))
            .await
            .is_err()
        {
            continue;
        }
        // Unacked messages go again, with their cmid.
        let resend: Vec<usize> = (0..next)
            .filter(|i| !log.acked.contains_key(&format!("v{idx}m{i}")))
            .collect();
        let mut queue: std::collections::VecDeque<usize> = resend.into();
        let mut tick = tokio::time::interval(pace.every);
        // The oldest send on this connection not acked yet.
        let mut waiting: Option<tokio::time::Instant> = None;
        'conn: loop {
            tokio::select! {
                f = ws.next() => {
                    let Some(Ok(f)) = f else { break 'conn };
                    let Message::Text(t) = f else { continue };
                    match serde_json::from_str::<ServerFrame>(&t) {
                        Ok(ServerFrame::Welcome { token, .. }) => log.token = Some(token),
                        Ok(ServerFrame::Ack { cmid, seq, .. }) => {
                            log.acked.insert(cmid.to_string(), seq.0);
                            log.ack_times.push(tokio::time::Instant::now());
                            waiting = None;
                            // The sending tab shows its message from the ack.
                            if seq.0 == log.shown_upto + 1 {
                                log.shown_upto = seq.0;
                                log.shown_by_ack.insert(seq.0);
                            }
                        }
                        Ok(ServerFrame::Msg(m)) => {
                            if m.seq.0 <= log.shown_upto {
                                if !log.shown_by_ack.remove(&m.seq.0) {
                                    log.duplicates_shown += 1;
                                }
                            } else {
                                if m.seq.0 != log.shown_upto + 1 {
                                    log.gaps += 1;
                                }
                                log.shown_upto = m.seq.0;
                            }
                        }
                        Ok(ServerFrame::Error { code, message, .. }) => {
                            use shared::visitor::ErrorCode;
                            assert!(
                                matches!(code, ErrorCode::Internal | ErrorCode::RateLimited),
                                "visitor {idx}: {message}"
                            );
                            log.errors += 1;
                            // Not stored: it goes again on the next connection.
                            break 'conn;
                        }
                        _ => {}
                    }
                    if log.acked.len() >= n { break 'conn; }
                }
                _ = tick.tick() => {
                    if waiting.is_some_and(|t| t.elapsed() > pace.ack_timeout) {
                        break 'conn;
                    }
                    if queue.is_empty() && next < n {
                        queue.push_back(next);
                        next += 1;
                    }
                    if let Some(i) = queue.pop_front() {
                        let f = ClientFrame::Send(Send {
                            cmid: cmid(&format!("v{idx}m{i}")),
                            kind: MsgKind::Text,
                            body: format!("visitor {idx} message {i}"),
                        });
                        if ws.send(Message::text(serde_json::to_string(&f).unwrap())).await.is_err() {
                            break 'conn;
                        }
                        waiting.get_or_insert_with(tokio::time::Instant::now);
                    }
                }
            }
        }
        if log.acked.len() < n {
            log.reconnects += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    log
}

/// An agent connected through the balancer that answers every visitor message it is told
/// about, and logs in again whenever its socket drops. Returns the replies it got a `200` for.
async fn agent_under_kill(
    lb: String,
    token: String,
    stop: tokio::sync::watch::Receiver<bool>,
) -> (Vec<String>, u64) {
    agent_traffic(lb, token, stop, Duration::from_secs(3600)).await
}

/// [`agent_under_kill`] that also reconnects when its socket says nothing for `idle` (a
/// stopped node's socket stays open but silent).
pub(crate) async fn agent_traffic(
    lb: String,
    token: String,
    stop: tokio::sync::watch::Receiver<bool>,
    idle: Duration,
) -> (Vec<String>, u64) {
    let mut acked = Vec::new();
    let mut reconnects = 0;
    while !*stop.borrow() {
        let Ok((ws, _)) = tokio_tungstenite::connect_async(format!("ws://{lb}/ws/agent")).await
        else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut a = AgentClient::from_ws(ws);
        a.send_raw(&json!({"api_key": 31000, "call_type": 3, "token": token}).to_string())
            .await;
        let mut stop = stop.clone();
        loop {
            use futures_util::StreamExt;
            let f = tokio::select! {
                f = tokio::time::timeout(idle, a.ws.next()) => match f {
                    Ok(f) => f,
                    Err(_) => break,
                },
                _ = stop.changed() => return (acked, reconnects),
            };
            let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) = f else {
                if matches!(f, Some(Ok(_))) {
                    continue;
                }
                break;
            };
            let v: Value = serde_json::from_str(&t).unwrap();
            match v["api_key"].as_i64() {
                Some(32399) => {
                    let gid = v["data"]["gid"].as_str().unwrap_or_default().to_owned();
                    let msg = v["data"]["message_info"]["msg"]
                        .as_str()
                        .unwrap_or_default();
                    let reply = format!("re: {msg}");
                    a.send_raw(&json!({"api_key": 32300, "gid": gid, "msg": reply}).to_string())
                        .await;
                }
                Some(32300) if v["code"] == 200 => {
                    acked.push(
                        v["data"]["message_info"]["msg"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    );
                }
                _ => {}
            }
        }
        reconnects += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (acked, reconnects)
}

#[tokio::test]
async fn kill_9_of_a_node_behind_haproxy_loses_and_duplicates_nothing() {
    let Some(redis) = redis_url("cluster::kill_9_of_a_node_behind_haproxy") else {
        return;
    };
    const VISITORS: usize = 12;
    const N: usize = 40;
    let flags = [
        "--node-heartbeat-ms",
        "200",
        "--node-timeout-ms",
        "1500",
        "--agent-offline-grace-ms",
        "10000",
        "--visitor-burst",
        "100000",
        "--visitor-rate",
        "100000",
        "--client-msg-burst",
        "100000",
        "--client-msg-rate",
        "100000",
        "--client-new-visitor-burst",
        "100000",
    ];
    let mut c = Cluster::start(BIN, 2, &redis, &flags).await;
    c.agent("lb@agent", 1000).await;
    let backends: Vec<String> = (0..2).map(|i| c.node(i).http.clone()).collect();
    let lb = Haproxy::start(&backends).await;
    let token = login(&format!("http://{}", lb.addr), "lb@agent", PASSWORD).await;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let agent = tokio::spawn(agent_under_kill(lb.addr.clone(), token, stop_rx));
    // The agent is logged in (on whichever node the balancer chose) before traffic starts.
    let db = c.db().await;
    let site_id = c.site.business_id;
    let agent_node = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(conn) = db.live_agent_conns(site_id, 0).await.unwrap().first() {
                return conn.node_id;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the agent logged in");
    db.close().await;
    let visitors: Vec<_> = (0..VISITORS)
        .map(|i| {
            tokio::spawn(visitor_under_kill(
                lb.addr.clone(),
                c.site.sysnum.clone(),
                i,
                N,
            ))
        })
        .collect();
    // Under traffic, kill the node the agent's socket is on (visitors are spread over both).
    tokio::time::sleep(Duration::from_millis(250)).await;
    let mut victim = None;
    for i in 0..2 {
        let h: Value = reqwest::get(format!("{}/healthz", c.node(i).http))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if h["node"] == agent_node {
            victim = Some(i);
        }
    }
    let victim = victim.expect("the agent's node is one of the two");
    c.kill9(victim).await;
    let mut logs = Vec::new();
    for v in visitors {
        logs.push(v.await.expect("visitor task"));
    }
    // Let the agent answer what is left, then stop it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _ = stop_tx.send(true);
    let (agent_acked, agent_reconnects) = agent.await.unwrap();

    // The database, through the surviving node: each visitor's every acked message once, and
    // every acked agent reply once.
    let mut lost = 0usize;
    let mut duplicated = 0usize;
    let mut stored_replies: std::collections::BTreeMap<String, usize> = Default::default();
    for (i, log) in logs.iter().enumerate() {
        let s = VisitorClient::hello(
            &format!("ws://{}", lb.addr),
            hello(&c.site.sysnum, log.token.as_deref(), 0),
        )
        .await
        .expect("welcome");
        let mut cmids: std::collections::BTreeMap<String, usize> = Default::default();
        for m in &s.replay {
            if let Some(id) = &m.cmid {
                *cmids.entry(id.to_string()).or_default() += 1;
            } else if m.body.starts_with("re: ") {
                *stored_replies.entry(m.body.clone()).or_default() += 1;
            }
        }
        for k in 0..N {
            match cmids.get(&format!("v{i}m{k}")) {
                None => lost += 1,
                Some(1) => {}
                Some(_) => duplicated += 1,
            }
        }
        let seqs: Vec<u64> = s.replay.iter().map(|m| m.seq.0).collect();
        assert_eq!(
            seqs,
            (1..=seqs.len() as u64).collect::<Vec<_>>(),
            "contiguous seq"
        );
        assert_eq!(
            log.duplicates_shown, 0,
            "visitor {i} was shown a message twice"
        );
        assert_eq!(log.gaps, 0, "visitor {i} was shown a gap");
    }
    for r in &agent_acked {
        match stored_replies.get(r) {
            None => lost += 1,
            Some(1) => {}
            Some(_) => duplicated += 1,
        }
    }
    let reconnects: u64 = logs.iter().map(|l| l.reconnects).sum();
    println!(
        "kill -9 behind haproxy: {} visitor messages, {} agent replies acked; {reconnects} visitor \
         and {agent_reconnects} agent reconnects; lost {lost}, duplicated {duplicated}",
        VISITORS * N,
        agent_acked.len()
    );
    assert_eq!((lost, duplicated), (0, 0));
    assert!(reconnects > 0, "the kill must have cut some visitors off");
    assert!(agent_reconnects > 0, "the kill must have cut the agent off");
    drop(lb);
}

#[tokio::test]
async fn an_upload_to_one_node_is_served_by_the_other() {
    let Some(c) = two_nodes("cluster::an_upload_to_one_node_is_served_by_the_other").await else {
        return;
    };
    c.agent("up@b", 5).await;
    let token = login(&c.node(1).http, "up@b", PASSWORD).await;
    // Several chunks' worth of text, so the stream back is pieced together from many rows.
    let body: Vec<u8> = (0..700_000u32)
        .map(|i| b"abcdefghij\n"[(i % 11) as usize])
        .collect();
    let r = reqwest::Client::new()
        .post(format!("{}/api/files?name=notes.txt", c.node(1).http))
        .header("authorization", format!("Bearer {token}"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let up: Value = r.json().await.unwrap();
    let url = up["url"].as_str().unwrap();
    let path = &url[url.find("/files/").unwrap()..];
    // Node B is gone from the picture: node A serves it.
    let got = reqwest::get(format!("{}{path}", c.node(0).http))
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["x-content-type-options"], "nosniff");
    let bytes = got.bytes().await.unwrap();
    assert_eq!(bytes.len(), body.len());
    assert!(bytes[..] == body[..], "same bytes");
}

/// A private `redis-server` on a fixed loopback port (so it can be restarted in place).
async fn own_redis(port: u16) -> tokio::process::Child {
    let child = tokio::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server (Debian's redis-server package)");
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "redis-server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

/// Two nodes on a Redis of the test's own (to kill and restart it): its port, the process and
/// the cluster.
async fn two_nodes_on_own_redis() -> (u16, tokio::process::Child, Cluster) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redis = own_redis(port).await;
    let c = Cluster::start(BIN, 2, &format!("redis://127.0.0.1:{port}/"), FAST).await;
    (port, redis, c)
}

#[tokio::test]
async fn a_tab_catches_up_what_the_bus_lost_while_redis_was_down() {
    // Uses a Redis of its own (restarted below), but runs only where the services are.
    if redis_url("cluster::a_tab_catches_up_what_the_bus_lost").is_none() {
        return;
    }
    let (port, mut redis, c) = two_nodes_on_own_redis().await;
    c.agent("bus@b", 5).await;
    let (mut agent, _) = c.agent_on(1, "bus@b").await;
    let mut tab = VisitorClient::fresh(&c.node(0).ws, &c.site.sysnum).await;
    tab.client.send_text("one", "one").await;
    tab.client.ack("one").await;
    let gid = gid_of(&agent.push(32399).await);
    let r = agent
        .request(json!({"api_key": 32300, "gid": gid, "msg": "two"}))
        .await;
    assert_eq!(r["code"], 200);
    assert_eq!(msg_after(&mut tab, 1).await.body, "two");

    // Redis dies: the agent's next message is stored and acked, but no note reaches node A.
    redis.kill().await.unwrap();
    let r = agent
        .request(json!({"api_key": 32300, "gid": gid, "msg": "three"}))
        .await;
    assert_eq!(r["code"], 200, "the database, not the bus, decides: {r}");
    // Back again: the subscriber reconnects and every tab on A reads what it lacks.
    let _redis = own_redis(port).await;
    let m = tokio::time::timeout(Duration::from_secs(15), msg_after(&mut tab, 2))
        .await
        .expect("the tab caught up after the bus came back");
    assert_eq!((m.seq.0, m.body.as_str()), (3, "three"));
}

#[tokio::test]
async fn the_offline_grace_survives_a_restart_of_the_only_node() {
    // One node, no Redis: the grace is a database sweep, not a timer of the process.
    let dir = tempfile::tempdir().unwrap();
    let tdb = TestDb::new(&dir.path().join("fd.db")).await;
    let db_url = tdb.url.clone();
    let site = {
        let db = frontdesk_server::db::Db::open(&db_url).await.unwrap();
        let site = frontdesk_server::admin::create_site(&db, "Restart grace")
            .await
            .unwrap();
        for account in ["first@r", "second@r"] {
            frontdesk_server::admin::create_agent(
                &db,
                frontdesk_server::admin::NewAgent {
                    sysnum: &site.sysnum,
                    account,
                    nick: account,
                    password: PASSWORD,
                    groups: &[],
                    max_chats: 5,
                    role: shared::agent::Role::Agent,
                },
            )
            .await
            .unwrap();
        }
        db.close().await;
        site
    };
    let flags = [
        "--node-heartbeat-ms",
        "200",
        "--node-timeout-ms",
        "1000",
        "--agent-offline-grace-ms",
        "1500",
    ];
    let env = [("FRONTDESK_REDIS_URL", "")];
    let srv = ProcessServer::spawn_with_env(BIN, &db_url, &flags, &env).await;
    let token = login(&srv.http, "first@r", PASSWORD).await;
    let (mut first, _) = AgentClient::login(&srv.ws, &token).await;
    let mut v = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    v.client.send_text("q", "still there?").await;
    v.client.ack("q").await;
    let gid = gid_of(&first.push(32399).await);
    let token_v = v.client.token.clone();
    // The agent leaves; the process dies before the grace is over.
    drop(first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    srv.kill9().await;

    let srv = ProcessServer::spawn_with_env(BIN, &db_url, &flags, &env).await;
    let token2 = login(&srv.http, "second@r", PASSWORD).await;
    let (mut second, _) = AgentClient::login(&srv.ws, &token2).await;
    let t = tokio::time::timeout(Duration::from_secs(15), second.push(32401))
        .await
        .expect("the restarted node released the visitor after the grace");
    assert_eq!(gid_of(&t), gid);
    let mut v = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token_v), 1))
        .await
        .expect("welcome");
    let r = second
        .request(json!({"api_key": 32300, "gid": gid, "msg": "yes, me now"}))
        .await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(msg_after(&mut v, 1).await.body, "yes, me now");
}

#[tokio::test]
async fn a_visitor_with_tabs_on_another_node_is_online_in_the_agents_list() {
    let Some(c) = two_nodes("cluster::a_visitor_with_tabs_on_another_node_is_online").await else {
        return;
    };
    c.agent("list@b", 5).await;
    let (mut agent, _) = c.agent_on(1, "list@b").await;
    let mut v = VisitorClient::fresh(&c.node(0).ws, &c.site.sysnum).await;
    v.client.send_text("x", "am I online?").await;
    v.client.ack("x").await;
    let gid = gid_of(&agent.push(32399).await);
    let state = |l: &Value| {
        l["data"]["guest_list"][&gid]["state"]
            .as_str()
            .map(str::to_owned)
    };
    let l = agent.request(json!({"api_key": 32000})).await;
    assert_eq!(state(&l).as_deref(), Some("online"), "{l}");
    // The tab closes: offline once node A has recorded it.
    drop(v);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let l = agent.request(json!({"api_key": 32000})).await;
        if state(&l).as_deref() == Some("offline") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still online: {l}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A presence long poll (`POST /api/visitor/presence`) on the node at `http`, as the notifier
/// frame sends it; resolves to its answer.
fn presence_poll(http: &str, sysnum: &str, token: &str) -> tokio::task::JoinHandle<Value> {
    let http = http.to_owned();
    let body = json!({"sysnum": sysnum, "token": token, "url": "https://shop.test/boots", "title": "Boots"});
    tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{http}/api/visitor/presence"))
            .header("origin", &http)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    })
}

/// How a poll ended within `within`, or `None` while it is still held.
async fn answered(poll: &mut tokio::task::JoinHandle<Value>, within: Duration) -> Option<Value> {
    tokio::time::timeout(within, poll)
        .await
        .ok()
        .map(|r| r.unwrap())
}

#[tokio::test]
async fn presence_on_one_node_is_listed_and_invited_from_the_other_once() {
    let Some(c) = two_nodes("cluster::presence_on_one_node_is_listed_and_invited").await else {
        return;
    };
    c.agent("invite@b", 5).await;
    let (mut agent, _) = c.agent_on(1, "invite@b").await;
    let v = VisitorClient::fresh(&c.node(0).ws, &c.site.sysnum).await;
    let token = v.client.token.clone();
    let sysnum = c.site.sysnum.to_string();
    let (a, b) = (c.node(0).http.clone(), c.node(1).http.clone());

    // The visitor's poll is held on node A; the agent on node B lists them.
    let mut on_a = presence_poll(&a, &sysnum, &token);
    let deadline = tokio::time::Instant::now() + WAIT;
    let listed = loop {
        let r = agent.request(json!({"api_key": 32810})).await;
        assert_eq!(r["code"], 200, "{r}");
        if let Some(e) = r["data"]
            .as_array()
            .and_then(|l| l.iter().find(|e| e["title"] == "Boots"))
        {
            break e.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "not listed: {r}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(listed["url"], "https://shop.test/boots", "{listed}");
    let vid = listed["vid"].as_str().unwrap().to_owned();

    // An invitation from B answers the poll on A at once.
    let invite = |msg: &str| json!({"api_key": 32811, "gid": vid, "msg": msg});
    let r = agent.request(invite("Need a size?")).await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(
        answered(&mut on_a, Duration::from_secs(5)).await,
        Some(json!({"invite": "Need a size?"})),
        "the poll on node A gets the invitation sent on node B"
    );

    // Sent while no poll is open: the visitor is still on the site (between two polls), so
    // the invitation is stored and the next poll, here on node B, gets it at once.
    let r = agent.request(invite("Still looking?")).await;
    assert_eq!(r["code"], 200, "{r}");
    let mut on_b = presence_poll(&b, &sysnum, &token);
    assert_eq!(
        answered(&mut on_b, Duration::from_secs(5)).await,
        Some(json!({"invite": "Still looking?"}))
    );
    // Once: the following poll (node A) is not answered with it again; it waits, and gets
    // only the next invitation.
    let mut on_a = presence_poll(&a, &sysnum, &token);
    assert_eq!(answered(&mut on_a, Duration::from_millis(700)).await, None);
    let r = agent.request(invite("Free shipping today")).await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(
        answered(&mut on_a, Duration::from_secs(5)).await,
        Some(json!({"invite": "Free shipping today"}))
    );

    // Two tabs poll at once, one on each node: one invitation reaches exactly one of them.
    let mut polls = [
        presence_poll(&a, &sysnum, &token),
        presence_poll(&b, &sysnum, &token),
    ];
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = agent.request(invite("One of you")).await;
    assert_eq!(r["code"], 200, "{r}");
    let (got, which, rest) = tokio::time::timeout(
        Duration::from_secs(5),
        futures_util::future::select_all(polls.iter_mut()),
    )
    .await
    .expect("one poll gets the invitation");
    drop(rest);
    assert_eq!(got.unwrap(), json!({"invite": "One of you"}));
    let other = &mut polls[1 - which];
    assert_eq!(
        answered(other, Duration::from_millis(700)).await,
        None,
        "the other tab's poll does not get it too"
    );
    other.abort();
    drop(v);
}

#[tokio::test]
async fn an_invitation_whose_note_the_bus_lost_reaches_the_poll_from_the_database() {
    // Uses a Redis of its own (killed and restarted below), where the services are.
    if redis_url("cluster::an_invitation_whose_note_the_bus_lost").is_none() {
        return;
    }
    let (port, mut redis, c) = two_nodes_on_own_redis().await;
    c.agent("lost@b", 5).await;
    let (mut agent, _) = c.agent_on(1, "lost@b").await;
    let v = VisitorClient::fresh(&c.node(0).ws, &c.site.sysnum).await;
    let sysnum = c.site.sysnum.to_string();
    let mut poll = presence_poll(&c.node(0).http, &sysnum, &v.client.token);
    let deadline = tokio::time::Instant::now() + WAIT;
    let vid = loop {
        let r = agent.request(json!({"api_key": 32810})).await;
        if let Some(vid) = r["data"][0]["vid"].as_str() {
            break vid.to_owned();
        }
        assert!(tokio::time::Instant::now() < deadline, "not listed: {r}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Redis dies: the invitation is stored, but its note never reaches node A.
    redis.kill().await.unwrap();
    let r = agent
        .request(json!({"api_key": 32811, "gid": vid, "msg": "Still there?"}))
        .await;
    assert_eq!(r["code"], 200, "the database, not the bus, decides: {r}");
    assert_eq!(answered(&mut poll, Duration::from_millis(500)).await, None);
    // Back again: node A's subscriber reconnects and its held polls read their rows.
    let _redis = own_redis(port).await;
    assert_eq!(
        answered(&mut poll, Duration::from_secs(15)).await,
        Some(json!({"invite": "Still there?"})),
        "the poll on A caught up from the database"
    );
    drop(v);
}

/// Issue 22, low 10: bus notes were not authenticated — with access to Redis, forged agent
/// messages reached agents and visitors. Now a packet needs this database's seal; forged and
/// replayed-with-another-key packets are dropped, and the real traffic goes on.
#[tokio::test]
async fn a_note_without_the_clusters_seal_is_dropped() {
    let Some(c) = two_nodes("cluster::a_note_without_the_clusters_seal_is_dropped").await else {
        return;
    };
    c.agent("bea@b", 5).await;
    let (mut agent, login) = c.agent_on(1, "bea@b").await;
    let mut tab = VisitorClient::fresh(&c.node(0).ws, &c.site.sysnum).await;
    tab.client.send_text("v1", "hello").await;
    tab.client.ack("v1").await;
    let gid = gid_of(&agent.push(32399).await);
    let db = c.db().await;
    let channel = format!("frontdesk:{}", db.cluster_id().await.unwrap());
    db.close().await;
    let kf_id: i64 = login["data"]["admin_list"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()["kf_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let forged_frame = json!({"api_key": 32399, "code": 200, "message": "", "status": "Success",
        "data": {"gid": gid, "message_info": {"msg": "forged"}}})
    .to_string();
    let packet = json!({"node": 99, "at": frontdesk_server::db::now_ms(),
        "notes": [{"t": "a", "a": kf_id, "f": forged_frame}]})
    .to_string();
    let redis = std::env::var("FRONTDESK_REDIS_URL").unwrap();
    for payload in [packet.clone(), format!("{}.{packet}", "0".repeat(64))] {
        let out = std::process::Command::new("redis-cli")
            .args(["-u", &redis, "PUBLISH", &channel, &payload])
            .output()
            .expect("redis-cli");
        assert!(out.status.success(), "{out:?}");
    }
    assert!(
        agent
            .no_push_within(32399, Duration::from_millis(700))
            .await,
        "a forged note reached the agent"
    );
    tab.client.send_text("v2", "still here").await;
    tab.client.ack("v2").await;
    let p = agent.push(32399).await;
    assert_eq!(p["data"]["message_info"]["msg"], "still here");
}

//! Reception (issue 11) over the real `/ws/visitor` and `/ws/agent`: the site's FAQ robot
//! (loaded with the real CLI) answers as a participant of the conversation in modes 1, 3 and
//! 4; suggestions when it is unsure; the hand-over on request with the transcript (`32401`
//! `recs`, `32100`) and the agent's greeting; the offline text when nobody can take the
//! visitor (the robot keeps answering); robot messages at the seed 000 push URL and in the
//! replay after a reconnect. Runs on SQLite and, with `FRONTDESK_TEST_DATABASE_URL`, on
//! PostgreSQL.

use frontdesk_server::admin::{self, ReceptionSettings, SiteCreated, SiteSettings};
use harness::*;
use serde_json::{json, Value};
use shared::reception::{Answerer, Reception, ReceptionFrame};
use shared::visitor::{Author, ChatMessage, ClientFrame, Hello, ServerFrame};

use frontdesk_server::db::NewFaq;
use frontdesk_server::robot::manage;

const ROBOT: &str = "小智";
const HELLO: &str = "您好，我是小智，请问有什么可以帮您？";

/// A site whose robot knows a few questions (Chinese and English), made with the same
/// functions as `frontdesk admin robot create` / `faq add` (tests/it/robot.rs runs the CLI).
async fn robot_site(srv: &TestServer) -> SiteCreated {
    let site = srv.site().await;
    let robot = manage::create_robot(&srv.db, site.business_id, None, ROBOT, HELLO)
        .await
        .expect("robot");
    for (q, a, similar) in [
        ("怎么退货", "七天内可以无理由退货。", "如何退货"),
        ("运费怎么算", "订单满99元包邮。", "邮费多少"),
        ("发票怎么开", "在订单详情页申请电子发票。", "开发票"),
        ("退款多久到账", "1-3 个工作日到账。", "退款到账时间"),
        ("退款失败怎么办", "请转人工客服处理。", "退款不成功"),
        (
            "How do I return an item?",
            "Returns are free within 7 days.",
            "return policy",
        ),
    ] {
        let faq = NewFaq {
            faq_group: None,
            question: q.into(),
            answer: a.into(),
            similar: vec![similar.into()],
        };
        manage::add_faq(&srv.db, &robot, faq).await.expect("faq");
    }
    site
}

fn reception(mode: &str, locale: &str) -> Reception {
    Reception {
        mode: Some(mode.into()),
        locale: Some(locale.into()),
        ..Reception::default()
    }
}

/// A visitor's hello with reception keys.
fn hello_with(sysnum: &str, token: Option<&str>, last_seq: u64, r: Reception) -> Hello {
    Hello {
        reception: Some(Box::new(r)),
        ..hello(sysnum, token, last_seq)
    }
}

async fn visitor(srv: &TestServer, sysnum: &str, r: Reception) -> Session {
    VisitorClient::hello(&srv.ws, hello_with(sysnum, None, 0, r))
        .await
        .expect("welcome")
}

/// Frames until one `want` accepts (others are skipped; each waits at most `WAIT`).
async fn until<T>(s: &mut Session, mut want: impl FnMut(ServerFrame) -> Option<T>) -> T {
    loop {
        if let Some(t) = want(s.client.recv().await) {
            return t;
        }
    }
}

async fn next_reception(s: &mut Session) -> ReceptionFrame {
    until(s, |f| match f {
        ServerFrame::Reception(r) => Some(r),
        _ => None,
    })
    .await
}

async fn next_from(s: &mut Session, from: Author) -> ChatMessage {
    until(s, |f| match f {
        ServerFrame::Msg(m) if m.from == from => Some(m),
        _ => None,
    })
    .await
}

/// Sends `text` and returns the robot's answer and the reception frame that follows it.
async fn ask_full(s: &mut Session, id: &str, text: &str) -> (ChatMessage, ReceptionFrame) {
    s.client.send_text(id, text).await;
    let answer = next_from(s, Author::Robot).await;
    (answer, next_reception(s).await)
}

/// Sends `text` and returns the robot's answer.
async fn ask(s: &mut Session, id: &str, text: &str) -> ChatMessage {
    ask_full(s, id, text).await.0
}

async fn set_reception(srv: &TestServer, sysnum: &str, settings: ReceptionSettings) {
    admin::set_site_reception(&srv.db, sysnum, settings)
        .await
        .expect("reception settings");
}

async fn set_site(srv: &TestServer, sysnum: &str, settings: SiteSettings) {
    admin::set_site(&srv.db, sysnum, settings)
        .await
        .expect("site settings");
}

#[tokio::test]
async fn the_robot_answers_known_questions_in_cn_en_and_tw() {
    let srv = TestServer::start().await;
    let site = robot_site(&srv).await;

    let mut cn = visitor(&srv, &site.sysnum, reception("1", "cn")).await;
    let f = next_reception(&mut cn).await;
    assert_eq!(f.mode, Answerer::Robot);
    assert_eq!(f.robot.as_deref(), Some(ROBOT));
    assert_eq!(
        f.greeting.as_deref(),
        Some(HELLO),
        "the robot's own greeting"
    );
    assert!(!f.manual, "type 1 never hands over");
    let a = ask(&mut cn, "q1", "请问怎么退货？").await;
    assert_eq!(a.body, "七天内可以无理由退货。");
    assert_eq!(a.nick.as_deref(), Some(ROBOT));
    // Similar phrasings match too.
    assert_eq!(
        ask(&mut cn, "q2", "邮费多少").await.body,
        "订单满99元包邮。"
    );

    let mut en = visitor(&srv, &site.sysnum, reception("1", "en")).await;
    next_reception(&mut en).await;
    let a = ask(&mut en, "q1", "how can I return an item").await;
    assert_eq!(a.body, "Returns are free within 7 days.");

    // Traditional Chinese questions match the simplified entries.
    let mut tw = visitor(&srv, &site.sysnum, reception("1", "tw")).await;
    next_reception(&mut tw).await;
    let a = ask(&mut tw, "q1", "請問怎麼退貨").await;
    assert_eq!(a.body, "七天内可以无理由退货。");

    // The visitor's message and the robot's are ordinary stored messages, in order.
    let gid: i64 = srv.gid(&site, &cn.client.token).await.parse().unwrap();
    let stored = srv
        .db
        .messages_after(gid, shared::ids::Seq(0), 100)
        .await
        .unwrap();
    let authors: Vec<Author> = stored.iter().map(|m| m.author).collect();
    assert_eq!(
        authors,
        [
            Author::Visitor,
            Author::Robot,
            Author::Visitor,
            Author::Robot
        ]
    );
    let seqs: Vec<i64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
    srv.stop().await;
}

#[tokio::test]
async fn an_unsure_robot_offers_suggestions_and_misses_bring_the_hand_over_control() {
    let srv = TestServer::start().await;
    let site = robot_site(&srv).await;
    set_reception(
        &srv,
        &site.sysnum,
        ReceptionSettings {
            manual_after: Some(2),
            ..ReceptionSettings::default()
        },
    )
    .await;
    let r = Reception {
        guide_flag: Some("1".into()),
        show_manual: Some("1".into()),
        robot_hello_word: Some("欢迎光临".into()),
        ..reception("3", "cn")
    };
    let mut v = visitor(&srv, &site.sysnum, r).await;
    let f = next_reception(&mut v).await;
    assert_eq!(
        f.greeting.as_deref(),
        Some("欢迎光临"),
        "robot_hello_word wins"
    );
    assert!(
        !f.suggest.is_empty(),
        "guide_flag: guide questions at the start"
    );
    assert!(!f.manual, "show_manual: not before the robot missed");

    // Something the robot cannot know: it says so, and counts a miss.
    let (a, f) = ask_full(&mut v, "m1", "今天天气怎么样").await;
    assert_eq!(a.from, Author::Robot);
    assert!(!f.manual, "one miss of two");
    // Close to two entries: suggestions (the closest questions), tappable.
    let (a, f) = ask_full(&mut v, "m2", "退款").await;
    assert_eq!(a.body, "您是不是想问：", "the unsure phrase");
    assert!(f.manual, "second miss: the hand-over control shows");
    assert!(
        f.suggest.contains(&"退款多久到账".to_string())
            && f.suggest.contains(&"退款失败怎么办".to_string()),
        "{:?}",
        f.suggest
    );
    // Tapping one sends it as an ordinary message: the robot answers it, the chips go.
    let (a, f) = ask_full(&mut v, "m3", "退款多久到账").await;
    assert_eq!(a.body, "1-3 个工作日到账。");
    assert!(f.suggest.is_empty(), "a known answer clears the chips");
    assert!(f.manual, "the control stays once shown");
    srv.stop().await;
}

/// The `32401` an agent gets for `gid`.
async fn transfer_in(agent: &mut AgentClient) -> Value {
    agent.push(32401).await
}

#[tokio::test]
async fn hand_over_on_request_with_the_transcript_and_the_agent_greeting() {
    let srv = TestServer::start().await;
    let site = robot_site(&srv).await;
    srv.agent(&site.sysnum, "alice@test").await;
    let (mut alice, _) = srv.agent_client("alice@test").await;

    let r = Reception {
        agent_hello_word: Some("我是Alice，很高兴为您服务".into()),
        ..reception("3", "cn")
    };
    let mut v = visitor(&srv, &site.sysnum, r).await;
    let f = next_reception(&mut v).await;
    assert!(f.manual, "type 3 shows the hand-over control");
    ask(&mut v, "q1", "怎么退货").await;
    // While the robot answers, agents are not told.
    assert!(
        alice
            .no_push_within(32399, std::time::Duration::from_millis(300))
            .await
    );

    send_frame(&mut v.client.ws, &ClientFrame::Handover).await;
    let f = next_reception(&mut v).await;
    assert_eq!(f.mode, Answerer::Human);
    assert!(!f.manual);
    // The agent who takes the visitor gets the robot part in the transcript.
    let t = transfer_in(&mut alice).await;
    let gid = t["data"]["gid"].as_str().unwrap().to_owned();
    let recs = t["data"]["recs"].as_array().unwrap();
    let robot: Vec<&Value> = recs.iter().filter(|m| m["sender"] == "robot").collect();
    assert_eq!(robot.len(), 1, "{recs:?}");
    assert_eq!(robot[0]["msg"], "七天内可以无理由退货。");
    assert_eq!(robot[0]["direction"], "to_visiter");
    assert_eq!(robot[0]["kf_id"], "");
    assert_eq!(robot[0]["kf_nick"], ROBOT);
    // The visitor sees the page's greeting, said as the site's (a system line): nobody
    // vouched for it, so it is never shown as the agent's own words (issue 22).
    let g = next_from(&mut v, Author::System).await;
    assert_eq!(g.body, "我是Alice，很高兴为您服务");
    // 32100 shows the robot part too.
    let h = alice
        .request(
            json!({"api_key": 32100, "gid": gid, "group_id": 0, "page_index": 1, "page_size": 20}),
        )
        .await;
    let text = h.to_string();
    assert!(
        text.contains("七天内可以无理由退货。") && text.contains("\"sender\":\"robot\""),
        "{text}"
    );
    // From now on people answer: the next message goes to Alice, the robot is silent.
    v.client.send_text("q2", "运费怎么算").await;
    loop {
        // (Alice's own greeting came as a 32399 too.)
        let p = alice.push(32399).await;
        if p["data"]["message_info"]["msg"] == "运费怎么算" {
            assert_eq!(p["data"]["message_info"]["direction"], "to_service");
            break;
        }
    }
    assert!(v.client.ack("q2").await.0 > 0);
    srv.stop().await;
}

#[tokio::test]
async fn each_type_one_to_four() {
    let srv = TestServer::start().await;
    let site = robot_site(&srv).await;

    // 1: robot only, even with an agent online; a hand-over request changes nothing.
    srv.agent(&site.sysnum, "bob@test").await;
    let (mut bob, _) = srv.agent_client("bob@test").await;
    let mut one = visitor(&srv, &site.sysnum, reception("1", "cn")).await;
    assert!(!next_reception(&mut one).await.manual);
    ask(&mut one, "a", "怎么退货").await;
    send_frame(&mut one.client.ws, &ClientFrame::Handover).await;
    assert_eq!(
        ask(&mut one, "b", "发票怎么开").await.body,
        "在订单详情页申请电子发票。"
    );
    assert!(
        bob.no_push_within(32401, std::time::Duration::from_millis(300))
            .await
    );

    // The site's mode when the page says none (here 3, robot first).
    set_reception(
        &srv,
        &site.sysnum,
        ReceptionSettings {
            reception: Some(3),
            ..ReceptionSettings::default()
        },
    )
    .await;
    let mut plain = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let f = next_reception(&mut plain).await;
    assert_eq!((f.mode, f.manual), (Answerer::Robot, true));
    assert_eq!(
        ask(&mut plain, "a", "怎么退货").await.body,
        "七天内可以无理由退货。"
    );

    // 2: people only: no reception frame, the message reaches the agent.
    let mut two = visitor(&srv, &site.sysnum, reception("2", "cn")).await;
    two.client.send_text("a", "你好").await;
    two.client.ack("a").await;
    let p = bob.push(32399).await;
    assert_eq!(p["data"]["message_info"]["msg"], "你好");

    // 4 with an agent available: people answer.
    let mut four = visitor(&srv, &site.sysnum, reception("4", "cn")).await;
    let f = next_reception(&mut four).await;
    assert_eq!(f.mode, Answerer::Human);
    four.client.send_text("a", "在吗").await;
    let p = bob.push(32399).await;
    assert_eq!(p["data"]["message_info"]["msg"], "在吗");

    // 4 with nobody online (a site whose agents are all away): the robot answers, with the
    // hand-over control.
    let quiet = robot_site(&srv).await;
    srv.agent(&quiet.sysnum, "dave@test").await;
    let mut later = visitor(&srv, &quiet.sysnum, reception("4", "cn")).await;
    let f = next_reception(&mut later).await;
    assert_eq!(f.mode, Answerer::Robot);
    assert!(f.manual);
    assert_eq!(
        ask(&mut later, "a", "怎么退货").await.body,
        "七天内可以无理由退货。"
    );
    srv.stop().await;
}

#[tokio::test]
async fn with_nobody_online_the_offline_text_shows_and_the_robot_keeps_answering() {
    let srv = TestServer::start().await;
    let site = robot_site(&srv).await;
    srv.agent(&site.sysnum, "carol@test").await; // exists, never logs in

    for mode in ["3", "4"] {
        let r = Reception {
            agent_offline_title: Some("客服已下班，请明天再来".into()),
            ..reception(mode, "cn")
        };
        let mut v = visitor(&srv, &site.sysnum, r).await;
        assert_eq!(next_reception(&mut v).await.mode, Answerer::Robot);
        ask(&mut v, "a", "怎么退货").await;
        send_frame(&mut v.client.ws, &ClientFrame::Handover).await;
        let f = next_reception(&mut v).await;
        assert_eq!(
            f.offline.as_deref(),
            Some("客服已下班，请明天再来"),
            "type {mode}"
        );
        assert_eq!(
            f.mode,
            Answerer::Robot,
            "type {mode}: the robot keeps answering"
        );
        assert_eq!(
            ask(&mut v, "b", "运费怎么算").await.body,
            "订单满99元包邮。"
        );
    }

    // Type 2 with nobody: queued as before, but the offline text (the site's) instead of a
    // position.
    set_reception(
        &srv,
        &site.sysnum,
        ReceptionSettings {
            offline_title: Some("暂无客服在线".into()),
            ..ReceptionSettings::default()
        },
    )
    .await;
    let mut v = visitor(&srv, &site.sysnum, reception("2", "cn")).await;
    v.client.send_text("a", "有人吗").await;
    v.client.ack("a").await;
    let f = next_reception(&mut v).await;
    assert_eq!(f.mode, Answerer::Human);
    assert_eq!(f.offline.as_deref(), Some("暂无客服在线"));
    srv.stop().await;
}

#[tokio::test]
async fn robot_messages_reach_the_push_url_and_the_replay() {
    let srv = TestServer::start().await;
    let site = robot_site(&srv).await;
    let receiver = crate::push::Receiver::start(0).await;
    set_site(
        &srv,
        &site.sysnum,
        SiteSettings {
            push_url: Some(format!("{}/hook", receiver.base)),
            push_allow_private: Some(true),
            ..SiteSettings::default()
        },
    )
    .await;
    let mut v = visitor(&srv, &site.sysnum, reception("1", "cn")).await;
    next_reception(&mut v).await;
    let a = ask(&mut v, "q", "怎么退货").await;

    // Both messages reach the push URL; the robot's as the robot (seed 000's fields).
    let got = receiver.wait_for(2).await;
    let bodies: Vec<Value> = got
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let robot = bodies
        .iter()
        .find(|b| b.to_string().contains("七天内可以无理由退货。"))
        .unwrap_or_else(|| panic!("robot message pushed: {bodies:?}"));
    assert_eq!(robot["service_name"], ROBOT, "{robot}");

    // A reconnecting tab gets the robot's message in the replay.
    let token = v.client.token.clone();
    drop(v);
    let again = VisitorClient::hello(
        &srv.ws,
        hello_with(&site.sysnum, Some(&token), 0, reception("1", "cn")),
    )
    .await
    .expect("welcome");
    let robot: Vec<&ChatMessage> = again
        .replay
        .iter()
        .filter(|m| m.from == Author::Robot)
        .collect();
    assert_eq!(robot.len(), 1);
    assert_eq!(robot[0].body, a.body);
    assert_eq!(robot[0].nick.as_deref(), Some(ROBOT));
    srv.stop().await;
}

#[tokio::test]
async fn a_hello_without_reception_keys_keeps_the_visitors_reception() {
    let srv = TestServer::start().await;
    let site = robot_site(&srv).await;
    srv.agent(&site.sysnum, "erin@test").await;
    let (_erin, _) = srv.agent_client("erin@test").await;
    let mut v = visitor(&srv, &site.sysnum, reception("3", "cn")).await;
    next_reception(&mut v).await;
    ask(&mut v, "q", "怎么退货").await;
    // The host page's notifier (or a plain link) says hello with the token and no keys: the
    // site is human-only, but this visitor stays with the robot.
    let token = v.client.token.clone();
    let mut plain = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 2))
        .await
        .expect("welcome");
    let f = next_reception(&mut plain).await;
    assert_eq!((f.mode, f.manual), (Answerer::Robot, true));
    assert_eq!(
        ask(&mut v, "q2", "运费怎么算").await.body,
        "订单满99元包邮。"
    );
    srv.stop().await;
}

#[tokio::test]
async fn the_chat_pages_query_string_carries_the_reception_keys() {
    let srv = TestServer::start().await;
    let site = robot_site(&srv).await;
    // What the chat page sends: its own query (as the launcher wrote it), no parsed keys.
    let query = format!(
        "?sysnum={}&embed=1&locale=en&type=1&robot_hello_word=Hi%20there",
        site.sysnum
    );
    let h = Hello {
        query: Some(query),
        ..hello(&site.sysnum, None, 0)
    };
    let mut v = VisitorClient::hello(&srv.ws, h).await.expect("welcome");
    let f = next_reception(&mut v).await;
    assert_eq!(f.mode, Answerer::Robot);
    assert_eq!(f.greeting.as_deref(), Some("Hi there"));
    let a = ask(&mut v, "q", "how do I return an item?").await;
    assert_eq!(a.body, "Returns are free within 7 days.");
    srv.stop().await;
}

#[tokio::test]
async fn reception_frames_and_robot_messages_reach_tabs_on_every_node() {
    let test = "reception::reception_frames_and_robot_messages_reach_tabs_on_every_node";
    let Some(redis) = redis_url(test) else {
        return;
    };
    let bin = env!("CARGO_BIN_EXE_frontdesk-under-test");
    let c = Cluster::start(bin, 2, &redis, &[]).await;
    let db = c.db().await;
    let robot = manage::create_robot(&db, c.site.business_id, None, ROBOT, HELLO)
        .await
        .expect("robot");
    let faq = NewFaq {
        faq_group: None,
        question: "怎么退货".into(),
        answer: "七天内可以无理由退货。".into(),
        similar: Vec::new(),
    };
    manage::add_faq(&db, &robot, faq).await.expect("faq");
    db.close().await;
    c.agent("fay@test", 5).await;
    let (mut agent, _) = c.agent_on(1, "fay@test").await;
    let (a, b) = (c.node(0), c.node(1));

    // Tab A on node A asks the robot; tab B of the same visitor on node B sees the answer.
    let mut tab_a = VisitorClient::hello(
        &a.ws,
        hello_with(&c.site.sysnum, None, 0, reception("3", "cn")),
    )
    .await
    .expect("welcome");
    next_reception(&mut tab_a).await;
    ask(&mut tab_a, "q", "怎么退货").await;
    let token = tab_a.client.token.clone();
    let mut tab_b = VisitorClient::hello(
        &b.ws,
        hello_with(&c.site.sysnum, Some(&token), 0, reception("3", "cn")),
    )
    .await
    .expect("welcome");
    assert!(tab_b.replay.iter().any(|m| m.from == Author::Robot));
    assert_eq!(next_reception(&mut tab_b).await.mode, Answerer::Robot);

    // A hands over on node A: tab B (node B) learns it, the agent (node B) gets the chat.
    send_frame(&mut tab_a.client.ws, &ClientFrame::Handover).await;
    let f = next_reception(&mut tab_b).await;
    assert_eq!(f.mode, Answerer::Human);
    let t = agent.push(32401).await;
    assert!(
        t["data"]["recs"]
            .to_string()
            .contains("七天内可以无理由退货。"),
        "{t}"
    );
}

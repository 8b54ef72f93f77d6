//! The visitor protocol: send/ack/resume, idempotent retries, isolation, bad input.

use harness::*;
use md5::{Digest, Md5};
use shared::ids::Seq;
use shared::visitor::{Author, ClientFrame, ErrorCode, MsgKind, Send, ServerFrame};

#[tokio::test]
async fn send_ack_then_resume_replays_only_what_follows() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let mut s = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    assert_eq!(s.last_seq, Seq(0));
    assert!(s.replay.is_empty());
    for (i, text) in ["hello", "are you there?", "third"].iter().enumerate() {
        s.client.send_text(&format!("c{i}"), text).await;
        assert_eq!(s.client.ack(&format!("c{i}")).await, Seq(i as u64 + 1));
    }
    let token = s.client.token.clone();
    drop(s);

    // Same browser comes back having shown seq 1: gets 2 and 3, in order, nothing else.
    let again = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 1))
        .await
        .unwrap();
    assert_eq!(again.last_seq, Seq(3));
    let got: Vec<(u64, &str)> = again
        .replay
        .iter()
        .map(|m| (m.seq.0, m.body.as_str()))
        .collect();
    assert_eq!(got, vec![(2, "are you there?"), (3, "third")]);
    assert!(again.replay.iter().all(|m| m.from == Author::Visitor));
    assert_eq!(
        again.replay[0].cmid.as_ref().map(|c| c.as_str()),
        Some("c1")
    );

    // From zero (a reload with empty cache): the whole conversation.
    let all = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 0))
        .await
        .unwrap();
    assert_eq!(all.replay.len(), 3);
    srv.stop().await;
}

#[tokio::test]
async fn live_messages_reach_every_open_tab() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let mut a = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    let token = a.client.token.clone();
    let mut b = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 0))
        .await
        .unwrap();
    a.client.send_text("tab-a-1", "from tab A").await;
    assert_eq!(a.client.ack("tab-a-1").await, Seq(1));
    let m = b.client.next_msg().await;
    assert_eq!((m.seq, m.body.as_str()), (Seq(1), "from tab A"));
    // The sending tab has its message as the ack: the next `msg` each tab gets is the other
    // tab's, never its own again.
    b.client.send_text("tab-b-1", "from tab B").await;
    assert_eq!(b.client.ack("tab-b-1").await, Seq(2));
    let m = a.client.next_msg().await;
    assert_eq!((m.seq, m.body.as_str()), (Seq(2), "from tab B"));
    a.client.send_text("tab-a-2", "again from tab A").await;
    assert_eq!(a.client.ack("tab-a-2").await, Seq(3));
    let m = b.client.next_msg().await;
    assert_eq!((m.seq, m.body.as_str()), (Seq(3), "again from tab A"));
    srv.stop().await;
}

#[tokio::test]
async fn same_client_id_twice_is_stored_once() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let mut s = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    s.client.send_text("dup-1", "once").await;
    let first = s.client.ack("dup-1").await;
    // A retry on the same connection, even with another body, returns the original ack.
    s.client.send_text("dup-1", "once (retry)").await;
    assert_eq!(s.client.ack("dup-1").await, first);
    // And a retry after a reconnect.
    let token = s.client.token.clone();
    drop(s);
    let mut again = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 0))
        .await
        .unwrap();
    again.client.send_text("dup-1", "once").await;
    assert_eq!(again.client.ack("dup-1").await, first);
    again.client.send_text("dup-2", "twice").await;
    assert_eq!(again.client.ack("dup-2").await, Seq(2));
    drop(again);
    let all = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&token), 0))
        .await
        .unwrap();
    let bodies: Vec<&str> = all.replay.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, vec!["once", "twice"]);
    srv.stop().await;
}

#[tokio::test]
async fn a_visitor_cannot_read_or_write_another_conversation() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let other_site = srv.site().await;
    let mut alice = VisitorClient::hello(
        &srv.ws,
        shared::visitor::Hello {
            partnerid: Some("alice".into()),
            ..hello(&site.sysnum, None, 0)
        },
    )
    .await
    .unwrap();
    alice.client.send_text("a1", "alice's secret").await;
    alice.client.ack("a1").await;

    // Mallory: no token, a forged token, alice's (unsigned) partnerid, alice's token on
    // another site — each gets a conversation of its own, with nothing of alice's in it.
    let forged = "0".repeat(64);
    let attempts = [
        hello(&site.sysnum, None, 0),
        hello(&site.sysnum, Some(&forged), 0),
        shared::visitor::Hello {
            partnerid: Some("alice".into()),
            ..hello(&site.sysnum, None, 0)
        },
        hello(&other_site.sysnum, Some(&alice.client.token), 0),
    ];
    for h in attempts {
        let mut m = VisitorClient::hello(&srv.ws, h).await.unwrap();
        assert_ne!(m.client.token, alice.client.token);
        assert!(m.replay.is_empty(), "replay leaked: {:?}", m.replay);
        m.client.send_text("m1", "mallory writes").await;
        assert_eq!(
            m.client.ack("m1").await,
            Seq(1),
            "mallory's own conversation starts at 1"
        );
    }
    // Alice's conversation is untouched and she heard nothing of mallory.
    alice.client.send_text("a2", "still mine").await;
    assert_eq!(alice.client.ack("a2").await, Seq(2));
    let all = VisitorClient::hello(&srv.ws, hello(&site.sysnum, Some(&alice.client.token), 0))
        .await
        .unwrap();
    let bodies: Vec<&str> = all.replay.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, vec!["alice's secret", "still mine"]);
    srv.stop().await;
}

#[tokio::test]
async fn malformed_frames_get_errors_and_the_session_stays_usable() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let mut ws = connect(&format!("{}/ws/visitor", srv.ws)).await;
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    // Before hello: garbage and a send are refused, the socket stays open.
    ws.send(Message::text("not json")).await.unwrap();
    assert!(matches!(
        recv_frame(&mut ws).await,
        ServerFrame::Error {
            code: ErrorCode::BadFrame,
            ..
        }
    ));
    let early = ClientFrame::Send(Send {
        cmid: cmid("x"),
        kind: MsgKind::Text,
        body: "hi".into(),
    });
    send_frame(&mut ws, &early).await;
    assert!(matches!(
        recv_frame(&mut ws).await,
        ServerFrame::Error {
            code: ErrorCode::HelloFirst,
            ..
        }
    ));
    send_frame(&mut ws, &ClientFrame::Hello(hello(&site.sysnum, None, 0))).await;
    assert!(matches!(
        recv_frame(&mut ws).await,
        ServerFrame::Welcome { .. }
    ));
    assert!(matches!(
        recv_frame(&mut ws).await,
        ServerFrame::Synced { .. }
    ));

    let bad = [
        r#"{"type":"launch_missiles"}"#.to_owned(),
        r#"{"type":"send","cmid":"has space","kind":0,"body":"x"}"#.to_owned(),
        r#"{"type":"send","cmid":"k","kind":9,"body":"x"}"#.to_owned(),
        r#"[1,2,3]"#.to_owned(),
        "{".repeat(1000),
    ];
    for b in &bad {
        ws.send(Message::text(b.clone())).await.unwrap();
        match recv_frame(&mut ws).await {
            ServerFrame::Error {
                code: ErrorCode::BadFrame,
                ..
            } => {}
            other => panic!("{b}: expected bad_frame, got {other:?}"),
        }
    }
    ws.send(Message::binary(vec![0u8, 159, 146, 150]))
        .await
        .unwrap();
    assert!(matches!(
        recv_frame(&mut ws).await,
        ServerFrame::Error {
            code: ErrorCode::BadFrame,
            ..
        }
    ));
    for (body, why) in [("   ", "empty"), (&"x".repeat(5001)[..], "too long")] {
        let f = ClientFrame::Send(Send {
            cmid: cmid("v"),
            kind: MsgKind::Text,
            body: body.into(),
        });
        send_frame(&mut ws, &f).await;
        match recv_frame(&mut ws).await {
            ServerFrame::Error {
                code: ErrorCode::Invalid,
                cmid: Some(c),
                ..
            } => assert_eq!(c.as_str(), "v"),
            other => panic!("{why}: expected invalid, got {other:?}"),
        }
    }
    send_frame(&mut ws, &ClientFrame::Ping).await;
    assert_eq!(recv_frame(&mut ws).await, ServerFrame::Pong);
    // Still usable: a good message is stored as seq 1 (nothing bad was stored).
    let ok = ClientFrame::Send(Send {
        cmid: cmid("good"),
        kind: MsgKind::Text,
        body: "fine".into(),
    });
    send_frame(&mut ws, &ok).await;
    assert!(matches!(
        recv_frame(&mut ws).await,
        ServerFrame::Ack { seq: Seq(1), .. }
    ));

    // A frame over the 64 KiB limit ends the connection cleanly instead of being buffered.
    ws.send(Message::text("x".repeat(shared::MAX_FRAME_BYTES + 1)))
        .await
        .ok();
    loop {
        match next_text(&mut ws).await {
            Next::Closed => break,
            // What the first message started may still arrive: its system messages, the
            // queue position, who answers (`reception`).
            Next::Text(t) => assert!(
                ["\"msg\"", "\"queue\"", "\"reception\""]
                    .iter()
                    .any(|k| t.contains(k)),
                "unexpected {t}"
            ),
        }
    }
    // The server is fine afterwards.
    let s = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    assert!(s.replay.is_empty());
    srv.stop().await;
}

#[tokio::test]
async fn unknown_site_is_refused_and_closed() {
    let srv = TestServer::start().await;
    let err = VisitorClient::hello(&srv.ws, hello(&"a".repeat(32), None, 0))
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(
            err,
            ServerFrame::Error {
                code: ErrorCode::UnknownSite,
                ..
            }
        ),
        "{err:?}"
    );
    srv.stop().await;
}

#[tokio::test]
async fn security_check_requires_a_valid_md5_sign_and_then_follows_the_partner() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    frontdesk_server::admin::set_site(
        &srv.db,
        &site.sysnum,
        frontdesk_server::admin::SiteSettings {
            sign_check: Some("md5".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let signed = |pid: &str, sign: Option<String>| shared::visitor::Hello {
        partnerid: Some(pid.into()),
        sign,
        ..hello(&site.sysnum, None, 0)
    };
    let good = hex::encode(Md5::digest(format!(
        "{}{}{}",
        site.sysnum, site.sign_key, "u-42"
    )));
    for h in [
        hello(&site.sysnum, None, 0),
        signed("u-42", None),
        signed("u-42", Some("0".repeat(32))),
        signed("u-43", Some(good.clone())),
    ] {
        let err = VisitorClient::hello(&srv.ws, h)
            .await
            .err()
            .expect("refused");
        assert!(
            matches!(
                err,
                ServerFrame::Error {
                    code: ErrorCode::SignInvalid,
                    ..
                }
            ),
            "{err:?}"
        );
    }
    let mut phone = VisitorClient::hello(&srv.ws, signed("u-42", Some(good.clone())))
        .await
        .unwrap();
    phone.client.send_text("p1", "from my phone").await;
    phone.client.ack("p1").await;
    // The same verified partner on another device sees the conversation.
    let laptop = VisitorClient::hello(&srv.ws, signed("u-42", Some(good.to_uppercase())))
        .await
        .unwrap();
    assert_eq!(laptop.client.visitor_id, phone.client.visitor_id);
    assert_eq!(laptop.replay.len(), 1);
    srv.stop().await;
}

#[tokio::test]
async fn flooding_is_rate_limited_without_losing_accepted_messages() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let mut s = VisitorClient::fresh(&srv.ws, &site.sysnum).await;
    for i in 0..40 {
        s.client.send_text(&format!("f{i}"), "spam").await;
    }
    let (mut acked, mut limited) = (Vec::new(), 0);
    while acked.len() + limited < 40 {
        match s.client.recv().await {
            ServerFrame::Ack { seq, .. } => acked.push(seq.0),
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                cmid: Some(_),
                ..
            } => limited += 1,
            // (Nobody is online: the offline text comes with the first queued message.)
            ServerFrame::Msg(_) | ServerFrame::Queue { .. } | ServerFrame::Reception(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(limited > 0, "40 messages at once must hit the limit");
    assert_eq!(
        acked,
        (1..=acked.len() as u64).collect::<Vec<_>>(),
        "accepted messages are contiguous"
    );
    srv.stop().await;
}

#[tokio::test]
async fn partnerid_over_300_characters_is_refused() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let h = shared::visitor::Hello {
        partnerid: Some("p".repeat(301)),
        ..hello(&site.sysnum, None, 0)
    };
    let err = VisitorClient::hello(&srv.ws, h)
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(
            err,
            ServerFrame::Error {
                code: ErrorCode::Invalid,
                ..
            }
        ),
        "{err:?}"
    );
    srv.stop().await;
}

#[tokio::test]
async fn visitor_sockets_accept_only_the_chat_pages_own_origin() {
    let srv = TestServer::start().await;
    let url = format!("{}/ws/visitor", srv.ws);
    // A script on a customer page holding a stolen token cannot open a session.
    assert!(connect_with_origin(&url, "http://localhost:1")
        .await
        .is_err());
    assert!(connect_with_origin(&url, "https://shop.example")
        .await
        .is_err());
    // The chat page (same origin as the server) can.
    assert!(connect_with_origin(&url, &srv.http).await.is_ok());
    srv.stop().await;
}

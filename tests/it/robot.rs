//! The FAQ robot (issue 11): `frontdesk admin robot|faq …`, the admin REST API
//! (`/api/robot/…` with a seed 002 access token), the robot's replies through
//! `AppState.robots` (another node's FAQ changes are seen at its next question), and
//! migration 0010 keeping every stored message.

use frontdesk_server::admin::SiteCreated;
use frontdesk_server::robot::Reply;
use harness::TestServer;
use serde_json::Value;
use shared::config::Locale;
use shared::robot::{FaqAdd, FaqAdded, FaqDelete, FaqPage, ImportReport, RobotList, Status};

use crate::cli::run;

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout:?}"))
}

#[tokio::test]
async fn cli_creates_robots_adds_and_imports_faq_entries() {
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("r.db")).await;
    let db = tdb.url.clone();
    let (code, out, err) = run(&db, &["site", "create", "--name", "Shop", "--json"]);
    assert_eq!(code, 0, "{err}");
    let sysnum = json(&out)["sysnum"].as_str().unwrap().to_owned();

    // Robots: numbered from 1, or as given; a number taken or nonsense is refused.
    let (code, out, err) = run(
        &db,
        &[
            "robot", "create", "--site", &sysnum, "--name", "小智", "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out), serde_json::json!({"robotid": 1}));
    let (code, out, err) = run(
        &db,
        &[
            "robot",
            "create",
            "--site",
            &sysnum,
            "--name",
            "Sales bot",
            "--id",
            "7",
            "--hello",
            "Hi!",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["robotid"], 7);
    let (code, _, err) = run(
        &db,
        &[
            "robot", "create", "--site", &sysnum, "--name", "X", "--id", "7",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("robot 7 already"), "{err}");
    let (code, _, err) = run(&db, &["robot", "create", "--site", &sysnum, "--name", " "]);
    assert_eq!(code, 2);
    assert!(err.contains("robot name"), "{err}");
    let (code, _, err) = run(
        &db,
        &["robot", "create", "--site", "nosuchsite", "--name", "X"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no site"), "{err}");

    // faq add: to the default robot (1) or a named one.
    let (code, out, err) = run(
        &db,
        &[
            "faq",
            "add",
            "--site",
            &sysnum,
            "--question",
            "如何退货",
            "--answer",
            "在订单页申请退货。",
            "--similar",
            "我想退货",
            "--similar",
            "怎么退东西",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let first = json(&out)["id"].as_i64().expect("id");
    let (code, _, err) = run(
        &db,
        &[
            "faq",
            "add",
            "--site",
            &sysnum,
            "--robot",
            "7",
            "--faq-group",
            "2",
            "--question",
            "Price list?",
            "--answer",
            "See /prices.",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &db,
        &[
            "faq",
            "add",
            "--site",
            &sysnum,
            "--question",
            "",
            "--answer",
            "x",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("question must be"), "{err}");
    let (code, _, err) = run(
        &db,
        &[
            "faq",
            "add",
            "--site",
            &sysnum,
            "--robot",
            "99",
            "--question",
            "q",
            "--answer",
            "a",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no robot 99"), "{err}");

    // faq import: the good rows are kept, each bad one reported with its line; exit 2.
    let csv = dir.path().join("faq.csv");
    std::fs::write(
        &csv,
        "question,answer,similar,faq_group\n\
         发票怎么开,\"在订单详情页申请，一般 1-3 天, 邮件发送\",开发票|要发票,1\n\
         ,没有问题的行,,\n\
         运费多少,满 99 包邮,,abc\n\
         \"Opening hours\",\"9:00-18:00\",When are you open|hours,\n",
    )
    .unwrap();
    let path = csv.to_str().unwrap();
    let (code, out, err) = run(&db, &["faq", "import", "--site", &sysnum, path]);
    assert_eq!(code, 2, "{out} {err}");
    assert!(out.contains("2 added, 2 refused"), "{out}");
    assert!(
        err.contains(&format!("{path}:3: question must be")),
        "{err}"
    );
    assert!(err.contains(&format!("{path}:4: faq_group")), "{err}");
    let (code, out, err) = run(&db, &["faq", "list", "--site", &sysnum, "--json"]);
    assert_eq!(code, 0, "{err}");
    let list = json(&out);
    let faqs = list["faqs"].as_array().unwrap();
    assert_eq!(list["robotid"], 1);
    assert_eq!(faqs.len(), 3, "{list}");
    assert_eq!(faqs[1]["answer"], "在订单详情页申请，一般 1-3 天, 邮件发送");
    assert_eq!(faqs[1]["similar"], serde_json::json!(["开发票", "要发票"]));
    assert_eq!(faqs[1]["faq_group"], 1);

    // JSON lines, all good: exit 0, report as JSON.
    let jl = dir.path().join("faq.jsonl");
    std::fs::write(
        &jl,
        "{\"question\":\"Refunds\",\"answer\":\"Within 7 days.\",\"similar\":[\"money back\"]}\n",
    )
    .unwrap();
    let (code, out, err) = run(
        &db,
        &[
            "faq",
            "import",
            "--site",
            &sysnum,
            "--robot",
            "7",
            jl.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let report: ImportReport = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (report.robotid, report.added.len(), report.errors.len()),
        (7, 1, 0)
    );

    // A file that is not an FAQ file at all changes nothing.
    std::fs::write(&csv, "name,email\nx,y\n").unwrap();
    let (code, _, err) = run(&db, &["faq", "import", "--site", &sysnum, path]);
    assert_eq!(code, 2);
    assert!(err.contains("header"), "{err}");

    // delete
    let id = first.to_string();
    let (code, _, err) = run(&db, &["faq", "delete", "--site", &sysnum, "--id", &id]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&db, &["faq", "delete", "--site", &sysnum, "--id", &id]);
    assert_eq!(code, 2);
    assert!(err.contains("no FAQ entry"), "{err}");
    let (_, out, _) = run(&db, &["faq", "list", "--site", &sysnum, "--json"]);
    let left = json(&out)["faqs"].as_array().unwrap().clone();
    assert_eq!(left.len(), 2);
    // Without --site: by id alone.
    let id = left[0]["id"].as_i64().unwrap().to_string();
    let (code, _, err) = run(&db, &["faq", "delete", "--id", &id]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(&db, &["faq", "list", "--site", &sysnum, "--json"]);
    assert_eq!(json(&out)["faqs"].as_array().unwrap().len(), 1);

    // A site without robots: import creates its default robot.
    let (_, out, _) = run(&db, &["site", "create", "--name", "Other", "--json"]);
    let other = json(&out)["sysnum"].as_str().unwrap().to_owned();
    let (code, out, err) = run(
        &db,
        &[
            "faq",
            "import",
            "--site",
            &other,
            jl.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["robotid"], 1);
    let (_, out, _) = run(&db, &["robot", "list", "--site", &other, "--json"]);
    assert_eq!(json(&out)["robots"][0]["name"], "智能客服");
}

async fn token(srv: &TestServer, site: &SiteCreated) -> String {
    let v: Value = reqwest::get(format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        srv.http, site.appid, site.secret
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    v["access_token"].as_str().expect("token").to_owned()
}

async fn get<T: serde::de::DeserializeOwned>(url: &str) -> T {
    let r = reqwest::get(url).await.expect("request");
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("json")
}

async fn post<T: serde::de::DeserializeOwned>(url: &str, body: impl Into<reqwest::Body>) -> T {
    let r = reqwest::Client::new()
        .post(url)
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.expect("json")
}

#[tokio::test]
async fn rest_api_lists_adds_deletes_and_imports_with_a_token_only() {
    let srv = TestServer::start().await;
    let site = srv.site().await;
    let other = srv.site().await;
    let t = token(&srv, &site).await;
    let api = format!("{}/api/robot", srv.http);

    // Refused without a valid token.
    let s: Status = get(&format!("{api}/list")).await;
    assert_eq!(s.errcode, 41001);
    let s: Status = get(&format!("{api}/faq/list?access_token=nope")).await;
    assert_eq!(s.errcode, 40001);
    let s: Status = post(&format!("{api}/faq/add?access_token=nope"), "{}").await;
    assert_eq!(s.errcode, 40001);
    let s: Status = post(&format!("{api}/faq/import"), "question,answer\nq,a\n").await;
    assert_eq!(s.errcode, 41001);

    // A site without robots: empty lists.
    let l: RobotList = get(&format!("{api}/list?access_token={t}")).await;
    assert!(l.robots.is_empty());
    let p: FaqPage = get(&format!("{api}/faq/list?access_token={t}")).await;
    assert_eq!((p.robotid, p.total), (0, 0));

    // add: the default robot is created on first use.
    let add = FaqAdd {
        robotid: None,
        faq_group: Some(3),
        question: "如何修改收货地址".into(),
        answer: "发货前可在订单页修改。".into(),
        similar: vec!["地址填错了".into()],
    };
    let a: FaqAdded = post(
        &format!("{api}/faq/add?access_token={t}"),
        serde_json::to_string(&add).unwrap(),
    )
    .await;
    assert_eq!(a.errcode, 0, "{}", a.errmsg);
    let l: RobotList = get(&format!("{api}/list?access_token={t}")).await;
    assert_eq!(l.robots.len(), 1);
    assert_eq!(l.robots[0].robotid, 1);

    // Bad requests: clear codes.
    let s: Status = post(&format!("{api}/faq/add?access_token={t}"), "").await;
    assert_eq!(s.errcode, 44002);
    let s: Status = post(&format!("{api}/faq/add?access_token={t}"), "[1]").await;
    assert_eq!(s.errcode, 47001);
    let bad = FaqAdd {
        question: " ".into(),
        ..add.clone()
    };
    let s: Status = post(
        &format!("{api}/faq/add?access_token={t}"),
        serde_json::to_string(&bad).unwrap(),
    )
    .await;
    assert_eq!(s.errcode, 40035);
    assert!(s.errmsg.contains("question must be"), "{}", s.errmsg);
    let s: Status = post(
        &format!("{api}/faq/add?access_token={t}"),
        serde_json::to_string(&FaqAdd {
            robotid: Some(42),
            ..add.clone()
        })
        .unwrap(),
    )
    .await;
    assert_eq!(s.errcode, 46001);
    let s: Status = get(&format!("{api}/faq/add?access_token={t}")).await;
    assert_eq!(s.errcode, 43002);
    let s: Status = get(&format!("{api}/faq/list?access_token={t}&robotid=x")).await;
    assert_eq!(s.errcode, 47001);

    // import: per-row report, good rows kept.
    let csv = "question,answer,similar\n\
               退款多久到账,1-3 个工作日,退款到账|钱什么时候退回\n\
               没有答案,,\n\
               \"Shipping, abroad?\",\"Yes, to 30 countries.\",\n";
    let r: ImportReport = post(&format!("{api}/faq/import?access_token={t}"), csv).await;
    assert_eq!(r.errcode, 0);
    assert_eq!(r.added.len(), 2);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].line, 3);
    assert!(
        r.errors[0].reason.contains("answer must be"),
        "{:?}",
        r.errors
    );
    let s: Status = post(&format!("{api}/faq/import?access_token={t}"), "a,b\n1,2\n").await;
    assert_eq!(s.errcode, 40035);
    assert!(s.errmsg.contains("header"), "{}", s.errmsg);

    // list, paged.
    let p: FaqPage = get(&format!("{api}/faq/list?access_token={t}&limit=2")).await;
    assert_eq!((p.robotid, p.total, p.faqs.len()), (1, 3, 2));
    assert_eq!(p.faqs[0].question, "如何修改收货地址");
    assert_eq!(p.faqs[0].similar, vec!["地址填错了"]);
    assert_eq!(p.faqs[0].faq_group, Some(3));
    let p2: FaqPage = get(&format!("{api}/faq/list?access_token={t}&limit=2&offset=2")).await;
    assert_eq!(p2.faqs.len(), 1);
    assert_eq!(p2.faqs[0].answer, "Yes, to 30 countries.");

    // Another site's token sees nothing of this site and cannot delete its entries.
    let t2 = token(&srv, &other).await;
    let p: FaqPage = get(&format!("{api}/faq/list?access_token={t2}")).await;
    assert_eq!(p.total, 0);
    let del = serde_json::to_string(&FaqDelete { id: a.id }).unwrap();
    let s: Status = post(&format!("{api}/faq/delete?access_token={t2}"), del.clone()).await;
    assert_eq!(s.errcode, 46002);

    // delete
    let s: Status = post(&format!("{api}/faq/delete?access_token={t}"), del.clone()).await;
    assert_eq!(s.errcode, 0);
    let s: Status = post(&format!("{api}/faq/delete?access_token={t}"), del).await;
    assert_eq!(s.errcode, 46002);
    let p: FaqPage = get(&format!("{api}/faq/list?access_token={t}")).await;
    assert_eq!(p.total, 2);
    srv.stop().await;
}

#[tokio::test]
async fn replies_follow_faq_changes_made_on_another_node() {
    let a = TestServer::start().await;
    let b = a.another_node().await;
    let site = a.site().await;
    let sid = a.db.site_by_sysnum(&site.sysnum).await.unwrap().unwrap().id;
    let robots = &a.state.robots;

    // No robot: the built-in one, which knows nothing.
    let info = robots.robot(&a.db, sid, None).await.unwrap();
    assert_eq!((info.robotid, info.name.as_str()), (0, "智能客服"));
    assert!(!info.hello.is_empty());
    let r = robots
        .reply(
            &a.db,
            sid,
            None,
            None,
            Locale::En,
            "how do I return an item",
        )
        .await
        .unwrap();
    assert!(
        matches!(r, Reply::Unknown { ref text } if text.starts_with("Sorry")),
        "{r:?}"
    );

    // Node B creates the robot and an entry; node A answers from it at the next question.
    let robot =
        b.db.create_robot(sid, Some(5), "小智", "")
            .await
            .unwrap()
            .unwrap();
    let info = robots.robot(&a.db, sid, Some(123)).await.unwrap();
    assert_eq!((info.robotid, info.name.as_str()), (5, "小智"));
    assert!(info.hello.contains("小智"), "{}", info.hello);
    let add =
        |q: &str, ans: &str, similar: &[&str], group: Option<i64>| frontdesk_server::db::NewFaq {
            faq_group: group,
            question: q.into(),
            answer: ans.into(),
            similar: similar.iter().map(|s| s.to_string()).collect(),
        };
    let ids =
        b.db.add_faqs(
            &robot,
            vec![add(
                "如何退货",
                "在订单页申请退货。",
                &["我想退掉买的东西"],
                Some(1),
            )],
        )
        .await
        .unwrap();
    let r = robots
        .reply(&a.db, sid, None, None, Locale::Tw, "請問如何退貨？")
        .await
        .unwrap();
    assert_eq!(
        r,
        Reply::Answer {
            text: "在订单页申请退货。".into(),
            faq_id: ids[0]
        }
    );

    // More entries through B (its REST API): A's cached index is rebuilt.
    let t = token(&b, &site).await;
    let csv =
        "question,answer,faq_group\n退款多久到账,1-3 个工作日。,2\n退款失败怎么办,请转人工。,2\n";
    let rep: ImportReport = post(
        &format!("{}/api/robot/faq/import?access_token={t}", b.http),
        csv,
    )
    .await;
    assert_eq!(rep.added.len(), 2, "{:?}", rep.errors);
    let r = robots
        .reply(&a.db, sid, None, None, Locale::Cn, "退款")
        .await
        .unwrap();
    match r {
        Reply::Unsure { text, suggestions } => {
            assert_eq!(text, "您是不是想问：");
            assert_eq!(suggestions.len(), 2, "{suggestions:?}");
        }
        other => panic!("{other:?}"),
    }
    // The FAQ group filters: group 2 has no returns entry.
    let r = robots
        .reply(&a.db, sid, None, Some(2), Locale::Cn, "如何退货")
        .await
        .unwrap();
    assert!(matches!(r, Reply::Unknown { .. }), "{r:?}");
    assert_eq!(
        robots.guide(&a.db, sid, None, Some(2), 5).await.unwrap(),
        vec!["退款多久到账", "退款失败怎么办"]
    );
    assert_eq!(
        robots.guide(&a.db, sid, None, None, 1).await.unwrap(),
        vec!["如何退货"]
    );

    // Deleted on B: A no longer answers it.
    assert!(b.db.delete_faq(Some(sid), ids[0]).await.unwrap());
    let r = robots
        .reply(&a.db, sid, None, None, Locale::Cn, "如何退货")
        .await
        .unwrap();
    assert!(matches!(r, Reply::Unknown { .. }), "{r:?}");
    b.stop().await;
    a.stop().await;
}

/// Migration 0010 rebuilds `messages` on SQLite (and changes its CHECK on PostgreSQL): the
/// rows, their ids, the uniqueness rules and the push log pointing at them survive.
#[tokio::test]
async fn migration_0010_keeps_messages_and_allows_robot_authors() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let tdb = harness::TestDb::new(&dir.path().join("m.db")).await;
    let stmts = [
        "INSERT INTO sites (id, sysnum, name, appid, secret, sign_key, created_at)
         VALUES (1, '0123456789abcdef0123456789abcdef', 's', 'app', 'sec', 'k', 0)",
        "INSERT INTO visitors (id, site_id, created_at, last_seen_at) VALUES (1, 1, 0, 0)",
        "INSERT INTO messages (id, visitor_id, seq, author, cmid, kind, body, created_at)
         VALUES (10, 1, 1, 'visitor', 'c1', 0, '你好', 1)",
        "INSERT INTO messages (id, visitor_id, seq, author, kind, body, created_at)
         VALUES (11, 1, 2, 'system', 0, 'sys', 2)",
        "INSERT INTO push_deliveries (id, message_id, site_id, url, payload, next_attempt_at, created_at)
         VALUES (1, 10, 1, 'http://x', '{}', 0, 0)",
    ];
    tdb.migrate_to(9, &stmts).await;
    // Opening applies 0010.
    let db = frontdesk_server::db::Db::open(&tdb.url).await.unwrap();
    let msgs = db.messages_after(1, shared::ids::Seq(0), 10).await.unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!((msgs[0].id, msgs[0].body.as_str()), (10, "你好"));
    assert_eq!((msgs[1].id, msgs[1].seq), (11, 2));
    db.close().await;
    // The constraints: 'robot' allowed, nonsense refused, (visitor, seq) and (visitor, cmid)
    // still unique.
    let url = tdb.url.clone();
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
    let ins = |id: i64, seq: i64, author: &str, cmid: Option<&str>| {
        format!(
            "INSERT INTO messages (id, visitor_id, seq, author, cmid, kind, body, created_at)
             VALUES ({id}, 1, {seq}, '{author}', {}, 0, 'x', 3)",
            cmid.map_or("NULL".to_owned(), |c| format!("'{c}'"))
        )
    };
    // The push log still points at its message.
    let joined: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM push_deliveries d JOIN messages m ON m.id = d.message_id
         WHERE m.body = '你好'",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(joined, 1);
    if tdb.is_sqlite() {
        let broken = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut c)
            .await
            .unwrap();
        assert!(broken.is_empty());
        // A delivery for a message that does not exist is still refused.
        assert!(sqlx::query(
            "INSERT INTO push_deliveries (message_id, site_id, url, payload, next_attempt_at, created_at)
             VALUES (999, 1, 'http://x', '{}', 0, 0)"
        )
        .execute(&mut c)
        .await
        .is_err());
    }
    sqlx::query(&ins(12, 3, "robot", None))
        .execute(&mut c)
        .await
        .unwrap();
    assert!(sqlx::query(&ins(13, 4, "bogus", None))
        .execute(&mut c)
        .await
        .is_err());
    assert!(sqlx::query(&ins(14, 3, "agent", None))
        .execute(&mut c)
        .await
        .is_err());
    assert!(sqlx::query(&ins(15, 5, "visitor", Some("c1")))
        .execute(&mut c)
        .await
        .is_err());
    let _ = c.close().await;
}

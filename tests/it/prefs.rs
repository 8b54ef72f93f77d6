//! The agent's console language and time zone (issue 25 item 8): `32950` stores them for the
//! logged-in agent and answers `Me`; `31000`/`32000`'s `me` shows them (on this and on a new
//! connection: they follow the agent to another browser); a locale that is not `cn`/`en`/`tw`
//! or a zone that is not an IANA one is refused with `-32951` and a reason; absent fields are
//! kept; one agent's choice never changes another's. On SQLite and on PostgreSQL.

use harness::*;
use serde_json::Value;
use shared::agent::{code, Me, Request};

async fn ask(agent: &mut AgentClient, req: Request) -> Value {
    agent.request(serde_json::to_value(req).unwrap()).await
}

fn me_of(list: &Value) -> Me {
    serde_json::from_value(list["data"]["me"].clone()).unwrap_or_else(|e| panic!("{e}: {list}"))
}

/// `account`'s language and zone as a new connection (another browser) sees them: in its
/// `31000` answer and its `32000`.
async fn seen(srv: &TestServer, account: &str) -> (String, String) {
    let (mut c, login) = srv.agent_client(account).await;
    let on_login = me_of(&login);
    let listed = me_of(&ask(&mut c, Request::chat_list()).await);
    assert_eq!(on_login, listed, "31000 and 32000 agree");
    assert_eq!(listed.kf_account, account);
    (listed.locale, listed.tz)
}

fn pair(l: &str, z: &str) -> (String, String) {
    (l.to_owned(), z.to_owned())
}

#[tokio::test]
async fn prefs_are_stored_shown_kept_refused_and_per_agent() {
    let srv = TestServer::start_open().await;
    let site = srv.site().await;
    srv.agent(&site.sysnum, "kf@prefs-a").await;
    srv.agent(&site.sysnum, "kf@prefs-b").await;
    let (mut a, login) = srv.agent_client("kf@prefs-a").await;
    let (mut b, _) = srv.agent_client("kf@prefs-b").await;

    // A new agent: the browser's (both empty).
    let me = me_of(&login);
    assert_eq!((me.locale.as_str(), me.tz.as_str()), ("", ""), "{login}");

    // Stored, answered, and shown by 32000.
    let r = ask(&mut a, Request::prefs(Some("en"), Some("Asia/Tokyo"))).await;
    assert_eq!(r["code"], code::OK, "{r}");
    let me: Me = serde_json::from_value(r["data"].clone()).unwrap();
    assert_eq!((me.locale.as_str(), me.tz.as_str()), ("en", "Asia/Tokyo"));
    assert_eq!(me.kf_account, "kf@prefs-a");
    assert_eq!(seen(&srv, "kf@prefs-a").await, pair("en", "Asia/Tokyo"));

    // Absent fields are kept: only the zone, then only the language.
    let r = ask(&mut a, Request::prefs(None, Some("America/New_York"))).await;
    assert_eq!(r["code"], code::OK, "{r}");
    let r = ask(&mut a, Request::prefs(Some("tw"), None)).await;
    assert_eq!(r["code"], code::OK, "{r}");
    assert_eq!(
        seen(&srv, "kf@prefs-a").await,
        pair("tw", "America/New_York")
    );

    // Refused with a reason, and nothing changes.
    for (locale, tz, why) in [
        (Some("fr"), None, "locale"),
        (None, Some("Mars/Olympus"), "Mars/Olympus"),
        (None, Some("UTC; DROP TABLE agents"), "time zone"),
        (Some("en"), Some("Nowhere"), "Nowhere"),
    ] {
        let r = ask(&mut a, Request::prefs(locale, tz)).await;
        assert_eq!(r["code"], code::PREFS_INVALID, "{locale:?} {tz:?}: {r}");
        let msg = r["message"].as_str().unwrap_or_default();
        assert!(
            msg.to_lowercase().contains(&why.to_lowercase()),
            "{locale:?} {tz:?}: the message says why: {r}"
        );
    }
    assert_eq!(
        seen(&srv, "kf@prefs-a").await,
        pair("tw", "America/New_York")
    );

    // The other agent's are untouched, and theirs do not change ours.
    assert_eq!(seen(&srv, "kf@prefs-b").await, pair("", ""));
    let r = ask(&mut b, Request::prefs(Some("cn"), Some("Europe/Paris"))).await;
    assert_eq!(r["code"], code::OK, "{r}");
    assert_eq!(
        seen(&srv, "kf@prefs-a").await,
        pair("tw", "America/New_York")
    );

    // "" goes back to the browser's; the other agent's stay.
    let r = ask(&mut a, Request::prefs(Some(""), Some(""))).await;
    assert_eq!(r["code"], code::OK, "{r}");
    assert_eq!(seen(&srv, "kf@prefs-a").await, pair("", ""));
    assert_eq!(seen(&srv, "kf@prefs-b").await, pair("cn", "Europe/Paris"));
}

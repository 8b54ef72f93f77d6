//! The FAQ robot's admin API (`/api/robot/…`, server `robotapi.rs`, used by the console's
//! admin view): robots, FAQ entries, imports. Authenticated with a site's seed 002
//! `access_token` (`GET /cgi-bin/token`, answered as [`TokenAnswer`]). Every answer carries
//! `errcode` (0 = ok) and `errmsg` like seed 002's API; on an error only those two are sent
//! ([`Status`]).

use serde::{Deserialize, Serialize};

/// `errcode` 0.
pub const OK: i64 = 0;

/// Every answer's status; an error answer is only this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub errcode: i64,
    pub errmsg: String,
}

/// The body of `POST /cgi-bin/token`: seed 002's query parameters as JSON, so the secret
/// stays out of URLs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// Always `client_credential` ([`TokenRequest::new`]).
    pub grant_type: String,
    pub appid: String,
    pub secret: String,
}

impl TokenRequest {
    pub fn new(appid: &str, secret: &str) -> TokenRequest {
        TokenRequest {
            grant_type: "client_credential".into(),
            appid: appid.into(),
            secret: secret.into(),
        }
    }
}

/// Seed 002's `GET /cgi-bin/token` answer (an error answer is a [`Status`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    pub expires_in: i64,
}

/// A robot of the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Robot {
    /// The number pages ask for (seed 003 `robotid`).
    pub robotid: i64,
    pub name: String,
    /// Its own greeting; "" = the default one.
    pub hello: String,
}

/// `GET /api/robot/list?access_token=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotList {
    pub errcode: i64,
    pub errmsg: String,
    pub robots: Vec<Robot>,
}

/// An FAQ entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faq {
    pub id: i64,
    /// Seed 003 `faqid`; `None` = no group.
    pub faq_group: Option<i64>,
    pub question: String,
    pub answer: String,
    /// Other phrasings of the question.
    pub similar: Vec<String>,
}

/// `GET /api/robot/faq/list?access_token=&robotid=&offset=&limit=`: a page of a robot's
/// entries (by id; `limit` 1–200, default 50). Without `robotid`: the site's default robot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaqPage {
    pub errcode: i64,
    pub errmsg: String,
    /// The robot listed (0: the site has no robot yet).
    pub robotid: i64,
    /// Entries of the robot in all.
    pub total: i64,
    pub offset: i64,
    pub faqs: Vec<Faq>,
}

/// `POST /api/robot/faq/add?access_token=` body. Without `robotid`: the site's default robot
/// (created if the site has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaqAdd {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robotid: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faq_group: Option<i64>,
    pub question: String,
    pub answer: String,
    #[serde(default)]
    pub similar: Vec<String>,
}

/// The answer to [`FaqAdd`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaqAdded {
    pub errcode: i64,
    pub errmsg: String,
    pub id: i64,
}

/// `POST /api/robot/faq/delete?access_token=` body; answered with a [`Status`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaqDelete {
    pub id: i64,
}

/// A refused row of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// 1-based line of the file where the row starts.
    pub line: u64,
    pub reason: String,
}

/// `POST /api/robot/faq/import?access_token=&robotid=` with the file's text as the body (CSV
/// with the header `question,answer,similar,faq_group`, or JSON lines). The good rows are
/// added, the bad ones listed; `errcode` is 0 when the file could be read, whatever its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub errcode: i64,
    pub errmsg: String,
    pub robotid: i64,
    /// Ids of the added entries, in file order.
    pub added: Vec<i64>,
    pub errors: Vec<RowError>,
}

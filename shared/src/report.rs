//! Reports (issue 25, item 7): a site's figures over a range of days in a time zone — the one
//! JSON shape behind `GET /api/admin/report` (the console's admin view draws its charts
//! from it and exports it as CSV) and `frontdesk admin report --json`. Keys as SPEC §2 names
//! them.
//!
//! Definitions: a *conversation* counts on the day it started (a visitor's first message for
//! people after the previous one ended); *messages* are the visitors', agents' and robot's
//! messages written in the range (system lines are not); the *first response* is the time
//! from a conversation's start to its first agent message; the *resolution* from its start
//! to its end (`32600`), for the conversations that ended; *abandoned* conversations no agent
//! ever took (they left the queue, or were blocked); percentiles are nearest-rank, in
//! seconds. *CSAT* counts the ratings given in the range (1–5).

use serde::{Deserialize, Serialize};

/// A report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The first and last day of the range (`YYYY-MM-DD`, inclusive) and the IANA zone the
    /// days and hours are counted in.
    pub since: String,
    pub until: String,
    pub tz: String,
    pub conversations: u64,
    pub messages: u64,
    pub visitor_messages: u64,
    pub agent_messages: u64,
    /// Conversations an agent answered; never taken by an agent.
    pub answered: u64,
    pub abandoned: u64,
    pub first_response_p50_s: Option<f64>,
    pub first_response_p90_s: Option<f64>,
    pub resolution_p50_s: Option<f64>,
    pub resolution_p90_s: Option<f64>,
    pub csat: Csat,
    /// One entry per day of the range, in order.
    pub by_day: Vec<Bucket>,
    /// 24 entries, hour 0–23 of the zone, over the whole range.
    pub by_hour: Vec<Bucket>,
    pub by_agent: Vec<AgentFigures>,
    pub by_group: Vec<GroupFigures>,
}

/// The ratings given in the range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Csat {
    pub count: u64,
    /// How many gave 1, 2, 3, 4, 5.
    pub scores: [u64; 5],
    pub average: Option<f64>,
}

/// Conversations started and messages written in one day (`key` `YYYY-MM-DD`) or hour
/// (`key` `00`–`23`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub key: String,
    pub conversations: u64,
    pub messages: u64,
}

/// One agent's conversations (by the agent who served them last).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentFigures {
    pub kf_id: String,
    pub kf_nick: String,
    pub conversations: u64,
    pub answered: u64,
    pub first_response_p50_s: Option<f64>,
    pub resolution_p50_s: Option<f64>,
}

/// One group's conversations (the group the visitor asked for; `group_id` `""`: none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFigures {
    pub group_id: String,
    pub groupname: String,
    pub conversations: u64,
    pub abandoned: u64,
}

/// The answer of `GET /api/admin/report?since=&until=&tz=` (errors: `crate::robot::Status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportAnswer {
    pub errcode: i64,
    pub errmsg: String,
    pub report: Report,
}

/// Most days one report covers.
pub const MAX_DAYS: i64 = 366;

/// The nearest-rank `p` percentile (0 < p ≤ 1) of `sorted` (ascending), if any.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// The report's daily figures as CSV (`day,conversations,messages`), then the totals.
pub fn csv(r: &Report) -> String {
    let mut out = String::from("day,conversations,messages\n");
    for b in &r.by_day {
        out.push_str(&format!("{},{},{}\n", b.key, b.conversations, b.messages));
    }
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    out.push_str(&format!(
        "\nconversations,messages,answered,abandoned,first_response_p50_s,first_response_p90_s,resolution_p50_s,resolution_p90_s,csat_count,csat_average\n{},{},{},{},{},{},{},{},{},{}\n",
        r.conversations,
        r.messages,
        r.answered,
        r.abandoned,
        opt(r.first_response_p50_s),
        opt(r.first_response_p90_s),
        opt(r.resolution_p50_s),
        opt(r.resolution_p90_s),
        r.csat.count,
        opt(r.csat.average),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[30.0, 90.0], 0.5), Some(30.0));
        assert_eq!(percentile(&[30.0, 90.0], 0.9), Some(90.0));
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&ten, 0.5), Some(5.0));
        assert_eq!(percentile(&ten, 0.9), Some(9.0));
        assert_eq!(percentile(&[7.0], 0.9), Some(7.0));
    }

    #[test]
    fn reports_round_trip_and_export_as_csv() {
        let r = Report {
            since: "2026-01-05".into(),
            until: "2026-01-06".into(),
            tz: "UTC".into(),
            conversations: 3,
            first_response_p50_s: Some(30.0),
            by_day: vec![Bucket {
                key: "2026-01-05".into(),
                conversations: 2,
                messages: 3,
            }],
            ..Report::default()
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), r);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        for key in [
            "conversations",
            "messages",
            "first_response_p50_s",
            "first_response_p90_s",
            "resolution_p50_s",
            "csat",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        let csv = csv(&r);
        assert!(
            csv.starts_with("day,conversations,messages\n2026-01-05,2,3\n"),
            "{csv}"
        );
        assert!(csv.contains("\n3,0,0,0,30,,,,0,\n"), "{csv}");
    }
}

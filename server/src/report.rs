//! Reports (issue 25, item 7): a site's figures over a range of days in a time zone
//! (`shared::report`, whose doc defines each figure), for the site admin API
//! (`crate::adminapi`) and `frontdesk admin report` (`crate::admin::site_report`). Rows come
//! from `db/report.rs`; the days, hours and percentiles are computed here.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use shared::report::{percentile, AgentFigures, Bucket, Csat, GroupFigures, Report, MAX_DAYS};

use crate::db::{Db, DbResult, QUARTER_MS};

/// A checked range: days `since..=until` in zone `tz`.
#[derive(Debug, Clone)]
pub struct Range {
    pub since: Date,
    pub until: Date,
    pub tz: TimeZone,
    pub tz_name: String,
    /// `[since 00:00, until + 1 day 00:00)` in the zone, ms since the epoch.
    from: i64,
    to: i64,
}

/// Reads a range: `since`/`until` as `YYYY-MM-DD` (default: the 7 days to today), `tz` an
/// IANA zone (default UTC). The reason when they make no range.
pub fn range(
    since: Option<&str>,
    until: Option<&str>,
    tz: Option<&str>,
    now: Timestamp,
) -> Result<Range, String> {
    let tz_name = tz
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("UTC")
        .to_owned();
    let zone = crate::rules::time_zone(&tz_name)?;
    let day = |s: Option<&str>, what: &str| -> Result<Option<Date>, String> {
        match s.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s
                .parse::<Date>()
                .map(Some)
                .map_err(|_| format!("{what} must be a date YYYY-MM-DD, not {s:?}")),
        }
    };
    let until = match day(until, "until")? {
        Some(d) => d,
        None => zone.to_datetime(now).date(),
    };
    let since = match day(since, "since")? {
        Some(d) => d,
        None => until
            .checked_sub(jiff::Span::new().days(6))
            .map_err(|e| e.to_string())?,
    };
    if since > until {
        return Err("since is after until".into());
    }
    let days = (until - since).get_days() as i64 + 1;
    if days > MAX_DAYS {
        return Err(format!("a report covers at most {MAX_DAYS} days"));
    }
    let mut r = Range {
        since,
        until,
        tz: zone,
        tz_name,
        from: 0,
        to: 0,
    };
    (r.from, r.to) = r
        .bounds()
        .map_err(|e| format!("no such day in {}: {e}", r.tz_name))?;
    Ok(r)
}

impl Range {
    /// The range in ms since the epoch: `[since 00:00, until + 1 day 00:00)` in the zone.
    fn bounds(&self) -> Result<(i64, i64), jiff::Error> {
        let start = self.tz.to_timestamp(self.since.at(0, 0, 0, 0))?;
        let end = self
            .tz
            .to_timestamp(self.until.tomorrow()?.at(0, 0, 0, 0))?;
        Ok((start.as_millisecond(), end.as_millisecond()))
    }

    /// The zone's day and hour at `ms`.
    fn local(&self, ms: i64) -> Option<(Date, i8)> {
        let t = Timestamp::from_millisecond(ms).ok()?;
        let dt = self.tz.to_datetime(t);
        Some((dt.date(), dt.hour()))
    }
}

/// Seconds from `a` to `b` (ms), when `b` is not before `a`.
fn secs(a: i64, b: i64) -> Option<f64> {
    (b >= a).then(|| (b - a) as f64 / 1000.0)
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Site `site_id`'s report over `r`.
pub async fn report(db: &Db, site_id: i64, r: &Range) -> DbResult<Report> {
    let (from, to) = (r.from, r.to);
    let convs = db.report_conversations(site_id, from, to).await?;
    let msgs = db.report_messages(site_id, from, to).await?;
    let agents: HashMap<i64, String> = db
        .agents_of_site(site_id)
        .await?
        .into_iter()
        .map(|a| (a.id, a.nick))
        .collect();
    let groups: HashMap<i64, String> = db
        .groups_of_site(site_id)
        .await?
        .into_iter()
        .map(|g| (g.id, g.groupname))
        .collect();

    let mut day_index = BTreeMap::new();
    let mut by_day = Vec::new();
    let mut d = r.since;
    while d <= r.until {
        day_index.insert(d, by_day.len());
        by_day.push(Bucket {
            key: d.to_string(),
            ..Bucket::default()
        });
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    let mut by_hour: Vec<Bucket> = (0..24)
        .map(|h| Bucket {
            key: format!("{h:02}"),
            ..Bucket::default()
        })
        .collect();
    let mut out = Report {
        since: r.since.to_string(),
        until: r.until.to_string(),
        tz: r.tz_name.clone(),
        ..Report::default()
    };
    let (mut first, mut resolved) = (Vec::new(), Vec::new());
    // agent id → (conversations, answered, first responses, resolutions)
    type Per = (u64, u64, Vec<f64>, Vec<f64>);
    let mut per_agent: BTreeMap<i64, Per> = BTreeMap::new();
    let mut per_group: BTreeMap<Option<i64>, (u64, u64)> = BTreeMap::new();
    for c in &convs {
        out.conversations += 1;
        if let Some((day, hour)) = r.local(c.started_at) {
            if let Some(&i) = day_index.get(&day) {
                by_day[i].conversations += 1;
            }
            by_hour[hour as usize].conversations += 1;
        }
        let fr = c.first_agent_at.and_then(|t| secs(c.started_at, t));
        let res = c.ended_at.and_then(|t| secs(c.started_at, t));
        let abandoned = c.assigned_at.is_none() && c.agent_id.is_none();
        if c.first_agent_at.is_some() {
            out.answered += 1;
        }
        if abandoned {
            out.abandoned += 1;
        }
        first.extend(fr);
        resolved.extend(res);
        if let Some(a) = c.agent_id {
            let e = per_agent.entry(a).or_default();
            e.0 += 1;
            e.1 += u64::from(c.first_agent_at.is_some());
            e.2.extend(fr);
            e.3.extend(res);
        }
        let g = per_group.entry(c.group_id).or_default();
        g.0 += 1;
        g.1 += u64::from(abandoned);
    }
    for (q, author, n) in msgs {
        let n = n.max(0) as u64;
        out.messages += n;
        match author.as_str() {
            "visitor" => out.visitor_messages += n,
            "agent" => out.agent_messages += n,
            _ => {}
        }
        if let Some((day, hour)) = r.local(q * QUARTER_MS) {
            if let Some(&i) = day_index.get(&day) {
                by_day[i].messages += n;
            }
            by_hour[hour as usize].messages += n;
        }
    }
    let first = sorted(first);
    let resolved = sorted(resolved);
    out.first_response_p50_s = percentile(&first, 0.5);
    out.first_response_p90_s = percentile(&first, 0.9);
    out.resolution_p50_s = percentile(&resolved, 0.5);
    out.resolution_p90_s = percentile(&resolved, 0.9);
    // CSAT: the visitors' ratings (one per chat, issue 24) given or last changed in the range.
    let mut csat = Csat::default();
    let mut total = 0;
    for x in db.ratings_of_site(site_id, from, i64::MAX).await? {
        if x.updated_at >= to || !(1..=5).contains(&x.score) {
            continue;
        }
        csat.count += 1;
        csat.scores[(x.score - 1) as usize] += 1;
        total += x.score as u64;
    }
    csat.average = (csat.count > 0).then(|| total as f64 / csat.count as f64);
    out.csat = csat;
    out.by_day = by_day;
    out.by_hour = by_hour;
    out.by_agent = per_agent
        .into_iter()
        .map(|(id, (n, answered, fr, res))| AgentFigures {
            kf_id: id.to_string(),
            kf_nick: agents.get(&id).cloned().unwrap_or_default(),
            conversations: n,
            answered,
            first_response_p50_s: percentile(&sorted(fr), 0.5),
            resolution_p50_s: percentile(&sorted(res), 0.5),
        })
        .collect();
    out.by_group = per_group
        .into_iter()
        .map(|(g, (n, abandoned))| GroupFigures {
            group_id: g.map(|g| g.to_string()).unwrap_or_default(),
            groupname: g.and_then(|g| groups.get(&g).cloned()).unwrap_or_default(),
            conversations: n,
            abandoned,
        })
        .collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_default_to_the_last_week_and_refuse_nonsense() {
        let now: Timestamp = "2026-01-10T02:00:00Z".parse().unwrap();
        let r = range(None, None, Some("Asia/Shanghai"), now).unwrap();
        assert_eq!(
            (r.since.to_string(), r.until.to_string()),
            ("2026-01-04".into(), "2026-01-10".into())
        );
        let r = range(Some("2026-01-05"), Some("2026-01-06"), None, now).unwrap();
        assert_eq!(r.bounds().unwrap(), (1_767_571_200_000, 1_767_744_000_000));
        assert!(range(Some("2026-13-01"), None, None, now)
            .unwrap_err()
            .contains("YYYY-MM-DD"));
        assert!(range(Some("2026-01-07"), Some("2026-01-06"), None, now)
            .unwrap_err()
            .contains("after"));
        assert!(range(None, None, Some("Mars/Base"), now)
            .unwrap_err()
            .contains("time zone"));
        assert!(range(Some("2024-01-01"), Some("2026-01-01"), None, now)
            .unwrap_err()
            .contains("366"));
    }
}

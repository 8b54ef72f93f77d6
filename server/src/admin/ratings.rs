//! The ratings of a site's chats (`frontdesk admin ratings --site S [--since YYYY-MM-DD]`).

use shared::rating::Rating;

use super::{site_id, AdminError};
use crate::db::Db;

/// Unix milliseconds of `YYYY-MM-DD` 00:00 UTC.
pub fn day_start_ms(date: &str) -> Result<i64, AdminError> {
    let bad = || AdminError::Invalid(format!("--since {date:?}: expected YYYY-MM-DD"));
    let mut parts = date.trim().splitn(3, '-');
    let mut num = |len: usize| -> Result<i64, AdminError> {
        let p = parts.next().ok_or_else(bad)?;
        if p.len() != len || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        p.parse().map_err(|_| bad())
    };
    let (y, m, d) = (num(4)?, num(2)?, num(2)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > days_in[(m - 1) as usize] {
        return Err(bad());
    }
    // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok((era * 146_097 + doe - 719_468) * 86_400_000)
}

/// The site's ratings changed on or after `since` (a date, UTC), newest first.
pub async fn ratings(
    db: &Db,
    sysnum: &str,
    since: Option<&str>,
    limit: i64,
) -> Result<Vec<Rating>, AdminError> {
    let site = site_id(db, sysnum).await?;
    let since = since.map(day_start_ms).transpose()?.unwrap_or(0);
    Ok(db
        .ratings_of_site(site, since, limit)
        .await?
        .into_iter()
        .map(crate::wire::rating)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::day_start_ms;

    #[test]
    fn dates_are_utc_day_starts() {
        assert_eq!(day_start_ms("1970-01-01").unwrap(), 0);
        assert_eq!(day_start_ms("2020-04-09").unwrap(), 1_586_390_400_000);
        assert_eq!(day_start_ms("2024-02-29").unwrap(), 1_709_164_800_000);
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "24-01-01",
            "2024-1-1",
            "yesterday",
        ] {
            assert!(day_start_ms(bad).is_err(), "{bad}");
        }
    }
}

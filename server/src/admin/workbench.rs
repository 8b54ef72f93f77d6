//! The workbench's operator settings (issue 25): a site's summary rules (whether ending a
//! chat needs a category and a summary, and the categories offered), canned replies, and
//! the site's report (`crate::report`) for the CLI.

use super::*;

/// Most categories a site offers.
pub const MAX_CATEGORIES: usize = 50;

/// Sets site `sysnum`'s summary rules; `None` leaves one as it is. `categories` is
/// comma-separated (`""`: any text); each 1-64 characters.
pub async fn set_summary_rules(
    db: &Db,
    sysnum: &str,
    required: Option<bool>,
    categories: Option<&str>,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    let categories = categories.map(summary_categories).transpose()?;
    db.set_summary_rules(site.id, required, categories).await?;
    Ok(())
}

/// A list of summary categories as stored: comma-separated (`,` or `，`), each 1-64
/// characters, duplicates once, at most [`MAX_CATEGORIES`].
pub fn summary_categories(list: &str) -> Result<String, AdminError> {
    let mut clean: Vec<String> = Vec::new();
    for c in list
        .split([',', '，'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        check_name("category", c, shared::workbench::MAX_CATEGORY_CHARS)?;
        if !clean.iter().any(|x| x == c) {
            clean.push(c.to_owned());
        }
    }
    if clean.len() > MAX_CATEGORIES {
        return Err(AdminError::Invalid(format!(
            "at most {MAX_CATEGORIES} categories"
        )));
    }
    Ok(clean.join(","))
}

// ----- canned replies ----------------------------------------------------------------------

/// A canned reply as the CLI lists it.
#[derive(Debug, Clone, Serialize)]
pub struct CannedEntry {
    pub id: i64,
    pub shortcut: String,
    pub text: String,
    /// The agent whose own it is; `None`: the site's.
    pub agent: Option<String>,
}

/// A row of an import that was refused.
#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    pub line: usize,
    pub reason: String,
}

/// What `admin canned import` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CannedImport {
    pub added: usize,
    pub errors: Vec<RowError>,
}

/// A canned reply's shortcut and text, trimmed, or why they are refused: the shortcut as
/// `shared::workbench::check_shortcut` allows it (a leading `/` is dropped), the text
/// 1-5000 characters without NUL.
pub fn check_canned(shortcut: &str, text: &str) -> Result<(String, String), AdminError> {
    let shortcut = shortcut.trim();
    let shortcut = shortcut.strip_prefix('/').unwrap_or(shortcut);
    shared::workbench::check_shortcut(shortcut).map_err(|e| AdminError::Invalid(e.into()))?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > shared::MAX_BODY_CHARS {
        return Err(AdminError::Invalid(
            "a canned reply's text is 1-5000 characters".into(),
        ));
    }
    crate::db::storable(text).map_err(|e| AdminError::Invalid(e.into()))?;
    Ok((shortcut.to_owned(), text.to_owned()))
}

/// The owner (0: the site) `agent` (an account of the site, if given) names on site
/// `site_id`.
async fn canned_owner(db: &Db, site_id: i64, agent: Option<&str>) -> Result<i64, AdminError> {
    let Some(account) = agent.map(str::trim) else {
        return Ok(0);
    };
    match db.agent_by_account(account).await? {
        Some(a) if a.site_id == site_id => Ok(a.id),
        _ => Err(AdminError::NoAgent(account.to_owned())),
    }
}

/// Stores checked replies for `owner` within its allowance of
/// [`shared::workbench::MAX_CANNED`].
pub async fn put_canned(
    db: &Db,
    site_id: i64,
    owner: i64,
    replies: Vec<(String, String)>,
) -> Result<Vec<i64>, AdminError> {
    let have = db.count_canned(site_id, owner).await?;
    if have as usize + replies.len() > shared::workbench::MAX_CANNED {
        return Err(AdminError::Invalid(format!(
            "at most {} canned replies each (site, or agent)",
            shared::workbench::MAX_CANNED
        )));
    }
    Ok(db.put_canned(site_id, owner, replies).await?)
}

/// `admin canned add`: the site's reply (or `agent`'s own) `shortcut` → `text`; an existing
/// shortcut gets the new text. Returns its id.
pub async fn add_canned(
    db: &Db,
    sysnum: &str,
    agent: Option<&str>,
    shortcut: &str,
    text: &str,
) -> Result<i64, AdminError> {
    let site = site_of(db, sysnum).await?;
    let owner = canned_owner(db, site.id, agent).await?;
    let reply = check_canned(shortcut, text)?;
    Ok(put_canned(db, site.id, owner, vec![reply]).await?[0])
}

/// `admin canned list`: the site's replies and every agent's (`agent`: only that agent's).
pub async fn list_canned(
    db: &Db,
    sysnum: &str,
    agent: Option<&str>,
) -> Result<Vec<CannedEntry>, AdminError> {
    let site = site_of(db, sysnum).await?;
    let owner = match agent {
        Some(_) => Some(canned_owner(db, site.id, agent).await?),
        None => None,
    };
    let accounts: std::collections::HashMap<i64, String> = db
        .agents_of_site(site.id)
        .await?
        .into_iter()
        .map(|a| (a.id, a.account))
        .collect();
    Ok(db
        .canned_of(site.id, owner)
        .await?
        .into_iter()
        .map(|r| CannedEntry {
            id: r.id,
            agent: (r.owner != 0).then(|| accounts.get(&r.owner).cloned().unwrap_or_default()),
            shortcut: r.shortcut,
            text: r.text,
        })
        .collect())
}

/// `admin canned delete`: the site's reply `id` (or `agent`'s own).
pub async fn delete_canned(
    db: &Db,
    sysnum: &str,
    agent: Option<&str>,
    id: i64,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    let owner = canned_owner(db, site.id, agent).await?;
    if db.delete_canned(site.id, owner, id).await? {
        Ok(())
    } else {
        Err(AdminError::Invalid(format!("no canned reply {id} here")))
    }
}

/// `admin canned import`: CSV with the header `shortcut,text`, or JSON lines
/// `{"shortcut","text"}`. Good rows are stored (an existing shortcut gets the new text), each
/// bad one reported with its line.
pub async fn import_canned(
    db: &Db,
    sysnum: &str,
    agent: Option<&str>,
    file: &str,
) -> Result<CannedImport, AdminError> {
    let site = site_of(db, sysnum).await?;
    let owner = canned_owner(db, site.id, agent).await?;
    let mut report = CannedImport::default();
    let mut good: Vec<(String, String)> = Vec::new();
    let mut take =
        |line: usize, shortcut: &str, text: &str, report: &mut CannedImport| match check_canned(
            shortcut, text,
        ) {
            Ok(r) => good.push(r),
            Err(e) => report.errors.push(RowError {
                line,
                reason: e.to_string(),
            }),
        };
    let first = file.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.trim_start().starts_with('{') {
        #[derive(serde::Deserialize)]
        struct Row {
            shortcut: String,
            text: String,
        }
        for (i, line) in file.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Row>(line) {
                Ok(r) => take(i + 1, &r.shortcut, &r.text, &mut report),
                Err(e) => report.errors.push(RowError {
                    line: i + 1,
                    reason: format!("not a JSON object with shortcut and text: {e}"),
                }),
            }
        }
    } else {
        let mut rd = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(file.as_bytes());
        let headers = rd
            .headers()
            .map_err(|e| AdminError::Invalid(format!("not CSV: {e}")))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h.trim() == name);
        let (Some(s), Some(t)) = (col("shortcut"), col("text")) else {
            return Err(AdminError::Invalid(
                "the CSV header must name the columns shortcut and text".into(),
            ));
        };
        for rec in rd.records() {
            match rec {
                Ok(r) => {
                    let line = r.position().map_or(0, |p| p.line() as usize);
                    take(
                        line,
                        r.get(s).unwrap_or_default(),
                        r.get(t).unwrap_or_default(),
                        &mut report,
                    );
                }
                Err(e) => report.errors.push(RowError {
                    line: e.position().map_or(0, |p| p.line() as usize),
                    reason: e.to_string(),
                }),
            }
        }
    }
    report.added = good.len();
    if !good.is_empty() {
        put_canned(db, site.id, owner, good).await?;
    }
    Ok(report)
}

/// `admin report`: site `sysnum`'s figures over `since..=until` (`YYYY-MM-DD`, default the
/// last 7 days) in zone `tz` (default UTC).
pub async fn site_report(
    db: &Db,
    sysnum: &str,
    since: Option<&str>,
    until: Option<&str>,
    tz: Option<&str>,
) -> Result<shared::report::Report, AdminError> {
    let site = site_of(db, sysnum).await?;
    let range = crate::report::range(since, until, tz, jiff::Timestamp::now())
        .map_err(AdminError::Invalid)?;
    Ok(crate::report::report(db, site.id, &range).await?)
}

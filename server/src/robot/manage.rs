//! Managing robots and their FAQ: what `frontdesk admin robot|faq …` and the admin REST API
//! (`robotapi.rs`) do, with the same validation (`faqfile`) and the same errors
//! ([`AdminError`], whose message is meant for the operator).

use shared::robot::{ImportReport, RowError};

use super::faqfile::{self, FileError};
use crate::admin::AdminError;
use crate::db::{Db, FaqRow, NewFaq, RobotRow, MAX_FAQS_PER_SITE, MAX_FAQ_CHARS_PER_SITE};

/// Name of the robot an import creates for a site that has none.
pub const DEFAULT_ROBOT_NAME: &str = "智能客服";

/// Checks a robot's name and greeting.
fn check_robot(name: &str, hello: &str) -> Result<(), AdminError> {
    if name.trim().is_empty() || name.chars().count() > 64 || !shared::display_safe(name) {
        return Err(AdminError::Invalid(
            "robot name must be 1-64 characters, without control, direction-changing or invisible characters".into(),
        ));
    }
    if hello.chars().count() > 1000 || hello.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AdminError::Invalid(
            "greeting must be at most 1000 characters, without control characters".into(),
        ));
    }
    Ok(())
}

/// Creates robot `robotid` (or the next free number) of site `site_id`.
pub async fn create_robot(
    db: &Db,
    site_id: i64,
    robotid: Option<i64>,
    name: &str,
    hello: &str,
) -> Result<RobotRow, AdminError> {
    check_robot(name, hello)?;
    if let Some(id) = robotid {
        if !(1..=(1 << 53) - 1).contains(&id) {
            return Err(AdminError::Invalid(
                "robot id must be a positive integer".into(),
            ));
        }
    }
    db.create_robot(site_id, robotid, name.trim(), hello.trim())
        .await?
        .ok_or_else(|| {
            AdminError::Invalid(format!(
                "the site has a robot {} already",
                robotid.unwrap_or_default()
            ))
        })
}

/// The robot an operator means: `robotid` (which must exist), or without one the site's
/// default robot, created (named [`DEFAULT_ROBOT_NAME`]) if the site has none.
pub async fn robot_to_edit(
    db: &Db,
    site_id: i64,
    robotid: Option<i64>,
) -> Result<RobotRow, AdminError> {
    match robotid {
        Some(id) => db
            .robot_exact(site_id, id)
            .await?
            .ok_or_else(|| AdminError::Invalid(format!("the site has no robot {id}"))),
        None => match db.robot_for(site_id, None).await? {
            Some(r) => Ok(r),
            None => match db
                .create_robot(site_id, None, DEFAULT_ROBOT_NAME, "")
                .await?
            {
                Some(r) => Ok(r),
                // Another process created the first robot at the same moment.
                None => db.robot_for(site_id, None).await?.ok_or_else(|| {
                    AdminError::Invalid("the site's robot could not be created".into())
                }),
            },
        },
    }
}

/// Why an entry was not added although it was valid.
fn full() -> String {
    format!(
        "the site's FAQ is full ({MAX_FAQS_PER_SITE} entries or {} M characters)",
        MAX_FAQ_CHARS_PER_SITE / (1024 * 1024)
    )
}

/// Adds one entry; returns its id.
pub async fn add_faq(db: &Db, robot: &RobotRow, faq: NewFaq) -> Result<i64, AdminError> {
    let ids = db.add_faqs(robot, vec![faq]).await?;
    ids.first()
        .copied()
        .ok_or_else(|| AdminError::Invalid(full()))
}

/// Entries stored per writer job of an import: each chunk is one short transaction, so the
/// writer serves every other site's messages between chunks (one job of 20 000 entries held
/// the writer, and other sites' acks, for hundreds of milliseconds).
const IMPORT_CHUNK: usize = 100;

/// Imports a CSV or JSON-lines file's entries (see `faqfile`): the good rows are added in
/// chunks of [`IMPORT_CHUNK`] (each all or none), every bad row is reported with its line, and
/// so is every good row the site's FAQ had no room for.
pub async fn import(db: &Db, robot: &RobotRow, text: &str) -> Result<ImportReport, AdminError> {
    // Parsing and validating up to 20 000 rows is CPU work: off the async workers.
    let owned = text.to_owned();
    let rows = tokio::task::spawn_blocking(move || faqfile::parse(&owned))
        .await
        .map_err(|e| AdminError::Invalid(format!("reading the file failed: {e}")))?
        .map_err(|FileError(e)| AdminError::Invalid(e))?;
    let mut good = Vec::new();
    let mut errors = Vec::new();
    for r in rows {
        match r.faq {
            Ok(f) => good.push((r.line, f)),
            Err(reason) => errors.push(RowError {
                line: r.line,
                reason,
            }),
        }
    }
    let mut added = Vec::new();
    let mut rest = good.into_iter().peekable();
    while rest.peek().is_some() {
        let (lines, chunk): (Vec<u64>, Vec<NewFaq>) = rest.by_ref().take(IMPORT_CHUNK).unzip();
        let ids = db.add_faqs(robot, chunk).await?;
        let room_ran_out = ids.len() < lines.len();
        added.extend(ids.iter().copied());
        if room_ran_out {
            let refused = lines[ids.len()..]
                .iter()
                .copied()
                .chain(rest.map(|(l, _)| l));
            errors.extend(refused.map(|line| RowError {
                line,
                reason: full(),
            }));
            errors.sort_by_key(|e| e.line);
            break;
        }
    }
    Ok(ImportReport {
        errcode: shared::robot::OK,
        errmsg: "ok".into(),
        robotid: robot.robotid,
        added,
        errors,
    })
}

/// "N added, M refused".
pub fn summary(r: &ImportReport) -> String {
    format!("{} added, {} refused", r.added.len(), r.errors.len())
}

/// A page of a robot's entries.
pub async fn list(
    db: &Db,
    robot: &RobotRow,
    offset: i64,
    limit: i64,
) -> Result<(Vec<FaqRow>, i64), AdminError> {
    Ok(db
        .faq_page(robot.id, offset.max(0), limit.clamp(1, 1000))
        .await?)
}

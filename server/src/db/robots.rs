//! The FAQ robot's storage (issue 11, migration `0010_robots`): a site's robots (`robotid`
//! the site's own number, `version` bumped by every change of that robot's FAQ so each
//! node's cached index knows when to rebuild) and their FAQ entries (the other phrasings of a
//! question kept as a JSON array in `phrasings`). Every write goes through the writer; adding
//! or deleting entries bumps the robot's `version` in the same job, so a node that reads the
//! new version also reads the new entries. Portable SQL (`$n`, i64/text).
//!
//! Owns `robots` and `faqs`, and `sites.faq_entries`/`faq_chars` (what a site's FAQ uses of
//! its allowance, kept by every add and delete).
//!
//! Methods: `create_robot`, `robots_of_site`, `robot_for`, `robot_exact`, `robot_version`,
//! `add_faqs`, `delete_faq`, `faqs_of_robot`, `faq_questions`, `faq_page`.

use super::{now_ms, Db, DbResult, FaqRow, RobotRow};

/// An entry to add (validated by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFaq {
    pub faq_group: Option<i64>,
    pub question: String,
    pub answer: String,
    pub similar: Vec<String>,
}

const ROBOT_COLS: &str = "id, site_id, robotid, name, hello, version";
const FAQ_COLS: &str = "id, robot_id, faq_group, question, answer, phrasings";

/// What one site's FAQ may hold, over all its robots: entries, and characters of questions,
/// answers and other phrasings together. Every robot's index is held in memory by every
/// node that answers for the site, and rebuilt after each change.
pub const MAX_FAQS_PER_SITE: i64 = 20_000;
pub const MAX_FAQ_CHARS_PER_SITE: i64 = 16 * 1024 * 1024;

impl Db {
    /// The robots of a site, by `robotid`.
    pub async fn robots_of_site(&self, site_id: i64) -> DbResult<Vec<RobotRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ROBOT_COLS} FROM robots WHERE site_id = $1 ORDER BY robotid"
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The robot a visitor of `site_id` asking for `robotid` gets: that one if the site has
    /// it, else the site's default (lowest `robotid`); `None` if the site has no robot. One
    /// indexed query (this is the per-reply version check).
    pub async fn robot_for(
        &self,
        site_id: i64,
        robotid: Option<i64>,
    ) -> DbResult<Option<RobotRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ROBOT_COLS} FROM robots WHERE site_id = $1
             ORDER BY CASE WHEN robotid = $2 THEN 0 ELSE 1 END, robotid LIMIT 1"
        ))
        .bind(site_id)
        .bind(robotid.unwrap_or(i64::MIN))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Site `site_id`'s robot numbered exactly `robotid`.
    pub async fn robot_exact(&self, site_id: i64, robotid: i64) -> DbResult<Option<RobotRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ROBOT_COLS} FROM robots WHERE site_id = $1 AND robotid = $2"
        ))
        .bind(site_id)
        .bind(robotid)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Creates a robot of `site_id`: numbered `robotid`, or one past the site's highest (1
    /// for the first). `None` if the site has a robot with that number already.
    pub async fn create_robot(
        &self,
        site_id: i64,
        robotid: Option<i64>,
        name: &str,
        hello: &str,
    ) -> DbResult<Option<RobotRow>> {
        let (name, hello) = (name.to_owned(), hello.to_owned());
        self.write(move |c| {
            Box::pin(async move {
                let robotid = match robotid {
                    Some(n) => n,
                    None => {
                        let max: Option<i64> = sqlx::query_scalar(
                            "SELECT MAX(robotid) FROM robots WHERE site_id = $1",
                        )
                        .bind(site_id)
                        .fetch_one(&mut *c)
                        .await?;
                        max.unwrap_or(0) + 1
                    }
                };
                let taken: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM robots WHERE site_id = $1 AND robotid = $2",
                )
                .bind(site_id)
                .bind(robotid)
                .fetch_one(&mut *c)
                .await?;
                if taken > 0 {
                    return Ok(None);
                }
                let r: RobotRow = sqlx::query_as(&format!(
                    "INSERT INTO robots (site_id, robotid, name, hello, version, created_at)
                     VALUES ($1, $2, $3, $4, 0, $5) RETURNING {ROBOT_COLS}"
                ))
                .bind(site_id)
                .bind(robotid)
                .bind(&name)
                .bind(&hello)
                .bind(now_ms())
                .fetch_one(&mut *c)
                .await?;
                Ok(Some(r))
            })
        })
        .await
    }

    /// The robot's `version` (see the module doc).
    pub async fn robot_version(&self, robot_id: i64) -> DbResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT version FROM robots WHERE id = $1")
                .bind(robot_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Every FAQ entry of robot row `robot_id`, oldest first.
    pub async fn faqs_of_robot(&self, robot_id: i64) -> DbResult<Vec<FaqRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {FAQ_COLS} FROM faqs WHERE robot_id = $1 ORDER BY id"
        ))
        .bind(robot_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Up to `n` questions of robot row `robot_id` (of FAQ group `group` if given), oldest
    /// first.
    pub async fn faq_questions(
        &self,
        robot_id: i64,
        group: Option<i64>,
        n: usize,
    ) -> DbResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT question FROM faqs WHERE robot_id = $1
               AND ($2 = 0 OR faq_group = $3) ORDER BY id LIMIT $4",
        )
        .bind(robot_id)
        .bind(i64::from(group.is_some()))
        .bind(group.unwrap_or(0))
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?)
    }

    /// A page of robot row `robot_id`'s entries (by id, from `offset`) and their total.
    pub async fn faq_page(
        &self,
        robot_id: i64,
        offset: i64,
        limit: i64,
    ) -> DbResult<(Vec<FaqRow>, i64)> {
        let rows: Vec<FaqRow> = sqlx::query_as(&format!(
            "SELECT {FAQ_COLS} FROM faqs WHERE robot_id = $1 ORDER BY id LIMIT $2 OFFSET $3"
        ))
        .bind(robot_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM faqs WHERE robot_id = $1")
            .bind(robot_id)
            .fetch_one(&self.pool)
            .await?;
        Ok((rows, total))
    }

    /// Adds entries to robot `robot` (one job: all or none) and bumps its version; returns
    /// the ids of the entries added, in order: the first ones, as many as the site's FAQ still
    /// has room for ([`MAX_FAQS_PER_SITE`], [`MAX_FAQ_CHARS_PER_SITE`]); the rest are not
    /// added.
    pub async fn add_faqs(&self, robot: &RobotRow, faqs: Vec<NewFaq>) -> DbResult<Vec<i64>> {
        let (robot_id, site_id) = (robot.id, robot.site_id);
        self.write(move |c| {
            Box::pin(async move {
                let now = now_ms();
                // What the site's FAQ uses so far (`sites.faq_entries`, `faq_chars`).
                let (mut entries, mut chars): (i64, i64) =
                    sqlx::query_as("SELECT faq_entries, faq_chars FROM sites WHERE id = $1")
                        .bind(site_id)
                        .fetch_one(&mut *c)
                        .await?;
                let before = (entries, chars);
                let mut ids = Vec::with_capacity(faqs.len());
                for f in &faqs {
                    let similar = serde_json::to_string(&f.similar).expect("strings serialise");
                    let size = (f.question.chars().count()
                        + f.answer.chars().count()
                        + similar.chars().count()) as i64;
                    if entries >= MAX_FAQS_PER_SITE || chars + size > MAX_FAQ_CHARS_PER_SITE {
                        // Full: this entry and the rest are not added (the caller reports them).
                        break;
                    }
                    entries += 1;
                    chars += size;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO faqs
                           (site_id, robot_id, faq_group, question, answer, phrasings, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    )
                    .bind(site_id)
                    .bind(robot_id)
                    .bind(f.faq_group)
                    .bind(&f.question)
                    .bind(&f.answer)
                    .bind(similar)
                    .bind(now)
                    .fetch_one(&mut *c)
                    .await?;
                    ids.push(id);
                }
                if !ids.is_empty() {
                    sqlx::query("UPDATE robots SET version = version + 1 WHERE id = $1")
                        .bind(robot_id)
                        .execute(&mut *c)
                        .await?;
                    sqlx::query(
                        "UPDATE sites SET faq_entries = faq_entries + $1, faq_chars = faq_chars + $2 WHERE id = $3",
                    )
                    .bind(entries - before.0)
                    .bind(chars - before.1)
                    .bind(site_id)
                    .execute(&mut *c)
                    .await?;
                }
                Ok(ids)
            })
        })
        .await
    }

    /// Deletes FAQ entry `id` (of site `site_id` only, if given) and bumps its robot's
    /// version; false if there is no such entry.
    pub async fn delete_faq(&self, site_id: Option<i64>, id: i64) -> DbResult<bool> {
        self.write(move |c| {
            Box::pin(async move {
                let gone: Option<(i64, i64, i64)> = sqlx::query_as(
                    "DELETE FROM faqs WHERE id = $1 AND ($2 = 0 OR site_id = $3) \
                     RETURNING robot_id, site_id, LENGTH(question) + LENGTH(answer) + LENGTH(phrasings)",
                )
                .bind(id)
                .bind(i64::from(site_id.is_some()))
                .bind(site_id.unwrap_or(0))
                .fetch_optional(&mut *c)
                .await?;
                let Some((robot, site, size)) = gone else {
                    return Ok(false);
                };
                sqlx::query("UPDATE robots SET version = version + 1 WHERE id = $1")
                    .bind(robot)
                    .execute(&mut *c)
                    .await?;
                sqlx::query(
                    "UPDATE sites SET faq_entries = faq_entries - 1, faq_chars = faq_chars - $1 WHERE id = $2",
                )
                .bind(size)
                .bind(site)
                .execute(&mut *c)
                .await?;
                Ok(true)
            })
        })
        .await
    }
}

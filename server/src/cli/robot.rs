//! `frontdesk admin robot|faq …`: FAQ robots and their entries (`crate::robot::manage`).

use std::path::PathBuf;

use clap::Subcommand;

use super::print_out;
use crate::admin::{self, AdminError};
use crate::db::Db;
use crate::robot::{faqfile, manage};

#[derive(Subcommand, Debug)]
pub enum RobotCmd {
    /// Create a robot; prints its robotid (the number pages ask for with seed 003 `robotid`).
    Create {
        /// The site's sysnum.
        #[arg(long)]
        site: String,
        #[arg(long)]
        name: String,
        /// Its robotid (default: one past the site's highest, 1 for the first).
        #[arg(long)]
        id: Option<i64>,
        /// Its greeting (default: a greeting in the visitor's language).
        #[arg(long, default_value = "")]
        hello: String,
        #[arg(long)]
        json: bool,
    },
    /// List a site's robots.
    List {
        #[arg(long)]
        site: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum FaqCmd {
    /// Add an FAQ entry; prints its id.
    Add {
        #[arg(long)]
        site: String,
        /// The robot's robotid (default: the site's default robot, created if it has none).
        #[arg(long)]
        robot: Option<i64>,
        /// The FAQ group (seed 003 `faqid`).
        #[arg(long)]
        faq_group: Option<i64>,
        #[arg(long)]
        question: String,
        #[arg(long)]
        answer: String,
        /// Another phrasing of the question (repeatable).
        #[arg(long = "similar")]
        similar: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Import entries from FILE: CSV with the header question,answer,similar,faq_group
    /// (similar phrasings separated by |) or JSON lines with those keys. Good rows are
    /// added, each bad row is reported with its line; exit status 2 if any row was bad.
    Import {
        #[arg(long)]
        site: String,
        /// The robot's robotid (default: the site's default robot, created if it has none).
        #[arg(long)]
        robot: Option<i64>,
        file: PathBuf,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List a robot's entries.
    List {
        #[arg(long)]
        site: String,
        #[arg(long)]
        robot: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Delete an entry.
    Delete {
        /// Only if the entry is this site's (sysnum).
        #[arg(long)]
        site: Option<String>,
        #[arg(long)]
        id: i64,
    },
}

/// Entry point of the `frontdesk` binary.
pub(super) async fn robot_cmd(db: &Db, cmd: RobotCmd) -> Result<(), AdminError> {
    match cmd {
        RobotCmd::Create {
            site,
            name,
            id,
            hello,
            json,
        } => {
            let site = admin::site_id(db, &site).await?;
            let r = manage::create_robot(db, site, id, &name, &hello).await?;
            print_out(
                json,
                &serde_json::json!({ "robotid": r.robotid }),
                &[("robotid", r.robotid.to_string())],
            );
        }
        RobotCmd::List { site, json } => {
            let site = admin::site_id(db, &site).await?;
            let robots = db.robots_of_site(site).await?;
            if json {
                let list: Vec<shared::robot::Robot> = robots
                    .iter()
                    .map(|r| shared::robot::Robot {
                        robotid: r.robotid,
                        name: r.name.clone(),
                        hello: r.hello.clone(),
                    })
                    .collect();
                println!("{}", serde_json::json!({ "robots": list }));
            } else {
                for r in robots {
                    println!("{}\t{}", r.robotid, r.name);
                }
            }
        }
    }
    Ok(())
}

/// Runs an `admin faq` command; true if an import refused some rows.
pub(super) async fn faq_cmd(db: &Db, cmd: FaqCmd) -> Result<bool, AdminError> {
    match cmd {
        FaqCmd::Add {
            site,
            robot,
            faq_group,
            question,
            answer,
            similar,
            json,
        } => {
            let site = admin::site_id(db, &site).await?;
            let faq = faqfile::validate(&question, &answer, &similar, faq_group)
                .map_err(AdminError::Invalid)?;
            let robot = manage::robot_to_edit(db, site, robot).await?;
            let id = manage::add_faq(db, &robot, faq).await?;
            print_out(
                json,
                &serde_json::json!({ "id": id }),
                &[("id", id.to_string())],
            );
        }
        FaqCmd::Import {
            site,
            robot,
            file,
            json,
        } => {
            let site = admin::site_id(db, &site).await?;
            let text = std::fs::read(&file)
                .map_err(|e| AdminError::Invalid(format!("cannot read {}: {e}", file.display())))?;
            let text = String::from_utf8(text).map_err(|e| {
                AdminError::Invalid(format!("{} is not UTF-8 text: {e}", file.display()))
            })?;
            let robot = manage::robot_to_edit(db, site, robot).await?;
            let report = manage::import(db, &robot, &text).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&report).expect("plain structs serialise")
                );
            } else {
                for e in &report.errors {
                    eprintln!("{}:{}: {}", file.display(), e.line, e.reason);
                }
                println!("robot {}: {}", report.robotid, manage::summary(&report));
            }
            return Ok(!report.errors.is_empty());
        }
        FaqCmd::List { site, robot, json } => {
            let site = admin::site_id(db, &site).await?;
            let Some(robot) = (match robot {
                Some(id) => db.robot_exact(site, id).await?,
                None => db.robot_for(site, None).await?,
            }) else {
                return Err(AdminError::Invalid("the site has no such robot".into()));
            };
            let (faqs, _) = db.faq_page(robot.id, 0, i64::MAX).await?;
            if json {
                let list: Vec<shared::robot::Faq> = faqs
                    .iter()
                    .map(|f| shared::robot::Faq {
                        id: f.id,
                        faq_group: f.faq_group,
                        question: f.question.clone(),
                        answer: f.answer.clone(),
                        similar: f.similar.clone(),
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({ "robotid": robot.robotid, "faqs": list })
                );
            } else {
                for f in faqs {
                    println!("{}\t{}", f.id, f.question);
                }
            }
        }
        FaqCmd::Delete { site, id } => {
            let site = match site {
                Some(s) => Some(admin::site_id(db, &s).await?),
                None => None,
            };
            if !db.delete_faq(site, id).await? {
                return Err(AdminError::Invalid(format!("no FAQ entry {id}")));
            }
            println!("FAQ entry {id} deleted");
        }
    }
    Ok(false)
}

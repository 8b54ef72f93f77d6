//! `frontdesk admin …`: sites, groups, agents, VIP levels, robots and FAQ entries. [`run`]
//! only dispatches; each area has one handler (`site_cmd`, `group_cmd`, …) that calls the
//! validated operations of `crate::admin` / `crate::robot::manage` and prints the result
//! (`--json`: exactly one JSON object).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use shared::agent::Role;

use super::data::{backup_cmd, restore_cmd, visitor_cmd, BackupArgs, RestoreArgs, VisitorCmd};
use super::robot::{faq_cmd, robot_cmd, FaqCmd, RobotCmd};
use super::workbench::{block_cmd, canned_cmd, report_cmd, BlockCmd, CannedCmd, ReportArgs};
use super::{print_json, print_out, DbArg};
use crate::admin::{self, AdminError, NewAgent, SiteSettings};
use crate::db::{self, Db};

#[derive(Args, Debug)]
pub struct AdminArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(subcommand)]
    pub what: AdminWhat,
}

#[derive(Subcommand, Debug)]
pub enum AdminWhat {
    /// Sites (customer websites).
    #[command(subcommand)]
    Site(SiteCmd),
    /// Skill groups.
    #[command(subcommand)]
    Group(GroupCmd),
    /// Agents.
    #[command(subcommand)]
    Agent(AgentCmd),
    /// VIP levels (routing priority for `vip_level` / `is_vip`).
    #[command(subcommand)]
    Vip(VipCmd),
    /// FAQ robots.
    #[command(subcommand)]
    Robot(RobotCmd),
    /// A robot's FAQ entries.
    #[command(subcommand)]
    Faq(FaqCmd),
    /// Write a consistent backup of the whole database while it serves.
    Backup(BackupArgs),
    /// Put a backup into an empty database (refused otherwise).
    Restore(RestoreArgs),
    /// One visitor's data, on their request: export or erase.
    #[command(subcommand)]
    Visitor(VisitorCmd),
    /// Canned replies: the site's and its agents' own.
    #[command(subcommand)]
    Canned(CannedCmd),
    /// Blocks: visitors and address ranges kept out of a site's chat.
    #[command(subcommand)]
    Block(BlockCmd),
    /// A site's figures over a range of days: conversations, messages, first response and
    /// resolution times (p50/p90), abandoned, CSAT, per day, hour, agent and group.
    Report(ReportArgs),
    /// Leave a message: the forms (templates) and the messages visitors left.
    #[command(subcommand)]
    Leave(LeaveCmd),
    /// Visitors' ratings of chats, newest first.
    Ratings {
        #[arg(long)]
        site: String,
        /// Only ratings given or changed on or after this day (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum LeaveCmd {
    /// Leave-message forms (seed 003 `templateid`).
    #[command(subcommand)]
    Template(LeaveTemplateCmd),
    /// The messages visitors left, newest first.
    List {
        #[arg(long)]
        site: String,
        /// At most this many.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum LeaveTemplateCmd {
    /// Add a form; prints its templateid. The message itself is always asked for.
    Add {
        #[arg(long)]
        site: String,
        #[arg(long)]
        name: String,
        /// A field beside the message, `KIND[*]:LABEL` (KIND text, phone or email; `*`
        /// required), e.g. `phone*:手机号`. Repeatable, in order; sent as f1, f2, ….
        #[arg(long = "field")]
        fields: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List a site's forms.
    List {
        #[arg(long)]
        site: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum VipCmd {
    /// Add a VIP level, or change the one with this id.
    Add {
        #[arg(long)]
        site: String,
        /// What `vip_level` may say (or the name).
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// Higher ranks are served first (0-1000000).
        #[arg(long)]
        rank: i64,
    },
    /// List a site's VIP levels, highest rank first.
    List {
        #[arg(long)]
        site: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SiteCmd {
    /// Create a site; prints sysnum, business_id, appid, secret and sign_key. A site moving
    /// from the hosted system keeps its ids: give them and they are kept (a malformed id or
    /// one another site has is an error).
    Create {
        #[arg(long)]
        name: String,
        /// Keep this sysnum (32 lowercase hex), so existing snippets and chat links work.
        #[arg(long)]
        sysnum: Option<String>,
        /// Keep this business_id (seed 000), a positive integer.
        #[arg(long)]
        business_id: Option<i64>,
        /// Keep this seed 002 appid (needs --secret).
        #[arg(long, requires = "secret")]
        appid: Option<String>,
        /// Keep this seed 002 secret (needs --appid).
        #[arg(long, requires = "appid")]
        secret: Option<String>,
        /// Keep this security-check key (sign = MD5(sysnum + sign_key + partnerid)).
        #[arg(long)]
        sign_key: Option<String>,
        /// The server's public URL, for the snippet printed (default: the one `serve` last
        /// started with).
        #[arg(long, env = "FRONTDESK_PUBLIC_URL")]
        public_url: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the sites (sysnum, business_id, name, appid, origins, agents); `--json`: one
    /// JSON array.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one site: its credentials, chat link and the snippet to paste.
    Show {
        /// The site's sysnum.
        #[arg(long)]
        site: String,
        /// The server's public URL, for the snippet (default: the one `serve` last started
        /// with).
        #[arg(long, env = "FRONTDESK_PUBLIC_URL")]
        public_url: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change a site's settings.
    Set {
        /// The site's sysnum.
        #[arg(long)]
        site: String,
        /// Custom push (webhook) URL; "" clears it.
        #[arg(long)]
        push_url: Option<String>,
        /// Allow pushes to loopback/private addresses (true/false; bare flag = true).
        #[arg(long, num_args = 0..=1, default_missing_value = "true")]
        push_allow_private: Option<bool>,
        /// Visitor security check: off, md5 (seed 003) or hmac (recommended).
        #[arg(long, value_parser = ["off", "md5", "hmac"])]
        sign_check: Option<String>,
        /// Whether queue priority (queueFirst, is_vip, vip_level) and greeting texts given
        /// only by the page count: auto (yes unless the sign check is on), on, off.
        #[arg(long, value_parser = ["auto", "on", "off"])]
        page_trust: Option<String>,
        /// Origins allowed to embed the chat, comma-separated ("" allows any).
        #[arg(long)]
        origins: Option<String>,
        /// Reception mode for pages that do not say: 1 robot only, 2 human only (default),
        /// 3 robot first, 4 human first.
        #[arg(long)]
        reception: Option<i64>,
        /// Robot answers that miss before `show_manual` shows the hand-over control.
        #[arg(long)]
        manual_after: Option<i64>,
        /// Shown when nobody is available ("" clears).
        #[arg(long)]
        offline_title: Option<String>,
        /// Said to the visitor when an agent takes the chat ("" clears).
        #[arg(long)]
        agent_hello: Option<String>,
        /// Platform code linking sites for flowType overflow ("" unlinks).
        #[arg(long)]
        platform: Option<String>,
        /// Delete the site's messages and uploads older than this many days (swept in the
        /// background by one node at a time; 0 keeps them for ever, the default).
        #[arg(long)]
        retain_days: Option<i64>,
        /// Whether ending a chat needs a category and a summary (true/false).
        #[arg(long)]
        summary_required: Option<bool>,
        /// The categories a chat's summary offers, comma-separated ("" allows any text).
        #[arg(long)]
        summary_categories: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum GroupCmd {
    /// Disable a group (its agents with no other enabled group are logged out).
    Disable {
        #[arg(long)]
        site: String,
        #[arg(long)]
        id: i64,
    },
    /// Enable a disabled group again.
    Enable {
        #[arg(long)]
        site: String,
        #[arg(long)]
        id: i64,
    },
    /// Create a group; prints id and groupname.
    Create {
        #[arg(long)]
        site: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
        /// The hosted system's id of the group (groupid / deciId / flowGroupId may name it).
        #[arg(long)]
        external_id: Option<String>,
        /// Working hours, e.g. "Mon-Fri 09:00-18:00; Sat 10:00-14:00" (none: always on duty).
        #[arg(long)]
        hours: Option<String>,
        /// Time zone of the hours (IANA name, e.g. Asia/Shanghai; default UTC).
        #[arg(long)]
        tz: Option<String>,
    },
    /// Change a group's external id or working hours ("" clears).
    Set {
        #[arg(long)]
        site: String,
        #[arg(long)]
        id: i64,
        #[arg(long)]
        external_id: Option<String>,
        #[arg(long)]
        hours: Option<String>,
        #[arg(long)]
        tz: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgentCmd {
    /// Disable an agent: no login (-31003), open sockets closed.
    Disable {
        #[arg(long)]
        account: String,
    },
    /// Enable a disabled agent again.
    Enable {
        #[arg(long)]
        account: String,
    },
    /// Revoke every token of an agent (open sockets closed; it must log in again).
    Revoke {
        #[arg(long)]
        account: String,
    },
    /// List a site's agents (kf_id, kf_account, kf_nick, max_chats, disabled, groups);
    /// `--json`: one JSON array.
    List {
        #[arg(long)]
        site: String,
        #[arg(long)]
        json: bool,
    },
    /// Create an agent; prints kf_id and kf_account.
    Create {
        #[arg(long)]
        site: String,
        /// prefix@site
        #[arg(long)]
        account: String,
        #[arg(long)]
        nick: String,
        #[arg(long, env = "FRONTDESK_AGENT_PASSWORD")]
        password: String,
        /// Group id (repeatable).
        #[arg(long = "group")]
        groups: Vec<i64>,
        /// Most conversations served at once.
        #[arg(long, default_value_t = 5)]
        max_chats: i64,
        /// agent (its own chats), supervisor (also sees every chat of the site, joins or
        /// takes one) or admin (also the site's settings in the console).
        #[arg(long, default_value = "agent", value_parser = role)]
        role: Role,
        #[arg(long)]
        json: bool,
        /// The hosted system's id of the agent (agentid / deciId may name it).
        #[arg(long)]
        external_id: Option<String>,
    },
    /// Change an agent: nick, most chats, groups (--group replaces them all).
    Set {
        /// prefix@site
        #[arg(long)]
        account: String,
        /// The agent's site (default: the account's; an account of another site is refused).
        #[arg(long)]
        site: Option<String>,
        /// Its avatar: an http(s) URL (encoded or not); "" clears it.
        #[arg(long)]
        avatar: Option<String>,
        #[arg(long)]
        nick: Option<String>,
        #[arg(long)]
        max_chats: Option<i64>,
        /// agent, supervisor or admin.
        #[arg(long, value_parser = role)]
        role: Option<Role>,
        /// Group id (repeatable): the agent's groups from now on.
        #[arg(long = "group")]
        groups: Vec<i64>,
        /// Take the agent out of every group.
        #[arg(long, conflicts_with = "groups")]
        no_groups: bool,
    },
    /// Set an agent's password (e.g. one created by seed 002's kfaccount/add, which gets a
    /// random one); revokes the agent's current login tokens.
    Passwd {
        /// prefix@site
        #[arg(long)]
        account: String,
        #[arg(long, env = "FRONTDESK_AGENT_PASSWORD")]
        password: String,
    },
}

/// A `--role` value.
fn role(s: &str) -> Result<Role, String> {
    Role::try_from(s.to_owned())
}

/// `frontdesk admin …`: opens the database and dispatches to the area's handler. Exit
/// status: 0 done, 1 the database failed, 2 invalid input (or an import that refused rows).
pub(super) async fn run(args: AdminArgs) -> ExitCode {
    // These two work on the database as it is: they must not open (migrate) it first.
    let what = match args.what {
        AdminWhat::Backup(a) => return backup_cmd(&args.db.database_url, a).await,
        AdminWhat::Restore(a) => return restore_cmd(&args.db.database_url, a).await,
        what => what,
    };
    let db = match Db::open(&args.db.database_url).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!(
                "error: opening {}: {e}",
                db::display_url(&args.db.database_url)
            );
            return ExitCode::FAILURE;
        }
    };
    // What follows `admin` on the command line: a change is written to the site's audit log
    // once it succeeded.
    let argv: Vec<String> = std::env::args()
        .skip_while(|a| a != "admin")
        .skip(1)
        .collect();
    let change = super::audit::change(&argv);
    let mut created = None;
    // An import that refused some rows (reported) ends with exit status 2.
    let result = match what {
        AdminWhat::Site(cmd) => site_cmd(&db, cmd).await.map(|s| {
            created = s;
            false
        }),
        AdminWhat::Group(cmd) => group_cmd(&db, cmd).await.map(|()| false),
        AdminWhat::Agent(cmd) => agent_cmd(&db, cmd).await.map(|()| false),
        AdminWhat::Vip(cmd) => vip_cmd(&db, cmd).await.map(|()| false),
        AdminWhat::Robot(cmd) => robot_cmd(&db, cmd).await.map(|()| false),
        AdminWhat::Faq(cmd) => faq_cmd(&db, cmd).await,
        AdminWhat::Visitor(cmd) => visitor_cmd(&db, cmd).await.map(|()| false),
        AdminWhat::Canned(cmd) => canned_cmd(&db, cmd).await,
        AdminWhat::Block(cmd) => block_cmd(&db, cmd).await.map(|()| false),
        AdminWhat::Report(args) => report_cmd(&db, args).await.map(|()| false),
        AdminWhat::Leave(cmd) => leave_cmd(&db, cmd).await.map(|()| false),
        AdminWhat::Ratings {
            site,
            since,
            limit,
            json,
        } => ratings_cmd(&db, &site, since.as_deref(), limit, json)
            .await
            .map(|()| false),
        AdminWhat::Backup(_) | AdminWhat::Restore(_) => unreachable!("handled above"),
    };
    if let (Ok(_), Some(c)) = (&result, &change) {
        super::audit::record(&db, c, created.as_deref()).await;
    }
    db.close().await;
    match result {
        Ok(true) => ExitCode::from(2),
        Ok(false) => ExitCode::SUCCESS,
        Err(AdminError::Db(e)) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// A site's command; returns the sysnum of a site it created.
async fn site_cmd(db: &Db, cmd: SiteCmd) -> Result<Option<String>, AdminError> {
    match cmd {
        SiteCmd::Create {
            name,
            sysnum,
            business_id,
            appid,
            secret,
            sign_key,
            public_url,
            json,
        } => {
            let ids = admin::SiteIds {
                sysnum,
                business_id,
                appid,
                secret,
                sign_key,
            };
            // Checked first: a bad URL creates nothing.
            let url = admin::public_url(db, public_url.as_deref()).await?;
            let s = admin::import_site(db, ids, &name).await?;
            print_out(
                json,
                &s,
                &[
                    ("sysnum", s.sysnum.clone()),
                    ("business_id", s.business_id.to_string()),
                    ("appid", s.appid.clone()),
                    ("secret", s.secret.clone()),
                    ("sign_key", s.sign_key.clone()),
                ],
            );
            if !json {
                print_snippet(&url, &s.sysnum);
            }
            return Ok(Some(s.sysnum));
        }
        SiteCmd::List { json } => {
            let sites = admin::list_sites(db).await?;
            if json {
                print_json(&sites);
            } else {
                for s in &sites {
                    println!(
                        "{}\t{}\t{}\t{} agent(s)\t{}",
                        s.sysnum, s.business_id, s.appid, s.agents, s.name
                    );
                }
            }
        }
        SiteCmd::Show {
            site,
            public_url,
            json,
        } => {
            let url = admin::public_url(db, public_url.as_deref()).await?;
            let d = admin::site_details(db, &site, &url).await?;
            print_out(
                json,
                &d,
                &[
                    ("name", d.name.clone()),
                    ("sysnum", d.sysnum.clone()),
                    ("business_id", d.business_id.to_string()),
                    ("appid", d.appid.clone()),
                    ("secret", d.secret.clone()),
                    ("sign_key", d.sign_key.clone()),
                    ("sign_check", d.sign_check.clone()),
                    ("origins", d.origins.join(",")),
                    ("push_url", d.push_url.clone().unwrap_or_default()),
                ],
            );
            if !json {
                print_snippet(&url, &d.sysnum);
            }
        }
        SiteCmd::Set {
            site,
            push_url,
            push_allow_private,
            sign_check,
            page_trust,
            origins,
            reception,
            manual_after,
            offline_title,
            agent_hello,
            platform,
            retain_days,
            summary_required,
            summary_categories,
        } => {
            if let Some(days) = retain_days {
                admin::set_retention(db, &site, days).await?;
            }
            if summary_required.is_some() || summary_categories.is_some() {
                admin::set_summary_rules(
                    db,
                    &site,
                    summary_required,
                    summary_categories.as_deref(),
                )
                .await?;
            }
            let r = admin::ReceptionSettings {
                reception,
                manual_after,
                offline_title,
                agent_hello,
                platform,
            };
            let settings = SiteSettings {
                push_url,
                push_allow_private,
                sign_check,
                page_trust,
                origins,
            };
            admin::change_site(db, &site, settings, r).await?;
            println!("site {site} updated");
        }
    }
    Ok(None)
}

async fn group_cmd(db: &Db, cmd: GroupCmd) -> Result<(), AdminError> {
    match cmd {
        GroupCmd::Create {
            site,
            name,
            json,
            external_id,
            hours,
            tz,
        } => {
            let s = admin::GroupSettings {
                external_id,
                hours,
                tz,
            };
            let g = admin::create_group_with(db, &site, &name, s).await?;
            print_out(
                json,
                &g,
                &[("id", g.id.to_string()), ("groupname", g.groupname.clone())],
            );
        }
        GroupCmd::Set {
            site,
            id,
            external_id,
            hours,
            tz,
        } => {
            let s = admin::GroupSettings {
                external_id,
                hours,
                tz,
            };
            admin::set_group(db, &site, id, s).await?;
            println!("group {id} updated");
        }
        GroupCmd::Disable { site, id } => {
            admin::set_group_disabled(db, &site, id, true).await?;
            println!("group {id} disabled");
        }
        GroupCmd::Enable { site, id } => {
            admin::set_group_disabled(db, &site, id, false).await?;
            println!("group {id} enabled");
        }
    }
    Ok(())
}

async fn agent_cmd(db: &Db, cmd: AgentCmd) -> Result<(), AdminError> {
    match cmd {
        AgentCmd::Create {
            site,
            account,
            nick,
            password,
            groups,
            max_chats,
            role,
            json,
            external_id,
        } => {
            if let Some(x) = external_id.as_deref() {
                // Checked before the agent exists, so a bad one creates nothing.
                admin::check_new_agent_external_id(db, &site, x).await?;
            }
            let a = admin::create_agent(
                db,
                NewAgent {
                    sysnum: &site,
                    account: &account,
                    nick: &nick,
                    password: &password,
                    groups: &groups,
                    max_chats,
                    role,
                },
            )
            .await?;
            if let Some(x) = external_id.as_deref() {
                let kf_id = a.kf_id.parse().unwrap_or_default();
                admin::set_agent_external_id(db, &site, kf_id, x).await?;
            }
            print_out(
                json,
                &a,
                &[
                    ("kf_id", a.kf_id.clone()),
                    ("kf_account", a.kf_account.clone()),
                ],
            );
        }
        AgentCmd::List { site, json } => {
            let agents = admin::list_agents(db, &site).await?;
            if json {
                print_json(&agents);
            } else {
                for a in &agents {
                    let groups: Vec<String> = a.groups.iter().map(i64::to_string).collect();
                    println!(
                        "{}\t{}\t{}\t{}\tmax {}\tgroups {}{}",
                        a.kf_id,
                        a.kf_account,
                        a.nick,
                        a.role.as_str(),
                        a.max_chats,
                        if groups.is_empty() {
                            "-".to_owned()
                        } else {
                            groups.join(",")
                        },
                        if a.disabled { "\tdisabled" } else { "" }
                    );
                }
            }
        }
        AgentCmd::Set {
            account,
            site,
            avatar,
            nick,
            max_chats,
            role,
            groups,
            no_groups,
        } => {
            let groups = (no_groups || !groups.is_empty()).then_some(groups);
            let s = shared::admin::AgentSet {
                account: account.clone(),
                nick,
                max_chats,
                groups,
                avatar,
                role,
                ..Default::default()
            };
            let site = match site {
                Some(site) => site,
                None => admin::site_of_agent(db, &account).await?,
            };
            admin::set_agent(db, &site, s).await?;
            println!("agent {} updated", account.trim());
        }
        AgentCmd::Passwd { account, password } => {
            admin::set_password(db, &account, &password).await?;
            println!("password of {} set", account.trim());
        }
        AgentCmd::Disable { account } => {
            admin::set_agent_disabled(db, &account, true).await?;
            println!("agent {account} disabled");
        }
        AgentCmd::Enable { account } => {
            admin::set_agent_disabled(db, &account, false).await?;
            println!("agent {account} enabled");
        }
        AgentCmd::Revoke { account } => {
            let n = admin::revoke_agent(db, &account).await?;
            println!("agent {account}: {n} token(s) revoked");
        }
    }
    Ok(())
}

async fn vip_cmd(db: &Db, cmd: VipCmd) -> Result<(), AdminError> {
    match cmd {
        VipCmd::Add {
            site,
            id,
            name,
            rank,
        } => {
            admin::put_vip_level(db, &site, &id, &name, rank).await?;
            println!("VIP level {} set", id.trim());
        }
        VipCmd::List { site, json } => {
            let levels = admin::vip_levels(db, &site).await?;
            if json {
                println!("{}", serde_json::json!({ "levels": levels }));
            } else {
                for l in &levels {
                    println!("{}\t{}\t{}", l.level_id, l.name, l.rank);
                }
            }
        }
    }
    Ok(())
}

/// The snippet a site pastes, and its chat link, for `site create` / `site show`.
fn print_snippet(public_url: &str, sysnum: &str) {
    println!();
    println!("Paste this before </body> on every page of your shop:");
    println!();
    println!("{}", admin::snippet(public_url, sysnum));
    println!();
    println!("Chat link (phones, WeChat): {public_url}/chat/h5/v2/index.html?sysnum={sysnum}");
    println!("Agents answer at: {public_url}/console/");
}

async fn leave_cmd(db: &Db, cmd: LeaveCmd) -> Result<(), AdminError> {
    match cmd {
        LeaveCmd::Template(LeaveTemplateCmd::Add {
            site,
            name,
            fields,
            json,
        }) => {
            let t = admin::add_leave_template(db, &site, &name, &fields).await?;
            print_out(
                json,
                &serde_json::json!({ "templateid": t.templateid }),
                &[("templateid", t.templateid.to_string())],
            );
        }
        LeaveCmd::Template(LeaveTemplateCmd::List { site, json }) => {
            let list = admin::leave_templates(db, &site).await?;
            if json {
                println!("{}", serde_json::to_value(&list).unwrap_or_default());
            } else {
                for t in list {
                    let fields: Vec<String> = t
                        .fields
                        .iter()
                        .map(|f| {
                            let kind = serde_json::to_value(f.kind).unwrap_or_default();
                            let req = if f.required { "*" } else { "" };
                            format!("{}{req}:{}", kind.as_str().unwrap_or(""), f.label)
                        })
                        .collect();
                    println!("{}\t{}\t{}", t.templateid, t.name, fields.join(", "));
                }
            }
        }
        LeaveCmd::List { site, limit, json } => {
            let list = admin::left_messages(db, &site, limit.clamp(1, 100_000)).await?;
            if json {
                println!("{}", serde_json::to_value(&list).unwrap_or_default());
            } else {
                for m in list {
                    let state = match (&m.answer, m.done) {
                        (Some(_), _) => "answered",
                        (None, true) => "done",
                        (None, false) => "open",
                    };
                    let fields: Vec<String> = m
                        .fields
                        .iter()
                        .map(|f| format!("{}: {}", f.label, f.value))
                        .collect();
                    println!(
                        "{}\t{state}\tvisitor {}\t{}\t{}",
                        m.id,
                        m.gid,
                        fields.join("; "),
                        m.content.replace('\n', " ")
                    );
                }
            }
        }
    }
    Ok(())
}

async fn ratings_cmd(
    db: &Db,
    site: &str,
    since: Option<&str>,
    limit: i64,
    json: bool,
) -> Result<(), AdminError> {
    let list = admin::ratings(db, site, since, limit.clamp(1, 100_000)).await?;
    if json {
        println!("{}", serde_json::to_value(&list).unwrap_or_default());
    } else {
        for r in list {
            println!(
                "{}\tvisitor {} {}\t{}\t{}/5\t{}",
                r.at,
                r.gid,
                r.visitor,
                r.agent,
                r.score,
                r.comment.replace('\n', " ")
            );
        }
    }
    Ok(())
}

//! A customer's data on request (issue 26): everything stored about one visitor as one JSON
//! document ([`export_visitor`]), erasing it ([`erase_visitor`]: the text of their messages,
//! their uploads, visits and profile go; counts and sequence numbers stay; the erasure is
//! logged), and a site's retention ([`set_retention`], swept by `crate::cluster`).

use serde::Serialize;
use serde_json::Value;

use super::{site_id, AdminError};
use crate::db::{Db, Erasure, StoredPage};

/// Whom a request is about: the site's visitor with this `partnerid`, or with this id
/// (`gid`).
#[derive(Debug, Clone)]
pub enum Whom {
    Partner(String),
    Visitor(i64),
}

/// Everything stored about one visitor.
#[derive(Debug, Serialize)]
pub struct VisitorExport {
    pub site: String,
    pub visitor: Profile,
    /// The conversation, oldest first.
    pub conversation: Vec<ExportedMessage>,
    /// The uploads its messages link to (metadata; the files are at their `url`s).
    pub uploads: Vec<Upload>,
    /// The CRM/routing values the pages reported (the latest), and the browse trace.
    pub visits: Visits,
    /// Earlier erasures of this visitor.
    pub erasures: Vec<Erasure>,
    /// Their ratings of chats.
    pub ratings: Vec<shared::rating::Rating>,
    /// The messages they left (留言), with agents' answers.
    pub left_messages: Vec<shared::leave::LeftMessage>,
}

#[derive(Debug, Serialize)]
pub struct Profile {
    pub id: i64,
    pub partnerid: Option<String>,
    pub claimed_partnerid: String,
    pub uname: String,
    pub source: String,
    pub group_id: Option<i64>,
    pub route: Option<Value>,
    pub serving_agent: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct ExportedMessage {
    pub seq: i64,
    pub author: &'static str,
    pub agent_id: Option<i64>,
    pub agent_nick: Option<String>,
    /// Seed 001 `file_type`.
    pub kind: u8,
    pub body: String,
    /// Unix milliseconds.
    pub at: i64,
}

#[derive(Debug, Serialize)]
pub struct Upload {
    pub id: String,
    pub name: String,
    pub mime: String,
    pub kind: i64,
    pub size: i64,
}

#[derive(Debug, Serialize)]
pub struct Visits {
    pub params: Option<Value>,
    pub pages: Vec<Page>,
}

#[derive(Debug, Serialize)]
pub struct Page {
    pub kind: String,
    pub url: String,
    pub title: String,
    pub referrer: String,
    pub args: Value,
    pub at: i64,
}

impl From<StoredPage> for Page {
    fn from(p: StoredPage) -> Page {
        Page {
            args: serde_json::from_str(&p.args).unwrap_or(Value::Null),
            kind: p.kind,
            url: p.url,
            title: p.title,
            referrer: p.referrer,
            at: p.at,
        }
    }
}

/// The upload ids (`/files/{32 hex}/…`) a message body links to.
fn file_ids(body: &str) -> impl Iterator<Item = String> + '_ {
    body.match_indices("/files/").filter_map(|(i, m)| {
        let id = body.get(i + m.len()..i + m.len() + 32)?;
        id.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            .then(|| id.to_owned())
    })
}

/// The site's visitor a request names.
async fn find(db: &Db, site: i64, whom: &Whom) -> Result<crate::db::Visitor, AdminError> {
    let v = match whom {
        Whom::Partner(p) => db.visitor_by_partnerid(site, p).await?,
        Whom::Visitor(id) => db.visitor_by_id(*id).await?.filter(|v| v.site_id == site),
    };
    v.ok_or_else(|| {
        AdminError::Invalid(match whom {
            Whom::Partner(p) => format!("the site has no visitor with partnerid {p}"),
            Whom::Visitor(id) => format!("the site has no visitor {id}"),
        })
    })
}

/// Everything stored about the visitor `whom` of site `sysnum`.
pub async fn export_visitor(
    db: &Db,
    sysnum: &str,
    whom: &Whom,
) -> Result<VisitorExport, AdminError> {
    let site = site_id(db, sysnum).await?;
    let v = find(db, site, whom).await?;
    let messages = db
        .messages_after(v.id, shared::ids::Seq(0), i64::MAX)
        .await?;
    let mut uploads: Vec<Upload> = Vec::new();
    for id in messages.iter().flat_map(|m| file_ids(&m.body)) {
        if uploads.iter().any(|u| u.id == id) {
            continue;
        }
        if let Some(f) = db.file(&id).await?.filter(|f| f.site_id == site) {
            uploads.push(Upload {
                id: f.id,
                name: f.name,
                mime: f.mime,
                kind: f.kind,
                size: f.size,
            });
        }
    }
    let (params, pages) = db.visitor_visits(site, v.id).await?;
    Ok(VisitorExport {
        site: sysnum.to_owned(),
        conversation: messages
            .into_iter()
            .map(|m| ExportedMessage {
                seq: m.seq,
                author: m.author.as_str(),
                agent_id: m.agent_id,
                agent_nick: m.agent_nick,
                kind: u8::from(m.kind),
                body: m.body,
                at: m.created_at,
            })
            .collect(),
        uploads,
        visits: Visits {
            params: params.and_then(|p| serde_json::from_str(&p).ok()),
            pages: pages.into_iter().map(Page::from).collect(),
        },
        erasures: db.visitor_erasures(v.id).await?,
        ratings: db
            .visitor_ratings(v.id)
            .await?
            .into_iter()
            .map(crate::wire::rating)
            .collect(),
        left_messages: db
            .visitor_left_messages(v.id)
            .await?
            .into_iter()
            .map(crate::wire::left_message)
            .collect(),
        visitor: Profile {
            id: v.id,
            partnerid: v.partnerid,
            claimed_partnerid: v.claimed_partnerid,
            uname: v.uname,
            source: v.source,
            group_id: v.group_id,
            route: v.route.and_then(|r| serde_json::from_str(&r).ok()),
            serving_agent: v.agent_id,
        },
    })
}

/// Erases the visitor `whom` of site `sysnum` (see `Db::erase_visitor`) and logs it.
pub async fn erase_visitor(
    db: &Db,
    sysnum: &str,
    whom: &Whom,
    reason: &str,
) -> Result<Erasure, AdminError> {
    if reason.chars().count() > 500 {
        return Err(AdminError::Invalid("reason: at most 500 characters".into()));
    }
    let site = site_id(db, sysnum).await?;
    let v = find(db, site, whom).await?;
    let mut files: Vec<String> = Vec::new();
    for m in db
        .messages_after(v.id, shared::ids::Seq(0), i64::MAX)
        .await?
    {
        for id in file_ids(&m.body) {
            if !files.contains(&id) {
                files.push(id);
            }
        }
    }
    let e = db
        .erase_visitor(site, v.id, files, reason.to_owned())
        .await?;
    db.metrics().erased.inc();
    tracing::warn!(
        site = sysnum,
        visitor = v.id,
        messages = e.messages,
        files = e.files,
        visits = e.visits,
        reason,
        "visitor erased on request"
    );
    Ok(e)
}

/// Whether `days` is a retention a site may have.
pub fn check_retention(days: i64) -> Result<(), AdminError> {
    if !(0..=36_500).contains(&days) {
        return Err(AdminError::Invalid(
            "retain days must be 0 (keep for ever) to 36500".into(),
        ));
    }
    Ok(())
}

/// Keeps site `sysnum`'s messages and uploads `days` days (0: for ever).
pub async fn set_retention(db: &Db, sysnum: &str, days: i64) -> Result<(), AdminError> {
    check_retention(days)?;
    let site = site_id(db, sysnum).await?;
    db.set_site_retention(site, (days > 0).then_some(days))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_ids_are_read_from_upload_urls_only() {
        let id = "0123456789abcdef0123456789abcdef";
        let body = format!("http://h/files/{id}/a.png and /files/nothex/x /files/{id}/b");
        let ids: Vec<String> = super::file_ids(&body).collect();
        assert_eq!(ids, vec![id.to_owned(), id.to_owned()]);
        assert_eq!(super::file_ids("/files/abc").count(), 0);
    }
}

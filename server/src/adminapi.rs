//! The site admin API beside the FAQ robot's (`crate::robotapi`, whose token check, errors
//! and answer style it shares), for the console's admin view (issue 25): the site's
//! settings, blocks, reports. Wire shapes in `shared::admin`, `shared::workbench` and
//! `shared::report`; validation is `crate::admin`'s, as the CLI's is (the same error texts,
//! as 40035 `invalid parameter: …`).
//!
//! - `GET /api/admin/site` → `SiteAnswer` (the settings now)
//! - `POST /api/admin/site/set` body `shared::admin::SiteSettings` (absent fields kept) →
//!   `Status`; what `frontdesk admin site set` does (`admin::change_site`)
//! - `GET /api/admin/group/list` → `GroupList` (with the time zones hours may be in)
//! - `POST /api/admin/group/save` body `GroupSave` → `Saved` (`admin::save_group`: create
//!   without `id`, else change)
//! - `GET /api/admin/agent/list` → `AgentList`
//! - `POST /api/admin/agent/create` body `AgentCreate` → `Saved` (`kf_id`)
//! - `POST /api/admin/agent/set` body `AgentSet` → `Status` (`admin::set_agent`)
//! - `GET /api/admin/vip/list` → `VipList`; `POST /api/admin/vip/put` body `VipLevel` →
//!   `Status` (`admin::put_vip_level`, as `admin vip add`)
//! - `GET /api/admin/audit` → `AuditList`: every change made through this API and the FAQ
//!   robot's (`audit`), newest first
//! - `GET /api/admin/block/list` → `BlockList` (the blocks in force, newest first)
//! - `POST /api/admin/block/add` body `BlockAdd` → `BlockAdded`
//! - `POST /api/admin/block/delete` body `BlockDelete` → `Status` (46003: no such block)
//! - `GET /api/admin/report?since=&until=&tz=` → `shared::report::ReportAnswer` (a range or
//!   zone that is not one: 40035 with the reason)
//! - `GET /api/admin/leave/template/list` → `TemplateList`; `POST
//!   /api/admin/leave/template/add` body `TemplateAdd` → `Saved` (`admin::add_leave_template`,
//!   as `admin leave template add`)
//! - `GET /api/admin/canned/list` → `CannedList` (the site's); `POST /api/admin/canned/add`
//!   body `CannedAdd` → `Saved`; `POST /api/admin/canned/delete` body `CannedDelete` →
//!   `Status` (`admin::add_canned`, `delete_canned`, as `admin canned add|delete`)
//!
//! The caller is the site (its access token) or an agent of it with the `admin` role (its
//! console token; `crate::robotapi::site`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::admin::{
    AgentCreate, AgentList, AgentSet, AuditEntry, AuditList, CannedAdd, CannedDelete, CannedList,
    GroupList, GroupSave, Saved, SiteAnswer, SiteCanned, SiteSettings, TemplateAdd, TemplateList,
    VipLevel, VipList,
};
use shared::report::ReportAnswer;
use shared::robot::{Status, OK};
use shared::workbench::{BlockAdd, BlockAdded, BlockDelete, BlockList};

use crate::compat::{Params, WxError};
use crate::robotapi::{audit, body_json, site, ApiError, ApiResult};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/admin/site",
            get(site_get).fallback(|| async { ApiError::Wx(WxError::RequireGet) }),
        )
        .route(
            "/api/admin/site/set",
            post(site_set).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
        .route(
            "/api/admin/group/list",
            get(group_list).fallback(|| async { ApiError::Wx(WxError::RequireGet) }),
        )
        .route(
            "/api/admin/group/save",
            post(group_save).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
        .route(
            "/api/admin/agent/list",
            get(agent_list).fallback(|| async { ApiError::Wx(WxError::RequireGet) }),
        )
        .route(
            "/api/admin/agent/create",
            post(agent_create).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
        .route(
            "/api/admin/agent/set",
            post(agent_set).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
        .route(
            "/api/admin/vip/list",
            get(vip_list).fallback(|| async { ApiError::Wx(WxError::RequireGet) }),
        )
        .route(
            "/api/admin/vip/put",
            post(vip_put).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
        .route(
            "/api/admin/audit",
            get(audit_list).fallback(|| async { ApiError::Wx(WxError::RequireGet) }),
        )
        .route(
            "/api/admin/block/list",
            get(list).fallback(|| async { ApiError::Wx(WxError::RequireGet) }),
        )
        .route(
            "/api/admin/block/add",
            post(add).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
        .route(
            "/api/admin/block/delete",
            post(delete).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
        .route(
            "/api/admin/report",
            get(report).fallback(|| async { ApiError::Wx(WxError::RequireGet) }),
        )
        .route(
            "/api/admin/leave/template/list",
            get(template_list).fallback(|| async { ApiError::Wx(WxError::RequireGet) }),
        )
        .route(
            "/api/admin/leave/template/add",
            post(template_add).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
        .route(
            "/api/admin/canned/list",
            get(canned_list).fallback(|| async { ApiError::Wx(WxError::RequireGet) }),
        )
        .route(
            "/api/admin/canned/add",
            post(canned_add).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
        .route(
            "/api/admin/canned/delete",
            post(canned_delete).fallback(|| async { ApiError::Wx(WxError::RequirePost) }),
        )
}

async fn template_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> ApiResult<TemplateList> {
    let (site, _) = site(&state, &headers, q).await?;
    Ok(Json(TemplateList {
        errcode: OK,
        errmsg: "ok".into(),
        templates: crate::admin::leave_templates(&state.db, site.sysnum.as_str()).await?,
    }))
}

async fn template_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<Saved> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: TemplateAdd = body_json(&body)?;
    // Each field as `admin leave template add --field` takes it, checked by the same code.
    let specs: Vec<String> = req
        .fields
        .iter()
        .map(|f| {
            let star = if f.required { "*" } else { "" };
            format!("{}{star}:{}", f.kind.as_str(), f.label)
        })
        .collect();
    let t = crate::admin::add_leave_template(&state.db, site.sysnum.as_str(), &req.name, &specs)
        .await?;
    audit(&state, &site, "leave/template/add", &req).await?;
    Ok(Json(Saved {
        errcode: OK,
        errmsg: "ok".into(),
        id: t.templateid,
    }))
}

async fn canned_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> ApiResult<CannedList> {
    let (site, _) = site(&state, &headers, q).await?;
    let replies = crate::admin::list_canned(&state.db, site.sysnum.as_str(), None)
        .await?
        .into_iter()
        .filter(|c| c.agent.is_none())
        .map(|c| SiteCanned {
            id: c.id,
            shortcut: c.shortcut,
            text: c.text,
        })
        .collect();
    Ok(Json(CannedList {
        errcode: OK,
        errmsg: "ok".into(),
        replies,
    }))
}

async fn canned_add(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<Saved> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: CannedAdd = body_json(&body)?;
    let id = crate::admin::add_canned(
        &state.db,
        site.sysnum.as_str(),
        None,
        &req.shortcut,
        &req.text,
    )
    .await?;
    audit(&state, &site, "canned/add", &req).await?;
    Ok(Json(Saved {
        errcode: OK,
        errmsg: "ok".into(),
        id,
    }))
}

async fn canned_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<Status> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: CannedDelete = body_json(&body)?;
    crate::admin::delete_canned(&state.db, site.sysnum.as_str(), None, req.id).await?;
    audit(&state, &site, "canned/delete", &req).await?;
    done()
}

async fn audit_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> ApiResult<AuditList> {
    let (site, _) = site(&state, &headers, q).await?;
    let entries = state
        .db
        .audit_of_site(site.id, 200)
        .await?
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            detail: r.detail,
        })
        .collect();
    Ok(Json(AuditList {
        errcode: OK,
        errmsg: "ok".into(),
        entries,
    }))
}

async fn vip_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> ApiResult<VipList> {
    let (site, _) = site(&state, &headers, q).await?;
    let levels = crate::admin::vip_levels(&state.db, site.sysnum.as_str())
        .await?
        .into_iter()
        .map(|l| VipLevel {
            id: l.level_id,
            name: l.name,
            rank: l.rank,
        })
        .collect();
    Ok(Json(VipList {
        errcode: OK,
        errmsg: "ok".into(),
        levels,
    }))
}

async fn vip_put(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<Status> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: VipLevel = body_json(&body)?;
    crate::admin::put_vip_level(
        &state.db,
        site.sysnum.as_str(),
        &req.id,
        &req.name,
        req.rank,
    )
    .await?;
    audit(&state, &site, "vip/put", &req).await?;
    done()
}

async fn site_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> ApiResult<SiteAnswer> {
    let (site, _) = site(&state, &headers, q).await?;
    let (required, categories) = state.db.summary_rules(site.id).await?;
    let settings = SiteSettings {
        platform: Some(state.db.site_platform(site.id).await?.unwrap_or_default()),
        retain_days: Some(state.db.site_retention(site.id).await?.unwrap_or(0)),
        summary_required: Some(required),
        summary_categories: Some(categories),
        ..crate::admin::site_settings(&site)
    };
    Ok(Json(SiteAnswer {
        errcode: OK,
        errmsg: "ok".into(),
        name: site.name.clone(),
        sysnum: site.sysnum.to_string(),
        settings,
    }))
}

async fn site_set(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<Status> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: SiteSettings = body_json(&body)?;
    // Every value is checked before any is stored (`change_site` checks its own first).
    if let Some(days) = req.retain_days {
        crate::admin::check_retention(days)?;
    }
    if let Some(list) = &req.summary_categories {
        crate::admin::summary_categories(list)?;
    }
    let sysnum = site.sysnum.as_str();
    let (settings, reception) = crate::admin::settings_of(req.clone());
    crate::admin::change_site(&state.db, sysnum, settings, reception).await?;
    if let Some(days) = req.retain_days {
        crate::admin::set_retention(&state.db, sysnum, days).await?;
    }
    if req.summary_required.is_some() || req.summary_categories.is_some() {
        crate::admin::set_summary_rules(
            &state.db,
            sysnum,
            req.summary_required,
            req.summary_categories.as_deref(),
        )
        .await?;
    }
    audit(&state, &site, "site/set", &req).await?;
    done()
}

async fn group_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> ApiResult<GroupList> {
    let (site, _) = site(&state, &headers, q).await?;
    Ok(Json(GroupList {
        errcode: OK,
        errmsg: "ok".into(),
        groups: crate::admin::list_groups(&state.db, site.sysnum.as_str()).await?,
        zones: crate::admin::time_zones(),
    }))
}

async fn group_save(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<Saved> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: GroupSave = body_json(&body)?;
    let id = crate::admin::save_group(&state.db, site.sysnum.as_str(), req.clone()).await?;
    let done = GroupSave {
        id: Some(id),
        ..req
    };
    audit(&state, &site, "group/save", &done).await?;
    // Hours or a group enabled again may let waiting visitors be served now.
    crate::conversation::drain(&state, site.id).await?;
    Ok(Json(Saved {
        errcode: OK,
        errmsg: "ok".into(),
        id,
    }))
}

async fn agent_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> ApiResult<AgentList> {
    let (site, _) = site(&state, &headers, q).await?;
    Ok(Json(AgentList {
        errcode: OK,
        errmsg: "ok".into(),
        agents: crate::admin::list_agents(&state.db, site.sysnum.as_str()).await?,
    }))
}

async fn agent_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<Saved> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: AgentCreate = body_json(&body)?;
    let a = crate::admin::create_agent(
        &state.db,
        crate::admin::NewAgent {
            sysnum: site.sysnum.as_str(),
            account: req.account.trim(),
            nick: &req.nick,
            password: &req.password,
            groups: &req.groups,
            max_chats: req.max_chats,
            role: req.role,
        },
    )
    .await?;
    let shown = AgentCreate {
        password: "(set)".into(),
        ..req
    };
    audit(&state, &site, "agent/create", &shown).await?;
    Ok(Json(Saved {
        errcode: OK,
        errmsg: "ok".into(),
        id: a.kf_id.parse().unwrap_or_default(),
    }))
}

async fn agent_set(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<Status> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: AgentSet = body_json(&body)?;
    crate::admin::set_agent(&state.db, site.sysnum.as_str(), req.clone()).await?;
    let shown = AgentSet {
        password: req.password.as_ref().map(|_| "(new)".to_owned()),
        ..req
    };
    audit(&state, &site, "agent/set", &shown).await?;
    // More chats or other groups may let waiting visitors be served now.
    crate::conversation::drain(&state, site.id).await?;
    done()
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> ApiResult<BlockList> {
    let (site, _) = site(&state, &headers, q).await?;
    Ok(Json(BlockList {
        errcode: OK,
        errmsg: "ok".into(),
        blocks: crate::admin::list_blocks(&state.db, &site).await?,
    }))
}

async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<BlockAdded> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: BlockAdd = body_json(&body)?;
    // Who the visitor was to agents before the block released them (to tell those agents).
    let before = match req.visitor.as_deref().map(str::trim).map(str::parse::<i64>) {
        Some(Ok(id)) => state
            .db
            .visitor_by_id(id)
            .await?
            .filter(|v| v.site_id == site.id),
        _ => None,
    };
    let id = crate::admin::add_block(
        &state.db,
        &site,
        req.ip.as_deref(),
        req.visitor.as_deref(),
        &req.reason,
        req.days,
        "admin",
    )
    .await?;
    // This node applies it at once (others within `blocks::FRESH`); the agents who had the
    // visitor in their lists are told, and the capacity they held serves the queue.
    state.blocks.changed(site.id);
    audit(&state, &site, "block/add", &req).await?;
    match &before {
        Some(v) => crate::conversation::released(&state, site.id, v).await?,
        None => crate::conversation::drain(&state, site.id).await?,
    }
    Ok(Json(BlockAdded {
        errcode: OK,
        errmsg: "ok".into(),
        id,
    }))
}

async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
    body: Bytes,
) -> ApiResult<Status> {
    let (site, _) = site(&state, &headers, q).await?;
    let req: BlockDelete = body_json(&body)?;
    if !crate::admin::delete_block(&state.db, &site, req.id).await? {
        return Err(ApiError::NoBlock);
    }
    state.blocks.changed(site.id);
    audit(&state, &site, "block/delete", &req).await?;
    done()
}

async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> ApiResult<ReportAnswer> {
    let (site, q) = site(&state, &headers, q).await?;
    let range = crate::report::range(
        q.get("since").map(String::as_str),
        q.get("until").map(String::as_str),
        q.get("tz").map(String::as_str),
        jiff::Timestamp::now(),
    )
    .map_err(ApiError::Invalid)?;
    Ok(Json(ReportAnswer {
        errcode: OK,
        errmsg: "ok".into(),
        report: crate::report::report(&state.db, site.id, &range).await?,
    }))
}

/// The answer to a change that was made.
fn done() -> ApiResult<Status> {
    Ok(Json(Status {
        errcode: OK,
        errmsg: "ok".into(),
    }))
}

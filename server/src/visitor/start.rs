//! The hello's checks and the visitor it names: the site, the security check (`sign`),
//! the token (stored, pending, or a new pending one), and what the hello says about the
//! visitor ([`Profile`], applied to their row by the one rule written there).

use shared::visitor::{ErrorCode, Hello};
use shared::MAX_PARTNERID_CHARS;

use shared::reception::Reception;

use super::{over_budget, Refusal, MAX_UNAME_CHARS};
use crate::admin::PageTrust;
use crate::db::{DbResult, Site, Visitor};
use crate::routing;
use crate::security::{is_pending_token, pending_token, SignCheck};
use crate::AppState;

/// An optional hello field, trimmed (empty is absent); refused when longer than `max`
/// characters or when it holds characters that disguise a name ([`shared::display_safe`]).
fn bounded<'a>(
    value: Option<&'a str>,
    max: usize,
    too_long: &'static str,
) -> Result<Option<&'a str>, Refusal> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    if value.is_some_and(|v| v.chars().count() > max) {
        return Err(Refusal(ErrorCode::Invalid, too_long));
    }
    if value.is_some_and(|v| !shared::display_safe(v)) {
        return Err(Refusal(
            ErrorCode::Invalid,
            "partnerid and uname may not contain control, direction-changing or invisible characters",
        ));
    }
    Ok(value)
}

/// Validates the hello and finds (or creates) the visitor.
/// What `hello` starts: the site, the visitor (`None` while pending: an anonymous visitor
/// gets a row only with their first message), the token they hold, and what the hello said
/// about them.
pub(super) struct Started {
    pub(super) site: Site,
    pub(super) visitor: Option<Visitor>,
    pub(super) token: String,
    pub(super) profile: Profile,
}

/// The hello's fields about the visitor, stored on their row (at once, or when a pending
/// visitor's row is created).
///
/// **The rule** (the one place it is applied: [`Profile::apply`]): a hello changes only what
/// it states. `uname`, a claimed `partnerid` and `source` are kept when absent. The routing
/// keys — `groupid` and [`Reception::ROUTE_KEYS`] (`agentid`, `agent_mode_flag`,
/// `transfer_action`, `is_vip`, `vip_level`, `queueFirst`, `flowType`/`flowCompanyId`/
/// `flowGroupId`, `platformUnionCode`) — are one set, the page's routing: a hello that carries
/// any of them replaces the stored group, route and priority with what it says (a page that
/// calls `zc("config")` with other values); a hello that carries none — the host-page
/// notifier's, a tab of a page without that config, a reconnect of a plain link — leaves
/// all of them as the row holds them. (Reception keys follow the same rule in
/// `crate::reception`.) Without this, the notifier's hello, which never carries the page's
/// config, cleared the route the chat frame's hello had just stored.
///
/// [`Reception::ROUTE_KEYS`]: shared::reception::Reception::ROUTE_KEYS
pub(super) struct Profile {
    uname: Option<String>,
    claimed: Option<String>,
    source: Option<String>,
    /// What `groupid` and the routing keys asked of routing, resolved; `None` when the hello
    /// carries no routing key (the stored route stays).
    route: Option<routing::AskedRoute>,
}

impl Profile {
    pub(super) async fn apply(&self, state: &AppState, visitor: Visitor) -> DbResult<Visitor> {
        let v = state
            .db
            .touch_visitor(
                visitor.id,
                self.uname.as_deref(),
                self.claimed.as_deref(),
                self.source.as_deref(),
                self.route.as_ref().map(|r| r.group),
            )
            .await?
            .unwrap_or(visitor);
        let Some(asked) = &self.route else {
            return Ok(v);
        };
        // The route is written only when it changed (most hellos ask the same as before).
        if v.route == asked.route && v.priority == asked.priority {
            return Ok(v);
        }
        Ok(state
            .db
            .set_visitor_route(v.id, asked.route.clone(), asked.priority)
            .await?
            .unwrap_or(v))
    }
}

pub(super) async fn start(
    state: &AppState,
    hello: &mut Hello,
) -> DbResult<Result<Started, Refusal>> {
    let Some(site) = state.db.site_by_sysnum(hello.sysnum.as_str()).await? else {
        return Ok(Err(Refusal(
            ErrorCode::UnknownSite,
            "no site has this sysnum",
        )));
    };
    // Blocks (issue 25): by address before anything is looked up or minted, by visitor once
    // the token names one.
    let client = super::CLIENT.try_with(|c| *c).ok();
    let blocks = crate::blocks::rules(state, site.id).await?;
    if blocks.blocks(None, client, crate::db::now_ms()) {
        return Ok(Err(Refusal(ErrorCode::Blocked, crate::blocks::REFUSAL)));
    }
    if let Some(r) = hello.reception.as_deref_mut() {
        admit_page_claims(&site, r);
    }
    let partnerid = match bounded(
        hello.partnerid.as_deref(),
        MAX_PARTNERID_CHARS,
        "partnerid is longer than 300 characters",
    ) {
        Ok(p) => p,
        Err(r) => return Ok(Err(r)),
    };
    let uname = match bounded(
        hello.uname.as_deref(),
        MAX_UNAME_CHARS,
        "uname is longer than 100 characters",
    ) {
        Ok(u) => u,
        Err(r) => return Ok(Err(r)),
    };
    let source = hello
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| s.len() <= 8);
    let check = SignCheck::parse(&site.sign_check).unwrap_or(SignCheck::Md5);
    let (visitor, token, claimed) = if check != SignCheck::Off {
        let (Some(p), Some(sign)) = (partnerid, hello.sign.as_deref()) else {
            return Ok(Err(Refusal(
                ErrorCode::SignInvalid,
                "partnerid and sign are required",
            )));
        };
        if !check.verify(site.sysnum.as_str(), &site.sign_key, p, sign) {
            return Ok(Err(Refusal(ErrorCode::SignInvalid, "sign does not match")));
        }
        let (v, t) = state.db.partner_visitor(site.id, p).await?;
        (Some(v), t, None)
    } else {
        let known = match hello.token.as_deref() {
            Some(t) if t.len() <= 128 => state.db.visitor_by_token(site.id, t).await?,
            _ => None,
        };
        match (known, hello.token.clone()) {
            (Some(v), Some(t)) => (Some(v), t, partnerid),
            (None, Some(t))
                if is_pending_token(&state.db.pending_token_key().await?, site.id, &t) =>
            {
                // Minted by us at an earlier hello; no message yet.
                (None, t, partnerid)
            }
            _ => {
                if let Some(why) = over_budget(state, site.id, true) {
                    return Ok(Err(Refusal(ErrorCode::RateLimited, why)));
                }
                let t = pending_token(&state.db.pending_token_key().await?, site.id);
                (None, t, partnerid)
            }
        }
    };
    if let Some(v) = visitor
        .as_ref()
        .filter(|v| blocks.blocks(Some(v.id), client, crate::db::now_ms()))
    {
        crate::conversation::blocked(state, site.id, v.id).await?;
        return Ok(Err(Refusal(ErrorCode::Blocked, crate::blocks::REFUSAL)));
    }
    let profile = Profile {
        uname: uname.map(str::to_owned),
        claimed: claimed.map(str::to_owned),
        source: source.map(str::to_owned),
        route: if states_route(hello) {
            Some(
                routing::resolve_hello(
                    state,
                    site.id,
                    hello.groupid.as_deref(),
                    hello.reception.as_deref(),
                )
                .await?,
            )
        } else {
            None
        },
    };
    let visitor = match visitor {
        Some(v) => Some(profile.apply(state, v).await?),
        None => None,
    };
    Ok(Ok(Started {
        site,
        visitor,
        token,
        profile,
    }))
}

/// Longest greeting or offline text a page may give, in characters (`agent_hello_word`,
/// `robot_hello_word`, `agent_offline_title`); a longer one is ignored.
pub const MAX_PAGE_TEXT_CHARS: usize = 500;

/// What only the page says and nobody proved: queue priority (`queueFirst`, `is_vip`,
/// `vip_level`) and greeting texts are dropped unless the site trusts its pages
/// ([`PageTrust`]: by default, unless its sign check is on); texts longer than
/// [`MAX_PAGE_TEXT_CHARS`] or not displayable are dropped always. (A page greeting that is
/// kept is said as the site's, never as an agent's words: `crate::conversation::greet`.)
fn admit_page_claims(site: &Site, r: &mut Reception) {
    let check = SignCheck::parse(&site.sign_check).unwrap_or(SignCheck::Md5);
    let trusted = PageTrust::parse(&site.page_trust)
        .unwrap_or(PageTrust::Auto)
        .trusts_page(check);
    let texts = [
        &mut r.agent_hello_word,
        &mut r.robot_hello_word,
        &mut r.agent_offline_title,
    ];
    for t in texts {
        let bad = t.as_deref().is_some_and(|s| {
            s.chars().count() > MAX_PAGE_TEXT_CHARS || crate::db::storable(s).is_err()
        });
        if !trusted || bad {
            *t = None;
        }
    }
    if !trusted {
        if r.is_vip.is_some() || r.vip_level.is_some() || r.queue_first.is_some() {
            tracing::info!(
                site = site.id,
                "queue priority from a page the site does not trust ignored"
            );
        }
        r.is_vip = None;
        r.vip_level = None;
        r.queue_first = None;
    }
}

/// Whether the hello states the page's routing ([`Profile`]'s rule): a `groupid` or any
/// routing key.
fn states_route(hello: &Hello) -> bool {
    hello
        .groupid
        .as_deref()
        .is_some_and(|g| !g.trim().is_empty())
        || hello.reception.as_deref().is_some_and(|r| r.states_route())
}

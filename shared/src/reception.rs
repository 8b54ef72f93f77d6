//! Reception (seed 003 接待模式, VIP智能路由接待, 多机器人客服接入, 平台电商对接): what a page
//! asks of routing and of the robot, as the chat page passes it in `hello`
//! ([`crate::visitor::Hello::reception`]), and what the server tells the chat page about who
//! receives the visitor ([`ReceptionFrame`]).
//!
//! Every value is visitor-supplied and arrives the way the seed shows it (numbers as strings
//! or numbers, flags as `1`/`"1"`/`true`), so [`Reception`] keeps the raw strings under the
//! seed's own key names and the accessors below parse them, returning `None`/the default for
//! nonsense. `groupid` is not here: it is [`crate::visitor::Hello::groupid`].

use serde::{Deserialize, Serialize};

use crate::config::parse_flag;

/// The seed's reception keys, verbatim. Absent keys are omitted on the wire. (`Serialize` is
/// written by hand over [`Reception::fields`]: one loop instead of a call per key, which the
/// size-critical chat page pays for.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Reception {
    /// `type`: 1 robot only, 2 human only, 3 robot first, 4 human first.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robotid: Option<String>,
    /// The robot's FAQ group to answer from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faqid: Option<String>,
    /// Show the robot's guide questions at the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guide_flag: Option<String>,
    /// Show the hand-over control only after the robot failed (the count is a site setting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_manual: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robot_hello_word: Option<String>,
    /// The agent to be served by: a `kf_id` or an agent's external id (e.g. `1q2w3e4r`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agentid: Option<String>,
    /// 1: if `agentid` is offline, show the offline prompt; 0 (default): fall through to others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_mode_flag: Option<String>,
    /// The seed's JSON string of routing rules ([`TransferRule`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_vip: Option<String>,
    /// A VIP level's id or name, as the site defines them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip_level: Option<String>,
    /// This visitor is a designated customer who goes first.
    #[serde(
        rename = "queueFirst",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub queue_first: Option<String>,
    /// 0 off, 1 always overflow, 2 overflow when busy, 3 overflow when offline.
    #[serde(rename = "flowType", default, skip_serializing_if = "Option::is_none")]
    pub flow_type: Option<String>,
    /// The site (its sysnum or business id) to overflow to.
    #[serde(
        rename = "flowCompanyId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub flow_company_id: Option<String>,
    /// The skill group of that site (id or external id).
    #[serde(
        rename = "flowGroupId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub flow_group_id: Option<String>,
    /// The platform the page belongs to; overflow only between sites linked to it.
    #[serde(
        rename = "platformUnionCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub platform_union_code: Option<String>,
    /// Said to the visitor when an agent takes the chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_hello_word: Option<String>,
    /// Shown instead of a queue position when nobody is available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_offline_title: Option<String>,
    /// `cn` (default), `en`, `tw`: the language of the robot's own phrases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

impl Reception {
    /// Every key with its wire name, in the struct's order.
    pub fn fields(&self) -> [(&'static str, &Option<String>); 19] {
        [
            ("type", &self.mode),
            ("robotid", &self.robotid),
            ("faqid", &self.faqid),
            ("guide_flag", &self.guide_flag),
            ("show_manual", &self.show_manual),
            ("robot_hello_word", &self.robot_hello_word),
            ("agentid", &self.agentid),
            ("agent_mode_flag", &self.agent_mode_flag),
            ("transfer_action", &self.transfer_action),
            ("is_vip", &self.is_vip),
            ("vip_level", &self.vip_level),
            ("queueFirst", &self.queue_first),
            ("flowType", &self.flow_type),
            ("flowCompanyId", &self.flow_company_id),
            ("flowGroupId", &self.flow_group_id),
            ("platformUnionCode", &self.platform_union_code),
            ("agent_hello_word", &self.agent_hello_word),
            ("agent_offline_title", &self.agent_offline_title),
            ("locale", &self.locale),
        ]
    }

    /// The routing keys among [`Reception::fields`] (`groupid` is the hello's own field):
    /// together with `groupid` they are one set, which a hello either states (any of them
    /// present) or leaves as the visitor's row holds it (see `server/src/visitor.rs`,
    /// `Profile`).
    pub const ROUTE_KEYS: [&'static str; 10] = [
        "agentid",
        "agent_mode_flag",
        "transfer_action",
        "is_vip",
        "vip_level",
        "queueFirst",
        "flowType",
        "flowCompanyId",
        "flowGroupId",
        "platformUnionCode",
    ];

    /// Whether any routing key ([`Reception::ROUTE_KEYS`]) has a value.
    pub fn states_route(&self) -> bool {
        self.fields()
            .iter()
            .any(|(k, v)| present(v).is_some() && Self::ROUTE_KEYS.contains(k))
    }

    /// [`Reception::fields`], to fill them (e.g. from a query string).
    pub fn fields_mut(&mut self) -> [(&'static str, &mut Option<String>); 19] {
        [
            ("type", &mut self.mode),
            ("robotid", &mut self.robotid),
            ("faqid", &mut self.faqid),
            ("guide_flag", &mut self.guide_flag),
            ("show_manual", &mut self.show_manual),
            ("robot_hello_word", &mut self.robot_hello_word),
            ("agentid", &mut self.agentid),
            ("agent_mode_flag", &mut self.agent_mode_flag),
            ("transfer_action", &mut self.transfer_action),
            ("is_vip", &mut self.is_vip),
            ("vip_level", &mut self.vip_level),
            ("queueFirst", &mut self.queue_first),
            ("flowType", &mut self.flow_type),
            ("flowCompanyId", &mut self.flow_company_id),
            ("flowGroupId", &mut self.flow_group_id),
            ("platformUnionCode", &mut self.platform_union_code),
            ("agent_hello_word", &mut self.agent_hello_word),
            ("agent_offline_title", &mut self.agent_offline_title),
            ("locale", &mut self.locale),
        ]
    }
}

impl Serialize for Reception {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let fields = self.fields();
        let n = fields.iter().filter(|(_, v)| v.is_some()).count();
        let mut m = s.serialize_map(Some(n))?;
        for (k, v) in fields {
            if let Some(v) = v {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

impl Reception {
    /// The reception keys of a query string (`a=1&b=2`, form-decoded as browsers do; the first
    /// of a repeated key wins; blank values are absent); `None` when it has none.
    pub fn from_query(query: &str) -> Option<Reception> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut r = Reception::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (crate::ids::form_decode(k), crate::ids::form_decode(v));
            if v.trim().is_empty() {
                continue;
            }
            if let Some((_, slot)) = r.fields_mut().into_iter().find(|(name, _)| *name == k) {
                slot.get_or_insert(v);
            }
        }
        r.fields().iter().any(|(_, v)| v.is_some()).then_some(r)
    }
}

/// Reception `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    RobotOnly = 1,
    HumanOnly = 2,
    RobotFirst = 3,
    HumanFirst = 4,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim() {
            "1" => Some(Mode::RobotOnly),
            "2" => Some(Mode::HumanOnly),
            "3" => Some(Mode::RobotFirst),
            "4" => Some(Mode::HumanFirst),
            _ => None,
        }
    }
}

/// A value trimmed, empty meaning absent.
fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn flag(v: &Option<String>) -> bool {
    present(v).and_then(parse_flag).unwrap_or(false)
}

fn int(v: &Option<String>) -> Option<i64> {
    present(v).and_then(|s| s.parse().ok())
}

impl Reception {
    /// `type`, `None` when absent or not 1–4 (the site's default applies).
    pub fn mode(&self) -> Option<Mode> {
        present(&self.mode).and_then(Mode::parse)
    }
    pub fn robot_id(&self) -> Option<i64> {
        int(&self.robotid)
    }
    pub fn faq_group(&self) -> Option<i64> {
        int(&self.faqid)
    }
    pub fn guide(&self) -> bool {
        flag(&self.guide_flag)
    }
    pub fn show_manual(&self) -> bool {
        flag(&self.show_manual)
    }
    pub fn robot_hello(&self) -> Option<&str> {
        present(&self.robot_hello_word)
    }
    pub fn agent(&self) -> Option<&str> {
        present(&self.agentid)
    }
    /// `agent_mode_flag` 1: the requested agent or nobody (offline prompt).
    pub fn agent_strict(&self) -> bool {
        flag(&self.agent_mode_flag)
    }
    pub fn vip(&self) -> bool {
        flag(&self.is_vip)
    }
    pub fn vip_level(&self) -> Option<&str> {
        present(&self.vip_level)
    }
    pub fn queue_first(&self) -> bool {
        flag(&self.queue_first)
    }
    /// `flowType` 1–3, `None` when off (0), absent or nonsense.
    pub fn flow(&self) -> Option<FlowType> {
        match int(&self.flow_type)? {
            1 => Some(FlowType::Always),
            2 => Some(FlowType::WhenBusy),
            3 => Some(FlowType::WhenOffline),
            _ => None,
        }
    }
    pub fn flow_company(&self) -> Option<&str> {
        present(&self.flow_company_id)
    }
    pub fn flow_group(&self) -> Option<&str> {
        present(&self.flow_group_id)
    }
    pub fn platform(&self) -> Option<&str> {
        present(&self.platform_union_code)
    }
    pub fn agent_hello(&self) -> Option<&str> {
        present(&self.agent_hello_word)
    }
    pub fn offline_title(&self) -> Option<&str> {
        present(&self.agent_offline_title)
    }
    /// The `transfer_action` rules (parsed with `json`, see [`TransferRule::parse_list`]); an
    /// empty list when absent, an error naming the problem when present but not the seed's
    /// shape.
    pub fn transfer_rules(
        &self,
        json: impl FnOnce(&str) -> Result<RawRules, String>,
    ) -> Result<Vec<TransferRule>, String> {
        match present(&self.transfer_action) {
            None => Ok(Vec::new()),
            Some(s) => TransferRule::parse_list(s, json),
        }
    }
}

/// `flowType`: when a visitor overflows to the linked site's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowType {
    Always = 1,
    WhenBusy = 2,
    WhenOffline = 3,
}

/// What a `transfer_action` rule routes to (`actionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleTarget {
    /// `to_group`: `deciId` is a skill group (id or external id).
    Group,
    /// `to_service`: `deciId` is an agent (kf_id or external id).
    Agent,
}

/// `spillId`: when a rule overflows to the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Spill {
    /// 1: the agent is offline.
    AgentOffline = 1,
    /// 2: the agent is at `max_chats`.
    AgentBusy = 2,
    /// 3: "smart" for an agent: offline, suspended or busy.
    AgentSmart = 3,
    /// 4: nobody of the group is online.
    GroupNobodyOnline = 4,
    /// 5: everyone of the group online is busy.
    GroupAllBusy = 5,
    /// 6: the group is off duty (outside its working hours).
    GroupOffDuty = 6,
    /// 7: "smart" for a group: off duty, nobody online, or everyone busy.
    GroupSmart = 7,
}

impl Spill {
    pub fn from_id(n: i64) -> Option<Spill> {
        Some(match n {
            1 => Spill::AgentOffline,
            2 => Spill::AgentBusy,
            3 => Spill::AgentSmart,
            4 => Spill::GroupNobodyOnline,
            5 => Spill::GroupAllBusy,
            6 => Spill::GroupOffDuty,
            7 => Spill::GroupSmart,
            _ => return None,
        })
    }
}

/// One element of `transfer_action`: route to `target`; when `overflow` and the `spill`
/// condition holds, go on to the next rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRule {
    pub target: RuleTarget,
    /// `deciId`.
    pub id: String,
    /// `optionId` 1 or 3 (overflow); 2 or 4 (no overflow).
    pub overflow: bool,
    /// `spillId`; `None` when absent (a rule that overflows without a condition never does).
    pub spill: Option<Spill>,
}

/// `transfer_action` as JSON: a list of rules, or one rule.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawRules {
    Many(Vec<RawRule>),
    One(RawRule),
}

/// A JSON scalar the seed writes as a string or a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Loose {
    S(String),
    N(i64),
}

impl Loose {
    fn int(&self) -> Option<i64> {
        match self {
            Loose::S(s) => s.trim().parse().ok(),
            Loose::N(n) => Some(*n),
        }
    }
    fn text(&self) -> String {
        match self {
            Loose::S(s) => s.trim().to_owned(),
            Loose::N(n) => n.to_string(),
        }
    }
}

/// One rule as the seed writes it (see [`TransferRule::parse_list`]).
#[derive(Debug, Deserialize)]
pub struct RawRule {
    #[serde(rename = "actionType")]
    action_type: Option<String>,
    #[serde(rename = "optionId")]
    option_id: Option<Loose>,
    #[serde(rename = "deciId")]
    deci_id: Option<Loose>,
    #[serde(rename = "spillId")]
    spill_id: Option<Loose>,
}

impl TransferRule {
    /// Parses the seed's `transfer_action` string: a JSON array of rules (a single object is
    /// taken as a one-rule list), read with the caller's JSON parser (`json`, e.g.
    /// `|s| serde_json::from_str(s).map_err(|e| e.to_string())`: this crate stays serde-only).
    /// Errors name the rule (1-based) and the problem.
    pub fn parse_list(
        s: &str,
        json: impl FnOnce(&str) -> Result<RawRules, String>,
    ) -> Result<Vec<TransferRule>, String> {
        let raw = match json(s).map_err(|e| format!("transfer_action: {e}"))? {
            RawRules::Many(v) => v,
            RawRules::One(r) => vec![r],
        };
        raw.into_iter()
            .enumerate()
            .map(|(i, r)| {
                TransferRule::from_raw(r)
                    .map_err(|e| format!("transfer_action rule {}: {e}", i + 1))
            })
            .collect()
    }

    fn from_raw(r: RawRule) -> Result<TransferRule, &'static str> {
        let option = r.option_id.as_ref().and_then(Loose::int);
        let target = match (r.action_type.as_deref().map(str::trim), option) {
            (Some("to_group"), _) => RuleTarget::Group,
            (Some("to_service"), _) => RuleTarget::Agent,
            (None, Some(3 | 4)) => RuleTarget::Group,
            (None, Some(1 | 2)) => RuleTarget::Agent,
            _ => return Err("actionType must be to_group or to_service"),
        };
        let overflow = match option {
            Some(1 | 3) => true,
            Some(2 | 4) | None => false,
            Some(_) => return Err("optionId must be 1-4"),
        };
        let id = r
            .deci_id
            .as_ref()
            .map(Loose::text)
            .filter(|s| !s.is_empty())
            .ok_or("deciId is missing")?;
        let spill = match r.spill_id.as_ref() {
            None => None,
            Some(v) => match v.text().as_str() {
                "" => None,
                _ => Some(
                    v.int()
                        .and_then(Spill::from_id)
                        .ok_or("spillId must be 1-7")?,
                ),
            },
        };
        Ok(TransferRule {
            target,
            id,
            overflow,
            spill,
        })
    }
}

/// Who answers the visitor now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answerer {
    Robot,
    Human,
}

/// Server → chat page: the reception state, sent after `synced` and whenever it changes
/// (hand-over, nobody available, an unsure robot answer). Transient: not stored, not
/// replayed; a new session gets the current state again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceptionFrame {
    /// Who answers now.
    pub mode: Answerer,
    /// The robot's display name (robot bubbles' name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robot: Option<String>,
    /// The robot's greeting, shown as a robot bubble at the top (not stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    /// Tappable questions (guide questions, or the closest ones after an unsure answer);
    /// tapping sends the text as an ordinary message. Empty: none (clears earlier chips).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggest: Vec<String>,
    /// Show the "转人工 / Talk to a person" control.
    #[serde(default)]
    pub manual: bool,
    /// Nobody is available: show this text instead of a queue position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> Result<RawRules, String> {
        serde_json::from_str(s).map_err(|e| e.to_string())
    }

    #[test]
    fn the_seeds_transfer_action_parses() {
        // seed 003, VIP智能路由接待, verbatim (after JSON.stringify).
        let payload = r#"[{"actionType":"to_group","optionId":"3","deciId":"162bb6bb038d4a9ea018241a30694064","spillId":"4"},{"actionType":"to_group","optionId":"4","deciId":"cae6834444ac43e39d95b1725d2ae454"}]"#;
        let rules = TransferRule::parse_list(payload, json).unwrap();
        assert_eq!(
            rules,
            vec![
                TransferRule {
                    target: RuleTarget::Group,
                    id: "162bb6bb038d4a9ea018241a30694064".into(),
                    overflow: true,
                    spill: Some(Spill::GroupNobodyOnline),
                },
                TransferRule {
                    target: RuleTarget::Group,
                    id: "cae6834444ac43e39d95b1725d2ae454".into(),
                    overflow: false,
                    spill: None,
                },
            ]
        );
        let one = r#"{"actionType":"to_service","optionId":1,"deciId":7,"spillId":2}"#;
        let rules = TransferRule::parse_list(one, json).unwrap();
        assert_eq!(rules[0].target, RuleTarget::Agent);
        assert_eq!(rules[0].id, "7");
        assert_eq!(rules[0].spill, Some(Spill::AgentBusy));
    }

    #[test]
    fn bad_transfer_action_names_the_rule() {
        let e = TransferRule::parse_list(r#"[{"actionType":"to_group","optionId":"3","deciId":"a","spillId":"4"},{"actionType":"x","deciId":"b"}]"#, json).unwrap_err();
        assert!(e.contains("rule 2") && e.contains("actionType"), "{e}");
        let e = TransferRule::parse_list(r#"[{"actionType":"to_group","optionId":"3"}]"#, json)
            .unwrap_err();
        assert!(e.contains("deciId"), "{e}");
        let e = TransferRule::parse_list(
            r#"[{"actionType":"to_group","deciId":"a","spillId":"9"}]"#,
            json,
        )
        .unwrap_err();
        assert!(e.contains("spillId"), "{e}");
        assert!(TransferRule::parse_list("not json", json).is_err());
    }

    #[test]
    fn every_key_round_trips_under_its_seed_name() {
        let mut r = Reception::default();
        for (i, (_, v)) in r.fields_mut().into_iter().enumerate() {
            *v = Some(format!("v{i}"));
        }
        let wire = serde_json::to_string(&r).unwrap();
        for (k, _) in r.fields() {
            assert!(wire.contains(&format!("\"{k}\":")), "{k} in {wire}");
        }
        assert_eq!(serde_json::from_str::<Reception>(&wire).unwrap(), r);
        assert_eq!(serde_json::to_string(&Reception::default()).unwrap(), "{}");
    }

    #[test]
    fn reception_keys_from_a_query_string() {
        assert_eq!(Reception::from_query("?sysnum=abc&color=fff"), None);
        let q = "?sysnum=abc&type=3&robotid=2&agent_hello_word=%E4%BD%A0%E5%A5%BD+Kim\
                 &transfer_action=%5B%7B%22deciId%22%3A%22g%22%7D%5D&queueFirst=1&type=1&faqid=&locale=tw";
        let r = Reception::from_query(q).unwrap();
        assert_eq!(
            r.mode(),
            Some(Mode::RobotFirst),
            "the first of a repeated key"
        );
        assert_eq!(r.robot_id(), Some(2));
        assert_eq!(r.agent_hello(), Some("你好 Kim"));
        assert_eq!(r.transfer_action.as_deref(), Some(r#"[{"deciId":"g"}]"#));
        assert!(r.queue_first());
        assert_eq!(
            (r.faqid.as_deref(), r.locale.as_deref()),
            (None, Some("tw"))
        );
    }

    #[test]
    fn seed_values_parse() {
        let r = Reception {
            mode: Some("3".into()),
            robotid: Some(" 2 ".into()),
            is_vip: Some("1".into()),
            queue_first: Some("true".into()),
            flow_type: Some("2".into()),
            agent_mode_flag: Some("0".into()),
            ..Reception::default()
        };
        assert_eq!(r.mode(), Some(Mode::RobotFirst));
        assert_eq!(r.robot_id(), Some(2));
        assert!(r.vip() && r.queue_first() && !r.agent_strict());
        assert_eq!(r.flow(), Some(FlowType::WhenBusy));
        assert_eq!(Reception::default().transfer_rules(json), Ok(Vec::new()));
        let wire = serde_json::to_string(&r).unwrap();
        assert!(
            wire.contains(r#""type":"3""#) && wire.contains(r#""queueFirst":"true""#),
            "{wire}"
        );
        assert_eq!(serde_json::from_str::<Reception>(&wire).unwrap(), r);
        assert_eq!(Mode::parse("5"), None);
    }
}

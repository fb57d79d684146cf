//! Which events changed which item: lookup keys derived from the item, the resource-type map
//! (`assets/cloudtrail-map.toml`, data not code), client-side matching of
//! `requestParameters`/`responseElements`, and ranking with a confidence.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use serde_json::Value;

use super::actor::{self, PipelinePrincipals};
use super::source::{Event, format_time};
use super::{AttributionError, Candidate, Confidence};
use crate::model::{DriftItem, Kind};

/// The built-in map.
pub const BUILTIN_MAP: &str = include_str!("../../assets/cloudtrail-map.toml");

/// Attribute marker in the map: the call creates or deletes the resource itself.
const WHOLE: &str = "*";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    types: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    names: Vec<String>,
    #[serde(default)]
    global: bool,
    #[serde(default)]
    source: Option<String>,
    keys: Vec<String>,
    #[serde(default)]
    all_of: Vec<String>,
    events: BTreeMap<String, Vec<String>>,
}

/// One resource kind: its mutating calls and how to recognise it in events.
#[derive(Debug, Clone)]
pub struct TypeEntry {
    /// Type names covered (Terraform and CloudFormation spellings).
    pub names: Vec<String>,
    /// History lives in us-east-1.
    pub global: bool,
    /// The service's `eventSource` (`ec2.amazonaws.com`), when the map says.
    pub source: Option<String>,
    /// Identity fields (normalised) that identify the resource, in lookup order.
    pub keys: Vec<String>,
    /// Fields (normalised) that must all appear in an event.
    pub all_of: Vec<String>,
    /// Mutating event name → normalised attribute names it sets.
    pub events: BTreeMap<String, Vec<String>>,
}

/// The resource-type → mutating calls → attributes map.
#[derive(Debug, Clone)]
pub struct TypeMap {
    entries: Vec<TypeEntry>,
}

/// Lower-case, `_`/`-` removed: `SecurityGroup` = `security_group`.
pub fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

impl TypeMap {
    /// The map shipped in `assets/cloudtrail-map.toml`.
    pub fn builtin() -> Result<Self, AttributionError> {
        Self::parse(BUILTIN_MAP, "assets/cloudtrail-map.toml")
    }

    /// Parses map text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, AttributionError> {
        let raw: MapFile = toml::from_str(text).map_err(|e| AttributionError::Map {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let mut entries = Vec::new();
        for r in raw.types {
            if r.names.is_empty() || r.events.is_empty() {
                return Err(AttributionError::Map {
                    file: file.to_string(),
                    message: format!("entry {:?} needs names and events", r.names),
                });
            }
            entries.push(TypeEntry {
                names: r.names,
                global: r.global,
                source: r.source,
                keys: r.keys.iter().map(|k| norm(k)).collect(),
                all_of: r.all_of.iter().map(|k| norm(k)).collect(),
                events: r
                    .events
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            k,
                            v.iter()
                                .map(|a| if a == WHOLE { a.clone() } else { norm(a) })
                                .collect(),
                        )
                    })
                    .collect(),
            });
        }
        Ok(TypeMap { entries })
    }

    /// The entry for a type name (`aws_security_group`, `AWS::EC2::SecurityGroup`).
    pub fn entry(&self, resource_type: &str) -> Option<&TypeEntry> {
        self.entries
            .iter()
            .find(|e| e.names.iter().any(|n| n == resource_type))
    }
}

/// Lambda names carry API-version suffixes (`UpdateFunctionConfiguration20150331v2`).
fn base_name(name: &str) -> &str {
    let trimmed = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == 'v');
    if trimmed.len() + 8 <= name.len() {
        trimmed
    } else {
        name
    }
}

fn is_creating(name: &str) -> bool {
    ["Create", "Run", "Put", "Authorize", "Attach", "Add", "Change"]
        .iter()
        .any(|p| name.starts_with(p))
}

fn is_deleting(name: &str) -> bool {
    [
        "Delete",
        "Terminate",
        "Revoke",
        "Detach",
        "Remove",
        "Schedule",
        "Change",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// Calls that never change anything, whatever `readOnly` says.
pub fn is_read_only(e: &Event) -> bool {
    e.read_only
        || [
            "Get",
            "Describe",
            "List",
            "Head",
            "Lookup",
            "Decrypt",
            "GenerateDataKey",
            "Encrypt",
            "ConsoleLogin",
        ]
        .iter()
        .any(|p| e.event_name.starts_with(p))
}

/// The identifying values of one item: `(normalised field, value)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemKeys {
    /// Field → value pairs, in discovery order.
    pub values: Vec<(String, String)>,
}

impl ItemKeys {
    fn push(&mut self, field: &str, value: &str) {
        let value = value.trim();
        if value.len() < 3 || value == crate::model::MASK {
            return;
        }
        let f = norm(field);
        if !self.values.iter().any(|(k, v)| *k == f && v == value) {
            self.values.push((f, value.to_string()));
        }
    }

    /// Values of a normalised field.
    pub fn get<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.values
            .iter()
            .filter(move |(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }

    /// True when nothing identifies the item.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Splits driftctl/Terraform composite ids into their parts.
fn composite_id(resource_type: &str, id: &str, keys: &mut ItemKeys) {
    match resource_type {
        "aws_iam_user_policy_attachment" | "aws_iam_role_policy_attachment" => {
            if let Some((who, arn)) = id.split_once("-arn:") {
                let field = if resource_type.contains("user") {
                    "user"
                } else {
                    "role"
                };
                keys.push(field, who);
                keys.push("policy_arn", &format!("arn:{arn}"));
            }
        }
        "aws_iam_role_policy" | "aws_iam_user_policy" => {
            if let Some((who, name)) = id.split_once(':') {
                keys.push(
                    if resource_type.contains("user") {
                        "user"
                    } else {
                        "role"
                    },
                    who,
                );
                keys.push("name", name);
            }
        }
        "aws_route53_record" => {
            let mut parts = id.splitn(3, '_');
            if let (Some(zone), Some(name)) = (parts.next(), parts.next()) {
                keys.push("zone_id", zone);
                keys.push("name", name);
            }
        }
        _ => {}
    }
}

/// Derives the identifying values of an item (identity, live attributes, composite ids, ARN
/// tails).
pub fn item_keys(item: &DriftItem) -> ItemKeys {
    let mut keys = ItemKeys::default();
    for (k, v) in &item.identity {
        keys.push(k, v);
    }
    if let Some(Value::Object(live)) = &item.live_attributes {
        for (k, v) in live {
            if let Some(s) = v.as_str() {
                keys.push(k, s);
            }
        }
    }
    if item.kind == Kind::Unmanaged {
        for c in &item.changes {
            if let (Some(top), Some(Some(Value::String(s)))) = (c.path.top(), c.live.scalar()) {
                if !c.sensitive {
                    keys.push(top, s);
                }
            }
        }
    }
    if let Some(id) = item.identity.get("id") {
        composite_id(&item.resource_type, id, &mut keys);
    }
    // An ARN's resource part is the name events often use (`db:app-eu-main` → `app-eu-main`,
    // `log-group:/platform/audit` → `/platform/audit`).
    let arns: Vec<String> = keys
        .values
        .iter()
        .filter(|(_, v)| v.starts_with("arn:"))
        .map(|(_, v)| v.clone())
        .collect();
    for a in arns {
        if let Some(name) = arn_resource_name(&a) {
            keys.push("arntail", name);
        }
    }
    keys
}

/// The resource name inside an ARN: the part after `<type>:` or `<type>/`.
pub fn arn_resource_name(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let cut = resource.find([':', '/'])?;
    Some(&resource[cut + 1..]).filter(|r| !r.is_empty())
}

/// The normalised top-level attribute names that drifted.
pub fn drifted_attributes(item: &DriftItem) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for c in &item.changes {
        if let Some(top) = c.path.top() {
            let n = norm(top);
            if !out.iter().any(|(k, _)| *k == n) {
                out.push((n, top.to_string()));
            }
        }
    }
    out
}

/// What to look up for an item.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The type entry, when the map knows the type.
    pub entry: Option<TypeEntry>,
    /// Identifying values.
    pub keys: ItemKeys,
    /// Values to try as ResourceName, best first.
    pub resource_names: Vec<String>,
    /// Mutating event names to fall back to, most relevant first.
    pub fallback_events: Vec<String>,
    /// Region to query (`None` = default).
    pub region: Option<String>,
}

/// Plans the lookups for an item.
pub fn plan(map: &TypeMap, item: &DriftItem) -> Plan {
    let entry = map.entry(&item.resource_type).cloned();
    let keys = item_keys(item);
    let key_order: Vec<String> = entry.as_ref().map_or_else(
        || vec!["id".into(), "arn".into(), "name".into()],
        |e| e.keys.clone(),
    );
    let mut resource_names: Vec<String> = Vec::new();
    for k in &key_order {
        for v in keys.get(k) {
            if !resource_names.iter().any(|r| r == v) {
                resource_names.push(v.to_string());
            }
        }
    }
    resource_names.truncate(2);
    let mut fallback_events = Vec::new();
    if let Some(e) = &entry {
        let drifted: Vec<String> = drifted_attributes(item).into_iter().map(|(n, _)| n).collect();
        let wanted = |name: &str, attrs: &[String]| match item.kind {
            Kind::Unmanaged => attrs.iter().any(|a| a == WHOLE) && is_creating(name),
            Kind::Deleted => attrs.iter().any(|a| a == WHOLE) && is_deleting(name),
            Kind::Modified => attrs.iter().any(|a| drifted.contains(a)),
        };
        fallback_events = e
            .events
            .iter()
            .filter(|(n, a)| wanted(n, a))
            .map(|(n, _)| n.clone())
            .collect();
        if fallback_events.is_empty() {
            fallback_events = e.events.keys().cloned().collect();
        }
    }
    let region = if entry.as_ref().is_some_and(|e| e.global) {
        Some("us-east-1".to_string())
    } else {
        item.region.clone()
    };
    Plan {
        entry,
        keys,
        resource_names,
        fallback_events,
        region,
    }
}

fn value_matches(leaf: &str, want: &str) -> bool {
    let leaf = leaf.trim_end_matches('.');
    let want = want.trim_end_matches('.');
    leaf == want
        || want.len() >= 6
            && leaf.strip_suffix(want).is_some_and(|p| {
                p.ends_with(['/', ':'])
                    && (p.starts_with("arn:") || p.starts_with('/') || p.starts_with("http"))
            })
}

pub(crate) fn contains_value(v: &Value, want: &str) -> bool {
    match v {
        Value::String(s) => value_matches(s, want),
        Value::Array(a) => a.iter().any(|x| contains_value(x, want)),
        Value::Object(o) => o.values().any(|x| contains_value(x, want)),
        _ => false,
    }
}

/// True when the event mentions `value` in its parameters, response or resources.
pub fn event_mentions(e: &Event, value: &str) -> bool {
    contains_value(&e.request_parameters, value)
        || contains_value(&e.response_elements, value)
        || e.names_resource(value)
}

/// True when the event touches the item: every `all_of` field (child resources) or any key.
pub fn touches(e: &Event, plan: &Plan) -> bool {
    if let Some(entry) = &plan.entry {
        if !entry.all_of.is_empty() {
            return entry.all_of.iter().all(|f| {
                let mut vals = plan.keys.get(f).peekable();
                vals.peek().is_some() && plan.keys.get(f).any(|v| event_mentions(e, v))
            });
        }
        let mut fields: Vec<&str> = entry.keys.iter().map(String::as_str).collect();
        fields.push("arntail");
        return plan
            .keys
            .values
            .iter()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .any(|(_, v)| event_mentions(e, v));
    }
    plan.keys
        .values
        .iter()
        .filter(|(k, _)| ["id", "arn", "name", "arntail"].contains(&k.as_str()))
        .any(|(_, v)| event_mentions(e, v))
}

/// Ranked candidates for an item: `(successful, denied)`, best first / newest first.
pub fn rank(
    item: &DriftItem,
    plan: &Plan,
    events: &[Event],
    pipeline: &PipelinePrincipals,
) -> (Vec<Candidate>, Vec<Candidate>) {
    let drifted = drifted_attributes(item);
    // A corrected record (addendum UPDATED_DATA) supersedes the original.
    let mut seen: HashSet<&str> = events.iter().filter_map(|e| e.replaces.as_deref()).collect();
    let mut ok = Vec::new();
    let mut denied = Vec::new();
    for e in events {
        if !seen.insert(e.event_id.as_str()) || is_read_only(e) {
            continue;
        }
        if matches!(
            e.event_type.as_deref(),
            Some("AwsServiceEvent" | "AwsConsoleSignIn")
        ) {
            continue;
        }
        let attrs = plan.entry.as_ref().and_then(|en| {
            en.events.get(&e.event_name).or_else(|| {
                en.events
                    .iter()
                    .find(|(n, _)| base_name(n) == base_name(&e.event_name))
                    .map(|(_, a)| a)
            })
        });
        if !touches(e, plan) {
            // A time-window guess: a call that sets a drifted attribute of this type but whose
            // record names no resource at all (parameters omitted or truncated).
            let anonymous = e.resources.is_empty()
                && e.request_parameters
                    .as_object()
                    .is_none_or(serde_json::Map::is_empty)
                && e.response_elements
                    .as_object()
                    .is_none_or(serde_json::Map::is_empty);
            let relevant = attrs.is_some_and(|a| drifted.iter().any(|(n, _)| a.contains(n)));
            if anonymous && relevant && e.error_code.is_none() && item.kind == Kind::Modified {
                ok.push((
                    e.event_time,
                    candidate(e, Confidence::Low, vec!["(time window)".to_string()], pipeline),
                ));
            }
            continue;
        }
        let (confidence, matched) = match attrs {
            None => (Confidence::Low, Vec::new()),
            Some(attrs) => {
                let whole = attrs.iter().any(|a| a == WHOLE);
                match item.kind {
                    Kind::Unmanaged if whole && is_creating(&e.event_name) => {
                        (Confidence::High, vec!["(created)".to_string()])
                    }
                    Kind::Deleted if whole && is_deleting(&e.event_name) => {
                        (Confidence::High, vec!["(deleted)".to_string()])
                    }
                    Kind::Modified => {
                        let m: Vec<String> = drifted
                            .iter()
                            .filter(|(n, _)| attrs.contains(n))
                            .map(|(_, orig)| orig.clone())
                            .collect();
                        if m.is_empty() {
                            (Confidence::Medium, m)
                        } else {
                            (Confidence::High, m)
                        }
                    }
                    _ => (Confidence::Medium, Vec::new()),
                }
            }
        };
        let c = candidate(e, confidence, matched, pipeline);
        if e.error_code.is_some() {
            denied.push(c);
        } else {
            ok.push((e.event_time, c));
        }
    }
    ok.sort_by(|(ta, a), (tb, b)| {
        b.confidence
            .cmp(&a.confidence)
            .then(tb.cmp(ta))
            .then(a.event_id.cmp(&b.event_id))
    });
    denied.sort_by(|a, b| b.event_time.cmp(&a.event_time));
    (ok.into_iter().map(|(_, c)| c).collect(), denied)
}

/// Builds a candidate from an event (actor, tool, out-of-band).
pub fn candidate(
    e: &Event,
    confidence: Confidence,
    matched: Vec<String>,
    pipeline: &PipelinePrincipals,
) -> Candidate {
    let actor = actor::resolve_actor(&e.user_identity);
    let tool = actor::resolve_tool(
        e.user_agent.as_deref(),
        &e.user_identity,
        e.console_session,
        e.source_ip.as_deref(),
    );
    let out_of_band = actor::out_of_band(tool, &actor, pipeline);
    Candidate {
        event_id: e.event_id.clone(),
        event_id_synthetic: e.event_id_synthetic,
        event_name: e.event_name.clone(),
        event_source: e.event_source.clone(),
        event_time: format_time(e.event_time),
        region: e.region.clone(),
        mfa: actor::mfa_of(&e.user_identity),
        actor,
        source_ip: e.source_ip.clone(),
        user_agent: e.user_agent.clone(),
        tool,
        console_session: e.console_session,
        out_of_band,
        confidence,
        matched,
        error_code: e.error_code.clone(),
        error_message: e.error_message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_map_covers_the_issue_types() {
        let m = TypeMap::builtin().expect("map parses");
        for t in [
            "aws_security_group",
            "aws_security_group_rule",
            "aws_s3_bucket",
            "aws_s3_bucket_policy",
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_acl",
            "aws_s3_bucket_versioning",
            "aws_iam_role",
            "aws_iam_policy",
            "aws_iam_role_policy",
            "aws_iam_role_policy_attachment",
            "aws_iam_user",
            "aws_instance",
            "aws_db_instance",
            "aws_lambda_function",
            "aws_kms_key",
            "aws_eks_cluster",
            "aws_lb_listener",
            "aws_route53_record",
            "aws_cloudwatch_log_group",
            "aws_cloudtrail",
            "AWS::EC2::SecurityGroup",
            "AWS::S3::Bucket",
            "AWS::IAM::Role",
            "AWS::RDS::DBInstance",
            "AWS::Lambda::Function",
            "AWS::KMS::Key",
            "AWS::EKS::Cluster",
            "AWS::ElasticLoadBalancingV2::Listener",
            "AWS::Route53::RecordSet",
            "AWS::Logs::LogGroup",
            "AWS::CloudTrail::Trail",
        ] {
            assert!(m.entry(t).is_some(), "{t} missing from the map");
        }
        assert!(m.entry("aws_iam_role").is_some_and(|e| e.global));
    }

    #[test]
    fn bad_map_names_the_file() {
        let e = TypeMap::parse("[[types]]\nnames = 3", "x.toml").expect_err("bad map");
        assert!(e.to_string().contains("x.toml"), "{e}");
    }

    #[test]
    fn lambda_suffixes_compare_equal() {
        assert_eq!(
            base_name("UpdateFunctionConfiguration20150331v2"),
            "UpdateFunctionConfiguration"
        );
        assert_eq!(base_name("PutRolePolicy"), "PutRolePolicy");
        assert!(value_matches("status.corp.example.", "status.corp.example"));
        assert!(value_matches(
            "arn:aws:rds:eu-west-1:1:db:app-eu-main",
            "app-eu-main"
        ));
        assert!(!value_matches("myapp", "app"));
        assert!(!value_matches("/aws/payments-prod/audit", "audit"));
        assert_eq!(
            arn_resource_name("arn:aws:logs:eu-west-1:1:log-group:/platform/audit"),
            Some("/platform/audit")
        );
        assert_eq!(
            arn_resource_name("arn:aws:kms:eu-west-1:1:key/0f6e"),
            Some("0f6e")
        );
    }
}

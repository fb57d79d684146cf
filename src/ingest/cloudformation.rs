//! CloudFormation drift (`aws cloudformation describe-stack-resource-drifts` output).
//!
//! `MODIFIED` → modified, `DELETED` → deleted; `IN_SYNC`, `NOT_CHECKED`, `UNKNOWN` and
//! `UNSUPPORTED` are counted, not listed. `ExpectedProperties`/`ActualProperties` are JSON
//! inside strings; `PropertyDifferences` values are strings with a missing side as `"null"`,
//! so typed values are taken from the decoded property documents where the pointer resolves.
//! Differences that vanish under semantic comparison (reordered lists) are dropped.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::detect::Envelope;
use super::{IngestError, Loaded, arn_parts, item_id, masked_change};
use crate::classify::SecretMatcher;
use crate::model::compare::{diff_values, is_absent, semantic_eq, value_at};
use crate::model::{AttrPath, DriftItem, Format, Kind, NotDrift, ReportMeta, Step};

const F: Format = Format::Cloudformation;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceDrift {
    stack_id: String,
    logical_resource_id: String,
    #[serde(default)]
    physical_resource_id: Option<String>,
    #[serde(default)]
    physical_resource_id_context: Option<Vec<KeyValue>>,
    resource_type: String,
    #[serde(default)]
    expected_properties: Option<String>,
    #[serde(default)]
    actual_properties: Option<String>,
    #[serde(default)]
    property_differences: Option<Vec<PropertyDifference>>,
    stack_resource_drift_status: String,
    #[serde(default)]
    timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyValue {
    key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PropertyDifference {
    property_path: String,
    #[serde(default)]
    expected_value: Option<String>,
    #[serde(default)]
    actual_value: Option<String>,
}

/// `/SecurityGroupIngress/1/CidrIp` → `SecurityGroupIngress[1].CidrIp`.
fn pointer_path(pointer: &str) -> AttrPath {
    AttrPath(
        pointer
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .map(|s| s.parse::<usize>().map_or(Step::Key(s), Step::Index))
            .collect(),
    )
}

fn stack_name(stack_id: &str) -> &str {
    // arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/GUID, or a bare name.
    stack_id
        .split_once(":stack/")
        .map_or(stack_id, |(_, rest)| rest.split('/').next().unwrap_or(rest))
}

fn decode(path: &str, context: &str, s: Option<&String>) -> Result<Option<Value>, IngestError> {
    match s {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| IngestError::Invalid {
                path: path.to_string(),
                format: F,
                context: context.to_string(),
                message: format!("not a JSON document inside the string: {e}"),
            }),
    }
}

/// A stringly `PropertyDifference` value: `"null"` is absent, JSON text is decoded, anything
/// else is a plain string.
fn loose(s: Option<&String>) -> Option<Value> {
    let s = s?;
    if s == "null" {
        return None;
    }
    Some(serde_json::from_str::<Value>(s).unwrap_or_else(|_| Value::String(s.clone())))
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Loads CloudFormation drift.
pub(crate) fn load(path: &str, env: &Envelope<'_>, secrets: &SecretMatcher) -> Result<Loaded, IngestError> {
    let drifts: Vec<ResourceDrift> = env.member(path, F, "StackResourceDrifts")?.unwrap_or_default();
    let mut items = Vec::new();
    let mut not_drift = NotDrift::default();
    let mut latest: Option<OffsetDateTime> = None;
    let mut warnings = Vec::new();
    let incomplete: Vec<String> = Vec::new();
    for (n, d) in drifts.iter().enumerate() {
        if let Some(ts) = &d.timestamp {
            match parse_time(ts) {
                Some(t) => latest = Some(latest.map_or(t, |l| l.max(t))),
                None => warnings.push(format!("StackResourceDrifts[{n}]: unreadable Timestamp {ts:?}")),
            }
        }
        let kind = match d.stack_resource_drift_status.as_str() {
            "MODIFIED" => Kind::Modified,
            "DELETED" => Kind::Deleted,
            "IN_SYNC" => {
                not_drift.in_sync += 1;
                continue;
            }
            "NOT_CHECKED" => {
                not_drift.not_checked += 1;
                continue;
            }
            "UNSUPPORTED" => {
                not_drift.unsupported += 1;
                continue;
            }
            "UNKNOWN" => {
                not_drift.unknown += 1;
                continue;
            }
            other => {
                warnings.push(format!(
                    "StackResourceDrifts[{n}] ({}): unknown drift status {other:?}, counted as unknown",
                    d.logical_resource_id
                ));
                not_drift.unknown += 1;
                continue;
            }
        };
        let ctx = |what: &str| format!("StackResourceDrifts[{n}] ({}) {what}", d.logical_resource_id);
        let expected = decode(path, &ctx("ExpectedProperties"), d.expected_properties.as_ref())?;
        let actual = decode(path, &ctx("ActualProperties"), d.actual_properties.as_ref())?;
        let address = format!("{}/{}", stack_name(&d.stack_id), d.logical_resource_id);

        let mut changes = Vec::new();
        match kind {
            Kind::Modified => {
                let diffs = d.property_differences.as_deref().unwrap_or_default();
                for pd in diffs {
                    let p = pointer_path(&pd.property_path);
                    // Drop differences the top-level property does not really have (reordering).
                    if let (Some(e), Some(a), Some(top)) = (&expected, &actual, p.top()) {
                        let key = AttrPath::keys([top]);
                        if semantic_eq(
                            value_at(e, &key).unwrap_or(&Value::Null),
                            value_at(a, &key).unwrap_or(&Value::Null),
                        ) {
                            continue;
                        }
                    }
                    let typed_or_loose = |doc: &Option<Value>, s: Option<&String>| {
                        let from_string = loose(s);
                        let from_doc = doc
                            .as_ref()
                            .and_then(|v| value_at(v, &p))
                            .filter(|v| !is_absent(v));
                        match (from_doc, &from_string) {
                            (Some(v), Some(_)) => Some(v.clone()),
                            _ => from_string,
                        }
                    };
                    let desired = typed_or_loose(&expected, pd.expected_value.as_ref());
                    let live = typed_or_loose(&actual, pd.actual_value.as_ref());
                    if changes.iter().any(|c: &crate::model::Change| c.path == p) {
                        continue;
                    }
                    changes.push(masked_change(
                        &address,
                        p,
                        desired.as_ref(),
                        live.as_ref(),
                        None,
                        secrets,
                    ));
                }
                if diffs.is_empty() {
                    if let (Some(e), Some(a)) = (&expected, &actual) {
                        let mut raw = Vec::new();
                        diff_values(&AttrPath::root(), e, a, &mut raw);
                        for r in raw {
                            changes.push(masked_change(
                                &address,
                                r.path,
                                r.desired.as_ref(),
                                r.live.as_ref(),
                                None,
                                secrets,
                            ));
                        }
                    }
                }
                if changes.is_empty() {
                    not_drift.in_sync += 1;
                    continue;
                }
            }
            Kind::Deleted | Kind::Unmanaged => {
                if let Some(Value::Object(o)) = &expected {
                    for (k, v) in o {
                        changes.push(masked_change(
                            &address,
                            AttrPath::keys([k.clone()]),
                            Some(v),
                            None,
                            None,
                            secrets,
                        ));
                    }
                }
            }
        }

        let mut identity = BTreeMap::new();
        if let Some(id) = &d.physical_resource_id {
            identity.insert("id".to_string(), id.clone());
        }
        for kv in d.physical_resource_id_context.iter().flatten() {
            identity.insert(kv.key.clone(), kv.value.clone());
        }
        identity.insert("stack_id".to_string(), d.stack_id.clone());
        identity.insert("logical_id".to_string(), d.logical_resource_id.clone());
        let (region, account) = arn_parts(&d.stack_id);
        let mut item = DriftItem::new(
            item_id(F, &address, ""),
            address,
            d.resource_type.clone(),
            path,
            F,
            kind,
        );
        item.changes = changes;
        item.identity = identity;
        item.region = region;
        item.account = account;
        items.push(item);
    }
    let timestamp = latest.and_then(|t| t.format(&Rfc3339).ok());
    Ok(Loaded {
        meta: ReportMeta {
            path: path.to_string(),
            format: F,
            tool_version: None,
            timestamp,
            sha256: String::new(),
            warnings,
            incomplete,
        },
        items,
        not_drift,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_pointer_steps() {
        assert_eq!(
            pointer_path("/SecurityGroupIngress/1/CidrIp").to_string(),
            "SecurityGroupIngress[1].CidrIp"
        );
        assert_eq!(pointer_path("/Tags/a~1b").to_string(), "Tags[\"a/b\"]");
        assert_eq!(
            stack_name("arn:aws:cloudformation:eu-west-1:111122223333:stack/payments-prod/abc-123"),
            "payments-prod"
        );
    }
}

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
use super::terraform::unreadable_entry;
use super::{IngestError, Loaded, arn_parts, item_id, masked_change};
use crate::classify::SecretMatcher;
use crate::model::compare::{diff_values, semantic_eq};
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
    /// Read entry by entry ([`read_differences`]): one wrongly shaped entry makes its resource
    /// malformed, not the file unreadable.
    #[serde(default)]
    property_differences: Option<Value>,
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
    #[serde(default)]
    difference_type: Option<String>,
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

/// The `PropertyDifferences` of one resource, and what is wrong with those that cannot be read.
fn read_differences(raw: Option<&Value>) -> (Vec<PropertyDifference>, Vec<String>) {
    let list = match raw {
        None | Some(Value::Null) => return (Vec::new(), Vec::new()),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return (
                Vec::new(),
                vec![format!(
                    "`PropertyDifferences` is {}, not a list",
                    json_kind(other)
                )],
            );
        }
    };
    let mut diffs = Vec::with_capacity(list.len());
    let mut bad = Vec::new();
    for (i, v) in list.iter().enumerate() {
        if !v.is_object() {
            bad.push(format!(
                "`PropertyDifferences[{i}]` is {}, not an object",
                json_kind(v)
            ));
            continue;
        }
        match PropertyDifference::deserialize(v) {
            Ok(d) => diffs.push(d),
            Err(e) => bad.push(format!("`PropertyDifferences[{i}]`: {e}")),
        }
    }
    (diffs, bad)
}

/// A decoded property document that is not an object, in words.
fn not_an_object(name: &str, doc: Option<&Value>) -> Option<String> {
    match doc {
        None | Some(Value::Object(_) | Value::Null) => None,
        Some(other) => Some(format!("`{name}` holds {}, not an object", json_kind(other))),
    }
}

/// The JSON type of a value, in words.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
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

/// Top-level properties that are lists on both sides: `(name, expected, actual)`.
fn list_properties(
    expected: Option<&Value>,
    actual: Option<&Value>,
) -> Vec<(String, Vec<Value>, Vec<Value>)> {
    let (Some(Value::Object(e)), Some(Value::Object(a))) = (expected, actual) else {
        return Vec::new();
    };
    e.iter()
        .filter_map(|(k, ev)| match (ev, a.get(k)) {
            (Value::Array(el), Some(Value::Array(al))) => Some((k.clone(), el.clone(), al.clone())),
            _ => None,
        })
        .collect()
}

/// Elements of one list, each with its index there.
pub(crate) type Indexed<'a> = Vec<(usize, &'a Value)>;

/// The multiset difference of two lists, regardless of order: `(removed, added)`, where
/// removed are elements of `expected` (with their index there) that `actual` lacks, and added
/// are elements of `actual` (with their index there) that `expected` lacks. Elements compare
/// semantically, and each copy counts once.
pub(crate) fn multiset_diff<'a>(expected: &'a [Value], actual: &'a [Value]) -> (Indexed<'a>, Indexed<'a>) {
    let mut used = vec![false; actual.len()];
    let mut removed = Vec::new();
    for (i, e) in expected.iter().enumerate() {
        match (0..actual.len()).find(|&j| !used[j] && semantic_eq(e, &actual[j])) {
            Some(j) => used[j] = true,
            None => removed.push((i, e)),
        }
    }
    let added = actual.iter().enumerate().filter(|(j, _)| !used[*j]).collect();
    (removed, added)
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Loads CloudFormation drift.
pub(crate) fn load(path: &str, env: &Envelope<'_>, secrets: &SecretMatcher) -> Result<Loaded, IngestError> {
    // Shared by every item.
    let source: std::sync::Arc<str> = path.into();
    let mut drifts: Vec<ResourceDrift> = env
        .member(path, F, "StackResourceDrifts")
        .map_err(|e| {
            unreadable_entry::<ResourceDrift>(
                path,
                F,
                env,
                "StackResourceDrifts",
                &["LogicalResourceId"],
                "save the output of `aws cloudformation describe-stack-resource-drifts --output json` again",
            )
            .unwrap_or(e)
        })?
        .unwrap_or_default();
    // `detect-stack-resource-drift` prints one resource.
    drifts.extend(env.member::<ResourceDrift>(path, F, "StackResourceDrift")?);
    let next_token: Option<String> = env.member(path, F, "NextToken")?;
    let mut undetermined: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut items = Vec::new();
    let mut not_drift = NotDrift::default();
    let mut latest: Option<OffsetDateTime> = None;
    let mut warnings = Vec::new();
    let mut incomplete: Vec<String> = Vec::new();
    if next_token.as_deref().is_some_and(|t| !t.is_empty()) {
        incomplete.push(
            "the saved page still has a NextToken, so it lists only part of the stack's resources: \
save all pages by running `aws cloudformation describe-stack-resource-drifts --stack-name STACK --output json` \
without --max-items or --no-paginate (the CLI follows NextToken itself)"
                .to_string(),
        );
    }
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
                undetermined
                    .entry("NOT_CHECKED")
                    .or_default()
                    .push(&d.logical_resource_id);
                continue;
            }
            "UNSUPPORTED" => {
                not_drift.unsupported += 1;
                continue;
            }
            "UNKNOWN" => {
                not_drift.unknown += 1;
                undetermined
                    .entry("UNKNOWN")
                    .or_default()
                    .push(&d.logical_resource_id);
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
        let (diffs, mut malformed) = read_differences(d.property_differences.as_ref());
        malformed.extend(not_an_object("ExpectedProperties", expected.as_ref()));
        malformed.extend(not_an_object("ActualProperties", actual.as_ref()));

        let mut changes = Vec::new();
        match kind {
            Kind::Modified => {
                let diffs = diffs.as_slice();
                let lists = list_properties(expected.as_ref(), actual.as_ref());
                // Whole lists are compared as multisets: element indices in
                // `PropertyDifferences` follow the expected list, so a reordered or narrowed
                // list would otherwise report the wrong element.
                for (key, e, a) in &lists {
                    let (removed, added) = multiset_diff(e, a);
                    for (i, v) in removed {
                        let p = AttrPath(vec![Step::Key(key.clone()), Step::Index(i)]);
                        changes.push(masked_change(&address, p, Some(v), None, None, secrets));
                    }
                    for (i, v) in added {
                        let p = AttrPath(vec![Step::Key(key.clone()), Step::Index(i)]);
                        changes.push(masked_change(&address, p, None, Some(v), None, secrets));
                    }
                }
                let in_list = |p: &AttrPath| p.top().is_some_and(|t| lists.iter().any(|(k, _, _)| k == t));
                for pd in diffs {
                    let p = pointer_path(&pd.property_path);
                    if in_list(&p) || changes.iter().any(|c: &crate::model::Change| c.path == p) {
                        continue;
                    }
                    // Values come from the difference itself, never from indexing the
                    // property documents with `PropertyPath`.
                    let (desired, live) = match pd.difference_type.as_deref() {
                        Some("ADD") => (None, loose(pd.actual_value.as_ref())),
                        Some("REMOVE") => (loose(pd.expected_value.as_ref()), None),
                        _ => (loose(pd.expected_value.as_ref()), loose(pd.actual_value.as_ref())),
                    };
                    if semantic_eq(
                        desired.as_ref().unwrap_or(&Value::Null),
                        live.as_ref().unwrap_or(&Value::Null),
                    ) {
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
                    if let (Some(Value::Object(e)), Some(Value::Object(a))) = (&expected, &actual) {
                        let keys: std::collections::BTreeSet<&String> = e.keys().chain(a.keys()).collect();
                        let mut raw = Vec::new();
                        for k in keys
                            .into_iter()
                            .filter(|k| !lists.iter().any(|(l, _, _)| l == *k))
                        {
                            diff_values(
                                &AttrPath::keys([k.clone()]),
                                e.get(k).unwrap_or(&Value::Null),
                                a.get(k).unwrap_or(&Value::Null),
                                &mut raw,
                            );
                        }
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
                if changes.is_empty() && malformed.is_empty() {
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

        let mut identity = crate::model::Identity::new();
        if let Some(id) = &d.physical_resource_id {
            identity.set("id", id.clone());
        }
        for kv in d.physical_resource_id_context.iter().flatten() {
            identity.set(&kv.key, kv.value.clone());
        }
        identity.set("stack_id", d.stack_id.clone());
        identity.set("logical_id", d.logical_resource_id.clone());
        let (region, account) = arn_parts(&d.stack_id);
        let mut item = DriftItem::new(
            item_id(F, &address, ""),
            address,
            d.resource_type.clone(),
            std::sync::Arc::clone(&source),
            F,
            kind,
        );
        item.changes = changes;
        item.identity = identity;
        item.region = region;
        item.account = account;
        if !malformed.is_empty() {
            let what = malformed.join("; ");
            warnings.push(format!(
                "StackResourceDrifts[{n}] ({}): {what}; kept as drift and rated as if the whole resource \
                 changed, at the highest rule for {}",
                item.address, item.resource_type
            ));
            item.malformed = Some(what);
            // As for Terraform, nothing of a malformed entry is shown as a change: the entry
            // cannot be trusted, and readable changes that all turned out to be noise would
            // otherwise hide the item.
            item.changes.clear();
        }
        items.push(item);
    }
    for (status, ids) in &undetermined {
        incomplete.push(format!(
            "CloudFormation could not determine drift for {} resource(s) (StackResourceDriftStatus {status}): {}; \
run `aws cloudformation detect-stack-drift` again and save the new describe-stack-resource-drifts output",
            ids.len(),
            ids.join(", ")
        ));
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

    #[test]
    fn multiset_diff_ignores_order_and_counts_copies() {
        use serde_json::json;
        let e = [json!(1), json!(2), json!(2), json!(3)];
        let a = [json!(3), json!(2), json!(4), json!(1)];
        let (removed, added) = multiset_diff(&e, &a);
        assert_eq!(removed, vec![(2, &json!(2))]);
        assert_eq!(added, vec![(2, &json!(4))]);
        let reordered = [json!(3), json!(2), json!(1), json!(2)];
        let (removed, added) = multiset_diff(&e, &reordered);
        assert!(removed.is_empty() && added.is_empty());
    }

    mod property {
        //! The differ against an independent oracle: counting each element's canonical form.
        use std::collections::BTreeMap;

        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestCaseError, TestRunner};
        use serde_json::{Value, json};

        use super::super::multiset_diff;
        use crate::classify::Taxonomy;
        use crate::ingest::{Input, load_one};
        use crate::model::Step;
        use crate::model::compare::canonical;

        /// Few distinct rules, so lists share and repeat elements. Keys come in either order
        /// (the comparison is semantic, not textual).
        fn rule() -> impl Strategy<Value = Value> {
            (0u8..3, prop::sample::select(vec![22u16, 443]), any::<bool>()).prop_map(|(host, port, swap)| {
                let cidr = format!("10.0.0.{host}/32");
                let text = if swap {
                    format!(r#"{{"ToPort":{port},"IpProtocol":"tcp","FromPort":{port},"CidrIp":"{cidr}"}}"#)
                } else {
                    format!(r#"{{"CidrIp":"{cidr}","FromPort":{port},"IpProtocol":"tcp","ToPort":{port}}}"#)
                };
                serde_json::from_str(&text).unwrap_or(Value::Null)
            })
        }

        /// Independent lists, or one list and a permutation of it.
        fn lists() -> impl Strategy<Value = (Vec<Value>, Vec<Value>)> {
            let list = || prop::collection::vec(rule(), 0..7);
            prop_oneof![
                (list(), list()),
                list().prop_flat_map(|e| (Just(e.clone()), Just(e).prop_shuffle())),
            ]
        }

        /// Per canonical element, how many more copies `a` has than `b`.
        fn surplus(a: &[Value], b: &[Value]) -> BTreeMap<String, usize> {
            let mut n: BTreeMap<String, isize> = BTreeMap::new();
            for v in a {
                *n.entry(canonical(v)).or_default() += 1;
            }
            for v in b {
                *n.entry(canonical(v)).or_default() -= 1;
            }
            n.into_iter()
                .filter(|(_, c)| *c > 0)
                .map(|(k, c)| (k, c.unsigned_abs()))
                .collect()
        }

        fn counted<'a>(values: impl Iterator<Item = &'a Value>) -> BTreeMap<String, usize> {
            let mut n = BTreeMap::new();
            for v in values {
                *n.entry(canonical(v)).or_default() += 1;
            }
            n
        }

        fn runner() -> TestRunner {
            TestRunner::new(Config {
                cases: 256,
                failure_persistence: None,
                ..Config::default()
            })
        }

        #[test]
        fn multiset_diff_is_exactly_the_multiset_difference() {
            runner()
                .run(&lists(), |(expected, actual)| {
                    let (removed, added) = multiset_diff(&expected, &actual);
                    prop_assert_eq!(
                        counted(removed.iter().map(|(_, v)| *v)),
                        surplus(&expected, &actual)
                    );
                    prop_assert_eq!(
                        counted(added.iter().map(|(_, v)| *v)),
                        surplus(&actual, &expected)
                    );
                    // Each index names the element reported, once.
                    for (list, side) in [(&expected, &removed), (&actual, &added)] {
                        let mut seen = std::collections::HashSet::new();
                        for (i, v) in side {
                            prop_assert_eq!(&list[*i], *v);
                            prop_assert!(seen.insert(*i));
                        }
                    }
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{e}"));
        }

        /// A `describe-stack-resource-drifts` page for one security group, with the positional
        /// `PropertyDifferences` CloudFormation writes (indices follow the expected list).
        fn report(expected: &[Value], actual: &[Value]) -> Vec<u8> {
            let pointer = |i: usize| format!("/SecurityGroupIngress/{i}");
            let mut diffs = Vec::new();
            for i in 0..expected.len().max(actual.len()) {
                match (expected.get(i), actual.get(i)) {
                    (Some(e), Some(a)) if e != a => diffs.push(json!({"PropertyPath": pointer(i),
                        "ExpectedValue": e.to_string(), "ActualValue": a.to_string(), "DifferenceType": "NOT_EQUAL"})),
                    (Some(e), None) => diffs.push(json!({"PropertyPath": pointer(i),
                        "ExpectedValue": e.to_string(), "ActualValue": "null", "DifferenceType": "REMOVE"})),
                    (None, Some(a)) => diffs.push(json!({"PropertyPath": pointer(i),
                        "ExpectedValue": "null", "ActualValue": a.to_string(), "DifferenceType": "ADD"})),
                    _ => {}
                }
            }
            let props = |rules: &[Value]| {
                json!({"GroupDescription": "web", "SecurityGroupIngress": rules}).to_string()
            };
            json!({"StackResourceDrifts": [{
                "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/web/0f0e",
                "LogicalResourceId": "WebSg",
                "PhysicalResourceId": "sg-0c0ffee",
                "ResourceType": "AWS::EC2::SecurityGroup",
                "ExpectedProperties": props(expected),
                "ActualProperties": props(actual),
                "PropertyDifferences": diffs,
                "StackResourceDriftStatus": if diffs.is_empty() { "IN_SYNC" } else { "MODIFIED" },
                "Timestamp": "2026-11-30T06:30:00.000Z"
            }]})
            .to_string()
            .into_bytes()
        }

        #[test]
        fn the_loader_reports_exactly_the_multiset_difference() {
            let taxonomy = Taxonomy::defaults().expect("default taxonomy compiles");
            runner()
                .run(&lists(), |(expected, actual)| {
                    let input = Input {
                        path: "drift.json".to_string(),
                        bytes: report(&expected, &actual),
                    };
                    let r = load_one(&input, &taxonomy).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let (mut removed, mut added) = (Vec::new(), Vec::new());
                    for c in r.items.iter().flat_map(|i| &i.changes) {
                        let [Step::Key(k), Step::Index(i)] = c.path.0.as_slice() else {
                            return Err(TestCaseError::fail(format!("unexpected change at {}", c.path)));
                        };
                        prop_assert_eq!(k, "SecurityGroupIngress");
                        match (&*c.desired, &*c.live) {
                            (Some(d), None) => {
                                prop_assert_eq!(Some(d), expected.get(*i), "removed index follows expected");
                                removed.push(d.clone());
                            }
                            (None, Some(l)) => {
                                prop_assert_eq!(Some(l), actual.get(*i), "added index follows actual");
                                added.push(l.clone());
                            }
                            other => {
                                return Err(TestCaseError::fail(format!("not one whole rule: {other:?}")));
                            }
                        }
                    }
                    prop_assert_eq!(counted(removed.iter()), surplus(&expected, &actual));
                    prop_assert_eq!(counted(added.iter()), surplus(&actual, &expected));
                    // No difference at all: in sync, not an empty item.
                    prop_assert_eq!(r.items.is_empty(), removed.is_empty() && added.is_empty());
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

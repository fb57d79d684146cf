//! Value predicates a taxonomy rule can test on a change.

use serde::Deserialize;
use serde_json::Value;

use crate::model::Change;
use crate::model::compare::{embedded_json, semantic_eq};

/// What a rule tests on a matching change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predicate {
    /// The attribute changed at all (or, for deleted/unmanaged, the resource matched).
    #[default]
    Changed,
    /// The live side contains one of `values` (anywhere inside, JSON documents included) more
    /// often than the desired side: e.g. `0.0.0.0/0` added to a rule.
    AddedValue,
    /// Like `added_value`, but a leaf counts when it *contains* one of `values` (case-insensitive):
    /// e.g. `policy/AdministratorAccess` inside an attachment id.
    AddedSubstring,
    /// The live value is one of `values` and the desired value is not: e.g. `false`.
    LiveIn,
    /// The attribute is gone from the live side.
    Removed,
    /// A number went down (backup retention 7 → 1).
    Decreased,
    /// A policy document (IAM, bucket, key, trust) grants more: a new wildcard action,
    /// resource or principal, a new `NotAction` allow, or a new principal.
    PolicyWidened,
    /// The change is to a secret value.
    Sensitive,
    /// Either side is a string that contains one of `values` (case-insensitive): e.g. the name
    /// of a deleted bucket or log group says it holds the audit trail (`cloudtrail`, `audit`).
    ValueContains,
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_ascii_lowercase()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn value_is_one_of(v: &Value, values: &[Value]) -> Option<String> {
    let text = scalar_text(v)?;
    values
        .iter()
        .find(|c| semantic_eq(v, c) || scalar_text(c).as_deref() == Some(text.as_str()))
        .map(|_| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
}

fn leaf_matches(v: &Value, needle: &Value, substring: bool) -> bool {
    if substring {
        match (scalar_text(v), scalar_text(needle)) {
            (Some(hay), Some(n)) => hay.contains(&n),
            _ => false,
        }
    } else {
        value_is_one_of(v, std::slice::from_ref(needle)).is_some()
    }
}

fn count_leaves(v: &Value, needle: &Value, substring: bool, n: &mut usize) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| count_leaves(x, needle, substring, n)),
        Value::Object(o) => o.values().for_each(|x| count_leaves(x, needle, substring, n)),
        Value::String(s) if embedded_json(s).is_some() => {
            if let Some(doc) = embedded_json(s) {
                count_leaves(&doc, needle, substring, n);
            }
        }
        other => {
            if leaf_matches(other, needle, substring) {
                *n += 1;
            }
        }
    }
}

fn document(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => embedded_json(s),
        Value::Object(_) => Some(v.clone()),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Some(Value::Object(o)) => o.values().flat_map(|x| strings(Some(x))).collect(),
        _ => Vec::new(),
    }
}

/// The grants of a policy document that matter for widening, as comparable markers.
fn grants(doc: &Value) -> Vec<String> {
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for st in statements {
        let effect = st.get("Effect").and_then(Value::as_str).unwrap_or("Allow");
        if !effect.eq_ignore_ascii_case("allow") {
            continue;
        }
        for a in strings(st.get("Action")) {
            if a == "*" || a.ends_with(":*") || a.ends_with('*') {
                out.push(format!("Action \"{a}\""));
            }
        }
        for a in strings(st.get("NotAction")) {
            out.push(format!("NotAction \"{a}\""));
        }
        for r in strings(st.get("Resource")) {
            if r == "*" {
                out.push("Resource \"*\"".to_string());
            }
        }
        match st.get("Principal") {
            Some(Value::String(p)) => out.push(format!("Principal \"{p}\"")),
            Some(p @ Value::Object(_)) => {
                for who in strings(Some(p)) {
                    out.push(format!("Principal \"{who}\""));
                }
            }
            _ => {}
        }
    }
    out
}

impl Predicate {
    /// Checks `values` fit the predicate when the taxonomy loads.
    pub fn validate(self, values: &[Value]) -> Result<(), String> {
        match self {
            Predicate::AddedValue
            | Predicate::AddedSubstring
            | Predicate::LiveIn
            | Predicate::ValueContains
                if values.is_empty() =>
            {
                Err(format!("predicate {self:?} needs `values`"))
            }
            _ => Ok(()),
        }
    }

    /// Whether the predicate can fire on a whole resource (deleted/unmanaged, no changes).
    pub fn whole_resource(self) -> bool {
        self == Predicate::Changed
    }

    /// `Some(matched value text)` when the predicate holds for the change.
    pub fn test(self, c: &Change, values: &[Value]) -> Option<String> {
        let desired = c.desired.as_ref().unwrap_or(&Value::Null);
        let live = c.live.as_ref().unwrap_or(&Value::Null);
        match self {
            Predicate::Changed => Some(String::new()),
            Predicate::Sensitive => c.sensitive.then(String::new),
            Predicate::ValueContains => {
                if c.sensitive {
                    return None;
                }
                [desired, live].into_iter().find_map(|side| {
                    let text = side.as_str()?.to_ascii_lowercase();
                    values.iter().find_map(|needle| {
                        let n = scalar_text(needle)?;
                        text.contains(&n)
                            .then(|| side.as_str().unwrap_or_default().to_string())
                    })
                })
            }
            Predicate::Removed => (c.live.is_none() && c.desired.is_some()).then(String::new),
            Predicate::LiveIn => {
                if c.sensitive {
                    return None;
                }
                let hit = value_is_one_of(live, values)?;
                value_is_one_of(desired, values).is_none().then_some(hit)
            }
            Predicate::AddedValue | Predicate::AddedSubstring => values.iter().find_map(|needle| {
                let substring = self == Predicate::AddedSubstring;
                let (mut l, mut d) = (0, 0);
                count_leaves(live, needle, substring, &mut l);
                count_leaves(desired, needle, substring, &mut d);
                (l > d).then(|| scalar_text(needle).unwrap_or_default())
            }),
            Predicate::Decreased => {
                let to_f = |v: &Value| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok()));
                let (d, l) = (to_f(desired)?, to_f(live)?);
                (l < d).then(|| format!("{d} → {l}"))
            }
            Predicate::PolicyWidened => {
                let live_doc = document(live)?;
                let live_grants = grants(&live_doc);
                let desired_grants = document(desired).map(|d| grants(&d)).unwrap_or_default();
                live_grants.into_iter().find(|g| !desired_grants.contains(g))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AttrPath;
    use serde_json::json;

    fn change(d: Value, l: Value) -> Change {
        Change::plain(AttrPath::keys(["policy"]), Some(d), Some(l))
    }

    #[test]
    fn widened_policy_is_found_in_json_strings() {
        let d = json!(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#
        );
        let l = json!(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        );
        assert_eq!(
            Predicate::PolicyWidened.test(&change(d.clone(), l.clone()), &[]),
            Some("Action \"*\"".into())
        );
        assert_eq!(
            Predicate::PolicyWidened.test(&change(l, d), &[]),
            None,
            "narrowing is not widening"
        );
    }

    #[test]
    fn added_value_counts_occurrences() {
        let d = json!([{"cidr_blocks": ["0.0.0.0/0"], "from_port": 443}]);
        let l = json!([{"cidr_blocks": ["0.0.0.0/0"], "from_port": 443}, {"cidr_blocks": ["0.0.0.0/0"], "from_port": 22}]);
        let vals = [json!("0.0.0.0/0"), json!("::/0")];
        assert!(
            Predicate::AddedValue
                .test(&change(d.clone(), l.clone()), &vals)
                .is_some()
        );
        assert!(Predicate::AddedValue.test(&change(l, d), &vals).is_none());
    }

    #[test]
    fn live_in_accepts_stringly_booleans() {
        let c = change(json!("true"), json!("false"));
        assert_eq!(Predicate::LiveIn.test(&c, &[json!(false)]), Some("false".into()));
    }
}

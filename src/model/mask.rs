//! Masking: replaces secret values by [`MASK`](super::MASK) at load time, so plaintext never
//! enters the model. Terraform's `*_sensitive` trees, the taxonomy's secret names and the secret
//! value shapes all apply, inside JSON documents held in strings too (ECS container definitions,
//! IAM policies). A mask that is not what Terraform writes (wrong type, duplicate keys) hides
//! everything it covers: masks fail closed.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{AttrPath, MASK, Step};
use crate::classify::{PathState, SecretMatcher, looks_random};

/// Parses a Terraform sensitivity mask from its JSON text. A mask with a duplicate key anywhere
/// (which plain parsing would resolve silently, last one wins) or that is not JSON at all comes
/// back as `true`: everything it covers is sensitive.
pub fn parse_mask(json: &str) -> Value {
    serde_json::from_str::<StrictValue>(json).map_or(Value::Bool(true), |v| v.0)
}

/// A JSON value whose objects may not repeat a key.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let StrictValue(v) = map.next_value()?;
            if out.insert(k, v).is_some() {
                return Err(de::Error::custom("duplicate key in a sensitivity mask"));
            }
        }
        Ok(Value::Object(out))
    }
}

/// True when `mask` says the value it covers is sensitive: `true`, or anything Terraform never
/// writes over such a value (a string or number, an object mask over a non-object, a list
/// mask over a non-list).
fn mask_hides(mask: Option<&Value>, v: &Value) -> bool {
    match mask {
        None | Some(Value::Null | Value::Bool(false)) => false,
        Some(Value::Object(_)) => !v.is_object(),
        Some(Value::Array(_)) => !v.is_array(),
        Some(_) => true,
    }
}

/// Member names of the `{name, value}` pairs tools use for variables: ECS and Kubernetes
/// `environment`/`env`, CloudFormation `Environment` and stack parameters, tag lists.
const PAIR_NAMES: &[(&str, &str)] = &[
    ("name", "value"),
    ("Name", "Value"),
    ("key", "value"),
    ("Key", "Value"),
    ("ParameterKey", "ParameterValue"),
    ("OptionName", "Value"),
];

/// The union of two Terraform sensitivity masks (`true` anywhere on either side wins; masks of
/// different shapes make the whole value sensitive).
pub fn union_mask(a: Option<&Value>, b: Option<&Value>) -> Value {
    match (a, b) {
        (Some(Value::Bool(true)), _) | (_, Some(Value::Bool(true))) => Value::Bool(true),
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let mut m = Map::new();
            for k in x.keys().chain(y.keys()) {
                if !m.contains_key(k) {
                    m.insert(k.clone(), union_mask(x.get(k), y.get(k)));
                }
            }
            Value::Object(m)
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            let n = x.len().max(y.len());
            Value::Array((0..n).map(|i| union_mask(x.get(i), y.get(i))).collect())
        }
        (Some(v), None | Some(Value::Bool(false) | Value::Null))
        | (None | Some(Value::Bool(false) | Value::Null), Some(v)) => v.clone(),
        (None, None) => Value::Bool(false),
        // An object on one side and a list on the other, or a string or number: not a mask
        // Terraform writes, so fail closed.
        _ => Value::Bool(true),
    }
}

/// The part of a mask tree that covers `path`; `true` when an ancestor is wholly sensitive.
pub fn mask_at<'a>(mask: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let mut cur = mask;
    for step in &path.0 {
        if cur == &Value::Bool(true) {
            return Some(cur);
        }
        cur = match (step, cur) {
            (Step::Key(k), Value::Object(o)) => o.get(k)?,
            (Step::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// What masking did to one value.
#[derive(Debug, Clone, PartialEq)]
pub struct Masked {
    /// The value with secrets replaced.
    pub value: Value,
    /// True when anything was replaced.
    pub any: bool,
}

/// Masks `v` (found at `path`) with the Terraform mask subtree `mask` and the secret rules.
pub fn mask_value(v: &Value, mask: Option<&Value>, path: &AttrPath, secrets: &SecretMatcher) -> Masked {
    // Almost no value holds a secret: one walk that builds nothing says so, and the value is
    // copied as it is.
    if !needs_mask(v, mask, path, secrets) {
        return Masked {
            value: v.clone(),
            any: false,
        };
    }
    mask_tree(v, mask, path, secrets)
}

/// True when [`mask_value`] would replace anything in `v`: the same rules, read-only, with the
/// path's verdicts carried down one key at a time instead of a path built per node.
pub fn needs_mask(v: &Value, mask: Option<&Value>, path: &AttrPath, secrets: &SecretMatcher) -> bool {
    needs_at(v, mask, secrets.path_state(path), secrets)
}

fn needs_at(v: &Value, mask: Option<&Value>, st: PathState, secrets: &SecretMatcher) -> bool {
    if v.is_null() {
        return false;
    }
    if mask_hides(mask, v) || st.secret {
        return true;
    }
    match v {
        Value::String(s) => {
            secrets.is_secret_value(s)
                || (st.context && looks_random(s))
                || super::compare::embedded_json(s).is_some_and(|doc| needs_at(&doc, None, st, secrets))
        }
        Value::Object(o) => {
            secret_pair(o, secrets).is_some_and(|k| o.get(k).is_some_and(|c| !c.is_null()))
                || o.iter().any(|(k, child)| {
                    let m = match mask {
                        Some(Value::Object(mo)) => mo.get(k),
                        _ => None,
                    };
                    needs_at(child, m, st.key(k, secrets), secrets)
                })
        }
        Value::Array(a) => a.iter().enumerate().any(|(i, child)| {
            let m = match mask {
                Some(Value::Array(ma)) => ma.get(i),
                _ => None,
            };
            needs_at(child, m, st, secrets)
        }),
        _ => false,
    }
}

/// [`mask_value`] once something is known to need masking.
fn mask_tree(v: &Value, mask: Option<&Value>, path: &AttrPath, secrets: &SecretMatcher) -> Masked {
    if v.is_null() {
        return Masked {
            value: Value::Null,
            any: false,
        };
    }
    if mask_hides(mask, v) || secrets.is_secret_path(path) {
        return hidden();
    }
    match v {
        Value::String(s) if secret_string(s, path, secrets) => hidden(),
        Value::String(s) => embedded_json(s, path, secrets).unwrap_or_else(|| Masked {
            value: v.clone(),
            any: false,
        }),
        Value::Object(o) => {
            let mut any = false;
            let mut out = Map::new();
            let secret_pair_value = secret_pair(o, secrets);
            for (k, child) in o {
                if secret_pair_value == Some(k.as_str()) && !child.is_null() {
                    any = true;
                    out.insert(k.clone(), Value::String(MASK.to_string()));
                    continue;
                }
                let m = match mask {
                    Some(Value::Object(mo)) => mo.get(k),
                    _ => None,
                };
                let r = mask_tree(child, m, &path.child(Step::Key(k.clone())), secrets);
                any |= r.any;
                out.insert(k.clone(), r.value);
            }
            Masked {
                value: Value::Object(out),
                any,
            }
        }
        Value::Array(a) => {
            let mut any = false;
            let out = a
                .iter()
                .enumerate()
                .map(|(i, child)| {
                    let m = match mask {
                        Some(Value::Array(ma)) => ma.get(i),
                        _ => None,
                    };
                    let r = mask_tree(child, m, &path.child(Step::Index(i)), secrets);
                    any |= r.any;
                    r.value
                })
                .collect();
            Masked {
                value: Value::Array(out),
                any,
            }
        }
        _ => Masked {
            value: v.clone(),
            any: false,
        },
    }
}

fn hidden() -> Masked {
    Masked {
        value: Value::String(MASK.to_string()),
        any: true,
    }
}

/// A string that is a secret by its shape, or random-looking where secrets live.
fn secret_string(s: &str, path: &AttrPath, secrets: &SecretMatcher) -> bool {
    secrets.is_secret_value(s) || (SecretMatcher::is_secret_context(path) && looks_random(s))
}

/// In a `{name, value}` pair whose name is a secret key (`{"name": "DB_PASSWORD", "value": …}`),
/// the member holding the value.
fn secret_pair(o: &Map<String, Value>, secrets: &SecretMatcher) -> Option<&'static str> {
    PAIR_NAMES.iter().find_map(|(n, v)| {
        let name = o.get(*n)?.as_str()?;
        (o.contains_key(*v) && secrets.is_secret_key(name)).then_some(*v)
    })
}

/// A JSON document held in a string (an ECS `container_definitions`, an IAM policy): masked
/// inside with the same rules, and written back as JSON text with the secrets replaced. `None`
/// when the string is not a JSON object or list, or holds nothing secret.
fn embedded_json(s: &str, path: &AttrPath, secrets: &SecretMatcher) -> Option<Masked> {
    let doc = super::compare::embedded_json(s)?;
    let inner = mask_tree(&doc, None, path, secrets);
    inner.any.then(|| Masked {
        value: Value::String(serde_json::to_string(&inner.value).unwrap_or_else(|_| MASK.to_string())),
        any: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_collection_mask_hides_everything_below() {
        let mask = json!({"environment": true});
        let p = AttrPath::keys(["environment", "variables", "X"]);
        assert_eq!(mask_at(&mask, &p), Some(&Value::Bool(true)));
    }

    #[test]
    fn partial_masks_keep_the_rest_visible() {
        let v = json!({"user": "admin", "password": "hunter2"});
        let mask = json!({"password": true});
        let r = mask_value(&v, Some(&mask), &AttrPath::root(), &SecretMatcher::none());
        assert!(r.any);
        assert_eq!(r.value, json!({"user": "admin", "password": MASK}));
    }

    #[test]
    fn masks_of_the_wrong_type_or_with_duplicate_keys_hide_everything() {
        let v = json!({"user": "admin", "password": "hunter2"});
        let none = SecretMatcher::none();
        for mask in [json!("yes"), json!(1), json!([true])] {
            let r = mask_value(&v, Some(&mask), &AttrPath::root(), &none);
            assert_eq!(r.value, json!(MASK), "{mask}");
        }
        let dup = parse_mask(r#"{"password": true, "password": false}"#);
        assert_eq!(dup, json!(true));
        let nested = parse_mask(r#"{"a": {"b": false, "b": false}}"#);
        assert_eq!(nested, json!(true));
        assert_eq!(parse_mask(r#"{"password": true}"#), json!({"password": true}));
        assert_eq!(
            union_mask(Some(&json!({"a": true})), Some(&json!([false]))),
            json!(true)
        );
    }

    #[test]
    fn secrets_inside_json_in_strings() {
        let defs = json!(
            serde_json::to_string(&json!([{
                "name": "app",
                "image": "nginx:1.27",
                "environment": [
                    {"name": "DB_PASSWORD", "value": "hunter2"},
                    {"name": "LOG_LEVEL", "value": "info"},
                    {"name": "SESSION_SEED", "value": "q8Zt3vW9pL2mX7rB4nK6jH1s"}
                ]
            }]))
            .expect("json")
        );
        let taxonomy = crate::classify::Taxonomy::defaults().expect("taxonomy");
        let r = mask_value(
            &defs,
            None,
            &AttrPath::keys(["container_definitions"]),
            taxonomy.secrets(),
        );
        assert!(r.any);
        let text = r.value.as_str().expect("still a JSON string");
        assert!(!text.contains("hunter2") && !text.contains("q8Zt3vW9"), "{text}");
        assert!(text.contains("info") && text.contains("nginx:1.27"), "{text}");
        let policy = json!(
            r#"{"Statement":[{"Effect":"Allow","Condition":{"StringEquals":{"sts:ExternalId":"tenant-4411"}}}]}"#
        );
        let r = mask_value(
            &policy,
            None,
            &AttrPath::keys(["assume_role_policy"]),
            &SecretMatcher::none(),
        );
        let text = r.value.as_str().expect("string");
        assert!(
            r.any && !text.contains("tenant-4411") && text.contains("Allow"),
            "{text}"
        );
    }

    mod property {
        //! The read-only check that lets most values skip masking against the masking walk
        //! itself: whenever the walk would replace anything, the check must say so (or a secret
        //! would be copied out unmasked).
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestCaseError, TestRunner};
        use serde_json::{Value, json};

        use super::super::{mask_tree, mask_value, needs_mask};
        use crate::classify::Taxonomy;
        use crate::model::AttrPath;

        /// Names that are secret, secret places, pair members, condition keys, and plain ones,
        /// in several cases.
        const KEYS: &[&str] = &[
            "password",
            "DB_PASSWORD",
            "name",
            "Name",
            "value",
            "Value",
            "environment",
            "variables",
            "Condition",
            "condition",
            "sts:ExternalId",
            "StringEquals",
            "tags",
            "id",
            "key_name",
            "kms_key_id",
            "api_token",
            "plain",
        ];

        /// Strings secret by shape, random-looking, JSON documents holding secrets, and plain.
        fn leaf() -> impl Strategy<Value = Value> {
            prop_oneof![
                prop::sample::select(vec![
                    "hunter2",
                    "plain text",
                    "DB_PASSWORD",
                    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn",
                    "https://user:pass@example.com/x",
                    "https://hooks.slack.com/services/T0/B0/XYZ",
                    "ghp_aaaaaaaaaaaaaaaaaaaaaaaa",
                    "q8Zt3vW9pL2mX7rB4nK6jH1s",
                    "{\"password\": \"x\"}",
                    "[{\"name\": \"API_KEY\", \"value\": \"v\"}]",
                    "{\"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"t-1\"}}}",
                    "{\"a\": 1}",
                    "",
                ])
                .prop_map(|s| Value::String(s.to_string())),
                any::<i32>().prop_map(Value::from),
                any::<bool>().prop_map(Value::Bool),
                Just(Value::Null),
            ]
        }

        fn value() -> impl Strategy<Value = Value> {
            leaf().prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map(prop::sample::select(KEYS), inner, 0..4).prop_map(|m| {
                        Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                    }),
                ]
            })
        }

        /// Terraform-like masks: `true`/`false` leaves, objects and lists, sometimes wrong.
        fn mask() -> impl Strategy<Value = Value> {
            prop_oneof![Just(json!(true)), Just(json!(false)), Just(json!("x"))].prop_recursive(
                3,
                16,
                3,
                |inner| {
                    prop_oneof![
                        prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                        prop::collection::btree_map(prop::sample::select(KEYS), inner, 0..3).prop_map(|m| {
                            Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                        }),
                    ]
                },
            )
        }

        #[test]
        fn the_check_agrees_with_the_masking_walk() {
            let taxonomy = Taxonomy::defaults().expect("taxonomy");
            let secrets = taxonomy.secrets();
            let path = prop::collection::vec(prop::sample::select(KEYS), 0..3)
                .prop_map(|ks| AttrPath::keys(ks.into_iter().map(str::to_string)));
            let mut runner = TestRunner::new(Config {
                cases: 512,
                failure_persistence: None,
                ..Config::default()
            });
            runner
                .run(&(value(), prop::option::of(mask()), path), |(v, m, p)| {
                    let walked = mask_tree(&v, m.as_ref(), &p, secrets);
                    let checked = needs_mask(&v, m.as_ref(), &p, secrets);
                    if checked != walked.any {
                        return Err(TestCaseError::fail(format!(
                            "check says {checked}, walk says {} for {v} under {m:?} at {p}",
                            walked.any
                        )));
                    }
                    let masked = mask_value(&v, m.as_ref(), &p, secrets);
                    if masked != walked {
                        return Err(TestCaseError::fail(format!("{masked:?} != {walked:?}")));
                    }
                    Ok(())
                })
                .map_err(|e| e.to_string())
                .expect("agrees");
        }
    }

    #[test]
    fn union_of_masks() {
        let u = union_mask(Some(&json!({"a": true})), Some(&json!({"b": [false, true]})));
        assert_eq!(u, json!({"a": true, "b": [false, true]}));
        assert_eq!(union_mask(Some(&json!(false)), Some(&json!(true))), json!(true));
    }
}

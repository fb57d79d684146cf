//! Masking: replaces secret values by [`MASK`](super::MASK) at load time, so plaintext never
//! enters the model. Terraform's `*_sensitive` trees and the taxonomy's secret names both apply.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{AttrPath, MASK, Step};
use crate::classify::SecretMatcher;

/// The union of two Terraform sensitivity masks (`true` anywhere on either side wins).
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
        _ => Value::Bool(false),
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

/// Masks `v` (found at `path`) with the Terraform mask subtree `mask` and the secret names.
pub fn mask_value(v: &Value, mask: Option<&Value>, path: &AttrPath, secrets: &SecretMatcher) -> Masked {
    if v.is_null() {
        return Masked {
            value: Value::Null,
            any: false,
        };
    }
    if matches!(mask, Some(Value::Bool(true))) || secrets.is_secret_path(path) {
        return masked();
    }
    mask_below(v, mask, secrets)
}

fn masked() -> Masked {
    Masked {
        value: Value::String(MASK.to_string()),
        any: true,
    }
}

/// [`mask_value`] of a value none of whose path steps is a secret name: only the steps below it
/// need checking, one name per level (checking every child's whole path again made masking
/// quadratic in depth, and built a path per node).
fn mask_below(v: &Value, mask: Option<&Value>, secrets: &SecretMatcher) -> Masked {
    match v {
        Value::String(s) if secrets.is_secret_value(s) => masked(),
        Value::Object(o) => {
            let mut any = false;
            let mut out = Map::new();
            for (k, child) in o {
                let m = match mask {
                    Some(Value::Object(mo)) => mo.get(k),
                    _ => None,
                };
                let r = if child.is_null() {
                    Masked {
                        value: Value::Null,
                        any: false,
                    }
                } else if matches!(m, Some(Value::Bool(true))) || secrets.is_secret_key(k) {
                    masked()
                } else {
                    mask_below(child, m, secrets)
                };
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
                    // A list index is never a secret name.
                    let r = if child.is_null() {
                        Masked {
                            value: Value::Null,
                            any: false,
                        }
                    } else if matches!(m, Some(Value::Bool(true))) {
                        masked()
                    } else {
                        mask_below(child, m, secrets)
                    };
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

/// A salted fingerprint of a secret's plaintext: lets an approval notice that a secret changed
/// again without storing it. Salted with the address and path so equal secrets on different
/// resources do not share a fingerprint.
pub fn fingerprint(address: &str, path: &AttrPath, plaintext: &Value) -> String {
    let mut h = Sha256::new();
    h.update(b"driftdeck-fingerprint-v1\0");
    h.update(address.as_bytes());
    h.update(b"\0");
    h.update(path.to_string().as_bytes());
    h.update(b"\0");
    h.update(super::compare::canonical(plaintext).as_bytes());
    format!("sha256:{}", hex::encode(&h.finalize()[..16]))
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
    fn union_of_masks() {
        let u = union_mask(Some(&json!({"a": true})), Some(&json!({"b": [false, true]})));
        assert_eq!(u, json!({"a": true, "b": [false, true]}));
        assert_eq!(union_mask(Some(&json!(false)), Some(&json!(true))), json!(true));
    }
}

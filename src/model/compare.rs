//! Semantic comparison of attribute values, shared by every loader.
//!
//! Drift tools compare raw values, which reports phantom drift: sets in a different order,
//! IAM policies re-serialised with other whitespace or key order, `null` versus an empty list.
//! Here arrays compare as multisets, strings holding JSON documents compare by their decoded
//! value, numbers by value, and `null`, `[]` and `{}` are the same absence.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::{AttrPath, Step};

/// Decodes a string that holds a JSON object or array (an IAM policy, container definitions).
pub fn embedded_json(s: &str) -> Option<Value> {
    // By its first byte: `starts_with('{')` encodes the char and calls memcmp for one byte, and
    // every semantic comparison of two differing strings asks this of both.
    if !matches!(s.trim_start().as_bytes().first(), Some(b'{' | b'[')) {
        return None;
    }
    match serde_json::from_str::<Value>(s) {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => Some(v),
        _ => None,
    }
}

/// True for `null`, `[]`, `{}`: the values that mean "nothing set".
pub fn is_absent(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A canonical text for `v`: object keys sorted, embedded JSON decoded, arrays sorted, absent
/// members dropped. Two values are semantically equal exactly when their canonical texts are.
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

/// `s` as a JSON string literal, appended to `out` (no copy of `s` on the way).
fn push_json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                let _ = write!(out, "{}", f as i64);
            }
            _ => {
                let _ = write!(out, "{n}");
            }
        },
        Value::String(s) => {
            if let Some(doc) = embedded_json(s) {
                out.push_str("json:");
                write_canonical(&doc, out);
            } else {
                push_json_str(s, out);
            }
        }
        Value::Array(a) => {
            let mut parts: Vec<String> = a.iter().map(canonical).collect();
            parts.sort_unstable();
            out.push('[');
            out.push_str(&parts.join(","));
            out.push(']');
        }
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.iter().filter(|(_, v)| !is_absent(v)).map(|(k, _)| k).collect();
            keys.sort_unstable();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_str(k, out);
                out.push(':');
                write_canonical(&o[k.as_str()], out);
            }
            out.push('}');
        }
    }
}

/// Semantic equality (see the module docs).
pub fn semantic_eq(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    if is_absent(a) && is_absent(b) {
        return true;
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Object(x), Value::Object(y)) => {
            let keys = x.keys().chain(y.keys().filter(|k| !x.contains_key(*k)));
            for k in keys {
                let l = x.get(k).unwrap_or(&Value::Null);
                let r = y.get(k).unwrap_or(&Value::Null);
                if !semantic_eq(l, r) {
                    return false;
                }
            }
            true
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return false;
            }
            // Positional first (cheap, the common case), then as multisets.
            if x.iter().zip(y).all(|(l, r)| semantic_eq(l, r)) {
                return true;
            }
            let mut l: Vec<String> = x.iter().map(canonical).collect();
            let mut r: Vec<String> = y.iter().map(canonical).collect();
            l.sort_unstable();
            r.sort_unstable();
            l == r
        }
        (Value::String(x), Value::String(y)) => match (embedded_json(x), embedded_json(y)) {
            (Some(l), Some(r)) => semantic_eq(&l, &r),
            _ => false,
        },
        _ => false,
    }
}

/// One raw difference found by [`diff_values`].
#[derive(Debug, Clone, PartialEq)]
pub struct RawDiff {
    /// Where.
    pub path: AttrPath,
    /// Desired side (`None` when absent).
    pub desired: Option<Value>,
    /// Live side (`None` when absent).
    pub live: Option<Value>,
}

fn present(v: Value) -> Option<Value> {
    if is_absent(&v) { None } else { Some(v) }
}

/// Lists the semantic differences between `desired` and `live`, as deep as is meaningful:
/// objects (attributes, maps) are followed member by member; a list of exactly one block on
/// both sides is followed into the block (SDKv2 single nested blocks); any other differing
/// array (sets, lists of rules) is reported whole, because positions carry no meaning in a set.
pub fn diff_values(path: &AttrPath, desired: &Value, live: &Value, out: &mut Vec<RawDiff>) {
    if !semantic_eq(desired, live) {
        diff_unequal(path.clone(), desired.clone(), live.clone(), out);
    }
}

/// [`diff_values`] of values the caller gives up: the differing parts are moved into the
/// differences, not copied (a loader's values are dropped right after anyway).
pub fn diff_owned(path: AttrPath, desired: Value, live: Value, out: &mut Vec<RawDiff>) {
    if !semantic_eq(&desired, &live) {
        diff_unequal(path, desired, live, out);
    }
}

/// [`diff_owned`] of two values already known to differ.
fn diff_unequal(path: AttrPath, desired: Value, live: Value, out: &mut Vec<RawDiff>) {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) if !d.is_empty() && !l.is_empty() => {
            diff_objects(&path, d, l, out);
        }
        (Value::Array(mut d), Value::Array(mut l))
            if d.len() == 1 && l.len() == 1 && d[0].is_object() && l[0].is_object() =>
        {
            let (d, l) = (d.swap_remove(0), l.swap_remove(0));
            diff_owned(path.child(Step::Index(0)), d, l, out);
        }
        (desired, live) => out.push(RawDiff {
            path,
            desired: present(desired),
            live: present(live),
        }),
    }
}

fn diff_objects(
    path: &AttrPath,
    mut d: Map<String, Value>,
    mut l: Map<String, Value>,
    out: &mut Vec<RawDiff>,
) {
    let mut keys: Vec<String> = d.keys().cloned().collect();
    keys.extend(l.keys().filter(|k| !d.contains_key(*k)).cloned());
    keys.sort_unstable();
    for k in keys {
        let dv = d.remove(&k).unwrap_or(Value::Null);
        let lv = l.remove(&k).unwrap_or(Value::Null);
        // Equal members (most of them) are passed over before a path is built for them.
        if !semantic_eq(&dv, &lv) {
            diff_unequal(path.child(Step::Key(k)), dv, lv, out);
        }
    }
}

/// The value at `path` inside `v`, if any.
pub fn value_at<'a>(v: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let mut cur = v;
    for step in &path.0 {
        cur = match (step, cur) {
            (Step::Key(k), Value::Object(o)) => o.get(k)?,
            (Step::Index(i), Value::Array(a)) => a.get(*i)?,
            (Step::Key(k), Value::Array(a)) => a.get(k.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Canonical texts key secret fingerprints stored in approvals files: the string escaping
    /// written by hand must stay exactly serde_json's.
    #[test]
    fn strings_are_escaped_exactly_as_serde_json_does() {
        let mut all: String = (0u32..0x80).filter_map(char::from_u32).collect();
        all.push_str("é\u{2028}\u{200b}😀\u{7f}");
        for s in [all.as_str(), "", "plain", "a\"b\\c"] {
            let mut ours = String::new();
            push_json_str(s, &mut ours);
            assert_eq!(ours, Value::String(s.to_string()).to_string());
        }
    }

    #[test]
    fn sets_compare_as_multisets() {
        let a = json!([{"from_port": 22, "cidr_blocks": ["10.0.0.0/8"]}, {"from_port": 443, "cidr_blocks": ["0.0.0.0/0"]}]);
        let b = json!([{"cidr_blocks": ["0.0.0.0/0"], "from_port": 443}, {"from_port": 22, "cidr_blocks": ["10.0.0.0/8"]}]);
        assert!(semantic_eq(&a, &b));
        let c = json!([1, 1, 2]);
        let d = json!([1, 2, 2]);
        assert!(!semantic_eq(&c, &d), "multisets, not sets");
    }

    #[test]
    fn embedded_json_ignores_whitespace_and_key_order() {
        let a = json!(
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"}]}"
        );
        let b = json!(
            "{\n  \"Statement\": [ { \"Action\": \"s3:GetObject\", \"Effect\": \"Allow\" } ],\n  \"Version\": \"2012-10-17\"\n}"
        );
        assert!(semantic_eq(&a, &b));
        assert_eq!(canonical(&a), canonical(&b));
    }

    #[test]
    fn null_empty_and_missing_are_the_same_absence() {
        assert!(semantic_eq(
            &json!({"a": null, "b": 1}),
            &json!({"b": 1, "c": []})
        ));
        assert!(semantic_eq(&json!(1), &json!(1.0)));
    }

    #[test]
    fn diff_descends_objects_and_single_blocks_but_reports_sets_whole() {
        let d = json!({"tags": {"Name": "web"}, "root_block_device": [{"encrypted": true, "volume_size": 8}],
                       "ingress": [{"from_port": 22}], "vpc_security_group_ids": ["sg-1", "sg-2"]});
        let l = json!({"tags": {"Name": "web", "incident": "CHG-1"}, "root_block_device": [{"encrypted": false, "volume_size": 8}],
                       "ingress": [{"from_port": 22}, {"from_port": 3389}], "vpc_security_group_ids": ["sg-2", "sg-1"]});
        let mut out = Vec::new();
        diff_values(&AttrPath::root(), &d, &l, &mut out);
        let paths: Vec<String> = out.iter().map(|r| r.path.to_string()).collect();
        assert_eq!(
            paths,
            vec!["ingress", "root_block_device[0].encrypted", "tags.incident"]
        );
        assert_eq!(out[2].desired, None);
        assert_eq!(out[2].live, Some(json!("CHG-1")));
    }
}

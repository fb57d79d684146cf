//! Normalising values into display lines: sorted keys, lists in canonical order, embedded JSON
//! documents decoded and
//! pretty-printed, HCL style for Terraform and JSON style for CloudFormation. Every line is
//! sanitized, so nothing from a report can reach a terminal as an escape sequence.

use std::fmt::Write as _;

use serde_json::Value;

use crate::model::MASK;
use crate::model::compare::{canonical, embedded_json};

/// Which syntax a value is shown (and highlighted) in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Terraform-style HCL: `key = value`, `jsonencode(...)` around embedded documents.
    Hcl,
    /// JSON, as CloudFormation templates and drift reports write it.
    Json,
}

/// Lines of one value, normalised (sorted keys, embedded JSON decoded) and sanitized.
pub fn value_lines(v: &Value, lang: Lang) -> Vec<String> {
    let mut out = String::new();
    write_value(&mut out, v, lang, 0);
    out.split('\n')
        .map(|l| crate::text::sanitize(l).into_owned())
        .collect()
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn quoted(s: &str) -> String {
    // serde_json escapes quotes, backslashes and control characters.
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn is_identifier(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn write_value(out: &mut String, v: &Value, lang: Lang, level: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) if s == MASK => out.push_str(MASK),
        Value::String(s) => match embedded_json(s) {
            Some(doc @ (Value::Object(_) | Value::Array(_))) => {
                // A JSON document inside a string (IAM policy, container definitions): shown
                // structurally so the diff is by statement and key, not one long line.
                if lang == Lang::Hcl {
                    out.push_str("jsonencode(");
                    write_value(out, &doc, Lang::Json, level);
                    out.push(')');
                } else {
                    write_value(out, &doc, Lang::Json, level);
                }
            }
            _ => out.push_str(&quoted(s)),
        },
        Value::Array(a) => {
            if a.is_empty() {
                out.push_str("[]");
                return;
            }
            // Lists compare as multisets (Terraform serialises sets in its own order), so both
            // sides are shown in one canonical order: a reordered set is no diff, and an added
            // rule lines up as an added block.
            let mut sorted: Vec<(String, &Value)> = a.iter().map(|x| (canonical(x), x)).collect();
            sorted.sort_by(|x, y| x.0.cmp(&y.0));
            out.push_str("[\n");
            for (i, (_, x)) in sorted.iter().enumerate() {
                indent(out, level + 1);
                write_value(out, x, lang, level + 1);
                if i + 1 < a.len() || lang == Lang::Hcl {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, level);
            out.push(']');
        }
        Value::Object(o) => {
            if o.is_empty() {
                out.push_str("{}");
                return;
            }
            // Sorted explicitly: the map's own order depends on serde_json features.
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push_str("{\n");
            for (i, k) in keys.iter().enumerate() {
                indent(out, level + 1);
                match lang {
                    Lang::Hcl if is_identifier(k) => {
                        let _ = write!(out, "{k} = ");
                    }
                    Lang::Hcl => {
                        let _ = write!(out, "{} = ", quoted(k));
                    }
                    Lang::Json => {
                        let _ = write!(out, "{}: ", quoted(k));
                    }
                }
                write_value(out, &o[k.as_str()], lang, level + 1);
                if lang == Lang::Json && i + 1 < keys.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, level);
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn embedded_policy_is_pretty_and_sorted() {
        let v = json!(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}"#);
        let lines = value_lines(&v, Lang::Hcl);
        assert_eq!(lines[0], "jsonencode({");
        assert_eq!(lines[1], r#"  "Statement": ["#);
        assert!(lines.iter().any(|l| l.trim() == r#""Action": "*","#), "{lines:?}");
        assert_eq!(lines.last().map(String::as_str), Some("})"));
    }

    #[test]
    fn hcl_objects_and_masks() {
        let v = json!({"b": 1, "a": MASK});
        assert_eq!(
            value_lines(&v, Lang::Hcl),
            vec!["{", "  a = (sensitive)", "  b = 1", "}"]
        );
        assert_eq!(
            value_lines(&json!({"k": [1]}), Lang::Json),
            vec!["{", r#"  "k": ["#, "    1", "  ]", "}"]
        );
    }

    #[test]
    fn escapes_are_neutralised() {
        let v = json!("evil\u{1b}[2J\u{202e}");
        let lines = value_lines(&v, Lang::Json);
        assert!(!lines[0].chars().any(char::is_control));
        assert!(!lines[0].contains('\u{202e}'));
    }
}

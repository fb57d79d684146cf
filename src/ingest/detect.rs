//! Format detection from content: one pass over the top-level object that keeps the members
//! any loader needs as raw JSON slices (no copies), and notes the rest by name only. A list
//! member whose entries are worked one by one (`resource_drift`) is kept as its elements, cut
//! apart in that same pass.

use std::fmt;

use serde::Deserializer;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::IngestError;
use crate::model::Format;

/// Top-level members a loader may read, kept as raw JSON borrowed from the input.
#[derive(Debug, Default)]
pub(crate) struct Envelope<'a> {
    members: Vec<(&'static str, &'a RawValue)>,
    /// The members of [`LISTS`] that are arrays, as their elements (not in `members`).
    lists: Vec<(&'static str, Vec<&'a RawValue>)>,
    others: Vec<String>,
    other_count: usize,
    /// The whole report, to find a list member's own text again on an error path.
    bytes: &'a [u8],
}

/// Members kept as their elements when they are arrays: each element is worked on its own
/// (on whichever core), so the pass that checks the JSON cuts them apart too.
const LISTS: &[&str] = &["resource_drift"];

const KNOWN: &[&str] = &[
    // Terraform plan
    "format_version",
    "terraform_version",
    "resource_drift",
    "resource_changes",
    "configuration",
    "relevant_attributes",
    "timestamp",
    "planned_values",
    "prior_state",
    "errored",
    "complete",
    // Terraform state (`terraform show -json` without a plan): recognised to be refused clearly
    "values",
    // driftctl
    "summary",
    "managed",
    "unmanaged",
    "missing",
    "deleted",
    "differences",
    "coverage",
    "alerts",
    "provider_name",
    "provider_version",
    "date",
    // CloudFormation
    "StackResourceDrifts",
    "StackResourceDrift",
    "NextToken",
];

/// Reads the top level; with `lists`, the members of [`LISTS`] as their elements, and anything
/// else there (not an array) fails the read, which is then done again without `lists`.
struct EnvelopeVisitor<'a> {
    bytes: &'a [u8],
    lists: bool,
}

/// One list member's elements; anything but an array is an error (see [`EnvelopeVisitor`]).
struct Elements;

impl<'de> serde::de::DeserializeSeed<'de> for Elements {
    type Value = Vec<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements {
    type Value = Vec<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(e) = seq.next_element::<&'de RawValue>()? {
            out.push(e);
        }
        Ok(out)
    }
}

impl<'de> Visitor<'de> for EnvelopeVisitor<'de> {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object at the top level")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut env = Envelope {
            bytes: self.bytes,
            ..Envelope::default()
        };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if let Some(list) = LISTS.iter().find(|k| self.lists && **k == key.as_ref()) {
                let elements = map.next_value_seed(Elements)?;
                env.lists.retain(|(k, _)| k != list);
                env.lists.push((list, elements));
            } else if let Some(known) = KNOWN.iter().find(|k| **k == key.as_ref()) {
                let raw: &'de RawValue = map.next_value()?;
                env.members.retain(|(k, _)| k != known);
                env.members.push((known, raw));
            } else {
                map.next_value::<IgnoredAny>()?;
                env.other_count += 1;
                if env.others.len() < 8 {
                    env.others.push(key.into_owned());
                }
            }
        }
        Ok(env)
    }
}

fn describe_json_type(bytes: &[u8]) -> &'static str {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => "a JSON array at the top level (a report is a JSON object)",
        Some(b'"') => "a JSON string at the top level (a report is a JSON object)",
        Some(b't' | b'f') => "a JSON boolean at the top level (a report is a JSON object)",
        Some(b'n') => "JSON null at the top level (a report is a JSON object)",
        _ => "a JSON number at the top level (a report is a JSON object)",
    }
}

impl<'a> Envelope<'a> {
    /// Parses the top level of `bytes`, the members of [`LISTS`] as their elements. When one of
    /// them is not an array (or the JSON is broken), the top level is read again as before
    /// this cut lists apart, and errors are that read's; a list member that is an array after
    /// all (repeated after a non-array one) is then cut apart on its own, so an array is always
    /// found by [`Envelope::elements`] and anything else by [`Envelope::get`].
    pub(crate) fn parse(path: &str, bytes: &'a [u8]) -> Result<Self, IngestError> {
        Self::read(bytes, true).or_else(|_| {
            let mut env = Self::parse_whole(path, bytes)?;
            for list in LISTS {
                let Some(at) = env.members.iter().position(|(k, _)| k == list) else {
                    continue;
                };
                if let Ok(elements) = serde_json::from_str::<Vec<&'a RawValue>>(env.members[at].1.get()) {
                    env.members.remove(at);
                    env.lists.push((list, elements));
                }
            }
            Ok(env)
        })
    }

    /// Parses the top level of `bytes`, every member whole.
    fn parse_whole(path: &str, bytes: &'a [u8]) -> Result<Self, IngestError> {
        let env = match Self::read(bytes, false) {
            Ok(env) => env,
            Err(e) if e.classify() == serde_json::error::Category::Data => {
                return Err(IngestError::UnknownShape {
                    path: path.to_string(),
                    found: describe_json_type(bytes).to_string(),
                });
            }
            Err(e) => return Err(IngestError::json(path, &e)),
        };
        Ok(env)
    }

    fn read(bytes: &'a [u8], lists: bool) -> Result<Self, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let env = de.deserialize_map(EnvelopeVisitor { bytes, lists })?;
        de.end()?;
        Ok(env)
    }

    /// A known member, raw. A member kept as its elements is found by reading the top level
    /// again: that is for error paths (use [`Envelope::elements`] otherwise).
    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        if self.lists.iter().any(|(k, _)| *k == key) {
            return Self::read(self.bytes, false).ok()?.get(key);
        }
        self.members
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .filter(|v| v.get() != "null")
    }

    /// The elements of a member of [`LISTS`] that is an array; `None` when it is absent, null
    /// or not an array ([`Envelope::get`] then has it).
    pub(crate) fn elements(&self, key: &str) -> Option<&[&'a RawValue]> {
        self.lists
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, e)| e.as_slice())
    }

    /// A known member parsed into `T`; `None` when absent or null; an error names the member.
    pub(crate) fn member<T: serde::Deserialize<'a>>(
        &self,
        path: &str,
        format: Format,
        key: &str,
    ) -> Result<Option<T>, IngestError> {
        self.get(key).map(|r| typed(path, format, key, r)).transpose()
    }

    fn has(&self, key: &str) -> bool {
        self.members.iter().any(|(k, _)| *k == key) || self.lists.iter().any(|(k, _)| *k == key)
    }

    /// Which format this is, from the members present.
    pub(crate) fn format(&self, path: &str) -> Result<Format, IngestError> {
        if self.has("StackResourceDrifts") || self.has("StackResourceDrift") {
            return Ok(Format::Cloudformation);
        }
        if self.has("format_version")
            || self.has("resource_drift")
            || self.has("resource_changes")
            || self.has("terraform_version")
            || self.has("planned_values")
        {
            return Ok(Format::TerraformPlan);
        }
        let driftctl_keys = ["managed", "unmanaged", "missing", "differences", "deleted"];
        if driftctl_keys.iter().any(|k| self.has(k)) && (self.has("summary") || self.has("coverage")) {
            return Ok(Format::Driftctl);
        }
        let mut keys: Vec<String> = self.members.iter().map(|(k, _)| (*k).to_string()).collect();
        keys.extend(self.lists.iter().map(|(k, _)| (*k).to_string()));
        keys.extend(self.others.iter().cloned());
        let found = if keys.is_empty() {
            "an empty JSON object".to_string()
        } else {
            let more = self.other_count.saturating_sub(self.others.len());
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("a JSON object with top-level keys {}{tail}", keys.join(", "))
        };
        Err(IngestError::UnknownShape {
            path: path.to_string(),
            found,
        })
    }
}

/// Detects the format of a report's bytes.
pub fn detect_format(path: &str, bytes: &[u8]) -> Result<Format, IngestError> {
    Envelope::parse(path, bytes)?.format(path)
}

/// Parses a raw member into a typed value, naming the member on error.
pub(crate) fn typed<'a, T: serde::Deserialize<'a>>(
    path: &str,
    format: Format,
    context: &str,
    raw: &'a RawValue,
) -> Result<T, IngestError> {
    typed_with(path, format, || context.to_string(), raw)
}

/// [`typed`] with the member's name built only on error (per entry of a large list, the name
/// would otherwise be formatted for every entry).
pub(crate) fn typed_with<'a, T: serde::Deserialize<'a>>(
    path: &str,
    format: Format,
    context: impl FnOnce() -> String,
    raw: &'a RawValue,
) -> Result<T, IngestError> {
    serde_json::from_str(raw.get()).map_err(|e| IngestError::Invalid {
        path: path.to_string(),
        format,
        context: context(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// Any JSON value, strings drawn from the characters that end or escape them.
    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[\\[\\]{},:\"\\\\ a\n\u{e9}]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\\]\",]{0,4}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// A list member's elements are exactly serde's reading of the array, in compact and in
        /// pretty-printed text, and the member's whole text is still there for error paths.
        #[test]
        fn list_elements_are_serdes_elements(items in prop::collection::vec(json(), 0..6), pretty: bool) {
            let doc = serde_json::json!({"format_version": "1.2", "resource_drift": items});
            let text = if pretty { serde_json::to_string_pretty(&doc) } else { serde_json::to_string(&doc) };
            let text = format!(" {} ", text.expect("serialises"));
            let whole: Vec<(String, &RawValue)> = serde_json::from_str::<std::collections::BTreeMap<String, &RawValue>>(&text)
                .expect("valid")
                .into_iter()
                .collect();
            let drift = whole.iter().find(|(k, _)| k == "resource_drift").expect("member").1;
            let theirs: Vec<&str> = serde_json::from_str::<Vec<&RawValue>>(drift.get())
                .expect("array")
                .iter()
                .map(|r| r.get())
                .collect();
            let env = Envelope::parse("p", text.as_bytes()).expect("parses");
            let ours: Vec<&str> = env.elements("resource_drift").expect("an array").iter().map(|r| r.get()).collect();
            prop_assert_eq!(ours, theirs);
            prop_assert_eq!(env.get("resource_drift").map(RawValue::get), Some(drift.get()));
            prop_assert_eq!(env.format("p").expect("a plan"), Format::TerraformPlan);
        }
    }

    /// A list member that is not an array is kept whole, as every member is; null is absent;
    /// the last of a repeated member counts, whatever the earlier one was.
    #[test]
    fn a_list_member_that_is_not_an_array_is_kept_whole() {
        for (text, whole) in [
            (r#"{"resource_drift": {"a": 1}}"#, Some(r#"{"a": 1}"#)),
            (r#"{"resource_drift": "[1]"}"#, Some(r#""[1]""#)),
            (r#"{"resource_drift": 7}"#, Some("7")),
            (r#"{"resource_drift": null}"#, None),
            (r#"{"resource_drift": [1], "resource_drift": {}}"#, Some("{}")),
            (
                r#"{"resource_drift": {}, "resource_drift": [1, 2]}"#,
                Some("[1, 2]"),
            ),
        ] {
            let env = Envelope::parse("p", text.as_bytes()).expect(text);
            assert_eq!(env.get("resource_drift").map(RawValue::get), whole, "{text}");
            assert_eq!(env.format("p").expect(text), Format::TerraformPlan, "{text}");
            // An array read whole (after an earlier non-array) is for the loader to cut apart.
            match env.elements("resource_drift") {
                Some(e) => assert_eq!(
                    e.iter().map(|r| r.get()).collect::<Vec<_>>(),
                    ["1", "2"],
                    "{text}"
                ),
                None => assert!(whole.is_none_or(|w| !w.starts_with("[1]")), "{text}"),
            }
        }
        let env = Envelope::parse("p", br#"{"resource_drift": [ ]}"#).expect("parses");
        assert_eq!(env.elements("resource_drift").map(<[_]>::len), Some(0));
        assert_eq!(env.get("resource_drift").map(RawValue::get), Some("[ ]"));
    }

    /// Broken JSON gives the same error as a read that keeps every member whole.
    #[test]
    fn broken_json_in_a_list_member_is_reported_as_before() {
        for text in [
            r#"{"resource_drift": [1, }"#,
            r#"{"resource_drift": [{"a": 1}"#,
            r#"{"resource_drift": []} x"#,
        ] {
            let ours = Envelope::parse("p", text.as_bytes()).expect_err(text).to_string();
            let whole = Envelope::parse_whole("p", text.as_bytes())
                .expect_err(text)
                .to_string();
            assert_eq!(ours, whole, "{text}");
            assert!(ours.contains("line 1"), "{ours}");
        }
    }
}

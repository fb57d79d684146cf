//! Format detection from content: one pass over the top-level object that keeps the members
//! any loader needs as raw JSON slices (no copies), and notes the rest by name only.

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
    others: Vec<String>,
    other_count: usize,
}

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

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object at the top level")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut env = Envelope::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if let Some(known) = KNOWN.iter().find(|k| **k == key.as_ref()) {
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
    /// Parses the top level of `bytes`.
    pub(crate) fn parse(path: &str, bytes: &'a [u8]) -> Result<Self, IngestError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let env = match de.deserialize_map(EnvelopeVisitor) {
            Ok(env) => env,
            Err(e) if e.classify() == serde_json::error::Category::Data => {
                return Err(IngestError::UnknownShape {
                    path: path.to_string(),
                    found: describe_json_type(bytes).to_string(),
                });
            }
            Err(e) => return Err(IngestError::json(path, &e)),
        };
        de.end().map_err(|e| IngestError::json(path, &e))?;
        Ok(env)
    }

    /// A known member, raw.
    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.members
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .filter(|v| v.get() != "null")
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
        self.members.iter().any(|(k, _)| *k == key)
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
    serde_json::from_str(raw.get()).map_err(|e| IngestError::Invalid {
        path: path.to_string(),
        format,
        context: context.to_string(),
        message: e.to_string(),
    })
}

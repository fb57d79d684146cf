//! Which attributes hold secrets, by name and by value. driftctl and CloudFormation carry no
//! sensitivity marks, and Terraform's masks miss secrets stored in ordinary attributes (an
//! `API_TOKEN` environment variable), so names decide too.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::model::{AttrPath, Step};

/// The `[secrets]` table of a taxonomy file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSpec {
    /// Globs over attribute names and map keys (case-insensitive): `*password*`.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Globs that win over `keys`: `*_arn`, `*password_length*`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Substrings that make any string value secret (`-----BEGIN`).
    #[serde(default)]
    pub value_markers: Vec<String>,
    /// With `true` in a user file, replaces the defaults instead of extending them.
    #[serde(default)]
    pub replace: bool,
}

/// Compiled secret rules.
#[derive(Debug, Clone)]
pub struct SecretMatcher {
    keys: GlobSet,
    exclude: GlobSet,
    value_markers: Vec<String>,
}

pub(crate) fn glob_set(patterns: &[String], what: &str) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g = GlobBuilder::new(p)
            .case_insensitive(true)
            .literal_separator(false)
            .build()
            .map_err(|e| format!("invalid {what} glob {p:?}: {e}"))?;
        b.add(g);
    }
    b.build().map_err(|e| format!("invalid {what} globs: {e}"))
}

impl SecretMatcher {
    /// Compiles a spec.
    pub fn new(spec: &SecretSpec) -> Result<Self, String> {
        Ok(SecretMatcher {
            keys: glob_set(&spec.keys, "secret key")?,
            exclude: glob_set(&spec.exclude, "secret exclude")?,
            value_markers: spec.value_markers.clone(),
        })
    }

    /// A matcher that matches nothing (for tests of the mask mechanism alone).
    pub fn none() -> Self {
        SecretMatcher {
            keys: GlobSet::empty(),
            exclude: GlobSet::empty(),
            value_markers: Vec::new(),
        }
    }

    /// True when an attribute or map key of this name holds a secret.
    pub fn is_secret_key(&self, key: &str) -> bool {
        self.keys.is_match(key) && !self.exclude.is_match(key)
    }

    /// True when any named step of the path is a secret key.
    pub fn is_secret_path(&self, path: &AttrPath) -> bool {
        path.0.iter().any(|s| match s {
            Step::Key(k) => self.is_secret_key(k),
            Step::Index(_) => false,
        })
    }

    /// True when a string value looks like key material whatever its name.
    pub fn is_secret_value(&self, s: &str) -> bool {
        self.value_markers.iter().any(|m| s.contains(m.as_str()))
    }
}

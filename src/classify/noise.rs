//! Noise: attribute changes that are not drift anyone must act on. Real refresh plans report
//! provider read-back values (`last_modified`, `latest_restorable_time`, `etag`, computed
//! statuses) as drift; the `[noise]` section of the taxonomy names them per resource type, with
//! globs and a one-line reason. Globs are compiled once, when the taxonomy is; matching a change
//! is a glob-set lookup.

use globset::GlobSet;
use serde::Deserialize;

use super::secret::glob_set;
use crate::model::DriftItem;

/// The `[noise]` table of a taxonomy file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseSpec {
    /// Noise rule ids to switch off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// The rules; a user rule with the same id replaces the default.
    #[serde(default)]
    pub rules: Vec<NoiseRuleSpec>,
}

/// One `[[noise.rules]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseRuleSpec {
    /// Unique id.
    pub id: String,
    /// Resource-type globs; empty = any type.
    #[serde(default)]
    pub types: Vec<String>,
    /// Attribute-path globs over `a.b.c` (list indices left out), as in `[[rules]]`.
    pub attributes: Vec<String>,
    /// One line: why such a change is noise.
    pub reason: String,
}

#[derive(Debug, Clone)]
struct NoiseRule {
    spec: NoiseRuleSpec,
    types: GlobSet,
    attributes: GlobSet,
}

/// Compiled noise rules.
#[derive(Debug, Clone, Default)]
pub struct NoiseMatcher {
    rules: Vec<NoiseRule>,
}

impl NoiseMatcher {
    /// Compiles a spec (disabled ids left out).
    pub fn new(spec: &NoiseSpec) -> Result<Self, String> {
        let mut rules = Vec::new();
        for r in &spec.rules {
            if spec.disable.contains(&r.id) {
                continue;
            }
            if r.attributes.is_empty() {
                return Err(format!(
                    "noise rule {}: `attributes` is empty; name at least one",
                    r.id
                ));
            }
            rules.push(NoiseRule {
                types: glob_set(&r.types, "type").map_err(|m| format!("noise rule {}: {m}", r.id))?,
                attributes: glob_set(&r.attributes, "attribute")
                    .map_err(|m| format!("noise rule {}: {m}", r.id))?,
                spec: r.clone(),
            });
        }
        Ok(NoiseMatcher { rules })
    }

    /// Marks the item's changes that a noise rule names (changes already marked keep their
    /// reason). Sensitive changes are never noise: a changed secret always matters.
    pub fn mark(&self, item: &mut DriftItem) {
        let rules = self.rules_for(&item.resource_type);
        self.mark_with(item, &rules);
    }

    /// Indices of the rules that apply to `resource_type`: matched once per type, not per item
    /// (a wide report has a few types and many items).
    pub fn rules_for(&self, resource_type: &str) -> Vec<usize> {
        self.rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.spec.types.is_empty() || r.types.is_match(resource_type))
            .map(|(i, _)| i)
            .collect()
    }

    /// [`Self::mark`] with the rules for the item's type already chosen ([`Self::rules_for`]).
    pub fn mark_with(&self, item: &mut DriftItem, rules: &[usize]) {
        let rules: Vec<&NoiseRule> = rules.iter().filter_map(|&i| self.rules.get(i)).collect();
        if rules.is_empty() {
            return;
        }
        for c in item
            .changes
            .iter_mut()
            .filter(|c| c.noise.is_none() && !c.sensitive)
        {
            let key = c.path.match_key();
            if let Some(r) = rules.iter().find(|r| r.attributes.is_match(&key)) {
                c.noise = Some(format!("{} (noise rule {})", r.spec.reason, r.spec.id));
            }
        }
    }

    /// Number of rules in force.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule is in force.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Merges a user `[noise]` table over the defaults: same id replaces, `disable` adds.
pub(crate) fn merge(base: &mut NoiseSpec, user: NoiseSpec) {
    base.disable.extend(user.disable);
    for r in user.rules {
        if let Some(slot) = base.rules.iter_mut().find(|b| b.id == r.id) {
            *slot = r;
        } else {
            base.rules.push(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AttrPath, Change, Format, Kind};
    use serde_json::json;

    fn item(ty: &str, paths: &[&[&str]]) -> DriftItem {
        let mut it = DriftItem::new(
            "x".into(),
            format!("{ty}.a"),
            ty.into(),
            "t",
            Format::TerraformPlan,
            Kind::Modified,
        );
        for p in paths {
            it.changes.push(Change::plain(
                AttrPath::keys(p.iter().copied()),
                Some(json!(1)),
                Some(json!(2)),
            ));
        }
        it
    }

    fn matcher(toml_text: &str) -> NoiseMatcher {
        let spec: NoiseSpec = toml::from_str(toml_text).expect("spec parses");
        NoiseMatcher::new(&spec).expect("compiles")
    }

    #[test]
    fn globs_match_per_type_and_path_and_name_the_rule() {
        let m = matcher(
            r#"
            [[rules]]
            id = "rds-times"
            types = ["aws_db_*"]
            attributes = ["latest_restorable_time", "*_date"]
            reason = "read back by the provider"
            "#,
        );
        let mut it = item(
            "aws_db_instance",
            &[&["latest_restorable_time"], &["create_date"], &["instance_class"]],
        );
        m.mark(&mut it);
        assert_eq!(
            it.changes[0].noise.as_deref(),
            Some("read back by the provider (noise rule rds-times)")
        );
        assert!(it.changes[1].noise.is_some());
        assert!(it.changes[2].noise.is_none(), "not named: real drift");
        let mut other = item("aws_instance", &[&["latest_restorable_time"]]);
        m.mark(&mut other);
        assert!(other.changes[0].noise.is_none(), "type does not match");
    }

    #[test]
    fn sensitive_changes_are_never_noise_and_disable_switches_rules_off() {
        let m = matcher(
            r#"
            disable = ["b"]
            [[rules]]
            id = "a"
            attributes = ["*"]
            reason = "all"
            [[rules]]
            id = "b"
            attributes = ["*"]
            reason = "other"
            "#,
        );
        assert_eq!(m.len(), 1);
        let mut it = item("aws_x", &[&["password"], &["etag"]]);
        it.changes[0].sensitive = true;
        m.mark(&mut it);
        assert!(it.changes[0].noise.is_none());
        assert!(it.changes[1].noise.is_some());
    }

    #[test]
    fn empty_attributes_and_bad_globs_are_errors_naming_the_rule() {
        let spec: NoiseSpec =
            toml::from_str("[[rules]]\nid = \"e\"\nattributes = []\nreason = \"r\"\n").expect("parses");
        assert!(
            NoiseMatcher::new(&spec)
                .expect_err("empty")
                .contains("noise rule e")
        );
        let spec: NoiseSpec =
            toml::from_str("[[rules]]\nid = \"g\"\nattributes = [\"a[\"]\nreason = \"r\"\n").expect("parses");
        assert!(
            NoiseMatcher::new(&spec)
                .expect_err("bad glob")
                .contains("noise rule g")
        );
    }
}

//! Noise: attribute changes that are not drift anyone must act on. Real refresh plans report
//! provider read-back values (`last_modified`, `latest_restorable_time`, `etag`, computed
//! statuses) as drift; the `[noise]` section of the taxonomy names them per resource type, with
//! globs and a one-line reason. Globs are compiled once, when the taxonomy is; matching a change
//! is a glob-set lookup.

use super::glob::Globs;
use serde::Deserialize;

use super::NameAnswers;
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
    types: Globs,
    attributes: Globs,
    /// What a change the rule names is marked with.
    note: String,
}

/// The noise rules for one resource type ([`NoiseMatcher::plan_for`]), with the answer for
/// each attribute key remembered: every item of a type repeats the same few keys, and the glob
/// sets asked were most of the marking.
#[derive(Debug, Default)]
pub struct TypePlan {
    rules: Vec<usize>,
    /// Per key seen: the first of `rules` that names it, if any.
    answers: NameAnswers<Option<usize>>,
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
                note: format!("{} (noise rule {})", r.reason, r.id),
                types: Globs::new(&r.types, "type").map_err(|m| format!("noise rule {}: {m}", r.id))?,
                attributes: Globs::new(&r.attributes, "attribute")
                    .map_err(|m| format!("noise rule {}: {m}", r.id))?,
                spec: r.clone(),
            });
        }
        Ok(NoiseMatcher { rules })
    }

    /// Marks the item's changes that a noise rule names (changes already marked keep their
    /// reason). Sensitive changes are never noise: a changed secret always matters.
    pub fn mark(&self, item: &mut DriftItem) {
        let mut plan = self.plan_for(&item.resource_type);
        self.mark_with(item, &mut plan);
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

    /// The rules for `resource_type` ([`Self::rules_for`]), to mark its items with
    /// [`Self::mark_with`]; one plan serves every item of the type.
    pub fn plan_for(&self, resource_type: &str) -> TypePlan {
        TypePlan {
            rules: self.rules_for(resource_type),
            answers: NameAnswers::default(),
        }
    }

    /// [`Self::mark`] with the plan for the item's type already made ([`Self::plan_for`]).
    pub fn mark_with(&self, item: &mut DriftItem, plan: &mut TypePlan) {
        if plan.rules.is_empty() {
            return;
        }
        let mut key = String::new();
        for c in item
            .changes
            .iter_mut()
            .filter(|c| c.noise.is_none() && !c.sensitive)
        {
            key.clear();
            c.path.write_match_key(&mut key);
            let rules = &plan.rules;
            let first = plan.answers.answer(&key, |key| {
                rules
                    .iter()
                    .copied()
                    .find(|&i| self.rules.get(i).is_some_and(|r| r.attributes.is_match(key)))
            });
            if let Some(r) = first.and_then(|i| self.rules.get(i)) {
                c.noise = Some(r.note.as_str().into());
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
    use crate::classify::NAME_ANSWERS_MAX;
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

    /// A plan remembers its type's answer per key: the items after the first get the same marks
    /// as a fresh plan gives them, the first rule naming a key wins, and past its bound it starts
    /// over without changing an answer.
    #[test]
    fn a_type_plan_remembers_answers_that_a_fresh_plan_would_give() {
        let m = matcher(
            r#"
            [[rules]]
            id = "first"
            types = ["aws_db_*"]
            attributes = ["etag"]
            reason = "one"
            [[rules]]
            id = "second"
            attributes = ["etag", "tags.*"]
            reason = "two"
            "#,
        );
        let mut plan = m.plan_for("aws_db_instance");
        let paths: &[&[&str]] = &[&["etag"], &["tags", "a"], &["size"], &["tags", "a"]];
        for _ in 0..3 {
            let mut it = item("aws_db_instance", paths);
            m.mark_with(&mut it, &mut plan);
            let mut fresh = item("aws_db_instance", paths);
            m.mark(&mut fresh);
            let marks = |i: &DriftItem| i.changes.iter().map(|c| c.noise.clone()).collect::<Vec<_>>();
            assert_eq!(marks(&it), marks(&fresh));
            assert_eq!(it.changes[0].noise.as_deref(), Some("one (noise rule first)"));
            assert_eq!(it.changes[1].noise.as_deref(), Some("two (noise rule second)"));
            assert!(it.changes[2].noise.is_none());
        }
        // Another type's plan has its own rules: only the any-type rule names `etag` there.
        let mut other = item("aws_instance", &[&["etag"]]);
        m.mark_with(&mut other, &mut m.plan_for("aws_instance"));
        assert_eq!(other.changes[0].noise.as_deref(), Some("two (noise rule second)"));
        // Past the bound, answers are worked out again.
        for n in 0..NAME_ANSWERS_MAX + 10 {
            let mut it = item("aws_db_instance", &[&["tags", &format!("k{n}")], &["etag"]]);
            m.mark_with(&mut it, &mut plan);
            assert_eq!(it.changes[1].noise.as_deref(), Some("one (noise rule first)"));
            assert_eq!(it.changes[0].noise.as_deref(), Some("two (noise rule second)"));
        }
        assert!(plan.answers.len() <= NAME_ANSWERS_MAX);
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

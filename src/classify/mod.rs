//! Classification: severity, compliance controls and a human-readable *why* for every item.
//!
//! Rules are data. The defaults live in `assets/taxonomy.toml` (embedded); a user file
//! (`--taxonomy FILE`, or `taxonomy.toml` in the config dir) adds rules, replaces rules with the
//! same `id`, disables rules by id, changes the per-kind defaults and extends the secret names.

mod glob;
mod noise;
mod predicate;
mod secret;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use glob::Globs;
use serde::Deserialize;
use serde_json::Value;

use crate::model::{Change, DriftItem, DriftReport, Kind, Severity};
pub use noise::{NoiseMatcher, NoiseRuleSpec, NoiseSpec, TypePlan};
pub use predicate::Predicate;
pub use secret::{FingerprintKey, PathState, SecretMatcher, SecretSpec, is_secret_shaped, looks_random};

/// The embedded default taxonomy.
pub const DEFAULT_TAXONOMY: &str = include_str!("../../assets/taxonomy.toml");

/// A taxonomy problem, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("taxonomy {origin}: {message}")]
pub struct TaxonomyError {
    /// The file (or "built-in defaults").
    pub origin: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// A taxonomy file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyFile {
    /// Per-kind default severities and the controls every drift touches.
    #[serde(default)]
    pub defaults: Option<DefaultsSpec>,
    /// Secret names and value markers.
    #[serde(default)]
    pub secrets: Option<SecretSpec>,
    /// Rule ids to switch off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Attribute changes that are noise (provider read-back), per resource type.
    #[serde(default)]
    pub noise: Option<NoiseSpec>,
}

/// The `[defaults]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultsSpec {
    /// Severity of modified items no rule matched.
    pub modified: Option<Severity>,
    /// Severity of deleted items no rule matched.
    pub deleted: Option<Severity>,
    /// Severity of unmanaged items no rule matched.
    pub unmanaged: Option<Severity>,
    /// Controls every drift touches (configuration baseline deviation).
    pub controls: Option<Vec<String>>,
}

/// Which changes a rule looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Fires when any change matches.
    #[default]
    Any,
    /// Fires only when every change matches (e.g. tags-only drift).
    All,
}

/// One `[[rules]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique id; a user rule with the same id replaces the default.
    pub id: String,
    /// Severity when the rule fires.
    pub severity: Severity,
    /// Resource-type globs (Terraform and CloudFormation names); empty = any type.
    #[serde(default)]
    pub types: Vec<String>,
    /// Kinds the rule applies to; default: modified.
    #[serde(default)]
    pub kinds: Vec<Kind>,
    /// Attribute-path globs over `a.b.c` (list indices left out); empty = any attribute, or the
    /// whole resource for deleted/unmanaged items.
    #[serde(default)]
    pub attributes: Vec<String>,
    /// `any` (default) or `all` changes must match.
    #[serde(default)]
    pub scope: Scope,
    /// The value predicate; default `changed`.
    #[serde(default)]
    pub when: Predicate,
    /// Values the predicate compares with.
    #[serde(default)]
    pub values: Vec<Value>,
    /// Compliance controls this rule adds.
    #[serde(default)]
    pub controls: Vec<String>,
    /// The explanation; `{attr}` is replaced by the attribute, `{value}` by the matched value,
    /// `{type}` by the resource type.
    pub why: String,
}

#[derive(Debug, Clone)]
struct Rule {
    spec: RuleSpec,
    types: Globs,
    attributes: Globs,
    /// The rule's `values` as its predicate compares them.
    needles: predicate::Prepared,
}

/// Compiled taxonomy: rules plus secret names.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    rules: Vec<Rule>,
    default_modified: Severity,
    default_deleted: Severity,
    default_unmanaged: Severity,
    base_controls: Vec<String>,
    secrets: SecretMatcher,
    noise: NoiseMatcher,
    /// Files merged into the defaults, in order.
    pub sources: Vec<PathBuf>,
}

impl Taxonomy {
    /// The built-in defaults alone.
    pub fn defaults() -> Result<Self, TaxonomyError> {
        let file = parse_file(DEFAULT_TAXONOMY, "built-in defaults")?;
        Self::compile(file, Vec::new(), "built-in defaults")
    }

    /// The defaults overlaid with user files, in order (later wins).
    pub fn with_overrides(files: &[PathBuf]) -> Result<Self, TaxonomyError> {
        let mut merged = parse_file(DEFAULT_TAXONOMY, "built-in defaults")?;
        for path in files {
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| TaxonomyError {
                origin: origin.clone(),
                message: format!("cannot read: {e}"),
            })?;
            let user = parse_file(&text, &origin)?;
            merge(&mut merged, user);
            // Compile after each file so a bad glob names the file that brought it.
            Self::compile(merged.clone(), Vec::new(), &origin)?;
        }
        Self::compile(merged, files.to_vec(), "merged taxonomy")
    }

    fn compile(file: TaxonomyFile, sources: Vec<PathBuf>, origin: &str) -> Result<Self, TaxonomyError> {
        let err = |message: String| TaxonomyError {
            origin: origin.to_string(),
            message,
        };
        let disabled: HashSet<&str> = file.disable.iter().map(String::as_str).collect();
        let mut rules = Vec::new();
        for spec in file.rules {
            if disabled.contains(spec.id.as_str()) {
                continue;
            }
            let types = Globs::new(&spec.types, "type").map_err(|m| err(format!("rule {}: {m}", spec.id)))?;
            let attributes = Globs::new(&spec.attributes, "attribute")
                .map_err(|m| err(format!("rule {}: {m}", spec.id)))?;
            spec.when
                .validate(&spec.values)
                .map_err(|m| err(format!("rule {}: {m}", spec.id)))?;
            rules.push(Rule {
                needles: predicate::Prepared::new(&spec.values),
                spec,
                types,
                attributes,
            });
        }
        let d = file.defaults.unwrap_or_default();
        let secrets = SecretMatcher::new(&file.secrets.unwrap_or_default()).map_err(err)?;
        let noise = NoiseMatcher::new(&file.noise.unwrap_or_default()).map_err(err)?;
        Ok(Taxonomy {
            rules,
            default_modified: d.modified.unwrap_or(Severity::Medium),
            default_deleted: d.deleted.unwrap_or(Severity::High),
            default_unmanaged: d.unmanaged.unwrap_or(Severity::Medium),
            base_controls: d.controls.unwrap_or_default(),
            secrets,
            noise,
            sources,
        })
    }

    /// The secret-name matcher loaders mask with.
    pub fn secrets(&self) -> &SecretMatcher {
        &self.secrets
    }

    /// Fingerprints secrets with the repository's key from now on (see [`FingerprintKey`]).
    pub fn set_fingerprint_key(&mut self, key: FingerprintKey) {
        self.secrets.set_key(key);
    }

    /// The compiled `[noise]` rules.
    pub fn noise(&self) -> &NoiseMatcher {
        &self.noise
    }

    /// Classifies every item of a report.
    pub fn classify_report(&self, report: &mut DriftReport) {
        self.classify_items(&mut report.items);
    }

    /// Classifies many items. Each rule's type globs are matched once per distinct resource
    /// type (not once per item), and the items are shared out over the cores: on a plan where
    /// every resource drifted this was a large part of the load.
    pub fn classify_items(&self, items: &mut [DriftItem]) {
        // The rules of each distinct type, and which of them each item uses.
        let mut plans: Vec<Vec<usize>> = Vec::new();
        let mut by_type: foldhash::HashMap<&str, usize> = foldhash::HashMap::default();
        let of_item: Vec<usize> = items
            .iter()
            .map(|it| {
                *by_type.entry(it.resource_type.as_str()).or_insert_with(|| {
                    plans.push(self.rules_for(&it.resource_type));
                    plans.len() - 1
                })
            })
            .collect();
        let (plans, of_item) = (&plans, &of_item);
        crate::par::blocks_mut(items, Pass::default, |pass, part, offset| {
            for (item, p) in part.iter_mut().zip(&of_item[offset..]) {
                self.classify_with(item, &plans[*p], *p, pass);
            }
        });
    }

    /// Indices of the rules whose type globs match `resource_type` (or that have none), in order.
    fn rules_for(&self, resource_type: &str) -> Vec<usize> {
        self.rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.spec.types.is_empty() || r.types.is_match(resource_type))
            .map(|(i, _)| i)
            .collect()
    }

    /// Sets severity, controls and why on one item. Noise changes (marked by the loaders) do not
    /// count; an item made only of noise is low, with the noise reason as its why. A malformed
    /// entry is rated as if the whole resource changed, at the highest rule for its type.
    pub fn classify(&self, item: &mut DriftItem) {
        let rules = self.rules_for(&item.resource_type);
        self.classify_with(item, &rules, 0, &mut Pass::default());
    }

    /// [`Self::classify`] with the rules for the item's type already chosen (`rules`, the plan
    /// numbered `plan` in this pass).
    fn classify_with(&self, item: &mut DriftItem, rules: &[usize], plan: usize, pass: &mut Pass) {
        if let Some(what) = item.malformed.clone() {
            self.classify_malformed(item, &what, pass);
            return;
        }
        if item.is_noise_only() {
            item.severity = Severity::Low;
            item.controls = Arc::default();
            item.why = pass.share(
                item.changes
                    .iter()
                    .filter_map(|c| c.noise.as_ref().map(|n| format!("noise: {}: {n}", c.path)))
                    .collect(),
            );
            return;
        }
        let noise: Vec<crate::model::Change>;
        let saved = if item.changes.iter().any(|c| c.noise.is_some()) {
            let (n, real): (Vec<_>, Vec<_>) = std::mem::take(&mut item.changes)
                .into_iter()
                .partition(|c| c.noise.is_some());
            noise = n;
            item.changes = real;
            true
        } else {
            noise = Vec::new();
            false
        };
        self.classify_changes(item, rules, plan, pass);
        if saved {
            item.changes.extend(noise);
        }
    }

    /// The highest rule that names the item's type (by a type glob, not an any-type rule),
    /// for any kind: a malformed entry cannot be read, so it is rated as the worst its type can
    /// be. Types no rule names get the kind's default, at least high.
    fn classify_malformed(&self, item: &mut DriftItem, what: &str, pass: &mut Pass) {
        let mut best: Option<&Rule> = None;
        for rule in &self.rules {
            if rule.spec.types.is_empty() || !rule.types.is_match(&item.resource_type) {
                continue;
            }
            if best.is_none_or(|b| rule.spec.severity > b.spec.severity) {
                best = Some(rule);
            }
        }
        let default = match item.kind {
            Kind::Modified => self.default_modified,
            Kind::Deleted => self.default_deleted,
            Kind::Unmanaged => self.default_unmanaged,
        };
        let mut controls = self.base_controls.clone();
        let (severity, rule_note) = match best {
            Some(r) => {
                for c in &r.spec.controls {
                    if !controls.contains(c) {
                        controls.push(c.clone());
                    }
                }
                (
                    r.spec.severity.max(default),
                    format!("the highest rule for {} ({})", item.resource_type, r.spec.id),
                )
            }
            None => (
                default.max(Severity::High),
                format!("no rule names {}: at least high", item.resource_type),
            ),
        };
        item.severity = severity;
        item.controls = pass.share(controls);
        item.why = pass.share(vec![format!(
            "malformed report entry ({what}): rated as if the whole resource changed, at {rule_note}"
        )]);
    }

    fn classify_changes(&self, item: &mut DriftItem, rules: &[usize], plan: usize, pass: &mut Pass) {
        let mut severity: Option<Severity> = None;
        // The controls follow from which rules fired: the list is built once per distinct set.
        let mut fired: Vec<usize> = Vec::new();
        let mut why: Vec<String> = Vec::new();
        // Each change's glob key, built once for all rules, in buffers kept from item to item.
        let mut keys = std::mem::take(&mut pass.keys);
        if keys.len() < item.changes.len() {
            keys.resize_with(item.changes.len(), String::new);
        }
        for (key, c) in keys.iter_mut().zip(&item.changes) {
            key.clear();
            c.path.write_match_key(key);
        }
        let keys_used = &keys[..item.changes.len()];
        // Which of the plan's rules each change's key matches, one lookup per change (asking each
        // rule about each key was a lookup per rule and change).
        let mut bits = std::mem::take(&mut pass.bits);
        bits.clear();
        if pass.plans.len() <= plan {
            pass.plans.resize_with(plan + 1, NameAnswers::default);
        }
        let answers = &mut pass.plans[plan];
        bits.extend(
            keys_used
                .iter()
                .map(|key| answers.answer(key, |k| self.attribute_bits(rules, k))),
        );
        for (at, (index, rule)) in rules
            .iter()
            .enumerate()
            .filter_map(|(at, i)| Some((at, (*i, self.rules.get(*i)?))))
        {
            let Some(reasons) = Self::fire(rule, item, &mut |n| {
                bits.get(n)
                    .and_then(|b| b.get(at / 64))
                    .is_some_and(|w| w >> (at % 64) & 1 == 1)
            }) else {
                continue;
            };
            severity = Some(severity.map_or(rule.spec.severity, |s| s.max(rule.spec.severity)));
            fired.push(index);
            for r in reasons {
                if !why.contains(&r) {
                    why.push(r);
                }
            }
        }
        item.severity = severity.unwrap_or(match item.kind {
            Kind::Modified => self.default_modified,
            Kind::Deleted => self.default_deleted,
            Kind::Unmanaged => self.default_unmanaged,
        });
        if why.is_empty() {
            why.push(format!(
                "no rule matched: default severity for {} drift of {}",
                item.kind, item.resource_type
            ));
        }
        item.controls = pass.controls(fired, |fired| {
            let mut controls: Vec<String> = self.base_controls.clone();
            for c in fired
                .iter()
                .filter_map(|i| self.rules.get(*i))
                .flat_map(|r| &r.spec.controls)
            {
                if !controls.contains(c) {
                    controls.push(c.clone());
                }
            }
            controls
        });
        item.why = pass.share(why);
        pass.keys = keys;
        pass.bits = bits;
    }

    /// Bit `j` (of word `j / 64`) set when the attribute globs of rule `rules[j]` match the glob
    /// key `key`.
    fn attribute_bits(&self, rules: &[usize], key: &str) -> Rc<[u64]> {
        let mut bits = vec![0u64; rules.len().div_ceil(64)];
        for (j, i) in rules.iter().enumerate() {
            if self.rules.get(*i).is_some_and(|r| r.attributes.is_match(key)) {
                bits[j / 64] |= 1 << (j % 64);
            }
        }
        bits.into()
    }

    /// The rule's reasons when it fires on the item (whose type the rule already matches).
    /// `attribute_matches` answers whether the rule's attribute globs match the glob key of the
    /// change at an index.
    fn fire(
        rule: &Rule,
        item: &DriftItem,
        attribute_matches: &mut dyn FnMut(usize) -> bool,
    ) -> Option<Vec<String>> {
        let spec = &rule.spec;
        let kind_ok = if spec.kinds.is_empty() {
            item.kind == Kind::Modified
        } else {
            spec.kinds.contains(&item.kind)
        };
        if !kind_ok {
            return None;
        }
        // Filled in turn, as before; a placeholder the text lacks costs no copy.
        let fill = |attr: &str, value: &str| {
            let text = fill_placeholder(spec.why.clone(), "{attr}", attr);
            let text = fill_placeholder(text, "{value}", value);
            fill_placeholder(text, "{type}", &item.resource_type)
        };
        // Whole-resource rules (deleted / unmanaged, or no attribute globs and no changes).
        if spec.attributes.is_empty() && (item.kind != Kind::Modified || item.changes.is_empty()) {
            return spec.when.whole_resource().then(|| vec![fill("", "")]);
        }
        let matches = |(n, c): (usize, &Change)| -> Option<String> {
            if !spec.attributes.is_empty() && !attribute_matches(n) {
                return None;
            }
            spec.when
                .test_prepared(c, &spec.values, &rule.needles)
                .map(|v| fill(&c.path.to_string(), &v))
        };
        let hits: Vec<String> = item.changes.iter().enumerate().filter_map(matches).collect();
        match spec.scope {
            Scope::Any if !hits.is_empty() => Some(hits),
            Scope::All if !item.changes.is_empty() && hits.len() == item.changes.len() => {
                Some(vec![fill(&item.changed_attributes().join(", "), "")])
            }
            _ => None,
        }
    }
}

/// `text.replace(placeholder, with)` (every occurrence, left to right, none overlapping) for a
/// placeholder that opens with `{`: found by its brace, without a substring searcher set up per
/// call, and `text` itself when it holds none. Reasons are filled for every rule that fires on
/// every change; the searchers `str::replace` and `str::contains` build were most of the filling.
fn fill_placeholder(text: String, placeholder: &str, with: &str) -> String {
    let (bytes, pattern) = (text.as_bytes(), placeholder.as_bytes());
    let Some(&open) = pattern.first() else {
        return text.replace(placeholder, with);
    };
    let mut out: Option<String> = None;
    let (mut copied, mut at) = (0, 0);
    while let Some(found) = memchr::memchr(open, &bytes[at..]) {
        let start = at + found;
        if bytes[start..].starts_with(pattern) {
            let filled = out.get_or_insert_with(|| String::with_capacity(text.len() + with.len()));
            filled.push_str(&text[copied..start]);
            filled.push_str(with);
            at = start + pattern.len();
            copied = at;
        } else {
            at = start + 1;
        }
    }
    match out {
        Some(mut filled) => {
            filled.push_str(&text[copied..]);
            filled
        }
        None => text,
    }
}

/// What one classification pass (one thread's share of the items) remembers.
#[derive(Default)]
struct Pass {
    /// The label lists (controls, reasons), each distinct list held once: every item of a type
    /// that fires the same rules carries the same controls, and every unmanaged item of a type
    /// the same reason, so a wide report shares them instead of holding a copy per item.
    labels: foldhash::HashSet<Arc<[String]>>,
    /// The controls list of each set of fired rules (by rule index, in firing order).
    controls: foldhash::HashMap<Vec<usize>, Arc<[String]>>,
    /// The glob keys of the item being classified (buffers reused from item to item).
    keys: Vec<String>,
    /// Per plan (a type's rule list, numbered in the pass), which of its rules' attribute globs
    /// each glob key matches, as bits by position in the plan. The same few hundred attribute
    /// names recur on every item, and glob matching each against every rule was most of the
    /// classification time.
    plans: Vec<NameAnswers<Rc<[u64]>>>,
    /// The bits of the item being classified's changes (a buffer reused from item to item).
    bits: Vec<Rc<[u64]>>,
}

impl Pass {
    fn share(&mut self, list: Vec<String>) -> Arc<[String]> {
        if let Some(shared) = self.labels.get(list.as_slice()) {
            return Arc::clone(shared);
        }
        let shared: Arc<[String]> = list.into();
        self.labels.insert(Arc::clone(&shared));
        shared
    }

    /// The shared controls list for the rules `fired`, built by `build` the first time.
    fn controls(&mut self, fired: Vec<usize>, build: impl FnOnce(&[usize]) -> Vec<String>) -> Arc<[String]> {
        if let Some(shared) = self.controls.get(&fired) {
            return Arc::clone(shared);
        }
        let shared = self.share(build(&fired));
        self.controls.insert(fired, Arc::clone(&shared));
        shared
    }
}

/// Answers about names (attribute names, map keys; yes/no unless said otherwise), remembered per
/// distinct name: a report repeats a few hundred names on every item, and the glob sets asked
/// are expensive. Bounded: past [`NAME_ANSWERS_MAX`] names it starts over, so a hostile report
/// with millions of distinct names costs only the matching it would have cost anyway.
#[derive(Debug)]
pub(crate) struct NameAnswers<T = bool>(foldhash::HashMap<Box<str>, T>);

impl<T> Default for NameAnswers<T> {
    fn default() -> Self {
        NameAnswers(foldhash::HashMap::default())
    }
}

/// Names [`NameAnswers`] holds before it starts over.
const NAME_ANSWERS_MAX: usize = 4096;

impl<T: Clone> NameAnswers<T> {
    /// The answer for `name`, asking `ask` the first time.
    pub(crate) fn answer(&mut self, name: &str, ask: impl FnOnce(&str) -> T) -> T {
        if let Some(known) = self.0.get(name) {
            return known.clone();
        }
        if self.0.len() >= NAME_ANSWERS_MAX {
            self.0.clear();
        }
        let known = ask(name);
        self.0.insert(name.into(), known.clone());
        known
    }

    /// Forgets every answer.
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// Names answered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

fn parse_file(text: &str, origin: &str) -> Result<TaxonomyFile, TaxonomyError> {
    toml::from_str(text).map_err(|e| TaxonomyError {
        origin: origin.to_string(),
        message: format!("{e}\nFix the file, or remove it to use the built-in defaults."),
    })
}

fn merge(base: &mut TaxonomyFile, user: TaxonomyFile) {
    if let Some(d) = user.defaults {
        let b = base.defaults.get_or_insert_with(DefaultsSpec::default);
        b.modified = d.modified.or(b.modified);
        b.deleted = d.deleted.or(b.deleted);
        b.unmanaged = d.unmanaged.or(b.unmanaged);
        if d.controls.is_some() {
            b.controls = d.controls;
        }
    }
    if let Some(s) = user.secrets {
        if s.replace {
            base.secrets = Some(s);
        } else {
            let b = base.secrets.get_or_insert_with(SecretSpec::default);
            b.keys.extend(s.keys);
            b.exclude.extend(s.exclude);
            b.value_markers.extend(s.value_markers);
        }
    }
    if let Some(n) = user.noise {
        noise::merge(base.noise.get_or_insert_with(NoiseSpec::default), n);
    }
    base.disable.extend(user.disable);
    for r in user.rules {
        if let Some(slot) = base.rules.iter_mut().find(|b| b.id == r.id) {
            *slot = r;
        } else {
            base.rules.push(r);
        }
    }
}

/// The user taxonomy in the config dir, when there is one.
pub fn user_taxonomy_path() -> Option<PathBuf> {
    let p = crate::config::config_dir()?.join("taxonomy.toml");
    p.exists().then_some(p)
}

/// Loads the taxonomy a command should use: defaults, then the config-dir file, then
/// `explicit`. A broken config-dir file is reported on `warn` and skipped; a broken explicit
/// file is an error, because the user asked for it.
pub fn load(explicit: Option<&Path>, warn: &mut dyn FnMut(String)) -> Result<Taxonomy, TaxonomyError> {
    let mut files = Vec::new();
    if let Some(p) = user_taxonomy_path() {
        match Taxonomy::with_overrides(std::slice::from_ref(&p)) {
            Ok(_) => files.push(p),
            Err(e) => warn(format!("{e}\nUsing the built-in taxonomy instead.")),
        }
    }
    if let Some(p) = explicit {
        files.push(p.to_path_buf());
    }
    Taxonomy::with_overrides(&files)
}

#[cfg(test)]
mod tests;

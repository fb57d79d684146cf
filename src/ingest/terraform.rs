//! Terraform / OpenTofu plan JSON (`terraform show -json PLAN`).
//!
//! Drift is `resource_drift`: `before` is what Terraform last applied (desired), `after` is
//! live; `delete` means deleted outside Terraform. `resource_changes` are planned config changes,
//! never drift; they are kept per drifted address as what a revert would do. `configuration`
//! tells per attribute whether the source holds a literal or an expression (adoption needs it).
//! Plaintext secrets in `variables`, `prior_state`, `planned_values` and `configuration` are
//! never read into the model.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::detect::{Element, Envelope, typed, typed_str, typed_with};
use super::{
    IngestError, Loaded, arn_parts, identity_of, identity_str, identity_text, is_identity_key, item_id,
    masked_change, masked_change_owned,
};
use crate::classify::SecretMatcher;
use crate::model::compare::{RawDiff, diff_owned, diff_values, is_absent};
use crate::model::mask::{mask_at, parse_mask, union_mask};
use crate::model::{
    AttrPath, ConfigExpr, ConfigInfo, DriftItem, Format, Kind, NotDrift, ReportMeta, Step, UNKNOWN,
};

const F: Format = Format::TerraformPlan;

#[derive(Deserialize)]
struct RawChange<'a> {
    // Borrowed from the report where no escape forces a copy: one entry is read per resource.
    #[serde(borrow)]
    address: Cow<'a, str>,
    #[serde(borrow, default)]
    module_address: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    mode: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    ty: Cow<'a, str>,
    #[serde(borrow, default)]
    deposed: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    previous_address: Option<Cow<'a, str>>,
    #[serde(borrow)]
    change: RawBody<'a>,
}

#[derive(Deserialize)]
struct RawBody<'a> {
    /// Raw, so that a missing or wrongly shaped `actions` is one malformed entry, not an
    /// unreadable file.
    #[serde(borrow, default)]
    actions: Option<&'a RawValue>,
    /// Read as members in the entry's one pass: most entries compare their sides attribute by
    /// attribute, and reading them as raw text first scanned each side twice.
    #[serde(borrow, default)]
    before: Option<Side<'a>>,
    #[serde(borrow, default)]
    after: Option<Side<'a>>,
    #[serde(borrow, default)]
    before_sensitive: Option<&'a RawValue>,
    #[serde(borrow, default)]
    after_sensitive: Option<&'a RawValue>,
    #[serde(borrow, default)]
    after_unknown: Option<&'a RawValue>,
}

/// An entry's `change.before`/`change.after` as raw text, read again only where the whole side
/// is needed as one value (deleted resources, an empty side, a malformed entry).
#[derive(Deserialize)]
struct SidesText<'a> {
    #[serde(borrow)]
    change: SidesTextBody<'a>,
}

#[derive(Deserialize)]
struct SidesTextBody<'a> {
    #[serde(borrow, default)]
    before: Option<&'a RawValue>,
    #[serde(borrow, default)]
    after: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct PlannedChange {
    address: String,
    #[serde(default)]
    deposed: Option<String>,
    change: PlannedBody,
}

#[derive(Deserialize)]
struct PlannedBody {
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    replace_paths: Option<Vec<Vec<Value>>>,
}

#[derive(Deserialize, Default)]
struct ConfigModule {
    #[serde(default)]
    resources: Vec<ConfigResource>,
    #[serde(default)]
    module_calls: BTreeMap<String, ModuleCall>,
}

#[derive(Deserialize)]
struct ConfigResource {
    address: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    expressions: BTreeMap<String, Value>,
    #[serde(default)]
    count_expression: Option<Value>,
    #[serde(default)]
    for_each_expression: Option<Value>,
}

#[derive(Deserialize)]
struct ModuleCall {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    module: ConfigModule,
}

#[derive(Deserialize, Default)]
struct Configuration {
    #[serde(default)]
    root_module: ConfigModule,
}

#[derive(Deserialize)]
struct RelevantAttribute {
    #[serde(default)]
    resource: String,
    #[serde(default)]
    attribute: Vec<Value>,
}

/// `context` names the member on error only (it is built then).
fn parse_raw(
    path: &str,
    context: impl FnOnce() -> String,
    raw: Option<&RawValue>,
) -> Result<Value, IngestError> {
    match raw {
        None => Ok(Value::Null),
        Some(r) => typed_with(path, F, context, r),
    }
}

/// Splits a Terraform address into its dot-separated parts, brackets and quotes respected:
/// `module.app["e.u"].aws_x.y[0]` → `module`, `app["e.u"]`, `aws_x`, `y[0]`.
pub(crate) fn address_parts(address: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut in_str, mut escaped, mut start) = (0usize, false, false, 0usize);
    for (i, c) in address.char_indices() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '.' if depth == 0 => {
                parts.push(&address[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&address[start..]);
    parts
}

/// Module-call names along a module address: `module.app["eu"].module.db` → `["app", "db"]`.
pub(crate) fn module_names(module_address: &str) -> Vec<String> {
    let parts = address_parts(module_address);
    let mut out = Vec::new();
    let mut it = parts.iter();
    while let Some(p) = it.next() {
        if *p == "module" {
            if let Some(name) = it.next() {
                out.push(name.split('[').next().unwrap_or(name).to_string());
            }
        }
    }
    out
}

fn expr_kind(v: &Value) -> ConfigExpr {
    match v {
        Value::Object(o) if o.contains_key("constant_value") => ConfigExpr::Literal,
        Value::Object(o) if o.contains_key("references") => ConfigExpr::Reference {
            references: o
                .get("references")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|r| r.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
        },
        Value::Object(o) if o.is_empty() => ConfigExpr::Computed,
        _ => ConfigExpr::Block,
    }
}

/// Index of config resources: (module names, `type.name`) → facts.
fn index_configuration(config: &Configuration) -> HashMap<(Vec<String>, String), ConfigInfo> {
    fn walk(
        m: &ConfigModule,
        names: &mut Vec<String>,
        sources: &mut Vec<String>,
        out: &mut HashMap<(Vec<String>, String), ConfigInfo>,
    ) {
        for r in &m.resources {
            if r.mode.as_deref().is_some_and(|mode| mode != "managed") {
                continue;
            }
            let info = ConfigInfo {
                attributes: r
                    .expressions
                    .iter()
                    .map(|(k, v)| (k.clone(), expr_kind(v)))
                    .collect(),
                repetition: if r.count_expression.is_some() {
                    Some("count".to_string())
                } else if r.for_each_expression.is_some() {
                    Some("for_each".to_string())
                } else {
                    None
                },
                module_path: names.clone(),
                module_sources: sources.clone(),
            };
            out.insert((names.clone(), r.address.clone()), info);
        }
        for (name, call) in &m.module_calls {
            names.push(name.clone());
            sources.push(call.source.clone().unwrap_or_default());
            walk(&call.module, names, sources, out);
            names.pop();
            sources.pop();
        }
    }
    let mut out = HashMap::new();
    walk(&config.root_module, &mut Vec::new(), &mut Vec::new(), &mut out);
    out
}

/// Drops `tags_all.X` changes that only repeat a `tags.X` change: `tags_all` adds provider
/// `default_tags`, so only its own differences are news.
fn dedupe_tags_all(diffs: &mut Vec<RawDiff>) {
    // Compared in place (the tags changes were copied for this, on every item).
    let tags: Vec<&RawDiff> = diffs.iter().filter(|d| d.path.top() == Some("tags")).collect();
    if tags.is_empty() {
        return;
    }
    let keep: Vec<bool> = diffs
        .iter()
        .map(|d| {
            d.path.top() != Some("tags_all")
                || !tags
                    .iter()
                    .any(|t| t.path.0[1..] == d.path.0[1..] && t.desired == d.desired && t.live == d.live)
        })
        .collect();
    let mut keep = keep.into_iter();
    diffs.retain(|_| keep.next().unwrap_or(true));
}

/// Loads a Terraform plan.
pub(crate) fn load(path: &str, env: &Envelope<'_>, secrets: &SecretMatcher) -> Result<Loaded, IngestError> {
    let format_version: Option<String> = env.member(path, F, "format_version")?;
    let mut warnings = Vec::new();
    let mut incomplete: Vec<String> = Vec::new();
    if env.get("values").is_some()
        && env.get("planned_values").is_none()
        && env.get("resource_changes").is_none()
    {
        return Err(IngestError::UnknownShape {
            path: path.to_string(),
            found: "a Terraform state (`terraform show -json` without a plan file), not a \
                   drift report: run `terraform plan -refresh-only -out=drift.tfplan` and then \
                   `terraform show -json drift.tfplan`"
                .to_string(),
        });
    }
    match &format_version {
        Some(v) => {
            let major = v.split('.').next().unwrap_or_default();
            if major != "0" && major != "1" {
                return Err(IngestError::UnsupportedVersion {
                    path: path.to_string(),
                    version: v.clone(),
                });
            }
        }
        None => warnings.push("no format_version: read as a 1.x plan".to_string()),
    }
    let tool_version: Option<String> = env.member(path, F, "terraform_version")?;
    let timestamp: Option<String> = env.member(path, F, "timestamp")?;
    if env.elements("resource_drift").is_none() && env.get("resource_drift").is_none() {
        if let Some(reason) = missing_drift_reason(format_version.as_deref(), tool_version.as_deref()) {
            incomplete.push(reason);
        }
    }
    if env.get("errored").is_some_and(|r| r.get() == "true") {
        incomplete.push(
            "the plan errored (`errored: true`): Terraform stopped before refreshing everything, so \
             drift may be missing; fix the errors and plan again"
                .to_string(),
        );
    }
    if env.get("complete").is_some_and(|r| r.get() == "false") {
        incomplete.push(
            "the plan is partial (`complete: false`, e.g. deferred changes or -target): drift \
             outside it was not checked; plan again without -target"
                .to_string(),
        );
    }

    // The drift entries were cut apart by the envelope; each is read (and so its JSON checked)
    // on the core that works it.
    let drift: &[Element<'_>] = match env.elements("resource_drift") {
        Some(elements) => elements,
        None if env.get("resource_drift").is_none() => &[],
        // Not an array: the typed read says what it is instead.
        None => return Err(unreadable_drift(path, env)),
    };
    let planned = env
        .member::<Vec<PlannedChange>>(path, F, "resource_changes")?
        .unwrap_or_default();
    let config_index = match env.get("configuration") {
        Some(r) if !drift.is_empty() => {
            let c: Configuration = typed(path, F, "configuration", r)?;
            index_configuration(&c)
        }
        _ => HashMap::new(),
    };
    // Relevance filters only a normal plan (a refresh-only plan has no `resource_changes` and
    // all its drift is the point), and only when the plan lists relevant attributes: an absent
    // or empty list (Terraform < 1.2, or reported incomplete, terraform #33206) filters nothing.
    let relevant: Option<HashMap<String, Vec<AttrPath>>> = if env.get("resource_changes").is_some() {
        env.member::<Vec<RelevantAttribute>>(path, F, "relevant_attributes")?
            .filter(|v| !v.is_empty())
            .map(|v| {
                let mut m: HashMap<String, Vec<AttrPath>> = HashMap::new();
                for a in v {
                    m.entry(a.resource).or_default().push(json_path(&a.attribute));
                }
                m
            })
    } else {
        None
    };
    let planned_by_address: HashMap<(&str, Option<&str>), &PlannedChange> = planned
        .iter()
        .map(|p| ((p.address.as_str(), p.deposed.as_deref()), p))
        .collect();

    let cx = Context {
        path,
        source: path.into(),
        secrets,
        config_index: &config_index,
        planned_by_address: &planned_by_address,
        relevant: &relevant,
    };
    // Each entry's item is written into its own slot of one vector, on whichever core reads it:
    // no core keeps a vector of its own to be copied into the first (at the peak that was a
    // second copy of half the items), and the empty slots are dropped in place below.
    let mut slots: Vec<Option<DriftItem>> = std::iter::repeat_with(|| None).take(drift.len()).collect();
    let parts = crate::par::blocks_mut(&mut slots, Masks::default, |masks, slots, offset| {
        entries(&cx, &drift[offset..offset + slots.len()], offset, slots, masks)
    });
    // An entry that is not a resource change at all makes the whole list unreadable (before any
    // entry's own error), as reading the list in one piece would.
    if parts.iter().any(|p| p.unreadable) {
        return Err(unreadable_drift(path, env));
    }
    let mut not_drift = NotDrift::default();
    let mut in_sync: Vec<String> = Vec::new();
    for mut part in parts {
        if let Some(e) = part.error {
            return Err(e);
        }
        warnings.append(&mut part.warnings);
        in_sync.append(&mut part.in_sync);
    }
    let items = filled(slots);
    not_drift.in_sync += in_sync.len();
    if !planned.is_empty() {
        let drifted: HashSet<&str> = items
            .iter()
            .map(|i| i.address.as_str())
            .chain(in_sync.iter().map(String::as_str))
            .collect();
        not_drift.in_sync += planned
            .iter()
            .filter(|p| p.deposed.is_none() && p.change.actions.iter().all(|a| a == "no-op"))
            .filter(|p| !drifted.contains(p.address.as_str()))
            .count();
    }

    Ok(Loaded {
        meta: ReportMeta {
            path: path.to_string(),
            format: F,
            tool_version,
            timestamp,
            sha256: String::new(),
            warnings,
            incomplete,
        },
        items,
        not_drift,
    })
}

/// Why a plan without `resource_drift` cannot be trusted to hold no drift, or `None` when the
/// key is simply omitted because refresh found nothing (Terraform omits it when empty).
///
/// Format 0.1 spans 0.12 – 1.0.0, and `resource_drift` arrived in 0.15.4, so a 0.1 plan without
/// it is read as older than 0.15.4 unless `terraform_version` says otherwise. A modern plan made
/// with `-refresh=false` also has no `resource_drift` and nothing in the JSON tells it apart from
/// a refreshed plan with no drift; `terraform show -json` refuses `-refresh=false` plans
/// (REFERENCE.md 1.1), so such a plan cannot reach driftdeck as JSON and a modern plan without
/// the key is read as "refresh found no drift".
fn missing_drift_reason(format_version: Option<&str>, tool_version: Option<&str>) -> Option<String> {
    let tool = tool_version.map(version_triplet);
    let too_old = match tool {
        Some(Some(t)) => t < (0, 15, 4),
        // No parseable terraform_version: fall back on the format version.
        _ => format_version == Some("0.1"),
    };
    too_old.then(|| {
        format!(
            "this plan cannot express drift (format_version {}, Terraform {}: `resource_drift` \
             arrived in 0.15.4); make one with Terraform 0.15.4 or later: `terraform plan \
             -refresh-only -out=drift.tfplan`, then `terraform show -json drift.tfplan`",
            format_version.unwrap_or("unknown"),
            tool_version.unwrap_or("unknown"),
        )
    })
}

/// `"1.5.7"` / `"0.15.4-beta1"` → `(1, 5, 7)` / `(0, 15, 4)`.
fn version_triplet(v: &str) -> Option<(u32, u32, u32)> {
    let mut parts = v.split(['.', '-', '+']).map(str::parse::<u32>);
    Some((
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next().and_then(Result::ok).unwrap_or(0),
    ))
}

/// What one `resource_drift` entry turned out to be.
// Never stored: each is consumed as it is returned, and boxing the item cost an allocation and
// a copy per drifted resource.
#[allow(clippy::large_enum_variant)]
enum Entry {
    /// Not drift (a data source, a deposed object, a create/read/forget or a moved-only entry).
    Skip,
    /// Reported as drifted but semantically equal (reordering, re-serialisation): its address.
    InSync(String),
    /// A drifted item.
    Item(DriftItem),
}

/// What one core made of its share of the entries, in entry order.
#[derive(Default)]
struct Part {
    /// Addresses of entries found in sync.
    in_sync: Vec<String>,
    warnings: Vec<String>,
    /// The first entry whose values could not be read; the part stops there.
    error: Option<IngestError>,
    /// An entry was not a resource change at all (the part stops there).
    unreadable: bool,
}

/// What every entry is read against.
struct Context<'a> {
    path: &'a str,
    /// `path`, shared by every item.
    source: std::sync::Arc<str>,
    secrets: &'a SecretMatcher,
    config_index: &'a HashMap<(Vec<String>, String), ConfigInfo>,
    planned_by_address: &'a HashMap<(&'a str, Option<&'a str>), &'a PlannedChange>,
    relevant: &'a Option<HashMap<String, Vec<AttrPath>>>,
}

/// Reads one `resource_drift` entry: its values are parsed, compared and masked here, and the
/// plaintext is dropped before this returns.
fn entry<'e>(
    cx: &Context<'_>,
    n: usize,
    text: &'e str,
    rc: &RawChange<'e>,
    masks: &mut Masks<'e>,
) -> Result<Entry, IngestError> {
    if rc.mode.as_deref().is_some_and(|m| m != "managed") || rc.deposed.is_some() {
        return Ok(Entry::Skip);
    }
    // An entry whose structure is wrong is kept as a malformed item (rated at its type's
    // highest rule by the classifier), never skipped or rated from what could be read of it.
    let (kind, malformed) = match read_actions(rc.change.actions) {
        Ok(actions) => {
            let kind = if actions.iter().any(|a| a == "delete") {
                Kind::Deleted
            } else if actions.iter().any(|a| a == "update") {
                Kind::Modified
            } else {
                // `no-op` = moved only; `create`/`read`/`forget` are not drift.
                return Ok(Entry::Skip);
            };
            let malformed = not_an_object("change.before", rc.change.before.as_ref())
                .or_else(|| not_an_object("change.after", rc.change.after.as_ref()))
                .or_else(|| {
                    // An update compares two objects: with one side missing, the whole other
                    // side would become one change at the root, which no rule can rate.
                    [
                        ("change.before", rc.change.before.as_ref()),
                        ("change.after", rc.change.after.as_ref()),
                    ]
                    .into_iter()
                    .find(|(_, side)| kind == Kind::Modified && side.is_none_or(|s| s.kind() == "null"))
                    .map(|(name, _)| format!("`{name}` is missing or null, but an update has both sides"))
                });
            (kind, malformed)
        }
        // Without actions the kind is unknown: as if the whole resource changed.
        Err(what) => (Kind::Modified, Some(what)),
    };
    let ctx = |what: &str| format!("resource_drift[{n}] ({}) {what}", rc.address);
    // A modified resource is compared attribute by attribute on the raw text first: only the
    // attributes whose text differs (and the identity ones) become values.
    let compact = match (&rc.change.before, &rc.change.after) {
        (Some(Side::Object(b)), Some(Side::Object(a))) if kind == Kind::Modified && malformed.is_none() => {
            compact_members(b, a)
        }
        _ => None,
    };
    // The compact sides become the values themselves (moved, not copied).
    let (differing, before, after, identity) = if let Some(c) = compact {
        (Some(c.differing), Value::Null, Value::Null, Some(c.identity))
    } else {
        // The whole sides are read as values, from their text. A malformed entry's sides
        // are read only where they are objects (for its identity).
        let text = typed_str::<SidesText<'e>>(cx.path, F, || ctx("change"), text)?.change;
        let side = |raw: Option<&'e RawValue>, read: Option<&Side<'_>>| {
            raw.filter(|_| malformed.is_none() || read.is_some_and(|s| s.kind() == "an object"))
        };
        (
            None,
            parse_raw(
                cx.path,
                || ctx("change.before"),
                side(text.before, rc.change.before.as_ref()),
            )?,
            parse_raw(
                cx.path,
                || ctx("change.after"),
                side(text.after, rc.change.after.as_ref()),
            )?,
            None,
        )
    };
    // Masks are parsed strictly: a duplicate key makes them hide everything (fail closed).
    let mask = masks.union(rc.change.before_sensitive, rc.change.after_sensitive);
    let unknown = parse_raw(cx.path, || ctx("change.after_unknown"), rc.change.after_unknown)?;

    let mut changes = Vec::new();
    match kind {
        // A malformed entry's values are not read as changes: what they would say is unknown.
        _ if malformed.is_some() => {}
        Kind::Modified => {
            let mut diffs = Vec::new();
            match differing {
                // The attributes with equal text cannot differ; the others are compared as the
                // whole objects would compare them (in key order, absent = null).
                Some(differing) => {
                    for (k, d, l) in differing {
                        diff_owned(AttrPath(vec![Step::Key(k)]), d, l, &mut diffs);
                    }
                }
                None => diff_values(&AttrPath::root(), &before, &after, &mut diffs),
            }
            dedupe_tags_all(&mut diffs);
            changes.reserve_exact(diffs.len());
            for d in diffs {
                let live_unknown = mask_at(&unknown, &d.path) == Some(&Value::Bool(true));
                let mut c =
                    masked_change_owned(&rc.address, d.path, d.desired, d.live, Some(mask), cx.secrets);
                if live_unknown && c.live.is_none() {
                    c.live = Some(Value::String(UNKNOWN.to_string())).into();
                }
                changes.push(c);
            }
            if changes.is_empty() {
                // Only reordering or re-serialisation: not drift.
                return Ok(Entry::InSync(rc.address.to_string()));
            }
        }
        Kind::Deleted | Kind::Unmanaged => {
            if let Value::Object(o) = &before {
                for (k, v) in o {
                    if is_absent(v) {
                        continue;
                    }
                    let p = AttrPath(vec![Step::Key(k.clone())]);
                    changes.push(masked_change(
                        &rc.address,
                        p,
                        Some(v),
                        None,
                        Some(mask),
                        cx.secrets,
                    ));
                }
            }
        }
    }

    let mut identity = identity.unwrap_or_else(|| {
        let mut identity = crate::model::Identity::new();
        identity_of(
            if after.is_null() {
                Some(&before)
            } else {
                Some(&after)
            },
            &mut identity,
        );
        identity_of(Some(&before), &mut identity);
        identity
    });
    // A top-level attribute the mask hides (the whole resource, or that attribute) is no identity.
    let masked = |k: &str| match mask {
        Value::Bool(true) => true,
        Value::Object(o) => o.get(k) == Some(&Value::Bool(true)),
        _ => false,
    };
    identity.retain(|k, _| !masked(k) && !cx.secrets.is_secret_key(k));
    let (arn_region, account) = identity.get("arn").map_or((None, None), |a| arn_parts(a));
    let region = identity.get("region").cloned().or(arn_region);

    // A plan without `configuration` (most drift-only plans) has nothing to look up.
    let config = (!cx.config_index.is_empty())
        .then(|| {
            let module_path = rc.module_address.as_deref().map(module_names).unwrap_or_default();
            let rel_address = address_parts(&rc.address)
                .iter()
                .rev()
                .take(2)
                .rev()
                .map(|p| p.split('[').next().unwrap_or(p))
                .collect::<Vec<_>>()
                .join(".");
            cx.config_index.get(&(module_path, rel_address)).cloned()
        })
        .flatten();
    let planned = cx.planned_by_address.get(&(&*rc.address, None));

    let mut item = DriftItem::new(
        item_id(F, &rc.address, ""),
        rc.address.to_string(),
        rc.ty.to_string(),
        std::sync::Arc::clone(&cx.source),
        F,
        kind,
    );
    item.changes = changes;
    // Final here: its spare room (a pushed-to list keeps four) would stay until the load ends.
    identity.shrink_to_fit();
    item.identity = identity;
    item.config = config.map(Box::new);
    // The rarely set fields are written only when set: writing one makes the item's box.
    if let Some(p) = planned {
        item.planned_actions.clone_from(&p.change.actions);
        if let Some(ps) = &p.change.replace_paths {
            item.planned_replace_paths = ps.iter().map(|p| json_path(p)).collect();
        }
    }
    if let Some(r) = &cx.relevant {
        // An empty `resource` matches every resource.
        item.relevant = Some(
            [&*rc.address, ""]
                .iter()
                .filter_map(|a| r.get(*a))
                .flatten()
                .cloned()
                .collect(),
        );
    }
    item.region = region;
    item.account = account;
    if malformed.is_some() {
        item.malformed = malformed;
    }
    if let Some(prev) = &rc.previous_address {
        // A `moved` block renamed it; attribution and adoption may need the old name.
        item.identity.set("previous_address", prev.to_string());
    }
    Ok(Entry::Item(item))
}

/// A `change.actions` as action names, or what is wrong with it.
fn read_actions(raw: Option<&RawValue>) -> Result<Vec<String>, String> {
    let Some(raw) = raw else {
        return Err("the change has no `actions`, so what happened to the resource is unknown".to_string());
    };
    // Drift entries are almost all one plain action, read without a parse.
    if let Some(one) = ["update", "delete", "no-op"]
        .into_iter()
        .find(|a| raw.get().strip_prefix("[\"").and_then(|r| r.strip_suffix("\"]")) == Some(*a))
    {
        return Ok(vec![one.to_string()]);
    }
    match serde_json::from_str::<Vec<String>>(raw.get()) {
        Ok(a) if a.is_empty() => {
            Err("`change.actions` is empty, so what happened to the resource is unknown".to_string())
        }
        Ok(a) => Ok(a),
        Err(_) => Err(format!(
            "`change.actions` is {}, not a list of action names",
            match json_kind(raw) {
                "an array" => "an array of something other than names",
                other => other,
            }
        )),
    }
}

/// What is wrong with a `before`/`after` that should be an object (or null), if anything.
fn not_an_object(name: &str, side: Option<&Side<'_>>) -> Option<String> {
    let kind = side?.kind();
    (kind != "an object" && kind != "null").then(|| format!("`{name}` is {kind}, not an object"))
}

/// The JSON type of a raw value, in words (`an object`, `a string`, …).
fn json_kind(raw: &RawValue) -> &'static str {
    match raw.get().trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// When a list member of a report (`key`) cannot be read as a whole, the first entry that cannot,
/// by index and by the name it gives itself (the string or number at `name` inside it): a file
/// is never rejected without saying where. A name shaped like a secret is withheld. `fix` says
/// how to get a readable report. Every loader uses it on the error path of its lists; `None`
/// when the member is not a list at all (the caller's own error says so then).
pub(super) fn unreadable_entry<'a, T: Deserialize<'a>>(
    path: &str,
    format: Format,
    env: &Envelope<'a>,
    key: &str,
    name: &[&str],
    fix: &str,
) -> Option<IngestError> {
    // A list the envelope cut apart is not read again.
    let entries: Vec<&'a str> = match env.elements(key) {
        Some(elements) => elements.iter().copied().map(Element::get).collect(),
        None => serde_json::from_str::<Vec<&'a RawValue>>(env.get(key)?.get())
            .ok()?
            .into_iter()
            .map(RawValue::get)
            .collect(),
    };
    entries.iter().enumerate().find_map(|(n, raw)| {
        let e = serde_json::from_str::<T>(raw).err()?;
        let entry = serde_json::from_str::<Value>(raw).ok();
        let found = name
            .iter()
            .try_fold(entry.as_ref(), |v, k| Some(v?.get(*k)))
            .flatten()
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
        let name = match found {
            Some(s) if crate::classify::is_secret_shaped(&s) => {
                "name withheld: it looks like a secret".to_string()
            }
            Some(s) => s,
            None => format!("no {}", name.join(".")),
        };
        // serde's position is inside the entry, not the file: the index says where instead.
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        Some(IngestError::Invalid {
            path: path.to_string(),
            format,
            context: format!("{key}[{n}] ({name})"),
            message: format!("{message}; {fix}"),
        })
    })
}

/// A `before`/`after` side read in the entry's pass: an object's top-level attributes, each
/// kept as raw text and sorted by name (the last of a repeated name wins, as it would in a map),
/// or the JSON type of anything else, in words.
enum Side<'a> {
    Object(Vec<(Cow<'a, str>, &'a RawValue)>),
    Other(&'static str),
}

impl Side<'_> {
    /// The JSON type, in words (`an object`, `a string`, …), as [`json_kind`] says it.
    fn kind(&self) -> &'static str {
        match self {
            Side::Object(_) => "an object",
            Side::Other(kind) => kind,
        }
    }
}

/// An object key, borrowed from the report unless an escape forces a copy (serde's own `Cow`
/// always copies).
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Text<'a> {
            type Value = Key<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(Text(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Side<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Any<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Any<'a> {
            type Value = Side<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(Key(k)) = map.next_key::<Key<'a>>()? {
                    members.push((k, map.next_value::<&'a RawValue>()?));
                }
                // Stable: of a repeated name the later member sorts last, and is the one kept.
                members.sort_by(|a: &(Cow<'_, str>, _), b| a.0.cmp(&b.0));
                members.dedup_by(|later, earlier| {
                    let same = later.0 == earlier.0;
                    if same {
                        std::mem::swap(later, earlier);
                    }
                    same
                });
                Ok(Side::Object(members))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Side::Other("an array"))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Side::Other("a string"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Side::Other("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Side::Other("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Side::Other("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Side::Other("a number"))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Side::Other("null"))
            }
        }
        d.deserialize_any(Any(std::marker::PhantomData))
    }
}

/// The two sides of a modified entry reduced to what can differ.
struct Compact {
    /// Attributes whose text differs between the sides, in name order, with their desired and
    /// live values (an attribute missing on a side is null there).
    differing: Vec<(String, Value, Value)>,
    /// The identity attributes, from `after` first, then `before` (as [`identity_of`] takes them
    /// from the two values).
    identity: crate::model::Identity,
}

/// Reads `before` and `after` as objects of raw attributes and keeps, as values, only the
/// attributes whose text differs plus the identity attributes: on a drift-dense plan most
/// attributes are equal, and building them as values was most of the load's allocations.
/// `None` when either side is empty (the whole values are compared instead).
fn compact_members(b: &[(Cow<'_, str>, &RawValue)], a: &[(Cow<'_, str>, &RawValue)]) -> Option<Compact> {
    if b.is_empty() || a.is_empty() {
        return None;
    }
    let value = |r: Option<&RawValue>| r.map_or(Some(Value::Null), |r| serde_json::from_str(r.get()).ok());
    let mut differing = Vec::new();
    let (mut bi, mut ai) = (b.iter().peekable(), a.iter().peekable());
    // Both sides are in name order: one merged walk pairs the attributes.
    loop {
        let (name, d, l) = match (bi.peek(), ai.peek()) {
            (None, None) => break,
            (Some(x), Some(y)) if x.0 == y.0 => {
                let (x, y) = (bi.next()?, ai.next()?);
                (&x.0, Some(x.1), Some(y.1))
            }
            (Some(x), y) if y.is_none_or(|y| x.0 < y.0) => {
                let x = bi.next()?;
                (&x.0, Some(x.1), None)
            }
            _ => {
                let y = ai.next()?;
                (&y.0, None, Some(y.1))
            }
        };
        if d.map(RawValue::get) != l.map(RawValue::get) {
            differing.push((name.to_string(), value(d)?, value(l)?));
        }
    }
    let mut identity = crate::model::Identity::new();
    identity_members(a, &mut identity)?;
    identity_members(b, &mut identity)?;
    Some(Compact { differing, identity })
}

/// [`compact_members`] of two sides given as text; `None` unless both are non-empty objects.
#[cfg(test)]
fn compact_sides(before: Option<&RawValue>, after: Option<&RawValue>) -> Option<Compact> {
    compact_members(&raw_object(before)?, &raw_object(after)?)
}

/// A non-empty JSON object's members, raw; `None` for anything else.
#[cfg(test)]
fn raw_object(raw: Option<&RawValue>) -> Option<Vec<(Cow<'_, str>, &RawValue)>> {
    match serde_json::from_str::<Side<'_>>(raw?.get()).ok()? {
        Side::Object(o) if !o.is_empty() => Some(o),
        _ => None,
    }
}

/// Adds the identity attributes among `members` that `into` lacks, read as [`identity_of`] reads
/// an object's; `None` if an identity attribute cannot be read as a value.
fn identity_members(members: &[(Cow<'_, str>, &RawValue)], into: &mut crate::model::Identity) -> Option<()> {
    for (k, raw) in members {
        // An attribute the other side already gave is not read again: its text here is either
        // the same (read there) or differs (read as a differing attribute), so a value that
        // cannot be read still makes the compact reading fail.
        if !is_identity_key(k) || into.contains_key(k) {
            continue;
        }
        // Mostly a string: read as one (borrowed when it has no escapes), not as a value.
        let text = if raw.get().starts_with('"') {
            identity_str(&serde_json::from_str::<Key<'_>>(raw.get()).ok()?.0)
        } else {
            identity_text(&serde_json::from_str::<Value>(raw.get()).ok()?)
        };
        if let Some(text) = text {
            into.set(k, text);
        }
    }
    Some(())
}

/// The union masks (`before_sensitive` with `after_sensitive`) one core has read, by the texts
/// of both: most entries of a type carry the same ones, and reading them was a tenth of an
/// entry. Masks are read strictly (a repeated key hides everything), so the text alone decides
/// the mask. Past [`MASKS_MAX`] it starts over.
#[derive(Default)]
struct Masks<'a>(foldhash::HashMap<(Option<&'a str>, Option<&'a str>), Value>);

/// Masks a [`Masks`] holds before it starts over.
const MASKS_MAX: usize = 4096;

impl<'a> Masks<'a> {
    fn union(&mut self, before: Option<&'a RawValue>, after: Option<&'a RawValue>) -> &Value {
        let key = (before.map(RawValue::get), after.map(RawValue::get));
        if self.0.len() >= MASKS_MAX && !self.0.contains_key(&key) {
            self.0.clear();
        }
        self.0.entry(key).or_insert_with(|| match key {
            // Mostly both sides carry the same mask text: it is read once.
            (Some(b), Some(a)) if b == a => {
                let m = parse_mask(b);
                union_mask(Some(&m), Some(&m))
            }
            (b, a) => {
                let read = |r: Option<&str>| r.map_or(Value::Null, parse_mask);
                union_mask(Some(&read(b)), Some(&read(a)))
            }
        })
    }
}

/// The items of the filled slots, in order, in the slots' own memory: `filter_map` over a
/// vector collects in place when the item is as large as its slot (`flatten` does not). When
/// most slots were empty (entries in sync, or not drift) the spare room is given back.
#[allow(clippy::filter_map_identity)]
fn filled<T>(slots: Vec<Option<T>>) -> Vec<T> {
    let mut items: Vec<T> = slots.into_iter().filter_map(std::convert::identity).collect();
    if items.len() < items.capacity() / 2 {
        items.shrink_to_fit();
    }
    items
}

/// Reads one core's share of the entries (`offset` is the index of the first in the list),
/// each drifted entry's item into its slot in `slots` (one per entry).
fn entries<'a>(
    cx: &Context<'_>,
    drift: &[Element<'a>],
    offset: usize,
    slots: &mut [Option<DriftItem>],
    masks: &mut Masks<'a>,
) -> Part {
    let mut part = Part::default();
    for (j, (text, slot)) in drift.iter().zip(slots).enumerate() {
        let n = offset + j;
        let Ok(rc) = serde_json::from_str::<RawChange<'a>>(text.get()) else {
            part.unreadable = true;
            break;
        };
        match entry(cx, n, text.get(), &rc, masks) {
            Ok(Entry::Skip) => {}
            Ok(Entry::InSync(address)) => part.in_sync.push(address),
            Ok(Entry::Item(item)) => {
                if let Some(what) = &item.malformed {
                    part.warnings.push(format!(
                        "resource_drift[{n}] ({}): {what}; kept as drift and rated as if the whole \
                         resource changed, at the highest rule for {}",
                        item.address, item.resource_type
                    ));
                }
                *slot = Some(item);
            }
            Err(e) => {
                part.error = Some(e);
                break;
            }
        }
    }
    part
}

/// Why `resource_drift` cannot be read as a list of resource changes: its first unreadable
/// entry, by index and address, or what the member is instead of a list.
fn unreadable_drift(path: &str, env: &Envelope<'_>) -> IngestError {
    unreadable_entry::<RawChange<'_>>(
        path,
        F,
        env,
        "resource_drift",
        &["address"],
        "produce the plan JSON again with `terraform show -json PLAN`",
    )
    // Not a list at all: the typed read of the whole member says what it is.
    .unwrap_or_else(
        || match env.member::<Vec<RawChange<'_>>>(path, F, "resource_drift") {
            Err(e) => e,
            // Unreachable in practice: the caller saw an entry it could not read.
            Ok(_) => IngestError::Invalid {
                path: path.to_string(),
                format: F,
                context: "resource_drift".to_string(),
                message: "cannot be read as a list of resource changes".to_string(),
            },
        },
    )
}

/// A Terraform path (`["ingress", 0, "cidr_blocks"]`) as an [`AttrPath`].
pub(crate) fn json_path(steps: &[Value]) -> AttrPath {
    AttrPath(
        steps
            .iter()
            .map(|s| match s {
                Value::Number(n) => Step::Index(n.as_u64().unwrap_or_default() as usize),
                Value::String(k) => Step::Key(k.clone()),
                other => Step::Key(other.to_string()),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filled_slots_become_the_items_in_place() {
        let slots: Vec<Option<DriftItem>> = (0..10)
            .map(|i| {
                (i % 4 != 0).then(|| {
                    DriftItem::new(
                        format!("id{i}"),
                        format!("a.b[{i}]"),
                        "a".into(),
                        "p",
                        F,
                        Kind::Modified,
                    )
                })
            })
            .collect();
        let at = slots.as_ptr() as usize;
        let items = filled(slots);
        assert_eq!(
            items.as_ptr() as usize,
            at,
            "collected in the slots' memory, not copied"
        );
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["id1", "id2", "id3", "id5", "id6", "id7", "id9"]);
        let mostly_empty = filled((0..100).map(|i| (i == 7).then_some(i)).collect());
        assert_eq!((mostly_empty.as_slice(), mostly_empty.capacity()), (&[7][..], 1));
    }

    #[test]
    fn compact_sides_pair_attributes_by_name_and_keep_the_last_of_a_repeated_one() {
        let raw = |t: &'static str| serde_json::from_str::<&RawValue>(t).expect("valid");
        let members = raw_object(Some(raw(r#"{"b":2,"a":1,"c":0,"a":3}"#))).expect("object");
        let members: Vec<(&str, &str)> = members.iter().map(|(k, v)| (&**k, v.get())).collect();
        assert_eq!(members, vec![("a", "3"), ("b", "2"), ("c", "0")]);
        let c = compact_sides(
            Some(raw(r#"{"id":"i-1","a":1,"b":[1],"gone":true}"#)),
            Some(raw(r#"{"a":1,"b":[2],"id":"i-1","new":"x"}"#)),
        )
        .expect("objects");
        let differing: Vec<(&str, String, String)> = c
            .differing
            .iter()
            .map(|(k, d, l)| (k.as_str(), d.to_string(), l.to_string()))
            .collect();
        assert_eq!(
            differing,
            vec![
                ("b", "[1]".into(), "[2]".into()),
                ("gone", "true".into(), "null".into()),
                ("new", "null".into(), "\"x\"".into()),
            ]
        );
        assert_eq!(c.identity.get("id").map(String::as_str), Some("i-1"));
        assert_eq!(c.identity.len(), 1, "only identity attributes");
        assert!(compact_sides(Some(raw("{}")), Some(raw(r#"{"a":1}"#))).is_none());
    }

    /// `resource_drift` repeated, a non-array first: the last one counts and is read in full,
    /// as it was when every member was kept whole.
    #[test]
    fn a_repeated_drift_member_is_read_from_its_last_occurrence() {
        let entry = r#"{"address":"aws_instance.a","mode":"managed","type":"aws_instance","name":"a",
            "change":{"actions":["update"],"before":{"id":"i-1","instance_type":"t3.small"},
            "after":{"id":"i-1","instance_type":"t3.large"}}}"#;
        let taxonomy = crate::classify::Taxonomy::defaults().expect("built in");
        for text in [
            format!(r#"{{"format_version":"1.2","resource_drift":{{}},"resource_drift":[{entry}]}}"#),
            format!(r#"{{"format_version":"1.2","resource_drift":7,"resource_drift":[{entry},{entry}]}}"#),
            format!(r#"{{"format_version":"1.2","resource_drift":[{entry}]}}"#),
        ] {
            let input = crate::ingest::Input {
                path: "plan.json".to_string(),
                bytes: text.into_bytes(),
            };
            let report = crate::ingest::load_one(&input, &taxonomy).expect("loads");
            assert!(!report.items.is_empty());
            assert!(report.items.iter().all(|i| i.address == "aws_instance.a"));
        }
        let input = crate::ingest::Input {
            path: "plan.json".to_string(),
            bytes: format!(r#"{{"format_version":"1.2","resource_drift":[{entry}],"resource_drift":{{}}}}"#)
                .into_bytes(),
        };
        let e = crate::ingest::load_one(&input, &taxonomy)
            .expect_err("a map")
            .to_string();
        assert!(e.contains("resource_drift"), "{e}");
    }

    #[test]
    fn address_parts_respect_brackets_and_quotes() {
        assert_eq!(
            address_parts(r#"module.app["e.u"].aws_rds_cluster.main[0]"#),
            vec!["module", r#"app["e.u"]"#, "aws_rds_cluster", "main[0]"]
        );
        assert_eq!(
            module_names(r#"module.app["eu"].module.db[1]"#),
            vec!["app", "db"]
        );
    }
}

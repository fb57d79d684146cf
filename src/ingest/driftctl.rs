//! driftctl scan JSON (`driftctl scan --output json://FILE`, v0.10 – v0.40).
//!
//! `unmanaged` → unmanaged, `missing` (before v0.10 `deleted`) → deleted, `differences`
//! (deep mode, ≤ v0.39) → modified, with `from` = state value (desired) and `to` = cloud value
//! (live). Managed resources without differences are in sync. driftctl carries no sensitivity
//! marks, so the taxonomy's secret names decide what is masked.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use serde_json::Value;

use super::detect::Envelope;
use super::terraform::unreadable_entry;
use super::{IngestError, Loaded, arn_parts, identity_of, item_id, masked_change};
use crate::classify::SecretMatcher;
use crate::model::compare::semantic_eq;
use crate::model::mask::mask_value;
use crate::model::{AttrPath, DriftItem, Format, Kind, NotDrift, ReportMeta, Step};

const F: Format = Format::Driftctl;

/// A scanned resource. Its strings borrow the report's bytes where they can (no escapes): on a
/// wide scan a copy of every id, type and name was a sixth of the load's peak.
#[derive(Deserialize, Clone)]
struct Resource<'a> {
    /// Empty when missing: [`check_resources`] rejects the report, naming the entry.
    #[serde(borrow, default)]
    id: Cow<'a, str>,
    /// Empty when missing: [`check_resources`] rejects the report, naming the entry.
    #[serde(borrow, rename = "type", default)]
    ty: Cow<'a, str>,
    #[serde(default)]
    human_readable_attributes: Option<BTreeMap<String, Value>>,
    #[serde(borrow, default)]
    source: Option<Source<'a>>,
}

#[derive(Deserialize, Clone)]
struct Source<'a> {
    #[serde(borrow, default)]
    namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    internal_name: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Difference<'a> {
    #[serde(borrow)]
    res: Resource<'a>,
    #[serde(default)]
    changelog: Option<Vec<ChangeEntry>>,
}

#[derive(Deserialize)]
struct ChangeEntry {
    #[serde(default)]
    path: Option<Vec<Value>>,
    #[serde(default)]
    from: Option<Value>,
    #[serde(default)]
    to: Option<Value>,
    #[serde(default)]
    computed: Option<bool>,
}

#[derive(Deserialize)]
struct Alert {
    #[serde(default)]
    message: Option<String>,
}

/// What a driftctl alert says went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AlertKind {
    AccessDenied,
    Throttled,
    Unsupported,
    Other,
    /// Deep mode's "diffs on computed fields … potential false positive drifts": every
    /// resource was read, some differences may be provider read-back. A warning, not a gap.
    ComputedFields,
}

impl AlertKind {
    fn of(message: &str) -> Self {
        let m = message.to_ascii_lowercase();
        if m.contains("computed field") && m.contains("false positive") {
            return AlertKind::ComputedFields;
        }
        if [
            "accessdenied",
            "access denied",
            "forbidden",
            "not authorized",
            "unauthorized",
            "(403)",
        ]
        .iter()
        .any(|k| m.contains(k))
        {
            AlertKind::AccessDenied
        } else if ["throttl", "rate exceeded", "too many requests"]
            .iter()
            .any(|k| m.contains(k))
        {
            AlertKind::Throttled
        } else if ["not supported", "unsupported"].iter().any(|k| m.contains(k)) {
            AlertKind::Unsupported
        } else {
            AlertKind::Other
        }
    }

    fn what(self) -> &'static str {
        match self {
            AlertKind::AccessDenied => "was denied access while listing or reading",
            AlertKind::Throttled => "was throttled while listing or reading",
            AlertKind::Unsupported => "does not support",
            AlertKind::Other => "reported alerts it could not scan past for",
            AlertKind::ComputedFields => "reported differences on computed fields for",
        }
    }

    fn fix(self) -> &'static str {
        match self {
            AlertKind::AccessDenied => "grant the scanning role read access to them and scan again",
            AlertKind::Throttled => "scan again later or with fewer parallel requests",
            AlertKind::Unsupported => "check them by other means or upgrade driftctl",
            AlertKind::Other => "read the alert in the report's warnings and scan again",
            AlertKind::ComputedFields => "check those differences for provider read-back",
        }
    }
}

/// The first `provider_type`-looking word of an alert message (`aws_s3_bucket`).
fn resource_type_in(message: &str) -> Option<String> {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| {
            ["aws_", "google_", "azurerm_", "github_"]
                .iter()
                .any(|p| w.starts_with(p) && w.len() > p.len())
        })
        .map(str::to_string)
}

fn address(r: &Resource<'_>) -> String {
    match &r.source {
        Some(Source {
            namespace,
            internal_name: Some(name),
        }) if !name.is_empty() => match namespace.as_deref() {
            Some(ns) if ns.starts_with("module.") => format!("{ns}.{}.{name}", r.ty),
            _ => format!("{}.{name}", r.ty),
        },
        _ => format!("{}.{}", r.ty, shown_id(r)),
    }
}

/// The resource id as it may be shown: an id shaped like a secret (a URL with credentials, a
/// token) is replaced by a stable stand-in derived from it, so it never becomes an address.
fn shown_id<'a>(r: &'a Resource<'_>) -> Cow<'a, str> {
    if crate::classify::is_secret_shaped(&r.id) {
        format!("masked-{}", item_id(F, &r.ty, &r.id)).into()
    } else {
        Cow::Borrowed(&*r.id)
    }
}

fn path_of(steps: &[Value]) -> AttrPath {
    AttrPath(
        steps
            .iter()
            .map(|s| match s {
                Value::String(k) => k
                    .parse::<usize>()
                    .map_or_else(|_| Step::Key(k.clone()), Step::Index),
                Value::Number(n) => Step::Index(n.as_u64().unwrap_or_default() as usize),
                other => Step::Key(other.to_string()),
            })
            .collect(),
    )
}

/// How to get a readable scan, for errors.
const RESCAN: &str = "scan again with `driftctl scan --output json://FILE`, or fix that entry";

fn list<'a>(path: &str, env: &Envelope<'a>, key: &str) -> Result<Vec<Resource<'a>>, IngestError> {
    let list: Vec<Resource<'a>> = env
        .member(path, F, key)
        .map_err(|e| unreadable_entry::<Resource<'_>>(path, F, env, key, &["id"], RESCAN).unwrap_or(e))?
        .unwrap_or_default();
    check_resources(
        path,
        list.iter().enumerate().map(|(n, r)| (format!("{key}[{n}]"), r)),
    )?;
    Ok(list)
}

/// Rejects the report at the first resource without a `type` or an `id`, naming it (list,
/// index, and whichever of the two it has). Such a resource has no address to list, approve or
/// revert, and without a type no rule can rate it: keeping it would rate it lower than its real
/// type may deserve, and dropping it would hide drift, so the whole scan is refused instead.
fn check_resources<'a>(
    path: &str,
    resources: impl IntoIterator<Item = (String, &'a Resource<'a>)>,
) -> Result<(), IngestError> {
    for (at, r) in resources {
        let missing = match (r.ty.is_empty(), r.id.is_empty()) {
            (false, false) => continue,
            (true, true) => "has neither `type` nor `id`",
            (true, false) => "has no `type`",
            (false, true) => "has no `id`",
        };
        let named = if r.id.is_empty() {
            r.ty.to_string()
        } else if crate::classify::is_secret_shaped(&r.id) {
            "id withheld: it looks like a secret".to_string()
        } else {
            format!("id {:?}", r.id)
        };
        return Err(IngestError::Invalid {
            path: path.to_string(),
            format: F,
            context: if named.is_empty() {
                at
            } else {
                format!("{at} ({named})")
            },
            message: format!("the resource {missing}, so it cannot be named or rated; {RESCAN}"),
        });
    }
    Ok(())
}

/// Tells apart items whose address the scan gives to more than one resource: driftctl names
/// `count`/`for_each` instances by their resource block only, so each gets its resource id
/// appended (`aws_iam_user.users[id=…]`) and `list`, `approve`, `adopt` and `revert` can name
/// it. Every resource of the scan counts (an in-sync sibling makes the drifted instance's
/// address ambiguous too); an address held by one resource stays as it is. An id shaped like a
/// secret is never shown: the item's id stands in for it.
fn disambiguate<'a, 'b: 'a>(items: &mut [DriftItem], scanned: impl Iterator<Item = &'a Resource<'b>>) {
    // A map from every address to its ids was the peak of a wide scan's load (500k
    // addresses). Instead: the resources sorted by a hash of their address, and only those
    // sharing a hash (the same address, or rarely a collision) compared by address.
    let scanned: Vec<&Resource<'_>> = scanned.collect();
    let hash = |r: &Resource<'_>| {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        address(r).hash(&mut h);
        h.finish()
    };
    let mut order: Vec<(u64, usize)> = scanned.iter().enumerate().map(|(n, r)| (hash(r), n)).collect();
    order.sort_unstable();
    let mut shared: HashSet<String> = HashSet::new();
    for group in order.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        let mut ids: HashMap<String, &str> = HashMap::new();
        for (_, n) in group {
            let r = scanned[*n];
            let a = address(r);
            match ids.get(&a) {
                Some(first) if *first != &*r.id => {
                    shared.insert(a);
                }
                Some(_) => {}
                None => {
                    ids.insert(a, &*r.id);
                }
            }
        }
    }
    if shared.is_empty() {
        return;
    }
    for i in items.iter_mut() {
        if shared.contains(&i.address) {
            // A secret-shaped id is not in the identity (see `base_item`).
            let shown = i
                .identity
                .get("id")
                .cloned()
                .unwrap_or_else(|| format!("masked-{}", i.id));
            i.address = format!("{}{INSTANCE_ID_OPEN}{shown}]", i.address);
        }
    }
}

/// What opens the resource id appended to a shared address (see [`disambiguate`]);
/// `remediate::revert` strips it to target the whole block.
const INSTANCE_ID_OPEN: &str = "[id=";

fn base_item(source: &std::sync::Arc<str>, r: &Resource<'_>, kind: Kind) -> DriftItem {
    let address = address(r);
    let mut identity = crate::model::Identity::new();
    // Identity is shown and journaled: a secret-shaped id never becomes one.
    if !crate::classify::is_secret_shaped(&r.id) {
        identity.set("id", r.id.to_string());
    }
    let attrs = r
        .human_readable_attributes
        .as_ref()
        .map(|m| Value::Object(m.clone().into_iter().collect()));
    identity_of(attrs.as_ref(), &mut identity);
    let arn = identity
        .get("arn")
        .cloned()
        .or_else(|| r.id.starts_with("arn:").then(|| r.id.to_string()));
    let (region, account) = arn.as_deref().map_or((None, None), arn_parts);
    let mut item = DriftItem::new(
        item_id(F, &address, &r.id),
        address,
        r.ty.to_string(),
        std::sync::Arc::clone(source),
        F,
        kind,
    );
    item.identity = identity;
    item.region = region;
    item.account = account;
    item
}

/// Loads a driftctl scan.
pub(crate) fn load(path: &str, env: &Envelope<'_>, secrets: &SecretMatcher) -> Result<Loaded, IngestError> {
    let managed = list(path, env, "managed")?;
    let unmanaged = list(path, env, "unmanaged")?;
    let mut missing = list(path, env, "missing")?;
    missing.extend(list(path, env, "deleted")?);
    let differences: Vec<Difference> = env
        .member(path, F, "differences")
        .map_err(|e| {
            unreadable_entry::<Difference>(path, F, env, "differences", &["res", "id"], RESCAN).unwrap_or(e)
        })?
        .unwrap_or_default();
    check_resources(
        path,
        differences
            .iter()
            .enumerate()
            .map(|(n, d)| (format!("differences[{n}].res"), &d.res)),
    )?;
    let tool_version: Option<String> = env.member(path, F, "provider_version")?;
    let provider: Option<String> = env.member(path, F, "provider_name")?;
    let timestamp: Option<String> = env.member(path, F, "date")?;
    let mut warnings = Vec::new();
    let mut incomplete: Vec<String> = Vec::new();
    // Shared by every item.
    let source: std::sync::Arc<str> = path.into();
    // Every alert means driftctl could not list or read something: fail closed, one reason per
    // kind of alert, naming the resource types affected.
    let mut by_kind: BTreeMap<AlertKind, std::collections::BTreeSet<String>> = BTreeMap::new();
    if let Some(alerts) = env.member::<BTreeMap<String, Option<Vec<Alert>>>>(path, F, "alerts")? {
        for (ty, list) in alerts {
            for a in list.unwrap_or_default() {
                let msg = a.message.unwrap_or_default();
                let ty = if ty.is_empty() {
                    resource_type_in(&msg).unwrap_or_else(|| "(no resource type given)".to_string())
                } else {
                    ty.clone()
                };
                by_kind.entry(AlertKind::of(&msg)).or_default().insert(ty.clone());
                warnings.push(format!("alert for {ty}: {msg}"));
            }
        }
    }
    for (kind, types) in by_kind.iter().filter(|(k, _)| **k != AlertKind::ComputedFields) {
        incomplete.push(format!(
            "driftctl {}: {} — drift for these types is unknown; {}",
            kind.what(),
            types.iter().cloned().collect::<Vec<_>>().join(", "),
            kind.fix()
        ));
    }

    // Sized up front: on a wide scan, doubling a vector of 500k items held two copies at once.
    let mut items = Vec::with_capacity(differences.len() + unmanaged.len() + missing.len());
    let mut changed: HashSet<(&str, &str)> = HashSet::new();
    for d in &differences {
        let mut item = base_item(&source, &d.res, Kind::Modified);
        for (n, c) in d.changelog.iter().flatten().enumerate() {
            let p = path_of(c.path.as_deref().unwrap_or_default());
            let p = if p.is_empty() {
                AttrPath::keys([format!("change{n}")])
            } else {
                p
            };
            let from = c.from.as_ref().filter(|v| !v.is_null());
            let to = c.to.as_ref().filter(|v| !v.is_null());
            if semantic_eq(from.unwrap_or(&Value::Null), to.unwrap_or(&Value::Null)) {
                continue;
            }
            let mut change = masked_change(&item.address, p, from, to, None, secrets);
            change.computed = c.computed.unwrap_or(false);
            item.changes.push(change);
        }
        if item.changes.is_empty() {
            continue;
        }
        changed.insert((&*d.res.ty, &*d.res.id));
        items.push(item);
    }
    for (list, kind) in [(&unmanaged, Kind::Unmanaged), (&missing, Kind::Deleted)] {
        for r in list {
            let mut item = base_item(&source, r, kind);
            let attrs = r.human_readable_attributes.clone().unwrap_or_default();
            let mut live_obj = serde_json::Map::new();
            let id_path = AttrPath::keys(["id"]);
            let id = Value::String(r.id.to_string());
            live_obj.insert("id".to_string(), mask_value(&id, None, &id_path, secrets).value);
            if kind == Kind::Unmanaged && !attrs.contains_key("id") {
                let c = masked_change(&item.address, id_path, None, Some(&id), None, secrets);
                item.changes.push(c);
            }
            for (k, v) in attrs {
                let p = AttrPath::keys([k.clone()]);
                let c = if kind == Kind::Unmanaged {
                    masked_change(&item.address, p.clone(), None, Some(&v), None, secrets)
                } else {
                    masked_change(&item.address, p.clone(), Some(&v), None, None, secrets)
                };
                live_obj.insert(k, mask_value(&v, None, &p, secrets).value);
                item.changes.push(c);
            }
            // Only attributes beyond the id are worth keeping: the id is the identity already,
            // and on a wide scan (500k unmanaged resources) a one-key map per item was a third
            // of the memory. Adopt then says where to get the attributes from.
            if kind == Kind::Unmanaged && live_obj.len() > 1 {
                item.live_attributes = Some(Value::Object(live_obj));
            }
            item.changes.shrink_to_fit();
            items.push(item);
        }
    }
    disambiguate(
        &mut items,
        managed
            .iter()
            .chain(&unmanaged)
            .chain(&missing)
            .chain(differences.iter().map(|d| &d.res)),
    );
    let in_sync = managed
        .iter()
        .filter(|r| !changed.contains(&(&*r.ty, &*r.id)))
        .count();

    Ok(Loaded {
        meta: ReportMeta {
            path: path.to_string(),
            format: F,
            // driftctl records the provider's version, not its own.
            tool_version: tool_version.map(|v| match &provider {
                Some(p) => format!("driftctl ({p} provider {v})"),
                None => format!("driftctl (provider {v})"),
            }),
            timestamp,
            sha256: String::new(),
            warnings,
            incomplete,
        },
        items,
        not_drift: NotDrift {
            in_sync,
            ..NotDrift::default()
        },
    })
}

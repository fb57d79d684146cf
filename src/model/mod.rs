//! The one in-memory model every format is loaded into: a merged [`DriftReport`] of
//! [`DriftItem`]s, each a resource whose live state differs from what the IaC says.
//!
//! Values that are sensitive never enter this model in plaintext: ingest replaces them
//! with [`MASK`] and keeps only a keyed fingerprint (see [`Change::live_fingerprint`]).

pub mod compare;
mod held;
mod identity;
pub mod mask;
mod path;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use held::Held;
pub(crate) use identity::IDENTITY_KEYS;
pub use identity::Identity;
pub use path::{AttrPath, Step};

/// What is shown wherever a sensitive value would be.
pub const MASK: &str = "(sensitive)";

/// What is shown for a live value Terraform does not know yet (`after_unknown`): a placeholder,
/// never a value, so it may stand beside a masked one.
pub const UNKNOWN: &str = "(known after apply)";

/// The input formats driftdeck reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `terraform show -json` / `tofu show -json` of a plan.
    TerraformPlan,
    /// `driftctl scan --output json://…`.
    Driftctl,
    /// `aws cloudformation describe-stack-resource-drifts`.
    Cloudformation,
}

impl Format {
    /// The stable name used in JSON output and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::TerraformPlan => "terraform-plan",
            Format::Driftctl => "driftctl",
            Format::Cloudformation => "cloudformation",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the live resource differs from the IaC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Exists in both, with different attributes.
    Modified,
    /// Managed by the IaC but gone from the cloud.
    Deleted,
    /// Exists in the cloud, managed by no IaC.
    Unmanaged,
}

impl Kind {
    /// Lower-case name, as used in filters and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Modified => "modified",
            Kind::Deleted => "deleted",
            Kind::Unmanaged => "unmanaged",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "modified" => Some(Kind::Modified),
            "deleted" => Some(Kind::Deleted),
            "unmanaged" => Some(Kind::Unmanaged),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Security sensitivity of a drifted item, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Noise such as tags.
    #[default]
    Low,
    /// Operational drift.
    Medium,
    /// Security-relevant drift.
    High,
    /// Exposure or privilege escalation: act now.
    Critical,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL_DESC: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a lower-case (or any-case) name.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" | "med" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" | "crit" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Triage status of an item. Every item starts `Open`; `decide::status` derives the others from
/// the journal and the approvals file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Nobody has decided yet.
    #[default]
    Open,
    /// Approved as temporary divergence until the expiry (RFC 3339).
    Approved,
    /// An approval existed but its expiry has passed.
    ApprovalExpired,
    /// Approved, but the live value has drifted again since.
    ChangedSinceApproval,
    /// The live value was adopted into the IaC (file written); stays until a new report no
    /// longer shows the drift.
    Adopted,
    /// An executed revert converged: live matches the IaC again.
    Reverted,
    /// An executed revert failed or did not converge.
    RevertFailed,
}

impl Status {
    /// Kebab-case name, as used in filters and JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Approved => "approved",
            Status::ApprovalExpired => "approval-expired",
            Status::ChangedSinceApproval => "changed-since-approval",
            Status::Adopted => "adopted",
            Status::Reverted => "reverted",
            Status::RevertFailed => "revert-failed",
        }
    }

    /// Every status, in triage order (the ones that need attention first).
    pub const ALL: [Status; 7] = [
        Status::Open,
        Status::RevertFailed,
        Status::ChangedSinceApproval,
        Status::ApprovalExpired,
        Status::Approved,
        Status::Adopted,
        Status::Reverted,
    ];

    /// Whether an item with this status still needs a decision, so `check` fails on it: open,
    /// approval-expired, changed-since-approval and revert-failed do; approved, adopted and
    /// reverted do not.
    pub fn gates(self) -> bool {
        matches!(
            self,
            Status::Open | Status::ApprovalExpired | Status::ChangedSinceApproval | Status::RevertFailed
        )
    }

    /// Parses the kebab-case name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attribute that differs between desired and live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Where in the resource: keys and list indices.
    pub path: AttrPath,
    /// What the IaC says (`None` = absent or null). [`MASK`] when sensitive. Reads as an
    /// `Option<Value>`; arrays and objects are held compactly ([`Held`]).
    #[serde(default)]
    pub desired: Held,
    /// What the cloud has (`None` = absent or null). [`MASK`] when sensitive.
    #[serde(default)]
    pub live: Held,
    /// True when either side is secret; the values above are then masks.
    pub sensitive: bool,
    /// Keyed (HMAC-SHA-256) fingerprint of the live plaintext when sensitive, so an approval can tell
    /// whether a secret changed again without storing it. Never shown.
    #[serde(skip)]
    pub live_fingerprint: Option<Box<str>>,
    /// The attribute is computed by the provider (driftctl `computed`): often read-back noise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub computed: bool,
    /// Why this change is noise (provider read-back, `ignore_changes`, outside Terraform's
    /// `relevant_attributes`), when it is. Noise changes are hidden unless asked for
    /// (`--show-noise`) and never count for severity or `check`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<Box<str>>,
}

impl Change {
    /// A change with plain (non-sensitive) values.
    pub fn plain(path: AttrPath, desired: Option<Value>, live: Option<Value>) -> Self {
        Change {
            path,
            desired: desired.into(),
            live: live.into(),
            sensitive: false,
            live_fingerprint: None,
            computed: false,
            noise: None,
        }
    }
}

/// How the IaC configuration sets one attribute (Terraform plan `configuration`). Adoption needs
/// it: only literals can be overwritten in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ConfigExpr {
    /// A literal value written in the source.
    Literal,
    /// An expression with references (`var.x`, `local.y`, `aws_x.y.id`, …), most specific first.
    Reference {
        /// The references, as Terraform lists them.
        references: Vec<String>,
    },
    /// A computed expression without references, e.g. a function call.
    Computed,
    /// A nested block (e.g. `ingress`), or several.
    Block,
}

/// What the IaC configuration says about a Terraform resource, when the plan carries it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigInfo {
    /// Per top-level attribute name: how it is set. Attributes not set in config are absent.
    pub attributes: BTreeMap<String, ConfigExpr>,
    /// `count` or `for_each` when the resource repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repetition: Option<String>,
    /// Module-call path from the root, e.g. `["app"]` for `module.app["eu"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub module_path: Vec<String>,
    /// Module sources along the path as written in the calls (`./modules/app`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub module_sources: Vec<String>,
}

/// A drifted resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DriftItem {
    /// Stable id: the same input gives the same id.
    pub id: String,
    /// IaC address: Terraform address, or `<stack>/<LogicalResourceId>` for CloudFormation.
    pub address: String,
    /// Resource type as the source names it (`aws_security_group`, `AWS::EC2::SecurityGroup`).
    pub resource_type: String,
    /// Path of the report it came from (`-` for stdin), shared by the report's items.
    pub source: std::sync::Arc<str>,
    /// Which report (index into [`DriftReport::reports`]).
    #[serde(skip)]
    pub report_index: usize,
    /// Format of the report it came from.
    #[serde(skip)]
    pub format: Option<Format>,
    /// Modified, deleted or unmanaged.
    pub kind: Kind,
    /// Classification result.
    pub severity: Severity,
    /// Compliance controls the item touches (shared between items with the same list).
    pub controls: std::sync::Arc<[String]>,
    /// Which rules fired, in words (shared between items with the same list).
    pub why: std::sync::Arc<[String]>,
    /// Attribute-level differences (empty for wholly deleted/unmanaged items).
    pub changes: Vec<Change>,
    /// Triage status.
    pub status: Status,
    /// Identifying, non-sensitive attributes for attribution (`id`, `arn`, `name`, `bucket`, …).
    #[serde(skip)]
    pub identity: Identity,
    /// Terraform configuration facts, when the plan had them (boxed: most items have none, and
    /// the facts are larger than the rest of an item's fixed part).
    #[serde(skip)]
    pub config: Option<Box<ConfigInfo>>,
    /// Region the resource lives in, when known (from an ARN or the report).
    #[serde(skip)]
    pub region: Option<String>,
    /// Account id, when known.
    #[serde(skip)]
    pub account: Option<String>,
    /// The fields most items never set ([`Rare`]), read as if they were the item's own
    /// (`item.planned_actions`): the item dereferences to them.
    #[serde(skip)]
    rare: RareBox,
}

/// The fields of a [`DriftItem`] that most items never set, kept behind one pointer that is
/// null while they are all empty: inline they were 176 of an item's 416 bytes, 3.4 MB on a
/// 20,000-item plan. An item dereferences to them, so `item.planned_actions` reads as before;
/// writing through `&mut` allocates them, so loaders set them only when there is something to
/// set (see [`DriftItem::set_approval_expires`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rare {
    /// Live attributes of an unmanaged resource (masked), used to write an import skeleton.
    pub live_attributes: Option<Value>,
    /// Actions Terraform plans for this address (`resource_changes`): what a revert would do.
    pub planned_actions: Vec<String>,
    /// Paths that force replacement if the plan is applied (`replace_paths`).
    pub planned_replace_paths: Vec<AttrPath>,
    /// The attribute paths Terraform says feed a planned change (`relevant_attributes`, an
    /// empty path = the whole resource); `None` when the plan does not filter (refresh-only,
    /// Terraform < 1.2, or no list). Drift outside them is noise, unless it rates high or above.
    pub relevant: Option<Vec<AttrPath>>,
    /// Approval expiry when status is approved (RFC 3339).
    pub approval_expires: Option<String>,
    /// What was structurally wrong with the report entry, when something was (a `before` that
    /// is not an object, a change without `actions`). Such an item is rated as if the whole
    /// resource changed, at the highest rule for its type: never lower than a well-formed one.
    pub malformed: Option<String>,
    /// Noise changes held aside while noise is hidden (see [`DriftReport::set_noise_shown`]).
    pub noise_changes: Vec<Change>,
}

/// All of [`Rare`] unset: what an item without its box reads.
static NO_RARE: Rare = Rare {
    live_attributes: None,
    planned_actions: Vec::new(),
    planned_replace_paths: Vec::new(),
    relevant: None,
    approval_expires: None,
    malformed: None,
    noise_changes: Vec::new(),
};

/// [`Rare`] boxed, or nothing when all of it is unset. Prints as the fields, so an item whose box
/// was made and emptied again reads as one that never had it.
#[derive(Clone, Default)]
struct RareBox(Option<Box<Rare>>);

impl RareBox {
    fn get(&self) -> &Rare {
        self.0.as_deref().unwrap_or(&NO_RARE)
    }
}

impl fmt::Debug for RareBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl std::ops::Deref for DriftItem {
    type Target = Rare;

    fn deref(&self) -> &Rare {
        self.rare.get()
    }
}

impl std::ops::DerefMut for DriftItem {
    fn deref_mut(&mut self) -> &mut Rare {
        self.rare.0.get_or_insert_with(Box::default)
    }
}

impl DriftItem {
    /// A new, unclassified, open item with no changes yet; loaders fill in the rest.
    pub fn new(
        id: String,
        address: String,
        resource_type: String,
        source: impl Into<std::sync::Arc<str>>,
        format: Format,
        kind: Kind,
    ) -> Self {
        DriftItem {
            id,
            address,
            resource_type,
            source: source.into(),
            report_index: 0,
            format: Some(format),
            kind,
            severity: Severity::default(),
            controls: std::sync::Arc::default(),
            why: std::sync::Arc::default(),
            changes: Vec::new(),
            status: Status::Open,
            identity: Identity::new(),
            config: None,
            region: None,
            account: None,
            rare: RareBox::default(),
        }
    }

    /// Sets the approval expiry without making the [`Rare`] box for a `None`.
    pub fn set_approval_expires(&mut self, expires: Option<String>) {
        if expires.is_some() || self.rare.0.is_some() {
            self.approval_expires = expires;
        }
    }

    /// Takes the noise changes held aside, without making the [`Rare`] box when there are none.
    pub fn take_noise_changes(&mut self) -> Vec<Change> {
        match &mut self.rare.0 {
            Some(rare) => std::mem::take(&mut rare.noise_changes),
            None => Vec::new(),
        }
    }

    /// True when every change of this item is noise (and it has at least one).
    pub fn is_noise_only(&self) -> bool {
        !self.changes.is_empty() && self.changes.iter().all(|c| c.noise.is_some())
    }

    /// Attribute paths changed, as display strings.
    pub fn changed_attributes(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for c in &self.changes {
            let s = c.path.to_string();
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
        seen
    }

    /// A one-line summary of what changed, for tables and list rows.
    pub fn summary(&self) -> String {
        match self.kind {
            Kind::Deleted => "deleted outside IaC".to_string(),
            Kind::Unmanaged => "not managed by IaC".to_string(),
            Kind::Modified => {
                let attrs = self.changed_attributes();
                if attrs.is_empty() {
                    "modified".to_string()
                } else {
                    attrs.join(", ")
                }
            }
        }
    }
}

/// Facts about one loaded report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportMeta {
    /// Path as given (`-` for stdin).
    pub path: String,
    /// Detected format.
    pub format: Format,
    /// Version of the tool that wrote it, when it says.
    pub tool_version: Option<String>,
    /// When the report was produced (RFC 3339), when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// SHA-256 of the report bytes, hex; empty when a command that decides nothing loaded it
    /// (`ingest::load_to_read`), since only a decision keeps it.
    #[serde(skip)]
    pub sha256: String,
    /// Warnings the tool put in the report (driftctl alerts) or we found while loading.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Why drift could not be fully determined from this report (an errored plan, a plan that
    /// cannot express drift, resources driftctl could not read). Empty when the report is
    /// complete. `check` fails closed on an incomplete report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
}

/// Counts of resources the reports say are not drifted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotDrift {
    /// Checked and equal.
    pub in_sync: usize,
    /// Not checked (CloudFormation `NOT_CHECKED`).
    pub not_checked: usize,
    /// Drift status unknown (CloudFormation `UNKNOWN`).
    #[serde(default)]
    pub unknown: usize,
    /// Type not supported by drift detection (CloudFormation `UNSUPPORTED`).
    #[serde(default)]
    pub unsupported: usize,
    /// Drifted only in noise (read-back attributes, `ignore_changes`, irrelevant drift): not
    /// listed unless noise is shown.
    #[serde(default)]
    pub noise: usize,
}

impl NotDrift {
    /// Adds another report's counts.
    pub fn add(&mut self, other: NotDrift) {
        self.in_sync += other.in_sync;
        self.not_checked += other.not_checked;
        self.unknown += other.unknown;
        self.unsupported += other.unsupported;
        self.noise += other.noise;
    }
}

/// Everything loaded in one invocation: several reports merged.
#[derive(Debug, Clone, Default)]
pub struct DriftReport {
    /// The reports, in the order given.
    pub reports: Vec<ReportMeta>,
    /// Every drifted item of every report.
    pub items: Vec<DriftItem>,
    /// Resources the reports say are fine.
    pub not_drift: NotDrift,
    /// Items whose every change is noise, kept aside (not listed, counted in
    /// `not_drift.noise`) until noise is shown.
    pub noise: Vec<DriftItem>,
}

impl DriftReport {
    /// Counts per severity, most severe first.
    pub fn by_severity(&self) -> BTreeMap<Severity, usize> {
        let mut m: BTreeMap<Severity, usize> = Severity::ALL_DESC.iter().map(|s| (*s, 0)).collect();
        for it in &self.items {
            *m.entry(it.severity).or_default() += 1;
        }
        m
    }

    /// True when every report could be read completely (see [`ReportMeta::incomplete`]).
    pub fn is_complete(&self) -> bool {
        self.incomplete_reports() == 0
    }

    /// How many reports are incomplete.
    pub fn incomplete_reports(&self) -> usize {
        self.reports.iter().filter(|r| !r.incomplete.is_empty()).count()
    }

    /// Whether noise is listed: hidden noise changes and noise-only items are moved into
    /// `items` (marked with their reason) when `show` is true, and back out when false.
    /// Reversible, so the TUI can toggle it.
    pub fn set_noise_shown(&mut self, show: bool) {
        if show {
            for mut item in std::mem::take(&mut self.noise) {
                let mut noise = item.take_noise_changes();
                item.changes.append(&mut noise);
                self.items.push(item);
            }
            for item in &mut self.items {
                let mut noise = item.take_noise_changes();
                item.changes.append(&mut noise);
            }
            self.not_drift.noise = 0;
        } else {
            // In place, and the item list is rebuilt only when some item is all noise: on a
            // wide report a second list of every item was the peak of the load.
            let mut any_noise_only = false;
            for item in &mut self.items {
                if item.changes.iter().any(|c| c.noise.is_some()) {
                    let (noise, real): (Vec<Change>, Vec<Change>) = std::mem::take(&mut item.changes)
                        .into_iter()
                        .partition(|c| c.noise.is_some());
                    item.changes = real;
                    item.noise_changes.extend(noise);
                }
                any_noise_only |= item.changes.is_empty() && !item.noise_changes.is_empty();
            }
            if any_noise_only {
                let mut kept = Vec::with_capacity(self.items.len());
                for item in std::mem::take(&mut self.items) {
                    if item.changes.is_empty() && !item.noise_changes.is_empty() {
                        self.noise.push(item);
                    } else {
                        kept.push(item);
                    }
                }
                self.items = kept;
            }
            self.not_drift.noise = self.noise.len();
        }
    }

    /// Finds an item by address (exact), or by id.
    pub fn find(&self, address_or_id: &str) -> Option<&DriftItem> {
        self.items
            .iter()
            .find(|i| i.address == address_or_id)
            .or_else(|| self.items.iter().find(|i| i.id == address_or_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> DriftItem {
        DriftItem::new(
            "id".into(),
            "aws_s3_bucket.a".into(),
            "aws_s3_bucket".into(),
            "plan.json",
            Format::TerraformPlan,
            Kind::Modified,
        )
    }

    #[test]
    fn a_change_is_128_bytes() {
        // 144 with the fingerprint and the noise reason as `Option<String>`: 0.7 MB of the 20k
        // drift-dense plan's peak.
        assert!(
            std::mem::size_of::<Change>() <= 128,
            "{}",
            std::mem::size_of::<Change>()
        );
    }

    #[test]
    fn rare_fields_cost_one_pointer_until_set() {
        // 416 bytes with the rare fields inline.
        assert!(
            std::mem::size_of::<DriftItem>() <= 256,
            "{}",
            std::mem::size_of::<DriftItem>()
        );
        let mut it = item();
        it.set_approval_expires(None);
        assert!(it.take_noise_changes().is_empty());
        assert!(it.rare.0.is_none(), "reading and unsetting make no box");
        assert!(it.planned_actions.is_empty() && it.malformed.is_none());

        it.set_approval_expires(Some("2026-12-31T00:00:00Z".into()));
        assert_eq!(it.approval_expires.as_deref(), Some("2026-12-31T00:00:00Z"));
        it.set_approval_expires(None);
        assert_eq!(it.approval_expires, None, "an expiry is also cleared");

        it.noise_changes
            .push(Change::plain(AttrPath::keys(["a"]), None, None));
        assert_eq!(it.take_noise_changes().len(), 1);
        assert!(it.noise_changes.is_empty());
    }

    #[test]
    fn an_emptied_box_prints_as_none() {
        let mut boxed = item();
        boxed.malformed = Some("x".into());
        boxed.malformed = None;
        assert!(boxed.rare.0.is_some());
        assert_eq!(format!("{boxed:?}"), format!("{:?}", item()));
        assert!(format!("{boxed:?}").contains("planned_actions: []"));
        boxed.planned_actions.push("update".into());
        assert_ne!(format!("{boxed:?}"), format!("{:?}", item()));
    }
}

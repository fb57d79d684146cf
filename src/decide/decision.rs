//! What a decision is: its kind and parameters, the evidence captured with it, and what the
//! tiered response asks of the person deciding (reason, typed confirmation, batching).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Change, DriftItem, Kind, MASK, Severity};

/// The kinds of journal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionKind {
    /// Approve the divergence temporarily (until an expiry).
    Approve,
    /// Adopt the live value into the IaC (a file edit).
    Adopt,
    /// Revert live back to the IaC (commands planned; executed or not).
    Revert,
    /// The outcome of an executed revert (converged or not).
    RevertOutcome,
    /// Withdraws an earlier decision (the `u` key / `undo_last`): a compensating entry.
    Withdraw,
}

impl DecisionKind {
    /// Kebab-case name used in the journal and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Approve => "approve",
            DecisionKind::Adopt => "adopt",
            DecisionKind::Revert => "revert",
            DecisionKind::RevertOutcome => "revert-outcome",
            DecisionKind::Withdraw => "withdraw",
        }
    }
}

impl std::fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the tiered response requires before a decision of `kind` on an item is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirements {
    /// A written reason is mandatory (high and critical items).
    pub reason_required: bool,
    /// The exact text the user must type to confirm (the item address), for reverts of high and
    /// critical items; `None` when a plain yes is enough.
    pub typed_confirmation: Option<String>,
    /// The item may be decided together with other marked items (low items only).
    pub batchable: bool,
}

/// The tier rules: high and critical need a reason for every decision and a typed confirmation
/// (the address) for a revert; only low items may be decided in batches.
pub fn requirements(item: &DriftItem, kind: DecisionKind) -> Requirements {
    let serious = item.severity >= Severity::High;
    Requirements {
        reason_required: serious && kind != DecisionKind::RevertOutcome,
        typed_confirmation: (serious && kind == DecisionKind::Revert).then(|| item.address.clone()),
        batchable: item.severity == Severity::Low,
    }
}

/// Who changed the resource, as the attribution engine summarises it. Filled by the caller;
/// the decide module only stores and exports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributionSummary {
    /// Display name of the actor (session name, user name, `root`).
    pub actor: String,
    /// CloudTrail event name (`AuthorizeSecurityGroupIngress`).
    pub event_name: String,
    /// CloudTrail event id.
    pub event_id: String,
    /// The record had no `eventID`; `event_id` is a stable hash of the record. Written only
    /// when true, so entries journaled before it existed hash the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub event_id_synthetic: bool,
    /// Event time, RFC 3339.
    pub event_time: String,
    /// Claimed tool (`console`, `aws-cli`, `sdk`, `terraform`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Made outside the IaC pipeline.
    #[serde(default)]
    pub out_of_band: bool,
}

impl AttributionSummary {
    /// The summary of an attribution's best candidate; `None` when no event was found.
    pub fn of(a: &crate::attribution::Attribution) -> Option<Self> {
        let b = a.best.as_ref()?;
        Some(AttributionSummary {
            actor: b.actor.display.clone(),
            event_name: b.event_name.clone(),
            event_id: b.event_id.clone(),
            event_id_synthetic: b.event_id_synthetic,
            event_time: b.event_time.clone(),
            tool: Some(b.tool.as_str().to_string()),
            out_of_band: b.out_of_band,
        })
    }
}

/// One attribute as it was when decided: masked wherever sensitive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSnapshot {
    /// Attribute path as display text (`ingress`, `tags.debug`).
    pub path: String,
    /// Desired value (IaC), masked when sensitive.
    pub desired: Option<Value>,
    /// Live value, masked when sensitive.
    pub live: Option<Value>,
    /// True when the values are masks.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

impl ChangeSnapshot {
    /// Snapshot of a model change; sensitive values become [`MASK`] whatever the model holds.
    pub fn of(c: &Change) -> Self {
        let mask = |v: &Option<Value>| {
            // `null` and absent are the same here; keeping one form makes the journal's hash
            // stable across a serialise/parse round trip.
            let v = &v.clone().filter(|x| !x.is_null());
            if c.sensitive {
                v.as_ref().map(|_| Value::String(MASK.to_string()))
            } else {
                v.clone()
            }
        };
        ChangeSnapshot {
            path: c.path.to_string(),
            desired: mask(&c.desired),
            live: mask(&c.live),
            sensitive: c.sensitive,
        }
    }
}

/// The evidence recorded with a decision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvidenceSnapshot {
    /// Desired and live per changed attribute (masked).
    pub changes: Vec<ChangeSnapshot>,
    /// When the source report was produced (RFC 3339), when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_time: Option<String>,
    /// The attribution summary, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<AttributionSummary>,
}

/// The item a journal entry is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRef {
    /// Stable item id.
    pub id: String,
    /// IaC address.
    pub address: String,
    /// Resource type.
    pub resource_type: String,
    /// Modified, deleted or unmanaged.
    pub kind: Kind,
    /// Severity when decided.
    pub severity: Severity,
    /// Compliance controls the item touches.
    #[serde(default)]
    pub controls: Vec<String>,
    /// Why the item has its severity.
    #[serde(default)]
    pub why: Vec<String>,
}

impl ItemRef {
    /// Whether this reference names `item` (by id, or by address when the id changed).
    pub fn refers_to(&self, item: &DriftItem) -> bool {
        self.id == item.id || self.address == item.address
    }

    /// The reference for a model item.
    pub fn of(item: &DriftItem) -> Self {
        ItemRef {
            id: item.id.clone(),
            address: item.address.clone(),
            resource_type: item.resource_type.clone(),
            kind: item.kind,
            severity: item.severity,
            controls: item.controls.to_vec(),
            why: item.why.to_vec(),
        }
    }
}

/// A decision about to be journaled: everything except sequence, time, actor and hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The item.
    pub item: ItemRef,
    /// SHA-256 of the source report (hex).
    pub report_sha256: String,
    /// What was decided.
    pub kind: DecisionKind,
    /// Parameters (expiry, attributes, tool, commands, files, outcome …).
    pub params: Value,
    /// The written reason.
    pub reason: Option<String>,
    /// Ticket id.
    pub ticket: Option<String>,
    /// Evidence snapshot.
    pub evidence: EvidenceSnapshot,
}

impl Decision {
    /// A decision about `item` with its evidence captured now.
    pub fn new(
        item: &DriftItem,
        report_sha256: &str,
        report_time: Option<&str>,
        kind: DecisionKind,
        params: Value,
    ) -> Self {
        Decision {
            item: ItemRef::of(item),
            report_sha256: report_sha256.to_string(),
            kind,
            params,
            reason: None,
            ticket: None,
            evidence: EvidenceSnapshot {
                changes: item.changes.iter().map(ChangeSnapshot::of).collect(),
                report_time: report_time.map(str::to_string),
                attribution: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AttrPath, Format};
    use serde_json::json;

    fn item(sev: Severity) -> DriftItem {
        let mut i = DriftItem::new(
            "x".into(),
            "aws_kms_key.data".into(),
            "aws_kms_key".into(),
            "r.json",
            Format::TerraformPlan,
            Kind::Modified,
        );
        i.severity = sev;
        i
    }

    #[test]
    fn tiers() {
        let r = requirements(&item(Severity::Critical), DecisionKind::Revert);
        assert!(r.reason_required);
        assert_eq!(r.typed_confirmation.as_deref(), Some("aws_kms_key.data"));
        assert!(!r.batchable);
        let r = requirements(&item(Severity::Low), DecisionKind::Approve);
        assert!(!r.reason_required && r.batchable && r.typed_confirmation.is_none());
        let r = requirements(&item(Severity::Medium), DecisionKind::Revert);
        assert!(!r.reason_required && !r.batchable && r.typed_confirmation.is_none());
    }

    #[test]
    fn snapshots_mask_sensitive_values() {
        let mut c = Change::plain(
            AttrPath::keys(["password"]),
            Some(json!("plain")),
            Some(json!("x")),
        );
        c.sensitive = true;
        let s = ChangeSnapshot::of(&c);
        assert_eq!(s.live, Some(json!(MASK)));
        assert_eq!(s.desired, Some(json!(MASK)));
    }
}

//! The one status derivation: an item's triage status from the journal and the approvals file.
//! The CLI (`list`, `check`), the TUI (list column, header counts, the watcher) and the export
//! all ask here, so they can never disagree.
//!
//! The latest decision still in effect (withdrawn ones skipped, see [`super::effective`]) says
//! which rule applies:
//! - **approve** → what the approval in `approvals.toml` says now: `approved`,
//!   `approval-expired`, or `changed-since-approval` (see [`super::approvals`]). A journaled
//!   approval missing from the file counts as `open` (fail closed).
//! - **adopt** → `adopted` while the report still shows the drift that was adopted (the IaC
//!   was written but not applied yet); once the live values differ from those adopted, the item
//!   is `open` again. When a new report no longer shows the drift the item is gone anyway.
//! - **revert** → the outcome journaled after it: `reverted` when it converged, `revert-failed`
//!   when it failed or did not converge; `open` while no outcome is known (handed to a pipeline,
//!   still running, or interrupted).
//! - no decision → an approval in the file still counts (written by hand or by another tool);
//!   otherwise `open`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use time::OffsetDateTime;

use super::approvals::{ApprovalError, ApprovalPolicy, Approvals};
use super::decision::{ChangeSnapshot, DecisionKind};
use super::journal::{Journal, JournalEntry, JournalError};
use crate::model::{DriftItem, DriftReport, Status};

/// Why the statuses could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The journal could not be read.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The approvals file could not be read.
    #[error(transparent)]
    Approvals(#[from] ApprovalError),
}

/// An item's derived status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// The status.
    pub status: Status,
    /// The approval's expiry when an approval decides the status (RFC 3339).
    pub approval_expires: Option<String>,
}

impl Derived {
    fn plain(status: Status) -> Self {
        Derived {
            status,
            approval_expires: None,
        }
    }
}

/// The journal, indexed once for many status look-ups.
#[derive(Debug, Default)]
pub struct Index<'a> {
    /// Latest effective approve/adopt/revert entry per item id and per address.
    by_id: HashMap<&'a str, &'a JournalEntry>,
    by_address: HashMap<&'a str, &'a JournalEntry>,
    /// Every revert outcome per item id and per address, in journal order.
    outcomes_by_id: HashMap<&'a str, Vec<&'a JournalEntry>>,
    outcomes_by_address: HashMap<&'a str, Vec<&'a JournalEntry>>,
}

impl<'a> Index<'a> {
    /// Indexes `entries` (in journal order).
    pub fn new(entries: &'a [JournalEntry]) -> Self {
        let mut ix = Index::default();
        for e in super::effective(entries) {
            ix.by_id.insert(e.item.id.as_str(), e);
            ix.by_address.insert(e.item.address.as_str(), e);
        }
        for e in entries
            .iter()
            .filter(|e| e.decision == DecisionKind::RevertOutcome)
        {
            ix.outcomes_by_id.entry(e.item.id.as_str()).or_default().push(e);
            ix.outcomes_by_address
                .entry(e.item.address.as_str())
                .or_default()
                .push(e);
        }
        ix
    }

    /// The latest decision in effect about `item` (by id, or by address when the id changed).
    pub fn latest(&self, item: &DriftItem) -> Option<&'a JournalEntry> {
        let a = self.by_id.get(item.id.as_str()).copied();
        let b = self.by_address.get(item.address.as_str()).copied();
        match (a, b) {
            (Some(a), Some(b)) => Some(if a.seq >= b.seq { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    /// The last revert outcome about `item` journaled after sequence number `after`.
    fn outcome_after(&self, item: &DriftItem, after: u64) -> Option<&'a JournalEntry> {
        let of = |v: Option<&Vec<&'a JournalEntry>>| {
            v.and_then(|v| v.iter().rev().find(|e| e.seq > after).copied())
        };
        let a = of(self.outcomes_by_id.get(item.id.as_str()));
        let b = of(self.outcomes_by_address.get(item.address.as_str()));
        match (a, b) {
            (Some(a), Some(b)) => Some(if a.seq >= b.seq { a } else { b }),
            (a, b) => a.or(b),
        }
    }
}

/// The status of a revert outcome's `result` parameter.
fn outcome_status(e: &JournalEntry) -> Status {
    match e.params.get("result").and_then(Value::as_str) {
        Some("converged") => Status::Reverted,
        _ => Status::RevertFailed,
    }
}

/// Whether the drift recorded with an adoption is still the drift the report shows: every
/// changed attribute has the live value that was adopted (masked values compare as masks).
fn same_drift(item: &DriftItem, adopted: &[ChangeSnapshot]) -> bool {
    item.changes.len() == adopted.len()
        && item.changes.iter().all(|c| {
            let now = ChangeSnapshot::of(c);
            adopted.iter().any(|a| a.path == now.path && a.live == now.live)
        })
}

/// The status of `item` from the indexed journal and the approvals.
pub fn derive(item: &DriftItem, journal: &Index<'_>, approvals: &Approvals, now: OffsetDateTime) -> Derived {
    let from_approvals = || {
        let (status, approval_expires) = approvals.status_of(item, now);
        Derived {
            status,
            approval_expires,
        }
    };
    let Some(latest) = journal.latest(item) else {
        return from_approvals();
    };
    match latest.decision {
        DecisionKind::Approve => {
            if approvals.latest_for(&item.address).is_some() {
                from_approvals()
            } else {
                Derived::plain(Status::Open)
            }
        }
        DecisionKind::Adopt => {
            if same_drift(item, &latest.evidence.changes) {
                Derived::plain(Status::Adopted)
            } else {
                Derived::plain(Status::Open)
            }
        }
        DecisionKind::Revert => Derived::plain(
            journal
                .outcome_after(item, latest.seq)
                .map_or(Status::Open, outcome_status),
        ),
        DecisionKind::RevertOutcome | DecisionKind::Withdraw => from_approvals(),
    }
}

/// Sets the status (and approval expiry) of every item of `report`.
pub fn apply(report: &mut DriftReport, entries: &[JournalEntry], approvals: &Approvals, now: OffsetDateTime) {
    let ix = Index::new(entries);
    for item in &mut report.items {
        let d = derive(item, &ix, approvals, now);
        item.status = d.status;
        item.set_approval_expires(d.approval_expires);
    }
}

/// The statuses of the items at `indices` (for the TUI, which keeps its report immutable while
/// workers read it).
pub fn derive_many(
    report: &DriftReport,
    indices: &[usize],
    entries: &[JournalEntry],
    approvals: &Approvals,
    now: OffsetDateTime,
) -> Vec<(usize, Derived)> {
    let ix = Index::new(entries);
    indices
        .iter()
        .filter_map(|&i| Some((i, derive(report.items.get(i)?, &ix, approvals, now))))
        .collect()
}

/// Reads the journal and the approvals file (default approval policy); a missing file is empty.
pub fn read(journal: &Path, approvals: &Path) -> Result<(Vec<JournalEntry>, Approvals), StatusError> {
    read_with(journal, approvals, &ApprovalPolicy::default())
}

/// [`read`] with the approval policy in effect (the configured maximum expiry).
pub fn read_with(
    journal: &Path,
    approvals: &Path,
    policy: &ApprovalPolicy,
) -> Result<(Vec<JournalEntry>, Approvals), StatusError> {
    let entries = if journal.is_file() {
        Journal::read_all(journal)?
    } else {
        Vec::new()
    };
    Ok((entries, Approvals::load_with(approvals, policy)?))
}

/// Where the statuses come from (the journal and the approvals file of a decider's options).
#[derive(Debug, Clone)]
pub struct Sources {
    /// The journal file.
    pub journal: PathBuf,
    /// The approvals file.
    pub approvals: PathBuf,
    /// How strictly the approvals file is read (the configured maximum expiry).
    pub policy: ApprovalPolicy,
}

impl Sources {
    /// The files named by decider options.
    pub fn of(opts: &super::DeciderOptions) -> Self {
        Sources {
            journal: opts.journal_path(),
            approvals: opts.approvals_path(),
            policy: opts.approval_policy(),
        }
    }

    /// Reads both files.
    pub fn read(&self) -> Result<(Vec<JournalEntry>, Approvals), StatusError> {
        read_with(&self.journal, &self.approvals, &self.policy)
    }

    /// Reads both files and sets every item's status.
    pub fn apply(&self, report: &mut DriftReport, now: OffsetDateTime) -> Result<(), StatusError> {
        let (entries, approvals) = self.read()?;
        apply(report, &entries, &approvals, now);
        Ok(())
    }
}

/// The status the journal alone gives an item (for the export, which has no report): the
/// entries are the ones about this item, in journal order. An approval counts as `approved`
/// until its recorded expiry; the live values cannot be compared without a report.
pub fn from_journal(entries: &[&JournalEntry], now: OffsetDateTime) -> Status {
    let owned: Vec<JournalEntry> = entries.iter().map(|e| (*e).clone()).collect();
    let Some(latest) = super::effective(&owned).last().copied() else {
        return Status::Open;
    };
    match latest.decision {
        DecisionKind::Approve => {
            let expires = latest
                .params
                .get("expires")
                .and_then(Value::as_str)
                .and_then(|t| OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok());
            match expires {
                Some(t) if t > now => Status::Approved,
                _ => Status::ApprovalExpired,
            }
        }
        DecisionKind::Adopt => Status::Adopted,
        DecisionKind::Revert => owned
            .iter()
            .rev()
            .find(|e| e.decision == DecisionKind::RevertOutcome && e.seq > latest.seq)
            .map_or(Status::Open, outcome_status),
        DecisionKind::RevertOutcome | DecisionKind::Withdraw => Status::Open,
    }
}

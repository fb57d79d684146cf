//! Decisions per drifted item — approve, adopt, revert, withdraw — recorded in a tamper-evident
//! journal before anything is touched; approvals of temporary divergence; the evidence export.
//!
//! [`Decider`] is the one entry point both the CLI and the TUI use. It enforces the tiered
//! response ([`decision::requirements`]): high and critical items need a written reason for
//! every decision and a typed confirmation (the address) for a revert; only low items can be
//! decided in batches. In read-only mode every decision is refused and nothing is written.
//!
//! **Undo (`u`)** is [`Decider::undo_last`]: it withdraws the most recent decision that is still
//! in effect (for one item, or overall) by appending a compensating `withdraw` entry that names
//! the withdrawn entry's sequence number — the journal is never rewritten. Withdrawing an
//! approval also removes it from `approvals.toml`, so the item is open again. An adoption's file
//! edit is not rolled back (the withdraw entry says so; use version control), and an executed
//! revert cannot be withdrawn because the cloud was already changed.
//!
//! Every write goes through [`store::Store`], the one owner of `.driftdeck/` (see there: the
//! lock, re-reading under it, atomic writes, no symbolic links).

pub mod actor;
pub mod approvals;
pub mod decision;
pub mod evidence;
pub mod journal;
pub mod lock;
pub mod secret_key;
pub mod settings;
pub mod signing;
pub mod status;
pub mod store;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;

pub use actor::Actor;
pub use approvals::{Approval, Approvals};
pub use decision::{AttributionSummary, Decision, DecisionKind, Requirements, requirements};
pub use journal::{Journal, JournalEntry, JournalHead, OpenReport};
pub use store::Store;

use crate::model::{DriftItem, DriftReport};
use crate::remediate::adopt::{self, AdoptPreview};
use crate::remediate::revert::{self, ExecEvent, RevertOutcome, RevertPlan, Tool};

/// Errors of a decision.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// Journal failure.
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    /// Approvals file failure.
    #[error(transparent)]
    Approval(#[from] approvals::ApprovalError),
    /// The approval was journaled but the approvals file could not be written.
    #[error(
        "journal entry {seq} records the approval, but {path} could not be written, so the approval is not in effect (the next start warns about it; approve again once the cause is fixed):\n{source}"
    )]
    ApprovalNotSaved {
        /// The journal entry.
        seq: u64,
        /// The approvals file.
        path: PathBuf,
        /// Why the write failed.
        source: approvals::ApprovalError,
    },
    /// The signing key could not be used.
    #[error(transparent)]
    Signing(#[from] signing::SigningError),
    /// Adoption failure.
    #[error(transparent)]
    Adopt(#[from] adopt::AdoptError),
    /// Revert failure.
    #[error(transparent)]
    Revert(#[from] revert::RevertError),
    /// Read-only mode.
    #[error("read-only mode (--read-only): {0} is disabled; nothing was written or executed")]
    ReadOnly(&'static str),
    /// A reason is required by the tier.
    #[error("{address} is {severity}: a written reason is required for every decision (use --reason)")]
    ReasonRequired {
        /// Item address.
        address: String,
        /// Its severity.
        severity: String,
    },
    /// The typed confirmation did not match.
    #[error(
        "{address} is {severity}: reverting it needs the address typed exactly as confirmation (--confirm {address})"
    )]
    ConfirmationRequired {
        /// Item address.
        address: String,
        /// Its severity.
        severity: String,
    },
    /// A batch held an item that must be decided alone.
    #[error("{address} is {severity}: only low items can be decided in a batch; decide it on its own")]
    NotBatchable {
        /// Item address.
        address: String,
        /// Its severity.
        severity: String,
    },
    /// The item is not in the loaded report.
    #[error("{0}: not in the loaded report")]
    UnknownItem(String),
    /// Nothing to undo.
    #[error("nothing to undo: no decision in effect{0}")]
    NothingToUndo(String),
    /// The decision cannot be withdrawn.
    #[error("entry {seq} ({what}) cannot be withdrawn: {why}")]
    CannotWithdraw {
        /// Sequence number.
        seq: u64,
        /// What it was.
        what: String,
        /// Why not.
        why: String,
    },
}

/// How a [`Decider`] is set up.
#[derive(Debug, Clone, Default)]
pub struct DeciderOptions {
    /// The IaC directory (`--iac-dir`, default the current directory).
    pub iac_dir: PathBuf,
    /// Journal file (`--journal`); default `.driftdeck/journal.jsonl` in the IaC dir.
    pub journal: Option<PathBuf>,
    /// Approvals file; default `.driftdeck/approvals.toml` in the IaC dir.
    pub approvals: Option<PathBuf>,
    /// `--actor`.
    pub actor: Option<String>,
    /// `--read-only`: no writes, no execution.
    pub read_only: bool,
    /// Ask the AWS CLI for the caller identity (3 s limit).
    pub aws_identity: bool,
    /// How long to wait for the store lock (default [`lock::DEFAULT_TIMEOUT`], 10 s).
    pub lock_timeout: Option<Duration>,
    /// The longest approval (default [`approvals::DEFAULT_MAX_EXPIRY`], 90 days).
    pub max_expiry: Option<time::Duration>,
    /// Sign every journal entry with this OpenSSH private key (`--sign-with`, or
    /// `[journal] signing_key` in config.toml).
    pub signing_key: Option<PathBuf>,
    /// `--show-noise`: loaded reports list noise changes (marked with their reason) instead of
    /// hiding them. Decisions and statuses never count noise either way.
    pub show_noise: bool,
}

impl DeciderOptions {
    /// Options for an IaC directory with everything else defaulted.
    pub fn new(iac_dir: impl Into<PathBuf>) -> Self {
        DeciderOptions {
            iac_dir: iac_dir.into(),
            ..DeciderOptions::default()
        }
    }

    /// The journal path in effect.
    pub fn journal_path(&self) -> PathBuf {
        self.journal
            .clone()
            .unwrap_or_else(|| Journal::default_path(&self.iac_dir))
    }

    /// The approvals path in effect.
    pub fn approvals_path(&self) -> PathBuf {
        self.approvals
            .clone()
            .unwrap_or_else(|| Approvals::default_path(&self.iac_dir))
    }

    /// The approval policy in effect.
    pub fn approval_policy(&self) -> approvals::ApprovalPolicy {
        approvals::ApprovalPolicy {
            max_expiry: self.max_expiry.unwrap_or(approvals::DEFAULT_MAX_EXPIRY),
        }
    }

    /// Reads the approvals file in effect with the policy in effect.
    pub fn load_approvals(&self) -> Result<Approvals, approvals::ApprovalError> {
        Approvals::load_with(&self.approvals_path(), &self.approval_policy())
    }

    /// Why the approvals file cannot be used (file and line), if it cannot: then no approval
    /// applies and every item counts as open. For `check` and the TUI header.
    pub fn approvals_problem(&self) -> Option<String> {
        self.load_approvals().err().map(|e| e.to_string())
    }
}

/// What the user supplies with a decision.
#[derive(Debug, Clone, Default)]
pub struct DecisionInput {
    /// Written reason.
    pub reason: Option<String>,
    /// Ticket id.
    pub ticket: Option<String>,
    /// Attribution summary to record as evidence (the attribution engine fills it).
    pub attribution: Option<AttributionSummary>,
}

/// An approval request.
#[derive(Debug, Clone, Default)]
pub struct ApproveInput {
    /// Reason, ticket, attribution.
    pub decision: DecisionInput,
    /// `72h`, `2026-12-01`, RFC 3339.
    pub expires: String,
    /// Only these attributes (empty: all changed attributes).
    pub attributes: Vec<String>,
}

/// Records decisions and carries them out.
#[derive(Debug)]
pub struct Decider {
    opts: DeciderOptions,
    store: Store,
    actor: Actor,
    open_report: OpenReport,
    warnings: Vec<String>,
}

fn report_meta<'a>(report: &'a DriftReport, item: &DriftItem) -> (&'a str, Option<&'a str>) {
    report
        .reports
        .get(item.report_index)
        .map_or(("", None), |m| (m.sha256.as_str(), m.timestamp.as_deref()))
}

fn nonempty(s: Option<&String>) -> bool {
    s.is_some_and(|s| !s.trim().is_empty())
}

impl Decider {
    /// Opens the journal (repairing a torn tail under the lock), loads the signing key, checks
    /// that the approvals file holds every journaled approval, and resolves the actor.
    pub fn open(opts: DeciderOptions) -> Result<Self, DecideError> {
        let (mut journal, open_report) = Journal::open_with(
            &opts.journal_path(),
            opts.read_only,
            opts.lock_timeout.unwrap_or(lock::DEFAULT_TIMEOUT),
        )?;
        if let Some(key) = opts.signing_key.as_deref().filter(|_| !opts.read_only) {
            journal.set_signer(Some(signing::Signer::load(key)?));
        }
        let store = Store::new(
            journal,
            opts.approvals_path(),
            opts.iac_dir.clone(),
            opts.approval_policy(),
        );
        let mut warnings: Vec<String> = open_report.warning(store.journal().path()).into_iter().collect();
        warnings.extend(store.consistency_warnings());
        let actor = actor::resolve(opts.actor.as_deref(), &opts.iac_dir, opts.aws_identity);
        Ok(Decider {
            opts,
            store,
            actor,
            open_report,
            warnings,
        })
    }

    /// Warnings to show about the journal and the approvals file, joined (one per line), if any.
    pub fn journal_warning(&self) -> Option<String> {
        let all = self.warnings();
        (!all.is_empty()).then(|| all.join("\n"))
    }

    /// Every warning for the user: a torn journal tail that was set aside (at open, or before an
    /// append since), journaled approvals missing from the approvals file, an unreadable
    /// approvals file.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self.warnings.clone();
        for t in self.store.journal().repairs() {
            out.push(t.warning(self.store.journal().path(), t.line.saturating_sub(1)));
        }
        out
    }

    /// What opening the journal found.
    pub fn open_report(&self) -> &OpenReport {
        &self.open_report
    }

    /// The store (journal, approvals, lock).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The options.
    pub fn options(&self) -> &DeciderOptions {
        &self.opts
    }

    /// The actor decisions are recorded under.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// True in read-only mode.
    pub fn read_only(&self) -> bool {
        self.opts.read_only
    }

    fn check_tier(item: &DriftItem, kind: DecisionKind, input: &DecisionInput) -> Result<(), DecideError> {
        if requirements(item, kind).reason_required && !nonempty(input.reason.as_ref()) {
            return Err(DecideError::ReasonRequired {
                address: item.address.clone(),
                severity: item.severity.to_string(),
            });
        }
        Ok(())
    }

    fn decision(
        report: &DriftReport,
        item: &DriftItem,
        kind: DecisionKind,
        params: Value,
        input: &DecisionInput,
    ) -> Decision {
        let (sha, time) = report_meta(report, item);
        let mut d = Decision::new(item, sha, time, kind, params);
        d.reason = input.reason.clone().filter(|r| !r.trim().is_empty());
        d.ticket = input.ticket.clone().filter(|t| !t.trim().is_empty());
        d.evidence.attribution.clone_from(&input.attribution);
        d
    }

    fn record(&mut self, d: &Decision) -> Result<JournalEntry, DecideError> {
        if self.opts.read_only {
            return Err(DecideError::ReadOnly("recording a decision"));
        }
        self.store.record(d, &self.actor)
    }

    /// Approves `item`'s divergence until the expiry: journal first, then `approvals.toml`.
    pub fn approve(
        &mut self,
        report: &DriftReport,
        item: &DriftItem,
        input: &ApproveInput,
    ) -> Result<JournalEntry, DecideError> {
        if self.opts.read_only {
            return Err(DecideError::ReadOnly("approve"));
        }
        Self::check_tier(item, DecisionKind::Approve, &input.decision)?;
        let now = OffsetDateTime::now_utc();
        let expires = approvals::parse_expiry_with(&input.expires, now, self.store.policy().max_expiry)?;
        let reason = input.decision.reason.clone().unwrap_or_default();
        let approval = approvals::approval_for(
            item,
            &input.attributes,
            &reason,
            &self.actor.name,
            input.decision.ticket.as_deref(),
            now,
            expires,
        )?;
        let path = self.opts.approvals_path();
        let params = json!({
            "expires": approval.expires,
            "created": approval.created,
            "attributes": approval.values.iter().map(|v| v.path.clone()).collect::<Vec<_>>(),
            "approvals_file": path.display().to_string(),
        });
        let d = Self::decision(report, item, DecisionKind::Approve, params, &input.decision);
        self.store.record_approval(&d, &self.actor, approval)
    }

    /// Approves several items at once; every item must be batchable (low), else nothing is done.
    /// `attribution` gives each item's own CloudTrail summary for its evidence (falling back to
    /// the one in `input`).
    pub fn approve_batch(
        &mut self,
        report: &DriftReport,
        items: &[&DriftItem],
        input: &ApproveInput,
        attribution: &dyn Fn(&DriftItem) -> Option<AttributionSummary>,
    ) -> Result<Vec<JournalEntry>, DecideError> {
        for item in items {
            if !requirements(item, DecisionKind::Approve).batchable {
                return Err(DecideError::NotBatchable {
                    address: item.address.clone(),
                    severity: item.severity.to_string(),
                });
            }
        }
        let mut out = Vec::new();
        for item in items {
            let mut one = input.clone();
            if let Some(a) = attribution(item) {
                one.decision.attribution = Some(a);
            }
            out.push(self.approve(report, item, &one)?);
        }
        Ok(out)
    }

    /// The adoption diff and notes for `item` (nothing is written).
    pub fn adopt_preview(&self, item: &DriftItem) -> Result<AdoptPreview, DecideError> {
        Ok(adopt::preview(item, &self.opts.iac_dir)?)
    }

    /// Removes expired approvals from the approvals file (under the lock); returns them.
    pub fn prune_approvals(&mut self) -> Result<Vec<Approval>, DecideError> {
        if self.opts.read_only {
            return Err(DecideError::ReadOnly("approvals prune"));
        }
        self.store.prune_approvals(OffsetDateTime::now_utc())
    }

    /// Computes the adoption under the store lock, passes it to `show`, then journals it and
    /// writes it, all in one lock hold (what `adopt --write` does: the diff printed is the one
    /// written, even with other processes adopting into the same file). An empty adoption is
    /// shown and nothing is recorded.
    pub fn adopt_now(
        &mut self,
        report: &DriftReport,
        item: &DriftItem,
        input: &DecisionInput,
        show: &mut dyn FnMut(&AdoptPreview),
    ) -> Result<(AdoptPreview, Option<JournalEntry>), DecideError> {
        if self.opts.read_only {
            return Err(DecideError::ReadOnly("adopt --write"));
        }
        Self::check_tier(item, DecisionKind::Adopt, input)?;
        let actor = self.actor.clone();
        self.store.adopt_now(
            &actor,
            |iac_dir| Ok(adopt::preview(item, iac_dir)?),
            |preview| {
                show(preview);
                if preview.is_empty() {
                    return Ok(None);
                }
                Ok(Some(Self::decision(
                    report,
                    item,
                    DecisionKind::Adopt,
                    Self::adopt_params(preview),
                    input,
                )))
            },
        )
    }

    fn adopt_params(preview: &AdoptPreview) -> Value {
        json!({
            "files": preview.edits.iter().map(|e| e.path.display().to_string()).collect::<Vec<_>>(),
            "notes": preview.notes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "diff_sha256": preview.diff_sha256(),
        })
    }

    /// Journals the adoption, then writes the previewed edits (atomically), under the store
    /// lock; refuses with nothing written when a file changed since the preview was computed.
    pub fn adopt_write(
        &mut self,
        report: &DriftReport,
        item: &DriftItem,
        preview: &AdoptPreview,
        input: &DecisionInput,
    ) -> Result<JournalEntry, DecideError> {
        if self.opts.read_only {
            return Err(DecideError::ReadOnly("adopt --write"));
        }
        Self::check_tier(item, DecisionKind::Adopt, input)?;
        // Checked once before the lock for a quick answer, and again under it.
        adopt::check_fresh(preview, &self.opts.iac_dir)?;
        let d = Self::decision(
            report,
            item,
            DecisionKind::Adopt,
            Self::adopt_params(preview),
            input,
        );
        self.store.record_adoption(&d, &self.actor, preview)
    }

    /// The commands that would bring the items' live state back to the IaC.
    pub fn revert_plan(&self, items: &[&DriftItem], tool: Tool) -> Result<RevertPlan, DecideError> {
        Ok(revert::plan(items, tool, &self.opts.iac_dir)?)
    }

    fn check_revert(
        items: &[&DriftItem],
        input: &DecisionInput,
        confirmations: &[String],
    ) -> Result<(), DecideError> {
        if items.len() > 1 {
            for item in items {
                if !requirements(item, DecisionKind::Revert).batchable {
                    return Err(DecideError::NotBatchable {
                        address: item.address.clone(),
                        severity: item.severity.to_string(),
                    });
                }
            }
        }
        for item in items {
            Self::check_tier(item, DecisionKind::Revert, input)?;
            if let Some(t) = requirements(item, DecisionKind::Revert).typed_confirmation
                && !confirmations.iter().any(|c| c.trim() == t)
            {
                return Err(DecideError::ConfirmationRequired {
                    address: item.address.clone(),
                    severity: item.severity.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Journals the decision to revert (before anything runs). `executed` says whether driftdeck
    /// will run the commands or they are handed to a pipeline.
    pub fn revert_record(
        &mut self,
        report: &DriftReport,
        items: &[&DriftItem],
        plan: &RevertPlan,
        input: &DecisionInput,
        confirmations: &[String],
        executed: bool,
    ) -> Result<Vec<JournalEntry>, DecideError> {
        if self.opts.read_only {
            return Err(DecideError::ReadOnly("revert"));
        }
        Self::check_revert(items, input, confirmations)?;
        let mut out = Vec::new();
        for item in items {
            let params = json!({
                "tool": plan.tool.binary(),
                "commands": plan.command_lines(),
                "executed": executed,
            });
            out.push(self.record(&Self::decision(report, item, DecisionKind::Revert, params, input))?);
        }
        Ok(out)
    }

    /// Journals the outcome of an executed revert.
    pub fn revert_finish(
        &mut self,
        report: &DriftReport,
        items: &[&DriftItem],
        outcome: &RevertOutcome,
    ) -> Result<Vec<JournalEntry>, DecideError> {
        let mut out = Vec::new();
        for item in items {
            let params = serde_json::to_value(outcome).unwrap_or(Value::Null);
            out.push(self.record(&Self::decision(
                report,
                item,
                DecisionKind::RevertOutcome,
                params,
                &DecisionInput::default(),
            ))?);
        }
        Ok(out)
    }

    /// Journals, runs the plan in the IaC directory streaming every output line to `sink`,
    /// verifies convergence and journals the outcome. Blocking: call it off the UI thread (the
    /// TUI can instead call [`Decider::revert_record`], run [`revert::execute`] on a worker and
    /// then [`Decider::revert_finish`]).
    pub fn revert_execute(
        &mut self,
        report: &DriftReport,
        items: &[&DriftItem],
        plan: &RevertPlan,
        input: &DecisionInput,
        confirmations: &[String],
        sink: &mut dyn FnMut(ExecEvent),
    ) -> Result<RevertOutcome, DecideError> {
        if self.opts.read_only {
            return Err(DecideError::ReadOnly("revert --execute"));
        }
        self.revert_record(report, items, plan, input, confirmations, true)?;
        match revert::execute(plan, sink) {
            Ok(outcome) => {
                self.revert_finish(report, items, &outcome)?;
                Ok(outcome)
            }
            Err(e) => {
                // The decision is journaled; so is the fact that it could not be carried out.
                let failed = RevertOutcome {
                    result: revert::RevertResult::Failed,
                    steps: Vec::new(),
                    error: Some(e.to_string()),
                };
                self.revert_finish(report, items, &failed)?;
                Err(e.into())
            }
        }
    }

    /// Every journal entry.
    pub fn entries(&self) -> Result<Vec<JournalEntry>, DecideError> {
        Ok(Journal::read_all(self.store.journal().path())?)
    }

    /// The latest decision in effect for `item` (withdrawn ones are skipped).
    pub fn last_decision(&self, item: &DriftItem) -> Result<Option<JournalEntry>, DecideError> {
        Ok(self.last_decisions(&[item])?.pop().flatten())
    }

    /// The latest decision in effect for each of `items`, in order, reading the journal once.
    pub fn last_decisions(&self, items: &[&DriftItem]) -> Result<Vec<Option<JournalEntry>>, DecideError> {
        let entries = self.entries()?;
        let eff = effective(&entries);
        // Later entries win: index the effective entries by id and by address.
        let mut by_id: HashMap<&str, &JournalEntry> = HashMap::new();
        let mut by_address: HashMap<&str, &JournalEntry> = HashMap::new();
        for e in &eff {
            by_id.insert(e.item.id.as_str(), e);
            by_address.insert(e.item.address.as_str(), e);
        }
        Ok(items
            .iter()
            .map(|item| {
                let a = by_id.get(item.id.as_str());
                let b = by_address.get(item.address.as_str());
                match (a, b) {
                    (Some(a), Some(b)) => Some(if a.seq >= b.seq { *a } else { *b }),
                    (a, b) => a.or(b).copied(),
                }
                .cloned()
            })
            .collect())
    }

    /// Withdraws the most recent decision still in effect — for `item` when given, else the most
    /// recent overall — by appending a `withdraw` entry (see the module docs).
    pub fn undo_last(
        &mut self,
        report: &DriftReport,
        item: Option<&DriftItem>,
        input: &DecisionInput,
    ) -> Result<JournalEntry, DecideError> {
        if self.opts.read_only {
            return Err(DecideError::ReadOnly("undo"));
        }
        let entries = self.entries()?;
        let target = effective(&entries)
            .into_iter()
            .rev()
            .find(|e| item.is_none_or(|i| e.item.refers_to(i)))
            .cloned()
            .ok_or_else(|| {
                DecideError::NothingToUndo(item.map(|i| format!(" for {}", i.address)).unwrap_or_default())
            })?;
        if target.decision == DecisionKind::Revert
            && target.params.get("executed") == Some(&Value::Bool(true))
        {
            return Err(DecideError::CannotWithdraw {
                seq: target.seq,
                what: "an executed revert".into(),
                why: "the commands already ran against the cloud".into(),
            });
        }
        let model_item = report
            .items
            .iter()
            .find(|i| target.item.refers_to(i))
            .ok_or_else(|| DecideError::UnknownItem(target.item.address.clone()))?;
        let note = match target.decision {
            DecisionKind::Approve => "approval removed from approvals.toml; the item is open again",
            DecisionKind::Adopt => "the IaC file edit is not rolled back: revert it in version control",
            _ => "the recorded decision no longer applies",
        };
        let params = json!({"withdraws": target.seq, "withdrawn": target.decision.as_str(), "note": note});
        let d = Self::decision(report, model_item, DecisionKind::Withdraw, params, input);
        let remove = if target.decision == DecisionKind::Approve {
            target
                .params
                .get("created")
                .and_then(Value::as_str)
                .map(|created| (target.item.address.as_str(), created))
        } else {
            None
        };
        self.store.record_withdrawal(&d, &self.actor, remove)
    }
}

/// The approve/adopt/revert entries that no later `withdraw` entry cancelled, in journal order.
pub fn effective(entries: &[JournalEntry]) -> Vec<&JournalEntry> {
    let withdrawn: Vec<u64> = entries
        .iter()
        .filter(|e| e.decision == DecisionKind::Withdraw)
        .filter_map(|e| e.params.get("withdraws").and_then(Value::as_u64))
        .collect();
    entries
        .iter()
        .filter(|e| {
            matches!(
                e.decision,
                DecisionKind::Approve | DecisionKind::Adopt | DecisionKind::Revert
            )
        })
        .filter(|e| !withdrawn.contains(&e.seq))
        .collect()
}

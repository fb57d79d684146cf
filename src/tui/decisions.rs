//! Decisions from the TUI: the form that `r` (revert), `a` (adopt), `p` (approve) and `u` (undo)
//! open, the jobs a submitted form becomes, and the worker side that carries a job out with the
//! [`Decider`] off the event loop. The tier rules come from [`crate::decide`]; nothing here
//! decides what is allowed, it only asks for what the tier requires.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};
use time::OffsetDateTime;

use super::input::{InputOutcome, TextInput, TextOverlay};
use crate::decide::{self, ApproveInput, AttributionSummary, Decider, DecisionInput, DecisionKind};
use crate::model::{DriftItem, DriftReport, Status};
use crate::remediate::adopt::AdoptPreview;
use crate::remediate::revert::{ExecEvent, RevertPlan, Stream, Tool};

/// What the user asked to do with the selected (or marked) items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// Approve the divergence until an expiry.
    Approve,
    /// Write the live values into the IaC.
    Adopt,
    /// Run the IaC tool to bring live back to code.
    Revert,
    /// Withdraw the item's latest decision.
    Undo,
}

impl Verb {
    /// The word shown in titles and messages.
    pub fn label(self) -> &'static str {
        match self {
            Verb::Approve => "approve",
            Verb::Adopt => "adopt",
            Verb::Revert => "revert",
            Verb::Undo => "undo",
        }
    }

    /// The journal's decision kind for this verb (for the tier rules).
    pub fn kind(self) -> DecisionKind {
        match self {
            Verb::Approve => DecisionKind::Approve,
            Verb::Adopt => DecisionKind::Adopt,
            Verb::Revert => DecisionKind::Revert,
            Verb::Undo => DecisionKind::Withdraw,
        }
    }
}

/// What a form field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Why (mandatory for high and critical items).
    Reason,
    /// Approval expiry (`72h`, `7d`, a date).
    Expires,
    /// Ticket id.
    Ticket,
    /// Typed confirmation: the exact address.
    Confirm,
}

impl FieldKind {
    /// What the field is called in messages.
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Reason => "reason",
            FieldKind::Expires => "expires",
            FieldKind::Ticket => "ticket",
            FieldKind::Confirm => "the confirmation",
        }
    }
}

/// One input line of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// What it holds.
    pub kind: FieldKind,
    /// Its label.
    pub label: String,
    /// The text.
    pub input: TextInput,
    /// Must not be empty.
    pub required: bool,
}

/// A prepared preview the form confirms (shared, never copied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// Nothing to prepare (approve, undo).
    None,
    /// The adoption edit.
    Adopt(Arc<AdoptPreview>),
    /// The revert commands.
    Revert(Arc<RevertPlan>),
}

/// The decision popup: context lines (preview, plan, what the tier asks) above input fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionForm {
    /// What is decided.
    pub verb: Verb,
    /// Item indices it applies to.
    pub targets: Vec<usize>,
    /// Title (verb, address or count, severity).
    pub title: String,
    /// Context: the diff, the commands, the requirements; scrollable.
    pub context: TextOverlay,
    /// The inputs.
    pub fields: Vec<Field>,
    /// Focused field.
    pub focus: usize,
    /// Why the last submit was refused.
    pub error: Option<String>,
    /// What submitting confirms.
    pub prepared: Prepared,
    /// False when the form only shows something (read-only, nothing to write).
    pub can_submit: bool,
    /// The text the confirmation field must hold exactly (the tier's typed confirmation).
    pub confirmation: Option<String>,
    /// Someone else decided one of the form's items while it was open (who and what).
    pub stale: Option<String>,
    /// The stale warning was shown once on submit; the next Enter records anyway.
    pub stale_acknowledged: bool,
}

/// What a key did to a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormOutcome {
    /// Keep the form open.
    Stay,
    /// Close it.
    Cancel,
    /// Carry it out.
    Submit(Box<DecisionJob>),
}

/// A submitted decision, for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionJob {
    /// What.
    pub verb: Verb,
    /// Item indices.
    pub targets: Vec<usize>,
    /// Reason.
    pub reason: Option<String>,
    /// Ticket.
    pub ticket: Option<String>,
    /// Approval expiry.
    pub expires: Option<String>,
    /// Typed confirmations.
    pub confirmations: Vec<String>,
    /// The preview or plan confirmed.
    pub prepared: Prepared,
}

fn field(kind: FieldKind, label: &str, value: &str, required: bool) -> Field {
    Field {
        kind,
        label: label.to_string(),
        input: TextInput::new(value),
        required,
    }
}

fn title(verb: Verb, items: &[&DriftItem]) -> String {
    match items {
        [one] => format!("{} {} ({})", verb.label(), one.address, one.severity),
        many => format!("{} {} marked items", verb.label(), many.len()),
    }
}

impl DecisionForm {
    /// A form for `verb` on `items` (indices `targets`), with `context` lines above the fields
    /// and `prepared` as what it confirms. The fields follow the tier rules.
    pub fn new(
        verb: Verb,
        targets: Vec<usize>,
        items: &[&DriftItem],
        mut context: Vec<String>,
        prepared: Prepared,
        read_only: bool,
    ) -> Self {
        let reqs: Vec<_> = items
            .iter()
            .map(|i| decide::requirements(i, verb.kind()))
            .collect();
        let reason_required = reqs.iter().any(|r| r.reason_required);
        let mut fields = vec![field(
            FieldKind::Reason,
            if reason_required {
                "reason (required)"
            } else {
                "reason"
            },
            "",
            reason_required,
        )];
        if verb == Verb::Approve {
            fields.push(field(FieldKind::Expires, "expires", "72h", true));
        }
        if verb != Verb::Undo {
            fields.push(field(FieldKind::Ticket, "ticket", "", false));
        }
        let confirmation = if verb == Verb::Revert {
            reqs.iter().find_map(|r| r.typed_confirmation.clone())
        } else {
            None
        };
        if let Some(address) = &confirmation {
            fields.push(field(
                FieldKind::Confirm,
                &format!("type {address} to confirm"),
                "",
                true,
            ));
        }
        let nothing_to_write = matches!(&prepared, Prepared::Adopt(p) if p.is_empty());
        let can_submit = !read_only && !nothing_to_write;
        if !can_submit {
            // A view-only preview has nothing to type into.
            fields.clear();
        }
        if read_only {
            context.push(String::new());
            context.push("read-only mode: shown only; nothing is recorded, written or run".into());
        } else if nothing_to_write {
            context.push(String::new());
            context.push("nothing to write: see the notes above".into());
        }
        DecisionForm {
            verb,
            targets,
            title: title(verb, items),
            context: TextOverlay::new(String::new(), context),
            fields,
            focus: 0,
            error: None,
            prepared,
            can_submit,
            confirmation,
            stale: None,
            stale_acknowledged: false,
        }
    }

    /// Why `text` is not acceptable for a field of `kind`, checked as it is typed and again on
    /// submit.
    pub fn check_field(kind: FieldKind, text: &str) -> Option<String> {
        let t = text.trim();
        match kind {
            FieldKind::Expires if !t.is_empty() => {
                decide::approvals::parse_expiry(t, OffsetDateTime::now_utc())
                    .err()
                    .map(|e| format!("expires: {e}"))
            }
            FieldKind::Reason if t.chars().count() > 500 => {
                Some("reason: keep it under 500 characters (link a ticket for more)".into())
            }
            FieldKind::Ticket if t.chars().any(char::is_whitespace) || t.chars().count() > 64 => {
                Some("ticket: one id without spaces, such as INC-4817".into())
            }
            _ => None,
        }
    }

    fn value(&self, kind: FieldKind) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.kind == kind)
            .map(|f| f.input.text.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// Applies a key: Tab/↓ and Shift-Tab/↑ move between fields, PgUp/PgDn scroll the context,
    /// Enter submits (when every required field is filled and the confirmation matches), Esc
    /// cancels; anything else edits the focused field.
    pub fn handle_key(&mut self, key: &KeyEvent, page: usize) -> FormOutcome {
        match key.code {
            KeyCode::Tab | KeyCode::Down => {
                self.focus = (self.focus + 1) % self.fields.len().max(1);
                return FormOutcome::Stay;
            }
            KeyCode::BackTab | KeyCode::Up => {
                let n = self.fields.len().max(1);
                self.focus = (self.focus + n - 1) % n;
                return FormOutcome::Stay;
            }
            KeyCode::PageDown => {
                self.context.scroll_by(isize::try_from(page).unwrap_or(1), page);
                return FormOutcome::Stay;
            }
            KeyCode::PageUp => {
                self.context.scroll_by(-isize::try_from(page).unwrap_or(1), page);
                return FormOutcome::Stay;
            }
            _ => {}
        }
        let Some(f) = self.fields.get_mut(self.focus) else {
            // A view-only form: Esc, Enter or q close it; nothing else does anything.
            return match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => FormOutcome::Cancel,
                _ => FormOutcome::Stay,
            };
        };
        match f.input.handle_key(key) {
            InputOutcome::Cancel => FormOutcome::Cancel,
            InputOutcome::Submit => self.submit(),
            InputOutcome::Changed => {
                self.error = Self::check_field(f.kind, &f.input.text);
                FormOutcome::Stay
            }
            InputOutcome::Moved | InputOutcome::Ignored => FormOutcome::Stay,
        }
    }

    fn submit(&mut self) -> FormOutcome {
        if !self.can_submit {
            self.error = Some("this can only be viewed here (Esc closes)".into());
            return FormOutcome::Stay;
        }
        if let Some((i, f)) = self
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.required && f.input.text.trim().is_empty())
        {
            self.error = Some(format!("{} is required", f.kind.name()));
            self.focus = i;
            return FormOutcome::Stay;
        }
        if let Some((i, e)) = self
            .fields
            .iter()
            .enumerate()
            .find_map(|(i, f)| Self::check_field(f.kind, &f.input.text).map(|e| (i, e)))
        {
            self.error = Some(e);
            self.focus = i;
            return FormOutcome::Stay;
        }
        let confirmations: Vec<String> = self.value(FieldKind::Confirm).into_iter().collect();
        if let Some(want) = &self.confirmation
            && self.value(FieldKind::Confirm).as_deref() != Some(want.as_str())
        {
            self.error = Some(format!("the confirmation must be exactly {want}"));
            return FormOutcome::Stay;
        }
        if let Some(s) = &self.stale
            && !self.stale_acknowledged
        {
            self.error = Some(format!("{s}: Enter again records anyway, Esc cancels"));
            self.stale_acknowledged = true;
            return FormOutcome::Stay;
        }
        FormOutcome::Submit(Box::new(DecisionJob {
            verb: self.verb,
            targets: self.targets.clone(),
            reason: self.value(FieldKind::Reason),
            ticket: self.value(FieldKind::Ticket),
            expires: self.value(FieldKind::Expires),
            confirmations,
            prepared: self.prepared.clone(),
        }))
    }
}

/// Context lines for an approval or undo form: what the tier asks and what will happen.
pub fn plain_context(verb: Verb, items: &[&DriftItem], last: &[Option<String>]) -> Vec<String> {
    let mut out = Vec::new();
    match verb {
        Verb::Approve => out.push(
            "Approve as temporary divergence: recorded in the journal, then in .driftdeck/approvals.toml."
                .into(),
        ),
        Verb::Undo => out.push(
            "Withdraw the latest decision still in effect (a compensating journal entry; nothing is deleted)."
                .into(),
        ),
        Verb::Adopt | Verb::Revert => {}
    }
    for (i, item) in items.iter().enumerate() {
        let changed: Vec<String> = item.changes.iter().map(|c| c.path.to_string()).collect();
        out.push(
            crate::text::sanitize(&format!(
                "  {} {} [{}] {}",
                item.severity,
                item.address,
                item.status.as_str(),
                changed.join(", ")
            ))
            .into_owned(),
        );
        if let Some(Some(d)) = last.get(i) {
            out.push(format!("    latest decision: {}", crate::text::sanitize(d)));
        }
    }
    out
}

/// Context lines for an adoption: the unified diff and the notes.
pub fn adopt_context(p: &AdoptPreview) -> Vec<String> {
    let mut out = Vec::new();
    if p.diff.is_empty() {
        out.push("No file changes.".into());
    } else {
        out.push("The IaC change (written atomically after journaling):".into());
        out.extend(p.diff.lines().map(|l| format!(" {}", crate::text::sanitize(l))));
    }
    if !p.notes.is_empty() {
        out.push(String::new());
        out.push("Notes:".into());
        out.extend(
            p.notes
                .iter()
                .map(|n| format!("  {}", crate::text::sanitize(&n.to_string()))),
        );
    }
    out
}

/// Context lines for a revert: warnings, the commands, what each revert will do.
pub fn revert_context(p: &RevertPlan) -> Vec<String> {
    let mut out = Vec::new();
    for w in &p.warnings {
        out.push(format!("! {}", crate::text::sanitize(w)));
    }
    out.push("Commands (run in the IaC directory, then verified with plan -detailed-exitcode):".into());
    out.extend(
        p.command_lines()
            .iter()
            .map(|c| format!("  $ {}", crate::text::sanitize(c))),
    );
    if !p.notes.is_empty() {
        out.push(String::new());
        out.extend(p.notes.iter().map(|n| format!("  {}", crate::text::sanitize(n))));
    }
    out
}

/// The result of a job, for `update`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    /// One line for the status bar.
    pub summary: String,
    /// New statuses (and approval expiries) of items whose approval state changed.
    pub statuses: Vec<(usize, Status, Option<String>)>,
    /// The latest decision per item, for the detail pane.
    pub notes: Vec<(usize, Option<String>)>,
}

fn input(job: &DecisionJob, attribution: Option<AttributionSummary>) -> DecisionInput {
    DecisionInput {
        reason: job.reason.clone(),
        ticket: job.ticket.clone(),
        attribution,
    }
}

/// A one-line summary of a journal entry, for the detail pane.
pub fn entry_line(e: &decide::JournalEntry) -> String {
    use std::fmt::Write as _;
    let mut s = format!("#{} {} by {} at {}", e.seq, e.decision, e.actor.name, e.time);
    if let Some(exp) = e.params.get("expires").and_then(serde_json::Value::as_str) {
        let _ = write!(s, " until {exp}");
    }
    if let Some(r) = &e.reason {
        let _ = write!(s, " — {r}");
    }
    if let Some(t) = &e.ticket {
        let _ = write!(s, " [{t}]");
    }
    crate::text::sanitize(&s).into_owned()
}

/// The latest decision in effect per item, from the journal.
pub fn latest_notes(decider: &Decider, report: &DriftReport) -> Result<Vec<(usize, Option<String>)>, String> {
    let all: Vec<usize> = (0..report.items.len()).collect();
    Ok(notes_for(decider, report, &all)?
        .into_iter()
        .filter(|(_, n)| n.is_some())
        .collect())
}

/// The derived status of each target (`decide::status`), reading the journal and approvals once.
pub fn statuses(
    opts: &decide::DeciderOptions,
    report: &DriftReport,
    targets: &[usize],
) -> Result<Vec<(usize, Status, Option<String>)>, String> {
    let src = decide::status::Sources::of(opts);
    let (entries, approvals) = src.read().map_err(|e| e.to_string())?;
    let now = OffsetDateTime::now_utc();
    Ok(
        decide::status::derive_many(report, targets, &entries, &approvals, now)
            .into_iter()
            .map(|(i, d)| (i, d.status, d.approval_expires))
            .collect(),
    )
}

/// The latest decision line of each target, reading the journal once.
fn notes_for(
    decider: &Decider,
    report: &DriftReport,
    targets: &[usize],
) -> Result<Vec<(usize, Option<String>)>, String> {
    let targets: Vec<usize> = targets
        .iter()
        .copied()
        .filter(|&i| i < report.items.len())
        .collect();
    let items: Vec<&DriftItem> = targets.iter().map(|&i| &report.items[i]).collect();
    let latest = decider.last_decisions(&items).map_err(|e| e.to_string())?;
    Ok(targets
        .iter()
        .zip(latest)
        .map(|(&i, e)| (i, e.as_ref().map(entry_line)))
        .collect())
}

/// Renders an execution event as an output line.
pub fn exec_line(ev: &ExecEvent) -> String {
    let s = match ev {
        ExecEvent::Started(cmd) => format!("$ {cmd}"),
        ExecEvent::Line(Stream::Stdout, l) => l.clone(),
        ExecEvent::Line(Stream::Stderr, l) => format!("! {l}"),
        ExecEvent::Finished(cmd, Some(code)) => format!("= exit {code}: {cmd}"),
        ExecEvent::Finished(cmd, None) => format!("= killed by a signal: {cmd}"),
    };
    crate::text::strip_csi(&s)
}

/// The journal entries a job wrote: those after `before` under this decider's actor (the
/// decider lock keeps this TUI's own jobs apart; another process writes under its own actor).
/// The journal watcher leaves them out of its "someone else decided" messages.
pub fn own_entries(decider: &Decider, before: u64) -> Vec<u64> {
    let me = &decider.actor().name;
    decide::Journal::read_all(&decider.options().journal_path())
        .map(|es| {
            es.iter()
                .filter(|e| e.seq > before && &e.actor.name == me)
                .map(|e| e.seq)
                .collect()
        })
        .unwrap_or_default()
}

/// Carries out a job (blocking: run it off the event loop). Output lines of executed commands
/// go to `sink`. `attribution` is the CloudTrail summary per target when known.
pub fn run_job(
    decider: &mut Decider,
    report: &DriftReport,
    job: &DecisionJob,
    attribution: &dyn Fn(usize) -> Option<AttributionSummary>,
    sink: &mut dyn FnMut(String),
) -> Result<Decided, String> {
    let items: Vec<&DriftItem> = job.targets.iter().filter_map(|&i| report.items.get(i)).collect();
    let first = *items.first().ok_or("no item to decide")?;
    let first_index = job.targets[0];

    let summary = match (&job.verb, &job.prepared) {
        (Verb::Approve, _) => {
            let a = ApproveInput {
                decision: input(job, attribution(first_index)),
                expires: job.expires.clone().unwrap_or_else(|| "72h".into()),
                attributes: Vec::new(),
            };
            if items.len() == 1 {
                let e = decider.approve(report, first, &a).map_err(|e| e.to_string())?;
                format!("approved {} (journal #{})", first.address, e.seq)
            } else {
                let index_of = |it: &DriftItem| {
                    job.targets
                        .iter()
                        .zip(&items)
                        .find(|(_, i)| std::ptr::eq(**i, it))
                        .map(|(&ix, _)| ix)
                };
                let done = decider
                    .approve_batch(report, &items, &a, &|it| index_of(it).and_then(attribution))
                    .map_err(|e| e.to_string())?;
                format!("approved {} items", done.len())
            }
        }
        (Verb::Adopt, Prepared::Adopt(p)) => {
            let e = decider
                .adopt_write(report, first, p, &input(job, attribution(first_index)))
                .map_err(|e| e.to_string())?;
            format!(
                "adopted {} into {} file(s) (journal #{})",
                first.address,
                p.edits.len(),
                e.seq
            )
        }
        (Verb::Revert, Prepared::Revert(plan)) => {
            let mut sink_ev = |ev: ExecEvent| sink(exec_line(&ev));
            let outcome = decider
                .revert_execute(
                    report,
                    &items,
                    plan,
                    &input(job, attribution(first_index)),
                    &job.confirmations,
                    &mut sink_ev,
                )
                .map_err(|e| e.to_string())?;
            // Why it stopped (a tool not on PATH, unreadable stack parameters), in the pane and
            // the status line, not only in the journal.
            if let Some(why) = &outcome.error {
                sink(format!("= error: {why}"));
            }
            sink(format!("= result: {}", outcome.result));
            match &outcome.error {
                Some(why) => format!("revert of {} item(s): {}: {why}", items.len(), outcome.result),
                None => format!("revert of {} item(s): {}", items.len(), outcome.result),
            }
        }
        (Verb::Undo, _) => {
            let e = decider
                .undo_last(report, Some(first), &input(job, None))
                .map_err(|e| e.to_string())?;
            format!(
                "withdrew the latest decision on {} (journal #{})",
                first.address, e.seq
            )
        }
        (Verb::Adopt | Verb::Revert, _) => return Err("nothing was prepared to confirm".into()),
    };
    Ok(Decided {
        summary,
        statuses: statuses(decider.options(), report, &job.targets).unwrap_or_default(),
        notes: notes_for(decider, report, &job.targets).unwrap_or_default(),
    })
}

/// Prepares what a form for `verb` confirms: the adoption preview or the revert plan.
pub fn prepare(
    decider: &Decider,
    report: &DriftReport,
    verb: Verb,
    targets: &[usize],
) -> Result<Prepared, String> {
    let items: Vec<&DriftItem> = targets.iter().filter_map(|&i| report.items.get(i)).collect();
    match verb {
        Verb::Adopt => {
            let item = items.first().ok_or("no item selected")?;
            let p = decider.adopt_preview(item).map_err(|e| e.to_string())?;
            Ok(Prepared::Adopt(Arc::new(p)))
        }
        Verb::Revert => {
            let p = decider
                .revert_plan(&items, Tool::default())
                .map_err(|e| e.to_string())?;
            Ok(Prepared::Revert(Arc::new(p)))
        }
        Verb::Approve | Verb::Undo => Ok(Prepared::None),
    }
}

/// The attribution summaries of `targets` known in `state` (for [`run_job`]).
pub fn attribution_summaries(
    state: &super::State,
    targets: &[usize],
) -> std::collections::HashMap<usize, AttributionSummary> {
    targets
        .iter()
        .filter_map(|&i| {
            state
                .attribution(i)
                .and_then(|a| AttributionSummary::of(a))
                .map(|s| (i, s))
        })
        .collect()
}

//! Watching files the TUI shows: the decision journal and the approvals file (another terminal,
//! another person, a CI job deciding in the same IaC directory), and the report files
//! (`--watch`). A cheap poll of each file's size and modification time on a worker thread,
//! never on the render loop; only a change reads the files.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use time::OffsetDateTime;

use crate::decide::JournalEntry;
use crate::decide::status::{self, Index};
use crate::model::{DriftReport, Status};

/// How often the watched files are polled.
pub const POLL: std::time::Duration = std::time::Duration::from_millis(400);

/// What identifies a version of a file for the poll: its size and modification time (`None`:
/// the file does not exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

/// The stamp of `path` now.
pub fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: m.len(),
        modified: m.modified().ok(),
    })
}

/// A set of files and their last seen stamps.
#[derive(Debug, Clone)]
pub struct Watched {
    files: Vec<(PathBuf, Option<Stamp>)>,
}

impl Watched {
    /// Starts watching `paths` from their current state.
    pub fn new(paths: impl IntoIterator<Item = PathBuf>) -> Self {
        Watched {
            files: paths
                .into_iter()
                .map(|p| {
                    let s = stamp(&p);
                    (p, s)
                })
                .collect(),
        }
    }

    /// True when any file changed (appeared, vanished, or changed size or time) since the last
    /// call; the new stamps are remembered.
    pub fn changed(&mut self) -> bool {
        let mut any = false;
        for (p, last) in &mut self.files {
            let now = stamp(p);
            if now != *last {
                *last = now;
                any = true;
            }
        }
        any
    }
}

/// A decision found in the journal that this TUI did not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// Journal sequence number.
    pub seq: u64,
    /// Who decided.
    pub actor: String,
    /// What (`approve`, `adopt`, `revert`, `revert-outcome`, `withdraw`).
    pub decision: String,
    /// The item's address.
    pub address: String,
    /// The item's index in the loaded report, when it is loaded.
    pub index: Option<usize>,
}

impl Foreign {
    /// One line for the status bar: `jane approved aws_x (journal #5)`.
    pub fn line(&self) -> String {
        let verb = match self.decision.as_str() {
            "approve" => "approved",
            "adopt" => "adopted",
            "revert" => "recorded a revert of",
            "revert-outcome" => "finished reverting",
            "withdraw" => "withdrew a decision on",
            other => other,
        };
        crate::text::sanitize(&format!(
            "{} {verb} {} (journal #{})",
            self.actor, self.address, self.seq
        ))
        .into_owned()
    }
}

/// Everything a journal or approvals change means for the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalChanges {
    /// Every item's status and approval expiry, derived again.
    pub statuses: Vec<(usize, Status, Option<String>)>,
    /// Every item's latest decision line (`None`: no decision in effect).
    pub notes: Vec<(usize, Option<String>)>,
    /// Entries after `after_seq`, in order.
    pub new: Vec<Foreign>,
    /// The journal's last sequence number.
    pub last_seq: u64,
}

/// What the journal `entries` and the `approvals` mean for `report` now: every status and
/// decision line, and the entries after `after_seq`.
pub fn changes_from(
    report: &DriftReport,
    entries: &[JournalEntry],
    approvals: &crate::decide::Approvals,
    after_seq: u64,
    now: OffsetDateTime,
) -> JournalChanges {
    let all: Vec<usize> = (0..report.items.len()).collect();
    let statuses = status::derive_many(report, &all, entries, approvals, now)
        .into_iter()
        .map(|(i, d)| (i, d.status, d.approval_expires))
        .collect();
    let ix = Index::new(entries);
    let notes = report
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| (i, ix.latest(item).map(super::decisions::entry_line)))
        .collect();
    let new = entries
        .iter()
        .filter(|e| e.seq > after_seq)
        .map(|e| Foreign {
            seq: e.seq,
            actor: e.actor.name.clone(),
            decision: e.decision.as_str().to_string(),
            address: e.item.address.clone(),
            index: report.items.iter().position(|i| e.item.refers_to(i)),
        })
        .collect();
    JournalChanges {
        statuses,
        notes,
        new,
        last_seq: entries.last().map_or(0, |e| e.seq),
    }
}

/// The journal's last sequence number now (0 when empty or unreadable).
pub fn last_seq(journal: &Path) -> u64 {
    crate::decide::Journal::read_all(journal)
        .ok()
        .and_then(|e| e.last().map(|e| e.seq))
        .unwrap_or(0)
}

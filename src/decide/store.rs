//! The one owner of `.driftdeck/`: every read-modify-write of the journal, the approvals file and
//! adopted IaC files goes through [`Store`], which takes the store lock
//! ([`super::lock::StoreLock`]), re-reads what it changes *under* it, and writes atomically
//! ([`crate::fsutil::atomic_write`], never through a link). Two TUIs and a CI job deciding at
//! once therefore never lose an approval, fork the journal or overwrite each other's edits.
//!
//! Order of writes for an approval: journal entry first (decisions are journaled before anything
//! is touched), then the approvals file, both under one lock hold. If the second write fails
//! (disk full) the error says so, and [`super::approvals::missing_from_file`] warns on the next
//! start that a journaled approval is missing from the file, so it is never silently lost.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::actor::Actor;
use super::approvals::{self, Approval, ApprovalPolicy, Approvals};
use super::journal::{Journal, JournalEntry, JournalHead};
use super::lock::StoreLock;
use super::{DecideError, Decision};
use crate::remediate::adopt::{self, AdoptPreview};

/// The journal, the approvals file and the IaC directory, written only under the lock.
#[derive(Debug)]
pub struct Store {
    journal: Journal,
    approvals: PathBuf,
    iac_dir: PathBuf,
    policy: ApprovalPolicy,
}

impl Store {
    /// A store over an opened journal.
    pub fn new(journal: Journal, approvals: PathBuf, iac_dir: PathBuf, policy: ApprovalPolicy) -> Self {
        Store {
            journal,
            approvals,
            iac_dir,
            policy,
        }
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The journal, to configure (signing).
    pub fn journal_mut(&mut self) -> &mut Journal {
        &mut self.journal
    }

    /// The approvals file.
    pub fn approvals_path(&self) -> &Path {
        &self.approvals
    }

    /// The approval policy (maximum expiry).
    pub fn policy(&self) -> &ApprovalPolicy {
        &self.policy
    }

    /// Reads the approvals file (strictly; no lock: a read sees either the old or the new file,
    /// never half of one, because every write is a rename).
    pub fn load_approvals(&self) -> Result<Approvals, DecideError> {
        Ok(Approvals::load_with(&self.approvals, &self.policy)?)
    }

    /// Takes the store lock.
    pub fn lock(&self) -> Result<StoreLock, DecideError> {
        Ok(self.journal.lock()?)
    }

    /// Journals a decision (under the lock).
    pub fn record(&mut self, d: &Decision, actor: &Actor) -> Result<JournalEntry, DecideError> {
        Ok(self.journal.append(d, actor)?)
    }

    /// Writes approvals under a held lock, recording the journal head they were written against.
    fn save_approvals_locked(&self, _lock: &StoreLock, all: &mut Approvals) -> Result<(), DecideError> {
        all.journal_head = Some(Journal::head(self.journal.path())?);
        all.save(&self.approvals)?;
        Ok(())
    }

    /// Under one lock hold: re-reads the approvals file (refusing to overwrite a broken one),
    /// journals the approval, merges it into the file and writes the file.
    pub fn record_approval(
        &mut self,
        d: &Decision,
        actor: &Actor,
        approval: Approval,
    ) -> Result<JournalEntry, DecideError> {
        let lock = self.lock()?;
        let mut all = self.load_approvals()?;
        let entry = self.journal.append_locked(&lock, d, actor)?;
        all.add(approval);
        all.journal_head = Some(entry.head());
        all.save(&self.approvals)
            .map_err(|e| DecideError::ApprovalNotSaved {
                seq: entry.seq,
                path: self.approvals.clone(),
                source: e,
            })?;
        Ok(entry)
    }

    /// Under one lock hold: journals a withdrawal and, for a withdrawn approval, removes it from
    /// the re-read approvals file.
    pub fn record_withdrawal(
        &mut self,
        d: &Decision,
        actor: &Actor,
        remove: Option<(&str, &str)>,
    ) -> Result<JournalEntry, DecideError> {
        let lock = self.lock()?;
        let mut all = match remove {
            Some(_) => Some(self.load_approvals()?),
            None => None,
        };
        let entry = self.journal.append_locked(&lock, d, actor)?;
        if let (Some(all), Some((address, created))) = (all.as_mut(), remove)
            && all.remove(address, created).is_some()
        {
            all.journal_head = Some(entry.head());
            all.save(&self.approvals)?;
        }
        Ok(entry)
    }

    /// Removes expired approvals (re-read under the lock); returns them.
    pub fn prune_approvals(&mut self, now: OffsetDateTime) -> Result<Vec<Approval>, DecideError> {
        let lock = self.lock()?;
        let mut all = self.load_approvals()?;
        let removed = all.prune(now);
        if !removed.is_empty() {
            self.save_approvals_locked(&lock, &mut all)?;
        }
        Ok(removed)
    }

    /// Under one lock hold: re-reads every target file and refuses (nothing written) if one
    /// changed since `preview` was shown, then journals the adoption and writes the files.
    pub fn record_adoption(
        &mut self,
        d: &Decision,
        actor: &Actor,
        preview: &AdoptPreview,
    ) -> Result<JournalEntry, DecideError> {
        let lock = self.lock()?;
        adopt::check_fresh(preview, &self.iac_dir)?;
        let entry = self.journal.append_locked(&lock, d, actor)?;
        adopt::write(preview, &self.iac_dir)?;
        Ok(entry)
    }

    /// Under one lock hold: computes the adoption from the files as they are now, lets the
    /// caller show it (`show`) and build the decision for it (`decide`; `None` aborts with
    /// nothing written), journals it and writes the files. What is shown is what is written.
    pub fn adopt_now(
        &mut self,
        actor: &Actor,
        compute: impl FnOnce(&Path) -> Result<AdoptPreview, DecideError>,
        decide: impl FnOnce(&AdoptPreview) -> Result<Option<Decision>, DecideError>,
    ) -> Result<(AdoptPreview, Option<JournalEntry>), DecideError> {
        let lock = self.lock()?;
        let preview = compute(&self.iac_dir)?;
        let Some(d) = decide(&preview)? else {
            return Ok((preview, None));
        };
        let entry = self.journal.append_locked(&lock, &d, actor)?;
        adopt::write(&preview, &self.iac_dir)?;
        Ok((preview, Some(entry)))
    }

    /// The journal's head now.
    pub fn head(&self) -> Result<JournalHead, DecideError> {
        Ok(Journal::head(self.journal.path())?)
    }

    /// Warnings about the store for the start of a session: journaled approvals missing from
    /// the approvals file, and an approvals file that cannot be read.
    /// Both files are read under the shared lock, so a writer between its journal entry and its
    /// approvals write is waited out rather than reported.
    pub fn consistency_warnings(&self) -> Vec<String> {
        let _shared = match self.journal.lock_shared() {
            Ok(l) => l,
            Err(e) => return vec![e.to_string()],
        };
        let all = match self.load_approvals() {
            Ok(a) => a,
            Err(e) => {
                return vec![format!(
                    "{e}\nevery item it may cover counts as open until it is fixed"
                )];
            }
        };
        let Ok(entries) = Journal::read_all(self.journal.path()) else {
            return Vec::new();
        };
        approvals::missing_from_file(&entries, &all, &self.approvals, OffsetDateTime::now_utc())
    }
}

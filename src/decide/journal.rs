//! The decision journal: append-only JSON Lines, one entry per decision, each entry carrying the
//! previous entry's SHA-256 and its own, so an edited, deleted or reordered entry breaks the
//! chain. Every append is a single `write` of one complete line followed by `fsync`: once
//! [`Journal::append`] returns, the entry survives a crash or `kill -9`.
//!
//! **Many writers.** Every append runs under the store's exclusive lock
//! ([`super::lock::StoreLock`], `<journal>.lock` beside the journal): the sequence number and the
//! previous hash are read *under the lock*, so two processes (two TUIs, twenty `approve`s) never
//! fork the chain or reuse a sequence number. The journal file is opened anew for each append
//! with `O_NOFOLLOW`: a symbolic link in its place is refused, never followed.
//!
//! **Torn tails.** A crash *during* an append can leave a torn last line. It is repaired only
//! under the lock and only when it is genuinely torn — no final newline *and* not a valid entry —
//! by moving the fragment to `<journal>.torn` (kept for inspection), so an entry another process
//! reported as written is never cut. A valid entry that merely lost its newline is completed,
//! not dropped.
//!
//! **Anchors and signatures.** [`JournalHead`] (`SEQ:HASH`) is the journal's head; whoever keeps
//! one (a ticket, a commit, `approvals.toml`) can later detect a rewrite or a truncation with
//! [`audit`]. With a signing key ([`super::signing`]) every entry also carries an SSH signature
//! over its hash.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::actor::Actor;
use super::decision::{Decision, DecisionKind, EvidenceSnapshot, ItemRef};
use super::lock::{LockError, StoreLock};
use super::signing::{AllowedSigners, Signer, SigningError};
use crate::fsutil;
use crate::model::compare::canonical;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Errors of the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file could not be read or written.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The journal file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// An entry could not be serialised.
    #[error("cannot serialise a journal entry: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The journal is opened read-only.
    #[error("{0}: the journal is read-only (--read-only); nothing was written")]
    ReadOnly(PathBuf),
    /// The last entry cannot be chained onto (it is broken).
    #[error(
        "{path}: line {line} is not a valid journal entry ({detail}); run `driftdeck journal verify` and repair the journal before recording decisions"
    )]
    BrokenTail {
        /// The journal file.
        path: PathBuf,
        /// 1-based line number (0 when unknown).
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// The store lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// Signing an entry failed.
    #[error(transparent)]
    Signing(#[from] SigningError),
}

fn io<'a>(path: &'a Path, what: &'static str) -> impl FnOnce(std::io::Error) -> JournalError + 'a {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        what,
        source,
    }
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// 1-based, consecutive.
    pub seq: u64,
    /// UTC timestamp, RFC 3339.
    pub time: String,
    /// Who decided.
    pub actor: Actor,
    /// The item decided on.
    pub item: ItemRef,
    /// SHA-256 of the source report.
    pub report_sha256: String,
    /// The decision.
    pub decision: DecisionKind,
    /// Its parameters.
    pub params: Value,
    /// Written reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Evidence snapshot (masked).
    pub evidence: EvidenceSnapshot,
    /// Hash of the previous entry ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// SHA-256 of this entry (all other fields, canonical JSON), hex.
    pub hash: String,
    /// SSH signature (`ssh-keygen -Y sign` PEM, namespace `driftdeck-journal`) over `hash`, when
    /// the journal is signed. Not part of the hash; absent (not `null`) when unsigned, so
    /// journals written before signing existed keep their exact bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl JournalEntry {
    /// The hash this entry should carry: SHA-256 over the canonical JSON of every field except
    /// `hash` and `signature` (which includes `prev_hash`, chaining the entries).
    pub fn compute_hash(&self) -> Result<String, serde_json::Error> {
        let mut v = serde_json::to_value(self)?;
        if let Value::Object(o) = &mut v {
            o.remove("hash");
            o.remove("signature");
        }
        let mut h = Sha256::new();
        h.update(b"driftdeck-journal-v1\n");
        h.update(canonical_exact(&v).as_bytes());
        Ok(hex::encode(h.finalize()))
    }

    /// The time as a timestamp, when it parses.
    pub fn timestamp(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.time, &Rfc3339).ok()
    }

    /// This entry as a head anchor.
    pub fn head(&self) -> JournalHead {
        JournalHead {
            seq: self.seq,
            hash: self.hash.clone(),
        }
    }
}

/// A journal head: the sequence number and hash of an entry, written `SEQ:HASH`. Kept outside the
/// journal (a ticket, a commit message, `approvals.toml`), it lets anyone detect a later rewrite
/// or truncation with `driftdeck journal verify --head SEQ:HASH`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JournalHead {
    /// Sequence number (0 for an empty journal).
    pub seq: u64,
    /// The entry's hash ([`GENESIS`] for an empty journal).
    pub hash: String,
}

impl JournalHead {
    /// The head of an empty journal.
    pub fn empty() -> Self {
        JournalHead {
            seq: 0,
            hash: GENESIS.to_string(),
        }
    }
}

impl std::fmt::Display for JournalHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for JournalHead {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "{s:?} is not a journal head: expected SEQ:HASH as printed by `driftdeck journal head` (e.g. 12:3f5a…, 64 hex digits)"
            )
        };
        let (seq, hash) = s.trim().split_once(':').ok_or_else(bad)?;
        let seq: u64 = seq.parse().map_err(|_| bad())?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(JournalHead {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// Canonical JSON that keeps array order (unlike [`canonical`], which treats arrays as sets and
/// decodes embedded JSON: fine for drift comparison, wrong for tamper evidence) — object keys
/// sorted, no whitespace.
fn canonical_exact(v: &Value) -> String {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_exact(&o[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical_exact).collect::<Vec<_>>().join(",")
        ),
        Value::Number(_) => canonical(v),
        other => other.to_string(),
    }
}

/// A torn (incomplete) last line, found when opening or before an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// 1-based line number of the fragment.
    pub line: usize,
    /// Its length in bytes.
    pub bytes: usize,
    /// Where the fragment was moved (`None` when opened read-only: it is still in the journal).
    pub moved_to: Option<PathBuf>,
}

/// What opening the journal found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Complete entries present.
    pub entries: usize,
    /// A torn last line, if a crash interrupted an append.
    pub torn_tail: Option<TornTail>,
}

impl TornTail {
    /// The warning for the user.
    pub fn warning(&self, path: &Path, entries: usize) -> String {
        match &self.moved_to {
            Some(to) => format!(
                "{}: line {} was torn by an interrupted write ({} bytes, not a complete entry); it was moved to {} and the journal continues after entry {}",
                path.display(),
                self.line,
                self.bytes,
                to.display(),
                entries
            ),
            None => format!(
                "{}: line {} was torn by an interrupted write ({} bytes, not a complete entry); it is left in place (read-only)",
                path.display(),
                self.line,
                self.bytes
            ),
        }
    }
}

impl OpenReport {
    /// A warning for the user, if there is anything to say.
    pub fn warning(&self, path: &Path) -> Option<String> {
        self.torn_tail.as_ref().map(|t| t.warning(path, self.entries))
    }
}

/// An open journal. It holds no file open: each append opens the file anew under the store lock
/// (so a journal replaced or repaired by another process is never written through a stale
/// handle).
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    writable: bool,
    lock_timeout: Duration,
    signer: Option<Signer>,
    /// Torn tails repaired before appends (another process crashed after this one opened).
    repairs: Vec<TornTail>,
}

/// How the journal's bytes end.
struct TailScan {
    /// Bytes that hold complete entries (a valid last entry missing only its newline included).
    good: usize,
    /// Start of a genuinely torn fragment: no final newline and not a valid entry.
    torn_start: Option<usize>,
}

/// Splits the journal bytes into complete lines and a torn remainder. Only bytes after the last
/// newline that do not parse as an entry are torn; a last line that is a valid entry and lacks
/// only its newline is kept (it is an entry its writer may have reported as written).
fn scan_tail(bytes: &[u8]) -> TailScan {
    let end_of_complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
    if end_of_complete == bytes.len() {
        return TailScan {
            good: bytes.len(),
            torn_start: None,
        };
    }
    let rest = &bytes[end_of_complete..];
    if serde_json::from_slice::<JournalEntry>(rest).is_ok() {
        return TailScan {
            good: bytes.len(),
            torn_start: None,
        };
    }
    // A whole entry that lost its newline with a fragment glued after it: keep the entry.
    let start = end_of_complete + entry_prefix(rest);
    TailScan {
        good: start,
        torn_start: Some(start),
    }
}

/// The length of a complete entry at the start of `line` followed by other bytes (0: none).
fn entry_prefix(line: &[u8]) -> usize {
    let mut it = serde_json::Deserializer::from_slice(line).into_iter::<JournalEntry>();
    match it.next() {
        Some(Ok(_)) => it.byte_offset(),
        _ => 0,
    }
}

/// Reads `path` without following a link; a missing file is empty.
fn read_journal(path: &Path) -> Result<Vec<u8>, JournalError> {
    match fsutil::read_nofollow(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io(path, "cannot read the journal")(e)),
    }
}

/// Refuses a journal whose directory (`.driftdeck/`) or file is a symbolic link.
fn refuse_links(path: &Path) -> Result<(), JournalError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fsutil::refuse_symlink(dir).map_err(io(dir, "refusing the journal directory"))?;
    }
    fsutil::refuse_symlink(path).map_err(io(path, "refusing the journal"))
}

/// The last line of the open journal: (offset of its first byte, its bytes without the newline,
/// whether it ends with a newline). `None` for an empty file.
fn last_line(file: &mut std::fs::File, path: &Path) -> Result<Option<(u64, Vec<u8>, bool)>, JournalError> {
    let len = file
        .seek(SeekFrom::End(0))
        .map_err(io(path, "cannot read the journal"))?;
    if len == 0 {
        return Ok(None);
    }
    // Read backwards in growing chunks until the whole last line is in hand.
    let mut chunk = 8192u64;
    loop {
        let start = len.saturating_sub(chunk);
        file.seek(SeekFrom::Start(start))
            .map_err(io(path, "cannot read the journal"))?;
        let mut buf = Vec::new();
        (&mut *file)
            .take(len - start)
            .read_to_end(&mut buf)
            .map_err(io(path, "cannot read the journal"))?;
        let terminated = buf.last() == Some(&b'\n');
        let body = if terminated {
            &buf[..buf.len() - 1]
        } else {
            &buf[..]
        };
        if let Some(p) = body.iter().rposition(|b| *b == b'\n') {
            return Ok(Some((start + p as u64 + 1, body[p + 1..].to_vec(), terminated)));
        }
        if start == 0 {
            return Ok(Some((0, body.to_vec(), terminated)));
        }
        chunk = chunk.saturating_mul(4);
    }
}

impl Journal {
    /// The default location: `.driftdeck/journal.jsonl` in the IaC directory.
    pub fn default_path(iac_dir: &Path) -> PathBuf {
        iac_dir.join(".driftdeck").join("journal.jsonl")
    }

    /// The lock file of the journal at `path`: `<journal>.lock` beside it (in `.driftdeck/`).
    pub fn lock_path_for(path: &Path) -> PathBuf {
        PathBuf::from(format!("{}.lock", path.display()))
    }

    /// The file torn fragments are moved to.
    fn torn_path(&self) -> PathBuf {
        PathBuf::from(format!("{}.torn", self.path.display()))
    }

    /// Opens (creating it on the first append unless `read_only`) the journal at `path`,
    /// reporting a torn tail; when writable, a torn tail is repaired under the lock.
    pub fn open(path: &Path, read_only: bool) -> Result<(Journal, OpenReport), JournalError> {
        Self::open_with(path, read_only, super::lock::DEFAULT_TIMEOUT)
    }

    /// [`Journal::open`] with a bound on the wait for the store lock.
    pub fn open_with(
        path: &Path,
        read_only: bool,
        lock_timeout: Duration,
    ) -> Result<(Journal, OpenReport), JournalError> {
        refuse_links(path)?;
        let bytes = read_journal(path)?;
        let scan = scan_tail(&bytes);
        let entries = bytes[..scan.good]
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        let mut report = OpenReport {
            entries,
            torn_tail: scan.torn_start.map(|start| TornTail {
                line: entries + 1,
                bytes: bytes.len() - start,
                moved_to: None,
            }),
        };
        let mut journal = Journal {
            path: path.to_path_buf(),
            writable: !read_only,
            lock_timeout,
            signer: None,
            repairs: Vec::new(),
        };
        if !read_only && report.torn_tail.is_some() {
            // Seen without the lock: another process may be mid-append. Re-check under it.
            let lock = journal.lock()?;
            let mut file = journal.open_file()?;
            let repaired = journal.repair_locked(&lock, &mut file)?;
            report.torn_tail = repaired.1;
            report.entries = repaired.0.map_or(0, |e| e.seq as usize);
        }
        Ok((journal, report))
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The store lock file guarding this journal (and the approvals and adopted files).
    pub fn lock_path(&self) -> PathBuf {
        Self::lock_path_for(&self.path)
    }

    /// Takes the store lock shared, to read the journal and approvals consistently while no
    /// writer is between its two writes; `None` when no lock file exists yet.
    pub fn lock_shared(&self) -> Result<Option<StoreLock>, JournalError> {
        Ok(StoreLock::acquire_shared(&self.lock_path(), self.lock_timeout)?)
    }

    /// Signs every entry appended from now on with `signer` (or stops signing with `None`).
    pub fn set_signer(&mut self, signer: Option<Signer>) {
        self.signer = signer;
    }

    /// The key entries are signed with, if any.
    pub fn signer(&self) -> Option<&Signer> {
        self.signer.as_ref()
    }

    /// Torn tails repaired before appends since the journal was opened.
    pub fn repairs(&self) -> &[TornTail] {
        &self.repairs
    }

    /// Takes the store's exclusive lock (bounded wait). Everything that changes `.driftdeck/`
    /// happens while a [`StoreLock`] is held.
    pub fn lock(&self) -> Result<StoreLock, JournalError> {
        if !self.writable {
            return Err(JournalError::ReadOnly(self.path.clone()));
        }
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fsutil::ensure_dir(dir).map_err(io(dir, "cannot create the journal directory"))?;
        }
        Ok(StoreLock::acquire(&self.lock_path(), self.lock_timeout)?)
    }

    /// Opens the journal for reading and appending, never through a link.
    fn open_file(&self) -> Result<std::fs::File, JournalError> {
        refuse_links(&self.path)?;
        let f = fsutil::open_nofollow(
            &self.path,
            OpenOptions::new().read(true).append(true).create(true),
        )
        .map_err(io(&self.path, "cannot open the journal for appending"))?;
        sync_dir(&self.path);
        Ok(f)
    }

    /// Under the lock: completes a valid last entry that lost its newline, or moves a genuinely
    /// torn fragment to `<journal>.torn`; returns the last entry and the repair made.
    fn repair_locked(
        &mut self,
        _lock: &StoreLock,
        file: &mut std::fs::File,
    ) -> Result<(Option<JournalEntry>, Option<TornTail>), JournalError> {
        let path = self.path.clone();
        let mut repaired = None;
        loop {
            let Some((start, line, terminated)) = last_line(file, &path)? else {
                return Ok((None, repaired));
            };
            if terminated {
                return parse_last(&path, &line).map(|e| (Some(e), repaired));
            }
            if let Ok(e) = serde_json::from_slice::<JournalEntry>(&line) {
                // A whole entry whose newline never reached the disk: complete it.
                file.write_all(b"\n")
                    .and_then(|()| file.sync_data())
                    .map_err(io(&path, "cannot complete the journal's last line"))?;
                return Ok((Some(e), repaired));
            }
            // Keep a complete entry at the start of the fragment (never cut a written entry).
            let keep = entry_prefix(&line);
            let (line, start) = (line[keep..].to_vec(), start + keep as u64);
            let torn_path = self.torn_path();
            let mut tf = fsutil::open_nofollow(&torn_path, OpenOptions::new().append(true).create(true))
                .map_err(io(&torn_path, "cannot keep the torn journal line"))?;
            tf.write_all(&line)
                .and_then(|()| tf.write_all(b"\n"))
                .and_then(|()| tf.sync_all())
                .map_err(io(&torn_path, "cannot keep the torn journal line"))?;
            file.set_len(start)
                .and_then(|()| if keep > 0 { file.write_all(b"\n") } else { Ok(()) })
                .and_then(|()| file.sync_all())
                .map_err(io(&path, "cannot cut the torn line off the journal"))?;
            let before = read_journal(&path)?;
            let tail = TornTail {
                // Segments of a newline-terminated file = its lines + 1 = the fragment's line.
                line: before.split(|b| *b == b'\n').count(),
                bytes: line.len(),
                moved_to: Some(torn_path),
            };
            self.repairs.push(tail.clone());
            repaired = Some(tail);
        }
    }

    /// Appends a decision by `actor` under the store lock; returns the entry once it is on disk
    /// (fsync'd).
    pub fn append(&mut self, decision: &Decision, actor: &Actor) -> Result<JournalEntry, JournalError> {
        let lock = self.lock()?;
        self.append_locked(&lock, decision, actor)
    }

    /// Appends while the caller holds the store lock (`lock` is the proof): the sequence number
    /// and previous hash are read now, under it.
    pub fn append_locked(
        &mut self,
        lock: &StoreLock,
        decision: &Decision,
        actor: &Actor,
    ) -> Result<JournalEntry, JournalError> {
        if !self.writable {
            return Err(JournalError::ReadOnly(self.path.clone()));
        }
        let mut file = self.open_file()?;
        let (last, _) = self.repair_locked(lock, &mut file)?;
        if let Some(e) = &last
            && e.compute_hash()? != e.hash
        {
            return Err(JournalError::BrokenTail {
                path: self.path.clone(),
                line: 0,
                detail: format!(
                    "the last entry (seq {}) does not match its hash: it was edited",
                    e.seq
                ),
            });
        }
        let (seq, prev_hash) = match &last {
            Some(e) => (e.seq + 1, e.hash.clone()),
            None => (1, GENESIS.to_string()),
        };
        let mut entry = JournalEntry {
            seq,
            time: super::approvals::fmt_time(OffsetDateTime::now_utc()),
            actor: actor.clone(),
            item: decision.item.clone(),
            report_sha256: decision.report_sha256.clone(),
            decision: decision.kind,
            params: decision.params.clone(),
            reason: decision.reason.clone(),
            ticket: decision.ticket.clone(),
            evidence: decision.evidence.clone(),
            prev_hash,
            hash: String::new(),
            signature: None,
        };
        entry.hash = entry.compute_hash()?;
        if let Some(signer) = &self.signer {
            entry.signature = Some(signer.sign(&entry.hash)?);
        }
        let mut line = serde_json::to_vec(&entry)?;
        line.push(b'\n');
        let path = self.path.clone();
        let len = file
            .seek(SeekFrom::End(0))
            .map_err(io(&path, "cannot append to the journal"))?;
        if let Err(e) = file.write_all(&line).and_then(|()| file.sync_data()) {
            // Do not leave a partial line for the next append to glue onto.
            let _ = file.set_len(len);
            return Err(io(&path, "cannot append to the journal")(e));
        }
        Ok(entry)
    }

    /// Reads every complete entry (a torn tail is skipped here; [`Journal::open`] reports it).
    pub fn read_all(path: &Path) -> Result<Vec<JournalEntry>, JournalError> {
        let bytes = read_journal(path)?;
        let scan = scan_tail(&bytes);
        let mut out = Vec::new();
        for (i, line) in bytes[..scan.good].split(|b| *b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let e = serde_json::from_slice::<JournalEntry>(line).map_err(|err| JournalError::BrokenTail {
                path: path.to_path_buf(),
                line: i + 1,
                detail: err.to_string(),
            })?;
            out.push(e);
        }
        Ok(out)
    }

    /// The head of the journal at `path`: its last complete entry ([`JournalHead::empty`] when
    /// there is none).
    pub fn head(path: &Path) -> Result<JournalHead, JournalError> {
        Ok(Self::read_all(path)?
            .last()
            .map_or_else(JournalHead::empty, JournalEntry::head))
    }
}

fn parse_last(path: &Path, line: &[u8]) -> Result<JournalEntry, JournalError> {
    serde_json::from_slice(line).map_err(|e| JournalError::BrokenTail {
        path: path.to_path_buf(),
        line: 0,
        detail: format!("last line: {e}"),
    })
}

/// fsync the directory so a newly created journal's name survives a crash (best effort).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// The first problem [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// 1-based line number.
    pub line: usize,
    /// The entry's sequence number, when it parsed.
    pub seq: Option<u64>,
    /// What is wrong, in words.
    pub problem: String,
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries checked and found good before the first problem.
    pub good: usize,
    /// The first broken entry, if any.
    pub broken: Option<Broken>,
    /// A torn last line (incomplete write): reported separately, it breaks nothing before it.
    pub torn_tail_line: Option<usize>,
}

/// Checks the whole chain: every line parses, sequence numbers are consecutive from 1, each
/// `prev_hash` is the previous entry's hash and each `hash` matches the entry's content.
pub fn verify(path: &Path) -> Result<Verification, JournalError> {
    Ok(check_chain(path)?.0)
}

/// The chain check, plus the good entries in order and every line that parsed (for anchors).
fn check_chain(path: &Path) -> Result<(Verification, Vec<JournalEntry>, Vec<JournalEntry>), JournalError> {
    refuse_links(path)?;
    let bytes = fsutil::read_nofollow(path).map_err(io(path, "cannot read the journal"))?;
    let scan = scan_tail(&bytes);
    let body = &bytes[..scan.good];
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let lines: Vec<&[u8]> = if body.is_empty() {
        Vec::new()
    } else {
        body.split(|b| *b == b'\n').collect()
    };
    let parsed: Vec<JournalEntry> = lines
        .iter()
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect();
    let mut prev = GENESIS.to_string();
    let mut good = Vec::new();
    let mut broken = None;
    for (idx, line) in lines.iter().enumerate() {
        let line_no = idx + 1;
        let expected_seq = idx as u64 + 1;
        let mut fail = |seq, problem: String| {
            broken = Some(Broken {
                line: line_no,
                seq,
                problem,
            });
        };
        if line.is_empty() {
            fail(None, "empty line inside the journal".into());
            break;
        }
        let e: JournalEntry = match serde_json::from_slice(line) {
            Ok(e) => e,
            Err(err) => {
                fail(None, format!("not a journal entry: {err}"));
                break;
            }
        };
        if e.seq != expected_seq {
            fail(
                Some(e.seq),
                format!(
                    "sequence number {} where {expected_seq} was expected (an entry was deleted, inserted or reordered)",
                    e.seq
                ),
            );
            break;
        }
        if e.prev_hash != prev {
            fail(
                Some(e.seq),
                "prev_hash does not match the previous entry's hash (an entry before it was changed, deleted or reordered)".into(),
            );
            break;
        }
        if e.compute_hash()? != e.hash {
            fail(
                Some(e.seq),
                "hash does not match the entry's content (the entry was edited)".into(),
            );
            break;
        }
        prev.clone_from(&e.hash);
        good.push(e);
    }
    let torn_tail_line = if broken.is_none() {
        scan.torn_start.map(|_| good.len() + 1)
    } else {
        None
    };
    Ok((
        Verification {
            good: good.len(),
            broken,
            torn_tail_line,
        },
        good,
        parsed,
    ))
}

/// A head recorded somewhere, to check the journal against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// Where it was recorded (`--head`, `approvals.toml`), for the message.
    pub source: String,
    /// The head.
    pub head: JournalHead,
}

/// What [`audit`] checks besides the chain.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Heads the journal must still contain at their position.
    pub anchors: Vec<Anchor>,
    /// When given, every entry must carry a valid signature by a key this file allows for the
    /// `driftdeck-journal` namespace (the way `git` checks SSH-signed commits).
    pub allowed_signers: Option<AllowedSigners>,
}

/// Entries signed by one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    /// `SHA256:…` fingerprint of the public key.
    pub fingerprint: String,
    /// The principals the allowed-signers file gives it (empty without the file).
    pub principals: Vec<String>,
    /// Entries it signed.
    pub entries: usize,
}

/// The result of [`audit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// The hash chain.
    pub chain: Verification,
    /// The head of the verified chain.
    pub head: JournalHead,
    /// Anchors not found at their position (truncation, rewrite): each one sentence.
    pub anchor_problems: Vec<String>,
    /// Signatures that fail, or are missing when an allowed-signers file is given.
    pub signature_problems: Vec<String>,
    /// Signature findings that do not fail the audit without an allowed-signers file.
    pub signature_warnings: Vec<String>,
    /// Which keys signed how many entries.
    pub signers: Vec<KeyUse>,
    /// Entries without a signature.
    pub unsigned: usize,
}

impl Audit {
    /// True when the chain, every anchor and every required signature hold.
    pub fn ok(&self) -> bool {
        self.chain.broken.is_none() && self.anchor_problems.is_empty() && self.signature_problems.is_empty()
    }
}

/// Checks one anchor against the parsed entries.
fn check_anchor(parsed: &[JournalEntry], anchor: &Anchor) -> Option<String> {
    let head = &anchor.head;
    if head.seq == 0 {
        return None;
    }
    match parsed.iter().find(|e| e.seq == head.seq) {
        Some(e) if e.hash == head.hash => None,
        Some(e) => Some(format!(
            "entry {} has hash {} but the head recorded in {} ({head}) says otherwise: the journal was rewritten at or before entry {}",
            e.seq, e.hash, anchor.source, e.seq
        )),
        None => {
            let last = parsed.iter().map(|e| e.seq).max().unwrap_or(0);
            Some(format!(
                "the journal ends at entry {last} but the head recorded in {} is entry {} ({head}): the journal is shorter than recorded — entries were removed from its end, or it was emptied or replaced",
                anchor.source, head.seq
            ))
        }
    }
}

/// The full audit: the chain ([`verify`]), the recorded heads and the signatures.
pub fn audit(path: &Path, opts: &AuditOptions) -> Result<Audit, JournalError> {
    let (chain, good, parsed) = check_chain(path)?;
    let head = good.last().map_or_else(JournalHead::empty, JournalEntry::head);
    let anchor_problems = opts
        .anchors
        .iter()
        .filter_map(|a| check_anchor(&parsed, a))
        .collect();
    let mut signature_problems = Vec::new();
    let mut signature_warnings = Vec::new();
    let mut signers: Vec<KeyUse> = Vec::new();
    let mut unsigned = 0usize;
    let mut seen_signed = false;
    for e in &good {
        let Some(sig) = &e.signature else {
            unsigned += 1;
            if opts.allowed_signers.is_some() {
                signature_problems.push(format!("entry {} is not signed", e.seq));
            } else if seen_signed {
                signature_warnings.push(format!(
                    "entry {} is not signed although earlier entries are (written without the key, or appended by someone else)",
                    e.seq
                ));
            }
            continue;
        };
        seen_signed = true;
        let checked = match super::signing::verify_signature(sig, &e.hash) {
            Ok(c) => c,
            Err(err) => {
                signature_problems.push(format!("entry {}: {err}", e.seq));
                continue;
            }
        };
        let principals = match &opts.allowed_signers {
            Some(allowed) => {
                let p = allowed.principals_for(&checked.public_key, e.timestamp());
                if p.is_empty() {
                    signature_problems.push(format!(
                        "entry {} is signed by {}, which the allowed signers file does not allow for namespace {} at {}",
                        e.seq,
                        checked.fingerprint,
                        super::signing::NAMESPACE,
                        e.time
                    ));
                    continue;
                }
                p
            }
            None => Vec::new(),
        };
        if let Some(k) = signers.iter_mut().find(|k| k.fingerprint == checked.fingerprint) {
            k.entries += 1;
        } else {
            if !signers.is_empty() && opts.allowed_signers.is_none() {
                signature_warnings.push(format!(
                    "entry {} is signed by {}, a different key than earlier entries",
                    e.seq, checked.fingerprint
                ));
            }
            signers.push(KeyUse {
                fingerprint: checked.fingerprint,
                principals,
                entries: 1,
            });
        }
    }
    Ok(Audit {
        chain,
        head,
        anchor_problems,
        signature_problems,
        signature_warnings,
        signers,
        unsigned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_and_print() {
        let h: JournalHead = format!("12:{}", "Ab".repeat(32)).parse().expect("head");
        assert_eq!(h.seq, 12);
        assert_eq!(h.to_string(), format!("12:{}", "ab".repeat(32)));
        assert!("12".parse::<JournalHead>().is_err());
        assert!("x:ab".parse::<JournalHead>().is_err());
        assert!(format!("1:{}", "g".repeat(64)).parse::<JournalHead>().is_err());
    }

    #[test]
    fn only_an_invalid_unterminated_tail_is_torn() {
        assert_eq!(scan_tail(b"{}\n").torn_start, None);
        assert_eq!(scan_tail(b"a\n{\"seq\":2").torn_start, Some(2));
        assert_eq!(scan_tail(b"").torn_start, None);
        assert_eq!(scan_tail(b"{}{\"seq\"").torn_start, Some(0));
    }
}

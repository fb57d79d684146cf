//! The decision journal: append-only JSON Lines, one entry per decision, each entry carrying the
//! previous entry's SHA-256 and its own, so an edited, deleted or reordered entry breaks the
//! chain. Every append is a single `write` of one complete line followed by `fsync`: once
//! [`Journal::append`] returns, the entry survives a crash or `kill -9`.
//!
//! A crash *during* an append can leave a torn last line (no newline, or unparsable). It is
//! never silently dropped: [`Journal::open`] reports it ([`OpenReport::torn_tail`]) and, when
//! the journal is writable, moves the torn bytes to `<journal>.torn` before new entries are
//! appended, so the chain stays valid and the fragment stays available for inspection.
//!
//! One process appends at a time (driftdeck holds the journal open for its whole run); before
//! each append the tail is re-read, so an entry appended by another process in between is
//! chained onto rather than forked.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::actor::Actor;
use super::decision::{Decision, DecisionKind, EvidenceSnapshot, ItemRef};
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
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        detail: String,
    },
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
}

impl JournalEntry {
    /// The hash this entry should carry: SHA-256 over the canonical JSON of every field except
    /// `hash` (which includes `prev_hash`, chaining the entries).
    pub fn compute_hash(&self) -> Result<String, serde_json::Error> {
        let mut v = serde_json::to_value(self)?;
        if let Value::Object(o) = &mut v {
            o.remove("hash");
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

/// A torn (incomplete) last line found when opening.
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

impl OpenReport {
    /// A warning for the user, if there is anything to say.
    pub fn warning(&self, path: &Path) -> Option<String> {
        self.torn_tail.as_ref().map(|t| match &t.moved_to {
            Some(to) => format!(
                "{}: line {} was torn by an interrupted write ({} bytes, not a complete entry); it was moved to {} and the journal continues after entry {}",
                path.display(),
                t.line,
                t.bytes,
                to.display(),
                self.entries
            ),
            None => format!(
                "{}: line {} was torn by an interrupted write ({} bytes, not a complete entry); it is left in place (read-only)",
                path.display(),
                t.line,
                t.bytes
            ),
        })
    }
}

/// An open journal.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    writable: bool,
    /// Opened on first use, so a refused decision leaves no empty journal behind.
    file: Option<File>,
}

/// Splits the journal bytes into complete lines and a torn remainder (no final newline, or an
/// unparsable last line).
fn split_tail(bytes: &[u8]) -> (usize, Option<usize>) {
    // Returns (length of the good prefix, Some(start of torn tail)).
    let end_of_complete = match bytes.iter().rposition(|b| *b == b'\n') {
        Some(p) => p + 1,
        None => 0,
    };
    if end_of_complete < bytes.len() {
        // Bytes after the last newline: a line whose newline never made it to disk.
        return (end_of_complete, Some(end_of_complete));
    }
    // Last complete line unparsable (e.g. zero-filled after a crash): treat it as torn too.
    let body = &bytes[..end_of_complete];
    let start_last = body[..body.len().saturating_sub(1)]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let last = &body[start_last..];
    if !last.is_empty() && serde_json::from_slice::<JournalEntry>(last).is_err() && last.contains(&0) {
        return (start_last, Some(start_last));
    }
    (bytes.len(), None)
}

impl Journal {
    /// The default location: `.driftdeck/journal.jsonl` in the IaC directory.
    pub fn default_path(iac_dir: &Path) -> PathBuf {
        iac_dir.join(".driftdeck").join("journal.jsonl")
    }

    /// Opens (creating it unless `read_only`) the journal at `path`, reporting a torn tail.
    pub fn open(path: &Path, read_only: bool) -> Result<(Journal, OpenReport), JournalError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(path, "cannot read the journal")(e)),
        };
        let (good, torn) = split_tail(&bytes);
        let entries = bytes[..good]
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        let mut report = OpenReport {
            entries,
            torn_tail: None,
        };
        if let Some(start) = torn {
            report.torn_tail = Some(TornTail {
                line: entries + 1,
                bytes: bytes.len() - start,
                moved_to: None,
            });
        }
        if read_only {
            return Ok((
                Journal {
                    path: path.to_path_buf(),
                    writable: false,
                    file: None,
                },
                report,
            ));
        }
        if bytes.is_empty() {
            return Ok((
                Journal {
                    path: path.to_path_buf(),
                    writable: true,
                    file: None,
                },
                report,
            ));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir, "cannot create the journal directory"))?;
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io(path, "cannot open the journal for appending"))?;
        if let (Some(start), Some(t)) = (torn, report.torn_tail.as_mut()) {
            let torn_path = PathBuf::from(format!("{}.torn", path.display()));
            let mut tf = OpenOptions::new()
                .append(true)
                .create(true)
                .open(&torn_path)
                .map_err(io(&torn_path, "cannot keep the torn journal line"))?;
            tf.write_all(&bytes[start..])
                .and_then(|()| tf.write_all(b"\n"))
                .and_then(|()| tf.sync_all())
                .map_err(io(&torn_path, "cannot keep the torn journal line"))?;
            file.set_len(start as u64)
                .and_then(|()| file.sync_all())
                .map_err(io(path, "cannot cut the torn line off the journal"))?;
            t.moved_to = Some(torn_path);
        }
        sync_dir(path);
        Ok((
            Journal {
                path: path.to_path_buf(),
                writable: true,
                file: Some(file),
            },
            report,
        ))
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file, creating the journal (and its directory) on first use.
    fn file(&mut self) -> Result<&mut File, JournalError> {
        if !self.writable {
            return Err(JournalError::ReadOnly(self.path.clone()));
        }
        if self.file.is_none() {
            let path = self.path.clone();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io(dir, "cannot create the journal directory"))?;
            }
            let f = OpenOptions::new()
                .read(true)
                .append(true)
                .create(true)
                .open(&path)
                .map_err(io(&path, "cannot open the journal for appending"))?;
            sync_dir(&path);
            self.file = Some(f);
        }
        self.file
            .as_mut()
            .ok_or_else(|| JournalError::ReadOnly(self.path.clone()))
    }

    /// Reads the last complete entry (re-reading the file, so appends by others are seen).
    fn last_entry(&mut self) -> Result<Option<JournalEntry>, JournalError> {
        let path = self.path.clone();
        let file = self.file()?;
        let len = file
            .seek(SeekFrom::End(0))
            .map_err(io(&path, "cannot read the journal"))?;
        if len == 0 {
            return Ok(None);
        }
        // Read backwards in growing chunks until a full last line is in hand.
        let mut chunk = 8192u64;
        loop {
            let start = len.saturating_sub(chunk);
            file.seek(SeekFrom::Start(start))
                .map_err(io(&path, "cannot read the journal"))?;
            let mut buf = Vec::new();
            file.take(len - start)
                .read_to_end(&mut buf)
                .map_err(io(&path, "cannot read the journal"))?;
            let trimmed = buf.strip_suffix(b"\n").unwrap_or(&buf);
            if let Some(p) = trimmed.iter().rposition(|b| *b == b'\n') {
                return parse_last(&path, &trimmed[p + 1..]).map(Some);
            }
            if start == 0 {
                return parse_last(&path, trimmed).map(Some);
            }
            chunk *= 4;
        }
    }

    /// Appends a decision by `actor`; returns the entry once it is on disk (fsync'd).
    pub fn append(&mut self, decision: &Decision, actor: &Actor) -> Result<JournalEntry, JournalError> {
        let last = self.last_entry()?;
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
        };
        entry.hash = entry.compute_hash()?;
        let mut line = serde_json::to_vec(&entry)?;
        line.push(b'\n');
        let path = self.path.clone();
        let file = self.file()?;
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
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(path, "cannot read the journal")(e)),
        };
        let (good, _) = split_tail(&bytes);
        let mut out = Vec::new();
        for (i, line) in bytes[..good].split(|b| *b == b'\n').enumerate() {
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
        && let Ok(d) = File::open(dir)
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
    let bytes = std::fs::read(path).map_err(io(path, "cannot read the journal"))?;
    let (good_len, torn) = split_tail(&bytes);
    let mut prev = GENESIS.to_string();
    let mut good = 0usize;
    let body = &bytes[..good_len];
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    for (idx, line) in body
        .split(|b| *b == b'\n')
        .filter(|_| !body.is_empty())
        .enumerate()
    {
        let line_no = idx + 1;
        let expected_seq = idx as u64 + 1;
        if line.is_empty() {
            return Ok(Verification {
                good,
                broken: Some(Broken {
                    line: line_no,
                    seq: None,
                    problem: "empty line inside the journal".into(),
                }),
                torn_tail_line: None,
            });
        }
        let broken = |seq, problem: String| Verification {
            good,
            broken: Some(Broken {
                line: line_no,
                seq,
                problem,
            }),
            torn_tail_line: None,
        };
        let e: JournalEntry = match serde_json::from_slice(line) {
            Ok(e) => e,
            Err(err) => return Ok(broken(None, format!("not a journal entry: {err}"))),
        };
        if e.seq != expected_seq {
            return Ok(broken(
                Some(e.seq),
                format!(
                    "sequence number {} where {expected_seq} was expected (an entry was deleted, inserted or reordered)",
                    e.seq
                ),
            ));
        }
        if e.prev_hash != prev {
            return Ok(broken(
                Some(e.seq),
                "prev_hash does not match the previous entry's hash (an entry before it was changed, deleted or reordered)".into(),
            ));
        }
        let h = e.compute_hash()?;
        if h != e.hash {
            return Ok(broken(
                Some(e.seq),
                "hash does not match the entry's content (the entry was edited)".into(),
            ));
        }
        prev = e.hash;
        good += 1;
    }
    Ok(Verification {
        good,
        broken: None,
        torn_tail_line: torn.map(|_| good + 1),
    })
}

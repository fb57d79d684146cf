//! Approvals of temporary divergence, kept in `.driftdeck/approvals.toml` in the IaC directory:
//! human-readable and in a stable order (address, then creation time) so a change to it reads
//! well in a pull request. Each approval records the live values it approved (a fingerprint for
//! sensitive ones), so loading a report can tell whether the resource drifted *again*.
//!
//! Applying approvals to a report sets each matching item's status: `approved` (expiry shown),
//! `approval-expired` once the expiry passed, `changed-since-approval` when a live value differs
//! from the approved one or an attribute that was not approved drifted.
//!
//! **Fail closed.** The file is committed and reviewed, so it is read strictly: an unknown key
//! (a typo such as `[[approval.values]]` must not widen an approval to the whole item), a
//! second approval of the same address, an unreadable `created`/`expires` or an expiry further
//! than the configured maximum (default 90 days) after its creation is an error naming the file
//! and the line, and the caller then treats every item as open. TOML native datetimes
//! (`expires = 2026-01-01T00:00:00Z`) are read like quoted ones. The file also records the
//! journal head it was last written against (`journal_head = "SEQ:HASH"`), an anchor that
//! `journal verify` checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Time};

use super::journal::JournalHead;
use crate::model::compare::{canonical, semantic_eq};
use crate::model::{Change, DriftItem, DriftReport, Status};

/// Errors of the approvals file.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    /// Read or write failure.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid approvals TOML.
    #[error(
        "{path}: not a valid approvals file (fix or remove the entry; see README \"Decisions\"):\n{message}"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML error (with line and column).
        message: String,
    },
    /// An entry is valid TOML but not a valid approval.
    #[error("{path}:{line}: {message} (fix or remove the entry; see README \"Decisions\")")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the entry's `[[approval]]` header.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The expiry is further away than the configured maximum.
    #[error(
        "expiry {expires} is more than {max_days} days away; approvals are temporary (the longest allowed is {max_days} days: `[approvals] max_expiry` in config.toml)"
    )]
    ExpiryTooFar {
        /// The expiry asked for.
        expires: String,
        /// The maximum, in days.
        max_days: i64,
    },
    /// Serialising failed.
    #[error("cannot write approvals: {0}")]
    Serialize(String),
    /// A bad `--expires` value.
    #[error(
        "invalid expiry {0:?}: use a duration such as 72h, 7d, 90m, or a date 2026-12-01, or an RFC 3339 time"
    )]
    BadExpiry(String),
    /// The expiry is not in the future.
    #[error("expiry {0} is not in the future")]
    ExpiryPast(String),
    /// An approved attribute is not among the item's changed attributes.
    #[error("{address}: attribute {attribute:?} has not drifted (drifted: {available})")]
    UnknownAttribute {
        /// Item address.
        address: String,
        /// The attribute asked for.
        attribute: String,
        /// What did drift.
        available: String,
    },
}

/// One approved attribute: its path and the approved live value (JSON text), or a fingerprint
/// when the value is sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovedValue {
    /// Attribute path (`ingress`, `tags.debug`).
    pub path: String,
    /// The approved live value as canonical JSON text (`null` when absent); absent when sensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<String>,
    /// Salted fingerprint of a sensitive live value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// One approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Item address.
    pub address: String,
    /// Why the divergence is acceptable for now.
    pub reason: String,
    /// Who approved.
    pub approver: String,
    /// Ticket id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Created, RFC 3339 UTC.
    pub created: String,
    /// Expires, RFC 3339 UTC.
    pub expires: String,
    /// The item's kind when approved (`modified`, `deleted`, `unmanaged`).
    pub kind: String,
    /// Approved attributes and their live values (empty: the whole item, e.g. deleted).
    #[serde(default, rename = "value")]
    pub values: Vec<ApprovedValue>,
}

impl Approval {
    /// Expiry as a time.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.expires, &Rfc3339).ok()
    }

    /// True once the expiry has passed (an unparsable expiry counts as expired).
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at().is_none_or(|e| e <= now)
    }
}

#[derive(Debug, Default, Serialize)]
struct FileRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    journal_head: Option<String>,
    #[serde(default, rename = "approval")]
    approvals: Vec<Approval>,
}

/// The file as read: entries kept as tables with their position, so each error names its line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRead {
    #[serde(default)]
    journal_head: Option<String>,
    #[serde(default, rename = "approval")]
    approvals: Vec<toml::Spanned<toml::Table>>,
}

/// The longest approval unless configured otherwise.
pub const DEFAULT_MAX_EXPIRY: Duration = Duration::days(90);

/// How strictly approvals are read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalPolicy {
    /// The longest time from an approval's creation to its expiry.
    pub max_expiry: Duration,
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        ApprovalPolicy {
            max_expiry: DEFAULT_MAX_EXPIRY,
        }
    }
}

/// The approvals file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approvals {
    /// All approvals, in stable order.
    pub approvals: Vec<Approval>,
    /// The journal head this file was last written against (under the store lock).
    pub journal_head: Option<JournalHead>,
}

/// 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).map_or(1, |t| t.matches('\n').count() + 1)
}

/// The 1-based line of the `[[approval]]` header at or before `at`.
fn header_line(text: &str, at: usize) -> usize {
    // The span may start at the header itself: include it in the search.
    let end = at.saturating_add("[[approval]]".len()).min(text.len());
    let before = text.get(..end).unwrap_or(text);
    before
        .rfind("[[approval]]")
        .map_or_else(|| line_of(text, at), |p| line_of(text, p))
}

/// A `created`/`expires` value: a quoted RFC 3339 time or date, or a TOML native datetime or
/// date, normalised to RFC 3339 UTC whole seconds. A date means the end of that day (UTC).
fn file_time(v: &toml::Value) -> Result<String, String> {
    let text = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => {
            if d.date.is_some() && d.time.is_some() && d.offset.is_none() {
                return Err(format!(
                    "{d} has no UTC offset; write it with Z or an offset (e.g. {d}Z)"
                ));
            }
            d.to_string()
        }
        other => return Err(format!("{other} is not a time")),
    };
    let t = text.trim();
    if let Ok(dt) = OffsetDateTime::parse(t, &Rfc3339) {
        return Ok(fmt_time(dt));
    }
    if let Ok(d) = Date::parse(t, time::macros::format_description!("[year]-[month]-[day]")) {
        return Ok(fmt_time(
            d.with_time(Time::from_hms(23, 59, 59).map_err(|e| e.to_string())?)
                .assume_utc(),
        ));
    }
    Err(format!(
        "{t:?} is not an RFC 3339 time (2026-12-01T00:00:00Z) or a date (2026-12-01)"
    ))
}

fn days(d: Duration) -> i64 {
    d.whole_days()
}

const HEADER: &str = "# driftdeck approvals of temporary drift. Review changes to this file like code.\n\
# Written by `driftdeck approve`; `driftdeck approvals prune` removes expired entries.\n\n";

impl Approvals {
    /// The default location: `.driftdeck/approvals.toml` in the IaC directory.
    pub fn default_path(iac_dir: &Path) -> PathBuf {
        iac_dir.join(".driftdeck").join("approvals.toml")
    }

    /// Loads the file with the default [`ApprovalPolicy`]; a missing file is an empty set.
    pub fn load(path: &Path) -> Result<Self, ApprovalError> {
        Self::load_with(path, &ApprovalPolicy::default())
    }

    /// Loads the file strictly (see the module docs); a missing file is an empty set. The file
    /// is never read through a symbolic link.
    pub fn load_with(path: &Path, policy: &ApprovalPolicy) -> Result<Self, ApprovalError> {
        let bytes = match crate::fsutil::read_nofollow(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Approvals::default()),
            Err(source) => {
                return Err(ApprovalError::Io {
                    path: path.to_path_buf(),
                    what: "cannot read",
                    source,
                });
            }
        };
        let text = String::from_utf8(bytes).map_err(|e| ApprovalError::Parse {
            path: path.to_path_buf(),
            message: format!("not UTF-8 text ({e})"),
        })?;
        Self::parse(&text, path, policy, OffsetDateTime::now_utc())
    }

    /// Parses approvals text (`path` names the file in errors) as of `now`.
    pub fn parse(
        text: &str,
        path: &Path,
        policy: &ApprovalPolicy,
        now: OffsetDateTime,
    ) -> Result<Self, ApprovalError> {
        let repr: FileRead = toml::from_str(text).map_err(|e| ApprovalError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let journal_head = match repr.journal_head {
            None => None,
            Some(h) => Some(
                h.parse::<JournalHead>()
                    .map_err(|message| ApprovalError::Invalid {
                        path: path.to_path_buf(),
                        line: text.find("journal_head").map_or(1, |p| line_of(text, p)),
                        message: format!("journal_head: {message}"),
                    })?,
            ),
        };
        let mut approvals: Vec<Approval> = Vec::new();
        let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
        for spanned in repr.approvals {
            let line = header_line(text, spanned.span().start);
            let invalid = |message: String| ApprovalError::Invalid {
                path: path.to_path_buf(),
                line,
                message,
            };
            let mut table = spanned.into_inner();
            for key in ["created", "expires"] {
                if let Some(v) = table.get(key) {
                    let t = file_time(v).map_err(|m| invalid(format!("{key}: {m}")))?;
                    table.insert(key.to_string(), toml::Value::String(t));
                }
            }
            let a: Approval = toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| invalid(format!("not a valid approval: {}", e.message())))?;
            if let Some(first) = first_line.get(&a.address) {
                return Err(invalid(format!(
                    "a second approval of {} (the first is at line {first}); keep one approval per address",
                    a.address
                )));
            }
            let created =
                OffsetDateTime::parse(&a.created, &Rfc3339).map_err(|e| invalid(format!("created: {e}")))?;
            let expires =
                OffsetDateTime::parse(&a.expires, &Rfc3339).map_err(|e| invalid(format!("expires: {e}")))?;
            if created > now + Duration::hours(1) {
                return Err(invalid(format!("created {} lies in the future", a.created)));
            }
            if expires - created > policy.max_expiry {
                return Err(invalid(format!(
                    "the approval of {} runs from {} to {}, longer than the longest allowed approval ({} days: `[approvals] max_expiry` in config.toml)",
                    a.address,
                    a.created,
                    a.expires,
                    days(policy.max_expiry)
                )));
            }
            if !matches!(a.kind.as_str(), "modified" | "deleted" | "unmanaged") {
                return Err(invalid(format!(
                    "kind {:?} is not one of modified, deleted, unmanaged",
                    a.kind
                )));
            }
            first_line.insert(a.address.clone(), line);
            approvals.push(a);
        }
        let mut a = Approvals {
            approvals,
            journal_head,
        };
        a.sort();
        Ok(a)
    }

    fn sort(&mut self) {
        self.approvals
            .sort_by(|a, b| (&a.address, &a.created, &a.expires).cmp(&(&b.address, &b.created, &b.expires)));
        for a in &mut self.approvals {
            a.values.sort_by(|x, y| x.path.cmp(&y.path));
        }
    }

    /// The file text: a header comment then one `[[approval]]` table per approval.
    pub fn to_toml(&self) -> Result<String, ApprovalError> {
        let mut me = self.clone();
        me.sort();
        let body = toml::to_string_pretty(&FileRepr {
            journal_head: me.journal_head.as_ref().map(ToString::to_string),
            approvals: me.approvals,
        })
        .map_err(|e| ApprovalError::Serialize(e.to_string()))?;
        Ok(format!("{HEADER}{body}"))
    }

    /// Writes the file atomically (temp file with an unpredictable name + rename), never through
    /// a symbolic link. Callers that read-modify-write hold the store lock ([`super::Store`]).
    pub fn save(&self, path: &Path) -> Result<(), ApprovalError> {
        let text = self.to_toml()?;
        // A linked `.driftdeck/` would put the file outside the IaC directory.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::fsutil::refuse_symlink(dir).map_err(|source| ApprovalError::Io {
                path: path.to_path_buf(),
                what: "cannot write",
                source,
            })?;
        }
        crate::fsutil::atomic_write(path, text.as_bytes()).map_err(|source| ApprovalError::Io {
            path: path.to_path_buf(),
            what: "cannot write",
            source,
        })
    }

    /// Adds an approval, replacing any earlier approval of the same address (one approval per
    /// address: the newest decision is the one in effect).
    pub fn add(&mut self, a: Approval) {
        self.approvals.retain(|old| old.address != a.address);
        self.approvals.push(a);
        self.sort();
    }

    /// Removes expired approvals, returning them.
    pub fn prune(&mut self, now: OffsetDateTime) -> Vec<Approval> {
        let (expired, keep): (Vec<_>, Vec<_>) = self.approvals.drain(..).partition(|a| a.is_expired(now));
        self.approvals = keep;
        expired
    }

    /// Removes the newest approval of `address` created at `created` (used to withdraw one).
    pub fn remove(&mut self, address: &str, created: &str) -> Option<Approval> {
        let i = self
            .approvals
            .iter()
            .position(|a| a.address == address && a.created == created)?;
        Some(self.approvals.remove(i))
    }

    /// The newest approval for an address.
    pub fn latest_for(&self, address: &str) -> Option<&Approval> {
        self.approvals
            .iter()
            .filter(|a| a.address == address)
            .max_by(|a, b| a.created.cmp(&b.created))
    }

    /// An item's status and approval expiry under these approvals (`open` without one).
    pub fn status_of(&self, item: &DriftItem, now: OffsetDateTime) -> (Status, Option<String>) {
        match self.latest_for(&item.address) {
            Some(a) => status_for(item, a, now),
            None => (Status::Open, None),
        }
    }

    /// Sets the status of every item that has an approval (see the module docs).
    pub fn apply(&self, report: &mut DriftReport, now: OffsetDateTime) {
        for item in &mut report.items {
            if self.latest_for(&item.address).is_some() {
                let (status, expires) = self.status_of(item, now);
                item.status = status;
                item.set_approval_expires(expires);
            }
        }
    }
}

fn live_text(c: &Change) -> String {
    c.live.as_ref().map_or_else(|| "null".to_string(), canonical)
}

fn change_matches(c: &Change, v: &ApprovedValue) -> bool {
    if c.sensitive {
        return match (&c.live_fingerprint, &v.fingerprint) {
            (Some(now), Some(then)) => **now == **then,
            // No fingerprint on either side (e.g. a format without plaintext): cannot tell.
            (None, None) => true,
            _ => false,
        };
    }
    match &v.live {
        Some(t) => {
            t == &live_text(c)
                || serde_json::from_str::<serde_json::Value>(t)
                    .ok()
                    .is_some_and(|old| semantic_eq(&old, c.live.as_ref().unwrap_or(&serde_json::Value::Null)))
        }
        None => false,
    }
}

/// The status an approval gives an item now, and the expiry to show.
pub fn status_for(item: &DriftItem, a: &Approval, now: OffsetDateTime) -> (Status, Option<String>) {
    if a.is_expired(now) {
        return (Status::ApprovalExpired, Some(a.expires.clone()));
    }
    if a.kind != item.kind.as_str() {
        return (Status::ChangedSinceApproval, Some(a.expires.clone()));
    }
    let approved: BTreeMap<&str, &ApprovedValue> = a.values.iter().map(|v| (v.path.as_str(), v)).collect();
    let whole_item = a.values.is_empty();
    // Noise (read-back values, ignore_changes) moves on its own and never voids an approval.
    for c in item.changes.iter().filter(|c| c.noise.is_none()) {
        let p = c.path.to_string();
        match approved.get(p.as_str()) {
            Some(v) if change_matches(c, v) => {}
            None if whole_item => {}
            Some(_) | None => return (Status::ChangedSinceApproval, Some(a.expires.clone())),
        }
    }
    (Status::Approved, Some(a.expires.clone()))
}

/// Builds the approval for `item`: all changed attributes, or only `attributes` when given.
pub fn approval_for(
    item: &DriftItem,
    attributes: &[String],
    reason: &str,
    approver: &str,
    ticket: Option<&str>,
    created: OffsetDateTime,
    expires: OffsetDateTime,
) -> Result<Approval, ApprovalError> {
    let available = item.changed_attributes();
    for want in attributes {
        let covered = item.changes.iter().any(|c| {
            let p = c.path.to_string();
            p == *want || p.starts_with(&format!("{want}.")) || p.starts_with(&format!("{want}["))
        });
        if !covered {
            return Err(ApprovalError::UnknownAttribute {
                address: item.address.clone(),
                attribute: want.clone(),
                available: available.join(", "),
            });
        }
    }
    let values = item
        .changes
        .iter()
        .filter(|c| {
            let p = c.path.to_string();
            (attributes.is_empty() && c.noise.is_none())
                || attributes
                    .iter()
                    .any(|w| p == *w || p.starts_with(&format!("{w}.")) || p.starts_with(&format!("{w}[")))
        })
        .map(|c| ApprovedValue {
            path: c.path.to_string(),
            live: (!c.sensitive).then(|| live_text(c)),
            fingerprint: if c.sensitive {
                c.live_fingerprint.as_deref().map(str::to_string)
            } else {
                None
            },
        })
        .collect();
    Ok(Approval {
        address: item.address.clone(),
        reason: reason.to_string(),
        approver: approver.to_string(),
        ticket: ticket.map(str::to_string),
        created: fmt_time(created),
        expires: fmt_time(expires),
        kind: item.kind.as_str().to_string(),
        values,
    })
}

/// RFC 3339, UTC, whole seconds.
pub fn fmt_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Parses `--expires` with the default maximum ([`DEFAULT_MAX_EXPIRY`]); see [`parse_expiry_with`].
pub fn parse_expiry(s: &str, now: OffsetDateTime) -> Result<OffsetDateTime, ApprovalError> {
    parse_expiry_with(s, now, DEFAULT_MAX_EXPIRY)
}

/// Parses `--expires`: a duration (`72h`, `7d`, `90m`, `2w`) from `now`, a date (`2026-12-01`,
/// meaning the end of that day UTC) or an RFC 3339 time. It must lie in the future and no more
/// than `max` from `now`. All arithmetic is checked: an absurd value is an error, not a panic.
pub fn parse_expiry_with(
    s: &str,
    now: OffsetDateTime,
    max: Duration,
) -> Result<OffsetDateTime, ApprovalError> {
    let t = s.trim();
    let bad = || ApprovalError::BadExpiry(s.to_string());
    let too_far = |expires: String| ApprovalError::ExpiryTooFar {
        expires,
        max_days: days(max),
    };
    let when = if let Ok(dt) = OffsetDateTime::parse(t, &Rfc3339) {
        dt
    } else if let Ok(d) = Date::parse(t, time::macros::format_description!("[year]-[month]-[day]")) {
        d.with_time(Time::from_hms(23, 59, 59).map_err(|_| bad())?)
            .assume_utc()
    } else {
        let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (n, unit) = t.split_at(split);
        if n.is_empty() {
            return Err(bad());
        }
        // Only digits remain, so a failed parse is an overflow: far beyond any maximum.
        let n: i64 = n.parse().map_err(|_| too_far(s.trim().to_string()))?;
        let per: i64 = match unit {
            "m" | "min" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 604_800,
            _ => return Err(bad()),
        };
        let secs = n.checked_mul(per).ok_or_else(|| too_far(s.trim().to_string()))?;
        let d = Duration::seconds(secs);
        if d > max {
            return Err(too_far(s.trim().to_string()));
        }
        now.checked_add(d).ok_or_else(|| too_far(s.trim().to_string()))?
    };
    if when <= now {
        return Err(ApprovalError::ExpiryPast(fmt_time(when)));
    }
    if when - now > max {
        return Err(too_far(fmt_time(when)));
    }
    Ok(when)
}

/// Approvals the journal recorded that the approvals file lacks — what an interrupted write
/// (disk full, a crash between the journal entry and the file) leaves behind. For each address
/// only its latest approval still in effect and not expired counts; one sentence per approval.
pub fn missing_from_file(
    entries: &[super::JournalEntry],
    file: &Approvals,
    approvals_path: &Path,
    now: OffsetDateTime,
) -> Vec<String> {
    let mut latest: BTreeMap<&str, &super::JournalEntry> = BTreeMap::new();
    for e in super::effective(entries) {
        if e.decision == super::DecisionKind::Approve {
            latest.insert(e.item.address.as_str(), e);
        }
    }
    let mut out = Vec::new();
    for (address, e) in latest {
        let param = |k: &str| e.params.get(k).and_then(serde_json::Value::as_str);
        if param("approvals_file").is_some_and(|f| Path::new(f) != approvals_path) {
            continue;
        }
        let (Some(created), Some(expires)) = (param("created"), param("expires")) else {
            continue;
        };
        if OffsetDateTime::parse(expires, &Rfc3339).is_ok_and(|x| x <= now) {
            continue;
        }
        let present = file
            .approvals
            .iter()
            .any(|a| a.address == address && a.created.as_str() >= created);
        if !present {
            out.push(format!(
                "journal entry {} approved {} (until {expires}) but {} does not hold that approval: the write after the journal entry was interrupted, or the approval was removed by hand; the item counts as open — approve it again if it should stay approved",
                e.seq,
                address,
                approvals_path.display()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn expiry_forms() {
        let now = datetime!(2026-11-22 08:00 UTC);
        assert_eq!(
            parse_expiry("72h", now).ok(),
            Some(datetime!(2026-11-25 08:00 UTC))
        );
        assert_eq!(
            parse_expiry("2026-12-01", now).ok(),
            Some(datetime!(2026-12-01 23:59:59 UTC))
        );
        assert!(matches!(
            parse_expiry("soon", now),
            Err(ApprovalError::BadExpiry(_))
        ));
        assert!(matches!(
            parse_expiry("2026-01-01", now),
            Err(ApprovalError::ExpiryPast(_))
        ));
    }

    #[test]
    fn absurd_expiries_are_errors_not_panics() {
        let now = datetime!(2026-11-22 08:00 UTC);
        for s in [
            "999999w",
            "99999999999999999999d",
            "9223372036854775807w",
            "9999-12-31",
            "91d",
        ] {
            assert!(
                matches!(parse_expiry(s, now), Err(ApprovalError::ExpiryTooFar { .. })),
                "{s}: {:?}",
                parse_expiry(s, now)
            );
        }
        assert!(parse_expiry("90d", now).is_ok());
        assert!(parse_expiry_with("120d", now, Duration::days(180)).is_ok());
    }
}

//! Approvals of temporary divergence, kept in `.driftdeck/approvals.toml` in the IaC directory:
//! human-readable and in a stable order (address, then creation time) so a change to it reads
//! well in a pull request. Each approval records the live values it approved (a fingerprint for
//! sensitive ones), so loading a report can tell whether the resource drifted *again*.
//!
//! Applying approvals to a report sets each matching item's status: `approved` (expiry shown),
//! `approval-expired` once the expiry passed, `changed-since-approval` when a live value differs
//! from the approved one or an attribute that was not approved drifted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Time};

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
        "{path}: not a valid approvals file: {message} (fix or remove the entry; see README \"Decisions\")"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML error.
        message: String,
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

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileRepr {
    #[serde(default, rename = "approval")]
    approvals: Vec<Approval>,
}

/// The approvals file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approvals {
    /// All approvals, in stable order.
    pub approvals: Vec<Approval>,
}

const HEADER: &str = "# driftdeck approvals of temporary drift. Review changes to this file like code.\n\
# Written by `driftdeck approve`; `driftdeck approvals prune` removes expired entries.\n\n";

impl Approvals {
    /// The default location: `.driftdeck/approvals.toml` in the IaC directory.
    pub fn default_path(iac_dir: &Path) -> PathBuf {
        iac_dir.join(".driftdeck").join("approvals.toml")
    }

    /// Loads the file; a missing file is an empty set.
    pub fn load(path: &Path) -> Result<Self, ApprovalError> {
        let text = match std::fs::read_to_string(path) {
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
        let repr: FileRepr = toml::from_str(&text).map_err(|e| ApprovalError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut a = Approvals {
            approvals: repr.approvals,
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
            approvals: me.approvals,
        })
        .map_err(|e| ApprovalError::Serialize(e.to_string()))?;
        Ok(format!("{HEADER}{body}"))
    }

    /// Writes the file atomically (temp file + rename).
    pub fn save(&self, path: &Path) -> Result<(), ApprovalError> {
        let text = self.to_toml()?;
        crate::fsutil::atomic_write(path, text.as_bytes()).map_err(|source| ApprovalError::Io {
            path: path.to_path_buf(),
            what: "cannot write",
            source,
        })
    }

    /// Adds an approval.
    pub fn add(&mut self, a: Approval) {
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
                (item.status, item.approval_expires) = self.status_of(item, now);
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
            (Some(now), Some(then)) => now == then,
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
    for c in &item.changes {
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
            attributes.is_empty()
                || attributes
                    .iter()
                    .any(|w| p == *w || p.starts_with(&format!("{w}.")) || p.starts_with(&format!("{w}[")))
        })
        .map(|c| ApprovedValue {
            path: c.path.to_string(),
            live: (!c.sensitive).then(|| live_text(c)),
            fingerprint: if c.sensitive {
                c.live_fingerprint.clone()
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

/// Parses `--expires`: a duration (`72h`, `7d`, `90m`, `2w`) from `now`, a date (`2026-12-01`,
/// meaning the end of that day UTC) or an RFC 3339 time. It must lie in the future.
pub fn parse_expiry(s: &str, now: OffsetDateTime) -> Result<OffsetDateTime, ApprovalError> {
    let t = s.trim();
    let bad = || ApprovalError::BadExpiry(s.to_string());
    let when = if let Ok(dt) = OffsetDateTime::parse(t, &Rfc3339) {
        dt
    } else if let Ok(d) = Date::parse(t, time::macros::format_description!("[year]-[month]-[day]")) {
        d.with_time(Time::from_hms(23, 59, 59).map_err(|_| bad())?)
            .assume_utc()
    } else {
        let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (n, unit) = t.split_at(split);
        let n: i64 = n.parse().map_err(|_| bad())?;
        let d = match unit {
            "m" | "min" => Duration::minutes(n),
            "h" => Duration::hours(n),
            "d" => Duration::days(n),
            "w" => Duration::weeks(n),
            _ => return Err(bad()),
        };
        now + d
    };
    if when <= now {
        return Err(ApprovalError::ExpiryPast(fmt_time(when)));
    }
    Ok(when)
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
}

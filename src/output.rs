//! Plain-text and JSON renderings of a loaded report for the CLI (`list`, `check`). The JSON
//! shape is a contract other tools rely on; it is documented in the README.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{DriftItem, DriftReport, Format, Kind, NotDrift, Severity, Status};
use crate::text::{pad, sanitize};

/// `reports[]` entry of the JSON contract.
#[derive(Debug, Serialize)]
pub struct ReportJson<'a> {
    /// Path as given.
    pub path: &'a str,
    /// Detected format.
    pub format: Format,
    /// Tool version, when the report says.
    pub tool_version: Option<&'a str>,
    /// Report time, when the report says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<&'a str>,
    /// Loader warnings.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub warnings: &'a [String],
    /// Why drift could not be fully determined from this report; empty when it could.
    pub incomplete: &'a [String],
}

/// `summary` of the JSON contract.
#[derive(Debug, Serialize)]
pub struct SummaryJson {
    /// Drifted items.
    pub total: usize,
    /// Counts per severity (all four keys always present).
    pub by_severity: BTreeMap<&'static str, usize>,
    /// Counts per kind (all three keys always present).
    pub by_kind: BTreeMap<&'static str, usize>,
    /// Counts per status.
    pub by_status: BTreeMap<&'static str, usize>,
    /// Resources the reports say are not drifted.
    pub not_drift: NotDrift,
}

/// The whole `list --format json` document.
#[derive(Debug, Serialize)]
pub struct ListJson<'a> {
    /// False when any report is incomplete (see `reports[].incomplete`): absence of drift then
    /// proves nothing.
    pub complete: bool,
    /// Loaded reports.
    pub reports: Vec<ReportJson<'a>>,
    /// Items, most severe first.
    pub items: Vec<&'a DriftItem>,
    /// Counts.
    pub summary: SummaryJson,
}

/// Items sorted for output: most severe first, then by address.
pub fn sorted_items(report: &DriftReport) -> Vec<&DriftItem> {
    let mut items: Vec<&DriftItem> = report.items.iter().collect();
    items.sort_by(|a, b| output_order(a, b));
    items
}

/// The order of [`sorted_items`]: most severe first, then by address.
fn output_order(a: &DriftItem, b: &DriftItem) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.address.cmp(&b.address))
}

/// The first `limit` of `items` in the order of [`sorted_items`] (which keeps equal items in
/// their report order), without sorting the rest.
fn first_sorted(mut items: Vec<(usize, &DriftItem)>, limit: usize) -> Vec<&DriftItem> {
    let order = |a: &(usize, &DriftItem), b: &(usize, &DriftItem)| output_order(a.1, b.1).then(a.0.cmp(&b.0));
    if limit < items.len() {
        items.select_nth_unstable_by(limit, order);
        items.truncate(limit);
    }
    items.sort_unstable_by(order);
    items.into_iter().map(|(_, i)| i).collect()
}

/// Counts for the summary.
pub fn summary(report: &DriftReport) -> SummaryJson {
    let mut by_severity: BTreeMap<&'static str, usize> =
        Severity::ALL_DESC.iter().map(|s| (s.as_str(), 0)).collect();
    let mut by_kind: BTreeMap<&'static str, usize> = [Kind::Modified, Kind::Deleted, Kind::Unmanaged]
        .iter()
        .map(|k| (k.as_str(), 0))
        .collect();
    let mut by_status: BTreeMap<&'static str, usize> = BTreeMap::new();
    for it in &report.items {
        *by_severity.entry(it.severity.as_str()).or_default() += 1;
        *by_kind.entry(it.kind.as_str()).or_default() += 1;
        *by_status.entry(it.status.as_str()).or_default() += 1;
    }
    SummaryJson {
        total: report.items.len(),
        by_severity,
        by_kind,
        by_status,
        not_drift: report.not_drift,
    }
}

/// The `list --format json` document.
pub fn list_json(report: &DriftReport) -> ListJson<'_> {
    ListJson {
        complete: report.is_complete(),
        reports: report
            .reports
            .iter()
            .map(|r| ReportJson {
                path: &r.path,
                format: r.format,
                tool_version: r.tool_version.as_deref(),
                timestamp: r.timestamp.as_deref(),
                warnings: &r.warnings,
                incomplete: &r.incomplete,
            })
            .collect(),
        items: sorted_items(report),
        summary: summary(report),
    }
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
    }
}

fn status_suffix(it: &DriftItem) -> String {
    match (&it.status, &it.approval_expires) {
        (Status::Open, _) => String::new(),
        (Status::Approved, Some(exp)) => format!("  [approved until {}]", sanitize(exp)),
        (s, _) => format!("  [{s}]"),
    }
}

/// The readable table of `list`: one line per item.
pub fn list_table(report: &DriftReport) -> String {
    let items = sorted_items(report);
    let mut out = String::new();
    if items.is_empty() && !report.is_complete() {
        out.push_str("No drift found, but drift could not be fully determined (see `incomplete:` below).\n");
    } else if items.is_empty() {
        out.push_str("No drift found.\n");
    } else {
        let addr_w = items
            .iter()
            .map(|i| crate::text::width(&sanitize(&i.address)))
            .max()
            .unwrap_or(7)
            .clamp(7, 72);
        let _ = writeln!(
            out,
            "{}  {}  {}  CHANGED",
            pad("SEVERITY", 8),
            pad("KIND", 9),
            pad("ADDRESS", addr_w)
        );
        for it in &items {
            let changed = it.summary();
            let _ = writeln!(
                out,
                "{}  {}  {}  {}{}",
                pad(severity_label(it.severity), 8),
                pad(it.kind.as_str(), 9),
                pad(&sanitize(&it.address), addr_w),
                sanitize(&changed),
                status_suffix(it),
            );
        }
    }
    out.push('\n');
    out.push_str(&summary_line(report));
    out
}

/// `12 drifted (2 critical, 4 high, 3 medium, 3 low); 40 in sync, 1 not checked` plus warnings.
pub fn summary_line(report: &DriftReport) -> String {
    let s = summary(report);
    let mut line = format!(
        "{} drifted ({} critical, {} high, {} medium, {} low)",
        s.total,
        s.by_severity["critical"],
        s.by_severity["high"],
        s.by_severity["medium"],
        s.by_severity["low"]
    );
    let nd = s.not_drift;
    let _ = write!(line, "; {} in sync", nd.in_sync);
    for (n, what) in [
        (nd.not_checked, "not checked"),
        (nd.unknown, "unknown"),
        (nd.unsupported, "unsupported"),
        (nd.noise, "noise only (--show-noise)"),
    ] {
        if n > 0 {
            let _ = write!(line, ", {n} {what}");
        }
    }
    let _ = writeln!(line, " — from {} report(s)", report.reports.len());
    for r in &report.reports {
        for w in &r.warnings {
            let _ = writeln!(line, "warning: {}: {}", sanitize(&r.path), sanitize(w));
        }
        for w in &r.incomplete {
            let _ = writeln!(line, "incomplete: {}: {}", sanitize(&r.path), sanitize(w));
        }
    }
    line
}

/// The one-screen summary `check` prints: the items at or above the threshold, most severe
/// first (at most `limit`), with their reasons.
pub fn check_summary(report: &DriftReport, threshold: Severity, limit: usize) -> String {
    // Only the first `limit` are shown: they are picked, not the whole report sorted.
    let failing: Vec<(usize, &DriftItem)> = report
        .items
        .iter()
        .enumerate()
        .filter(|(_, i)| i.severity >= threshold && i.status.gates())
        .collect();
    let count = failing.len();
    let shown = first_sorted(failing, limit);
    let mut out = String::new();
    if count == 0 && !report.is_complete() {
        let n = report.incomplete_reports();
        let _ = writeln!(
            out,
            "INCOMPLETE: no drift found at or above {threshold}, but drift could not be fully \
             determined ({n} report(s) incomplete; the reasons follow)."
        );
    } else if count == 0 {
        let _ = writeln!(out, "OK: no drift at or above {threshold}.");
    } else {
        let _ = writeln!(out, "DRIFT: {count} item(s) at or above {threshold}:");
        for it in &shown {
            let why = it
                .why
                .first()
                .map(|w| sanitize(w).into_owned())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {} {} — {}{}",
                pad(severity_label(it.severity), 8),
                pad(it.kind.as_str(), 9),
                sanitize(&it.address),
                why,
                status_suffix(it)
            );
        }
        if count > limit {
            let _ = writeln!(out, "  … and {} more (driftdeck list for all)", count - limit);
        }
    }
    out.push_str(&summary_line(report));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Format;
    use proptest::prelude::*;

    proptest! {
        /// The picked first items are exactly the first of the full sort, equal ones (same
        /// severity and address, e.g. from two reports) in report order, at every limit.
        #[test]
        fn first_sorted_is_the_head_of_the_full_sort(
            keys in prop::collection::vec((0..4usize, 0..5usize), 0..40),
            limit in 0..45usize,
        ) {
            let items: Vec<DriftItem> = keys
                .iter()
                .enumerate()
                .map(|(n, (sev, addr))| {
                    let mut i = DriftItem::new(
                        format!("id{n}"),
                        format!("aws_s3_bucket.b{addr}"),
                        "aws_s3_bucket".to_string(),
                        "plan.json",
                        Format::TerraformPlan,
                        Kind::Modified,
                    );
                    i.severity = Severity::ALL_DESC[*sev];
                    i
                })
                .collect();
            let report = DriftReport {
                items,
                ..DriftReport::default()
            };
            let ids = |v: Vec<&DriftItem>| v.into_iter().map(|i| i.id.clone()).collect::<Vec<_>>();
            let full: Vec<&DriftItem> = sorted_items(&report).into_iter().take(limit).collect();
            let picked = first_sorted(report.items.iter().enumerate().collect(), limit);
            prop_assert_eq!(ids(picked), ids(full));
        }
    }
}

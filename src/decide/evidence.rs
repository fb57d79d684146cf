//! The evidence export: per decided item its controls, why, desired and live (masked), the
//! CloudTrail actor and event, the decision, approver, reason, ticket, expiry and remediation
//! outcome; plus time-to-decision figures per severity (median and worst, from the CloudTrail
//! event time — or the report time when the cause is unknown — to the first decision) against
//! the common targets: under 24 hours for security-relevant drift (high, critical) and under a
//! week for operational drift (medium, low). Everything comes from the journal alone.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::decision::{AttributionSummary, ChangeSnapshot, DecisionKind, ItemRef};
use super::journal::JournalEntry;
use crate::model::Severity;
use crate::text::sanitize;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Markdown report.
    Markdown,
    /// JSON document.
    Json,
    /// SARIF 2.1.0 (code-scanning dashboards).
    Sarif,
    /// CSV, one row per item.
    Csv,
}

impl ExportFormat {
    /// Every format, in the order menus list them.
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Markdown,
        ExportFormat::Json,
        ExportFormat::Sarif,
        ExportFormat::Csv,
    ];

    /// The file extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Markdown => "md",
            ExportFormat::Json => "json",
            ExportFormat::Sarif => "sarif",
            ExportFormat::Csv => "csv",
        }
    }

    /// What it is for, in one line.
    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Markdown => "Markdown: a report for the ticket or the post-incident review",
            ExportFormat::Json => "JSON: the whole evidence, for tools",
            ExportFormat::Sarif => "SARIF 2.1.0: code-scanning dashboards",
            ExportFormat::Csv => "CSV: one row per item, for spreadsheets",
        }
    }
}

/// One decided item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemEvidence {
    /// The item.
    pub item: ItemRef,
    /// The decision in effect (`approve`, `adopt`, `revert`; `withdrawn` when all were withdrawn).
    pub decision: String,
    /// The item's status by the journal alone (see [`super::status::from_journal`]).
    pub status: crate::model::Status,
    /// When it was decided (the decision in effect).
    pub decided_at: String,
    /// Who decided (approver for approvals).
    pub decided_by: String,
    /// Reason.
    pub reason: Option<String>,
    /// Ticket.
    pub ticket: Option<String>,
    /// Approval expiry.
    pub expires: Option<String>,
    /// Desired and live (masked).
    pub changes: Vec<ChangeSnapshot>,
    /// CloudTrail attribution.
    pub attribution: Option<AttributionSummary>,
    /// Report time.
    pub report_time: Option<String>,
    /// Outcome of an executed revert (`converged`, `not-converged`, `failed`).
    pub remediation: Option<String>,
    /// Hours from the change (or report) to the first decision.
    pub time_to_decision_hours: Option<f64>,
    /// Journal sequence numbers about this item.
    pub journal_seqs: Vec<u64>,
}

/// Time-to-decision figures for one severity.
#[derive(Debug, Clone, Serialize)]
pub struct SeverityStats {
    /// Severity.
    pub severity: Severity,
    /// Items decided.
    pub decided: usize,
    /// Items with a measurable time to decision.
    pub measured: usize,
    /// Median hours.
    pub median_hours: Option<f64>,
    /// Worst hours.
    pub worst_hours: Option<f64>,
    /// Target hours (24 security-relevant, 168 operational).
    pub target_hours: f64,
    /// Items decided within the target.
    pub within_target: usize,
}

/// Entries signed by one key (the key embedded in each valid signature; who owns it is for
/// `journal verify --allowed-signers` to say).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SignedBy {
    /// `SHA256:…` fingerprint.
    pub fingerprint: String,
    /// Entries with a valid signature by this key.
    pub entries: usize,
}

/// The whole export.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Journal entries read.
    pub entries: usize,
    /// The journal head (`SEQ:HASH`) the export was made from: keep it to detect later rewrites.
    pub journal_head: String,
    /// Which keys signed entries, and how many.
    pub signed_by: Vec<SignedBy>,
    /// Entries without a signature.
    pub unsigned_entries: usize,
    /// Entries whose signature does not verify.
    pub invalid_signatures: usize,
    /// Per item.
    pub items: Vec<ItemEvidence>,
    /// Per severity, most severe first.
    pub time_to_decision: Vec<SeverityStats>,
}

fn parse(t: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(t, &Rfc3339).ok()
}

/// Target hours for a severity.
pub fn target_hours(s: Severity) -> f64 {
    if s >= Severity::High { 24.0 } else { 168.0 }
}

/// Builds the evidence from journal entries.
pub fn build(entries: &[JournalEntry]) -> Evidence {
    let now = OffsetDateTime::now_utc();
    let effective: Vec<u64> = super::effective(entries).iter().map(|e| e.seq).collect();
    let mut by_item: BTreeMap<String, Vec<&JournalEntry>> = BTreeMap::new();
    for e in entries {
        by_item.entry(e.item.id.clone()).or_default().push(e);
    }
    let mut items = Vec::new();
    for es in by_item.values() {
        let decided: Vec<&&JournalEntry> = es
            .iter()
            .filter(|e| {
                matches!(
                    e.decision,
                    DecisionKind::Approve | DecisionKind::Adopt | DecisionKind::Revert
                )
            })
            .collect();
        let Some(first) = decided.first() else { continue };
        let current = decided.iter().rev().find(|e| effective.contains(&e.seq));
        let shown = current.unwrap_or(first);
        let attribution = es.iter().rev().find_map(|e| e.evidence.attribution.clone());
        let report_time = shown.evidence.report_time.clone();
        let start = attribution
            .as_ref()
            .and_then(|a| parse(&a.event_time))
            .or_else(|| report_time.as_deref().and_then(parse));
        let ttd = match (start, first.timestamp()) {
            (Some(s), Some(d)) => Some(((d - s).whole_seconds() as f64 / 3600.0).max(0.0)),
            _ => None,
        };
        let remediation = es
            .iter()
            .rev()
            .find(|e| e.decision == DecisionKind::RevertOutcome)
            .and_then(|e| e.params.get("result").and_then(Value::as_str).map(str::to_string));
        items.push(ItemEvidence {
            item: shown.item.clone(),
            decision: current.map_or_else(|| "withdrawn".to_string(), |e| e.decision.as_str().to_string()),
            status: super::status::from_journal(es, now),
            decided_at: shown.time.clone(),
            decided_by: shown.actor.name.clone(),
            reason: shown.reason.clone(),
            ticket: shown.ticket.clone(),
            expires: shown
                .params
                .get("expires")
                .and_then(Value::as_str)
                .map(str::to_string),
            changes: shown.evidence.changes.clone(),
            attribution,
            report_time,
            remediation,
            time_to_decision_hours: ttd,
            journal_seqs: es.iter().map(|e| e.seq).collect(),
        });
    }
    items.sort_by(|a, b| {
        b.item
            .severity
            .cmp(&a.item.severity)
            .then(a.item.address.cmp(&b.item.address))
    });
    let time_to_decision = Severity::ALL_DESC
        .iter()
        .map(|s| {
            let of: Vec<&ItemEvidence> = items.iter().filter(|i| i.item.severity == *s).collect();
            let mut hours: Vec<f64> = of.iter().filter_map(|i| i.time_to_decision_hours).collect();
            hours.sort_by(f64::total_cmp);
            let median = if hours.is_empty() {
                None
            } else if hours.len() % 2 == 1 {
                Some(hours[hours.len() / 2])
            } else {
                Some(f64::midpoint(hours[hours.len() / 2 - 1], hours[hours.len() / 2]))
            };
            let target = target_hours(*s);
            SeverityStats {
                severity: *s,
                decided: of.len(),
                measured: hours.len(),
                median_hours: median,
                worst_hours: hours.last().copied(),
                target_hours: target,
                within_target: hours.iter().filter(|h| **h < target).count(),
            }
        })
        .collect();
    let mut signed_by: Vec<SignedBy> = Vec::new();
    let (mut unsigned_entries, mut invalid_signatures) = (0, 0);
    for e in entries {
        match e
            .signature
            .as_deref()
            .map(|s| super::signing::verify_signature(s, &e.hash))
        {
            None => unsigned_entries += 1,
            Some(Err(_)) => invalid_signatures += 1,
            Some(Ok(c)) => match signed_by.iter_mut().find(|k| k.fingerprint == c.fingerprint) {
                Some(k) => k.entries += 1,
                None => signed_by.push(SignedBy {
                    fingerprint: c.fingerprint,
                    entries: 1,
                }),
            },
        }
    }
    Evidence {
        entries: entries.len(),
        journal_head: entries
            .last()
            .map_or_else(super::JournalHead::empty, JournalEntry::head)
            .to_string(),
        signed_by,
        unsigned_entries,
        invalid_signatures,
        items,
        time_to_decision,
    }
}

fn hours(h: Option<f64>) -> String {
    h.map_or_else(|| "-".to_string(), |h| format!("{h:.1} h"))
}

fn val(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(absent)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn md_cell(s: &str) -> String {
    sanitize(s).replace('|', "\\|")
}

fn markdown(ev: &Evidence) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Drift decisions: evidence\n");
    let _ = writeln!(
        o,
        "{} journal entries, {} decided items.\n",
        ev.entries,
        ev.items.len()
    );
    let _ = writeln!(
        o,
        "Journal head: `{}` (check later with `driftdeck journal verify --head {}`).\n",
        ev.journal_head, ev.journal_head
    );
    if !ev.signed_by.is_empty() || ev.invalid_signatures > 0 {
        let keys: Vec<String> = ev
            .signed_by
            .iter()
            .map(|k| format!("`{}` ({} entries)", k.fingerprint, k.entries))
            .collect();
        let _ = writeln!(
            o,
            "Signed by: {}; unsigned entries: {}; invalid signatures: {}.\n",
            keys.join(", "),
            ev.unsigned_entries,
            ev.invalid_signatures
        );
    }
    let _ = writeln!(o, "## Time to decision\n");
    let _ = writeln!(
        o,
        "| severity | decided | median | worst | target | within target |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    for s in &ev.time_to_decision {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | < {} h | {}/{} |",
            s.severity,
            s.decided,
            hours(s.median_hours),
            hours(s.worst_hours),
            s.target_hours,
            s.within_target,
            s.measured
        );
    }
    let _ = writeln!(o, "\n## Items\n");
    for i in &ev.items {
        let _ = writeln!(
            o,
            "### {} ({}, {})\n",
            md_cell(&i.item.address),
            i.item.severity,
            i.item.kind
        );
        let _ = writeln!(
            o,
            "- decision: **{}** by {} at {} (status: {})",
            i.decision,
            md_cell(&i.decided_by),
            i.decided_at,
            i.status
        );
        let _ = writeln!(o, "- reason: {}", md_cell(i.reason.as_deref().unwrap_or("-")));
        let _ = writeln!(o, "- ticket: {}", md_cell(i.ticket.as_deref().unwrap_or("-")));
        if let Some(e) = &i.expires {
            let _ = writeln!(o, "- expires: {e}");
        }
        if !i.item.controls.is_empty() {
            let _ = writeln!(o, "- controls: {}", md_cell(&i.item.controls.join(", ")));
        }
        for w in &*i.item.why {
            let _ = writeln!(o, "- why: {}", md_cell(w));
        }
        if let Some(a) = &i.attribution {
            let _ = writeln!(
                o,
                "- changed by: {} ({}, event {} at {}{}{})",
                md_cell(&a.actor),
                md_cell(&a.event_name),
                md_cell(&a.event_id),
                md_cell(&a.event_time),
                a.tool
                    .as_deref()
                    .map(|t| format!(", {}", md_cell(t)))
                    .unwrap_or_default(),
                if a.out_of_band { ", out of band" } else { "" }
            );
        }
        if let Some(r) = &i.remediation {
            let _ = writeln!(o, "- remediation: {r}");
        }
        let _ = writeln!(o, "- time to decision: {}", hours(i.time_to_decision_hours));
        if !i.changes.is_empty() {
            let _ = writeln!(o, "\n| attribute | desired | live |\n|---|---|---|");
            for c in &i.changes {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    md_cell(&c.path),
                    md_cell(&val(c.desired.as_ref())),
                    md_cell(&val(c.live.as_ref()))
                );
            }
        }
        let _ = writeln!(o);
    }
    o
}

fn csv_field(s: &str) -> String {
    let s = sanitize(s).into_owned();
    // A leading = + - @ would run as a formula in a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s
    };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv(ev: &Evidence) -> String {
    let mut o = String::from(
        "address,id,kind,severity,controls,why,decision,status,decided_at,decided_by,reason,ticket,expires,changed_by,event_name,event_id,event_time,remediation,time_to_decision_hours,changes\n",
    );
    for i in &ev.items {
        let a = i.attribution.as_ref();
        let changes = i
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{}: {} -> {}",
                    c.path,
                    val(c.desired.as_ref()),
                    val(c.live.as_ref())
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let row = [
            i.item.address.clone(),
            i.item.id.clone(),
            i.item.kind.to_string(),
            i.item.severity.to_string(),
            i.item.controls.join(" "),
            i.item.why.join("; "),
            i.decision.clone(),
            i.status.to_string(),
            i.decided_at.clone(),
            i.decided_by.clone(),
            i.reason.clone().unwrap_or_default(),
            i.ticket.clone().unwrap_or_default(),
            i.expires.clone().unwrap_or_default(),
            a.map(|a| a.actor.clone()).unwrap_or_default(),
            a.map(|a| a.event_name.clone()).unwrap_or_default(),
            a.map(|a| a.event_id.clone()).unwrap_or_default(),
            a.map(|a| a.event_time.clone()).unwrap_or_default(),
            i.remediation.clone().unwrap_or_default(),
            i.time_to_decision_hours
                .map(|h| format!("{h:.2}"))
                .unwrap_or_default(),
            changes,
        ];
        o.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        o.push('\n');
    }
    o
}

fn sarif(ev: &Evidence) -> Value {
    let results: Vec<Value> = ev
        .items
        .iter()
        .map(|i| {
            let level = match i.item.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low => "note",
            };
            json!({
                "ruleId": format!("drift/{}", i.item.kind),
                "level": level,
                "message": {"text": format!(
                    "{} drifted ({}); decision: {} by {}{}",
                    i.item.address, i.item.why.join("; "), i.decision, i.decided_by,
                    i.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                )},
                "locations": [{"logicalLocations": [{"fullyQualifiedName": i.item.address, "kind": "resource"}]}],
                "properties": serde_json::to_value(i).unwrap_or(Value::Null),
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "driftdeck",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": [
                    {"id": "drift/modified", "shortDescription": {"text": "Resource modified outside the IaC"}},
                    {"id": "drift/deleted", "shortDescription": {"text": "Managed resource deleted outside the IaC"}},
                    {"id": "drift/unmanaged", "shortDescription": {"text": "Resource not managed by any IaC"}}
                ]
            }},
            "results": results,
            "properties": {
                "timeToDecision": ev.time_to_decision,
                "journalHead": ev.journal_head,
                "signedBy": ev.signed_by,
                "unsignedEntries": ev.unsigned_entries,
                "invalidSignatures": ev.invalid_signatures,
            },
        }]
    })
}

/// Renders the evidence of `entries` in `format`.
pub fn export(entries: &[JournalEntry], format: ExportFormat) -> String {
    let ev = build(entries);
    match format {
        ExportFormat::Markdown => markdown(&ev),
        ExportFormat::Csv => csv(&ev),
        ExportFormat::Json => serde_json::to_string_pretty(&ev).unwrap_or_default() + "\n",
        ExportFormat::Sarif => serde_json::to_string_pretty(&sarif(&ev)).unwrap_or_default() + "\n",
    }
}

/// [`export`], made safe to print or hand around: the journal holds outside text (addresses,
/// reasons, attribution), so escapes never survive into the document, and JSON documents keep
/// the same data with those characters written as `\u` escapes. The CLI and the TUI both write
/// this.
pub fn export_safe(entries: &[JournalEntry], format: ExportFormat) -> String {
    let doc = export(entries, format);
    match format {
        ExportFormat::Json | ExportFormat::Sarif => crate::text::json_safe(&doc).into_owned(),
        ExportFormat::Markdown | ExportFormat::Csv => crate::text::sanitize_document(&doc).into_owned(),
    }
}

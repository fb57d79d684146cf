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

/// Writes [`list_json`] as pretty JSON made safe for a terminal ([`crate::text::json_safe`]):
/// the same bytes as `serde_json::to_writer_pretty` through a [`crate::text::JsonSafeWriter`],
/// but the items (nearly all of the text) are serialised on the cores, a batch at a time, so the
/// document is never held whole.
pub fn write_list_json(report: &DriftReport, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut doc = list_json(report);
    let items = std::mem::take(&mut doc.items);
    // The document around the items, with `"items": []` where they go.
    let frame = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
    let (head, tail) = match frame
        .match_indices(ITEMS_HOLE)
        .map(|(at, _)| at)
        .collect::<Vec<_>>()[..]
    {
        // The key at the top level is the only place the text can occur unescaped.
        [at] if !items.is_empty() => frame.split_at(at + ITEMS_HOLE.len() - 1),
        _ => {
            doc.items = items;
            let mut w =
                std::io::BufWriter::with_capacity(1 << 16, crate::text::JsonSafeWriter::new(&mut *out));
            serde_json::to_writer_pretty(&mut w, &doc)?;
            w.into_inner()
                .map_err(std::io::IntoInnerError::into_error)?
                .finish()?;
            return Ok(());
        }
    };
    out.write_all(crate::text::json_safe(head).as_bytes())?;
    let mut text = Vec::new();
    for (n, batch) in items.chunks(ITEMS_BATCH).enumerate() {
        let threads = crate::par::threads_for(batch.len());
        let mut parts = batch.chunks(batch.len().div_ceil(threads));
        let mine = parts.next().unwrap_or_default();
        std::thread::scope(|scope| {
            let others: Vec<_> = parts
                .map(|part| scope.spawn(move || pretty_items(part)))
                .collect();
            // This thread's part, the batch's first, is written as it is made: only the
            // other parts are held as text.
            for (k, item) in mine.iter().enumerate() {
                text.clear();
                text.extend_from_slice(if n == 0 && k == 0 { b"\n    " } else { b",\n    " });
                pretty_item(item, &mut text)?;
                out.write_all(&text)?;
            }
            for part in others {
                let blocks = part.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
                for block in blocks {
                    out.write_all(&block)?;
                }
            }
            Ok::<_, std::io::Error>(())
        })?;
    }
    out.write_all(b"\n  ")?;
    out.write_all(crate::text::json_safe(tail).as_bytes())
}

/// Where the items go in the pretty frame of a [`ListJson`] without them.
const ITEMS_HOLE: &str = "\n  \"items\": []";

/// Items serialised per batch (a batch is shared out over the cores; all but its first part are
/// held as text until written). With 4,096 the batch texts raised `list`'s peak RSS 9 MB above
/// `check`'s on the 20k drift-dense plan; 1,024 keeps them under 1 MB per core at the same speed
/// (256 was slower: a fork and join per batch).
const ITEMS_BATCH: usize = 1024;

/// Bytes of text per block of [`pretty_items`].
const TEXT_BLOCK: usize = 64 << 10;

/// Items as they stand in the pretty document (two levels in), each after its `,` and line
/// break, made safe as they are written ([`crate::pretty::Pretty`]). Held in blocks of about
/// [`TEXT_BLOCK`] bytes, not one buffer: a buffer outgrowing its first guess is copied to one
/// twice its size, and on the 20k plan the first batch's buffers (both sizes at once) were
/// 2.3 MB of `list`'s peak above `check`'s.
fn pretty_items(items: &[&DriftItem]) -> std::io::Result<Vec<Vec<u8>>> {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for item in items {
        let block = match blocks.last_mut() {
            Some(b) if b.len() < TEXT_BLOCK * 7 / 8 => b,
            _ => {
                blocks.push(Vec::with_capacity(TEXT_BLOCK));
                blocks.last_mut().expect("just pushed")
            }
        };
        block.extend_from_slice(b",\n    ");
        pretty_item(item, block)?;
    }
    Ok(blocks)
}

/// One item as it stands in the pretty document, two levels in (as serde's own serializer is
/// when it reaches an item of `items`).
fn pretty_item(item: &DriftItem, text: &mut Vec<u8>) -> std::io::Result<()> {
    item.serialize(&mut crate::pretty::Pretty::at_level(text, 2))
        .map_err(std::io::Error::other)
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

    /// An item with nothing set but its address and type.
    fn bucket() -> DriftItem {
        DriftItem::new(
            "id".to_string(),
            "aws_s3_bucket.b".to_string(),
            "aws_s3_bucket".to_string(),
            "plan.json",
            Format::TerraformPlan,
            Kind::Modified,
        )
    }

    /// The list document as one pretty serialisation streamed through the escaping writer: what
    /// [`write_list_json`] must give byte for byte.
    fn streamed(report: &DriftReport) -> String {
        let mut streamed = Vec::new();
        let mut w = crate::text::JsonSafeWriter::new(&mut streamed);
        serde_json::to_writer_pretty(&mut w, &list_json(report)).expect("serialises");
        w.finish().expect("flushes");
        String::from_utf8(streamed).expect("UTF-8")
    }

    /// Any JSON value, strings drawn from what JSON escapes, what `json_safe` escapes (DEL, C1,
    /// bidi, zero-width, U+2028) and what neither does.
    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a\"\\\\\n\t\u{1}\u{7f}\u{85}\u{202e}\u{200b}\u{2028}\u{e9}\u{1f600} ]{0,12}"
                .prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a\u{202e}\"]{0,3}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Written item by item by [`crate::pretty::Pretty`], any change values and any reasons
        /// give the bytes of the streamed document.
        #[test]
        fn written_items_are_the_streamed_document(
            values in prop::collection::vec((json_value(), json_value()), 1..4),
            why in "[a\u{2192}\u{85}\u{200b}]{0,6}",
        ) {
            let mut item = bucket();
            item.why = std::sync::Arc::from(vec![why]);
            item.changes = values
                .into_iter()
                .enumerate()
                .map(|(n, (d, l))| {
                    crate::model::Change::plain(crate::model::AttrPath(vec![crate::model::Step::Key(format!("k{n}\u{202e}"))]), Some(d), Some(l))
                })
                .collect();
            let report = DriftReport { items: vec![item], ..DriftReport::default() };
            let mut written = Vec::new();
            write_list_json(&report, &mut written).expect("writes");
            prop_assert_eq!(String::from_utf8(written).expect("UTF-8"), streamed(&report));
        }
    }

    /// Nesting past the serializer's one-slice indentation (31 levels) is indented as serde does.
    #[test]
    fn deep_values_are_indented_as_serde_indents_them() {
        let mut deep = serde_json::json!("leaf");
        for n in 0..40 {
            deep = if n % 2 == 0 {
                serde_json::json!([deep, 1])
            } else {
                serde_json::json!({ "k": deep })
            };
        }
        let mut item = bucket();
        item.changes = vec![crate::model::Change::plain(
            crate::model::AttrPath::root(),
            Some(deep),
            None,
        )];
        let report = DriftReport {
            items: vec![item],
            ..DriftReport::default()
        };
        let mut written = Vec::new();
        write_list_json(&report, &mut written).expect("writes");
        assert_eq!(String::from_utf8(written).expect("UTF-8"), streamed(&report));
    }

    /// The items serialised on the cores give exactly the bytes of one pretty serialisation
    /// streamed through the escaping writer: over several batches, with characters to escape in
    /// some items (a bidi override, a C1 control) and not others, and with no items at all.
    #[test]
    fn list_json_written_in_batches_is_the_streamed_document() {
        for n in [
            0,
            1,
            3,
            ITEMS_BATCH + 5,
            2 * ITEMS_BATCH + crate::par::PARALLEL_MIN,
        ] {
            let items: Vec<DriftItem> = (0..n)
                .map(|k| {
                    let odd = match k % 3 {
                        0 => "\u{202e}txt.exe",
                        1 => "plain",
                        _ => "c1\u{85}é",
                    };
                    let mut i = DriftItem::new(
                        format!("id{k}"),
                        format!("aws_s3_bucket.b{k}_{odd}"),
                        "aws_s3_bucket".to_string(),
                        "plan \u{200b}.json",
                        Format::TerraformPlan,
                        Kind::Modified,
                    );
                    i.why = std::sync::Arc::from(vec![format!("why {odd}")]);
                    i
                })
                .collect();
            let report = DriftReport {
                items,
                ..DriftReport::default()
            };
            let mut streamed = Vec::new();
            let mut w = crate::text::JsonSafeWriter::new(&mut streamed);
            serde_json::to_writer_pretty(&mut w, &list_json(&report)).expect("serialises");
            w.finish().expect("flushes");
            let mut batched = Vec::new();
            write_list_json(&report, &mut batched).expect("writes");
            assert_eq!(
                String::from_utf8_lossy(&batched),
                String::from_utf8_lossy(&streamed),
                "{n} items"
            );
            assert!(n == 0 || !String::from_utf8_lossy(&batched).contains('\u{202e}'));
        }
    }

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

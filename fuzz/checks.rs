//! What each fuzz target checks on one input, shared by the libFuzzer targets
//! (`fuzz/fuzz_targets/*`) and by the stable replay of the seeds and of every input a fuzzer
//! ever crashed on (`tests/fuzz_regressions.rs`). Each function panics on a finding: a panic
//! inside driftdeck, or a broken promise (a sensitive value left in plaintext, a report that
//! loads without being detected, approvals that do not read back).
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use driftdeck::attribution::archive::{ArchiveOptions, events_from_bytes};
use driftdeck::classify::Taxonomy;
use driftdeck::decide::approvals::{ApprovalPolicy, Approvals};
use driftdeck::ingest::{Input, detect_format, load_as, load_inputs};
use driftdeck::model::{AttrPath, Change, DriftItem, DriftReport, Format, Kind, MASK, UNKNOWN};
use driftdeck::tui::filter::{Subject, haystack, parse};

/// The default taxonomy, compiled once (per input it made every run a glob compile).
fn taxonomy() -> Option<&'static Taxonomy> {
    static TAXONOMY: OnceLock<Option<Taxonomy>> = OnceLock::new();
    TAXONOMY.get_or_init(|| Taxonomy::defaults().ok()).as_ref()
}

fn input(data: &[u8]) -> Input {
    Input {
        path: "fuzz.json".into(),
        bytes: data.to_vec(),
    }
}

/// Nothing marked sensitive keeps a plaintext value. (A live value Terraform does not know yet
/// is shown as the placeholder [`UNKNOWN`] beside a masked desired one: no value at all.)
fn assert_masked(report: &DriftReport) {
    for item in &report.items {
        for c in item.changes.iter().filter(|c| c.sensitive) {
            for v in [&*c.desired, &*c.live].into_iter().flatten() {
                let placeholder = v.as_str() == Some(UNKNOWN);
                assert!(
                    placeholder || v.to_string().contains(MASK),
                    "sensitive value not masked: {v}"
                );
            }
        }
    }
}

/// One loader on its own (no detection): a report or an error, masked.
pub fn ingest_as(data: &[u8], format: Format) {
    let Some(taxonomy) = taxonomy() else { return };
    if let Ok(report) = load_as(&input(data), format, taxonomy) {
        assert_masked(&report);
    }
}

/// Detection plus the loader it picks, as `list` runs it: a report that loads was detected.
/// And the quick read of a drift-only plan (`Envelope::scan`, taken by `load_inputs`) ends as
/// the full read does (`load_as` always reads in full): the same error, or the same items.
pub fn ingest_detect(data: &[u8]) {
    let Some(taxonomy) = taxonomy() else { return };
    let detected = detect_format("fuzz.json", data);
    let loaded = load_inputs(&[input(data)], taxonomy);
    if let Ok(report) = &loaded {
        assert!(detected.is_ok());
        assert_masked(report);
    }
    if let Ok(format) = detected {
        let full = load_as(&input(data), format, taxonomy);
        let items = |r: &DriftReport| -> Vec<(String, String, usize)> {
            r.items
                .iter()
                .map(|i| (i.address.clone(), format!("{:?}", i.severity), i.changes.len()))
                .collect()
        };
        match (&loaded, &full) {
            (Ok(quick), Ok(full)) => assert_eq!(items(quick), items(full), "the quick and full reads differ"),
            (Err(quick), Err(full)) => assert_eq!(quick.to_string(), full.to_string()),
            (quick, full) => panic!(
                "the quick and full reads disagree: {:?} / {:?}",
                quick.as_ref().map(|r| r.items.len()).map_err(ToString::to_string),
                full.as_ref().map(|r| r.items.len()).map_err(ToString::to_string)
            ),
        }
    }
}

/// One hostile CloudTrail log file (the first byte picks plain, gzipped, raw `.gz` or NDJSON)
/// through the `--cloudtrail-logs` reader: an error or events, never a panic or a hang.
pub fn cloudtrail_records(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let opts = ArchiveOptions {
        max_file_bytes: 4 * 1024 * 1024,
    };
    let gz;
    let (name, bytes) = match mode % 4 {
        0 => ("x.json", body),
        1 => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            if enc.write_all(body).is_err() {
                return;
            }
            let Ok(b) = enc.finish() else { return };
            gz = b;
            ("x.json.gz", gz.as_slice())
        }
        2 => ("x.json.gz", body),
        _ => ("x.jsonl", body),
    };
    if let Ok(parsed) = events_from_bytes(bytes, name, opts) {
        assert!(parsed.bad.len() <= parsed.bad_count);
    }
}

/// The approvals file (committed, reviewed, so outside input): any text loads or gives an error
/// naming the file; what loads writes back and parses again.
pub fn approvals(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("approvals.toml");
    let policy = ApprovalPolicy::default();
    let now = time::OffsetDateTime::now_utc();
    let Ok(approvals) = Approvals::parse(text, path, &policy, now) else {
        return;
    };
    for a in &approvals.approvals {
        let _ = a.is_expired(now);
    }
    let Ok(written) = approvals.to_toml() else { return };
    assert!(
        Approvals::parse(&written, path, &policy, now).is_ok(),
        "written approvals do not parse again: {written}"
    );
}

/// The `/` filter language, parsed and evaluated on an item.
pub fn tui_filter(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let Ok(filter) = parse(s) else { return };
    let mut item = DriftItem::new(
        "id-1".into(),
        "module.app[\"eu\"].aws_security_group.web".into(),
        "aws_security_group".into(),
        "fuzz.json",
        Format::TerraformPlan,
        Kind::Modified,
    );
    let value = |s: &str| serde_json::from_str(s).unwrap_or_default();
    item.changes.push(Change::plain(
        AttrPath::keys(["ingress"]),
        Some(value("[]")),
        Some(value("[{\"cidr_blocks\":[\"0.0.0.0/0\"]}]")),
    ));
    let hay = haystack(&item);
    let _ = filter.matches(&Subject::new(&item, &hay));
    let _ = filter.uses_attribution();
}

/// The check of the target named `target`, for the replay.
pub fn by_name(target: &str) -> Option<fn(&[u8])> {
    Some(match target {
        "ingest_terraform" => |d| ingest_as(d, Format::TerraformPlan),
        "ingest_driftctl" => |d| ingest_as(d, Format::Driftctl),
        "ingest_cloudformation" => |d| ingest_as(d, Format::Cloudformation),
        "ingest_detect" => ingest_detect,
        "cloudtrail_records" => cloudtrail_records,
        "approvals" => approvals,
        "tui_filter" => tui_filter,
        _ => return None,
    })
}

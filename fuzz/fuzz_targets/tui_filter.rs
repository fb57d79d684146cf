//! The TUI's `/` filter language: any text parses or gives an error, and a parsed filter
//! evaluates against an item without panicking.
#![no_main]

use driftdeck::model::{AttrPath, Change, DriftItem, Format, Kind};
use driftdeck::tui::filter::{Subject, haystack, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
    item.changes.push(Change::plain(
        AttrPath::keys(["ingress"]),
        Some(serde_json_value("[]")),
        Some(serde_json_value("[{\"cidr_blocks\":[\"0.0.0.0/0\"]}]")),
    ));
    let hay = haystack(&item);
    let _ = filter.matches(&Subject::new(&item, &hay));
    let _ = filter.uses_attribution();
});

fn serde_json_value(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_default()
}

//! The cloudformation loader on its own (no format detection): any bytes give a report or an error, never
//! a panic, and nothing marked sensitive keeps a plaintext value.
#![no_main]

use std::sync::OnceLock;

use driftdeck::classify::Taxonomy;
use driftdeck::ingest::{Input, load_as};
use driftdeck::model::{Format, MASK};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Compiled once: building the rules per input made every run a glob compile.
    static TAXONOMY: OnceLock<Option<Taxonomy>> = OnceLock::new();
    let Some(taxonomy) = TAXONOMY.get_or_init(|| Taxonomy::defaults().ok()) else { return };
    let input = Input {
        path: "fuzz.json".into(),
        bytes: data.to_vec(),
    };
    if let Ok(report) = load_as(&input, Format::Cloudformation, taxonomy) {
        for item in &report.items {
            for c in item.changes.iter().filter(|c| c.sensitive) {
                for v in [&c.desired, &c.live].into_iter().flatten() {
                    assert!(v.to_string().contains(MASK), "sensitive value not masked: {v}");
                }
            }
        }
    }
});

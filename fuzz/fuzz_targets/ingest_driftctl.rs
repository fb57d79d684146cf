//! The driftctl loader on its own (no format detection): any bytes give a report or an error, never
//! a panic, and nothing marked sensitive keeps a plaintext value.
#![no_main]

use driftdeck::classify::Taxonomy;
use driftdeck::ingest::{Input, load_as};
use driftdeck::model::{Format, MASK};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(taxonomy) = Taxonomy::defaults() else { return };
    let input = Input {
        path: "fuzz.json".into(),
        bytes: data.to_vec(),
    };
    if let Ok(report) = load_as(&input, Format::Driftctl, &taxonomy) {
        for item in &report.items {
            for c in item.changes.iter().filter(|c| c.sensitive) {
                for v in [&c.desired, &c.live].into_iter().flatten() {
                    assert!(v.to_string().contains(MASK), "sensitive value not masked: {v}");
                }
            }
        }
    }
});

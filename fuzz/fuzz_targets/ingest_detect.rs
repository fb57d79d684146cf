//! Auto-detection plus whichever loader it picks, as `driftdeck list FILE` runs it.
#![no_main]

use std::sync::OnceLock;

use driftdeck::classify::Taxonomy;
use driftdeck::ingest::{Input, detect_format, load_inputs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Compiled once: building the rules per input made every run a glob compile.
    static TAXONOMY: OnceLock<Option<Taxonomy>> = OnceLock::new();
    let Some(taxonomy) = TAXONOMY.get_or_init(|| Taxonomy::defaults().ok()) else { return };
    let detected = detect_format("fuzz.json", data);
    let input = Input {
        path: "fuzz.json".into(),
        bytes: data.to_vec(),
    };
    let loaded = load_inputs(&[input], taxonomy);
    // A report that loads was detected first.
    if loaded.is_ok() {
        assert!(detected.is_ok());
    }
});

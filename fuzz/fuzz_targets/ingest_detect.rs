//! Format detection plus the loader it picks, as `list` runs it; what is checked is in `fuzz/checks.rs`, shared with the stable replay
//! of seeds and past crashes (`tests/fuzz_regressions.rs`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::ingest_detect(data));

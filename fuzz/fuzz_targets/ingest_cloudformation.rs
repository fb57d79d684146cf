//! The CloudFormation loader on its own (no format detection); what is checked is in `fuzz/checks.rs`, shared with the stable replay
//! of seeds and past crashes (`tests/fuzz_regressions.rs`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| checks::ingest_as(data, driftdeck::model::Format::Cloudformation));

//! The CloudTrail log reader (`--cloudtrail-logs DIR`) on one hostile buffer, through
//! `archive::events_from_bytes`: the first byte picks the file name it is read as (plain JSON,
//! `.json.gz` with the rest gzipped first so the record stream sees fuzzed content, raw bytes
//! as `.json.gz`, JSON Lines), with a small size cap so decompression bombs are cut short.
#![no_main]

use std::io::Write;

use driftdeck::attribution::archive::{ArchiveOptions, events_from_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else { return };
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
    // Malformed input is an error or a list of bad records; only a panic or a hang is a finding.
    if let Ok(parsed) = events_from_bytes(bytes, name, opts) {
        assert!(parsed.bad.len() <= parsed.bad_count);
    }
});

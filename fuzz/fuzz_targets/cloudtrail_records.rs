//! The CloudTrail log reader (`--cloudtrail-logs DIR`) on one hostile file: plain JSON when the
//! first byte is even, gzip otherwise (the bytes after it are compressed first, so the
//! decompressor and the record stream both see fuzzed content; odd bytes beyond 1 also feed raw
//! possibly-broken gzip through).
#![no_main]

use std::io::Write;

use driftdeck::attribution::archive::ArchiveSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else { return };
    let Ok(dir) = tempfile::tempdir() else { return };
    let (name, bytes) = match mode % 3 {
        0 => ("123456789012_CloudTrail_eu-west-1_20261201T0000Z_a.json", body.to_vec()),
        1 => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            if gz.write_all(body).is_err() {
                return;
            }
            let Ok(b) = gz.finish() else { return };
            ("123456789012_CloudTrail_eu-west-1_20261201T0000Z_b.json.gz", b)
        }
        _ => ("123456789012_CloudTrail_eu-west-1_20261201T0000Z_c.json.gz", body.to_vec()),
    };
    if std::fs::write(dir.path().join(name), bytes).is_err() {
        return;
    }
    // Malformed files are warnings; only a panic or a hang is a finding.
    let _ = ArchiveSource::open(dir.path());
});

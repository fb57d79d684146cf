//! The approvals file parser (`.driftdeck/approvals.toml`, committed and reviewed, so outside
//! input): any text loads or gives an error; what loads writes back and reloads the same.
#![no_main]

use driftdeck::decide::approvals::Approvals;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("approvals.toml");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let Ok(approvals) = Approvals::load(&path) else { return };
    let now = time::OffsetDateTime::now_utc();
    for a in &approvals.approvals {
        let _ = a.is_expired(now);
    }
    let Ok(text) = approvals.to_toml() else { return };
    let again = dir.path().join("again.toml");
    if std::fs::write(&again, &text).is_err() {
        return;
    }
    let reloaded = Approvals::load(&again);
    assert!(reloaded.is_ok(), "written approvals do not reload: {text}");
});

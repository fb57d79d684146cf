//! The approvals file parser (`.driftdeck/approvals.toml`, committed and reviewed, so outside
//! input), through `Approvals::parse`: any text loads or gives an error naming the file; what
//! loads writes back and parses again.
#![no_main]

use std::path::Path;

use driftdeck::decide::approvals::{ApprovalPolicy, Approvals};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("approvals.toml");
    let policy = ApprovalPolicy::default();
    let now = time::OffsetDateTime::now_utc();
    let Ok(approvals) = Approvals::parse(text, path, &policy, now) else { return };
    for a in &approvals.approvals {
        let _ = a.is_expired(now);
    }
    let Ok(written) = approvals.to_toml() else { return };
    assert!(
        Approvals::parse(&written, path, &policy, now).is_ok(),
        "written approvals do not parse again: {written}"
    );
});

//! Replays, on stable and in every `cargo test`, what the fuzz targets check (`fuzz/checks.rs`)
//! on every seed (`fuzz/seeds/<target>`) and on every input a fuzzer ever crashed on
//! (`fuzz/regressions/<target>`: minimised crashes are committed there once fixed), so a fixed
//! finding can never come back unnoticed.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

const TARGETS: [&str; 7] = [
    "ingest_terraform",
    "ingest_driftctl",
    "ingest_cloudformation",
    "ingest_detect",
    "cloudtrail_records",
    "approvals",
    "tui_filter",
];

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_seed_and_past_crash_passes_its_target_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for target in TARGETS {
        let check = checks::by_name(target).expect("a check per target");
        let seeds = inputs(&root.join("seeds").join(target));
        assert!(!seeds.is_empty(), "{target} has seeds");
        for file in seeds
            .iter()
            .chain(&inputs(&root.join("regressions").join(target)))
        {
            let data = std::fs::read(file).expect("read input");
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target}: {} fails its check", file.display());
            replayed += 1;
        }
    }
    assert!(replayed >= TARGETS.len());
}

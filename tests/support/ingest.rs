//! Shared by the loader and CLI tests: fixtures under `tests/fixtures/ingest`, loading them with
//! the default taxonomy, finding an item, and running the real binary.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use driftdeck::classify::Taxonomy;
use driftdeck::ingest::load_paths;
use driftdeck::model::{DriftItem, DriftReport};

/// The path of a fixture under `tests/fixtures/ingest`.
pub fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ingest")
        .join(name)
        .display()
        .to_string()
}

/// The default taxonomy.
pub fn taxonomy() -> Taxonomy {
    Taxonomy::defaults().expect("default taxonomy compiles")
}

/// Loads one fixture (merged and classified, as the CLI does before noise is hidden).
pub fn load(name: &str) -> DriftReport {
    load_paths(&[fixture(name)], &taxonomy()).expect("fixture loads")
}

/// The item at `address`, or a failure listing the addresses there are.
pub fn item<'a>(r: &'a DriftReport, address: &str) -> &'a DriftItem {
    r.items.iter().find(|i| i.address == address).unwrap_or_else(|| {
        panic!(
            "no item {address}; have {:?}",
            r.items.iter().map(|i| &i.address).collect::<Vec<_>>()
        )
    })
}

/// Runs the binary on `args` with `config_dir` as its configuration directory (no user
/// config unless the test puts one there), no AWS, a fixed actor: exit code, stdout, stderr.
pub fn driftdeck<S: AsRef<OsStr>>(args: &[S], config_dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_driftdeck"))
        .args(args)
        .env("DRIFTDECK_ACTOR", "ci@example.com")
        .env("DRIFTDECK_AWS_IDENTITY", "0")
        .env("DRIFTDECK_CONFIG_DIR", config_dir)
        .env_remove("DRIFTDECK_IAC_DIR")
        .output()
        .expect("run driftdeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs the binary on `args` in a scratch IaC directory `dir` (no journal, no approvals, no
/// user config, no AWS): exit code, stdout, stderr.
pub fn driftdeck_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.extend([OsStr::new("--iac-dir"), dir.as_os_str()]);
    driftdeck(&all, &dir.join("config"))
}

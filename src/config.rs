//! Where driftdeck keeps user configuration and caches (the `directories` conventions), with
//! `DRIFTDECK_CONFIG_DIR` / `DRIFTDECK_CACHE_DIR` overrides for tests and unusual setups.

use std::path::PathBuf;

use directories::ProjectDirs;

fn project() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "driftdeck")
}

/// The user config dir (`~/.config/driftdeck` on Linux), holding `taxonomy.toml`,
/// `keymap.toml`, `theme.toml`, `config.toml`.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DRIFTDECK_CONFIG_DIR").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    project().map(|p| p.config_dir().to_path_buf())
}

/// The cache dir (`~/.cache/driftdeck` on Linux).
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DRIFTDECK_CACHE_DIR").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    project().map(|p| p.cache_dir().to_path_buf())
}

/// The bundled example incident (`assets/demo`): next to the sources for `cargo run`, or
/// beside the executable for an installed copy.
pub fn demo_dir() -> Option<PathBuf> {
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join("demo");
    if built.is_dir() {
        return Some(built);
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .map(|d| d.join("assets").join("demo"))
        .find(|d| d.is_dir())
}

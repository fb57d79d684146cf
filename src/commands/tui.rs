//! `driftdeck REPORT...`, `driftdeck open` and `driftdeck demo`: the interactive TUI.

use std::io::IsTerminal;
use std::process::ExitCode;

use crate::classify::Taxonomy;
use crate::tui::{self, Options};

/// Loads the reports, then runs the TUI until the user quits.
pub fn run(paths: &[String], theme: Option<String>, taxonomy: &Taxonomy) -> anyhow::Result<ExitCode> {
    if paths.is_empty() {
        anyhow::bail!("no reports given: driftdeck REPORT... (or `driftdeck demo`); see --help");
    }
    let report = super::load(paths, taxonomy)?;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the TUI needs a terminal on standard output; use `driftdeck list` for a table or JSON"
        );
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let warnings = tui::run(report, &Options { theme, no_color })?;
    for w in warnings {
        eprintln!("driftdeck: warning: {}", crate::text::sanitize(&w));
    }
    Ok(ExitCode::SUCCESS)
}

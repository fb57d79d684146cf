//! One function per subcommand; each calls the same library functions the TUI uses.

mod attribute;
mod check;
mod list;

use std::process::ExitCode;

use crate::classify::{self, Taxonomy};
use crate::cli::{Cli, Command, OutputFormat};
use crate::model::DriftReport;

/// Exit code for "ran fine, nothing to report" is 0; these are the others.
pub mod exit {
    /// An error (bad input, unreadable file, …).
    pub const ERROR: u8 = 1;
    /// `check` found drift at or above the threshold.
    pub const DRIFT: u8 = 2;
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let taxonomy = load_taxonomy(&cli)?;
    match cli.command {
        Command::List { reports, format } => list::run(&reports.reports, format, &taxonomy),
        Command::Check { reports, fail_on } => check::run(&reports.reports, fail_on.into(), &taxonomy),
        Command::Demo => {
            let reports = demo_reports()?;
            list::run(&reports, OutputFormat::Table, &taxonomy)
        }
        Command::Attribute(args) => attribute::run(&args, &taxonomy),
    }
}

/// The taxonomy for this run; a broken config-dir file is reported and skipped.
pub fn load_taxonomy(cli: &Cli) -> anyhow::Result<Taxonomy> {
    let mut warn = |m: String| eprintln!("driftdeck: warning: {m}");
    Ok(classify::load(cli.taxonomy.as_deref(), &mut warn)?)
}

/// Loads reports (files or `-`), merged and classified.
pub fn load(paths: &[String], taxonomy: &Taxonomy) -> anyhow::Result<DriftReport> {
    Ok(crate::ingest::load_paths(paths, taxonomy)?)
}

/// The report files of the bundled example incident.
pub fn demo_reports() -> anyhow::Result<Vec<String>> {
    let dir = crate::config::demo_dir()
        .ok_or_else(|| anyhow::anyhow!("the bundled example incident (assets/demo) was not found next to the sources or the executable"))?
        .join("reports");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot read the demo reports: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("{}: no demo reports (*.json) found", dir.display());
    }
    Ok(files)
}

//! `driftdeck export`: the evidence of every decision, from the journal.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::ExportFormatArg;
use crate::decide::evidence::{ExportFormat, export_safe};
use crate::decide::{DeciderOptions, Journal};

/// Prints the export.
pub fn run(format: ExportFormatArg, opts: &DeciderOptions) -> anyhow::Result<ExitCode> {
    let path = opts.journal_path();
    if !path.is_file() {
        anyhow::bail!(
            "{}: no journal here (use --journal FILE or --iac-dir DIR)",
            crate::text::sanitize(&path.display().to_string())
        );
    }
    let entries = Journal::read_all(&path)?;
    let f = match format {
        ExportFormatArg::Md => ExportFormat::Markdown,
        ExportFormatArg::Json => ExportFormat::Json,
        ExportFormatArg::Sarif => ExportFormat::Sarif,
        ExportFormatArg::Csv => ExportFormat::Csv,
    };
    let mut out = std::io::stdout().lock();
    out.write_all(export_safe(&entries, f).as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

//! `driftdeck check`: the CI gate, exit codes mirroring `terraform plan -detailed-exitcode`.

use std::io::Write;
use std::process::ExitCode;

use crate::classify::Taxonomy;
use crate::model::Severity;
use crate::output;

/// 0 when nothing at or above `threshold` still needs a decision (approved, adopted and reverted
/// items are ignored, see [`Status::gates`](crate::model::Status::gates)), 2 otherwise.
pub fn run(
    paths: &[String],
    threshold: Severity,
    taxonomy: &Taxonomy,
    opts: &crate::decide::DeciderOptions,
) -> anyhow::Result<ExitCode> {
    let report = super::load(paths, taxonomy, opts)?;
    let failing = report
        .items
        .iter()
        .filter(|i| i.severity >= threshold && i.status.gates())
        .count();
    let mut out = std::io::stdout().lock();
    out.write_all(output::check_summary(&report, threshold, 15).as_bytes())?;
    out.flush()?;
    Ok(if failing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::exit::DRIFT)
    })
}

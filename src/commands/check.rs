//! `driftdeck check`: the CI gate, exit codes mirroring `terraform plan -detailed-exitcode`.

use std::io::Write;
use std::process::ExitCode;

use crate::classify::Taxonomy;
use crate::model::Severity;
use crate::output;

/// 0 when nothing at or above `threshold` still needs a decision (approved, adopted and reverted
/// items are ignored, see [`Status::gates`](crate::model::Status::gates)), 2 otherwise. Fails
/// closed: when no such drift was found but a report is incomplete, 3 (every reason on stdout),
/// unless `allow_incomplete`.
pub fn run(
    reading: crate::ingest::Reading,
    threshold: Severity,
    allow_incomplete: bool,
    taxonomy: &Taxonomy,
    opts: &crate::decide::DeciderOptions,
) -> anyhow::Result<ExitCode> {
    // Noise never gates, whatever --show-noise says.
    let opts = &crate::decide::DeciderOptions {
        show_noise: false,
        ..opts.clone()
    };
    let report = super::load_to_read(reading, taxonomy, opts)?;
    let failing = report
        .items
        .iter()
        .filter(|i| i.severity >= threshold && i.status.gates())
        .count();
    let mut out = std::io::stdout().lock();
    out.write_all(output::check_summary(&report, threshold, 15).as_bytes())?;
    out.flush()?;
    let complete = report.is_complete();
    let incomplete_reports = report.incomplete_reports();
    super::release_at_exit(report);
    if failing > 0 {
        return Ok(ExitCode::from(super::exit::DRIFT));
    }
    if complete {
        return Ok(ExitCode::SUCCESS);
    }
    // The reasons are on stdout (`incomplete:` lines); stderr says why the exit code is 3.
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "driftdeck: drift could not be fully determined from {} report(s) (see `incomplete:` above): exit {}",
        incomplete_reports,
        if allow_incomplete {
            0
        } else {
            super::exit::INCOMPLETE
        }
    )?;
    if allow_incomplete {
        writeln!(err, "driftdeck: --allow-incomplete given")?;
        return Ok(ExitCode::SUCCESS);
    }
    Ok(ExitCode::from(super::exit::INCOMPLETE))
}

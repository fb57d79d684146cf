//! `driftdeck adopt`: print the IaC diff that adopts live values; `--write` applies it.

use std::io::Write;
use std::process::ExitCode;

use crate::classify::Taxonomy;
use crate::cli::CloudTrailArgs;
use crate::decide::{DeciderOptions, DecisionInput};
use crate::text::{sanitize, sanitize_multiline};

/// Prints the diff and notes; with `write`, journals and writes.
#[allow(clippy::too_many_arguments)]
pub fn run(
    report_path: &str,
    address: &str,
    write: bool,
    reason: Option<String>,
    ticket: Option<String>,
    opts: DeciderOptions,
    taxonomy: &Taxonomy,
    cloudtrail: &CloudTrailArgs,
) -> anyhow::Result<ExitCode> {
    let report = super::load(&[report_path.to_string()], taxonomy, &opts)?;
    let item = super::find_item(&report, address)?;
    let mut decider = super::open_decider(DeciderOptions {
        read_only: opts.read_only || !write,
        ..opts
    })?;
    let mut out = std::io::stdout().lock();
    let print =
        |preview: &crate::remediate::adopt::AdoptPreview, out: &mut dyn Write| -> std::io::Result<()> {
            out.write_all(sanitize_multiline(&preview.diff).as_bytes())?;
            for n in &preview.notes {
                writeln!(out, "note: {}", sanitize(&n.to_string()))?;
            }
            if preview.is_empty() {
                writeln!(
                    out,
                    "{}: nothing to write (see the notes)",
                    sanitize(&item.address)
                )?;
            }
            Ok(())
        };
    if !write {
        let preview = decider.adopt_preview(item)?;
        print(&preview, &mut out)?;
        if !preview.is_empty() {
            writeln!(out, "(dry run: nothing was written; use --write to apply)")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let input = DecisionInput {
        reason,
        ticket,
        attribution: super::attribution_summary(cloudtrail, &report, item),
    };
    // Computed, shown, journaled and written under one hold of the store lock, so the diff
    // printed is exactly what is written even while others adopt into the same file.
    let mut shown = Ok(());
    let (preview, entry) = decider.adopt_now(&report, item, &input, &mut |p| shown = print(p, &mut out))?;
    shown?;
    if let Some(entry) = entry {
        for e in &preview.edits {
            writeln!(out, "wrote {}", sanitize(&e.path.display().to_string()))?;
        }
        writeln!(out, "journal entry {}", entry.seq)?;
    }
    Ok(ExitCode::SUCCESS)
}

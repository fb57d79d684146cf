//! `driftdeck list`.

use std::io::Write;
use std::process::ExitCode;

use crate::classify::Taxonomy;
use crate::cli::OutputFormat;
use crate::output;

/// Prints the items of the reports as a table or as the JSON contract.
pub fn run(
    reading: crate::ingest::Reading,
    format: OutputFormat,
    taxonomy: &Taxonomy,
    opts: &crate::decide::DeciderOptions,
) -> anyhow::Result<ExitCode> {
    let report = super::load_to_read(reading, taxonomy, opts)?;
    // Standard output is line-buffered: the pretty JSON of a large report would be one `write`
    // per line (hundreds of thousands). Written in large blocks instead.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match format {
        OutputFormat::Table => out.write_all(output::list_table(&report).as_bytes())?,
        OutputFormat::Json => {
            // serde_json leaves bidi, zero-width and C1 characters raw: escaped as JSON.
            output::write_list_json(&report, &mut out)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    super::release_at_exit(report);
    Ok(ExitCode::SUCCESS)
}

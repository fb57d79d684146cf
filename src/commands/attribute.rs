//! `driftdeck attribute`: find the CloudTrail event behind each drifted item.

use std::process::ExitCode;

use crate::attribution::{Setup, SourceChoice, view};
use crate::classify::Taxonomy;
use crate::cli::{AttributeArgs, CloudTrailArgs, OutputFormat};

/// The attribution setup the flags ask for: exported logs, a Lake store, or live
/// `LookupEvents`.
pub fn setup(args: &CloudTrailArgs) -> Setup {
    let choice = match (&args.cloudtrail_logs, &args.event_data_store) {
        (Some(dir), _) => SourceChoice::Archive(dir.clone()),
        (None, Some(arn)) => SourceChoice::Lake(arn.clone()),
        (None, None) => SourceChoice::Live,
    };
    Setup {
        choice,
        profile: args.profile.clone(),
        region: args.region.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
    }
}

/// Runs the subcommand.
pub fn run(
    args: &AttributeArgs,
    taxonomy: &Taxonomy,
    opts: &crate::decide::DeciderOptions,
) -> anyhow::Result<ExitCode> {
    let report = super::load(&args.reports.reports, taxonomy, opts)?;
    let setup = setup(&args.cloudtrail);
    let rt = tokio::runtime::Runtime::new()?;
    let results = rt.block_on(async {
        let engine = setup.engine(&report).await?;
        if let Err(e) = engine.prepare(&report.items).await {
            eprintln!("driftdeck: warning: {}", crate::text::sanitize(&e.to_string()));
        }
        let results = engine.attribute_all(&report.items).await;
        for w in engine.take_warnings() {
            eprintln!("driftdeck: warning: {}", crate::text::sanitize(&w));
        }
        anyhow::Ok(results)
    })?;
    match args.format {
        OutputFormat::Json => println!(
            "{}",
            crate::text::json_safe(&serde_json::to_string_pretty(&view::to_json(&results))?)
        ),
        OutputFormat::Table => print!("{}", crate::text::sanitize_document(&view::to_table(&results))),
    }
    Ok(ExitCode::SUCCESS)
}

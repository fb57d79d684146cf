//! `driftdeck attribute`: find the CloudTrail event behind each drifted item.

use std::process::ExitCode;
use std::sync::Arc;

use crate::attribution::cache::Cache;
use crate::attribution::cloudtrail::LiveOptions;
use crate::attribution::{AttributionConfig, Engine, EngineOptions, SourceChoice, view};
use crate::classify::Taxonomy;
use crate::cli::{AttributeArgs, OutputFormat};

/// Runs the subcommand.
pub fn run(args: &AttributeArgs, taxonomy: &Taxonomy) -> anyhow::Result<ExitCode> {
    let report = super::load(&args.reports.reports, taxonomy)?;
    let choice = match (&args.cloudtrail_logs, &args.event_data_store) {
        (Some(dir), _) => SourceChoice::Archive(dir.clone()),
        (None, Some(arn)) => SourceChoice::Lake(arn.clone()),
        (None, None) => SourceChoice::Live,
    };
    let config = AttributionConfig::load()?;
    let live = LiveOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
        ..LiveOptions::default()
    };
    let rt = tokio::runtime::Runtime::new()?;
    let results = rt.block_on(async {
        let source = choice.open(live).await?;
        let engine = Arc::new(Engine::new(
            source,
            &report,
            EngineOptions {
                since: args.since.clone(),
                until: args.until.clone(),
                config,
                cache: if matches!(choice, SourceChoice::Live | SourceChoice::Lake(_)) {
                    Cache::default_location()
                } else {
                    None
                },
                ..EngineOptions::default()
            },
        )?);
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
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&view::to_json(&results))?),
        OutputFormat::Table => print!("{}", view::to_table(&results)),
    }
    Ok(ExitCode::SUCCESS)
}

//! `driftdeck attribute`: find the CloudTrail event behind each drifted item.

use std::process::ExitCode;

use crate::attribution::athena::AthenaOptions;
use crate::attribution::{Setup, SourceChoice, view};
use crate::classify::Taxonomy;
use crate::cli::{AttributeArgs, CloudTrailArgs, OutputFormat};

/// The attribution setup the flags ask for: exported logs, a Lake store, or live
/// `LookupEvents`.
pub fn setup(args: &CloudTrailArgs) -> Setup {
    let choice = match (&args.cloudtrail_logs, &args.event_data_store, &args.athena_table) {
        (Some(dir), _, _) => SourceChoice::Archive(dir.clone()),
        (None, Some(arn), _) => SourceChoice::Lake(arn.clone()),
        (None, None, Some(table)) => SourceChoice::Athena(AthenaOptions {
            table: table.clone(),
            database: args.athena_database.clone(),
            workgroup: args.athena_workgroup.clone(),
            output: args.athena_output.clone(),
        }),
        (None, None, None) => SourceChoice::Live,
    };
    Setup {
        choice,
        profile: args.profile.clone(),
        region: args.region.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        account_profiles: args.account_profile.clone(),
        refresh: args.refresh,
    }
}

/// Runs the subcommand.
pub fn run(
    args: &AttributeArgs,
    reading: crate::ingest::Reading,
    taxonomy: &Taxonomy,
    opts: &crate::decide::DeciderOptions,
) -> anyhow::Result<ExitCode> {
    let report = super::load_to_read(reading, taxonomy, opts)?;
    let setup = setup(&args.cloudtrail);
    let rt = tokio::runtime::Runtime::new()?;
    let results = rt.block_on(async {
        let engine = setup.engine(&report).await?;
        let show_query = args.cloudtrail.show_query;
        let tell = |engine: &crate::attribution::Engine| {
            if show_query {
                for q in engine.take_queries() {
                    eprintln!("driftdeck: query: {}", crate::text::sanitize(&q));
                }
            }
            for n in engine.take_notes() {
                eprintln!("driftdeck: {}", crate::text::sanitize(&n));
            }
        };
        // Bulk sources (Athena, Lake) query once per batch; their progress goes to stderr every
        // few seconds, and Ctrl-C stops the running query (StopQueryExecution) before exiting.
        let prep = engine.prepare_with(&report.items, |done, total| {
            if total > 1 {
                eprintln!("driftdeck: batch {done}/{total} queried");
            }
        });
        tokio::pin!(prep);
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3));
        let prepared = loop {
            tokio::select! {
                r = &mut prep => break r,
                _ = tick.tick() => {
                    if let Some(a) = engine.activity() {
                        eprintln!("driftdeck: {}", crate::text::sanitize(&a));
                    }
                }
                _ = tokio::signal::ctrl_c() => {
                    engine.cancel().await;
                    tell(&engine);
                    anyhow::bail!("interrupted: the running query was stopped");
                }
            }
        };
        tell(&engine);
        if let Err(e) = prepared {
            eprintln!("driftdeck: warning: {}", crate::text::sanitize(&e.to_string()));
        }
        let results = engine.attribute_all(&report.items).await;
        tell(&engine);
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

/// `driftdeck athena-ddl`: prints the CREATE TABLE statement.
pub fn athena_ddl(
    table: &str,
    bucket: &str,
    prefix: Option<&str>,
    org_id: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let ddl = crate::attribution::athena::ddl(table, bucket, prefix, org_id).map_err(anyhow::Error::msg)?;
    print!("{ddl}");
    Ok(ExitCode::SUCCESS)
}

/// `driftdeck cache clear`: deletes every cached lookup.
pub fn cache_clear() -> anyhow::Result<ExitCode> {
    match crate::attribution::cache::Cache::default_location() {
        Some(c) => {
            let n = c.clear().map_err(anyhow::Error::msg)?;
            println!(
                "removed {n} cached lookups from {}",
                crate::text::sanitize(&c.dir().display().to_string())
            );
        }
        None => println!("no cache directory on this system: nothing to clear"),
    }
    Ok(ExitCode::SUCCESS)
}

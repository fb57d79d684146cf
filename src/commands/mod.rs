//! One function per subcommand; each calls the same library functions the TUI uses.

mod adopt;
mod approvals;
mod approve;
mod attribute;
mod check;
mod export;
mod journal;
mod list;
mod revert;
mod tui;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::classify::{self, Taxonomy};
use crate::cli::{Cli, Command, DecideArgs};
use crate::decide::DeciderOptions;
use crate::model::DriftReport;

/// Exit code for "ran fine, nothing to report" is 0; these are the others.
pub mod exit {
    /// An error (bad input, unreadable file, …).
    pub const ERROR: u8 = 1;
    /// `check` found drift at or above the threshold.
    pub const DRIFT: u8 = 2;
    /// `check` could not fully determine drift (a report is incomplete) and found none at or
    /// above the threshold; `--allow-incomplete` turns this into 0.
    pub const INCOMPLETE: u8 = 3;
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(m) = cli.misplaced() {
        anyhow::bail!(m);
    }
    // The reports of a command that only reads them are read while the taxonomy compiles.
    let mut reading = match &cli.command {
        Some(Command::List { reports, .. } | Command::Check { reports, .. }) => {
            Some(crate::ingest::Reading::start(&reports.reports))
        }
        Some(Command::Attribute(args)) => Some(crate::ingest::Reading::start(&args.reports.reports)),
        _ => None,
    };
    // The read started above (always, for the commands that take it).
    let mut read = |paths: &[String]| {
        reading
            .take()
            .unwrap_or_else(|| crate::ingest::Reading::start(paths))
    };
    let mut taxonomy = load_taxonomy(&cli)?;
    let opts = decider_options(&cli.decide)?;
    // Approvals fingerprint secrets with the repository's key: the commands that record
    // approvals (approve, the TUI) create it on first use; the others only read it.
    // A read-only IaC directory (a checkout on a read-only mount) still opens: the TUI then only
    // previews decisions, and says why in its header.
    // The writability probe creates a file, so only the commands that record approvals make it
    // (never `list` or `check`).
    let records_approvals = !opts.read_only
        && matches!(
            cli.command,
            None | Some(Command::Approve { .. } | Command::Open { .. })
        )
        && crate::fsutil::dir_writable(&opts.iac_dir);
    if !matches!(cli.command, Some(Command::Demo)) {
        let key = if records_approvals {
            Some(crate::decide::secret_key::load_or_create(&opts.iac_dir)?)
        } else {
            crate::decide::secret_key::load(&opts.iac_dir).unwrap_or_else(|e| {
                eprintln!(
                    "driftdeck: warning: {}; approvals of sensitive values cannot match",
                    crate::text::sanitize(&e.to_string())
                );
                None
            })
        };
        if let Some(k) = key {
            taxonomy.set_fingerprint_key(k);
        }
    }
    let result = match cli.command {
        Some(Command::List { reports, format }) => {
            list::run(read(&reports.reports), format, &taxonomy, &opts)
        }
        Some(Command::Check {
            reports,
            fail_on,
            allow_incomplete,
        }) => check::run(
            read(&reports.reports),
            fail_on.into(),
            allow_incomplete,
            &taxonomy,
            &opts,
        ),
        Some(Command::Demo) => tui::demo(cli.theme, &taxonomy, opts),
        Some(Command::Approve {
            report,
            address,
            reason,
            expires,
            ticket,
            attributes,
            cloudtrail,
        }) => approve::run(
            &report,
            &address,
            reason,
            &expires,
            ticket,
            attributes,
            opts,
            &taxonomy,
            &cloudtrail,
        ),
        Some(Command::Approvals { action }) => approvals::run(&action, &opts),
        Some(Command::Adopt {
            report,
            address,
            write,
            reason,
            ticket,
            cloudtrail,
        }) => adopt::run(
            &report,
            &address,
            write,
            reason,
            ticket,
            opts,
            &taxonomy,
            &cloudtrail,
        ),
        Some(Command::Revert {
            report,
            addresses,
            execute,
            tool,
            reason,
            ticket,
            confirm,
            cloudtrail,
        }) => revert::run(
            &report,
            &addresses,
            execute,
            tool,
            reason,
            ticket,
            &confirm,
            opts,
            &taxonomy,
            &cloudtrail,
        ),
        Some(Command::Journal { action }) => journal::run(&action, &opts),
        Some(Command::Export { format }) => export::run(format, &opts),
        Some(Command::Open { reports, cloudtrail }) => tui::run(
            &reports.reports,
            cli.theme,
            &taxonomy,
            opts,
            &cloudtrail,
            cli.watch,
        ),
        None => tui::run(
            &cli.reports,
            cli.theme,
            &taxonomy,
            opts,
            &cli.cloudtrail,
            cli.watch,
        ),
        Some(Command::Attribute(args)) => {
            attribute::run(&args, read(&args.reports.reports), &taxonomy, &opts)
        }
        Some(Command::AthenaDdl {
            bucket,
            prefix,
            org_id,
            table,
        }) => attribute::athena_ddl(&table, &bucket, prefix.as_deref(), org_id.as_deref()),
        Some(Command::Cache {
            action: crate::cli::CacheAction::Clear,
        }) => attribute::cache_clear(),
    };
    // The process ends next: freeing the compiled rules (and each thread's regex caches) one by
    // one only costs time the operator waits for.
    std::mem::forget(taxonomy);
    result
}

/// Lets a loaded report go without freeing it piece by piece, for a command about to exit:
/// on a large report that was a tenth of `check`'s time. (The memory returns with the process.)
pub(crate) fn release_at_exit(report: DriftReport) {
    std::mem::forget(report);
}

/// Decider options from the command line, over `[journal]`/`[approvals]` in config.toml.
pub fn decider_options(args: &DecideArgs) -> anyhow::Result<DeciderOptions> {
    let settings = crate::decide::settings::DecideSettings::load()?;
    Ok(DeciderOptions {
        iac_dir: args.iac_dir.clone().unwrap_or_else(|| PathBuf::from(".")),
        journal: args.journal.clone(),
        approvals: None,
        actor: args.actor.clone(),
        read_only: args.read_only,
        // `DRIFTDECK_AWS_IDENTITY=0` skips the `aws sts get-caller-identity` call (offline, tests).
        aws_identity: std::env::var("DRIFTDECK_AWS_IDENTITY").map_or(true, |v| v != "0"),
        lock_timeout: args
            .lock_timeout
            .map(std::time::Duration::from_secs)
            .or(settings.lock_timeout),
        max_expiry: settings.max_expiry,
        signing_key: args.sign_with.clone().or(settings.signing_key),
        show_noise: args.show_noise,
    })
}

/// Sets every item's status from the journal and approvals file of `opts` (the one status
/// derivation, `decide::status`).
pub fn apply_approvals(report: &mut DriftReport, opts: &DeciderOptions) -> anyhow::Result<()> {
    crate::decide::status::Sources::of(opts).apply(report, time::OffsetDateTime::now_utc())?;
    Ok(())
}

/// The taxonomy for this run; a broken config-dir file is reported and skipped.
pub fn load_taxonomy(cli: &Cli) -> anyhow::Result<Taxonomy> {
    let mut warn = |m: String| eprintln!("driftdeck: warning: {}", crate::text::sanitize(&m));
    Ok(classify::load(cli.taxonomy.as_deref(), &mut warn)?)
}

/// Loads reports (files or `-`), merged and classified.
/// Statuses come from the IaC directory's journal and `.driftdeck/approvals.toml`; a broken
/// file is reported (file and line) and ignored: every item then stays open (fail closed, so
/// `check` does not pass on an approval nobody can read).
///
/// Noise (see [`crate::ingest::apply_ignore_changes`]) is marked, including the IaC directory's
/// `lifecycle.ignore_changes`, and hidden unless `opts.show_noise`.
pub fn load(paths: &[String], taxonomy: &Taxonomy, opts: &DeciderOptions) -> anyhow::Result<DriftReport> {
    let mut report = crate::ingest::load_paths(paths, taxonomy)?;
    finish_load(&mut report, taxonomy, opts, &mut |m| warn(&m));
    Ok(report)
}

/// [`load`] for a command that decides nothing, of the reports being read: their hashes, which
/// only decisions keep, are not computed (see [`crate::ingest::load_to_read`]).
pub fn load_to_read(
    reading: crate::ingest::Reading,
    taxonomy: &Taxonomy,
    opts: &DeciderOptions,
) -> anyhow::Result<DriftReport> {
    let mut report = crate::ingest::load_to_read(reading, taxonomy)?;
    finish_load(&mut report, taxonomy, opts, &mut |m| warn(&m));
    Ok(report)
}

/// What every load does after parsing (the CLI, the TUI and its reloads): `ignore_changes`
/// noise from the IaC directory, statuses from the journal and approvals, noise hidden or shown.
/// An unreadable approvals file or journal is reported on `warn` (every item then stays open).
pub fn finish_load(
    report: &mut DriftReport,
    taxonomy: &Taxonomy,
    opts: &DeciderOptions,
    warn: &mut dyn FnMut(String),
) {
    crate::ingest::apply_ignore_changes(report, &opts.iac_dir, taxonomy);
    report.set_noise_shown(opts.show_noise);
    if let Err(e) = apply_approvals(report, opts) {
        warn(format!(
            "{e:#}\nno approval applies: every item counts as open until the file is fixed"
        ));
    }
}

/// Prints a warning; a multi-line message prints as lines (sanitised), never as `\n` escapes.
pub fn warn(message: &str) {
    eprintln!(
        "driftdeck: warning: {}",
        crate::text::sanitize_multiline(message).replace('\n', "\n  ")
    );
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

/// Finds an item by address or id, or says which addresses exist.
pub fn find_item<'a>(report: &'a DriftReport, address: &str) -> anyhow::Result<&'a crate::model::DriftItem> {
    report.find(address).ok_or_else(|| {
        let near: Vec<&str> = report
            .items
            .iter()
            .map(|i| i.address.as_str())
            .filter(|a| a.contains(address) || address.contains(*a))
            .take(5)
            .collect();
        anyhow::anyhow!(
            "{}: no such item in the report{}",
            crate::text::sanitize(address),
            if near.is_empty() {
                " (see `driftdeck list`)".to_string()
            } else {
                format!("; did you mean {}?", crate::text::sanitize(&near.join(", ")))
            }
        )
    })
}

/// Opens the decision journal for a command, printing its warnings (a torn tail set aside,
/// journaled approvals missing from the approvals file), if any.
pub fn open_decider(opts: DeciderOptions) -> anyhow::Result<crate::decide::Decider> {
    let decider = crate::decide::Decider::open(opts)?;
    for w in decider.warnings() {
        warn(&w);
    }
    Ok(decider)
}

/// The CloudTrail attribution of the item a command-line decision is about, for the journal's
/// evidence. Only when a source is named on the command line (`--cloudtrail-logs`,
/// `--event-data-store`, `--profile`, …); a lookup that fails is a warning, never a reason not to
/// record the decision.
pub fn attribution_summary(
    args: &crate::cli::CloudTrailArgs,
    report: &DriftReport,
    item: &crate::model::DriftItem,
) -> Option<crate::decide::AttributionSummary> {
    let setup = tui::attribution_setup(args, false)?;
    let lookup = async {
        let engine = setup.engine(report).await?;
        let a = engine.attribute(item).await;
        if let Some(m) = &a.message {
            eprintln!(
                "driftdeck: warning: attribution of {}: {}",
                crate::text::sanitize(&item.address),
                crate::text::sanitize(m)
            );
        }
        for w in engine.take_warnings() {
            eprintln!("driftdeck: warning: {}", crate::text::sanitize(&w));
        }
        anyhow::Ok(crate::decide::AttributionSummary::of(&a))
    };
    let result = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(lookup));
    result.unwrap_or_else(|e| {
        eprintln!(
            "driftdeck: warning: no CloudTrail attribution for the journal: {}",
            crate::text::sanitize(&format!("{e:#}"))
        );
        None
    })
}

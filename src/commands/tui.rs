//! `driftdeck REPORT...`, `driftdeck open` and `driftdeck demo`: the interactive TUI.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::attribution::{Setup, SourceChoice};
use crate::classify::Taxonomy;
use crate::cli::CloudTrailArgs;
use crate::decide::DeciderOptions;
use crate::model::DriftReport;
use crate::tui::{self, Options};

/// Loads the reports, then runs the TUI until the user quits. Decisions are journaled with
/// `decide` (the IaC directory from `--iac-dir`, default the current directory). Attribution
/// uses the CloudTrail flags (see [`attribution_setup`]).
pub fn run(
    paths: &[String],
    theme: Option<String>,
    taxonomy: &Taxonomy,
    decide: DeciderOptions,
    cloudtrail: &CloudTrailArgs,
    watch: bool,
) -> anyhow::Result<ExitCode> {
    if paths.is_empty() {
        anyhow::bail!("no reports given: driftdeck REPORT... (or `driftdeck demo`); see --help");
    }
    let report = super::load(paths, taxonomy, &decide)?;
    let aws_env = AWS_ENV
        .iter()
        .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()));
    let reload = reloader(paths, taxonomy, &decide, watch);
    open(
        report,
        theme,
        Some(decide),
        attribution_setup(cloudtrail, aws_env),
        Some(reload),
    )
}

/// How the TUI reloads the reports (Ctrl-R, `--watch`): the same load as at start, statuses
/// from the journal included. Standard input (`-`) cannot be read twice and is not watched.
fn reloader(paths: &[String], taxonomy: &Taxonomy, decide: &DeciderOptions, watch: bool) -> tui::Reload {
    let p = paths.to_vec();
    let t = taxonomy.clone();
    let d = decide.clone();
    tui::Reload {
        load: std::sync::Arc::new(move || {
            if p.iter().any(|x| x == "-") {
                return Err("reports read from standard input cannot be reloaded".into());
            }
            let mut report = crate::ingest::load_paths(&p, &t).map_err(|e| format!("{e:#}"))?;
            let mut problems = Vec::new();
            super::finish_load(&mut report, &t, &d, &mut |m| problems.push(m));
            if problems.is_empty() {
                Ok(report)
            } else {
                Err(problems.join("\n"))
            }
        }),
        watch: if watch {
            paths.iter().filter(|x| *x != "-").map(PathBuf::from).collect()
        } else {
            Vec::new()
        },
    }
}

/// Environment variables that say AWS credentials are configured for this shell.
const AWS_ENV: [&str; 5] = [
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/// The TUI's attribution source: exported logs or a Lake store when given; live `LookupEvents`
/// when the user asked for AWS (`--profile`, `--region`, `--since`, `--until`) or the
/// environment names credentials (`aws_env`); otherwise none, so opening a report on a machine
/// without AWS access never waits on the credential chain. Live failures (no credentials,
/// expired SSO, no network) show in the attribution pane, never stop the TUI.
pub fn attribution_setup(args: &CloudTrailArgs, aws_env: bool) -> Option<Setup> {
    let asked = args.cloudtrail_logs.is_some()
        || args.event_data_store.is_some()
        || args.athena_table.is_some()
        || args.profile.is_some()
        || args.region.is_some()
        || args.since.is_some()
        || args.until.is_some()
        || !args.account_profile.is_empty();
    (asked || aws_env).then(|| super::attribute::setup(args))
}

/// The bundled example incident. Decisions go to a scratch copy of its IaC sources (removed on
/// exit), so trying revert, adopt and approve never changes the files under `assets/demo`.
pub fn demo(theme: Option<String>, taxonomy: &Taxonomy, decide: DeciderOptions) -> anyhow::Result<ExitCode> {
    let paths = super::demo_reports()?;
    let mut report = crate::ingest::load_paths(&paths, taxonomy)?;
    let src = crate::config::demo_dir()
        .ok_or_else(|| anyhow::anyhow!("the bundled example incident (assets/demo) was not found"))?
        .join("iac");
    let scratch = std::env::temp_dir().join(format!("driftdeck-demo-{}", std::process::id()));
    copy_tree(&src, &scratch).map_err(|e| {
        anyhow::anyhow!(
            "{}: cannot make a scratch copy of the demo IaC sources: {e}",
            scratch.display()
        )
    })?;
    let opts = DeciderOptions {
        iac_dir: scratch.clone(),
        journal: None,
        approvals: None,
        ..decide
    };
    super::finish_load(&mut report, taxonomy, &opts, &mut |m| super::warn(&m));
    let attribution = SourceChoice::demo().map(Setup::new);
    let reload = reloader(&paths, taxonomy, &opts, false);
    let res = open(report, theme, Some(opts), attribution, Some(reload));
    let _ = std::fs::remove_dir_all(&scratch);
    res
}

fn open(
    report: DriftReport,
    theme: Option<String>,
    decide: Option<DeciderOptions>,
    attribution: Option<Setup>,
    reload: Option<tui::Reload>,
) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the TUI needs a terminal on standard output; use `driftdeck list` for a table or JSON"
        );
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let warnings = tui::run(
        report,
        &Options {
            theme,
            no_color,
            decide,
            attribution,
            reload,
        },
    )?;
    for w in warnings {
        eprintln!("driftdeck: warning: {}", crate::text::sanitize(&w));
    }
    Ok(ExitCode::SUCCESS)
}

/// Copies a directory tree (files and directories; symlinks are skipped).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let dest: PathBuf = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &dest)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribution_source_follows_the_flags_and_the_environment() {
        let none = CloudTrailArgs::default();
        assert_eq!(attribution_setup(&none, false), None, "no flags, no AWS env: off");
        assert_eq!(
            attribution_setup(&none, true).map(|s| s.choice),
            Some(SourceChoice::Live)
        );
        let logs = CloudTrailArgs {
            cloudtrail_logs: Some(PathBuf::from("logs")),
            since: Some("2026-11-01".into()),
            ..CloudTrailArgs::default()
        };
        let s = attribution_setup(&logs, false).expect("archive");
        assert_eq!(s.choice, SourceChoice::Archive(PathBuf::from("logs")));
        assert_eq!(s.since.as_deref(), Some("2026-11-01"));
        let lake = CloudTrailArgs {
            event_data_store: Some("arn:aws:cloudtrail:eu-west-1:1:eventdatastore/x".into()),
            ..CloudTrailArgs::default()
        };
        assert!(matches!(
            attribution_setup(&lake, false).map(|s| s.choice),
            Some(SourceChoice::Lake(_))
        ));
        let profile = CloudTrailArgs {
            profile: Some("prod".into()),
            ..CloudTrailArgs::default()
        };
        let s = attribution_setup(&profile, false).expect("live");
        assert_eq!(
            (s.choice, s.profile.as_deref()),
            (SourceChoice::Live, Some("prod"))
        );
    }
}

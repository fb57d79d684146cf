//! `driftdeck revert`: print the commands that bring live back to the IaC; `--execute` runs
//! them, streams their output, verifies convergence and journals the outcome.

use std::io::Write;
use std::process::ExitCode;

use crate::classify::Taxonomy;
use crate::cli::{CloudTrailArgs, ToolArg};
use crate::decide::{DeciderOptions, DecisionInput};
use crate::remediate::revert::{ExecEvent, RevertResult, Stream, Tool};
use crate::text::sanitize;

/// Exit code when the revert ran but did not converge.
const NOT_CONVERGED: u8 = 3;

/// Prints or executes the revert.
#[allow(clippy::too_many_arguments)]
pub fn run(
    report_path: &str,
    addresses: &[String],
    execute: bool,
    tool: ToolArg,
    reason: Option<String>,
    ticket: Option<String>,
    confirm: &[String],
    opts: DeciderOptions,
    taxonomy: &Taxonomy,
    cloudtrail: &CloudTrailArgs,
) -> anyhow::Result<ExitCode> {
    let report = super::load(&[report_path.to_string()], taxonomy, &opts)?;
    let items = addresses
        .iter()
        .map(|a| super::find_item(&report, a))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let tool = match tool {
        ToolArg::Terraform => Tool::Terraform,
        ToolArg::Tofu => Tool::Tofu,
        ToolArg::Terragrunt => Tool::Terragrunt,
    };
    let read_only = opts.read_only;
    let mut decider = super::open_decider(DeciderOptions {
        read_only: read_only || !execute,
        ..opts
    })?;
    let plan = decider.revert_plan(&items, tool)?;
    let mut out = std::io::stdout().lock();
    for w in &plan.warnings {
        writeln!(out, "warning: {}", sanitize(w))?;
    }
    for n in &plan.notes {
        writeln!(out, "note: {}", sanitize(n))?;
    }
    if execute && read_only {
        anyhow::bail!("read-only mode (--read-only): revert --execute is disabled; nothing was run");
    }
    if !execute {
        writeln!(
            out,
            "# run in {}:",
            sanitize(&decider.options().iac_dir.display().to_string())
        )?;
        for c in plan.command_lines() {
            writeln!(out, "{}", sanitize(&c))?;
        }
        writeln!(
            out,
            "(not executed; use --execute to run these, verify and journal the outcome)"
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    // One decision input serves every item: the attribution goes with it for a single item.
    let attribution = match items.as_slice() {
        [one] => super::attribution_summary(cloudtrail, &report, one),
        _ => None,
    };
    let input = DecisionInput {
        reason,
        ticket,
        attribution,
    };
    drop(out);
    let mut sink = |ev: ExecEvent| {
        let mut o = std::io::stdout().lock();
        let _ = match ev {
            ExecEvent::Started(c) => writeln!(o, "$ {}", sanitize(&c)),
            ExecEvent::Line(Stream::Stdout, l) => writeln!(o, "{}", sanitize(&l)),
            ExecEvent::Line(Stream::Stderr, l) => writeln!(o, "! {}", sanitize(&l)),
            ExecEvent::Finished(c, code) => writeln!(
                o,
                "= {} exited {}",
                sanitize(&c),
                code.map_or_else(|| "by a signal".to_string(), |c| c.to_string())
            ),
        };
        let _ = o.flush();
    };
    let outcome = decider.revert_execute(&report, &items, &plan, &input, confirm, &mut sink)?;
    if let Some(why) = &outcome.error {
        eprintln!("error: {}", sanitize(why));
    }
    println!("revert {}: journaled", outcome.result);
    Ok(match outcome.result {
        RevertResult::Converged => ExitCode::SUCCESS,
        RevertResult::NotConverged => ExitCode::from(NOT_CONVERGED),
        RevertResult::Failed => ExitCode::from(super::exit::ERROR),
    })
}

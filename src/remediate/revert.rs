//! Revert: the exact commands that bring live back to the IaC, and optionally running them.
//!
//! Terraform-family items get a targeted `plan -out` followed by an `apply` of exactly that
//! saved plan, then a targeted `plan -detailed-exitcode` to verify convergence (exit 0 means
//! converged). CloudFormation items get a drift-reverting change set
//! (`create-change-set … --deployment-mode REVERT_DRIFT`), then `execute-change-set`. Targeting
//! is for exceptional circumstances (it skips dependencies outside the target): every plan says so.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use serde::Serialize;

use crate::model::{DriftItem, Format, Kind};

/// Errors of a revert.
#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    /// Nothing to revert.
    #[error("no items to revert")]
    Empty,
    /// An unmanaged resource has no IaC to revert to.
    #[error(
        "{0}: not managed by any IaC, so there is nothing to revert to; delete it in the cloud after review, or adopt it (driftdeck adopt writes an import block)"
    )]
    Unmanaged(String),
    /// The IaC directory is missing.
    #[error("{0}: the IaC directory does not exist (use --iac-dir)")]
    NoIacDir(PathBuf),
    /// The program is not on PATH.
    #[error("{program} not found on PATH: cannot run {program} (is it installed and on PATH?); nothing ran")]
    NotFound {
        /// Program.
        program: String,
    },
    /// A command could not be started.
    #[error("cannot run {program} in {dir}: {source} (is it installed and on PATH?)")]
    Spawn {
        /// Program.
        program: String,
        /// Working directory.
        dir: PathBuf,
        /// OS error.
        source: std::io::Error,
    },
}

/// The IaC tool binary for Terraform items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    /// `terraform`.
    #[default]
    Terraform,
    /// `tofu` (OpenTofu).
    Tofu,
    /// `terragrunt` (passes the commands through to Terraform/OpenTofu).
    Terragrunt,
}

impl Tool {
    /// The executable name.
    pub fn binary(self) -> &'static str {
        match self {
            Tool::Terraform => "terraform",
            Tool::Tofu => "tofu",
            Tool::Terragrunt => "terragrunt",
        }
    }
}

/// What a step is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepRole {
    /// Produces the saved plan / change set.
    Plan,
    /// Applies it.
    Apply,
    /// Verifies convergence (exit 0 = converged).
    Verify,
}

/// One command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Its role.
    pub role: StepRole,
    /// Program.
    pub program: String,
    /// Arguments.
    pub args: Vec<String>,
    /// Working directory.
    pub dir: PathBuf,
}

impl Step {
    /// The command as a shell line (arguments quoted when needed).
    pub fn command_line(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=./:,@%+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The commands for a set of items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevertPlan {
    /// Tool for Terraform items.
    pub tool: Tool,
    /// Commands in order.
    pub steps: Vec<Step>,
    /// Warnings to show first.
    pub warnings: Vec<String>,
    /// What each revert will do, per address (from the plan's `resource_changes`).
    pub notes: Vec<String>,
}

impl RevertPlan {
    /// All commands as shell lines.
    pub fn command_lines(&self) -> Vec<String> {
        self.steps.iter().map(Step::command_line).collect()
    }
}

/// The warning every targeted plan carries.
pub const TARGET_WARNING: &str = "Targeting (-target) is for exceptional circumstances such as recovering from drift: it \
skips resources outside the target and their dependencies. Review the plan, and run a full plan afterwards.";

const PLAN_FILE: &str = "driftdeck-revert.tfplan";

/// Builds the revert commands for `items` (run in `iac_dir`).
pub fn plan(items: &[&DriftItem], tool: Tool, iac_dir: &Path) -> Result<RevertPlan, RevertError> {
    if items.is_empty() {
        return Err(RevertError::Empty);
    }
    let mut tf_targets: Vec<String> = Vec::new();
    let mut stacks: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    for item in items {
        if item.kind == Kind::Unmanaged {
            return Err(RevertError::Unmanaged(item.address.clone()));
        }
        if item.format == Some(Format::Cloudformation) {
            let stack = item
                .address
                .split('/')
                .next()
                .unwrap_or(&item.address)
                .to_string();
            if !stacks.contains(&stack) {
                stacks.push(stack);
            }
        } else {
            tf_targets.push(item.address.clone());
            let what = match (item.kind, item.planned_actions.as_slice()) {
                (Kind::Deleted, _) => "re-create it".to_string(),
                (_, []) => "update it in place to the desired values".to_string(),
                (_, a) => format!("{} (planned actions: {})", describe_actions(a), a.join(", ")),
            };
            notes.push(format!("{}: revert will {what}", item.address));
            if !item.planned_replace_paths.is_empty() {
                notes.push(format!(
                    "{}: changing {} forces replacement",
                    item.address,
                    item.planned_replace_paths
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
    }
    let mut steps = Vec::new();
    let mut warnings = Vec::new();
    if !tf_targets.is_empty() {
        warnings.push(TARGET_WARNING.to_string());
        let targets: Vec<String> = tf_targets.iter().map(|t| format!("-target={t}")).collect();
        let bin = tool.binary().to_string();
        let mut plan_args = vec!["plan".to_string(), "-input=false".to_string()];
        plan_args.extend(targets.iter().cloned());
        plan_args.push(format!("-out={PLAN_FILE}"));
        steps.push(Step {
            role: StepRole::Plan,
            program: bin.clone(),
            args: plan_args,
            dir: iac_dir.to_path_buf(),
        });
        steps.push(Step {
            role: StepRole::Apply,
            program: bin.clone(),
            args: vec!["apply".into(), "-input=false".into(), PLAN_FILE.into()],
            dir: iac_dir.to_path_buf(),
        });
        let mut verify = vec![
            "plan".to_string(),
            "-input=false".to_string(),
            "-detailed-exitcode".to_string(),
        ];
        verify.extend(targets);
        steps.push(Step {
            role: StepRole::Verify,
            program: bin,
            args: verify,
            dir: iac_dir.to_path_buf(),
        });
    }
    for stack in stacks {
        let name = format!("driftdeck-revert-{}", sanitize_name(&stack));
        steps.push(Step {
            role: StepRole::Plan,
            program: "aws".into(),
            args: vec![
                "cloudformation".into(),
                "create-change-set".into(),
                "--stack-name".into(),
                stack.clone(),
                "--change-set-name".into(),
                name.clone(),
                "--use-previous-template".into(),
                "--deployment-mode".into(),
                "REVERT_DRIFT".into(),
            ],
            dir: iac_dir.to_path_buf(),
        });
        steps.push(Step {
            role: StepRole::Plan,
            program: "aws".into(),
            args: vec![
                "cloudformation".into(),
                "wait".into(),
                "change-set-create-complete".into(),
                "--stack-name".into(),
                stack.clone(),
                "--change-set-name".into(),
                name.clone(),
            ],
            dir: iac_dir.to_path_buf(),
        });
        steps.push(Step {
            role: StepRole::Apply,
            program: "aws".into(),
            args: vec![
                "cloudformation".into(),
                "execute-change-set".into(),
                "--stack-name".into(),
                stack.clone(),
                "--change-set-name".into(),
                name,
            ],
            dir: iac_dir.to_path_buf(),
        });
        steps.push(Step {
            role: StepRole::Verify,
            program: "aws".into(),
            args: vec![
                "cloudformation".into(),
                "wait".into(),
                "stack-update-complete".into(),
                "--stack-name".into(),
                stack.clone(),
            ],
            dir: iac_dir.to_path_buf(),
        });
        notes.push(format!(
            "{stack}: review the change set (aws cloudformation describe-change-set) before executing it; run drift detection again afterwards"
        ));
    }
    Ok(RevertPlan {
        tool,
        steps,
        warnings,
        notes,
    })
}

fn describe_actions(a: &[String]) -> &'static str {
    match a {
        [x] if x == "update" => "update it in place",
        [x] if x == "create" => "create it",
        [x, y] if x == "delete" && y == "create" => "replace it (destroy, then create)",
        [x, y] if x == "create" && y == "delete" => "replace it (create, then destroy)",
        [x] if x == "no-op" => "change nothing",
        _ => "change it",
    }
}

fn sanitize_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// What [`execute`] reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecEvent {
    /// A command is starting.
    Started(String),
    /// One output line (raw: sanitize before display).
    Line(Stream, String),
    /// A command finished with this exit code (`None`: killed by a signal).
    Finished(String, Option<i32>),
}

/// Result of one executed step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepResult {
    /// The command line.
    pub command: String,
    /// Role.
    pub role: StepRole,
    /// Exit code.
    pub exit_code: Option<i32>,
}

/// How an executed revert ended (journaled as `converged`, `not-converged` or `failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevertResult {
    /// The verification plan found no remaining changes (exit 0).
    Converged,
    /// The verification plan says changes remain (exit 2).
    NotConverged,
    /// A step failed or could not run.
    Failed,
}

impl RevertResult {
    /// The journaled name.
    pub fn as_str(self) -> &'static str {
        match self {
            RevertResult::Converged => "converged",
            RevertResult::NotConverged => "not-converged",
            RevertResult::Failed => "failed",
        }
    }
}

impl std::fmt::Display for RevertResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Outcome of an executed revert, as journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevertOutcome {
    /// How it ended.
    pub result: RevertResult,
    /// Each step that ran.
    pub steps: Vec<StepResult>,
    /// Why a step could not run at all (e.g. the tool is not installed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn run_step(step: &Step, sink: &mut dyn FnMut(ExecEvent)) -> Result<Option<i32>, RevertError> {
    let line = step.command_line();
    sink(ExecEvent::Started(line.clone()));
    let mut child = Command::new(&step.program)
        .args(&step.args)
        .current_dir(&step.dir)
        .env("TF_IN_AUTOMATION", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                RevertError::NotFound {
                    program: step.program.clone(),
                }
            } else {
                RevertError::Spawn {
                    program: step.program.clone(),
                    dir: step.dir.clone(),
                    source,
                }
            }
        })?;
    let (tx, rx) = mpsc::channel::<(Stream, String)>();
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send((Stream::Stdout, l));
            }
        }));
    }
    if let Some(err) = child.stderr.take() {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send((Stream::Stderr, l));
            }
        }));
    }
    drop(tx);
    for (s, l) in rx {
        sink(ExecEvent::Line(s, l));
    }
    for r in readers {
        let _ = r.join();
    }
    let status = child.wait().map_err(|source| RevertError::Spawn {
        program: step.program.clone(),
        dir: step.dir.clone(),
        source,
    })?;
    sink(ExecEvent::Finished(line, status.code()));
    Ok(status.code())
}

/// Runs the plan's steps in order, streaming output to `sink`. Stops at the first failing
/// plan/apply step; the verify step's exit code decides the outcome (Terraform's
/// `-detailed-exitcode`: 0 converged, 2 changes remain, 1 error). Blocking: run it on a worker.
pub fn execute(plan: &RevertPlan, sink: &mut dyn FnMut(ExecEvent)) -> Result<RevertOutcome, RevertError> {
    let mut steps = Vec::new();
    let mut result = RevertResult::Converged;
    for step in &plan.steps {
        if !step.dir.is_dir() {
            return Err(RevertError::NoIacDir(step.dir.clone()));
        }
        let code = run_step(step, sink)?;
        steps.push(StepResult {
            command: step.command_line(),
            role: step.role,
            exit_code: code,
        });
        match (step.role, code) {
            (_, Some(0)) => {}
            (StepRole::Verify, Some(2)) if step.program != "aws" => {
                result = RevertResult::NotConverged;
            }
            _ => {
                result = RevertResult::Failed;
                break;
            }
        }
    }
    Ok(RevertOutcome {
        result,
        steps,
        error: None,
    })
}

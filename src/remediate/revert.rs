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
    /// Whether [`execute`] replaces the [`EACH_PARAMETER`] argument with the stack's parameter
    /// keys printed by the step before (one `ParameterKey=KEY,UsePreviousValue=true` each).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fills_parameters: bool,
}

impl Step {
    /// A step with fixed arguments.
    fn new(role: StepRole, program: &str, args: Vec<String>, dir: &Path) -> Self {
        Step {
            role,
            program: program.to_string(),
            args,
            dir: dir.to_path_buf(),
            fills_parameters: false,
        }
    }

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

/// Stands for every parameter of a CloudFormation stack in a printed `create-change-set`: a
/// drift report does not list a stack's parameters, and a parameter left out of a change set
/// falls back to its template default. [`execute`] replaces it with the keys the
/// `describe-stacks` step before it prints; pasted as is, CloudFormation rejects the unknown
/// key, so the printed command fails rather than resets anything.
pub const EACH_PARAMETER: &str = "ParameterKey=<each key describe-stacks printed>,UsePreviousValue=true";

/// The JMESPath query that lists a stack's parameter keys (`null` when it has none).
const PARAMETER_KEYS_QUERY: &str = "Stacks[0].Parameters[].ParameterKey";

/// Builds the revert commands for `items` (run in `iac_dir`).
pub fn plan(items: &[&DriftItem], tool: Tool, iac_dir: &Path) -> Result<RevertPlan, RevertError> {
    if items.is_empty() {
        return Err(RevertError::Empty);
    }
    let mut tf_targets: Vec<String> = Vec::new();
    // Stack name and region (from the StackId ARN): a name is unique per region only.
    let mut stacks: Vec<(String, Option<String>)> = Vec::new();
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    for item in items {
        if item.kind == Kind::Unmanaged {
            return Err(RevertError::Unmanaged(item.address.clone()));
        }
        if item.format == Some(Format::Cloudformation) {
            let name = item
                .address
                .split('/')
                .next()
                .unwrap_or(&item.address)
                .to_string();
            let region = item
                .identity
                .get("stack_id")
                .and_then(|arn| crate::ingest::arn_parts(arn).0)
                .or_else(|| item.region.clone());
            let stack = (name, region);
            if !stacks.contains(&stack) {
                stacks.push(stack);
            }
        } else {
            let target = tf_target(item);
            if target != item.address {
                notes.push(format!(
                    "{}: driftctl does not say which count/for_each instance of {target} this is, so the \
                     plan targets every instance of {target}: review it before applying",
                    item.address
                ));
            }
            if !tf_targets.iter().any(|t| t == target) {
                tf_targets.push(target.to_string());
            }
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
    if !tf_targets.is_empty() {
        warnings.push(TARGET_WARNING.to_string());
        let targets: Vec<String> = tf_targets.iter().map(|t| format!("-target={t}")).collect();
        let bin = tool.binary();
        let mut plan_args = vec!["plan".to_string(), "-input=false".to_string()];
        plan_args.extend(targets.iter().cloned());
        plan_args.push(format!("-out={PLAN_FILE}"));
        steps.push(Step::new(StepRole::Plan, bin, plan_args, iac_dir));
        steps.push(Step::new(
            StepRole::Apply,
            bin,
            vec!["apply".into(), "-input=false".into(), PLAN_FILE.into()],
            iac_dir,
        ));
        let mut verify = vec![
            "plan".to_string(),
            "-input=false".to_string(),
            "-detailed-exitcode".to_string(),
        ];
        verify.extend(targets);
        steps.push(Step::new(StepRole::Verify, bin, verify, iac_dir));
    }
    for (stack, region) in stacks {
        cloudformation_steps(&stack, region.as_deref(), iac_dir, &mut steps);
        if region.is_none() {
            warnings.push(format!(
                "{stack}: the report's StackId is not an ARN, so the stack's region is unknown: the \
                 commands run in the AWS CLI's default region; add --region REGION to each if the \
                 stack is elsewhere"
            ));
        }
        notes.push(format!(
            "{stack}: the drift report does not list the stack's parameters, and one left out of the \
             change set would be reset to its template default: describe-stacks lists their keys, and \
             create-change-set must pass `ParameterKey=KEY,UsePreviousValue=true` for each (leave out \
             --parameters when there are none); --execute does this itself"
        ));
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

/// The Terraform address to target for a Terraform-family item. driftctl names the
/// `count`/`for_each` instances of one block `block[id=…]` (it does not know their keys), so
/// such an item targets its whole block.
fn tf_target(item: &DriftItem) -> &str {
    if item.format == Some(Format::Driftctl) {
        if let Some((block, _)) = item.address.strip_suffix(']').and_then(|a| a.split_once("[id=")) {
            return block;
        }
    }
    &item.address
}

/// The drift-reverting change set of one stack: list the parameter keys, create the change set
/// from the previous template keeping every parameter's value, wait, execute, wait.
fn cloudformation_steps(stack: &str, region: Option<&str>, dir: &Path, steps: &mut Vec<Step>) {
    let name = format!("driftdeck-revert-{}", sanitize_name(stack));
    let cfn = |words: &[&str], rest: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = ["cloudformation"]
            .iter()
            .chain(words)
            .map(|s| (*s).to_string())
            .collect();
        args.extend(["--stack-name".to_string(), stack.to_string()]);
        if let Some(r) = region {
            args.extend(["--region".to_string(), r.to_string()]);
        }
        args.extend(rest.iter().map(|s| (*s).to_string()));
        args
    };
    steps.push(Step::new(
        StepRole::Plan,
        "aws",
        cfn(
            &["describe-stacks"],
            &["--query", PARAMETER_KEYS_QUERY, "--output", "json"],
        ),
        dir,
    ));
    let mut create = Step::new(
        StepRole::Plan,
        "aws",
        cfn(
            &["create-change-set"],
            &[
                "--change-set-name",
                &name,
                "--use-previous-template",
                "--deployment-mode",
                "REVERT_DRIFT",
                "--parameters",
                EACH_PARAMETER,
            ],
        ),
        dir,
    );
    create.fills_parameters = true;
    steps.push(create);
    steps.push(Step::new(
        StepRole::Plan,
        "aws",
        cfn(
            &["wait", "change-set-create-complete"],
            &["--change-set-name", &name],
        ),
        dir,
    ));
    steps.push(Step::new(
        StepRole::Apply,
        "aws",
        cfn(&["execute-change-set"], &["--change-set-name", &name]),
        dir,
    ));
    steps.push(Step::new(
        StepRole::Verify,
        "aws",
        cfn(&["wait", "stack-update-complete"], &[]),
        dir,
    ));
}

/// `step` with [`EACH_PARAMETER`] replaced by one `ParameterKey=KEY,UsePreviousValue=true` per
/// key in `listed` (the previous step's standard output: a JSON list of keys, or `null` when the
/// stack has none, in which case `--parameters` goes too). Anything else is an error: the change
/// set is never created with parameters missing.
fn fill_parameters(step: &Step, listed: &[String]) -> Result<Step, String> {
    let text = listed.join("\n");
    let keys: Vec<String> = serde_json::from_str::<Option<Vec<String>>>(&text)
        .map_err(|e| {
            format!("cannot read the stack's parameter keys from describe-stacks ({e}); the change set was not created")
        })?
        .unwrap_or_default();
    // CloudFormation parameter names are alphanumeric: anything else is not a key list.
    if let Some(bad) = keys
        .iter()
        .find(|k| k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(format!(
            "describe-stacks printed {bad:?}, which is not a CloudFormation parameter name; the change set was not created"
        ));
    }
    let mut args = Vec::with_capacity(step.args.len() + keys.len());
    for a in &step.args {
        if a == EACH_PARAMETER {
            args.extend(
                keys.iter()
                    .map(|k| format!("ParameterKey={k},UsePreviousValue=true")),
            );
        } else if !(a == "--parameters" && keys.is_empty()) {
            args.push(a.clone());
        }
    }
    Ok(Step {
        args,
        fills_parameters: false,
        ..step.clone()
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

/// Runs one step, streaming its output to `sink`; returns its exit code and, when `capture`,
/// its standard output lines.
fn run_step(
    step: &Step,
    capture: bool,
    sink: &mut dyn FnMut(ExecEvent),
) -> Result<(Option<i32>, Vec<String>), RevertError> {
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
    let mut captured = Vec::new();
    for (s, l) in rx {
        if capture && s == Stream::Stdout {
            captured.push(l.clone());
        }
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
    Ok((status.code(), captured))
}

/// Runs the plan's steps in order, streaming output to `sink`. Stops at the first failing
/// plan/apply step; the verify step's exit code decides the outcome (Terraform's
/// `-detailed-exitcode`: 0 converged, 2 changes remain, 1 error). Blocking: run it on a worker.
pub fn execute(plan: &RevertPlan, sink: &mut dyn FnMut(ExecEvent)) -> Result<RevertOutcome, RevertError> {
    let mut steps = Vec::new();
    let mut result = RevertResult::Converged;
    let mut error = None;
    let mut captured = Vec::new();
    for (i, planned) in plan.steps.iter().enumerate() {
        if !planned.dir.is_dir() {
            return Err(RevertError::NoIacDir(planned.dir.clone()));
        }
        let filled;
        let step = if planned.fills_parameters {
            match fill_parameters(planned, &captured) {
                Ok(s) => {
                    filled = s;
                    &filled
                }
                Err(why) => {
                    result = RevertResult::Failed;
                    error = Some(why);
                    break;
                }
            }
        } else {
            planned
        };
        let capture = plan.steps.get(i + 1).is_some_and(|s| s.fills_parameters);
        let (code, out) = run_step(step, capture, sink)?;
        captured = out;
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
    Ok(RevertOutcome { result, steps, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfn_item(stack_id: &str, logical: &str) -> DriftItem {
        let stack = stack_id
            .split_once(":stack/")
            .map_or(stack_id, |(_, rest)| rest.split('/').next().unwrap_or(rest));
        let mut item = DriftItem::new(
            logical.to_string(),
            format!("{stack}/{logical}"),
            "AWS::EC2::SecurityGroup".to_string(),
            "drift.json",
            Format::Cloudformation,
            Kind::Modified,
        );
        item.format = Some(Format::Cloudformation);
        item.identity.insert("stack_id".to_string(), stack_id.to_string());
        item
    }

    #[test]
    fn cloudformation_commands_carry_the_stacks_region_and_keep_every_parameter() {
        let a = cfn_item(
            "arn:aws:cloudformation:eu-west-3:111122223333:stack/payments-prod/0a1b",
            "WebSg",
        );
        let b = cfn_item(
            "arn:aws:cloudformation:eu-west-3:111122223333:stack/payments-prod/0a1b",
            "Queue",
        );
        let plan = plan(&[&a, &b], Tool::Terraform, Path::new(".")).expect("plan");
        let lines = plan.command_lines();
        assert_eq!(
            lines,
            vec![
                "aws cloudformation describe-stacks --stack-name payments-prod --region eu-west-3 \
                 --query 'Stacks[0].Parameters[].ParameterKey' --output json",
                "aws cloudformation create-change-set --stack-name payments-prod --region eu-west-3 \
                 --change-set-name driftdeck-revert-payments-prod --use-previous-template \
                 --deployment-mode REVERT_DRIFT --parameters \
                 'ParameterKey=<each key describe-stacks printed>,UsePreviousValue=true'",
                "aws cloudformation wait change-set-create-complete --stack-name payments-prod \
                 --region eu-west-3 --change-set-name driftdeck-revert-payments-prod",
                "aws cloudformation execute-change-set --stack-name payments-prod --region eu-west-3 \
                 --change-set-name driftdeck-revert-payments-prod",
                "aws cloudformation wait stack-update-complete --stack-name payments-prod --region eu-west-3",
            ],
            "one stack, once, in its region"
        );
        assert!(plan.steps[1].fills_parameters);
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("UsePreviousValue=true") && n.contains("template default")),
            "{:?}",
            plan.notes
        );
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }

    #[test]
    fn same_stack_name_in_two_regions_is_two_stacks_and_a_bare_name_warns() {
        let a = cfn_item("arn:aws:cloudformation:us-east-1:1:stack/web/1", "A");
        let b = cfn_item("arn:aws:cloudformation:us-west-2:1:stack/web/2", "A");
        let c = cfn_item("legacy", "B");
        let plan = plan(&[&a, &b, &c], Tool::Terraform, Path::new(".")).expect("plan");
        let creates: Vec<String> = plan
            .command_lines()
            .into_iter()
            .filter(|l| l.contains("create-change-set"))
            .collect();
        assert_eq!(creates.len(), 3, "{creates:?}");
        assert!(creates[0].contains("--region us-east-1"));
        assert!(creates[1].contains("--region us-west-2"));
        assert!(!creates[2].contains("--region"), "{}", creates[2]);
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.starts_with("legacy:") && w.contains("region is unknown")),
            "{:?}",
            plan.warnings
        );
    }

    #[test]
    fn parameter_keys_fill_the_change_set_or_stop_it() {
        let item = cfn_item("arn:aws:cloudformation:eu-west-3:1:stack/s/1", "A");
        let p = plan(&[&item], Tool::Terraform, Path::new(".")).expect("plan");
        let create = &p.steps[1];
        let out = |text: &str| text.lines().map(str::to_string).collect::<Vec<_>>();
        let filled = fill_parameters(create, &out("[\n  \"Env\",\n  \"InstanceSize\"\n]")).expect("keys");
        assert_eq!(
            filled.args[filled.args.len() - 3..],
            [
                "--parameters",
                "ParameterKey=Env,UsePreviousValue=true",
                "ParameterKey=InstanceSize,UsePreviousValue=true"
            ]
        );
        assert!(!filled.fills_parameters);
        let none = fill_parameters(create, &out("null")).expect("no parameters");
        assert!(
            !none.args.iter().any(|a| a.contains("arameter")),
            "{:?}",
            none.args
        );
        assert!(none.args.ends_with(&["REVERT_DRIFT".to_string()]));
        for bad in [
            "",
            "An error occurred (ValidationError)",
            "[\"Env,ParameterValue=x\"]",
            "{}",
        ] {
            let e = fill_parameters(create, &out(bad)).expect_err(bad);
            assert!(e.contains("not created"), "{e}");
        }
    }

    #[test]
    fn execute_feeds_the_listed_keys_to_the_next_step_and_stops_on_unreadable_ones() {
        let dir = std::env::temp_dir();
        let sh = |role, args: &[&str], fills| Step {
            role,
            program: "sh".to_string(),
            args: args.iter().map(|s| (*s).to_string()).collect(),
            dir: dir.clone(),
            fills_parameters: fills,
        };
        // The second step prints its own arguments, one per line.
        let echo_args = [
            "-c",
            "printf '%s\\n' \"$@\"",
            "sh",
            "--parameters",
            EACH_PARAMETER,
        ];
        let run = |listing: &str| {
            let plan = RevertPlan {
                tool: Tool::Terraform,
                steps: vec![
                    sh(StepRole::Plan, &["-c", listing], false),
                    sh(StepRole::Plan, &echo_args, true),
                ],
                warnings: Vec::new(),
                notes: Vec::new(),
            };
            let mut lines = Vec::new();
            let outcome = execute(&plan, &mut |ev| {
                if let ExecEvent::Line(Stream::Stdout, l) = ev {
                    lines.push(l);
                }
            })
            .expect("runs");
            (outcome, lines)
        };
        let (outcome, lines) = run("echo '[\"Env\",'; echo '\"Tier\"]'");
        assert_eq!(outcome.result, RevertResult::Converged, "{outcome:?}");
        assert_eq!(
            lines[2..],
            [
                "--parameters",
                "ParameterKey=Env,UsePreviousValue=true",
                "ParameterKey=Tier,UsePreviousValue=true"
            ]
        );
        assert!(outcome.steps[1].command.contains("ParameterKey=Tier"));
        let (outcome, _) = run("echo 'not json'");
        assert_eq!(outcome.result, RevertResult::Failed);
        assert_eq!(outcome.steps.len(), 1, "the change set step never ran");
        assert!(
            outcome
                .error
                .as_deref()
                .is_some_and(|e| e.contains("parameter keys"))
        );
    }

    #[test]
    fn a_driftctl_instance_targets_its_whole_block_once() {
        let inst = |id: &str| {
            let mut i = DriftItem::new(
                id.to_string(),
                format!("aws_iam_user.users[id={id}]"),
                "aws_iam_user".to_string(),
                "scan.json",
                Format::Driftctl,
                Kind::Modified,
            );
            i.format = Some(Format::Driftctl);
            i
        };
        let (a, b) = (inst("alice"), inst("bob"));
        let p = plan(&[&a, &b], Tool::Terraform, Path::new(".")).expect("plan");
        assert_eq!(
            p.steps[0].args,
            [
                "plan",
                "-input=false",
                "-target=aws_iam_user.users",
                "-out=driftdeck-revert.tfplan"
            ]
        );
        assert!(
            p.notes
                .iter()
                .any(|n| n.starts_with("aws_iam_user.users[id=alice]") && n.contains("every instance")),
            "{:?}",
            p.notes
        );
    }
}

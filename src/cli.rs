//! The command line: subcommands and flags (clap derive). Parsing only; the work is in
//! [`commands`](crate::commands).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::Severity;

/// Interactive infrastructure-drift triage.
#[derive(Debug, Parser)]
#[command(name = "driftdeck", version, about, long_about = None)]
#[command(args_conflicts_with_subcommands = true, arg_required_else_help = true)]
pub struct Cli {
    /// Taxonomy file that overrides the built-in severity rules (merged over the defaults and
    /// over `taxonomy.toml` in the config dir).
    #[arg(long, global = true, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,

    /// Colour theme of the TUI: default, light, high-contrast, or a theme file (NO_COLOR turns
    /// colours off).
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,

    /// Reports to open in the TUI (same as `driftdeck open REPORT...`).
    #[arg(value_name = "REPORT")]
    pub reports: Vec<String>,

    /// The subcommand; without one, the reports open in the TUI.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Output formats of listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// A readable table.
    #[default]
    Table,
    /// The JSON contract documented in the README.
    Json,
}

/// A severity threshold on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum SeverityArg {
    /// Any drift.
    #[default]
    Low,
    /// Medium and above.
    Medium,
    /// High and above.
    High,
    /// Critical only.
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// Drift reports to load.
#[derive(Debug, Args)]
pub struct Reports {
    /// Report files (Terraform/OpenTofu plan JSON, driftctl scan JSON, CloudFormation drift
    /// JSON; the format is detected from the content). `-` reads standard input.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<String>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List drifted items: severity, kind, address, changed attributes.
    List {
        /// The reports.
        #[command(flatten)]
        reports: Reports,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
    },
    /// For CI: exit 0 when no drift is at or above the threshold, 2 when some is, 1 on error.
    Check {
        /// The reports.
        #[command(flatten)]
        reports: Reports,
        /// Lowest severity that fails the check.
        #[arg(long, value_enum, default_value_t, value_name = "SEVERITY")]
        fail_on: SeverityArg,
    },
    /// Open the bundled example incident (assets/demo) in the TUI.
    Demo,
    /// Open reports in the interactive TUI (`-` reads standard input; keys come from the tty).
    Open {
        /// The reports.
        #[command(flatten)]
        reports: Reports,
    },
}

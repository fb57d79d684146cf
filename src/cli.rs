//! The command line: subcommands and flags (clap derive). Parsing only; the work is in
//! [`commands`](crate::commands).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::Severity;

/// Interactive infrastructure-drift triage.
#[derive(Debug, Parser)]
#[command(name = "driftdeck", version, about, long_about = None)]
pub struct Cli {
    /// Taxonomy file that overrides the built-in severity rules (merged over the defaults and
    /// over `taxonomy.toml` in the config dir).
    #[arg(long, global = true, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,

    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
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
    /// Open the bundled example incident (assets/demo).
    Demo,
    /// Who changed each drifted item, when, from where, with what (CloudTrail).
    Attribute(AttributeArgs),
}

/// Flags of `driftdeck attribute`.
#[derive(Debug, Args)]
pub struct AttributeArgs {
    /// The reports.
    #[command(flatten)]
    pub reports: Reports,
    /// Read exported CloudTrail log files (S3 layout `AWSLogs/<account>/CloudTrail/<region>/…`,
    /// `.json.gz` or `.json`) instead of calling AWS.
    #[arg(long, value_name = "DIR", conflicts_with = "event_data_store")]
    pub cloudtrail_logs: Option<PathBuf>,
    /// Query this CloudTrail Lake event data store (one SQL query for all items).
    #[arg(long, value_name = "ARN")]
    pub event_data_store: Option<String>,
    /// AWS profile (shared config/credentials files, SSO).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// AWS region for resources whose region the report does not say.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Start of the search window (RFC 3339 or YYYY-MM-DD); default 90 days before the report.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// End of the search window; default one hour after the report's timestamp.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

//! The command line: subcommands and flags (clap derive). Parsing only; the work is in
//! [`commands`](crate::commands).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::Severity;

/// Interactive infrastructure-drift triage.
#[derive(Debug, Parser)]
#[command(name = "driftdeck", version, about, long_about = None)]
// Global flags (`--iac-dir`, `--journal`, `--actor`, `--read-only`, `--taxonomy`, `--theme`)
// work before and after the subcommand; CloudTrail flags given before a subcommand are refused
// in `Cli::misplaced` rather than silently dropped.
#[command(arg_required_else_help = true)]
pub struct Cli {
    /// Taxonomy file that overrides the built-in severity rules (merged over the defaults and
    /// over `taxonomy.toml` in the config dir).
    #[arg(long, global = true, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,

    /// Decision settings: IaC directory, journal, actor, read-only.
    #[command(flatten)]
    pub decide: DecideArgs,

    /// Colour theme of the TUI: default, light, high-contrast, or a theme file (NO_COLOR turns
    /// colours off).
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,

    /// TUI: reload the reports when a report file changes on disk (Ctrl-R reloads by hand).
    #[arg(long, global = true)]
    pub watch: bool,

    /// Reports to open in the TUI (same as `driftdeck open REPORT...`).
    #[arg(value_name = "REPORT")]
    pub reports: Vec<String>,

    /// CloudTrail attribution in the TUI.
    #[command(flatten)]
    pub cloudtrail: CloudTrailArgs,

    /// The subcommand; without one, the reports open in the TUI.
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Top-level CloudTrail flags given together with a subcommand, which would be ignored
    /// (`driftdeck --cloudtrail-logs D attribute r.json`): the message to refuse them with.
    pub fn misplaced(&self) -> Option<String> {
        self.command.as_ref()?;
        let ct = &self.cloudtrail;
        let cloudtrail = ct.cloudtrail_logs.is_some()
            || ct.event_data_store.is_some()
            || ct.profile.is_some()
            || ct.region.is_some()
            || ct.since.is_some()
            || ct.until.is_some();
        cloudtrail.then(|| {
            "CloudTrail flags (--cloudtrail-logs, --event-data-store, --profile, --region, --since, --until) go after the subcommand"
                .to_string()
        })
    }
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
    /// For CI: exit 0 when no drift is at or above the threshold, 2 when some is, 3 when drift
    /// could not be fully determined (an incomplete report), 1 on error.
    Check {
        /// The reports.
        #[command(flatten)]
        reports: Reports,
        /// Lowest severity that fails the check.
        #[arg(long, value_enum, default_value_t, value_name = "SEVERITY")]
        fail_on: SeverityArg,
        /// Exit 0 instead of 3 when a report is incomplete and no drift at or above the
        /// threshold was found (the reasons are still printed on stderr).
        #[arg(long)]
        allow_incomplete: bool,
    },
    /// Open the bundled example incident (assets/demo) in the TUI.
    Demo,
    /// Approve an item's drift as temporary divergence until an expiry (journaled, then written
    /// to .driftdeck/approvals.toml).
    Approve {
        /// The report holding the item.
        #[arg(value_name = "REPORT")]
        report: String,
        /// Item address (or id).
        #[arg(value_name = "ADDRESS")]
        address: String,
        /// Why the divergence is acceptable (required for high and critical items).
        #[arg(long)]
        reason: Option<String>,
        /// Expiry: a duration (72h, 7d) or a date (2026-12-01) or an RFC 3339 time.
        #[arg(long)]
        expires: String,
        /// Ticket id.
        #[arg(long)]
        ticket: Option<String>,
        /// Approve only these attributes (comma-separated); default all changed attributes.
        #[arg(long, value_delimiter = ',')]
        attributes: Vec<String>,
        /// Attribute the change through CloudTrail for the journal's evidence (optional).
        #[command(flatten)]
        cloudtrail: CloudTrailArgs,
    },
    /// Show or prune the approvals file.
    Approvals {
        /// What to do.
        #[command(subcommand)]
        action: ApprovalsAction,
    },
    /// Adopt live values into the IaC: print the diff; --write applies it.
    Adopt {
        /// The report holding the item.
        #[arg(value_name = "REPORT")]
        report: String,
        /// Item address (or id).
        #[arg(value_name = "ADDRESS")]
        address: String,
        /// Write the change (atomically) after journaling it.
        #[arg(long)]
        write: bool,
        /// Why (required for high and critical items when writing).
        #[arg(long)]
        reason: Option<String>,
        /// Ticket id.
        #[arg(long)]
        ticket: Option<String>,
        /// Attribute the change through CloudTrail for the journal's evidence (optional).
        #[command(flatten)]
        cloudtrail: CloudTrailArgs,
    },
    /// Revert live back to the IaC: print the commands; --execute runs them and verifies.
    Revert {
        /// The report holding the items.
        #[arg(value_name = "REPORT")]
        report: String,
        /// Item addresses (or ids).
        #[arg(value_name = "ADDRESS", required = true)]
        addresses: Vec<String>,
        /// Run the commands in the IaC directory, stream their output, verify and journal.
        #[arg(long)]
        execute: bool,
        /// The Terraform-family binary.
        #[arg(long, value_enum, default_value_t)]
        tool: ToolArg,
        /// Why (required for high and critical items).
        #[arg(long)]
        reason: Option<String>,
        /// Ticket id.
        #[arg(long)]
        ticket: Option<String>,
        /// Typed confirmation: the address of each high or critical item, exactly.
        #[arg(long, value_name = "ADDRESS")]
        confirm: Vec<String>,
        /// Attribute the change through CloudTrail for the journal's evidence (optional).
        #[command(flatten)]
        cloudtrail: CloudTrailArgs,
    },
    /// The decision journal.
    Journal {
        /// What to do.
        #[command(subcommand)]
        action: JournalAction,
    },
    /// Export the decisions as evidence (from the journal).
    Export {
        /// Output format.
        #[arg(long, value_enum)]
        format: ExportFormatArg,
    },
    /// Open reports in the interactive TUI (`-` reads standard input; keys come from the tty).
    Open {
        /// The reports.
        #[command(flatten)]
        reports: Reports,
        /// CloudTrail attribution in the TUI.
        #[command(flatten)]
        cloudtrail: CloudTrailArgs,
    },
    /// Who changed each drifted item, when, from where, with what (CloudTrail).
    Attribute(AttributeArgs),
    /// Print the CREATE TABLE statement for querying a trail's S3 archive with Athena
    /// (partition projection on account, region and delivery date).
    AthenaDdl {
        /// The trail's S3 bucket.
        #[arg(long)]
        bucket: String,
        /// Key prefix of the trail inside the bucket, if any.
        #[arg(long)]
        prefix: Option<String>,
        /// Organization id of an organization trail (`o-…`).
        #[arg(long, value_name = "o-…")]
        org_id: Option<String>,
        /// Table to create (DATABASE.TABLE).
        #[arg(long, default_value = "cloudtrail.organization_trail")]
        table: String,
    },
    /// The attribution cache.
    Cache {
        /// What to do.
        #[command(subcommand)]
        action: CacheAction,
    },
}

/// `cache` actions.
#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Delete every cached lookup.
    Clear,
}

/// Settings shared by the decision commands (and the TUI).
#[derive(Debug, Args, Default)]
pub struct DecideArgs {
    /// The IaC directory: .tf sources, templates, and .driftdeck/ (journal, approvals).
    #[arg(long, global = true, value_name = "DIR", env = "DRIFTDECK_IAC_DIR")]
    pub iac_dir: Option<PathBuf>,
    /// Journal file (default: .driftdeck/journal.jsonl in the IaC directory).
    #[arg(long, global = true, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Who is deciding (default: DRIFTDECK_ACTOR, git user.email, the OS user).
    #[arg(long, global = true)]
    pub actor: Option<String>,
    /// Disable every write and execution (journal, approvals, adopt --write, revert --execute).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// List noise too (provider read-back attributes, `lifecycle.ignore_changes`, drift outside
    /// Terraform's relevant_attributes), each change marked with why it is noise. `check`
    /// always ignores noise.
    #[arg(long, global = true)]
    pub show_noise: bool,
    /// Sign every journal entry with this OpenSSH private key (SSHSIG, namespace
    /// driftdeck-journal); default `[journal] signing_key` in config.toml.
    #[arg(long, global = true, value_name = "KEY")]
    pub sign_with: Option<PathBuf>,
    /// Seconds to wait for another driftdeck process to finish writing .driftdeck/ before
    /// giving up with an error (default 10; `[journal] lock_timeout` in config.toml).
    #[arg(long, global = true, value_name = "SECONDS", env = "DRIFTDECK_LOCK_TIMEOUT")]
    pub lock_timeout: Option<u64>,
}

/// `approvals` actions.
#[derive(Debug, Subcommand)]
pub enum ApprovalsAction {
    /// List approvals with their state.
    List,
    /// Remove expired approvals.
    Prune,
}

/// `journal` actions.
#[derive(Debug, Subcommand)]
pub enum JournalAction {
    /// Check the hash chain, the recorded heads and the signatures; names the first problem.
    Verify {
        /// A head kept elsewhere (`SEQ:HASH` from `journal head`): the journal must still hold
        /// that entry with that hash (detects rewrites and truncation).
        #[arg(long, value_name = "SEQ:HASH")]
        head: Option<String>,
        /// Require every entry to be signed by a key this file (ssh-keygen's allowed_signers
        /// format) allows for the driftdeck-journal namespace.
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
    },
    /// Print the head: the last entry's sequence number and hash, `SEQ:HASH`.
    Head,
}

/// Terraform-family binaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ToolArg {
    /// terraform.
    #[default]
    Terraform,
    /// OpenTofu.
    Tofu,
    /// terragrunt.
    Terragrunt,
}

/// Evidence export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormatArg {
    /// Markdown.
    Md,
    /// JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// CSV.
    Csv,
}

/// Flags of `driftdeck attribute`.
#[derive(Debug, Args)]
pub struct AttributeArgs {
    /// The reports.
    #[command(flatten)]
    pub reports: Reports,
    /// Where CloudTrail events come from.
    #[command(flatten)]
    pub cloudtrail: CloudTrailArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// CloudTrail source flags of `attribute` and of the TUI (`driftdeck REPORT...`, `open`).
#[derive(Debug, Args, Default, Clone)]
pub struct CloudTrailArgs {
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
    /// Credentials for one account's live lookups (repeatable; over `[attribution.accounts]`
    /// in config.toml; `*=PROFILE` for every other account).
    #[arg(long, value_name = "ACCOUNT=PROFILE")]
    pub account_profile: Vec<String>,
    /// Query the trail's S3 archive with Amazon Athena through this table (DATABASE.TABLE; see
    /// `driftdeck athena-ddl`).
    #[arg(long, value_name = "DB.TABLE", conflicts_with_all = ["cloudtrail_logs", "event_data_store"])]
    pub athena_table: Option<String>,
    /// Athena database when --athena-table is not qualified.
    #[arg(long, value_name = "DB")]
    pub athena_database: Option<String>,
    /// Athena workgroup.
    #[arg(long, value_name = "NAME", default_value = "primary")]
    pub athena_workgroup: String,
    /// Where Athena writes results (s3://…; required when the workgroup has no output location).
    #[arg(long, value_name = "S3_URL")]
    pub athena_output: Option<String>,
    /// Print each SQL query to stderr before it runs (Athena and Lake).
    #[arg(long)]
    pub show_query: bool,
    /// Ignore the attribution cache for this run (results are still written to it).
    #[arg(long)]
    pub refresh: bool,
}

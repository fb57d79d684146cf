//! CloudTrail attribution: for each drifted item, the API call that caused the drift and the
//! human behind it.
//!
//! - [`source`]: the [`EventSource`](source::EventSource) trait and the normalised [`Event`].
//! - [`cloudtrail`]: live `LookupEvents` through the AWS SDK (rate limited, paged, retried).
//! - [`archive`]: exported log files (`--cloudtrail-logs DIR`, the S3 delivery layout).
//! - [`lake`]: CloudTrail Lake (`--event-data-store ARN`), one SQL query for all items.
//! - [`actor`]: who (IAM user, assumed role, Identity Center, root, service) and with what tool.
//! - [`matcher`]: lookup keys per item, which events touch which attribute, ranking.
//! - [`cache`]: the on-disk lookup cache (reopening a report costs zero API calls).
//! - [`engine`]: one item → one [`Attribution`]; the time window; deduplicated lookups.
//! - [`service`]: the non-blocking queue the TUI drives (`request_all`, `prioritize`, …).
//! - [`view`]: pure helpers for the TUI and CLI: filter terms, group by actor, table/JSON.

pub mod actor;
pub mod archive;
pub mod cache;
pub mod cloudtrail;
pub mod engine;
pub mod lake;
pub mod matcher;
pub mod service;
pub mod source;
pub mod view;

use serde::Serialize;

pub use actor::{Actor, Tool};
pub use engine::{Engine, EngineOptions, Window};
pub use matcher::TypeMap;
pub use service::{AttributionService, ServiceEvent};
pub use source::{Event, EventSource, Lookup, LookupKey, SourceError};
pub use view::{ActorGroup, filter_matches, group_by_actor};

/// Outcome of attributing one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributionStatus {
    /// A causing event was found.
    Attributed,
    /// No event touched the item in the window.
    NoEvents,
    /// The lookup failed (credentials, access, network …); see the message.
    Error,
}

impl AttributionStatus {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributionStatus::Attributed => "attributed",
            AttributionStatus::NoEvents => "no_events",
            AttributionStatus::Error => "error",
        }
    }
}

/// How sure the matcher is that an event caused the drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// The event touches the resource through a call the type map does not know, or a
    /// time-window guess: a call of the type on a drifted attribute whose record names no
    /// resource.
    Low,
    /// A known mutating call on the resource, not on a drifted attribute.
    Medium,
    /// A known mutating call on the resource that sets a drifted attribute (or creates an
    /// unmanaged / deletes a deleted resource).
    High,
}

impl Confidence {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// One event considered as the cause of an item's drift.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// CloudTrail `eventID` (or a synthetic id, see `event_id_synthetic`).
    pub event_id: String,
    /// The record had no `eventID`; `event_id` is a stable hash of the record.
    pub event_id_synthetic: bool,
    /// API call (`AuthorizeSecurityGroupIngress`).
    pub event_name: String,
    /// Service host (`ec2.amazonaws.com`).
    pub event_source: String,
    /// When the call completed, RFC 3339 UTC (`2026-11-20T22:39:12Z`).
    pub event_time: String,
    /// Region the event was recorded in.
    pub region: String,
    /// Who made the call.
    pub actor: Actor,
    /// `sourceIPAddress` (an IP, a service name, or `AWS Internal`).
    pub source_ip: Option<String>,
    /// `userAgent` as recorded (a claim made by the client).
    pub user_agent: Option<String>,
    /// Tool claimed by the user agent.
    pub tool: Tool,
    /// The session was MFA-authenticated.
    pub mfa: bool,
    /// The call used console session credentials.
    pub console_session: bool,
    /// Not made by an IaC tool or a configured pipeline principal.
    pub out_of_band: bool,
    /// How sure the matcher is.
    pub confidence: Confidence,
    /// Drifted attributes this call sets.
    pub matched: Vec<String>,
    /// `errorCode` for denied attempts; `None` for successful calls.
    pub error_code: Option<String>,
    /// `errorMessage` for denied attempts.
    pub error_message: Option<String>,
}

impl Candidate {
    /// The CloudTrail console page of the event (the attribution pane's link-like line).
    /// A synthetic id names no event in the console: callers show no link for it.
    pub fn console_link(&self) -> String {
        let region = if self.region.is_empty() {
            "us-east-1"
        } else {
            &self.region
        };
        format!(
            "https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{}",
            self.event_id
        )
    }
}

/// What attribution found for one item. Every result carries the item's id and address.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// [`DriftItem::id`](crate::model::DriftItem::id) of the item.
    pub item_id: String,
    /// Address of the item.
    pub address: String,
    /// Attributed, no events, or error.
    pub status: AttributionStatus,
    /// Why there is no result, or what went wrong (plain English).
    pub message: Option<String>,
    /// The most likely cause.
    pub best: Option<Candidate>,
    /// Other successful mutating events on the item, best first.
    pub candidates: Vec<Candidate>,
    /// Denied or failed attempts on the item (context for security review), newest first.
    pub denied: Vec<Candidate>,
}

impl Attribution {
    /// A result for `item` with `status` and `message` and no events yet.
    pub fn empty(item: &crate::model::DriftItem, status: AttributionStatus, message: Option<String>) -> Self {
        Attribution {
            item_id: item.id.clone(),
            address: item.address.clone(),
            status,
            message,
            best: None,
            candidates: Vec::new(),
            denied: Vec::new(),
        }
    }
}

/// Errors while setting attribution up (bad map file, bad time, unreadable config).
#[derive(Debug, thiserror::Error)]
pub enum AttributionError {
    /// The resource-type map (`assets/cloudtrail-map.toml`) is malformed.
    #[error("cloudtrail map {file}: {message}")]
    Map {
        /// Which file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A `--since`/`--until` value or a report timestamp could not be read.
    #[error(
        "{what}: cannot read the time {value:?}; use RFC 3339 like 2026-11-20T22:00:00Z or a date like 2026-11-20"
    )]
    Time {
        /// Which value.
        what: String,
        /// The text given.
        value: String,
    },
    /// `config.toml` could not be read.
    #[error("{file}: {message}")]
    Config {
        /// Which file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The source could not be set up.
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// Attribution settings from `config.toml` in the config dir.
#[derive(Debug, Clone, Default)]
pub struct AttributionConfig {
    /// Principals whose changes are in-band (the IaC pipeline): role names, user names or
    /// ARNs; globs allowed (`terraform-*`, `arn:aws:iam::*:role/ci-*`).
    pub pipeline_principals: Vec<String>,
    /// How `--cloudtrail-logs` reads files (`[attribution] archive_max_file_mib`, the per-file
    /// cap on decompressed size).
    pub archive: archive::ArchiveOptions,
}

/// Reads `archive_max_file_mib` (a whole number of MiB, at least 1).
fn archive_options(v: &toml::Table) -> Result<archive::ArchiveOptions, String> {
    let Some(raw) = v.get("attribution").and_then(|a| a.get("archive_max_file_mib")) else {
        return Ok(archive::ArchiveOptions::default());
    };
    let bad = || {
        format!(
            "archive_max_file_mib must be a whole number of MiB from 1 upwards, e.g. archive_max_file_mib = 512 (found {raw})"
        )
    };
    let mib = raw
        .as_integer()
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| *n >= 1)
        .ok_or_else(bad)?;
    let max_file_bytes = mib.checked_mul(1024 * 1024).ok_or_else(bad)?;
    Ok(archive::ArchiveOptions { max_file_bytes })
}

impl AttributionConfig {
    /// Reads `pipeline_principals` (top level or under `[attribution]`) and
    /// `[attribution] archive_max_file_mib` from `config.toml` in the config dir. A missing file is an empty config.
    pub fn load() -> Result<Self, AttributionError> {
        let Some(dir) = crate::config::config_dir() else {
            return Ok(Self::default());
        };
        Self::load_file(&dir.join("config.toml"))
    }

    /// Reads one config file (see [`AttributionConfig::load`]).
    pub fn load_file(path: &std::path::Path) -> Result<Self, AttributionError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(AttributionError::Config {
                    file: path.display().to_string(),
                    message: e.to_string(),
                });
            }
        };
        Self::parse(&text).map_err(|message| AttributionError::Config {
            file: path.display().to_string(),
            message,
        })
    }

    /// Parses config text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let v: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let list = v
            .get("attribution")
            .and_then(|a| a.get("pipeline_principals"))
            .or_else(|| v.get("pipeline_principals"));
        let mut out = Vec::new();
        if let Some(list) = list {
            let arr = list
                .as_array()
                .ok_or("pipeline_principals must be a list of strings, e.g. [\"terraform-ci\"]")?;
            for p in arr {
                out.push(
                    p.as_str()
                        .ok_or("pipeline_principals must be a list of strings, e.g. [\"terraform-ci\"]")?
                        .to_string(),
                );
            }
        }
        Ok(AttributionConfig {
            pipeline_principals: out,
            archive: archive_options(&v)?,
        })
    }
}

/// Which CloudTrail source a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceChoice {
    /// Live `LookupEvents` through the SDK (the default).
    Live,
    /// Exported log files under this directory (`--cloudtrail-logs`).
    Archive(std::path::PathBuf),
    /// A CloudTrail Lake event data store ARN (`--event-data-store`).
    Lake(String),
}

impl SourceChoice {
    /// The bundled demo incident's exported logs (`assets/demo/cloudtrail`), when present.
    pub fn demo() -> Option<Self> {
        crate::config::demo_dir()
            .map(|d| d.join("cloudtrail"))
            .filter(|d| d.is_dir())
            .map(SourceChoice::Archive)
    }

    /// Opens the source. Live sources read the standard AWS configuration here but do not
    /// call AWS until the first lookup.
    pub async fn open(
        &self,
        live: cloudtrail::LiveOptions,
    ) -> Result<std::sync::Arc<dyn EventSource>, SourceError> {
        self.open_with(live, archive::ArchiveOptions::default()).await
    }

    /// [`open`](Self::open) with the archive reader's options (the per-file size cap).
    pub async fn open_with(
        &self,
        live: cloudtrail::LiveOptions,
        archive_opts: archive::ArchiveOptions,
    ) -> Result<std::sync::Arc<dyn EventSource>, SourceError> {
        Ok(match self {
            SourceChoice::Live => std::sync::Arc::new(cloudtrail::CloudTrailSource::new(live).await?),
            SourceChoice::Archive(dir) => {
                std::sync::Arc::new(archive::ArchiveSource::open_with(dir, archive_opts)?)
            }
            SourceChoice::Lake(arn) => std::sync::Arc::new(lake::LakeSource::new(arn, live).await?),
        })
    }
}

/// Everything needed to start attribution for a run: the source and the window flags. The
/// `attribute` command and the TUI build their engine through [`Setup::engine`].
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// Where events come from.
    pub choice: SourceChoice,
    /// `--profile` / `--region` (live and Lake sources).
    pub profile: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--since`.
    pub since: Option<String>,
    /// `--until`.
    pub until: Option<String>,
}

impl Setup {
    /// A setup over `choice` with no flags.
    pub fn new(choice: SourceChoice) -> Self {
        Setup {
            choice,
            profile: None,
            region: None,
            since: None,
            until: None,
        }
    }

    /// Opens the source and builds the engine for `report`: `config.toml` settings, the disk
    /// cache for live and Lake sources (archives are read directly). Must run inside a tokio
    /// runtime; live sources do not call AWS until the first lookup.
    pub async fn engine(
        &self,
        report: &crate::model::DriftReport,
    ) -> Result<std::sync::Arc<Engine>, AttributionError> {
        let config = AttributionConfig::load()?;
        let live = cloudtrail::LiveOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            ..cloudtrail::LiveOptions::default()
        };
        let source = self.choice.open_with(live, config.archive).await?;
        let cache = if matches!(self.choice, SourceChoice::Live | SourceChoice::Lake(_)) {
            cache::Cache::default_location()
        } else {
            None
        };
        Ok(std::sync::Arc::new(Engine::new(
            source,
            report,
            EngineOptions {
                since: self.since.clone(),
                until: self.until.clone(),
                config,
                cache,
                ..EngineOptions::default()
            },
        )?))
    }
}

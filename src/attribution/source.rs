//! The source trait every CloudTrail backend implements, and the normalised event it returns.
//!
//! A lookup mirrors `LookupEvents`: one attribute (`ResourceName` or `EventName`), one region,
//! one frozen time window. Backends that read everything at once (archive, Lake) answer the
//! same questions from memory, so the engine has one code path.

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The one lookup attribute of a query (LookupEvents allows exactly one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LookupKey {
    /// Events whose `Resources` name this resource (exact match).
    ResourceName(String),
    /// Every event of this API call.
    EventName(String),
}

impl LookupKey {
    /// `ResourceName=sg-…` style text for messages and cache keys.
    pub fn describe(&self) -> String {
        match self {
            LookupKey::ResourceName(v) => format!("ResourceName={v}"),
            LookupKey::EventName(v) => format!("EventName={v}"),
        }
    }
}

/// One query to a source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lookup {
    /// Account id when known (cache key and the archive's filter).
    pub account: Option<String>,
    /// Region to query; `None` = the source's default region (the archive: every region).
    pub region: Option<String>,
    /// The lookup attribute.
    pub key: LookupKey,
    /// Inclusive start, epoch seconds (frozen once per run).
    pub start: i64,
    /// Inclusive end, epoch seconds.
    pub end: i64,
}

/// Why a source could not answer. Cloneable so deduplicated lookups can share one failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    /// No credentials, expired SSO token, bad profile.
    #[error("AWS credentials: {0}")]
    Credentials(String),
    /// The principal may not call the API.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// Endpoint unreachable, DNS, timeout.
    #[error("cannot reach CloudTrail: {0}")]
    Network(String),
    /// The service rejected the request.
    #[error("CloudTrail rejected the lookup: {0}")]
    Service(String),
    /// Local files (archive, cache) could not be read.
    #[error("{0}")]
    Io(String),
}

/// A CloudTrail record, normalised from either a log file `Records[]` element or a
/// LookupEvents `CloudTrailEvent` string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `eventID`: the dedupe key.
    pub event_id: String,
    /// `eventName`.
    pub event_name: String,
    /// `eventSource`.
    pub event_source: String,
    /// `eventTime`, epoch seconds.
    pub event_time: i64,
    /// `awsRegion`.
    pub region: String,
    /// `recipientAccountId` (or the identity's account).
    pub account: Option<String>,
    /// `readOnly` (bool or string in the wild).
    pub read_only: bool,
    /// `eventType` (`AwsApiCall`, `AwsServiceEvent`, …).
    pub event_type: Option<String>,
    /// `errorCode` when the call failed.
    pub error_code: Option<String>,
    /// `errorMessage` when the call failed.
    pub error_message: Option<String>,
    /// `userIdentity` as recorded.
    pub user_identity: Value,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    /// `requestParameters` (`null` when absent).
    pub request_parameters: Value,
    /// `responseElements` (`null` when absent).
    pub response_elements: Value,
    /// Resource names and ARNs from `resources` / LookupEvents `Resources`.
    pub resources: Vec<String>,
    /// `sessionCredentialFromConsole == "true"`.
    pub console_session: bool,
    /// `addendum.originalEventID` when this record corrects an earlier one (`UPDATED_DATA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// The record had no `eventID`: `event_id` is [`synthetic_event_id`] of the record (stable
    /// across runs and files, so duplicate deliveries still collapse). Serialised only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub event_id_synthetic: bool,
}

/// Why a JSON value is not a usable CloudTrail record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The value is not a JSON object.
    #[error("not a JSON object")]
    NotAnObject,
    /// No `eventName` string: the call cannot be matched to anything.
    #[error("no eventName")]
    NoEventName,
    /// No `eventTime` that reads as RFC 3339 or epoch seconds: the event cannot be placed in a window.
    #[error("no readable eventTime")]
    NoEventTime,
}

fn bool_of(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn str_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Parses an ISO-8601 `eventTime` into epoch seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// Reads an event time as records and exports carry it: an RFC 3339 string (the record's
/// `eventTime`, the CLI's ISO `EventTime`), or a JSON number of epoch seconds (LookupEvents'
/// wire `EventTime`; some SIEM exports use epoch milliseconds, told apart by magnitude).
pub fn parse_time_value(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => parse_time(s.trim()),
        Value::Number(n) => {
            let f = n.as_f64().filter(|f| f.is_finite())?;
            // Past 1e11 seconds (year 5138) the number can only be milliseconds.
            let secs = if f.abs() >= 1e11 { f / 1000.0 } else { f };
            // Keep within what OffsetDateTime can represent; anything else is not a time.
            (secs.abs() < 2.5e11).then(|| secs.floor() as i64)
        }
        _ => None,
    }
}

/// A stable id for a record without `eventID`: `synthetic-` and 32 hex digits of the SHA-256
/// of the record's canonical JSON (keys sorted at every level), so the same record gets the
/// same id whatever the key order of the export it came from.
pub fn synthetic_event_id(r: &Value) -> String {
    use sha2::{Digest, Sha256};
    fn canon(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    if let Some(x) = m.get(k) {
                        canon(x, out);
                    }
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    canon(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut text = String::new();
    canon(r, &mut text);
    let digest = Sha256::digest(text.as_bytes());
    let hex = hex::encode(digest);
    format!("synthetic-{}", &hex[..32])
}

/// Formats epoch seconds as RFC 3339 UTC (`2026-11-20T22:39:12Z`).
pub fn format_time(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

impl Event {
    /// Reads a record; `None` when it lacks an `eventName` or a readable `eventTime` (see
    /// [`Event::read_record`] for the reason).
    pub fn from_record(r: &Value) -> Option<Event> {
        Self::read_record(r).ok()
    }

    /// Reads a record. A record without `eventID` is still an event: it gets a
    /// [`synthetic_event_id`] and `event_id_synthetic`. Missing `sourceIPAddress`/`userAgent`
    /// (moved by some SIEM exports) stay `None` and show as unknown.
    pub fn read_record(r: &Value) -> Result<Event, RecordError> {
        if !r.is_object() {
            return Err(RecordError::NotAnObject);
        }
        let event_name = str_of(r.get("eventName")).ok_or(RecordError::NoEventName)?;
        let event_time = r
            .get("eventTime")
            .and_then(parse_time_value)
            .ok_or(RecordError::NoEventTime)?;
        let (event_id, event_id_synthetic) = match str_of(r.get("eventID")) {
            Some(id) => (id, false),
            None => (synthetic_event_id(r), true),
        };
        let user_identity = r.get("userIdentity").cloned().unwrap_or(Value::Null);
        let mut resources = Vec::new();
        if let Some(Value::Array(rs)) = r.get("resources") {
            for res in rs {
                for k in ["ARN", "arn", "ResourceName"] {
                    if let Some(s) = str_of(res.get(k)) {
                        resources.push(s);
                    }
                }
            }
        }
        Ok(Event {
            event_id,
            event_id_synthetic,
            event_name,
            event_source: str_of(r.get("eventSource")).unwrap_or_default(),
            event_time,
            region: str_of(r.get("awsRegion")).unwrap_or_default(),
            account: str_of(r.get("recipientAccountId")).or_else(|| str_of(user_identity.get("accountId"))),
            read_only: bool_of(r.get("readOnly")),
            event_type: str_of(r.get("eventType")),
            error_code: str_of(r.get("errorCode")),
            error_message: str_of(r.get("errorMessage")),
            source_ip: str_of(r.get("sourceIPAddress")),
            user_agent: str_of(r.get("userAgent")),
            request_parameters: r.get("requestParameters").cloned().unwrap_or(Value::Null),
            response_elements: r.get("responseElements").cloned().unwrap_or(Value::Null),
            resources,
            console_session: bool_of(r.get("sessionCredentialFromConsole")),
            replaces: r
                .get("addendum")
                .filter(|a| a.get("reason").and_then(Value::as_str) == Some("UPDATED_DATA"))
                .and_then(|a| str_of(a.get("originalEventID"))),
            user_identity,
        })
    }

    /// True when the event names `name` in its resources (exact, or as the last ARN segment).
    pub fn names_resource(&self, name: &str) -> bool {
        self.resources.iter().any(|r| {
            r == name
                || r.rsplit([':', '/']).next() == Some(name)
                || r.strip_suffix(name).is_some_and(|p| p.ends_with(['/', ':']))
        })
    }

    /// True when this event answers `key` (what LookupEvents would return for it).
    pub fn answers(&self, key: &LookupKey) -> bool {
        match key {
            LookupKey::ResourceName(n) => self.names_resource(n),
            LookupKey::EventName(n) => &self.event_name == n,
        }
    }
}

/// A CloudTrail backend. Methods return boxed futures so sources can be shared as
/// `Arc<dyn EventSource>` by the engine's workers.
pub trait EventSource: Send + Sync {
    /// Short name for messages (`cloudtrail`, `archive`, `lake`).
    fn name(&self) -> &'static str;

    /// A stable description of where events come from (profile, endpoint, store), used in
    /// cache keys. `None` disables the disk cache (local files are cheap to reread).
    fn cache_scope(&self) -> Option<String> {
        None
    }

    /// How far back the source can look (LookupEvents: 90 days); the engine clamps windows.
    fn max_history_secs(&self) -> Option<i64> {
        None
    }

    /// Runs one lookup to the end (all pages). Returned events may include read-only and
    /// failed calls; the matcher filters.
    fn lookup<'a>(&'a self, q: &'a Lookup) -> BoxFuture<'a, Result<Vec<Event>, SourceError>>;

    /// Whether [`prepare`](EventSource::prepare) wants the planned lookups (bulk sources only;
    /// planning every item's lookups is wasted work for the others).
    fn wants_prepare(&self) -> bool {
        false
    }

    /// Called once with every lookup the engine expects to make, before any
    /// [`lookup`](EventSource::lookup): bulk sources (Lake) fetch everything in one query.
    fn prepare<'a>(&'a self, _planned: &'a [Lookup]) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async { Ok(()) })
    }

    /// Warnings gathered so far (malformed files …), each returned once.
    fn take_warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

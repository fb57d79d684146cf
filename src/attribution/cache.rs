//! The on-disk lookup cache: one file per (source scope, account, region, lookup key,
//! window) under `<cache dir>/attribution/`, so reopening a report costs zero API calls.
//! Writes go to a temporary file and are renamed into place; an unreadable entry is a miss.
//!
//! Lifetime: a lookup that found events is kept until the window changes (the window is part
//! of the key); an empty lookup (`no_events`) expires after the negative TTL (default one hour,
//! `[attribution] cache_ttl`) because late-delivered events may still arrive. Failed lookups are
//! never written. Files are mode 0600 in a 0700 directory: they hold who did what.
//!
//! Minimal records: an entry holds only what attribution shows and the matcher needs (event id,
//! time, name, source, identity, IP, user agent, region, account, resources, error) and, in place
//! of `requestParameters`/`responseElements`, the distinct identifier-sized strings they mention
//! with every secret left out (values under secret-looking names, secret-shaped values, random
//! values where secrets live, and the same inside JSON carried in strings). The raw payloads and
//! the raw record never reach the disk. Entries of an older format are ignored, never misread.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use serde_json::Value;

use super::source::{Event, Lookup};
use crate::classify::{SecretMatcher, Taxonomy};
use crate::model::{AttrPath, Step};

/// Format of the cache entries; part of every key, so files of another format are never read.
pub const FORMAT: u32 = 2;

/// Longest string kept as a mention: the longest ARN AWS allows. Longer strings are documents,
/// not identifiers, and cannot equal what the matcher looks for.
const MAX_MENTION: usize = 2048;

/// A directory of cached lookup results.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    negative_ttl: u64,
    refresh: bool,
}

/// How long an empty lookup stays cached by default (seconds).
pub const DEFAULT_NEGATIVE_TTL_SECS: u64 = 3600;

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    /// When written, epoch seconds (empty lookups expire from here).
    #[serde(default)]
    stored: i64,
    events: Vec<CachedEvent>,
}

/// The minimal form of an [`Event`] kept on disk.
#[derive(Serialize, Deserialize)]
struct CachedEvent {
    event_id: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    event_id_synthetic: bool,
    event_name: String,
    event_source: String,
    event_time: i64,
    region: String,
    account: Option<String>,
    read_only: bool,
    event_type: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
    user_identity: Value,
    source_ip: Option<String>,
    user_agent: Option<String>,
    resources: Vec<String>,
    console_session: bool,
    replaces: Option<String>,
    request: Mentions,
    response: Mentions,
}

/// What the matcher needs of a payload: whether it was a non-empty object (a record that names
/// something) and the non-secret strings it mentions.
#[derive(Serialize, Deserialize)]
struct Mentions {
    named: bool,
    strings: Vec<String>,
}

impl Mentions {
    fn of(v: &Value, secrets: Option<&SecretMatcher>) -> Self {
        let mut found = std::collections::BTreeSet::new();
        collect(v, &mut AttrPath::root(), secrets, &mut found);
        Mentions {
            named: v.as_object().is_some_and(|o| !o.is_empty()),
            strings: found.into_iter().collect(),
        }
    }

    /// A payload the matcher reads exactly as it read the original: same emptiness, same
    /// string leaves (secrets aside).
    fn to_value(&self) -> Value {
        let list = Value::Array(self.strings.iter().cloned().map(Value::String).collect());
        if self.named {
            serde_json::json!({ "mentions": list })
        } else if self.strings.is_empty() {
            Value::Null
        } else {
            list
        }
    }
}

/// Collects the string leaves of `v` that may be identifiers and are not secrets.
fn collect(
    v: &Value,
    path: &mut AttrPath,
    secrets: Option<&SecretMatcher>,
    out: &mut std::collections::BTreeSet<String>,
) {
    match v {
        Value::String(s) => {
            // JSON carried in a string (policies, container definitions): its own leaves count.
            if s.trim_start().starts_with(['{', '[']) {
                if let Ok(inner) = serde_json::from_str::<Value>(s) {
                    if inner.is_object() || inner.is_array() {
                        collect(&inner, path, secrets, out);
                    }
                }
                return;
            }
            if s.is_empty() || s.len() > MAX_MENTION {
                return;
            }
            let secret = match secrets {
                Some(m) => {
                    m.is_secret_path(path)
                        || m.is_secret_value(s)
                        || (SecretMatcher::is_secret_context(path) && crate::classify::looks_random(s))
                }
                // Without the built-in rules, keep nothing that could be a secret.
                None => true,
            };
            if !secret {
                out.insert(s.clone());
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.0.push(Step::Index(i));
                collect(x, path, secrets, out);
                path.0.pop();
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                path.0.push(Step::Key(k.clone()));
                collect(x, path, secrets, out);
                path.0.pop();
            }
        }
        _ => {}
    }
}

/// The built-in secret rules (the default taxonomy), compiled once.
fn builtin_secrets() -> Option<&'static SecretMatcher> {
    static TAXONOMY: std::sync::OnceLock<Option<Taxonomy>> = std::sync::OnceLock::new();
    TAXONOMY
        .get_or_init(|| Taxonomy::defaults().ok())
        .as_ref()
        .map(Taxonomy::secrets)
}

impl CachedEvent {
    fn from_event(e: &Event) -> Self {
        let secrets = builtin_secrets();
        CachedEvent {
            event_id: e.event_id.clone(),
            event_id_synthetic: e.event_id_synthetic,
            event_name: e.event_name.clone(),
            event_source: e.event_source.clone(),
            event_time: e.event_time,
            region: e.region.clone(),
            account: e.account.clone(),
            read_only: e.read_only,
            event_type: e.event_type.clone(),
            error_code: e.error_code.clone(),
            error_message: e.error_message.clone(),
            user_identity: e.user_identity.clone(),
            source_ip: e.source_ip.clone(),
            user_agent: e.user_agent.clone(),
            resources: e.resources.clone(),
            console_session: e.console_session,
            replaces: e.replaces.clone(),
            request: Mentions::of(&e.request_parameters, secrets),
            response: Mentions::of(&e.response_elements, secrets),
        }
    }

    fn into_event(self) -> Event {
        Event {
            request_parameters: self.request.to_value(),
            response_elements: self.response.to_value(),
            event_id: self.event_id,
            event_id_synthetic: self.event_id_synthetic,
            event_name: self.event_name,
            event_source: self.event_source,
            event_time: self.event_time,
            region: self.region,
            account: self.account,
            read_only: self.read_only,
            event_type: self.event_type,
            error_code: self.error_code,
            error_message: self.error_message,
            user_identity: self.user_identity,
            source_ip: self.source_ip,
            user_agent: self.user_agent,
            resources: self.resources,
            console_session: self.console_session,
            replaces: self.replaces,
        }
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Cache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Cache {
            dir: dir.into(),
            negative_ttl: DEFAULT_NEGATIVE_TTL_SECS,
            refresh: false,
        }
    }

    /// Empty lookups expire after `secs`.
    #[must_use]
    pub fn with_negative_ttl(mut self, secs: u64) -> Self {
        self.negative_ttl = secs;
        self
    }

    /// `--refresh`: every read is a miss for this run; results are still written.
    #[must_use]
    pub fn with_refresh(mut self, refresh: bool) -> Self {
        self.refresh = refresh;
        self
    }

    /// The cache directory.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Deletes every cached lookup; returns how many were removed.
    pub fn clear(&self) -> Result<usize, String> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(format!("{}: cannot read the cache dir: {e}", self.dir.display())),
        };
        let mut n = 0;
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "json") {
                std::fs::remove_file(&p).map_err(|e| format!("{}: cannot remove: {e}", p.display()))?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// The cache in `config::cache_dir()/attribution`, when there is a cache dir.
    pub fn default_location() -> Option<Self> {
        crate::config::cache_dir().map(|d| Cache::new(d.join("attribution")))
    }

    fn key(scope: &str, q: &Lookup) -> String {
        format!(
            "v{FORMAT}|{scope}|{}|{}|{}|{}|{}",
            q.account.as_deref().unwrap_or("-"),
            q.region.as_deref().unwrap_or("-"),
            q.key.describe(),
            q.start,
            q.end
        )
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir
            .join(format!("{}.json", hex::encode(Sha256::digest(key.as_bytes()))))
    }

    /// The cached events of a lookup, if any.
    pub fn get(&self, scope: &str, q: &Lookup) -> Option<Vec<Event>> {
        let key = Self::key(scope, q);
        if self.refresh {
            return None;
        }
        let text = std::fs::read(self.path(&key)).ok()?;
        let e: Entry = serde_json::from_slice(&text).ok()?;
        let expired = e.events.is_empty()
            && now().saturating_sub(e.stored) >= i64::try_from(self.negative_ttl).unwrap_or(i64::MAX);
        (e.key == key && !expired).then(|| e.events.into_iter().map(CachedEvent::into_event).collect())
    }

    /// Stores a lookup's events. Failures are returned for a warning; the run goes on.
    pub fn put(&self, scope: &str, q: &Lookup, events: &[Event]) -> Result<(), String> {
        let key = Self::key(scope, q);
        let path = self.path(&key);
        create_private_dir(&self.dir)
            .map_err(|e| format!("{}: cannot create the cache dir: {e}", self.dir.display()))?;
        let body = serde_json::to_vec(&Entry {
            key,
            stored: now(),
            events: events.iter().map(CachedEvent::from_event).collect(),
        })
        .map_err(|e| e.to_string())?;
        crate::fsutil::atomic_write(&path, &body)
            .and_then(|()| set_mode(&path, 0o600))
            .map_err(|e| format!("{}: cannot write the cache: {e}", path.display()))
    }
}

/// Creates `dir` (and parents) with the directory itself at mode 0700.
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &std::path::Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

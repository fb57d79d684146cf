//! The on-disk lookup cache: one file per (source scope, account, region, lookup key,
//! window) under `<cache dir>/attribution/`, so reopening a report costs zero API calls.
//! Writes go to a temporary file and are renamed into place; an unreadable entry is a miss.
//!
//! Lifetime: a lookup that found events is kept until the window changes (the window is part
//! of the key); an empty lookup (`no_events`) expires after the negative TTL (default one hour,
//! `[attribution] cache_ttl`) because late-delivered events may still arrive. Failed lookups are
//! never written. Files are mode 0600 in a 0700 directory: they hold who did what.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::source::{Event, Lookup};

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
    events: Vec<Event>,
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
            "v1|{scope}|{}|{}|{}|{}|{}",
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
        (e.key == key && !expired).then_some(e.events)
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
            events: events.to_vec(),
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

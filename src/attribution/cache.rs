//! The on-disk lookup cache: one file per (source scope, account, region, lookup key,
//! window) under `<cache dir>/attribution/`, so reopening a report costs zero API calls.
//! Writes go to a temporary file and are renamed into place; an unreadable entry is a miss.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::source::{Event, Lookup};

/// A directory of cached lookup results.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    events: Vec<Event>,
}

impl Cache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Cache { dir: dir.into() }
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
        let text = std::fs::read(self.path(&key)).ok()?;
        let e: Entry = serde_json::from_slice(&text).ok()?;
        (e.key == key).then_some(e.events)
    }

    /// Stores a lookup's events. Failures are returned for a warning; the run goes on.
    pub fn put(&self, scope: &str, q: &Lookup, events: &[Event]) -> Result<(), String> {
        let key = Self::key(scope, q);
        let path = self.path(&key);
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("{}: cannot create the cache dir: {e}", self.dir.display()))?;
        let body = serde_json::to_vec(&Entry {
            key,
            events: events.to_vec(),
        })
        .map_err(|e| e.to_string())?;
        crate::fsutil::atomic_write(&path, &body)
            .map_err(|e| format!("{}: cannot write the cache: {e}", path.display()))
    }
}

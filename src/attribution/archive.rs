//! Exported CloudTrail log files (`--cloudtrail-logs DIR`): the S3 delivery layout
//! `AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz` (plain `.json` too).
//!
//! Files are streamed record by record (a file is never held whole), duplicate `eventID`s
//! collapse, read-only calls are dropped at load, and a malformed file becomes a warning
//! naming it while the rest is still read. Digest files are skipped.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures::future::BoxFuture;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::matcher::is_read_only;
use super::source::{Event, EventSource, Lookup, SourceError};

/// An in-memory index of an exported log tree.
#[derive(Debug)]
pub struct ArchiveSource {
    events: Vec<Event>,
    warnings: Mutex<Vec<String>>,
    files: usize,
    duplicates: usize,
}

struct RecordsSeed<'a, F: FnMut(Value)>(&'a mut F);

impl<'de, F: FnMut(Value)> DeserializeSeed<'de> for RecordsSeed<'_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(TopVisitor(self.0))
    }
}

struct TopVisitor<'a, F: FnMut(Value)>(&'a mut F);

impl<'de, F: FnMut(Value)> Visitor<'de> for TopVisitor<'_, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudTrail log object {\"Records\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut found = false;
        while let Some(k) = map.next_key::<String>()? {
            if k == "Records" {
                found = true;
                map.next_value_seed(SeqSeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if found {
            Ok(())
        } else {
            Err(serde::de::Error::custom("no \"Records\" array"))
        }
    }
}

struct SeqSeed<'a, F: FnMut(Value)>(&'a mut F);

impl<'de, F: FnMut(Value)> DeserializeSeed<'de> for SeqSeed<'_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Value)> Visitor<'de> for SeqSeed<'_, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            (self.0)(v);
        }
        Ok(())
    }
}

/// Streams the records of one log file (gzipped or plain) into `f`, one at a time.
pub fn read_records(path: &Path, f: &mut dyn FnMut(Value)) -> Result<(), String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let reader: Box<dyn Read> = if has_ext(path, "gz") {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(BufReader::new(
            file,
        ))))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut cb = |v: Value| f(v);
    RecordsSeed(&mut cb)
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

fn has_ext(p: &Path, ext: &str) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>, warnings: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            warnings.push(format!("{}: cannot read the directory: {e}", dir.display()));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_dir() {
            if name == "cloudtrail-digest" || name == "cloudtrail-insight" {
                continue;
            }
            collect_files(&p, out, warnings);
        } else if has_ext(&p, "json")
            || (has_ext(&p, "gz") && has_ext(Path::new(p.file_stem().unwrap_or_default()), "json"))
        {
            out.push(p);
        }
    }
}

impl ArchiveSource {
    /// Reads every log file under `root`. Fails only when `root` is not a readable
    /// directory or holds no log files; bad files become [`take_warnings`](EventSource::take_warnings).
    pub fn open(root: &Path) -> Result<Self, SourceError> {
        if !root.is_dir() {
            return Err(SourceError::Io(format!(
                "{}: not a directory; --cloudtrail-logs wants the folder holding AWSLogs/<account>/CloudTrail/…",
                root.display()
            )));
        }
        let mut warnings = Vec::new();
        let mut files = Vec::new();
        collect_files(root, &mut files, &mut warnings);
        if files.is_empty() {
            return Err(SourceError::Io(format!(
                "{}: no CloudTrail log files (*.json.gz or *.json) found",
                root.display()
            )));
        }
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut events: Vec<Event> = Vec::new();
        let mut duplicates = 0;
        for path in &files {
            let mut skipped = 0usize;
            let mut push = |v: Value| match Event::from_record(&v) {
                Some(e) if is_read_only(&e) => {}
                Some(e) => {
                    if by_id.contains_key(&e.event_id) {
                        duplicates += 1;
                    } else {
                        by_id.insert(e.event_id.clone(), events.len());
                        events.push(e);
                    }
                }
                None => skipped += 1,
            };
            if let Err(e) = read_records(path, &mut push) {
                warnings.push(format!(
                    "{}: not a readable CloudTrail log file ({e}); skipped the rest of it, other files still read",
                    path.display()
                ));
            }
            if skipped > 0 {
                warnings.push(format!(
                    "{}: {skipped} record(s) without eventID/eventName/eventTime skipped",
                    path.display()
                ));
            }
        }
        events.sort_by_key(|e| std::cmp::Reverse(e.event_time));
        Ok(ArchiveSource {
            events,
            warnings: Mutex::new(warnings),
            files: files.len(),
            duplicates,
        })
    }

    /// Distinct mutating or failed events held (read-only calls are dropped at load).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Number of log files read.
    pub fn file_count(&self) -> usize {
        self.files
    }

    /// Records dropped as duplicate deliveries.
    pub fn duplicate_count(&self) -> usize {
        self.duplicates
    }
}

/// The events answering a lookup (window, region, account, key), as LookupEvents would.
pub(crate) fn filter_events(events: &[Event], q: &Lookup) -> Vec<Event> {
    events
        .iter()
        .filter(|e| e.event_time >= q.start && e.event_time <= q.end)
        .filter(|e| q.region.as_ref().is_none_or(|r| &e.region == r))
        .filter(|e| {
            q.account
                .as_ref()
                .is_none_or(|a| e.account.as_ref().is_none_or(|ea| ea == a))
        })
        .filter(|e| e.answers(&q.key))
        .cloned()
        .collect()
}

impl EventSource for ArchiveSource {
    fn name(&self) -> &'static str {
        "archive"
    }

    fn lookup<'a>(&'a self, q: &'a Lookup) -> BoxFuture<'a, Result<Vec<Event>, SourceError>> {
        Box::pin(async move { Ok(filter_events(&self.events, q)) })
    }

    fn take_warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }
}

//! Exported CloudTrail logs (`--cloudtrail-logs DIR`) in the shapes people have them:
//!
//! - the S3 delivery layout `AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`
//!   (`{"Records": [...]}`, gzipped or plain);
//! - a file holding one bare event object, or a JSON array of events;
//! - NDJSON (`.jsonl` / `.ndjson`, plain or gzipped, one event per line) as SIEMs and `jq -c`
//!   export them; `.json` files holding several top-level values one after the other too;
//! - saved `aws cloudtrail lookup-events` output (`{"Events": [{"EventId", "CloudTrailEvent":
//!   "<json string>", …}], "NextToken": …}`), with `CloudTrailEvent` decoded.
//!
//! Files are streamed record by record (a file is never held whole; NDJSON is read line by
//! line), and each file's decompressed size is capped ([`ArchiveOptions::max_file_bytes`]) so a
//! gzip bomb is cut off and skipped instead of exhausting memory. Folders are walked without
//! recursion, each real folder once, so symlink loops end. Digest and Insights files are
//! skipped quietly. Duplicate `eventID`s collapse, read-only calls are dropped at load, and
//! everything skipped (digest files, unreadable files, records that are not events) is counted
//! in one summary warning rather than dropped silently.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures::future::BoxFuture;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::matcher::is_read_only;
use super::source::{Event, EventSource, Lookup, SourceError};

/// The default cap on one file's decompressed size: 512 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// NDJSON lines longer than this are skipped (a CloudTrail record is at most a few hundred
/// KiB; a whole `{"Records": …}` file squeezed onto one line by `jq -c` still fits).
const MAX_LINE_BYTES: u64 = 64 * 1024 * 1024;

/// Folders nested deeper than this under the root are not read (no real export is this deep;
/// it bounds the walk on hostile trees).
const MAX_DEPTH: usize = 64;

/// How many file names the summary line lists per kind before "and N more".
const LISTED: usize = 5;

/// How the archive reader treats each file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveOptions {
    /// A file whose (decompressed) content is larger than this is skipped with a message.
    /// `[attribution] archive_max_file_mib` in `config.toml` sets it.
    pub max_file_bytes: u64,
}

impl Default for ArchiveOptions {
    fn default() -> Self {
        ArchiveOptions {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Why one exported file (or a byte buffer) could not be read, in whole or from some point.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The content expands past [`ArchiveOptions::max_file_bytes`].
    #[error(
        "holds more than {} once decompressed, over the per-file limit; raise [attribution] archive_max_file_mib in config.toml to read it",
        size_text(*limit)
    )]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The name ends in `.gz` but the bytes are not gzip.
    #[error("named .gz but is not gzip data")]
    NotGzip,
    /// Nothing but whitespace.
    #[error("empty file")]
    Empty,
    /// Not JSON, or JSON that is not a CloudTrail export, at this line.
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line in the decompressed text.
        line: u64,
        /// What is wrong there.
        message: String,
    },
    /// Reading or decompressing failed (truncated gzip, I/O error).
    #[error("{0}")]
    Io(String),
}

/// Where in a file a record came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The Nth record of a file read as JSON values (1-based).
    Record(u64),
    /// A line of an NDJSON file (1-based).
    Line(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Record(n) => write!(f, "record {n}"),
            Place::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// Receives each record in the §7 shape (a lookup-events element is already decoded), or why an
/// element is not one.
type Sink<'a> = dyn FnMut(Place, Result<Value, String>) + 'a;

/// Emits records from whatever export shape a value has.
struct Emitter<'a, 'b> {
    sink: &'a mut Sink<'b>,
    count: u64,
    line: Option<u64>,
}

impl Emitter<'_, '_> {
    fn place(&self) -> Place {
        self.line.map_or(Place::Record(self.count), Place::Line)
    }

    fn record(&mut self, v: Value) {
        self.count += 1;
        let p = self.place();
        (self.sink)(p, Ok(v));
    }

    fn bad(&mut self, why: String) {
        self.count += 1;
        let p = self.place();
        (self.sink)(p, Err(why));
    }

    fn lookup(&mut self, el: Value) {
        match lookup_record(el) {
            Ok(v) => self.record(v),
            Err(why) => self.bad(why),
        }
    }

    /// An element of a top-level array or one NDJSON value: a record, a lookup-events element,
    /// or a whole `{"Records"}` / `{"Events"}` document (`jq -c` of a log file).
    fn value(&mut self, v: Value) {
        match v {
            Value::Object(mut m) => {
                if let Some(Value::Array(rs)) = m.remove("Records") {
                    for r in rs {
                        self.record(r);
                    }
                } else if let Some(Value::Array(es)) = m.remove("Events") {
                    for e in es {
                        self.lookup(e);
                    }
                } else if m.contains_key("CloudTrailEvent") {
                    self.lookup(Value::Object(m));
                } else if looks_like_event(&m) {
                    self.record(Value::Object(m));
                } else {
                    self.bad(not_an_event(&m));
                }
            }
            other => self.bad(format!("a JSON {} is not a CloudTrail event", kind_of(&other))),
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// An object is taken for a bare event when it carries any of the fields every CloudTrail
/// record has; a SIEM export may have moved some of the others.
fn looks_like_event(m: &Map<String, Value>) -> bool {
    ["eventName", "eventTime", "eventSource", "eventID", "eventVersion"]
        .iter()
        .any(|k| m.contains_key(*k))
}

fn not_an_event(m: &Map<String, Value>) -> String {
    let keys: Vec<&str> = m.keys().take(5).map(String::as_str).collect();
    format!(
        "not a CloudTrail export: no \"Records\" or \"Events\" array and no event fields (keys: {}{})",
        keys.join(", "),
        if m.len() > keys.len() { ", …" } else { "" }
    )
}

/// One element of saved `lookup-events` output → the record in `CloudTrailEvent`, with the
/// element's `EventId`, `EventTime`, `ReadOnly` and `Resources` filled in where the record
/// lacks them (the same merge the live source does).
fn lookup_record(el: Value) -> Result<Value, String> {
    let Value::Object(el) = el else {
        return Err(format!(
            "an Events element must be an object, found a {}",
            kind_of(&el)
        ));
    };
    let mut rec = match el.get("CloudTrailEvent") {
        // The CLI and the API carry the record as a JSON string …
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .map_err(|e| format!("CloudTrailEvent is not a JSON record ({e})"))?,
        // … some tools decode it in place.
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err("CloudTrailEvent is neither a JSON string nor an object".into()),
        None => return Err("an Events element without CloudTrailEvent".into()),
    };
    let Value::Object(r) = &mut rec else {
        return Err(format!(
            "CloudTrailEvent holds a JSON {}, not a record",
            kind_of(&rec)
        ));
    };
    for (from, to) in [
        ("EventId", "eventID"),
        ("EventTime", "eventTime"),
        ("EventName", "eventName"),
    ] {
        if !r.contains_key(to) {
            if let Some(v) = el.get(from).filter(|v| !v.is_null()) {
                r.insert(to.into(), v.clone());
            }
        }
    }
    if el
        .get("ReadOnly")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("true"))
    {
        r.insert("readOnly".into(), Value::Bool(true));
    }
    if let Some(Value::Array(rs)) = el.get("Resources") {
        let names: Vec<Value> = rs
            .iter()
            .filter_map(|x| x.get("ResourceName").and_then(Value::as_str))
            .map(|n| serde_json::json!({ "ResourceName": n }))
            .collect();
        if !names.is_empty() {
            let list = r.entry("resources").or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(l) = list {
                l.extend(names);
            }
        }
    }
    Ok(rec)
}

/// The top-level value of a file or an NDJSON line, streamed: `Records` and `Events` arrays
/// are visited element by element, so a large log file is never held whole.
struct TopSeed<'e, 'a, 'b>(&'e mut Emitter<'a, 'b>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a CloudTrail export ({\"Records\": [...]}, lookup-events output, an event object or an array of events)",
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut rest = Map::new();
        let mut streamed = false;
        while let Some(k) = map.next_key::<String>()? {
            match k.as_str() {
                "Records" => {
                    map.next_value_seed(ArraySeed(&mut *self.0, Mode::Records))?;
                    streamed = true;
                }
                "Events" => {
                    map.next_value_seed(ArraySeed(&mut *self.0, Mode::Lookup))?;
                    streamed = true;
                }
                // `NextToken` and friends beside a streamed array are not kept.
                _ if streamed => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    rest.insert(k, map.next_value()?);
                }
            }
        }
        if streamed {
            return Ok(());
        }
        if rest.contains_key("CloudTrailEvent") {
            self.0.lookup(Value::Object(rest));
        } else if looks_like_event(&rest) {
            self.0.record(Value::Object(rest));
        } else {
            return Err(serde::de::Error::custom(not_an_event(&rest)));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        ArraySeed(self.0, Mode::Any).visit_seq(seq)
    }
}

#[derive(Clone, Copy)]
enum Mode {
    /// `Records[]`: each element is a record.
    Records,
    /// `Events[]` of lookup-events output.
    Lookup,
    /// A bare array: each element is classified.
    Any,
}

struct ArraySeed<'e, 'a, 'b>(&'e mut Emitter<'a, 'b>, Mode);

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of CloudTrail events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            match self.1 {
                Mode::Records => self.0.record(v),
                Mode::Lookup => self.0.lookup(v),
                Mode::Any => self.0.value(v),
            }
        }
        Ok(())
    }
}

/// Caps how many bytes the parser may pull out of a (decompressed) stream. Past the cap the
/// read fails and `exceeded` is set, so a bomb is never expanded further than the cap.
struct Limited<R> {
    inner: R,
    left: u64,
    exceeded: bool,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // At the cap: one more byte tells a file of exactly the cap from a larger one.
            let mut one = [0u8; 1];
            if self.inner.read(&mut one)? == 0 {
                return Ok(0);
            }
            self.exceeded = true;
            return Err(io::Error::other("over the per-file size limit"));
        }
        let max = usize::try_from(self.left).unwrap_or(usize::MAX).min(buf.len());
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Counts the lines the JSON parser has consumed (serde_json pulls bytes one at a time from
/// its reader, so the count is exact), giving errors a line number in the whole file even
/// when the file holds several top-level values.
struct LineCounter<R> {
    inner: R,
    line: u64,
}

impl<R: BufRead> LineCounter<R> {
    /// Skips whitespace (and a UTF-8 byte-order mark, which Windows tools write) before the
    /// next value; `false` at the end of the stream.
    fn skip_ws(&mut self) -> io::Result<bool> {
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(false);
            }
            if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                self.inner.consume(3);
                continue;
            }
            let n = buf
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(buf.len());
            self.line += newlines(&buf[..n]);
            let done = n < buf.len();
            self.inner.consume(n);
            if done {
                return Ok(true);
            }
        }
    }
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.line += newlines(&buf[..n]);
        Ok(n)
    }
}

fn newlines(b: &[u8]) -> u64 {
    b.iter().fold(0, |n, c| n + u64::from(*c == b'\n'))
}

/// A parse error as `line N: what`, with `start` the file line the value began on.
fn syntax_error(e: &serde_json::Error, start: u64) -> ReadError {
    if e.is_io() {
        return ReadError::Io(format!("cannot read or decompress it ({e})"));
    }
    let text = e.to_string();
    // serde_json appends " at line L column C", relative to where this value started.
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    let message = if e.is_eof() {
        format!("{message} (the file ends in the middle of a value: truncated?)")
    } else {
        message
    };
    ReadError::Syntax {
        line: start + (e.line() as u64).saturating_sub(1),
        message,
    }
}

/// Reads a stream of top-level JSON values (one document, or several back to back).
fn read_values(r: impl Read, em: &mut Emitter<'_, '_>) -> Result<(), ReadError> {
    let mut lc = LineCounter {
        inner: BufReader::with_capacity(64 * 1024, r),
        line: 1,
    };
    let mut values = 0u64;
    loop {
        match lc.skip_ws() {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(ReadError::Io(format!("cannot read or decompress it ({e})"))),
        }
        let start = lc.line;
        let mut de = serde_json::Deserializer::from_reader(&mut lc);
        TopSeed(&mut *em)
            .deserialize(&mut de)
            .map_err(|e| syntax_error(&e, start))?;
        values += 1;
    }
    if values == 0 {
        return Err(ReadError::Empty);
    }
    Ok(())
}

/// Reads one line into `buf`, at most `max` bytes of it kept; returns the bytes consumed (0 at
/// the end) and whether the line was longer than `max` (its tail is consumed, not kept).
fn read_line_bounded(r: &mut impl BufRead, buf: &mut Vec<u8>, max: u64) -> io::Result<(usize, bool)> {
    let mut consumed = 0usize;
    let mut too_long = false;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            break;
        }
        let (take, found) = match avail.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        if !too_long {
            if (buf.len() + take) as u64 > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&avail[..take]);
            }
        }
        r.consume(take);
        consumed += take;
        if found {
            break;
        }
    }
    Ok((consumed, too_long))
}

/// Reads NDJSON line by line: a bad line is counted and reading goes on with the next one.
fn read_lines(r: impl Read, em: &mut Emitter<'_, '_>) -> Result<(), ReadError> {
    let mut br = BufReader::with_capacity(64 * 1024, r);
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut values = 0u64;
    loop {
        buf.clear();
        let (n, too_long) = read_line_bounded(&mut br, &mut buf, MAX_LINE_BYTES)
            .map_err(|e| ReadError::Io(format!("cannot read or decompress it ({e})")))?;
        if n == 0 {
            break;
        }
        line += 1;
        em.line = Some(line);
        if too_long {
            values += 1;
            em.bad(format!("longer than {}, skipped", size_text(MAX_LINE_BYTES)));
            continue;
        }
        let text = buf.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&buf).trim_ascii();
        if text.is_empty() {
            continue;
        }
        values += 1;
        let mut de = serde_json::Deserializer::from_slice(text);
        if let Err(e) = TopSeed(&mut *em).deserialize(&mut de).and_then(|()| de.end()) {
            let why = match syntax_error(&e, 1) {
                ReadError::Syntax { message, .. } => message,
                other => other.to_string(),
            };
            em.bad(why);
        }
    }
    if values == 0 {
        return Err(ReadError::Empty);
    }
    Ok(())
}

/// What the file name says: gzipped, and NDJSON (`.jsonl`/`.ndjson`) rather than JSON.
fn name_kind(name: &str) -> (bool, bool) {
    let lower = name.to_ascii_lowercase();
    let (gz, base) = match lower.strip_suffix(".gz") {
        Some(b) => (true, b),
        None => (false, lower.as_str()),
    };
    let ext = Path::new(base).extension().and_then(|e| e.to_str()).unwrap_or("");
    (gz, ext == "jsonl" || ext == "ndjson")
}

/// True for names the reader takes as exports: `.json`, `.jsonl`, `.ndjson`, each optionally
/// `.gz`.
fn is_log_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let base = lower.strip_suffix(".gz").unwrap_or(&lower);
    let ext = Path::new(base).extension().and_then(|e| e.to_str()).unwrap_or("");
    ["json", "jsonl", "ndjson"].contains(&ext)
}

/// Reads one export from `raw`, named `name` (the name decides NDJSON; gzip is recognised by
/// its magic bytes, and a `.gz` name without them is an error).
fn read_stream(
    raw: impl Read,
    name: &str,
    opts: ArchiveOptions,
    sink: &mut Sink<'_>,
) -> Result<(), ReadError> {
    let (gz_name, ndjson) = name_kind(name);
    let mut head = BufReader::new(raw);
    let magic = head
        .fill_buf()
        .map_err(|e| ReadError::Io(format!("cannot read it ({e})")))?;
    let is_gz = magic.starts_with(&[0x1f, 0x8b]);
    if magic.is_empty() {
        return Err(ReadError::Empty);
    }
    if gz_name && !is_gz {
        return Err(ReadError::NotGzip);
    }
    let inner: Box<dyn Read + '_> = if is_gz {
        Box::new(flate2::read::MultiGzDecoder::new(head))
    } else {
        Box::new(head)
    };
    let mut limited = Limited {
        inner,
        left: opts.max_file_bytes,
        exceeded: false,
    };
    let mut em = Emitter {
        sink,
        count: 0,
        line: None,
    };
    let res = if ndjson {
        read_lines(&mut limited, &mut em)
    } else {
        read_values(&mut limited, &mut em)
    };
    if limited.exceeded {
        return Err(ReadError::TooLarge {
            limit: opts.max_file_bytes,
        });
    }
    res
}

/// Streams the records of one exported file into `sink`, one at a time, with where each came
/// from; an element that is not a record arrives as `Err(why)`. The whole-file error (if any)
/// comes back after every record before it was delivered.
pub fn read_file(path: &Path, opts: ArchiveOptions, sink: &mut Sink<'_>) -> Result<(), ReadError> {
    let file = File::open(path).map_err(|e| ReadError::Io(format!("cannot open it ({e})")))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    read_stream(file, &name, opts, sink)
}

/// Streams the records of one log file (any shape above) into `f`, skipping elements that
/// are not records; with the default size cap.
pub fn read_records(path: &Path, f: &mut dyn FnMut(Value)) -> Result<(), String> {
    read_file(path, ArchiveOptions::default(), &mut |_, r| {
        if let Ok(v) = r {
            f(v);
        }
    })
    .map_err(|e| e.to_string())
}

/// What [`events_from_bytes`] found in one buffer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedExport {
    /// Every event read, in file order (read-only and failed calls included, duplicates kept).
    pub events: Vec<Event>,
    /// How many elements were not usable events.
    pub bad_count: usize,
    /// The first few of them, `line 4: no eventTime` style.
    pub bad: Vec<String>,
}

/// Reads CloudTrail events from the bytes of one exported file, as `--cloudtrail-logs` reads a
/// file named `name_hint` (`x.json.gz`, `x.jsonl`, …): every shape the module reads, gzip by
/// magic bytes, the size cap of `opts`. Never panics, whatever the bytes (the fuzz entry
/// point). An error means the buffer as a whole is unusable or stops being readable at some
/// point; the events before that point are not returned with it.
pub fn events_from_bytes(
    bytes: &[u8],
    name_hint: &str,
    opts: ArchiveOptions,
) -> Result<ParsedExport, ReadError> {
    let mut out = ParsedExport::default();
    read_stream(bytes, name_hint, opts, &mut |place, r| match r
        .and_then(|v| Event::read_record(&v).map_err(|e| e.to_string()))
    {
        Ok(e) => out.events.push(e),
        Err(why) => {
            out.bad_count += 1;
            if out.bad.len() < 10 {
                out.bad.push(format!("{place}: {why}"));
            }
        }
    })?;
    Ok(out)
}

/// `1,204`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `512 MiB`, `1 KiB`, `300 bytes`.
fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes % 1024 == 0 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// Everything the reader skipped, for the one summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    /// CloudTrail-Digest files (under `CloudTrail-Digest/` or named `*_CloudTrail-Digest_*`).
    pub digest_files: usize,
    /// CloudTrail-Insight files (Insights events are not API calls).
    pub insight_files: usize,
    /// Files (and folders) that could not be read, with why; records before a read error in a
    /// file are kept.
    pub unreadable: Vec<(String, String)>,
    /// Files over the size cap (nothing from them is kept).
    pub too_large: Vec<String>,
    /// Records that are not usable events: total, and per file the count and the first one.
    pub bad_records: usize,
    /// Per file: (file, how many, the first as `line 4: no eventTime`).
    pub bad_record_files: Vec<(String, usize, String)>,
    /// Folders reached a second time through a link (a loop, or two links to one folder):
    /// read once.
    pub revisited_dirs: usize,
    /// Folders nested deeper than the walk goes.
    pub too_deep_dirs: usize,
    /// Entries named like logs that are not regular files (FIFOs, devices): never opened, as
    /// reading them could block forever.
    pub not_regular: usize,
}

impl Skipped {
    /// The one summary line (`skipped 1,204 digest files; 3 unreadable files: a.json (line 4:
    /// …), …`), or `None` when nothing was skipped.
    pub fn summary(&self) -> Option<String> {
        fn list(items: impl ExactSizeIterator<Item = String>) -> String {
            let n = items.len();
            let mut shown: Vec<String> = items.take(LISTED).collect();
            if n > LISTED {
                shown.push(format!("and {} more", thousands(n - LISTED)));
            }
            shown.join(", ")
        }
        let mut parts = Vec::new();
        if self.digest_files > 0 {
            parts.push(plural(self.digest_files, "digest file", "digest files"));
        }
        if self.insight_files > 0 {
            parts.push(plural(self.insight_files, "Insights file", "Insights files"));
        }
        if !self.unreadable.is_empty() {
            parts.push(format!(
                "{}: {}",
                plural(self.unreadable.len(), "unreadable file", "unreadable files"),
                list(self.unreadable.iter().map(|(f, why)| format!("{f} ({why})")))
            ));
        }
        if !self.too_large.is_empty() {
            parts.push(format!(
                "{} over the per-file size limit (raise [attribution] archive_max_file_mib in config.toml to read them): {}",
                plural(self.too_large.len(), "file", "files"),
                list(self.too_large.iter().cloned())
            ));
        }
        if self.bad_records > 0 {
            parts.push(format!(
                "{} that are not events: {}",
                plural(self.bad_records, "record", "records"),
                list(self.bad_record_files.iter().map(|(f, n, first)| {
                    if *n == 1 {
                        format!("{f} ({first})")
                    } else {
                        format!("{f} ({first}; {} in this file)", thousands(*n))
                    }
                }))
            ));
        }
        if self.revisited_dirs > 0 {
            parts.push(format!(
                "{} reached again through a link (read once; link loops are not followed)",
                plural(self.revisited_dirs, "folder", "folders")
            ));
        }
        if self.too_deep_dirs > 0 {
            parts.push(format!(
                "{} nested more than {MAX_DEPTH} levels deep",
                plural(self.too_deep_dirs, "folder", "folders")
            ));
        }
        if self.not_regular > 0 {
            parts.push(format!(
                "{} that are not regular files (FIFOs, devices)",
                plural(self.not_regular, "entry", "entries")
            ));
        }
        (!parts.is_empty()).then(|| format!("skipped {}", parts.join("; ")))
    }
}

/// Which part of an S3-synced tree a folder belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Logs,
    Digest,
    Insight,
}

/// The identity of a folder, to read each real folder once whatever links lead to it.
#[cfg(unix)]
fn dir_identity(p: &Path) -> io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p)?;
    Ok((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dir_identity(p: &Path) -> io::Result<PathBuf> {
    std::fs::canonicalize(p)
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// Lists the export files under `root`, depth first in name order, without recursion; links
/// are followed but each real folder is read once, so loops end.
fn walk(root: &Path, skipped: &mut Skipped) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    if let Ok(id) = dir_identity(root) {
        seen.insert(id);
    }
    let mut stack = vec![(root.to_path_buf(), 0usize, Area::Logs)];
    while let Some((dir, depth, area)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                skipped.unreadable.push((
                    format!("{}/", rel(root, &dir)),
                    format!("cannot list the folder: {e}"),
                ));
                continue;
            }
        };
        let mut entries: Vec<(PathBuf, io::Result<std::fs::FileType>)> = entries
            .filter_map(Result::ok)
            .map(|e| (e.path(), e.file_type()))
            .collect();
        entries.sort_by(|a, b| b.0.cmp(&a.0)); // reversed: the stack pops them in name order
        for (path, ft) in entries {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ft = match ft {
                Ok(ft) => ft,
                Err(e) => {
                    skipped.unreadable.push((rel(root, &path), e.to_string()));
                    continue;
                }
            };
            let (is_dir, is_file) = if ft.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(m) => (m.is_dir(), m.is_file()),
                    Err(e) => {
                        if is_log_name(&name) {
                            skipped
                                .unreadable
                                .push((rel(root, &path), format!("a link to nothing readable: {e}")));
                        }
                        continue;
                    }
                }
            } else {
                (ft.is_dir(), ft.is_file())
            };
            if is_dir {
                let sub = match area {
                    Area::Logs if name.eq_ignore_ascii_case("CloudTrail-Digest") => Area::Digest,
                    Area::Logs if name.eq_ignore_ascii_case("CloudTrail-Insight") => Area::Insight,
                    a => a,
                };
                if depth >= MAX_DEPTH {
                    skipped.too_deep_dirs += 1;
                    continue;
                }
                match dir_identity(&path) {
                    Ok(id) if !seen.insert(id) => skipped.revisited_dirs += 1,
                    Ok(_) => stack.push((path, depth + 1, sub)),
                    Err(e) => skipped
                        .unreadable
                        .push((format!("{}/", rel(root, &path)), e.to_string())),
                }
            } else if is_file {
                let lower = name.to_ascii_lowercase();
                if area == Area::Digest || lower.contains("_cloudtrail-digest_") {
                    skipped.digest_files += 1;
                } else if area == Area::Insight || lower.contains("_cloudtrail-insight_") {
                    skipped.insight_files += 1;
                } else if is_log_name(&name) {
                    files.push(path);
                }
            } else if is_log_name(&name) {
                skipped.not_regular += 1;
            }
        }
    }
    // Path order: deterministic messages, and S3 date folders read oldest first.
    files.sort();
    files
}

/// An in-memory index of an exported log tree.
#[derive(Debug)]
pub struct ArchiveSource {
    events: Vec<Event>,
    warnings: Mutex<Vec<String>>,
    files: usize,
    duplicates: usize,
    skipped: Skipped,
}

impl ArchiveSource {
    /// Reads every export file under `root` with the default options. Fails only when `root`
    /// is not a readable directory or holds no export files; whatever is skipped is counted in
    /// one [`take_warnings`](EventSource::take_warnings) line.
    pub fn open(root: &Path) -> Result<Self, SourceError> {
        Self::open_with(root, ArchiveOptions::default())
    }

    /// [`open`](Self::open) with explicit options (the per-file size cap).
    pub fn open_with(root: &Path, opts: ArchiveOptions) -> Result<Self, SourceError> {
        if !root.is_dir() {
            return Err(SourceError::Io(format!(
                "{}: not a directory; --cloudtrail-logs wants the folder holding AWSLogs/<account>/CloudTrail/… or exported event files",
                root.display()
            )));
        }
        let mut skipped = Skipped::default();
        let files = walk(root, &mut skipped);
        if files.is_empty() {
            let digest = if skipped.digest_files > 0 {
                format!(
                    " (only {}, which hold hashes, not events)",
                    plural(skipped.digest_files, "digest file", "digest files")
                )
            } else {
                String::new()
            };
            // Folders that could not be listed are why nothing was found: say so.
            let unreadable = if skipped.unreadable.is_empty() {
                String::new()
            } else {
                format!(" ({})", skipped.summary().unwrap_or_default())
            };
            return Err(SourceError::Io(format!(
                "{}: no CloudTrail log files found{digest}{unreadable}; expected *.json.gz, *.json, *.jsonl or *.ndjson exports",
                root.display()
            )));
        }
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut events: Vec<Event> = Vec::new();
        let mut duplicates = 0;
        for path in &files {
            let start = events.len();
            let mut file_dupes = 0usize;
            let mut bad = 0usize;
            let mut first_bad: Option<String> = None;
            let mut push = |place: Place, r: Result<Value, String>| match r
                .and_then(|v| Event::read_record(&v).map_err(|e| e.to_string()))
            {
                Ok(e) if is_read_only(&e) => {}
                Ok(e) => {
                    if by_id.contains_key(&e.event_id) {
                        file_dupes += 1;
                    } else {
                        by_id.insert(e.event_id.clone(), events.len());
                        events.push(e);
                    }
                }
                Err(why) => {
                    bad += 1;
                    first_bad.get_or_insert_with(|| format!("{place}: {why}"));
                }
            };
            let res = read_file(path, opts, &mut push);
            let name = rel(root, path);
            match res {
                Ok(()) => duplicates += file_dupes,
                Err(ReadError::TooLarge { .. }) => {
                    // Nothing from an oversized file is kept: it is skipped, as the message says.
                    for e in events.drain(start..) {
                        by_id.remove(&e.event_id);
                    }
                    skipped.too_large.push(name.clone());
                    continue;
                }
                Err(e) => {
                    // A truncated or damaged file keeps the records read before the damage.
                    duplicates += file_dupes;
                    skipped.unreadable.push((name.clone(), e.to_string()));
                }
            }
            if bad > 0 {
                skipped.bad_records += bad;
                skipped
                    .bad_record_files
                    .push((name, bad, first_bad.unwrap_or_default()));
            }
        }
        events.sort_by_key(|e| std::cmp::Reverse(e.event_time));
        let warnings = skipped.summary().into_iter().collect();
        Ok(ArchiveSource {
            events,
            warnings: Mutex::new(warnings),
            files: files.len(),
            duplicates,
            skipped,
        })
    }

    /// Distinct mutating or failed events held (read-only calls are dropped at load).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Number of export files read (digest and Insights files not included).
    pub fn file_count(&self) -> usize {
        self.files
    }

    /// Records dropped as duplicate deliveries.
    pub fn duplicate_count(&self) -> usize {
        self.duplicates
    }

    /// What was skipped while reading (the summary warning's figures).
    pub fn skipped(&self) -> &Skipped {
        &self.skipped
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_and_sizes() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(size_text(DEFAULT_MAX_FILE_BYTES), "512 MiB");
        assert_eq!(size_text(2048), "2 KiB");
        assert_eq!(size_text(1000), "1000 bytes");
    }

    #[test]
    fn names_decide_ndjson_and_what_is_read() {
        assert_eq!(name_kind("a.json.gz"), (true, false));
        assert_eq!(name_kind("a.JSONL"), (false, true));
        assert_eq!(name_kind("a.ndjson.gz"), (true, true));
        assert!(is_log_name("x_CloudTrail_eu-west-1_20261120T2215Z_abc.json.gz"));
        assert!(is_log_name("export.ndjson"));
        assert!(!is_log_name("make_logs.py"));
        assert!(!is_log_name("notes.gz"));
    }

    #[test]
    fn limited_reader_stops_one_byte_past_the_cap() {
        let data = [b' '; 100];
        let mut l = Limited {
            inner: &data[..],
            left: 100,
            exceeded: false,
        };
        let mut out = Vec::new();
        l.read_to_end(&mut out).expect("exactly the cap is fine");
        assert!(!l.exceeded);
        let mut l = Limited {
            inner: &data[..],
            left: 99,
            exceeded: false,
        };
        assert!(l.read_to_end(&mut Vec::new()).is_err());
        assert!(l.exceeded);
    }

    #[test]
    fn errors_name_the_line_of_the_whole_file() {
        let text = b"{\"eventName\":\"A\",\"eventTime\":\"2026-11-20T10:00:00Z\"}\n\n{\"eventName\": tru}\n";
        let err = events_from_bytes(text, "x.json", ArchiveOptions::default()).expect_err("bad");
        assert_eq!(
            err,
            ReadError::Syntax {
                line: 3,
                message: "expected ident".into()
            }
        );
    }

    #[test]
    fn summary_lists_a_few_names_then_counts() {
        let s = Skipped {
            digest_files: 1204,
            unreadable: (0..7)
                .map(|i| (format!("f{i}.json"), "line 4: expected value".to_string()))
                .collect(),
            ..Skipped::default()
        };
        let line = s.summary().expect("something skipped");
        assert!(
            line.starts_with(
                "skipped 1,204 digest files; 7 unreadable files: f0.json (line 4: expected value), "
            ),
            "{line}"
        );
        assert!(
            line.ends_with("f4.json (line 4: expected value), and 2 more"),
            "{line}"
        );
        assert_eq!(Skipped::default().summary(), None);
    }
}

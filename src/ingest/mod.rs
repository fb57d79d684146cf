//! Loading drift reports: reads bytes from files or stdin, detects the format from the content
//! (never the file name), parses it into the [`model`](crate::model), masks secrets, and merges
//! several reports into one [`DriftReport`].

mod cloudformation;
mod detect;
mod driftctl;
mod noise;
mod terraform;

use std::io::Read;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::classify::{SecretMatcher, Taxonomy};
use crate::model::mask::{mask_at, mask_value, needs_mask};
use crate::model::{AttrPath, Change, DriftReport, Format, MASK, NotDrift, ReportMeta};
pub use detect::detect_format;
pub use noise::apply_ignore_changes;

/// The formats driftdeck reads, for error messages.
pub const SUPPORTED: &str = "Terraform/OpenTofu plan JSON (`terraform show -json PLAN`), driftctl scan JSON \
(`driftctl scan --output json://FILE`), CloudFormation drift JSON (`aws cloudformation \
describe-stack-resource-drifts`)";

/// Why a report could not be loaded. Every variant names the report.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be read.
    // The OS error is the source: `{e:#}` chains print it once.
    #[error("{path}: cannot read the report")]
    Io {
        /// The report path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Nothing in the file.
    #[error("{path}: the report is empty. Expected one of: {SUPPORTED}.")]
    Empty {
        /// The report path.
        path: String,
    },
    /// Not JSON, or truncated, or too deeply nested.
    #[error(
        "{path}: not valid JSON at line {line}, column {column}: {message}. Expected one of: {SUPPORTED}."
    )]
    Json {
        /// The report path.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// JSON, but not a shape we know.
    #[error("{path}: not a drift report driftdeck knows: {found}. Supported: {SUPPORTED}.")]
    UnknownShape {
        /// The report path.
        path: String,
        /// What was found instead.
        found: String,
    },
    /// A Terraform plan with a major format version we do not know.
    #[error(
        "{path}: Terraform plan format_version {version} is not supported: driftdeck reads 0.x and 1.x. \
Produce the plan with Terraform 0.12 – 1.x or OpenTofu, or upgrade driftdeck."
    )]
    UnsupportedVersion {
        /// The report path.
        path: String,
        /// The version found.
        version: String,
    },
    /// A known format with a field of the wrong shape.
    #[error("{path}: invalid {format} report: {context}: {message}")]
    Invalid {
        /// The report path.
        path: String,
        /// The detected format.
        format: Format,
        /// Which part (e.g. `resource_drift[3]`).
        context: String,
        /// What is wrong.
        message: String,
    },
}

impl IngestError {
    pub(crate) fn json(path: &str, e: &serde_json::Error) -> Self {
        let message = e.to_string();
        // serde_json appends " at line L column C"; we print those separately.
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m)
            .to_string();
        IngestError::Json {
            path: path.to_string(),
            line: e.line(),
            column: e.column(),
            message,
        }
    }
}

/// One report's bytes with the name to report it under.
#[derive(Debug, Clone)]
pub struct Input {
    /// Path as given, or `-` for stdin.
    pub path: String,
    /// The raw bytes.
    pub bytes: Vec<u8>,
}

impl Input {
    /// Reads a report from a path, or from stdin when the path is `-`.
    pub fn read(path: &str) -> Result<Self, IngestError> {
        let mut bytes = Vec::new();
        let io = |source| IngestError::Io {
            path: path.to_string(),
            source,
        };
        if path == "-" {
            read_stdin(&mut bytes).map_err(io)?;
        } else {
            let p = Path::new(path);
            if p.is_dir() {
                return Err(io(std::io::Error::other(
                    "it is a directory; pass the report file itself",
                )));
            }
            bytes = read_file(p).map_err(io)?;
        }
        Ok(Input {
            path: path.to_string(),
            bytes,
        })
    }
}

/// Reads a whole file, through the one descriptor opened for it ([`read_open`]).
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        let mut bytes = Vec::new();
        read_open(std::fs::File::open(path)?, &mut bytes)?;
        Ok(bytes)
    }
    #[cfg(not(unix))]
    {
        std::fs::read(path)
    }
}

/// Reads the rest of an open file into `bytes`, from its current position. A large regular file
/// is read in two halves at once, on two threads: on a 21 MB plan most of the read is the kernel
/// filling fresh pages, which then happens on two cores; one that changes size while it is read
/// is read again, start to end. Anything else (a pipe, `<(terraform show -json plan)`) is read
/// in order through the same descriptor, from a buffer that holds a typical plan.
#[cfg(unix)]
fn read_open(mut file: std::fs::File, bytes: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    use std::os::unix::fs::FileExt;
    let meta = file.metadata()?;
    if !meta.is_file() {
        bytes.reserve(STDIN_INITIAL);
        file.read_to_end(bytes)?;
        return Ok(());
    }
    let start = file.stream_position()?;
    let len = usize::try_from(meta.len().saturating_sub(start)).unwrap_or(usize::MAX);
    if (PARALLEL_READ_MIN..isize::MAX as usize).contains(&len) {
        // Zeroed by the allocator as fresh pages, which the reads below fill.
        let mut read = vec![0u8; len];
        let (head, tail) = read.split_at_mut(len / 2);
        let done = std::thread::scope(|scope| {
            let other = scope.spawn(|| file.read_exact_at(tail, start + (len / 2) as u64));
            let mine = file.read_exact_at(head, start);
            mine.and(other.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        });
        // Complete only if nothing lies past the size read (the file did not grow); the
        // descriptor is then left at the end, as a read in order would leave it.
        let end = start + len as u64;
        if done.is_ok() && file.read_at(&mut [0u8; 1], end)? == 0 {
            file.seek(SeekFrom::Start(end))?;
            *bytes = read;
            return Ok(());
        }
    }
    bytes.clear();
    file.read_to_end(bytes)?;
    Ok(())
}

/// Files from this size on are read on two threads.
#[cfg(unix)]
const PARALLEL_READ_MIN: usize = 8 << 20;

/// Reads all of standard input into `bytes`, in one buffer. On Unix the descriptor is read
/// directly (not through the standard library's small buffered reader), and a redirected file
/// (`driftdeck list - < plan.json`) is read like a path, in two halves when it is large.
fn read_stdin(bytes: &mut Vec<u8>) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let fd = std::io::stdin().as_fd().try_clone_to_owned()?;
        read_open(std::fs::File::from(fd), bytes)
    }
    #[cfg(not(unix))]
    {
        std::io::stdin().lock().read_to_end(bytes).map(|_| ())
    }
}

/// Initial buffer for a piped report.
#[cfg(unix)]
const STDIN_INITIAL: usize = 4 << 20;

/// What one loader returns.
pub(crate) struct Loaded {
    pub meta: ReportMeta,
    pub items: Vec<crate::model::DriftItem>,
    pub not_drift: NotDrift,
}

/// Loads one report (already read) into a report of its own, classified.
pub fn load_one(input: &Input, taxonomy: &Taxonomy) -> Result<DriftReport, IngestError> {
    load_inputs(std::slice::from_ref(input), taxonomy)
}

/// Reads and loads every path (`-` = stdin), merged and classified.
pub fn load_paths<S: AsRef<str>>(paths: &[S], taxonomy: &Taxonomy) -> Result<DriftReport, IngestError> {
    let inputs = paths
        .iter()
        .map(|p| Input::read(p.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    // Each report's bytes are freed as soon as it is parsed, before classification.
    load_each(
        inputs.into_iter().map(std::borrow::Cow::Owned),
        taxonomy,
        ReportHash::Compute,
    )
}

/// The reports of a command, read on a thread of their own from the moment the command line is
/// known, while the taxonomy is compiled and the decision files are looked at.
pub struct Reading {
    reading: std::thread::JoinHandle<Result<Vec<Input>, IngestError>>,
}

impl Reading {
    /// Starts reading `paths` (`-` = stdin), in order; the first that cannot be read stops it.
    pub fn start(paths: &[String]) -> Self {
        let paths = paths.to_vec();
        Reading {
            reading: std::thread::spawn(move || paths.iter().map(|p| Input::read(p)).collect()),
        }
    }

    /// The reports read, or the first read error.
    pub fn finish(self) -> Result<Vec<Input>, IngestError> {
        self.reading
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    }
}

/// Loads the reports being read, for a command that decides nothing (`check`, `list`): each
/// report's SHA-256, which only a decision keeps (as evidence of what was decided on), is not
/// computed, and [`ReportMeta::sha256`] is empty. On two cores the hash took a share of the
/// load's CPU.
pub fn load_to_read(reading: Reading, taxonomy: &Taxonomy) -> Result<DriftReport, IngestError> {
    let inputs = reading.finish()?;
    load_each(
        inputs.into_iter().map(std::borrow::Cow::Owned),
        taxonomy,
        ReportHash::Skip,
    )
}

/// Whether a load computes each report's SHA-256.
#[derive(Clone, Copy)]
enum ReportHash {
    Compute,
    Skip,
}

/// Loads several reports, merged and classified. Item ids stay unique across reports.
pub fn load_inputs(inputs: &[Input], taxonomy: &Taxonomy) -> Result<DriftReport, IngestError> {
    load_each(
        inputs.iter().map(std::borrow::Cow::Borrowed),
        taxonomy,
        ReportHash::Compute,
    )
}

fn load_each<'a>(
    inputs: impl Iterator<Item = std::borrow::Cow<'a, Input>>,
    taxonomy: &Taxonomy,
    digest: ReportHash,
) -> Result<DriftReport, IngestError> {
    let mut report = DriftReport::default();
    for (index, input) in inputs.enumerate() {
        let Parsed { format, loaded } = parse(&input, taxonomy.secrets(), digest)?;
        drop(input);
        report.not_drift.add(loaded.not_drift);
        report.reports.push(loaded.meta);
        let first = report.items.len();
        // The first report's items are taken as they are: moving them into a new vector held
        // two copies of every item at the peak.
        if first == 0 {
            report.items = loaded.items;
        } else {
            report.items.extend(loaded.items);
        }
        noise::mark_loaded(&mut report.items[first..], taxonomy, |item| {
            item.report_index = index;
            item.format = Some(format);
            // A pushed-to vector keeps room for four; on a wide report (500k items) that slack
            // was a quarter of the memory.
            item.changes.shrink_to_fit();
            item.identity.shrink_to_fit();
        });
        taxonomy.classify_items(&mut report.items[first..]);
    }
    unique_ids(&mut report.items);
    Ok(report)
}

/// Makes item ids unique across the merged reports: the n-th item (n > 1) with an id already
/// seen gets `-n` appended, in report and item order. The ids are counted where they lie, not
/// copied (nothing before this reads an id).
fn unique_ids(items: &mut [crate::model::DriftItem]) {
    // Almost every report repeats no id: the ids' hashes, made on the cores, say so with a set of
    // integers (a serial map of 20,000 ids, each a cache miss, was 1.8 ms of every load). Only
    // a repeated hash goes on to compare the ids themselves.
    use std::hash::BuildHasher;
    let state = foldhash::fast::FixedState::default();
    let hashes: Vec<Vec<u64>> = crate::par::blocks_mut(
        items,
        || (),
        |(), block, _| {
            block
                .iter()
                .map(|item| state.hash_one(item.id.as_str()))
                .collect()
        },
    );
    let mut seen: foldhash::HashSet<u64> =
        foldhash::HashSet::with_capacity_and_hasher(items.len(), foldhash::fast::RandomState::default());
    if hashes.iter().flatten().all(|h| seen.insert(*h)) {
        return;
    }
    let renames: Vec<(usize, usize)> = {
        let mut seen: foldhash::HashMap<&str, usize> =
            foldhash::HashMap::with_capacity_and_hasher(items.len(), foldhash::fast::RandomState::default());
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let n = seen.entry(item.id.as_str()).or_insert(0);
                *n += 1;
                (*n > 1).then_some((i, *n))
            })
            .collect()
    };
    for (i, n) in renames {
        let item = &mut items[i];
        item.id = format!("{}-{}", item.id, n);
    }
}

/// One report parsed: its items still need their format set (see `load_each`).
struct Parsed {
    format: Format,
    loaded: Loaded,
}

/// Parses one report without classifying it.
fn parse(input: &Input, secrets: &SecretMatcher, digest: ReportHash) -> Result<Parsed, IngestError> {
    let path = input.path.as_str();
    if input.bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::Empty {
            path: path.to_string(),
        });
    }
    // The report's hash (for the journal's evidence) is computed beside the parse: on a
    // 100 MB plan it is a quarter of the load time.
    let (sha256, parsed) = match digest {
        ReportHash::Skip => (String::new(), parse_format(path, &input.bytes, secrets)),
        ReportHash::Compute => std::thread::scope(|scope| {
            let hasher = scope.spawn(|| hex::encode(Sha256::digest(&input.bytes)));
            let parsed = parse_format(path, &input.bytes, secrets);
            let sha256 = hasher
                .join()
                .unwrap_or_else(|_| hex::encode(Sha256::digest(&input.bytes)));
            (sha256, parsed)
        }),
    };
    let (format, mut loaded) = parsed?;
    loaded.meta.sha256 = sha256;
    // The items' format is set by `load_each`, on the cores.
    Ok(Parsed { format, loaded })
}

/// Loads one report with the loader of `format`, skipping detection (the fuzz targets drive each
/// loader on its own this way). Classified like [`load_one`], and masked the same.
pub fn load_as(input: &Input, format: Format, taxonomy: &Taxonomy) -> Result<DriftReport, IngestError> {
    let envelope = detect::Envelope::parse(&input.path, &input.bytes)?;
    let mut loaded = load_envelope(&input.path, &envelope, format, taxonomy.secrets())?;
    let mut report = DriftReport::default();
    noise::mark_loaded(&mut loaded.items, taxonomy, |item| item.format = Some(format));
    for item in &mut loaded.items {
        taxonomy.classify(item);
    }
    report.items = loaded.items;
    report.reports.push(loaded.meta);
    Ok(report)
}

fn load_envelope(
    path: &str,
    envelope: &detect::Envelope<'_>,
    format: Format,
    secrets: &SecretMatcher,
) -> Result<Loaded, IngestError> {
    match format {
        Format::TerraformPlan => terraform::load(path, envelope, secrets),
        Format::Driftctl => driftctl::load(path, envelope, secrets),
        Format::Cloudformation => cloudformation::load(path, envelope, secrets),
    }
}

fn parse_format(path: &str, bytes: &[u8], secrets: &SecretMatcher) -> Result<(Format, Loaded), IngestError> {
    // A drift-dense plan is read from the quick envelope, whose drift entries the Terraform
    // loader checks as it reads every one of them. Anything else, and any failure there, is
    // read from the full envelope, so that errors are always the full read's.
    if let Some(quick) = detect::Envelope::scan(bytes) {
        if let Ok(Format::TerraformPlan) = quick.format(path) {
            if let Ok(loaded) = load_envelope(path, &quick, Format::TerraformPlan, secrets) {
                return Ok((Format::TerraformPlan, loaded));
            }
        }
    }
    let envelope = detect::Envelope::parse(path, bytes)?;
    let format = envelope.format(path)?;
    let loaded = load_envelope(path, &envelope, format, secrets)?;
    Ok((format, loaded))
}

/// A stable item id from the format and the address (plus a discriminator such as a deposed key).
pub(crate) fn item_id(format: Format, address: &str, extra: &str) -> String {
    let mut h = Sha256::new();
    h.update(format.as_str().as_bytes());
    h.update(b"\0");
    h.update(address.as_bytes());
    h.update(b"\0");
    h.update(extra.as_bytes());
    hex::encode(&h.finalize()[..6])
}

/// [`masked_change`] for values the caller owns: when nothing in them needs masking (almost
/// always) they are moved into the change, not copied.
pub(crate) fn masked_change_owned(
    address: &str,
    path: AttrPath,
    desired: Option<Value>,
    live: Option<Value>,
    mask_root: Option<&Value>,
    secrets: &SecretMatcher,
) -> Change {
    let mask = mask_root.and_then(|m| mask_at(m, &path));
    let plain = |v: &Option<Value>| v.as_ref().is_none_or(|v| !needs_mask(v, mask, &path, secrets));
    if plain(&desired) && plain(&live) {
        return Change::plain(path, desired, live);
    }
    masked_change(address, path, desired.as_ref(), live.as_ref(), mask_root, secrets)
}

/// Builds a [`Change`] from plaintext values, masking with the Terraform mask tree (if any) and
/// the secret rules. Plaintext is dropped here; only a keyed fingerprint of a secret live value
/// stays.
pub(crate) fn masked_change(
    address: &str,
    path: AttrPath,
    desired: Option<&Value>,
    live: Option<&Value>,
    mask_root: Option<&Value>,
    secrets: &SecretMatcher,
) -> Change {
    let mask = mask_root.and_then(|m| mask_at(m, &path));
    let d = desired.map(|v| mask_value(v, mask, &path, secrets));
    let l = live.map(|v| mask_value(v, mask, &path, secrets));
    let sensitive = d.as_ref().is_some_and(|m| m.any) || l.as_ref().is_some_and(|m| m.any);
    let live_fingerprint = if sensitive {
        live.map(|v| secrets.fingerprint(address, &path, v).into())
    } else {
        None
    };
    // Fail closed: when one side holds a secret (by name, mask or shape) and the other side had
    // nothing masked, that other side is masked whole. A secret recognised only by its shape on
    // one side (a webhook URL) was most likely a secret of another shape on the other (found by
    // the fuzzer: a rotated value shown in plaintext beside its masked successor).
    let side = |m: Option<crate::model::mask::Masked>| {
        m.map(|m| {
            // An absent value (null, empty) reveals nothing and stays as it is.
            if sensitive && !m.any && !crate::model::compare::is_absent(&m.value) {
                Value::String(MASK.to_string())
            } else {
                m.value
            }
        })
    };
    Change {
        path,
        desired: side(d).into(),
        live: side(l).into(),
        sensitive,
        live_fingerprint,
        computed: false,
        noise: None,
    }
}

pub(crate) use crate::model::IDENTITY_KEYS;

/// True for a name in [`IDENTITY_KEYS`]: one pass over an object's members with this test costs
/// less than looking every identity key up in it (a profile of a drift-dense load).
pub(crate) fn is_identity_key(key: &str) -> bool {
    IDENTITY_KEYS.contains(&key)
}

/// Collects identity attributes (top-level scalars, never masked ones) from an object.
pub(crate) fn identity_of(obj: Option<&Value>, into: &mut crate::model::Identity) {
    let Some(Value::Object(o)) = obj else { return };
    for (key, value) in o {
        if !is_identity_key(key) || into.contains_key(key) {
            continue;
        }
        if let Some(text) = identity_text(value) {
            into.set(key, text);
        }
    }
}

/// An identity attribute's value as identity text, if it may be one: a non-empty string or a
/// number. Identity is shown and journaled: a secret-shaped value (a URL with a password as a
/// driftctl id) never becomes one.
pub(crate) fn identity_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => identity_str(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// [`identity_text`] of a string.
pub(crate) fn identity_str(s: &str) -> Option<String> {
    (!s.is_empty() && s != MASK && !crate::classify::is_secret_shaped(s)).then(|| s.to_string())
}

/// Region and account from an ARN (`arn:aws:svc:region:account:…`).
pub(crate) fn arn_parts(arn: &str) -> (Option<String>, Option<String>) {
    let mut it = arn.splitn(6, ':');
    if it.next() != Some("arn") {
        return (None, None);
    }
    let _partition = it.next();
    let _service = it.next();
    let region = it.next().filter(|s| !s.is_empty()).map(str::to_string);
    let account = it.next().filter(|s| !s.is_empty()).map(str::to_string);
    (region, account)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file large enough to be read in two halves comes back byte for byte, at every size
    /// around the threshold (odd sizes split unevenly).
    #[cfg(unix)]
    #[test]
    fn large_files_read_in_halves_come_back_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plan.json");
        for len in [PARALLEL_READ_MIN - 1, PARALLEL_READ_MIN, PARALLEL_READ_MIN + 7] {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, &bytes).expect("write");
            let input = Input::read(path.to_str().expect("utf-8 path")).expect("read");
            assert!(input.bytes == bytes, "{len} bytes");
        }
    }

    /// Standard input redirected from a file (`driftdeck list - < plan.json`) is read like a
    /// path, in halves when large, from wherever the shell left the descriptor (a script may have
    /// read a line first), and the descriptor is left at the end.
    #[cfg(unix)]
    #[test]
    fn an_open_file_is_read_from_its_position_to_the_end() {
        use std::io::{Seek, SeekFrom, Write};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plan.json");
        for (len, at) in [
            (100, 0),
            (100, 37),
            (PARALLEL_READ_MIN + 9, 0),
            (PARALLEL_READ_MIN * 2 + 3, 5),
        ] {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            std::fs::File::create(&path)
                .and_then(|mut f| f.write_all(&bytes))
                .expect("write");
            let mut file = std::fs::File::open(&path).expect("open");
            file.seek(SeekFrom::Start(at as u64)).expect("seek");
            let mut read = Vec::new();
            read_open(file.try_clone().expect("dup"), &mut read).expect("read");
            assert!(read == bytes[at..], "{len} bytes from {at}");
            assert_eq!(
                file.stream_position().expect("position"),
                len as u64,
                "{len} bytes from {at}"
            );
        }
    }

    /// A named pipe (as `<(terraform show -json plan)` gives) is read whole, through the one
    /// descriptor opened for it.
    #[cfg(unix)]
    #[test]
    fn a_pipe_path_is_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("plan.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo unavailable: skipped");
            return;
        }
        let bytes: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let writer = {
            let (fifo, bytes) = (fifo.clone(), bytes.clone());
            std::thread::spawn(move || std::fs::write(fifo, bytes))
        };
        let input = Input::read(fifo.to_str().expect("utf-8 path")).expect("read");
        writer.join().expect("writer").expect("written");
        assert!(input.bytes == bytes);
    }

    /// Every item of a report holds the same shared path (a copy per item was 0.8 MB of the
    /// 20k drift-dense plan's peak), in every format and through `load_as`.
    #[test]
    fn a_reports_items_share_one_source() {
        let taxonomy = Taxonomy::defaults().expect("built in");
        for name in [
            "terraform-plan.json",
            "driftctl-scan.json",
            "cloudformation-drift.json",
        ] {
            let path = format!("{}/assets/demo/reports/{name}", env!("CARGO_MANIFEST_DIR"));
            let input = Input::read(&path).expect("read");
            let format = detect_format(&path, &input.bytes).expect("format");
            for report in [
                load_one(&input, &taxonomy).expect("load"),
                load_as(&input, format, &taxonomy).expect("load"),
            ] {
                let first = &report.items.first().expect("items").source;
                assert_eq!(&**first, path);
                assert!(
                    report
                        .items
                        .iter()
                        .all(|i| std::sync::Arc::ptr_eq(&i.source, first)),
                    "{name}"
                );
            }
        }
    }

    /// A load that decides nothing skips only the hash: the same items, in the same order, with
    /// the same output; a load for deciding has the report's SHA-256.
    #[test]
    fn a_load_to_read_skips_only_the_hash() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/reports");
        let mut paths: Vec<String> = std::fs::read_dir(dir)
            .expect("demo reports")
            .map(|e| e.expect("entry").path().display().to_string())
            .collect();
        paths.sort();
        let taxonomy = Taxonomy::defaults().expect("built in");
        let full = load_paths(&paths, &taxonomy).expect("loads");
        let read = load_to_read(Reading::start(&paths), &taxonomy).expect("loads");
        for (meta, path) in full.reports.iter().zip(&paths) {
            let bytes = std::fs::read(path).expect("read");
            assert_eq!(meta.sha256, hex::encode(Sha256::digest(&bytes)), "{path}");
        }
        assert!(read.reports.iter().all(|m| m.sha256.is_empty()));
        let json = |r: &DriftReport| serde_json::to_string(&r.items).expect("serialises");
        assert_eq!(json(&full), json(&read));
        assert!(full.items.len() > 3);
    }
}

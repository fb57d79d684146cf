//! Format detection from content: one pass over the top-level object that keeps the members
//! any loader needs as raw JSON slices (no copies), and notes the rest by name only. A list
//! member whose entries are worked one by one (`resource_drift`) is kept as its elements, cut
//! apart in that same pass.

use std::fmt;
use std::ops::Range;

use serde::Deserializer;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::IngestError;
use crate::model::Format;

/// Top-level members a loader may read, kept as raw JSON borrowed from the input.
#[derive(Debug, Default)]
pub(crate) struct Envelope<'a> {
    members: Vec<(&'static str, &'a RawValue)>,
    /// The members of [`LISTS`] that are arrays, as their elements' texts (not in `members`).
    lists: Vec<(&'static str, Vec<Element<'a>>)>,
    others: Vec<String>,
    other_count: usize,
    /// The whole report, to find a list member's own text again on an error path.
    bytes: &'a [u8],
}

/// One element of a list member cut apart: its text, as [`RawValue::get`] would give it. From
/// [`Envelope::scan`] its JSON is not checked yet: whoever reads it checks it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Element<'a>(&'a str);

impl<'a> Element<'a> {
    /// The element's text.
    pub(crate) fn get(self) -> &'a str {
        self.0
    }
}

/// Members kept as their elements when they are arrays: each element is worked on its own
/// (on whichever core), so the pass that checks the JSON cuts them apart too.
const LISTS: &[&str] = &["resource_drift"];

const KNOWN: &[&str] = &[
    // Terraform plan
    "format_version",
    "terraform_version",
    "resource_drift",
    "resource_changes",
    "configuration",
    "relevant_attributes",
    "timestamp",
    "planned_values",
    "prior_state",
    "errored",
    "complete",
    // Terraform state (`terraform show -json` without a plan): recognised to be refused clearly
    "values",
    // driftctl
    "summary",
    "managed",
    "unmanaged",
    "missing",
    "deleted",
    "differences",
    "coverage",
    "alerts",
    "provider_name",
    "provider_version",
    "date",
    // CloudFormation
    "StackResourceDrifts",
    "StackResourceDrift",
    "NextToken",
];

/// The name in [`KNOWN`] that `key` is, if any.
fn known(key: &str) -> Option<&'static str> {
    KNOWN.iter().copied().find(|k| *k == key)
}

impl<'a> Envelope<'a> {
    /// A member a loader reads; of a repeated name the last is kept, as a map keeps it.
    fn keep(&mut self, known: &'static str, raw: &'a RawValue) {
        self.members.retain(|(k, _)| *k != known);
        self.members.push((known, raw));
    }

    /// A member no loader reads: counted, the first few named for messages.
    fn other(&mut self, key: &str) {
        self.other_count += 1;
        if self.others.len() < 8 {
            self.others.push(key.to_string());
        }
    }
}

/// Reads the top level; with `lists`, the members of [`LISTS`] as their elements, and anything
/// else there (not an array) fails the read, which is then done again without `lists`.
struct EnvelopeVisitor<'a> {
    bytes: &'a [u8],
    lists: bool,
}

/// One list member's elements; anything but an array is an error (see [`EnvelopeVisitor`]).
struct Elements;

impl<'de> serde::de::DeserializeSeed<'de> for Elements {
    type Value = Vec<Element<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements {
    type Value = Vec<Element<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(e) = seq.next_element::<&'de RawValue>()? {
            out.push(Element(e.get()));
        }
        Ok(out)
    }
}

impl<'de> Visitor<'de> for EnvelopeVisitor<'de> {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object at the top level")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut env = Envelope {
            bytes: self.bytes,
            ..Envelope::default()
        };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if let Some(list) = LISTS.iter().find(|k| self.lists && **k == key.as_ref()) {
                let elements = map.next_value_seed(Elements)?;
                env.lists.retain(|(k, _)| k != list);
                env.lists.push((list, elements));
            } else if let Some(known) = known(&key) {
                env.keep(known, map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
                env.other(&key);
            }
        }
        Ok(env)
    }
}

/// Bytes of members other than [`LISTS`] that [`Envelope::scan`] walks before it leaves the
/// report to [`Envelope::parse`]: a plan whose bulk is `resource_changes` or `configuration`
/// gains nothing from the quick read, and would be walked twice.
const SCAN_OTHER_MAX: usize = 1 << 20;

/// Whether the last top-level member holding a container, within the document's last
/// [`SCAN_TAIL_MAX`] bytes, holds an array: a drift-only plan ends with its `resource_drift`
/// and a few scalars, a full plan with `prior_state`/`configuration` objects, whose bulk the
/// quick read would walk for nothing after cutting the drift. Read backwards (a quote is a
/// string's end or start when an even number of backslashes precede it); only a hint, since the
/// quick read checks everything it relies on.
fn ends_with_a_list(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(SCAN_TAIL_MAX)..];
    let unescaped = |at: usize| tail[..at].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0;
    let mut at = tail.len();
    // Past the closing brace of the top level.
    while let Some(b) = at.checked_sub(1).map(|i| tail[i]) {
        at -= 1;
        if b == b'}' {
            break;
        }
        if !b.is_ascii_whitespace() {
            return false;
        }
    }
    while let Some(i) = at.checked_sub(1) {
        at = i;
        match tail[i] {
            b']' => return true,
            b'}' | b'{' | b'[' => return false,
            b'"' if unescaped(i) => {
                // Back to the string's opening quote.
                loop {
                    let Some(j) = at.checked_sub(1) else { return false };
                    at = j;
                    if tail[j] == b'"' && unescaped(j) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// How far from its end [`ends_with_a_list`] looks into a document.
const SCAN_TAIL_MAX: usize = 64 << 10;

/// Nesting [`Envelope::scan`] accepts inside a value; deeper reports are left to serde (whose
/// limit, 128 levels from the top, a value read on its own would see from further down).
const SCAN_DEPTH_MAX: usize = 100;

/// The structural walk of [`Envelope::scan`]: JSON's own whitespace, strings skipped to their
/// closing quote (escapes stepped over), containers by their brackets. It checks only the
/// structure it walks; what it skips is checked by whoever reads it.
struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    /// Past the string whose opening quote is at `self.at`.
    fn string(&mut self) -> Option<()> {
        self.at = string_end(self.bytes, self.at + 1)?;
        Some(())
    }

    /// Where a top-level key's text lies: plain text (no escape, no control character), else
    /// `None`.
    fn key(&mut self) -> Option<Range<usize>> {
        if self.bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        self.string()?;
        let key = start..self.at - 1;
        self.bytes[key.clone()]
            .iter()
            .all(|b| *b != b'\\' && *b >= 0x20)
            .then_some(key)
    }

    /// Past one value: a string, a container (to its matching bracket), or a scalar's text
    /// (to the next delimiter).
    fn value(&mut self) -> Option<()> {
        let bytes = self.bytes;
        match *bytes.get(self.at)? {
            b'"' => self.string(),
            b'{' | b'[' => {
                let (mut depth, mut at) = (0usize, self.at);
                loop {
                    let b = *bytes.get(at)?;
                    at += 1;
                    match b {
                        b'"' => at = string_end(bytes, at)?,
                        b'{' | b'[' => {
                            depth += 1;
                            if depth > SCAN_DEPTH_MAX {
                                return None;
                            }
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.at = at;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {
                let len = bytes[self.at..]
                    .iter()
                    .position(|b| matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))?;
                (len > 0).then(|| self.at += len)
            }
        }
    }

    /// Where an array's elements lie. From `min` bytes on, the array is walked in up to `parts`
    /// parts at once ([`Scanner::split_guesses`]): the walk was the serial part of a
    /// drift-dense load. The elements are exactly the one walk's, or `None` where it fails.
    fn elements(&mut self, min: usize, parts: usize) -> Option<Vec<Range<usize>>> {
        self.eat(b'[')?;
        let mut out = Vec::new();
        self.ws();
        if self.eat(b']').is_some() {
            return Some(out);
        }
        let starts = self.split_guesses(min, parts);
        if starts.is_empty() {
            self.elements_from(&mut out, None, None)?;
            return Some(out);
        }
        // Each guess is walked from on a thread of its own, up to the next guess; this thread
        // walks from the first element up to the first guess. When this walk does not stop at
        // the first guess, the other parts will not count: they are told to stop (a guess past
        // the list's end, say in the `resource_changes` of a full plan whose elements open the
        // same way, would otherwise be walked to its end while this thread waits).
        let bytes = self.bytes;
        let abandoned = std::sync::atomic::AtomicBool::new(false);
        let (mine, theirs) = std::thread::scope(|scope| {
            let handles: Vec<_> = starts
                .iter()
                .enumerate()
                .map(|(i, &start)| {
                    let limit = starts.get(i + 1).copied();
                    let abandoned = &abandoned;
                    scope.spawn(move || {
                        let mut sc = Scanner { bytes, at: start };
                        let mut part = Vec::new();
                        let cut = sc.elements_from(&mut part, limit, Some(abandoned));
                        (part, cut, sc.at)
                    })
                })
                .collect();
            let mine = self.elements_from(&mut out, starts.first().copied(), None);
            if mine != Some(Cut::Reached) {
                abandoned.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            let theirs: Vec<_> = handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect();
            (mine, theirs)
        });
        // A part counts only when the walk before it stopped exactly at its start, which makes
        // its start an element of this array; after a walk that went past it (a guess inside an
        // element), that walk went on to the array's end itself.
        let mut cut = mine?;
        for (part, their_cut, at) in theirs {
            if cut == Cut::End {
                break;
            }
            out.extend(part);
            cut = their_cut?;
            self.at = at;
        }
        Some(out)
    }

    /// The elements from `self.at` (just past the array's `[` or a `,`) to the array's `]`, or
    /// up to `limit` when the walk stops exactly there, at an element's start. `None` where the
    /// structure is broken, or once `abandoned` is set (the walk will not count).
    fn elements_from(
        &mut self,
        out: &mut Vec<Range<usize>>,
        limit: Option<usize>,
        abandoned: Option<&std::sync::atomic::AtomicBool>,
    ) -> Option<Cut> {
        loop {
            self.ws();
            if limit == Some(self.at) {
                return Some(Cut::Reached);
            }
            if abandoned.is_some_and(|a| a.load(std::sync::atomic::Ordering::Relaxed)) {
                return None;
            }
            let start = self.at;
            self.value()?;
            out.push(start..self.at);
            self.ws();
            if self.eat(b',').is_some() {
                continue;
            }
            self.eat(b']')?;
            return Some(Cut::End);
        }
    }

    /// Where to start walking the array (its first element at `self.at`) on `parts - 1` other
    /// threads, in order: after each share of the rest of the document, the first place that
    /// opens like the first element (its bracket, first key and colon, as written) and follows a
    /// comma. In valid JSON such a place cannot be inside a string (its quote would end the
    /// string, and a key cannot follow a closing quote), but it can open a nested object: a
    /// guess is only a guess, checked by the walk before it.
    fn split_guesses(&self, min: usize, parts: usize) -> Vec<usize> {
        let bytes = self.bytes;
        let rest = bytes.len() - self.at;
        if parts < 2 || rest < min {
            return Vec::new();
        }
        let mut first = Scanner { bytes, at: self.at };
        let opening = (|| {
            first.eat(b'{')?;
            first.ws();
            first.key()?;
            first.ws();
            first.eat(b':')
        })();
        if opening.is_none() {
            return Vec::new();
        }
        let finder = memchr::memmem::Finder::new(&bytes[self.at..first.at]);
        let mut out: Vec<usize> = Vec::new();
        for k in 1..parts {
            let mut at = (self.at + rest / parts * k).max(out.last().map_or(0, |l| l + 1));
            let guess = loop {
                let Some(found) = bytes.get(at..).and_then(|b| finder.find(b)) else {
                    // None here, so none further on either.
                    return out;
                };
                let guess = at + found;
                if bytes[..guess].iter().rev().find(|b| !b.is_ascii_whitespace()) == Some(&b',') {
                    break guess;
                }
                at = guess + 1;
            };
            out.push(guess);
        }
        out
    }
}

/// How a walk of an array's elements ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// At the array's `]`.
    End,
    /// At the limit it was given, an element's start.
    Reached,
}

/// Arrays from this size on (bytes of the document from the first element) are walked in parts.
const SCAN_SPLIT_MIN: usize = 1 << 20;

/// Where the string whose text starts at `at` (just past its opening quote) ends: just past its
/// closing quote, escapes stepped over; `None` when it does not end. Most strings of a report are
/// short (keys, ids, CIDRs), so the first bytes are looked at eight at a time in a word before
/// `memchr2`, which pays a set-up cost per call that a short string never earns back (1.6 million
/// calls were most of the quick read's instructions).
fn string_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    use crate::text::word;
    /// Words looked at before handing a long string to `memchr2`.
    const WORDS: usize = 4;
    loop {
        let mut words = 0;
        let stop = loop {
            let Some(w) = word::at(bytes, at) else {
                break memchr::memchr2(b'"', b'\\', bytes.get(at..)?)?;
            };
            let hits = word::equal(w, b'"') | word::equal(w, b'\\');
            if hits != 0 {
                break word::first(hits);
            }
            at += 8;
            words += 1;
            if words == WORDS {
                break memchr::memchr2(b'"', b'\\', bytes.get(at..)?)?;
            }
        };
        at += stop;
        if bytes[at] == b'"' {
            return Some(at + 1);
        }
        at += 2;
    }
}

fn describe_json_type(bytes: &[u8]) -> &'static str {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => "a JSON array at the top level (a report is a JSON object)",
        Some(b'"') => "a JSON string at the top level (a report is a JSON object)",
        Some(b't' | b'f') => "a JSON boolean at the top level (a report is a JSON object)",
        Some(b'n') => "JSON null at the top level (a report is a JSON object)",
        _ => "a JSON number at the top level (a report is a JSON object)",
    }
}

impl<'a> Envelope<'a> {
    /// Parses the top level of `bytes`, the members of [`LISTS`] as their elements. When one of
    /// them is not an array (or the JSON is broken), the top level is read again as before
    /// this cut lists apart, and errors are that read's; a list member that is an array after
    /// all (repeated after a non-array one) is then cut apart on its own, so an array is always
    /// found by [`Envelope::elements`] and anything else by [`Envelope::get`].
    pub(crate) fn parse(path: &str, bytes: &'a [u8]) -> Result<Self, IngestError> {
        Self::read(bytes, true).or_else(|_| {
            let mut env = Self::parse_whole(path, bytes)?;
            for list in LISTS {
                let Some(at) = env.members.iter().position(|(k, _)| k == list) else {
                    continue;
                };
                if let Ok(elements) = serde_json::from_str::<Vec<&'a RawValue>>(env.members[at].1.get()) {
                    env.members.remove(at);
                    env.lists
                        .push((list, elements.into_iter().map(|e| Element(e.get())).collect()));
                }
            }
            Ok(env)
        })
    }

    /// A quick structural read of the top level, for drift-dense reports: the members of
    /// [`LISTS`] are cut into their elements **without checking the elements' JSON** (a loader
    /// reads every element in full, which checks it), every other member is checked by serde
    /// as [`Envelope::parse`] checks it. `None` without a list member, and whenever anything is
    /// unusual (not UTF-8, an escaped top-level key, a list member repeated or not an array,
    /// nesting deeper than [`SCAN_DEPTH_MAX`], more than [`SCAN_OTHER_MAX`] bytes of other
    /// members, a document that does not end with a list ([`ends_with_a_list`]), broken
    /// structure): [`Envelope::parse`] reads the report then. The one pass serde made over the
    /// elements was the largest serial part of a drift-dense load, and the loader's own read of
    /// each element checked the same bytes again.
    ///
    /// A load from this envelope that fails must be done again from [`Envelope::parse`]'s, so
    /// that what a broken report says is always what the full read says.
    pub(crate) fn scan(bytes: &'a [u8]) -> Option<Self> {
        if !ends_with_a_list(bytes) {
            return None;
        }
        // The structure first: where each member lies, the lists cut apart. Nothing is checked
        // (not even UTF-8) until a list is found: a report without one is the full read's.
        let mut sc = Scanner { bytes, at: 0 };
        let mut lists: Vec<(&'static str, Vec<Range<usize>>)> = Vec::new();
        let mut others: Vec<(Range<usize>, Range<usize>)> = Vec::new();
        let mut other_bytes = 0usize;
        sc.ws();
        sc.eat(b'{')?;
        sc.ws();
        if sc.eat(b'}').is_none() {
            loop {
                sc.ws();
                let key = sc.key()?;
                sc.ws();
                sc.eat(b':')?;
                sc.ws();
                let start = sc.at;
                if let Some(list) = LISTS.iter().find(|k| k.as_bytes() == &bytes[key.clone()]) {
                    // A repeated list would drop the earlier one's elements unchecked.
                    if lists.iter().any(|(k, _)| k == list) {
                        return None;
                    }
                    lists.push((list, sc.elements(SCAN_SPLIT_MIN, crate::par::threads())?));
                } else {
                    sc.value()?;
                    other_bytes += sc.at - start;
                    if other_bytes > SCAN_OTHER_MAX {
                        return None;
                    }
                    others.push((key, start..sc.at));
                }
                sc.ws();
                if sc.eat(b',').is_some() {
                    continue;
                }
                sc.eat(b'}')?;
                break;
            }
        }
        sc.ws();
        if sc.at != bytes.len() || lists.is_empty() {
            return None;
        }
        // Then what the full read would check of the other members, in their order.
        let text = std::str::from_utf8(bytes).ok()?;
        let mut env = Envelope {
            bytes,
            ..Envelope::default()
        };
        for (key, value) in others {
            let (key, value) = (&text[key], &text[value]);
            if let Some(known) = known(key) {
                env.keep(known, serde_json::from_str(value).ok()?);
            } else {
                serde_json::from_str::<IgnoredAny>(value).ok()?;
                env.other(key);
            }
        }
        env.lists = lists
            .into_iter()
            .map(|(k, elements)| (k, elements.into_iter().map(|e| Element(&text[e])).collect()))
            .collect();
        Some(env)
    }

    /// Parses the top level of `bytes`, every member whole.
    fn parse_whole(path: &str, bytes: &'a [u8]) -> Result<Self, IngestError> {
        let env = match Self::read(bytes, false) {
            Ok(env) => env,
            Err(e) if e.classify() == serde_json::error::Category::Data => {
                return Err(IngestError::UnknownShape {
                    path: path.to_string(),
                    found: describe_json_type(bytes).to_string(),
                });
            }
            Err(e) => return Err(IngestError::json(path, &e)),
        };
        Ok(env)
    }

    fn read(bytes: &'a [u8], lists: bool) -> Result<Self, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let env = de.deserialize_map(EnvelopeVisitor { bytes, lists })?;
        de.end()?;
        Ok(env)
    }

    /// A known member, raw. A member kept as its elements is found by reading the top level
    /// again: that is for error paths (use [`Envelope::elements`] otherwise).
    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        if self.lists.iter().any(|(k, _)| *k == key) {
            return Self::read(self.bytes, false).ok()?.get(key);
        }
        self.members
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .filter(|v| v.get() != "null")
    }

    /// The elements of a member of [`LISTS`] that is an array, as their texts; `None` when it is
    /// absent, null or not an array ([`Envelope::get`] then has it). From [`Envelope::scan`],
    /// their JSON is not checked yet.
    pub(crate) fn elements(&self, key: &str) -> Option<&[Element<'a>]> {
        self.lists
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, e)| e.as_slice())
    }

    /// A known member parsed into `T`; `None` when absent or null; an error names the member.
    pub(crate) fn member<T: serde::Deserialize<'a>>(
        &self,
        path: &str,
        format: Format,
        key: &str,
    ) -> Result<Option<T>, IngestError> {
        self.get(key).map(|r| typed(path, format, key, r)).transpose()
    }

    fn has(&self, key: &str) -> bool {
        self.members.iter().any(|(k, _)| *k == key) || self.lists.iter().any(|(k, _)| *k == key)
    }

    /// Which format this is, from the members present.
    pub(crate) fn format(&self, path: &str) -> Result<Format, IngestError> {
        if self.has("StackResourceDrifts") || self.has("StackResourceDrift") {
            return Ok(Format::Cloudformation);
        }
        if self.has("format_version")
            || self.has("resource_drift")
            || self.has("resource_changes")
            || self.has("terraform_version")
            || self.has("planned_values")
        {
            return Ok(Format::TerraformPlan);
        }
        let driftctl_keys = ["managed", "unmanaged", "missing", "differences", "deleted"];
        if driftctl_keys.iter().any(|k| self.has(k)) && (self.has("summary") || self.has("coverage")) {
            return Ok(Format::Driftctl);
        }
        let mut keys: Vec<String> = self.members.iter().map(|(k, _)| (*k).to_string()).collect();
        keys.extend(self.lists.iter().map(|(k, _)| (*k).to_string()));
        keys.extend(self.others.iter().cloned());
        let found = if keys.is_empty() {
            "an empty JSON object".to_string()
        } else {
            let more = self.other_count.saturating_sub(self.others.len());
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("a JSON object with top-level keys {}{tail}", keys.join(", "))
        };
        Err(IngestError::UnknownShape {
            path: path.to_string(),
            found,
        })
    }
}

/// Detects the format of a report's bytes.
pub fn detect_format(path: &str, bytes: &[u8]) -> Result<Format, IngestError> {
    Envelope::parse(path, bytes)?.format(path)
}

/// Parses a raw member into a typed value, naming the member on error.
pub(crate) fn typed<'a, T: serde::Deserialize<'a>>(
    path: &str,
    format: Format,
    context: &str,
    raw: &'a RawValue,
) -> Result<T, IngestError> {
    typed_with(path, format, || context.to_string(), raw)
}

/// [`typed`] with the member's name built only on error (per entry of a large list, the name
/// would otherwise be formatted for every entry).
pub(crate) fn typed_with<'a, T: serde::Deserialize<'a>>(
    path: &str,
    format: Format,
    context: impl FnOnce() -> String,
    raw: &'a RawValue,
) -> Result<T, IngestError> {
    typed_str(path, format, context, raw.get())
}

/// [`typed_with`] of a text.
pub(crate) fn typed_str<'a, T: serde::Deserialize<'a>>(
    path: &str,
    format: Format,
    context: impl FnOnce() -> String,
    text: &'a str,
) -> Result<T, IngestError> {
    serde_json::from_str(text).map_err(|e| IngestError::Invalid {
        path: path.to_string(),
        format,
        context: context(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// Any JSON value, strings drawn from the characters that end or escape them.
    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[\\[\\]{},:\"\\\\ a\n\u{e9}]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\\]\",]{0,4}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// [`string_end`] one byte at a time.
    fn string_end_bytewise(bytes: &[u8], mut at: usize) -> Option<usize> {
        loop {
            match *bytes.get(at)? {
                b'"' => return Some(at + 1),
                b'\\' => at += 2,
                _ => at += 1,
            }
        }
    }

    proptest! {
        /// The word-wise look (and its hand-over to `memchr2` past 32 bytes) finds the same end
        /// as a byte-wise one, wherever quotes and escapes fall against the word boundaries, with
        /// or without an end.
        #[test]
        fn a_strings_end_is_found_as_bytewise(text in "[\"\\\\a\u{e9}]{0,6}[a\u{e9}]{0,90}[\"\\\\a]{0,6}", from in 0usize..8) {
            let bytes = text.as_bytes();
            let from = from.min(bytes.len());
            prop_assert_eq!(string_end(bytes, from), string_end_bytewise(bytes, from));
        }
    }

    /// An element for the split walk: objects whose first key is usually `address` (the pattern
    /// the guesses look for), with nested objects opening the same way (guesses that are wrong),
    /// strings holding the pattern escaped, and other first keys.
    fn split_element() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            "[a,{}\\[\\]\"\\\\:]{0,12}".prop_map(Value::String),
            Just(Value::String("x\",{\"address\":1}".to_string())),
        ];
        let nested = leaf.prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                (inner.clone(), inner).prop_map(|(a, b)| serde_json::json!({"address": a, "z": b})),
            ]
        });
        prop_oneof![
            4 => (nested.clone(), nested.clone()).prop_map(|(a, b)| serde_json::json!({"address": a, "change": b})),
            1 => nested.clone().prop_map(|a| serde_json::json!({"other": a})),
            1 => nested,
        ]
    }

    proptest! {
        /// Walked in parts (any number, from any size on), an array gives exactly the one walk's
        /// elements and end, or fails where it fails: compact and pretty, with wrong guesses
        /// (nested objects opening like an element), and broken by a cut or a stray bracket.
        #[test]
        fn an_array_walked_in_parts_is_walked_as_in_one(
            items in prop::collection::vec(split_element(), 0..24),
            pretty: bool,
            parts in 2usize..6,
            damage in prop::option::of((any::<prop::sample::Index>(), prop::sample::select(vec!["", "]", "}", "{", "\""]))),
        ) {
            let value = Value::Array(items);
            let mut text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) }
                .expect("serialises");
            text.push_str(" ,\"tail\": 1}");
            if let Some((at, with)) = damage {
                let at = at.index(text.len() + 1);
                if text.is_char_boundary(at) {
                    text.replace_range(at..at.min(text.len()).max(at), with);
                    if with.is_empty() {
                        text.truncate(at);
                    }
                }
            }
            let walk = |min: usize, parts: usize| {
                let mut sc = Scanner { bytes: text.as_bytes(), at: 0 };
                let elements = sc.elements(min, parts);
                (elements, sc.at)
            };
            let one = walk(usize::MAX, 1);
            let split = walk(0, parts);
            prop_assert_eq!(split.0.clone(), one.0.clone());
            if one.0.is_some() {
                prop_assert_eq!(split.1, one.1);
            }
        }
    }

    proptest! {
        /// A list member's elements are exactly serde's reading of the array, in compact and in
        /// pretty-printed text, and the member's whole text is still there for error paths.
        #[test]
        fn list_elements_are_serdes_elements(items in prop::collection::vec(json(), 0..6), pretty: bool) {
            let doc = serde_json::json!({"format_version": "1.2", "resource_drift": items});
            let text = if pretty { serde_json::to_string_pretty(&doc) } else { serde_json::to_string(&doc) };
            let text = format!(" {} ", text.expect("serialises"));
            let whole: Vec<(String, &RawValue)> = serde_json::from_str::<std::collections::BTreeMap<String, &RawValue>>(&text)
                .expect("valid")
                .into_iter()
                .collect();
            let drift = whole.iter().find(|(k, _)| k == "resource_drift").expect("member").1;
            let theirs: Vec<&str> = serde_json::from_str::<Vec<&RawValue>>(drift.get())
                .expect("array")
                .iter()
                .map(|r| r.get())
                .collect();
            let env = Envelope::parse("p", text.as_bytes()).expect("parses");
            let ours: Vec<&str> = env.elements("resource_drift").expect("an array").iter().map(|r| r.get()).collect();
            prop_assert_eq!(ours, theirs);
            prop_assert_eq!(env.get("resource_drift").map(RawValue::get), Some(drift.get()));
            prop_assert_eq!(env.format("p").expect("a plan"), Format::TerraformPlan);
        }
    }

    /// A document in the shape of a drift-dense plan: top-level members from `members` (names
    /// the envelope knows, lists, and others), pretty or compact, optionally with one piece of
    /// JSON syntax put in anywhere.
    fn document() -> impl Strategy<Value = String> {
        let name = prop::sample::select(vec![
            "resource_drift",
            "format_version",
            "resource_changes",
            "errored",
            "something_else",
            "x",
        ]);
        let member = (
            name,
            prop_oneof![
                3 => prop::collection::vec(json(), 0..4).prop_map(Value::Array),
                1 => json(),
            ],
        );
        let piece = prop::sample::select(vec![
            "", "{", "}", "[", "]", "\"", "\\", ",", ":", " ", "x", "1", "é",
        ]);
        (
            prop::collection::vec(member, 0..5),
            any::<bool>(),
            any::<prop::sample::Index>(),
            piece,
        )
            .prop_map(|(members, pretty, at, piece)| {
                let body: Vec<String> = members
                    .iter()
                    .map(|(k, v)| {
                        let v = if pretty {
                            serde_json::to_string_pretty(v)
                        } else {
                            serde_json::to_string(v)
                        };
                        format!("{k:?}: {}", v.expect("serialises"))
                    })
                    .collect();
                let text = format!("{{{}}}", body.join(if pretty { ",\n  " } else { "," }));
                let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
                let at = bounds[at.index(bounds.len())];
                format!("{}{piece}{}", &text[..at], &text[at..])
            })
    }

    /// An envelope's members, lists, other names and their count, as texts.
    type Held = (
        Vec<(String, String)>,
        Vec<(String, Vec<String>)>,
        Vec<String>,
        usize,
    );

    /// What an envelope holds, as texts.
    fn held(env: &Envelope<'_>) -> Held {
        (
            env.members
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.get().to_string()))
                .collect(),
            env.lists
                .iter()
                .map(|(k, e)| ((*k).to_string(), e.iter().map(|e| e.get().to_string()).collect()))
                .collect(),
            env.others.clone(),
            env.other_count,
        )
    }

    proptest! {
        /// Whatever the quick read accepts, once the elements it cut are JSON (the loader's read
        /// checks that), the full read accepts too, holding the same members, elements and
        /// names. Broken documents are left to the full read.
        #[test]
        fn the_quick_read_agrees_with_the_full_read(text in document()) {
            let Some(quick) = Envelope::scan(text.as_bytes()) else {
                return Ok(());
            };
            let elements_are_json = quick
                .lists
                .iter()
                .flat_map(|(_, e)| e)
                .all(|e| serde_json::from_str::<IgnoredAny>(e.get()).is_ok());
            if elements_are_json {
                let full = Envelope::parse("p", text.as_bytes());
                prop_assert!(full.is_ok(), "{text}");
                prop_assert_eq!(held(&quick), held(&full.expect("checked")), "{}", text);
            }
        }

        /// Unbroken documents whose lists are arrays are read quickly.
        #[test]
        fn well_formed_documents_are_read_quickly(items in prop::collection::vec(json(), 0..6), pretty: bool) {
            let doc = serde_json::json!({"format_version": "1.2", "resource_drift": items, "other": items});
            let text = if pretty { serde_json::to_string_pretty(&doc) } else { serde_json::to_string(&doc) };
            let text = format!(" {} \n", text.expect("serialises"));
            let quick = Envelope::scan(text.as_bytes());
            prop_assert!(quick.is_some(), "{}", text);
            let full = Envelope::parse("p", text.as_bytes()).expect("valid");
            prop_assert_eq!(held(&quick.expect("read")), held(&full));
        }
    }

    /// A plan read from the quick envelope that fails is read again from the full one: broken
    /// JSON inside a drift entry, an entry that is not a resource change, and an entry error
    /// before a broken entry all say what the full read says.
    #[test]
    fn a_failed_quick_load_says_what_the_full_read_says() {
        let secrets = crate::classify::SecretMatcher::none();
        let entry = r#"{"address":"aws_s3_bucket.a","type":"aws_s3_bucket","change":{"actions":["update"],"before":{"a":1},"after":{"a":2}}}"#;
        let bad_before = r#"{"address":"aws_s3_bucket.b","type":"aws_s3_bucket","change":{"actions":["update"],"before":{"a":1e999},"after":{"a":2}}}"#;
        for text in [
            format!(r#"{{"format_version":"1.2","resource_drift":[{entry},{{"address": }}]}}"#),
            format!(r#"{{"format_version":"1.2","resource_drift":[{entry},{{"address":"x",}}]}}"#),
            format!(r#"{{"format_version":"1.2","resource_drift":[{entry},7]}}"#),
            format!(r#"{{"format_version":"1.2","resource_drift":[{bad_before},{{"a":[}}]}}"#),
            format!(r#"{{"format_version":"1.2","resource_drift":[{entry},{{"a":"\q"}}]}}"#),
            format!(r#"{{"format_version":"9.0","resource_drift":[{entry}]}}"#),
        ] {
            let quick = crate::ingest::parse_format("p", text.as_bytes(), &secrets);
            let full = Envelope::parse("p", text.as_bytes()).and_then(|env| {
                let format = env.format("p")?;
                crate::ingest::load_envelope("p", &env, format, &secrets)
            });
            let (Err(quick), Err(full)) = (quick, full) else {
                panic!("both reads fail: {text}");
            };
            let (quick, full) = (quick.to_string(), full.to_string());
            assert_eq!(quick, full, "{text}");
        }
        // And one that loads is the full read's load.
        let text = format!(r#"{{"format_version":"1.2","resource_drift":[{entry}]}}"#);
        assert!(Envelope::scan(text.as_bytes()).is_some());
        let Ok((format, loaded)) = crate::ingest::parse_format("p", text.as_bytes(), &secrets) else {
            panic!("loads: {text}");
        };
        assert_eq!(format, Format::TerraformPlan);
        assert_eq!(loaded.items.len(), 1);
        assert_eq!(loaded.items[0].changes.len(), 1);
    }

    /// The hint that a document ends with a list: strings (escaped quotes, brackets inside) are
    /// stepped over backwards, an object last or a long tail says no.
    #[test]
    fn the_tail_says_whether_a_document_ends_with_a_list() {
        for (text, yes) in [
            (
                r#"{"resource_drift":[{"a":1}],"complete":true,"errored":false}"#,
                true,
            ),
            (r#"{"resource_drift":[1]}  "#, true),
            (r#"{"resource_drift":[1],"x":"]\"}"}"#, true),
            (r#"{"resource_drift":[1],"x":"\\"}"#, true),
            (r#"{"resource_drift":[1],"configuration":{"a":[1]}}"#, false),
            (r#"{"resource_drift":[1],"x":"[\"{"}"#, true),
            (r#"{"a":1}"#, false),
            ("{}", false),
            ("[1]", false),
            (r#"{"resource_drift":[1]} x"#, false),
        ] {
            assert_eq!(ends_with_a_list(text.as_bytes()), yes, "{text}");
        }
        let long = format!(r#"{{"resource_drift":[1],"x":"{}"}}"#, "a".repeat(SCAN_TAIL_MAX));
        assert!(
            !ends_with_a_list(long.as_bytes()),
            "the list is further back than the hint looks"
        );
        assert!(Envelope::scan(long.as_bytes()).is_none());
    }

    /// A list member that is not an array is kept whole, as every member is; null is absent;
    /// the last of a repeated member counts, whatever the earlier one was.
    #[test]
    fn a_list_member_that_is_not_an_array_is_kept_whole() {
        for (text, whole) in [
            (r#"{"resource_drift": {"a": 1}}"#, Some(r#"{"a": 1}"#)),
            (r#"{"resource_drift": "[1]"}"#, Some(r#""[1]""#)),
            (r#"{"resource_drift": 7}"#, Some("7")),
            (r#"{"resource_drift": null}"#, None),
            (r#"{"resource_drift": [1], "resource_drift": {}}"#, Some("{}")),
            (
                r#"{"resource_drift": {}, "resource_drift": [1, 2]}"#,
                Some("[1, 2]"),
            ),
        ] {
            let env = Envelope::parse("p", text.as_bytes()).expect(text);
            assert_eq!(env.get("resource_drift").map(RawValue::get), whole, "{text}");
            assert_eq!(env.format("p").expect(text), Format::TerraformPlan, "{text}");
            // An array read whole (after an earlier non-array) is for the loader to cut apart.
            match env.elements("resource_drift") {
                Some(e) => assert_eq!(
                    e.iter().map(|r| r.get()).collect::<Vec<_>>(),
                    ["1", "2"],
                    "{text}"
                ),
                None => assert!(whole.is_none_or(|w| !w.starts_with("[1]")), "{text}"),
            }
        }
        let env = Envelope::parse("p", br#"{"resource_drift": [ ]}"#).expect("parses");
        assert_eq!(env.elements("resource_drift").map(<[_]>::len), Some(0));
        assert_eq!(env.get("resource_drift").map(RawValue::get), Some("[ ]"));
    }

    /// Broken JSON gives the same error as a read that keeps every member whole.
    #[test]
    fn broken_json_in_a_list_member_is_reported_as_before() {
        for text in [
            r#"{"resource_drift": [1, }"#,
            r#"{"resource_drift": [{"a": 1}"#,
            r#"{"resource_drift": []} x"#,
        ] {
            let ours = Envelope::parse("p", text.as_bytes()).expect_err(text).to_string();
            let whole = Envelope::parse_whole("p", text.as_bytes())
                .expect_err(text)
                .to_string();
            assert_eq!(ours, whole, "{text}");
            assert!(ours.contains("line 1"), "{ours}");
        }
    }
}

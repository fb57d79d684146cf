//! Text that came from outside (reports, CloudTrail) made safe for a terminal, and
//! display-width helpers that count graphemes' columns, never bytes.

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

/// Characters that print nothing yet change how text reads: bidi marks, embeddings, overrides
/// and isolates; zero-width space, non-joiner, joiner and word joiner; invisible operators; the
/// byte-order mark; and the Unicode line and paragraph separators (which some terminals,
/// editors and JSON consumers treat as line breaks). Two addresses that look identical can differ
/// only by these, so they are always shown escaped.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// Replaces control characters, escape sequences, bidi controls, zero-width characters and
/// U+2028/U+2029 with visible escapes (`\u{1b}`, `\u{200b}`), so no string from a report can
/// move the cursor, recolour, reorder the screen or pass for another.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Drops ANSI CSI sequences (`ESC [` … final byte), the colours and cursor moves that tools such
/// as Terraform print, then [`sanitize`]s what is left: for command output we show, where the
/// colour codes are noise rather than an attack. Any other escape stays visible.
pub fn strip_csi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            // Parameter and intermediate bytes, then one final byte in 0x40..=0x7e.
            for d in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&d) {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    sanitize(&out).into_owned()
}

/// Like [`sanitize`] but keeps newlines and tabs (tabs become spaces): for multi-line values.
pub fn sanitize_multiline(s: &str) -> String {
    s.split('\n')
        .map(|line| sanitize(&line.replace('\t', "    ")).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Makes JSON text that driftdeck printed safe for a terminal without changing its data:
/// characters serde_json leaves raw inside strings (DEL, C1 controls such as the 8-bit CSI,
/// bidi controls, zero-width characters, U+2028/U+2029) become `\uXXXX` escapes, which every
/// JSON parser reads back as the same characters. Only valid on JSON text: outside strings it
/// holds nothing but ASCII.
pub fn json_safe(s: &str) -> Cow<'_, str> {
    // Pretty JSON is printable ASCII and line breaks: checked by bytes, not decoded. Text with
    // other characters (a reason's `→`) is kept as it is unless one of them is escaped below.
    if !any_escaped(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if json_escaped(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether [`json_safe`] escapes `c`.
pub(crate) fn json_escaped(c: char) -> bool {
    is_unsafe(c) && !matches!(c, '\n' | '\t' | '\r')
}

/// Printable ASCII, line breaks and tabs: the bytes of pretty JSON that need no look.
fn plain(b: u8) -> bool {
    matches!(b, b' '..=b'~' | b'\n' | b'\t' | b'\r')
}

/// Whether any character of `s` is [`json_escaped`]. Blocks of 32 plain bytes are passed over
/// without a branch inside (the compiler makes it vector code); only a block holding something
/// else is decoded, character by character. One character at a time over all of the text, and
/// for every item with a `→` in its reasons, was a tenth of `list --format json`.
fn any_escaped(s: &str) -> bool {
    const BLOCK: usize = 32;
    let bytes = s.as_bytes();
    // Always a character boundary: a plain block is ASCII, and decoding stops after a whole
    // character.
    let mut at = 0;
    while at < bytes.len() {
        let end = (at + BLOCK).min(bytes.len());
        if bytes[at..end].iter().fold(true, |all, &b| all & plain(b)) {
            at = end;
            continue;
        }
        let mut next = bytes.len();
        for (i, c) in s[at..].char_indices() {
            if json_escaped(c) {
                return true;
            }
            let after = at + i + c.len_utf8();
            if after >= end {
                next = after;
                break;
            }
        }
        at = next;
    }
    false
}

/// Text looked at eight bytes at a time in a `u64` (the quick read's string skip, the list
/// serializer's escaping). Each test sets the high bit of every byte it flags; the flag of the
/// lowest such byte is exact (a borrow only reaches the bytes above a flagged one), and it is
/// the only one read ([`word::first`]).
pub(crate) mod word {
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

    /// The eight bytes of `bytes` from `at` as one little-endian word (the byte at `at` lowest);
    /// `None` when fewer than eight remain.
    #[inline]
    pub(crate) fn at(bytes: &[u8], at: usize) -> Option<u64> {
        let word = bytes.get(at..at.checked_add(8)?)?;
        <[u8; 8]>::try_from(word).ok().map(u64::from_le_bytes)
    }

    /// Flags the bytes below `limit` (at most 0x80).
    #[inline]
    pub(crate) fn below(w: u64, limit: u8) -> u64 {
        w.wrapping_sub(u64::from_ne_bytes([limit; 8])) & !w & HIGHS
    }

    /// Flags the bytes equal to `b`.
    #[inline]
    pub(crate) fn equal(w: u64, b: u8) -> u64 {
        below(w ^ u64::from_ne_bytes([b; 8]), 1)
    }

    /// Flags the bytes from 0x80 on (any byte of a multi-byte UTF-8 character).
    #[inline]
    pub(crate) fn high(w: u64) -> u64 {
        w & HIGHS
    }

    /// The index in the word of the lowest flagged byte (8 when none is).
    #[inline]
    pub(crate) fn first(flags: u64) -> usize {
        (flags.trailing_zeros() / 8) as usize
    }
}

/// A writer applying [`json_safe`] to JSON text as it streams through, so a large document
/// (`list --format json` of 500 000 items) is never held whole. A UTF-8 sequence split across
/// two writes is completed before it is examined.
pub struct JsonSafeWriter<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: std::io::Write> JsonSafeWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        JsonSafeWriter {
            inner,
            pending: Vec::new(),
        }
    }

    /// Writes out anything pending and returns the inner writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        let rest = std::mem::take(&mut self.pending);
        self.inner.write_all(&rest)?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    fn emit(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        match std::str::from_utf8(chunk) {
            Ok(s) => self.inner.write_all(json_safe(s).as_bytes()),
            Err(e) => {
                let (good, rest) = chunk.split_at(e.valid_up_to());
                // `valid_up_to` is a char boundary, so this is valid UTF-8.
                let good = std::str::from_utf8(good).unwrap_or_default();
                self.inner.write_all(json_safe(good).as_bytes())?;
                if e.error_len().is_some() {
                    // Not UTF-8 at all (serde_json never writes this): passed on as is.
                    self.inner.write_all(rest)
                } else {
                    self.pending.extend_from_slice(rest);
                    Ok(())
                }
            }
        }
    }
}

impl<W: std::io::Write> std::io::Write for JsonSafeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            self.emit(buf)?;
        } else {
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(buf);
            self.emit(&joined)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Like [`sanitize`] for a whole text document (Markdown, CSV): line breaks (`\n`, `\r\n`) and
/// tabs stay, every other control or invisible character is shown escaped, including a `\r`
/// that is not part of a line break (it would let a value overwrite its own line).
pub fn sanitize_document(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| is_unsafe(c) && !matches!(c, '\n' | '\t' | '\r'))
        && !s.contains('\r')
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' if chars.peek() == Some(&'\n') => out.push(c),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Display width in terminal columns.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Pads (or leaves) `s` to `w` columns.
pub fn pad(s: &str, w: usize) -> String {
    let n = width(s);
    if n >= w {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(w - n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_never_pass() {
        let evil = "web\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}txt.exe\u{9b}31m";
        let clean = sanitize(evil);
        assert!(!clean.chars().any(char::is_control), "{clean}");
        assert!(clean.contains("\\u{1b}[2J"));
        assert!(clean.contains("\\u{202e}"));
        assert_eq!(sanitize("plain"), "plain");
    }

    #[test]
    fn invisible_characters_in_addresses_are_shown_escaped() {
        for (evil, shown) in [
            ("aws_iam_user.ad\u{200b}min", "aws_iam_user.ad\\u{200b}min"),
            (
                "aws_iam_user.ad\u{200c}m\u{200d}in",
                "aws_iam_user.ad\\u{200c}m\\u{200d}in",
            ),
            ("\u{feff}aws_s3_bucket.logs", "\\u{feff}aws_s3_bucket.logs"),
            ("aws_x.a\u{2028}b\u{2029}c", "aws_x.a\\u{2028}b\\u{2029}c"),
            (
                "aws_x.\u{2066}a\u{2069}\u{061c}",
                "aws_x.\\u{2066}a\\u{2069}\\u{61c}",
            ),
        ] {
            assert_eq!(sanitize(evil), shown);
        }
    }

    #[test]
    fn command_output_loses_colours_but_not_its_guard() {
        let tf = "\u{1b}[31m│\u{1b}[0m \u{1b}[1mError:\u{1b}[0m init \u{1b}]0;title\u{7}";
        let s = strip_csi(tf);
        assert!(s.starts_with("│ Error: init "), "{s}");
        // A non-CSI escape (an OSC title change) is still shown, not obeyed.
        assert!(s.contains("\\u{1b}]0;title"), "{s}");
        assert!(!s.chars().any(char::is_control));
    }

    #[test]
    fn json_stays_the_same_data_but_prints_safely() {
        let v = serde_json::json!({"address": "aws_x.a\u{2028}\u{202e}\u{9b}2J\u{7f}\u{1b}[31m", "n": 1});
        let text = serde_json::to_string(&v).expect("json");
        let safe = json_safe(&text);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        assert!(safe.contains("\\u2028") && safe.contains("\\u202e") && safe.contains("\\u009b"));
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, v);
    }

    #[test]
    fn the_streaming_writer_handles_characters_split_across_writes() {
        use std::io::Write as _;
        let text = "{\"a\":\"x\u{2028}y\u{9b}z\"}";
        let bytes = text.as_bytes();
        for cut in 0..bytes.len() {
            let mut w = JsonSafeWriter::new(Vec::new());
            w.write_all(&bytes[..cut]).expect("write");
            w.write_all(&bytes[cut..]).expect("write");
            let out = String::from_utf8(w.finish().expect("finish")).expect("utf-8");
            assert_eq!(out, json_safe(text), "cut at {cut}");
        }
    }

    #[test]
    fn documents_keep_line_breaks_and_lose_escapes() {
        let doc = "a,b\r\n\"x\u{1b}[2J\",\"y\rz\u{200b}\"\n| t\t|\n";
        assert_eq!(
            sanitize_document(doc),
            "a,b\r\n\"x\\u{1b}[2J\",\"y\\u{d}z\\u{200b}\"\n| t\t|\n"
        );
        assert_eq!(sanitize_document("plain\n"), "plain\n");
    }

    #[test]
    fn width_counts_columns() {
        assert_eq!(width("日本"), 4);
        assert_eq!(pad("ab", 4), "ab  ");
    }

    /// The block-wise look says what a character-at-a-time look says, at every length and
    /// position, with characters of every width across block edges.
    #[test]
    fn any_escaped_is_the_characterwise_look() {
        let charwise = |s: &str| s.chars().any(json_escaped);
        let base: String = (0..100u8).map(|i| char::from(b' ' + i % 95)).collect();
        for len in 0..base.len() {
            assert!(!any_escaped(&base[..len]));
            for at in 0..=len {
                for odd in [
                    "\u{1b}",
                    "\u{7f}",
                    "\u{9b}",
                    "\n",
                    "\t",
                    "é",
                    "→",
                    "\u{202e}",
                    "😀",
                    "\u{200b}x",
                ] {
                    let text = format!("{}{odd}{}", &base[..at], &base[at..len]);
                    assert_eq!(any_escaped(&text), charwise(&text), "{text:?}");
                    let twice = format!("{}→{odd}{}", &base[..at], &base[at..len]);
                    assert_eq!(any_escaped(&twice), charwise(&twice), "{twice:?}");
                }
            }
        }
    }
}

//! Side-by-side alignment: pairs desired and live lines, and finds the changed character ranges
//! inside a changed pair (the in-line emphasis).

use std::ops::Range;

use similar::{Algorithm, DiffOp, capture_diff_slices};

/// What a row of the side-by-side view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// Same on both sides.
    Equal,
    /// Present on both sides, different.
    Changed,
    /// Only desired has it (live lost it).
    Removed,
    /// Only live has it.
    Added,
}

/// One aligned row: line indices on each side and the changed byte ranges within them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Row kind.
    pub kind: RowKind,
    /// Index into the desired lines.
    pub left: Option<usize>,
    /// Index into the live lines.
    pub right: Option<usize>,
    /// Changed byte ranges in the desired line (only for [`RowKind::Changed`]).
    pub left_ranges: Vec<Range<usize>>,
    /// Changed byte ranges in the live line (only for [`RowKind::Changed`]).
    pub right_ranges: Vec<Range<usize>>,
}

impl Row {
    fn one(kind: RowKind, left: Option<usize>, right: Option<usize>) -> Self {
        Row {
            kind,
            left,
            right,
            left_ranges: Vec::new(),
            right_ranges: Vec::new(),
        }
    }
}

/// Lines longer than this are not diffed by character (quadratic worst case); the whole line is
/// emphasised instead.
const INLINE_LIMIT: usize = 2_000;

/// Aligns two sides line by line. Replaced blocks are paired line by line, the surplus becomes
/// added or removed rows; added and removed blocks are then slid to whole elements (see
/// [`slide_blocks`]).
pub fn align(desired: &[String], live: &[String]) -> Vec<Row> {
    let mut rows = raw_align(desired, live);
    slide_blocks(&mut rows, desired, live);
    rows
}

fn raw_align(desired: &[String], live: &[String]) -> Vec<Row> {
    let mut rows = Vec::with_capacity(desired.len().max(live.len()));
    for op in capture_diff_slices(Algorithm::Myers, desired, live) {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for i in 0..len {
                    rows.push(Row::one(RowKind::Equal, Some(old_index + i), Some(new_index + i)));
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                for i in 0..old_len {
                    rows.push(Row::one(RowKind::Removed, Some(old_index + i), None));
                }
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                for i in 0..new_len {
                    rows.push(Row::one(RowKind::Added, None, Some(new_index + i)));
                }
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                for i in 0..old_len.max(new_len) {
                    match (i < old_len, i < new_len) {
                        (true, true) => {
                            let (l, r) = (old_index + i, new_index + i);
                            let (left_ranges, right_ranges) = inline_ranges(&desired[l], &live[r]);
                            rows.push(Row {
                                kind: RowKind::Changed,
                                left: Some(l),
                                right: Some(r),
                                left_ranges,
                                right_ranges,
                            });
                        }
                        (true, false) => rows.push(Row::one(RowKind::Removed, Some(old_index + i), None)),
                        _ => rows.push(Row::one(RowKind::Added, None, Some(new_index + i))),
                    }
                }
            }
        }
    }
    rows
}

/// Bracket depth change of a line, outside string literals: `{` `[` `(` open, `}` `]` `)` close.
/// Also returns the lowest depth reached inside the line (negative when it closes first).
fn bracket_delta(line: &str) -> (i32, i32) {
    let (mut depth, mut low) = (0i32, 0i32);
    let mut in_str = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' | '(' => depth += 1,
            '}' | ']' | ')' => {
                depth -= 1;
                low = low.min(depth);
            }
            _ => {}
        }
    }
    (depth, low)
}

/// Whether lines form whole elements: brackets never close below the block's start and all
/// close by its end (`{ … },` is balanced; `… }, {` is not).
fn balanced<'a>(lines: impl Iterator<Item = &'a String>) -> bool {
    let mut depth = 0;
    for l in lines {
        let (d, low) = bracket_delta(l);
        if depth + low < 0 {
            return false;
        }
        depth += d;
    }
    depth == 0
}

/// A diff may place an inserted list element anywhere among equal lines that repeat (`},` `{`):
/// Myers picks the first, which splices the new element into its sibling. Each run of added (or
/// removed) rows between equal rows is slid up or down, over lines equal to its own, to the
/// nearest position where it is a balanced block of whole elements; when none is, it stays.
pub fn slide_blocks(rows: &mut [Row], desired: &[String], live: &[String]) {
    let mut a = 0;
    while a < rows.len() {
        let kind = rows[a].kind;
        if !matches!(kind, RowKind::Added | RowKind::Removed) {
            a += 1;
            continue;
        }
        let mut b = a;
        while b < rows.len() && rows[b].kind == kind {
            b += 1;
        }
        let added = kind == RowKind::Added;
        let lines: &[String] = if added { live } else { desired };
        let idx = |r: &Row| if added { r.right } else { r.left };
        let (Some(first), Some(last)) = (idx(&rows[a]), idx(&rows[b - 1])) else {
            a = b;
            continue;
        };
        // How far the block can move: over equal rows whose line repeats the block's other end.
        let mut up = 0;
        while up < a
            && up < first
            && rows[a - 1 - up].kind == RowKind::Equal
            && lines.get(first - 1 - up) == lines.get(last - up)
        {
            up += 1;
        }
        let mut down = 0;
        while b + down < rows.len()
            && rows[b + down].kind == RowKind::Equal
            && lines.get(first + down) == lines.get(last + 1 + down)
            && last + 1 + down < lines.len()
        {
            down += 1;
        }
        let ok = |shift: isize| {
            let from = first.saturating_add_signed(shift);
            let to = last.saturating_add_signed(shift);
            lines.get(from..=to).is_some_and(|l| balanced(l.iter()))
        };
        let best = (0..=up.max(down))
            .flat_map(|k| {
                let k = isize::try_from(k).unwrap_or(0);
                [-k, k]
            })
            .filter(|&s| s >= -isize::try_from(up).unwrap_or(0) && s <= isize::try_from(down).unwrap_or(0))
            .find(|&s| ok(s));
        match best {
            Some(s) if s < 0 => {
                for _ in 0..s.unsigned_abs() {
                    shift_up(rows, a, b, added);
                    a -= 1;
                    b -= 1;
                }
            }
            Some(s) if s > 0 => {
                for _ in 0..s.unsigned_abs() {
                    shift_down(rows, a, b, added);
                    a += 1;
                    b += 1;
                }
            }
            _ => {}
        }
        a = b;
    }
}

/// Moves the block `rows[a..b]` up one row: the equal row above goes below it, paired with the
/// block's last line (equal to the line it was paired with).
fn shift_up(rows: &mut [Row], a: usize, b: usize, added: bool) {
    let eq = rows[a - 1].clone();
    for i in a - 1..b - 1 {
        let next = rows[i + 1].clone();
        rows[i] = if added {
            Row::one(RowKind::Added, None, next.right.map(|r| r - 1))
        } else {
            Row::one(RowKind::Removed, next.left.map(|l| l - 1), None)
        };
    }
    let last = if added {
        rows[b - 2].right
    } else {
        rows[b - 2].left
    }
    .map(|x| x + 1);
    rows[b - 1] = if added {
        Row::one(RowKind::Equal, eq.left, last)
    } else {
        Row::one(RowKind::Equal, last, eq.right)
    };
}

/// Moves the block `rows[a..b]` down one row: the equal row below goes above it, paired with
/// the block's first line.
fn shift_down(rows: &mut [Row], a: usize, b: usize, added: bool) {
    let eq = rows[b].clone();
    let first = if added { rows[a].right } else { rows[a].left };
    for i in (a + 1..=b).rev() {
        let prev = rows[i - 1].clone();
        rows[i] = if added {
            Row::one(RowKind::Added, None, prev.right.map(|r| r + 1))
        } else {
            Row::one(RowKind::Removed, prev.left.map(|l| l + 1), None)
        };
    }
    rows[a] = if added {
        Row::one(RowKind::Equal, eq.left, first)
    } else {
        Row::one(RowKind::Equal, first, eq.right)
    };
}

/// Splits a line into tokens (runs of word characters, or single other characters) with their
/// byte offsets: in-line emphasis works on words, so `t3.medium` → `t3.xlarge` marks one word.
fn tokens(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices() {
        let word = c.is_alphanumeric() || c == '_';
        match (word, start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, st) => {
                if let Some(b) = st {
                    out.push((b, &s[b..i]));
                    start = None;
                }
                out.push((i, &s[i..i + c.len_utf8()]));
            }
        }
    }
    if let Some(b) = start {
        out.push((b, &s[b..]));
    }
    out
}

/// The changed byte ranges of two versions of a line, by word diff; adjacent ranges merge.
pub fn inline_ranges(a: &str, b: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    if a.len() > INLINE_LIMIT || b.len() > INLINE_LIMIT {
        return (whole(a), whole(b));
    }
    let at = tokens(a);
    let bt = tokens(b);
    let aw: Vec<&str> = at.iter().map(|x| x.1).collect();
    let bw: Vec<&str> = bt.iter().map(|x| x.1).collect();
    let byte = |v: &[(usize, &str)], s: &str, i: usize| v.get(i).map_or(s.len(), |x| x.0);
    let mut left = Vec::new();
    let mut right = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &aw, &bw) {
        if matches!(op, DiffOp::Equal { .. }) {
            continue;
        }
        let (_, o, n) = op.as_tag_tuple();
        if !o.is_empty() {
            push_merged(&mut left, byte(&at, a, o.start)..byte(&at, a, o.end));
        }
        if !n.is_empty() {
            push_merged(&mut right, byte(&bt, b, n.start)..byte(&bt, b, n.end));
        }
    }
    (left, right)
}

#[allow(clippy::single_range_in_vec_init)] // one range: the whole line
fn whole(s: &str) -> Vec<Range<usize>> {
    if s.is_empty() {
        Vec::new()
    } else {
        vec![0..s.len()]
    }
}

fn push_merged(v: &mut Vec<Range<usize>>, r: Range<usize>) {
    if let Some(last) = v.last_mut()
        && last.end >= r.start
    {
        last.end = last.end.max(r.end);
        return;
    }
    v.push(r);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_string()).collect()
    }

    #[test]
    fn pairs_changed_lines_and_keeps_equal_ones_aligned() {
        let a = s(&["{", "  a = 1", "  b = 2", "}"]);
        let b = s(&["{", "  a = 1", "  b = 3", "  c = 4", "}"]);
        let rows = align(&a, &b);
        let kinds: Vec<RowKind> = rows.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            vec![
                RowKind::Equal,
                RowKind::Equal,
                RowKind::Changed,
                RowKind::Added,
                RowKind::Equal
            ]
        );
        assert_eq!(rows[2].left_ranges, vec![6..7]);
        assert_eq!(rows[2].right_ranges, vec![6..7]);
        assert_eq!(rows[4].left, Some(3));
        assert_eq!(rows[4].right, Some(4));
    }

    /// A new policy statement is its own block (`{ … },`) against blank desired lines, not
    /// spliced into its unchanged sibling (`… }, {`).
    #[test]
    fn an_added_list_element_is_a_whole_block() {
        let a = s(&["[", "  {", "    \"Sid\": \"A\"", "  }", "]"]);
        let b = s(&[
            "[",
            "  {",
            "    \"Sid\": \"New\"",
            "  },",
            "  {",
            "    \"Sid\": \"A\"",
            "  }",
            "]",
        ]);
        // Myers alone splices it: the added run starts inside the old element.
        let raw = raw_align(&a, &b);
        let first_added = raw
            .iter()
            .find(|r| r.kind == RowKind::Added)
            .and_then(|r| r.right);
        assert_ne!(first_added.map(|i| b[i].as_str()), Some("  {"), "{raw:?}");
        let rows = align(&a, &b);
        let added: Vec<&str> = rows
            .iter()
            .filter(|r| r.kind == RowKind::Added)
            .filter_map(|r| r.right.map(|i| b[i].as_str()))
            .collect();
        assert_eq!(added, ["  {", "    \"Sid\": \"New\"", "  },"], "{rows:?}");
        // Every equal row still pairs equal lines.
        for r in rows.iter().filter(|r| r.kind == RowKind::Equal) {
            assert_eq!(a[r.left.unwrap_or(99)], b[r.right.unwrap_or(99)], "{rows:?}");
        }
        // The same for a removed element.
        let rows = align(&b, &a);
        let removed: Vec<&str> = rows
            .iter()
            .filter(|r| r.kind == RowKind::Removed)
            .filter_map(|r| r.left.map(|i| b[i].as_str()))
            .collect();
        assert_eq!(removed, ["  {", "    \"Sid\": \"New\"", "  },"], "{rows:?}");
    }

    #[test]
    fn inline_ranges_are_byte_ranges_of_multibyte_text() {
        let (l, r) = inline_ranges("naïve t3.medium", "naïve t3.xlarge");
        assert_eq!(&"naïve t3.medium"[l[0].clone()], "medium");
        assert_eq!(&"naïve t3.xlarge"[r[0].clone()], "xlarge");
    }
}

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
/// added or removed rows.
pub fn align(desired: &[String], live: &[String]) -> Vec<Row> {
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

    #[test]
    fn inline_ranges_are_byte_ranges_of_multibyte_text() {
        let (l, r) = inline_ranges("naïve t3.medium", "naïve t3.xlarge");
        assert_eq!(&"naïve t3.medium"[l[0].clone()], "medium");
        assert_eq!(&"naïve t3.xlarge"[r[0].clone()], "xlarge");
    }
}

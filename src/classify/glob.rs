//! The taxonomy's name globs (resource types, attribute names, secret keys).
//!
//! They mean what `globset` makes of them with `case_insensitive(true)` and
//! `literal_separator(false)`: a regex `(?-u)(?i)^…$` over the name's bytes, so case folds for
//! ASCII letters only and `*` is any run of bytes, `/` and line breaks included. Compiling the
//! ~600 built-in globs into regex sets was two thirds of a small report's instructions (7 ms
//! before every command). Nearly every glob is literal text and `*`, which is matched here
//! directly; any other glob (`?`, classes, alternates, escapes, `**`) is compiled by `globset`.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Globs matched as one set: [`Globs::is_match`] is true when any of them matches.
#[derive(Debug, Clone, Default)]
pub(crate) struct Globs {
    /// Globs of literal text and single `*`: their pieces between the stars, ASCII-lowercased.
    stars: Vec<Vec<Box<[u8]>>>,
    /// Every other glob, compiled by `globset`; `None` when there are none.
    other: Option<GlobSet>,
}

impl Globs {
    /// Compiles `patterns`; `what` names them in an error ("attribute", "secret key").
    pub(crate) fn new(patterns: &[String], what: &str) -> Result<Self, String> {
        let mut stars = Vec::new();
        let mut other = GlobSetBuilder::new();
        let mut any_other = false;
        for p in patterns {
            if is_stars_only(p) {
                stars.push(
                    p.split('*')
                        .map(|piece| piece.to_ascii_lowercase().into_bytes().into())
                        .collect(),
                );
            } else {
                let g = GlobBuilder::new(p)
                    .case_insensitive(true)
                    .literal_separator(false)
                    .build()
                    .map_err(|e| format!("invalid {what} glob {p:?}: {e}"))?;
                other.add(g);
                any_other = true;
            }
        }
        let other = if any_other {
            Some(other.build().map_err(|e| format!("invalid {what} globs: {e}"))?)
        } else {
            None
        };
        Ok(Globs { stars, other })
    }

    /// No globs at all (matches nothing).
    pub(crate) fn empty() -> Self {
        Globs::default()
    }

    /// True when any glob matches `name`.
    pub(crate) fn is_match(&self, name: &str) -> bool {
        if !self.stars.is_empty() {
            let lower = name.to_ascii_lowercase();
            if self
                .stars
                .iter()
                .any(|pieces| stars_match(pieces, lower.as_bytes()))
            {
                return true;
            }
        }
        self.other.as_ref().is_some_and(|set| set.is_match(name))
    }
}

/// True when `glob` is literal text and single `*` only: nothing else `globset` would read
/// specially (`?`, `[…]`, `{…}`, a `\` escape, `**`).
fn is_stars_only(glob: &str) -> bool {
    !glob.contains("**")
        && !glob
            .bytes()
            .any(|b| matches!(b, b'?' | b'[' | b']' | b'{' | b'}' | b',' | b'\\'))
}

/// Whether `name` (lowercased) is the first piece, then anything, each middle piece in turn, then
/// anything, then the last piece. With one piece (no star) it is the whole name. Taking each
/// middle piece at its leftmost place is exact: it leaves the most room for the ones after it.
fn stars_match(pieces: &[Box<[u8]>], name: &[u8]) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return name.is_empty();
    };
    let Some((last, middle)) = rest.split_last() else {
        return name == &first[..];
    };
    if name.len() < first.len() + last.len() || !name.starts_with(first) || !name.ends_with(last) {
        return false;
    }
    let mut between = &name[first.len()..name.len() - last.len()];
    for piece in middle {
        match memchr::memmem::find(between, piece) {
            Some(at) => between = &between[at + piece.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `globset` itself, as the taxonomy used it: the reference (`None`: a glob is invalid).
    fn reference(patterns: &[String], name: &str) -> Option<bool> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            b.add(
                GlobBuilder::new(p)
                    .case_insensitive(true)
                    .literal_separator(false)
                    .build()
                    .ok()?,
            );
        }
        Some(b.build().ok()?.is_match(name))
    }

    fn ours(patterns: &[String], name: &str) -> Option<bool> {
        Some(Globs::new(patterns, "test").ok()?.is_match(name))
    }

    fn matches(patterns: &[&str], name: &str) -> bool {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_string()).collect();
        let want = reference(&patterns, name).expect("valid globs");
        assert_eq!(ours(&patterns, name), Some(want), "{patterns:?} on {name:?}");
        want
    }

    #[test]
    fn star_globs_mean_what_globset_makes_of_them() {
        assert!(matches(&["aws_s3_bucket*"], "aws_s3_bucket_policy"));
        assert!(matches(&["aws_s3_bucket*"], "AWS_S3_Bucket"));
        assert!(!matches(&["aws_s3_bucket*"], "aws_s3_bucke"));
        assert!(matches(&["*.encrypted"], "ebs_block_device.0.encrypted"));
        assert!(matches(&["*pass*word*"], "db_PASS_x_word"));
        assert!(!matches(&["*pass*word*"], "wordpass"));
        assert!(!matches(&["a*a"], "a"), "`a*a` needs two a's");
        assert!(matches(&["a*a"], "aa"));
        // `*` crosses `/` and line breaks; case folds for ASCII only.
        assert!(matches(&["a*b"], "a/x\ny/b"));
        assert!(!matches(&["k"], "\u{212a}"), "the Kelvin sign is not a k here");
        assert!(matches(&["é*"], "éte"));
        assert!(!matches(&["é*"], "Éte"));
        assert!(matches(&[""], ""));
        assert!(!matches(&[""], "x"));
        assert!(!matches(&[], "x"));
        assert!(matches(&["*"], ""));
        // Middle pieces are found one after another, never overlapping.
        assert!(!matches(&["*ab*ab*"], "xabx"));
        assert!(matches(&["*ab*ab*"], "abab"));
        assert!(!matches(&["x*aa*aa"], "xaaa"));
    }

    #[test]
    fn other_globs_go_to_globset() {
        assert!(matches(&["pass?ord"], "PassWord"));
        assert!(matches(&["[ab]x", "zz"], "Bx"));
        assert!(matches(&["{key,token}*"], "token_id"));
        assert!(matches(&["**"], "a/b"));
        assert!(matches(&["a\\*"], "a*"));
        assert!(!matches(&["a\\*"], "ab"));
        assert!(matches(&["x", "sec[r]et"], "SECRET"));
        let bad = Globs::new(&["[".to_string()], "secret key").expect_err("unclosed class");
        assert!(bad.starts_with("invalid secret key glob \"[\""), "{bad}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn any_star_glob_agrees_with_globset(
            patterns in proptest::collection::vec("[aAb*/é\n.]{0,6}|[ab*]{0,7}", 0..4),
            name in "[aAbB/é\n.]{0,8}|[ab]{0,9}",
        ) {
            prop_assert_eq!(ours(&patterns, &name), reference(&patterns, &name));
        }
    }
}

//! Syntax highlighting with syntect and the `two-face` syntax set (which includes Terraform):
//! foreground colours only, as plain data (the diff supplies backgrounds). The syntax set loads
//! once per process; a [`Highlighter`] holds one colour theme.

use std::ops::Range;
use std::sync::LazyLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, Theme};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use two_face::theme::EmbeddedLazyThemeSet;

use super::Lang;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);

/// A colour as red, green, blue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// A highlighted stretch of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Byte range in the line.
    pub range: Range<usize>,
    /// Foreground colour.
    pub fg: Rgb,
    /// Bold, when the syntax theme says so.
    pub bold: bool,
}

/// Errors choosing a syntax theme.
#[derive(Debug, thiserror::Error)]
pub enum HighlightError {
    /// The name is not one of the bundled syntax themes.
    #[error("unknown syntax theme {name:?}; known themes: {known}")]
    UnknownTheme {
        /// The name asked for.
        name: String,
        /// The names available.
        known: String,
    },
}

/// Highlights lines with one syntax theme.
#[derive(Debug, Clone)]
pub struct Highlighter {
    theme: Theme,
}

impl Highlighter {
    /// A highlighter with the bundled syntax theme `name` (e.g. `base16-ocean.dark`, `GitHub`).
    pub fn new(name: &str) -> Result<Self, HighlightError> {
        let names = EmbeddedLazyThemeSet::theme_names();
        let found = names
            .iter()
            .find(|n| n.as_name().eq_ignore_ascii_case(name))
            .ok_or_else(|| HighlightError::UnknownTheme {
                name: name.to_string(),
                known: names.iter().map(|n| n.as_name()).collect::<Vec<_>>().join(", "),
            })?;
        let theme = two_face::theme::extra().get(*found).clone();
        Ok(Highlighter { theme })
    }

    fn syntax(lang: Lang) -> &'static SyntaxReference {
        let set = &*SYNTAXES;
        let found = match lang {
            Lang::Hcl => set
                .find_syntax_by_extension("tf")
                .or_else(|| set.find_syntax_by_extension("hcl")),
            Lang::Json => set.find_syntax_by_extension("json"),
        };
        found.unwrap_or_else(|| set.find_syntax_plain_text())
    }

    /// Every foreground colour the syntax theme can give (for the contrast check).
    pub fn colours(&self) -> Vec<Rgb> {
        let mut out: Vec<Rgb> = self
            .theme
            .scopes
            .iter()
            .filter_map(|item| item.style.foreground)
            .chain(self.theme.settings.foreground)
            .map(|c| Rgb(c.r, c.g, c.b))
            .collect();
        out.sort_by_key(|c| (c.0, c.1, c.2));
        out.dedup();
        out
    }

    /// Foreground segments per line. Lines are highlighted in order (state carries over), so a
    /// multi-line document is parsed as one.
    pub fn highlight(&self, lines: &[String], lang: Lang) -> Vec<Vec<Segment>> {
        let mut h = HighlightLines::new(Self::syntax(lang), &self.theme);
        let mut out = Vec::with_capacity(lines.len());
        for line in lines {
            let with_nl = format!("{line}\n");
            let mut segs = Vec::new();
            if let Ok(ranges) = h.highlight_line(&with_nl, &SYNTAXES) {
                let mut at = 0;
                for (style, piece) in ranges {
                    let end = (at + piece.len()).min(line.len());
                    if end > at {
                        let c = style.foreground;
                        segs.push(Segment {
                            range: at..end,
                            fg: Rgb(c.r, c.g, c.b),
                            bold: style.font_style.contains(FontStyle::BOLD),
                        });
                    }
                    at += piece.len();
                }
            }
            out.push(segs);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_and_json_get_colours() {
        let h = Highlighter::new("base16-ocean.dark").expect("bundled theme");
        let lines = vec!["{".to_string(), "  enabled = true".to_string(), "}".to_string()];
        let segs = h.highlight(&lines, Lang::Hcl);
        assert_eq!(segs.len(), 3);
        let colours: std::collections::HashSet<Rgb> = segs[1].iter().map(|s| s.fg).collect();
        assert!(colours.len() > 1, "keyword and value should differ: {segs:?}");
        assert!(Highlighter::new("no-such-theme").is_err());
    }
}

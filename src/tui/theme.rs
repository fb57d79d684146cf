//! Semantic themes: roles (`diff_added_bg`, `severity_critical`, `selection_bg`, …) mapped to
//! colours, with methods returning `ratatui::Style`; widgets never invent colours. Built-in themes
//! are embedded from `themes/*.toml`; `--theme NAME|PATH` picks one; `theme.toml` in the config
//! dir overrides single roles. `NO_COLOR` gives a monochrome theme (bold / reverse emphasis).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::diff::{Highlighter, RowKind};
use crate::model::{Kind, Severity};

const BUILTIN: [(&str, &str); 3] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
];

/// Every role a theme can set.
pub const ROLES: [&str; 24] = [
    "background",
    "text",
    "muted",
    "accent",
    "title",
    "border",
    "border_focused",
    "header_bg",
    "status_bar_bg",
    "popup_bg",
    "selection_bg",
    "mark",
    "severity_critical",
    "severity_high",
    "severity_medium",
    "severity_low",
    "diff_removed_bg",
    "diff_added_bg",
    "diff_changed_bg",
    "diff_inline_removed_bg",
    "diff_inline_added_bg",
    "sensitive",
    "error",
    "ok",
];

/// Errors in a theme file or name.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// Not a built-in name and not a readable file.
    #[error("{path}: cannot read the theme: {source} (built-in themes: default, light, high-contrast)")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid theme.
    #[error("{path}: invalid theme: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    syntax: Option<String>,
    /// The WCAG contrast ratio every text/background pair meets (4.5 by default, 7 for
    /// high-contrast).
    min_contrast: Option<f64>,
    #[serde(default)]
    colors: BTreeMap<String, String>,
}

/// A resolved theme.
#[derive(Debug, Clone)]
pub struct Theme {
    colors: BTreeMap<&'static str, Color>,
    syntax: Option<String>,
    mono: bool,
    min_contrast: f64,
}

/// Which text roles are drawn on which backgrounds (what the views produce); the contrast test
/// checks every pair, and the syntax colours over the diff backgrounds.
pub const TEXT_PAIRS: &[(&[&str], &[&str])] = &[
    (
        &[
            "text",
            "muted",
            "accent",
            "title",
            "mark",
            "severity_critical",
            "severity_high",
            "severity_medium",
            "severity_low",
            "sensitive",
            "error",
            "ok",
        ],
        &[
            "background",
            "header_bg",
            "status_bar_bg",
            "popup_bg",
            "selection_bg",
        ],
    ),
    // Gutters and `(absent)` are muted on the row backgrounds; changed words (and masks in
    // them) sit on the in-line backgrounds.
    (
        &["text", "muted", "sensitive"],
        &["diff_removed_bg", "diff_added_bg", "diff_changed_bg"],
    ),
    (
        &["text", "sensitive"],
        &["diff_inline_removed_bg", "diff_inline_added_bg"],
    ),
];

/// The backgrounds syntax colours are drawn on.
pub const SYNTAX_BACKGROUNDS: [&str; 6] = [
    "background",
    "diff_removed_bg",
    "diff_added_bg",
    "diff_changed_bg",
    "diff_inline_removed_bg",
    "diff_inline_added_bg",
];

/// WCAG 2 relative luminance of an RGB colour (`None` for terminal-defined colours).
pub fn luminance(c: Color) -> Option<f64> {
    let Color::Rgb(r, g, b) = c else { return None };
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.039_28 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    Some(0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b))
}

/// WCAG 2 contrast ratio of two RGB colours (1 to 21).
pub fn contrast(a: Color, b: Color) -> Option<f64> {
    let (x, y) = (luminance(a)?, luminance(b)?);
    let (hi, lo) = if x > y { (x, y) } else { (y, x) };
    Some((hi + 0.05) / (lo + 0.05))
}

fn parse_into(theme: &mut Theme, text: &str, path: &Path) -> Result<(), ThemeError> {
    let invalid = |message: String| ThemeError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let file: ThemeFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let mut next = theme.colors.clone();
    for (role, value) in &file.colors {
        let key = ROLES
            .iter()
            .find(|r| *r == role)
            .ok_or_else(|| invalid(format!("unknown role {role:?} (known: {})", ROLES.join(", "))))?;
        let colour = parse_color(value).ok_or_else(|| {
            invalid(format!(
                "{role}: {value:?} is not a colour (use \"#rrggbb\", a name like \"red\", 0-255 or \"reset\")"
            ))
        })?;
        next.insert(key, colour);
    }
    if let Some(s) = &file.syntax {
        Highlighter::new(s).map_err(|e| invalid(format!("syntax: {e}")))?;
        theme.syntax = Some(s.clone());
    }
    if let Some(m) = file.min_contrast {
        if !(1.0..=21.0).contains(&m) {
            return Err(invalid(format!(
                "min_contrast: {m} is not a ratio between 1 and 21"
            )));
        }
        theme.min_contrast = m;
    }
    theme.colors = next;
    Ok(())
}

/// Parses `#rrggbb`, a colour name, an ANSI index or `reset`; `None` when it is none of these.
pub fn parse_color(s: &str) -> Option<Color> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("reset") || t.eq_ignore_ascii_case("default") || t.eq_ignore_ascii_case("none")
    {
        return Some(Color::Reset);
    }
    Color::from_str(t).ok()
}

impl Theme {
    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Self> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
        let mut t = Theme {
            colors: BTreeMap::new(),
            syntax: None,
            mono: false,
            min_contrast: 4.5,
        };
        parse_into(&mut t, text, Path::new(name)).ok()?;
        Some(t)
    }

    /// The built-in dark theme.
    pub fn default_dark() -> Self {
        Theme::builtin("default").unwrap_or_else(Theme::monochrome)
    }

    /// No colours at all: emphasis by bold, underline and reverse (`NO_COLOR`).
    pub fn monochrome() -> Self {
        Theme {
            colors: BTreeMap::new(),
            syntax: None,
            mono: true,
            min_contrast: 4.5,
        }
    }

    /// Resolves `--theme NAME|PATH`, `NO_COLOR` and the config dir's `theme.toml`. Problems are
    /// reported through `warn`, naming the file, and the defaults are used.
    pub fn load(choice: Option<&str>, no_color: bool, warn: &mut dyn FnMut(String)) -> Self {
        if no_color {
            return Theme::monochrome();
        }
        let mut theme = Theme::default_dark();
        if let Some(choice) = choice {
            if let Some(t) = Theme::builtin(choice) {
                theme = t;
            } else {
                let path = PathBuf::from(choice);
                let res = std::fs::read_to_string(&path)
                    .map_err(|source| ThemeError::Read {
                        path: path.clone(),
                        source,
                    })
                    .and_then(|text| parse_into(&mut theme, &text, &path));
                if let Err(e) = res {
                    warn(format!("{e}; using the default theme"));
                }
            }
        }
        if let Some(path) = crate::config::config_dir().map(|d| d.join("theme.toml"))
            && path.is_file()
        {
            let res = std::fs::read_to_string(&path)
                .map_err(|source| ThemeError::Read {
                    path: path.clone(),
                    source,
                })
                .and_then(|text| parse_into(&mut theme, &text, &path));
            if let Err(e) = res {
                warn(format!("{e}; its overrides are ignored"));
            }
        }
        theme
    }

    /// Applies overrides from TOML text (for tests and embedding).
    pub fn apply(&mut self, text: &str, path: &Path) -> Result<(), ThemeError> {
        parse_into(self, text, path)
    }

    /// True for the `NO_COLOR` theme.
    pub fn is_monochrome(&self) -> bool {
        self.mono
    }

    /// The syntax highlighter this theme asks for (`None` when monochrome).
    pub fn highlighter(&self) -> Option<Highlighter> {
        if self.mono {
            return None;
        }
        Highlighter::new(self.syntax.as_deref().unwrap_or("base16-ocean.dark")).ok()
    }

    fn c(&self, role: &str) -> Color {
        self.colors.get(role).copied().unwrap_or(Color::Reset)
    }

    fn fg(&self, role: &str) -> Style {
        if self.mono {
            Style::default()
        } else {
            Style::default().fg(self.c(role))
        }
    }

    /// Ordinary text.
    pub fn text(&self) -> Style {
        self.fg("text")
    }

    /// Secondary text (labels, absent values).
    pub fn muted(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            self.fg("muted")
        }
    }

    /// Emphasised labels (keys in help, column titles).
    pub fn accent(&self) -> Style {
        self.fg("accent").add_modifier(Modifier::BOLD)
    }

    /// Pane titles.
    pub fn title(&self) -> Style {
        self.fg("title").add_modifier(Modifier::BOLD)
    }

    /// Pane borders; the focused pane's border stands out.
    pub fn border(&self, focused: bool) -> Style {
        if self.mono {
            return if focused {
                Style::default().add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
        }
        self.fg(if focused { "border_focused" } else { "border" })
    }

    /// Text on the background `role` (plain in monochrome).
    fn text_on(&self, role: &str) -> Style {
        if self.mono {
            Style::default()
        } else {
            self.text().bg(self.c(role))
        }
    }

    /// The header line.
    pub fn header(&self) -> Style {
        self.text_on("header_bg")
    }

    /// The status bar.
    pub fn status_bar(&self) -> Style {
        self.text_on("status_bar_bg")
    }

    /// Popups and overlays.
    pub fn popup(&self) -> Style {
        self.text_on("popup_bg")
    }

    /// The selected list row.
    pub fn selection(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
                .bg(self.c("selection_bg"))
                .add_modifier(Modifier::BOLD)
        }
    }

    /// The mark glyph of marked items.
    pub fn mark(&self) -> Style {
        self.fg("mark").add_modifier(Modifier::BOLD)
    }

    /// A severity badge.
    pub fn severity(&self, s: Severity) -> Style {
        let role = match s {
            Severity::Critical => "severity_critical",
            Severity::High => "severity_high",
            Severity::Medium => "severity_medium",
            Severity::Low => "severity_low",
        };
        let st = self.fg(role);
        if s >= Severity::High {
            st.add_modifier(Modifier::BOLD)
        } else {
            st
        }
    }

    /// The kind column.
    pub fn kind(&self, k: Kind) -> Style {
        match k {
            Kind::Modified => self.text(),
            // Gone from the cloud reads as a problem; unmanaged as something to look at.
            Kind::Deleted => self.fg("error"),
            Kind::Unmanaged => self.fg("accent"),
        }
    }

    /// Background of a whole diff row.
    pub fn diff_row(&self, kind: RowKind) -> Style {
        if self.mono {
            return match kind {
                RowKind::Equal => Style::default(),
                _ => Style::default().add_modifier(Modifier::BOLD),
            };
        }
        match kind {
            RowKind::Equal => Style::default(),
            RowKind::Removed => Style::default().bg(self.c("diff_removed_bg")),
            RowKind::Added => Style::default().bg(self.c("diff_added_bg")),
            RowKind::Changed => Style::default().bg(self.c("diff_changed_bg")),
        }
    }

    /// A changed range inside a changed line: `live` for the right (live) side.
    pub fn diff_inline(&self, live: bool) -> Style {
        if self.mono {
            return Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD);
        }
        let role = if live {
            "diff_inline_added_bg"
        } else {
            "diff_inline_removed_bg"
        };
        Style::default().bg(self.c(role)).add_modifier(Modifier::BOLD)
    }

    /// Background of the side of a changed line (`live` for the right side).
    pub fn diff_side(&self, kind: RowKind, live: bool) -> Style {
        match kind {
            RowKind::Changed if !self.mono => {
                Style::default().bg(self.c(if live { "diff_added_bg" } else { "diff_removed_bg" }))
            }
            // The empty side of an added or removed row stays plain.
            RowKind::Added if !live => Style::default(),
            RowKind::Removed if live => Style::default(),
            k => self.diff_row(k),
        }
    }

    /// `(sensitive)` markers.
    pub fn sensitive(&self) -> Style {
        self.fg("sensitive")
            .add_modifier(Modifier::ITALIC | Modifier::BOLD)
    }

    /// Error messages.
    pub fn error(&self) -> Style {
        self.fg("error").add_modifier(Modifier::BOLD)
    }

    /// Success / informational messages.
    pub fn ok(&self) -> Style {
        self.fg("ok")
    }

    /// The pane background (the terminal's own in monochrome).
    pub fn base(&self) -> Style {
        if self.mono {
            Style::default()
        } else {
            Style::default().bg(self.c("background")).fg(self.c("text"))
        }
    }

    /// The contrast ratio this theme promises for text.
    pub fn min_contrast(&self) -> f64 {
        self.min_contrast
    }

    /// The colour a syntax colour is drawn in: itself when it meets the theme's contrast on
    /// every background it can be drawn on, else the text colour (so no syntax theme can make
    /// a diff unreadable).
    pub fn syntax_fg(&self, rgb: crate::diff::Rgb) -> Color {
        let c = Color::Rgb(rgb.0, rgb.1, rgb.2);
        let readable = SYNTAX_BACKGROUNDS
            .iter()
            .all(|bg| contrast(c, self.c(bg)).is_none_or(|r| r >= self.min_contrast));
        if readable { c } else { self.c("text") }
    }

    /// The colour of `role`.
    pub fn color(&self, role: &str) -> Color {
        self.c(role)
    }

    /// A syntax colour from the highlighter (ignored when monochrome), kept readable (see
    /// [`Theme::syntax_fg`]).
    pub fn syntax(&self, rgb: crate::diff::Rgb, bold: bool) -> Style {
        if self.mono {
            return Style::default();
        }
        let st = Style::default().fg(self.syntax_fg(rgb));
        if bold { st.add_modifier(Modifier::BOLD) } else { st }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_parse_fully() {
        for (name, _) in BUILTIN {
            let t = Theme::builtin(name).unwrap_or_else(|| panic!("{name} parses"));
            for role in &ROLES {
                assert!(t.colors.contains_key(role), "{name} lacks {role}");
            }
            assert!(t.highlighter().is_some(), "{name} syntax theme");
        }
    }

    #[test]
    fn bad_overrides_name_the_file_and_change_nothing() {
        let mut t = Theme::default_dark();
        let before = t.diff_row(RowKind::Added);
        let err = t
            .apply(
                "[colors]\ndiff_added_bg = \"bluish\"\n",
                Path::new("/cfg/theme.toml"),
            )
            .expect_err("bad colour");
        assert!(err.to_string().contains("/cfg/theme.toml"), "{err}");
        assert_eq!(t.diff_row(RowKind::Added), before);
        t.apply("[colors]\ndiff_added_bg = \"#010203\"\n", Path::new("x"))
            .expect("ok");
        assert_eq!(t.diff_row(RowKind::Added).bg, Some(Color::Rgb(1, 2, 3)));
        assert_eq!(
            t.diff_row(RowKind::Removed).bg,
            Theme::default_dark().diff_row(RowKind::Removed).bg
        );
    }

    #[test]
    fn theme_files_and_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = dir.path().join("mine.toml");
        std::fs::write(&good, "[colors]\nselection_bg = \"#123456\"\n").expect("write");
        let mut warnings = Vec::new();
        let t = Theme::load(good.to_str(), false, &mut |w| warnings.push(w));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(t.selection().bg, Some(Color::Rgb(0x12, 0x34, 0x56)));
        let light = Theme::load(Some("light"), false, &mut |w| warnings.push(w));
        assert_ne!(light.text().fg, Theme::default_dark().text().fg);
        let missing = dir.path().join("nope.toml");
        let t = Theme::load(missing.to_str(), false, &mut |w| warnings.push(w));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("nope.toml"), "{warnings:?}");
        assert_eq!(t.text(), Theme::default_dark().text());
        assert!(Theme::load(Some("light"), true, &mut |w| warnings.push(w)).is_monochrome());
    }

    /// WCAG contrast of every text/background pair every bundled theme produces, and of every
    /// syntax colour (as drawn) over the backgrounds it can be drawn on: 4.5:1, 7:1 for
    /// high-contrast.
    #[test]
    fn every_builtin_theme_meets_wcag_contrast() {
        let mut failures = Vec::new();
        for (name, _) in BUILTIN {
            let t = Theme::builtin(name).unwrap_or_else(|| panic!("{name} parses"));
            let bar = if name == "high-contrast" { 7.0 } else { 4.5 };
            assert!(
                (t.min_contrast() - bar).abs() < f64::EPSILON,
                "{name} promises {bar}"
            );
            for (fgs, bgs) in TEXT_PAIRS {
                for fg in *fgs {
                    for bg in *bgs {
                        let r = contrast(t.c(fg), t.c(bg))
                            .unwrap_or_else(|| panic!("{name}: {fg}/{bg} must be #rrggbb"));
                        if r < bar {
                            failures.push(format!("{name}: {fg} on {bg} = {r:.2}"));
                        }
                    }
                }
            }
            let h = t.highlighter().expect("syntax theme");
            for rgb in h.colours() {
                let fg = t.syntax_fg(rgb);
                for bg in SYNTAX_BACKGROUNDS {
                    let r = contrast(fg, t.c(bg)).unwrap_or(0.0);
                    if r < bar {
                        failures.push(format!("{name}: syntax {rgb:?} on {bg} = {r:.2}"));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} pairs below the bar:\n{}",
            failures.len(),
            failures.join("\n")
        );
        // The formula: black on white is 21:1.
        let r = contrast(Color::Rgb(0, 0, 0), Color::Rgb(255, 255, 255)).unwrap_or(0.0);
        assert!((r - 21.0).abs() < 1e-9);
    }

    #[test]
    fn monochrome_uses_emphasis_not_colour() {
        let t = Theme::monochrome();
        assert!(t.selection().add_modifier.contains(Modifier::REVERSED));
        assert_eq!(t.diff_row(RowKind::Added).bg, None);
        assert!(t.highlighter().is_none());
    }
}

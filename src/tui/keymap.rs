//! Key bindings as data: defaults embedded from `assets/keymap.toml`, user overrides from
//! `keymap.toml` in the config dir (an action the user sets replaces its default keys). Help and
//! the status-bar hints are generated from the live keymap.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::action::Action;

const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// A key with modifiers, normalised so that `G` and `shift-g` are the same chord.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    /// The key.
    pub code: KeyCode,
    /// Ctrl / Alt (Shift is folded into the character).
    pub mods: KeyModifiers,
}

impl KeyChord {
    /// Normalises a terminal key event.
    pub fn from_event(ev: &KeyEvent) -> Self {
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match ev.code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c)
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            c => c,
        };
        KeyChord { code, mods }
    }

    /// Parses `j`, `G`, `ctrl-d`, `pagedown`, `shift-tab`, `f1`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else if rest.chars().count() > 1 && lower.starts_with("shift-") {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                let c = if mods.contains(KeyModifiers::SHIFT) {
                    mods.remove(KeyModifiers::SHIFT);
                    c.to_ascii_uppercase()
                } else {
                    c
                };
                KeyCode::Char(c)
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "enter" | "return" => KeyCode::Enter,
                "tab" if mods.contains(KeyModifiers::SHIFT) => {
                    mods.remove(KeyModifiers::SHIFT);
                    KeyCode::BackTab
                }
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "esc" | "escape" => KeyCode::Esc,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" => KeyCode::Insert,
                f if f.starts_with('f') && f.len() > 1 => {
                    let n: u8 = f[1..].parse().map_err(|_| format!("unknown key {s:?}"))?;
                    KeyCode::F(n)
                }
                _ => return Err(format!("unknown key {s:?}")),
            },
        };
        Ok(KeyChord { code, mods })
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Errors in a keymap file.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    /// The file could not be read.
    #[error("{path}: cannot read the keymap: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid keymap TOML.
    #[error("{path}: invalid keymap: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    #[serde(default)]
    keys: BTreeMap<String, Vec<String>>,
}

/// The live key bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<KeyChord>>,
}

impl Keymap {
    /// The built-in bindings.
    pub fn defaults() -> Self {
        let mut km = Keymap {
            bindings: BTreeMap::new(),
        };
        // The embedded file is tested below; failing here would be a build defect, so fall
        // back to an empty map rather than panic.
        let _ = km.apply(DEFAULT_KEYMAP, Path::new("assets/keymap.toml"));
        km
    }

    /// Applies overrides from TOML text (`path` names it in errors). On error nothing changes.
    pub fn apply(&mut self, text: &str, path: &Path) -> Result<(), KeymapError> {
        let invalid = |message: String| KeymapError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let file: KeymapFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut next = self.bindings.clone();
        for (name, keys) in file.keys {
            let action = Action::from_name(&name).ok_or_else(|| {
                let known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                invalid(format!("unknown action {name:?} (known: {})", known.join(", ")))
            })?;
            let chords = keys
                .iter()
                .map(|k| KeyChord::parse(k).map_err(|e| invalid(format!("{name}: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            next.insert(action, chords);
        }
        self.bindings = next;
        Ok(())
    }

    /// Defaults plus `keymap.toml` from the config dir (or `explicit`); a bad file is reported
    /// through `warn` and the defaults are kept.
    pub fn load(explicit: Option<&Path>, warn: &mut dyn FnMut(String)) -> Self {
        let mut km = Keymap::defaults();
        let path = explicit
            .map(Path::to_path_buf)
            .or_else(|| crate::config::config_dir().map(|d| d.join("keymap.toml")));
        if let Some(path) = path
            && (explicit.is_some() || path.is_file())
        {
            let res = std::fs::read_to_string(&path)
                .map_err(|source| KeymapError::Read {
                    path: path.clone(),
                    source,
                })
                .and_then(|text| km.apply(&text, &path));
            if let Err(e) = res {
                warn(format!("{e}; using the default keys"));
            }
        }
        km
    }

    /// The action bound to a key, if any.
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let chord = KeyChord::from_event(ev);
        self.bindings
            .iter()
            .find(|(_, keys)| keys.contains(&chord))
            .map(|(a, _)| *a)
    }

    /// The keys bound to an action.
    pub fn keys(&self, action: Action) -> &[KeyChord] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    /// `j/↓`-style label of an action's keys, or `None` when unbound.
    pub fn label(&self, action: Action) -> Option<String> {
        let keys = self.keys(action);
        (!keys.is_empty()).then(|| keys.iter().map(ToString::to_string).collect::<Vec<_>>().join("/"))
    }

    /// Help rows (keys, description) for every bound action, in [`Action::ALL`] order.
    pub fn help_rows(&self) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .filter_map(|a| self.label(*a).map(|l| (l, a.description())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn defaults_parse_and_cover_every_action() {
        let mut km = Keymap {
            bindings: BTreeMap::new(),
        };
        km.apply(DEFAULT_KEYMAP, Path::new("assets/keymap.toml"))
            .expect("embedded keymap parses");
        for a in Action::ALL {
            assert!(!km.keys(a).is_empty(), "{a:?} unbound");
        }
        assert_eq!(
            km.action(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::HalfPageDown)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(Action::Mark)
        );
    }

    #[test]
    fn user_overrides_only_what_they_set_and_bad_files_change_nothing() {
        let mut km = Keymap::defaults();
        km.apply("[keys]\ndown = [\"n\"]\n", Path::new("u.toml"))
            .expect("valid");
        assert_eq!(
            km.action(&key(KeyCode::Char('n'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(km.action(&key(KeyCode::Char('j'), KeyModifiers::NONE)), None);
        assert_eq!(
            km.action(&key(KeyCode::Char('k'), KeyModifiers::NONE)),
            Some(Action::Up)
        );
        let before = km.clone();
        let err = km
            .apply("[keys]\nfly = [\"x\"]\n", Path::new("/home/u/keymap.toml"))
            .expect_err("unknown action");
        assert!(err.to_string().contains("/home/u/keymap.toml"), "{err}");
        assert!(err.to_string().contains("fly"), "{err}");
        assert!(
            km.apply("[keys]\nup = [\"ctrl-\"]\n", Path::new("k.toml"))
                .is_err()
        );
        assert_eq!(km, before);
    }
}

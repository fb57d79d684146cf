//! Decision settings from `config.toml` in the config dir: `[journal] signing_key`,
//! `[journal] lock_timeout` (seconds) and `[approvals] max_expiry` (`90d`, `12w`, `2160h`).
//! Unknown keys in these two sections are errors (a typo must not silently turn signing off).

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The decision settings of a config file; `None` means "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecideSettings {
    /// `[journal] signing_key`: OpenSSH private key that signs every entry (`~` expanded).
    pub signing_key: Option<PathBuf>,
    /// `[journal] lock_timeout`: seconds to wait for the store lock.
    pub lock_timeout: Option<Duration>,
    /// `[approvals] max_expiry`: the longest approval.
    pub max_expiry: Option<time::Duration>,
}

/// A bad setting.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SettingsError {
    /// The config file.
    pub path: PathBuf,
    /// What is wrong (with the key).
    pub message: String,
}

/// Parses `90d`, `12w`, `2160h`.
fn parse_span(s: &str) -> Option<time::Duration> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().ok()?;
    let per: i64 = match unit {
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(per).filter(|s| *s > 0).map(time::Duration::seconds)
}

impl DecideSettings {
    /// Reads `config.toml` in the config dir (missing: nothing set).
    pub fn load() -> Result<Self, SettingsError> {
        match crate::config::config_dir() {
            Some(dir) => Self::load_file(&dir.join("config.toml")),
            None => Ok(Self::default()),
        }
    }

    /// Reads one config file (missing: nothing set).
    pub fn load_file(path: &Path) -> Result<Self, SettingsError> {
        let err = |message: String| SettingsError {
            path: path.to_path_buf(),
            message,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(err(format!("cannot read: {e}"))),
        };
        let v: toml::Table = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        let mut out = Self::default();
        if let Some(j) = v.get("journal") {
            let j = j
                .as_table()
                .ok_or_else(|| err("[journal] must be a table".into()))?;
            for (k, val) in j {
                match k.as_str() {
                    "signing_key" => {
                        let p = val.as_str().ok_or_else(|| {
                            err(
                                "[journal] signing_key must be a path string, e.g. \"~/.ssh/id_ed25519\""
                                    .into(),
                            )
                        })?;
                        out.signing_key = Some(super::signing::expand_home(Path::new(p)));
                    }
                    "lock_timeout" => {
                        let secs = val
                            .as_integer()
                            .and_then(|n| u64::try_from(n).ok())
                            .filter(|n| *n > 0)
                            .ok_or_else(|| err("[journal] lock_timeout must be a whole number of seconds above 0, e.g. 10".into()))?;
                        out.lock_timeout = Some(Duration::from_secs(secs));
                    }
                    other => {
                        return Err(err(format!(
                            "[journal] has no setting {other:?} (known: signing_key, lock_timeout)"
                        )));
                    }
                }
            }
        }
        if let Some(a) = v.get("approvals") {
            let a = a
                .as_table()
                .ok_or_else(|| err("[approvals] must be a table".into()))?;
            for (k, val) in a {
                match k.as_str() {
                    "max_expiry" => {
                        let d = val
                            .as_str()
                            .and_then(parse_span)
                            .ok_or_else(|| err("[approvals] max_expiry must be a duration such as \"90d\", \"12w\" or \"2160h\"".into()))?;
                        out.max_expiry = Some(d);
                    }
                    other => {
                        return Err(err(format!(
                            "[approvals] has no setting {other:?} (known: max_expiry)"
                        )));
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_typos_are_errors() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = tmp.path().join("config.toml");
        std::fs::write(
            &p,
            "[journal]\nsigning_key = \"/k\"\nlock_timeout = 3\n[approvals]\nmax_expiry = \"30d\"\n",
        )
        .expect("write");
        let s = DecideSettings::load_file(&p).expect("settings");
        assert_eq!(s.signing_key.as_deref(), Some(Path::new("/k")));
        assert_eq!(s.lock_timeout, Some(Duration::from_secs(3)));
        assert_eq!(s.max_expiry, Some(time::Duration::days(30)));
        std::fs::write(&p, "[journal]\nsigning-key = \"/k\"\n").expect("write");
        assert!(DecideSettings::load_file(&p).is_err());
        std::fs::write(&p, "[approvals]\nmax_expiry = \"forever\"\n").expect("write");
        assert!(DecideSettings::load_file(&p).is_err());
    }
}

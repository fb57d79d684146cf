//! The repository's fingerprint key: `.driftdeck/fingerprint.key`, 32 random bytes (hex), mode
//! 0600, next to the journal and never inside `approvals.toml`. Approvals of sensitive values keep
//! an HMAC of the secret under this key (see
//! [`FingerprintKey`](crate::classify::FingerprintKey)), so the committed approvals file cannot be
//! checked against a dictionary of likely passwords. A `.driftdeck/.gitignore` naming the key is
//! written beside it so it is not committed by accident.
//!
//! The key is created once, never overwritten: a temp file with an unpredictable name made with
//! `create_new`, then hard-linked to its final name, which fails if another process got there
//! first (its key then wins). A `.driftdeck/` or key file that is a symbolic link is refused.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::classify::FingerprintKey;

/// The key file's name in `.driftdeck/`.
pub const FILE: &str = "fingerprint.key";

/// Why the key could not be read or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// `.driftdeck/` or the key file is a symbolic link.
    #[error(
        "{0}: is a symbolic link; driftdeck never reads or writes its state through links. Replace it with a real directory or file"
    )]
    Symlink(PathBuf),
    /// A file operation failed.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not 64 hex digits.
    #[error(
        "{0}: not a driftdeck fingerprint key (64 hex digits expected). Move it aside and run again to create a new one; approvals of sensitive values must then be renewed"
    )]
    Malformed(PathBuf),
    /// No randomness.
    #[error("{0}")]
    Random(String),
}

/// Where the key of `iac_dir` lives.
pub fn path(iac_dir: &Path) -> PathBuf {
    iac_dir.join(".driftdeck").join(FILE)
}

fn io(path: &Path, what: &'static str) -> impl FnOnce(std::io::Error) -> KeyError + use<> {
    let path = path.to_path_buf();
    move |source| KeyError::Io { path, what, source }
}

/// `Some(true)` for a link, `Some(false)` for anything else, `None` when nothing is there.
fn is_link(p: &Path) -> Result<Option<bool>, KeyError> {
    match p.symlink_metadata() {
        Ok(m) => Ok(Some(m.file_type().is_symlink())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(p, "cannot inspect")(e)),
    }
}

/// Opens for reading without following a final symbolic link.
fn open_nofollow(p: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    o.open(p)
}

/// Loads the key of `iac_dir`; `None` when there is none yet.
pub fn load(iac_dir: &Path) -> Result<Option<FingerprintKey>, KeyError> {
    let dir = iac_dir.join(".driftdeck");
    match is_link(&dir)? {
        None => return Ok(None),
        Some(true) => return Err(KeyError::Symlink(dir)),
        Some(false) => {}
    }
    let file = dir.join(FILE);
    match is_link(&file)? {
        None => return Ok(None),
        Some(true) => return Err(KeyError::Symlink(file)),
        Some(false) => {}
    }
    let mut text = String::new();
    open_nofollow(&file)
        .and_then(|f| f.take(256).read_to_string(&mut text))
        .map_err(io(&file, "cannot read the fingerprint key"))?;
    let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Malformed(file.clone()))?;
    let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Malformed(file.clone()))?;
    Ok(Some(FingerprintKey::from_bytes(key)))
}

/// Loads the key of `iac_dir`, creating `.driftdeck/` (mode 0700) and the key (mode 0600) when
/// there is none.
pub fn load_or_create(iac_dir: &Path) -> Result<FingerprintKey, KeyError> {
    if let Some(k) = load(iac_dir)? {
        return Ok(k);
    }
    let dir = iac_dir.join(".driftdeck");
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if is_link(&dir)? == Some(true) {
                return Err(KeyError::Symlink(dir));
            }
        }
        Err(e) => return Err(io(&dir, "cannot create the state directory")(e)),
    }
    let key = FingerprintKey::random().map_err(KeyError::Random)?;
    let mut suffix = [0u8; 12];
    getrandom::fill(&mut suffix).map_err(|e| KeyError::Random(format!("cannot get random bytes: {e}")))?;
    let tmp = dir.join(format!(".{FILE}.{}.tmp", hex::encode(suffix)));
    let file = dir.join(FILE);
    let written = create_new_private(&tmp, format!("{}\n", hex::encode(key.bytes())).as_bytes())
        .map_err(io(&tmp, "cannot write the fingerprint key"));
    let linked = written.and_then(|()| match std::fs::hard_link(&tmp, &file) {
        Ok(()) => Ok(true),
        // Another process created it meanwhile: its key is the repository's.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io(&file, "cannot create the fingerprint key")(e)),
    });
    let _ = std::fs::remove_file(&tmp);
    if !linked? {
        return load(iac_dir)?.ok_or(KeyError::Malformed(file));
    }
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    // Keep the key out of version control even when `.driftdeck/` is committed.
    let _ = create_new_private(&dir.join(".gitignore"), format!("{FILE}\n").as_bytes());
    Ok(key)
}

/// Creates `p` (which must not exist: no link is followed) with mode 0600 and `bytes`, synced.
fn create_new_private(p: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let mut f = o.open(p)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_private_and_reloaded() {
        let tmp = tempfile::tempdir().expect("tempdir");
        assert!(load(tmp.path()).expect("load").is_none());
        let k = load_or_create(tmp.path()).expect("create");
        let again = load_or_create(tmp.path()).expect("load");
        assert_eq!(k.bytes(), again.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(tmp.path()))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let dmode = std::fs::metadata(tmp.path().join(".driftdeck"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(dmode & 0o777, 0o700);
        }
        let ignore = std::fs::read_to_string(tmp.path().join(".driftdeck/.gitignore")).expect("gitignore");
        assert_eq!(ignore, "fingerprint.key\n");
        // No temp file is left behind.
        let names: Vec<String> = std::fs::read_dir(tmp.path().join(".driftdeck"))
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !std::path::Path::new(n)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("tmp"))),
            "{names:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_are_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let elsewhere = tempfile::tempdir().expect("elsewhere");
        std::os::unix::fs::symlink(elsewhere.path(), tmp.path().join(".driftdeck")).expect("link");
        assert!(matches!(load_or_create(tmp.path()), Err(KeyError::Symlink(_))));
        assert!(std::fs::read_dir(elsewhere.path()).expect("dir").next().is_none());

        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(tmp.path().join(".driftdeck")).expect("mkdir");
        let target = elsewhere.path().join("stolen.key");
        std::os::unix::fs::symlink(&target, path(tmp.path())).expect("link");
        let e = load_or_create(tmp.path()).expect_err("refused");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(!target.exists());
    }

    #[test]
    fn a_malformed_key_is_an_error_not_a_new_key() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(tmp.path().join(".driftdeck")).expect("mkdir");
        std::fs::write(path(tmp.path()), "not hex").expect("write");
        assert!(matches!(load_or_create(tmp.path()), Err(KeyError::Malformed(_))));
        assert_eq!(
            std::fs::read_to_string(path(tmp.path())).expect("read"),
            "not hex"
        );
    }
}

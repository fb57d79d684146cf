//! Files written so that a crash never leaves a half-written one and a planted symlink never
//! redirects a write: the journal's approvals, adopted IaC sources and the attribution cache all
//! go through [`atomic_write`]; the journal and the lock file are opened through
//! [`open_nofollow`]. This is the one place that creates temp files or opens files for writing.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// The error for a path that is a symbolic link where driftdeck refuses one.
fn symlink_error(path: &Path) -> std::io::Error {
    std::io::Error::other(format!(
        "{} is a symbolic link; driftdeck never writes through links (replace it with a regular file or directory)",
        path.display()
    ))
}

/// Fails when `path` itself (not its parents) is a symbolic link. A missing path is fine.
pub fn refuse_symlink(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(symlink_error(path)),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates `dir` (and its parents) unless present, refusing it when it is a symbolic link: a
/// linked `.driftdeck/` would put the journal outside the IaC directory.
pub fn ensure_dir(dir: &Path) -> std::io::Result<()> {
    refuse_symlink(dir)?;
    std::fs::create_dir_all(dir)?;
    // A link planted between the check and the creation: check again.
    refuse_symlink(dir)
}

/// Opens `path` with `O_NOFOLLOW`, so a symbolic link in its place fails instead of being
/// followed (`ELOOP` is reported as the clear "is a symbolic link" message).
pub fn open_nofollow(path: &Path, opts: &mut OpenOptions) -> std::io::Result<File> {
    match opts.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC).open(path) {
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Err(symlink_error(path)),
        other => other,
    }
}

/// Reads a whole file without following a symbolic link in its place.
pub fn read_nofollow(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = open_nofollow(path, OpenOptions::new().read(true))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    Ok(buf)
}

/// Writes `bytes` to `path` atomically: a temp file with an unpredictable name created
/// exclusively in the same directory (`tempfile`), fsync, rename over `path`, fsync of the
/// directory. A `path` that is a symbolic link is refused (the rename would replace the link,
/// but a link there means someone meant to redirect the write). An existing file's permissions
/// are kept; a new file is created `0644` (less the umask), like `File::create` would.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    refuse_symlink(path)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".driftdeck-")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o644))
        .tempfile_in(dir)?;
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // `persist` renames; on failure the temp file is removed when `tmp` drops.
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Whether files can be created in `dir`: a probe file with an unpredictable name is created
/// (never following or replacing anything) and removed. Permission bits alone cannot tell
/// (root, ACLs, read-only mounts).
pub fn dir_writable(dir: &Path) -> bool {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let probe = dir.join(format!(".driftdeck-probe-{}-{nanos:x}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_refuses_a_symlink_and_leaves_its_target_alone() {
        let tmp = tempfile::tempdir().expect("tmp");
        let target = tmp.path().join("target");
        std::fs::write(&target, "keep").expect("write");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let err = atomic_write(&link, b"evil").expect_err("refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep");
        let err = open_nofollow(&link, OpenOptions::new().append(true)).expect_err("refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        // No temp file is left behind.
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .expect("ls")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn atomic_write_replaces_the_file_and_keeps_its_mode() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = tmp.path().join("f");
        std::fs::write(&p, "old").expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        atomic_write(&p, b"new").expect("write");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "new");
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
}

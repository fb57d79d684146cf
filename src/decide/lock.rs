//! The store lock: one exclusive advisory lock (`flock`) on `<journal>.lock` in `.driftdeck/`,
//! held only for a read-compute-write of the journal, the approvals file or an adopted file.
//! The wait is bounded: a holder that never lets go (a crashed process on a network file system)
//! gives a clear error naming the lock file, never a hang and never a silent skip.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::fsutil;

/// How long a decision waits for the lock unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors of the store lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The lock stayed taken for the whole wait.
    #[error(
        "{path}: still locked by another driftdeck process after waiting {waited:.1} s; nothing was written. If no other driftdeck is deciding in this directory, the holder may have hung (or the file system does not release locks): find it, or raise the wait with --lock-timeout SECONDS"
    )]
    Timeout {
        /// The lock file.
        path: PathBuf,
        /// Seconds waited.
        waited: f64,
    },
    /// The lock file could not be opened or locked.
    #[error("{path}: cannot take the lock: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct StoreLock {
    file: File,
    path: PathBuf,
}

impl StoreLock {
    /// Takes the exclusive lock on `path` (created if missing, never through a link), polling
    /// until `timeout` has passed.
    // `File::try_lock` is stable since 1.89. The crate's rust-version (1.85) is already stale:
    // let chains need 1.88. Raising it turns on `collapsible_if` in modules other engineers own,
    // so that bump is left to a change of its own.
    #[allow(clippy::incompatible_msrv)]
    pub fn acquire(path: &Path, timeout: Duration) -> Result<StoreLock, LockError> {
        let err = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        fsutil::refuse_symlink(path).map_err(err)?;
        let file = fsutil::open_nofollow(path, OpenOptions::new().read(true).write(true).create(true))
            .map_err(err)?;
        Self::wait(file, path, timeout, File::try_lock)
    }

    /// Takes the lock shared (readers among themselves; waiting out a writer) when the lock
    /// file exists; `None` when it does not (no writer ever ran here, and a reader — possibly
    /// read-only — must not create it). Bounded like [`StoreLock::acquire`].
    #[allow(clippy::incompatible_msrv)] // see `acquire`
    pub fn acquire_shared(path: &Path, timeout: Duration) -> Result<Option<StoreLock>, LockError> {
        let err = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = match fsutil::open_nofollow(path, OpenOptions::new().read(true)) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        Self::wait(file, path, timeout, File::try_lock_shared).map(Some)
    }

    /// Retries `try_lock` on `file` with short, growing pauses (holders keep the lock for
    /// milliseconds) until it succeeds or `timeout` has passed, never sleeping past the deadline.
    #[allow(clippy::incompatible_msrv)] // see `acquire`
    fn wait(
        file: File,
        path: &Path,
        timeout: Duration,
        try_lock: fn(&File) -> Result<(), TryLockError>,
    ) -> Result<StoreLock, LockError> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match try_lock(&file) {
                Ok(()) => {
                    return Ok(StoreLock {
                        file,
                        path: path.to_path_buf(),
                    });
                }
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(source)) => {
                    return Err(LockError::Io {
                        path: path.to_path_buf(),
                        source,
                    });
                }
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(LockError::Timeout {
                    path: path.to_path_buf(),
                    waited: waited.as_secs_f64(),
                });
            }
            std::thread::sleep(pause.min(timeout.saturating_sub(waited)));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StoreLock {
    #[allow(clippy::incompatible_msrv)] // see `acquire`
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes it prompt.
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_times_out_with_the_file_named() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = tmp.path().join("journal.jsonl.lock");
        let held = StoreLock::acquire(&p, DEFAULT_TIMEOUT).expect("first");
        let t = Instant::now();
        let err = StoreLock::acquire(&p, Duration::from_millis(300)).expect_err("times out");
        assert!(t.elapsed() < Duration::from_secs(3));
        assert!(err.to_string().contains("journal.jsonl.lock"), "{err}");
        assert!(err.to_string().contains("--lock-timeout"), "{err}");
        drop(held);
        StoreLock::acquire(&p, Duration::from_millis(300)).expect("free again");
    }

    #[test]
    fn a_symlinked_lock_file_is_refused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let target = tmp.path().join("elsewhere");
        let p = tmp.path().join("journal.jsonl.lock");
        std::os::unix::fs::symlink(&target, &p).expect("symlink");
        let err = StoreLock::acquire(&p, DEFAULT_TIMEOUT).expect_err("refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(!target.exists());
    }
}

//! Files written so that an interruption never leaves a partial file under the final name: the
//! bytes go to a temporary file in the same folder, are flushed to disk, and the file is renamed
//! into place (a rename within one file system is atomic on POSIX).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically (temporary file beside it, `fsync`, rename). On error the
/// previous file at `path`, if any, is unchanged and the temporary file is removed.
///
/// A symbolic link is followed (its target is replaced, the link stays). A path under `/dev` or
/// `/proc` (`/dev/stdout`), or one that exists and is not a regular file (a device, a named pipe),
/// is written in place: renaming a file over a device would replace the device.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, &mut |w| w.write_all(bytes))
}

/// [`write_atomic`] for output produced piece by piece: `fill` writes into the temporary file
/// (buffered); the file takes `path`'s place only when `fill` returns `Ok`. An error from `fill`
/// (a full disk, say) leaves the previous file as it was and no temporary file behind.
pub fn write_atomic_with(path: &Path, fill: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    fill(&mut file).map_err(|e| Error::io(path, e))?;
    file.commit()
}

/// A file being written atomically: the bytes go to a temporary file beside the target
/// (`.NAME.tmp-PID`); [`AtomicFile::commit`] flushes it, `fsync`s it and renames it into place.
/// Dropped without `commit` (an error on the way), the temporary file is removed; killed by
/// SIGINT or SIGTERM, the command line's handler removes it ([`remove_pending`]). Either way the
/// previous file at the target is untouched. Devices and pipes are written in place (see
/// [`write_atomic`]).
pub struct AtomicFile {
    target: PathBuf,
    /// The temporary file (`None` when writing a device in place).
    tmp: Option<PathBuf>,
    file: std::io::BufWriter<std::fs::File>,
}

impl AtomicFile {
    /// Opens the temporary file for `path` (or the device itself).
    pub fn create(path: &Path) -> Result<Self> {
        let in_place = |p: &Path| {
            p.starts_with("/dev") || p.starts_with("/proc") || std::fs::metadata(p).map_or(false, |m| !m.is_file() && !m.is_dir())
        };
        let target = match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            _ => path.to_path_buf(),
        };
        if in_place(path) || in_place(&target) {
            let f = std::fs::OpenOptions::new().write(true).truncate(true).open(&target).map_err(|e| Error::io(&target, e))?;
            return Ok(AtomicFile { target, tmp: None, file: std::io::BufWriter::with_capacity(1 << 16, f) });
        }
        let tmp = temporary_beside(&target, "tmp");
        let f = std::fs::File::create(&tmp).map_err(|e| Error::io(&target, e))?;
        register(&tmp);
        Ok(AtomicFile { target, tmp: Some(tmp), file: std::io::BufWriter::with_capacity(1 << 16, f) })
    }

    /// Flushes, `fsync`s and renames the file into place.
    pub fn commit(mut self) -> Result<()> {
        let target = self.target.clone();
        self.file.flush().map_err(|e| Error::io(&target, e))?;
        let Some(tmp) = self.tmp.take() else { return Ok(()) };
        let done = self.file.get_ref().sync_all().and_then(|()| std::fs::rename(&tmp, &target));
        unregister(&tmp);
        done.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(&target, e)
        })
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(&tmp);
            unregister(&tmp);
        }
    }
}

/// `.NAME.KIND-PID` beside `target`.
fn temporary_beside(target: &Path, kind: &str) -> PathBuf {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    dir.join(format!(".{name}.{kind}-{}", std::process::id()))
}

/// Temporary files and folders being written now (removed by [`remove_pending`]).
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn register(p: &Path) {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner).push(p.to_path_buf());
}

fn unregister(p: &Path) {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner).retain(|q| q != p);
}

/// Removes every temporary file and folder still being written. The command line calls this
/// from its SIGINT/SIGTERM handler before exiting, so that an interrupted run leaves neither a
/// partial file under the final name (that never happens) nor a temporary one beside it.
pub fn remove_pending() {
    let pending = std::mem::take(&mut *PENDING.lock().unwrap_or_else(PoisonError::into_inner));
    for p in pending {
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(&p);
        } else {
            let _ = std::fs::remove_file(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A folder that does not exist: an error naming the path, nothing written.
        let e = write_atomic(&dir.path().join("no/such/b.txt"), b"x").unwrap_err().to_string();
        assert!(e.contains("b.txt"), "{e}");
    }

    #[test]
    fn a_writer_that_fails_with_enospc_leaves_the_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("synth.csv");
        write_atomic(&p, b"the previous result").unwrap();
        // Half a megabyte written, then the disk is full.
        let e = write_atomic_with(&p, &mut |w| {
            w.write_all(&[b'x'; 500_000])?;
            Err(std::io::Error::from_raw_os_error(28))
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("synth.csv") && e.contains("No space left on device"), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), b"the previous result");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left");
        // A real full device (written in place): the same error.
        if Path::new("/dev/full").exists() {
            let e = write_atomic(Path::new("/dev/full"), &[0u8; 100_000]).unwrap_err().to_string();
            assert!(e.contains("No space left on device"), "{e}");
        }
    }

    #[test]
    fn a_file_dropped_before_commit_leaves_nothing() {
        // (The signal handler's `remove_pending` is tested through the command line: SIGTERM
        // during `generate`, in tests/cli.rs; here it would touch other tests' files.)
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.write_all(b"partial").unwrap();
            f.flush().unwrap();
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn follows_links_and_writes_devices_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        let link = dir.path().join("link.txt");
        std::fs::write(&target, b"old").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&target, &link).unwrap();
            write_atomic(&link, b"new").unwrap();
            assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
            assert_eq!(std::fs::read(&target).unwrap(), b"new");
        }
        // A named pipe (standing in for a device, which a test must not risk replacing).
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().map_or(false, |s| s.success());
        if made {
            let reader = {
                let fifo = fifo.clone();
                std::thread::spawn(move || std::fs::read(fifo).unwrap())
            };
            write_atomic(&fifo, b"through the pipe").unwrap();
            assert_eq!(reader.join().unwrap(), b"through the pipe");
            assert!(!std::fs::metadata(&fifo).unwrap().is_file(), "the pipe is still a pipe");
        }
    }
}

/// Writes a folder atomically: `fill` writes its files into a new temporary folder beside `dir`,
/// which then takes `dir`'s place (the previous folder, if any, is moved aside first and removed
/// after). On error the temporary folder is removed and `dir` is unchanged.
pub fn replace_dir(dir: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let tmp = temporary_beside(dir, "tmp");
    let old = temporary_beside(dir, "old");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    register(&tmp);
    let filled = fill(&tmp);
    unregister(&tmp);
    if let Err(e) = filled {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let had_old = dir.exists();
    if had_old {
        std::fs::rename(dir, &old).map_err(|e| {
            let _ = std::fs::remove_dir_all(&tmp);
            Error::io(dir, e)
        })?;
    }
    if let Err(e) = std::fs::rename(&tmp, dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(Error::io(dir, e));
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

//! Files written so that an interruption never leaves a partial file under the final name: the
//! bytes go to a temporary file in the same folder, are flushed to disk, and the file is renamed
//! into place (a rename within one file system is atomic on POSIX).

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically (temporary file beside it, `fsync`, rename). On error the
/// previous file at `path`, if any, is unchanged and the temporary file is removed.
///
/// A symbolic link is followed (its target is replaced, the link stays). A path under `/dev` or
/// `/proc` (`/dev/stdout`), or one that exists and is not a regular file (a device, a named pipe),
/// is written in place: renaming a file over a device would replace the device.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let in_place = |p: &Path| {
        p.starts_with("/dev") || p.starts_with("/proc") || std::fs::metadata(p).map_or(false, |m| !m.is_file() && !m.is_dir())
    };
    if in_place(path) {
        return write_in_place(path, bytes);
    }
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => match std::fs::canonicalize(path) {
            Ok(target) => {
                resolved = target;
                resolved.as_path()
            }
            Err(_) => path, // a dangling link: replaced by the file
        },
        _ => path,
    };
    if in_place(path) {
        return write_in_place(path, bytes);
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Writes to a device or pipe as it is (no temporary file, no rename).
fn write_in_place(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.flush()))
        .map_err(|e| Error::io(path, e))
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
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    if let Err(e) = fill(&tmp) {
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

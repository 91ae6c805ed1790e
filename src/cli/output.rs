//! Everything the CLI prints on stdout goes through [`print_stdout`]: one write to the locked
//! stream and a flush, so that a reader that went away (`| head -1`) or a full disk
//! (`> /dev/full`) is an error value, never the panic of `print!`. [`exit_code`] turns the first
//! into the quiet exit of Unix tools and the second into a one-line error.

use std::io::Write;
use std::process::ExitCode;

use fairdistill::{Error, Result};

/// The path an error on stdout is reported with.
const STDOUT: &str = "standard output";

/// Exit status after a closed pipe: 128 + SIGPIPE, what a shell reports for a tool that the
/// signal ended (`yes | head -1`).
const BROKEN_PIPE_STATUS: u8 = 141;

/// Writes `text` to stdout, ending it with a newline if it has none, and flushes.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| if text.ends_with('\n') { Ok(()) } else { out.write_all(b"\n") })
        .and_then(|()| out.flush())
        .map_err(|e| Error::Io { path: STDOUT.into(), source: e })
}

/// The exit status of a command's result, printing an error (one line on stderr) when there is
/// one; a broken stdout pipe exits quietly with status 141.
/// Prints a log line on stderr. A closed or full stderr (`2>&1 | head`) is ignored: a log line
/// is never worth a panic or a lost result.
pub fn note(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

pub fn exit_code(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Io { path, source }) if path.as_os_str() == STDOUT && source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::from(BROKEN_PIPE_STATUS)
        }
        Err(e) => {
            // stderr may be closed or broken too: nothing more can be said then.
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Checks, before any work, that `out` can take a file: not a folder, its folder exists (or can be
/// made) and is writable, and it is none of `inputs` (a file the command reads) nor inside
/// `protected` (a model folder the command reads).
pub fn check_output_file(out: &std::path::Path, inputs: &[&std::path::Path], protected: Option<&std::path::Path>) -> Result<()> {
    use std::path::Path;
    let invalid = |why: &str| Error::invalid("out", out.display(), why.to_string());
    if out.is_dir() {
        return Err(invalid("is a folder; give a file name"));
    }
    if is_special(out) {
        return Ok(());
    }
    let canon = |p: &Path| -> std::path::PathBuf {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            let parent = p.parent().filter(|q| !q.as_os_str().is_empty()).unwrap_or(Path::new("."));
            std::fs::canonicalize(parent).map(|d| d.join(p.file_name().unwrap_or_default())).unwrap_or_else(|_| p.to_path_buf())
        })
    };
    let target = canon(out);
    for input in inputs {
        if canon(input) == target {
            return Err(invalid(&format!("is also an input ({}); write the output elsewhere", input.display())));
        }
    }
    if let Some(dir) = protected {
        if target.starts_with(canon(dir)) {
            return Err(invalid(&format!("lies inside the model folder {}, which this command reads", dir.display())));
        }
    }
    let parent = out.parent().filter(|q| !q.as_os_str().is_empty()).unwrap_or(Path::new("."));
    check_output_dir(parent)
}

/// Checks, before any work, that `dir` is (or can be made) a writable folder.
pub fn check_output_dir(dir: &std::path::Path) -> Result<()> {
    if dir.is_file() {
        return Err(Error::invalid("out", dir.display(), "is a file; give a folder"));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::Io { path: dir.to_path_buf(), source: e })?;
    let probe = dir.join(format!(".fairdistill-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| Error::Io { path: dir.to_path_buf(), source: e })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// `/dev/...` and `/proc/...` paths (`--out /dev/stdout`) are written in place and not checked.
fn is_special(p: &std::path::Path) -> bool {
    p.starts_with("/dev") || p.starts_with("/proc")
}

/// Memory the system says is available (`MemAvailable` of /proc/meminfo), if it can tell.

/// Refuses to write about `bytes` into the folder of `path` when its file system has less free
/// space (unless `force`): says the estimate and the free space. Unknown free space passes.
pub fn check_disk(path: &std::path::Path, what: &str, bytes: u128) -> Result<()> {
    if is_special(path) {
        return Ok(());
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let Some(free) = free_disk(dir) else { return Ok(()) };
    if bytes > free as u128 {
        let gib = |b: u128| b as f64 / (1u128 << 30) as f64;
        return Err(Error::invalid(
            "size",
            what,
            format!(
                "would write about {:.1} GiB and {} has {:.1} GiB free; ask for fewer rows, or pass --force to try anyway",
                gib(bytes),
                dir.display(),
                gib(free as u128)
            ),
        ));
    }
    Ok(())
}

/// Free bytes for an unprivileged user on the file system holding `dir`.
fn free_disk(dir: &std::path::Path) -> Option<u64> {
    fs4::available_space(dir).ok()
}

/// Refuses, before allocating, work whose estimated memory (`bytes`) exceeds what the machine has
/// available, unless `force`: the error says the estimate, the limit and `--force`.
pub fn check_memory(what: &str, bytes: u128, force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    fairdistill::memory::check(what, bytes, ", or pass --force to try anyway")
}

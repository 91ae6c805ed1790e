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

//! The `fairdistill` command line: thin clap commands over the library.

#[path = "../cli/mod.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}

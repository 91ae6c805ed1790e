//! Argument parsing and printing only; the work is done by the library.

mod args;
mod audit_cmd;
mod data_cmd;
mod evaluate_cmd;
mod model_cmd;
mod output;
mod progress;
mod quality_cmd;
mod reproduce_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cli::data_cmd::DataCommand;

/// Fair synthetic data, knowledge distillation and fairness auditing.
///
/// With no command, runs the main job on the embedded Adult data.
#[derive(Parser, Debug)]
#[command(name = "fairdistill", version, about, long_about = None)]
struct Cli {
    /// No progress bars or log lines on stderr.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List and describe datasets.
    #[command(subcommand)]
    Data(DataCommand),
    /// Audit predictions in a CSV file: group fairness, AIM-Fair cells, individual fairness.
    Audit(audit_cmd::AuditArgs),
    /// Precision, recall, density and coverage of synthetic rows against real rows.
    Quality(quality_cmd::QualityArgs),
    /// Random forest trained on real (TRTR) or synthetic (TSTR) rows, tested on the real test set.
    Evaluate(evaluate_cmd::EvaluateArgs),
    /// Train a generator and save it to a model folder.
    #[command(subcommand)]
    Train(model_cmd::TrainCommand),
    /// Generate synthetic rows (original columns) from a saved model.
    Generate(model_cmd::GenerateArgs),
    /// Reproduce a paper's study and write its report (our numbers beside the paper's).
    #[command(subcommand)]
    Reproduce(reproduce_cmd::ReproduceCommand),
}

pub fn main() -> ExitCode {
    // Ctrl-C, SIGTERM or SIGHUP: remove the temporary files of writes in progress (the files
    // under their final names are never partial), then exit with 130 as a shell does for SIGINT.
    let _ = ctrlc::set_handler(|| {
        fairdistill::atomic::remove_pending();
        std::process::exit(130);
    });
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Data(cmd)) => data_cmd::run(cmd),
        Some(Command::Audit(args)) => audit_cmd::run(args, cli.quiet),
        Some(Command::Evaluate(args)) => evaluate_cmd::run(args, cli.quiet),
        Some(Command::Quality(args)) => quality_cmd::run(args),
        Some(Command::Reproduce(cmd)) => reproduce_cmd::run(cmd, cli.quiet),
        Some(Command::Train(cmd)) => model_cmd::train(cmd, cli.quiet),
        Some(Command::Generate(args)) => model_cmd::generate(args, cli.quiet),
        None => {
            if !cli.quiet {
                output::note("fairdistill: no command given; running `fairdistill reproduce fair4free --dataset adult --quick --no-write` (see `fairdistill --help`)");
            }
            reproduce_cmd::fair4free(reproduce_cmd::Fair4FreeArgs::main_job(), cli.quiet)
        }
    };
    output::exit_code(result)
}

//! `fairdistill train fair4free` (writes a model folder) and `fairdistill generate` (reads one).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use fairdistill::methods::fair4free::{Fair4Free, Fair4FreeParams, GroupSampling, LatentSource, Penalty};
use fairdistill::Result;

use crate::cli::args::DatasetOptions;
use crate::cli::progress::bar;

#[derive(Subcommand, Debug)]
pub enum TrainCommand {
    /// Train a Fair4Free generator (teacher, student, label head) and save it.
    Fair4free(TrainFair4FreeArgs),
}

#[derive(Args, Debug)]
pub struct TrainFair4FreeArgs {
    /// adult, german, compas or a CSV file.
    #[arg(long, default_value = "adult")]
    pub dataset: String,
    /// Folder to write model.json and model.safetensors to.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Teacher and student epochs.
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    /// log10 of the penalty weight beta; `none` for beta = 0.
    #[arg(long, default_value = "1")]
    pub beta_log10: String,
    /// Weight of the KL term.
    #[arg(long, default_value_t = 1.0)]
    pub kl_weight: f64,
    /// Weight of the teacher's joint label term (label head on z; 0: head trained afterwards).
    #[arg(long, default_value_t = 1.0)]
    pub label_weight: f64,
    /// The fairness penalty: distance correlation (Fair4Free) or FairDisCo's kernel distance
    /// covariance (its values are small: use a larger beta, e.g. --beta-log10 4).
    #[arg(long, value_enum, default_value_t = PenaltyArg::Dcor)]
    pub penalty: PenaltyArg,
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub options: DatasetOptions,
}

/// The teacher's fairness penalty.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PenaltyArg {
    Dcor,
    Fairdisco,
}

/// Where a synthetic row's latent comes from.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SourceArg {
    /// The distilled student (Fair4Free).
    Student,
    /// The teacher's prior N(0, I).
    Prior,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// A folder written by `fairdistill train fair4free`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Rows to generate.
    #[arg(long)]
    pub n: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The CSV to write (original columns and label).
    #[arg(long, value_name = "FILE.csv")]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = SourceArg::Student)]
    pub source: SourceArg,
    /// Draw every sensitive group equally often instead of the training marginal.
    #[arg(long)]
    pub balanced: bool,
}

pub fn train(cmd: TrainCommand, quiet: bool) -> Result<()> {
    let TrainCommand::Fair4free(args) = cmd;
    let dataset = args.options.load(&args.dataset)?;
    let beta = match args.beta_log10.as_str() {
        "none" => None,
        b => Some(b.parse::<f64>().map_err(|_| fairdistill::Error::InvalidParam {
            name: "beta_log10",
            value: b.into(),
            reason: "a number or `none`".into(),
        })?),
    };
    let params = Fair4FreeParams::default()
        .epochs(args.epochs)
        .student_epochs(args.epochs)
        .beta_log10(beta)
        .kl_weight(args.kl_weight)
        .label_weight(args.label_weight)
        .penalty(match args.penalty {
            PenaltyArg::Dcor => Penalty::DCor,
            PenaltyArg::Fairdisco => Penalty::FairDisCo,
        })
        .batch_size(args.batch_size)
        .seed(args.seed);
    let total = (params.epochs + params.student_epochs + params.head_epochs) as u64;
    let progress = bar(total, "training", quiet);
    let mut model = Fair4Free::fit(&params, &dataset.train, &mut |e| {
        progress.set_message(e.stage.clone());
        if let Some(d) = e.heldout_dcor_sq {
            progress.set_prefix(format!("loss {:.3} kl {:.3} dCor² {:.4}", e.loss, e.kl, d));
        }
        progress.inc(1);
    })?;
    progress.finish_and_clear();
    model.save(&args.model)?;
    if !quiet {
        let d = model.latent_dcor_sq(&dataset.test, 2000)?;
        eprintln!("fairdistill: saved {} (dCor²(mu, s) on test rows: {d:.4})", args.model.display());
    }
    Ok(())
}

pub fn generate(args: GenerateArgs, quiet: bool) -> Result<()> {
    let mut model = Fair4Free::load(&args.model)?;
    if args.balanced {
        model.params.group_sampling = GroupSampling::Balanced;
    }
    let source = match args.source {
        SourceArg::Student => LatentSource::Student,
        SourceArg::Prior => LatentSource::Prior,
    };
    let table = model.generate(args.n, args.seed, source)?;
    table.write_csv_path(&args.out)?;
    if !quiet {
        eprintln!("fairdistill: wrote {} rows to {}", table.n_rows(), args.out.display());
    }
    Ok(())
}

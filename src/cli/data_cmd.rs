//! `fairdistill data list | describe`.

use clap::{Args, Subcommand};
use fairdistill::data::images::{load_image_dataset, ColouredParams, IMAGE_DATASETS};
use fairdistill::data::BUILTIN_DATASETS;
use fairdistill::Result;

use crate::cli::args::{DatasetArgs, OutputFormat};
use crate::cli::output::print_stdout;

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// List the built-in datasets.
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Row counts, encoded width, label rate and groups of a dataset.
    Describe(DescribeArgs),
}

#[derive(Args, Debug)]
pub struct DescribeArgs {
    #[command(flatten)]
    pub dataset: DatasetArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Image datasets: probability that a training image takes its class's home colour.
    #[arg(long, default_value_t = 0.9)]
    pub rho: f64,
}

pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::List { format } => {
            let text = match format {
                OutputFormat::Text => BUILTIN_DATASETS
                    .iter()
                    .chain(IMAGE_DATASETS.iter())
                    .map(|(name, about)| format!("{name:<22} {about}\n"))
                    .collect(),
                OutputFormat::Json => {
                    let list: Vec<_> = BUILTIN_DATASETS
                        .iter()
                        .chain(IMAGE_DATASETS.iter())
                        .map(|(n, d)| serde_json::json!({"name": n, "description": d}))
                        .collect();
                    serde_json::to_string_pretty(&list)?
                }
            };
            print_stdout(&text)
        }
        DataCommand::Describe(args) if IMAGE_DATASETS.iter().any(|(n, _)| *n == args.dataset.dataset) => {
            let colouring = ColouredParams { rho: Some(args.rho), seed: 0 };
            let summary = load_image_dataset(&args.dataset.dataset, args.dataset.options.data_dir.as_deref(), &colouring)?.summary();
            print_stdout(&match args.format {
                OutputFormat::Text => summary.to_string(),
                OutputFormat::Json => serde_json::to_string_pretty(&summary)?,
            })
        }
        DataCommand::Describe(args) => {
            let summary = args.dataset.load()?.summary()?;
            print_stdout(&match args.format {
                OutputFormat::Text => summary.to_string(),
                OutputFormat::Json => serde_json::to_string_pretty(&summary)?,
            })
        }
    }
}

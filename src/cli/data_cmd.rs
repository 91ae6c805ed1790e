//! `fairdistill data list | describe`.

use clap::{Args, Subcommand};
use fairdistill::data::images::{load_image_dataset, ColouredParams, IMAGE_DATASETS};
use fairdistill::data::BUILTIN_DATASETS;
use fairdistill::Result;

use crate::cli::args::{DatasetArgs, OutputFormat};

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
            match format {
                OutputFormat::Text => {
                    for (name, about) in BUILTIN_DATASETS.iter().chain(IMAGE_DATASETS.iter()) {
                        println!("{name:<22} {about}");
                    }
                }
                OutputFormat::Json => {
                    let list: Vec<_> = BUILTIN_DATASETS
                        .iter()
                        .chain(IMAGE_DATASETS.iter())
                        .map(|(n, d)| serde_json::json!({"name": n, "description": d}))
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&list)?);
                }
            }
            Ok(())
        }
        DataCommand::Describe(args) if IMAGE_DATASETS.iter().any(|(n, _)| *n == args.dataset.dataset) => {
            let colouring = ColouredParams { rho: Some(args.rho), seed: 0 };
            let summary = load_image_dataset(&args.dataset.dataset, args.dataset.options.data_dir.as_deref(), &colouring)?.summary();
            match args.format {
                OutputFormat::Text => print!("{summary}"),
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
            }
            Ok(())
        }
        DataCommand::Describe(args) => {
            let summary = args.dataset.load()?.summary()?;
            match args.format {
                OutputFormat::Text => print!("{summary}"),
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
            }
            Ok(())
        }
    }
}

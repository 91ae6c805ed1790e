//! `fairdistill data list | describe`.

use clap::{Args, Subcommand};
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
}

pub fn run(cmd: DataCommand) -> Result<()> {
    match cmd {
        DataCommand::List { format } => {
            match format {
                OutputFormat::Text => {
                    for (name, about) in BUILTIN_DATASETS {
                        println!("{name:<8} {about}");
                    }
                }
                OutputFormat::Json => {
                    let list: Vec<_> = BUILTIN_DATASETS
                        .iter()
                        .map(|(n, d)| serde_json::json!({"name": n, "description": d}))
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&list)?);
                }
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

//! `fairdistill evaluate`: random forest TRTR / TSTR utility-and-fairness table.

use std::path::PathBuf;

use clap::Args;
use fairdistill::data::read_table_like;
use fairdistill::evaluate::{EvaluationParams, Evaluator};
use fairdistill::forest::RandomForestParams;
use fairdistill::Result;

use crate::cli::args::{render, write_output, DatasetOptions, ReportFormat};
use crate::cli::output::{check_memory, check_output_file};

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// A built-in dataset (adult, german, compas) or the path of a CSV file.
    #[arg(long)]
    pub dataset: String,
    /// A synthetic CSV with the dataset's columns (label and sensitive included); repeat for
    /// several sources. Without it, only the TRTR baseline row.
    #[arg(long, value_name = "FILE.csv")]
    pub train_on: Vec<PathBuf>,
    /// Trees of the forest.
    #[arg(long, default_value_t = 100)]
    pub trees: usize,
    /// Train even when the forest's estimated memory exceeds what the machine has available.
    #[arg(long)]
    pub force: bool,
    /// Seed of the forest.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Leave the sensitive columns out of the forest's features.
    #[arg(long)]
    pub hide_sensitive: bool,
    #[command(flatten)]
    pub options: DatasetOptions,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write the table here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write the bar chart (SVG) here.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

pub fn run(args: EvaluateArgs, quiet: bool) -> Result<()> {
    let dataset_path = std::path::Path::new(&args.dataset);
    let mut inputs: Vec<&std::path::Path> = args.train_on.iter().map(|p| p.as_path()).collect();
    inputs.push(dataset_path);
    for out in [&args.out, &args.plot].into_iter().flatten() {
        check_output_file(out, &inputs, None)?;
    }
    let dataset = args.options.load(&args.dataset)?;
    let params = EvaluationParams {
        forest: RandomForestParams::default().n_trees(args.trees).seed(args.seed),
        forest_sees_sensitive: !args.hide_sensitive,
    };
    // A tree grown on n bootstrap rows has at most 2n - 1 nodes (about 48 bytes each with its
    // leaf's class counts); one forest is held at a time.
    let rows = dataset.train.n_rows() as u128;
    check_memory(&format!("--trees {}", args.trees), args.trees as u128 * 2 * rows * 48, args.force)?;
    let evaluator = Evaluator::new(&dataset, params)?;
    let mut synthetic = Vec::new();
    for path in &args.train_on {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "synthetic".into());
        synthetic.push((name, read_table_like(path, &dataset.train)?));
    }
    if !quiet {
        crate::cli::output::note(&format!("fairdistill: training {} forest(s) of {} trees on {}", 1 + synthetic.len(), args.trees, dataset.name));
    }
    let table = evaluator.run(&synthetic)?;
    let text = render(&table, args.format)?;
    write_output(args.out.as_deref(), &text)?;
    if let Some(path) = &args.plot {
        table.chart()?.save(path)?;
    }
    Ok(())
}

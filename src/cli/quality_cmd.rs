//! `fairdistill quality`: precision, recall, density and coverage of a synthetic CSV against a
//! real one.

use std::path::PathBuf;

use clap::Args;
use fairdistill::audit::{synthetic_quality, QualityParams};
use fairdistill::data::{CsvColumns, Encoder};
use fairdistill::Result;

use crate::cli::args::{render, write_output, ReportFormat};

#[derive(Args, Debug)]
pub struct QualityArgs {
    /// The real rows (CSV with a header line).
    #[arg(long, value_name = "A.csv")]
    pub real: PathBuf,
    /// The synthetic rows (same columns).
    #[arg(long, value_name = "B.csv")]
    pub synthetic: PathBuf,
    /// Columns to compare, comma-separated (default: every column of the real file).
    #[arg(long, value_delimiter = ',', value_name = "C,...")]
    pub columns: Vec<String>,
    /// Columns to treat as categorical even if numeric, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "C,...")]
    pub categorical: Vec<String>,
    /// Nearest neighbours of the radii.
    #[arg(long, default_value_t = 5)]
    pub k: usize,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: QualityArgs) -> Result<()> {
    let real = CsvColumns::read(&args.real)?;
    let synth = CsvColumns::read(&args.synthetic)?;
    let names: Vec<String> = if args.columns.is_empty() { real.header().to_vec() } else { args.columns.clone() };
    let real_cols = real.typed_columns(&names, &args.categorical)?;
    // The synthetic file is read with the real file's kinds and categories.
    let synth_cols = synth.columns_like(&real_cols, real.source_name())?;
    let encoder = Encoder::fit_columns(&real_cols)?;
    let a = encoder.transform_columns(&real_cols)?;
    let b = encoder.transform_columns(&synth_cols)?;
    let report = synthetic_quality(a.view(), b.view(), &QualityParams { k: args.k })?;
    let text = render(&report, args.format)?;
    write_output(args.out.as_deref(), &text)
}

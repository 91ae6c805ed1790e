//! `fairdistill quality`: precision, recall, density and coverage of a synthetic CSV against a
//! real one.

use std::path::PathBuf;

use clap::Args;
use fairdistill::audit::{synthetic_quality, QualityParams, QualityReport};
use fairdistill::data::{Column, ColumnData, ColumnEncoding, CsvColumns, Encoder};
use fairdistill::report::{Align, Render, ReportTable};
use fairdistill::Result;
use ndarray::Array2;
use serde::Serialize;

use crate::cli::args::{render, write_output, ReportFormat};
use crate::cli::output::check_output_file;

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
    /// The feature space: `standard` standardises numeric columns (mean and std of the real
    /// file) and one-hot encodes categorical ones; `none` computes on the numbers as given, as
    /// prdc's compute_prdc does (every column must be numeric).
    #[arg(long, value_enum, default_value_t = ScaleArg::Standard)]
    pub scale: ScaleArg,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// How the columns become coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScaleArg {
    Standard,
    None,
}

/// How one column entered the feature space (the JSON's `features`).
#[derive(Serialize)]
struct FeatureSpace {
    column: String,
    encoding: String,
}

/// The report with its feature space, printed and serialised together.
#[derive(Serialize)]
struct QualityOutput<'a> {
    #[serde(flatten)]
    report: &'a QualityReport,
    /// `standard` or `none`.
    scale: &'static str,
    features: Vec<FeatureSpace>,
}

impl Render for QualityOutput<'_> {
    fn title(&self) -> String {
        self.report.title()
    }

    fn tables(&self) -> Vec<ReportTable> {
        let mut tables = self.report.tables();
        let mut f = ReportTable::new(format!("Feature space (--scale {})", self.scale), ["column", "coordinates"]);
        for c in &self.features {
            f.row([c.column.clone(), c.encoding.clone()]);
        }
        f.align[1] = Align::Left;
        tables.push(f);
        tables
    }
}

pub fn run(args: QualityArgs) -> Result<()> {
    if let Some(out) = &args.out {
        check_output_file(out, &[&args.real, &args.synthetic], None)?;
    }
    let real = CsvColumns::read(&args.real)?;
    let synth = CsvColumns::read(&args.synthetic)?;
    let names: Vec<String> = if args.columns.is_empty() { real.header().to_vec() } else { args.columns.clone() };
    let real_cols = real.typed_columns(&names, &args.categorical)?;
    // The synthetic file is read with the real file's kinds and categories.
    let synth_cols = synth.columns_like(&real_cols, real.source_name())?;
    let (a, b, features, scale) = match args.scale {
        ScaleArg::Standard => {
            let encoder = Encoder::fit_columns(&real_cols)?;
            let features = encoder
                .columns()
                .iter()
                .map(|c| FeatureSpace {
                    column: c.name().to_string(),
                    encoding: match c {
                        ColumnEncoding::Numeric { mean, std, .. } => format!("standardised: (x - {mean:.6}) / {std:.6} (mean and std of the real rows)"),
                        ColumnEncoding::Categorical { levels, .. } => format!("one-hot: {} levels of the real rows", levels.len()),
                    },
                })
                .collect();
            (encoder.transform_columns(&real_cols)?, encoder.transform_columns(&synth_cols)?, features, "standard")
        }
        ScaleArg::None => {
            let raw = |cols: &[Column], what: &str| -> Result<Array2<f64>> {
                let n = cols.first().map_or(0, |c| c.data.len());
                let mut m = Array2::<f64>::zeros((n, cols.len()));
                for (j, c) in cols.iter().enumerate() {
                    match &c.data {
                        ColumnData::Numeric(v) => m.column_mut(j).assign(&ndarray::ArrayView1::from(v.as_slice())),
                        ColumnData::Categorical(_) => {
                            return Err(fairdistill::Error::invalid("scale", "none", format!("column `{}` of the {what} file is categorical; --scale none takes numeric columns only (choose them with --columns)", c.name)))
                        }
                    }
                }
                Ok(m)
            };
            let features = real_cols.iter().map(|c| FeatureSpace { column: c.name.clone(), encoding: "as given".into() }).collect();
            (raw(&real_cols, "real")?, raw(&synth_cols, "synthetic")?, features, "none")
        }
    };
    let report = synthetic_quality(a.view(), b.view(), &QualityParams { k: args.k })?;
    let report = QualityOutput { report: &report, scale, features };
    let text = render(&report, args.format)?;
    write_output(args.out.as_deref(), &text)
}

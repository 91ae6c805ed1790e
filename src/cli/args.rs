//! Arguments shared by several commands.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use fairdistill::data::{load_builtin, load_csv, CsvSpec, Dataset, LoadOptions, MissingPolicy};
use fairdistill::Result;

/// How a command prints its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// How a report is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    #[default]
    Text,
    Md,
    Html,
    Json,
}

/// A report rendered in the chosen format.
pub fn render<R: fairdistill::report::Render + serde::Serialize>(report: &R, format: ReportFormat) -> Result<String> {
    use fairdistill::report::{render_html, render_markdown, render_text};
    Ok(match format {
        ReportFormat::Text => render_text(&report.title(), &report.tables()),
        ReportFormat::Md => render_markdown(&report.title(), &report.tables()),
        ReportFormat::Html => render_html(&report.title(), &report.tables(), report.svg().as_deref()),
        ReportFormat::Json => serde_json::to_string_pretty(report)?,
    })
}

/// Writes `text` to `path` atomically (never a partial file), or to stdout when no path is given.
pub fn write_output(path: Option<&std::path::Path>, text: &str) -> Result<()> {
    match path {
        Some(p) => fairdistill::atomic::write_atomic(p, text.as_bytes()),
        None => crate::cli::output::print_stdout(text),
    }
}

/// Which dataset to load (positional name) and how.
#[derive(Args, Debug, Clone)]
pub struct DatasetArgs {
    /// A built-in dataset (adult, german, compas; images: colored-mnist, colored-fashion-mnist) or
    /// the path of a CSV file.
    pub dataset: String,
    #[command(flatten)]
    pub options: DatasetOptions,
}

/// How to load a dataset.
#[derive(Args, Debug, Clone)]
pub struct DatasetOptions {
    /// Sensitive column; repeat for intersectional groups (default: the dataset's own).
    #[arg(long = "sensitive", value_name = "COL")]
    pub sensitive: Vec<String>,
    /// Folder of fetched data files (default: $FAIRDISTILL_DATA, then ./data).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// What to do with rows that have a missing value.
    #[arg(long, default_value = "drop", value_parser = ["drop", "fail", "impute"])]
    pub missing: String,
    /// Test share of the stratified split (datasets without official files).
    #[arg(long, default_value_t = 0.3)]
    pub test_fraction: f64,
    /// Seed of the stratified split.
    #[arg(long, default_value_t = 42)]
    pub split_seed: u64,
    /// CSV only: the binary label column.
    #[arg(long, value_name = "COL")]
    pub label: Option<String>,
    /// CSV only: the text of the positive class.
    #[arg(long, value_name = "VALUE")]
    pub positive: Option<String>,
    /// CSV only: feature columns, comma-separated (default: all but the label).
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub features: Vec<String>,
    /// CSV only: columns to treat as categorical, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "COLS")]
    pub categorical: Vec<String>,
    /// CSV only: a separate test file (else a stratified split).
    #[arg(long, value_name = "FILE")]
    pub test_file: Option<PathBuf>,
}

impl Default for DatasetOptions {
    fn default() -> Self {
        DatasetOptions {
            sensitive: Vec::new(),
            data_dir: None,
            missing: "drop".into(),
            test_fraction: 0.3,
            split_seed: 42,
            label: None,
            positive: None,
            features: Vec::new(),
            categorical: Vec::new(),
            test_file: None,
        }
    }
}

impl DatasetArgs {
    pub fn load(&self) -> Result<Dataset> {
        self.options.load(&self.dataset)
    }
}

impl DatasetOptions {
    /// Loads `dataset`: a built-in name or a CSV path.
    pub fn load(&self, dataset: &str) -> Result<Dataset> {
        let opts = LoadOptions {
            data_dir: self.data_dir.clone(),
            sensitive: self.sensitive.clone(),
            missing: self.missing.parse::<MissingPolicy>()?,
            test_fraction: self.test_fraction,
            seed: self.split_seed,
        };
        let is_file = dataset.ends_with(".csv") || std::path::Path::new(dataset).is_file();
        if !is_file {
            return load_builtin(dataset, &opts);
        }
        let label = self.label.clone().ok_or_else(|| fairdistill::Error::InvalidParam {
            name: "label",
            value: "(none)".into(),
            reason: format!("name the label column of {dataset} with --label"),
        })?;
        let mut spec = CsvSpec::new(dataset, label);
        spec.positive = self.positive.clone();
        spec.features = self.features.clone();
        spec.categorical = self.categorical.clone();
        spec.test_path = self.test_file.clone();
        load_csv(&spec, &opts)
    }
}

//! A dataset = train and test tables; the options every loader takes; loading by name; the
//! summary printed by `fairdistill data describe`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::data::adult::parse_adult;
use crate::data::compas::{parse_compas, COMPAS_FILE};
use crate::data::embedded::embedded_file;
use crate::data::encoder::Encoder;
use crate::data::german::parse_german;
use crate::data::reader::{MissingPolicy, MissingReport};
use crate::data::split::SplitKind;
use crate::data::table::Table;
use crate::error::{Error, Result};

/// Environment variable naming the folder of fetched data files.
pub const DATA_DIR_ENV: &str = "FAIRDISTILL_DATA";

/// The command that fetches the datasets that are not embedded.
pub const FETCH_COMMAND: &str = "scripts/fetch-data";

/// The built-in datasets: `(name, description)`.
pub const BUILTIN_DATASETS: [(&str, &str); 3] = [
    ("adult", "UCI Adult census income, 48,842 rows, official split; embedded (CC BY 4.0)"),
    ("german", "Statlog German credit, 1,000 rows, stratified split; embedded (CC BY 4.0)"),
    ("compas", "ProPublica COMPAS two-year recidivism, 6,172 rows after ProPublica's filter; fetched by scripts/fetch-data"),
];

/// Options shared by all loaders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// Folder holding fetched files; `None` reads `$FAIRDISTILL_DATA`, then `./data`.
    pub data_dir: Option<PathBuf>,
    /// Sensitive columns; empty takes the dataset's default.
    pub sensitive: Vec<String>,
    pub missing: MissingPolicy,
    /// Test share of the stratified split (datasets without an official split). Default 0.3.
    pub test_fraction: f64,
    /// Seed of the stratified split. Default 42.
    pub seed: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            data_dir: None,
            sensitive: Vec::new(),
            missing: MissingPolicy::Drop,
            test_fraction: 0.3,
            seed: 42,
        }
    }
}

impl LoadOptions {
    pub(crate) fn sensitive_or(&self, default: &[&str]) -> Vec<String> {
        if self.sensitive.is_empty() {
            default.iter().map(|s| s.to_string()).collect()
        } else {
            self.sensitive.clone()
        }
    }

    /// The folder of fetched data files.
    pub fn resolved_data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .or_else(|| std::env::var_os(DATA_DIR_ENV).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("data"))
    }
}

/// Train and test tables of one dataset, with what the missing-value policy did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub name: String,
    pub train: Table,
    pub test: Table,
    pub missing: MissingReport,
    pub split: SplitKind,
    /// Where each test row came from (CSV datasets; `None` for the built-in ones), so that an
    /// error about a test row can name its file and line ([`Dataset::locate`]).
    #[serde(default, skip)]
    pub test_source: Option<RowSource>,
}

/// The file and line of each row of a table, and why its rows may hold what the training rows
/// lack (said in the error).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowSource {
    pub name: String,
    pub lines: Vec<u64>,
    pub why: String,
}

impl Dataset {
    /// Names the file and line of the test row an error is about: an
    /// [`Error::UnseenCategory`] from encoding [`Dataset::test`] becomes an [`Error::Parse`]
    /// (`FILE: line N: column `c`: category `v` does not occur in the training rows (...)`).
    /// Other errors are returned as they are.
    pub fn locate(&self, e: Error) -> Error {
        match (e, &self.test_source) {
            (Error::UnseenCategory { column, value, known, row }, Some(src)) if row < src.lines.len() => Error::Parse {
                source_name: src.name.clone(),
                line: src.lines[row],
                message: format!(
                    "column `{column}`: category `{value}` does not occur in the training rows ({}), so a model fitted on them cannot encode it; known categories: {known}",
                    src.why
                ),
            },
            (e, _) => e,
        }
    }
}

/// Loads a built-in dataset by name (`adult`, `german`, `compas`).
pub fn load_builtin(name: &str, opts: &LoadOptions) -> Result<Dataset> {
    match name {
        "adult" => parse_adult(&embedded_file("adult.data")?, &embedded_file("adult.test")?, opts),
        "german" => parse_german(&embedded_file("german.data")?, opts),
        "compas" => {
            let path = opts.resolved_data_dir().join(COMPAS_FILE);
            let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::DataMissing {
                    dataset: "compas".into(),
                    path: path.clone(),
                    fetch: FETCH_COMMAND.into(),
                },
                _ => Error::io(&path, e),
            })?;
            parse_compas(&bytes, opts)
        }
        other => Err(Error::invalid(
            "dataset",
            other,
            format!(
                "unknown dataset; built-in: {} (or give a .csv path)",
                BUILTIN_DATASETS.map(|(n, _)| n).join(", ")
            ),
        )),
    }
}

/// One group's row count and positive rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// The group key, its values joined by ", ".
    pub group: String,
    pub n: usize,
    pub positive_rate: f64,
}

/// What `fairdistill data describe` prints. The JSON keys are a contract (docs/CLI.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub name: String,
    pub rows_train: usize,
    pub rows_test: usize,
    /// Width of the model-space matrix (one-hot categoricals + numerics), fitted on train.
    pub n_features_encoded: usize,
    /// Share of label 1 in the training rows.
    pub label_positive_rate: f64,
    /// Training rows by group of the sensitive columns.
    pub groups: Vec<GroupSummary>,
    pub label: String,
    pub positive_class: String,
    pub sensitive: Vec<String>,
    pub missing: MissingReport,
    pub split: SplitKind,
}

impl Dataset {
    /// Counts and rates of the training part.
    pub fn summary(&self) -> Result<DatasetSummary> {
        let encoder = Encoder::fit(&self.train)?;
        let groups = self
            .train
            .group_counts()
            .into_iter()
            .map(|(k, (n, pos))| GroupSummary {
                group: k.to_string(),
                n,
                positive_rate: pos as f64 / n as f64,
            })
            .collect();
        Ok(DatasetSummary {
            name: self.name.clone(),
            rows_train: self.train.n_rows(),
            rows_test: self.test.n_rows(),
            n_features_encoded: encoder.width(),
            label_positive_rate: self.train.positive_rate().unwrap_or(0.0),
            groups,
            label: self.train.label_spec().name.clone(),
            positive_class: self.train.label_spec().positive.clone(),
            sensitive: self.train.sensitive_names().to_vec(),
            missing: self.missing.clone(),
            split: self.split.clone(),
        })
    }
}

impl std::fmt::Display for DatasetSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "dataset            {}", self.name)?;
        let split = match &self.split {
            SplitKind::Official => "official files".to_string(),
            SplitKind::Stratified { test_fraction, seed } => {
                format!("stratified, test fraction {test_fraction}, seed {seed}")
            }
        };
        writeln!(f, "rows               {} train / {} test ({split})", self.rows_train, self.rows_test)?;
        writeln!(
            f,
            "missing values     {} of {} rows dropped, {} cells imputed",
            self.missing.rows_dropped, self.missing.rows_read, self.missing.cells_imputed
        )?;
        for (col, n) in &self.missing.missing_by_column {
            writeln!(f, "                   {col}: {n} missing")?;
        }
        writeln!(f, "encoded features   {}", self.n_features_encoded)?;
        writeln!(
            f,
            "label              {} (positive `{}`), positive rate {:.4}",
            self.label, self.positive_class, self.label_positive_rate
        )?;
        writeln!(f, "sensitive          {}", self.sensitive.join(" x "))?;
        let width = self.groups.iter().map(|g| g.group.len()).max().unwrap_or(5).max(5);
        writeln!(f, "\n  {:<width$}  {:>8}  {:>13}", "group", "n", "positive rate")?;
        for g in &self.groups {
            writeln!(f, "  {:<width$}  {:>8}  {:>13.4}", g.group, g.n, g.positive_rate)?;
        }
        Ok(())
    }
}

impl crate::report::Render for DatasetSummary {
    fn title(&self) -> String {
        format!("Dataset {}: {} train / {} test rows", self.name, self.rows_train, self.rows_test)
    }

    fn tables(&self) -> Vec<crate::report::ReportTable> {
        let mut overview = crate::report::ReportTable::new("Overview", ["property", "value"]);
        overview.row(["encoded features".to_string(), self.n_features_encoded.to_string()]);
        overview.row(["label".to_string(), format!("{} (positive `{}`)", self.label, self.positive_class)]);
        overview.row(["positive rate (train)".to_string(), format!("{:.4}", self.label_positive_rate)]);
        overview.row(["sensitive".to_string(), self.sensitive.join(" x ")]);
        overview.row([
            "missing values".to_string(),
            format!("{} of {} rows dropped, {} cells imputed", self.missing.rows_dropped, self.missing.rows_read, self.missing.cells_imputed),
        ]);
        overview.align[1] = crate::report::Align::Left;
        let mut groups = crate::report::ReportTable::new("Groups (training rows)", ["group", "n", "positive rate"]);
        for g in &self.groups {
            groups.row([g.group.clone(), g.n.to_string(), format!("{:.4}", g.positive_rate)]);
        }
        vec![overview, groups]
    }
}

impl DatasetSummary {
    /// Inline display in an evcxr notebook (text/plain and text/html).
    pub fn evcxr_display(&self) {
        let r: &dyn crate::report::Render = self;
        let text = format!("{self}");
        let html = crate::report::render_html(&r.title(), &r.tables(), None);
        println!("{}", crate::report::evcxr_block(&text, &html));
    }
}

//! Any CSV file: the caller names the label, the sensitive columns and (optionally) the features.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::data::reader::{build_table_with_lines, read_delimited, ReadOptions, TableSpec};
use crate::data::split::{stratified_split_rows, SplitKind};
use crate::data::RowSource;
use crate::data::table::ColumnKind;
use crate::data::{Dataset, LoadOptions};
use crate::error::{Error, Result};

/// How to read a user's CSV file.
///
/// The file has a header line. Column kinds are inferred (numeric when every present value parses
/// as a number) unless listed in `categorical`. Empty fields and the `missing_tokens` are missing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CsvSpec {
    pub path: PathBuf,
    /// The binary label column.
    pub label: String,
    /// Text of the positive class; `None` needs exactly two values and takes the larger
    /// (e.g. `1` over `0`) as positive.
    pub positive: Option<String>,
    /// Feature columns; empty means every column but the label.
    pub features: Vec<String>,
    /// Columns forced to be categorical (e.g. integer codes).
    pub categorical: Vec<String>,
    pub delimiter: u8,
    pub missing_tokens: Vec<String>,
    /// Rows go to train/test by a stratified split (see [`LoadOptions`]); or give a second file.
    pub test_path: Option<PathBuf>,
}

impl CsvSpec {
    pub fn new(path: impl Into<PathBuf>, label: impl Into<String>) -> Self {
        CsvSpec {
            path: path.into(),
            label: label.into(),
            positive: None,
            features: Vec::new(),
            categorical: Vec::new(),
            delimiter: b',',
            missing_tokens: vec!["?".into(), "NA".into(), "NaN".into()],
            test_path: None,
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Loads a CSV file described by `spec`. Sensitive columns come from `opts.sensitive` and are
/// required (there is no default for an unknown file).
pub fn load_csv(spec: &CsvSpec, opts: &LoadOptions) -> Result<Dataset> {
    if opts.sensitive.is_empty() {
        return Err(Error::invalid(
            "sensitive",
            "(none)",
            "name the sensitive column(s) of a CSV file with --sensitive",
        ));
    }
    let read = ReadOptions {
        delimiter: spec.delimiter,
        ..ReadOptions::default()
    };
    let name = spec.path.display().to_string();
    let raw = read_delimited(&read_file(&spec.path)?, &name, &read)?;
    let features: Vec<String> = if spec.features.is_empty() {
        raw.header.iter().filter(|h| **h != spec.label).cloned().collect()
    } else {
        spec.features.clone()
    };
    let mut features_kinds: Vec<(String, Option<ColumnKind>)> = features
        .into_iter()
        .map(|f| {
            let forced = spec.categorical.contains(&f) || opts.sensitive.contains(&f);
            (f, forced.then_some(ColumnKind::Categorical))
        })
        .collect();
    for s in &opts.sensitive {
        if !features_kinds.iter().any(|(f, _)| f == s) {
            features_kinds.push((s.clone(), Some(ColumnKind::Categorical)));
        }
    }
    let table_spec = TableSpec {
        features: features_kinds,
        label: spec.label.clone(),
        positive: spec.positive.clone(),
        negative: None,
        label_trim: &[],
        sensitive: opts.sensitive.clone(),
        missing_tokens: spec.missing_tokens.clone(),
        categories: Default::default(),
    };
    let (table, mut missing, lines) = build_table_with_lines(&raw, &table_spec, opts.missing)?;
    let stem = spec
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "csv".into());
    match &spec.test_path {
        Some(test_path) => {
            let test_name = test_path.display().to_string();
            let raw_test = read_delimited(&read_file(test_path)?, &test_name, &read)?;
            // The test file must read with the train file's kinds.
            let mut fixed = table_spec.clone();
            fixed.features = table
                .schema()
                .columns
                .into_iter()
                .map(|(n, k)| (n, Some(k)))
                .collect();
            // A category the training rows lack is an error naming its line in the test file
            // (the encoder could not encode it later, and would not say where it is).
            fixed.categories = crate::data::like::categories_of(&table);
            fixed.positive = Some(table.label_spec().positive.clone());
            fixed.negative = Some(table.label_spec().negative.clone());
            let (test, missing_test, _) = build_table_with_lines(&raw_test, &fixed, opts.missing)?;
            missing.merge(&missing_test);
            Ok(Dataset {
                name: stem,
                train: table,
                test,
                missing,
                split: SplitKind::Official,
                // Unseen categories of the test file are refused as it is read, with their line.
                test_source: None,
            })
        }
        None => {
            let (train_rows, test_rows) = stratified_split_rows(&table, opts.test_fraction, opts.seed)?;
            let (train, test) = (table.select_rows(&train_rows), table.select_rows(&test_rows));
            let test_source = RowSource {
                name: name.clone(),
                lines: test_rows.iter().map(|&r| lines[r]).collect(),
                why: format!("the train/test split (--test-fraction {}, --split-seed {}) put every row with it in the test part", opts.test_fraction, opts.seed),
            };
            Ok(Dataset {
                name: stem,
                train,
                test,
                missing,
                split: SplitKind::Stratified {
                    test_fraction: opts.test_fraction,
                    seed: opts.seed,
                },
                test_source: Some(test_source),
            })
        }
    }
}

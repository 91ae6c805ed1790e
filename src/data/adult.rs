//! UCI Adult (Census Income).
//!
//! Format quirks handled here (see `scripts/fetch-data` and the NOTICE of the embedded copy):
//! - no header; 15 fields separated by `", "` (a comma, then a space: fields are trimmed);
//! - `?` marks a missing workclass, occupation or native-country (2,399 train rows have one);
//! - `adult.test` starts with the junk line `|1x3 Cross validator` (skipped as a comment) and its
//!   labels end with a dot (`<=50K.`), which is stripped;
//! - both files end with a blank line (skipped).
//!
//! The official files are the split: 30,162 train and 15,060 test rows remain after dropping rows
//! with a missing value. Label: `income`, positive `>50K`. Sensitive: `sex` by default (`race`, or
//! both for intersectional groups).

use crate::data::reader::{build_table, read_delimited, MissingReport, ReadOptions, TableSpec};
use crate::data::split::SplitKind;
use crate::data::table::ColumnKind;
use crate::data::{Dataset, LoadOptions};
use crate::error::Result;

/// Column names of adult.data / adult.test, in file order.
pub const ADULT_COLUMNS: [&str; 15] = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
];

const NUMERIC: [&str; 6] = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"];

/// Parses the two Adult files (their bytes) into a dataset with the official split.
pub fn parse_adult(train: &[u8], test: &[u8], opts: &LoadOptions) -> Result<Dataset> {
    let read = ReadOptions {
        delimiter: b',',
        names: Some(ADULT_COLUMNS.iter().map(|s| s.to_string()).collect()),
        comment: Some(b'|'),
        trim: true,
        unique_names: true,
    };
    let sensitive = opts.sensitive_or(&["sex"]);
    let spec = TableSpec {
        features: ADULT_COLUMNS[..14]
            .iter()
            .map(|c| {
                let kind = if NUMERIC.contains(c) { ColumnKind::Numeric } else { ColumnKind::Categorical };
                (c.to_string(), Some(kind))
            })
            .collect(),
        label: "income".into(),
        positive: Some(">50K".into()),
        negative: Some("<=50K".into()),
        label_trim: &['.'],
        sensitive,
        missing_tokens: vec!["?".into()],
        categories: Default::default(),
    };
    let (train, mut missing) = build_table(&read_delimited(train, "adult.data", &read)?, &spec, opts.missing)?;
    let (test, missing_test): (_, MissingReport) =
        build_table(&read_delimited(test, "adult.test", &read)?, &spec, opts.missing)?;
    missing.merge(&missing_test);
    Ok(Dataset {
        test_source: None,
        name: "adult".into(),
        train,
        test,
        missing,
        split: SplitKind::Official,
    })
}

//! Statlog German credit.
//!
//! Format quirks: 1,000 rows of 21 space-separated fields, no header; attribute codes such as
//! `A11` are kept as categories. The label (last field) is 1 = good credit (positive, the
//! favourable outcome) and 2 = bad. Sex is not a field of its own: it is folded into attribute 9,
//! `personal_status_sex` (A92 = female; A91, A93, A94 = male; A95, female single, does not occur).
//! Two columns are derived: `sex` (female/male) and `age_group` (`<25` / `>=25`, from attribute 13,
//! the usual cut in the fairness literature). Sensitive: `sex` by default, `age_group` as an
//! option. There is no official split: a seeded stratified split is used.

use crate::data::reader::{build_table, read_delimited, ReadOptions, TableSpec};
use crate::data::split::{stratified_split, SplitKind};
use crate::data::table::ColumnKind;
use crate::data::{Dataset, LoadOptions};
use crate::error::Result;

/// Names given to the 21 fields of german.data, in file order.
pub const GERMAN_COLUMNS: [&str; 21] = [
    "checking_status",
    "duration",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings",
    "employment",
    "installment_rate",
    "personal_status_sex",
    "other_debtors",
    "residence_since",
    "property",
    "age",
    "other_installment_plans",
    "housing",
    "existing_credits",
    "job",
    "num_dependents",
    "telephone",
    "foreign_worker",
    "credit",
];

const NUMERIC: [&str; 7] = [
    "duration",
    "credit_amount",
    "installment_rate",
    "residence_since",
    "age",
    "existing_credits",
    "num_dependents",
];

/// Parses german.data (its bytes) and splits it.
pub fn parse_german(bytes: &[u8], opts: &LoadOptions) -> Result<Dataset> {
    let read = ReadOptions {
        delimiter: b' ',
        names: Some(GERMAN_COLUMNS.iter().map(|s| s.to_string()).collect()),
        comment: None,
        trim: true,
        unique_names: true,
    };
    let mut raw = read_delimited(bytes, "german.data", &read)?;
    let status = raw.index("personal_status_sex")?;
    raw.derive("sex", |row| {
        if matches!(row[status].as_str(), "A92" | "A95") { "female" } else { "male" }.to_string()
    });
    let age = raw.index("age")?;
    raw.derive("age_group", |row| match row[age].parse::<f64>() {
        Ok(a) if a < 25.0 => "<25".to_string(),
        Ok(_) => ">=25".to_string(),
        Err(_) => String::new(), // missing: handled by the policy
    });
    let mut features: Vec<(String, Option<ColumnKind>)> = GERMAN_COLUMNS[..20]
        .iter()
        .map(|c| {
            let kind = if NUMERIC.contains(c) { ColumnKind::Numeric } else { ColumnKind::Categorical };
            (c.to_string(), Some(kind))
        })
        .collect();
    features.push(("sex".into(), Some(ColumnKind::Categorical)));
    features.push(("age_group".into(), Some(ColumnKind::Categorical)));
    let spec = TableSpec {
        features,
        label: "credit".into(),
        positive: Some("1".into()),
        negative: Some("2".into()),
        label_trim: &[],
        sensitive: opts.sensitive_or(&["sex"]),
        missing_tokens: vec![],
        categories: Default::default(),
    };
    let (table, missing) = build_table(&raw, &spec, opts.missing)?;
    let (train, test) = stratified_split(&table, opts.test_fraction, opts.seed)?;
    Ok(Dataset {
        test_source: None,
        name: "german".into(),
        train,
        test,
        missing,
        split: SplitKind::Stratified {
            test_fraction: opts.test_fraction,
            seed: opts.seed,
        },
    })
}

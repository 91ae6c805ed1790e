//! ProPublica COMPAS (compas-scores-two-years.csv).
//!
//! Format quirks: a header of 53 columns in which `decile_score` and `priors_count` appear twice
//! (the first occurrence is used); CRLF line ends; quoted fields holding commas (a real CSV parser
//! reads them); the empty string means missing.
//!
//! ProPublica's standard filter keeps rows with `|days_b_screening_arrest| <= 30` (a missing value
//! fails the test, as in their R code), `is_recid != -1`, `c_charge_degree != "O"` and
//! `score_text != "N/A"`: 6,172 of 7,214 rows. Label: `two_year_recid` (1 = re-offended within two
//! years, the positive class). Features: sex, age, age_cat, race, juv_fel_count, juv_misd_count,
//! juv_other_count, priors_count, c_charge_degree (the COMPAS score itself is left out).
//!
//! Sensitive: `race` by default, restricted like ProPublica's analysis to African-American vs
//! Caucasian rows (5,278 rows); `sex` keeps all 6,172 rows and all races.
//!
//! The file is not shipped (no licence): `scripts/fetch-data` fetches it.

use crate::data::reader::{build_table, read_delimited, RawRows, ReadOptions, TableSpec};
use crate::data::split::{stratified_split, SplitKind};
use crate::data::table::ColumnKind;
use crate::data::{Dataset, LoadOptions};
use crate::error::Result;

/// File name looked up in the data folder.
pub const COMPAS_FILE: &str = "compas-scores-two-years.csv";

const FEATURES: [(&str, ColumnKind); 9] = [
    ("sex", ColumnKind::Categorical),
    ("age", ColumnKind::Numeric),
    ("age_cat", ColumnKind::Categorical),
    ("race", ColumnKind::Categorical),
    ("juv_fel_count", ColumnKind::Numeric),
    ("juv_misd_count", ColumnKind::Numeric),
    ("juv_other_count", ColumnKind::Numeric),
    ("priors_count", ColumnKind::Numeric),
    ("c_charge_degree", ColumnKind::Categorical),
];

/// ProPublica's filter, applied to raw rows.
pub(crate) fn propublica_filter(raw: &mut RawRows) -> Result<()> {
    let days = raw.index("days_b_screening_arrest")?;
    let recid = raw.index("is_recid")?;
    let degree = raw.index("c_charge_degree")?;
    let score = raw.index("score_text")?;
    raw.rows.retain(|(_, r)| {
        let days_ok = r[days].parse::<f64>().map_or(false, |d| d.abs() <= 30.0);
        days_ok && r[recid] != "-1" && r[degree] != "O" && r[score] != "N/A"
    });
    Ok(())
}

/// Parses the COMPAS two-year CSV (its bytes), filters and splits it.
pub fn parse_compas(bytes: &[u8], opts: &LoadOptions) -> Result<Dataset> {
    // The header repeats `decile_score` and `priors_count`: the first occurrence is used.
    let read = ReadOptions {
        unique_names: false,
        ..ReadOptions::default()
    };
    let mut raw = read_delimited(bytes, COMPAS_FILE, &read)?;
    propublica_filter(&mut raw)?;
    let sensitive = opts.sensitive_or(&["race"]);
    if sensitive.iter().any(|s| s == "race") {
        let race = raw.index("race")?;
        raw.rows
            .retain(|(_, r)| r[race] == "African-American" || r[race] == "Caucasian");
    }
    let spec = TableSpec {
        features: FEATURES.iter().map(|(n, k)| (n.to_string(), Some(*k))).collect(),
        label: "two_year_recid".into(),
        positive: Some("1".into()),
        negative: Some("0".into()),
        label_trim: &[],
        sensitive,
        missing_tokens: vec![],
        categories: Default::default(),
    };
    let (table, missing) = build_table(&raw, &spec, opts.missing)?;
    let (train, test) = stratified_split(&table, opts.test_fraction, opts.seed)?;
    Ok(Dataset {
        test_source: None,
        name: "compas".into(),
        train,
        test,
        missing,
        split: SplitKind::Stratified {
            test_fraction: opts.test_fraction,
            seed: opts.seed,
        },
    })
}

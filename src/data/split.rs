//! Seeded stratified train/test split.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::table::{GroupKey, Table};
use crate::error::{Error, Result};

/// How a dataset's train and test parts were made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SplitKind {
    /// The dataset's own official files (Adult's adult.data / adult.test).
    Official,
    /// [`stratified_split`] with these settings.
    Stratified { test_fraction: f64, seed: u64 },
}

/// Splits rows into train and test, stratified by (label, group) so that every cell keeps its share
/// in both parts.
///
/// The test part has `round(n * test_fraction)` rows (at least 1, at most n - 1). They are shared
/// among the strata in proportion to their sizes, the rounding remainders going to the strata with
/// the largest fractional shares (ties to the first stratum in (label, group) order). Within a
/// stratum the rows are drawn by a ChaCha8 shuffle seeded with `seed`. Both parts keep the original
/// row order.
///
/// The paper setting (Fair4Free's code, SPEC part A) is a 70/30 split: `test_fraction = 0.3`.
pub fn stratified_split(table: &Table, test_fraction: f64, seed: u64) -> Result<(Table, Table)> {
    let (train, test) = stratified_split_rows(table, test_fraction, seed)?;
    Ok((table.select_rows(&train), table.select_rows(&test)))
}

/// The row indices of [`stratified_split`]'s train and test parts, each in table order.
pub(crate) fn stratified_split_rows(table: &Table, test_fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::invalid("test_fraction", test_fraction, "must lie strictly between 0 and 1"));
    }
    let n = table.n_rows();
    if n < 2 {
        return Err(Error::Empty {
            what: format!("a split needs at least 2 rows, the table has {n}"),
        });
    }
    let keys: Vec<(u8, GroupKey)> = table.label().iter().copied().zip(table.group_keys()).collect();
    let is_test = stratified_test_mask(&keys, test_fraction, seed);
    let (test, train): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| is_test[i]);
    Ok((train, test))
}

/// Which items go to the test part of a split stratified by `keys` (one key per item, e.g.
/// (label, group)): `round(n * test_fraction)` items (at least 1, at most n - 1; none when n < 2)
/// shared among the strata in proportion to their sizes, the rounding remainders going to the
/// strata with the largest fractional shares (ties to the first stratum in key order), drawn
/// within each stratum by a ChaCha8 shuffle seeded with `seed`. The one apportionment behind
/// [`stratified_split`] and the image loaders' splits.
pub(crate) fn stratified_test_mask<K: Ord + Clone>(keys: &[K], test_fraction: f64, seed: u64) -> Vec<bool> {
    let n = keys.len();
    let mut strata: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for (i, k) in keys.iter().enumerate() {
        strata.entry(k.clone()).or_default().push(i);
    }
    let n_test = if n < 2 { 0 } else { ((n as f64 * test_fraction).round() as usize).clamp(1, n - 1) };
    // Largest-remainder apportionment of n_test among the strata.
    let shares: Vec<f64> = strata.values().map(|rows| rows.len() as f64 * n_test as f64 / n as f64).collect();
    let mut counts: Vec<usize> = shares.iter().map(|s| s.floor() as usize).collect();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = shares[a] - shares[a].floor();
        let fb = shares[b] - shares[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let missing = n_test.saturating_sub(counts.iter().sum::<usize>());
    for &k in order.iter().take(missing) {
        counts[k] += 1;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut is_test = vec![false; n];
    for (rows, &k) in strata.values_mut().zip(&counts) {
        rows.shuffle(&mut rng);
        for &r in &rows[..k.min(rows.len())] {
            is_test[r] = true;
        }
    }
    is_test
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::{Column, LabelSpec};

    fn table(n: usize) -> Table {
        Table::new(
            vec![Column::categorical("g", (0..n).map(|i| ["a", "b", "c"][i % 3].to_string()).collect())],
            (0..n).map(|i| (i % 2) as u8).collect(),
            LabelSpec { name: "y".into(), positive: "1".into(), negative: "0".into() },
            vec!["g".into()],
        )
        .unwrap()
    }

    #[test]
    fn sizes_follow_the_fraction_even_with_singleton_strata() {
        for n in [2, 4, 6, 7, 100] {
            let (train, test) = stratified_split(&table(n), 0.5, 1).unwrap();
            assert_eq!(test.n_rows(), ((n as f64 * 0.5).round() as usize).clamp(1, n - 1), "n = {n}");
            assert_eq!(train.n_rows() + test.n_rows(), n);
        }
    }

    #[test]
    fn bad_fraction_is_an_error() {
        assert!(stratified_split(&table(10), 1.0, 1).is_err());
        assert!(stratified_split(&table(10), f64::NAN, 1).is_err());
        assert!(stratified_split(&table(1), 0.5, 1).is_err());
    }
}

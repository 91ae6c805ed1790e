//! Rows drawn by (label, sensitive value) cell: a biased or a balanced subset with exactly the
//! requested count in each cell (AIM-Fair's biased training sets, SPEC part B).

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::table::{ColumnData, Table};
use crate::error::{Error, Result};

/// How many rows to draw from one (label, sensitive value) cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellCount {
    pub label: u8,
    /// The value of the sensitive column, e.g. `Female`.
    pub value: String,
    pub count: usize,
}

/// Row counts of every (label, value) cell of `table` in the categorical column `column`.
pub fn cell_counts(table: &Table, column: &str) -> Result<BTreeMap<(u8, String), usize>> {
    let values = categorical(table, column)?;
    let mut out = BTreeMap::new();
    for (v, &y) in values.iter().zip(table.label()) {
        *out.entry((y, v.clone())).or_insert(0) += 1;
    }
    Ok(out)
}

fn categorical<'a>(table: &'a Table, column: &str) -> Result<&'a [String]> {
    match &table.column(column)?.data {
        ColumnData::Categorical(v) => Ok(v),
        ColumnData::Numeric(_) => Err(Error::invalid("column", column, "cells need a categorical column")),
    }
}

/// Draws `count` rows without replacement from each listed cell (seeded), and returns them in
/// cell order, each cell's rows in a shuffled order. A cell listed twice, a label other than 0/1
/// or a cell with fewer rows than asked is an error naming the cell and what is available.
///
/// ```
/// use fairdistill::data::{draw_cells, load_builtin, CellCount, LoadOptions};
/// let german = load_builtin("german", &LoadOptions::default())?;
/// let want = [("female", 0, 20), ("female", 1, 20), ("male", 0, 20), ("male", 1, 20)]
///     .map(|(v, y, n)| CellCount { label: y, value: v.to_string(), count: n });
/// let balanced = draw_cells(&german.train, "sex", &want, 7)?;
/// assert_eq!(balanced.n_rows(), 80);
/// # Ok::<(), fairdistill::Error>(())
/// ```
pub fn draw_cells(table: &Table, column: &str, cells: &[CellCount], seed: u64) -> Result<Table> {
    let values = categorical(table, column)?;
    let mut rows_of: BTreeMap<(u8, &str), Vec<usize>> = BTreeMap::new();
    for (i, (v, &y)) in values.iter().zip(table.label()).enumerate() {
        rows_of.entry((y, v.as_str())).or_default().push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut picked = Vec::with_capacity(cells.iter().map(|c| c.count).sum());
    for (i, c) in cells.iter().enumerate() {
        if c.label > 1 {
            return Err(Error::invalid("cells", format!("label {}", c.label), "labels are 0 or 1"));
        }
        if cells[..i].iter().any(|d| d.label == c.label && d.value == c.value) {
            return Err(Error::invalid("cells", format!("(y = {}, {column} = {})", c.label, c.value), "cell listed twice"));
        }
        let mut rows = rows_of.get(&(c.label, c.value.as_str())).cloned().unwrap_or_default();
        if rows.len() < c.count {
            return Err(Error::invalid(
                "cells",
                format!("(y = {}, {column} = {}) x {}", c.label, c.value, c.count),
                format!("the table has only {} rows in this cell", rows.len()),
            ));
        }
        rows.shuffle(&mut rng);
        picked.extend_from_slice(&rows[..c.count]);
    }
    Ok(table.select_rows(&picked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::{Column, LabelSpec};

    fn table() -> Table {
        // 10 rows: (y, s) = (0, a) x4, (1, a) x1, (0, b) x2, (1, b) x3.
        let s = ["a", "a", "a", "a", "a", "b", "b", "b", "b", "b"].map(String::from).to_vec();
        let y = vec![0, 0, 0, 0, 1, 0, 0, 1, 1, 1];
        let x: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let spec = LabelSpec { name: "y".into(), positive: "1".into(), negative: "0".into() };
        Table::new(vec![Column::numeric("x", x), Column::categorical("s", s)], y, spec, vec!["s".into()]).unwrap()
    }

    fn want(n: [usize; 4]) -> Vec<CellCount> {
        [(0, "a"), (0, "b"), (1, "a"), (1, "b")]
            .iter()
            .zip(n)
            .map(|(&(y, v), count)| CellCount { label: y, value: v.into(), count })
            .collect()
    }

    #[test]
    fn every_cell_gets_its_count_and_a_seed_reproduces_the_rows() {
        let t = table();
        let d = draw_cells(&t, "s", &want([3, 1, 1, 2]), 5).unwrap();
        let counts = cell_counts(&d, "s").unwrap();
        assert_eq!(counts[&(0, "a".to_string())], 3);
        assert_eq!(counts[&(0, "b".to_string())], 1);
        assert_eq!(counts[&(1, "a".to_string())], 1);
        assert_eq!(counts[&(1, "b".to_string())], 2);
        assert_eq!(d, draw_cells(&t, "s", &want([3, 1, 1, 2]), 5).unwrap());
        // No row drawn twice.
        let x = match &d.column("x").unwrap().data {
            ColumnData::Numeric(v) => v.clone(),
            _ => unreachable!(),
        };
        let mut sorted = x.clone();
        sorted.sort_by(f64::total_cmp);
        sorted.dedup();
        assert_eq!(sorted.len(), x.len());
    }

    #[test]
    fn a_cell_too_small_a_repeated_cell_or_a_numeric_column_is_an_error() {
        let t = table();
        let e = draw_cells(&t, "s", &want([5, 0, 0, 0]), 0).unwrap_err().to_string();
        assert!(e.contains("only 4 rows"), "{e}");
        let mut twice = want([1, 1, 1, 1]);
        twice.push(CellCount { label: 0, value: "a".into(), count: 1 });
        assert!(draw_cells(&t, "s", &twice, 0).unwrap_err().to_string().contains("twice"));
        assert!(draw_cells(&t, "x", &want([1, 1, 1, 1]), 0).is_err());
        let bad = vec![CellCount { label: 2, value: "a".into(), count: 1 }];
        assert!(draw_cells(&t, "s", &bad, 0).is_err());
    }
}

//! Groups: the tuple of a row's sensitive values, factorised to dense codes, and the confusion
//! counts per group.

use std::collections::HashMap;
use std::fmt;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A group: the tuple of a row's values in the sensitive columns, e.g. `("Female", "Black")`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupKey(pub Vec<String>);

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

/// Rows factorised into groups: `codes[i]` indexes `keys`, and `keys` are sorted (like fairlearn's
/// `by_group`; only observed tuples are listed).
#[derive(Clone, Debug, PartialEq)]
pub struct Groups {
    pub keys: Vec<GroupKey>,
    pub codes: Vec<u32>,
}

impl Groups {
    /// Factorises one or more sensitive columns of equal length `n`.
    pub fn from_columns<S: AsRef<str> + Sync>(columns: &[&[S]], n: usize) -> Result<Groups> {
        if columns.is_empty() {
            return Err(Error::invalid("sensitive", "(none)", "at least one sensitive column is required"));
        }
        for c in columns {
            if c.len() != n {
                return Err(Error::LengthMismatch {
                    what: "sensitive column against y_true".into(),
                    expected: n,
                    got: c.len(),
                });
            }
        }
        // Per column: codes in order of first appearance, then remapped to sorted level order.
        let per_column: Vec<(Vec<String>, Vec<u32>)> = columns.par_iter().map(|c| factorise(c)).collect();
        let radices: Vec<u64> = per_column.iter().map(|(levels, _)| levels.len() as u64).collect();
        if radices.iter().try_fold(1u64, |acc, &r| acc.checked_mul(r)).is_none() {
            return Err(Error::invalid(
                "sensitive",
                format!("{} columns", columns.len()),
                "too many level combinations to intersect (more than 2^64)",
            ));
        }
        let combined: Vec<u64> = (0..n)
            .into_par_iter()
            .with_min_len(1 << 14)
            .map(|i| per_column.iter().zip(&radices).fold(0u64, |acc, ((_, codes), &r)| acc * r + codes[i] as u64))
            .collect();
        // Combined code -> dense group index, in sorted tuple order (levels are sorted, so the
        // mixed-radix code orders tuples lexicographically).
        let mut present: Vec<u64> = {
            let mut seen: HashMap<u64, ()> = HashMap::new();
            for &c in &combined {
                seen.entry(c).or_insert(());
            }
            seen.into_keys().collect()
        };
        present.sort_unstable();
        let index: HashMap<u64, u32> = present.iter().enumerate().map(|(i, &c)| (c, i as u32)).collect();
        let keys = present
            .iter()
            .map(|&code| {
                let mut rest = code;
                let mut parts = vec![String::new(); per_column.len()];
                for (j, ((levels, _), &r)) in per_column.iter().zip(&radices).enumerate().rev() {
                    parts[j] = levels[(rest % r) as usize].clone();
                    rest /= r;
                }
                GroupKey(parts)
            })
            .collect();
        let codes = combined.par_iter().with_min_len(1 << 14).map(|c| index[c]).collect();
        Ok(Groups { keys, codes })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

}

/// Codes of one column with levels sorted.
fn factorise<S: AsRef<str>>(column: &[S]) -> (Vec<String>, Vec<u32>) {
    let mut first: HashMap<&str, u32> = HashMap::new();
    let mut levels: Vec<&str> = Vec::new();
    let mut codes: Vec<u32> = Vec::with_capacity(column.len());
    let mut last: Option<(&str, u32)> = None;
    for v in column {
        let v = v.as_ref();
        let code = match last {
            Some((lv, lc)) if lv == v => lc,
            _ => *first.entry(v).or_insert_with(|| {
                levels.push(v);
                (levels.len() - 1) as u32
            }),
        };
        last = Some((v, code));
        codes.push(code);
    }
    let mut order: Vec<u32> = (0..levels.len() as u32).collect();
    order.sort_by(|&a, &b| levels[a as usize].cmp(levels[b as usize]));
    let mut remap = vec![0u32; levels.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old as usize] = new as u32;
    }
    for c in &mut codes {
        *c = remap[*c as usize];
    }
    let sorted = order.iter().map(|&o| levels[o as usize].to_string()).collect();
    (sorted, codes)
}

/// Confusion counts of one group (or of all rows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    pub tp: u64,
    pub fp: u64,
    pub tn: u64,
    pub fn_: u64,
}

impl Confusion {
    #[inline]
    pub fn add(&mut self, y: u8, p: u8) {
        match (y, p) {
            (1, 1) => self.tp += 1,
            (0, 1) => self.fp += 1,
            (0, 0) => self.tn += 1,
            _ => self.fn_ += 1,
        }
    }

    pub fn n(&self) -> u64 {
        self.tp + self.fp + self.tn + self.fn_
    }

    pub fn positives(&self) -> u64 {
        self.tp + self.fn_
    }

    pub fn negatives(&self) -> u64 {
        self.fp + self.tn
    }

    pub fn merge(&mut self, o: &Confusion) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.tn += o.tn;
        self.fn_ += o.fn_;
    }
}

/// Confusion counts per group (indexed like `groups.keys`), in one parallel pass.
pub(crate) fn count_by_group(y_true: &[u8], y_pred: &[u8], codes: &[u32], n_groups: usize) -> Vec<Confusion> {
    const CHUNK: usize = 1 << 16;
    y_true
        .par_chunks(CHUNK)
        .zip(y_pred.par_chunks(CHUNK))
        .zip(codes.par_chunks(CHUNK))
        .fold(
            || vec![[0u64; 4]; n_groups],
            |mut acc, ((yt, yp), cs)| {
                for ((&y, &p), &c) in yt.iter().zip(yp).zip(cs) {
                    acc[c as usize][(2 * y + p) as usize] += 1;
                }
                acc
            },
        )
        .reduce(
            || vec![[0u64; 4]; n_groups],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(&b) {
                    for k in 0..4 {
                        x[k] += y[k];
                    }
                }
                a
            },
        )
        .into_iter()
        .map(|[tn, fp, fn_, tp]| Confusion { tp, fp, tn, fn_ })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersectional_keys_are_sorted_tuples() {
        let a = ["m", "f", "f", "m"];
        let b = ["y", "o", "y", "y"];
        let g = Groups::from_columns(&[&a[..], &b[..]], 4).unwrap();
        let keys: Vec<String> = g.keys.iter().map(|k| k.to_string()).collect();
        assert_eq!(keys, ["f, o", "f, y", "m, y"]);
        assert_eq!(g.codes, [2, 0, 1, 2]);
    }

    #[test]
    fn counts_by_group_by_hand() {
        let yt = [1, 0, 1, 1, 0, 0];
        let yp = [1, 1, 0, 1, 0, 1];
        let codes = [0, 0, 0, 1, 1, 1];
        let c = count_by_group(&yt, &yp, &codes, 2);
        assert_eq!(c[0], Confusion { tp: 1, fp: 1, tn: 0, fn_: 1 });
        assert_eq!(c[1], Confusion { tp: 1, fp: 1, tn: 1, fn_: 0 });
    }
}

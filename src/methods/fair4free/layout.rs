//! Where things live in the model space: which encoded columns the VAE reconstructs (the
//! non-sensitive ones), their one-hot blocks and numerics, and the sensitive groups.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::audit::GroupKey;
use crate::data::{ColumnEncoding, Encoder, Table};
use crate::error::{Error, Result};

/// The model-space layout of one dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Width of the encoder's full matrix (sensitive columns included).
    pub full_width: usize,
    /// Columns of the full matrix that form x (everything but the sensitive columns).
    pub x_columns: Vec<usize>,
    /// One-hot blocks, as ranges of x's columns.
    pub categorical_blocks: Vec<Range<usize>>,
    /// Numeric columns of x.
    pub numeric: Vec<usize>,
    /// The sensitive columns and their blocks in the full matrix.
    pub sensitive: Vec<(String, Range<usize>)>,
    /// The groups (tuples of sensitive values), in sorted order: s is the one-hot of the index.
    pub groups: Vec<GroupKey>,
    /// Share of each group in the training rows.
    pub group_shares: Vec<f64>,
}

impl Layout {
    pub fn new(encoder: &Encoder, train: &Table) -> Result<Layout> {
        let sensitive: Vec<(String, Range<usize>)> = train
            .sensitive_names()
            .iter()
            .map(|n| encoder.column_range(n).map(|r| (n.clone(), r)))
            .collect::<Result<_>>()?;
        let mut x_columns = Vec::new();
        let mut categorical_blocks = Vec::new();
        let mut numeric = Vec::new();
        let mut start = 0;
        for c in encoder.columns() {
            let w = c.width();
            if !sensitive.iter().any(|(n, _)| n == c.name()) {
                let x_start = x_columns.len();
                x_columns.extend(start..start + w);
                match c {
                    ColumnEncoding::Numeric { .. } => numeric.push(x_start),
                    ColumnEncoding::Categorical { .. } => categorical_blocks.push(x_start..x_start + w),
                }
            }
            start += w;
        }
        if x_columns.is_empty() {
            return Err(Error::Schema("every column is sensitive: nothing to generate".into()));
        }
        let counts = train.group_counts();
        let n = train.n_rows() as f64;
        Ok(Layout {
            full_width: encoder.width(),
            x_columns,
            categorical_blocks,
            numeric,
            groups: counts.keys().cloned().collect(),
            group_shares: counts.values().map(|(c, _)| *c as f64 / n).collect(),
            sensitive,
        })
    }

    pub fn x_width(&self) -> usize {
        self.x_columns.len()
    }

    pub fn n_groups(&self) -> usize {
        self.groups.len()
    }

    /// Group index of each row of `table`; a group not seen in training is an error.
    pub fn group_index(&self, table: &Table) -> Result<Vec<usize>> {
        table
            .group_keys()
            .iter()
            .enumerate()
            .map(|(row, k)| {
                self.groups.binary_search(k).map_err(|_| Error::UnseenCategory {
                    column: table.sensitive_names().join(" x "),
                    value: k.to_string(),
                    known: self.groups.iter().map(|g| g.to_string()).collect::<Vec<_>>().join("; "),
                    row,
                })
            })
            .collect()
    }
}

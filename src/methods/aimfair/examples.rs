//! Encoded rows and labels: what the classifier trains and predicts on.

use crate::data::{Encoder, Table};
use crate::error::{Error, Result};

/// Rows of a table in the encoder's space (row-major `f32`) with their 0/1 labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Examples {
    pub x: Vec<f32>,
    pub width: usize,
    pub y: Vec<u8>,
}

impl Examples {
    /// Encodes every column of `table` (the sensitive ones included: like a face image, a row
    /// shows its group) with `encoder`.
    pub fn from_table(encoder: &Encoder, table: &Table) -> Result<Examples> {
        let m = encoder.transform(table)?;
        Ok(Examples { width: m.ncols(), x: m.iter().map(|&v| v as f32).collect(), y: table.label().to_vec() })
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The rows of `self` followed by those of `other`.
    pub fn concat(&self, other: &Examples) -> Result<Examples> {
        if self.width != other.width {
            return Err(Error::LengthMismatch { what: "feature width of the appended rows".into(), expected: self.width, got: other.width });
        }
        let mut x = self.x.clone();
        x.extend_from_slice(&other.x);
        let mut y = self.y.clone();
        y.extend_from_slice(&other.y);
        Ok(Examples { x, width: self.width, y })
    }

    /// Features and labels of the given rows.
    pub(crate) fn rows(&self, rows: &[usize]) -> (Vec<f32>, Vec<f32>) {
        let mut x = Vec::with_capacity(rows.len() * self.width);
        for &r in rows {
            x.extend_from_slice(&self.x[r * self.width..(r + 1) * self.width]);
        }
        (x, rows.iter().map(|&r| self.y[r] as f32).collect())
    }

    /// Checks that the table is usable for training: rows present and the widths agree.
    pub(crate) fn check(&self, what: &str, width: usize) -> Result<()> {
        if self.is_empty() {
            return Err(Error::Empty { what: format!("{what}: no rows") });
        }
        if self.width != width {
            return Err(Error::LengthMismatch { what: format!("{what}: feature width"), expected: width, got: self.width });
        }
        if self.x.len() != self.len() * self.width {
            return Err(Error::LengthMismatch { what: format!("{what}: feature values"), expected: self.len() * self.width, got: self.x.len() });
        }
        Ok(())
    }
}

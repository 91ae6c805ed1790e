//! Model-space encoding of a [`Table`]: one-hot blocks for categorical columns, standardised
//! numerics, and the exact inverse.

use std::ops::Range;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::data::table::{Column, ColumnData, Table};
use crate::error::{Error, Result};

/// Encoding of one column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ColumnEncoding {
    /// `(x - mean) / std` (population std of the fitted data; a constant column gets std 1).
    Numeric {
        name: String,
        mean: f64,
        std: f64,
        /// Decimals to round to on the way back (the source's), `None` for full precision.
        decimals: Option<u8>,
        /// The smallest and largest value of the fitted data (absent in model files written
        /// before 0.2: nothing is clipped then). Generated rows are clipped to it
        /// ([`Encoder::clip_to_range`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        range: Option<(f64, f64)>,
        /// Every value of the fitted data is a whole number: generated values are rounded to
        /// whole numbers ([`Encoder::inverse_clipped`]).
        #[serde(default)]
        whole: bool,
    },
    /// One 0/1 column per level, levels sorted.
    Categorical { name: String, levels: Vec<String> },
}

impl ColumnEncoding {
    pub fn name(&self) -> &str {
        match self {
            ColumnEncoding::Numeric { name, .. } | ColumnEncoding::Categorical { name, .. } => name,
        }
    }

    pub fn width(&self) -> usize {
        match self {
            ColumnEncoding::Numeric { .. } => 1,
            ColumnEncoding::Categorical { levels, .. } => levels.len(),
        }
    }
}

/// A fitted encoder from the columns of a table to a dense `f64` matrix and back.
///
/// ```
/// use fairdistill::data::{Column, Encoder, LabelSpec, Table};
/// let t = Table::new(
///     vec![Column::categorical("s", vec!["a".into(), "b".into(), "a".into()]),
///          Column::numeric("x", vec![1.0, 2.0, 3.0])],
///     vec![0, 1, 1],
///     LabelSpec { name: "y".into(), positive: "1".into(), negative: "0".into() },
///     vec!["s".into()],
/// ).unwrap();
/// let enc = Encoder::fit(&t).unwrap();
/// let m = enc.transform(&t).unwrap();
/// assert_eq!(enc.feature_names(), ["s=a", "s=b", "x"]);
/// assert_eq!(m.row(1).to_vec()[..2], [0.0, 1.0]);
/// let back = enc.inverse(m.view(), t.label(), &["s"]).unwrap();
/// assert_eq!(back, t);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    columns: Vec<ColumnEncoding>,
    /// The label of the fitted table (`None` for an encoder fitted on bare columns).
    label: Option<crate::data::table::LabelSpec>,
}

impl Encoder {
    /// Learns levels and moments from `table` (the training part).
    pub fn fit(table: &Table) -> Result<Self> {
        if table.n_rows() == 0 {
            return Err(Error::Empty {
                what: "cannot fit an encoder on a table with no rows".into(),
            });
        }
        let mut enc = Self::fit_columns(table.columns())?;
        enc.label = Some(table.label_spec().clone());
        Ok(enc)
    }

    /// Learns levels and moments from bare columns (no label; [`Encoder::inverse`] then errs).
    pub fn fit_columns(columns: &[Column]) -> Result<Self> {
        if columns.is_empty() || columns[0].data.is_empty() {
            return Err(Error::Empty { what: "cannot fit an encoder on no columns or no rows".into() });
        }
        let columns = columns
            .iter()
            .map(|c| match &c.data {
                ColumnData::Numeric(v) => {
                    let n = v.len() as f64;
                    let mean = v.iter().sum::<f64>() / n;
                    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
                    let std = if var > 0.0 { var.sqrt() } else { 1.0 };
                    let range = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
                    ColumnEncoding::Numeric {
                        name: c.name.clone(),
                        mean,
                        std,
                        decimals: c.decimals,
                        range: Some(range),
                        whole: v.iter().all(|x| x.fract() == 0.0),
                    }
                }
                ColumnData::Categorical(v) => {
                    let mut levels = v.clone();
                    levels.sort_unstable();
                    levels.dedup();
                    ColumnEncoding::Categorical {
                        name: c.name.clone(),
                        levels,
                    }
                }
            })
            .collect();
        Ok(Encoder { columns, label: None })
    }

    /// The encodings, in column order.
    pub fn columns(&self) -> &[ColumnEncoding] {
        &self.columns
    }

    /// Width of the encoded matrix.
    pub fn width(&self) -> usize {
        self.columns.iter().map(ColumnEncoding::width).sum()
    }

    /// Names of the encoded features: `col` for numerics, `col=level` for one-hot columns.
    pub fn feature_names(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.width());
        for c in &self.columns {
            match c {
                ColumnEncoding::Numeric { name, .. } => out.push(name.clone()),
                ColumnEncoding::Categorical { name, levels } => {
                    out.extend(levels.iter().map(|l| format!("{name}={l}")))
                }
            }
        }
        out
    }

    /// The range of matrix columns that encode column `name`.
    pub fn column_range(&self, name: &str) -> Result<Range<usize>> {
        let mut start = 0;
        for c in &self.columns {
            if c.name() == name {
                return Ok(start..start + c.width());
            }
            start += c.width();
        }
        Err(Error::ColumnMissing {
            source_name: "encoder".into(),
            name: name.to_string(),
            available: self.columns.iter().map(|c| c.name().to_string()).collect::<Vec<_>>().join(", "),
        })
    }

    /// Encodes a table with the same columns (by name and kind) as the fitted one. A category not
    /// seen at fit time is an [`Error::UnseenCategory`].
    pub fn transform(&self, table: &Table) -> Result<Array2<f64>> {
        self.transform_columns(table.columns())
    }

    /// Encodes bare columns (found by name) like [`Encoder::transform`].
    pub fn transform_columns(&self, columns: &[Column]) -> Result<Array2<f64>> {
        let n = columns.first().map_or(0, |c| c.data.len());
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        let mut out = Array2::<f64>::zeros((n, self.width()));
        let mut start = 0;
        for enc in &self.columns {
            let col = columns.iter().find(|c| c.name == enc.name()).ok_or_else(|| Error::ColumnMissing {
                source_name: "table to encode".into(),
                name: enc.name().to_string(),
                available: names.join(", "),
            })?;
            if col.data.len() != n {
                return Err(Error::LengthMismatch { what: format!("column `{}`", col.name), expected: n, got: col.data.len() });
            }
            match (enc, &col.data) {
                (ColumnEncoding::Numeric { mean, std, .. }, ColumnData::Numeric(v)) => {
                    for (r, x) in v.iter().enumerate() {
                        out[[r, start]] = (x - mean) / std;
                    }
                }
                (ColumnEncoding::Categorical { name, levels }, ColumnData::Categorical(v)) => {
                    for (r, x) in v.iter().enumerate() {
                        let j = levels.binary_search(x).map_err(|_| Error::UnseenCategory {
                            column: name.clone(),
                            value: x.clone(),
                            known: levels.join(", "),
                            row: r,
                        })?;
                        out[[r, start + j]] = 1.0;
                    }
                }
                (enc, data) => {
                    return Err(Error::Schema(format!(
                        "column `{}` was {} when the encoder was fitted but is {:?} now",
                        enc.name(),
                        match enc {
                            ColumnEncoding::Numeric { .. } => "numeric",
                            ColumnEncoding::Categorical { .. } => "categorical",
                        },
                        data.kind()
                    )))
                }
            }
            start += enc.width();
        }
        Ok(out)
    }

    /// Writes a model-space matrix back as a table with the original columns: each one-hot block
    /// becomes its arg-max level (ties to the first level), each numeric is unscaled and rounded
    /// to its source's decimals. For a matrix made by [`Encoder::transform`] this is exact.
    ///
    /// `label` gives the 0/1 labels of the rows; `sensitive` names the sensitive columns.
    pub fn inverse<S: AsRef<str>>(&self, x: ArrayView2<f64>, label: &[u8], sensitive: &[S]) -> Result<Table> {
        self.decode(x, label, sensitive, false).map(|(t, _)| t)
    }

    /// [`Encoder::inverse`] for generated rows: a numeric column whose fitted values were all
    /// whole numbers gets whole numbers, and each numeric value is clipped to the fitted data's
    /// range `[min, max]` (after rounding). Returns the table and, per numeric column, how many cells were clipped.
    /// An encoder without a recorded range (an older model file) clips nothing.
    pub fn inverse_clipped<S: AsRef<str>>(&self, x: ArrayView2<f64>, label: &[u8], sensitive: &[S]) -> Result<(Table, Vec<ClippedCells>)> {
        self.decode(x, label, sensitive, true)
    }

    fn decode<S: AsRef<str>>(&self, x: ArrayView2<f64>, label: &[u8], sensitive: &[S], clip: bool) -> Result<(Table, Vec<ClippedCells>)> {
        if x.ncols() != self.width() {
            return Err(Error::LengthMismatch {
                what: "matrix columns against the encoder width".into(),
                expected: self.width(),
                got: x.ncols(),
            });
        }
        if x.nrows() != label.len() {
            return Err(Error::LengthMismatch {
                what: "matrix rows against the labels".into(),
                expected: x.nrows(),
                got: label.len(),
            });
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "matrix to decode".into(),
                index: i,
            });
        }
        let mut columns = Vec::with_capacity(self.columns.len());
        let mut clips = Vec::new();
        let mut start = 0;
        for enc in &self.columns {
            match enc {
                ColumnEncoding::Numeric { name, mean, std, decimals, range, whole } => {
                    let (lo, hi) = match (clip, range) {
                        (true, Some(r)) => *r,
                        _ => (f64::NEG_INFINITY, f64::INFINITY),
                    };
                    let decimals = if clip && *whole { &Some(0) } else { decimals };
                    let mut clipped = 0;
                    let values = x
                        .column(start)
                        .iter()
                        .map(|z| {
                            let v = round_to(z * std + mean, *decimals);
                            if v < lo || v > hi {
                                clipped += 1;
                            }
                            v.clamp(lo, hi)
                        })
                        .collect();
                    columns.push(Column::numeric(name.clone(), values).with_decimals(*decimals));
                    clips.push(ClippedCells { column: name.clone(), cells: clipped });
                }
                ColumnEncoding::Categorical { name, levels } => {
                    let block = x.slice(ndarray::s![.., start..start + levels.len()]);
                    let values = block
                        .rows()
                        .into_iter()
                        .map(|row| {
                            let mut best = 0;
                            for (j, v) in row.iter().enumerate() {
                                if *v > row[best] {
                                    best = j;
                                }
                            }
                            levels[best].clone()
                        })
                        .collect();
                    columns.push(Column::categorical(name.clone(), values));
                }
            }
            start += enc.width();
        }
        let table = Table::new(
            columns,
            label.to_vec(),
            self.label.clone().ok_or_else(|| Error::Schema("this encoder was fitted without a label: it cannot rebuild a table".into()))?,
            sensitive.iter().map(|s| s.as_ref().to_string()).collect(),
        )?;
        Ok((table, clips))
    }
}

/// How many cells of one numeric column [`Encoder::inverse_clipped`] moved into the fitted range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClippedCells {
    pub column: String,
    pub cells: usize,
}

fn round_to(x: f64, decimals: Option<u8>) -> f64 {
    match decimals {
        Some(d) => {
            // Parse back the fixed-point text: this gives the f64 nearest to the decimal literal,
            // exactly as the loader read it.
            format!("{:.*}", d as usize, x).parse().unwrap_or(x)
        }
        None => x,
    }
}

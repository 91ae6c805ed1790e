//! The typed tabular dataset: named numeric or categorical columns, a binary label and one or more
//! sensitive columns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::audit::GroupKey;
use crate::error::{Error, Result};

/// Whether a column holds numbers or categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

/// The values of one column. Missing values have already been handled by the loader's
/// [`MissingPolicy`](crate::data::MissingPolicy), so every cell holds a value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "values", rename_all = "lowercase")]
pub enum ColumnData {
    Numeric(Vec<f64>),
    Categorical(Vec<String>),
}

impl ColumnData {
    pub fn kind(&self) -> ColumnKind {
        match self {
            ColumnData::Numeric(_) => ColumnKind::Numeric,
            ColumnData::Categorical(_) => ColumnKind::Categorical,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell at `row` written as text (numbers with the column's decimals).
    pub(crate) fn cell_text(&self, row: usize, decimals: Option<u8>) -> String {
        match self {
            ColumnData::Numeric(v) => format_number(v[row], decimals),
            ColumnData::Categorical(v) => v[row].clone(),
        }
    }

    fn select(&self, rows: &[usize]) -> ColumnData {
        match self {
            ColumnData::Numeric(v) => ColumnData::Numeric(rows.iter().map(|&r| v[r]).collect()),
            ColumnData::Categorical(v) => {
                ColumnData::Categorical(rows.iter().map(|&r| v[r].clone()).collect())
            }
        }
    }
}

/// Writes a number with a fixed count of decimals when known, else in the shortest form that
/// reads back to the same `f64`.
pub(crate) fn format_number(x: f64, decimals: Option<u8>) -> String {
    match decimals {
        Some(0) => format!("{}", x.round() as i64),
        Some(d) => format!("{:.*}", d as usize, x),
        None => format!("{x}"),
    }
}

/// One named column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub data: ColumnData,
    /// For numeric columns read from text: the largest count of digits after the decimal point
    /// seen in the source, so that values are written back exactly as they were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
}

impl Column {
    pub fn numeric(name: impl Into<String>, values: Vec<f64>) -> Self {
        Column {
            name: name.into(),
            data: ColumnData::Numeric(values),
            decimals: None,
        }
    }

    pub fn categorical(name: impl Into<String>, values: Vec<String>) -> Self {
        Column {
            name: name.into(),
            data: ColumnData::Categorical(values),
            decimals: None,
        }
    }

    pub fn with_decimals(mut self, decimals: Option<u8>) -> Self {
        self.decimals = decimals;
        self
    }
}

/// The binary label: its column name and the text of its two classes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSpec {
    pub name: String,
    /// Text of the positive class (label 1), e.g. `>50K`.
    pub positive: String,
    /// Text of the negative class (label 0), e.g. `<=50K`.
    pub negative: String,
}

/// Column names and kinds, the label and the sensitive columns of a [`Table`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub columns: Vec<(String, ColumnKind)>,
    pub label: LabelSpec,
    /// Names of the sensitive columns (categorical columns of the table). A row's group is the
    /// tuple of its values in these columns, so several columns give intersectional groups.
    pub sensitive: Vec<String>,
}

/// A typed table: feature columns (the sensitive columns among them), a binary label (1 = the
/// positive class), and the schema that names them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    columns: Vec<Column>,
    label: Vec<u8>,
    label_spec: LabelSpec,
    sensitive: Vec<String>,
}

impl Table {
    /// Builds a table and checks it: equal lengths, unique names, labels in {0, 1}, sensitive
    /// columns present and categorical.
    pub fn new(
        columns: Vec<Column>,
        label: Vec<u8>,
        label_spec: LabelSpec,
        sensitive: Vec<String>,
    ) -> Result<Self> {
        let n = label.len();
        for c in &columns {
            if c.data.len() != n {
                return Err(Error::LengthMismatch {
                    what: format!("column `{}` against the label", c.name),
                    expected: n,
                    got: c.data.len(),
                });
            }
        }
        for (i, c) in columns.iter().enumerate() {
            if columns[..i].iter().any(|d| d.name == c.name) || c.name == label_spec.name {
                return Err(Error::Schema(format!("column name `{}` appears twice", c.name)));
            }
        }
        if let Some(i) = label.iter().position(|&y| y > 1) {
            return Err(Error::Schema(format!(
                "label at row {i} is {}, expected 0 or 1",
                label[i]
            )));
        }
        let table = Table {
            columns,
            label,
            label_spec,
            sensitive: Vec::new(),
        };
        table.with_sensitive(sensitive)
    }

    /// The same table with other sensitive columns (each must be a categorical column).
    pub fn with_sensitive<S: AsRef<str>>(mut self, sensitive: impl IntoIterator<Item = S>) -> Result<Self> {
        let names: Vec<String> = sensitive.into_iter().map(|s| s.as_ref().to_string()).collect();
        if names.is_empty() {
            return Err(Error::Schema("at least one sensitive column is required".into()));
        }
        for name in &names {
            let col = self.column(name)?;
            if col.data.kind() != ColumnKind::Categorical {
                return Err(Error::Schema(format!(
                    "sensitive column `{name}` is numeric; sensitive columns must be categorical (bin it first)"
                )));
            }
        }
        self.sensitive = names;
        Ok(self)
    }

    pub fn n_rows(&self) -> usize {
        self.label.len()
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn label(&self) -> &[u8] {
        &self.label
    }

    pub fn label_spec(&self) -> &LabelSpec {
        &self.label_spec
    }

    pub fn sensitive_names(&self) -> &[String] {
        &self.sensitive
    }

    /// The column called `name`, or [`Error::ColumnMissing`].
    pub fn column(&self, name: &str) -> Result<&Column> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| Error::ColumnMissing {
                source_name: "table".into(),
                name: name.to_string(),
                available: self.column_names().join(", "),
            })
    }

    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    pub fn schema(&self) -> Schema {
        Schema {
            columns: self
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.data.kind()))
                .collect(),
            label: self.label_spec.clone(),
            sensitive: self.sensitive.clone(),
        }
    }

    /// The values of the sensitive columns, one vector per sensitive column.
    pub fn sensitive_columns(&self) -> Vec<&[String]> {
        self.sensitive
            .iter()
            .map(|name| match &self.column(name).expect("checked in with_sensitive").data {
                ColumnData::Categorical(v) => v.as_slice(),
                ColumnData::Numeric(_) => unreachable!("checked in with_sensitive"),
            })
            .collect()
    }

    /// Each row's group key.
    pub fn group_keys(&self) -> Vec<GroupKey> {
        let cols = self.sensitive_columns();
        (0..self.n_rows())
            .map(|r| GroupKey(cols.iter().map(|c| c[r].clone()).collect()))
            .collect()
    }

    /// Row counts and positive counts per group, in sorted group order.
    pub fn group_counts(&self) -> BTreeMap<GroupKey, (usize, usize)> {
        let mut out: BTreeMap<GroupKey, (usize, usize)> = BTreeMap::new();
        for (key, &y) in self.group_keys().into_iter().zip(&self.label) {
            let e = out.entry(key).or_default();
            e.0 += 1;
            e.1 += y as usize;
        }
        out
    }

    /// Fraction of rows with label 1 (`None` for an empty table).
    pub fn positive_rate(&self) -> Option<f64> {
        if self.label.is_empty() {
            return None;
        }
        Some(self.label.iter().map(|&y| y as f64).sum::<f64>() / self.label.len() as f64)
    }

    /// A new table with the given rows, in the given order.
    pub fn select_rows(&self, rows: &[usize]) -> Table {
        Table {
            columns: self
                .columns
                .iter()
                .map(|c| Column {
                    name: c.name.clone(),
                    data: c.data.select(rows),
                    decimals: c.decimals,
                })
                .collect(),
            label: rows.iter().map(|&r| self.label[r]).collect(),
            label_spec: self.label_spec.clone(),
            sensitive: self.sensitive.clone(),
        }
    }

    /// Writes the table as CSV with a header: the feature columns in order, then the label column
    /// with its original class text.
    pub fn write_csv<W: std::io::Write>(&self, writer: W) -> Result<()> {
        let mut w = csv::Writer::from_writer(writer);
        self.write_csv_records(&mut w, true)?;
        w.flush().map_err(|e| Error::io("<csv output>", e))?;
        Ok(())
    }

    /// Writes the rows (after the header when `header`) to an open CSV writer: tables written
    /// one after another with `header` only for the first make one CSV file.
    pub fn write_csv_records<W: std::io::Write>(&self, w: &mut csv::Writer<W>, header: bool) -> Result<()> {
        let map = |e: csv::Error| match e.into_kind() {
            csv::ErrorKind::Io(e) => Error::io("<csv output>", e),
            other => Error::Schema(format!("writing CSV: {other:?}")),
        };
        let mut names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
        names.push(&self.label_spec.name);
        if header {
            w.write_record(&names).map_err(map)?;
        }
        let mut record: Vec<String> = Vec::with_capacity(names.len());
        for r in 0..self.n_rows() {
            record.clear();
            record.extend(self.columns.iter().map(|c| c.data.cell_text(r, c.decimals)));
            record.push(if self.label[r] == 1 {
                self.label_spec.positive.clone()
            } else {
                self.label_spec.negative.clone()
            });
            w.write_record(&record).map_err(map)?;
        }
        Ok(())
    }

    /// Writes the table as CSV to a file path, atomically ([`crate::atomic::write_atomic`]): an
    /// interrupted write leaves the previous file, never a partial one.
    pub fn write_csv_path(&self, path: &std::path::Path) -> Result<()> {
        let mut bytes = Vec::new();
        self.write_csv(&mut bytes)?;
        crate::atomic::write_atomic(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> LabelSpec {
        LabelSpec {
            name: "y".into(),
            positive: "yes".into(),
            negative: "no".into(),
        }
    }

    #[test]
    fn intersectional_groups_are_tuples() {
        let t = Table::new(
            vec![
                Column::categorical("sex", vec!["F".into(), "M".into(), "F".into()]),
                Column::categorical("race", vec!["A".into(), "A".into(), "B".into()]),
                Column::numeric("age", vec![1.0, 2.0, 3.0]),
            ],
            vec![1, 0, 1],
            spec(),
            vec!["sex".into(), "race".into()],
        )
        .unwrap();
        let counts = t.group_counts();
        assert_eq!(counts.len(), 3);
        assert_eq!(counts[&GroupKey(vec!["F".into(), "A".into()])], (1, 1));
        assert_eq!(GroupKey(vec!["F".into(), "B".into()]).to_string(), "F, B");
    }

    #[test]
    fn numeric_sensitive_column_is_rejected() {
        let err = Table::new(
            vec![Column::numeric("age", vec![1.0])],
            vec![1],
            spec(),
            vec!["age".into()],
        )
        .unwrap_err();
        assert!(err.to_string().contains("numeric"), "{err}");
    }

    #[test]
    fn length_mismatch_is_an_error() {
        let err = Table::new(
            vec![Column::categorical("s", vec!["a".into()])],
            vec![1, 0],
            spec(),
            vec!["s".into()],
        )
        .unwrap_err();
        assert!(matches!(err, Error::LengthMismatch { expected: 2, got: 1, .. }));
    }
}

//! Columns of a CSV file picked by name and parsed with errors that name the file, line and
//! column: the input of `fairdistill audit` and `fairdistill quality`.

use std::path::Path;

use ndarray::Array2;

use crate::data::reader::{choices, infer_kind, read_delimited, MissingPolicy, RawRows, ReadOptions, NUMERIC_BY_MAJORITY};
use crate::data::table::{Column, ColumnData, ColumnKind};
use crate::error::{Error, Result};

/// A CSV file (with a header line) read as text, ready to hand out typed columns.
#[derive(Clone, Debug)]
pub struct CsvColumns {
    raw: RawRows,
}

impl CsvColumns {
    /// Reads a CSV file; an empty file or one with no data rows is an error.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// Parses CSV text; `source_name` is used in error messages.
    pub fn parse(bytes: &[u8], source_name: &str) -> Result<Self> {
        let raw = read_delimited(bytes, source_name, &ReadOptions::default())?;
        if raw.rows.is_empty() {
            return Err(Error::Empty { what: format!("{source_name} has no data rows") });
        }
        Ok(CsvColumns { raw })
    }

    pub fn n_rows(&self) -> usize {
        self.raw.rows.len()
    }

    pub fn header(&self) -> &[String] {
        &self.raw.header
    }

    /// The name of the file (as given to [`CsvColumns::parse`]).
    pub fn source_name(&self) -> &str {
        &self.raw.source_name
    }

    /// Applies a missing-value policy to the rows with an empty cell in one of the columns
    /// `names`: [`MissingPolicy::Fail`] stops at the first with an [`Error::MissingValue`] naming
    /// the file, line and column; [`MissingPolicy::Drop`] removes them. Returns how many rows were
    /// removed. [`MissingPolicy::Impute`] is refused: labels, predictions and groups cannot be
    /// imputed honestly.
    pub fn handle_empty_cells<S: AsRef<str>>(&mut self, names: &[S], policy: MissingPolicy) -> Result<usize> {
        let cols: Vec<(usize, &str)> = names
            .iter()
            .map(|n| Ok((self.raw.index(n.as_ref())?, n.as_ref())))
            .collect::<Result<_>>()?;
        let empty_at = |row: &[String]| cols.iter().find(|(i, _)| row[*i].is_empty()).map(|(_, n)| *n);
        match policy {
            MissingPolicy::Fail => {
                if let Some((line, column)) = self.raw.rows.iter().find_map(|(line, row)| empty_at(row).map(|c| (*line, c))) {
                    return Err(Error::MissingValue {
                        source_name: self.raw.source_name.clone(),
                        line,
                        column: column.to_string(),
                    });
                }
                Ok(0)
            }
            MissingPolicy::Drop => {
                let before = self.raw.rows.len();
                let kept: Vec<(u64, Vec<String>)> =
                    self.raw.rows.iter().filter(|(_, row)| empty_at(row).is_none()).cloned().collect();
                if kept.is_empty() {
                    return Err(Error::Empty {
                        what: format!(
                            "{}: every row has an empty cell in one of {}",
                            self.raw.source_name,
                            names.iter().map(|n| format!("`{}`", n.as_ref())).collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
                self.raw.rows = kept;
                Ok(before - self.raw.rows.len())
            }
            MissingPolicy::Impute => Err(Error::invalid(
                "missing",
                "impute",
                "labels, predictions and groups cannot be imputed; use fail or drop",
            )),
        }
    }

    fn cells<'a>(&'a self, name: &str) -> Result<impl Iterator<Item = (u64, &'a str)> + 'a> {
        let i = self.raw.index(name)?;
        Ok(self.raw.rows.iter().map(move |(line, row)| (*line, row[i].as_str())))
    }

    fn parse_err(&self, line: u64, message: String) -> Error {
        Error::Parse { source_name: self.raw.source_name.clone(), line, message }
    }

    /// The column as text.
    pub fn strings(&self, name: &str) -> Result<Vec<String>> {
        Ok(self.cells(name)?.map(|(_, v)| v.to_string()).collect())
    }

    /// The column as 0/1 labels (`0`, `1`, `0.0`, `1.0`, `false`, `true`); anything else (an
    /// empty cell included) is an error naming the line.
    pub fn binary(&self, name: &str) -> Result<Vec<u8>> {
        self.cells(name)?
            .map(|(line, v)| match v {
                "0" | "0.0" | "false" | "False" => Ok(0),
                "1" | "1.0" | "true" | "True" => Ok(1),
                "" => Err(self.parse_err(line, format!("column `{name}` is empty where a binary label (0 or 1) is expected"))),
                other => Err(self.parse_err(line, format!("column `{name}`: `{other}` is not a binary label (0 or 1)"))),
            })
            .collect()
    }

    /// The column as non-negative integer class labels.
    pub fn classes(&self, name: &str) -> Result<Vec<u32>> {
        self.cells(name)?
            .map(|(line, v)| {
                v.parse::<u32>()
                    .map_err(|_| self.parse_err(line, format!("column `{name}`: `{v}` is not a class label (0, 1, 2, ...)")))
            })
            .collect()
    }

    /// The column as whole non-negative numbers (row counts); anything else is an error naming
    /// the line.
    pub fn whole_numbers(&self, name: &str) -> Result<Vec<u64>> {
        self.cells(name)?
            .map(|(line, v)| {
                v.parse::<u64>()
                    .map_err(|_| self.parse_err(line, format!("column `{name}`: `{v}` is not a whole number of rows (0, 1, 2, ...)")))
            })
            .collect()
    }

    /// The column as finite numbers; a missing, non-numeric, NaN or infinite cell is an error
    /// naming the line.
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>> {
        self.numbers_of(name, false)
    }

    fn numbers_of(&self, name: &str, inferred: bool) -> Result<Vec<f64>> {
        let hint = if inferred { format!(" ({NUMERIC_BY_MAJORITY})") } else { String::new() };
        self.cells(name)?
            .map(|(line, v)| match v.parse::<f64>() {
                _ if v.is_empty() => Err(self.parse_err(line, format!("column `{name}` is empty where a number is expected"))),
                Ok(x) if x.is_finite() => Ok(x),
                Ok(_) => Err(self.parse_err(line, format!("column `{name}`: `{v}` is not a finite number"))),
                Err(_) => Err(self.parse_err(line, format!("column `{name}`: `{v}` is not a number{hint}"))),
            })
            .collect()
    }

    /// Typed columns: categorical when listed in `categorical`, else of the kind inferred from the
    /// values (numeric when more than half of them are numbers; the rule of `load_csv`). A numeric
    /// column must hold only finite numbers: the first cell that is not (a typo, `NaN`, `inf`) is
    /// an error naming the file, line and column. An empty cell is an error naming the line.
    pub fn typed_columns<S: AsRef<str>>(&self, names: &[S], categorical: &[String]) -> Result<Vec<Column>> {
        names
            .iter()
            .map(|n| {
                let n = n.as_ref();
                let kind = if categorical.iter().any(|c| c == n) {
                    ColumnKind::Categorical
                } else {
                    infer_kind(self.cells(n)?.map(|(_, v)| v).filter(|v| !v.is_empty()))
                };
                self.column(n, kind, None, true)
            })
            .collect()
    }

    /// The columns of `like` (by name), read with their kinds: numeric columns must hold finite
    /// numbers and categorical ones only categories that occur in `like`; anything else is an
    /// error naming the file, line and column (and the known categories). `like_name` names the
    /// source of `like` in that error.
    pub fn columns_like(&self, like: &[Column], like_name: &str) -> Result<Vec<Column>> {
        like.iter()
            .map(|c| match &c.data {
                ColumnData::Numeric(_) => self.column(&c.name, ColumnKind::Numeric, None, false),
                ColumnData::Categorical(v) => {
                    let levels: std::collections::BTreeSet<&str> = v.iter().map(String::as_str).collect();
                    self.column(&c.name, ColumnKind::Categorical, Some((&levels, like_name)), false)
                }
            })
            .collect()
    }

    /// One column of a given kind; an empty cell, a non-number in a numeric column, or (when
    /// `allowed` is given) a category outside it is an error naming the line. `inferred`: the kind
    /// was inferred, and the error on a non-number says how.
    fn column(
        &self,
        name: &str,
        kind: ColumnKind,
        allowed: Option<(&std::collections::BTreeSet<&str>, &str)>,
        inferred: bool,
    ) -> Result<Column> {
        if let Some((line, _)) = self.cells(name)?.find(|(_, v)| v.is_empty()) {
            return Err(self.parse_err(line, format!("column `{name}` is empty")));
        }
        match kind {
            ColumnKind::Numeric => Ok(Column::numeric(name, self.numbers_of(name, inferred)?)),
            ColumnKind::Categorical => {
                if let Some((levels, like_name)) = allowed {
                    if let Some((line, v)) = self.cells(name)?.find(|(_, v)| !levels.contains(v)) {
                        let known: Vec<&str> = levels.iter().copied().collect();
                        return Err(self.parse_err(
                            line,
                            format!("column `{name}`: unknown category `{v}` (not in {like_name}); known categories: {}", choices(&known)),
                        ));
                    }
                }
                Ok(Column::categorical(name, self.strings(name)?))
            }
        }
    }

    /// Several numeric columns as a row-major matrix.
    pub fn matrix<S: AsRef<str>>(&self, names: &[S]) -> Result<Array2<f64>> {
        if names.is_empty() {
            return Err(Error::Empty { what: "no feature columns named".into() });
        }
        let cols: Vec<Vec<f64>> = names.iter().map(|n| self.numbers(n.as_ref())).collect::<Result<_>>()?;
        let n = self.n_rows();
        Ok(Array2::from_shape_fn((n, cols.len()), |(i, j)| cols[j][i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_columns_with_line_numbers() {
        let c = CsvColumns::parse(b"y,p,s,x\n1,0,a,0.5\n0,1,b,2\n\n1,2,a,nan\n", "t.csv").unwrap();
        assert_eq!(c.binary("y").unwrap(), [1, 0, 1]);
        assert_eq!(c.strings("s").unwrap(), ["a", "b", "a"]);
        assert_eq!(
            c.binary("p").unwrap_err().to_string(),
            "t.csv: line 5: column `p`: `2` is not a binary label (0 or 1)"
        );
        assert_eq!(c.numbers("x").unwrap_err().to_string(), "t.csv: line 5: column `x`: `nan` is not a finite number");
        assert!(matches!(c.numbers("z"), Err(Error::ColumnMissing { .. })));
    }
}

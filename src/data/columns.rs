//! Columns of a CSV file picked by name and parsed with errors that name the file, line and
//! column: the input of `fairdistill audit` and `fairdistill quality`.

use std::path::Path;

use ndarray::Array2;

use crate::data::reader::{read_delimited, RawRows, ReadOptions};
use crate::data::table::Column;
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

    /// The column as 0/1 labels (`0`, `1`, `0.0`, `1.0`, `false`, `true`); anything else is an
    /// error naming the line.
    pub fn binary(&self, name: &str) -> Result<Vec<u8>> {
        self.cells(name)?
            .map(|(line, v)| match v {
                "0" | "0.0" | "false" | "False" => Ok(0),
                "1" | "1.0" | "true" | "True" => Ok(1),
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

    /// The column as finite numbers; a missing, non-numeric, NaN or infinite cell is an error
    /// naming the line.
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>> {
        self.cells(name)?
            .map(|(line, v)| match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                Ok(_) => Err(self.parse_err(line, format!("column `{name}`: `{v}` is not a finite number"))),
                Err(_) => Err(self.parse_err(line, format!("column `{name}`: `{v}` is not a number"))),
            })
            .collect()
    }

    /// Typed columns: numeric when every cell parses as a finite number (unless listed in
    /// `categorical`), else categorical. Empty cells are an error naming the line.
    pub fn typed_columns<S: AsRef<str>>(&self, names: &[S], categorical: &[String]) -> Result<Vec<Column>> {
        names
            .iter()
            .map(|n| {
                let n = n.as_ref();
                let text = self.strings(n)?;
                if let Some((i, _)) = text.iter().enumerate().find(|(_, v)| v.is_empty()) {
                    return Err(self.parse_err(self.raw.rows[i].0, format!("column `{n}` is empty")));
                }
                let numeric = !categorical.iter().any(|c| c == n)
                    && text.iter().all(|v| v.parse::<f64>().map_or(false, f64::is_finite));
                Ok(if numeric { Column::numeric(n, self.numbers(n)?) } else { Column::categorical(n, text) })
            })
            .collect()
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

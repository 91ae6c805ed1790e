//! Parquet and Arrow IPC files read column by column, one record batch at a time: the audit of
//! predictions stored in a warehouse's format reads only the columns it needs, and a file of
//! 10^8 rows never sits in memory at once (the parquet and arrow crates decode; this module only
//! picks the columns and turns their cells into labels, group names and numbers, with errors that
//! name the file, the row and the column). Behind the `columnar` feature (on by default); the
//! format by extension is known without it, so that a build without it can say so.

#[cfg(feature = "columnar")]
use std::fs::File;
use std::path::Path;
#[cfg(feature = "columnar")]
use std::path::PathBuf;
#[cfg(feature = "columnar")]
use std::sync::Arc;

#[cfg(feature = "columnar")]
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
#[cfg(feature = "columnar")]
use arrow_schema::{DataType, SchemaRef};

#[cfg(feature = "columnar")]
use crate::error::{Error, Result};

#[cfg(feature = "columnar")]
/// Rows per decoded batch (the unit of memory: about 16 bytes per row and column read).
pub const BATCH_ROWS: usize = 65_536;

/// The columnar formats, told apart by the file's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnarFormat {
    /// `.parquet`, `.pq`.
    Parquet,
    /// Arrow IPC file format (Feather v2): `.arrow`, `.feather`, `.ipc`.
    ArrowFile,
    /// Arrow IPC stream format: `.arrows`.
    ArrowStream,
}

impl ColumnarFormat {
    /// The format of `path` by its extension (case-insensitive); `None` for anything else (CSV).
    pub fn of(path: &Path) -> Option<ColumnarFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "parquet" | "pq" => Some(ColumnarFormat::Parquet),
            "arrow" | "feather" | "ipc" => Some(ColumnarFormat::ArrowFile),
            "arrows" => Some(ColumnarFormat::ArrowStream),
            _ => None,
        }
    }
}

#[cfg(feature = "columnar")]
/// One batch of the requested columns, in the order they were asked for.
pub struct ColumnBatch {
    /// Row number (0-based, in the file) of the batch's first row.
    pub first_row: u64,
    pub columns: Vec<ArrayRef>,
}

#[cfg(feature = "columnar")]
impl ColumnBatch {
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, |c| c.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(feature = "columnar")]
/// A Parquet or Arrow IPC file to read by columns.
#[derive(Clone, Debug)]
pub struct ColumnarFile {
    path: PathBuf,
    format: ColumnarFormat,
}

#[cfg(feature = "columnar")]
fn arrow_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Schema(format!("{}: not a readable {} file: {e}", path.display(), ColumnarFormat::of(path).map_or("columnar", |f| match f {
        ColumnarFormat::Parquet => "Parquet",
        ColumnarFormat::ArrowFile => "Arrow IPC",
        ColumnarFormat::ArrowStream => "Arrow IPC stream",
    })))
}

#[cfg(feature = "columnar")]
type BatchIter = Box<dyn Iterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>>>;

#[cfg(feature = "columnar")]
impl ColumnarFile {
    /// The file at `path`, its format by extension (an error for any other extension).
    pub fn open(path: &Path) -> Result<ColumnarFile> {
        let format = ColumnarFormat::of(path).ok_or_else(|| {
            Error::Schema(format!("{}: not a columnar file (expected .parquet, .pq, .arrow, .feather, .ipc or .arrows)", path.display()))
        })?;
        if !path.is_file() {
            return Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")));
        }
        Ok(ColumnarFile { path: path.to_path_buf(), format })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> ColumnarFormat {
        self.format
    }

    fn file(&self) -> Result<File> {
        File::open(&self.path).map_err(|e| Error::io(&self.path, e))
    }

    /// The file's schema (no data is read).
    pub fn schema(&self) -> Result<SchemaRef> {
        let (schema, _) = self.reader(None)?;
        Ok(schema)
    }

    /// The column names, in file order.
    pub fn column_names(&self) -> Result<Vec<String>> {
        Ok(self.schema()?.fields().iter().map(|f| f.name().clone()).collect())
    }

    /// The schema and the batches of the top-level columns `projection` (file indices; `None`:
    /// every column).
    fn reader(&self, projection: Option<Vec<usize>>) -> Result<(SchemaRef, BatchIter)> {
        let err = |e: &dyn std::fmt::Display| arrow_err(&self.path, e);
        match self.format {
            ColumnarFormat::Parquet => {
                use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
                use parquet::arrow::ProjectionMask;
                let builder = ParquetRecordBatchReaderBuilder::try_new(self.file()?).map_err(|e| err(&e))?;
                let schema = builder.schema().clone();
                let builder = match projection {
                    Some(p) => {
                        let mask = ProjectionMask::roots(builder.parquet_schema(), p);
                        builder.with_projection(mask)
                    }
                    None => builder,
                };
                let reader = builder.with_batch_size(BATCH_ROWS).build().map_err(|e| err(&e))?;
                Ok((schema, Box::new(reader)))
            }
            ColumnarFormat::ArrowFile => {
                let reader = arrow_ipc::reader::FileReader::try_new_buffered(self.file()?, projection).map_err(|e| err(&e))?;
                Ok((reader.schema(), Box::new(reader)))
            }
            ColumnarFormat::ArrowStream => {
                let reader = arrow_ipc::reader::StreamReader::try_new_buffered(self.file()?, projection).map_err(|e| err(&e))?;
                Ok((reader.schema(), Box::new(reader)))
            }
        }
    }

    /// Calls `visit` with every batch of the columns `names` (in that order); returns the number
    /// of rows read. A name the file lacks is an [`Error::ColumnMissing`] before any row is read.
    pub fn for_each_batch(&self, names: &[&str], visit: &mut dyn FnMut(&ColumnBatch) -> Result<()>) -> Result<u64> {
        let schema = self.schema()?;
        let mut indices = Vec::with_capacity(names.len());
        for n in names {
            let i = schema.index_of(n).map_err(|_| Error::ColumnMissing {
                source_name: self.path.display().to_string(),
                name: n.to_string(),
                available: schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", "),
            })?;
            indices.push(i);
        }
        let mut projection = indices.clone();
        projection.sort_unstable();
        projection.dedup();
        let (_, batches) = self.reader(Some(projection))?;
        let mut rows = 0u64;
        for batch in batches {
            let batch = batch.map_err(|e| arrow_err(&self.path, format!("at row {}: {e}", rows + 1)))?;
            let columns = names
                .iter()
                .map(|n| batch.column_by_name(n).cloned().ok_or_else(|| arrow_err(&self.path, format!("column `{n}` vanished from a batch"))))
                .collect::<Result<Vec<_>>>()?;
            let chunk = ColumnBatch { first_row: rows, columns };
            rows += chunk.len() as u64;
            visit(&chunk)?;
        }
        Ok(rows)
    }
}

#[cfg(feature = "columnar")]
/// Where a cell is: file, 1-based row, column; for error messages.
#[derive(Clone, Copy)]
pub struct CellSite<'a> {
    pub source_name: &'a str,
    pub column: &'a str,
    pub first_row: u64,
}

#[cfg(feature = "columnar")]
impl CellSite<'_> {
    /// An [`Error::Cell`] at row `i` of the batch (rows of the file counted from 1).
    pub fn error(&self, i: usize, message: String) -> Error {
        Error::Cell { source_name: self.source_name.to_string(), row: self.first_row + i as u64 + 1, column: self.column.to_string(), message }
    }
}

#[cfg(feature = "columnar")]
fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_text(v),
        _ => false,
    }
}

#[cfg(feature = "columnar")]
fn cast(array: &ArrayRef, to: &DataType, site: &CellSite) -> Result<ArrayRef> {
    arrow_cast::cast::cast(array, to).map_err(|e| Error::Schema(format!("{}: column `{}` ({}) cannot be read as {to}: {e}", site.source_name, site.column, array.data_type())))
}

#[cfg(feature = "columnar")]
/// The column as text (strings as they are; numbers and booleans printed; nulls `None`): group
/// names of a sensitive column.
pub fn text_column(array: &ArrayRef, site: &CellSite) -> Result<StringArray> {
    let utf8 = if array.data_type() == &DataType::Utf8 { array.clone() } else { cast(array, &DataType::Utf8, site)? };
    utf8.as_any().downcast_ref::<StringArray>().cloned().ok_or_else(|| Error::Schema(format!("{}: column `{}`: not text after casting", site.source_name, site.column)))
}

#[cfg(feature = "columnar")]
/// The column as binary labels: integers and floats must be exactly 0 or 1, booleans are 0/1,
/// text follows the CSV reader (`0`, `0.0`, `false`, `False`, `1`, ...); null cells are `None`.
pub fn binary_column(array: &ArrayRef, site: &CellSite) -> Result<Vec<Option<u8>>> {
    if is_text(array.data_type()) {
        return each_text(array, site, &|i, v| match v {
            "0" | "0.0" | "false" | "False" => Ok(0),
            "1" | "1.0" | "true" | "True" => Ok(1),
            other => Err(site.error(i, format!("`{other}` is not a binary label (0 or 1)"))),
        });
    }
    each_number(array, site, &|i, v| match v {
        v if v == 0.0 => Ok(0),
        v if v == 1.0 => Ok(1),
        v => Err(site.error(i, format!("`{v}` is not a binary label (0 or 1)"))),
    })
}

/// `parse` of every non-null cell of a text column (with its row in the batch).
#[cfg(feature = "columnar")]
fn each_text<T>(array: &ArrayRef, site: &CellSite, parse: &dyn Fn(usize, &str) -> Result<T>) -> Result<Vec<Option<T>>> {
    let text = text_column(array, site)?;
    (0..text.len()).map(|i| if text.is_null(i) { Ok(None) } else { parse(i, text.value(i)).map(Some) }).collect()
}

/// `check` of every non-null cell of a numeric or boolean column read as f64.
#[cfg(feature = "columnar")]
fn each_number<T>(array: &ArrayRef, site: &CellSite, check: &dyn Fn(usize, f64) -> Result<T>) -> Result<Vec<Option<T>>> {
    let numbers = cast(array, &DataType::Float64, site)?;
    let numbers = numbers.as_any().downcast_ref::<Float64Array>().ok_or_else(|| Error::Schema(format!("{}: column `{}`: not numeric", site.source_name, site.column)))?;
    (0..numbers.len()).map(|i| if numbers.is_null(i) { Ok(None) } else { check(i, numbers.value(i)).map(Some) }).collect()
}

#[cfg(feature = "columnar")]
/// The column as finite numbers (text parsed; NaN and infinities are errors); nulls `None`.
pub fn number_column(array: &ArrayRef, site: &CellSite) -> Result<Vec<Option<f64>>> {
    if is_text(array.data_type()) {
        return each_text(array, site, &|i, v| match v.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            Ok(_) => Err(site.error(i, format!("`{v}` is not a finite number"))),
            Err(_) => Err(site.error(i, format!("`{v}` is not a number"))),
        });
    }
    each_number(array, site, &|i, v| if v.is_finite() { Ok(v) } else { Err(site.error(i, format!("`{v}` is not a finite number"))) })
}

#[cfg(feature = "columnar")]
/// The column as whole non-negative numbers (row counts); nulls `None`.
pub fn whole_number_column(array: &ArrayRef, site: &CellSite) -> Result<Vec<Option<u64>>> {
    let t = array.data_type();
    if t.is_integer() {
        if matches!(t, DataType::UInt64) {
            let a = array.as_any().downcast_ref::<arrow_array::UInt64Array>().ok_or_else(|| Error::Schema("UInt64 column".into()))?;
            return Ok((0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i))).collect());
        }
        let ints = cast(array, &DataType::Int64, site)?;
        let ints = ints.as_any().downcast_ref::<Int64Array>().ok_or_else(|| Error::Schema("Int64 column".into()))?;
        return (0..ints.len())
            .map(|i| match ints.is_null(i) {
                true => Ok(None),
                false => u64::try_from(ints.value(i)).map(Some).map_err(|_| site.error(i, format!("`{}` is not a whole number of rows (0, 1, 2, ...)", ints.value(i)))),
            })
            .collect();
    }
    number_column(array, site)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            None => Ok(None),
            Some(x) if x >= 0.0 && x.fract() == 0.0 && x < 2f64.powi(63) => Ok(Some(x as u64)),
            Some(x) => Err(site.error(i, format!("`{x}` is not a whole number of rows (0, 1, 2, ...)"))),
        })
        .collect()
}

#[cfg(feature = "columnar")]
/// `batch` as the bytes of a Parquet file (Snappy-compressed).
pub fn parquet_bytes(batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let err = |e: parquet::errors::ParquetError| Error::Schema(format!("writing Parquet: {e}"));
    let props = parquet::file::properties::WriterProperties::builder().set_compression(parquet::basic::Compression::SNAPPY).build();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).map_err(err)?;
    w.write(batch).map_err(err)?;
    w.close().map_err(err)?;
    Ok(out)
}

#[cfg(feature = "columnar")]
/// A record batch of named columns (all of one length).
pub fn record_batch(columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch> {
    let fields: Vec<arrow_schema::Field> = columns.iter().map(|(n, a)| arrow_schema::Field::new(*n, a.data_type().clone(), a.null_count() > 0)).collect();
    let schema = Arc::new(arrow_schema::Schema::new(fields));
    RecordBatch::try_new(schema, columns.into_iter().map(|(_, a)| a).collect()).map_err(|e| Error::Schema(format!("building a record batch: {e}")))
}

#[cfg(all(test, feature = "columnar"))]
mod tests {
    use super::*;
    #[cfg(feature = "columnar")]
use arrow_array::{BooleanArray, Int32Array};

    fn site() -> CellSite<'static> {
        CellSite { source_name: "p.parquet", column: "y", first_row: 10 }
    }

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(ColumnarFormat::of(Path::new("a/b.PARQUET")), Some(ColumnarFormat::Parquet));
        assert_eq!(ColumnarFormat::of(Path::new("b.feather")), Some(ColumnarFormat::ArrowFile));
        assert_eq!(ColumnarFormat::of(Path::new("b.arrows")), Some(ColumnarFormat::ArrowStream));
        assert_eq!(ColumnarFormat::of(Path::new("b.csv")), None);
    }

    #[test]
    fn labels_are_read_strictly_and_errors_name_the_row() {
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![Some(0), Some(1), None]));
        assert_eq!(binary_column(&ints, &site()).unwrap(), vec![Some(0), Some(1), None]);
        let bools: ArrayRef = Arc::new(BooleanArray::from(vec![true, false]));
        assert_eq!(binary_column(&bools, &site()).unwrap(), vec![Some(1), Some(0)]);
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 0.5]));
        let err = binary_column(&floats, &site()).unwrap_err().to_string();
        assert!(err.contains("p.parquet") && err.contains("row 12") && err.contains("`y`") && err.contains("0.5"), "{err}");
        let text: ArrayRef = Arc::new(StringArray::from(vec!["True", "yes"]));
        let err = binary_column(&text, &site()).unwrap_err().to_string();
        assert!(err.contains("row 12") && err.contains("yes"), "{err}");
        let counts: ArrayRef = Arc::new(Int64Array::from(vec![3, -1]));
        assert!(whole_number_column(&counts, &site()).unwrap_err().to_string().contains("-1"));
    }

    #[test]
    fn parquet_round_trip_by_projection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let batch = record_batch(vec![
            ("a", Arc::new(StringArray::from(vec!["x", "y", "x"])) as ArrayRef),
            ("b", Arc::new(Int32Array::from(vec![1, 0, 1])) as ArrayRef),
        ])
        .unwrap();
        std::fs::write(&path, parquet_bytes(&batch).unwrap()).unwrap();
        let file = ColumnarFile::open(&path).unwrap();
        assert_eq!(file.column_names().unwrap(), vec!["a", "b"]);
        let mut seen = Vec::new();
        let rows = file
            .for_each_batch(&["b", "a"], &mut |c| {
                let s = CellSite { source_name: "t", column: "b", first_row: c.first_row };
                seen.extend(binary_column(&c.columns[0], &s)?);
                assert_eq!(text_column(&c.columns[1], &s)?.value(1), "y");
                Ok(())
            })
            .unwrap();
        assert_eq!((rows, seen), (3, vec![Some(1), Some(0), Some(1)]));
        let err = file.for_each_batch(&["c"], &mut |_| Ok(())).unwrap_err().to_string();
        assert!(err.contains("`c`") && err.contains("a, b"), "{err}");
    }
}

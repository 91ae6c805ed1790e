//! Counts in, metrics out. Every count-based metric of the audit (group rates, differences and
//! ratios, the (label, group) cells) depends on the rows only through the number of rows per
//! (group, y_true, y_pred). A [`CountsTable`] holds those numbers: made from rows
//! ([`FairnessAudit::counts`](crate::audit::FairnessAudit::counts)), or computed where the data
//! lives by any SQL engine and read from CSV:
//!
//! ```sql
//! SELECT sex, race, y_true, y_pred, COUNT(*) AS count
//! FROM predictions GROUP BY sex, race, y_true, y_pred;
//! ```
//!
//! Counts files are CSV or Parquet / Arrow IPC by extension ([`CountsTable::read`],
//! [`CountsTable::write`]); tables of several shards add up ([`CountsTable::merge`]). A Parquet or
//! Arrow file of rows streams into counts in bounded memory ([`CountsTable::count_columnar`]).
//!
//! [`CountsTable::audit`] gives the same report as the audit of the rows (the same group order,
//! the same floating-point operations on the same integers), without bootstrap intervals,
//! individual measures or ROC curves, which need the rows themselves.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
#[cfg(feature = "columnar")]
use std::sync::Arc;

#[cfg(feature = "columnar")]
use arrow_array::{ArrayRef, StringArray, UInt64Array, UInt8Array};

use serde::{Deserialize, Serialize};

use crate::audit::frame::{summarise, AuditReport};
use crate::audit::groups::{Confusion, GroupKey};
use crate::audit::params::AuditParams;
#[cfg(feature = "columnar")]
use crate::data::columnar::{binary_column, record_batch, text_column, whole_number_column, CellSite, ColumnarFile};
use crate::data::columnar::ColumnarFormat;
use crate::data::CsvColumns;
#[cfg(feature = "columnar")]
use crate::data::MissingPolicy;
use crate::error::{Error, Result};

/// One line of a counts table: a group's values in the sensitive columns, a (y_true, y_pred)
/// pair and how many rows have them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountRow {
    pub group: Vec<String>,
    pub y_true: u8,
    pub y_pred: u8,
    pub count: u64,
}

/// Rows per (group, y_true, y_pred): the sensitive columns' names and one [`CountRow`] per
/// combination (a combination may appear on several lines: they add up).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountsTable {
    pub sensitive: Vec<String>,
    pub rows: Vec<CountRow>,
}

/// Column names of the label, prediction and count columns of a counts file.
pub const COUNTS_COLUMNS: [&str; 3] = ["y_true", "y_pred", "count"];

impl CountsTable {
    /// The table from confusion counts per group (`keys[i]` and `counts[i]` belong together);
    /// combinations with no row are left out.
    pub(crate) fn from_confusion(sensitive: Vec<String>, keys: &[GroupKey], counts: &[Confusion]) -> CountsTable {
        let mut rows = Vec::new();
        for (key, c) in keys.iter().zip(counts) {
            for (y_true, y_pred, count) in [(0, 0, c.tn), (0, 1, c.fp), (1, 0, c.fn_), (1, 1, c.tp)] {
                if count > 0 {
                    rows.push(CountRow { group: key.0.clone(), y_true, y_pred, count });
                }
            }
        }
        CountsTable { sensitive, rows }
    }

    /// Reads a counts CSV: a header line naming the sensitive columns, then `y_true`, `y_pred`
    /// and `count` (in any order); `sensitive` picks the sensitive columns to group by (empty:
    /// every column but those three), so a table counted by sex and race also audits by sex
    /// alone. Errors name the file and line.
    pub fn read_csv(path: &Path, sensitive: &[String]) -> Result<CountsTable> {
        let csv = CsvColumns::read(path)?;
        Self::from_columns(&csv, sensitive)
    }

    /// [`CountsTable::read_csv`] of CSV text (`source_name` in error messages).
    pub fn parse_csv(bytes: &[u8], source_name: &str, sensitive: &[String]) -> Result<CountsTable> {
        Self::from_columns(&CsvColumns::parse(bytes, source_name)?, sensitive)
    }

    fn from_columns(csv: &CsvColumns, sensitive: &[String]) -> Result<CountsTable> {
        for c in COUNTS_COLUMNS {
            if !csv.header().iter().any(|h| h == c) {
                return Err(Error::Schema(format!(
                    "{}: a counts table needs the columns {} after the sensitive ones (header: {})",
                    csv.source_name(),
                    COUNTS_COLUMNS.join(", "),
                    csv.header().join(", ")
                )));
            }
        }
        let names: Vec<String> = if sensitive.is_empty() {
            csv.header().iter().filter(|h| !COUNTS_COLUMNS.contains(&h.as_str())).cloned().collect()
        } else {
            sensitive.to_vec()
        };
        if names.is_empty() {
            return Err(Error::Schema(format!("{}: no sensitive column before {}", csv.source_name(), COUNTS_COLUMNS.join(", "))));
        }
        let y_true = csv.binary("y_true")?;
        let y_pred = csv.binary("y_pred")?;
        let count = csv.whole_numbers("count")?;
        let columns: Vec<Vec<String>> = names.iter().map(|n| csv.strings(n)).collect::<Result<_>>()?;
        let rows = (0..y_true.len())
            .map(|i| CountRow { group: columns.iter().map(|c| c[i].clone()).collect(), y_true: y_true[i], y_pred: y_pred[i], count: count[i] })
            .collect();
        Ok(CountsTable { sensitive: names, rows })
    }

    /// Reads a counts table from CSV, Parquet or Arrow IPC (by the file's extension); `sensitive`
    /// as in [`CountsTable::read_csv`].
    pub fn read(path: &Path, sensitive: &[String]) -> Result<CountsTable> {
        if ColumnarFormat::of(path).is_none() {
            return Self::read_csv(path, sensitive);
        }
        Self::read_columnar(path, sensitive)
    }

    #[cfg(not(feature = "columnar"))]
    fn read_columnar(path: &Path, _sensitive: &[String]) -> Result<CountsTable> {
        Err(no_columnar(path))
    }

    #[cfg(feature = "columnar")]
    fn read_columnar(path: &Path, sensitive: &[String]) -> Result<CountsTable> {
        let file = ColumnarFile::open(path)?;
        let names: Vec<String> = if sensitive.is_empty() {
            file.column_names()?.into_iter().filter(|h| !COUNTS_COLUMNS.contains(&h.as_str())).collect()
        } else {
            sensitive.to_vec()
        };
        if names.is_empty() {
            return Err(Error::Schema(format!("{}: no sensitive column before {}", path.display(), COUNTS_COLUMNS.join(", "))));
        }
        let source = path.display().to_string();
        let wanted: Vec<&str> = names.iter().map(String::as_str).chain(COUNTS_COLUMNS).collect();
        let mut builder = CountsBuilder::new(names.clone());
        let k = names.len();
        file.for_each_batch(&wanted, &mut |batch| {
            let site = |c: usize| CellSite { source_name: &source, column: wanted[c], first_row: batch.first_row };
            let groups: Vec<StringArray> = (0..k).map(|c| text_column(&batch.columns[c], &site(c))).collect::<Result<_>>()?;
            let y_true = binary_column(&batch.columns[k], &site(k))?;
            let y_pred = binary_column(&batch.columns[k + 1], &site(k + 1))?;
            let count = whole_number_column(&batch.columns[k + 2], &site(k + 2))?;
            let mut group: Vec<&str> = vec![""; k];
            for i in 0..batch.len() {
                for (c, g) in groups.iter().enumerate() {
                    group[c] = cell_text(g, i).ok_or_else(|| site(c).error(i, "is empty in a counts table".into()))?;
                }
                let null = |c: usize| site(c).error(i, "is empty in a counts table".into());
                builder.add(&group, y_true[i].ok_or_else(|| null(k))?, y_pred[i].ok_or_else(|| null(k + 1))?, count[i].ok_or_else(|| null(k + 2))?)?;
            }
            Ok(())
        })?;
        Ok(builder.finish())
    }

#[cfg(feature = "columnar")]
    /// Counts the rows of a Parquet or Arrow IPC file per (group, `y_true`, `y_pred`), one
    /// record batch at a time: memory grows with the number of groups, not of rows. A row with
    /// a null in one of the columns read stops with an error naming the row under
    /// [`MissingPolicy::Fail`] and is left out under [`MissingPolicy::Drop`] (counted in
    /// [`RowsRead::dropped`]); [`MissingPolicy::Impute`] is refused.
    pub fn count_columnar(file: &ColumnarFile, y_true: &str, y_pred: &str, sensitive: &[String], missing: MissingPolicy) -> Result<(CountsTable, RowsRead)> {
        if missing == MissingPolicy::Impute {
            return Err(Error::invalid("missing", "impute", "labels, predictions and groups cannot be imputed honestly; use fail or drop"));
        }
        if sensitive.is_empty() {
            return Err(Error::invalid("sensitive", "(none)", "name at least one sensitive column"));
        }
        let source = file.path().display().to_string();
        let wanted: Vec<&str> = sensitive.iter().map(String::as_str).chain([y_true, y_pred]).collect();
        let k = sensitive.len();
        let mut builder = CountsBuilder::new(sensitive.to_vec());
        let mut dropped = 0u64;
        let read = file.for_each_batch(&wanted, &mut |batch| {
            let site = |c: usize| CellSite { source_name: &source, column: wanted[c], first_row: batch.first_row };
            let groups: Vec<StringArray> = (0..k).map(|c| text_column(&batch.columns[c], &site(c))).collect::<Result<_>>()?;
            let truth = binary_column(&batch.columns[k], &site(k))?;
            let pred = binary_column(&batch.columns[k + 1], &site(k + 1))?;
            let mut group: Vec<&str> = vec![""; k];
            'rows: for i in 0..batch.len() {
                for (c, g) in groups.iter().enumerate() {
                    match cell_text(g, i) {
                        Some(v) => group[c] = v,
                        None if missing == MissingPolicy::Drop => {
                            dropped += 1;
                            continue 'rows;
                        }
                        None => return Err(site(c).error(i, "is empty and the missing-value policy is `fail`".into())),
                    }
                }
                match (truth[i], pred[i]) {
                    (Some(t), Some(p)) => builder.add(&group, t, p, 1)?,
                    _ if missing == MissingPolicy::Drop => dropped += 1,
                    (None, _) => return Err(site(k).error(i, "is empty and the missing-value policy is `fail`".into())),
                    _ => return Err(site(k + 1).error(i, "is empty and the missing-value policy is `fail`".into())),
                }
            }
            Ok(())
        })?;
        if read == 0 {
            return Err(Error::Empty { what: format!("{source} has no data rows") });
        }
        Ok((builder.finish(), RowsRead { read, dropped }))
    }

    /// The tables of several shards added up: every table must count the same sensitive columns
    /// (in any order; the first table's order is kept).
    pub fn merge(tables: Vec<CountsTable>) -> Result<CountsTable> {
        let mut tables = tables.into_iter();
        let first = tables.next().ok_or_else(|| Error::Empty { what: "no counts table to merge".into() })?;
        let mut builder = CountsBuilder::new(first.sensitive.clone());
        let mut add = |t: &CountsTable, order: &[usize]| -> Result<()> {
            let mut group: Vec<&str> = vec![""; order.len()];
            for r in &t.rows {
                if r.group.len() != t.sensitive.len() {
                    return Err(Error::LengthMismatch { what: "group values against sensitive columns".into(), expected: t.sensitive.len(), got: r.group.len() });
                }
                for (c, &j) in order.iter().enumerate() {
                    group[c] = &r.group[j];
                }
                builder.add(&group, r.y_true, r.y_pred, r.count)?;
            }
            Ok(())
        };
        add(&first, &(0..first.sensitive.len()).collect::<Vec<_>>())?;
        for t in tables {
            let mut a = t.sensitive.clone();
            let mut b = first.sensitive.clone();
            a.sort();
            b.sort();
            if a != b {
                return Err(Error::Schema(format!(
                    "counts tables to merge count different sensitive columns: {} against {}",
                    first.sensitive.join(", "),
                    t.sensitive.join(", ")
                )));
            }
            let order: Vec<usize> = first.sensitive.iter().map(|n| t.sensitive.iter().position(|m| m == n).unwrap_or(0)).collect();
            add(&t, &order)?;
        }
        Ok(builder.finish())
    }

    /// Writes the table to `path` atomically: Parquet (`.parquet`, `.pq`) or Arrow IPC
    /// (`.arrow`, `.feather`, `.ipc`) by extension, CSV otherwise.
    pub fn write(&self, path: &Path) -> Result<()> {
        let to_io = |e: Error| std::io::Error::other(e.to_string());
        match ColumnarFormat::of(path) {
            None => crate::atomic::write_atomic_with(path, &mut |w| self.write_csv(w).map_err(to_io)),
            #[cfg(not(feature = "columnar"))]
            Some(_) => Err(no_columnar(path)),
            #[cfg(feature = "columnar")]
            Some(ColumnarFormat::Parquet) => crate::atomic::write_atomic(path, &crate::data::columnar::parquet_bytes(&self.record_batch()?)?),
            #[cfg(feature = "columnar")]
            Some(format) => {
                let batch = self.record_batch()?;
                let err = |e: arrow_schema::ArrowError| std::io::Error::other(format!("writing Arrow IPC: {e}"));
                crate::atomic::write_atomic_with(path, &mut |w| {
                    if format == ColumnarFormat::ArrowStream {
                        let mut ipc = arrow_ipc::writer::StreamWriter::try_new(w, &batch.schema()).map_err(err)?;
                        ipc.write(&batch).map_err(err)?;
                        ipc.finish().map_err(err)
                    } else {
                        let mut ipc = arrow_ipc::writer::FileWriter::try_new(w, &batch.schema()).map_err(err)?;
                        ipc.write(&batch).map_err(err)?;
                        ipc.finish().map_err(err)
                    }
                })
            }
        }
    }

#[cfg(feature = "columnar")]
    /// The table as one Arrow record batch: the sensitive columns as text, `y_true` and
    /// `y_pred` as UInt8, `count` as UInt64.
    pub fn record_batch(&self) -> Result<arrow_array::RecordBatch> {
        let mut columns: Vec<(&str, ArrayRef)> = self
            .sensitive
            .iter()
            .enumerate()
            .map(|(c, n)| (n.as_str(), Arc::new(StringArray::from_iter_values(self.rows.iter().map(|r| r.group[c].as_str()))) as ArrayRef))
            .collect();
        columns.push(("y_true", Arc::new(UInt8Array::from_iter_values(self.rows.iter().map(|r| r.y_true)))));
        columns.push(("y_pred", Arc::new(UInt8Array::from_iter_values(self.rows.iter().map(|r| r.y_pred)))));
        columns.push(("count", Arc::new(UInt64Array::from_iter_values(self.rows.iter().map(|r| r.count)))));
        record_batch(columns)
    }

    /// Writes the table as CSV: the sensitive columns, `y_true`, `y_pred`, `count`.
    pub fn write_csv<W: Write>(&self, out: W) -> Result<()> {
        let io = |e: csv::Error| Error::Schema(format!("writing the counts table: {e}"));
        let mut w = csv::Writer::from_writer(out);
        w.write_record(self.sensitive.iter().map(String::as_str).chain(COUNTS_COLUMNS)).map_err(io)?;
        for r in &self.rows {
            let numbers = [r.y_true.to_string(), r.y_pred.to_string(), r.count.to_string()];
            w.write_record(r.group.iter().map(String::as_str).chain(numbers.iter().map(String::as_str))).map_err(io)?;
        }
        w.flush().map_err(|e| Error::Schema(format!("writing the counts table: {e}")))?;
        Ok(())
    }

    /// The audit of these counts: every count-based metric, exactly as the audit of the rows
    /// they count. Bootstrap intervals need the rows, so `params.n_boot` must be 0; so do
    /// individual fairness and ROC curves, which this report leaves out.
    pub fn audit(&self, params: &AuditParams) -> Result<AuditReport> {
        params.check()?;
        if params.n_boot > 0 {
            return Err(Error::invalid(
                "n_boot",
                params.n_boot,
                "bootstrap intervals resample rows, and a counts table has none; use 0 (or audit the rows)",
            ));
        }
        let mut by_group: BTreeMap<GroupKey, Confusion> = BTreeMap::new();
        for r in &self.rows {
            if r.group.len() != self.sensitive.len() {
                return Err(Error::LengthMismatch { what: "group values against sensitive columns".into(), expected: self.sensitive.len(), got: r.group.len() });
            }
            let c = by_group.entry(GroupKey(r.group.clone())).or_default();
            match (r.y_true, r.y_pred) {
                (0, 0) => c.tn += r.count,
                (0, 1) => c.fp += r.count,
                (1, 0) => c.fn_ += r.count,
                (1, 1) => c.tp += r.count,
                (y, p) => return Err(Error::NotBinary { what: "y_true / y_pred of a count".into(), index: 0, value: format!("{y} / {p}") }),
            }
        }
        by_group.retain(|_, c| c.n() > 0);
        if by_group.is_empty() {
            return Err(Error::Empty { what: "the counts add up to no row".into() });
        }
        if by_group.len() < 2 {
            let only = by_group.keys().next().map(|k| k.to_string()).unwrap_or_default();
            return Err(Error::invalid("sensitive", self.sensitive.join(", "), format!("has a single group ({only}); fairness compares at least two")));
        }
        // BTreeMap order is the sorted tuple order of the row audit's groups.
        let (keys, counts): (Vec<GroupKey>, Vec<Confusion>) = by_group.into_iter().unzip();
        let mut report = summarise(&keys, &counts, params);
        report.sensitive = self.sensitive.clone();
        Ok(report)
    }
}

/// Rows read from a file and rows left out for a missing cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RowsRead {
    pub read: u64,
    pub dropped: u64,
}

/// The error of a Parquet or Arrow path in a build without the `columnar` feature.
#[cfg(not(feature = "columnar"))]
fn no_columnar(path: &Path) -> Error {
    Error::Schema(format!("{}: Parquet and Arrow files need the `columnar` feature (on by default); this build was made without it", path.display()))
}

#[cfg(feature = "columnar")]
/// A non-null text cell.
fn cell_text(a: &StringArray, i: usize) -> Option<&str> {
    use arrow_array::Array;
    (!a.is_null(i)).then(|| a.value(i))
}

/// Adds rows up per (group, y_true, y_pred) as they stream by: each column's values are
/// interned once, a group is its vector of value ids, and a row costs one hash lookup per
/// column and one per group, with no allocation once its group has been seen.
pub struct CountsBuilder {
    sensitive: Vec<String>,
    ids: Vec<HashMap<String, u32>>,
    values: Vec<Vec<String>>,
    groups: HashMap<Vec<u32>, usize>,
    cells: Vec<(Vec<u32>, [u64; 4])>,
    key: Vec<u32>,
}

impl CountsBuilder {
    pub fn new(sensitive: Vec<String>) -> CountsBuilder {
        let k = sensitive.len();
        CountsBuilder { sensitive, ids: vec![HashMap::new(); k], values: vec![Vec::new(); k], groups: HashMap::new(), cells: Vec::new(), key: Vec::with_capacity(k) }
    }

    /// Adds `count` rows of the group `group` (one value per sensitive column) with labels
    /// `y_true` and `y_pred` (0 or 1; anything else is an error, as is a group of the wrong
    /// length).
    pub fn add(&mut self, group: &[&str], y_true: u8, y_pred: u8, count: u64) -> Result<()> {
        if group.len() != self.sensitive.len() {
            return Err(Error::LengthMismatch { what: "group values against sensitive columns".into(), expected: self.sensitive.len(), got: group.len() });
        }
        if y_true > 1 || y_pred > 1 {
            return Err(Error::NotBinary { what: "y_true / y_pred of a count".into(), index: 0, value: format!("{y_true} / {y_pred}") });
        }
        self.key.clear();
        for (c, v) in group.iter().enumerate() {
            let id = match self.ids[c].get(*v) {
                Some(&id) => id,
                None => {
                    let id = self.values[c].len() as u32;
                    self.ids[c].insert((*v).to_string(), id);
                    self.values[c].push((*v).to_string());
                    id
                }
            };
            self.key.push(id);
        }
        let at = match self.groups.get(self.key.as_slice()) {
            Some(&at) => at,
            None => {
                self.cells.push((self.key.clone(), [0; 4]));
                self.groups.insert(self.key.clone(), self.cells.len() - 1);
                self.cells.len() - 1
            }
        };
        self.cells[at].1[usize::from(y_true) * 2 + usize::from(y_pred)] += count;
        Ok(())
    }

    /// The table, groups in sorted order of their values (the row audit's order), zero
    /// combinations left out.
    pub fn finish(self) -> CountsTable {
        let mut groups: Vec<(Vec<String>, [u64; 4])> = self
            .cells
            .into_iter()
            .map(|(key, c)| (key.iter().enumerate().map(|(col, &id)| self.values[col][id as usize].clone()).collect(), c))
            .collect();
        groups.sort();
        let mut rows = Vec::new();
        for (group, c) in groups {
            for (j, count) in c.into_iter().enumerate() {
                if count > 0 {
                    rows.push(CountRow { group: group.clone(), y_true: (j / 2) as u8, y_pred: (j % 2) as u8, count });
                }
            }
        }
        CountsTable { sensitive: self.sensitive, rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::FairnessAudit;

    fn rows() -> (Vec<u8>, Vec<u8>, Vec<String>, Vec<String>) {
        let n = 500;
        let y: Vec<u8> = (0..n).map(|i| ((i * 7) % 3 == 0) as u8).collect();
        let p: Vec<u8> = (0..n).map(|i| ((i * 11) % 4 < 2) as u8).collect();
        let sex: Vec<String> = (0..n).map(|i| ["Male", "Female"][i % 2].to_string()).collect();
        let race: Vec<String> = (0..n).map(|i| ["White", "Black", "Other"][(i / 2) % 3].to_string()).collect();
        (y, p, sex, race)
    }

    #[test]
    fn the_audit_of_counts_equals_the_audit_of_rows() {
        let (y, p, sex, race) = rows();
        let params = AuditParams::default().n_boot(0);
        let direct = FairnessAudit::new(&y, &p).sensitive("sex", &sex).sensitive("race", &race).params(params.clone());
        let counts = direct.counts().unwrap();
        assert_eq!(counts.rows.iter().map(|r| r.count).sum::<u64>(), 500);
        let from_counts = counts.audit(&params).unwrap();
        assert_eq!(from_counts, direct.run().unwrap(), "bit for bit");

        // Through CSV, and marginalised to one column.
        let mut text = Vec::new();
        counts.write_csv(&mut text).unwrap();
        assert!(String::from_utf8_lossy(&text).starts_with("sex,race,y_true,y_pred,count\n"));
        let by_sex = CountsTable::parse_csv(&text, "counts.csv", &["sex".to_string()]).unwrap().audit(&params).unwrap();
        let direct_sex = FairnessAudit::new(&y, &p).sensitive("sex", &sex).params(params.clone()).run().unwrap();
        assert_eq!(by_sex, direct_sex);
    }

    #[test]
    fn counts_refuse_what_needs_rows_and_bad_files_name_the_line() {
        let (y, p, sex, _) = rows();
        let counts = FairnessAudit::new(&y, &p).sensitive("sex", &sex).counts().unwrap();
        let err = counts.audit(&AuditParams::default().n_boot(200)).unwrap_err().to_string();
        assert!(err.contains("bootstrap") && err.contains("rows"), "{err}");
        let err = CountsTable::parse_csv(b"sex,y_true,y_pred,count\nF,1,0,3\nM,1,1,-2\n", "c.csv", &[]).unwrap_err().to_string();
        assert!(err.contains("c.csv") && err.contains("line 3") && err.contains("count"), "{err}");
        let err = CountsTable::parse_csv(b"sex,y_true,count\nF,1,3\n", "c.csv", &[]).unwrap_err().to_string();
        assert!(err.contains("y_pred"), "{err}");
        let err = CountsTable::parse_csv(b"sex,y_true,y_pred,count\nF,1,0,3\nF,0,0,2\n", "c.csv", &[]).unwrap().audit(&AuditParams::default().n_boot(0)).unwrap_err().to_string();
        assert!(err.contains("single group"), "{err}");
        // A table built by hand with a bad label or a short group is refused, not clamped.
        let mut b = CountsBuilder::new(vec!["sex".into()]);
        assert!(b.add(&["F"], 2, 0, 1).unwrap_err().to_string().contains("2 / 0"));
        assert!(b.add(&["F", "x"], 1, 0, 1).is_err());
        let short = CountsTable { sensitive: vec!["sex".into(), "race".into()], rows: vec![CountRow { group: vec!["F".into()], y_true: 1, y_pred: 0, count: 1 }] };
        assert!(CountsTable::merge(vec![short]).is_err());
    }
}

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
//! [`CountsTable::audit`] gives the same report as the audit of the rows (the same group order,
//! the same floating-point operations on the same integers), without bootstrap intervals,
//! individual measures or ROC curves, which need the rows themselves.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::audit::frame::{summarise, AuditReport};
use crate::audit::groups::{Confusion, GroupKey};
use crate::audit::params::AuditParams;
use crate::data::CsvColumns;
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
    }
}

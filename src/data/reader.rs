//! Reading delimited text into raw string rows (with their line numbers), and typing raw rows into
//! a [`Table`] under a [`MissingPolicy`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::table::{Column, ColumnKind, LabelSpec, Table};
use crate::error::{Error, Result};

/// What to do with a row that has a missing value in a feature or the label.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// Drop the row (the default); the count per column is reported.
    #[default]
    Drop,
    /// Stop with an error naming the line and column.
    Fail,
    /// Replace by the column's most frequent category or the numeric mean. Rows with a missing
    /// label or sensitive value are still dropped: those cannot be imputed honestly.
    Impute,
}

impl std::str::FromStr for MissingPolicy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "drop" => Ok(MissingPolicy::Drop),
            "fail" => Ok(MissingPolicy::Fail),
            "impute" => Ok(MissingPolicy::Impute),
            other => Err(Error::invalid("missing", other, "expected drop, fail or impute")),
        }
    }
}

/// How many rows were read and what the missing-value policy did to them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingReport {
    pub rows_read: usize,
    pub rows_dropped: usize,
    pub cells_imputed: usize,
    /// Missing cells per column (counted before the policy acts).
    pub missing_by_column: BTreeMap<String, usize>,
}

impl MissingReport {
    pub(crate) fn merge(&mut self, other: &MissingReport) {
        self.rows_read += other.rows_read;
        self.rows_dropped += other.rows_dropped;
        self.cells_imputed += other.cells_imputed;
        for (k, v) in &other.missing_by_column {
            *self.missing_by_column.entry(k.clone()).or_default() += v;
        }
    }
}

/// Raw rows of a delimited file: a header and string fields, each row with its 1-based line.
#[derive(Clone, Debug)]
pub(crate) struct RawRows {
    pub source_name: String,
    pub header: Vec<String>,
    pub rows: Vec<(u64, Vec<String>)>,
}

/// Options of [`read_delimited`].
#[derive(Clone, Debug)]
pub(crate) struct ReadOptions {
    pub delimiter: u8,
    /// Column names when the file has no header line.
    pub names: Option<Vec<String>>,
    /// Lines starting with this byte are skipped (Adult's `|1x3 Cross validator`).
    pub comment: Option<u8>,
    /// Trim spaces around fields (Adult's `, ` separator).
    pub trim: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            delimiter: b',',
            names: None,
            comment: None,
            trim: true,
        }
    }
}

/// Reads delimited text with a real CSV parser (quoted fields, CRLF, blank lines skipped). A row
/// with the wrong count of fields is an error naming its line.
pub(crate) fn read_delimited(bytes: &[u8], source_name: &str, opts: &ReadOptions) -> Result<RawRows> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(opts.delimiter)
        .has_headers(false)
        .flexible(true)
        .comment(opts.comment)
        .trim(if opts.trim { csv::Trim::All } else { csv::Trim::None })
        .from_reader(bytes);
    let parse_err = |line: u64, message: String| Error::Parse {
        source_name: source_name.to_string(),
        line,
        message,
    };
    let mut records = reader.records();
    let header = match &opts.names {
        Some(names) => names.clone(),
        None => match records.next() {
            Some(Ok(rec)) => rec.iter().map(str::to_string).collect(),
            Some(Err(e)) => return Err(parse_err(csv_line(&e), e.to_string())),
            None => {
                return Err(Error::Empty {
                    what: format!("{source_name} has no header line"),
                })
            }
        },
    };
    // The csv crate does not count blank lines in its line numbers: count them from byte offsets.
    let mut lines = LineCounter::new(bytes, opts.comment);
    let mut rows = Vec::new();
    for rec in records {
        let rec = rec.map_err(|e| parse_err(e.position().map_or(0, |p| lines.line_at(p.byte())), e.to_string()))?;
        let line = rec.position().map_or(0, |p| lines.line_at(p.byte()));
        if rec.len() == 1 && rec.get(0) == Some("") {
            continue; // a line holding only spaces
        }
        if rec.len() != header.len() {
            return Err(parse_err(
                line,
                format!("expected {} fields, found {}", header.len(), rec.len()),
            ));
        }
        rows.push((line, rec.iter().map(str::to_string).collect()));
    }
    Ok(RawRows {
        source_name: source_name.to_string(),
        header,
        rows,
    })
}

fn csv_line(e: &csv::Error) -> u64 {
    e.position().map(|p| p.line()).unwrap_or(0)
}

/// 1-based line of the record the csv parser reports at a byte offset, for offsets asked in
/// increasing order. The parser reports where it started scanning, which can lie before blank
/// lines, the `\n` of a CRLF, or comment lines: those are skipped first.
struct LineCounter<'a> {
    bytes: &'a [u8],
    comment: Option<u8>,
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8], comment: Option<u8>) -> Self {
        LineCounter {
            bytes,
            comment,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, byte: u64) -> u64 {
        let b = self.bytes;
        let mut target = (byte as usize).min(b.len());
        loop {
            while target < b.len() && (b[target] == b'\r' || b[target] == b'\n') {
                target += 1;
            }
            let at_line_start = target == 0 || b[target - 1] == b'\n';
            match self.comment {
                Some(c) if at_line_start && target < b.len() && b[target] == c => {
                    while target < b.len() && b[target] != b'\n' {
                        target += 1;
                    }
                }
                _ => break,
            }
        }
        if target < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        self.line += b[self.offset..target].iter().filter(|&&c| c == b'\n').count() as u64;
        self.offset = target;
        self.line
    }
}

impl RawRows {
    /// Index of the first column called `name`.
    pub fn index(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::ColumnMissing {
                source_name: self.source_name.clone(),
                name: name.to_string(),
                available: self.header.join(", "),
            })
    }

    /// Appends a column computed from each row.
    pub fn derive(&mut self, name: &str, f: impl Fn(&[String]) -> String) {
        self.header.push(name.to_string());
        for (_, row) in &mut self.rows {
            let v = f(row);
            row.push(v);
        }
    }
}

/// How to turn raw rows into a [`Table`].
#[derive(Clone, Debug)]
pub(crate) struct TableSpec {
    /// Feature columns and their kind; `None` infers numeric when every present value parses.
    pub features: Vec<(String, Option<ColumnKind>)>,
    pub label: String,
    /// Text of the positive class after `label_trim`; `None` accepts exactly two distinct values
    /// and takes `1` (or the larger one) as positive.
    pub positive: Option<String>,
    /// Text of the negative class; when given (with `positive`), any other value is an error
    /// naming its line.
    pub negative: Option<String>,
    /// Characters stripped from the end of label values (Adult test's trailing dot).
    pub label_trim: &'static [char],
    pub sensitive: Vec<String>,
    /// Field values that mean "missing" (besides the empty string).
    pub missing_tokens: Vec<String>,
}

/// Types raw rows into a table, applying the missing-value policy.
pub(crate) fn build_table(raw: &RawRows, spec: &TableSpec, policy: MissingPolicy) -> Result<(Table, MissingReport)> {
    if raw.rows.is_empty() {
        return Err(Error::Empty {
            what: format!("{} has no data rows", raw.source_name),
        });
    }
    let is_missing = |v: &str| v.is_empty() || spec.missing_tokens.iter().any(|t| t == v);
    let label_idx = raw.index(&spec.label)?;
    let feat_idx: Vec<usize> = spec
        .features
        .iter()
        .map(|(n, _)| raw.index(n))
        .collect::<Result<_>>()?;
    for s in &spec.sensitive {
        if !spec.features.iter().any(|(n, _)| n == s) {
            raw.index(s)?;
            return Err(Error::Schema(format!(
                "sensitive column `{s}` must also be one of the feature columns"
            )));
        }
    }

    let mut report = MissingReport {
        rows_read: raw.rows.len(),
        ..Default::default()
    };
    // Count missing cells and decide which rows survive.
    let checked: Vec<(usize, &str)> = feat_idx
        .iter()
        .zip(&spec.features)
        .map(|(&i, (n, _))| (i, n.as_str()))
        .chain(std::iter::once((label_idx, spec.label.as_str())))
        .collect();
    let mut keep = vec![true; raw.rows.len()];
    for (r, (line, row)) in raw.rows.iter().enumerate() {
        let mut must_drop = false;
        let mut any_missing = false;
        for &(ci, name) in &checked {
            if is_missing(&row[ci]) {
                *report.missing_by_column.entry(name.to_string()).or_default() += 1;
                any_missing = true;
                if policy == MissingPolicy::Fail {
                    return Err(Error::MissingValue {
                        source_name: raw.source_name.clone(),
                        line: *line,
                        column: name.to_string(),
                    });
                }
                if name == spec.label || spec.sensitive.iter().any(|s| s == name) {
                    must_drop = true;
                }
            }
        }
        if must_drop || (any_missing && policy == MissingPolicy::Drop) {
            keep[r] = false;
        }
    }
    report.rows_dropped = keep.iter().filter(|k| !**k).count();
    let kept: Vec<&(u64, Vec<String>)> = raw.rows.iter().zip(&keep).filter(|(_, k)| **k).map(|(r, _)| r).collect();
    if kept.is_empty() {
        return Err(Error::Empty {
            what: format!("{}: every row was dropped by the missing-value policy", raw.source_name),
        });
    }

    // Label.
    let label_text: Vec<&str> = kept
        .iter()
        .map(|(_, row)| row[label_idx].trim_end_matches(spec.label_trim))
        .collect();
    let (positive, negative) = label_classes(raw, spec, &label_text)?;
    let mut label = Vec::with_capacity(kept.len());
    for ((line, _), &v) in kept.iter().zip(&label_text) {
        if v == positive {
            label.push(1u8);
        } else if v == negative {
            label.push(0u8);
        } else {
            return Err(Error::LabelValue {
                source_name: raw.source_name.clone(),
                line: *line,
                column: spec.label.clone(),
                value: v.to_string(),
                expected: format!("`{positive}` or `{negative}`"),
            });
        }
    }

    // Features.
    let mut columns = Vec::with_capacity(spec.features.len());
    for (&ci, (name, kind)) in feat_idx.iter().zip(&spec.features) {
        let values: Vec<(u64, Option<&str>)> = kept
            .iter()
            .map(|(line, row)| (*line, Some(row[ci].as_str()).filter(|v| !is_missing(v))))
            .collect();
        let kind = match kind {
            Some(k) => *k,
            None if values.iter().all(|(_, v)| v.map_or(true, |s| s.parse::<f64>().is_ok())) => ColumnKind::Numeric,
            None => ColumnKind::Categorical,
        };
        if spec.sensitive.contains(name) && kind == ColumnKind::Numeric {
            return Err(Error::Schema(format!(
                "sensitive column `{name}` is numeric; sensitive columns must be categorical (bin it first)"
            )));
        }
        let column = match kind {
            ColumnKind::Numeric => numeric_column(raw, name, &values, &mut report)?,
            ColumnKind::Categorical => categorical_column(name, &values, &mut report),
        };
        columns.push(column);
    }
    let table = Table::new(
        columns,
        label,
        LabelSpec {
            name: spec.label.clone(),
            positive,
            negative,
        },
        spec.sensitive.clone(),
    )?;
    Ok((table, report))
}

fn label_classes(raw: &RawRows, spec: &TableSpec, values: &[&str]) -> Result<(String, String)> {
    let mut distinct: Vec<&str> = values.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    match (&spec.positive, &spec.negative) {
        (Some(p), Some(n)) => Ok((p.clone(), n.clone())),
        (Some(p), None) => {
            let others: Vec<&str> = distinct.iter().copied().filter(|v| v != p).collect();
            match others.as_slice() {
                [n] => Ok((p.clone(), n.to_string())),
                [] => Err(Error::Schema(format!(
                    "{}: label column `{}` has only the value `{p}`; a binary label needs two classes",
                    raw.source_name, spec.label
                ))),
                many => Err(Error::Schema(format!(
                    "{}: label column `{}` must be binary; besides the positive class `{p}` it has {} values: {}",
                    raw.source_name,
                    spec.label,
                    many.len(),
                    preview(many)
                ))),
            }
        }
        (None, _) => match distinct.as_slice() {
            [n, p] => Ok((p.to_string(), n.to_string())),
            _ => Err(Error::Schema(format!(
                "{}: label column `{}` has {} distinct values ({}); name the positive class (--positive)",
                raw.source_name,
                spec.label,
                distinct.len(),
                preview(&distinct)
            ))),
        },
    }
}

fn preview(values: &[&str]) -> String {
    let shown: Vec<String> = values.iter().take(6).map(|v| format!("`{v}`")).collect();
    if values.len() > 6 {
        format!("{}, ...", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn numeric_column(raw: &RawRows, name: &str, values: &[(u64, Option<&str>)], report: &mut MissingReport) -> Result<Column> {
    let mut out = Vec::with_capacity(values.len());
    let mut decimals: Option<u8> = Some(0);
    let mut missing = Vec::new();
    for (i, (line, v)) in values.iter().enumerate() {
        match v {
            Some(s) => {
                let x: f64 = s.parse().map_err(|_| Error::Parse {
                    source_name: raw.source_name.clone(),
                    line: *line,
                    message: format!("column `{name}`: `{s}` is not a number"),
                })?;
                if !x.is_finite() {
                    return Err(Error::Parse {
                        source_name: raw.source_name.clone(),
                        line: *line,
                        message: format!("column `{name}`: `{s}` is not a finite number"),
                    });
                }
                decimals = match (decimals, text_decimals(s)) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                out.push(x);
            }
            None => {
                missing.push(i);
                out.push(0.0);
            }
        }
    }
    if !missing.is_empty() {
        let present: Vec<f64> = out.iter().enumerate().filter(|(i, _)| !missing.contains(i)).map(|(_, x)| *x).collect();
        let mean = if present.is_empty() { 0.0 } else { present.iter().sum::<f64>() / present.len() as f64 };
        for &i in &missing {
            out[i] = mean;
        }
        report.cells_imputed += missing.len();
        // An imputed mean may have more decimals than the source: write it in full.
        decimals = None;
    }
    Ok(Column::numeric(name, out).with_decimals(decimals))
}

/// Digits after the decimal point in a plain decimal literal; `None` for exponent notation or more
/// than 12 decimals.
fn text_decimals(s: &str) -> Option<u8> {
    if s.contains(['e', 'E']) {
        return None;
    }
    let d = s.split_once('.').map_or(0, |(_, frac)| frac.len());
    (d <= 12).then_some(d as u8)
}

fn categorical_column(name: &str, values: &[(u64, Option<&str>)], report: &mut MissingReport) -> Column {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, v) in values {
        if let Some(s) = v {
            *counts.entry(s).or_default() += 1;
        }
    }
    // Most frequent category, ties broken by the smallest text (deterministic).
    let mode = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(k, _)| k.to_string())
        .unwrap_or_default();
    let out = values
        .iter()
        .map(|(_, v)| match v {
            Some(s) => s.to_string(),
            None => {
                report.cells_imputed += 1;
                mode.clone()
            }
        })
        .collect();
    Column::categorical(name, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_field_count_names_the_line() {
        let text = b"a,b,y\n1,2,0\n3,4\n";
        let err = read_delimited(text, "t.csv", &ReadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "t.csv: line 3: expected 3 fields, found 2");
    }

    #[test]
    fn quoted_commas_and_crlf() {
        let text = b"a,b,y\r\n\"x, y\",2,1\r\n\r\nz,3,0\r\n";
        let raw = read_delimited(text, "t.csv", &ReadOptions::default()).unwrap();
        assert_eq!(raw.rows.len(), 2);
        assert_eq!(raw.rows[0].1[0], "x, y");
        assert_eq!(raw.rows[1].0, 4);
    }

    #[test]
    fn decimals_of_literals() {
        assert_eq!(text_decimals("12"), Some(0));
        assert_eq!(text_decimals("1.250"), Some(3));
        assert_eq!(text_decimals("1e3"), None);
    }
}

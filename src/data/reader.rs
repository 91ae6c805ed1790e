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
    /// A header naming a column twice is an error (COMPAS's file, which repeats two names and
    /// whose first occurrence is used, turns this off).
    pub unique_names: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            delimiter: b',',
            names: None,
            comment: None,
            trim: true,
            unique_names: true,
        }
    }
}

/// Reads delimited text with a real CSV parser (the `csv` crate), strictly:
///
/// - a UTF-8 byte-order mark is skipped; UTF-16 text and invalid UTF-8 are errors;
/// - `\n`, `\r\n` and `\r` all end a line, also mixed in one file (line numbers count each);
/// - blank lines (and lines of spaces) are skipped;
/// - a quote may only open a field (`"x, y"`), is doubled inside one (`"5'10"""`), and must close
///   on the line where it opened: a stray quote, text after a closing quote, or a quote left open
///   (which would swallow the lines after it into one field) is an error naming the line and
///   field. A field therefore never holds a line break;
/// - a row with another count of fields than the header is an error naming its line;
/// - a header naming a column twice is an error (unless [`ReadOptions::unique_names`] is off).
///
/// Every error is an [`Error::Parse`] naming `source_name` and the 1-based line.
pub(crate) fn read_delimited(bytes: &[u8], source_name: &str, opts: &ReadOptions) -> Result<RawRows> {
    let parse_err = |line: u64, message: String| Error::Parse {
        source_name: source_name.to_string(),
        line,
        message,
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(parse_err(1, "the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8".into()));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(opts.delimiter)
        .has_headers(false)
        .flexible(true)
        .comment(opts.comment)
        .trim(if opts.trim { csv::Trim::All } else { csv::Trim::None })
        .from_reader(bytes);
    // The csv crate does not count blank lines in its line numbers: count them from byte offsets.
    let mut lines = LineCounter::new(bytes, opts.comment);
    let mut record = csv::StringRecord::new();
    let mut header: Option<Vec<String>> = opts.names.clone();
    let mut rows = Vec::new();
    loop {
        let start = reader.position().byte() as usize;
        let more = reader.read_record(&mut record).map_err(|e| {
            let line = e.position().map_or(0, |p| {
                let at = p.byte() as usize;
                let skipped = bytes.get(at..).map_or(0, |rest| rest.iter().take_while(|c| **c == b'\r' || **c == b'\n').count());
                line_of(bytes, at + skipped)
            });
            let message = match e.kind() {
                csv::ErrorKind::Utf8 { err, .. } => {
                    format!("field {} is not valid UTF-8 text; save the file as UTF-8", err.field() + 1)
                }
                _ => e.to_string(),
            };
            parse_err(line, message)
        })?;
        if !more {
            break;
        }
        let end = (reader.position().byte() as usize).min(bytes.len());
        let span = &bytes[start.min(end)..end];
        if span.contains(&b'"') {
            if let Err((at, field, what)) = check_quotes(span, opts.delimiter, opts.comment) {
                let column = header
                    .as_ref()
                    .and_then(|h| h.get(field))
                    .map_or(String::new(), |name| format!(" (column `{name}`)"));
                return Err(parse_err(line_of(bytes, start + at), format!("field {}{column}: {what}", field + 1)));
            }
        }
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        if record.len() == 1 && record.get(0) == Some("") {
            continue; // a line holding only spaces
        }
        let fields: Vec<String> = record.iter().map(str::to_string).collect();
        match &header {
            None => {
                if opts.unique_names {
                    check_unique(&fields).map_err(|m| parse_err(line, m))?;
                }
                header = Some(fields);
            }
            Some(h) if h.len() != fields.len() => {
                return Err(parse_err(line, format!("expected {} fields, found {}", h.len(), fields.len())));
            }
            Some(_) => rows.push((line, fields)),
        }
    }
    let header = header.ok_or_else(|| Error::Empty {
        what: format!("{source_name} has no header line"),
    })?;
    Ok(RawRows {
        source_name: source_name.to_string(),
        header,
        rows,
    })
}

/// The first column name given twice, as a message.
fn check_unique(names: &[String]) -> std::result::Result<(), String> {
    for (j, name) in names.iter().enumerate() {
        if let Some(i) = names[..j].iter().position(|n| n == name) {
            return Err(format!(
                "column name `{name}` appears twice (fields {} and {}); column names must be unique",
                i + 1,
                j + 1
            ));
        }
    }
    Ok(())
}

/// Checks the quotes of one record's raw bytes (which may begin with the blank or comment lines
/// the parser skipped before it) against the rules of [`read_delimited`]. On error: the byte
/// offset in `span`, the 0-based field and what is wrong.
///
/// This is a check, not a second parser: the `csv` crate reads the fields; this only refuses the
/// inputs on which the crate would silently guess (it keeps a stray quote as text, glues text
/// after a closing quote to the field, and runs an unclosed quote to the end of the file).
fn check_quotes(span: &[u8], delimiter: u8, comment: Option<u8>) -> std::result::Result<(), (usize, usize, &'static str)> {
    #[derive(PartialEq)]
    enum State {
        LineStart,
        FieldStart,
        Unquoted,
        Quoted,
        AfterQuote,
    }
    let mut state = State::LineStart;
    let mut field = 0;
    let mut opened = 0;
    let mut i = 0;
    while i < span.len() {
        let c = span[i];
        let line_end = c == b'\n' || c == b'\r';
        match state {
            State::LineStart if line_end => {}
            State::LineStart if Some(c) == comment => {
                while i < span.len() && span[i] != b'\n' {
                    i += 1;
                }
            }
            State::LineStart => {
                state = State::FieldStart;
                continue;
            }
            State::FieldStart | State::Unquoted | State::AfterQuote if c == delimiter => {
                field += 1;
                state = State::FieldStart;
            }
            // The record ends here: what follows belongs to the next one.
            State::FieldStart | State::Unquoted | State::AfterQuote if line_end => return Ok(()),
            State::FieldStart if c == b'"' => {
                state = State::Quoted;
                opened = i;
            }
            State::FieldStart => state = State::Unquoted,
            State::Unquoted if c == b'"' => {
                return Err((i, field, "stray quote: a quote may only open a field (quote the whole field and double the quotes inside it, as in \"5'10\"\"\")"))
            }
            State::Unquoted => {}
            State::Quoted if c == b'"' => state = State::AfterQuote,
            State::Quoted if line_end => {
                return Err((opened, field, "unclosed quote: the quoted field does not end on this line (a stray quote? a field may not hold a line break)"))
            }
            State::Quoted => {}
            State::AfterQuote if c == b'"' => state = State::Quoted, // a doubled quote
            State::AfterQuote => {
                return Err((i, field, "text after the closing quote of a quoted field (double a quote that belongs to the text)"))
            }
        }
        i += 1;
    }
    if state == State::Quoted {
        return Err((opened, field, "unclosed quote: the quoted field runs to the end of the file"));
    }
    Ok(())
}

/// Is the byte at `i` the end of a line? `\n`, and a `\r` not followed by `\n` (old Mac files, or
/// a mix of line ends).
fn ends_line(b: &[u8], i: usize) -> bool {
    b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n'))
}

/// 1-based line of the byte at `offset` (for error messages).
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    let offset = offset.min(bytes.len());
    1 + (0..offset).filter(|&i| ends_line(bytes, i)).count() as u64
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
            let at_line_start = target == 0 || b[target - 1] == b'\n' || b[target - 1] == b'\r';
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
        self.line += (self.offset..target).filter(|&i| ends_line(b, i)).count() as u64;
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
    /// Feature columns and their kind; `None` infers it (see [`infer_kind`]).
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
    /// Categorical columns whose values must be among these (e.g. the categories of the table a
    /// synthetic file must match); any other value is an error naming its line and the choices.
    pub categories: BTreeMap<String, Vec<String>>,
}

/// The kind of a column whose kind the caller did not fix, from its present values: numeric when
/// more than half of them parse as numbers (`NaN` and `inf` count, and are then refused as not
/// finite) or when none is present; else categorical.
///
/// A column read as numeric must then hold only finite numbers: a typo, a `NaN` or a code among
/// numbers is an error naming the file, line and column of the first bad cell, never a silent
/// switch of the whole column to categories. A column of codes that are mostly numbers (`0`, `1`,
/// `2`, `3+`) is listed as categorical by the caller (`--categorical`).
pub(crate) fn infer_kind<'a>(values: impl IntoIterator<Item = &'a str>) -> ColumnKind {
    let (mut present, mut numbers) = (0usize, 0usize);
    for v in values {
        present += 1;
        numbers += v.parse::<f64>().is_ok() as usize;
    }
    if present == 0 || 2 * numbers > present {
        ColumnKind::Numeric
    } else {
        ColumnKind::Categorical
    }
}

/// Added to the error on a non-number in a column whose kind was inferred.
pub(crate) const NUMERIC_BY_MAJORITY: &str =
    "most of the column's values are numbers, so it is read as numeric; list it as categorical (--categorical) to read it as categories";

/// Types raw rows into a table, applying the missing-value policy.
pub(crate) fn build_table(raw: &RawRows, spec: &TableSpec, policy: MissingPolicy) -> Result<(Table, MissingReport)> {
    build_table_with_lines(raw, spec, policy).map(|(t, m, _)| (t, m))
}

/// [`build_table`], with the file line of each row of the table (rows dropped by the policy are
/// not in the table).
pub(crate) fn build_table_with_lines(raw: &RawRows, spec: &TableSpec, policy: MissingPolicy) -> Result<(Table, MissingReport, Vec<u64>)> {
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
            let names: Vec<&str> = spec.features.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Error::Schema(format!(
                "{}: sensitive column `{s}` must also be one of the feature columns ({})",
                raw.source_name,
                names.join(", ")
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
        let (kind, inferred) = match kind {
            Some(k) => (*k, false),
            None => (infer_kind(values.iter().filter_map(|(_, v)| *v)), true),
        };
        let column = match kind {
            ColumnKind::Numeric => numeric_column(raw, name, &values, inferred, &mut report)?,
            ColumnKind::Categorical => categorical_column(raw, name, &values, spec.categories.get(name), &mut report)?,
        };
        columns.push(column);
    }
    for s in &spec.sensitive {
        if columns.iter().any(|c| &c.name == s && c.data.kind() == ColumnKind::Numeric) {
            let categorical: Vec<&str> = columns
                .iter()
                .filter(|c| c.data.kind() == ColumnKind::Categorical)
                .map(|c| c.name.as_str())
                .collect();
            return Err(Error::Schema(format!(
                "{}: sensitive column `{s}` is numeric; sensitive columns must be categorical (bin it first; categorical columns: {})",
                raw.source_name,
                if categorical.is_empty() { "none".to_string() } else { categorical.join(", ") }
            )));
        }
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
    let lines = kept.iter().map(|(line, _)| *line).collect();
    Ok((table, report, lines))
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

fn numeric_column(
    raw: &RawRows,
    name: &str,
    values: &[(u64, Option<&str>)],
    inferred: bool,
    report: &mut MissingReport,
) -> Result<Column> {
    let mut out = Vec::with_capacity(values.len());
    let mut decimals: Option<u8> = Some(0);
    let mut missing = Vec::new();
    for (i, (line, v)) in values.iter().enumerate() {
        match v {
            Some(s) => {
                let x: f64 = s.parse().map_err(|_| Error::Parse {
                    source_name: raw.source_name.clone(),
                    line: *line,
                    message: if inferred {
                        format!("column `{name}`: `{s}` is not a number ({NUMERIC_BY_MAJORITY})")
                    } else {
                        format!("column `{name}`: `{s}` is not a number")
                    },
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

/// Up to twelve values, quoted, for an error message listing the valid choices.
pub(crate) fn choices<S: AsRef<str>>(values: &[S]) -> String {
    let shown: Vec<String> = values.iter().take(12).map(|v| format!("`{}`", v.as_ref())).collect();
    if values.len() > 12 {
        format!("{}, ... ({} in all)", shown.join(", "), values.len())
    } else {
        shown.join(", ")
    }
}

fn categorical_column(
    raw: &RawRows,
    name: &str,
    values: &[(u64, Option<&str>)],
    allowed: Option<&Vec<String>>,
    report: &mut MissingReport,
) -> Result<Column> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (line, v) in values {
        if let Some(s) = v {
            if let Some(allowed) = allowed {
                if !allowed.iter().any(|a| a == s) {
                    return Err(Error::Parse {
                        source_name: raw.source_name.clone(),
                        line: *line,
                        message: format!("column `{name}`: unknown category `{s}`; known categories: {}", choices(allowed)),
                    });
                }
            }
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
    Ok(Column::categorical(name, out))
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
    fn quotes_are_checked_record_by_record() {
        let ok = |t: &[u8]| check_quotes(t, b',', None).is_ok();
        assert!(ok(b"a,\"b, c\",\"d \"\"e\"\"\"\n"));
        assert!(ok(b"\r\n\"a\"\r"), "skipped line ends before, CR after");
        assert_eq!(check_quotes(b"a,b\"c\n", b',', None).unwrap_err().0, 3);
        assert_eq!(check_quotes(b"a,\"b\"c\n", b',', None).unwrap_err().0, 5);
        assert_eq!(check_quotes(b"a,\"b\nc\n", b',', None).unwrap_err().1, 1, "field 2");
        assert!(check_quotes(b"a,\"b", b',', None).unwrap_err().2.contains("end of the file"));
        // A comment line before the record is skipped, quotes and all.
        assert!(check_quotes(b"|x\"y\na,b\n", b',', Some(b'|')).is_ok());
    }

    #[test]
    fn line_ends_of_every_kind_count() {
        let b = b"a\nb\r\nc\rd";
        assert_eq!([0, 2, 5, 7].map(|i| line_of(b, i)), [1, 2, 3, 4]);
        let mut lc = LineCounter::new(b, None);
        assert_eq!([0u64, 2, 5, 7].map(|i| lc.line_at(i)), [1, 2, 3, 4]);
    }

    #[test]
    fn numeric_by_majority() {
        assert_eq!(infer_kind(["1", "2.5", "x"]), ColumnKind::Numeric);
        assert_eq!(infer_kind(["1", "x"]), ColumnKind::Categorical);
        assert_eq!(infer_kind(["NaN", "inf", "1"]), ColumnKind::Numeric, "refused later as not finite");
        assert_eq!(infer_kind(Vec::<&str>::new()), ColumnKind::Numeric);
    }

    #[test]
    fn decimals_of_literals() {
        assert_eq!(text_decimals("12"), Some(0));
        assert_eq!(text_decimals("1.250"), Some(3));
        assert_eq!(text_decimals("1e3"), None);
    }
}

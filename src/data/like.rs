//! Reading a CSV (e.g. a synthetic table) with the schema of a known table.

use std::path::Path;

use crate::data::reader::{build_table, read_delimited, MissingPolicy, ReadOptions, TableSpec};
use crate::data::table::Table;
use crate::error::{Error, Result};

/// Reads a CSV file with a header line into a table with the columns, kinds, label classes and
/// sensitive columns of `like` (extra columns are ignored). A missing column, a label other than
/// the two classes, a non-number in a numeric column or a missing value is an error naming the
/// file and line; categories unseen in `like` are caught when the table is encoded.
pub fn read_table_like(path: &Path, like: &Table) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_table_like(&bytes, &path.display().to_string(), like)
}

/// [`read_table_like`] on bytes; `source_name` names the input in errors.
pub fn parse_table_like(bytes: &[u8], source_name: &str, like: &Table) -> Result<Table> {
    let raw = read_delimited(bytes, source_name, &ReadOptions::default())?;
    let schema = like.schema();
    let spec = TableSpec {
        features: schema.columns.iter().map(|(n, k)| (n.clone(), Some(*k))).collect(),
        label: schema.label.name.clone(),
        positive: Some(schema.label.positive.clone()),
        negative: Some(schema.label.negative.clone()),
        label_trim: &[],
        sensitive: schema.sensitive.clone(),
        missing_tokens: vec![],
    };
    let (table, _) = build_table(&raw, &spec, MissingPolicy::Fail)?;
    Ok(table)
}

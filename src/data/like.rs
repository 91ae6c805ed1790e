//! Reading a CSV (e.g. a synthetic table) with the schema of a known table.

use std::path::Path;

use crate::data::reader::{build_table, read_delimited, MissingPolicy, ReadOptions, TableSpec};
use crate::data::table::{ColumnData, Table};
use crate::error::{Error, Result};

/// Reads a CSV file with a header line into a table with the columns, kinds, label classes,
/// categories and sensitive columns of `like` (extra columns are ignored). A missing column, a
/// label other than the two classes, a non-number (or `NaN`, `inf`) in a numeric column, a
/// category that does not occur in `like`, or an empty cell is an error naming the file, line and
/// column (and the valid choices, where there are some).
pub fn read_table_like(path: &Path, like: &Table) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_table_like(&bytes, &path.display().to_string(), like)
}

/// [`read_table_like`] on bytes; `source_name` names the input in errors.
pub fn parse_table_like(bytes: &[u8], source_name: &str, like: &Table) -> Result<Table> {
    let raw = read_delimited(bytes, source_name, &ReadOptions::default())?;
    let schema = like.schema();
    let categories = categories_of(like);
    let spec = TableSpec {
        features: schema.columns.iter().map(|(n, k)| (n.clone(), Some(*k))).collect(),
        label: schema.label.name.clone(),
        positive: Some(schema.label.positive.clone()),
        negative: Some(schema.label.negative.clone()),
        label_trim: &[],
        sensitive: schema.sensitive.clone(),
        missing_tokens: vec![],
        categories,
    };
    let (table, _) = build_table(&raw, &spec, MissingPolicy::Fail)?;
    Ok(table)
}

/// The categories of every categorical column of `table`, sorted: a file read "like" it may
/// use only these (an unknown one is an error naming its line).
pub(crate) fn categories_of(table: &Table) -> std::collections::BTreeMap<String, Vec<String>> {
    table
        .columns()
        .iter()
        .filter_map(|c| match &c.data {
            ColumnData::Categorical(v) => {
                let levels: std::collections::BTreeSet<&str> = v.iter().map(String::as_str).collect();
                Some((c.name.clone(), levels.into_iter().map(String::from).collect()))
            }
            ColumnData::Numeric(_) => None,
        })
        .collect()
}

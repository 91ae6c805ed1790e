//! The crate's one error type.
//!
//! Every fallible routine returns [`Result`]. Variants carry named fields so that a caller (or the
//! CLI, which prints `Display` as one line) can say exactly what was wrong: the file, the line, the
//! column, the value.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in fairdistill.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A dataset file that is not shipped with the crate was not found.
    #[error("{dataset}: file {} not found; fetch it with `{fetch}` (or point --data-dir / FAIRDISTILL_DATA at the folder holding it)", path.display())]
    DataMissing {
        dataset: String,
        path: PathBuf,
        fetch: String,
    },

    /// A row of a delimited text file could not be parsed.
    #[error("{source_name}: line {line}: {message}")]
    Parse {
        source_name: String,
        line: u64,
        message: String,
    },

    /// A cell of a columnar file (Parquet, Arrow IPC) that cannot be read as what it should be;
    /// `row` counts data rows from 1 (a columnar file has no header line).
    #[error("{source_name}: row {row}, column `{column}`: {message}")]
    Cell {
        source_name: String,
        row: u64,
        column: String,
        message: String,
    },

    /// A column named by the caller (or required by a format) is absent.
    #[error("{source_name}: column `{name}` not found (columns: {available})")]
    ColumnMissing {
        source_name: String,
        name: String,
        available: String,
    },

    /// A label value that is neither the positive nor the negative class.
    #[error("{source_name}: line {line}: label column `{column}` has value `{value}`, expected one of {expected}")]
    LabelValue {
        source_name: String,
        line: u64,
        column: String,
        value: String,
        expected: String,
    },

    /// Input that must not be empty was empty.
    #[error("empty input: {what}")]
    Empty { what: String },

    /// Two inputs that must have the same length did not.
    #[error("length mismatch: {what}: expected {expected}, got {got}")]
    LengthMismatch {
        what: String,
        expected: usize,
        got: usize,
    },

    /// A categorical value that the encoder did not see when it was fitted.
    #[error("row {}: column `{column}`: category `{value}` was not seen when the encoder was fitted (known: {known})", row + 1)]
    UnseenCategory {
        column: String,
        value: String,
        known: String,
        /// The row (0-based) of the table being encoded; [`crate::data::Dataset::locate`] turns
        /// it into the file and line of a CSV dataset's row.
        row: usize,
    },

    /// A missing value met under the `fail` missing-value policy.
    #[error("{source_name}: line {line}: column `{column}` is missing and the missing-value policy is `fail`")]
    MissingValue {
        source_name: String,
        line: u64,
        column: String,
    },

    /// A label or prediction outside {0, 1} where a binary one is required.
    #[error("{what} must be 0 or 1, found {value} at index {index}")]
    NotBinary { what: String, index: usize, value: String },

    /// A NaN or infinite number where a finite one is required.
    #[error("non-finite value in {what} at index {index}")]
    NonFinite { what: String, index: usize },

    /// A hyperparameter or option outside its valid range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParam {
        name: &'static str,
        value: String,
        reason: String,
    },

    /// A table, file or model whose shape does not fit the operation. The message itself says
    /// what does not fit and where (the file, the column, the valid choices); there is no generic
    /// prefix.
    #[error("{0}")]
    Schema(String),

    /// An error reported by linfa.
    #[error("linfa: {0}")]
    Linfa(#[from] linfa::error::Error),

    /// JSON (de)serialisation failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// An [`Error::Io`] naming the file it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// An [`Error::InvalidParam`]: `name` = `value` is wrong because `reason`.
    pub fn invalid(name: &'static str, value: impl std::fmt::Display, reason: impl Into<String>) -> Self {
        Error::InvalidParam {
            name,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

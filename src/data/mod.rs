//! The data layer: typed tables, loaders for the real formats, the encoder to model space and
//! back, and the seeded split.
//!
//! ```no_run
//! use fairdistill::data::{load_builtin, Encoder, LoadOptions};
//! let adult = load_builtin("adult", &LoadOptions::default()).unwrap();
//! let enc = Encoder::fit(&adult.train).unwrap();
//! let x = enc.transform(&adult.train).unwrap();
//! assert_eq!((x.nrows(), x.ncols()), (30_162, 104));
//! ```

mod adult;
mod cells;
pub mod columnar;
mod columns;
mod compas;
mod csv_file;
mod dataset;
mod embedded;
mod encoder;
mod german;
pub mod images;
mod like;
mod reader;
mod split;
mod table;
mod trifeature;

pub use crate::atomic::write_atomic;
pub use adult::{parse_adult, ADULT_COLUMNS};
pub use cells::{cell_counts, draw_cells, CellCount};
pub use columns::CsvColumns;
pub use compas::{parse_compas, COMPAS_FILE};
pub use csv_file::{load_csv, CsvSpec};
pub use dataset::{
    load_builtin, Dataset, DatasetSummary, GroupSummary, LoadOptions, RowSource, BUILTIN_DATASETS, DATA_DIR_ENV, FETCH_COMMAND,
};
pub use encoder::{ClippedCells, ColumnEncoding, Encoder};
pub use like::{parse_table_like, read_table_like};
pub use german::{parse_german, GERMAN_COLUMNS};
pub use reader::{MissingPolicy, MissingReport};
pub use split::{stratified_split, SplitKind};
pub use trifeature::{
    CounterfactualPairs, Trifeature, TrifeatureParams, TRIFEATURE_COLOURS, TRIFEATURE_SHAPES, TRIFEATURE_TEXTURES,
};
pub use table::{Column, ColumnData, ColumnKind, GroupKey, LabelSpec, Schema, Table};

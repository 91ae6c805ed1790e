//! The one table model every report is rendered from.

use serde::{Deserialize, Serialize};

/// Horizontal alignment of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Align {
    Left,
    Right,
}

/// A titled table of pre-formatted cells, with notes printed under it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportTable {
    pub title: String,
    pub columns: Vec<String>,
    pub align: Vec<Align>,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

impl ReportTable {
    /// A table whose first column is left-aligned and the others right-aligned.
    pub fn new<S: Into<String>>(title: impl Into<String>, columns: impl IntoIterator<Item = S>) -> Self {
        let columns: Vec<String> = columns.into_iter().map(Into::into).collect();
        let align = (0..columns.len()).map(|i| if i == 0 { Align::Left } else { Align::Right }).collect();
        ReportTable {
            title: title.into(),
            columns,
            align,
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        let mut cells: Vec<String> = cells.into_iter().map(Into::into).collect();
        cells.resize(self.columns.len(), String::new());
        self.rows.push(cells);
        self
    }

    /// The numbered conclusions of a report (computed from its numbers), the text left-aligned;
    /// `None` when there are none.
    pub fn conclusions(lines: &[String]) -> Option<ReportTable> {
        if lines.is_empty() {
            return None;
        }
        let mut c = ReportTable::new("Conclusions (computed from this run's numbers)", ["#", "conclusion"]);
        for (i, line) in lines.iter().enumerate() {
            c.row([(i + 1).to_string(), line.clone()]);
        }
        c.align[1] = Align::Left;
        Some(c)
    }

    pub fn note(&mut self, note: impl Into<String>) -> &mut Self {
        self.notes.push(note.into());
        self
    }
}

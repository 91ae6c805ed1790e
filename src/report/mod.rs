//! Reports: one table model, pure renderers (text, Markdown, HTML, JSON, evcxr) and SVG charts.
//!
//! **The report module depends on nothing else in the crate** but the error type.

mod document;
mod plot;
mod render;
mod svg;
mod table;
mod training_curve;

pub use document::{html_document, DocumentMeta};
pub use plot::{grouped_bar_chart, grouped_bar_chart_with, line_chart, line_chart_with, scatter_chart, BarSeries, LineSeries, ScatterPoint, ScatterSeries, YAxis};
pub use render::{evcxr_block, html_escape, render_html, render_markdown, render_text, Render};
pub use svg::{evcxr_display_charts, Svg};
pub use table::{Align, ReportTable};
pub use training_curve::{curves_charts, curves_conclusion, curves_table, summarise_curves, CurveSummary, CurveTerm, TrainingCurve};

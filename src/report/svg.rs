//! An SVG chart that displays itself in evcxr notebooks.

use serde::{Deserialize, Serialize};

/// An SVG document (made by the chart functions of this module).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Svg(pub String);

impl Svg {
    /// The SVG text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Writes the SVG to a file, atomically ([`crate::atomic::write_atomic`]).
    pub fn save(&self, path: &std::path::Path) -> crate::Result<()> {
        crate::atomic::write_atomic(path, self.0.as_bytes())
    }

    /// Inline display in an evcxr notebook (an `image/svg+xml` block).
    pub fn evcxr_display(&self) {
        evcxr_runtime::mime_type("image/svg+xml").text(&self.0);
    }
}

/// Shows several charts in one notebook output: an HTML block with every SVG inline, in order,
/// and their names as the plain-text form. (One output keeps one document per MIME type, so
/// several `image/svg+xml` displays from one cell would show a single chart.)
pub fn evcxr_display_charts(charts: &[(String, String)]) {
    let html: String = charts.iter().map(|(name, svg)| format!("<div class=\"fairdistill-chart\" data-chart=\"{}\">{svg}</div>\n", crate::report::html_escape(name))).collect();
    let text = charts.iter().map(|(name, _)| format!("[chart {name}]")).collect::<Vec<_>>().join("\n");
    println!("{}", crate::report::evcxr_block(&text, &html));
}

impl std::fmt::Display for Svg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

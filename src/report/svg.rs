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
        println!("EVCXR_BEGIN_CONTENT image/svg+xml\n{}\nEVCXR_END_CONTENT", self.0);
    }
}

impl std::fmt::Display for Svg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

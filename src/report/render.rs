//! Pure renderers of report tables: text, Markdown, HTML, and the evcxr display block.

use std::fmt::Write;

use crate::report::table::{Align, ReportTable};

/// Something that can be shown as titled tables and, optionally, an SVG chart. Reports implement
/// it and get every renderer through [`impl_renderers!`](crate::impl_renderers).
pub trait Render {
    fn title(&self) -> String;
    fn tables(&self) -> Vec<ReportTable>;
    /// An SVG chart shown under the tables in HTML and notebooks.
    fn svg(&self) -> Option<String> {
        None
    }
}

fn char_width(s: &str) -> usize {
    s.chars().count()
}

/// Plain text: the title underlined, then each table with aligned columns and its notes.
pub fn render_text(title: &str, tables: &[ReportTable]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{title}\n{}", "=".repeat(char_width(title)));
    for t in tables {
        let _ = writeln!(out, "\n{}", t.title);
        let mut widths: Vec<usize> = t.columns.iter().map(|c| char_width(c)).collect();
        for r in &t.rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(char_width(c));
            }
        }
        let line = |cells: &[String]| {
            let parts: Vec<String> = cells
                .iter()
                .zip(&widths)
                .zip(&t.align)
                .map(|((c, &w), a)| {
                    let pad = " ".repeat(w - char_width(c));
                    match a {
                        Align::Left => format!("{c}{pad}"),
                        Align::Right => format!("{pad}{c}"),
                    }
                })
                .collect();
            format!("  {}", parts.join("  ").trim_end())
        };
        let _ = writeln!(out, "{}", line(&t.columns));
        let _ = writeln!(out, "  {}", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
        for r in &t.rows {
            let _ = writeln!(out, "{}", line(r));
        }
        for n in &t.notes {
            let _ = writeln!(out, "  note: {n}");
        }
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// GitHub-flavoured Markdown.
pub fn render_markdown(title: &str, tables: &[ReportTable]) -> String {
    let mut out = format!("## {}\n", md_escape(title));
    for t in tables {
        let _ = writeln!(out, "\n### {}\n", md_escape(&t.title));
        let _ = writeln!(out, "| {} |", t.columns.iter().map(|c| md_escape(c)).collect::<Vec<_>>().join(" | "));
        let seps: Vec<&str> = t.align.iter().map(|a| if *a == Align::Right { "---:" } else { "---" }).collect();
        let _ = writeln!(out, "|{}|", seps.join("|"));
        for r in &t.rows {
            let _ = writeln!(out, "| {} |", r.iter().map(|c| md_escape(c)).collect::<Vec<_>>().join(" | "));
        }
        if !t.notes.is_empty() {
            out.push('\n');
            for n in &t.notes {
                let _ = writeln!(out, "- {}", md_escape(n));
            }
        }
    }
    out
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A self-contained HTML fragment (a `<div>` with inline styles), with the SVG chart if any.
pub fn render_html(title: &str, tables: &[ReportTable], svg: Option<&str>) -> String {
    let mut out = String::from("<div class=\"fairdistill-report\" style=\"font-family: sans-serif\">\n");
    let _ = writeln!(out, "<h3>{}</h3>", html_escape(title));
    for t in tables {
        let _ = writeln!(out, "<table style=\"border-collapse: collapse; margin-bottom: 0.5em\">");
        let _ = writeln!(out, "<caption style=\"text-align: left; font-weight: bold\">{}</caption>", html_escape(&t.title));
        out.push_str("<thead><tr>");
        for (c, a) in t.columns.iter().zip(&t.align) {
            let _ = write!(out, "<th style=\"{}\">{}</th>", cell_style(*a, true), html_escape(c));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for r in &t.rows {
            out.push_str("<tr>");
            for (c, a) in r.iter().zip(&t.align) {
                let _ = write!(out, "<td style=\"{}\">{}</td>", cell_style(*a, false), html_escape(c));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table>\n");
        for n in &t.notes {
            let _ = writeln!(out, "<p style=\"margin: 0.2em 0; font-size: 0.9em\">{}</p>", html_escape(n));
        }
    }
    if let Some(svg) = svg {
        out.push_str(svg);
        out.push('\n');
    }
    out.push_str("</div>\n");
    out
}

fn cell_style(a: Align, header: bool) -> &'static str {
    match (a, header) {
        (Align::Left, true) => "text-align: left; padding: 2px 8px; border-bottom: 1px solid #888",
        (Align::Right, true) => "text-align: right; padding: 2px 8px; border-bottom: 1px solid #888",
        (Align::Left, false) => "text-align: left; padding: 2px 8px",
        (Align::Right, false) => "text-align: right; padding: 2px 8px; font-variant-numeric: tabular-nums",
    }
}

/// The block evcxr reads from stdout: a text/plain and a text/html representation, one string.
pub fn evcxr_block(text: &str, html: &str) -> String {
    format!(
        "EVCXR_BEGIN_CONTENT text/plain\n{text}\nEVCXR_END_CONTENT\nEVCXR_BEGIN_CONTENT text/html\n{html}\nEVCXR_END_CONTENT"
    )
}

/// Gives a report type inherent renderers: `to_text`, `to_markdown`, `to_html`, `to_json`,
/// `evcxr_display` (inline display in evcxr notebooks) and `Display` (= `to_text`).
#[macro_export]
macro_rules! impl_renderers {
    ($t:ty) => {
        impl $t {
            /// Plain-text rendering (also what `Display` prints).
            pub fn to_text(&self) -> String {
                let r: &dyn $crate::report::Render = self;
                $crate::report::render_text(&r.title(), &r.tables())
            }

            /// Markdown rendering.
            pub fn to_markdown(&self) -> String {
                let r: &dyn $crate::report::Render = self;
                $crate::report::render_markdown(&r.title(), &r.tables())
            }

            /// HTML fragment, with the chart when the report has one.
            pub fn to_html(&self) -> String {
                let r: &dyn $crate::report::Render = self;
                $crate::report::render_html(&r.title(), &r.tables(), r.svg().as_deref())
            }

            /// Pretty JSON of the whole result (undefined values are `null`).
            pub fn to_json(&self) -> $crate::Result<String> {
                Ok(serde_json::to_string_pretty(self)?)
            }

            /// Inline display in an evcxr notebook: prints a text/plain and a text/html block in
            /// one `println!`.
            pub fn evcxr_display(&self) {
                println!("{}", $crate::report::evcxr_block(&self.to_text(), &self.to_html()));
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.to_text())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> ReportTable {
        let mut t = ReportTable::new("Rates", ["group", "n", "TPR"]);
        t.row(["a|b", "10", "0.5000"]).row(["<c>", "2", "n/a (no positives)"]).note("a note");
        t
    }

    #[test]
    fn text_is_aligned() {
        let s = render_text("Title", &[table()]);
        assert_eq!(
            s,
            "Title\n=====\n\nRates\n  group   n                 TPR\n  -----  --  ------------------\n  a|b    10              0.5000\n  <c>     2  n/a (no positives)\n  note: a note\n"
        );
    }

    #[test]
    fn markdown_escapes_pipes_and_aligns_numbers_right() {
        let s = render_markdown("Title", &[table()]);
        assert_eq!(
            s,
            "## Title\n\n### Rates\n\n| group | n | TPR |\n|---|---:|---:|\n| a\\|b | 10 | 0.5000 |\n| <c> | 2 | n/a (no positives) |\n\n- a note\n"
        );
    }

    #[test]
    fn html_escapes() {
        let s = render_html("T&T", &[table()], None);
        assert!(s.contains("<h3>T&amp;T</h3>"));
        assert!(s.contains(">&lt;c&gt;</td>"));
        assert!(!s.contains("<c>"));
    }

    #[test]
    fn evcxr_block_has_both_mime_types() {
        let b = evcxr_block("plain", "<b>html</b>");
        assert!(b.starts_with("EVCXR_BEGIN_CONTENT text/plain\nplain\nEVCXR_END_CONTENT\n"));
        assert!(b.ends_with("EVCXR_BEGIN_CONTENT text/html\n<b>html</b>\nEVCXR_END_CONTENT"));
    }
}

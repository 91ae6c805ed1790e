//! A standalone HTML report: a complete document around the report's fragments, readable offline
//! and printable.

use std::fmt::Write;

use crate::report::render::html_escape;

/// What heads a standalone report: the command that made it and from which configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentMeta {
    pub command: String,
    /// The crate version that produced the report.
    pub version: String,
    /// When the report was written (RFC 3339, UTC).
    pub date: String,
    /// A fingerprint of the study's configuration (e.g. FNV-1a of its JSON `params`).
    pub config_hash: String,
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1a1a;max-width:64em;margin:2em auto;padding:0 1em;line-height:1.45}\
h1{font-size:1.6em;margin-bottom:0.2em}h3{margin-top:1.6em}\
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:0.1em 1em;font-size:0.92em;color:#333}dl.meta dt{font-weight:600}dl.meta dd{margin:0}\
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:0.92em;background:#f3f3f3;padding:0 0.2em;overflow-wrap:anywhere}\
nav.toc{border:1px solid #ddd;padding:0.5em 1em;margin:1em 0;font-size:0.95em}nav.toc ol{margin:0.3em 0;padding-left:1.4em}\
table{border-collapse:collapse;margin:0.4em 0 0.6em;display:block;overflow-x:auto;max-width:100%}caption{text-align:left;font-weight:600;padding:0.3em 0}\
th,td{padding:2px 8px}td[style*='tabular-nums']{white-space:nowrap}tbody tr:nth-child(even){background:#f7f7f7}\
svg{max-width:100%;height:auto;display:block;margin:0.8em 0}img{max-width:100%}\
@media print{body{max-width:none;margin:0}table{display:table;font-size:0.8em}td[style*='tabular-nums']{white-space:normal}nav.toc{display:none}tr,svg,img{break-inside:avoid}}";

/// A complete HTML document: doctype, `<head>` with the title and a stylesheet (screen and
/// print), a header with the command, version, date and config hash, a table of contents of
/// every section heading (`<h3>`) and table (`<caption>`) of `fragment`, then `fragment` itself
/// with ids added to those headings. `fragment` is what [`crate::report::render_html`] writes
/// (several may be concatenated); nothing is loaded from elsewhere.
pub fn html_document(title: &str, fragment: &str, meta: &DocumentMeta) -> String {
    let (body, toc) = add_section_ids(fragment);
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<meta name=\"generator\" content=\"fairdistill {}\">", html_escape(&meta.version));
    let _ = writeln!(out, "<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>", html_escape(title));
    let _ = writeln!(out, "<header>\n<h1>{}</h1>\n<dl class=\"meta\">", html_escape(title));
    for (k, v) in [("Command", format!("<code>{}</code>", html_escape(&meta.command))), ("Version", format!("fairdistill {}", html_escape(&meta.version))), ("Date", html_escape(&meta.date)), ("Config hash", format!("<code>{}</code>", html_escape(&meta.config_hash)))] {
        let _ = writeln!(out, "<dt>{k}</dt><dd>{v}</dd>");
    }
    out.push_str("</dl>\n</header>\n");
    if !toc.is_empty() {
        out.push_str("<nav class=\"toc\" aria-label=\"Contents\"><b>Contents</b>\n<ol>\n");
        for (id, text) in &toc {
            let _ = writeln!(out, "<li><a href=\"#{id}\">{text}</a></li>");
        }
        out.push_str("</ol>\n</nav>\n");
    }
    let _ = write!(out, "<main>\n{body}</main>\n</body>\n</html>\n");
    out
}

/// Adds `id="sN"` to every `<h3>` and `<caption>` of `fragment` (the renderer's own markup) and
/// returns the new fragment with the (id, already-escaped text) of each, in order.
fn add_section_ids(fragment: &str) -> (String, Vec<(String, String)>) {
    let mut out = String::with_capacity(fragment.len() + 256);
    let mut toc = Vec::new();
    let mut rest = fragment;
    loop {
        let next = ["<h3", "<caption"].iter().filter_map(|tag| rest.find(tag).map(|i| (i, *tag))).min();
        let Some((at, tag)) = next else { break };
        let close = if tag == "<h3" { "</h3>" } else { "</caption>" };
        let (Some(gt), Some(end)) = (rest[at..].find('>'), rest[at..].find(close)) else { break };
        let id = format!("s{}", toc.len() + 1);
        out.push_str(&rest[..at + tag.len()]);
        let _ = write!(out, " id=\"{id}\"");
        out.push_str(&rest[at + tag.len()..at + end]);
        toc.push((id, rest[at + gt + 1..at + end].to_string()));
        rest = &rest[at + end..];
    }
    out.push_str(rest);
    (out, toc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{render_html, ReportTable};

    #[test]
    fn a_complete_document_with_contents_and_metadata() {
        let mut t = ReportTable::new("Rates <by group>", ["group", "n"]);
        t.row(["a", "1"]);
        let fragment = render_html("Study", &[t.clone(), t], Some("<svg width=\"10\"></svg>"));
        let meta = DocumentMeta { command: "fairdistill reproduce x --out 'a b'".into(), version: "0.1.0".into(), date: "2026-12-03T07:00:00Z".into(), config_hash: "0123456789abcdef".into() };
        let doc = html_document("Study & more", &fragment, &meta);
        assert!(doc.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(doc.contains("<title>Study &amp; more</title>") && doc.contains("<style>"));
        assert!(doc.contains("<code>fairdistill reproduce x --out &#39;a b&#39;</code>"));
        assert!(doc.contains("0123456789abcdef") && doc.contains("2026-12-03T07:00:00Z") && doc.contains("fairdistill 0.1.0"));
        // Contents: the title heading and both tables, linked to their ids.
        for (id, text) in [("s1", "Study"), ("s2", "Rates &lt;by group&gt;"), ("s3", "Rates &lt;by group&gt;")] {
            assert!(doc.contains(&format!("<li><a href=\"#{id}\">{text}</a></li>")), "{id}: {doc}");
            assert!(doc.contains(&format!(" id=\"{id}\"")), "{id}");
        }
        assert!(doc.contains("<svg width=\"10\"></svg>") && doc.trim_end().ends_with("</html>"));
        assert_eq!(doc.matches("<body>").count(), 1);
    }
}

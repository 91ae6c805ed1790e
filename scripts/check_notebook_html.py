"""HTML check of an executed notebook (see scripts/check-notebook-html and docs/NOTEBOOKS.md).

1. Converts the executed copy OUTPUT_DIR/NAME.ipynb to OUTPUT_DIR/NAME.html with
   `python3 -m nbconvert --to html` (what a reader gets from `jupyter nbconvert`).
2. Loads that page in headless Chromium with --dump-dom and checks the DOM the browser built:
   at least one table (with --headers: a table whose header cells include every one of them,
   e.g. notebook 01's by-group table: group, selection, TPR, FPR), at least one <svg> element
   (a chart), and no error output (an `error` output in the executed copy, or "panicked at" in
   the page).
3. Takes a screenshot (--window-size=1200,1600) of a short page holding only the section named
   by --section (e.g. notebook 01's audit by sex: its tables and chart fit in the window), or
   of the top of the whole page without --section, and checks that the PNG is not blank.

Prints `html check: PASS ...` or `html check: FAIL ...` last; exit status 0 or 1.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]
BROWSER_TIMEOUT = 120


class CheckFailed(Exception):
    pass


def chart_width(attrs: dict) -> float:
    """Width in pixels of an <svg> element, or of the SVG an <img> holds as a data URI (nbconvert
    writes `image/svg+xml` outputs that way); 0 when it is neither."""
    import base64
    import re

    text = ""
    if "src" in attrs and (attrs.get("src") or "").startswith("data:image/svg+xml;base64,"):
        try:
            text = base64.b64decode(attrs["src"].split(",", 1)[1])[:400].decode("utf-8", "replace")
        except ValueError:
            return 0.0
        found = re.search(r'<svg[^>]*\bwidth="([0-9.]+)', text)
        return float(found.group(1)) if found else 0.0
    try:
        return float((attrs.get("width") or "0").rstrip("px"))
    except ValueError:
        return 0.0


class DomTables(HTMLParser):
    """Collects, for every <table>, its caption and header-cell texts, and counts charts: <svg>
    elements and SVG images at least 200 px wide (icons are smaller)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.open_tables: list[dict] = []
        self.svg_count = 0
        self.capture: str | None = None  # "th" or "caption" while inside one
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("svg", "img") and chart_width(dict(attrs)) >= 200:
            self.svg_count += 1
        elif tag == "table":
            table = {"caption": "", "headers": []}
            self.tables.append(table)
            self.open_tables.append(table)
        elif tag in ("th", "caption") and self.open_tables:
            self.capture, self.text = tag, []

    def handle_endtag(self, tag):
        if tag == "table" and self.open_tables:
            self.open_tables.pop()
        elif tag == self.capture and self.open_tables:
            text = " ".join("".join(self.text).split())
            if tag == "th":
                self.open_tables[-1]["headers"].append(text)
            else:
                self.open_tables[-1]["caption"] = text
            self.capture = None

    def handle_data(self, data):
        if self.capture:
            self.text.append(data)


def run(cmd: list[str], what: str, timeout: float = BROWSER_TIMEOUT) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"{what} did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout or "").strip().splitlines()[-8:])
        raise CheckFailed(f"{what} exited with status {done.returncode}" + (f":\n{tail}" if tail else " (no output)"))
    return done


def chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], f"{Path(browser).name} {args[0]}")


def nbconvert(notebook: Path, out_dir: Path) -> Path:
    run([sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(out_dir), str(notebook)],
        "nbconvert", timeout=300)
    html = out_dir / (notebook.stem + ".html")
    if not html.is_file():
        raise CheckFailed(f"nbconvert wrote no {html}")
    return html


def section_copy(notebook: Path, section: str, dest: Path) -> int:
    """Writes a copy of the executed notebook holding only the cells from the markdown heading
    that contains `section` up to the next heading of the same level (or higher)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    start = None
    for i, cell in enumerate(nb.cells):
        first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
        if cell.cell_type == "markdown" and first.startswith("#") and section in first:
            start, level = i, len(first) - len(first.lstrip("#"))
            break
    if start is None:
        raise CheckFailed(f"{notebook.name} has no markdown heading containing {section!r}")
    end = len(nb.cells)
    for i in range(start + 1, len(nb.cells)):
        cell = nb.cells[i]
        first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
        if cell.cell_type == "markdown" and first.startswith("#") and len(first) - len(first.lstrip("#")) <= level:
            end = i
            break
    nb.cells = nb.cells[start:end]
    nbformat.write(nb, dest)
    return end - start


def png_is_blank(path: Path) -> bool:
    """True when the PNG's pixel data holds almost a single value (a white page)."""
    data = path.read_bytes()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise CheckFailed(f"{path} is not a PNG file")
    pos, idat = 8, b""
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    pixels = zlib.decompress(idat)
    return len(set(pixels[: 4 << 20])) <= 8


def check(args) -> str:
    out_dir = args.output_dir.resolve()
    notebook = out_dir / args.notebook
    if not notebook.is_file():
        raise CheckFailed(f"no executed copy {notebook} (run scripts/run-notebooks --output-dir {args.output_dir} first)")
    browser = args.chromium or shutil.which("chromium") or "/usr/bin/chromium"
    profile = Path(tempfile.mkdtemp(prefix="fairdistill-chromium-"))
    try:
        t0 = time.monotonic()
        html = nbconvert(notebook, out_dir)
        print(f"nbconvert: wrote {html} ({html.stat().st_size // 1024} KiB)", flush=True)

        dom = chromium(browser, profile, "--dump-dom", html.as_uri()).stdout
        (out_dir / (notebook.stem + ".dom.html")).write_text(dom)
        parsed = DomTables()
        parsed.feed(dom)
        parsed.close()
        import nbformat

        errors = [o for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"
                  for o in c.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            raise CheckFailed(f"{len(errors)} error output(s) in the executed notebook: {errors[0].get('ename', '')}")
        if "panicked at" in dom:
            raise CheckFailed("the page shows a panic ('panicked at')")
        wanted = args.headers
        tables = [t for t in parsed.tables if all(h in t["headers"] for h in wanted)]
        print(f"chromium --dump-dom: {len(dom) // 1024} KiB of DOM, {len(parsed.tables)} tables, "
              f"{parsed.svg_count} <svg> elements", flush=True)
        if not tables:
            seen = "; ".join(f"{t['caption'] or '(no caption)'}: {', '.join(t['headers'])}" for t in parsed.tables[:8])
            raise CheckFailed(f"no table in the DOM has the header cells {', '.join(wanted)} (tables seen: {seen or 'none'})")
        if parsed.svg_count == 0:
            raise CheckFailed("no <svg> element (chart) in the DOM")

        shot = (args.screenshot or out_dir / (notebook.stem + ".png")).resolve()
        shot.parent.mkdir(parents=True, exist_ok=True)
        if args.section:
            excerpt = out_dir / (notebook.stem + ".section.ipynb")
            section_copy(notebook, args.section, excerpt)
            page = nbconvert(excerpt, out_dir)
        else:
            page = html
        chromium(browser, profile, f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri())
        if not shot.is_file() or png_is_blank(shot):
            raise CheckFailed(f"the screenshot {shot} is missing or blank")
        print(f"chromium --screenshot: {shot} ({shot.stat().st_size // 1024} KiB, section {args.section or 'top of the page'!r})", flush=True)
        table = tables[0]
        has = f"table {table['caption']!r} has header cells {', '.join(wanted)}" if wanted else f"{len(parsed.tables)} tables"
        return (f"{html.name} loaded in headless Chromium; {has}; {parsed.svg_count} <svg> charts; no error output; "
                f"screenshot {shot.name} ({time.monotonic() - t0:.1f} s)")
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output_dir", type=Path, help="folder holding the executed notebook (scripts/run-notebooks --output-dir)")
    ap.add_argument("--notebook", default="01-audit-a-classifier.ipynb", help="file name of the executed notebook")
    ap.add_argument("--headers", nargs="*", default=[],
                    help="header cells one table must have (default: any table; notebook 01: group selection TPR FPR)")
    ap.add_argument("--section", default=None, help="heading text of the section to screenshot (default: the top of the page)")
    ap.add_argument("--screenshot", type=Path, default=None,
                    help="where the PNG goes (default OUTPUT_DIR/NAME.png; docs/notebook-01.png to refresh the committed one)")
    ap.add_argument("--chromium", default=None, help="browser binary (default: chromium on PATH)")
    args = ap.parse_args()
    try:
        summary = check(args)
    except CheckFailed as e:
        print(f"html check: FAIL {args.notebook}: {e}", flush=True)
        return 1
    print(f"html check: PASS {summary}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

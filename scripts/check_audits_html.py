"""Browser check of the committed HTML reports (see scripts/check-audits-html and docs/NOTEBOOKS.md).

For every audits/*.html:
1. the file is a complete document: `<!DOCTYPE html>` first (after any leading comment), a <head>
   with a <style>, a table of contents and the command, version and config hash;
2. loaded in headless Chromium with --dump-dom, the DOM holds at least two charts (<svg> elements
   at least 200 px wide) and no "panicked at";
3. a report of one seed (its JSON's `params.seeds` is 1) shows no "± 0.0…" (a spread of one seed
   is "n/a", never zero);
4. a screenshot (--window-size=1100,2400) is written to OUTPUT_DIR and is not blank.

Prints one line per report and `audits html check: PASS N reports` or `... FAIL ...` last.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_notebook_html import CheckFailed, DomTables, chromium, png_is_blank  # noqa: E402

ZERO_SPREAD = re.compile(r"± 0\.0+(?![0-9]*[1-9])\b")


def check_report(path: Path, browser: str, profile: Path, out_dir: Path) -> str:
    text = path.read_text()
    body = re.sub(r"^\s*(<!--.*?-->\s*)*", "", text, flags=re.S)
    if not body.lower().startswith("<!doctype html>"):
        raise CheckFailed(f"{path.name}: no <!DOCTYPE html> first (after leading comments)")
    for needle, what in [("<head>", "a <head>"), ("<style>", "a <style> sheet"), ('class="toc"', "a table of contents"),
                         ("Config hash", "the config hash"), ("Version", "the version"), ("Command", "the command")]:
        if needle not in text:
            raise CheckFailed(f"{path.name}: no {what}")
    dom = chromium(browser, profile, "--dump-dom", path.resolve().as_uri()).stdout
    parsed = DomTables()
    parsed.feed(dom)
    parsed.close()
    if parsed.svg_count < 2:
        raise CheckFailed(f"{path.name}: {parsed.svg_count} chart(s) in the DOM, at least 2 wanted")
    if "panicked at" in dom:
        raise CheckFailed(f"{path.name}: the page shows a panic")
    report = path.with_suffix(".json")
    seeds = None
    if report.is_file():
        seeds = (json.loads(report.read_text()).get("params") or {}).get("seeds")
    if seeds == 1 and ZERO_SPREAD.search(dom):
        raise CheckFailed(f"{path.name}: one seed, yet a spread of zero ('{ZERO_SPREAD.search(dom).group(0)}') is shown")
    shot = out_dir / (path.stem + ".png")
    chromium(browser, profile, f"--screenshot={shot}", "--window-size=1100,2400", path.resolve().as_uri())
    if not shot.is_file() or png_is_blank(shot):
        raise CheckFailed(f"{path.name}: the screenshot {shot} is missing or blank")
    return f"{path.name}: {len(parsed.tables)} tables, {parsed.svg_count} charts, seeds {seeds}, screenshot {shot}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reports", nargs="*", type=Path, help="HTML reports (default: audits/*.html)")
    ap.add_argument("--output-dir", type=Path, default=None, help="where the screenshots go (default: a new temporary folder)")
    ap.add_argument("--chromium", default=None, help="browser binary (default: chromium on PATH)")
    args = ap.parse_args()
    root = Path(__file__).resolve().parent.parent
    reports = args.reports or sorted((root / "audits").glob("*.html"))
    out_dir = args.output_dir or Path(tempfile.mkdtemp(prefix="fairdistill-audits-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    browser = args.chromium or shutil.which("chromium") or "/usr/bin/chromium"
    profile = Path(tempfile.mkdtemp(prefix="fairdistill-chromium-"))
    failed = []
    try:
        for path in reports:
            try:
                print(f"ok   {check_report(path, browser, profile, out_dir)}", flush=True)
            except CheckFailed as e:
                failed.append(str(e))
                print(f"FAIL {e}", flush=True)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if failed:
        print(f"audits html check: FAIL {len(failed)} of {len(reports)} reports: {failed[0]}")
        return 1
    print(f"audits html check: PASS {len(reports)} reports (screenshots in {out_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

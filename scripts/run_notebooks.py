"""Headless runner of the numbered notebooks (see scripts/run-notebooks and docs/NOTEBOOKS.md).

Executes every notebooks/[0-9][0-9]-*.ipynb in order with the `rust` (evcxr) kernel through
nbclient: no Jupyter server, no browser. A notebook fails on a cell error, a dead kernel, a
timeout (per cell or for the whole notebook), output text containing "panicked at", or when it
showed no HTML table or no chart. Executed copies go to a scratch folder, never over the
committed notebooks. After each notebook has run, scripts/check-notebook-html renders its
executed copy to HTML and checks it in headless Chromium (a table, a chart, no error output, a
screenshot that is not blank; for notebook 01 also its by-group table and a screenshot of the
audit by sex); that check is part of the notebook passing. The last line printed is
`N passed, M failed`, counting notebooks.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

PANIC_MARK = "panicked at"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NotebookFailure(Exception):
    """A notebook failed; the message names the cell."""


def output_texts(output) -> list[tuple[str, str]]:
    """(kind, text) pairs of one cell output: stream text, each MIME payload, tracebacks."""
    kind = output.get("output_type")
    found = []
    if kind == "stream":
        found.append(("stream", "".join(output.get("text", ""))))
    elif kind in ("display_data", "execute_result"):
        for mime, payload in output.get("data", {}).items():
            text = payload if isinstance(payload, str) else "".join(payload) if isinstance(payload, list) else ""
            found.append((mime, text))
    elif kind == "error":
        found.append(("error", "\n".join(output.get("traceback", [])) + "\n" + output.get("evalue", "")))
    return found


def describe_cell(index: int, cell) -> str:
    first = next((line for line in cell.source.splitlines() if line.strip()), "").strip()
    if len(first) > 70:
        first = first[:67] + "..."
    return f"cell {index + 1} (`{first}`)"


def error_text(cell, exc: Exception) -> str:
    """The kernel's error for a failed cell, ANSI colours and backtraces removed (else nbclient's
    message)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            parts.append(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
            parts.extend(output.get("traceback", [])[1:])
        elif output.get("output_type") == "stream" and output.get("name") == "stderr":
            parts.append("".join(output.get("text", "")))
    if not parts:
        return short(str(exc))
    lines = [line.rstrip() for line in ANSI.sub("", "\n".join(parts)).splitlines() if line.strip()]
    kept, in_backtrace = [], False
    for line in lines:
        if line.strip() == "stack backtrace:":
            in_backtrace = True
            kept.append("  [stack backtrace left out]")
        elif in_backtrace and re.match(r"^\s+(\d+:|at )", line):
            continue
        else:
            in_backtrace = False
            kept.append(line)
    return short("\n".join("  " + line for line in kept))


def short(text: str, limit: int = 1500) -> str:
    text = text.strip("\n")
    return text if len(text) <= limit else text[: limit // 3] + "\n  [...]\n" + text[-2 * limit // 3 :]


def run_notebook(path: Path, kernel: str, cell_timeout: float, budget: float, out_dir: Path) -> tuple[float, str]:
    """Executes one notebook; returns (seconds, summary) or raises NotebookFailure. The kernel's
    own stdout and stderr (evcxr's cargo output) go to OUT_DIR/NAME.kernel.log."""
    nb = nbformat.read(path, as_version=4)
    out_dir.mkdir(parents=True, exist_ok=True)
    kernel_log = open(out_dir / (path.stem + ".kernel.log"), "wb")
    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=cell_timeout,
        startup_timeout=120,
        allow_errors=False,
        interrupt_on_timeout=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.monotonic()
    has_table = False
    has_chart = False
    timings = []
    try:
        with client.setup_kernel(stdout=kernel_log, stderr=kernel_log):
            reply = client.wait_for_reply(client.kc.kernel_info())
            if reply is not None and "language_info" in reply["content"]:
                nb.metadata["language_info"] = reply["content"]["language_info"]
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                left = budget - (time.monotonic() - start)
                if left <= 0:
                    raise NotebookFailure(f"notebook budget of {budget:.0f} s spent before {describe_cell(index, cell)}")
                client.timeout = max(1, int(min(cell_timeout, left)))
                t0 = time.monotonic()
                try:
                    client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
                except CellTimeoutError:
                    limit = "per-cell timeout" if client.timeout >= cell_timeout else "notebook budget"
                    raise NotebookFailure(
                        f"{describe_cell(index, cell)} timed out after {client.timeout} s ({limit})"
                    ) from None
                except DeadKernelError as e:
                    raise NotebookFailure(f"{describe_cell(index, cell)}: the kernel died ({e})") from None
                except CellExecutionError as e:
                    text = error_text(cell, e)
                    what = "panicked" if PANIC_MARK in text else "raised an error"
                    raise NotebookFailure(f"{describe_cell(index, cell)} {what}:\n{text}") from None
                finally:
                    timings.append((index, time.monotonic() - t0))
                for output in cell.get("outputs", []):
                    for mime, text in output_texts(output):
                        if PANIC_MARK in text:
                            raise NotebookFailure(f"{describe_cell(index, cell)} panicked:\n{short(text)}")
                        if mime == "text/html" and "<table" in text:
                            has_table = True
                        if mime == "image/svg+xml" or (mime == "text/html" and "<svg" in text):
                            has_chart = True
    except NotebookFailure:
        raise
    except DeadKernelError as e:
        raise NotebookFailure(f"the kernel died ({e})") from None
    except Exception as e:  # kernel start-up and protocol failures
        raise NotebookFailure(
            f"could not run the notebook: {type(e).__name__}: {e} (kernel log: {kernel_log.name})"
        ) from None
    finally:
        kernel_log.close()
        nbformat.write(nb, out_dir / path.name)
        if os.environ.get("RUN_NOTEBOOKS_VERBOSE"):
            for index, seconds in timings:
                print(f"    cell {index + 1}: {seconds:.1f} s")
    missing = [what for what, ok in (("HTML table (a text/html output containing <table)", has_table),
                                     ("chart (an image/svg+xml output, or text/html containing <svg)", has_chart)) if not ok]
    if missing:
        raise NotebookFailure("ran, but showed no " + " and no ".join(missing))
    seconds = time.monotonic() - start
    slowest = max(timings, key=lambda t: t[1]) if timings else (0, 0.0)
    return seconds, f"{len(timings)} code cells, slowest cell {slowest[0] + 1} ({slowest[1]:.1f} s)"


# Notebook-specific HTML checks: header cells one table must have, and the section screenshotted.
HTML_CHECK_ARGS = {
    "01-audit-a-classifier.ipynb": ["--headers", "group", "selection", "TPR", "FPR", "--section", "Audit by sex"],
}


def html_check(root: Path, out_dir: Path, name: str) -> tuple[float, str]:
    """Runs scripts/check-notebook-html on the executed copy OUT_DIR/NAME; returns (seconds, its
    PASS line) or raises NotebookFailure with its output."""
    start = time.monotonic()
    try:
        done = subprocess.run([str(root / "scripts" / "check-notebook-html"), str(out_dir), "--notebook", name,
                               *HTML_CHECK_ARGS.get(name, [])],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1200)
    except subprocess.TimeoutExpired:
        raise NotebookFailure("HTML check: scripts/check-notebook-html ran past 1200 s") from None
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    for line in lines[:-1]:
        print(f"    {line}", flush=True)
    last = lines[-1] if lines else "(no output)"
    if done.returncode != 0 or not last.startswith("html check: PASS"):
        raise NotebookFailure(f"HTML check failed (scripts/check-notebook-html {out_dir}):\n  {last}")
    return time.monotonic() - start, last[len("html check: PASS "):]


def kernel_installed(kernel: str) -> bool:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel)
        return True
    except NoSuchKernel:
        return False


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/[0-9][0-9]-*.ipynb)")
    ap.add_argument("--kernel", default="rust")
    ap.add_argument("--cell-timeout", type=float, default=float(os.environ.get("NOTEBOOK_CELL_TIMEOUT", 1200)))
    ap.add_argument("--budget", type=float, default=float(os.environ.get("NOTEBOOK_BUDGET", 1500)),
                    help="seconds for one whole notebook")
    ap.add_argument("--output-dir", type=Path, default=None,
                    help="where executed copies go (default: a new temporary folder)")
    ap.add_argument("--html-check", default=os.environ.get("RUN_NOTEBOOKS_HTML_CHECK", "all"),
                    help="notebooks whose executed copies scripts/check-notebook-html checks after they pass "
                         "(default all; a file name for one; 0 or none: no check)")
    args = ap.parse_args()

    # evcxr's cache keys compiled crates by their rustc command line alone and skips incremental
    # builds, i.e. the local crate. CARGO_INCREMENTAL=0 would let it serve a stale fairdistill.
    os.environ.pop("CARGO_INCREMENTAL", None)
    # evcxr builds each kernel's crate in a fresh temporary folder, so every notebook compiled
    # fairdistill again (about 70 s of each on 2 cores). One folder for every kernel of this run
    # (they run one after another) lets cargo's own fingerprints reuse the build: it rebuilds
    # whatever changed, as in any target folder. EVCXR_TMPDIR set by the caller wins.
    if "EVCXR_TMPDIR" not in os.environ:
        shared = root / "target" / "evcxr-notebooks"
        shared.mkdir(parents=True, exist_ok=True)
        os.environ["EVCXR_TMPDIR"] = str(shared)
    paths = [Path(p).resolve() for p in args.notebooks] or sorted((root / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    if not kernel_installed(args.kernel):
        print(f"run-notebooks: no `{args.kernel}` kernelspec; run scripts/install-notebook-tools first", file=sys.stderr)
        print(f"0 passed, {len(paths) or 1} failed")
        return 1
    out_dir = args.output_dir or Path(tempfile.mkdtemp(prefix="fairdistill-notebooks-"))
    if not paths:
        print("run-notebooks: no notebooks/[0-9][0-9]-*.ipynb found")
    passed = failed = 0
    for path in paths:
        print(f"== {path.name}", flush=True)
        try:
            seconds, summary = run_notebook(path, args.kernel, args.cell_timeout, args.budget, out_dir)
            if args.html_check == "all" or path.name == args.html_check:
                html_seconds, html_summary = html_check(root, out_dir.resolve(), path.name)
                summary += f"; HTML check passed in {html_seconds:.1f} s"
                print(f"    html check: {html_summary}", flush=True)
        except NotebookFailure as e:
            failed += 1
            print(f"FAIL {path.name}: {e}", flush=True)
        else:
            passed += 1
            print(f"ok   {path.name}: {seconds:.1f} s, {summary}", flush=True)
    print(f"executed copies: {out_dir}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

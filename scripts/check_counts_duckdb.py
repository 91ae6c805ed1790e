"""Counts from an SQL engine give the audit of the rows (issue 18; docs/CLI.md, "Counts in").

DuckDB (its Python package) makes 200,000 prediction rows (two sensitive columns), writes them as
CSV, Parquet and Arrow IPC, and computes the counts table from the Parquet file with a GROUP BY
(as CSV, as Parquet, and as two shards by row id). Then `fairdistill audit` runs on the CSV rows,
the Parquet and Arrow rows (streamed), DuckDB's counts (CSV and Parquet) and the two shards summed
(`--counts a --counts b`), and every number of every JSON report must agree with the CSV rows' to
1e-12 (the `input` block aside).
Usage: python3 scripts/check_counts_duckdb.py FAIRDISTILL_BINARY
Prints `counts check: PASS ...` or `counts check: FAIL ...` last.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

ROWS = 200_000


def compare(a, b, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in one report" for k in set(a) ^ set(b)]
        for k in set(a) & set(b):
            out += compare(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} against {len(b)} entries"]
        return [m for i, (x, y) in enumerate(zip(a, b)) for m in compare(x, y, f"{path}[{i}]")]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return [] if abs(a - b) <= 1e-12 else [f"{path}: {a!r} against {b!r}"]
    return [] if a == b else [f"{path}: {a!r} against {b!r}"]


def main() -> int:
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="fairdistill-counts-") as tmp:
        d = Path(tmp)
        con = duckdb.connect()
        con.execute("SELECT setseed(0.42)")
        con.execute(f"""
            CREATE TABLE predictions AS
            SELECT CASE WHEN random() < 0.35 THEN 'Female' ELSE 'Male' END AS sex,
                   CASE WHEN r < 0.6 THEN 'White' WHEN r < 0.8 THEN 'Black' ELSE 'Other' END AS race,
                   (random() < 0.3)::INTEGER AS y_true,
                   0 AS y_pred
            FROM (SELECT random() AS r FROM range({ROWS}))""")
        # Predictions that depend on the label and the group (so the gaps are not zero).
        con.execute("""
            UPDATE predictions SET y_pred = (random() < CASE WHEN y_true = 1 THEN 0.7 ELSE 0.1 END
                                                   + CASE WHEN sex = 'Male' THEN 0.08 ELSE 0 END)::INTEGER""")
        con.execute(f"COPY predictions TO '{d / 'rows.csv'}' (HEADER)")
        con.execute(f"COPY predictions TO '{d / 'rows.parquet'}' (FORMAT PARQUET)")
        import pyarrow.feather
        pyarrow.feather.write_feather(con.execute("SELECT * FROM predictions").arrow(), str(d / "rows.arrow"))
        for shard, cond in [("a", "< 70000"), ("b", ">= 70000")]:
            con.execute(f"""
                COPY (SELECT sex, race, y_true, y_pred, COUNT(*) AS count
                      FROM (SELECT *, row_number() OVER () - 1 AS id FROM read_parquet('{d / 'rows.parquet'}'))
                      WHERE id {cond} GROUP BY sex, race, y_true, y_pred)
                TO '{d / f'shard-{shard}.parquet'}' (FORMAT PARQUET)""")
        con.execute(f"""
            COPY (SELECT sex, race, y_true, y_pred, COUNT(*) AS count
                  FROM read_parquet('{d / 'rows.parquet'}')
                  GROUP BY sex, race, y_true, y_pred ORDER BY ALL)
            TO '{d / 'counts.csv'}' (HEADER)""")
        con.execute(f"COPY (SELECT * FROM read_csv('{d / 'counts.csv'}')) TO '{d / 'counts.parquet'}' (FORMAT PARQUET)")
        lines = (d / "counts.csv").read_text().splitlines()
        print(f"duckdb {duckdb.__version__}: {ROWS} rows -> rows.csv, rows.parquet; GROUP BY over the Parquet file -> {len(lines) - 1} count lines")

        def audit(*args: str) -> dict:
            done = subprocess.run([binary, "-q", "audit", *args, "--format", "json"], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"counts check: FAIL fairdistill audit {' '.join(args)}: {done.stderr.strip()}")
            report = json.loads(done.stdout)
            report.pop("input", None)
            return report

        rows = audit("--input", str(d / "rows.csv"), "--y-true", "y_true", "--y-pred", "y_pred", "--sensitive", "sex,race", "--n-boot", "0")
        counts = audit("--counts", str(d / "counts.csv"))
        problems = compare(rows, counts)
        if problems:
            print(f"counts check: FAIL {len(problems)} differences, first: {problems[0]}")
            return 1
        for what, args in [
            ("Parquet rows (streamed)", ["--input", str(d / "rows.parquet"), "--y-true", "y_true", "--y-pred", "y_pred", "--sensitive", "sex,race"]),
            ("Arrow IPC rows (streamed)", ["--input", str(d / "rows.arrow"), "--y-true", "y_true", "--y-pred", "y_pred", "--sensitive", "sex,race"]),
            ("Parquet counts", ["--counts", str(d / "counts.parquet")]),
            ("two Parquet shards summed", ["--counts", str(d / "shard-a.parquet"), "--counts", str(d / "shard-b.parquet")]),
        ]:
            problems = compare(rows, audit(*args))
            if problems:
                print(f"counts check: FAIL {what}: {len(problems)} differences, first: {problems[0]}")
                return 1
        by_sex = audit("--counts", str(d / "counts.csv"), "--sensitive", "sex")
        rows_sex = audit("--input", str(d / "rows.csv"), "--y-true", "y_true", "--y-pred", "y_pred", "--sensitive", "sex", "--n-boot", "0")
        problems = compare(rows_sex, by_sex)
        if problems:
            print(f"counts check: FAIL marginalised to sex: {problems[0]}")
            return 1
        print(f"counts check: PASS the audit of DuckDB's counts equals the audit of the {ROWS} rows to 1e-12 "
              f"({len(rows['groups'])} groups; also marginalised to sex: {len(by_sex['groups'])} groups; Parquet and Arrow rows "
              f"streamed, Parquet counts, two shards summed: equal), "
              f"DPD {rows['demographic_parity_difference']:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

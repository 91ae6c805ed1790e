#!/usr/bin/env python3
"""Time prdc.compute_prdc against fairdistill's synthetic_quality on the same arrays.

Writes seeded Gaussian data (real ~ N(0, 1), fake ~ N(shift, scale^2) per coordinate, from
numpy.random.default_rng(seed)) as raw little-endian f64 files, times
prdc.compute_prdc(real, fake, nearest_k=k) (best of --runs), runs the Rust benchmark
`cargo bench --bench quality -- --real R --fake F --dim D --k K --runs N` on the same files,
checks that the four values agree to 1e-9, and prints a table.

Usage: python3 scripts/bench_quality_prdc.py [--n-real 10000] [--n-fake 10000] [--dim 64]
           [--k 5] [--seed 0] [--runs 3] [--json OUT.json]
Run from the repository root (scripts/bench-quality does that and installs prdc if missing).
"""

import argparse
import contextlib
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import prdc
from importlib.metadata import version

TOLERANCE = 1e-9
KEYS = ("precision", "recall", "density", "coverage")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-real", type=int, default=10_000)
    ap.add_argument("--n-fake", type=int, default=10_000)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shift", type=float, default=0.1)
    ap.add_argument("--scale", type=float, default=1.1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    real = rng.standard_normal((args.n_real, args.dim))
    fake = rng.standard_normal((args.n_fake, args.dim)) * args.scale + args.shift

    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        real_path = os.path.join(tmp, "real.f64")
        fake_path = os.path.join(tmp, "fake.f64")
        real.astype("<f8").tofile(real_path)
        fake.astype("<f8").tofile(fake_path)

        prdc_times, ref = [], None
        for _ in range(args.runs):
            t = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):  # compute_prdc prints the sizes
                ref = prdc.compute_prdc(real_features=real, fake_features=fake, nearest_k=args.k)
            prdc_times.append(time.perf_counter() - t)
        ref = {key: float(ref[key]) for key in KEYS}

        cmd = ["cargo", "bench", "--quiet", "--bench", "quality", "--",
               "--real", real_path, "--fake", fake_path, "--dim", str(args.dim),
               "--k", str(args.k), "--runs", str(args.runs)]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    ours = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])

    diffs = {key: abs(ours[key] - ref[key]) for key in KEYS}
    agree = all(d <= TOLERANCE for d in diffs.values())
    prdc_best, ours_best = min(prdc_times), ours["best_s"]
    result = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "versions": {"python": platform.python_version(), "prdc": version("prdc"),
                     "numpy": np.__version__, "scikit-learn": version("scikit-learn")},
        "data": {"n_real": args.n_real, "n_fake": args.n_fake, "dim": args.dim, "k": args.k,
                 "seed": args.seed, "shift": args.shift, "scale": args.scale},
        "prdc": {"best_s": prdc_best, "mean_s": sum(prdc_times) / len(prdc_times),
                 "times_s": prdc_times, **ref},
        "fairdistill": ours,
        "speedup": prdc_best / ours_best,
        "max_abs_diff": max(diffs.values()),
        "agree_1e-9": agree,
    }

    print(f"synthetic-data quality: {args.n_real} real x {args.n_fake} synthetic x {args.dim} dims, "
          f"k = {args.k}, best of {args.runs} ({os.cpu_count()} CPUs)")
    print(f"{'':12} {'seconds':>9}  {'precision':>10} {'recall':>10} {'density':>10} {'coverage':>10}")
    print(f"{'prdc 0.2':12} {prdc_best:9.3f}  " + " ".join(f"{ref[k]:10.6f}" for k in KEYS))
    print(f"{'fairdistill':12} {ours_best:9.3f}  " + " ".join(f"{ours[k]:10.6f}" for k in KEYS))
    print(f"ratio (prdc / fairdistill): {prdc_best / ours_best:.2f}x; "
          f"values agree to 1e-9: {'yes' if agree else 'NO'} (max |diff| = {max(diffs.values()):.3g})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())

"""fairlearn side of the group-metrics benchmark (run by scripts/bench-audit).

Writes N seeded rows (y_true, y_pred, two sensitive columns) to a CSV for the Rust side, then
times fairlearn on data already in memory, and prints one JSON line. Two timings: the MetricFrame
alone (by-group table of the same eight metrics, overall, difference and ratio by both methods),
and the whole computation (that MetricFrame plus the demographic-parity and equalized-odds
functions for every method and agg, which is what the Rust audit's one call returns).
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from fairlearn.metrics import (MetricFrame, count, demographic_parity_difference,
                               demographic_parity_ratio, equalized_odds_difference,
                               equalized_odds_ratio, false_negative_rate, false_positive_rate,
                               selection_rate, true_negative_rate, true_positive_rate)
from sklearn.metrics import accuracy_score, precision_score


def main():
    out_csv = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = np.random.default_rng(0)
    s1 = rng.choice(np.array(["a", "b", "c", "d"]), size=n)
    s2 = rng.choice(np.array(["x", "y", "z"]), size=n)
    y_true = (rng.random(n) < 0.4).astype(int)
    y_pred = (rng.random(n) < 0.45).astype(int)
    pd.DataFrame({"y_true": y_true, "y_pred": y_pred, "s1": s1, "s2": s2}).to_csv(out_csv, index=False)
    sens = pd.DataFrame({"s1": s1, "s2": s2})

    def precision0(y, p):
        return precision_score(y, p, zero_division=0)

    metrics = {
        "count": count, "selection_rate": selection_rate, "tpr": true_positive_rate,
        "fpr": false_positive_rate, "tnr": true_negative_rate, "fnr": false_negative_rate,
        "accuracy": accuracy_score, "precision": precision0,
    }
    times, frame_times = [], []
    for _ in range(runs):
        t = time.perf_counter()
        mf = MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred, sensitive_features=sens)
        _ = mf.by_group, mf.overall
        for method in ["between_groups", "to_overall"]:
            _ = mf.difference(method=method), mf.ratio(method=method)
        frame_times.append(time.perf_counter() - t)
        vals = {}
        for method in ["between_groups", "to_overall"]:
            vals[f"dpd_{method}"] = demographic_parity_difference(y_true, y_pred, sensitive_features=sens, method=method)
            vals[f"dpr_{method}"] = demographic_parity_ratio(y_true, y_pred, sensitive_features=sens, method=method)
            for agg in ["worst_case", "mean"]:
                vals[f"eod_{method}_{agg}"] = equalized_odds_difference(y_true, y_pred, sensitive_features=sens, method=method, agg=agg)
                vals[f"eor_{method}_{agg}"] = equalized_odds_ratio(y_true, y_pred, sensitive_features=sens, method=method, agg=agg)
        times.append(time.perf_counter() - t)
    print(json.dumps({
        "n": n, "runs": runs, "best_seconds": min(times), "mean_seconds": sum(times) / len(times),
        "metricframe_best_seconds": min(frame_times),
        "demographic_parity_difference": vals["dpd_between_groups"],
        "demographic_parity_ratio": vals["dpr_between_groups"],
        "equalized_odds_difference": vals["eod_between_groups_worst_case"],
        "equalized_odds_ratio": vals["eor_between_groups_worst_case"],
        "equalized_odds_difference_mean": vals["eod_between_groups_mean"],
        "selection_rates": [float(v) for v in mf.by_group["selection_rate"].dropna()],
    }))


if __name__ == "__main__":
    main()

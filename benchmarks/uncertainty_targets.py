"""Do uncertainty-aware rating targets help? Held-out accuracy with and without them (issue 15).

Per-category Arena ratings come with 95 % intervals (``rating_q025``, ``rating_q975``). With them a
rating pair's target is Φ(Δr / sqrt(s_i² + s_j²)) (the probability of the true order) instead of
σ(Δr / (400 / ln 10)). For each case and category this script runs :func:`benchalign.evaluate`
twice on the same random splits and seed, once per target, with the aligned method and the uniform
mean, and prints the held-out pairwise accuracy of both, their paired difference and the noise
ceiling of the held-out pairs. Accuracy is scored against the sign of the rating difference, which
is the same in both modes, so only the fit changes.

    python benchmarks/uncertainty_targets.py --by-category DIR/metabench/preferences_by_category.csv \\
        --case metabench --categories korean,coding,math
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from benchalign.baselines import METHODS
from benchalign.check import heldout_ceiling
from benchalign.data import link, preferences_from_frame
from benchalign.datasets import load_case
from benchalign.evaluate import evaluate, parse_split


def one_category(results, frame: pd.DataFrame, split: str, seed: int) -> dict[str, object]:
    """Held-out aligned and uniform accuracy with interval targets and without, same splits."""
    row: dict[str, object] = {"rated": len(frame)}
    for label, use in (("interval", True), ("plain", False)):
        linked = link(results, preferences_from_frame(frame, interval_targets=use),
                      ignore_unknown=True)
        report = evaluate(results, linked, splits=[parse_split(split)], seed=seed, n_bootstrap=200,
                          methods={k: METHODS[k] for k in ("aligned", "uniform")})
        family = report["splits"]["random"]["methods"]
        row[f"aligned_{label}"] = family["aligned"]["pairwise_accuracy"]["mean"]
        row["uniform"] = family["uniform"]["pairwise_accuracy"]["mean"]
        if use:
            row["ceiling"] = heldout_ceiling(results, linked, report)["random"]
    row["interval_minus_plain"] = row["aligned_interval"] - row["aligned_plain"]  # type: ignore[operator]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--by-category", required=True, help="preferences_by_category.csv")
    parser.add_argument("--case", required=True, help="shipped case with the same models")
    parser.add_argument("--categories", required=True, help="comma list of categories")
    parser.add_argument("--split", default="random:0.3:10")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    results = load_case(args.case).results
    table = pd.read_csv(args.by_category)
    rows = []
    for category in args.categories.split(","):
        start = time.perf_counter()
        frame = table[table["category"] == category].drop(columns="category")
        row = {"case": args.case, "category": category,
               **one_category(results, frame, args.split, args.seed)}
        rows.append(row)
        print(pd.DataFrame([row]).to_string(index=False, float_format="%.3f"),
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()

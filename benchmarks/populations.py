"""Issue 16's honest comparison of populations: metabench with the Arena's per-category ratings.

Runs :func:`benchalign.population_eval.evaluate_populations` on the shipped metabench case with
``preferences_by_category`` restricted to --categories (default full, coding, math,
creative_writing, chinese, if), seed 0, ``random:0.3:--repeats`` splits (the same held-out models
for every category), once per aligner method (--methods; ``auto`` is the default fit, and
``correlation`` forces a label-based weighting so that the categories' weights can differ, and
``correlation/own`` keeps each category's own correlation weights, with no pull toward the pooled
ones).
The same as the command line's

    benchalign evaluate --results mb/results.csv.gz --preferences mb/preferences_by_category.csv \
        --population-column category --split random:0.3:10

for the default method (after restricting the file to the categories).
Per method: each category's own benchmark against the pooled one and uniform on its held-out
pairs, and the cross matrix with the paired difference own − row; the last line per method lists
the (row, column) cells whose paired interval excludes 0 (the populations that differ beyond
noise), or says that none does.

    nice python benchmarks/populations.py --out benchmarks/results/populations.md   # ~6 min
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from benchalign.data import link
from benchalign.datasets import load_case
from benchalign.evaluate import parse_split
from benchalign.outputs import write_atomic
from benchalign.population_eval import evaluate_populations
from benchalign.populations import BLEND_GRID, PopulationAligner, split_populations

CATEGORIES = "full,coding,math,creative_writing,chinese,if"


def _fmt(stat: dict, signed: bool = False) -> str:
    lo, hi = stat["ci"]
    s = "+" if signed else ""
    return f"{stat['mean']:{s}.3f} [{lo:{s}.2f}, {hi:{s}.2f}]"


def tables(fam: dict, method: str) -> list[str]:
    pops = list(fam["populations"])
    lines = [f"### aligner method `{method}`: {fam['description']}, {fam['n_splits']} splits", "",
             "Each category's held-out pairs: its own benchmark, the pooled one, uniform; paired own − pooled.", "",
             "| category | own | pooled | uniform | own − pooled |", "|---|---|---|---|---|"]
    for b in pops:
        m = fam["populations"][b]["methods"]
        lines.append(f"| {b} | {_fmt(m['own']['pairwise_accuracy'])} | {_fmt(m['pooled']['pairwise_accuracy'])} | "
                     f"{_fmt(m['uniform']['pairwise_accuracy'])} | "
                     f"{_fmt(m['own']['paired_vs']['pooled']['pairwise_accuracy'], True)} |")
    lines += ["", "Cross matrix: row = whose benchmark, column = whose held-out pairs; pairwise accuracy, "
              "in brackets the paired difference column's own benchmark − row's.", "",
              "| benchmark | " + " | ".join(pops) + " |", "|---" * (len(pops) + 1) + "|"]
    differ = []
    for a, row in fam["cross"].items():
        cells = []
        for b in pops:
            acc, diff = row[b]["pairwise_accuracy"]["mean"], row[b]["paired_vs_own"]
            if a == b:
                cells.append(f"**{acc:.3f}** (own)")
                continue
            cells.append(f"{acc:.3f} ({_fmt(diff, True)})")
            if diff["ci"][0] > 0 or diff["ci"][1] < 0:
                differ.append(f"{a} on {b}: {_fmt(diff, True)}")
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    verdict = ("cells whose paired interval excludes 0: " + "; ".join(differ)) if differ else \
        "no cell's paired interval excludes 0: no category is told apart from another or from the pooled benchmark"
    return lines + ["", verdict, ""]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--categories", default=CATEGORIES)
    parser.add_argument("--methods", default="auto,correlation,correlation/own")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    case = load_case("metabench")
    frame = case.preferences_by_category
    frame = frame[frame["category"].isin(args.categories.split(","))]
    pops = {n: link(case.results, p) for n, p in split_populations(
        frame[["model", "category", "rating"]], "category").items()}
    lines = ["# Populations: metabench with the Arena's per-category ratings", "",
             "    " + " ".join(shlex.quote(a) for a in ["python", "benchmarks/populations.py", *sys.argv[1:]]), ""]
    for method in args.methods.split(","):
        grid = (0.0,) if method.endswith("/own") else BLEND_GRID  # /own: no pull toward pooled
        aligner = PopulationAligner(random_state=args.seed, blend_grid=grid,
                                    aligner_params={"method": method.removesuffix("/own")})
        report = evaluate_populations(case.results, pops, splits=[parse_split(f"random:0.3:{args.repeats}")],
                                      seed=args.seed, n_bootstrap=args.bootstrap, aligner=aligner)
        lines += tables(report["splits"]["random"], method)
        print("\n".join(lines), flush=True)
    if args.out:
        write_atomic(args.out, "\n".join(lines), force=True)


if __name__ == "__main__":
    main()

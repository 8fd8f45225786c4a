#!/usr/bin/env python3
"""Held-out pairwise accuracy of pruned benchmarks vs K on the shipped cases, paired with K random
questions.

    python benchmarks/prune_curve.py [--cases metabench,alpacaeval2,...] [--repeats 20] [--seed 0]
        [--out benchmarks/results/prune_curve.md]

For each random split (30 % of the rated models held out), :func:`benchalign.prune.prune` is
fitted on the training models' preferences, keeps K questions (K = 10, 30, 100, 300, all),
re-fits their weights, and is scored on the pairs among held-out models; "random" is the plain
mean over K random questions (at "all": the uniform benchmark). Prints the mean accuracy per K,
and pruned minus random and pruned minus the full aligned benchmark, paired over the same splits,
with a 95 % bootstrap interval over splits.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchalign import link
from benchalign.datasets import CASES, load_case
from benchalign.evaluation.splits import SplitSpec
from benchalign.metrics import bootstrap_counts, summarize
from benchalign.prune import CONTROL, CURVE_KS, PRUNED, prune_curve
from benchalign.report.text import format_curve
def paired(wide: pd.DataFrame, reference: pd.Series, n_boot: int, seed: int) -> dict[int, dict]:
    """{K: {"mean", "ci"}} of the pruned benchmark minus ``reference`` (indexed like ``wide``:
    split, k) over the same splits."""
    out = {}
    for k, block in wide.groupby(level="k"):
        diff = (block[PRUNED] - reference.loc[block.index]).to_numpy()
        counts = bootstrap_counts(len(diff), n_boot, np.random.default_rng(seed))
        out[int(k)] = summarize(counts @ diff / len(diff))
    return out


def verdict(stat: dict) -> str:
    lo, hi = stat["ci"]
    word = "win" if lo > 0 else "loss" if hi < 0 else "tie"
    return f"{stat['mean']:+.3f} [{lo:+.3f}, {hi:+.3f}] {word}"


def case_section(name: str, repeats: int, seed: int, n_boot: int) -> list[str]:
    case = load_case(name)
    linked = link(case.results, case.preferences)
    start = time.perf_counter()
    curve = prune_curve(case.results, linked, ks=CURVE_KS, seed=seed,
                        split=SplitSpec("random", repeats=repeats))
    n_items = case.results.n_items
    lines = [f"## {name}", "", f"{case.results.n_models} models x {n_items} questions, "
             f"{len(linked.rated)} rated; {repeats} random splits holding out 30 % of them "
             f"({time.perf_counter() - start:.0f} s)", "", "```", format_curve(curve, n_items), "```", ""]
    ks = sorted(curve["k"].unique())
    head = "| difference | " + " | ".join("all" if k == n_items else str(k) for k in ks) + " |"
    lines += [head, "|---|" + "---|" * len(ks)]
    wide = curve.pivot_table(index=["split", "k"], columns="line", values="pairwise_accuracy")
    full = wide[PRUNED].xs(n_items, level="k")
    whole = pd.Series(full.loc[wide.index.get_level_values("split")].to_numpy(), index=wide.index)
    for label, ref in (("pruned − random K", wide[CONTROL]), ("pruned − all questions", whole)):
        stats = paired(wide, ref, n_boot, seed)
        lines.append(f"| {label} | " + " | ".join(verdict(stats[k]) for k in ks) + " |")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    lines = ["# Pruned benchmarks vs K, beside K random questions, on the same splits", "",
             f"`python benchmarks/prune_curve.py --cases {args.cases} --repeats {args.repeats} "
             f"--seed {args.seed}`. Held-out pairwise accuracy (mean over splits); differences are "
             f"paired over the same splits, 95 % bootstrap interval over splits ({args.bootstrap} "
             "resamples); win / loss: the interval excludes 0.", ""]
    for name in args.cases.split(","):
        lines += case_section(name, args.repeats, args.seed, args.bootstrap)
        print("\n".join(lines[-12:]), flush=True)
    if args.out is not None:
        args.out.write_text("\n".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Held-out pairwise accuracy of pruned benchmarks vs K on a shipped case (default: metabench).

    python benchmarks/prune_curve.py [--case metabench] [--repeats 20] [--seed 0]

For each random split (30 % of the rated models held out), every selection rule of
:mod:`benchalign.prune` is fitted on the training models' preferences, keeps K questions
(K = 10, 30, 100, 300, all), re-fits their weights, and is scored on the pairs among held-out
models; "random" is the plain mean over K random questions (at "all": the uniform benchmark).
Prints the mean accuracy per rule and K, with the standard error over splits.
"""

from __future__ import annotations

import argparse
import sys
import time

from benchalign import link
from benchalign.datasets import CASES, load_case
from benchalign.evaluate import SplitSpec
from benchalign.prune import CURVE_KS, format_curve, prune_curve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=CASES, default="metabench")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    case = load_case(args.case)
    linked = link(case.results, case.preferences)
    start = time.perf_counter()
    curve = prune_curve(case.results, linked, ks=CURVE_KS, seed=args.seed,
                        split=SplitSpec("random", repeats=args.repeats))
    n_items = case.results.n_items
    print(f"{args.case}: {case.results.n_models} models x {n_items} questions, "
          f"{len(linked.rated)} rated; {args.repeats} random splits holding out 30% of them")
    print(format_curve(curve, n_items))
    sem = curve.groupby(["rule", "k"])["pairwise_accuracy"].sem().unstack()
    print(f"standard error over splits: {sem.to_numpy().min():.3f} to {sem.to_numpy().max():.3f}")
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Learning curve: held-out pairwise accuracy vs number of rated training models (issue 6).

For each case (metabench, alpacaeval2, simulated) and each training size n in --sizes ("all" =
every rated model not held out), repeat --repeats times: hold out 30 % of the rated models, draw n
training models from the rest, fit every method on the training preferences only, and score the
held-out pairs. Reports the mean accuracy, a 95 % interval over splits, and the mean paired
difference to the uniform mean with its 95 % interval (normal, over splits).

Simulated cases: benchalign.simulate with 4,100 models of which 100 rated (at n = 20: 20 rated
training models, 30 held out, 4,000 unrated), a planted weighting tied to one skill ("simulated",
planted="skills") or independent of the results ("simulated_items", planted="items"); the "oracle" row scores with the planted weights (the ceiling), and
"oracle_shares" with only the planted benchmark shares, spread evenly within each benchmark.

    nice python benchmarks/learning_curve.py --repeats 50 --out benchmarks/results/learning_curve.md
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from benchalign.baselines import METHODS, VARIANTS, Train
from benchalign.data import link
from benchalign.datasets import load_case
from benchalign.errors import ConvergenceWarning
from benchalign.metrics import pairwise_accuracy
from benchalign.objective import model_scores

ALL = {**METHODS, **VARIANTS}


SIM_SIZES = {"bench_a": 150, "bench_b": 150, "bench_c": 100, "bench_d": 100}
"""Questions per benchmark of the simulated cases (500 in all)."""
SIMULATED = {"simulated": "skills", "simulated_items": "items"}
"""Simulated cases and their planting (see benchalign.simulate): "skills" ties the planted weights
to what a question measures, "items" draws them independently of everything in the results."""


def load(name: str):
    if name not in SIMULATED:
        case = load_case(name)
        return case.results, link(case.results, case.preferences), None
    return simulated(SIMULATED[name])


def simulated(planted: str, draw: int = 0):
    """(results, linked, planted weights) of the simulated case with this planting; ``draw`` is
    the simulator's seed (the learning curve always uses draw 0)."""
    from benchalign.simulate import simulate

    data = simulate(n_models=4100, n_items_per_benchmark=SIM_SIZES, n_rated=100, missing=0.1,
                    noise=0.2, planted=planted, seed=draw)
    return data.results, link(data.results, data.preferences), data.true_weights


def heldout_splits(results, linked, n: int, repeats: int, rng: np.random.Generator):
    """``repeats`` splits of the rated models, each (test pairs, Train): 30 % of them held out,
    ``n`` of the rest the training models, whose ratings (if given) the Train keeps."""
    rated = linked.rated
    n_test = max(2, int(round(0.3 * len(rated))))
    for _ in range(repeats):
        perm = rng.permutation(rated)
        test, train = np.sort(perm[:n_test]), np.sort(perm[n_test:n_test + n])
        ratings = np.full(results.n_models, np.nan)
        ratings[train] = linked.ratings[train]
        yield (linked.pairs.within(test, results.n_models),
               Train(linked.pairs.within(train, results.n_models), ratings))


def method_scores(method: str, results, train: Train, seed: int) -> np.ndarray:
    """Scores [n_models] of a method or variant of benchalign.baselines fitted on ``train``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ALL[method](results, train, seed)


def shares_only(weights: np.ndarray, benchmarks: np.ndarray) -> np.ndarray:
    """The planted benchmark shares spread evenly over each benchmark's items: with
    planted="items" the part of the planted weighting that anything in the results can reveal
    (the item multipliers are independent log-normal draws)."""
    codes = np.unique(benchmarks, return_inverse=True)[1]
    per_item = (np.bincount(codes, weights) / np.bincount(codes))[codes]
    return per_item / per_item.sum()


def run(name: str, methods: list[str], sizes: list[str], repeats: int, seed: int) -> dict:
    results, linked, truth = load(name)
    rated = linked.rated
    n_test = max(2, int(round(0.3 * len(rated))))
    rng = np.random.default_rng(seed)
    out: dict = {}
    for size in sizes:
        n_max = len(rated) - n_test
        n = n_max if size == "all" else int(size)
        if n > n_max or n < 4:
            continue
        ceilings = ["oracle", "oracle_shares"] if truth is not None else []
        acc = {m: [] for m in methods + ceilings}
        for r, (test_pairs, tr) in enumerate(heldout_splits(results, linked, n, repeats, rng)):
            for m in methods:
                acc[m].append(pairwise_accuracy(method_scores(m, results, tr, seed + r), test_pairs))
            for c in ceilings:
                w = truth if c == "oracle" else shares_only(truth, results.benchmarks)
                s = model_scores(w, values=results.values, observed=results.observed)[0]
                acc[c].append(pairwise_accuracy(s, test_pairs))
        out[size] = {m: np.asarray(v) for m, v in acc.items()}
        print(f"{name} n={size}: " + ", ".join(f"{m} {np.mean(v):.3f}" for m, v in out[size].items()),
              flush=True)
    return out


def table(name: str, curve: dict) -> str:
    lines = [f"### {name}", "", "| method | " + " | ".join(f"n={s}" for s in curve) + " |",
             "|---|" + "---|" * len(curve)]
    methods = list(next(iter(curve.values())))
    for m in methods:
        cells = []
        for s, acc in curve.items():
            v = acc[m]
            d = v - acc["uniform"]
            half = 1.96 * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.nan
            cells.append(f"{v.mean():.3f} ({d.mean():+.3f} ± {half:.3f})")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    if "oracle" in methods:  # simulated: the share of the uniform-to-truth gap each method recovers
        for m in methods:
            shares = []
            for acc in curve.values():
                gap = float(np.mean(acc["oracle"] - acc["uniform"]))
                shares.append(f"{np.mean(acc[m] - acc['uniform']) / gap * 100:.1f} %" if gap > 0 else "n/a")
            lines.append(f"| share of gap: {m} | " + " | ".join(shares) + " |")
    n_rep = len(next(iter(next(iter(curve.values())).values())))
    lines += ["", f"Held-out pairwise accuracy, mean over {n_rep} splits (paired difference to "
              "uniform ± 95 % normal interval over splits).", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="metabench,alpacaeval2,simulated,simulated_items")
    ap.add_argument("--methods", default="uniform,aligned,aligned_items,aligned_coverage,"
                    "aligned_grouped,aligned_lowrank,aligned_factors,benchmark_mean,best_benchmark,ridge,random_subset")
    ap.add_argument("--sizes", default="5,10,15,20,25,all")
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    text = ["# Learning curves (issue 6)", ""]
    for name in args.cases.split(","):
        start = time.perf_counter()
        curve = run(name, args.methods.split(","), args.sizes.split(","), args.repeats, args.seed)
        text.append(table(name, curve))
        text.append(f"({name}: {time.perf_counter() - start:.0f} s)\n")
        print(text[-2], flush=True)
        if args.out:
            with open(args.out, "w") as f:
                f.write("\n".join(text) + "\n")


if __name__ == "__main__":
    main()

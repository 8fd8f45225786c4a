"""Issue 16's honest comparison of populations: metabench with the Arena's per-category ratings.

Runs :func:`benchalign.populations.evaluate.evaluate_populations` on the shipped metabench case with
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

    nice python benchmarks/populations.py --out benchmarks/results/populations.md   # ~8 min

Then where the categories differ (:mod:`benchalign.populations.compare`, ``--n-boot`` refits of each
category on resampled rated models, seed --seed): per-benchmark weight mass of each category with
its interval, and the test for the pairs of --pairs and each category against the pooled
benchmark; the same as ``benchalign populations compare --a A --b B``. Then the test's behaviour
on metabench's own results with planted second populations: a twin of ``full`` (its ratings
redrawn within their 95 % intervals: should be "indistinguishable") and ``full`` mixed with the
plain mean of one benchmark (its part uncorrelated with full's ratings) at growing strength (how large a difference 33 rated models reveal).
``--diff-only`` skips the held-out evaluation (~1 min).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from benchalign.data import link
from benchalign.datasets import load_case
from benchalign.evaluation.splits import parse_split
from benchalign.fit import BenchmarkAligner
from benchalign.outputs import write_atomic
from benchalign.populations.compare import compare_populations, holm, refit_population
from benchalign.populations.evaluate import evaluate_populations
from benchalign.populations.aligner import BLEND_GRID, POOLED, PopulationAligner, link_populations
from benchalign.populations.aligner import split_populations

CATEGORIES = "full,coding,math,creative_writing,chinese,if"
PAIRS = "full:coding,coding:creative_writing,creative_writing:chinese,math:if"
MIX_BENCHMARK = "winogrande"
MIX_STRENGTHS = (0.5, 1.0, 2.0, 4.0, 16.0)


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


def diff_tables(results, pops: dict, pairs: list[tuple[str, str]], n_boot: int,
                seed: int) -> list[str]:
    """Masses with intervals per category, then the test for each pair and each category vs pooled."""
    fits = {n: refit_population(results, lk, name=n, n_boot=n_boot, random_state=seed)
            for n, lk in pops.items()}
    names = [n for n in pops if n != POOLED] + [POOLED]
    mass = {n: compare_populations(results, fits[n], fits[names[0] if n == POOLED else POOLED])
            for n in names}  # each row's mass_a / mass_a_ci are population n's
    lines = [f"### where the categories differ: correlation weighting, {n_boot} bootstrap refits "
             f"of each on its rated models, seed {seed}", "",
             "Weight per benchmark on all rated models [95% interval over the refits].", "",
             "| benchmark | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for i, bench in enumerate(mass[POOLED].benchmarks):
        lines.append(f"| {bench} | " + " | ".join(
            f"{d.mass_a[i]:.1%} [{d.mass_a_ci[i, 0]:.0%}, {d.mass_a_ci[i, 1]:.0%}]"
            for d in mass.values()) + " |")
    lines += ["", f"Test: share of model pairs (all {results.n_models:,} models) the two benchmarks "
              "order differently, against refitting either on resampled rated models.", "",
              "| a | b | pairs ordered differently | null 95th percentile | p | p, Holm over the "
              "table | verdict (Holm) |", "|---|---|---|---|---|---|---|"]
    diffs = [compare_populations(results, fits[a], fits[b])
             for a, b in [*pairs, *((n, POOLED) for n in names[:-1])]]
    for d, p_holm in zip(diffs, holm([d.p_value for d in diffs])):
        lines.append(f"| {d.a} | {d.b} | {d.distance:.1%} | {np.quantile(d.null, 0.95):.1%} | "
                     f"{d.p_value:.3f} | {p_holm:.3f} | "
                     f"{'differ' if p_holm < d.alpha else 'indistinguishable'} |")
    return lines + [""]


def planted_tables(case, n_boot: int, seeds: int) -> list[str]:
    """The test on metabench's results with a planted second population (see the docstring)."""
    frame = case.preferences_by_category
    full = frame[frame["category"] == "full"].set_index("model")
    linked = link(case.results, split_populations(
        full.reset_index()[["model", "category", "rating"]], "category")["full"])
    rated = case.results.index_of(full.index.to_numpy())
    sd = (full["rating_q975"] - full["rating_q025"]).to_numpy() / (2 * 1.96)
    cols = case.results.benchmarks == MIX_BENCHMARK
    has = case.results.mask()[rated][:, cols]
    plain = (case.results.values[rated][:, cols] * has).sum(axis=1) / np.maximum(has.sum(axis=1), 1)
    z = lambda x: (x - x.mean()) / x.std()  # noqa: E731
    zr = z(full["rating"].to_numpy())
    raw = np.where(has.any(axis=1), z(plain), 0.0)  # a model without the benchmark: neutral
    mix = z(raw - (raw @ zr / len(zr)) * zr)  # the part of that ordering full does not share
    lines = [f"### planted second populations on metabench's results ({n_boot} refits, "
             f"seeds 0..{seeds - 1})", "",
             "| second population | Spearman with full | p (per seed) | share 'differ' |",
             "|---|---|---|---|"]
    plants = [("twin: full's ratings redrawn within their 95% intervals", None)]
    plants += [(f"z(full) + {lam:g} × z({MIX_BENCHMARK} mean ⟂ full)", lam)
               for lam in MIX_STRENGTHS]
    for label, lam in plants:
        ps, rhos = [], []
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            r = full["rating"].to_numpy()
            other = (r + sd * rng.normal(size=len(r)) if lam is None
                     else 1000 + 100 * (z(r) + lam * mix + 0.05 * rng.normal(size=len(r))))
            twin = pd.DataFrame({"model": full.index, "category": "b", "rating": other})
            lk = link(case.results, split_populations(twin, "category")["b"])
            d = compare_populations(case.results, linked, lk, n_boot=n_boot, random_state=seed)
            ps.append(d.p_value)
            rhos.append(spearmanr(r, other).statistic)
        lines.append(f"| {label} | {np.mean(rhos):.2f} | {', '.join(f'{p:.2f}' for p in ps)} | "
                     f"{np.mean(np.array(ps) < 0.05):.0%} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--categories", default=CATEGORIES)
    parser.add_argument("--methods", default="auto,correlation,correlation/own")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--pairs", default=PAIRS)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--planted-seeds", type=int, default=5)
    parser.add_argument("--diff-only", action="store_true")
    args = parser.parse_args(argv)
    case = load_case("metabench")
    frame = case.preferences_by_category
    frame = frame[frame["category"].isin(args.categories.split(","))]
    pops = {n: link(case.results, p) for n, p in split_populations(
        frame[["model", "category", "rating"]], "category").items()}
    lines = ["# Populations: metabench with the Arena's per-category ratings", "",
             "    " + " ".join(shlex.quote(a) for a in ["python", "benchmarks/populations.py", *sys.argv[1:]]), ""]
    for method in ([] if args.diff_only else args.methods.split(",")):
        grid = (0.0,) if method.endswith("/own") else BLEND_GRID  # /own: no pull toward pooled
        aligner = PopulationAligner(random_state=args.seed, blend_grid=grid,
                                    aligner=BenchmarkAligner(method=method.removesuffix("/own")))
        report = evaluate_populations(case.results, pops, splits=[parse_split(f"random:0.3:{args.repeats}")],
                                      seed=args.seed, n_bootstrap=args.bootstrap, aligner=aligner).to_dict()
        lines += tables(report["splits"]["random"], method)
        print("\n".join(lines), flush=True)
    pairs = [tuple(p.split(":")) for p in args.pairs.split(",")]
    lines += diff_tables(case.results, link_populations(case.results, pops), pairs, args.n_boot, args.seed)
    print("\n".join(lines[-30:]), flush=True)
    lines += planted_tables(case, args.n_boot, args.planted_seeds)
    print("\n".join(lines[-8:]), flush=True)
    if args.out:
        write_atomic(args.out, "\n".join(lines), force=True)


if __name__ == "__main__":
    main()

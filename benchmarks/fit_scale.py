"""Open LLM Leaderboard scale: fit 4,576 models × 21,606 questions with all ~10.5 M rated pairs.

Measures, in one run (ratios are taken within the run, so a busy machine shifts both sides):

* wall time of one full fit at a fixed regularization
  (``benchalign.fit.ranknet.RankNet(reg).fit``, the simplex RankNet over every question: the
  published method, the evaluation's ``ranknet`` baseline), its iterations and final loss;
* the floor: one ``R @ w`` plus one ``R.T @ g`` on the stored float32 matrix, plus one vectorized
  pass over all pairs (``exp(s[a] - s[b])``), and the ratio of one loss+gradient evaluation of the
  fit's objective to it;
* peak resident memory of the process;
* scoring 100,000 new generated models with the saved benchmark (``benchalign.artifact.score`` on
  uint8 chunks of 5,000 models; drawing the chunks is not timed);
* the same case with 30 % of the cells missing (fit time and its ratio to the dense fit);
* agreement of the fast fit (uint8 blocks, round-robin pass; taken because the slice has more than
  SMALL_FLOAT64_CELLS cells) with a plain float64 RankNet over the pair list on a slice of the same
  data (max weight difference), at the chosen regularization and a tenth of it.

Run ``python benchmarks/fit_scale.py`` (about 2-3 minutes); ``--quick`` runs a small case to check
the script. The last line is ``fit_s=<..> eval_floor_ratio=<..> peak_gb=<..> score_100k_s=<..>``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit, softmax

from benchalign import link
from benchalign.artifact import AlignedBenchmark, load_benchmark, score
from benchalign.fit.candidates import Context
from benchalign.fit.objective import Objective, PairTerms, WeightFit
from benchalign.fit.ranknet import SMALL_FLOAT64_CELLS, RankNet
from benchalign.fit.ranknet import fit_ranknet as fit_weights
from benchalign.scores import ScoreMatrix, default_threads, model_scores
from benchalign.simulate import OPEN_LLM_LEADERBOARD_V2, more_models, simulate


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # ru_maxrss is KiB on Linux


def blas_name() -> str:
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{info.get('name')} {info.get('version')}"
    except Exception:  # older numpy: no dict mode
        return "unknown"


def make_case(n_models: int, sizes: dict[str, int], missing: float, seed: int):
    start = time.perf_counter()
    data = simulate(n_models, sizes, missing=missing, preference="ratings", seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # noisy ratings of 4,576 models: cycles are expected
        linked = link(data.results, data.preferences)
    del data.__dict__["preferences"]  # the linked pairs are what the fit uses: free the others
    print(f"  {n_models:,} models × {data.results.n_items:,} questions ({missing:.0%} missing), "
          f"{len(linked.pairs):,} rated pairs, generated and linked in "
          f"{time.perf_counter() - start:.1f} s")
    return data, linked


def timed_fit(data, linked, reg: float) -> tuple[WeightFit, float]:
    gc.collect()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the simplex RankNet over every question (the published method, the baseline `ranknet`;
        # the coverage prior is uniform here): one L-BFGS fit of the objective this benchmark is
        # about, no choice of the pull
        fit = RankNet(reg, max_iter=1000, tol=1e-7).fit(Context.of(data.results), linked.pairs)
    return fit, time.perf_counter() - start


def prepared_objective(data, linked, reg: float) -> tuple[Objective, np.ndarray, str]:
    """The objective exactly as fit_weights builds it (all models are rated), and a point."""
    r, pairs = data.results, linked.pairs
    matrix = ScoreMatrix.compact(r.values, r.observed)
    terms = PairTerms(pairs.a, pairs.b, pairs.weight, pairs.target, r.n_models, dtype=np.float32)
    x = np.concatenate([0.1 * np.random.default_rng(0).normal(size=r.n_items), [1.0]])
    storage = f"{matrix.values.dtype}" + ("" if matrix.observed is None else f" + {matrix.observed.dtype} mask")
    return Objective(matrix, terms, reg=reg, log_beta0=1.0), x, storage


def floor_and_evals(data, linked, objectives: dict, rounds: int) -> dict[str, float]:
    """Median times of the floor pieces and of one evaluation of each objective.

    The pieces run back to back in each round, so load from other processes hits all of them.
    """
    r, pairs = data.results, linked.pairs
    rng = np.random.default_rng(0)
    w32 = rng.dirichlet(np.ones(r.n_items)).astype(np.float32)
    g32 = rng.normal(size=r.n_models).astype(np.float32)
    s32 = (r.values @ w32).astype(np.float32)
    flat = rng.normal(size=len(pairs)).astype(np.float32)
    pieces = {
        "matvec": lambda: r.values @ w32,
        "rmatvec": lambda: g32 @ r.values,
        "pair_pass": lambda: np.exp(s32[pairs.a] - s32[pairs.b]),
        "exp_only": lambda: np.exp(flat),
    }
    pieces.update({name: (lambda o=o, x=x: o(x)) for name, (o, x) in objectives.items()})
    times: dict[str, list[float]] = {name: [] for name in pieces}
    for round_ in range(rounds + 1):
        for name, fn in pieces.items():
            start = time.perf_counter()
            fn()
            if round_:  # the first round warms up
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def score_throughput(data, fit: WeightFit, n_new: int, chunk: int) -> tuple[float, float, float]:
    """Seconds to score ``n_new`` generated models with the saved benchmark (drawing excluded),
    the part of it spent in the weighted mean itself, and a checksum of the scores."""
    with tempfile.TemporaryDirectory() as tmp:
        r = data.results
        path = AlignedBenchmark(r.items, r.benchmarks, fit.weights).save(Path(tmp) / "aligned.json")
        benchmark = load_benchmark(path)
    total, core, checksum = 0.0, 0.0, 0.0
    for results in more_models(data, n_new, seed=7, chunk=chunk, dtype=np.uint8):
        start = time.perf_counter()
        table = score(benchmark, results)
        total += time.perf_counter() - start
        checksum += float(table["score"].sum())
        start = time.perf_counter()
        model_scores(benchmark.weights, values=results.values, observed=results.observed)
        core += time.perf_counter() - start
    return total, core, checksum


def reference_agreement(data, linked, reg: float, n_models: int, n_items: int) -> dict[str, float]:
    """Fit a slice of the same data with fit_weights (fast path) and with a plain float64 RankNet."""
    rows = np.arange(n_models)
    cols = np.arange(n_items)
    results = data.results.take_models(rows).take_items(cols)
    pairs = linked.pairs.within(rows, data.results.n_models)
    start = time.perf_counter()
    fast = fit_weights(results, pairs, reg=reg)
    fast_s = time.perf_counter() - start
    values = results.values.astype(np.float64)
    a, b, c, p = pairs.a, pairs.b, pairs.weight, pairs.target
    s0, _ = model_scores(np.full(n_items, 1.0 / n_items), values=results.values, observed=None)
    log_beta0 = -np.log(np.std(s0))  # the initial temperature exactly as fit_weights takes it

    def reference(x: np.ndarray) -> tuple[float, np.ndarray]:
        theta, log_beta = x[:-1], x[-1]
        w = softmax(theta)
        s = values @ w
        z = np.exp(log_beta) * (s[a] - s[b])
        loss = np.dot(c, (1 - p) * z - log_expit(z)) / c.sum()
        r = c * (expit(z) - p) / c.sum()
        gs = np.exp(log_beta) * (np.bincount(a, r, len(s)) - np.bincount(b, r, len(s)))
        gw = values.T @ gs
        dev = theta - theta.mean()
        loss += 0.5 * reg * dev @ dev / len(theta) + 0.5 * 1e-2 * (log_beta - log_beta0) ** 2
        grad = np.concatenate([w * (gw - w @ gw) + reg * dev / len(theta),
                               [r @ z + 1e-2 * (log_beta - log_beta0)]])
        return loss, grad

    x0 = np.concatenate([np.zeros(n_items), [log_beta0]])
    start = time.perf_counter()
    ref = minimize(reference, x0, jac=True, method="L-BFGS-B",
                   bounds=[(None, None)] * n_items + [(log_beta0 - 15, log_beta0 + 15)],
                   options={"maxiter": 500, "gtol": 1e-7, "ftol": 1e-10, "maxcor": 10})
    ref_s = time.perf_counter() - start
    w_ref = softmax(ref.x[:-1])
    return {"models": n_models, "items": n_items, "pairs": len(pairs),
            "cells": n_models * n_items, "fast_s": fast_s, "ref_s": ref_s,
            "fast_iter": fast.n_iter, "ref_iter": int(ref.nit), "fast_loss": fast.loss,
            "ref_loss": float(ref.fun), "max_abs": float(np.abs(fast.weights - w_ref).max()),
            "max_w": float(w_ref.max()), "uniform": 1.0 / n_items}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=4576)
    parser.add_argument("--reg", type=float, default=1.0, help="fixed regularization (default 1)")
    parser.add_argument("--new-models", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=9, help="rounds of the timed pieces")
    parser.add_argument("--fits", type=int, default=2, help="fits of each case, alternating")
    parser.add_argument("--quick", action="store_true", help="small case, to check the script")
    args = parser.parse_args(argv)
    sizes = dict(OPEN_LLM_LEADERBOARD_V2)
    if args.quick:
        sizes = {k: max(5, v // 20) for k, v in sizes.items()}
        args.models, args.new_models = 600, 10_000

    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"BLAS {blas_name()}, numpy {np.__version__}, python {platform.python_version()}, "
          f"benchalign threads {default_threads()}; load average before "
          f"{os.getloadavg()[0]:.2f}")
    print("data")
    dense, dense_pairs = make_case(args.models, sizes, 0.0, args.seed)
    holes, holes_pairs = make_case(args.models, sizes, 0.3, args.seed)

    print(f"fits at reg={args.reg:g}, alternating dense and 30 % missing, best of {args.fits}")
    fit_times: dict[str, list[float]] = {"dense": [], "missing": []}
    for _ in range(args.fits):
        aligner, seconds = timed_fit(dense, dense_pairs, args.reg)
        fit_times["dense"].append(seconds)
        aligner_m, seconds = timed_fit(holes, holes_pairs, args.reg)
        fit_times["missing"].append(seconds)
    fit_s, fit_m = min(fit_times["dense"]), min(fit_times["missing"])
    for name, a, best in (("dense", aligner, fit_s), ("missing", aligner_m, fit_m)):
        runs = ", ".join(f"{t:.2f}" for t in fit_times[name])
        print(f"  {name:7s}: {best:.2f} s (runs: {runs}), {a.n_iter} iterations, final loss "
              f"{a.loss:.8f}, converged {a.converged}")
    print(f"  missing / dense fit time: {fit_m / fit_s:.2f}")

    print(f"one loss+gradient against the floor (medians of {args.rounds} interleaved rounds)")
    objectives = {"eval": prepared_objective(dense, dense_pairs, args.reg)[:2],
                  "eval_missing": prepared_objective(holes, holes_pairs, args.reg)[:2]}
    t = floor_and_evals(dense, dense_pairs, objectives, args.rounds)
    floor_s = t["matvec"] + t["rmatvec"] + t["pair_pass"]
    strict_s = t["matvec"] + t["rmatvec"] + t["exp_only"]
    ratio = t["eval"] / floor_s
    print(f"  floor: R@w {t['matvec'] * 1e3:.1f} ms + R.T@g {t['rmatvec'] * 1e3:.1f} ms (stored "
          f"float32) + pair pass exp(s[a]-s[b]) {t['pair_pass'] * 1e3:.1f} ms = {floor_s * 1e3:.1f} ms")
    print(f"  objective of the fit (uint8 matrix): {t['eval'] * 1e3:.1f} ms -> ratio {ratio:.2f}")
    print(f"  stricter floor (a gather-free exp over the pairs instead of the pair pass) "
          f"{strict_s * 1e3:.1f} ms -> ratio {t['eval'] / strict_s:.2f}")
    print(f"  with 30 % missing cells (uint8 + bool mask): {t['eval_missing'] * 1e3:.1f} ms "
          f"({t['eval_missing'] / t['eval']:.2f}x dense)")
    del objectives, holes, holes_pairs, aligner_m
    gc.collect()

    print("scoring and reference")
    score_s, core_s, checksum = score_throughput(dense, aligner, args.new_models, 5000)
    print(f"  scoring {args.new_models:,} new models × {dense.results.n_items:,} questions (uint8 "
          f"chunks of 5,000) with the saved benchmark: {score_s:.2f} s with artifact.score "
          f"(the weighted means alone, model_scores: {core_s:.2f} s; sum of scores {checksum:.1f})")
    for reg in (args.reg, args.reg / 10):
        ref = reference_agreement(dense, dense_pairs, reg, min(args.models, 1000),
                                  min(dense.results.n_items, 5000))
        path = "fast path" if ref["cells"] > SMALL_FLOAT64_CELLS else "small-problem float64 path"
        print(f"  float64 reference, reg={reg:g}, first {ref['models']:,} models × {ref['items']:,} "
              f"questions ({ref['pairs']:,} pairs, {ref['cells'] / 1e6:.1f} M cells, {path}): "
              f"max |w_fast - w_ref| = {ref['max_abs']:.2e} (max weight {ref['max_w']:.2e}, "
              f"uniform {ref['uniform']:.2e}); loss {ref['fast_loss']:.10f} vs "
              f"{ref['ref_loss']:.10f}; {ref['fast_iter']} vs {ref['ref_iter']} iterations, "
              f"{ref['fast_s']:.2f} s vs {ref['ref_s']:.2f} s")
    peak = peak_gb()
    print(f"peak RSS {peak:.2f} GB; load average after {os.getloadavg()[0]:.2f}")
    print(f"fit_s={fit_s:.2f} eval_floor_ratio={ratio:.2f} peak_gb={peak:.2f} score_100k_s={score_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Issue 6, target 3 across simulator draws: the default against two ceilings that know the truth.

The simulated case of benchmarks/learning_curve.py (4,100 models, 100 rated, skill planting, 20
rated training models, 30 held out) fixes the simulator's seed at 0. This script repeats it for
several draws of the simulator (--draws: its seed, so new items, models, planted weights and
preferences) and adds two ceilings computed from the planted truth, not from preferences:

* ``truth_direction``: the default's own representation (the prior's score and the abilities of
  the item-response model of all models, :func:`benchalign.factor_fit.irt_basis`) with the
  direction fitted on the TRUE scores (soft pairwise targets over about 200,000 distinct random
  model pairs, no pull) and distilled to weights exactly as the default does: what the default could reach with
  unlimited preferences;
* ``truth_loglinear``: weights log-linear in the item-response slopes and the benchmark
  indicators (what the unrated models reveal about each question), fitted to correlate best with
  the true scores over all models: the planted weighting is of nearly this form
  (benchalign.simulate: benchmark shares x exp(skill loading), a share of items irrelevant).

Prints, per draw, the held-out pairwise accuracy of each row (mean over --repeats splits, paired
difference to uniform with a 95 % interval) and its share of the uniform-to-truth gap, then a
summary of the shares over draws.

    nice python benchmarks/simulated_draws.py --draws 0,1,2,3 --repeats 50
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import minimize

from benchalign.data import PairSet
from benchalign.factor_fit import correlation_objective, distill, fit_direction, irt_basis
from benchalign.irt import fit_item_response
from benchalign.metrics import pairwise_accuracy
from benchalign.objective import ScoreMatrix, weights_from_theta
from benchalign.structure import benchmark_indicators
from benchalign.structured_fit import scores

from learning_curve import heldout_splits, method_scores, simulated

TRUTH_PAIRS = 200_000
TRUTH_SCALE = 0.2
"""Soft targets of the truth pairs: σ((t_a - t_b) / TRUTH_SCALE), t the standardized true score."""


def truth_direction(results, truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scores of the default's representation with its direction fitted on the true scores."""
    basis, _ = irt_basis(results, None)
    n = results.n_models
    x, y = rng.integers(0, n, TRUTH_PAIRS), rng.integers(0, n, TRUTH_PAIRS)
    a, b = np.unique(np.column_stack([np.minimum(x, y), np.maximum(x, y)])[x != y], axis=0).T
    t = (truth - truth.mean()) / truth.std()
    pairs = PairSet(a, b, np.ones(len(a)), 1.0 / (1.0 + np.exp(-(t[a] - t[b]) / TRUTH_SCALE)))
    v = fit_direction(basis.features, pairs, 0.0, tilt=True)[0]
    w, _ = distill(results, basis.features @ v, np.clip(basis.item_map @ v, 0.0, None))
    return scores(results, w)


def truth_loglinear(results, truth: np.ndarray) -> np.ndarray:
    """Scores of the weights exp(slopes c + indicators g) that correlate best with the truth."""
    fitted = fit_item_response(results)
    slopes = np.zeros((results.n_items, fitted.k))
    slopes[fitted.items] = fitted.slopes
    slopes = (slopes - slopes.mean(axis=0)) / slopes.std(axis=0)
    groups, _ = benchmark_indicators(results)
    basis = np.hstack([slopes, groups])
    correlation = correlation_objective(ScoreMatrix.compact(results.values, results.observed), truth)

    def objective(c: np.ndarray) -> tuple[float, np.ndarray]:
        w = weights_from_theta(basis @ c)
        value, gw = correlation(w, True)
        return value, basis.T @ (w * (gw - w @ gw))

    res = minimize(objective, np.zeros(basis.shape[1]), jac=True, method="L-BFGS-B",
                   options={"maxiter": 500, "gtol": 1e-10, "ftol": 1e-13})
    return scores(results, weights_from_theta(basis @ res.x))


def run_draw(draw: int, repeats: int, seed: int) -> dict[str, np.ndarray]:
    results, linked, truth = simulated("skills", draw)
    true_scores = scores(results, truth)
    fixed = {"uniform": scores(results, np.full(results.n_items, 1.0 / results.n_items)),
             "oracle": true_scores,
             "truth_direction": truth_direction(results, true_scores, np.random.default_rng(seed)),
             "truth_loglinear": truth_loglinear(results, true_scores)}
    acc: dict[str, list[float]] = {m: [] for m in ["uniform", "aligned", *list(fixed)[1:]]}
    splits = heldout_splits(results, linked, 20, repeats, np.random.default_rng(seed))
    for r, (test_pairs, train) in enumerate(splits):
        acc["aligned"].append(pairwise_accuracy(method_scores("aligned", results, train, seed + r),
                                                test_pairs))
        for m, fs in fixed.items():
            acc[m].append(pairwise_accuracy(fs, test_pairs))
    return {m: np.asarray(v) for m, v in acc.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", default="0,1,2,3", help="simulator seeds, comma-separated")
    ap.add_argument("--repeats", type=int, default=50, help="held-out splits per draw")
    ap.add_argument("--seed", type=int, default=0, help="seed of the splits (as learning_curve.py)")
    args = ap.parse_args()
    shares: dict[str, list[float]] = {}
    for draw in (int(d) for d in args.draws.split(",")):
        start = time.perf_counter()
        acc = run_draw(draw, args.repeats, args.seed)
        gap = float(np.mean(acc["oracle"] - acc["uniform"]))
        print(f"\n### draw {draw} ({args.repeats} splits, {time.perf_counter() - start:.0f} s)\n")
        print("| method | accuracy | Δ vs uniform (95 %) | share of gap |\n|---|---|---|---|")
        for m, v in acc.items():
            d = v - acc["uniform"]
            half = 1.96 * d.std(ddof=1) / np.sqrt(len(d))
            shares.setdefault(m, []).append(d.mean() / gap)
            print(f"| {m} | {v.mean():.3f} | {d.mean():+.3f} ± {half:.3f} | {100 * d.mean() / gap:.1f} % |",
                  flush=True)
    print("\n### share of the uniform-to-truth gap by draw\n")
    print("| method | " + " | ".join(f"draw {d}" for d in args.draws.split(",")) + " | mean |")
    print("|---|" + "---|" * (len(args.draws.split(",")) + 1))
    for m, v in shares.items():
        print(f"| {m} | " + " | ".join(f"{100 * x:.1f} %" for x in v) + f" | {100 * np.mean(v):.1f} % |")


if __name__ == "__main__":
    main()

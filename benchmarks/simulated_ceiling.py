"""How much of the simulated uniform-to-oracle gap is learnable at all (issue 6).

The learning-curve case of benchmarks/learning_curve.py, but with every simulated model rated:
hold out 30 models, train on 3,000 rated ones, and compare the uniform mean, the planted weights
(oracle), the planted benchmark shares spread evenly within each benchmark (oracle_shares) and
the free per-question, grouped, lowrank and factors fits, for either planting (--planted). Prints
the mean held-out pairwise accuracy and the share of the uniform-to-oracle gap each recovers.

    nice python benchmarks/simulated_ceiling.py --repeats 4 --planted skills
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from benchalign.baselines import METHODS, VARIANTS, Train
from benchalign.data import link
from benchalign.metrics import pairwise_accuracy
from benchalign.objective import model_scores
from benchalign.simulate import simulate

from learning_curve import SIM_SIZES, shares_only

FITS = {"items": "aligned_items", "grouped": "aligned_grouped", "lowrank": "aligned_lowrank",
        "factors": "aligned_factors"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--n-train", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--planted", choices=["skills", "items"], default="skills",
                    help="planted weighting of the simulator (see benchalign.simulate)")
    args = ap.parse_args()
    start = time.perf_counter()
    d = simulate(n_models=4100, n_items_per_benchmark=SIM_SIZES, n_rated=4100, missing=0.1, noise=0.2,
                 planted=args.planted, seed=0)
    res = d.results
    linked = link(res, d.preferences)
    fixed = {"uniform": np.full(res.n_items, 1.0 / res.n_items), "oracle": d.true_weights,
             "oracle_shares": shares_only(d.true_weights, res.benchmarks)}
    acc: dict[str, list[float]] = {k: [] for k in [*fixed, *FITS]}
    rng = np.random.default_rng(args.seed)
    all_methods = {**METHODS, **VARIANTS}
    for r in range(args.repeats):
        perm = rng.permutation(linked.rated)
        test, train = np.sort(perm[:30]), np.sort(perm[30:30 + args.n_train])
        test_pairs = linked.pairs.within(test, res.n_models)
        for name, w in fixed.items():
            s = model_scores(w, values=res.values, observed=res.observed)[0]
            acc[name].append(pairwise_accuracy(s, test_pairs))
        ratings = np.full(res.n_models, np.nan)
        ratings[train] = linked.ratings[train]
        tr = Train(linked.pairs.within(train, res.n_models), ratings)
        for name, method in FITS.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                acc[name].append(pairwise_accuracy(all_methods[method](res, tr, args.seed + r), test_pairs))
        print(f"split {r + 1}/{args.repeats} done", flush=True)
    u, o = np.mean(acc["uniform"]), np.mean(acc["oracle"])
    print(f"{'method':<16}{'accuracy':>10}{'share of gap':>14}")
    for name, v in acc.items():
        print(f"{name:<16}{np.mean(v):>10.3f}{(np.mean(v) - u) / (o - u):>14.0%}")
    print(f"(planted={args.planted}, {args.repeats} splits, 30 held-out models, {args.n_train} rated training models; "
          f"{time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()

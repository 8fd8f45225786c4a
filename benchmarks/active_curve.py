"""Active selection of the models to rate: held-out accuracy vs number of ratings revealed.

Each repetition holds out ``--test`` rated models (the same for every strategy), starts from
``--start`` rated models of the rest (the same for every strategy) and reveals the remaining pool
one rating at a time, in the order a strategy picks:

* ``suggest``: :func:`benchalign.suggest.suggest` (rank disagreement of bootstrap refits × novelty, the
  greedy pick of one model);
* ``uncertain``: the rank disagreement alone (the most-uncertain-score heuristic);
* ``novel``: the novelty alone (farthest from the rated models in the results' components);
* ``most_run``: the model with the most observed questions (ties at random);
* ``random``.

After every reveal the default aligner (``auto``: correlation / coverage / uniform chosen by
cross-validation over the revealed models, as :class:`BenchmarkAligner` does) is fitted on the
revealed ratings and scored by pairwise accuracy on the held-out models' pairs. Target of issue 17:
``suggest`` reaches the accuracy of all available ratings (the end of every curve) with at most 60 %
of them; the paired difference (suggest at 60 % minus all) has a bootstrap interval over
repetitions.

    python benchmarks/active_curve.py --case metabench --reps 40 --seed 0
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from benchalign.data import Linked, PairSet, link
from benchalign.datasets import load_case
from benchalign.fit.candidates import Context
from benchalign.fit.selection import candidates, choose, cross_validate
from benchalign.metrics import pairwise_accuracy
from benchalign.suggest import (bootstrap_refits, nearest_distance, rank_spread,
                                results_embedding, suggest)

STRATEGIES = ("suggest", "uncertain", "novel", "most_run", "random")
OUT = Path(__file__).parent / "results"


def default_scores(ctx: Context, pairs: PairSet, seed: int, method: str = "auto") -> np.ndarray:
    """[n_models] scores of the aligner (``method`` "auto" or "correlation") fitted on ``pairs``
    (its own candidate choice, with the Context computed once; the calibration β does not change a
    ranking)."""
    cands = candidates(method, ctx)
    if len(cands) == 1:
        return ctx.scores(cands[0].weights(ctx, pairs))
    acc = cross_validate(ctx, pairs, cands, n_folds=min(20, len(pairs.models())), seed=seed)
    return ctx.scores(cands[choose(acc)].weights(ctx, pairs))


def pick(strategy: str, state: dict, revealed: np.ndarray, left: np.ndarray,
         rng: np.random.Generator) -> int:
    """The next model row to reveal among ``left``."""
    results, linked, emb, ctx = state["results"], state["linked"], state["emb"], state["ctx"]
    pairs = linked.pairs.within(revealed, results.n_models)
    if strategy == "random":
        return int(rng.choice(left))
    if strategy == "most_run":
        count = results.observed_count()[left] + rng.random(len(left)) * 0.5
        return int(left[np.argmax(count)])
    if strategy == "suggest":
        sub = Linked(pairs, revealed, linked.ratings, linked.kind)
        table = suggest(results, sub, 1, candidates=results.models[left], embedding=emb,
                        seed=int(rng.integers(2**31)), n_boot=state["n_boot"])
        return int(results.index_of(table["model"].to_numpy())[0])
    dist = nearest_distance(emb, left, revealed)
    if strategy == "novel":
        return int(left[np.argmax(dist)])
    refits = bootstrap_refits(results, pairs, n_boot=state["n_boot"],
                              seed=int(rng.integers(2**31)), context=ctx)
    return int(left[np.argmax(rank_spread(refits, left))])


def run_rep(state: dict, rep: int, args: argparse.Namespace) -> dict[str, np.ndarray]:
    """{strategy: accuracy [n_pool - start + 1]} of one repetition."""
    results, linked, ctx = state["results"], state["linked"], state["ctx"]
    rng = np.random.default_rng([args.seed, rep])
    rated = rng.permutation(linked.rated)
    test, pool = rated[: args.test], rated[args.test:]
    start = pool[: args.start]
    held = linked.pairs.within(test, results.n_models)
    out = {}
    for strategy in STRATEGIES:
        srng = np.random.default_rng([args.seed, rep, 1])
        revealed = np.sort(start)
        acc = []
        while True:
            pairs = linked.pairs.within(revealed, results.n_models)
            acc.append(pairwise_accuracy(default_scores(ctx, pairs, args.seed, args.method), held))
            left = np.setdiff1d(pool, revealed)
            if len(left) == 0:
                break
            revealed = np.sort(np.append(revealed, pick(strategy, state, revealed, left, srng)))
        out[strategy] = np.asarray(acc)
    return out


def paired_interval(x: np.ndarray, n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Mean and 95 % bootstrap interval of the per-repetition values ``x``."""
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(n_boot, len(x)))].mean(axis=1)
    return float(x.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def summarize(curves: dict[str, np.ndarray], start: int, pool: int) -> list[str]:
    """Markdown lines: mean accuracy per strategy at each count, and the target's paired test."""
    counts = np.arange(start, pool + 1)
    lines = ["| revealed | " + " | ".join(STRATEGIES) + " |",
             "|---|" + "---|" * len(STRATEGIES)]
    for i, n in enumerate(counts):
        lines.append(f"| {n} | " + " | ".join(f"{curves[s][:, i].mean():.3f}" for s in STRATEGIES)
                     + " |")
    k60 = int(np.floor(0.6 * pool))
    full = curves["random"][:, -1]
    lines.append("")
    lines.append(f"All {pool} pool ratings: accuracy {full.mean():.3f}. At {k60} revealed (60 %), "
                 "paired difference to all (mean, 95 % bootstrap interval over repetitions):")
    for s in STRATEGIES:
        m, lo, hi = paired_interval(curves[s][:, k60 - start] - full)
        first = _first_reach(curves[s].mean(axis=0), full.mean(), counts)
        lines.append(f"* {s}: {m:+.3f} [{lo:+.3f}, {hi:+.3f}]; mean curve first reaches the "
                     f"all-ratings accuracy at {first}")
    lines += ["", f"Paired difference to random, mean over {start}..{pool} revealed (area between "
              "the curves per step), 95 % bootstrap interval over repetitions:"]
    for s in STRATEGIES[:-1]:
        m, lo, hi = paired_interval((curves[s] - curves["random"]).mean(axis=1))
        lines.append(f"* {s} - random: {m:+.3f} [{lo:+.3f}, {hi:+.3f}]")
    return lines


def _first_reach(mean: np.ndarray, target: float, counts: np.ndarray) -> str:
    hit = np.flatnonzero(mean >= target - 1e-12)
    return f"{counts[hit[0]]} revealed" if len(hit) else "never"


def plot(curves: dict[str, np.ndarray], start: int, pool: int, path: Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = np.arange(start, pool + 1)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in STRATEGIES:
        c = curves[s]
        half = 1.96 * c.std(axis=0, ddof=1) / np.sqrt(len(c))
        ax.plot(counts, c.mean(axis=0), label=s, lw=2 if s == "suggest" else 1.2)
        ax.fill_between(counts, c.mean(axis=0) - half, c.mean(axis=0) + half, alpha=0.12)
    ax.axvline(0.6 * pool, color="grey", ls=":", lw=1)
    ax.set_xlabel("rated models revealed")
    ax.set_ylabel("held-out pairwise accuracy")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", default="metabench")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--test", type=int, default=10, help="held-out rated models per repetition")
    ap.add_argument("--start", type=int, default=3, help="ratings known at the start")
    ap.add_argument("--n-boot", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--method", choices=("auto", "correlation"), default="auto",
                    help="the aligner fitted on the revealed ratings")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    case = load_case(args.case)
    results = case.results
    linked = link(results, case.preferences)
    state = {"results": results, "linked": linked, "ctx": Context.of(results),
             "emb": results_embedding(results), "n_boot": args.n_boot}
    reps = [run_rep(state, r, args) for r in range(args.reps)]
    curves = {s: np.stack([r[s] for r in reps]) for s in STRATEGIES}
    pool = len(linked.rated) - args.test
    cmd = "python benchmarks/active_curve.py " + " ".join(argv if argv is not None else sys.argv[1:])
    title = (f"{args.case}, method {args.method}: {args.reps} reps, {args.test} held out, start {args.start}, "
             f"seed {args.seed}")
    OUT.mkdir(exist_ok=True)
    plot(curves, args.start, pool, OUT / f"active_curve_{args.case}_{args.method}.png", title)
    lines = [f"# Active selection of models to rate: {args.case}, method {args.method}", "", f"Command: `{cmd}`",
             f"({time.perf_counter() - t0:.0f} s)", "", *summarize(curves, args.start, pool)]
    (OUT / f"active_curve_{args.case}_{args.method}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

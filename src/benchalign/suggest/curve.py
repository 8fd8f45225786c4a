"""The active curve: what choosing the models to rate with :func:`benchalign.suggest.rank.suggest` is
worth, measured on the data itself.

Each repetition hides the ratings of ``test`` rated models (held out, the same for every strategy),
starts from ``start`` rated models of the rest (the same for every strategy) and reveals the
remaining ``pool`` one model at a time, in the order a strategy picks:

* ``suggest``: :func:`benchalign.suggest.rank.rank_models` (rank disagreement of bootstrap refits ×
  novelty), the first pick of a budget of one;
* ``uncertain``: the rank disagreement alone (the most-uncertain-score heuristic);
* ``novel``: the novelty alone (farthest from the revealed models in the results' components);
* ``most_run``: the model with the most observed questions (ties at random);
* ``random``.

After every reveal the aligner (``auto``: correlation / coverage / uniform chosen by
cross-validation over the revealed models, as :class:`~benchalign.fit.BenchmarkAligner` does; or
``correlation``) is fitted on the preferences among the revealed models and scored by pairwise
accuracy on the held-out models' pairs. Revealing a model reveals its preferences with the models
revealed before it (a rating, or its pairs).

Used by ``benchmarks/active_curve.py`` and by ``benchalign suggest --report``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import Linked, PairSet, Results
from ..errors import InsufficientDataError, check_param
from ..fit.candidates import Context
from ..fit.selection import select
from ..metrics import pairwise_accuracy
from .rank import bootstrap_refits, nearest_distance, rank_models, rank_spread, results_embedding

STRATEGIES = ("suggest", "uncertain", "novel", "most_run", "random")
METHODS = ("auto", "correlation")
START = 3
"""Rated models known at the start of every curve."""
MAX_TEST = 10
"""At most this many rated models are held out (default: a third of them, rounded up)."""
TARGET_SHARE = 0.6
"""The curve's target: reach the all-ratings accuracy with at most this share of the pool (the
verdict reads every strategy at this revealed count)."""


@dataclass(frozen=True)
class ActiveCurve:
    """Held-out pairwise accuracy after each reveal.

    curves : {strategy: [reps, pool - start + 1]}, column i after ``start + i`` revealed models.
    test : rated models held out per repetition; pool : rated models that can be revealed.
    """

    curves: dict[str, np.ndarray]
    start: int
    pool: int
    test: int
    seed: int
    method: str

    @property
    def counts(self) -> np.ndarray:
        """[pool - start + 1] number of revealed models of each column."""
        return np.arange(self.start, self.pool + 1)


@dataclass(frozen=True)
class _State:
    results: Results
    linked: Linked
    ctx: Context
    emb: np.ndarray
    n_boot: int
    method: str
    seed: int


def curve_sizes(n_rated: int, test: int | None = None, start: int = START) -> tuple[int, int]:
    """(test, pool): held-out and revealable rated models for ``n_rated`` rated models.

    test : default ``min(MAX_TEST, ceil(n_rated / 3))``. Raises :class:`InsufficientDataError`
    unless at least 2 are held out and the pool has a model to reveal beyond the ``start`` ones.
    """
    check_param("active_curve", "start", start,
                isinstance(start, (int, np.integer)) and start >= 2, "an int >= 2")
    if test is None:
        test = min(MAX_TEST, -(-n_rated // 3))
    check_param("active_curve", "test", test,
                isinstance(test, (int, np.integer)) and test >= 2, "an int >= 2")
    if n_rated - test < start + 1:
        raise InsufficientDataError(
            f"an active curve needs {test + start + 1} rated models ({test} held out, {start} "
            f"known at the start, one to reveal); the preferences rate {n_rated}. Rate more "
            "models or leave out --report."
        )
    return int(test), int(n_rated - test)


def active_curve(results: Results, linked: Linked, *, reps: int = 5, test: int | None = None,
                 start: int = START, n_boot: int = 20, seed: int = 0, method: str = "auto",
                 strategies: Sequence[str] = STRATEGIES, context: Context | None = None,
                 embedding: np.ndarray | None = None,
                 progress: Callable[[int], object] | None = None) -> ActiveCurve:
    """Run ``reps`` repetitions of every strategy (see the module docstring).

    Repetition r draws its held-out and start models from ``default_rng([seed, r])``, so the
    strategies of one repetition (and any ``reps`` prefix) see the same models. context,
    embedding : ``Context.of(results)`` and :func:`results_embedding`, when the caller has them.
    progress : called with 1 after each repetition.
    """
    check_param("active_curve", "reps", reps, isinstance(reps, (int, np.integer)) and reps >= 1,
                "an int >= 1")
    check_param("active_curve", "method", method, method in METHODS, 'one of "auto", "correlation"')
    check_param("active_curve", "strategies", strategies,
                len(strategies) > 0 and set(strategies) <= set(STRATEGIES),
                f"a non-empty subset of {STRATEGIES}")
    check_param("active_curve", "n_boot", n_boot,
                isinstance(n_boot, (int, np.integer)) and n_boot >= 2, "an int >= 2")
    test, pool = curve_sizes(len(linked.rated), test, start)
    state = _State(results, linked, Context.of(results) if context is None else context,
                   results_embedding(results) if embedding is None else embedding,
                   n_boot, method, seed)
    per_rep = []
    for rep in range(reps):
        per_rep.append(_run_rep(state, rep, test, start, strategies))
        if progress is not None:
            progress(1)
    curves = {s: np.stack([r[s] for r in per_rep]) for s in strategies}
    return ActiveCurve(curves, start, pool, test, seed, method)


def aligned_scores(ctx: Context, pairs: PairSet, seed: int, method: str = "auto") -> np.ndarray:
    """[n_models] scores of the aligner (``method`` "auto" or "correlation") fitted on ``pairs``:
    its own candidate choice, with the Context computed once (the calibration of
    :class:`~benchalign.fit.BenchmarkAligner` does not change a ranking)."""
    cands, _, chosen = select(ctx, pairs, method, cv_folds=20, seed=seed)
    cand = cands[chosen]
    return ctx.scores(cand.weights(ctx, pairs), cand.completed)


def _run_rep(state: _State, rep: int, test: int, start: int,
             strategies: Sequence[str]) -> dict[str, np.ndarray]:
    """{strategy: accuracy [pool - start + 1]} of one repetition."""
    n_models = state.results.n_models
    rated = np.random.default_rng([state.seed, rep]).permutation(state.linked.rated)
    held = state.linked.pairs.within(rated[:test], n_models)
    pool = rated[test:]
    out = {}
    for strategy in strategies:
        rng = np.random.default_rng([state.seed, rep, 1])
        revealed = np.sort(pool[:start])
        acc = []
        while True:
            pairs = state.linked.pairs.within(revealed, n_models)
            acc.append(pairwise_accuracy(aligned_scores(state.ctx, pairs, state.seed,
                                                        state.method), held))
            left = np.setdiff1d(pool, revealed)
            if len(left) == 0:
                break
            nxt = _pick(strategy, state, pairs, revealed, left, rng)
            revealed = np.sort(np.append(revealed, nxt))
        out[strategy] = np.asarray(acc)
    return out


def _pick(strategy: str, state: _State, pairs: PairSet, revealed: np.ndarray, left: np.ndarray,
          rng: np.random.Generator) -> int:
    """The next model row to reveal among ``left``."""
    if strategy == "random":
        return int(rng.choice(left))
    if strategy == "most_run":
        count = state.results.observed_count()[left] + rng.random(len(left)) * 0.5
        return int(left[np.argmax(count)])
    if strategy == "novel":
        return int(left[np.argmax(nearest_distance(state.emb, left, revealed))])
    refits = bootstrap_refits(state.results, pairs, n_boot=state.n_boot,
                              seed=int(rng.integers(2**31)), context=state.ctx)
    if strategy == "uncertain":
        return int(left[np.argmax(rank_spread(refits, left))])
    rows, _, _ = rank_models(refits, state.emb, left, 1)
    return int(rows[0])


def paired_interval(x: np.ndarray, n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Mean and 95 % bootstrap interval of the per-repetition values ``x`` [reps]."""
    x = np.asarray(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(n_boot, len(x)))].mean(axis=1)
    return float(x.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def curve_summary(curve: ActiveCurve) -> dict:
    """What the curve says, per strategy, with paired intervals over repetitions.

    Returns {"all": mean accuracy with every pool rating (random's last column, the same for every
    strategy), "k_target": the revealed count at "target_share" (:data:`TARGET_SHARE`) of the pool
    (at least the start), "strategies":
    {name: {"at_target": (mean, lo, hi) of accuracy at k_target minus all, "reaches": first count
    whose mean accuracy reaches "all" (None: never), "vs_random": (mean, lo, hi) of the accuracy
    minus random's, averaged over the curve}}}.
    """
    base = next(iter(curve.curves.values()))[:, -1]
    k = max(curve.start, int(np.floor(TARGET_SHARE * curve.pool)))
    out: dict = {"all": float(base.mean()), "k_target": k, "target_share": TARGET_SHARE,
                 "strategies": {}}
    for name, c in curve.curves.items():
        hit = np.flatnonzero(c.mean(axis=0) >= base.mean() - 1e-12)
        row = {"at_target": paired_interval(c[:, k - curve.start] - base),
               "reaches": int(curve.counts[hit[0]]) if len(hit) else None}
        if "random" in curve.curves and name != "random":
            row["vs_random"] = paired_interval((c - curve.curves["random"]).mean(axis=1))
        out["strategies"][name] = row
    return out


def curve_frame(curve: ActiveCurve) -> pd.DataFrame:
    """Long table: one row per strategy (``line``), repetition (``split``) and revealed count
    (``n_revealed``), with its ``pairwise_accuracy`` (the report's plot input)."""
    rows = [pd.DataFrame({"line": name, "split": rep, "n_revealed": curve.counts,
                          "pairwise_accuracy": c[rep]})
            for name, c in curve.curves.items() for rep in range(len(c))]
    return pd.concat(rows, ignore_index=True)

"""Pruned aligned benchmarks: keep K questions chosen to preserve the preference ranking.

Selection (every fit sees the training preferences only): fit the aligned benchmark on every
item, give each source benchmark its share of the weight mass in items (largest remainders), keep
each benchmark's largest weights, and re-fit on the kept items. Keeping the benchmark mix keeps
models that lack some source benchmarks scorable, and a few very heavy items of one benchmark
cannot take all K slots. The control of :func:`prune_curve` is ``random``: the plain mean over K
random items.

The re-fit reuses the weighting the first fit chose (by cross-validation unless fixed),
restricted to the kept items: the coverage prior of all items restricted to them, the correlation
weights of the kept items, or the plain mean over them
(:meth:`BenchmarkAligner.refit_restricted`). A pruned benchmark costs one cross-validated fit plus
a closed-form re-fit, and the kept weights are the weights of a fit on the kept items. Like
:meth:`BenchmarkAligner.fit`, the fits see every row of ``results`` (the label-free prior comes from
all models) and the preferences of the training models only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .artifact import AlignedBenchmark
from .data import Linked, PairSet, Preferences, Results, pairs_on
from .errors import InsufficientDataError, check_param
from .features.completion import scored_accuracy
from .evaluation.splits import SplitSpec, make_splits
from .fit import BenchmarkAligner
from .fit.folds import usable


PRUNED = "aligned"
"""The pruned aligned benchmark's line in :func:`prune_curve` (at K = all items: the full one)."""
CONTROL = "random"
"""The cost-matched control of :func:`prune_curve`: plain mean over K random items."""
CURVE_KS = (10, 30, 100, 300, None)
"""K values of the accuracy-vs-K curve; None stands for all items."""


def prune(
    results: Results, preferences: Preferences | Linked | PairSet, k: int, *,
    aligner_params: dict | None = None,
) -> AlignedBenchmark:
    """An aligned benchmark of ``k`` items (weights re-fitted on them, summing to 1).

    results : question-level results; preferences : as for :meth:`BenchmarkAligner.fit`.
    aligner_params : keyword arguments of :class:`BenchmarkAligner` (e.g. ``method``,
    ``random_state``). Returns an :class:`AlignedBenchmark` whose ``params["prune"]`` records K
    and the number of items before.
    """
    check_param("prune", "k", k, isinstance(k, (int, np.integer)) and not isinstance(k, bool)
                and 1 <= k <= results.n_items,
                f"an int in the range [1, {results.n_items}] (the number of items)")
    pairs = pairs_on(results, preferences)
    if len(pairs.models()) < 2:
        raise InsufficientDataError("pruning needs preferences about at least 2 models.")
    fits = prune_path(results, pairs, [k], aligner_params=aligner_params)
    meta = {"prune": {"k": int(k), "n_items_before": int(results.n_items)}}
    return AlignedBenchmark.from_aligner(fits[k][1], meta)


def prune_path(
    results: Results, pairs: PairSet, ks: Sequence[int], *, aligner_params: dict | None = None,
    full: BenchmarkAligner | None = None,
) -> dict[int, tuple[np.ndarray, BenchmarkAligner]]:
    """Pruned benchmarks for several K at once, sharing the fit on every item.

    results, pairs : the training data (pairs on results rows). ks : item counts (each in
    [1, n_items]). full : a fit on every item with these params, to reuse (else fitted here).
    Returns k -> (kept item columns [k] ascending, aligner fitted on those columns).
    """
    if full is None:
        full = BenchmarkAligner(**(aligner_params or {})).fit(results, pairs)
    everything = np.arange(results.n_items)
    return {int(k): _refit_top(results, pairs, everything, full, int(k)) for k in ks}


def _top(cols: np.ndarray, weights: np.ndarray, k: int, groups: np.ndarray) -> np.ndarray:
    """k of the columns ``cols``, in ascending order: each group (``groups`` [len(cols)], the source
    benchmarks) gets its share of the weight mass in items (largest remainders, capped at its
    size), filled with its largest weights (ties to the earlier column)."""
    order = np.argsort(-weights, kind="stable")
    names, codes = np.unique(groups, return_inverse=True)
    quota = _quotas(np.bincount(codes, weights=weights, minlength=len(names)),
                    np.bincount(codes, minlength=len(names)), k)
    rank = np.empty(len(order), dtype=np.int64)
    for g in range(len(names)):
        members = order[codes[order] == g]
        rank[members] = np.arange(len(members))
    return np.sort(cols[rank < quota[codes]])


def _quotas(mass: np.ndarray, size: np.ndarray, k: int) -> np.ndarray:
    """Integer quotas summing to k, proportional to ``mass``, each at most ``size``."""
    quota = np.minimum(np.floor(k * mass / mass.sum()).astype(np.int64), size)
    while quota.sum() < k:
        room = quota < size
        gap = np.where(room, k * mass / mass.sum() - quota, -np.inf)
        quota[int(np.argmax(gap))] += 1
    return quota


def _fit_on(results: Results, pairs: PairSet, full: BenchmarkAligner, cols: np.ndarray) -> BenchmarkAligner:
    """Re-fit the full fit's chosen parametrization on the item columns ``cols`` (of all items),
    leaving out pairs with a model that has none of them."""
    scorable = results.take_items(cols).observed_count() > 0
    if not scorable.all():
        pairs = pairs.select(scorable[pairs.a] & scorable[pairs.b])
    return full.refit_restricted(results, pairs, cols)


def _refit_top(results: Results, pairs: PairSet, cols: np.ndarray, fit: BenchmarkAligner,
               k: int) -> tuple[np.ndarray, BenchmarkAligner]:
    if k == len(cols):
        return cols, fit
    kept = _top(cols, fit.weights_, k, results.benchmarks[cols])
    return kept, _fit_on(results, pairs, fit, kept)


# --------------------------------------------------------------------------------------------------
# Held-out accuracy vs K
# --------------------------------------------------------------------------------------------------


def prune_curve(
    results: Results, linked: Linked, *, ks: Sequence[int | None] = CURVE_KS,
    split: SplitSpec = SplitSpec("random", repeats=10),
    models: pd.DataFrame | None = None, seed: int = 0, aligner_params: dict | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Held-out pairwise accuracy of pruned benchmarks, split by split.

    For each split of ``split`` (see :func:`benchalign.evaluation.splits.make_splits`), the pruned aligned
    benchmark (line :data:`PRUNED`) is fitted on the preferences among training models and scored
    on the pairs among held-out models, for every K in ``ks`` (None = all items; values above the
    item count are dropped), beside the :data:`CONTROL` (plain mean over K random items).
    Returns a long table ``split, line, k, pairwise_accuracy``; see :func:`curve_table`.
    progress : called with 1 after each split.
    """
    sizes = sorted({results.n_items if k is None else int(k) for k in ks
                    if k is None or 1 <= int(k) <= results.n_items})
    rows = []
    for i, sp in enumerate(make_splits(split, results, linked.rated, models, seed)):
        train = linked.pairs.within(sp.train, results.n_models)
        test = linked.pairs.within(sp.test, results.n_models)
        if usable(train, test):
            rows += _split_rows(i, results, train, test, sizes, aligner_params, seed + i)
        if progress is not None:
            progress(1)
    if not rows:
        raise InsufficientDataError(
            f"{split.name}: no split had training pairs and decided held-out pairs; rate more models."
        )
    return pd.DataFrame(rows, columns=["split", "line", "k", "pairwise_accuracy"])


def _split_rows(i: int, results: Results, train: PairSet, test: PairSet, sizes: list[int],
                aligner_params: dict | None, seed: int) -> list[tuple]:
    path = prune_path(results, train, sizes, aligner_params=aligner_params)
    out = [(i, PRUNED, k, scored_accuracy(path[k][1].weights_, path[k][1].completion_,
                                          results.take_items(path[k][0]), test)) for k in sizes]
    rng = np.random.default_rng(seed)
    for k in sizes:
        cols = np.sort(rng.choice(results.n_items, size=k, replace=False))
        out.append((i, CONTROL, k, scored_accuracy(np.full(k, 1.0 / k), None, results.take_items(cols), test)))
    return out


def curve_table(curve: pd.DataFrame, n_items: int | None = None) -> pd.DataFrame:
    """Mean held-out pairwise accuracy: one row per line (pruned aligned, random K), one column per
    K ("all" for n_items)."""
    table = curve.pivot_table(index="line", columns="k", values="pairwise_accuracy", aggfunc="mean")
    order = [r for r in (PRUNED, CONTROL) if r in table.index]
    table = table.loc[order]
    if n_items is not None:
        table = table.rename(columns={n_items: "all"})
    table.columns.name = "K"
    return table

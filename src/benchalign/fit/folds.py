"""Folds of the rated models, the check that a split can be scored, and the cross-validation of
weightings over those folds: one place for every loop that holds models out (the aligner's choice
among candidates, the published fit's choice of its pull, evaluation splits, pruning, the report)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..data import PairSet
from ..errors import InsufficientDataError
from ..metrics import pairwise_accuracy
from .candidates import Context


def usable(train: PairSet, test: PairSet) -> bool:
    """Whether a split can be fitted and scored: preferences about at least two training models,
    and at least one decided (target != 0.5) pair to score."""
    return len(train.models()) >= 2 and bool(np.any(test.target != 0.5))


def fold_labels(n: int, n_folds: int, seed: int) -> np.ndarray:
    """Fold label in [0, n_folds) for each of n elements, shuffled with ``seed``, balanced sizes."""
    return np.random.default_rng(seed).permutation(np.arange(n) % n_folds)


def rated_folds(pairs: PairSet, n_models: int, n_folds: int,
                seed: int) -> Iterator[tuple[PairSet, PairSet]]:
    """``(train, validation)`` pairs of each usable fold of the rated models.

    A fold's training pairs are those among the other folds' models; its validation pairs are every
    pair with at least one end in the fold (against any rated model: more pairs than within-fold
    pairs alone, none of them seen by the fit). Ids stay rows of the results (``n_models`` rows).
    """
    rated = pairs.models()
    labels = fold_labels(len(rated), n_folds, seed)
    for k in range(n_folds):
        train = pairs.within(rated[labels != k], n_models)
        held = np.zeros(n_models, dtype=bool)
        held[rated[labels == k]] = True
        val = pairs.select(held[pairs.a] | held[pairs.b])
        if usable(train, val):
            yield train, val


def cross_validate(ctx: Context, pairs: PairSet, cands: list, *, n_folds: int,
                   seed: int) -> np.ndarray:
    """[n_usable_folds, n_candidates] validation pairwise accuracy of each candidate per fold.

    ``cands`` : objects with ``weights(ctx, pairs) -> [n_items]`` (the aligner's candidates, or
    :class:`benchalign.fit.ranknet.RankNet`) and ``completed`` (scored over completed rows).
    ``pairs`` ids are rows of ``ctx.results``; only the rated rows are scored (the candidates
    still see the prior and completion learned from every model).
    """
    rated = pairs.models()
    local_ctx = ctx.take_models(rated)
    local = pairs.relabel(rated, ctx.results.n_models)
    rows = []
    for train, val in rated_folds(local, len(rated), n_folds, seed):
        rows.append([pairwise_accuracy(local_ctx.scores(c.weights(local_ctx, train), c.completed),
                                       val) for c in cands])
    if not rows:
        raise InsufficientDataError(
            f"cross-validation over the {len(rated)} rated models found no fold with preferences "
            "on both sides, so it cannot choose the weighting; give preferences about more "
            "models, or choose the weighting yourself (`fit` and `prune`: --method coverage; "
            "the library: method='coverage')."
        )
    return np.asarray(rows, dtype=np.float64)


def choose(acc: np.ndarray, n_plain: int | None = None) -> int:
    """Index of the chosen candidate from the validation accuracies [n_folds, n_candidates].

    Among the first ``n_plain`` candidates (all when None) the highest mean wins, ties (to 1e-12)
    going to the earlier one. A later candidate (one that scores completed rows) replaces it only
    when its mean is higher by more than one standard error of the paired per-fold difference
    (the one-standard-error rule): a fitted completion must earn its place on these folds.
    """
    mean = acc.mean(axis=0)
    n_plain = acc.shape[1] if n_plain is None else n_plain
    plain = int(np.flatnonzero(mean[:n_plain] >= mean[:n_plain].max() - 1e-12)[0])
    if n_plain == acc.shape[1] or len(acc) < 2:
        return plain
    later = n_plain + int(np.argmax(mean[n_plain:]))
    diff = acc[:, later] - acc[:, plain]
    return later if diff.mean() > diff.std(ddof=1) / np.sqrt(len(diff)) + 1e-12 else plain

"""Folds of the rated models and the check that a split can be scored: one place for every loop
that holds models out (the aligner's cross-validation, evaluation splits, pruning, the report)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..data import PairSet


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

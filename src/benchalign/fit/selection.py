"""Which weighting the aligner uses: the candidates of each method, in one ordered list, and the
choice among them by cross-validation over the rated training models
(:func:`benchalign.fit.folds.cross_validate`).

``method="auto"`` tries, in this order, :data:`AUTO`: ``correlation``, ``coverage`` (only when it
differs from the plain mean, i.e. when some models lack whole benchmarks) and ``uniform``. Each is
fitted on the training pairs of every fold of the rated models and scored on the pairs that involve
the fold's models (:func:`benchalign.fit.folds.rated_folds`); the highest mean validation pairwise
accuracy wins, ties going to the earlier candidate; :attr:`BenchmarkAligner.candidate_scores_`
shows what each scored. Three candidates, not more: with 8-23 rated training models every extra
candidate adds a chance to pick one that validated well by luck (``docs/method.md``).

``method="ranknet"`` is the published method (:class:`benchalign.fit.ranknet.Published`): a free
weight per question fitted by the pairwise loss, its pull toward the prior chosen by the same
cross-validation. It is never one of auto's candidates: it lost to them on the real cases.
"""

from __future__ import annotations

import numpy as np

from ..data import PairSet
from .candidates import Candidate, Context, Correlation, Fixed
from .folds import choose, cross_validate
from .ranknet import Published

AUTO = ("correlation", "coverage", "uniform")
"""The candidates of method="auto", in order of preference on equal validation accuracy."""
METHODS = ("auto", "correlation", "coverage", "uniform", "ranknet")
"""``method`` of the aligner: auto, one of its candidates forced, or the published method."""


def candidates(method: str, ctx: Context, *, cv_folds: int = 20,
               seed: int = 0) -> list[Candidate | Published]:
    """The candidates ``method`` chooses among (one when there is nothing to choose).
    ``cv_folds`` and ``seed`` are those of the published method's own choice of its pull."""
    if method == "ranknet":
        return [Published(seed=seed, cv_folds=cv_folds)]
    if method != "auto":
        return [Correlation() if method == "correlation" else Fixed(method)]
    n = ctx.results.n_items
    names = [m for m in AUTO if m != "coverage" or not np.allclose(ctx.prior, 1.0 / n)]
    return [Correlation() if m == "correlation" else Fixed(m) for m in names]


def select(ctx: Context, pairs: PairSet, method: str, *, cv_folds: int,
           seed: int) -> tuple[list[Candidate | Published], np.ndarray | None, int]:
    """The candidates of ``method``, their mean validation accuracy (None when there is a single
    candidate) and the index of the chosen one: :func:`cross_validate` over at most ``cv_folds``
    folds of the rated models, then :func:`choose`."""
    cands = candidates(method, ctx, cv_folds=cv_folds, seed=seed)
    if len(cands) == 1:
        return cands, None, 0
    acc = cross_validate(ctx, pairs, cands, n_folds=min(cv_folds, len(pairs.models())), seed=seed)
    return cands, acc.mean(axis=0), choose(acc)

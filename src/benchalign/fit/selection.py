"""Which weighting the aligner uses: the candidates of each method, in one ordered list, and the
cross-validation over the rated training models that chooses among them.

``method="auto"`` tries, in this order, :data:`AUTO`: ``correlation``, ``coverage`` (only when it
differs from the plain mean, i.e. when some models lack whole benchmarks) and ``uniform``. Each is
fitted on the training pairs of every fold of the rated models and scored on the pairs that involve
the fold's models (:func:`benchalign.fit.folds.rated_folds`); the highest mean validation pairwise
accuracy wins, ties going to the earlier candidate; :attr:`BenchmarkAligner.candidate_scores_`
shows what each scored. Three candidates, not more: with 8-23 rated training models every extra
candidate adds a chance to pick one that validated well by luck (``docs/method.md``).
"""

from __future__ import annotations

import numpy as np

from ..data import PairSet
from ..errors import InsufficientDataError
from ..metrics import pairwise_accuracy
from .candidates import Candidate, Context, Correlation, Fixed
from .folds import rated_folds

AUTO = ("correlation", "coverage", "uniform")
"""The candidates of method="auto", in order of preference on equal validation accuracy."""
METHODS = ("auto", "correlation", "coverage", "uniform")
"""``method`` of the aligner: auto, or one of its candidates forced."""


def candidates(method: str, ctx: Context) -> list[Candidate]:
    """The candidates ``method`` chooses among (one when there is nothing to choose)."""
    if method != "auto":
        return [Correlation() if method == "correlation" else Fixed(method)]
    n = ctx.results.n_items
    names = [m for m in AUTO if m != "coverage" or not np.allclose(ctx.prior, 1.0 / n)]
    return [Correlation() if m == "correlation" else Fixed(m) for m in names]


def cross_validate(ctx: Context, pairs: PairSet, cands: list, *, n_folds: int,
                   seed: int) -> np.ndarray:
    """[n_usable_folds, n_candidates] validation pairwise accuracy of each candidate per fold.

    ``cands`` : objects with ``weights(ctx, pairs) -> [n_items]`` (the aligner's candidates, or
    :class:`benchalign.fit.ranknet.RankNet`). ``pairs`` ids are rows of ``ctx.results``; only the
    rated rows are scored (the candidates still see the prior learned from every model).
    """
    rated = pairs.models()
    local_ctx = ctx.take_models(rated)
    local = pairs.relabel(rated, ctx.results.n_models)
    rows = []
    for train, val in rated_folds(local, len(rated), n_folds, seed):
        rows.append([pairwise_accuracy(local_ctx.scores(c.weights(local_ctx, train)), val)
                     for c in cands])
    if not rows:
        raise InsufficientDataError(
            f"cross-validation over the {len(rated)} rated models found no fold with preferences "
            "on both sides, so it cannot choose the weighting; give preferences about more "
            "models, or choose the weighting yourself (`fit` and `prune`: --method coverage; "
            "the library: method='coverage')."
        )
    return np.asarray(rows, dtype=np.float64)


def choose(acc: np.ndarray) -> int:
    """Index of the candidate with the highest mean accuracy over folds [n_folds, n_candidates];
    ties (to 1e-12) go to the earlier candidate."""
    mean = acc.mean(axis=0)
    return int(np.flatnonzero(mean >= mean.max() - 1e-12)[0])


def select(ctx: Context, pairs: PairSet, method: str, *, cv_folds: int,
           seed: int) -> tuple[list[Candidate], np.ndarray | None, int]:
    """The candidates of ``method``, their mean validation accuracy (None when there is a single
    candidate) and the index of the chosen one: :func:`cross_validate` over at most ``cv_folds``
    folds of the rated models, then :func:`choose`."""
    cands = candidates(method, ctx)
    if len(cands) == 1:
        return cands, None, 0
    acc = cross_validate(ctx, pairs, cands, n_folds=min(cv_folds, len(pairs.models())), seed=seed)
    return cands, acc.mean(axis=0), choose(acc)

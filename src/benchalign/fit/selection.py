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
COMPLETED = ("uniform",)
"""The weightings also tried over completed rows."""


def candidates(method: str, ctx: Context, completion: str = "auto", *, cv_folds: int = 20,
               seed: int = 0) -> list[Candidate | Published]:
    """The candidates ``method`` chooses among (one when there is nothing to choose).

    ``completion`` "auto": each weighting over observed items, then those of :data:`COMPLETED`
    over rows completed by ``ctx.completion`` (when there is one); "none": over observed items
    only; a completion kind: over completed rows only (with method "auto", those of
    :data:`COMPLETED`; a forced method is scored over completed rows). The published method
    (``ranknet``) is fitted on completed rows whenever there is a completion and ``completion``
    is not "none". ``cv_folds`` and ``seed`` are those of the published method's own choice of
    its pull (method "ranknet")."""
    if method == "ranknet":
        completed = ctx.completion is not None and completion != "none"
        return [Published(seed=seed, cv_folds=cv_folds, completed=completed)]
    n = ctx.results.n_items
    names = list(AUTO) if method == "auto" else [method]
    names = [m for m in names if m != "coverage" or not np.allclose(ctx.prior, 1.0 / n)
             or method == "coverage"]
    plain = [_candidate(m, False) for m in names] if completion in ("auto", "none") else []
    if ctx.completion is None or completion == "none":
        return plain or [_candidate(m, False) for m in names]
    return plain + [_candidate(m, True) for m in names if m in COMPLETED or method != "auto"]


def _candidate(name: str, completed: bool) -> Candidate:
    return Correlation(completed) if name == "correlation" else Fixed(name, completed)


def select(ctx: Context, pairs: PairSet, method: str, *, cv_folds: int, seed: int,
           completion: str = "auto") -> tuple[list[Candidate | Published], np.ndarray | None, int]:
    """The candidates of ``method`` and ``completion``, their mean validation accuracy (None when
    there is a single candidate) and the index of the chosen one: :func:`cross_validate` over at
    most ``cv_folds`` folds of the rated models, then :func:`choose`."""
    cands = candidates(method, ctx, completion, cv_folds=cv_folds, seed=seed)
    if len(cands) == 1:
        return cands, None, 0
    acc = cross_validate(ctx, pairs, cands, n_folds=min(cv_folds, len(pairs.models())), seed=seed)
    n_plain = sum(not c.completed for c in cands)
    return cands, acc.mean(axis=0), choose(acc, n_plain or None)

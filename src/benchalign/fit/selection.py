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
COMPLETED = ("uniform",)
"""The weightings also tried over completed rows."""
"""``method`` of the aligner: auto, or one of its candidates forced."""


def candidates(method: str, ctx: Context, completion: str = "auto") -> list[Candidate]:
    """The candidates ``method`` chooses among (one when there is nothing to choose).

    ``completion`` "auto": each weighting over observed items, then correlation and uniform over
    rows completed by ``ctx.completion`` (when there is one); "none": over observed items only;
    a completion kind: over completed rows only (coverage, a remedy for missing benchmarks, is
    then not offered)."""
    n = ctx.results.n_items
    names = list(AUTO) if method == "auto" else [method]
    names = [m for m in names if m != "coverage" or not np.allclose(ctx.prior, 1.0 / n)
             or method == "coverage"]
    plain = [_candidate(m, False) for m in names] if completion in ("auto", "none") else []
    if ctx.completion is None or completion == "none":
        return plain or [_candidate(m, False) for m in names]
    return plain + [_candidate(m, True) for m in names if m in COMPLETED]


def _candidate(name: str, completed: bool) -> Candidate:
    return Correlation(completed) if name == "correlation" else Fixed(name, completed)


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
        rows.append([pairwise_accuracy(local_ctx.scores(c.weights(local_ctx, train),
                                                        getattr(c, "completed", False)), val)
                     for c in cands])
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


def select(ctx: Context, pairs: PairSet, method: str, *, cv_folds: int, seed: int,
           completion: str = "auto") -> tuple[list[Candidate], np.ndarray | None, int]:
    """The candidates of ``method`` and ``completion``, their mean validation accuracy (None when
    there is a single candidate) and the index of the chosen one: :func:`cross_validate` over at
    most ``cv_folds`` folds of the rated models, then :func:`choose`."""
    cands = candidates(method, ctx, completion)
    if len(cands) == 1:
        return cands, None, 0
    acc = cross_validate(ctx, pairs, cands, n_folds=min(cv_folds, len(pairs.models())), seed=seed)
    n_plain = sum(not getattr(c, "completed", False) for c in cands)
    return cands, acc.mean(axis=0), choose(acc, n_plain or None)

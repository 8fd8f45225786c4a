"""Methods compared by the evaluation: the aligned benchmark and honest baselines.

Every method has the same shape: ``method(results, train, seed) -> scores`` where ``train`` holds
the preferences about the training models only, and ``scores`` [n_models] scores every model of
``results`` (NaN for a model the method cannot score, e.g. one that lacks the chosen benchmark).
No method ever sees a preference about a held-out model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..data import PairSet, Results
from ..errors import ParameterError
from ..features.structure import benchmark_means, filled_values
from ..features.completion import resolve, scores_with
from ..fit import BenchmarkAligner
from ..fit.candidates import Context, item_correlations
from ..metrics import bradley_terry, pairwise_accuracy
from ..scores import model_scores

RANDOM_SUBSET_K = 100
RIDGE_ALPHAS = tuple(10.0 ** np.arange(-3, 5))


@dataclass(frozen=True)
class Train:
    """Preferences available for fitting: pairs among training models and their ratings.

    pairs : :class:`PairSet` over results rows, both ends in the training set.
    ratings : [n_models] rating per results row (NaN when unrated or not a rating input).
    """

    pairs: PairSet
    ratings: np.ndarray

    def models(self) -> np.ndarray:
        return self.pairs.models()

    def targets(self, n_models: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, ratings) of the training models: given ratings, else a Bradley-Terry fit."""
        rows = self.models()
        given = self.ratings[rows]
        if np.isfinite(given).all():
            return rows, given
        return rows, bradley_terry(self.pairs.relabel(rows, n_models), len(rows))


Method = Callable[[Results, Train, int], np.ndarray]


def uniform(results: Results, train: Train, seed: int) -> np.ndarray:
    """The original benchmark: plain mean over each model's observed questions."""
    w = np.full(results.n_items, 1.0 / results.n_items)
    return model_scores(w, values=results.values, observed=results.observed)[0]


def benchmark_mean(results: Results, train: Train, seed: int) -> np.ndarray:
    """Mean of per-benchmark means over the benchmarks a model has (each benchmark counts once)."""
    means = benchmark_means(results)[0]
    counts = np.isfinite(means).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, np.nansum(means, axis=1) / counts, np.nan)


def best_benchmark(results: Results, train: Train, seed: int) -> np.ndarray:
    """The single source benchmark whose mean best orders the training pairs."""
    means = benchmark_means(results)[0]
    acc = [pairwise_accuracy(means[:, j], train.pairs) for j in range(means.shape[1])]
    return means[:, int(np.argmax(acc))]


def random_subset(results: Results, train: Train, seed: int, k: int = RANDOM_SUBSET_K) -> np.ndarray:
    """Plain mean over K questions drawn at random (the cost-matched control of pruning)."""
    k = min(k, results.n_items)
    chosen = np.random.default_rng(seed).choice(results.n_items, size=k, replace=False)
    w = np.zeros(results.n_items)
    w[chosen] = 1.0 / k
    return model_scores(w, values=results.values, observed=results.observed)[0]


def ridge(results: Results, train: Train, seed: int) -> np.ndarray:
    """Ridge regression of training ratings on question results, alpha by leave-one-out.

    Missing cells are filled with the item's mean over all models in the results (no labels
    involved); this is the baseline's documented imputation, not something benchalign does to
    aligned scores.
    """
    rows, y = train.targets(results.n_models)
    filled = filled_values(results)
    coef, intercept = ridge_loo(filled[rows], y, RIDGE_ALPHAS)
    return filled @ coef + intercept


def ridge_loo(x: np.ndarray, y: np.ndarray, alphas: tuple[float, ...]) -> tuple[np.ndarray, float]:
    """Ridge with intercept; alpha minimizing the exact leave-one-out squared error.

    x : [n, p] design; y : [n] targets. Uses the SVD of centered x, so cost is O(n² p).
    """
    xm, ym = x.mean(axis=0), y.mean()
    xc, yc = x - xm, y - ym
    u, s, vt = np.linalg.svd(xc, full_matrices=False)
    uty = u.T @ yc
    n = len(y)
    best = None
    for alpha in alphas:
        shrink = s**2 / (s**2 + alpha)
        fitted = u @ (shrink * uty)
        hat = (u**2) @ shrink + 1.0 / n
        loo = np.mean(((yc - fitted) / np.maximum(1 - hat, 1e-12)) ** 2)
        if best is None or loo < best[0]:
            best = (loo, alpha)
    alpha = best[1]
    coef = vt.T @ ((s / (s**2 + alpha)) * uty)
    return coef, float(ym - xm @ coef)


def correlation(results: Results, train: Train, seed: int) -> np.ndarray:
    """Each question weighted by max(0, its correlation with the training ratings) over the
    training models that have it: the weighting a user could write in three lines."""
    rows, y = train.targets(results.n_models)
    w = np.maximum(item_correlations(results, rows, y), 0.0)
    w = w if w.any() else np.ones(results.n_items)
    return model_scores(w / w.sum(), values=results.values, observed=results.observed)[0]


def coverage(results: Results, train: Train, seed: int) -> np.ndarray:
    """The label-free coverage prior alone (:func:`benchalign.features.structure.coverage_prior`)."""
    ctx = Context.of(results)
    return ctx.scores(ctx.prior)


def aligned(results: Results, train: Train, seed: int) -> np.ndarray:
    """benchalign's aligned benchmark with default parameters."""
    return BenchmarkAligner(random_state=seed).fit(results, train.pairs).predict(results)


def uniform_completed(results: Results, train: Train, seed: int) -> np.ndarray:
    """The plain mean over each model's row completed by the label-free completion the aligner
    would choose (:func:`benchalign.features.completion.auto_completion`): what completion alone
    buys. The plain mean over observed questions when nothing is missing."""
    w = np.full(results.n_items, 1.0 / results.n_items)
    return scores_with(w, resolve(results, "auto"), results)[0]


def aligned_with(method: str) -> Method:
    """benchalign's aligner with one method (see :class:`BenchmarkAligner`)."""

    def fit_and_score(results: Results, train: Train, seed: int) -> np.ndarray:
        return BenchmarkAligner(method=method, random_state=seed).fit(results, train.pairs).predict(results)

    fit_and_score.__doc__ = f"benchalign's aligner with method={method!r}."
    return fit_and_score


def ranknet(results: Results, train: Train, seed: int) -> np.ndarray:
    """The published method (BenchAlign's RankNet): a free weight per question fitted by the
    pairwise loss, pulled toward the coverage prior with a strength chosen by cross-validation.
    It is the aligner's method="ranknet" (:class:`benchalign.fit.ranknet.Published`), so these
    scores are those of ``benchalign fit --method ranknet``."""
    return aligned_with("ranknet")(results, train, seed)


VARIANTS: dict[str, Method] = {
    "aligned_correlation": aligned_with("correlation"),
    "ranknet": ranknet,
}
"""Opt-in methods (``benchalign evaluate --methods``), not in the default list: aligned_correlation
is auto's correlation candidate alone (on the benchmarks every rated model has), ranknet the
published pairwise fit of free question weights (minutes at metabench's size)."""

METHODS: dict[str, Method] = {
    "aligned": aligned,
    "uniform": uniform,
    "uniform_completed": uniform_completed,
    "benchmark_mean": benchmark_mean,
    "best_benchmark": best_benchmark,
    "coverage": coverage,
    "correlation": correlation,
    "ridge": ridge,
    "random_subset": random_subset,
}
"""Methods of ``benchalign evaluate``, in report order."""


def select_methods(spec: str | None) -> dict[str, Method]:
    """The methods named in ``spec`` (comma-separated entries of :data:`METHODS` or
    :data:`VARIANTS`), with uniform, the paired reference, always first; all of METHODS if empty."""
    if not spec:
        return dict(METHODS)
    known = {**METHODS, **VARIANTS}
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ParameterError(f"unknown methods {', '.join(unknown)}; choose from {', '.join(known)}.")
    return {n: known[n] for n in dict.fromkeys(["uniform", *names])}

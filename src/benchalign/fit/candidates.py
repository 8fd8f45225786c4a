"""The weightings the aligner chooses among. Each candidate maps training pairs to non-negative
question weights that sum to 1; :mod:`benchalign.fit.selection` cross-validates them.

* ``uniform``: the plain mean over questions (the benchmark as published);
* ``coverage``: the label-free prior of :func:`benchalign.features.structure.coverage_prior`,
  which keeps a model's score from depending on which benchmarks it happens to lack;
* ``correlation``: each question weighted by how well it orders the rated training models,
  ``w_q ∝ max(0, corr(results of q, rating))`` over the rated models that have q (ratings are the
  Bradley-Terry strengths of the training pairs), on the benchmarks that every rated training model
  has (so the weights cannot reward a model for the benchmarks it was run on).

Every candidate has ``weights(ctx, pairs) -> [n_items]`` (what cross-validation scores) and
``fit(ctx, pairs) -> WeightFit`` (the weights with their calibrated inverse temperature).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from ..data import PairSet, Results
from ..features.completion import Completion, resolve
from ..features.structure import benchmark_indicators, coverage_prior
from ..metrics import strengths
from ..scores import model_scores, weights_from_theta
from .objective import PairTerms, WeightFit

MIN_CORRELATION_MODELS = 3
"""A question's correlation needs results of at least this many rated training models."""


@dataclass(frozen=True)
class Context:
    """What a candidate may use besides the training pairs, all learned without preferences from
    every model's results: the results of the models the candidate sees (every model's, or the
    rated rows only), the coverage prior's weights [n_items], the label-free completion (None
    when it is ``none`` or the results are complete) and those rows completed by it."""

    results: Results
    prior: np.ndarray
    completion: Completion | None = None
    filled: Results | None = None

    @classmethod
    def of(cls, results: Results, rows: np.ndarray | None = None,
           completion: Completion | str | None = "auto") -> "Context":
        """The context learned from every row of ``results``, restricted to ``rows`` (all when
        None). ``completion`` : a :data:`~benchalign.features.completion.SPECS` entry, or a fitted
        completion (None: no completion)."""
        prior = weights_from_theta(coverage_prior(results))
        if isinstance(completion, str):
            completion = resolve(results, completion)
        if completion is not None and completion.kind == "none":
            completion = None
        sub = results if rows is None else results.take_models(rows)
        filled = None if completion is None else completion.complete(sub)
        return cls(sub, prior, completion, filled)

    def take_models(self, rows: np.ndarray) -> "Context":
        """The same context on the model rows ``rows`` (prior and completion kept as learned)."""
        filled = None if self.filled is None else self.filled.take_models(rows)
        return Context(self.results.take_models(rows), self.prior, self.completion, filled)

    def take_items(self, cols: np.ndarray) -> "Context":
        """The same context on the item columns ``cols`` (prior restricted and renormalized; the
        completion restricted, so a model is completed from those items only)."""
        prior = self.prior[cols]
        results = self.results.take_items(cols)
        completion = None if self.completion is None else self.completion.take_items(cols)
        filled = None if completion is None else completion.complete(results)
        return Context(results, prior / prior.sum(), completion, filled)

    def scores(self, weights: np.ndarray, completed: bool = False) -> np.ndarray:
        """Score [n_models] of every model: the weighted mean over its observed items, or with
        ``completed`` the weighted sum over its completed row."""
        if completed and self.filled is not None:
            return self.filled.values @ weights
        return model_scores(weights, values=self.results.values, observed=self.results.observed)[0]


@dataclass(frozen=True)
class Fixed:
    """A weighting that ignores the preferences: ``uniform`` or the ``coverage`` prior, scored
    over each model's observed items or, with ``completed``, over its completed row."""

    base: str
    completed: bool = False

    @property
    def name(self) -> str:
        return self.base + ("+completion" if self.completed else "")

    def weights(self, ctx: Context, pairs: PairSet) -> np.ndarray:
        n = ctx.results.n_items
        return ctx.prior.copy() if self.base == "coverage" else np.full(n, 1.0 / n)

    def fit(self, ctx: Context, pairs: PairSet) -> WeightFit:
        return calibrated(ctx, pairs, self.weights(ctx, pairs), self.completed)


@dataclass(frozen=True)
class Correlation:
    """Weights proportional to the positive correlation of each question with the ratings: on the
    benchmarks every rated model has, scored over observed items; or, with ``completed``, on every
    benchmark (correlations over the models that have the question), scored over completed rows."""

    completed: bool = False

    @property
    def name(self) -> str:
        return "correlation" + ("+completion" if self.completed else "")

    def weights(self, ctx: Context, pairs: PairSet) -> np.ndarray:
        keep = np.ones(ctx.results.n_items, dtype=bool) if self.completed else None
        return correlation_weights(ctx.results, pairs, keep)

    def fit(self, ctx: Context, pairs: PairSet) -> WeightFit:
        return calibrated(ctx, pairs, self.weights(ctx, pairs), self.completed)


def correlation_weights(results: Results, pairs: PairSet, keep: np.ndarray | None = None) -> np.ndarray:
    """[n_items] weights ∝ max(0, corr(question, Bradley-Terry strength)) over the rated models of
    ``pairs`` (ids are rows of ``results``), zero outside ``keep`` [n_items] bool (default: the
    benchmarks every rated model has, :func:`common_benchmark_items`); uniform over ``keep`` when
    no question correlates positively."""
    rows = pairs.models()
    strength = strengths(pairs.relabel(rows, results.n_models), len(rows))
    keep = common_benchmark_items(results, rows) if keep is None else keep
    w = np.maximum(item_correlations(results, rows, strength), 0.0) * keep
    if not w.any():
        w = keep.astype(np.float64)
    return w / w.sum()


Candidate = Fixed | Correlation


def item_correlations(results: Results, rows: np.ndarray, y: np.ndarray) -> np.ndarray:
    """[n_items] Pearson correlation of each item's results with ``y`` [len(rows)] over the models
    ``rows`` that have the item (0 with fewer than :data:`MIN_CORRELATION_MODELS` of them or no
    spread). Computed from per-item sums (missing cells hold 0), one pass over the rows."""
    x = results.values[rows].astype(np.float64)
    m = results.mask()[rows].astype(np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = m.sum(axis=0)
    safe = np.maximum(n, 1.0)
    sx, sy = x.sum(axis=0), y @ m
    cov = x.T @ y - sx * sy / safe
    var_x = np.einsum("ij,ij->j", x, x) - sx**2 / safe
    var_y = (y**2) @ m - sy**2 / safe
    den = np.sqrt(np.maximum(var_x, 0.0) * np.maximum(var_y, 0.0))
    ok = (n >= MIN_CORRELATION_MODELS) & (den > 1e-12 * np.maximum(n, 1.0))
    return np.where(ok, cov / np.where(ok, den, 1.0), 0.0)


def common_benchmark_items(results: Results, rows: np.ndarray) -> np.ndarray:
    """[n_items] bool: items of the benchmarks on which every model of ``rows`` has a result
    (every item when no benchmark is common to all of them)."""
    groups, _ = benchmark_indicators(results)
    present = (results.mask()[rows].astype(np.float32) @ groups.astype(np.float32)) > 0
    common = present.all(axis=0)
    return groups[:, common].any(axis=1) if common.any() else np.ones(results.n_items, dtype=bool)


def calibrated(ctx: Context, pairs: PairSet, weights: np.ndarray,
               completed: bool = False) -> WeightFit:
    """A :class:`WeightFit` for given weights: the inverse temperature β that best fits the
    training pairs' margins (the pairwise loss at β is the reported loss)."""
    rows = pairs.models()
    s = ctx.scores(weights, completed)[rows]
    s = np.where(np.isfinite(s), s, np.nanmean(s) if np.isfinite(s).any() else 0.0)
    beta, loss = fit_beta(s, pairs.relabel(rows, ctx.results.n_models))
    theta = np.log(np.maximum(weights, 1e-300))
    return WeightFit(theta, weights, beta, loss, 0, True, "closed form; beta fitted", ())


def fit_beta(scores: np.ndarray, pairs: PairSet) -> tuple[float, float]:
    """(β, loss): the inverse temperature minimizing the pairwise cross-entropy of ``scores``
    [n_models] on ``pairs`` (ids are rows of ``scores``)."""
    terms = PairTerms(pairs.a, pairs.b, pairs.weight, pairs.target, len(scores))
    res = minimize_scalar(lambda lb: terms.loss_and_grad(scores, float(np.exp(lb)))[0],
                          bounds=(-10.0, 15.0), method="bounded")
    return float(np.exp(res.x)), float(res.fun)

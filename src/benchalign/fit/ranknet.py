"""The pairwise fit of free question weights (RankNet on the simplex): the published method.

Minimizes :class:`~benchalign.fit.objective.Objective` (cross-entropy of σ(β (s_a − s_b)) against
each pair's target, plus a pull of the log-weights toward a prior) with the one L-BFGS wrapper of
:mod:`benchalign.optimize`. Only the rows of models that appear in the pairs enter the fit.

:class:`Published` is the method as the paper fits it: free weights pulled toward the coverage
prior, the pull chosen by cross-validation over the rated models. It is the aligner's
``method="ranknet"`` (``benchalign fit --method ranknet``, to reproduce the paper) and, through the
aligner, the baseline ``ranknet`` of ``benchalign evaluate``: one code path for both. It is not one
of ``auto``'s candidates, which are chosen by held-out evidence on the real cases (docs/method.md
compares them with it).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np

from ..data import PairSet, Results
from ..errors import ConvergenceWarning
from ..optimize import lbfgs, warn_unconverged
from ..scores import ScoreMatrix, model_scores, weights_from_theta
from .candidates import Context
from .objective import Objective, PairTerms, WeightFit
from .folds import choose, cross_validate

REG_GRID = (1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)
"""Pull strengths of the published fit tried by :class:`Published` (and :func:`fit_published`)."""

SMALL_FLOAT64_CELLS = 1 << 22
"""Rated sub-matrices up to this many cells are fitted in float64, so L-BFGS can meet tight
tolerances; larger ones keep a compact exact copy and evaluate the pairs' exp/log in float32."""


def _rated_problem(results: Results, pairs: PairSet) -> tuple[ScoreMatrix, PairTerms, float]:
    """The score matrix of the rated rows, their pair terms on local ids and the log of the
    initial inverse temperature (1 / sd of the rated models' uniform scores)."""
    rows = pairs.models()
    # every model rated (a full leaderboard): the ids already are positions, no re-labelling
    local = pairs if len(rows) == results.n_models else pairs.relabel(rows, results.n_models)
    if len(rows) * results.n_items <= SMALL_FLOAT64_CELLS:
        sub = results.take_models(rows)
        matrix, pair_dtype = ScoreMatrix(sub.values.astype(np.float64), sub.observed), np.float64
    else:
        matrix, pair_dtype = ScoreMatrix.compact(results.values, results.observed, rows), np.float32
    terms = PairTerms(local.a, local.b, local.weight, local.target, len(rows), dtype=pair_dtype)
    s0, _ = model_scores(np.full(results.n_items, 1.0 / results.n_items), values=results.values,
                         observed=results.observed)
    spread = float(np.nanstd(s0[rows]))
    return matrix, terms, (-np.log(spread) if spread > 0 else 0.0)


def fit_ranknet(
    results: Results, pairs: PairSet, *, reg: float, theta0: np.ndarray | None = None,
    max_iter: int = 500, tol: float = 1e-7, x0: np.ndarray | None = None, beta_reg: float = 1e-2,
) -> WeightFit:
    """Free log-weights [n_items] pulled toward ``theta0`` (uniform when None) with strength ``reg``.

    pairs : ids are rows of ``results``. x0 : warm start [n_items + 1] (log-weights, then log
    inverse temperature). Returns the :class:`WeightFit`; the caller decides how to report
    non-convergence (:func:`benchalign.optimize.warn_unconverged`).
    """
    matrix, terms, log_beta0 = _rated_problem(results, pairs)
    if x0 is None:
        x0 = np.concatenate([np.zeros(results.n_items) if theta0 is None else theta0 - theta0.mean(),
                             [log_beta0]])
    objective = Objective(matrix, terms, reg=reg, theta0=theta0, log_beta0=log_beta0,
                          beta_reg=beta_reg)
    bounds = [(None, None)] * results.n_items + [(log_beta0 - 15.0, log_beta0 + 15.0)]
    opt = lbfgs(objective, x0, bounds=bounds, max_iter=max_iter, tol=tol)
    theta = opt.x[:-1]
    return WeightFit(theta, weights_from_theta(theta), float(np.exp(opt.x[-1])), opt.fun,
                     opt.n_iter, opt.converged, opt.message, opt.history)


@dataclass(frozen=True)
class RankNet:
    """:func:`fit_ranknet` as a cross-validation candidate: free weights pulled toward the
    context's prior with strength ``reg``, scored over the context's rows as given."""

    reg: float
    max_iter: int = 200
    tol: float = 1e-5
    completed = False

    @property
    def name(self) -> str:
        return f"ranknet:reg={self.reg:g}"

    def weights(self, ctx: Context, pairs: PairSet) -> np.ndarray:
        return self.fit(ctx, pairs).weights

    def fit(self, ctx: Context, pairs: PairSet) -> WeightFit:
        theta0 = np.log(np.maximum(ctx.prior, 1e-300))
        return fit_ranknet(ctx.results, pairs, reg=self.reg, theta0=theta0,
                           max_iter=self.max_iter, tol=self.tol)


@dataclass(frozen=True)
class Published:
    """The published method as a candidate of the aligner (``method="ranknet"``): :class:`RankNet`
    toward the context's prior, its pull chosen from ``reg_grid`` by cross-validation over the
    rated models (``cv_folds`` folds drawn with ``seed``, as the aligner's own choice; ties to the
    stronger pull), then refitted on every pair. A grid of one pull skips the cross-validation.
    With ``completed``, it is fitted and scored on the rows completed by the context's completion,
    as the aligner's other candidates over completed rows."""

    seed: int = 0
    cv_folds: int = 20
    reg_grid: tuple[float, ...] = REG_GRID
    max_iter: int = 1000
    tol: float = 1e-7
    completed: bool = False

    @property
    def name(self) -> str:
        return "ranknet"

    def _on(self, ctx: Context) -> Context:
        """The context the fit works on: the completed rows when ``completed``."""
        return Context(ctx.filled, ctx.prior) if self.completed and ctx.filled is not None else ctx

    def weights(self, ctx: Context, pairs: PairSet) -> np.ndarray:
        return self.fit(ctx, pairs).weights

    def pull(self, ctx: Context, pairs: PairSet) -> tuple[float, np.ndarray | None]:
        """(chosen pull, mean validation pairwise accuracy of each pull of the grid in descending
        order, or None for a grid of one)."""
        grid, ctx = sorted(self.reg_grid, reverse=True), self._on(ctx)
        if len(grid) == 1:
            return grid[0], None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            acc = cross_validate(ctx, pairs, [RankNet(g) for g in grid],
                                 n_folds=min(self.cv_folds, len(pairs.models())), seed=self.seed)
        return grid[choose(acc)], acc.mean(axis=0)

    def fit(self, ctx: Context, pairs: PairSet) -> WeightFit:
        """The fit at the chosen pull; ``details`` holds the pull, the grid with its validation
        accuracies and the optimizer's iterations and convergence."""
        reg, scores = self.pull(ctx, pairs)
        fit = RankNet(reg, max_iter=self.max_iter, tol=self.tol).fit(self._on(ctx), pairs)
        warn_unconverged(fit, f"the published RankNet fit (reg={reg:g})",
                         "the weights are usable but not optimal; raise max_iter "
                         "(benchalign.fit.ranknet.Published).", stacklevel=3)
        details = {"reg": reg, "reg_grid": sorted(self.reg_grid, reverse=True),
                   "reg_cv_scores": None if scores is None else scores.tolist(),
                   "n_iter": int(fit.n_iter), "converged": bool(fit.converged)}
        return dataclasses.replace(fit, details=details)

    def settled(self, fit: WeightFit) -> "Published":
        """This candidate with the pull that ``fit`` chose: refits it without a new search (what
        pruning does on the kept questions)."""
        return dataclasses.replace(self, reg_grid=(fit.details["reg"],))


def fit_published(results: Results, pairs: PairSet, *, seed: int = 0, cv_folds: int = 20,
                  reg_grid: tuple[float, ...] = REG_GRID, max_iter: int = 1000,
                  tol: float = 1e-7) -> tuple[WeightFit, float]:
    """:class:`Published` fitted on ``results`` (the prior from every model of it) and ``pairs``
    (ids are rows of ``results``). Returns the fit and the chosen pull."""
    fit = Published(seed, cv_folds, tuple(reg_grid), max_iter, tol).fit(Context.of(results), pairs)
    return fit, fit.details["reg"]

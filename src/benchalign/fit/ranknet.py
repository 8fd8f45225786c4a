"""The pairwise fit of free question weights (RankNet on the simplex), the published method.

Minimizes :class:`~benchalign.fit.objective.Objective` (cross-entropy of σ(β (s_a − s_b)) against
each pair's target, plus a pull of the log-weights toward a prior) with the one L-BFGS wrapper of
:mod:`benchalign.optimize`. Only the rows of models that appear in the pairs enter the fit.
"""

from __future__ import annotations

import numpy as np

from ..data import PairSet, Results
from ..optimize import lbfgs
from ..scores import ScoreMatrix, model_scores, weights_from_theta
from .objective import Objective, PairTerms, WeightFit

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

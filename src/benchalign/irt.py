r"""A multidimensional item-response model of the full results matrix, fitted without preferences.

Model: ``P(model m answers item i) = σ(θ_m · a_i + d_i)`` with abilities θ_m [k], slopes a_i [k]
and intercepts d_i; scores in [0, 1] (partial credit) enter as fractional outcomes, missing cells
not at all. Fitted by joint maximum likelihood with ridge pulls ``reg/2 (|θ_m|² + |a_i|²)`` (which
also fix the scale; the rotation stays free and does not matter to its users) and a weak pull on
the intercepts (items every model gets right or wrong stay finite), by alternating Newton steps:
given the abilities every item is a (k+1)-parameter logistic regression, given the items every
model a k-parameter one, each solved for all of them at once (batched k×k systems) with a step
halved for the items or models whose loss went up.

Why: the scores of a model on the leading *linear* factors (:mod:`benchalign.structure`) mix what
a model can do with how hard the questions are, since 0/1 answers saturate. The abilities of this
model do not: on simulated results whose preferences favour one skill, these abilities as the
features of :mod:`benchalign.factor_fit` (the default ``method="auto"`` on results of at least
500 models, with the tilt pull) recover 79 % of the uniform-to-truth gap from 20 rated models,
against about 50 % for the linear factor scores (``benchmarks/learning_curve.py``, 30 splits;
docs/few_preferences.md).

Cost: one pass over the cells per half-step. The questions are fitted on at most
:data:`MAX_MODELS` models and :data:`MAX_ITEMS` questions (seeded random subsets; the abilities
of a few dimensions are well determined by that many), then every model's abilities follow from
its cells on those questions: about 6 s for 4,100 × 500 and 17 s for metabench (6,349 × 1,075),
the number of abilities chosen among :data:`DIMENSIONS` included.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .data import Results

MAX_MODELS = 1500
MAX_ITEMS = 2000
"""Models and questions the questions are fitted on at most (seeded random subsets above this)."""
DIMENSIONS = (2, 4, 8)
"""Numbers of abilities tried; the one that best predicts held-out cells is kept."""
HOLDOUT = 0.05
MAX_ITER = 50
TOL = 1e-5
"""Stop when an iteration lowers the penalized loss per observed cell by less than this."""
REG = 1.0
INTERCEPT_REG = 1e-2
ROW_BLOCK = 1024
MAX_HALVINGS = 8
LOSS_SLACK = 1e-6
"""A step counts as raising a loss only beyond this relative slack (float32 cells round)."""
_CACHE: OrderedDict[tuple, "ItemResponse"] = OrderedDict()
_CACHE_SIZE = 8


@dataclass(frozen=True)
class ItemResponse:
    """A fitted item-response model.

    abilities : [n_models, k] θ of every model (rows of the results).
    slopes : [len(items), k] a of the questions fitted; intercepts : [len(items)] d.
    items : [len(items)] their columns in the results (all, unless above :data:`MAX_ITEMS`).
    loss : penalized negative log-likelihood per observed cell; n_iter, converged : the fit's.
    k : the number of abilities; heldout : {k: mean log-likelihood of the held-out cells} for
        every k tried (empty when only one was asked for).
    """

    abilities: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray
    items: np.ndarray
    loss: float
    n_iter: int
    converged: bool
    k: int
    heldout: dict


class _Cells:
    """Some rows and columns of the results in row blocks, as float32 values and 0/1 weights."""

    def __init__(self, values: np.ndarray, observed: np.ndarray | None) -> None:
        self.values, self.observed = values, observed
        self.n_models, self.n_items = values.shape
        self.n_cells = int(observed.sum()) if observed is not None else values.size

    @classmethod
    def of(cls, results: Results, rows: np.ndarray | None, items: np.ndarray | None) -> "_Cells":
        """The cells of ``results`` in ``rows`` and ``items`` (None: all of them)."""
        values, obs = results.values, results.observed
        if rows is not None:
            values, obs = values[rows], None if obs is None else obs[rows]
        if items is not None:
            values, obs = values[:, items], None if obs is None else obs[:, items]
        return cls(values, obs)

    def without(self, held: np.ndarray) -> "_Cells":
        """The same cells with ``held`` [n_models, n_items] marked missing."""
        return _Cells(self.values, ~held if self.observed is None else self.observed & ~held)

    def blocks(self):
        for s in range(0, self.n_models, ROW_BLOCK):
            e = min(s + ROW_BLOCK, self.n_models)
            x = self.values[s:e].astype(np.float32)
            m = None if self.observed is None else self.observed[s:e].astype(np.float32)
            yield s, e, x, m


def _pass(cells: _Cells, theta: np.ndarray, slopes: np.ndarray, intercepts: np.ndarray,
          want: str | None):
    """Per-model and per-item negative log-likelihood, and for ``want`` ("items" or "models") the
    gradient [n, q] and Hessian [n, q*q] of each one's logistic regression."""
    k = slopes.shape[1]
    theta, slopes, intercepts = (a.astype(np.float32) for a in (theta, slopes, intercepts))
    loss_m = np.zeros(cells.n_models)
    loss_i = np.zeros(cells.n_items)
    if want == "items":
        grad, hess = np.zeros((cells.n_items, k + 1)), np.zeros((cells.n_items, (k + 1) ** 2))
    elif want == "models":
        grad, hess = np.zeros((cells.n_models, k)), np.zeros((cells.n_models, k * k))
        outer = (slopes[:, :, None] * slopes[:, None, :]).reshape(-1, k * k)
    for s, e, x, m in cells.blocks():
        eta = theta[s:e] @ slopes.T + intercepts
        nll = np.logaddexp(0.0, eta) - x * eta
        if m is not None:
            nll *= m
        loss_m[s:e] = nll.sum(axis=1, dtype=np.float64)
        loss_i += nll.sum(axis=0, dtype=np.float64)
        if want is None:
            continue
        p = expit(eta)
        r, w = p - x, p * (1.0 - p)
        if m is not None:
            r *= m
            w *= m
        if want == "items":
            t1 = np.column_stack([theta[s:e], np.ones(e - s, dtype=np.float32)])
            grad += r.T @ t1
            hess += w.T @ (t1[:, :, None] * t1[:, None, :]).reshape(e - s, -1)
        else:
            grad[s:e] = r @ slopes
            hess[s:e] = w @ outer
    return loss_m, loss_i, (grad, hess) if want else None


def _newton(params: np.ndarray, grad: np.ndarray, hess: np.ndarray, pull: np.ndarray) -> np.ndarray:
    """Newton directions [n, q] of n independent ridge-penalized problems (pull [q] per column)."""
    n, q = params.shape
    g = grad + pull * params
    h = hess.reshape(n, q, q) + np.diag(pull)
    return np.linalg.solve(h, g[:, :, None])[:, :, 0]


def _subset(n: int, cap: int, rng: np.random.Generator) -> np.ndarray | None:
    return None if n <= cap else np.sort(rng.choice(n, cap, replace=False))


def fit_item_response(results: Results, dims: int | tuple[int, ...] = DIMENSIONS, *,
                      reg: float = REG, max_models: int = MAX_MODELS, max_items: int = MAX_ITEMS,
                      max_iter: int = MAX_ITER, tol: float = TOL, holdout: float = HOLDOUT,
                      seed: int = 0) -> ItemResponse:
    """Fit the model to ``results`` with k abilities, cached by matrix content and arguments.

    dims : k, or several: then each is fitted with a seeded ``holdout`` share of the observed cells
        left out, and the k that predicts them best (mean log-likelihood) is kept. No preferences
        are involved: with thousands of models the choice is reliable.

    The questions are fitted on at most ``max_models`` models and ``max_items`` questions (seeded
    random subsets above that); every model's abilities then follow from the fitted questions and
    all its cells on them (Newton steps per model). Starts from the leading linear factors
    (abilities: standardized factor scores; questions: a Newton step from zero slopes), then
    alternates question and model steps until the penalized loss per cell falls by less than
    ``tol``.
    """
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if not dims or min(dims) < 1:
        raise ValueError(f"fit_item_response: dims must be ints >= 1, got {dims}")
    from .structure import _fingerprint

    key = ("irt", _fingerprint(results), dims, reg, max_models, max_items, max_iter, tol, holdout, seed)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    rng = np.random.default_rng(seed)
    rows = _subset(results.n_models, max_models, rng)
    items = _subset(results.n_items, max_items, rng)
    sub = _Cells.of(results, rows, items)
    held = None
    if len(dims) > 1:
        observed = np.ones(sub.values.shape, dtype=bool) if sub.observed is None else sub.observed
        held = observed & (rng.random(observed.shape) < holdout)
        sub = sub.without(held)
    starts = _start(results, max(dims))
    fits, heldout = {}, {}
    for k in dims:
        start = starts[:, :k] if rows is None else starts[rows, :k]
        fits[k] = _alternate(sub, start, reg, max_iter, tol)
        if held is not None:
            heldout[k] = _loglik(sub.values, held, *fits[k][:3])
    k = max(heldout, key=heldout.get) if heldout else dims[0]
    fitted, slopes, intercepts, loss, n_iter, converged = fits[k]
    theta = fitted
    if rows is not None:          # the other models start from their linear factor scores
        theta = starts[:, :k].copy()
        theta[rows] = fitted
    theta = _abilities(_Cells.of(results, None, items), theta, slopes, intercepts, reg)
    out = ItemResponse(theta, slopes, intercepts,
                       np.arange(results.n_items) if items is None else items, loss, n_iter,
                       converged, k, heldout)
    _CACHE[key] = out
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


def _loglik(values: np.ndarray, held: np.ndarray, theta: np.ndarray, slopes: np.ndarray,
            intercepts: np.ndarray) -> float:
    """Mean log-likelihood of the ``held`` cells of ``values`` under the model."""
    r, c = np.nonzero(held)
    if len(r) == 0:
        return float("nan")
    eta = np.einsum("nk,nk->n", theta[r], slopes[c]) + intercepts[c]
    x = values[r, c].astype(np.float64)
    return float(-(np.logaddexp(0.0, eta) - x * eta).mean())


def _penalized(theta, slopes, intercepts, loss_m, loss_i, reg):
    """Per-model and per-question penalized losses."""
    pm = loss_m + 0.5 * reg * (theta ** 2).sum(axis=1)
    pi = loss_i + 0.5 * reg * (slopes ** 2).sum(axis=1) + 0.5 * INTERCEPT_REG * intercepts ** 2
    return pm, pi


def _alternate(cells: _Cells, theta: np.ndarray, reg: float, max_iter: int, tol: float):
    """Alternating Newton steps from abilities ``theta``; returns (theta, slopes, intercepts,
    loss per cell, n_iter, converged)."""
    k = theta.shape[1]
    count = (np.full(cells.n_items, cells.n_models) if cells.observed is None
             else cells.observed.sum(axis=0))
    total = np.zeros(cells.n_items)
    for _, _, x, m in cells.blocks():
        total += (x if m is None else x * m).sum(axis=0, dtype=np.float64)
    mean = (total + 0.5) / (count + 1.0)
    slopes = np.zeros((cells.n_items, k))
    intercepts = np.log(mean / (1.0 - mean))
    item_pull = np.r_[np.full(k, reg), INTERCEPT_REG]
    model_pull = np.full(k, reg)
    loss_m, loss_i, stats = _pass(cells, theta, slopes, intercepts, "items")
    prev, loss, converged, n_iter = np.inf, np.inf, False, 0
    for n_iter in range(1, max_iter + 1):
        # question step: every question's (a_i, d_i) given the abilities
        _, old = _penalized(theta, slopes, intercepts, loss_m, loss_i, reg)
        params = np.column_stack([slopes, intercepts])

        def items_at(new):
            out = _pass(cells, theta, new[:, :k], new[:, k], "models")
            return out, _penalized(theta, new[:, :k], new[:, k], *out[:2], reg)[1]

        new, (loss_m, loss_i, stats) = _damped(params, _newton(params, *stats, item_pull), old, items_at)
        slopes, intercepts = new[:, :k], new[:, k]
        # model step: every model's abilities given the questions
        old, _ = _penalized(theta, slopes, intercepts, loss_m, loss_i, reg)
        theta, loss_m, loss_i, stats = _model_step(cells, theta, slopes, intercepts, old, stats,
                                                   model_pull, reg, "items")
        pm, pi = _penalized(theta, slopes, intercepts, loss_m, loss_i, reg)
        # pm and pi both hold the cells' loss (loss_m and loss_i sum alike): count it once
        loss = float(pm.sum() + pi.sum() - loss_i.sum()) / max(cells.n_cells, 1)
        if prev - loss < tol:
            converged = True
            break
        prev = loss
    return theta, slopes, intercepts, loss, n_iter, converged


def _model_step(cells, theta, slopes, intercepts, old, stats, pull, reg, want):
    """One Newton step of every model's abilities, halved for the models whose loss went up;
    the closing pass computes ``want``'s statistics at the new abilities."""
    def models_at(new):
        out = _pass(cells, new, slopes, intercepts, want)
        return out, _penalized(new, slopes, intercepts, *out[:2], reg)[0]

    new, (loss_m, loss_i, new_stats) = _damped(theta, _newton(theta, *stats, pull), old, models_at)
    return new, loss_m, loss_i, new_stats


def _damped(params: np.ndarray, step: np.ndarray, old: np.ndarray, trial):
    """``params - size * step`` [n, q] with ``size`` halved (up to :data:`MAX_HALVINGS` times) for
    the rows whose penalized loss, ``trial(new)[1]`` [n], rose above ``old`` [n]; returns the new
    parameters and ``trial(new)[0]`` (the pass made at them)."""
    size = np.ones(len(params))
    for _ in range(MAX_HALVINGS):
        new = params - size[:, None] * step
        out, loss = trial(new)
        bad = loss > old + LOSS_SLACK * (np.abs(old) + 1.0)
        if not bad.any():
            break
        size[bad] *= 0.5
    return new, out


def _abilities(cells: _Cells, theta: np.ndarray, slopes: np.ndarray, intercepts: np.ndarray,
               reg: float, max_iter: int = 20, tol: float = 1e-4) -> np.ndarray:
    """Every model's abilities given the questions (independent k-parameter problems, Newton)."""
    pull = np.full(theta.shape[1], reg)
    loss_m, loss_i, stats = _pass(cells, theta, slopes, intercepts, "models")
    for _ in range(max_iter):
        old, _ = _penalized(theta, slopes, intercepts, loss_m, loss_i, reg)
        new, loss_m, loss_i, stats = _model_step(cells, theta, slopes, intercepts, old, stats,
                                                 pull, reg, "models")
        moved = float(np.abs(new - theta).max())
        theta = new
        if moved < tol:
            break
    return theta


def _start(results: Results, k: int) -> np.ndarray:
    """Standardized scores [n_models, k] on the k leading linear factors (the starting abilities)."""
    from .factor_fit import FACTOR_COMPONENTS, centred_scores, standardized
    from .structure import item_structure

    st = item_structure(results, k_max=max(k, *FACTOR_COMPONENTS))
    k_lin = min(k, st.loadings.shape[1])
    theta = np.zeros((results.n_models, k))
    theta[:, :k_lin] = standardized(
        centred_scores(results, st.mean, st.loadings[:, :k_lin] / np.sqrt(results.n_items)))[0]
    return theta

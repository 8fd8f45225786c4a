r"""The "factors" method: the rated models choose a direction in the space of the leading factors of
all models' results; the weights are the non-negative question weighting whose scores follow it.

Two stages, so that the preferences only have to determine a handful of numbers:

1. **Features, label-free**, from every row of ``results``: the prior's score (coverage prior or
   uniform mean) and the scores of each model on the k leading item factors (the eigenvectors of
   :func:`benchalign.structure.item_structure`; a model's factor score is its centred results,
   missing cells at the item mean, projected on the factor), each standardized over all models.
   With 4,000 unrated models the factors are estimated well even when only 20 models are rated.
2. **Direction, from the preferences**: a linear score ``z = F v`` [n_models] of the features,
   fitted by the pairwise cross-entropy of :mod:`benchalign.objective` on the rated training
   pairs with a ridge pull ``λ/2 |v_factors|²`` (the prior's coefficient is free, so a strong pull
   means "rank like the prior").
3. **Weights, label-free again**: the question weights ``w >= 0`` whose weighted-mean scores
   (observed cells only, exactly as every benchalign score) correlate best with ``z`` over **all**
   models, by L-BFGS-B from the signed linear weights that produce ``z`` exactly, clipped at 0.
   The unrated models are the training data of this step, so it needs no preferences.

Why not log-weights in the span of the factors (``method="lowrank"``)? The factor loadings of 0/1
items are attenuated by item difficulty, so a weighting that favours the questions of one skill is
a *linear* combination of factor scores, not a log-linear one of loadings: on simulated data with
such a weighting and 1,000 rated models lowrank recovers about two thirds of the uniform-to-truth
gap and this method all of it (``benchmarks/simulated_ceiling.py``).

Cross-validation inside :class:`~benchalign.fit.BenchmarkAligner` judges a factor candidate by its
linear score ``z`` on the validation models (stage 3 runs once, on the chosen candidate); the
benchmark file records how well the final weights reproduce ``z`` (``distill_corr``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from .data import PairSet, Results
from .objective import PairTerms, ScoreMatrix, weights_from_theta

FACTOR_COMPONENTS = (4, 8, 16)
"""Item factors tried by "factors" (and by "auto")."""
FACTOR_REGS = (0.01, 0.1, 1.0)
"""Ridge pulls λ on the factor coefficients tried by "factors" (per-pair loss units)."""
ROW_BLOCK = 4096
DISTILL_MAX_ITER = 500


@dataclass(frozen=True)
class FactorBasis:
    """Label-free features of every model and the signed item weights that produce them.

    features : [n_models, q] standardized features (column 0 the prior's score).
    item_map : [n_items, q] signed linear item weights: ``features[:, j]`` equals
        ``Xc @ item_map[:, j]`` with ``Xc`` the centred results (missing cells 0), up to a constant
        (exactly for the factor columns, approximately for the prior's weighted-mean score).
    prior_weights : [n_items] the prior's weights (non-negative, sum 1).
    """

    features: np.ndarray
    item_map: np.ndarray
    prior_weights: np.ndarray

    def first(self, k: int) -> "FactorBasis":
        """The basis with only the ``k`` leading factors (columns are standardized one by one, so
        this equals the basis built for ``k`` factors)."""
        return FactorBasis(self.features[:, :k + 1], self.item_map[:, :k + 1], self.prior_weights)


def centred_scores(results: Results, mean: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """``Xc @ directions`` [n_models, q], Xc the results minus the item means with missing cells
    at 0 (their item mean), in row blocks (no full float64 copy)."""
    out = np.empty((results.n_models, directions.shape[1]))
    for i, j, block in _centred_blocks(results, mean):
        out[i:j] = block @ directions
    return out


def _centred_blocks(results: Results, mean: np.ndarray):
    """(start, stop, float64 block of Xc) over row blocks of the results."""
    for i in range(0, results.n_models, ROW_BLOCK):
        j = min(i + ROW_BLOCK, results.n_models)
        block = results.values[i:j].astype(np.float64) - mean
        if results.observed is not None:
            block[~results.observed[i:j]] = 0.0
        yield i, j, block


def factor_basis(results: Results, theta0: np.ndarray | None, k: int) -> FactorBasis:
    """The features of :mod:`benchalign.factor_fit` stage 1 for ``k`` item factors (fewer when
    the results have fewer items); :meth:`FactorBasis.first` gives those of fewer factors."""
    from .structure import item_structure

    # at least the default k_max, so the "cv" family shares lowrank's cached factors
    st = item_structure(results, k_max=max(k, *FACTOR_COMPONENTS))
    k = min(k, st.loadings.shape[1])
    directions = st.loadings[:, :k] / np.sqrt(results.n_items)      # unit-norm eigenvectors
    w0 = weights_from_theta(np.zeros(results.n_items) if theta0 is None else theta0)
    item_map = np.column_stack([w0, directions])
    features, sd = standardized(centred_scores(results, st.mean, item_map))
    return FactorBasis(features, item_map / sd, w0)


def standardized(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(columns of ``raw`` [n, q] divided by their standard deviation, those sds [q]); a constant
    column keeps sd 1."""
    sd = raw.std(axis=0)
    sd[sd <= 0] = 1.0
    return raw / sd, sd


def centred_cross(results: Results, mean: np.ndarray, features: np.ndarray) -> np.ndarray:
    """``Xcᵀ @ features`` [n_items, q] (Xc as in :func:`centred_scores`), in row blocks."""
    out = np.zeros((results.n_items, features.shape[1]))
    for i, j, block in _centred_blocks(results, mean):
        out += block.T @ features[i:j]
    return out


def irt_basis(results: Results, theta0: np.ndarray | None) -> tuple[FactorBasis, int]:
    """The features of stage 1 from an item-response model instead of linear factors: the prior's
    score and the k abilities of :func:`benchalign.irt.fit_item_response` (k chosen there by
    held-out cells), each standardized over all models. Returns (basis, k).

    The abilities are not linear in the results; the item map of their columns (only the start of
    the distillation) is the least-squares direction of each within the span of the centred
    results' covariance with it, scaled to reproduce its spread.
    """
    from .irt import fit_item_response
    from .structure import item_means

    fitted = fit_item_response(results)
    _, mean = item_means(results)     # the centring of item_structure, without its factors
    w0 = weights_from_theta(np.zeros(results.n_items) if theta0 is None else theta0)
    ability, _ = standardized(fitted.abilities - fitted.abilities.mean(axis=0))
    item_map = np.column_stack([w0, centred_cross(results, mean, ability)])
    # one pass: the prior's score and the spread of the abilities' linear stand-ins
    raw, sd = standardized(centred_scores(results, mean, item_map))
    features = np.column_stack([raw[:, 0], ability])
    return FactorBasis(features, item_map / sd, w0), fitted.k


def fit_direction(features: np.ndarray, pairs: PairSet, lam: float, *, tilt: bool = False,
                  max_iter: int = 200,
                  tol: float = 1e-7) -> tuple[np.ndarray, float, int, bool, tuple[float, ...]]:
    """Stage 2: ``v`` [q] minimizing the pairwise cross-entropy of ``features @ v`` on ``pairs``
    (ids are rows of ``features``) plus a ridge pull. Returns (v, loss, n_iter, converged, loss
    history).

    tilt=False: the pull is ``λ/2 |v[1:]|²``, in the units of the score, so it weakens as the
    preferences get sharper (the prior's free coefficient carries their scale). tilt=True: ``v =
    e^κ (1, u)`` and the pull is ``λ/2 |u|²``: how far the direction tilts away from the prior's
    score, whatever the scale of the preferences (the prior's coefficient is then positive).
    """
    terms = PairTerms(pairs.a, pairs.b, pairs.weight, pairs.target, features.shape[0])
    if tilt:
        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            scale, u = np.exp(x[0]), x[1:]
            base = features[:, 0] + features[:, 1:] @ u
            loss, gs, _ = terms.loss_and_grad(scale * base, 1.0)
            return (loss + 0.5 * lam * float(u @ u),
                    np.concatenate([[scale * float(gs @ base)], scale * (features[:, 1:].T @ gs) + lam * u]))

        def direction(x: np.ndarray) -> np.ndarray:
            return np.exp(x[0]) * np.concatenate([[1.0], x[1:]])

        x0 = np.zeros(features.shape[1])                # scale 1, no tilt: the prior's score
    else:
        free = np.ones(features.shape[1])
        free[0] = 0.0

        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            loss, gs, _ = terms.loss_and_grad(features @ x, 1.0)
            pull = free * x
            return loss + 0.5 * lam * float(pull @ pull), features.T @ gs + lam * pull

        def direction(x: np.ndarray) -> np.ndarray:
            return x

        x0 = np.zeros(features.shape[1])
        x0[0] = 1.0
    history: list[float] = []
    res = minimize(objective, x0, jac=True, method="L-BFGS-B",
                   callback=lambda intermediate_result: history.append(float(intermediate_result.fun)),
                   options={"maxiter": max_iter, "gtol": tol, "ftol": tol * 1e-3})
    return direction(res.x), float(res.fun), int(res.nit), bool(res.success), tuple(history)


def correlation_objective(matrix: ScoreMatrix, target: np.ndarray):
    """``f(w, grad)``: minus the correlation over all models of the weighted-mean scores of
    ``matrix`` at weights ``w`` [n_items] (observed items only; a model with none of the weighted
    items counts as the mean) with ``target`` [n_models], and with grad=True also its gradient
    [n_items] in ``w``; with grad=False the correlation alone."""
    t = (target - target.mean()) / max(target.std(), 1e-12)
    n = len(t)

    def correlation(w: np.ndarray, grad: bool):
        s, den = matrix.scores(w)
        ok = den > 1e-12 * max(w.sum(), 1e-300)
        masked = np.where(ok, s, np.nan)
        sc = np.where(ok, masked - np.nanmean(masked), 0.0)
        sd = np.sqrt(sc @ sc / n)
        if not np.isfinite(sd) or sd <= 0:
            return (0.0, np.zeros_like(w)) if grad else 0.0
        c = float(sc @ t) / (n * sd)
        if not grad:
            return c
        gs = -np.where(ok, (t - c * sc / sd) / (n * sd), 0.0)
        return -c, matrix.pullback(gs, np.where(ok, s, 0.0), np.where(ok, den, 1.0))

    return correlation


def distill(results: Results, target: np.ndarray, start: np.ndarray, *,
            max_iter: int = DISTILL_MAX_ITER) -> tuple[np.ndarray, float]:
    """Stage 3: weights [n_items] (non-negative, sum 1) whose weighted-mean scores over each
    model's observed items correlate best with ``target`` [n_models] over all models, from
    ``start`` (non-negative, not all zero). Returns (weights, correlation)."""
    correlation = correlation_objective(ScoreMatrix.compact(results.values, results.observed), target)
    x0 = start / start.sum()
    res = minimize(correlation, x0, args=(True,), jac=True, method="L-BFGS-B",
                   bounds=[(0.0, None)] * len(x0),
                   options={"maxiter": max_iter, "gtol": 1e-9, "ftol": 1e-12})
    w = res.x if res.x.sum() > 0 else x0
    w = w / w.sum()
    return w, correlation(w, False)


def fit_beta(scores: np.ndarray, pairs: PairSet) -> tuple[float, float]:
    """(β, loss): the inverse temperature minimizing the pairwise cross-entropy of ``scores``
    [n_models] on ``pairs`` (ids are rows of ``scores``)."""
    terms = PairTerms(pairs.a, pairs.b, pairs.weight, pairs.target, len(scores))
    res = minimize_scalar(lambda lb: terms.loss_and_grad(scores, float(np.exp(lb)))[0],
                          bounds=(-10.0, 15.0), method="bounded")
    return float(np.exp(res.x)), float(res.fun)


@dataclass(frozen=True)
class FactorSpec:
    """A "factors" candidate: its :class:`FactorBasis` (from every row and item of the results),
    the ridge pull ``reg`` on the factor coefficients, optionally the item columns ``cols`` the
    weights are distilled on (a pruned benchmark; the features stay those of all questions), and
    whether the pull is on the tilt away from the prior (``tilt``, see :func:`fit_direction`)."""

    basis: FactorBasis = field(repr=False)
    reg: float
    cols: np.ndarray | None = field(default=None, repr=False)
    tilt: bool = False

    @property
    def n_coef(self) -> int:
        return int(self.basis.features.shape[1])

    def restrict(self, cols: np.ndarray) -> "FactorSpec":
        return replace(self, cols=np.asarray(cols, dtype=np.int64))

    def fold_scores(self, pairs: PairSet, rows: np.ndarray, *, max_iter: int, tol: float) -> np.ndarray:
        """Stage 2 on ``pairs`` (ids are rows of the results), then the linear score [len(rows)]
        of the models ``rows``: what cross-validation compares."""
        v = fit_direction(self.basis.features, pairs, self.reg, tilt=self.tilt, max_iter=max_iter,
                          tol=tol)[0]
        return self.basis.features[rows] @ v

    def fit(self, results: Results, pairs: PairSet, *, max_iter: int, tol: float):
        """Stages 2 and 3: a :class:`~benchalign.structured_fit.StructuredFit` whose ``x`` is v and
        whose weights are distilled on ``results`` (the ``cols`` items when restricted; the same
        models as the basis). Also returns the correlation of the final scores with ``z``."""
        from .structured_fit import StructuredFit

        feats = self.basis.features
        v, _, n_iter, converged, history = fit_direction(feats, pairs, self.reg, tilt=self.tilt,
                                                         max_iter=max_iter, tol=tol)
        item_map = self.basis.item_map if self.cols is None else self.basis.item_map[self.cols]
        prior = self.basis.prior_weights if self.cols is None else self.basis.prior_weights[self.cols]
        start = np.clip(item_map @ v, 0.0, None)
        if not start.any():
            start = prior.copy()
        w, corr = distill(results, feats @ v, start)
        rows = pairs.models()
        # scored from the stored values: distill's compact matrix computes in float32
        s = ScoreMatrix(results.values, results.observed).scores(w)[0]
        beta, loss = fit_beta(s[rows], pairs.relabel(rows, results.n_models))
        theta = np.log(np.maximum(w, 1e-300))
        fit = StructuredFit(theta, w, beta, loss, n_iter, converged,
                            "direction fitted by L-BFGS-B; weights distilled on all models",
                            history, x=v)
        return fit, corr

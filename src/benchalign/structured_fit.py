r"""Structured fits of the aligned benchmark: log-weights through a few coefficients.

With few rated models a free log-weight per question overfits. Here the log-weights are

.. math:: \theta = \theta^0 + B c + \delta

* ``B`` [n_items, p]: columns of item features (benchmark indicators, item loadings learned from
  all models' results, see :mod:`benchalign.structure`), grouped into blocks;
* ``c`` [p]: coefficients fitted on the rated models;
* ``δ`` [n_items] (optional): free question-level deviations.

The loss is the pairwise cross-entropy of :mod:`benchalign.objective` (evaluated through its
public :class:`~benchalign.objective.Objective` with no pull of its own) plus one pull per block,
in the units of the item-level pull of :mod:`benchalign.objective`:

.. math:: \sum_k \frac{\lambda_k}{2}\,\mathrm{mean}_q\big((B_k c_k)_q - \overline{B_k c_k}\big)^2
          + \frac{\lambda_\delta}{2}\,\mathrm{mean}_q(\delta_q - \bar\delta)^2,

so every strength means the same thing: how hard the weights are pulled toward the prior
(``θ⁰``, uniform by default). The gradient is exact: the objective's gradient on θ, pulled back
as ``Bᵀ g`` and ``g``; no pairs × items array is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from .data import PairSet, Results
from .factor_fit import FACTOR_COMPONENTS, FACTOR_REGS, FactorSpec, factor_basis, irt_basis
from .objective import Objective, PairTerms, ScoreMatrix, WeightFit, model_scores, weights_from_theta

SMALL_FLOAT64_CELLS = 1 << 22
"""Rated sub-matrices up to this many cells are fitted in float64 (tight tolerances)."""


@dataclass(frozen=True)
class Parametrization:
    """How the log-weights depend on the fitted parameters.

    basis : [n_items, p] feature columns (p may be 0).
    block : [p] int block id of each column, in [0, len(block_regs)).
    block_regs : strength λ_k >= 0 of the pull on each block's contribution.
    item_reg : strength λ_δ of the pull on free item deviations; None = no item deviations.
    theta0 : [n_items] prior log-weights (None = uniform).
    """

    basis: np.ndarray
    block: np.ndarray
    block_regs: tuple[float, ...]
    item_reg: float | None = None
    theta0: np.ndarray | None = None

    @property
    def n_items(self) -> int:
        return int(self.basis.shape[0])

    @property
    def n_coef(self) -> int:
        return int(self.basis.shape[1])

    @property
    def n_params(self) -> int:
        """Length of x: coefficients, item deviations (if any), log inverse temperature."""
        return self.n_coef + (self.n_items if self.item_reg is not None else 0) + 1

    def penalty_matrix(self) -> np.ndarray:
        """[p, p] P with pull ½ cᵀ P c: Σ_k λ_k (centred B_k)ᵀ (centred B_k) / n_items."""
        centred = self.basis - self.basis.mean(axis=0, keepdims=True)
        scale = np.asarray(self.block_regs, dtype=np.float64)[self.block]
        gram = centred.T @ centred / max(self.n_items, 1)
        same = self.block[:, None] == self.block[None, :]
        return np.where(same, gram * np.sqrt(scale[:, None] * scale[None, :]), 0.0)

    def restrict(self, cols: np.ndarray) -> "Parametrization":
        """The same parametrization on the item columns ``cols`` only (e.g. a pruned benchmark):
        basis rows and prior log-weights of those items, the same blocks and strengths."""
        cols = np.asarray(cols, dtype=np.int64)
        return Parametrization(self.basis[cols], self.block, self.block_regs, self.item_reg,
                               None if self.theta0 is None else self.theta0[cols])

    def theta(self, x: np.ndarray) -> np.ndarray:
        """Log-weights [n_items] at parameters x."""
        p = self.n_coef
        theta = self.basis @ x[:p] if p else np.zeros(self.n_items)
        if self.item_reg is not None:
            theta = theta + x[p:p + self.n_items]
        if self.theta0 is not None:
            theta = theta + self.theta0
        return theta


class StructuredObjective:
    """Callable ``x -> (loss, grad)`` of a :class:`Parametrization` on prepared rated rows."""

    def __init__(self, matrix: ScoreMatrix, terms: PairTerms, param: Parametrization, *,
                 log_beta0: float, beta_reg: float = 1e-2) -> None:
        self.param = param
        self.inner = Objective(matrix, terms, reg=0.0, log_beta0=log_beta0, beta_reg=beta_reg)
        self.penalty = param.penalty_matrix()

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        param, p = self.param, self.param.n_coef
        theta = param.theta(x)
        loss, g = self.inner(np.concatenate([theta, x[-1:]]))
        gtheta = g[:-1]
        grad = np.empty_like(x)
        c = x[:p]
        pc = self.penalty @ c
        loss += 0.5 * float(c @ pc)
        grad[:p] = param.basis.T @ gtheta + pc
        if param.item_reg is not None:
            d = x[p:p + param.n_items]
            dev = d - d.mean()
            loss += 0.5 * param.item_reg * float(dev @ dev) / param.n_items
            grad[p:p + param.n_items] = gtheta + param.item_reg * dev / param.n_items
        grad[-1] = g[-1]
        return float(loss), grad


@dataclass(frozen=True)
class Prepared:
    """The rated rows of a results matrix and their pairs, ready for many fits.

    matrix : :class:`ScoreMatrix` of the rated rows; terms : :class:`PairTerms` on local ids;
    log_beta0 : log of the initial inverse temperature (1 / sd of the uniform scores).
    """

    matrix: ScoreMatrix
    terms: PairTerms
    log_beta0: float


def prepare(results: Results, pairs: PairSet) -> Prepared:
    """Restrict ``results`` to the models in ``pairs`` (ids are rows of ``results``)."""
    rows = pairs.models()
    pairs = pairs.relabel(rows, results.n_models)
    if len(rows) * results.n_items <= SMALL_FLOAT64_CELLS:
        sub = results.take_models(rows)
        matrix = ScoreMatrix(sub.values.astype(np.float64), sub.observed)
    else:
        matrix = ScoreMatrix.compact(results.values, results.observed, rows)
    terms = PairTerms(pairs.a, pairs.b, pairs.weight, pairs.target, len(rows), dtype=matrix.dtype)
    # the initial temperature comes from the stored results, as in fit.fit_weights
    s0, _ = model_scores(np.full(results.n_items, 1.0 / results.n_items), values=results.values,
                         observed=results.observed)
    spread = float(np.nanstd(s0[rows]))
    return Prepared(matrix, terms, -np.log(spread) if spread > 0 else 0.0)


@dataclass(frozen=True)
class StructuredFit(WeightFit):
    """Outcome of one structured fit: a :class:`~benchalign.objective.WeightFit` plus the fitted
    parameters x [n_params] of its :class:`Parametrization`."""

    x: np.ndarray


def fit_structured(prepared: Prepared, param: Parametrization, *, x0: np.ndarray | None = None,
                   max_iter: int = 500, tol: float = 1e-7, beta_reg: float = 1e-2) -> StructuredFit:
    """Minimize the structured objective with L-BFGS from ``x0`` (default: the prior, β₀)."""
    lb0 = prepared.log_beta0
    if x0 is None:
        x0 = np.zeros(param.n_params)
        x0[-1] = lb0
    objective = StructuredObjective(prepared.matrix, prepared.terms, param, log_beta0=lb0,
                                    beta_reg=beta_reg)
    history: list[float] = []
    res = minimize(
        objective, x0, jac=True, method="L-BFGS-B",
        bounds=[(None, None)] * (param.n_params - 1) + [(lb0 - 15.0, lb0 + 15.0)],
        callback=lambda intermediate_result: history.append(float(intermediate_result.fun)),
        options={"maxiter": max_iter, "gtol": tol, "ftol": tol * 1e-3, "maxcor": 10},
    )
    theta = param.theta(res.x)
    return StructuredFit(theta, weights_from_theta(theta), float(np.exp(res.x[-1])), float(res.fun),
                         int(res.nit), bool(res.success), str(res.message), tuple(history), x=res.x)


def scores(results: Results, weights: np.ndarray) -> np.ndarray:
    """Weighted mean score [n_models] over each model's observed items."""
    return model_scores(weights, values=results.values, observed=results.observed)[0]


# --------------------------------------------------------------------------------------------------
# Choosing a parametrization by cross-validation over the rated models
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One parametrization to try: exactly one of ``param`` and ``factor`` is set.

    name : label in diagnostics; complexity : rank used by the one-standard-error rule (lower =
    preferred when cross-validation cannot tell candidates apart; usually fewer effective
    parameters); param : the log-weight :class:`Parametrization` to fit (:func:`fixed` for "use
    the prior as is"); factor : a "factors" or "irt" candidate (:mod:`benchalign.factor_fit`).
    """

    name: str
    complexity: int
    param: Parametrization | None = None
    factor: FactorSpec | None = None

    @property
    def n_coef(self) -> int:
        """Coefficients fitted on the rated models (free question deviations not counted)."""
        return self.factor.n_coef if self.factor is not None else self.param.n_coef

    def restrict(self, cols: np.ndarray) -> "Candidate":
        """The same candidate on the item columns ``cols`` (see :meth:`Parametrization.restrict`)."""
        if self.factor is not None:
            return Candidate(self.name, self.complexity, factor=self.factor.restrict(cols))
        return Candidate(self.name, self.complexity, self.param.restrict(cols))

    def fit(self, results: Results, pairs: PairSet, *, max_iter: int,
            tol: float) -> tuple[StructuredFit, float | None]:
        """The final fit on every training pair: (fit, correlation of the distilled scores with
        the factor score, or None for log-weight parametrizations)."""
        if self.factor is not None:
            return self.factor.fit(results, pairs, max_iter=max_iter, tol=tol)
        return fit_structured(prepare(results, pairs), self.param, max_iter=max_iter, tol=tol), None

    def weights(self, prepared: Prepared, *, max_iter: int, tol: float) -> np.ndarray:
        """Weights [n_items] of a log-weight candidate fitted on ``prepared`` (a CV fold)."""
        return fit_structured(prepared, self.param, max_iter=max_iter, tol=tol).weights


def fold_labels(n: int, n_folds: int, seed: int) -> np.ndarray:
    """Fold label in [0, n_folds) for each of n rated models, shuffled with ``seed``."""
    return np.random.default_rng(seed).permutation(np.arange(n) % n_folds)


def cross_validate(results: Results, pairs: PairSet, candidates: list[Candidate], *,
                   n_folds: int, seed: int, max_iter: int = 200, tol: float = 1e-5) -> np.ndarray:
    """[n_used_folds, n_candidates] validation pairwise accuracy of each candidate per fold.

    Each fold fits on the pairs among the other folds' models and scores every pair that involves
    one of its own models (against any other rated model: more pairs than within-fold pairs alone,
    and none of them was seen by the fit). ``pairs`` ids are rows of ``results``.
    """
    from .metrics import pairwise_accuracy

    rated = pairs.models()
    folds = fold_labels(len(rated), n_folds, seed)
    sub = results.take_models(rated)
    rows = []
    for k in range(n_folds):
        train = pairs.within(rated[folds != k], results.n_models)
        is_val = np.zeros(results.n_models, dtype=bool)
        is_val[rated[folds == k]] = True
        val = pairs.select(is_val[pairs.a] | is_val[pairs.b]).relabel(rated, results.n_models)
        if len(train.models()) < 2 or len(val) == 0 or np.all(val.target == 0.5):
            continue
        prepared = prepare(results, train)
        row = []
        for cand in candidates:
            if cand.factor is not None:  # judged by its linear factor score (see factor_fit)
                s = cand.factor.fold_scores(train, rated, max_iter=max_iter, tol=tol)
            else:
                s = scores(sub, cand.weights(prepared, max_iter=max_iter, tol=tol))
            row.append(pairwise_accuracy(s, val))
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(candidates))


def one_se_choice(acc: np.ndarray, complexity: np.ndarray) -> int:
    """Index of the chosen candidate from per-fold accuracies [n_folds, n_candidates].

    The one-standard-error rule: the best mean minus the standard error of its fold accuracies
    is the bar; among the least complex candidates that reach it, the highest mean wins (ties to
    the earlier candidate).
    """
    mean = acc.mean(axis=0)
    best = int(np.argmax(mean))
    se = acc[:, best].std(ddof=1) / np.sqrt(len(acc)) if len(acc) > 1 else 0.0
    ok = mean >= mean[best] - se - 1e-12
    level = complexity[ok].min()
    pool = np.flatnonzero(ok & (complexity == level))
    return int(pool[np.argmax(mean[pool])])


def identifiable(cands: list[Candidate], n_rated: int) -> list[Candidate]:
    """The candidates of a search whose coefficient count is below ``n_rated - 1``.

    A ranking of n rated models has n - 1 degrees of freedom; a basis with as many coefficients
    (e.g. benchmark indicators + 16 item factors with 10 rated models) can fit any ordering of the
    training models, so cross-validation over 2-model folds rewards luck (on alpacaeval2 such a pick
    cost one split a third of its held-out pairs). Free per-question deviations are kept: their
    pull toward the prior is what limits them. A single candidate is always kept.
    """
    if len(cands) <= 1:
        return cands
    kept = [c for c in cands if c.n_coef < n_rated - 1]
    return kept or cands[:1]


# --------------------------------------------------------------------------------------------------
# The candidate families of BenchmarkAligner's methods
# --------------------------------------------------------------------------------------------------

METHODS = ("auto", "items", "coverage", "grouped", "lowrank", "factors", "irt")
PRIORS = ("coverage", "uniform")
GROUP_REGS = (0.01, 0.1, 1.0)
LOWRANK_REGS = (0.01, 0.1, 1.0)
AUTO_ITEM_STRENGTHS = 2
""""auto" tries the free per-question family only at the strongest strengths of ``reg_grid``."""
LOWRANK_COMPONENTS = (4, 16)
AUTO_IRT_MIN_MODELS = 500
"""From this many models (rated or not) on, "auto" is the item-response family (see
:func:`candidates`); below it the results say too little about the questions' structure."""
AUTO_IRT_TILT = 0.03
"""The pull of auto's item-response candidate on the tilt of its direction away from the prior's
score (:func:`~benchalign.factor_fit.fit_direction` with tilt=True), fixed: see candidates()."""
GROUP_ITEM_REGS = (1.0, 10.0, 100.0)


def _empty(n_items: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((n_items, 0)), np.zeros(0, dtype=np.int64)


def fixed(n_items: int, theta0: np.ndarray | None) -> Parametrization:
    """No fitted weight: the prior ``theta0`` as is (only the temperature is fitted)."""
    return Parametrization(*_empty(n_items), (), None, theta0)


def items(n_items: int, reg: float, theta0: np.ndarray | None) -> Parametrization:
    """A free log-weight per question, pulled toward ``theta0`` with strength ``reg``."""
    return Parametrization(*_empty(n_items), (), float(reg), theta0)


def grouped(groups: np.ndarray, reg: float, item_reg: float | None,
            theta0: np.ndarray | None) -> Parametrization:
    """A log-weight per source benchmark (``groups`` [n_items, B] 0/1), optional item deviations."""
    return Parametrization(groups, np.zeros(groups.shape[1], dtype=np.int64), (float(reg),),
                           item_reg, theta0)


def lowrank(groups: np.ndarray, loadings: np.ndarray, reg: float,
            theta0: np.ndarray | None) -> Parametrization:
    """Log-weights in the span of the benchmark indicators and k item loadings."""
    basis = np.hstack([groups, loadings])
    return Parametrization(basis, np.zeros(basis.shape[1], dtype=np.int64), (float(reg),), None,
                           theta0)


def candidates(method: str, results: Results, *, prior: str, reg: float | str,
               reg_grid: tuple[float, ...], n_components: int | str) -> list[Candidate]:
    """The parametrizations ``method`` tries, simplest first; structure from every row of results.

    reg : a fixed strength (no search over strengths) or "cv". n_components : item loadings of
    "lowrank" ("cv": :data:`LOWRANK_COMPONENTS`).
    """
    from .structure import benchmark_indicators, coverage_prior, item_structure

    n = results.n_items
    theta0 = coverage_prior(results) if prior == "coverage" else None
    if theta0 is not None and not np.any(theta0):
        theta0 = None  # nothing to correct: the prior is the uniform benchmark
    groups, _ = benchmark_indicators(results)

    def strengths(grid: tuple[float, ...]) -> tuple[float, ...]:
        return grid if reg == "cv" else (float(reg),)

    def lowrank_family() -> list[Candidate]:
        ks = LOWRANK_COMPONENTS if n_components == "cv" else (int(n_components),)
        loads = item_structure(results, k_max=max(ks)).loadings
        return [Candidate(f"lowrank:k={k}:reg={g:g}", 2, lowrank(groups, loads[:, :k], g, theta0))
                for k in ks if k <= loads.shape[1] for g in strengths(LOWRANK_REGS)]

    def factor_family() -> list[Candidate]:
        ks = FACTOR_COMPONENTS if n_components == "cv" else (int(n_components),)
        basis = factor_basis(results, theta0, max(ks))  # one pass over the results for every k
        n_factors = basis.features.shape[1] - 1
        return [Candidate(f"factors:k={k}:reg={g:g}", 1, factor=FactorSpec(basis.first(k), g))
                for k in ks if k <= n_factors for g in strengths(FACTOR_REGS)]

    def irt_family(pulls: tuple[float, ...], *, tilt: bool = False,
                   complexity: int = 1) -> list[Candidate]:
        basis, k = irt_basis(results, theta0)
        label = "tilt" if tilt else "reg"
        return [Candidate(f"irt:k={k}:{label}={g:g}", complexity, factor=FactorSpec(basis, g, tilt=tilt))
                for g in pulls]

    if method == "coverage":
        return [Candidate(f"{prior}", 0, fixed(n, theta0))]
    if method == "items":
        return [Candidate(f"items:reg={g:g}", 3, items(n, g, theta0)) for g in strengths(reg_grid)]
    if method == "grouped":
        return [Candidate(f"grouped:reg={g:g}:item_reg={d:g}", 1, grouped(groups, g, d, theta0))
                for g in strengths(GROUP_REGS) for d in strengths(GROUP_ITEM_REGS)]
    if method == "lowrank":
        return lowrank_family()
    if method == "factors":
        return factor_family()
    if method == "irt":
        return irt_family(strengths(FACTOR_REGS))
    # auto
    if reg != "cv":
        return [Candidate(f"items:reg={float(reg):g}", 3, items(n, float(reg), theta0))]
    out = [Candidate("uniform", 0, fixed(n, None))]
    if theta0 is not None:
        # the label-free prior every other candidate is pulled toward: kept whenever cross-validation
        # cannot tell it apart from the best (with 5-10 rated metabench models CV noise otherwise
        # picked the plain mean in a third of the splits: 0.804 vs 0.842 held-out accuracy at n=5)
        out.append(Candidate("coverage", -1, fixed(n, theta0)))
    if results.n_models >= AUTO_IRT_MIN_MODELS:
        # thousands of unrated models: the abilities of an item-response model of all of them are
        # the features, the rated models fit the tilt of a direction away from the prior's score
        # (k numbers and a scale), pulled in units that do not depend on how sharp the
        # preferences are. Ranked simplest: a prior is kept only when cross-validation says it is
        # better by a standard error. Every other family in the running cost more than it added
        # with 20 rated models (docs/few_preferences.md, sessions 4-5)
        return out + irt_family((AUTO_IRT_TILT,), tilt=True, complexity=-2)
    if groups.shape[1] > 1:
        out += [Candidate(f"grouped:reg={g:g}", 1, grouped(groups, g, None, theta0))
                for g in GROUP_REGS]
    out += lowrank_family()
    out += factor_family()
    # not irt_family(): below AUTO_IRT_MIN_MODELS the abilities are poorly determined (on
    # alpacaeval2, 58 models, irt cost about a point at n=10; docs/few_preferences.md)
    # only the strongest pulls: weak ones overfit with few rated models and converge slowly
    out += [Candidate(f"items:reg={g:g}", 3, items(n, g, theta0))
            for g in sorted(reg_grid)[::-1][:AUTO_ITEM_STRENGTHS]]
    return out


def candidate_reg(cand: Candidate, reg_grid: tuple[float, ...]) -> float:
    """The question-level pull of a candidate: its item strength, else the largest of
    ``reg_grid`` (a candidate without free question weights is the strongest pull's limit)."""
    p = cand.param
    return float(p.item_reg) if p is not None and p.item_reg is not None else float(max(reg_grid))

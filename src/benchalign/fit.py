"""Fit an aligned benchmark: non-negative question weights that rank models like the preferences.

:class:`BenchmarkAligner` follows the scikit-learn estimator contract: ``__init__`` only stores
parameters, ``fit`` validates them, learns ``weights_`` and returns ``self``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import minimize

from .data import Linked, PairSet, Preferences, Results, link
from .errors import ConvergenceWarning, DataWarning, InsufficientDataError, check_param, format_rows
from .metrics import pairwise_accuracy
from .objective import (
    Objective,
    PairTerms,
    ScoreMatrix,
    WeightFit,
    model_scores,
    scipy_blas_single_threaded,
    weights_from_theta,
)
from . import structured_fit as structured
from .structured_fit import METHODS as STRUCTURED_METHODS
from .structured_fit import PRIORS

DEFAULT_REG_GRID = (1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)
CV_TOL = 1e-5
CV_MAX_ITER = 200
SMALL_FLOAT64_CELLS = 1 << 22
"""Gradient tolerance of the inner cross-validation fits: they only need to rank validation pairs."""


def fit_weights(
    results: Results, pairs: PairSet, *, reg: float, max_iter: int = 500, tol: float = 1e-7,
    x0: np.ndarray | None = None, beta_reg: float = 1e-2,
) -> WeightFit:
    """Minimize the pairwise objective of :mod:`benchalign.objective` with L-BFGS.

    Only the rows of models that appear in ``pairs`` are used. ``x0`` warm-starts the optimizer
    ([n_items + 1], log-weights then log inverse temperature).
    """
    seen = np.zeros(results.n_models, dtype=bool)
    seen[pairs.a] = True
    seen[pairs.b] = True
    rows, local = None, pairs  # every model is in a pair: use the matrix in place, no re-slicing
    if not seen.all():
        rows = np.flatnonzero(seen)
        local = pairs.relabel(rows, results.n_models)
    # Small problems run in float64 so L-BFGS can meet tight tolerances; large ones keep a compact
    # exact copy (uint8 for 0/1 results, else the stored float32), converted once per fit, and
    # evaluate exp/log of the pairs in float32 (margins and sums stay float64).
    pair_dtype = np.float32
    if np.count_nonzero(seen) * results.n_items <= SMALL_FLOAT64_CELLS:
        sub = results if rows is None else results.take_models(rows)
        matrix = ScoreMatrix(sub.values.astype(np.float64), sub.observed)
        pair_dtype = np.float64
    else:
        matrix = ScoreMatrix.compact(results.values, results.observed, rows)
    terms = PairTerms(local.a, local.b, local.weight, local.target, matrix.shape[0],
                      dtype=pair_dtype)
    uniform = np.full(results.n_items, 1.0 / results.n_items)
    # the initial temperature comes from the stored (float32) results, as it always has
    s0, _ = model_scores(uniform, values=results.values, observed=results.observed)
    s0 = s0 if rows is None else s0[rows]
    spread = float(np.std(s0))
    log_beta0 = -np.log(spread) if spread > 0 else 0.0
    if x0 is None:
        x0 = np.concatenate([np.zeros(results.n_items), [log_beta0]])
    history: list[float] = []
    objective = Objective(matrix, terms, reg=reg, log_beta0=log_beta0, beta_reg=beta_reg)
    with scipy_blas_single_threaded():
        res = minimize(
            objective, x0, jac=True, method="L-BFGS-B",
            bounds=[(None, None)] * results.n_items + [(log_beta0 - 15.0, log_beta0 + 15.0)],
            callback=lambda intermediate_result: history.append(float(intermediate_result.fun)),
            options={"maxiter": max_iter, "gtol": tol, "ftol": tol * 1e-3, "maxcor": 10},
        )
    theta = res.x[:-1]
    return WeightFit(theta, weights_from_theta(theta), float(np.exp(res.x[-1])), float(res.fun),
                     int(res.nit), bool(res.success), str(res.message), tuple(history))


def kfold_groups(n: int, n_folds: int, seed: int) -> np.ndarray:
    """Fold label in [0, n_folds) for each of n elements, shuffled with ``seed``, balanced sizes."""
    labels = np.arange(n) % n_folds
    return np.random.default_rng(seed).permutation(labels)


def select_reg(
    results: Results, pairs: PairSet, *, grid: tuple[float, ...], n_folds: int, seed: int,
    max_iter: int,
) -> tuple[float, np.ndarray]:
    """Choose the regularization strength by K-fold cross-validation over the rated models.

    Each fold fits on pairs among the other folds' models and measures pairwise accuracy on pairs
    among its own models. Returns the best strength (ties go to the stronger one, closer to the
    uniform benchmark) and the [len(grid)] mean validation accuracies.
    """
    rated = pairs.models()
    folds = kfold_groups(len(rated), n_folds, seed)
    order = np.argsort(grid)[::-1]  # strong to weak, warm-starting each from the previous
    acc = np.zeros((n_folds, len(grid)))
    used = np.zeros(n_folds, dtype=bool)
    for k in range(n_folds):
        train = pairs.within(rated[folds != k], results.n_models)
        val = pairs.within(rated[folds == k], results.n_models)
        if len(train) == 0 or len(val) == 0 or np.all(val.target == 0.5):
            continue
        used[k] = True
        x0 = None
        for g in order:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                fit = fit_weights(results, train, reg=grid[g], max_iter=min(max_iter, CV_MAX_ITER), x0=x0,
                                  tol=CV_TOL)
            x0 = np.concatenate([fit.theta, [np.log(fit.beta)]])
            s, _ = model_scores(fit.weights, values=results.values, observed=results.observed)
            acc[k, g] = pairwise_accuracy(s, val)
    if not used.any():
        raise InsufficientDataError(
            "cross-validation found no fold with pairs on both sides; pass a fixed reg= "
            "(--reg on the CLI) or give preferences about more models."
        )
    mean = acc[used].mean(axis=0)
    best = max(range(len(grid)), key=lambda g: (round(mean[g], 12), grid[g]))
    return float(grid[best]), mean


class BenchmarkAligner:
    """Learn a weight per question so the weighted benchmark ranks models like the preferences.

    Parameters
    ----------
    reg : "cv" or float >= 0
        Strength of the pull toward the uniform benchmark. "cv" (default) chooses it from
        ``reg_grid`` by ``cv_folds``-fold cross-validation over the rated training models.
    reg_grid : tuple of float > 0
        Candidate strengths for "cv".
    cv_folds : int >= 2
        Number of folds of the inner cross-validation (reduced when there are few rated models).
    max_iter : int >= 1
        Maximum L-BFGS iterations of the final fit.
    tol : float > 0
        Gradient tolerance of L-BFGS.
    random_state : int
        Seed of the fold assignment; the fit is otherwise deterministic.
    method : "auto", "items", "coverage", "grouped", "lowrank", "factors" or "irt"
        How the weights are parametrized (see :mod:`benchalign.structured_fit`,
        :mod:`benchalign.factor_fit` and ``docs/few_preferences.md``): "items" a free weight per
        question; "coverage" the prior alone (no weight fitted); "grouped" a weight per source
        benchmark plus question-level deviations; "lowrank" log-weights in the span of the
        benchmark indicators and the leading item loadings of all models' results; "factors" the
        rated models fit a direction among the prior's score and the leading factor scores of all
        models, and the weights are the non-negative weighting whose scores follow it over all
        models; "irt" the same with the abilities of an item-response model of all models'
        results (:mod:`benchalign.irt`; its number of abilities chosen by held-out cells) in
        place of the linear factor scores. "auto" (default) chooses by ``cv_folds``-fold
        cross-validation over the rated training models and the one-standard-error rule (the
        simplest candidate within one standard error of the best): on results of at least 500
        models (:data:`~benchalign.structured_fit.AUTO_IRT_MIN_MODELS`) among irt with a fixed
        pull of 0.03 on the tilt of its direction away from the prior's score (ranked simplest:
        a prior is kept only when it validates better by a standard error), the prior and
        uniform; on fewer models among the prior, uniform, grouped, lowrank, factors and items.
    prior : "coverage" or "uniform"
        What the weights are pulled toward. "coverage" (default): the label-free weighting that
        makes scores least sensitive to which benchmarks a model was evaluated on, learned from
        every row of ``results`` (:func:`benchalign.structure.coverage_prior`; the uniform
        benchmark when every model has every benchmark). "uniform": the plain mean.
    n_components : "cv" or int >= 1
        Item factors used by "lowrank" ("cv" tries 4 and 16) and "factors" ("cv": 4, 8 and 16).

    Unrated rows of ``results`` are used, without labels, by the "coverage" prior and the
    "lowrank" loadings; in a held-out evaluation the held-out models' results take part in that
    (transductive) structure, never their preferences. method="items" with prior="uniform" is the
    original simplex RankNet.

    Attributes
    ----------
    weights_ : [n_items] float64 non-negative, summing to 1.
    items_, benchmarks_ : [n_items] item ids and their source benchmark.
    reg_ : strength used; cv_scores_ : mean validation pairwise accuracy per grid value (or None).
    beta_ : inverse temperature of the fitted margins (per unit of score).
    n_iter_, converged_, loss_, loss_history_ : optimizer diagnostics.
    n_train_models_, n_train_pairs_ : how much preference data the fit saw.
    method_ : the chosen parametrization (e.g. "coverage", "lowrank:k=4:reg=1", "items:reg=10").
    distill_corr_ : for a "factors" or "irt" choice, the correlation over all models of the final weights'
        scores with the factor score they reproduce; None otherwise.
    candidates_, candidate_scores_ : every candidate tried and its mean validation accuracy
        (structured methods only; None for the original path). For structured methods ``reg_`` is
        the question-level pull of the chosen candidate (the largest grid value when it has no
        free question weights) and ``cv_scores_`` the best validation accuracy per grid value
        (NaN where no candidate had it).
    """

    def __init__(
        self, *, reg: float | str = "cv", reg_grid: tuple[float, ...] = DEFAULT_REG_GRID,
        cv_folds: int = 5, max_iter: int = 1000, tol: float = 1e-7, random_state: int = 0,
        method: str = "auto", prior: str = "coverage", n_components: int | str = "cv",
    ) -> None:
        self.method = method
        self.prior = prior
        self.n_components = n_components
        self.reg = reg
        self.reg_grid = reg_grid
        self.cv_folds = cv_folds
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    PARAMS = ("reg", "reg_grid", "cv_folds", "max_iter", "tol", "random_state", "method", "prior",
              "n_components")

    def get_params(self) -> dict:
        """The constructor parameters (scikit-learn style), e.g. to build an unfitted copy."""
        return {k: getattr(self, k) for k in self.PARAMS}

    def _validate_params(self) -> None:
        name = type(self).__name__
        check_param(name, "reg", self.reg,
                    self.reg == "cv" or (isinstance(self.reg, (int, float)) and not isinstance(self.reg, bool) and self.reg >= 0),
                    'a float in the range [0, inf) or "cv"')
        check_param(name, "reg_grid", self.reg_grid,
                    len(self.reg_grid) > 0 and all(isinstance(g, (int, float)) and g > 0 for g in self.reg_grid),
                    "a non-empty tuple of floats in the range (0, inf)")
        check_param(name, "cv_folds", self.cv_folds,
                    isinstance(self.cv_folds, int) and self.cv_folds >= 2, "an int in the range [2, inf)")
        check_param(name, "max_iter", self.max_iter,
                    isinstance(self.max_iter, int) and self.max_iter >= 1, "an int in the range [1, inf)")
        check_param(name, "tol", self.tol,
                    isinstance(self.tol, (int, float)) and self.tol > 0, "a float in the range (0, inf)")
        check_param(name, "random_state", self.random_state,
                    isinstance(self.random_state, (int, np.integer)), "an int")
        check_param(name, "method", self.method, self.method in STRUCTURED_METHODS,
                    "one of " + ", ".join(f'"{m}"' for m in STRUCTURED_METHODS))
        check_param(name, "prior", self.prior, self.prior in PRIORS,
                    "one of " + ", ".join(f'"{p}"' for p in PRIORS))
        check_param(name, "n_components", self.n_components,
                    self.n_components == "cv" or (isinstance(self.n_components, (int, np.integer))
                                                  and not isinstance(self.n_components, bool)
                                                  and self.n_components >= 1),
                    'an int in the range [1, inf) or "cv"')

    def fit(
        self, results: Results, preferences: Preferences | Linked | PairSet, *,
        ignore_unknown: bool = False,
    ) -> "BenchmarkAligner":
        """Fit the weights.

        results : question-level results of the training models (and possibly others).
        preferences : :class:`Preferences` (linked to ``results`` by name), a :class:`Linked`, or a
            :class:`PairSet` whose ids are rows of ``results``.
        """
        pairs, rated = self._training_pairs(results, preferences, ignore_unknown)
        if self.method != "items" or self.prior != "uniform":
            return self._fit_structured(results, pairs, rated)
        self.method_, self.candidates_, self.candidate_scores_ = "items", None, None
        self.candidate_ = self.distill_corr_ = None
        # Only rated models enter the objective: work on their rows once.
        sub, pairs = results.take_models(rated), pairs.relabel(rated, results.n_models)
        self.reg_, self.cv_scores_ = self._choose_reg(sub, pairs, rated)
        fit = fit_weights(sub, pairs, reg=self.reg_, max_iter=self.max_iter, tol=self.tol)
        _warn_unconverged(fit, stacklevel=3)
        self.weights_ = fit.weights
        self.beta_ = fit.beta
        self.loss_ = fit.loss
        self.loss_history_ = fit.loss_history
        self.n_iter_ = fit.n_iter
        self.converged_ = fit.converged
        self.items_ = results.items.copy()
        self.benchmarks_ = results.benchmarks.copy()
        self.n_train_models_ = int(len(rated))
        self.n_train_pairs_ = int(len(pairs))
        return self

    def refit_restricted(self, results: Results, preferences: Preferences | Linked | PairSet,
                         cols: np.ndarray) -> "BenchmarkAligner":
        """A new aligner fitted on the item columns ``cols`` of ``results`` with this (fitted)
        aligner's chosen parametrization restricted to them: the same prior, basis and strengths,
        no new search (what :mod:`benchalign.prune` uses to re-weight the kept questions).

        results : the results this aligner was fitted on (all items); cols : [k] item columns.
        """
        sub = results.take_items(cols)
        new = BenchmarkAligner(**self.get_params())
        if self.candidate_ is None:  # the plain simplex path: same strength, no CV
            new.reg = self.reg_
            return new.fit(sub, preferences)
        pairs, rated = new._training_pairs(sub, preferences, False)
        only = self.candidate_.restrict(cols)
        return new._fit_structured(sub, pairs, rated, only=only, only_reg=self.reg_)

    def _training_pairs(self, results: Results, preferences: Preferences | Linked | PairSet,
                        ignore_unknown: bool) -> tuple[PairSet, np.ndarray]:
        """Validate the parameters; the pairs on ``results`` rows that a fit can use (rated models
        without any observed item left out, with a warning) and their sorted model rows."""
        self._validate_params()
        pairs = _drop_models_without_items(results, _as_pairs(results, preferences, ignore_unknown))
        rated = pairs.models()
        if len(rated) < 2:
            raise InsufficientDataError("fitting needs preferences about at least 2 models.")
        return pairs, rated

    def _fit_structured(self, results: Results, pairs: PairSet, rated: np.ndarray, *,
                        only: structured.Candidate | None = None,
                        only_reg: float | None = None) -> "BenchmarkAligner":
        """Fit a structured method: candidates from every row of ``results``, CV over rated rows.

        only, only_reg : a candidate to fit as given (no search) and the strength to report for it.
        """
        if only is not None:
            cands = [only]
        else:
            cands = structured.candidates(self.method, results, prior=self.prior, reg=self.reg,
                                          reg_grid=tuple(self.reg_grid), n_components=self.n_components)
            cands = structured.identifiable(cands, len(rated))
        self.candidates_ = [c.name for c in cands]
        chosen, self.candidate_scores_ = 0, None
        if len(cands) > 1:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                acc = structured.cross_validate(results, pairs, cands, n_folds=self._n_folds(rated),
                                                seed=self.random_state,
                                                max_iter=min(self.max_iter, CV_MAX_ITER), tol=CV_TOL)
            if len(acc) == 0:
                raise InsufficientDataError(
                    "cross-validation found no fold with pairs on both sides; pass a fixed reg= "
                    "(--reg on the CLI) or give preferences about more models."
                )
            chosen = structured.one_se_choice(acc, np.array([c.complexity for c in cands]))
            self.candidate_scores_ = acc.mean(axis=0)
        cand = cands[chosen]
        fit, self.distill_corr_ = cand.fit(results, pairs, max_iter=self.max_iter, tol=self.tol)
        _warn_unconverged(fit, stacklevel=4)
        self.method_, self.candidate_ = cand.name, cand
        regs = [structured.candidate_reg(c, tuple(self.reg_grid)) for c in cands]
        self.reg_ = only_reg if only is not None else regs[chosen]
        self.cv_scores_ = None if self.candidate_scores_ is None else np.array(
            [max((a for a, r in zip(self.candidate_scores_, regs) if r == g), default=np.nan)
             for g in self.reg_grid])
        self.weights_, self.beta_, self.loss_ = fit.weights, fit.beta, fit.loss
        self.loss_history_, self.n_iter_, self.converged_ = fit.loss_history, fit.n_iter, fit.converged
        self.items_, self.benchmarks_ = results.items.copy(), results.benchmarks.copy()
        self.n_train_models_, self.n_train_pairs_ = int(len(rated)), int(len(pairs))
        return self

    def _n_folds(self, rated: np.ndarray) -> int:
        n_folds = min(self.cv_folds, len(rated) // 2)
        if n_folds < 2:
            raise InsufficientDataError(
                f"cross-validating the regularization needs preferences about at least 4 models, "
                f"got {len(rated)}; pass a fixed reg= (--reg on the CLI)."
            )
        return n_folds

    def _choose_reg(self, results: Results, pairs: PairSet, rated: np.ndarray) -> tuple[float, np.ndarray | None]:
        if self.reg != "cv":
            return float(self.reg), None
        n_folds = min(self.cv_folds, len(rated) // 2)
        if n_folds < 2:
            raise InsufficientDataError(
                f"cross-validating the regularization needs preferences about at least 4 models, "
                f"got {len(rated)}; pass a fixed reg= (--reg on the CLI)."
            )
        reg, scores = select_reg(results, pairs, grid=tuple(self.reg_grid), n_folds=n_folds,
                                 seed=self.random_state, max_iter=self.max_iter)
        return reg, scores

    def predict(self, results: Results) -> np.ndarray:
        """Aligned score [n_models] of each model in ``results`` (same items, same order)."""
        if not hasattr(self, "weights_"):
            raise InsufficientDataError("this BenchmarkAligner is not fitted yet; call fit first.")
        if results.n_items != len(self.items_) or not np.array_equal(results.items, self.items_):
            from .errors import ItemMismatchError

            raise ItemMismatchError(
                "the results' items differ from the items the aligner was fitted on; "
                "use benchalign.artifact.score, which reports and handles the difference."
            )
        s, _ = model_scores(self.weights_, values=results.values, observed=results.observed)
        return s


def _warn_unconverged(fit: WeightFit, stacklevel: int) -> None:
    if not fit.converged:
        warnings.warn(
            f"L-BFGS did not converge in {fit.n_iter} iterations ({fit.message}); "
            "raise max_iter (--max-iter) or the regularization.",
            ConvergenceWarning, stacklevel=stacklevel,
        )


def _drop_models_without_items(results: Results, pairs: PairSet) -> PairSet:
    """Rated models with no observed item cannot be scored: drop their pairs, and say so."""
    if results.observed is None:
        return pairs
    rated = pairs.models()
    empty = rated[~results.observed[rated].any(axis=1)]
    if len(empty) == 0:
        return pairs
    warnings.warn(
        f"{len(empty)} rated models have no result on any of the {results.n_items} items and are "
        f"left out of the fit: {format_rows(results.models[empty].tolist())}.",
        DataWarning, stacklevel=3,
    )
    return pairs.within(np.setdiff1d(rated, empty), results.n_models)


def _as_pairs(results: Results, preferences: Preferences | Linked | PairSet, ignore_unknown: bool) -> PairSet:
    if isinstance(preferences, PairSet):
        return preferences
    if isinstance(preferences, Linked):
        return preferences.pairs
    return link(results, preferences, ignore_unknown=ignore_unknown).pairs

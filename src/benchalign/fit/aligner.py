"""Fit an aligned benchmark: non-negative question weights that rank models like the preferences.

:class:`BenchmarkAligner` follows the scikit-learn estimator contract: ``__init__`` only stores
parameters, ``fit`` validates them, learns ``weights_`` and returns ``self``.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..data import Linked, PairSet, Preferences, Results, pairs_on
from ..errors import DataWarning, InsufficientDataError, ItemMismatchError, check_fitted, check_param
from ..errors import format_rows
from ..features.completion import SPECS, choose_completion, scores_with
from .candidates import Candidate, Context
from .ranknet import Published
from .selection import METHODS, select

class BenchmarkAligner:
    """Learn a weight per question so the weighted benchmark ranks models like the preferences.

    Parameters
    ----------
    method : "auto", "correlation", "coverage", "uniform" or "ranknet"
        The weighting (see :mod:`benchalign.fit.candidates`). "auto" (default) chooses among
        correlation, coverage and uniform by cross-validation over the rated training models
        (:mod:`benchalign.fit.selection`); "correlation", "coverage" or "uniform" forces that
        candidate. "ranknet" is the published BenchAlign method (:class:`benchalign.fit.ranknet.
        Published`), to reproduce the paper: a free weight per question fitted by the pairwise
        RankNet loss, pulled toward the coverage prior with a strength chosen by the same
        cross-validation; slower (an L-BFGS fit per pull and fold) and never chosen by "auto".
    completion : "auto", "none", "item_mean", "additive", "lowrank:1", "lowrank:2" or "lowrank:3"
        How a model's missing questions count (:mod:`benchalign.features.completion`). "auto"
        (default) learns a completion without preferences (the one that best restores hidden
        blocks of observed results) and lets the cross-validation choose between scoring over
        the questions a model has and scoring over its completed row; "none" never completes; a
        kind forces that completion (a forced ``method`` is then scored over completed rows).
    cv_folds : int >= 2
        Most folds of the cross-validation over rated training models (one model per fold when
        there are no more rated models than this: leave-one-out).
    random_state : int
        Seed of the fold assignment; the fit is otherwise deterministic.

    Unrated rows of ``results`` are used, without labels, by the coverage prior: in a held-out
    evaluation the held-out models' results take part in it, never their preferences.

    Attributes
    ----------
    weights_ : [n_items] float64 non-negative, summing to 1.
    items_, benchmarks_ : [n_items] item ids and their source benchmark.
    method_ : the chosen candidate ("correlation", "coverage", "uniform" or "ranknet").
    candidates_, candidate_scores_ : the candidates tried, in order, and their mean validation
        pairwise accuracy (None when there was a single candidate).
    completion_ : the :class:`~benchalign.features.completion.Completion` that scores a model's
        missing questions, or None when the chosen candidate scores over observed questions.
    completion_choice_ : the label-free :class:`~benchalign.features.completion.Choice` of
        ``completion="auto"`` on incomplete results (each candidate's error restoring hidden
        blocks), else None.
    beta_ : inverse temperature of the fitted margins (per unit of score); loss_ : the pairwise
        loss on the training pairs at ``beta_``.
    n_train_models_, n_train_pairs_ : how much preference data the fit saw.
    n_iter_, converged_ : the optimizer's iterations and convergence (0 and True for the closed
        forms). fit_details_ : what the weighting chose on the way, e.g. ranknet's pull ``reg``,
        the grid ``reg_grid`` and its ``reg_cv_scores`` (empty for the closed forms).
    """

    PARAMS = ("method", "completion", "cv_folds", "random_state")

    def __init__(self, *, method: str = "auto", completion: str = "auto", cv_folds: int = 20,
                 random_state: int = 0) -> None:
        self.method = method
        self.completion = completion
        self.cv_folds = cv_folds
        self.random_state = random_state

    def get_params(self) -> dict:
        """The constructor parameters (scikit-learn style), e.g. to build an unfitted copy."""
        return {k: getattr(self, k) for k in self.PARAMS}

    def _validate_params(self) -> None:
        name = type(self).__name__
        check_param(name, "method", self.method, self.method in METHODS,
                    "one of " + ", ".join(f'"{m}"' for m in METHODS))
        check_param(name, "completion", self.completion, self.completion in SPECS,
                    "one of " + ", ".join(f'"{m}"' for m in SPECS))
        check_param(name, "cv_folds", self.cv_folds,
                    isinstance(self.cv_folds, int) and self.cv_folds >= 2, "an int in the range [2, inf)")
        check_param(name, "random_state", self.random_state,
                    isinstance(self.random_state, (int, np.integer)) and self.random_state >= 0,
                    "an int in the range [0, inf)")

    def fit(
        self, results: Results, preferences: Preferences | Linked | PairSet, *,
        ignore_unknown: bool = False,
    ) -> "BenchmarkAligner":
        """Fit the weights.

        results : question-level results of the training models (and possibly others).
        preferences : :class:`Preferences` (linked to ``results`` by name), a :class:`Linked`, or a
            :class:`PairSet` whose ids are rows of ``results``.
        """
        self._validate_params()
        pairs = training_pairs(results, preferences, ignore_unknown)
        rated = pairs.models()
        ctx = Context.of(results, rated, self.completion)
        local = pairs.relabel(rated, results.n_models)
        self.completion_choice_ = (choose_completion(results) if self.completion == "auto"
                                   and results.observed is not None else None)
        cands, self.candidate_scores_, chosen = select(ctx, local, self.method,
                                                       cv_folds=self.cv_folds,
                                                       seed=self.random_state,
                                                       completion=self.completion)
        self.candidates_ = [c.name for c in cands]
        return self._fit_final(ctx, local, cands[chosen])

    def refit_restricted(self, results: Results, preferences: Preferences | Linked | PairSet,
                         cols: np.ndarray) -> "BenchmarkAligner":
        """A new aligner fitted on the item columns ``cols`` of ``results`` with this (fitted)
        aligner's chosen candidate, no new search (what :mod:`benchalign.prune` uses to re-weight
        the kept questions; ranknet keeps the pull it chose). The coverage prior is the one learned
        on all items, restricted."""
        new = BenchmarkAligner(**self.get_params())
        new._validate_params()
        pairs = training_pairs(results, preferences, False)
        rated = pairs.models()
        new.candidates_, new.candidate_scores_ = [self.candidate_.name], None
        ctx = Context.of(results, rated, self.completion_).take_items(cols)
        return new._fit_final(ctx, pairs.relabel(rated, results.n_models), self.candidate_)

    def _fit_final(self, ctx: Context, pairs: PairSet,
                   cand: Candidate | Published) -> "BenchmarkAligner":
        fit = cand.fit(ctx, pairs)
        self.candidate_ = cand.settled(fit) if isinstance(cand, Published) else cand
        self.method_ = cand.name
        self.completion_ = ctx.completion if cand.completed else None
        self.weights_, self.beta_, self.loss_ = fit.weights, fit.beta, fit.loss
        self.n_iter_, self.converged_, self.fit_details_ = fit.n_iter, fit.converged, fit.details
        self.items_, self.benchmarks_ = ctx.results.items.copy(), ctx.results.benchmarks.copy()
        self.n_train_models_, self.n_train_pairs_ = int(len(pairs.models())), int(len(pairs))
        return self

    def predict(self, results: Results) -> np.ndarray:
        """Aligned score [n_models] of each model in ``results`` (same items, same order)."""
        check_fitted(self, "weights_", "fit(results, preferences)")
        if results.n_items != len(self.items_) or not np.array_equal(results.items, self.items_):
            raise ItemMismatchError(
                "the results' items differ from the items the aligner was fitted on; "
                "use benchalign.artifact.score, which reports and handles the difference."
            )
        return self.score_rows(results)[0]

    def score_rows(self, results: Results) -> tuple[np.ndarray, np.ndarray]:
        """``(score, observed weight mass)`` [n_models] each of the rows of ``results`` (same
        items, same order): over each model's completed row when the fit chose a completion,
        else the weighted mean over the items the model has."""
        check_fitted(self, "weights_", "fit(results, preferences)")
        return scores_with(self.weights_, self.completion_, results)



def training_pairs(results: Results, preferences: Preferences | Linked | PairSet,
                   ignore_unknown: bool) -> PairSet:
    """The pairs on ``results`` rows that a fit can use: rated models without any observed item
    are left out, with a warning. Raises when fewer than 2 rated models remain."""
    pairs = _drop_models_without_items(results, pairs_on(results, preferences, ignore_unknown))
    if len(pairs.models()) < 2:
        raise InsufficientDataError("fitting needs preferences about at least 2 models.")
    return pairs


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
        DataWarning, stacklevel=4,
    )
    return pairs.within(np.setdiff1d(rated, empty), results.n_models)

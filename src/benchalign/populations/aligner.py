"""One aligned benchmark per population of users, small populations borrowing from the pooled one.

A population is a value of a column of the preference table (an Arena category, a language, a
rater group). :func:`split_populations` turns such a table into one :class:`Preferences` per
value; :func:`pool` merges the populations' pairs into one pooled set (weights add, targets are
weight-averaged). :class:`PopulationAligner` fits a :class:`~benchalign.fit.BenchmarkAligner` per
population and one on the pooled pairs, then blends

    w_p = (1 - a_p) · w_own + a_p · w_pooled,   a_p ∈ ``blend_grid``,

with a_p chosen by cross-validation over the population's rated models (folds of
:func:`benchalign.fit.folds.fold_labels`): a held-out model is held out of the pooled fit too, so
no preference about it reaches either fit. The choice follows the one-standard-error rule toward
pooling: the largest a_p whose accuracy is within one standard error (of its paired difference
over folds) of the best, so a population gets weights of its own only when its held-out pairs ask
for them beyond fold-to-fold noise.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..artifact import POOLED
from ..data import ELO_SCALE, Linked, PairSet, PreferenceKind, Preferences, Results, link
from ..data import nfc, preferences_from_frame
from ..errors import ConvergenceWarning, InputFormatError, InsufficientDataError, ItemMismatchError
from ..errors import check_fitted, check_param
from ..features.completion import scored_accuracy
from ..fit import BenchmarkAligner
from ..fit.folds import fold_labels, usable
from ..scores import model_scores

BLEND_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)


def split_populations(frame: pd.DataFrame, column: str, *, kind: PreferenceKind | None = None,
                      rating_scale: float = ELO_SCALE, **options: object) -> dict[str, Preferences]:
    """One :class:`Preferences` per value of ``column`` (sorted by name), each validated alone.

    Population names are the column's text as written ('01' and '1' are two populations; read the
    column as text, see :func:`benchalign.io.formats.read_preferences_any`). A blank name, or
    :data:`POOLED` in any case or with spaces around it, raises :class:`InputFormatError`.
    options : further keyword arguments of :func:`benchalign.data.preferences_from_frame`
        (``interval_columns``, ``use_uncertainty``, ``allow_rank_ties``, ``pair_counts``).
    """
    labels = population_labels(frame, column)
    out = {}
    for name in sorted(labels.unique()):
        part = frame.loc[(labels == name).to_numpy()].drop(columns=[column])
        part.attrs["source"] = f"{frame.attrs.get('source', '<table>')} [{column}={name}]"
        out[name] = preferences_from_frame(part, kind=kind, rating_scale=rating_scale,
                                           **options)  # type: ignore[arg-type]
    return out


def population_labels(frame: pd.DataFrame, column: str) -> pd.Series:
    """Each row's population name [n_rows] as text; blank and reserved names raise."""
    source = frame.attrs.get("source", "<table>")
    if column not in frame.columns:
        raise InputFormatError(
            f"{source}: no population column '{column}' (found "
            f"{', '.join(map(str, frame.columns))}). Pass the column that names each row's "
            "population, e.g. --population-column category."
        )
    raw = frame[column]
    labels = raw.map(lambda v: "" if v is None or v != v else nfc(str(v)))  # NaN != NaN
    empty = (labels.str.strip() == "").to_numpy()
    if empty.any():
        raise InputFormatError(
            f"{source}: the population column '{column}' is empty "
            f"at {len(empty.nonzero()[0])} rows (e.g. line {int(np.flatnonzero(empty)[0]) + 2}). "
            "Give every row a population, or delete those rows."
        )
    reserved = (labels.str.strip().str.casefold() == POOLED).to_numpy()
    if reserved.any():
        named = ", ".join(repr(v) for v in sorted(set(labels[reserved])))
        raise InputFormatError(
            f"{source}: the population name '{POOLED}' is reserved for the pooled benchmark "
            f"(in any case, with or without spaces); the column '{column}' has {named} at "
            f"{int(reserved.sum())} rows (e.g. line {int(np.flatnonzero(reserved)[0]) + 2}); "
            "rename that population.")
    return labels


def pool(pairsets: list[PairSet]) -> PairSet:
    """Merge pair sets on the same ids: one pair per unordered pair of ids, weights summed,
    targets (probability that the smaller id is preferred) weight-averaged."""
    a = np.concatenate([p.a for p in pairsets])
    b = np.concatenate([p.b for p in pairsets])
    w = np.concatenate([p.weight for p in pairsets])
    t = np.concatenate([p.target for p in pairsets])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    t_lo = np.where(a == lo, t, 1.0 - t)
    n = int(hi.max()) + 1
    uniq, inverse = np.unique(lo * n + hi, return_inverse=True)
    total = np.bincount(inverse, weights=w)
    return PairSet(uniq // n, uniq % n, total, np.bincount(inverse, weights=w * t_lo) / total)


def link_populations(results: Results, populations: Mapping[str, Preferences | Linked],
                     ignore_unknown: bool = False) -> dict[str, Linked]:
    """Each population's preferences on ``results`` rows, plus the pooled ones under :data:`POOLED`
    (kind "pairs", no ratings: a model has one rating per population)."""
    linked = {name: p if isinstance(p, Linked) else link(results, p, ignore_unknown)
              for name, p in populations.items()}
    pairs = pool([lk.pairs for lk in linked.values()])
    linked[POOLED] = Linked(pairs, pairs.models(), np.full(results.n_models, np.nan), "pairs")
    return linked


class PopulationAligner:
    """Fit one aligned benchmark per population and a pooled one; blend toward the pooled.

    Parameters
    ----------
    blend_grid : tuple of float in [0, 1]
        The pull a_p toward the pooled weights tried for each population (0: its own fit only).
    cv_folds : int >= 2
        Most folds over a population's rated models when choosing a_p.
    random_state : int >= 0
        Seed of the folds (and of every :class:`BenchmarkAligner`).
    aligner : BenchmarkAligner or None
        The unfitted template of every population's aligner (default ``BenchmarkAligner()``),
        cloned through its ``get_params``: e.g. ``BenchmarkAligner(method="correlation")``. Its
        ``random_state`` is replaced by this one's (one seed drives the whole fit), and its
        ``completion`` must be "auto" or "none": blending weights needs one scoring rule, so
        every population benchmark scores a model over the questions it has ("none").

    Attributes
    ----------
    weights_ : {population or "pooled": [n_items] float64 non-negative summing to 1}.
    own_weights_ : {population: [n_items]} the population's own fit before blending.
    blend_ : {population: a_p}; blend_scores_ : {population: [len(blend_grid)] mean validation
        pairwise accuracy (NaN when no fold was usable; a_p is then the largest value)}.
    aligners_ : {population or "pooled": the fitted BenchmarkAligner}.
    items_, benchmarks_ : [n_items].
    """

    PARAMS = ("aligner", "blend_grid", "cv_folds", "random_state")

    def __init__(self, *, aligner: BenchmarkAligner | None = None,
                 blend_grid: tuple[float, ...] = BLEND_GRID, cv_folds: int = 5,
                 random_state: int = 0) -> None:
        self.aligner = aligner
        self.blend_grid = blend_grid
        self.cv_folds = cv_folds
        self.random_state = random_state

    def get_params(self) -> dict:
        """The constructor parameters (scikit-learn style), e.g. to build an unfitted copy:
        ``PopulationAligner(**pa.get_params())``."""
        return {k: getattr(self, k) for k in self.PARAMS}

    def _validate_params(self) -> None:
        name = type(self).__name__
        check_param(name, "blend_grid", self.blend_grid,
                    len(self.blend_grid) > 0 and all(isinstance(g, (int, float)) and 0 <= g <= 1
                                                     for g in self.blend_grid),
                    "a non-empty tuple of floats in the range [0, 1]")
        check_param(name, "cv_folds", self.cv_folds,
                    isinstance(self.cv_folds, int) and self.cv_folds >= 2, "an int in the range [2, inf)")
        check_param(name, "random_state", self.random_state,
                    isinstance(self.random_state, (int, np.integer)) and self.random_state >= 0,
                    "an int in the range [0, inf)")
        check_param(name, "aligner", self.aligner,
                    self.aligner is None or (isinstance(self.aligner, BenchmarkAligner)
                                             and self.aligner.completion in ("auto", "none")),
                    'None or a BenchmarkAligner with completion "auto" or "none"')

    def _aligner(self) -> BenchmarkAligner:
        """A new aligner cloned from the template (see the class docstring)."""
        template = {} if self.aligner is None else self.aligner.get_params()
        return BenchmarkAligner(**{**template, "random_state": self.random_state, "completion": "none"})

    def fit(self, results: Results, populations: Mapping[str, Preferences | Linked], *,
            ignore_unknown: bool = False) -> "PopulationAligner":
        """Fit every population (``{name: preferences}``) and the pooled benchmark."""
        self._validate_params()
        if not populations:
            raise InsufficientDataError("population fit needs at least one population.")
        linked = link_populations(results, populations, ignore_unknown)
        self.aligners_ = {name: self._fit_one(name, results, lk) for name, lk in linked.items()}
        pooled = self.aligners_[POOLED].weights_
        cache: dict[bytes, np.ndarray] = {}
        self.weights_, self.own_weights_, self.blend_, self.blend_scores_ = {}, {}, {}, {}
        for name in populations:
            own = self.aligners_[name].weights_
            acc = self._blend_cv(results, linked[name].pairs, linked[POOLED].pairs, cache)
            a = choose_blend(self.blend_grid, acc)
            self.own_weights_[name], self.blend_[name] = own, a
            self.blend_scores_[name] = acc.mean(axis=0)
            self.weights_[name] = (1 - a) * own + a * pooled
        self.weights_[POOLED] = pooled
        self.items_, self.benchmarks_ = results.items.copy(), results.benchmarks.copy()
        return self

    def predict(self, results: Results, population: str = POOLED) -> np.ndarray:
        """Score [n_models] of each model of ``results`` (same items, same order) under the
        benchmark of ``population`` (default the pooled one): the weighted mean over the questions
        the model has."""
        check_fitted(self, "weights_", "fit(results, {population: preferences})")
        check_param(type(self).__name__, "population", population, population in self.weights_,
                    "one of " + ", ".join(map(repr, self.weights_)))
        if results.n_items != len(self.items_) or not np.array_equal(results.items, self.items_):
            raise ItemMismatchError("the results' items differ from the items the population "
                                    "aligner was fitted on; give results on the same questions.")
        return model_scores(self.weights_[population], values=results.values,
                            observed=results.observed)[0]

    def _fit_one(self, name: str, results: Results, linked: Linked) -> BenchmarkAligner:
        """The aligner of one population; too little data names the population."""
        try:
            return self._aligner().fit(results, linked)
        except InsufficientDataError as exc:
            raise InsufficientDataError(f"population {name!r}: {exc}") from None

    def _blend_cv(self, results: Results, own: PairSet, pooled: PairSet,
                  cache: dict[bytes, np.ndarray]) -> np.ndarray:
        """[n_usable_folds, len(blend_grid)] validation pairwise accuracy of each blend on each
        fold of the population's rated models (one NaN row when no fold is usable); the pooled fit
        of a fold leaves the fold's models out."""
        rated = own.models()
        n_folds = min(self.cv_folds, len(rated))
        labels = fold_labels(len(rated), n_folds, self.random_state)
        rows = []
        for k in range(n_folds):
            held = rated[labels == k]
            train = own.within(rated[labels != k], results.n_models)
            is_held = np.zeros(results.n_models, dtype=bool)
            is_held[held] = True
            val = own.select(is_held[own.a] | is_held[own.b])
            pool_train = pooled.within(np.setdiff1d(pooled.models(), held), results.n_models)
            if not usable(train, val) or len(pool_train.models()) < 2:
                continue
            w_own = self._fit_weights(results, train)
            key = held.tobytes()
            if key not in cache:
                cache[key] = self._fit_weights(results, pool_train)
            rows.append([scored_accuracy((1 - a) * w_own + a * cache[key], None, results, val)
                         for a in self.blend_grid])
        if not rows:
            return np.full((1, len(self.blend_grid)), np.nan)
        return np.asarray(rows)

    def _fit_weights(self, results: Results, pairs: PairSet) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return self._aligner().fit(results, pairs).weights_


def choose_blend(grid: tuple[float, ...], acc: np.ndarray) -> float:
    """The largest pull in ``grid`` whose validation accuracy (``acc`` [n_folds, len(grid)]) is
    within one standard error of the best's: mean(acc_a - acc_best) >= -SE of that paired
    difference over folds. No usable fold: the largest pull."""
    order = np.argsort(grid)[::-1]
    if not np.isfinite(acc).all():
        return float(grid[order[0]])
    best = int(np.argmax(acc.mean(axis=0)))
    diff = acc - acc[:, [best]]
    se = diff.std(axis=0, ddof=1) / np.sqrt(len(acc)) if len(acc) > 1 else np.zeros(len(grid))
    return float(next(grid[i] for i in order if diff[:, i].mean() >= -se[i] - 1e-12))

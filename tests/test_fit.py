"""BenchmarkAligner: parameter validation, recovery of a planted weighting, determinism."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from benchalign import BenchmarkAligner, ConvergenceWarning, preferences_from_frame
from benchalign.data import Results, link
from benchalign.errors import InsufficientDataError, ParameterError

from .conftest import make_planted


@pytest.mark.parametrize(
    ("param", "value", "allowed"),
    [
        ("reg", -1.0, 'a float in the range [0, inf) or "cv"'),
        ("reg", "auto", 'a float in the range [0, inf) or "cv"'),
        ("cv_folds", 1, "an int in the range [2, inf)"),
        ("max_iter", 0, "an int in the range [1, inf)"),
        ("tol", 0.0, "a float in the range (0, inf)"),
        ("reg_grid", (), "a non-empty tuple of floats in the range (0, inf)"),
    ],
)
def test_invalid_parameters_name_the_parameter_range_and_value(planted, planted_prefs, param, value, allowed):
    with pytest.raises(ParameterError) as err:
        BenchmarkAligner(**{param: value}).fit(planted.results, planted_prefs)
    assert str(err.value) == (
        f"The '{param}' parameter of BenchmarkAligner must be {allowed}. Got {value!r} instead."
    )


def test_fit_returns_self_with_simplex_weights(planted, planted_prefs):
    aligner = BenchmarkAligner(reg=1.0)
    assert aligner.fit(planted.results, planted_prefs) is aligner
    assert aligner.weights_.shape == (planted.results.n_items,)
    assert np.all(aligner.weights_ >= 0)
    assert aligner.weights_.sum() == pytest.approx(1.0)
    assert aligner.converged_ and aligner.n_iter_ > 0


def _split_fit(data, n_train: int, **params):
    names = data.results.models
    train = data.ratings[data.ratings["model"].isin(names[:n_train])]
    aligner = BenchmarkAligner(**params).fit(data.results, preferences_from_frame(train))
    test = np.arange(n_train, data.results.n_models)
    s = aligner.predict(data.results)
    return aligner, s, test


@pytest.mark.parametrize("missing", [0.0, 0.3])
def test_recovers_planted_weighting_on_held_out_models(missing):
    data = make_planted(n_models=120, n_items=40, seed=3, missing=missing)
    aligner, s, test = _split_fit(data, 60)
    r = data.results
    uniform = r.values.sum(1) / r.mask().sum(1)
    # the ceiling: the planted weights applied to the same noisy 0/1 results
    oracle = (r.values @ data.true_weights) / (r.mask() @ data.true_weights)
    truth = data.true_scores[test]
    rho = {name: spearmanr(x[test], truth).statistic
           for name, x in (("aligned", s), ("uniform", uniform), ("oracle", oracle))}
    assert rho["aligned"] > rho["uniform"] + 0.3
    assert rho["aligned"] > rho["oracle"] - 0.1
    # most of the weight lands on the questions the preferences reward
    assert aligner.weights_[:10].sum() > 0.5


def test_reversing_every_preference_reverses_the_fitted_ranking():
    # half the items reward the ability, half its absence (e.g. a refusal rate), so either
    # direction of preference can be represented with non-negative weights
    rng = np.random.default_rng(4)
    ability = rng.normal(size=80)
    p = 1 / (1 + np.exp(-(ability[:, None] - rng.normal(size=20)[None, :])))
    values = np.hstack([p, 1 - p]).astype(np.float32)
    names = np.array([f"m{i:02d}" for i in range(80)], dtype=object)
    items = np.array([f"b/q{j:02d}" for j in range(40)], dtype=object)
    results = Results(names, items, np.full(40, "b", dtype=object), values)
    ratings = pd.DataFrame({"model": names, "rating": 1000 + 100 * ability})
    fwd = BenchmarkAligner(reg=0.1).fit(results, preferences_from_frame(ratings))
    rev = BenchmarkAligner(reg=0.1).fit(results, preferences_from_frame(ratings.assign(rating=-ratings["rating"])))
    assert spearmanr(fwd.predict(results), rev.predict(results)).statistic < -0.95
    assert fwd.weights_[:20].sum() > 0.6 and rev.weights_[20:].sum() > 0.6


def test_same_seed_gives_identical_weights(planted, planted_prefs):
    a = BenchmarkAligner(random_state=7).fit(planted.results, planted_prefs)
    b = BenchmarkAligner(random_state=7).fit(planted.results, planted_prefs)
    assert np.array_equal(a.weights_, b.weights_)
    assert a.reg_ == b.reg_


def test_cross_validation_chooses_the_best_scoring_strength(planted, planted_prefs):
    # a free weight per question: the preferences reward a quarter of the questions, so a weak
    # pull toward the uniform mean validates better than one strong enough to keep it uniform
    aligner = BenchmarkAligner(method="items", prior="uniform", reg_grid=(1e4, 0.01, 1.0))
    aligner.fit(planted.results, planted_prefs)
    assert aligner.cv_scores_.shape == (3,)
    assert aligner.cv_scores_[1] > aligner.cv_scores_[0] + 0.05
    assert aligner.reg_ == (1e4, 0.01, 1.0)[int(np.argmax(aligner.cv_scores_))]
    assert aligner.reg_ != 1e4


def test_convergence_warning_when_iterations_run_out(planted, planted_prefs):
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        BenchmarkAligner(reg=0.0, max_iter=1).fit(planted.results, planted_prefs)


def test_cross_validation_needs_four_rated_models(planted):
    few = preferences_from_frame(pd.DataFrame({"model": ["m000", "m001", "m002"], "rating": [1.0, 2.0, 3.0]}))
    with pytest.raises(InsufficientDataError, match="at least 4 models"):
        BenchmarkAligner().fit(planted.results, few)
    # a fixed strength works with 3: it learns from their planted ratings the order that the
    # plain mean gets wrong
    rated = planted.ratings.iloc[:3]
    aligner = BenchmarkAligner(reg=1.0).fit(planted.results, preferences_from_frame(rated))
    assert aligner.n_train_models_ == 3 and aligner.n_train_pairs_ == 3
    order = np.argsort(rated["rating"].to_numpy())
    assert not np.array_equal(np.argsort(planted.results.values[:3].mean(axis=1)), order)
    assert np.array_equal(np.argsort(aligner.predict(planted.results)[:3]), order)


def test_fit_accepts_linked_preferences(planted, planted_prefs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        linked = link(planted.results, planted_prefs)
    a = BenchmarkAligner(reg=1.0).fit(planted.results, linked)
    b = BenchmarkAligner(reg=1.0).fit(planted.results, planted_prefs)
    assert np.array_equal(a.weights_, b.weights_)


def test_rated_models_without_any_item_are_left_out_with_a_warning():
    from benchalign import DataWarning

    data = make_planted(n_models=30, n_items=12, seed=9, missing=0.3)
    r = data.results
    observed = r.mask().copy()
    observed[0] = False
    emptied = Results(r.models, r.items, r.benchmarks, np.where(observed, r.values, 0).astype(np.float32), observed)
    with pytest.warns(DataWarning, match="1 rated models have no result on any of the 12 items.*m000"):
        aligner = BenchmarkAligner(reg=1.0).fit(emptied, preferences_from_frame(data.ratings))
    assert aligner.n_train_models_ == 29

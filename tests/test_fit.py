"""BenchmarkAligner: parameter validation, recovery of a planted weighting, the choice among
candidates, determinism."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from benchalign import BenchmarkAligner, DataWarning, preferences_from_frame
from benchalign.data import PairSet, Results, link
from benchalign.errors import InsufficientDataError, ParameterError
from benchalign.fit.candidates import Context, Correlation, common_benchmark_items, item_correlations
from benchalign.fit.folds import rated_folds, usable
from benchalign.fit.selection import AUTO, candidates, choose

from .conftest import make_planted, make_two_sided


@pytest.mark.parametrize(
    ("param", "value", "allowed"),
    [
        ("cv_folds", 1, "an int in the range [2, inf)"),
        ("method", "items", 'one of "auto", "correlation", "coverage", "uniform", "ranknet"'),
        ("method", "ridge", 'one of "auto", "correlation", "coverage", "uniform", "ranknet"'),
        ("random_state", -1, "an int in the range [0, inf)"),
    ],
)
def test_invalid_parameters_name_the_parameter_range_and_value(planted, planted_prefs, param, value, allowed):
    with pytest.raises(ParameterError) as err:
        BenchmarkAligner(**{param: value}).fit(planted.results, planted_prefs)
    assert str(err.value) == (
        f"The '{param}' parameter of BenchmarkAligner must be {allowed}. Got {value!r} instead."
    )


@pytest.mark.parametrize("method", ["auto", "correlation", "coverage", "uniform", "ranknet"])
def test_fit_returns_self_with_simplex_weights(planted, planted_prefs, method):
    aligner = BenchmarkAligner(method=method)
    assert aligner.fit(planted.results, planted_prefs) is aligner
    assert aligner.weights_.shape == (planted.results.n_items,)
    assert np.all(aligner.weights_ >= 0)
    assert aligner.weights_.sum() == pytest.approx(1.0)
    assert aligner.beta_ > 0 and np.isfinite(aligner.loss_)


def _split_fit(data, n_train: int, **params):
    names = data.results.models
    train = data.ratings[data.ratings["model"].isin(names[:n_train])]
    aligner = BenchmarkAligner(**params).fit(data.results, preferences_from_frame(train))
    test = np.arange(n_train, data.results.n_models)
    return aligner, aligner.predict(data.results), test


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
    # most of the weight lands on the questions the preferences reward (a quarter of them)
    assert aligner.weights_[:10].sum() > 0.5


def test_auto_chooses_correlation_when_preferences_reward_some_questions():
    data = make_planted(n_models=60, n_items=40, seed=3)
    aligner, _, _ = _split_fit(data, 20)
    assert aligner.candidates_ == ["correlation", "uniform"]  # complete data: coverage == uniform
    assert aligner.method_ == "correlation"
    assert aligner.candidate_scores_[0] > aligner.candidate_scores_[1]


def test_auto_keeps_the_plain_mean_when_it_already_orders_the_preferences():
    # ratings follow the plain mean exactly: no candidate validates better, ties go to the
    # earlier candidate, and correlation weights of a one-ability case are close to uniform
    data = make_planted(n_models=60, n_items=40, seed=4)
    r = data.results
    ratings = data.ratings.assign(rating=1000 + 400 * r.values.mean(1))
    aligner = BenchmarkAligner().fit(r, preferences_from_frame(ratings.iloc[:20]))
    s = aligner.predict(r)
    assert spearmanr(s[20:], r.values.mean(1)[20:]).statistic > 0.9


def test_reversing_every_preference_reverses_the_fitted_ranking():
    results, ratings = make_two_sided()
    fwd = BenchmarkAligner().fit(results, preferences_from_frame(ratings))
    rev = BenchmarkAligner().fit(results, preferences_from_frame(ratings.assign(rating=-ratings["rating"])))
    assert spearmanr(fwd.predict(results), rev.predict(results)).statistic < -0.95
    assert fwd.weights_[:20].sum() > 0.6 and rev.weights_[20:].sum() > 0.6


def test_same_seed_gives_identical_weights(planted, planted_prefs):
    a = BenchmarkAligner(random_state=7).fit(planted.results, planted_prefs)
    b = BenchmarkAligner(random_state=7).fit(planted.results, planted_prefs)
    assert np.array_equal(a.weights_, b.weights_)
    assert a.method_ == b.method_ and a.candidate_scores_.tolist() == b.candidate_scores_.tolist()


def test_choosing_needs_three_rated_models(planted):
    two = preferences_from_frame(pd.DataFrame({"model": ["m000", "m001"], "rating": [1.0, 2.0]}))
    with pytest.raises(InsufficientDataError, match="no fold with preferences on both sides"):
        BenchmarkAligner().fit(planted.results, two)
    # a single method needs no choice
    BenchmarkAligner(method="correlation").fit(planted.results, two)
    # three rated models are enough to choose: it learns from their planted ratings the order
    # that the plain mean gets wrong
    rated = planted.ratings.iloc[:3]
    aligner = BenchmarkAligner().fit(planted.results, preferences_from_frame(rated))
    assert aligner.n_train_models_ == 3 and aligner.n_train_pairs_ == 3
    order = np.argsort(rated["rating"].to_numpy())
    assert not np.array_equal(np.argsort(planted.results.values[:3].mean(axis=1)), order)
    assert np.array_equal(np.argsort(aligner.predict(planted.results)[:3]), order)


def test_fit_accepts_linked_preferences(planted, planted_prefs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        linked = link(planted.results, planted_prefs)
    a = BenchmarkAligner().fit(planted.results, linked)
    b = BenchmarkAligner().fit(planted.results, planted_prefs)
    assert np.array_equal(a.weights_, b.weights_)


def test_rated_models_without_any_item_are_left_out_with_a_warning():
    data = make_planted(n_models=30, n_items=12, seed=9, missing=0.3)
    r = data.results
    observed = r.mask().copy()
    observed[0] = False
    emptied = Results(r.models, r.items, r.benchmarks, np.where(observed, r.values, 0).astype(np.float32), observed)
    with pytest.warns(DataWarning, match="1 rated models have no result on any of the 12 items.*m000"):
        aligner = BenchmarkAligner().fit(emptied, preferences_from_frame(data.ratings))
    assert aligner.n_train_models_ == 29


# ---- the pieces: correlation weights, common benchmarks, folds, the choice -------------------


def test_item_correlations_match_numpy_over_observed_cells():
    data = make_planted(n_models=40, n_items=12, seed=5, missing=0.3)
    r, y = data.results, data.true_scores
    rows = np.arange(40)
    got = item_correlations(r, rows, y)
    for q in range(12):
        seen = r.mask()[:, q]
        want = np.corrcoef(r.values[seen, q], y[seen])[0, 1] if r.values[seen, q].std() > 0 else 0.0
        assert got[q] == pytest.approx(want, abs=1e-12)


def test_correlation_keeps_to_the_benchmarks_every_rated_model_has():
    data = make_planted(n_models=40, n_items=16, seed=6)
    r = data.results
    observed = np.ones((40, 16), dtype=bool)
    observed[:5, :4] = False  # five models lack the whole 'pref' benchmark
    lacking = Results(r.models, r.items, r.benchmarks, np.where(observed, r.values, 0).astype(np.float32),
                      observed)
    assert not common_benchmark_items(lacking, np.arange(40))[:4].any()
    assert common_benchmark_items(lacking, np.arange(5, 40)).all()
    pairs = link(lacking, preferences_from_frame(data.ratings)).pairs
    w = Correlation().weights(Context.of(lacking), pairs)
    assert w[:4].sum() == 0 and w.sum() == pytest.approx(1.0)


def test_folds_validate_on_pairs_that_involve_the_held_out_models():
    pairs = PairSet(np.array([0, 0, 1, 2, 3]), np.array([1, 2, 2, 3, 4]), np.ones(5), np.ones(5))
    seen = []
    for train, val in rated_folds(pairs, 5, 5, seed=0):
        held = set(np.setdiff1d(np.arange(5), train.models()))
        assert all(a in held or b in held for a, b in zip(val.a, val.b))
        assert not held & set(train.models())
        seen.append(len(val))
    assert sum(seen) >= len(pairs)  # every pair is validated at least once
    assert not usable(pairs.within(np.array([0]), 5), pairs)
    assert not usable(pairs, PairSet(np.array([0]), np.array([1]), np.ones(1), np.full(1, 0.5)))


def test_choose_takes_the_best_mean_and_breaks_ties_by_order():
    assert choose(np.array([[0.5, 0.7, 0.7], [0.9, 0.7, 0.7]])) == 0
    assert choose(np.array([[0.5, 0.8, 0.9], [0.6, 0.8, 0.7]])) == 1
    ctx = Context.of(make_planted().results)
    assert [c.name for c in candidates("auto", ctx)] == ["correlation", "uniform"]
    assert AUTO[0] == "correlation"

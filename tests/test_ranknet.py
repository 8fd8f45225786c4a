"""The published method (RankNet on the simplex), kept as the evaluation's `ranknet` baseline:
recovery of a planted weighting, the choice of its pull by cross-validation, determinism and
convergence reporting."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from benchalign import ConvergenceWarning, preferences_from_frame
from benchalign.baselines import Train, select_methods
from benchalign.data import Results, link
from benchalign.fit.ranknet import fit_published

from .conftest import make_planted, make_two_sided


def _pairs(data, n_train: int):
    train = data.ratings[data.ratings["model"].isin(data.results.models[:n_train])]
    return link(data.results, preferences_from_frame(train)).pairs


def _scores(results: Results, weights: np.ndarray) -> np.ndarray:
    return (results.values @ weights) / (results.mask() @ weights)


@pytest.mark.parametrize("missing", [0.0, 0.3])
def test_recovers_planted_weighting_on_held_out_models(missing):
    data = make_planted(n_models=120, n_items=40, seed=3, missing=missing)
    fit, _ = fit_published(data.results, _pairs(data, 60))
    r, test = data.results, np.arange(60, 120)
    truth = data.true_scores[test]
    aligned = spearmanr(_scores(r, fit.weights)[test], truth).statistic
    uniform = spearmanr((r.values.sum(1) / r.mask().sum(1))[test], truth).statistic
    oracle = spearmanr(_scores(r, data.true_weights)[test], truth).statistic
    assert aligned > uniform + 0.3 and aligned > oracle - 0.1
    assert fit.weights[:10].sum() > 0.5 and fit.converged


def test_reversing_every_preference_reverses_the_fitted_ranking():
    results, ratings = make_two_sided()
    fwd, _ = fit_published(results, link(results, preferences_from_frame(ratings)).pairs, reg_grid=(0.1,))
    flipped = preferences_from_frame(ratings.assign(rating=-ratings["rating"]))
    rev, _ = fit_published(results, link(results, flipped).pairs, reg_grid=(0.1,))
    assert spearmanr(_scores(results, fwd.weights), _scores(results, rev.weights)).statistic < -0.95
    assert fwd.weights[:20].sum() > 0.6 and rev.weights[20:].sum() > 0.6


def test_the_pull_is_chosen_by_cross_validation_and_the_fit_is_deterministic():
    data = make_planted(n_models=80, n_items=40, seed=2)
    pairs = _pairs(data, 40)
    fit, reg = fit_published(data.results, pairs, reg_grid=(0.01, 1000.0), seed=7)
    # a weak pull lets the planted questions win; the strong one keeps the plain mean
    assert reg == 0.01
    again, _ = fit_published(data.results, pairs, reg_grid=(0.01, 1000.0), seed=7)
    assert np.array_equal(fit.weights, again.weights)


def test_convergence_warning_when_iterations_run_out(planted, planted_prefs):
    pairs = link(planted.results, planted_prefs).pairs
    with pytest.warns(ConvergenceWarning, match="published RankNet fit.*did not converge"):
        fit_published(planted.results, pairs, reg_grid=(0.0,), max_iter=1)


def test_ranknet_is_an_opt_in_baseline_of_the_evaluation(planted, planted_prefs):
    assert "ranknet" not in select_methods(None)
    method = select_methods("ranknet")["ranknet"]
    linked = link(planted.results, planted_prefs)
    scores = method(planted.results, Train(linked.pairs, linked.ratings), 0)
    assert scores.shape == (planted.results.n_models,) and np.isfinite(scores).all()

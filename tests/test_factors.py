"""method="factors": a direction among the leading factors of all models, weights distilled from it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from benchalign import BenchmarkAligner
from benchalign.data import PairSet, link
from benchalign.errors import ParameterError
from benchalign.factor_fit import correlation_objective, distill, factor_basis, fit_direction
from benchalign.objective import ScoreMatrix, model_scores
from benchalign.simulate import simulate
from benchalign.structured_fit import AUTO_IRT_MIN_MODELS, candidates, identifiable

from .conftest import gap_accuracies, skill_split


def test_factors_recover_a_skill_weighting_that_the_uniform_mean_misses(skills):
    d, linked = skills
    res = d.results
    test, train = skill_split(linked, 200)
    test_pairs = linked.pairs.within(test, res.n_models)
    fit = BenchmarkAligner(method="factors").fit(res, linked.pairs.within(train, res.n_models))
    acc = gap_accuracies(d, test_pairs, factors=fit.weights_)
    gap = acc["oracle"] - acc["uniform"]
    assert gap > 0.02, acc                         # the case is worth aligning at all
    assert acc["factors"] - acc["uniform"] > 0.6 * gap, acc
    assert fit.method_.startswith("factors:k=") and fit.method_ in fit.candidates_
    assert (fit.weights_ >= 0).all() and fit.weights_.sum() == pytest.approx(1.0)
    assert fit.distill_corr_ > 0.95
    # the distilled weights favour the questions the planted ones favour (many weightings rank
    # alike, so the match is partial: 0.49 here; a constant weighting would have no correlation)
    assert np.corrcoef(fit.weights_, d.true_weights)[0, 1] > 0.4


def test_distill_finds_a_non_negative_weighting_that_reproduces_its_target(skills):
    d, _ = skills
    res = d.results
    rng = np.random.default_rng(0)
    w_true = rng.exponential(size=res.n_items) * (rng.random(res.n_items) < 0.7)
    target = model_scores(w_true / w_true.sum(), values=res.values, observed=res.observed)[0]
    w, corr = distill(res, target, np.ones(res.n_items))
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
    assert corr > 0.999
    s = model_scores(w, values=res.values, observed=res.observed)[0]
    assert np.corrcoef(s, target)[0, 1] == pytest.approx(corr, abs=1e-9)


def test_correlation_objective_is_minus_the_correlation_with_an_exact_gradient(skills):
    d, _ = skills
    res = d.results
    rng = np.random.default_rng(1)
    target = rng.standard_normal(res.n_models)
    w = rng.exponential(size=res.n_items)
    f = correlation_objective(ScoreMatrix.compact(res.values, res.observed), target)
    value, grad = f(w, True)
    s = model_scores(w, values=res.values, observed=res.observed)[0]
    assert value == pytest.approx(-np.corrcoef(s, target)[0, 1], abs=1e-6)
    assert f(w, False) == pytest.approx(-value)
    # every coordinate: central differences with a step relative to each weight
    h = 1e-4 * w
    numeric = np.array([(f(w + h[j] * e, False) - f(w - h[j] * e, False)) / (2 * h[j])
                        for j, e in enumerate(np.eye(res.n_items))])      # d corr / d w_j
    np.testing.assert_allclose(-numeric, grad, rtol=1e-3, atol=1e-6 * np.abs(grad).max())


def test_direction_fit_is_pulled_toward_the_prior_score(skills):
    d, linked = skills
    basis = factor_basis(d.results, None, 4)
    assert basis.features.shape == (d.results.n_models, 5)
    np.testing.assert_allclose(basis.features.std(axis=0), 1.0)
    pairs = linked.pairs
    weak = fit_direction(basis.features, pairs, 1e-3)[0]
    strong = fit_direction(basis.features, pairs, 1e3)[0]
    # a strong pull leaves only the prior's coefficient free: the factor part vanishes
    assert np.abs(strong[1:]).max() < 1e-2 * np.abs(weak[1:]).max()
    assert strong[0] > 0


def test_factor_candidates_count_their_coefficients_for_the_identifiability_guard(skills):
    d, _ = skills
    cands = candidates("factors", d.results, prior="uniform", reg="cv", reg_grid=(1.0,),
                       n_components="cv")
    assert [c.name for c in cands][:3] == ["factors:k=4:reg=0.01", "factors:k=4:reg=0.1", "factors:k=4:reg=1"]
    assert {c.n_coef for c in cands} == {5, 9, 17}
    kept = identifiable(cands, n_rated=12)          # 12 rated models: fewer than 11 coefficients
    assert {c.n_coef for c in kept} == {5, 9}


def test_auto_with_many_models_is_the_item_response_family_and_records_it(skills):
    d, linked = skills
    _, train = skill_split(linked, 60, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = BenchmarkAligner().fit(d.results, linked.pairs.within(train, d.results.n_models))
    assert d.results.n_models >= AUTO_IRT_MIN_MODELS
    families = [c.split(":")[0] for c in fit.candidates_]
    assert families[0] == "uniform" and families[-1] == "irt"
    assert set(families) <= {"uniform", "coverage", "irt"}
    assert fit.method_.startswith("irt:") and ":tilt=" in fit.method_   # 60 rated: irt wins
    assert len(fit.candidate_scores_) == len(fit.candidates_)


def test_auto_with_few_models_keeps_the_shrinkage_families(skills):
    d, linked = skills
    _, train = skill_split(linked, 40, seed=1)
    rows = np.union1d(train, np.arange(AUTO_IRT_MIN_MODELS // 2))
    small = d.results.take_models(rows)
    pairs = link(small, d.preferences, ignore_unknown=True).pairs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = BenchmarkAligner().fit(small, pairs)
    families = {c.split(":")[0] for c in fit.candidates_}
    assert "irt" not in families and {"factors", "lowrank", "items"} <= families


def test_simulated_skill_planting_follows_the_skill_loading():
    d = simulate(400, {"a": 80, "b": 80}, planted="skills", irrelevant=0.25, seed=2)
    loading = d.loadings[1]                          # slope × direction on skill dimension 1
    w = d.true_weights
    assert (w == 0).mean() == pytest.approx(0.25, abs=0.01)
    assert loading[w == 0].max() <= loading[w > 0].min()   # the least skill-loaded are irrelevant
    same_bench = d.items["benchmark"].to_numpy() == "a"
    pos = same_bench & (w > 0)
    assert np.corrcoef(loading[pos], np.log(w[pos]))[0, 1] > 0.99
    with pytest.raises(ParameterError, match="planted"):
        simulate(50, {"a": 5}, planted="noise")


def test_factors_take_more_components_than_the_default_grid(skills):
    """n_components above the largest of FACTOR_COMPONENTS (16) used to leave no candidate."""
    d, linked = skills
    _, train = skill_split(linked, 60)
    fit = BenchmarkAligner(method="factors", n_components=20).fit(
        d.results, linked.pairs.within(train, d.results.n_models))
    assert fit.candidates_ == ["factors:k=20:reg=0.01", "factors:k=20:reg=0.1", "factors:k=20:reg=1"]
    assert fit.method_ in fit.candidates_ and fit.weights_.sum() == pytest.approx(1.0)


def test_tilt_pull_does_not_depend_on_the_sharpness_of_the_preferences(skills):
    """With tilt=True the pull is on the direction relative to the prior's score: preferences
    made twice as sharp (targets further from 0.5) change the fitted scale, not the tilt."""
    d, linked = skills
    basis = factor_basis(d.results, None, 4)
    _, train = skill_split(linked, 40)
    pairs = linked.pairs.within(train, d.results.n_models)
    z = d.true_scores / d.true_scores.std()

    def direction(sharp: float) -> np.ndarray:
        target = 1 / (1 + np.exp(-sharp * (z[pairs.a] - z[pairs.b])))
        return fit_direction(basis.features, PairSet(pairs.a, pairs.b, pairs.weight, target), 0.03,
                             tilt=True)[0]

    soft, sharp = direction(2.0), direction(6.0)
    assert sharp[0] > soft[0] * 2                        # the scale follows the sharpness
    np.testing.assert_allclose(sharp[1:] / sharp[0], soft[1:] / soft[0], atol=0.05)  # the tilt does not

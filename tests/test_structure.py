"""Structured fits: exact gradients, the coverage prior, planted recovery from few rated models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad
from scipy.stats import spearmanr

from benchalign import BenchmarkAligner, preferences_from_frame
from benchalign.data import Results, link
from benchalign.errors import ParameterError
from benchalign.objective import PairTerms, ScoreMatrix
from benchalign.structure import (
    benchmark_indicators,
    coverage,
    coverage_loss_and_grad,
    coverage_prior,
    item_structure,
)
from benchalign.structured_fit import (
    Parametrization,
    StructuredObjective,
    identifiable,
    one_se_choice,
)

from .conftest import make_planted


def _rel_grad_error(f, x):
    g = f(x)[1]
    return check_grad(lambda v: f(v)[0], lambda v: f(v)[1], x) / max(np.linalg.norm(g), 1e-12)


@pytest.mark.parametrize("missing", [0.0, 0.3])
def test_structured_objective_gradient_matches_finite_differences(missing):
    d = make_planted(n_models=25, n_items=16, seed=1, missing=missing)
    r = d.results
    pairs = link(r, preferences_from_frame(d.ratings)).pairs
    rng = np.random.default_rng(0)
    groups, _ = benchmark_indicators(r)
    basis = np.hstack([groups, rng.normal(size=(r.n_items, 3))])
    param = Parametrization(basis, np.array([0, 0, 1, 1, 1]), (0.5, 2.0), item_reg=3.0,
                            theta0=rng.normal(size=r.n_items) * 0.2)
    matrix = ScoreMatrix(r.values.astype(np.float64), r.observed)
    terms = PairTerms(pairs.a, pairs.b, pairs.weight, pairs.target, r.n_models)
    f = StructuredObjective(matrix, terms, param, log_beta0=1.0)
    x = rng.normal(size=param.n_params) * 0.3
    assert _rel_grad_error(f, x) < 1e-5


def _coverage_data(seed=0, n=300, n_items=30):
    """Three benchmarks of different difficulty; a third of the models lack benchmark 'c'."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=n)
    bench = np.repeat(["a", "b", "c"], n_items // 3)
    difficulty = np.where(bench == "c", -1.5, np.where(bench == "a", 1.0, 0.0)) + rng.normal(size=n_items)
    p = 1 / (1 + np.exp(-(ability[:, None] * 1.5 - difficulty[None, :])))
    values = (rng.random(p.shape) < p).astype(np.float32)
    observed = np.ones_like(values, dtype=bool)
    observed[: n // 3, bench == "c"] = False
    values[~observed] = 0
    items = np.array([f"{b}/q{j}" for j, b in enumerate(bench)], dtype=object)
    models = np.array([f"m{i:03d}" for i in range(n)], dtype=object)
    return Results(models, items, bench.astype(object), values, observed), ability


def test_coverage_loss_gradient_matches_finite_differences():
    r, _ = _coverage_data(n=80)
    cov = coverage(r)
    groups, _ = benchmark_indicators(r)
    ref = r.take_models(cov.reference)
    kw = dict(values=ref.values.astype(np.float64), observed=ref.mask().astype(np.float64),
              groups=groups, patterns=cov.patterns, share=cov.share, reg=0.3)
    x = np.random.default_rng(2).normal(size=r.n_items) * 0.3
    assert _rel_grad_error(lambda t: coverage_loss_and_grad(t, **kw), x) < 1e-5


def test_coverage_prior_makes_scores_less_dependent_on_missing_benchmarks():
    r, ability = _coverage_data()
    theta = coverage_prior(r, reg=0.01)
    assert np.any(theta)
    cov = coverage(r)
    groups, _ = benchmark_indicators(r)
    ref = r.take_models(cov.reference)
    kw = dict(values=ref.values.astype(np.float64), observed=ref.mask().astype(np.float64),
              groups=groups, patterns=cov.patterns, share=cov.share, reg=0.0)
    assert coverage_loss_and_grad(theta, **kw)[0] < 0.5 * coverage_loss_and_grad(0 * theta, **kw)[0]
    # at equal ability, models without 'c' (the easy benchmark) no longer score systematically lower
    w = np.exp(theta) / np.exp(theta).sum()
    lacks_c = ~r.mask()[:, -1]

    def offset(score):
        design = np.c_[np.ones(r.n_models), ability, lacks_c]
        coef = np.linalg.lstsq(design, score, rcond=None)[0]
        return abs(coef[2]) / score.std()

    assert offset((r.values @ w) / (r.mask() @ w)) < 0.5 * offset(r.values.sum(1) / r.mask().sum(1))


def test_coverage_prior_is_uniform_when_every_model_has_every_benchmark(planted):
    assert not np.any(coverage_prior(planted.results))


def test_item_structure_is_deterministic_and_finds_the_planted_factors():
    d = make_planted(n_models=400, n_items=40, seed=5, missing=0.2)
    a = item_structure(d.results, k_max=4)
    b = item_structure(Results(d.results.models, d.results.items, d.results.benchmarks,
                               d.results.values.copy(), d.results.observed.copy()), k_max=4)
    assert np.array_equal(a.loadings, b.loadings)
    pref = np.arange(40) < 10
    # two planted abilities: the top two loadings separate the 'pref' items from the others
    top = a.loadings[:, :2]
    resid = top - top.mean(0)
    fit = np.linalg.lstsq(resid, pref - pref.mean(), rcond=None)[1]
    assert fit[0] < 0.2 * np.sum((pref - pref.mean()) ** 2)


def test_one_standard_error_rule_prefers_simpler_candidates():
    acc = np.array([[0.70, 0.72, 0.80], [0.74, 0.76, 0.70], [0.72, 0.74, 0.75]])
    assert one_se_choice(acc, np.array([0, 1, 2])) == 1
    assert one_se_choice(acc, np.array([0, 0, 2])) == 1


def test_searches_skip_bases_with_as_many_coefficients_as_rated_models(planted, planted_prefs):
    from benchalign.structured_fit import Candidate, fixed, items, lowrank

    n = planted.results.n_items
    groups = np.ones((n, 1))
    loads = np.random.default_rng(0).standard_normal((n, 16))
    cands = [Candidate("uniform", 0, fixed(n, None)), Candidate("items", 3, items(n, 1.0, None)),
             Candidate("k4", 2, lowrank(groups, loads[:, :4], 0.1, None)),
             Candidate("k16", 2, lowrank(groups, loads, 0.1, None))]
    assert [c.name for c in identifiable(cands, 10)] == ["uniform", "items", "k4"]  # 17 coefs > 9
    assert [c.name for c in identifiable(cands, 19)] == ["uniform", "items", "k4", "k16"]
    assert [c.name for c in identifiable(cands[3:], 3)] == ["k16"]  # a lone candidate stays
    # end to end: with 6 rated models auto never tries the 16-factor basis
    few = preferences_from_frame(planted.ratings.iloc[:6])
    a = BenchmarkAligner(random_state=0, cv_folds=3).fit(planted.results, few)
    assert not any(c.startswith("lowrank:k=16") for c in a.candidates_)


@pytest.mark.parametrize("method", ["auto", "lowrank", "grouped", "coverage"])
def test_structured_methods_recover_planted_weighting_from_few_rated_models(method):
    d = make_planted(n_models=400, n_items=40, seed=3, missing=0.1)
    rated = d.ratings.iloc[:20]
    aligner = BenchmarkAligner(method=method, random_state=0, reg_grid=(1.0, 100.0), cv_folds=3)
    aligner.fit(d.results, preferences_from_frame(rated))
    assert np.all(aligner.weights_ >= 0) and aligner.weights_.sum() == pytest.approx(1.0)
    s = aligner.predict(d.results)
    test = np.arange(20, 400)
    rho = spearmanr(s[test], d.true_scores[test]).statistic
    plain = d.results.values.sum(1) / d.results.mask().sum(1)
    rho_plain = spearmanr(plain[test], d.true_scores[test]).statistic
    if method == "coverage":  # no labels used and nothing to correct: the plain mean
        assert rho == pytest.approx(rho_plain, abs=1e-3)
    else:
        assert rho > rho_plain + 0.2, aligner.method_


def test_auto_is_deterministic_and_reports_its_choice(planted, planted_prefs):
    params = dict(random_state=3, reg_grid=(1.0, 100.0), cv_folds=3)
    a = BenchmarkAligner(**params).fit(planted.results, planted_prefs)
    b = BenchmarkAligner(**params).fit(planted.results, planted_prefs)
    assert np.array_equal(a.weights_, b.weights_)
    assert a.method_ in a.candidates_ and len(a.candidate_scores_) == len(a.candidates_)
    assert a.reg_ in a.reg_grid


@pytest.mark.parametrize(("param", "value", "allowed"), [
    ("method", "svd", 'one of "auto", "items", "coverage", "grouped", "lowrank", "factors", "irt"'),
    ("prior", "flat", 'one of "coverage", "uniform"'),
    ("n_components", 0, 'an int in the range [1, inf) or "cv"'),
])
def test_new_parameters_are_validated(planted, planted_prefs, param, value, allowed):
    with pytest.raises(ParameterError) as err:
        BenchmarkAligner(**{param: value}).fit(planted.results, planted_prefs)
    assert str(err.value) == (
        f"The '{param}' parameter of BenchmarkAligner must be {allowed}. Got {value!r} instead."
    )


def test_item_factors_of_many_items_match_the_exact_covariance(monkeypatch):
    """Above EXACT_MAX_ITEMS the leading factors come from a truncated SVD that never forms the
    p × p covariance; with cells missing at random it finds the same factors."""
    import benchalign.structure as st
    from benchalign.simulate import simulate

    d = simulate(n_models=600, n_items_per_benchmark={"a": 120, "b": 80}, missing=0.3, seed=4)
    exact = st.item_structure(d.results, k_max=4)
    monkeypatch.setattr(st, "EXACT_MAX_ITEMS", 10)
    st._CACHE.clear()
    approx = st.item_structure(d.results, k_max=4)
    st._CACHE.clear()
    np.testing.assert_allclose(approx.mean, exact.mean)
    np.testing.assert_allclose(approx.eigenvalues[:2], exact.eigenvalues[:2], rtol=0.1)
    cos = np.abs((approx.loadings * exact.loadings).sum(axis=0)) / d.results.n_items
    assert cos[0] > 0.99 and cos[1] > 0.95, cos

"""The label-free coverage prior: exact gradient, less dependence on missing benchmarks."""

from __future__ import annotations

import numpy as np
from scipy.optimize import check_grad

from benchalign.data import Results
from benchalign.features.structure import (
    benchmark_indicators,
    coverage,
    coverage_loss_and_grad,
    coverage_prior,
)


def _rel_grad_error(f, x):
    g = f(x)[1]
    return check_grad(lambda v: f(v)[0], lambda v: f(v)[1], x) / max(np.linalg.norm(g), 1e-12)


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

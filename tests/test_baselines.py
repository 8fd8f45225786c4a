"""The evaluation's baselines against values computed by hand or by brute force: ridge's
leave-one-out choice against refits without each model, and each baseline on results where a
model lacks a whole benchmark."""

from __future__ import annotations

import numpy as np
import pytest

from benchalign.evaluation.baselines import Train, benchmark_mean, best_benchmark, ridge, ridge_loo
from benchalign.data import PairSet, Results

ALPHAS = tuple(10.0 ** np.linspace(-3, 3, 25))


def _ridge_fit(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Ridge with an unpenalized intercept, by the normal equations on centred data."""
    xm, ym = x.mean(axis=0), y.mean()
    xc = x - xm
    coef = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ (y - ym))
    return coef, float(ym - xm @ coef)


def _brute_force_loo(x: np.ndarray, y: np.ndarray, alpha: float) -> float:
    """Mean squared error of predicting each target from a fit on all the others."""
    errors = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        coef, intercept = _ridge_fit(x[keep], y[keep], alpha)
        errors.append((y[i] - (x[i] @ coef + intercept)) ** 2)
    return float(np.mean(errors))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ridge_loo_chooses_the_alpha_of_brute_force_leave_one_out(seed):
    rng = np.random.default_rng(seed)
    n, p = 14, 6
    x = rng.normal(size=(n, p)) + 3.0  # off-centre: the intercept's share of the leverage matters
    y = x @ rng.normal(size=p) + 2.0 * rng.normal(size=n) + 10.0
    loo = [_brute_force_loo(x, y, a) for a in ALPHAS]
    best = ALPHAS[int(np.argmin(loo))]
    assert 0 < int(np.argmin(loo)) < len(ALPHAS) - 1  # an interior choice, not an end of the grid
    coef, intercept = ridge_loo(x, y, ALPHAS)
    want_coef, want_intercept = _ridge_fit(x, y, best)
    np.testing.assert_allclose(coef, want_coef, rtol=1e-8, atol=1e-10)
    assert intercept == pytest.approx(want_intercept, rel=1e-8)


def _lacking_b() -> tuple[Results, Train]:
    """5 models; benchmark a (2 items) and b (3 items); m4 has no b item at all. Ratings follow
    benchmark b's mean (m0 < m1 < m2 < m3) and run against a's."""
    a = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    b = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0],
                  [0.0, 0.0, 0.0]])
    values = np.hstack([a, b]).astype(np.float32)
    observed = np.ones(values.shape, dtype=bool)
    observed[4, 2:] = False
    results = Results(np.array([f"m{i}" for i in range(5)], dtype=object),
                      np.array(["a/q0", "a/q1", "b/q0", "b/q1", "b/q2"], dtype=object),
                      np.array(["a", "a", "b", "b", "b"], dtype=object), values, observed)
    win = np.array([1, 2, 3, 2, 3, 3])  # higher index preferred, every pair of m0..m3
    lose = np.array([0, 0, 0, 1, 1, 2])
    ratings = np.full(5, np.nan)
    ratings[:4] = [1000.0, 1100.0, 1200.0, 1300.0]
    return results, Train(PairSet(win, lose, np.ones(6), np.ones(6)), ratings)


def test_benchmark_mean_averages_only_the_benchmarks_a_model_has():
    results, train = _lacking_b()
    # by hand: (mean of a + mean of b) / 2, and m4 has a only: its a mean, 0.5
    want = [(1.0 + 0.0) / 2, (0.5 + 1 / 3) / 2, (0.5 + 2 / 3) / 2, (0.0 + 1.0) / 2, 0.5]
    np.testing.assert_allclose(benchmark_mean(results, train, 0), want, rtol=1e-6)


def test_best_benchmark_takes_the_benchmark_that_orders_the_pairs_best():
    results, train = _lacking_b()
    got = best_benchmark(results, train, 0)
    # b orders all six training pairs, a gets them mostly backwards; m4 has no b: NaN
    np.testing.assert_allclose(got[:4], [0.0, 1 / 3, 2 / 3, 1.0], rtol=1e-6)
    assert np.isnan(got[4])


def test_ridge_fills_a_missing_benchmark_with_each_questions_mean():
    results, train = _lacking_b()
    got = ridge(results, train, 0)
    x = results.values.astype(np.float64)
    x[4, 2:] = results.values[:4, 2:].mean(axis=0)  # by hand: b's item means over m0..m3
    coef, intercept = ridge_loo(x[:4], train.ratings[:4], tuple(10.0 ** np.arange(-3, 5)))
    np.testing.assert_allclose(got, x @ coef + intercept, rtol=1e-9)
    zero_filled = x.copy()
    zero_filled[4, 2:] = 0.0
    assert abs(got[4] - (zero_filled[4] @ coef + intercept)) > 1.0  # the fill matters here

"""Metrics: point estimates agree with scipy; the vectorized bootstrap equals explicit resampling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau, spearmanr

from benchalign.data import PairSet
from benchalign.metrics import (
    bootstrap_counts,
    bradley_terry,
    pairwise_accuracy,
    pooled_summary,
    replicate_metrics,
    summarize,
)
from benchalign.errors import ParameterError


def _rating_pairs(y: np.ndarray) -> PairSet:
    a, b = np.triu_indices(len(y), k=1)
    target = np.where(y[a] > y[b], 1.0, np.where(y[a] < y[b], 0.0, 0.5))
    return PairSet(a, b, np.ones(len(a)), target)


def test_pairwise_accuracy_counts_ties_and_missing_as_half():
    pairs = PairSet(np.array([0, 0, 1, 2]), np.array([1, 2, 2, 3]), np.ones(4), np.array([1.0, 1.0, 0.0, 0.5]))
    s = np.array([0.9, 0.1, 0.1, np.nan])
    # (0,1) right, (0,2) right, (1,2): target says 2 wins, scores tie -> 0.5, (2,3) undecided: skipped
    assert pairwise_accuracy(s, pairs) == pytest.approx(2.5 / 3)


def test_point_estimates_match_scipy():
    rng = np.random.default_rng(0)
    y = rng.normal(size=12)
    x = y + rng.normal(size=12)
    x[3] = x[4]  # a tie in x
    values = replicate_metrics(x, y, _rating_pairs(y), np.ones((1, 12)))
    assert values["spearman"][0] == pytest.approx(spearmanr(x, y).statistic)
    assert values["kendall_tau_b"][0] == pytest.approx(kendalltau(x, y).statistic)
    assert values["pairwise_accuracy"][0] == pytest.approx(pairwise_accuracy(x, _rating_pairs(y)))


def test_bootstrap_replicates_match_explicit_resamples():
    rng = np.random.default_rng(1)
    y = rng.normal(size=9)
    x = y + rng.normal(size=9)
    counts = bootstrap_counts(9, 5, np.random.default_rng(2))
    reps = replicate_metrics(x, y, _rating_pairs(y), counts)
    for r in range(1, counts.shape[0]):
        idx = np.repeat(np.arange(9), counts[r].astype(int))
        xs, ys = x[idx], y[idx]
        assert reps["spearman"][r] == pytest.approx(spearmanr(xs, ys).statistic)
        assert reps["kendall_tau_b"][r] == pytest.approx(kendalltau(xs, ys).statistic)
        # pairwise accuracy over resampled pairs of distinct models
        i, j = np.triu_indices(len(idx), k=1)
        keep = idx[i] != idx[j]
        i, j = i[keep], j[keep]
        decided = ys[i] != ys[j]
        right = np.sign(xs[i] - xs[j]) == np.sign(ys[i] - ys[j])
        assert reps["pairwise_accuracy"][r] == pytest.approx(right[decided].mean())


def test_summarize_uses_row_zero_as_point_and_the_rest_for_the_interval():
    reps = np.concatenate([[0.5], np.linspace(0, 1, 1001)])
    out = summarize(reps)
    assert out["mean"] == 0.5
    assert out["ci"] == pytest.approx([0.025, 0.975])


def test_pooled_summary_averages_each_replicate_over_strata():
    # two cases, point estimate then four bootstrap replicates each
    first = np.array([0.10, 0.00, 0.20, 0.10, 0.30])
    second = np.array([0.30, 0.20, 0.20, 0.40, 0.10])
    # pooled: [0.20 | 0.10, 0.20, 0.25, 0.20]; sorted replicates 0.10, 0.20, 0.20, 0.25;
    # the 25 % and 75 % quantiles (linear) sit at positions 0.75 and 2.25 of them
    out = pooled_summary([first, second], level=0.5)
    assert out["mean"] == pytest.approx(0.20)
    assert out["ci"] == pytest.approx([0.175, 0.2125])


def test_pooled_summary_leaves_out_a_replicate_undefined_in_any_stratum():
    first = np.array([0.0, 1.0, np.nan, 3.0])
    second = np.array([2.0, 1.0, 5.0, 1.0])
    # pooled [1 | 1, NaN, 2]: the interval comes from 1 and 2 only
    assert pooled_summary([first, second], level=0.5) == {"mean": 1.0, "ci": [1.25, 1.75]}


def test_pooled_summary_needs_the_same_replicates_in_every_stratum():
    with pytest.raises(ParameterError, match="same number of replicates.*got 2 strata with 3, 4"):
        pooled_summary([np.zeros(3), np.zeros(4)])
    with pytest.raises(ParameterError, match="got 0 strata"):
        pooled_summary([])


def test_bradley_terry_orders_models_by_wins():
    pairs = PairSet(np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([10.0, 10.0, 10.0]), np.array([0.8, 0.7, 0.9]))
    r = bradley_terry(pairs, 3)
    assert r[0] > r[1] > r[2]
    assert r.sum() == pytest.approx(0.0, abs=1e-9)

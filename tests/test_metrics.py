"""Metrics: point estimates agree with scipy; the vectorized bootstrap equals explicit resampling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau, spearmanr

from benchalign.data import PairSet
from benchalign.metrics import (
    agreement_with_confidence,
    bootstrap_counts,
    bradley_terry,
    confident_pairs,
    interval_separability,
    pairwise_accuracy,
    pooled_summary,
    replicate_metrics,
    score_intervals,
    separability,
    separability_replicates,
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


# Arena-Hard-Auto's agreement with confidence and separability, by hand on tiny inputs


def _four_pairs() -> PairSet:
    # (0,1): 0 preferred; (0,2): 0 preferred; (1,2): 2 preferred; (2,3): a tie (undecided)
    return PairSet(np.array([0, 0, 1, 2]), np.array([1, 2, 2, 3]), np.array([3.0, 1.0, 1.0, 2.0]),
                   np.array([1.0, 0.9, 0.0, 0.5]))


def test_confident_pairs_need_a_decided_pair_and_the_level():
    pairs = _four_pairs()
    assert confident_pairs(pairs, np.array([0.99, 0.97, 0.975, 1.0])).tolist() == [True, False, True, False]
    assert confident_pairs(pairs, None).tolist() == [True, True, True, False]  # exact preferences


def test_agreement_with_confidence_by_hand():
    pairs = _four_pairs()
    sure = np.array([True, True, False, False])
    s = np.array([0.9, 0.1, 0.95, np.nan])
    # (0,1) sure, ordered their way: +1; (0,2) sure, ordered the other way: -1; (1,2) not sure: 0;
    # (2,3) undecided: not counted. Each pair once, whatever its weight: (1 - 1 + 0) / 3
    assert agreement_with_confidence(s, pairs, sure) == pytest.approx(0.0)
    s = np.array([0.9, 0.1, 0.1, np.nan])  # (0,2) now their way, (1,2) a tie
    assert agreement_with_confidence(s, pairs, sure) == pytest.approx(2 / 3)
    assert agreement_with_confidence(s, pairs, np.array([True, True, True, False])) == pytest.approx(2 / 3)
    assert separability(pairs, sure) == pytest.approx(2 / 3)
    assert agreement_with_confidence(s, pairs, sure) <= separability(pairs, sure)


def test_rating_intervals_decide_which_pairs_are_separated():
    # ratings 3, 2, 0 each with standard error 0.5: gaps over sqrt(0.5² + 0.5²) are 1.41 (Φ = 0.921,
    # not separated), 4.24 and 2.83 (Φ = 0.99999, 0.9977: separated)
    from benchalign.check import pair_agreement

    ratings, sd = np.array([3.0, 2.0, 0.0]), np.full(3, 0.5)
    a, b = np.triu_indices(3, k=1)
    pairs = PairSet(a, b, np.ones(3), (ratings[a] > ratings[b]).astype(float))
    sure = confident_pairs(pairs, pair_agreement(pairs, "ratings", ratings, sd))
    assert sure.tolist() == [False, True, True]
    assert separability(pairs, sure) == pytest.approx(2 / 3)
    assert agreement_with_confidence(np.array([1.0, 2.0, 0.0]), pairs, sure) == pytest.approx(2 / 3)
    assert agreement_with_confidence(np.array([0.0, 1.0, 2.0]), pairs, sure) == pytest.approx(-2 / 3)


def test_agreement_and_separability_replicates_match_explicit_resamples():
    rng = np.random.default_rng(4)
    y = rng.normal(size=8)
    x = y + rng.normal(size=8)
    pairs = _rating_pairs(y)
    sure = np.abs(y[pairs.a] - y[pairs.b]) > 0.5
    counts = bootstrap_counts(8, 6, np.random.default_rng(5))
    agree = replicate_metrics(x, y, pairs, counts, sure)["agreement_ci"]
    sep = separability_replicates(pairs, sure, counts)
    assert agree[0] == pytest.approx(agreement_with_confidence(x, pairs, sure))
    assert sep[0] == pytest.approx(separability(pairs, sure))
    for r in range(1, counts.shape[0]):
        idx = np.repeat(np.arange(8), counts[r].astype(int))
        i, j = np.triu_indices(len(idx), k=1)
        keep = idx[i] != idx[j]
        i, j = idx[i[keep]], idx[j[keep]]
        both_sure = np.abs(y[i] - y[j]) > 0.5
        credit = np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) * both_sure
        assert agree[r] == pytest.approx(credit.mean())
        assert sep[r] == pytest.approx(both_sure.mean())


def test_without_confidence_information_every_decided_pair_counts():
    rng = np.random.default_rng(6)
    y = rng.normal(size=7)
    x = y + rng.normal(size=7)
    values = replicate_metrics(x, y, _rating_pairs(y), np.ones((1, 7)))
    # all pairs separated: agreement = (right - wrong) / n = 2 * accuracy - 1 (no ties in x or y)
    assert values["agreement_ci"][0] == pytest.approx(2 * values["pairwise_accuracy"][0] - 1)


def test_score_intervals_are_the_weighted_means_of_explicit_question_resamples():
    rng = np.random.default_rng(7)
    values = rng.random((3, 6))
    observed = np.ones((3, 6), dtype=bool)
    observed[2, :2] = False
    weights = np.array([0.0, 1.0, 2.0, 1.0, 0.5, 0.5])
    counts = bootstrap_counts(6, 40, np.random.default_rng(8))
    low, high = score_intervals(values, observed, weights, counts, level=0.8)
    for m in range(3):
        reps = []
        for r in range(1, counts.shape[0]):
            kw = counts[r] * weights * observed[m]
            reps.append(np.dot(kw, values[m]) / kw.sum() if kw.sum() > 0 else np.nan)
        lo, hi = np.nanquantile(reps, [0.1, 0.9])
        assert (low[m], high[m]) == (pytest.approx(lo), pytest.approx(hi))


def test_interval_separability_counts_pairs_whose_intervals_do_not_overlap():
    # intervals [0, 1], [0.5, 2], [3, 4], unknown: only (0,1) overlap -> 2 of 3 pairs separated
    low, high = np.array([0.0, 0.5, 3.0, np.nan]), np.array([1.0, 2.0, 4.0, np.nan])
    assert interval_separability(low, high) == pytest.approx(2 / 3)
    assert np.isnan(interval_separability(low[:1], high[:1]))

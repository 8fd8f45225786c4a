"""Ranking metrics against preferences, with a vectorized bootstrap over held-out models.

All metrics compare a method's scores x [n] on held-out models with the preferences about them:

* pairwise accuracy: the weighted share of decided preference pairs (target != 0.5) that x orders
  the same way; a pair x cannot separate (equal or missing scores) counts one half;
* Spearman rank correlation and Kendall's tau-b between x and a reference rating y [n]: the given
  rating for rating preferences, else a Bradley-Terry rating fitted to the held-out pairs;
* agreement with confidence (Arena-Hard-Auto's "agreement with confidence interval"): over decided
  pairs, each counted once, +1 when the preferences separate the pair with confidence and x orders
  it their way, -1 when they separate it and x orders it the other way, 0 when they do not separate
  it (or x ties it). Its ceiling is the separability of the preferences: the share of decided pairs
  they separate with confidence (:func:`separability`).

A model that a method cannot score (NaN) is placed at the median of the method's other scores
for the rank correlations (a tie, neither rewarded nor punished beyond that).

The bootstrap resamples held-out models with replacement: replicate r is a count vector
k [n]; each metric is a bilinear or rank statistic of k, so B replicates cost a few [B, n] × [n, n]
products. Copies of one model are tied with each other and never form a pair.
"""

from __future__ import annotations

import numpy as np

from .data import PairSet
from .errors import ParameterError
from .optimize import lbfgs

METRICS = ("pairwise_accuracy", "spearman", "kendall_tau_b", "agreement_ci")
SURE = 0.975
"""Probability that a pair's observed order is the true one at which the preferences separate it
with confidence (the two-sided 95 % level of the intervals Arena-Hard-Auto compares)."""


def pairwise_accuracy(s: np.ndarray, pairs: PairSet) -> float:
    """Weighted share of decided pairs ordered like their target by the scores ``s`` [n_models]."""
    credit, weight = _pair_credit(s, pairs)
    total = weight.sum()
    return float(np.dot(credit, weight) / total) if total > 0 else float("nan")


def _pair_credit(s: np.ndarray, pairs: PairSet) -> tuple[np.ndarray, np.ndarray]:
    decided = pairs.target != 0.5
    d = s[pairs.a] - s[pairs.b]
    want = np.sign(pairs.target - 0.5)
    got = np.sign(np.nan_to_num(d, nan=0.0))
    credit = np.where(got == 0, 0.5, (got == want).astype(np.float64))
    return credit * decided, pairs.weight * decided


def confident_pairs(pairs: PairSet, agreement: np.ndarray | None, level: float = SURE) -> np.ndarray:
    """(n_pairs,) bool: decided pairs (target != 0.5) that the preferences separate with confidence.

    agreement : (n_pairs,) probability that each pair's observed order is the true one (see
        :func:`benchalign.check.pair_agreement`), or None when the preferences carry no uncertainty
        (exact ratings): then every decided pair is separated.
    """
    decided = pairs.target != 0.5
    return decided if agreement is None else decided & (agreement >= level)


def _agreement_credit(s: np.ndarray, pairs: PairSet, sure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: credit in {-1, 0, +1} (see :func:`agreement_with_confidence`) and weight 1 for
    decided pairs, 0 otherwise."""
    decided = (pairs.target != 0.5).astype(np.float64)
    got = np.sign(np.nan_to_num(s[pairs.a] - s[pairs.b], nan=0.0))
    return got * np.sign(pairs.target - 0.5) * sure, decided


def agreement_with_confidence(s: np.ndarray, pairs: PairSet, sure: np.ndarray) -> float:
    """Mean over decided pairs of +1 (the preferences separate the pair with confidence and the
    scores ``s`` [n_models] order it their way), -1 (separated, ordered the other way) or 0 (not
    separated, or tied / unscored by ``s``); ``sure`` (n_pairs,) from :func:`confident_pairs`.
    In [-1, 1]; at most :func:`separability`."""
    credit, weight = _agreement_credit(s, pairs, sure)
    return float(np.dot(credit, weight) / weight.sum()) if weight.sum() > 0 else float("nan")


def separability(pairs: PairSet, sure: np.ndarray) -> float:
    """Share of decided pairs (each counted once) that the preferences separate with confidence."""
    decided = pairs.target != 0.5
    return float(sure[decided].mean()) if decided.any() else float("nan")


def bradley_terry(pairs: PairSet, n: int, ridge: float = 1e-3) -> np.ndarray:
    """Bradley-Terry log-strengths [n] (mean 0) from pairs with soft targets, lightly ridged."""

    def objective(r: np.ndarray) -> tuple[float, np.ndarray]:
        z = r[pairs.a] - r[pairs.b]
        p = 1.0 / (1.0 + np.exp(-z))
        loss = np.dot(pairs.weight, np.logaddexp(0, -z) + (1 - pairs.target) * z)
        g = pairs.weight * (p - pairs.target)
        grad = np.bincount(pairs.a, g, minlength=n) - np.bincount(pairs.b, g, minlength=n)
        return float(loss + 0.5 * ridge * r @ r), grad + ridge * r

    # scipy's default L-BFGS-B tolerances
    x = lbfgs(objective, np.zeros(n), max_iter=15000, tol=1e-5, ftol=2.220446049250313e-09).x
    return x - x.mean()


def strengths(pairs: PairSet, n: int) -> np.ndarray:
    """Log-strengths [n] (mean 0) of models 0..n-1 from the pairs' targets.

    For a round robin of all n models with one common weight and targets strictly between 0 and 1
    (a rating list), the least-squares fit of logit(p_ab) = r_a - r_b, whose solution is
    r_a = (1/n) sum_b logit(p_ab): the ratings divided by the rating scale when the targets come
    from ratings, found in one pass over the pairs. Otherwise :func:`bradley_terry`.
    """
    members = pairs.round_robin(n)
    t = pairs.target
    if (members is None or len(members) != n or len(t) == 0 or not np.all(pairs.weight == pairs.weight[0])
            or not np.all((t > 0) & (t < 1))):
        return bradley_terry(pairs, n)
    z = np.log(t) - np.log1p(-t)
    r = (np.bincount(pairs.a, z, minlength=n) - np.bincount(pairs.b, z, minlength=n)) / n
    return r - r.mean()


def bootstrap_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """[n_boot + 1, n] resample counts; row 0 is the original sample (all ones)."""
    draws = rng.integers(0, n, size=(n_boot, n))
    counts = np.zeros((n_boot + 1, n))
    counts[0] = 1.0
    np.add.at(counts, (np.repeat(np.arange(1, n_boot + 1), n), draws.ravel()), 1.0)
    return counts


def replicate_metrics(
    x: np.ndarray, y: np.ndarray, pairs: PairSet, counts: np.ndarray, sure: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Each metric for every resample.

    x : [n] method scores of held-out models (NaN allowed); y : [n] reference rating;
    pairs : preferences among the n held-out models (ids 0..n-1); counts : [R, n];
    sure : (n_pairs,) bool pairs the preferences separate with confidence
        (:func:`confident_pairs`); None: every decided pair.
    Returns metric name -> [R] values (row 0 of counts gives the point estimate).
    """
    sure = confident_pairs(pairs, None) if sure is None else sure
    xf = _fill_median(x)
    return {
        "pairwise_accuracy": pair_ratio(pairs, *_pair_credit(x, pairs), counts),
        "spearman": _spearman(xf, y, counts),
        "kendall_tau_b": _kendall(xf, y, counts),
        "agreement_ci": pair_ratio(pairs, *_agreement_credit(x, pairs, sure), counts),
    }


def separability_replicates(pairs: PairSet, sure: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """[R] :func:`separability` of each resample of the held-out models (counts [R, n])."""
    decided = (pairs.target != 0.5).astype(np.float64)
    return pair_ratio(pairs, sure.astype(np.float64), decided, counts)


def pair_ratio(pairs: PairSet, credit: np.ndarray, weight: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """[R] Σ credit·weight / Σ weight over the pairs of each resample: a pair (a, b) appears
    k_a·k_b times in a resample with counts k [R, n]; copies of one model never form a pair."""
    n = counts.shape[1]
    v = np.zeros((n, n))
    c = np.zeros((n, n))
    np.add.at(v, (pairs.a, pairs.b), weight)
    np.add.at(c, (pairs.a, pairs.b), credit * weight)
    v, c = v + v.T, c + c.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return _bilinear(counts, c) / _bilinear(counts, v)


def _bilinear(counts: np.ndarray, m: np.ndarray) -> np.ndarray:
    return np.einsum("ri,ij,rj->r", counts, m, counts)


def _fill_median(x: np.ndarray) -> np.ndarray:
    finite = np.isfinite(x)
    if finite.all():
        return x
    fill = np.median(x[finite]) if finite.any() else 0.0
    return np.where(finite, x, fill)


def _kendall(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    sx = np.sign(x[:, None] - x[None, :])
    sy = np.sign(y[:, None] - y[None, :])
    total = counts.sum(axis=1)
    n0 = total * (total - 1) / 2
    diff = _bilinear(counts, sx * sy) / 2
    ties_x = (_bilinear(counts, (sx == 0).astype(float)) - total) / 2
    ties_y = (_bilinear(counts, (sy == 0).astype(float)) - total) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return diff / np.sqrt((n0 - ties_x) * (n0 - ties_y))


def _avg_ranks(x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    less = (x[None, :] < x[:, None]).astype(float)  # [i, j]: x_j < x_i
    equal = (x[None, :] == x[:, None]).astype(float)
    return counts @ less.T + (counts @ equal.T + 1) / 2


def _spearman(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    rx, ry = _avg_ranks(x, counts), _avg_ranks(y, counts)
    total = counts.sum(axis=1, keepdims=True)
    dx = rx - (counts * rx).sum(axis=1, keepdims=True) / total
    dy = ry - (counts * ry).sum(axis=1, keepdims=True) / total
    cov = (counts * dx * dy).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.sqrt((counts * dx**2).sum(axis=1) * (counts * dy**2).sum(axis=1))


def score_intervals(values: np.ndarray, observed: np.ndarray | None, weights: np.ndarray,
                    counts: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile intervals [n_models] of weighted benchmark scores under a bootstrap over questions.

    values : [n_models, n_items] results; observed : same-shape bool mask or None (complete);
    weights : [n_items] >= 0; counts : [R, n_items] question resample counts whose row 0 is the
    original sample (:func:`bootstrap_counts`). Replicate r scores model m by
    Σ_q k_rq w_q x_mq / Σ_q k_rq w_q [observed], the weighted mean over the questions it has.
    Returns (low, high); NaN for a model with no weighted question in most resamples.
    """
    kw = counts[1:] * weights[None, :]  # [R - 1, n_items]
    num = (np.asarray(values, dtype=np.float64) if observed is None else np.where(observed, values, 0.0)) @ kw.T
    den = kw.sum(axis=1)[None, :] if observed is None else observed.astype(np.float64) @ kw.T
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = num / den
    alpha = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        low, high = np.nanquantile(scores, [alpha, 1 - alpha], axis=1) if scores.size else (scores, scores)
    return np.asarray(low), np.asarray(high)


def interval_separability(low: np.ndarray, high: np.ndarray) -> float:
    """Arena-Hard-Auto's separability: the share of model pairs whose intervals [low, high] (each
    [n_models]) do not overlap; models without an interval (NaN) are left out."""
    known = np.isfinite(low) & np.isfinite(high)
    lo, hi = low[known], high[known]
    n = len(lo)
    if n < 2:
        return float("nan")
    apart = (lo[:, None] > hi[None, :]) | (lo[None, :] > hi[:, None])
    return float(np.triu(apart, 1).sum() / (n * (n - 1) / 2))


def mean_over_splits(replicates: list[np.ndarray]) -> np.ndarray:
    """[R] mean over splits of each replicate, from one [R] array per split, ignoring NaN (a split
    where a metric is undefined, e.g. Spearman of constant scores); NaN where every split is
    (said by the NaN, without numpy's "Mean of empty slice" warning)."""
    stack = np.vstack(replicates)
    finite = np.isfinite(stack)
    count = finite.sum(axis=0)
    total = np.where(finite, stack, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def summarize(replicates: np.ndarray, level: float = 0.95) -> dict[str, object]:
    """``{"mean": point, "ci": [lo, hi]}`` from [R] values whose row 0 is the point estimate."""
    point = float(replicates[0])
    rest = replicates[1:][np.isfinite(replicates[1:])]
    if len(rest) == 0:
        return {"mean": point, "ci": [float("nan"), float("nan")]}
    alpha = (1 - level) / 2
    lo, hi = np.quantile(rest, [alpha, 1 - alpha])
    return {"mean": point, "ci": [float(lo), float(hi)]}


def pooled_summary(replicates: list[np.ndarray], level: float = 0.95) -> dict[str, object]:
    """:func:`summarize` of a mean over strata (e.g. real cases) of per-stratum statistics.

    replicates : one [R] array per stratum, row 0 its point estimate and rows 1.. its bootstrap
    replicates, resampled within the stratum. Replicate r of the pooled mean is the mean over strata
    of each stratum's r-th replicate, so the interval is that of a bootstrap stratified by stratum;
    a replicate undefined (NaN) in any stratum is left out. Every stratum needs the same R.
    """
    lengths = sorted({len(r) for r in replicates})
    if not replicates or len(lengths) != 1:
        raise ParameterError(
            f"pooling needs at least one stratum and the same number of replicates in each; got "
            f"{len(replicates)} strata with {', '.join(map(str, lengths)) or 'no'} replicates. "
            "Run every stratum with the same n_bootstrap."
        )
    return summarize(np.vstack(replicates).mean(axis=0), level)

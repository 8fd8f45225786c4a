"""Ranking metrics against preferences, with a vectorized bootstrap over held-out models.

All metrics compare a method's scores x [n] on held-out models with the preferences about them:

* pairwise accuracy: the weighted share of decided preference pairs (target != 0.5) that x orders
  the same way; a pair x cannot separate (equal or missing scores) counts one half;
* Spearman rank correlation and Kendall's tau-b between x and a reference rating y [n]: the given
  rating for rating preferences, else a Bradley-Terry rating fitted to the held-out pairs.

A model that a method cannot score (NaN) is placed at the median of the method's other scores
for the rank correlations (a tie, neither rewarded nor punished beyond that).

The bootstrap resamples held-out models with replacement: replicate r is a count vector
k [n]; each metric is a bilinear or rank statistic of k, so B replicates cost a few [B, n] × [n, n]
products. Copies of one model are tied with each other and never form a pair.
"""

from __future__ import annotations

import numpy as np

from .data import PairSet
from .optimize import lbfgs

METRICS = ("pairwise_accuracy", "spearman", "kendall_tau_b")


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
    x: np.ndarray, y: np.ndarray, pairs: PairSet, counts: np.ndarray
) -> dict[str, np.ndarray]:
    """Each metric for every resample.

    x : [n] method scores of held-out models (NaN allowed); y : [n] reference rating;
    pairs : preferences among the n held-out models (ids 0..n-1); counts : [R, n].
    Returns metric name -> [R] values (row 0 of counts gives the point estimate).
    """
    n = len(x)
    credit, weight = _pair_credit(x, pairs)
    v = np.zeros((n, n))
    c = np.zeros((n, n))
    np.add.at(v, (pairs.a, pairs.b), weight)
    np.add.at(c, (pairs.a, pairs.b), credit * weight)
    v, c = v + v.T, c + c.T
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = _bilinear(counts, c) / _bilinear(counts, v)
    xf = _fill_median(x)
    return {
        "pairwise_accuracy": acc,
        "spearman": _spearman(xf, y, counts),
        "kendall_tau_b": _kendall(xf, y, counts),
    }


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

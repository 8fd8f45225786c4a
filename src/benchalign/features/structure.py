"""Label-free description of the questions, learned from every model's results (no preferences).

* :func:`benchmark_indicators`: which source benchmark each item belongs to;
* :func:`item_means`: each item's mean score over the models that have it;
* :func:`coverage_prior`: the weighting that makes a model's score least sensitive to which
  benchmarks it happens to be missing (the uniform benchmark when every model has every benchmark).

Using unrated rows is label-free and transductive: in a held-out evaluation the held-out models'
*results* take part (as any unrated model's would), never their preferences. The prior is cached
per matrix content, so repeated fits on the same results (cross-validation, evaluation splits) pay
for it once.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..data import Results
from ..optimize import lbfgs
from ..scores import ScoreMatrix, weights_from_theta

_CACHE: OrderedDict[tuple, np.ndarray] = OrderedDict()
_CACHE_SIZE = 16


_FINGERPRINTS: "weakref.WeakKeyDictionary[Results, tuple]" = weakref.WeakKeyDictionary()
"""Each Results object's content hash, computed once: a fit asks for it for the prior and the
completion, and hashing a leaderboard-sized matrix takes about half a second. Results are
immutable containers; their arrays are not changed in place."""


def _fingerprint(results: Results) -> tuple:
    if results not in _FINGERPRINTS:
        h = hashlib.blake2b(digest_size=16)
        h.update(np.ascontiguousarray(results.values).view(np.uint8).data)
        if results.observed is not None:
            h.update(np.packbits(results.observed).data)
        _FINGERPRINTS[results] = (results.values.shape, h.hexdigest())
    return _FINGERPRINTS[results]


def learned(results: Results, key: tuple, learn):
    """``learn()``, cached by ``key`` and the content of ``results``: label-free quantities that
    repeated fits on the same results (cross-validation, evaluation splits) compute once."""
    full = (*key, _fingerprint(results))
    if full in _CACHE:
        _CACHE.move_to_end(full)
        return _CACHE[full]
    value = learn()
    _CACHE[full] = value
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def benchmark_mass(benchmarks: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(names [B], mass [B], counts [B])``: each source benchmark (sorted, as text), the weight
    on its items and its number of items. benchmarks, weights : [n_items]."""
    names, codes = np.unique(np.asarray(benchmarks).astype(str), return_inverse=True)
    return (names, np.bincount(codes, weights=weights, minlength=len(names)),
            np.bincount(codes, minlength=len(names)))


def effective_questions(weights: np.ndarray) -> float:
    """The effective number of questions of a weighting: exp of the weights' entropy (n for
    uniform weights on n questions, 1 for all weight on one)."""
    w = np.asarray(weights, dtype=np.float64)
    positive = w[w > 0]
    return float(np.exp(-np.sum(positive * np.log(positive))))


def clear_learned() -> None:
    """Forget every cached label-free quantity (for timing a fit from scratch)."""
    _CACHE.clear()


def item_means(results: Results) -> tuple[np.ndarray, np.ndarray]:
    """``(count [n_items], mean [n_items])``: models having each item and their mean score (0
    for an item no model has). Missing cells hold 0 in ``values``, so plain column sums work."""
    if results.observed is None:
        count = np.full(results.n_items, results.n_models, dtype=np.float64)
    else:
        count = np.count_nonzero(results.observed, axis=0).astype(np.float64)
    total = results.values.sum(axis=0, dtype=np.float64)
    return count, np.where(count > 0, total / np.maximum(count, 1), 0.0)


def filled_values(results: Results, dtype: type = np.float64) -> np.ndarray:
    """[n_models, n_items] ``dtype`` results with each missing cell filled with its item's mean over
    the models that have it (:func:`item_means`; 0 for an item nobody has)."""
    x = results.values.astype(dtype, copy=True)
    if results.observed is not None:
        np.copyto(x, np.broadcast_to(item_means(results)[1].astype(dtype), x.shape),
                  where=~results.observed)
    return x


def benchmark_means(results: Results, min_share: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(means [n_models, B] float64, counts [n_models, B], names [B])``: each model's mean over
    the observed items of each source benchmark (NaN where it has fewer than
    ``max(1, min_share * size)`` of the benchmark's items) and how many it has."""
    groups, names = benchmark_indicators(results)
    onehot = groups.astype(np.float32)
    sums = (results.values @ onehot).astype(np.float64)
    counts = (results.mask() @ onehot if not results.complete
              else np.broadcast_to(onehot.sum(0), sums.shape)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts >= np.maximum(1, min_share * onehot.sum(0)), sums / counts, np.nan)
    return means, counts, names


def benchmark_indicators(results: Results) -> tuple[np.ndarray, np.ndarray]:
    """``(G [n_items, n_benchmarks] 0/1, names)``: which source benchmark each item belongs to."""
    names, codes = np.unique(results.benchmarks, return_inverse=True)
    g = np.zeros((results.n_items, len(names)))
    g[np.arange(results.n_items), codes] = 1.0
    return g, names


# --------------------------------------------------------------------------------------------------
# Coverage-consistent prior
# --------------------------------------------------------------------------------------------------

MAX_PATTERNS = 64
MIN_REFERENCE_MODELS = 20
MAX_REFERENCE_MODELS = 1000


@dataclass(frozen=True)
class Coverage:
    """Which source benchmarks the models were evaluated on.

    patterns : [n_patterns, n_benchmarks] 0/1, the incomplete benchmark-coverage patterns that
        occur (most frequent first, at most :data:`MAX_PATTERNS`).
    share : [n_patterns] share of all models with each pattern.
    reference : rows of the models that have at least one item of every benchmark.
    """

    patterns: np.ndarray
    share: np.ndarray
    reference: np.ndarray


def coverage(results: Results) -> Coverage:
    """The benchmark-coverage patterns of ``results`` (all rows)."""
    g, _ = benchmark_indicators(results)
    if results.observed is None:
        present = np.ones((results.n_models, g.shape[1]), dtype=bool)
    else:  # observed items per benchmark, read in cache-sized blocks (no float copy of the mask)
        mask = ScoreMatrix(results.observed, None)
        present = np.column_stack([mask.scores(g[:, j])[0] > 0 for j in range(g.shape[1])])
    full = present.all(axis=1)
    if full.all():
        return Coverage(np.zeros((0, g.shape[1])), np.zeros(0), np.flatnonzero(full))
    uniq, counts = np.unique(present[~full & present.any(axis=1)], axis=0, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:MAX_PATTERNS]
    return Coverage(uniq[order].astype(np.float64), counts[order] / results.n_models,
                    np.flatnonzero(full))


def coverage_loss_and_grad(theta: np.ndarray, *, values: np.ndarray, observed: np.ndarray,
                           groups: np.ndarray, patterns: np.ndarray, share: np.ndarray,
                           reg: float) -> tuple[float, np.ndarray]:
    r"""How much the weighted-mean score depends on which benchmarks a model was evaluated on.

    For the reference models (every benchmark present) ``values``/``observed`` [n, n_items],
    weights w = softmax(θ), per-model benchmark sums W [n, B] = (V∘M)(G∘w), D [n, B] = M(G∘w),
    the full score s = W1/D1 and the score under coverage pattern p_k, s_k = Wp_k / Dp_k:

    .. math:: L(\theta) = \frac{\sum_k \pi_k\,\mathrm{mean}_m (s_{k,m} - s_m)^2}{\mathrm{var}_m(s)}
              + \frac{\lambda}{2}\mathrm{mean}_q(\theta_q - \bar\theta)^2,

    the share-weighted squared score shift caused by missing benchmarks, relative to the spread
    of the scores (so concentrating the weight on trivial items does not help). groups [n_items, B]
    0/1; patterns [K, B]; share [K]. Returns ``(loss, grad [n_items])``.
    """
    w = weights_from_theta(theta)
    gw = groups * w[:, None]
    big_w, big_d = values @ gw, observed @ gw
    num, den = big_w @ patterns.T, big_d @ patterns.T  # [n, K]
    s_k = num / den
    s = big_w.sum(axis=1) / big_d.sum(axis=1)
    n = len(s)
    sc = s - s.mean()
    var = float(sc @ sc) / n
    err = s_k - s[:, None]
    data = float((err**2 @ share).sum()) / n / var
    g_sk = 2.0 * err * share[None, :] / (n * var)
    g_s = -g_sk.sum(axis=1) - data * 2.0 * sc / (n * var)
    g_bw = (g_sk / den) @ patterns + (g_s / big_d.sum(axis=1))[:, None]
    g_bd = -((g_sk * s_k / den) @ patterns) - (g_s * s / big_d.sum(axis=1))[:, None]
    g_w = ((values.T @ g_bw) * groups).sum(axis=1) + ((observed.T @ g_bd) * groups).sum(axis=1)
    dev = theta - theta.mean()
    loss = data + 0.5 * reg * float(dev @ dev) / len(theta)
    grad = w * (g_w - w @ g_w) + reg * dev / len(theta)
    return loss, grad


def coverage_prior(results: Results, reg: float = 0.01, max_iter: int = 300) -> np.ndarray:
    """Log-weights [n_items] that make scores insensitive to missing benchmarks (label-free).

    Minimizes :func:`coverage_loss_and_grad` over the models that have every benchmark, for the
    incomplete coverage patterns that occur among all models. Zeros (the uniform benchmark) when
    every model has every benchmark or fewer than :data:`MIN_REFERENCE_MODELS` models have all.
    Cached by matrix content and ``reg``.
    """
    cov = coverage(results)
    theta = np.zeros(results.n_items)
    if not len(cov.patterns) or len(cov.reference) < MIN_REFERENCE_MODELS:
        return theta  # nothing to learn, and no need to fingerprint a large matrix
    groups, _ = benchmark_indicators(results)

    def learn() -> np.ndarray:
        # an evenly spaced subset of the reference models bounds the cost on large leaderboards
        step = max(1, len(cov.reference) // MAX_REFERENCE_MODELS)
        ref = results.take_models(cov.reference[::step][:MAX_REFERENCE_MODELS])
        kwargs = dict(values=ref.values.astype(np.float64), observed=ref.mask().astype(np.float64),
                      groups=groups, patterns=cov.patterns, share=cov.share, reg=float(reg))
        opt = lbfgs(lambda t: coverage_loss_and_grad(t, **kwargs), theta, max_iter=max_iter,
                    tol=1e-8, ftol=2.220446049250313e-09)
        return opt.x - opt.x.mean()

    return learned(results, ("coverage", float(reg), int(max_iter)), learn)

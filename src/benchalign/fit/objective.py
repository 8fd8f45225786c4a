r"""Pure loss functions of the aligned benchmark, with exact gradients.

Notation (shapes in brackets):

* ``values`` V [n_models, n_items] scores (0 where unobserved), ``observed`` M [n_models, n_items]
  bool or None when complete;
* weights :math:`w = \mathrm{softmax}(\theta)` [n_items], on the simplex;
* score :math:`s_m = \sum_q w_q V_{mq} / \sum_q w_q M_{mq}` (the weighted mean over the items the model
  has; the plain :math:`V w` when complete) [n_models];
* pairs (a, b, c, p) [n_pairs]: weight c, probability p that a is preferred to b;
* margin :math:`z = \beta (s_a - s_b)` with a learned inverse temperature :math:`\beta = e^{\ell}`;
* loss :math:`\frac{1}{\sum c} \sum c\,[\mathrm{softplus}(-z) + (1 - p) z]`, the cross-entropy of
  :math:`\sigma(z)` against p (RankNet when p = 1), plus
  :math:`\frac{\lambda}{2}\,\mathrm{mean}_q (\theta_q - \bar\theta - \theta^0_q)^2` (pull toward the
  prior, the uniform benchmark by default) and :math:`\frac{\kappa}{2} (\ell - \ell_0)^2`.

Gradients flow back through per-model vectors; no pairs × items array is ever built, so memory is
O(models × items + pairs).

How it stays fast (the gradient stays exact throughout):

* The pair term splits as :math:`\mathrm{softplus}(-z) + (1-p) z = (\tfrac12 - p) z + \tfrac12|z| +
  \log(1 + e^{-|z|})`. The first part is linear in the scores, so its per-model coefficients are
  summed once per fit (:class:`PairTerms`); only the symmetric rest is evaluated per call.
* When the pairs are *all* pairs among a set of models with one common weight (a rating list, or
  any complete round robin), the symmetric rest only depends on the sorted scores: after one sort,
  :math:`\sum |z|` is an O(n) sum and :math:`\log(1 + e^{-|z|})` runs over the upper triangle of the
  sorted score differences in cache-sized row blocks (no index gathers, no pair-sized arrays), with
  :math:`e^{z_j - z_i}` formed as a product of per-model exponentials and the logs taken of
  products of 64 factors. Other pair sets run in chunks of pairs with preallocated buffers.
* :class:`ScoreMatrix` keeps float32/float64 matrices as they are (BLAS ``gemv``, no copy) and reads
  uint8/bool matrices (0/1 results, the observed mask) in cache-sized row blocks converted to
  float64: exact products and sums at a quarter of float32's memory traffic.
* Precision: margins and every sum are float64; the round-robin pass is float64 throughout. The
  chunked pass of other pair sets evaluates ``exp``/``log`` of each pair in float32 when
  :class:`PairTerms` has dtype float32 (what the fit uses on large data), so rounding errors stay
  per pair and average out; float64 values and dtype float64 are the reference path.
* Block loops and pair passes run on a few reused worker threads (numpy releases the GIL).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data import PairSet
from ..scores import BLOCK_ELEMENTS, ScoreMatrix, _parallel, _spans, default_threads, weights_from_theta

PAIR_CHUNK = 1 << 16
"""Pairs per chunk of the general (not complete) pair pass."""


@dataclass(frozen=True)
class WeightFit:
    """Outcome of one optimizer run.

    theta : [n_items] log-weights; weights : [n_items] on the simplex; beta : inverse temperature
    (score units⁻¹); loss : final objective; n_iter, converged, message : from L-BFGS;
    loss_history : objective after each iteration; details : what the weighting chose on the way
    (JSON-ready, e.g. the published method's pull and its cross-validation scores), else empty.
    """

    theta: np.ndarray
    weights: np.ndarray
    beta: float
    loss: float
    n_iter: int
    converged: bool
    message: str
    loss_history: tuple[float, ...]
    details: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# The pair term
# --------------------------------------------------------------------------------------------------


class PairTerms:
    r"""Pairs (a, b, c, p) prepared once for repeated loss/gradient evaluations on scores.

    Evaluates :math:`L(s, \beta) = \frac{1}{\sum c}\sum c\,[\mathrm{softplus}(-z) + (1-p) z]`,
    :math:`z = \beta(s_a - s_b)`, and its exact gradients. The linear part
    :math:`\sum c(\tfrac12 - p) z = \beta\, s \cdot u` is folded into ``u`` [n_models] here;
    :meth:`loss_and_grad` adds the symmetric rest, by the sorted-triangle pass when the pairs are a
    complete round robin with one common weight (``complete`` is True), else chunk by chunk.

    dtype : float32 (fast) or float64 (reference) for exp and log of each pair in the chunked
        pass; margins and every sum are float64 in both, so rounding errors stay per pair and
        average out. The round-robin pass is float64 throughout (it has no exp or log per pair).
    threads : worker threads (default :func:`default_threads`).
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, weight: np.ndarray, target: np.ndarray,
                 n_models: int, dtype: type = np.float64, threads: int | None = None) -> None:
        weight = np.asarray(weight, dtype=np.float64)
        lin = weight * (0.5 - np.asarray(target, dtype=np.float64))
        self.n_models = int(n_models)
        self.dtype = np.dtype(dtype)
        self.threads = default_threads() if threads is None else int(threads)
        self.total = float(weight.sum())
        self.u = np.bincount(a, lin, minlength=n_models) - np.bincount(b, lin, minlength=n_models)
        self.common_weight = float(weight[0]) if len(weight) and np.all(weight == weight[0]) else None
        self.members = (PairSet(a, b, weight, weight).round_robin(n_models)
                        if self.common_weight is not None else None)
        self.complete = self.members is not None
        if not self.complete:
            index = np.int32 if n_models < 2**31 else np.int64
            self.a, self.b = a.astype(index), b.astype(index)
            self.weight = None if self.common_weight is not None else weight

    def loss_and_grad(self, s: np.ndarray, beta: float) -> tuple[float, np.ndarray, float]:
        """``(loss, dloss/ds [n_models], dloss/dlog(beta))`` at scores ``s`` [n_models] float64.

        Every part is invariant to a common shift of the scores (u and the gradients sum to 0), so
        the margins are taken from median-centred scores: no cancellation of large β·s terms.
        """
        finite = np.isfinite(s)
        z = beta * (s - (float(np.median(s[finite])) if finite.any() else 0.0))
        if self.complete:
            sym, gz = self._complete_pass(z)
        else:
            sym, gz = self._chunked_pass(z)
        lin = float(np.dot(z, self.u))
        loss = (lin + sym) / self.total
        gs = beta * (self.u + gz) / self.total
        glog_beta = (lin + float(np.dot(z, gz))) / self.total
        return loss, gs, glog_beta

    def _complete_pass(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """Σ over all member pairs of c(|Δ|/2 + log(1 + e^-|Δ|)) and its gradient on z."""
        zm = z[self.members]
        order = np.argsort(-zm, kind="stable")
        zs = zm[order]
        k = len(zs)
        slope = 0.5 * (k - 1 - 2 * np.arange(k, dtype=np.float64))  # d(Σ|Δ|/2)/dz, sorted
        log_sum, row, col = _sorted_triangle(zs, self.threads)
        c = self.common_weight
        sym = c * (float(np.dot(slope, zs)) + log_sum)
        gz = np.zeros(self.n_models)
        gz[self.members[order]] = c * (slope - row + col)
        return sym, gz

    def _chunked_pass(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """Σ c(|Δ|/2 + log(1 + e^-|Δ|)) over the listed pairs and its gradient on z."""
        spans = _spans(len(self.a), self.threads, PAIR_CHUNK)
        parts = _parallel(lambda span: self._pair_span(z, *span), spans, self.threads)
        sym = sum(p[0] for p in parts)
        gz = np.sum([p[1] for p in parts], axis=0) if parts else np.zeros(self.n_models)
        if self.weight is None:
            sym *= self.common_weight
            gz *= self.common_weight
        return sym, gz

    def _pair_span(self, z: np.ndarray, start: int, stop: int) -> tuple[float, np.ndarray]:
        size = min(PAIR_CHUNK, stop - start)
        d, t64 = np.empty(size), np.empty(size)
        e, t = np.empty(size, dtype=self.dtype), np.empty(size, dtype=self.dtype)
        sym, gz = 0.0, np.zeros(self.n_models)
        for i in range(start, stop, size):
            j = min(i + size, stop)
            a, b, m = self.a[i:j], self.b[i:j], j - i
            c = None if self.weight is None else self.weight[i:j]
            dd, ee = d[:m], e[:m]
            np.subtract(np.take(z, a, out=dd), np.take(z, b, out=t64[:m]), out=dd)  # Δ
            ad = np.abs(dd, out=t64[:m])
            sym += 0.5 * _wsum(ad, c)
            np.negative(ad, out=ee, casting="same_kind")
            np.exp(ee, out=ee)                                      # e^-|Δ|
            sym += _log1p_sum_and_q(ee, t[:m], c)                   # ee becomes q = σ(-|Δ|)
            np.subtract(0.5, ee, out=ee)
            r = np.copysign(ee, dd, dtype=np.float64)               # d/dΔ = sign(Δ)(1/2 - q)
            if c is not None:
                r *= c
            gz += np.bincount(a, r, minlength=self.n_models)
            gz -= np.bincount(b, r, minlength=self.n_models)
        return sym, gz


def _wsum(x: np.ndarray, c: np.ndarray | None) -> float:
    """Σ c x (Σ x without weights) accumulated in float64."""
    return float(x.sum(dtype=np.float64)) if c is None else float(np.dot(c, x.astype(np.float64)))


def _log1p_sum_and_q(e: np.ndarray, scratch: np.ndarray, c: np.ndarray | None = None) -> float:
    """Σ c log(1 + e) for e in [0, 1]; overwrites e with q = e / (1 + e).

    log(1 + e) is the vectorized log of the rounded 1 + e: absolute error below the rounding of the
    terms themselves, and several times faster than float32 log1p.
    """
    np.add(e, 1.0, out=scratch)
    np.divide(e, scratch, out=e)
    np.log(scratch, out=scratch)
    return _wsum(scratch, c)


PRODUCT_SPAN = 600.0
"""Largest margin range within a block of rows for which e^{z_j - z_i} is formed as a product of
per-model exponentials (see :func:`_pair_exp_product`); wider blocks use exp per pair."""

LOG_GROUP = 64
"""Factors 1 + e in (1, 2] multiplied together before one log (at most 2^64)."""


def _sorted_triangle(zs: np.ndarray, threads: int) -> tuple[float, np.ndarray, np.ndarray]:
    """For margins sorted in decreasing order [k] (float64): Σ_{i<j} log(1 + e^{-(z_i - z_j)})
    and, per position, the row sums Σ_{j>i} q_ij and column sums Σ_{i<j} q_ij of
    q = σ(-(z_i - z_j)), all in float64.

    Runs over the upper triangle in row blocks of about BLOCK_ELEMENTS cells, the blocks dealt
    round-robin to the threads (early blocks are longer). No exp or log per pair: e^{z_j - z_i} is
    the product of two per-model exponentials, and log(1 + e) is taken of products of LOG_GROUP
    factors. Float64 costs no more than float32 here (no casts) and keeps the loss free of float32
    rounding noise, which L-BFGS would otherwise see in its last line searches.
    """
    k = len(zs)
    step = max(1, min(k, BLOCK_ELEMENTS // max(k, 1)))
    starts = list(range(0, k - 1, step))
    row = np.zeros(k)

    def blocks(mine: list[int]) -> tuple[float, np.ndarray]:
        size = step * k + LOG_GROUP
        e_buf, d_buf = np.empty(size), np.empty(size)
        col, log_sum = np.zeros(k), 0.0
        for i in mine:
            j = min(i + step, k)
            e = e_buf[: (j - i) * (k - i)].reshape(j - i, k - i)
            if zs[i] - zs[j - 1] <= PRODUCT_SPAN:
                _pair_exp_product(zs, i, j, e)
            else:
                _pair_exp(zs, i, j, e)
            d = d_buf[: e.size].reshape(e.shape)
            np.add(e, 1.0, out=d)
            np.divide(e, d, out=e)                                     # q
            log_sum += _log_product_sum(d_buf, e.size)
            row[i:j] = e.sum(axis=1)
            col[i:] += e.sum(axis=0)
        return log_sum, col

    n_parts = max(1, min(threads, len(starts)))
    parts = _parallel(blocks, [starts[t::n_parts] for t in range(n_parts)], threads)
    return sum(p[0] for p in parts), row, np.sum([p[1] for p in parts], axis=0)


def _pair_exp(zs: np.ndarray, i: int, j: int, e: np.ndarray) -> None:
    """e[r, c] = exp(z[i + c] - z[i + r]) for c > r, else 0 (rows i:j, columns i:)."""
    np.subtract(zs[None, i:], zs[i:j, None], out=e)                    # <= 0 above the diagonal
    # above the diagonal z_c - z_r <= 0; the rest is zeroed below, so cap it at 0 (no overflow);
    # below e^-700 exp turns subnormal (slow), and such terms are far below rounding anyway
    np.clip(e, -700.0, 0.0, out=e)
    np.exp(e, out=e)
    _zero_lower(e, j - i)


def _pair_exp_product(zs: np.ndarray, i: int, j: int, e: np.ndarray) -> None:
    """As :func:`_pair_exp`, with exp(z_c - z_r) = exp(z_c - z_i) · exp(z_i - z_r).

    Column factors below the smallest normal float64 are set to 0: with row factors at most
    e^PRODUCT_SPAN the products lost are below 1e-47, and no product is subnormal.
    """
    with np.errstate(under="ignore"):
        cols = np.exp(zs[i:] - zs[i])                                  # (0, 1], decreasing
    cols[cols < np.finfo(np.float64).tiny] = 0.0
    rows = np.exp(zs[i] - zs[i:j])                                     # [1, e^PRODUCT_SPAN]
    np.multiply(rows[:, None], cols[None, :], out=e)
    _zero_lower(e, j - i)


def _zero_lower(e: np.ndarray, r: int) -> None:
    """Zero the diagonal and below of the leading r × r square (pairs of a model with itself or
    counted in an earlier row)."""
    for t in range(r):
        e[t, : t + 1] = 0.0


def _log_product_sum(buf: np.ndarray, n: int) -> float:
    """Σ log(buf[:n]) for factors in [1, 2], as logs of products of LOG_GROUP factors (float64 sum).

    The factors are viewed as LOG_GROUP rows and multiplied by halving the rows: every product is
    one contiguous vectorized multiply. Overwrites the buffer (which has LOG_GROUP spare cells for
    padding with ones).
    """
    width = -(-n // LOG_GROUP)
    buf[n: width * LOG_GROUP] = 1.0
    prod = buf[: width * LOG_GROUP].reshape(LOG_GROUP, width)
    rows = LOG_GROUP
    while rows > 1:
        rows //= 2
        np.multiply(prod[:rows], prod[rows: 2 * rows], out=prod[:rows])
    return float(np.log(prod[0]).sum(dtype=np.float64))


def pair_loss_and_grad(
    s: np.ndarray, beta: float, *, a: np.ndarray, b: np.ndarray, weight: np.ndarray,
    target: np.ndarray,
) -> tuple[float, np.ndarray, float]:
    """Weighted-mean pairwise cross-entropy on scores ``s`` [n_models] (float64 throughout).

    Returns ``(loss, dloss/ds [n_models], dloss/dlog(beta))``. For repeated evaluations on the same
    pairs, build a :class:`PairTerms` once and call its ``loss_and_grad``.
    """
    terms = PairTerms(a, b, weight, target, s.shape[0], dtype=np.float64)
    return terms.loss_and_grad(np.asarray(s, dtype=np.float64), float(beta))


class Objective:
    """The objective of :func:`loss_and_grad` with its data prepared once: a callable x -> (loss, grad).

    matrix : :class:`ScoreMatrix`; pairs : :class:`PairTerms` on its rows; reg, theta0, log_beta0,
    beta_reg : as in :func:`loss_and_grad`.
    """

    def __init__(self, matrix: ScoreMatrix, pairs: PairTerms, *, reg: float,
                 theta0: np.ndarray | None = None, log_beta0: float = 0.0,
                 beta_reg: float = 1e-2) -> None:
        self.matrix, self.pairs = matrix, pairs
        self.reg, self.log_beta0, self.beta_reg = float(reg), float(log_beta0), float(beta_reg)
        self.prior = None if theta0 is None else theta0 - theta0.mean()

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        theta, log_beta = x[:-1], float(x[-1])
        w = weights_from_theta(theta)
        s, den = self.matrix.scores(w)
        loss, gs, glb = self.pairs.loss_and_grad(s, np.exp(log_beta))
        gw = self.matrix.pullback(gs, s, den)
        gtheta = w * (gw - np.dot(w, gw))
        dev = theta - theta.mean()
        if self.prior is not None:
            dev -= self.prior
        n_items = theta.shape[0]
        loss += 0.5 * self.reg * float(np.dot(dev, dev)) / n_items
        gtheta += self.reg * dev / n_items
        loss += 0.5 * self.beta_reg * (log_beta - self.log_beta0) ** 2
        glb += self.beta_reg * (log_beta - self.log_beta0)
        return loss, np.concatenate([gtheta, [glb]])


def loss_and_grad(
    x: np.ndarray, *, values: np.ndarray, observed: np.ndarray | None, a: np.ndarray,
    b: np.ndarray, weight: np.ndarray, target: np.ndarray, reg: float,
    theta0: np.ndarray | None = None, log_beta0: float = 0.0, beta_reg: float = 1e-2,
) -> tuple[float, np.ndarray]:
    """Objective of the aligned benchmark and its exact gradient.

    x : [n_items + 1] parameters: log-weights theta, then log inverse temperature.
    reg : strength lambda >= 0 of the pull of theta toward ``theta0`` (zeros = uniform weights).
    Returns ``(loss, grad)`` with grad shaped like x. Float64 ``values`` compute in float64; others
    in float32 with float64 sums. Repeated calls on the same data (an optimizer) should build an
    :class:`Objective` once instead.
    """
    matrix = ScoreMatrix(values, observed)
    pairs = PairTerms(a, b, weight, target, values.shape[0], dtype=matrix.dtype)
    return Objective(matrix, pairs, reg=reg, theta0=theta0, log_beta0=log_beta0,
                     beta_reg=beta_reg)(x)

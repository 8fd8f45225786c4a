r"""The score of a model under question weights, computed fast: the numeric core below fitting.

* ``values`` V [n_models, n_items] scores (0 where unobserved), ``observed`` M [n_models, n_items]
  bool or None when complete; weights w [n_items], non-negative;
* score :math:`s_m = \sum_q w_q V_{mq} / \sum_q w_q M_{mq}`: the weighted mean over the items the model
  has (the plain :math:`V w` when complete), [n_models].

:class:`ScoreMatrix` keeps float32/float64 matrices as they are (BLAS ``gemv``, no copy) and reads
uint8/bool matrices (0/1 results, the observed mask) in cache-sized row blocks converted to float64:
exact products and sums at a quarter of float32's memory traffic. Block loops run on a few reused
worker threads (numpy releases the GIL).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.special import softmax

BLOCK_ELEMENTS = 1 << 18
"""Cells of one in-cache block. Also keeps each BLAS call on a block below OpenBLAS' multithreading
cut, whose thread hand-offs cost more than a small product on a busy machine."""

def default_threads() -> int:
    """Worker threads of the block loops: the machine's cores, at most 4 (numpy releases the GIL)."""
    return max(1, min(4, os.cpu_count() or 1))


_POOLS: dict[int, ThreadPoolExecutor] = {}


def _parallel(fn, parts: list, threads: int) -> list:
    """``[fn(p) for p in parts]``, on up to ``threads`` threads.

    The worker threads are created once per thread count and reused: an optimizer calls this a
    few times per evaluation, and starting threads each time would cost milliseconds.
    """
    if threads <= 1 or len(parts) <= 1:
        return [fn(p) for p in parts]
    if threads not in _POOLS:
        _POOLS[threads] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="benchalign")
    return list(_POOLS[threads].map(fn, parts))


def _spans(n: int, parts: int, step: int = 1) -> list[tuple[int, int]]:
    """Split range(n) into up to ``parts`` contiguous spans whose starts are multiples of step."""
    bounds = sorted({min(n, -(-n * k // parts // step) * step) for k in range(parts + 1)})
    return [(i, j) for i, j in zip(bounds[:-1], bounds[1:]) if j > i]


def weights_from_theta(theta: np.ndarray) -> np.ndarray:
    """Softmax of the log-weights ``theta`` [n_items]: non-negative weights that sum to 1."""
    return softmax(theta)


class ScoreMatrix:
    """Models × items scores and observed mask, stored for fast ``V @ w`` and ``V.T @ g``.

    values : [n_models, n_items] float32/float64, used in place (never copied) through BLAS at its
        own precision; or uint8/bool/integer scores such as 0/1 results, read in row blocks
        converted to float64 in cache (exact products and sums, a quarter of float32's memory
        traffic for uint8).
    observed : None (complete), or [n_models, n_items] bool/uint8/float 0-1 mask.
    threads : worker threads of the block loops (default :func:`default_threads`).

    Use :meth:`compact` to build the smallest exact form of a results matrix once (once per fit).
    """

    def __init__(self, values: np.ndarray, observed: np.ndarray | None,
                 threads: int | None = None) -> None:
        if observed is not None and observed.shape != values.shape:
            raise ValueError("ScoreMatrix: observed mask shape does not match values")
        self.values = values
        self.observed = observed
        self.shape = values.shape
        self.threads = default_threads() if threads is None else int(threads)
        self.dtype = np.dtype(np.float32 if values.dtype == np.float32 else np.float64)
        """Precision of the scores: float32 for float32 values, float64 otherwise."""

    @classmethod
    def compact(cls, values: np.ndarray, observed: np.ndarray | None,
                rows: np.ndarray | None = None) -> "ScoreMatrix":
        """The rows ``rows`` (all when None) in the cheapest exact storage.

        Scores that are all integers in [0, 255] (0/1 results) become uint8; others stay in their
        float dtype (a copy only when a subset of rows is taken). A mask with every cell observed
        is dropped. Conversion runs in row blocks: no float64 or full-size temporary.
        """
        n = values.shape[0]
        if rows is not None and len(rows) == n and np.array_equal(rows, np.arange(n)):
            rows = None
        mask = None if observed is None else _take_rows(observed, rows, np.bool_)
        if mask is not None and _all_true(mask):
            mask = None
        if values.dtype != np.uint8 and _is_small_int(values, rows):
            return cls(_take_rows(values, rows, np.uint8), mask)
        return cls(values if rows is None else values[rows], mask)

    def _step(self) -> int:
        return max(1, BLOCK_ELEMENTS // max(self.shape[1], 1))

    def _matvec(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """x @ v as float64 [n_models] (or [n_models, k] for v [n_items, k])."""
        if x.dtype in (np.float32, np.float64):
            return (x @ v.astype(x.dtype, copy=False)).astype(np.float64)
        v = np.asarray(v, dtype=np.float64)
        out = np.empty((x.shape[0], *v.shape[1:]))
        step = self._step()

        def rows(span: tuple[int, int]) -> None:
            buf = np.empty(step * x.shape[1])
            for i in range(span[0], span[1], step):
                j = min(i + step, span[1])
                np.matmul(_dense(x, i, j, buf), v, out=out[i:j])

        _parallel(rows, _spans(x.shape[0], self.threads, step), self.threads)
        return out

    def _rmatvec(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        """x.T @ g as float64 [n_items]."""
        if x.dtype in (np.float32, np.float64):
            return (g.astype(x.dtype) @ x).astype(np.float64)
        step = self._step()

        def rows(span: tuple[int, int]) -> np.ndarray:
            buf = np.empty(step * x.shape[1])
            acc, part = np.zeros(x.shape[1]), np.empty(x.shape[1])
            for i in range(span[0], span[1], step):
                j = min(i + step, span[1])
                np.matmul(g[i:j], _dense(x, i, j, buf), out=part)
                acc += part
            return acc

        return np.sum(_parallel(rows, _spans(x.shape[0], self.threads, step), self.threads), axis=0)

    def scores(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(s, den)``: weighted mean score over observed items and observed weight mass.

        Both [n_models] float64 ([n_models, k] for k weight vectors w [n_items, k], one BLAS
        pass for all); den is all ones when complete; s is NaN where den is 0.
        """
        num = self._matvec(self.values, w)
        if self.observed is None:
            return num, np.ones_like(num)
        den = self._matvec(self.observed, w)
        with np.errstate(invalid="ignore", divide="ignore"):
            return num / den, den

    def pullback(self, gs: np.ndarray, s: np.ndarray, den: np.ndarray) -> np.ndarray:
        """Pull a gradient on scores [n_models] back to the weights [n_items] (float64).

        ds_m/dw_q = (V_mq - s_m M_mq) / den_m, so dL/dw = V^T (g/den) - M^T (g s/den).
        """
        g = gs / den
        gw = self._rmatvec(self.values, g)
        if self.observed is not None:
            gw -= self._rmatvec(self.observed, g * np.nan_to_num(s))
        return gw


def _dense(x: np.ndarray, i: int, j: int, buf: np.ndarray) -> np.ndarray:
    """Rows i:j of x converted into the float buffer ``buf``."""
    out = buf[: (j - i) * x.shape[1]].reshape(j - i, x.shape[1])
    rows = x[i:j].view(np.uint8) if x.dtype == np.bool_ else x[i:j]  # uint8 converts faster
    np.copyto(out, rows, casting="unsafe")
    return out


def _row_chunks(n: int, n_cols: int):
    step = max(1, BLOCK_ELEMENTS // max(n_cols, 1))
    return ((i, min(i + step, n)) for i in range(0, n, step))


def _take_rows(x: np.ndarray, rows: np.ndarray | None, dtype: type) -> np.ndarray:
    """x[rows] converted to ``dtype`` block by block (x itself when nothing changes)."""
    if rows is None and x.dtype == dtype:
        return x
    n = x.shape[0] if rows is None else len(rows)
    out = np.empty((n, x.shape[1]), dtype=dtype)
    for i, j in _row_chunks(n, x.shape[1]):
        out[i:j] = x[i:j] if rows is None else x[rows[i:j]]
    return out


def _all_true(mask: np.ndarray) -> bool:
    return all(mask[i:j].all() for i, j in _row_chunks(mask.shape[0], mask.shape[1]))


def _is_small_int(values: np.ndarray, rows: np.ndarray | None) -> bool:
    """Every (selected) score is an integer in [0, 255], so uint8 holds it exactly."""
    n = values.shape[0] if rows is None else len(rows)
    for i, j in _row_chunks(n, values.shape[1]):
        blk = values[i:j] if rows is None else values[rows[i:j]]
        if blk.min(initial=0) < 0 or blk.max(initial=0) > 255 or not np.array_equal(blk, np.floor(blk)):
            return False
    return True


def model_scores(
    w: np.ndarray, *, values: np.ndarray, observed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean score per model over its observed items.

    Returns ``(s, den)``, both [n_models] float64: the score and the weight mass of the model's
    observed items (1 when complete). A model with no weight on its observed items gets NaN.
    ``values`` may be float32/float64 (used in place) or uint8/bool (read in row blocks).
    """
    return ScoreMatrix(values, observed).scores(w)

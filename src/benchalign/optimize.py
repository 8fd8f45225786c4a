"""The one L-BFGS wrapper of benchalign: every fit (question weights, coverage prior, distillation)
runs through :func:`lbfgs`, which keeps scipy's BLAS on one thread, records the loss history and
reports non-convergence the same way everywhere (:func:`warn_unconverged`)."""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.optimize import minimize

from .errors import ConvergenceWarning

@contextmanager
def scipy_blas_single_threaded():
    """Within the block, run the BLAS that scipy ships (OpenBLAS wheels) on one thread.

    L-BFGS-B makes many level-1 BLAS calls on n_items-long vectors per iteration. A threaded
    OpenBLAS wakes (and then spins) its threads for each of them: on a busy 2-core machine that cost
    25-250 ms per iteration instead of 2-10 ms, and the spinning threads slowed the objective too.
    numpy's BLAS is a separate library in the wheels and keeps its threads. The previous setting
    is restored on exit; without a recognizable scipy OpenBLAS this does nothing.
    """
    lib = _scipy_openblas()
    if lib is None:
        yield
        return
    before = lib.scipy_openblas_get_num_threads()
    lib.scipy_openblas_set_num_threads(1)
    try:
        yield
    finally:
        lib.scipy_openblas_set_num_threads(before)


@functools.cache
def _scipy_openblas():
    import ctypes
    import glob

    import scipy

    root = os.path.dirname(os.path.dirname(scipy.__file__))
    patterns = ("scipy.libs/libscipy_openblas*", "scipy/.dylibs/libscipy_openblas*")
    for path in sorted(p for pattern in patterns for p in glob.glob(os.path.join(root, pattern))):
        try:
            lib = ctypes.CDLL(path)
            lib.scipy_openblas_get_num_threads.restype = ctypes.c_int
            lib.scipy_openblas_set_num_threads.argtypes = [ctypes.c_int]
            return lib
        except (OSError, AttributeError):
            continue
    return None


@dataclass(frozen=True)
class Optimum:
    """Outcome of one :func:`lbfgs` run: the minimizer ``x``, its value ``fun``, iterations,
    whether L-BFGS met its tolerance, scipy's message and the objective after each iteration."""

    x: np.ndarray
    fun: float
    n_iter: int
    converged: bool
    message: str
    history: tuple[float, ...]


def lbfgs(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, *,
          bounds: Sequence[tuple[float | None, float | None]] | None = None, max_iter: int = 500,
          tol: float = 1e-7, ftol: float | None = None) -> Optimum:
    """Minimize ``fun`` (x -> (value, gradient)) from ``x0`` with L-BFGS-B.

    tol : gradient tolerance (``gtol``); ftol : relative decrease tolerance (default ``tol * 1e-3``).
    """
    history: list[float] = []
    with scipy_blas_single_threaded():
        res = minimize(fun, np.asarray(x0, dtype=np.float64), jac=True, method="L-BFGS-B",
                       bounds=bounds,
                       callback=lambda intermediate_result: history.append(float(intermediate_result.fun)),
                       options={"maxiter": max_iter, "gtol": tol,
                                "ftol": tol * 1e-3 if ftol is None else ftol, "maxcor": 10})
    return Optimum(res.x, float(res.fun), int(res.nit), bool(res.success), str(res.message),
                   tuple(history))


class Outcome(Protocol):
    """What :func:`warn_unconverged` reads: an :class:`Optimum`, or a fit built on one."""

    converged: bool
    n_iter: int
    message: str


def warn_unconverged(opt: Outcome, what: str, fix: str, stacklevel: int = 2) -> None:
    """A :class:`~benchalign.errors.ConvergenceWarning` saying that ``what`` did not converge and
    how to ``fix`` it, when ``opt`` did not converge."""
    if not opt.converged:
        warnings.warn(f"{what}: L-BFGS did not converge in {opt.n_iter} iterations ({opt.message}); "
                      f"{fix}", ConvergenceWarning, stacklevel=stacklevel + 1)

"""The one L-BFGS wrapper of benchalign: every iterative fit (question weights, the coverage
prior, Bradley-Terry strengths) runs through :func:`lbfgs`, which keeps scipy's BLAS on one thread, records the loss history and
reports non-convergence the same way everywhere (:func:`warn_unconverged`)."""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import ThreadpoolController

from .errors import ConvergenceWarning


@contextmanager
def scipy_blas_single_threaded() -> Iterator[None]:
    """Within the block, run the BLAS that scipy ships (OpenBLAS wheels) on one thread.

    L-BFGS-B makes many level-1 BLAS calls on n_items-long vectors per iteration. A threaded
    OpenBLAS wakes (and then spins) its threads for each of them: on a busy 2-core machine that
    costs 25-250 ms per iteration instead of 2-10 ms, and the spinning threads slow the objective
    too. numpy's BLAS is a separate library in the wheels and keeps its threads, since the
    objective's matrix-vector products use it. The previous setting is restored on exit; when
    scipy uses no BLAS of its own (e.g. one shared with numpy) this does nothing.
    """
    with _scipy_blas().limit(limits=1):
        yield


@functools.cache
def _scipy_blas() -> ThreadpoolController:
    """The BLAS libraries loaded from scipy's own wheel folders (``scipy.libs``, ``scipy/.dylibs``)."""
    import scipy

    root = os.path.dirname(os.path.dirname(scipy.__file__))
    folders = tuple(os.path.join(root, *d) + os.sep for d in (("scipy.libs",), ("scipy", ".dylibs")))
    controller = ThreadpoolController()
    paths = [info["filepath"] for info in controller.info()
             if info["user_api"] == "blas" and str(info["filepath"]).startswith(folders)]
    return controller.select(filepath=paths)


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

"""Write output files atomically, never overwriting without permission."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import OutputExistsError, ParameterError


def check_writable(path: str | Path, force: bool) -> Path:
    """Fail early, before any work, if ``path`` exists and ``force`` is not set."""
    if str(path) == "-":
        raise ParameterError(
            "-o -: benchalign writes output files, not standard output; give a file name ("
            "`score` prints to standard output when -o is left out)."
        )
    path = Path(path)
    if path.exists() and not force:
        raise OutputExistsError(f"{path}: already exists; pass --force to overwrite it.")
    if not path.parent.exists():
        raise OutputExistsError(f"{path}: the folder {path.parent} does not exist; create it first.")
    return path


def write_atomic(path: str | Path, data: str | bytes, *, force: bool = False) -> Path:
    """Write ``data`` to a temporary file next to ``path``, then rename it into place.

    A crash or Ctrl-C leaves either the old file or the complete new one, never a partial file.
    """
    path = check_writable(path, force)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": ""})) as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def ordering_format(values: np.ndarray, min_digits: int = 6) -> str:
    """A ``%.<d>g`` format with the fewest significant digits (at least ``min_digits``) that
    prints every distinct finite value of ``values`` differently, so the printed column orders
    like the numbers (1.00000001e8 and 1e8 need 9 digits; 0.5 and 0.25 need the minimum)."""
    distinct = np.unique(np.asarray(values, dtype=np.float64))
    distinct = distinct[np.isfinite(distinct)]
    for digits in range(min_digits, 18):
        if len({f"{v:.{digits}g}" for v in distinct}) == len(distinct):
            return f"%.{digits}g"
    return "%.17g"

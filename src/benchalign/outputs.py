"""Write output files atomically, never overwriting without permission, never over an input."""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .errors import OutputError, OutputExistsError, ParameterError


def check_writable(path: str | Path, force: bool,
                   inputs: Mapping[str, str | Path | None] | None = None) -> Path:
    """Fail early, before any work, unless ``path`` can be written.

    Refused: ``path`` resolves to one of ``inputs`` ({what it is, e.g. 'the --results input':
    path}; a file, folder or glob, through symlinks and hard links), even with ``force``; ``path`` exists
    (a dangling symlink counts) and ``force`` is not set; its folder is missing or not writable;
    ``-`` (standard output is not an output file).
    """
    if str(path) == "-":
        raise ParameterError(
            "-o -: benchalign writes output files, not standard output; give a file name ("
            "`score` prints to standard output when -o is left out)."
        )
    path = Path(path)
    for label, source in (inputs or {}).items():
        if source is not None and _same_file(path, source):
            raise OutputError(
                f"{path}: names {label} ({source}); benchalign never writes over a command's "
                "input or another of its outputs, even with --force. Choose another output path."
            )
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputExistsError(f"{path}: already exists; pass --force to overwrite it.")
    _check_folder(path)
    return path


def _same_file(path: Path, source: str | Path) -> bool:
    """Whether writing ``path`` would replace ``source`` or a file its glob matches."""
    matches = [source] if os.path.lexists(source) else glob.glob(str(source))
    target = os.path.realpath(path)
    for match in matches:
        if os.path.realpath(match) == target:
            return True
        try:
            if path.exists() and os.path.samefile(path, match):
                return True
        except OSError:
            continue
    return False


def _check_folder(path: Path) -> None:
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise OutputError(f"{path}: the folder {folder} {what}; create it first.")
    check_folder_writable(folder, name=path.name)


def check_folder_writable(folder: str | Path, *, create: bool = False, name: str = "probe") -> Path:
    """Fail early unless ``folder`` (created first if ``create``) accepts a new file: tried with
    a temporary file, which also catches a read-only file system or permissions that mode bits
    alone do not tell."""
    folder = Path(folder)
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write in this folder ({exc.strerror or exc}); "
                          "choose a writable folder.") from None
    os.close(fd)
    os.unlink(probe)
    return folder


def write_atomic(path: str | Path, data: str | bytes, *, force: bool = False) -> Path:
    """Write ``data`` to a temporary file next to ``path``, then rename it into place.

    A crash or Ctrl-C leaves either the old file or the complete new one, never a partial file;
    a failed write (disk full, ...) raises :class:`OutputError`.
    """
    path = check_writable(path, force)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": ""})) as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{path}: could not be written ({exc.strerror or exc}); nothing was "
                          "changed there.") from exc
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


def write_folder_atomic(path: str | Path, files: Mapping[str, str | bytes], *,
                        force: bool = False) -> Path:
    """Write a folder of files (``{relative name: content}``) next to ``path``, then rename it
    into place; with ``force`` an existing folder at ``path`` is replaced as a whole.

    A crash leaves the old folder or the complete new one (and at worst a hidden temporary
    folder beside it), never a folder with some of the new files.
    """
    path = Path(path)
    if (path.exists() or path.is_symlink()) and not force:
        raise OutputExistsError(f"{path}: already exists; pass --force to replace the folder.")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is not a folder; choose another output path.")
    _check_folder(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    old = None
    try:
        for name, data in files.items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                target.write_bytes(data)
            else:
                target.write_text(data, encoding="utf-8", newline="")
        os.chmod(tmp, 0o777 & ~_umask())
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / path.name)
        os.replace(tmp, path)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"{path}: could not be written ({exc.strerror or exc}).") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return path

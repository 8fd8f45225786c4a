"""Output files: checked before any work, written atomically and all of a command's together
(:class:`Outputs`), never over an input, a folder, a pipe or a device, nor over an existing file
without permission; CSV text cells made safe to open in a spreadsheet (:func:`formula_safe`)."""

from __future__ import annotations

import glob
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import OutputError, OutputExistsError, ParameterError


def check_writable(path: str | Path, force: bool,
                   inputs: Mapping[str, str | Path | None] | None = None, *,
                   folder: bool = False) -> Path:
    """Fail early, before any work, unless ``path`` can be written.

    Refused: ``path`` resolves to one of ``inputs`` ({what it is, e.g. 'the --results input':
    path}; a file, folder or glob, through symlinks and hard links; also a path not yet written,
    so two outputs of one command cannot share a path), even with ``force``; ``path`` exists (a
    dangling symlink counts) and ``force`` is not set; ``path`` is a folder, a named pipe, a
    device or a socket (never replaced, even with ``force``); its name is too long or its folder
    is missing or not writable; ``""`` and ``-`` (standard output is not an output file). With
    ``folder`` the output is a folder written as a whole: an existing folder is what may be
    replaced with ``force``, and a regular file is refused instead.
    """
    if str(path) == "-":
        raise ParameterError(
            "-o -: benchalign writes output files, not standard output; give a file name ("
            "`score` prints to standard output when -o is left out)."
        )
    if str(path) == "":
        raise ParameterError("an output path is empty (''); give a file name.")
    path = Path(path)
    for label, source in (inputs or {}).items():
        if source is not None and _same_file(path, source):
            raise OutputError(
                f"{path}: names {label} ({source}); benchalign never writes over a command's "
                "input or another of its outputs, even with --force. Choose another output path."
            )
    kind = _existing_kind(path)
    wanted = "a folder" if folder else "file"
    if kind not in (None, wanted):
        what = "a folder" if folder else "a regular file"
        raise OutputError(
            f"{path}: is {'a regular file' if kind == 'file' else kind}, not {what}; benchalign "
            f"writes this output as a new {what.split()[-1]} and never replaces or writes into "
            f"anything else, even with --force. Choose a {what.split()[-1]} name.")
    if kind is not None and not force:
        raise OutputExistsError(f"{path}: already exists; pass --force to overwrite it.")
    _check_folder(path)
    return path


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _existing_kind(path: Path) -> str | None:
    """None if nothing is at ``path``; "file" for a regular file or a symlink to one, or to
    nothing; else what it is (through symlinks). A path that cannot be looked up (too long a
    name, no permission, ...) raises :class:`OutputError` naming the reason."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            mode = os.stat(path).st_mode if path.exists() else stat.S_IFREG
    except (FileNotFoundError, NotADirectoryError):  # a missing folder is named by _check_folder
        return None
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or exc}); choose another "
                          "output path.") from None
    return next((kind for test, kind in _KINDS if test(mode)), "file")


def _same_file(path: Path, source: str | Path) -> bool:
    """Whether writing ``path`` would replace ``source`` or a file its glob matches (a source
    not written yet matches by its resolved path)."""
    plain = os.path.lexists(source) or glob.escape(str(source)) == str(source)
    matches = [source] if plain else glob.glob(str(source))
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
    a temporary file (named as :func:`temporary_file` names one for ``name``), which also
    catches a read-only file system or permissions that mode bits alone do not tell."""
    folder = Path(folder)
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        fd, probe = temporary_file(folder / name)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write in this folder ({exc.strerror or exc}); "
                          "choose a writable folder.") from None
    os.close(fd)
    os.unlink(probe)
    return folder


TEMP_NAME_BYTES = 24
"""Temporary names are at most this long, or as long as their target's name if that is longer:
never longer than a name the file system has accepted, however long (255 bytes on most)."""


def temporary_file(path: Path) -> tuple[int, str]:
    """A new temporary file next to ``path`` (open descriptor, path), named ``.NAME.XXXXXXXX.tmp``
    with NAME cut so that the temporary name is no longer (in bytes) than ``path``'s name, or
    than :data:`TEMP_NAME_BYTES`."""
    name = os.fsencode(path.name)
    room = max(len(name), TEMP_NAME_BYTES) - len(b"...tmp") - 8  # 8: mkstemp's random letters
    keep = name[:max(room, 0)].decode("utf-8", errors="ignore")
    return tempfile.mkstemp(prefix=f".{keep}.", suffix=".tmp", dir=path.parent)


class Outputs:
    """The output files of one command, written together or not at all.

    ``with Outputs() as out:`` ... ``out.write(path, data, force=...)`` writes each file to a
    temporary file next to it as soon as its content is ready; leaving the block normally renames
    them all into place (:attr:`written` lists them), leaving it by an exception (an error,
    Ctrl-C) removes them: a command that fails leaves no output, nor a partial file.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[str, Path]] = []
        self.written: list[Path] = []

    def __enter__(self) -> "Outputs":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()
            return
        try:
            for tmp, path in self._staged:
                os.replace(tmp, path)
                self.written.append(path)
        except OSError as exc:
            self.discard()
            raise OutputError(f"{path}: could not be written ({exc.strerror or exc}); "
                              "choose another output path.") from exc
        self._staged = []

    def temporary(self, path: str | Path, *, force: bool = False) -> Path:
        """Check ``path`` (see :func:`check_writable`) and return the temporary file (with the
        usual permissions) that replaces it when the block ends; the caller writes it."""
        path = check_writable(path, force)
        try:
            fd, tmp = temporary_file(path)
        except OSError as exc:
            raise OutputError(f"{path}: could not be written ({exc.strerror or exc}); nothing "
                              "was changed there.") from exc
        os.close(fd)
        self._staged.append((tmp, path))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        return Path(tmp)

    def write(self, path: str | Path, data: str | bytes, *, force: bool = False) -> Path:
        """Stage ``data`` (text as UTF-8) for ``path``; a failed write raises OutputError."""
        tmp = self.temporary(path, force=force)
        try:
            tmp.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        except OSError as exc:
            raise OutputError(f"{path}: could not be written ({exc.strerror or exc}); nothing "
                              "was changed there.") from exc
        return Path(path)

    def discard(self) -> None:
        """Remove the temporary files not yet renamed into place."""
        for tmp, _ in self._staged:
            Path(tmp).unlink(missing_ok=True)
        self._staged = []


def write_atomic(path: str | Path, data: str | bytes, *, force: bool = False) -> Path:
    """Write ``data`` to a temporary file next to ``path``, then rename it into place.

    A crash or Ctrl-C leaves either the old file or the complete new one, never a partial file;
    a failed write (disk full, ...) raises :class:`OutputError`.
    """
    with Outputs() as out:
        out.write(path, data, force=force)
    return out.written[0]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a CSV cell as a formula (OWASP, CSV injection)."""


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula (one starting
    with = + - @, a tab or a carriage return) prefixed with a single quote, as OWASP advises for
    CSV files; a text cell that starts with a quote followed by one of those (or by a quote)
    gets one too, so that :func:`formula_unsafe` gives back every original. Numbers are kept."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column].dtype):
            out[column] = out[column].map(_quote_cell)
    return out


def _quote_cell(value: object) -> object:
    if isinstance(value, str) and (value.startswith(FORMULA_START) or _quoted(value)):
        return "'" + value
    return value


def _quoted(text: str) -> bool:
    return text[:1] == "'" and len(text) > 1 and text[1] in FORMULA_START + ("'",)


def formula_unsafe(text: str) -> str:
    """A cell written by :func:`formula_safe` as it was (the quote it added removed)."""
    return text[1:] if _quoted(text) else text


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

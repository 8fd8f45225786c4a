"""Write a shipped case as plain files that every benchalign command (and any other tool) reads.

``export_case("alpacaeval2", "ae")`` writes into ``ae/``:

* ``results.csv.gz``: the long table ``model, benchmark, item, score`` (observed cells only; scores
  printed with the shortest text that reads back to the stored value);
* ``preferences.csv``, ``items.csv``, and where the case has them ``models.csv``,
  ``preferences_by_category.csv``, ``models_time.csv``: the shipped tables as they are;
* ``README.md``: the case's provenance and license, to keep with any copy of the data.
"""

from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

import numpy as np

from ..errors import OutputError, OutputExistsError, format_rows
from ..outputs import Outputs, check_writable
from . import ARENA_EXTRAS, HERE, OPTIONAL_FILES, case_folder, load_compact

COPIED = ("preferences.csv", "items.csv", *OPTIONAL_FILES)
"""Exported as they are shipped (``items.csv`` is ``items.csv.gz`` decompressed)."""


def export_files(name: str) -> list[str]:
    """The file names :func:`export_case` writes for case ``name``, in the order it writes them."""
    folder = case_folder(name)
    shipped = [f for f in COPIED if (folder / f).exists() or (folder / f"{f}.gz").exists()]
    return ["results.csv.gz", *shipped, "README.md"]


def export_case(name: str, folder: str | Path, *, force: bool = False) -> list[Path]:
    """Write case ``name`` into ``folder`` (created if absent; its parent must exist).

    Every target is checked before anything is written, so an existing file stops the export
    with :class:`OutputExistsError` unless ``force``; each file is written atomically.
    Returns the written paths in the order of :func:`export_files`.
    """
    folder = Path(folder)
    created = _output_folder(folder)
    try:
        targets = [folder / n for n in export_files(name)]
        existing = [t.name for t in targets if t.exists() or t.is_symlink()]
        if existing and not force:
            raise OutputExistsError(
                f"{folder}: {format_rows(existing)} already exist(s); pass --force to overwrite, "
                "or export into another folder.")
        for target in targets:  # a folder or a pipe in the way fails before anything is written
            check_writable(target, force)
        with Outputs() as out:
            for target in targets:
                out.write(target, _content(name, target.name), force=force)
    except BaseException:
        if created:
            shutil.rmtree(folder, ignore_errors=True)  # the export created it: leave nothing
        raise
    return targets


def _output_folder(folder: Path) -> bool:
    """Check (and create) the folder to export into; whether it was created."""
    try:
        if folder.is_dir():
            return False
        if folder.exists() or folder.is_symlink():
            raise OutputExistsError(f"{folder}: exists and is not a folder; name a folder to "
                                    "export into.")
        if not folder.parent.is_dir():
            raise OutputError(
                f"{folder}: its parent folder {folder.parent} does not exist; create it first.")
        folder.mkdir()
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create this folder ({exc.strerror or exc}); "
                          "choose a writable place.") from None
    return True


def _content(name: str, file: str) -> bytes | str:
    shipped = case_folder(name) / file
    if file == "results.csv.gz":
        return results_csv_gz(shipped.with_name("results.npz"))
    if file == "README.md":
        return case_readme(name)
    if shipped.exists():
        return shipped.read_bytes()
    return gzip.decompress(shipped.with_name(f"{file}.gz").read_bytes())


def results_csv_gz(npz: Path) -> bytes:
    """The long table of a compact results file as gzip-compressed CSV (byte-identical reruns)."""
    results = load_compact(npz)
    long = results.to_long()
    if results.values.dtype == np.float32:
        long["score"] = long["score"].astype(np.float32)  # shortest text of the stored value
    buf = io.BytesIO()
    long.to_csv(buf, index=False, compression={"method": "gzip", "mtime": 0})
    return buf.getvalue()


def case_readme(name: str) -> str:
    """The case's section of the shipped README (provenance, license) as a stand-alone file."""
    text = (HERE / "README.md").read_text(encoding="utf-8")
    sections = {part.split("\n", 1)[0]: part for part in text.split("\n## ")[1:]}
    wanted = [v for k, v in sections.items() if k.startswith(f"{name}/")]
    folder = case_folder(name)
    if any((folder / f).exists() for f in ARENA_EXTRAS):
        wanted += [v for k, v in sections.items() if k.startswith("Arena extras")]
    body = "\n## ".join(w.rstrip() + "\n" for w in wanted)
    return (f"# benchalign shipped case `{name}`\n\nExported with `benchalign datasets export`. "
            f"These files keep their own license (below); they are not covered by benchalign's "
            f"code license.\n\n## {body}")

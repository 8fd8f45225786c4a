"""Read tables from disk into pandas DataFrames, with clear errors for unreadable files.

This is the I/O edge of the package: it knows about files, suffixes, compression, delimiters and
encodings, and nothing about models or preferences. :mod:`benchalign.data` validates the frames.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from pathlib import Path

import pandas as pd

from ..errors import InputFormatError

_CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")
TEXT_COLUMNS = ("model", "benchmark", "item", "winner", "loser", "model_a", "model_b", "organization",
                "family", "from", "to", "arena_model", "model_name", "model_id", "name", "key",
                "list_id")
"""Columns always read as text, so that a model named '007' is not read as the number 7."""


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suf in _PARQUET_SUFFIXES + _CSV_SUFFIXES + (".json", ".jsonl", ".jsonl.gz", ".json.gz"):
        if name.endswith(suf):
            return suf
    return path.suffix.lower()


def read_table(path: str | Path, text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV / CSV.gz / TSV / Parquet / JSON(L) table; name columns are always read as text.

    text_columns : more columns to keep as text (besides :data:`TEXT_COLUMNS`).
    Raises :class:`InputFormatError` naming the file for a missing, empty, header-only, truncated,
    wrongly encoded or wrongly delimited file.
    """
    path = Path(path)
    if not path.exists():
        raise InputFormatError(f"{path}: file not found. Check the path.")
    if path.is_dir():
        raise InputFormatError(
            f"{path}: is a directory, expected a table file (CSV, CSV.gz, TSV or Parquet)."
        )
    suffix = _suffix(path)
    try:
        if suffix in _PARQUET_SUFFIXES:
            frame = pd.read_parquet(path)
        elif suffix in (".json", ".jsonl", ".json.gz", ".jsonl.gz"):
            frame = pd.read_json(path, lines=suffix.startswith(".jsonl"), dtype=False)
        else:
            if not suffix.endswith(".gz"):
                _check_binary(path)
            frame = _read_csv(path, sep="\t" if suffix.startswith(".tsv") else ",",
                              text_columns=TEXT_COLUMNS + tuple(text_columns))
    except InputFormatError:
        raise
    except UnicodeDecodeError as exc:
        raise InputFormatError(
            f"{path}: not valid UTF-8 text (byte {exc.start}: {exc.reason}). "
            "Re-save the file as UTF-8."
        ) from exc
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputFormatError(
            f"{path}: the compressed file is truncated or corrupt ({exc}). "
            "Re-download or re-compress it."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFormatError(f"{path}: the file is empty; expected a header and data rows.") from exc
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise InputFormatError(f"{path}: cannot be parsed as a {suffix or 'CSV'} table: {exc}") from exc
    if frame.shape[0] == 0:
        raise InputFormatError(
            f"{path}: has a header ({', '.join(map(str, frame.columns))}) but no data rows."
        )
    frame.attrs["source"] = str(path)
    return frame


_MAGIC = ((b"PAR1", "a Parquet file", ".parquet"), (b"\x1f\x8b", "gzip-compressed", ".csv.gz"),
          (b"PK\x03\x04", "a zip archive", "an unzipped .csv"),
          (b"\xd0\xcf\x11\xe0", "an old Excel workbook", ".csv (export it from Excel)"))


def _check_binary(path: Path) -> None:
    """A text table that is really a binary file: say what the file is, not that it is not UTF-8."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    for magic, what, suffix in _MAGIC:
        if head.startswith(magic):
            raise InputFormatError(f"{path}: is {what}, not a text table; name it {suffix} (or convert it).")


def _read_csv(path: Path, sep: str, text_columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.read_csv(
        path, sep=sep, dtype=dict.fromkeys(text_columns, str), keep_default_na=False,
        na_values=[""], encoding="utf-8",
    )
    if frame.shape[1] == 1:
        _check_delimiter(path, frame.columns[0], sep)
    _check_header(path, sniff_header(path))
    if not path.name.lower().endswith(".gz"):
        _index_by_file_line(path, frame)
    return frame


def _index_by_file_line(path: Path, frame: pd.DataFrame) -> None:
    """Label rows ``file line - 2`` (what messages add 2 to) when blank lines, which pandas skips,
    would otherwise shift the line numbers of messages. Costs one pass over the file's bytes."""
    with open(path, "rb") as fh:
        chunks = iter(lambda: fh.read(1 << 24), b"")
        breaks, last = 0, b"\n"
        for chunk in chunks:
            breaks, last = breaks + chunk.count(b"\n"), chunk[-1:]
    n_lines = breaks + (last != b"\n")
    if n_lines == len(frame) + 1:
        return
    with open(path, "rb") as fh:
        filled = [i for i, line in enumerate(fh, start=1) if line.strip()]
    if len(filled) == len(frame) + 1:  # else quoted line breaks: keep pandas' numbering
        frame.index = pd.Index(filled[1:]) - 2


def _check_header(path: Path, header: list[str]) -> None:
    """Column names are unique and unpadded (pandas would rename a repeat 'q1' to 'q1.1')."""
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise InputFormatError(
            f"{path}: the header repeats the column(s) {', '.join(map(repr, repeated))}. "
            "Give every column its own name."
        )
    padded = [c for c in header if c != c.strip()]
    if padded:
        raise InputFormatError(
            f"{path}: column names with spaces around them: {', '.join(map(repr, padded))}. "
            "Write the header without spaces after the commas (model,benchmark,item,score)."
        )


def _check_delimiter(path: Path, header: str, sep: str) -> None:
    """A one-column table whose header holds another delimiter was written with that delimiter."""
    for other, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (",", "comma")):
        if other != sep and other in str(header):
            raise InputFormatError(
                f"{path}: read a single column {header!r} with delimiter {sep!r}, but the header "
                f"contains {name}s. Save the file comma-separated (CSV), or tab-separated with a "
                ".tsv suffix."
            )


def sniff_header(path: str | Path) -> list[str]:
    """Column names of a CSV/TSV/Parquet file without reading its rows (for format detection)."""
    path = Path(path)
    suffix = _suffix(path)
    if suffix in _PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    opener = gzip.open if suffix.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:  # type: ignore[operator]
        line = fh.readline()
    sep = "\t" if suffix.startswith(".tsv") else ","
    return next(csv.reader(io.StringIO(line), delimiter=sep), [])

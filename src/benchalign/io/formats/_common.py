"""Shared helpers of the tool-format readers: JSON(L) reading and the long-table builder.

Readers collect one :class:`Row` per (model, item) with the place it came from (``file:line`` or
``file: doc id``), so that every later error names the record, then call :func:`long_frame`.
"""

from __future__ import annotations

import glob
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import DataValidationError, InputFormatError, format_rows

LONG_COLUMNS = ["model", "benchmark", "item", "score"]


@dataclass(frozen=True)
class Row:
    """One score of one model on one item, and where it was read (for messages)."""

    model: str
    benchmark: str
    item: str
    score: float
    origin: str


def read_json(path: Path) -> Any:
    """Parse a whole JSON file; :class:`InputFormatError` naming the file and position if invalid."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError as exc:
        raise InputFormatError(f"{path}: file not found. Check the path.") from exc
    except UnicodeDecodeError as exc:
        raise InputFormatError(f"{path}: not valid UTF-8 text. Re-save the file as UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise InputFormatError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}). "
            "Was the file truncated? Re-export it."
        ) from exc


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, record)`` for each non-blank line of a JSONL file (1-based lines).

    A line that is not a JSON object raises :class:`InputFormatError` naming the line.
    """
    try:
        fh = open(path, encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputFormatError(f"{path}: file not found. Check the path.") from exc
    with fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputFormatError(
                    f"{path}:{lineno}: not valid JSON ({exc.msg}). Each line of a JSONL file must "
                    "be one JSON object; was the file truncated or concatenated wrongly?"
                ) from exc
            if not isinstance(record, dict):
                raise InputFormatError(
                    f"{path}:{lineno}: expected a JSON object per line, got "
                    f"{type(record).__name__}."
                )
            yield lineno, record


def read_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Records of a JSON array file or a JSONL file, each with its origin (``file:line`` / ``file[i]``)."""
    name = path.name.lower()
    if name.endswith(".jsonl"):
        return [(f"{path}:{ln}", rec) for ln, rec in iter_jsonl(path)]
    data = read_json(path)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InputFormatError(
            f"{path}: expected a JSON array of records (or JSONL), got {type(data).__name__}."
        )
    out = []
    for i, rec in enumerate(data):
        if not isinstance(rec, dict):
            raise InputFormatError(f"{path}[{i}]: expected a JSON object, got {type(rec).__name__}.")
        out.append((f"{path}[{i}]", rec))
    return out


def as_score(value: Any, origin: str, what: str, fix: str) -> float:
    """A finite float from a JSON value (bools count as 0/1); otherwise :class:`DataValidationError`."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(float(value)):
        return float(value)
    found = "missing" if value is None else f"{value!r}"
    raise DataValidationError(f"{origin}: {what} is {found}, expected a finite number. {fix}")


def expand_paths(path: str | Path) -> list[Path]:
    """The path itself, or the sorted matches of a glob pattern (``*``, ``?``, ``[``)."""
    text = str(path)
    if any(ch in text for ch in "*?["):
        matches = sorted(Path(p) for p in glob.glob(text, recursive=True))
        if not matches:
            raise InputFormatError(f"{text}: the pattern matches no file or directory.")
        return matches
    p = Path(text)
    if not p.exists():
        raise InputFormatError(f"{p}: file or directory not found. Check the path.")
    return [p]


def long_frame(rows: list[Row], source: str) -> pd.DataFrame:
    """The long table ``model, benchmark, item, score`` of ``rows``, ``attrs['source'] = source``.

    Raises :class:`InputFormatError` when there are no rows and :class:`DataValidationError` when a
    (model, item) pair is read twice, naming both records.
    """
    if not rows:
        raise InputFormatError(f"{source}: no results were found. Check the path and options.")
    seen: dict[tuple[str, str], str] = {}
    clashes: list[str] = []
    for r in rows:
        key = (r.model, r.item)
        if key in seen:
            clashes.append(f"({r.model!r}, {r.item!r}) at {seen[key]} and {r.origin}")
        else:
            seen[key] = r.origin
    if clashes:
        raise DataValidationError(
            f"{source}: {len(clashes)} (model, item) pairs are read more than once: "
            f"{format_rows(clashes, 3)}. Point at one run per model (or remove the repeated "
            "output), or map the duplicate model names apart."
        )
    frame = pd.DataFrame(
        {
            "model": [r.model for r in rows],
            "benchmark": [r.benchmark for r in rows],
            "item": [r.item for r in rows],
            "score": [r.score for r in rows],
        },
        columns=LONG_COLUMNS,
    )
    frame.attrs["source"] = source
    return frame

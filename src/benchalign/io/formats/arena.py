"""Chatbot Arena / LMArena battle logs and leaderboard rating tables, as preference frames.

Battles (JSON array, JSONL, CSV/Parquet): ``model_a``, ``model_b`` and either ``winner`` (``model_a``,
``model_b``, ``tie``, ``tie (bothbad)`` or ``both_bad``) or the one-hot columns ``winner_model_a``,
``winner_model_b``, ``winner_tie`` (Kaggle LMSYS layout). Optional ``language``, ``is_<category>`` /
``category_tag`` flags and ``tstamp`` / ``timestamp`` are used by the filters.
Out: a battles frame ``model_a, model_b, winner`` (both-bad ties spelled ``tie (bothbad)``), which
:func:`benchalign.data.preferences_from_frame` aggregates to pair counts.

Leaderboards (CSV/TSV/Parquet/JSON): a model column and a rating column.
Out: a ratings frame ``model, rating`` (negated when lower is better, e.g. ranks).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...data import parse_scores
from ...errors import DataValidationError, InputFormatError, InsufficientDataError, format_rows
from ..readers import read_table
from ._common import read_records

logger = logging.getLogger("benchalign")

WINNERS = {"model_a": "model_a", "model_b": "model_b", "tie": "tie",
           "tie (bothbad)": "tie (bothbad)", "both_bad": "tie (bothbad)"}
ONE_HOT = ("winner_model_a", "winner_model_b", "winner_tie")
MODEL_COLUMNS = ("model", "model_name", "name", "arena_model", "key")
RATING_COLUMNS = ("rating", "elo", "arena_elo", "arena score", "arena_score", "arena elo rating",
                  "elo rating", "score")
WIN_RATE_COLUMNS = ("win_rate", "length_controlled_winrate", "discrete_win_rate")
"""Columns of a win-rate leaderboard (AlpacaEval): a leaderboard, whose rating column is named by the user."""


# --------------------------------------------------------------------------------------------------
# Battles
# --------------------------------------------------------------------------------------------------


def is_battle_columns(columns: Sequence[str]) -> bool:
    """True when columns hold battles (``model_a, model_b`` and ``winner`` or the one-hot columns)."""
    cols = set(map(str, columns))
    return {"model_a", "model_b"} <= cols and ("winner" in cols or set(ONE_HOT) <= cols)


def _battle_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    name = path.name.lower()
    if name.endswith((".json", ".jsonl")):
        return read_records(path)
    frame = read_table(path)
    records = frame.to_dict(orient="records")
    return [(f"{path}: line {i + 2}", rec) for i, rec in enumerate(records)]


def read_battles(
    path: str | Path,
    language: str | Sequence[str] | None = None,
    category: str | Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> pd.DataFrame:
    """Read a battle log into a battles frame ``model_a, model_b, winner``.

    language : keep battles in these languages (case-insensitive; field ``language``).
    category : keep battles in any of these categories: a ``category`` field equal to it, a true
        ``is_<category>`` flag, or a true ``<category>`` key inside ``category_tag``.
    since, until : keep battles with ``tstamp``/``timestamp`` in [since, until] (UTC dates or
        ISO times; a date-only ``until`` includes that whole day).

    A record that a requested filter cannot be evaluated on (no such field) raises
    :class:`InputFormatError`; unknown winner labels raise :class:`DataValidationError`.
    """
    path = Path(path)
    if not path.exists():
        raise InputFormatError(f"{path}: file not found. Check the path.")
    records = _battle_records(path)
    if not records:
        raise InputFormatError(f"{path}: the battle log is empty.")
    keep = _Filters(language, category, since, until)
    rows = []
    for origin, rec in records:
        if keep(origin, rec):
            rows.append((_name(rec, "model_a", origin), _name(rec, "model_b", origin),
                         _winner(rec, origin)))
    if not rows:
        raise InsufficientDataError(
            f"{path}: the filters ({keep.describe()}) keep none of the {len(records)} battles."
        )
    if keep.active:
        logger.info("%s: %d of %d battles kept by %s", path, len(rows), len(records), keep.describe())
    frame = pd.DataFrame(rows, columns=["model_a", "model_b", "winner"])
    frame.attrs["source"] = str(path)
    return frame


def _name(rec: dict[str, Any], key: str, origin: str) -> str:
    value = rec.get(key)
    if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip():
        raise DataValidationError(f"{origin}: battle has no {key}. Fill it in or delete the record.")
    return str(value)


def _winner(rec: dict[str, Any], origin: str) -> str:
    if "winner" in rec and rec["winner"] is not None and not _is_nan(rec["winner"]):
        label = str(rec["winner"]).strip()
        if label not in WINNERS:
            raise DataValidationError(
                f"{origin}: unknown winner {label!r}. Allowed: {', '.join(WINNERS)}. An unknown "
                "label is never read as a tie."
            )
        return WINNERS[label]
    if all(k in rec for k in ONE_HOT):
        flags = [_flag(rec[k], k, origin) for k in ONE_HOT]
        if sum(flags) != 1:
            raise DataValidationError(
                f"{origin}: winner_model_a, winner_model_b, winner_tie = {flags}; exactly one must "
                "be 1."
            )
        return ("model_a", "model_b", "tie")[flags.index(1)]
    raise InputFormatError(
        f"{origin}: battle has no winner (neither 'winner' nor the columns {', '.join(ONE_HOT)})."
    )


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and np.isnan(value)


def _flag(value: Any, key: str, origin: str) -> int:
    if isinstance(value, (bool, np.bool_)) or value in (0, 1):
        return int(value)
    raise DataValidationError(f"{origin}: {key} is {value!r}, expected 0 or 1.")


class _Filters:
    """The language / category / date filters of a battle log, as one predicate."""

    def __init__(self, language: Any, category: Any, since: str | None, until: str | None) -> None:
        self.languages = {s.lower() for s in _as_list(language)}
        self.categories = _as_list(category)
        self.since = _parse_time(since, "since", end_of_day=False)
        self.until = _parse_time(until, "until", end_of_day=True)
        self.active = bool(self.languages or self.categories or self.since or self.until)

    def describe(self) -> str:
        parts = []
        if self.languages:
            parts.append(f"language in {sorted(self.languages)}")
        if self.categories:
            parts.append(f"category in {self.categories}")
        if self.since:
            parts.append(f"since {self.since.isoformat()}")
        if self.until:
            parts.append(f"until {self.until.isoformat()}")
        return "; ".join(parts) or "no filter"

    def __call__(self, origin: str, rec: dict[str, Any]) -> bool:
        if self.languages:
            if rec.get("language") is None:
                raise InputFormatError(
                    f"{origin}: battle has no 'language' field; the language filter needs it on "
                    "every record. Drop --language, or add the field."
                )
            if str(rec["language"]).lower() not in self.languages:
                return False
        if self.categories and not any(_in_category(rec, c, origin) for c in self.categories):
            return False
        if self.since or self.until:
            when = _record_time(rec, origin)
            if (self.since and when < self.since) or (self.until and when >= self.until):
                return False
        return True


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [s.strip() for v in items for s in str(v).split(",") if s.strip()]


def _parse_time(text: str | None, name: str, end_of_day: bool) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(str(text))
    except ValueError as exc:
        raise InputFormatError(
            f"--{name} {text!r} is not a date; use YYYY-MM-DD or an ISO time like 2024-05-01T12:00."
        ) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if end_of_day and len(str(text)) == 10:
        when += timedelta(days=1)
    return when


def _record_time(rec: dict[str, Any], origin: str) -> datetime:
    for key in ("tstamp", "timestamp"):
        value = rec.get(key)
        if value is None or _is_nan(value):
            continue
        try:
            if isinstance(value, (int, float)):
                return datetime.fromtimestamp(float(value), tz=timezone.utc)
            when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        except (ValueError, OverflowError, OSError) as exc:
            raise DataValidationError(
                f"{origin}: {key} {value!r} is not a time (unix seconds or ISO 8601)."
            ) from exc
    raise InputFormatError(
        f"{origin}: battle has no 'tstamp' or 'timestamp'; --since/--until need one on every record."
    )


def _in_category(rec: dict[str, Any], name: str, origin: str) -> bool:
    if "category" in rec and rec["category"] is not None:
        value = rec["category"]
        return name in value if isinstance(value, list) else str(value) == name
    for key in (f"is_{name}", name):
        if key in rec and isinstance(rec[key], (bool, np.bool_)):
            return bool(rec[key])
    tags = rec.get("category_tag")
    if isinstance(tags, str):
        try:
            tags = json.loads(tags)
        except ValueError:
            tags = None
    found = _find_flag(tags, name) if isinstance(tags, dict) else None
    if found is None:
        raise InputFormatError(
            f"{origin}: cannot tell whether the battle is in category {name!r}: no 'category' "
            f"field, no boolean 'is_{name}' and no {name!r} flag in 'category_tag'. Check the "
            "spelling of --category against the file's fields."
        )
    return found


def _find_flag(tags: dict[str, Any], name: str) -> bool | None:
    """A boolean ``name`` key anywhere in a nested ``category_tag`` dict (None if absent)."""
    for key, value in tags.items():
        if key == name and isinstance(value, bool):
            return value
        if isinstance(value, dict):
            found = _find_flag(value, name)
            if found is not None:
                return found
    return None


# --------------------------------------------------------------------------------------------------
# Leaderboard ratings
# --------------------------------------------------------------------------------------------------


def read_leaderboard(
    path: str | Path,
    model_column: str | None = None,
    rating_column: str | None = None,
    lower_is_better: bool = False,
    keep_columns: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Read a leaderboard table into a ratings frame ``model, rating`` (higher is better).

    model_column : default the first of model, model_name, name, arena_model, key (any case).
    rating_column : default the first of rating, elo, arena_elo, arena score, score (any case);
        a rank column is never guessed: name it and pass ``lower_is_better``.
    lower_is_better : the column is a rank or loss; ratings are its negation.
    keep_columns : further columns to keep, read as text (e.g. a population column).
    """
    frame = read_table(path, text_columns=((model_column,) if model_column else ()) + keep_columns)
    model_col = _pick(frame, model_column, MODEL_COLUMNS, "model", "--model-column")
    rating_col = _pick(frame, rating_column, RATING_COLUMNS, "rating", "--rating-column")
    ratings = parse_scores(frame, rating_col, what="rating")
    out = pd.DataFrame({"model": frame[model_col].to_numpy(dtype=object),
                        "rating": -ratings if lower_is_better else ratings}, index=frame.index)
    out["model"] = [None if _is_nan(m) or m is None else str(m) for m in out["model"]]
    for column in keep_columns:
        if column in frame.columns and column not in out.columns:
            out[column] = frame[column].to_numpy(dtype=object)
    out.attrs["source"] = str(path)
    return out


def is_unnamed(column: str) -> bool:
    """A header cell left empty (pandas reads it as ``Unnamed: 0``): a written-out index column."""
    return column == "" or column.startswith("Unnamed: ")


def _pick(frame: pd.DataFrame, given: str | None, candidates: Sequence[str], what: str,
          flag: str) -> str:
    columns = [str(c) for c in frame.columns]
    if given is not None:
        if given not in columns:
            raise InputFormatError(
                f"{frame.attrs.get('source')}: no column {given!r} ({flag}); columns are "
                f"{', '.join(columns)}."
            )
        return given
    lower = {c.lower(): c for c in columns}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    if what == "model" and columns and is_unnamed(columns[0]):
        return columns[0]  # a pandas index written out: AlpacaEval's leaderboards name models so
    raise InputFormatError(
        f"{frame.attrs.get('source')}: cannot tell which column holds the {what}; columns are "
        f"{format_rows(columns, 12)}. Name it with {flag}."
    )

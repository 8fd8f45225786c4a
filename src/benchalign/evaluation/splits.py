"""Splits of the rated models into training and held-out models: random hold-outs, a size
threshold (train on small models, rank large ones), groups (no group on both sides) and release
time (train on models released before a date). Deterministic given the seed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import Results
from ..errors import DataValidationError, InsufficientDataError, ParameterError, format_rows

logger = logging.getLogger("benchalign")

@dataclass(frozen=True)
class Split:
    """One division of rated models (results rows) into train and test."""

    train: np.ndarray
    test: np.ndarray


@dataclass(frozen=True)
class SplitSpec:
    """A family of splits, parsed from ``random[:FRACTION[:REPEATS]]``, ``size:THRESHOLD_B``,
    ``group:COLUMN[:FRACTION[:REPEATS]]`` or ``time:COLUMN:DATE``.

    date : for time splits, the date (or date-time) text as given; models whose ``column``
        is before it train, the others are held out.
    date_format : for time splits, the one format of ``date`` and of every cell of ``column``: a
        ``strftime`` pattern (e.g. ``%d/%m/%Y``), or "" for ISO 8601 (``2024-01-31``,
        ``2024-01-31T12:00:00+05:00``). Dates with a time zone are converted to UTC; dates
        without one are read as UTC.
    """

    kind: str
    fraction: float = 0.3
    repeats: int = 20
    threshold: float = 0.0
    column: str = ""
    date: str = ""
    date_format: str = ""

    @property
    def name(self) -> str:
        if self.kind == "size":
            return f"size:{self.threshold:g}"
        if self.kind == "group":
            return f"group:{self.column}"
        if self.kind == "time":
            return f"time:{self.column}:{self.date}"
        return "random"

    def describe(self) -> str:
        if self.kind == "size":
            return (f"train on models below {self.threshold:g}B parameters, test on models at or "
                    "above it")
        if self.kind == "time":
            return (f"train on models with {self.column} before {self.date} (read as "
                    f"{self.date_format or 'ISO 8601'}, in UTC), test on models on or after it")
        if self.kind == "group":
            return (f"{self.repeats} random hold-outs of {self.fraction:.0%} of the '{self.column}' "
                    "groups (no group on both sides)")
        return f"{self.repeats} random hold-outs of {self.fraction:.0%} of the rated models"


def parse_split(text: str, *, fraction: float = 0.3, repeats: int = 20,
                date_format: str | None = None) -> SplitSpec:
    """Parse a split specification; raise :class:`ParameterError` with the accepted forms.

    date_format : the ``strftime`` pattern of a time split's date and column (None: ISO 8601).
    """
    parts = text.strip().split(":")
    usage = ("Use 'random[:FRACTION[:REPEATS]]' (e.g. random:0.3:20), 'size:THRESHOLD' in billions "
             "of parameters (e.g. size:13), 'group:COLUMN[:FRACTION[:REPEATS]]' (e.g. "
             "group:organization), or 'time:COLUMN:DATE' (e.g. time:first_seen:2024-01-01; "
             "DATE in ISO 8601 or in the --date-format; a fixed date, not 'now' or 'today').")
    try:
        if parts[0] == "random" and len(parts) <= 3:
            spec = SplitSpec("random", float(parts[1]) if len(parts) > 1 else fraction,
                             int(parts[2]) if len(parts) > 2 else repeats)
        elif parts[0] == "size" and len(parts) == 2:
            spec = SplitSpec("size", threshold=float(parts[1]), repeats=1)
        elif parts[0] == "group" and 2 <= len(parts) <= 4 and parts[1]:
            spec = SplitSpec("group", float(parts[2]) if len(parts) > 2 else fraction,
                             int(parts[3]) if len(parts) > 3 else repeats, column=parts[1])
        elif parts[0] == "time" and len(parts) >= 3 and parts[1]:
            date = ":".join(parts[2:])  # a date-time keeps its own colons
            spec = SplitSpec("time", repeats=1, column=parts[1], date=date,
                             date_format=date_format or "")
            if pd.isna(parse_dates(pd.Series([date], dtype=object), spec.date_format)[0]):
                raise ValueError
        else:
            raise ValueError
    except ValueError:
        raise ParameterError(f"The split {text!r} is not understood. {usage}") from None
    if not 0 < spec.fraction < 1 or spec.repeats < 1:
        raise ParameterError(
            f"The split {text!r} needs a fraction in (0, 1) and at least 1 repeat. {usage}"
        )
    return spec


def make_splits(spec: SplitSpec, results: Results, rated: np.ndarray,
                models: pd.DataFrame | None, seed: int) -> list[Split]:
    """Concrete splits of the rated rows for a spec (deterministic given ``seed``)."""
    rng = np.random.default_rng(seed)
    if spec.kind == "random":
        n_test = max(2, int(round(spec.fraction * len(rated))))
        if len(rated) - n_test < 2:
            raise InsufficientDataError(
                f"random split: {len(rated)} rated models leave fewer than 2 for training when "
                f"{n_test} are held out; rate more models or lower the fraction."
            )
        out = []
        for _ in range(spec.repeats):
            perm = rng.permutation(rated)
            out.append(Split(np.sort(perm[n_test:]), np.sort(perm[:n_test])))
        return out
    column = "params_b" if spec.kind == "size" else spec.column
    values = _metadata_column(results, rated, models, column, spec.name)
    if spec.kind == "time":
        return [_time_split(spec, results, rated, values)]
    if spec.kind == "size":
        known = np.isfinite(values.astype(np.float64))
        small = known & (values.astype(np.float64) < spec.threshold)
        big = known & (values.astype(np.float64) >= spec.threshold)
        if (~known).any():
            logger.warning("%s: %d rated models of unknown size are left out: %s", spec.name,
                           (~known).sum(), format_rows(results.models[rated[~known]].tolist()))
        return [Split(rated[small], rated[big])]
    return _group_splits(spec, rated, values, rng)


RELATIVE_DATES = ("now", "today", "yesterday", "tomorrow")
"""Words pandas reads as the clock's date: never a date here (a split must not move with the day
it runs)."""


def parse_dates(text: pd.Series, date_format: str) -> pd.Series:
    """Text cells [n] as UTC timestamps in one format (``strftime`` pattern, or "" for ISO
    8601); NaT where a cell is not a date in that format or is a relative word
    (:data:`RELATIVE_DATES`). A time zone is converted to UTC; no time zone means UTC."""
    words = text.astype(str).str.strip().str.lower().isin(RELATIVE_DATES).to_numpy()
    dates = pd.to_datetime(text.where(~words, None), format=date_format or "ISO8601", utc=True,
                           errors="coerce")
    return pd.Series(dates, index=text.index)


def _time_split(spec: SplitSpec, results: Results, rated: np.ndarray,
                values: np.ndarray) -> Split:
    """Train on rated models whose date is before ``spec.date``, test on the others; models
    without a date are left out (with a warning), a value that is not a date in the split's one
    format (ISO 8601 or ``spec.date_format``) is an error, and so is a number unless a format
    says how to read it (20230601 with ``%Y%m%d``)."""
    raw = pd.Series(values, dtype=object)
    blank = (raw.isna() | raw.astype(str).str.strip().isin(("", "NaT", "nan"))).to_numpy()
    numeric = np.array([isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                        for v in raw]) & ~blank
    names = results.models[rated]
    if numeric.any() and not spec.date_format:
        shown = [f"{m} ({v!r})" for m, v in zip(names[numeric], raw[numeric])]
        raise DataValidationError(
            f"{spec.name}: the '{spec.column}' column holds numbers, not dates, for "
            f"{format_rows(shown)}: a number could be YYYYMMDD, a year or seconds since 1970. "
            "Write dates as YYYY-MM-DD, or say how to read them with --date-format (e.g. "
            "%Y%m%d for 20230601, %Y for 2023).")
    text = raw.where(~numeric, raw.map(lambda v: f"{v:.0f}" if isinstance(v, float) else str(v)))
    dates = parse_dates(text.where(~blank, None), spec.date_format)
    bad = dates.isna().to_numpy() & ~blank
    if bad.any():
        shown = [f"{m} ({v!r})" for m, v in zip(names[bad], raw[bad])]
        expected = (f"dates in the format {spec.date_format!r}" if spec.date_format else
                    "ISO 8601 dates (YYYY-MM-DD, or a date-time, with or without a time zone)")
        raise DataValidationError(
            f"{spec.name}: the '{spec.column}' column is not a date for {format_rows(shown)}. "
            f"Give {expected} (one format for the whole column; --date-format names another), "
            "or leave the cell empty when unknown.")
    known = ~blank
    if blank.any():
        logger.warning("%s: %d rated models without a %s are left out: %s", spec.name,
                       blank.sum(), spec.column, format_rows(names[blank].tolist()))
    threshold = parse_dates(pd.Series([spec.date], dtype=object), spec.date_format)[0]
    before = known & (dates < threshold).to_numpy()
    return Split(rated[before], rated[known & ~before])


def _metadata_column(results: Results, rated: np.ndarray, models: pd.DataFrame | None,
                     column: str, split_name: str) -> np.ndarray:
    if models is None:
        raise ParameterError(
            f"the {split_name} split needs model metadata; pass --models PATH with columns "
            f"model, {column}."
        )
    if column not in models.columns:
        raise ParameterError(
            f"the {split_name} split needs a '{column}' column in the model metadata; found "
            f"{', '.join(map(str, models.columns))}."
        )
    names = results.models[rated]
    missing = [n for n in names if n not in models.index]
    if missing:
        raise InsufficientDataError(
            f"the model metadata lacks {len(missing)} rated models: {format_rows(missing)}. "
            "Add a row for each rated model (leave the value empty if unknown)."
        )
    return models.loc[names, column].to_numpy()


def _group_splits(spec: SplitSpec, rated: np.ndarray, groups: np.ndarray,
                  rng: np.random.Generator) -> list[Split]:
    labels = np.asarray([str(g) if g == g else "<unknown>" for g in groups], dtype=object)
    uniq = np.unique(labels)
    n_test = max(1, int(round(spec.fraction * len(uniq))))
    if len(uniq) - n_test < 1:
        raise InsufficientDataError(
            f"{spec.name}: only {len(uniq)} groups among rated models; a group split needs at least 2."
        )
    out = []
    for _ in range(spec.repeats):
        held = rng.permutation(uniq)[:n_test]
        test = np.isin(labels, held)
        out.append(Split(rated[~test], rated[test]))
    return out

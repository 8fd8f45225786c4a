"""Held-out evaluation: hold out models, fit every method on the rest, compare on the same splits.

A split divides the rated models into training and held-out models. Each method sees only the
preferences among training models; metrics compare its scores on held-out models with the
preferences among held-out models (see :mod:`benchalign.metrics`).

Confidence intervals come from a bootstrap over held-out models: within each split, B resamples
of its held-out models; replicate r of the summary is the mean over splits of each split's r-th
resample, so the interval reflects which models happened to be held out, and the paired
difference to the uniform mean uses the same resamples for both methods.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .baselines import METHODS, Method, Train
from ..check import pair_agreement
from ..data import Linked, PairSet, Results
from ..fit.folds import usable
from ..errors import (ConvergenceWarning, DataValidationError, InsufficientDataError, ParameterError,
                     format_rows)
from ..metrics import (METRICS, bootstrap_counts, bradley_terry, confident_pairs,
                      mean_over_splits, replicate_metrics, separability_replicates,
                      summarize)

logger = logging.getLogger("benchalign")
SCHEMA = "benchalign.evaluation/1"
TABLE_METRICS = ("pairwise_accuracy", "spearman", "kendall_tau_b")
"""The metrics of the console table (the JSON and the HTML report hold every metric)."""


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


@dataclass
class Accumulator:
    """Bootstrap replicates per method and metric, split by split."""

    reps: dict[str, dict[str, list[np.ndarray]]] = field(default_factory=dict)
    separability: list[np.ndarray] = field(default_factory=list)  # of the preferences, per split

    def add(self, method: str, values: dict[str, np.ndarray]) -> None:
        slot = self.reps.setdefault(method, {m: [] for m in METRICS})
        for metric in METRICS:
            slot[metric].append(values[metric])

    def means(self) -> dict[str, dict[str, np.ndarray]]:
        """method -> metric -> [n_bootstrap + 1] mean over splits of each replicate (row 0: the
        point estimate), what every summary and paired difference is computed from."""
        return {method: {m: mean_over_splits(v) for m, v in slot.items()}
                for method, slot in self.reps.items()}

    def summary(self, level: float, paired_vs_all: bool = False) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        means = self.means()
        for method, mean in means.items():
            entry: dict[str, object] = {m: summarize(mean[m], level) for m in METRICS}
            if method != "uniform":
                entry["paired_vs_uniform"] = _paired(mean, means["uniform"], level)
            if paired_vs_all:
                entry["paired_vs"] = {other: _paired(mean, means[other], level)
                                      for other in means if other != method}
            out[method] = entry
        return out


def _paired(mean: dict[str, np.ndarray], other: dict[str, np.ndarray],
            level: float) -> dict[str, dict[str, object]]:
    """Per metric, the summary of one method's replicates minus another's (same resamples)."""
    return {m: summarize(mean[m] - other[m], level) for m in METRICS}


def evaluate(
    results: Results, linked: Linked, *, splits: Sequence[SplitSpec] = (SplitSpec("random"),),
    models: pd.DataFrame | None = None, methods: dict[str, Method] | None = None, seed: int = 0,
    n_bootstrap: int = 1000, level: float = 0.95,
    progress: Callable[[int], None] | None = None, paired_vs_all: bool = False,
    replicates: bool = False,
) -> dict[str, object]:
    """Compare methods on held-out models for each split family; returns the JSON-ready report.

    results : all models' results; linked : preferences on results rows; models : metadata indexed
    by model name (for size/group splits); seed : drives splits, bootstrap and method seeds.
    progress : called with 1 after each split (for a progress bar). paired_vs_all : also give
    every method's paired difference to every other method (``paired_vs``, docs/evaluation.md).
    replicates : also give, per family, every method's bootstrap replicates (``replicates``:
    method -> metric -> [n_bootstrap + 1] means over splits, row 0 the point estimate), e.g. to
    pool paired differences over data sets (:func:`benchalign.metrics.pooled_summary`).
    """
    methods = dict(METHODS) if methods is None else methods
    if "uniform" not in methods:
        raise ParameterError("evaluation needs the 'uniform' method as the paired reference.")
    out: dict[str, object] = {}
    for k, spec in enumerate(splits):
        concrete = make_splits(spec, results, linked.rated, models, seed + 1000 * k)
        out[spec.name] = _run_family(results, linked, spec, concrete, methods, seed,
                                     n_bootstrap, level, progress, paired_vs_all, replicates)
    return {
        "schema": SCHEMA,
        "seed": seed,
        "n_bootstrap": n_bootstrap,
        "ci_level": level,
        "n_models": results.n_models,
        "n_items": results.n_items,
        "n_rated": int(len(linked.rated)),
        "preference_kind": linked.kind,
        "methods": list(methods),
        "splits": out,
    }


def _run_family(results: Results, linked: Linked, spec: SplitSpec, splits: list[Split],
                methods: dict[str, Method], seed: int, n_bootstrap: int, level: float,
                progress: Callable[[int], None] | None, paired_vs_all: bool,
                replicates: bool = False) -> dict[str, object]:
    acc = Accumulator()
    per_split = []
    rng = np.random.default_rng(seed)
    skipped = 0
    for i, split in enumerate(splits):
        record = _run_split(results, linked, split, methods, seed + i, n_bootstrap, rng, acc)
        if record is None:
            skipped += 1
        else:
            per_split.append(record)
        if progress is not None:
            progress(1)
    if not per_split:
        raise InsufficientDataError(
            f"{spec.name}: no split had at least 2 held-out and 2 training models with decided "
            "preferences among them; check the split threshold or metadata."
        )
    family = {
        "description": spec.describe(),
        "n_splits": len(per_split),
        "n_skipped": skipped,
        "n_train_models": float(np.mean([len(r["train"]) for r in per_split])),
        "n_test_models": float(np.mean([len(r["test"]) for r in per_split])),
        "methods": acc.summary(level, paired_vs_all),
        "preference_separability": summarize(mean_over_splits(acc.separability), level),
        "per_split": per_split,
    }
    if replicates:
        family["replicates"] = {method: {m: v.tolist() for m, v in mean.items()}
                                for method, mean in acc.means().items()}
    return family


def _run_split(results: Results, linked: Linked, split: Split, methods: dict[str, Method],
               seed: int, n_bootstrap: int, rng: np.random.Generator,
               acc: Accumulator) -> dict[str, object] | None:
    train_pairs = linked.pairs.within(split.train, results.n_models)
    test_pairs = linked.pairs.within(split.test, results.n_models)
    if not usable(train_pairs, test_pairs):
        return None
    test = test_pairs.models()
    test_local = test_pairs.relabel(test, results.n_models)
    y = linked.ratings[test]
    if not np.isfinite(y).all():
        y = bradley_terry(test_local, len(test))
    counts = bootstrap_counts(len(test), n_bootstrap, rng)
    sure = separated_pairs(linked, test, test_local)
    acc.separability.append(separability_replicates(test_local, sure, counts))
    train_ratings = np.full(results.n_models, np.nan)
    train_ratings[split.train] = linked.ratings[split.train]
    train = Train(train_pairs, train_ratings)
    point: dict[str, dict[str, float]] = {}
    for name, method in methods.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = method(results, train, seed)
        values = replicate_metrics(scores[test], y, test_local, counts, sure)
        acc.add(name, values)
        point[name] = {m: float(values[m][0]) for m in METRICS}
    return {
        "train": results.models[train_pairs.models()].tolist(),
        "test": results.models[test].tolist(),
        "metrics": point,
    }


def separated_pairs(linked: Linked, rows: np.ndarray, pairs: PairSet) -> np.ndarray:
    """(n_pairs,) bool: which of ``pairs`` (among the models ``rows``, ids relabelled to positions
    in ``rows``) the preferences separate with confidence (see :func:`benchalign.metrics.confident_pairs`)."""
    sd = None if linked.rating_sd is None else linked.rating_sd[rows]
    return confident_pairs(pairs, pair_agreement(pairs, linked.kind, linked.ratings[rows], sd))


def format_table(report: dict[str, object]) -> str:
    """A readable console table: one block per split family, one row per method."""
    lines = []
    for name, fam in report["splits"].items():  # type: ignore[union-attr]
        lines.append(f"split {name}: {fam['description']}; {fam['n_splits']} splits, "
                     f"{fam['n_train_models']:.1f} train / {fam['n_test_models']:.1f} held-out "
                     "models on average")
        width = max(15, *(len(m) + 1 for m in fam["methods"]))
        header = f"  {'method':<{width}}" + "".join(f"{m:>24}" for m in TABLE_METRICS) + f"{'Δacc vs uniform':>26}"
        lines.append(header)
        for method, entry in fam["methods"].items():
            row = f"  {method:<{width}}" + "".join(f"{_fmt(entry[m]):>24}" for m in TABLE_METRICS)
            paired = entry.get("paired_vs_uniform")
            row += f"{_fmt(paired['pairwise_accuracy'], signed=True):>26}" if paired else f"{'':>26}"
            lines.append(row)
        if "ceiling" in report:
            lines.append(_ceiling_row(report["ceiling"].get(name), width))  # type: ignore[union-attr]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _ceiling_row(value: float | None, width: int) -> str:
    """The noise ceiling of a split family (see :func:`benchalign.check.heldout_ceiling`)."""
    if value is None:
        return (f"  {'noise ceiling':<{width}}{'unknown':>24}  (the preferences carry no interval "
                "or counts)")
    return (f"  {'noise ceiling':<{width}}{value:>24.3f}  (pairwise accuracy a perfect scorer "
            "could expect, given the preferences' own uncertainty)")


def _fmt(stat: dict[str, object], signed: bool = False) -> str:
    lo, hi = stat["ci"]  # type: ignore[misc]
    sign = "+" if signed else ""
    return f"{stat['mean']:{sign}.3f} [{lo:{sign}.3f}, {hi:{sign}.3f}]"

"""Validate tables and factorize names to integer ids, once, at the boundary.

Two containers come out of here and everything downstream works on them:

* :class:`Results`: a models × items matrix of scores with an explicit observed-cell mask;
* :class:`PairSet`: unique unordered model pairs with a total weight and a soft target, in the
  row-index space of a :class:`Results`.

Preferences are read as :class:`Preferences` (names) and linked to results with :func:`link`.
This module works on frames only; reading files is :mod:`benchalign.io`'s job.
"""

from __future__ import annotations

import logging
import math
import unicodedata
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import expit

from .errors import (
    DataValidationError,
    DataWarning,
    InputFormatError,
    InsufficientDataError,
    UnknownModelError,
    check_param,
    format_rows,
)

logger = logging.getLogger("benchalign")

PreferenceKind = Literal["pairs", "ratings", "battles", "rankings", "choices"]
PREFERENCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "battles": ("model_a", "model_b", "winner"), "pairs": ("winner", "loser"),
    "rankings": ("list_id", "model", "rank"), "choices": ("list_id", "model", "chosen"),
    "ratings": ("model", "rating"),
}
"""The columns each preference form needs, in the order detection tries them."""
ELO_SCALE = 400.0 / math.log(10.0)
"""Default rating scale: a difference of 400 Elo points means 10:1 odds."""

INTERVAL_COLUMNS = ("rating_q025", "rating_q975")
"""Default columns of a rating's 95 % interval (Arena's bootstrap quantiles)."""
Z975 = 1.959963984540054
"""Half-width of a 95 % normal interval in standard deviations."""
MAX_RATING_PAIRS = 25_000_000
"""Most model pairs a rating list may make (about 7,070 rated models). Every pair is held with its
target (32 bytes each, more during a fit); beyond this the machine would swap instead of answer."""

TIE_LABELS = ("tie", "tie (bothbad)", "both_bad")
LIST_KINDS = ("rankings", "choices")
"""Preference forms given as lists of models (one row per model of a list, grouped by list_id)."""
CHOSEN_TRUE = ("1", "1.0", "true", "yes")
CHOSEN_FALSE = ("0", "0.0", "false", "no")
LONG_COLUMNS = ("model", "benchmark", "item", "score")
NA_SPELLINGS = ("nan", "na", "n/a", "null", "none")
"""Texts that mean 'no value': reported as missing scores rather than as non-numbers."""


def _source(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("source", "<table>"))


def _lines(index: pd.Index | np.ndarray) -> list[str]:
    """File line numbers (header is line 1) of frame rows, for messages."""
    return [f"line {int(i) + 2}" for i in index]


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Results:
    """Question-level results of many models.

    Attributes
    ----------
    models : (n_models,) array of str, sorted.
    items : (n_items,) array of str, sorted.
    benchmarks : (n_items,) array of str, the source benchmark of each item.
    values : (n_models, n_items) float32 when every score is exact in float32, else float64 (see
        :func:`storage_dtype`); the score of a model on an item, 0 where not observed.
    observed : (n_models, n_items) bool, or None when every cell is observed.
    """

    models: np.ndarray
    items: np.ndarray
    benchmarks: np.ndarray
    values: np.ndarray
    observed: np.ndarray | None = None
    _model_pos: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n_models, n_items = self.values.shape
        if len(self.models) != n_models or len(self.items) != n_items:
            raise ValueError("Results: names do not match the matrix shape")
        if self.observed is not None and self.observed.shape != self.values.shape:
            raise ValueError("Results: observed mask shape does not match values")
        self._model_pos.update({m: i for i, m in enumerate(self.models)})

    @property
    def n_models(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.values.shape[1])

    @property
    def complete(self) -> bool:
        return self.observed is None

    def mask(self) -> np.ndarray:
        """(n_models, n_items) bool observed-cell mask (all True when complete)."""
        if self.observed is None:
            return np.ones(self.values.shape, dtype=bool)
        return self.observed

    def observed_count(self) -> np.ndarray:
        """(n_models,) int64 number of observed items per model, without building a full mask."""
        if self.observed is None:
            return np.full(self.n_models, self.n_items, dtype=np.int64)
        return np.count_nonzero(self.observed, axis=1).astype(np.int64)

    def index_of(self, names: np.ndarray | list[str]) -> np.ndarray:
        """Row ids of model names; -1 for names not in the results."""
        return np.array([self._model_pos.get(str(n), -1) for n in names], dtype=np.int64)

    def take_models(self, rows: np.ndarray) -> "Results":
        """A new :class:`Results` with only the given model rows (in that order).

        Selecting every row in order shares the arrays instead of copying them.
        """
        rows = np.asarray(rows, dtype=np.int64)
        if _is_identity(rows, self.n_models):
            observed = None if self.observed is None or self.observed.all() else self.observed
            return Results(self.models, self.items, self.benchmarks, self.values, observed)
        observed = None if self.observed is None else self.observed[rows]
        if observed is not None and observed.all():
            observed = None
        return Results(self.models[rows], self.items, self.benchmarks, self.values[rows], observed)

    def take_items(self, cols: np.ndarray) -> "Results":
        """A new :class:`Results` with only the given item columns (in that order).

        Selecting every column in order shares the arrays instead of copying them.
        """
        cols = np.asarray(cols, dtype=np.int64)
        if _is_identity(cols, self.n_items):
            return Results(self.models, self.items, self.benchmarks, self.values, self.observed)
        observed = None if self.observed is None else self.observed[:, cols]
        return Results(
            self.models, self.items[cols], self.benchmarks[cols], self.values[:, cols], observed
        )

    def benchmark_names(self) -> np.ndarray:
        """Sorted unique source benchmark names."""
        return np.unique(self.benchmarks)

    def to_long(self) -> pd.DataFrame:
        """The observed cells as a long table ``model, benchmark, item, score``."""
        rows, cols = np.nonzero(self.mask())
        return pd.DataFrame(
            {
                "model": self.models[rows],
                "benchmark": self.benchmarks[cols],
                "item": self.items[cols],
                "score": self.values[rows, cols].astype(np.float64),
            }
        )


def _is_identity(index: np.ndarray, n: int) -> bool:
    """``index`` is 0, 1, ..., n - 1."""
    return index.shape == (n,) and (n == 0 or (index[0] == 0 and bool(np.all(np.diff(index) == 1))))


def _require_columns(frame: pd.DataFrame, needed: tuple[str, ...], what: str, fix: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputFormatError(
            f"{_source(frame)}: {what} needs columns {', '.join(needed)}; missing "
            f"{', '.join(missing)} (found: {', '.join(map(str, frame.columns))}). {fix}"
        )


def nfc(name: str) -> str:
    """A name in Unicode NFC: 'é' typed as one code point or as 'e' + a combining accent (NFD,
    as macOS file names give it) is one name."""
    return unicodedata.normalize("NFC", name)


def _nfc_names(names: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(sorted distinct NFC names, index of each of ``names`` in them), or (names, None) when
    every name already is NFC (the usual case: nothing is copied)."""
    normal = [nfc(n) for n in names]
    if normal == list(names):
        return names, None
    uniq, inverse = np.unique(np.asarray(normal, dtype=object), return_inverse=True)
    return uniq, inverse.ravel()


def _nfc_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with the name ``columns`` it has in NFC (a copy only when a name changes); one
    normalization per distinct name, not per row."""
    out = frame
    for column in (c for c in columns if c in frame.columns):
        codes, uniq = pd.factorize(frame[column])
        values = np.asarray([nfc(str(u)) for u in uniq], dtype=object)
        if all(v == str(u) for v, u in zip(values, uniq)):
            continue
        out = frame.copy() if out is frame else out
        out[column] = np.where(codes >= 0, values[np.maximum(codes, 0)], None)
    return out


def _check_names(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    for col in columns:
        bad = frame.index[frame[col].isna().to_numpy()]
        if len(bad):
            raise DataValidationError(
                f"{_source(frame)}: column '{col}' is empty at {format_rows(_lines(bad))}. "
                f"Every row needs a {col} name; fill it in or delete those rows."
            )


def _where(frame: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """File lines of the rows where boolean ``rows`` is True, with their model and item when the
    table has those columns."""
    lines = _lines(frame.index[rows])
    named = [c for c in ("model", "item") if c in frame.columns]
    if not named:
        return lines
    cells = zip(*(frame[c].to_numpy()[rows] for c in named))
    return [f"{line} ({', '.join(f'{c} {v!r}' for c, v in zip(named, vals))})"
            for line, vals in zip(lines, cells)]


def parse_scores(frame: pd.DataFrame, column: str, what: str = "score") -> np.ndarray:
    """Column ``column`` as float64; non-numbers, NaN and inf raise naming the rows."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    missing = raw.isna().to_numpy()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        missing = missing | raw.astype(str).str.strip().str.lower().isin(NA_SPELLINGS).to_numpy()
    not_numeric = np.isnan(values) & ~missing
    src = _source(frame)
    if not_numeric.any():
        idx = frame.index[not_numeric]
        shown = [f"{line} ({raw.iloc[i]!r})" for line, i in zip(_lines(idx), np.flatnonzero(not_numeric))]
        raise DataValidationError(
            f"{src}: {what} column '{column}' has values that are not numbers at "
            f"{format_rows(shown)}. Use plain decimal numbers (e.g. 0, 1, 0.75)."
        )
    nan_or_missing = np.isnan(values) | missing
    if nan_or_missing.any():
        raise DataValidationError(
            f"{src}: {what} column '{column}' is missing (empty or NaN) at "
            f"{format_rows(_where(frame, nan_or_missing))}. benchalign never imputes: "
            "give a value or delete those rows (a model may simply lack an item)."
        )
    infinite = np.isinf(values)
    if infinite.any():
        raise DataValidationError(
            f"{src}: {what} column '{column}' is infinite at "
            f"{format_rows(_lines(frame.index[infinite]))}. Replace it with a finite value."
        )
    return values


def results_from_long(frame: pd.DataFrame) -> Results:
    """Validate a long table ``model, benchmark, item, score`` and build a :class:`Results`.

    Extra columns are ignored (listed at INFO level). Raises :class:`DataValidationError` for
    empty names, non-numeric/NaN/inf scores, duplicate (model, item) rows and items listed under
    two benchmarks.
    """
    _require_columns(
        frame, LONG_COLUMNS, "a long results table",
        "Rename your columns, or pass a wide table (one row per model, one column per item).",
    )
    extra = [c for c in frame.columns if c not in LONG_COLUMNS]
    if extra:
        logger.info("%s: ignoring extra columns %s", _source(frame), ", ".join(map(str, extra)))
    _check_names(frame, ("model", "benchmark", "item"))
    scores = parse_scores(frame, "score")
    model_codes, models = _factorize_names(frame["model"])
    item_codes, items = _factorize_names(frame["item"])
    models = np.asarray(models, dtype=object)
    items = np.asarray(items, dtype=object)
    _check_duplicates(frame, model_codes, item_codes, scores, models, items)
    bench_codes, bench_names = _factorize_names(frame["benchmark"])
    benchmarks = _benchmark_per_item(frame, item_codes, items, bench_codes,
                                     np.asarray(bench_names, dtype=object))
    return _assemble(models, items, benchmarks, model_codes, item_codes, scores)


def _factorize_names(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes [n_rows], sorted names) of a name column read as text, in Unicode NFC (see
    :func:`nfc`); a categorical column (a wide table's items) by its categories, without making a
    string per cell."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        codes, names = pd.factorize(column.astype(str), sort=True)
        names = np.asarray(names, dtype=object)
    else:
        codes = column.cat.codes.to_numpy().astype(np.int64)
        names = np.asarray(column.cat.categories.astype(str), dtype=object)
        used = np.flatnonzero(np.bincount(codes, minlength=len(names)))  # a column left all empty
        order = used[np.argsort(names[used], kind="stable")]
        rank = np.full(len(names), -1, dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes, names = rank[codes], names[order]
    normal, index = _nfc_names(names)
    return (codes, names) if index is None else (index[codes], normal)


def _check_duplicates(frame: pd.DataFrame, model_codes: np.ndarray, item_codes: np.ndarray,
                      scores: np.ndarray, models: np.ndarray, items: np.ndarray) -> None:
    key = model_codes.astype(np.int64) * len(items) + item_codes
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    if not same.any():
        return
    first, second = order[:-1][same], order[1:][same]
    conflict = scores[first] != scores[second]
    bad_rows = np.unique(np.concatenate([first, second]))
    lines = format_rows(_lines(frame.index[bad_rows]))
    shown_rows = first[conflict] if conflict.any() else first
    shown = [f"({models[model_codes[r]]!r}, {items[item_codes[r]]!r})" for r in shown_rows[:5]]
    n_keys = len(np.unique(key[shown_rows]))
    if conflict.any():
        raise DataValidationError(
            f"{_source(frame)}: {n_keys} (model, item) pairs have rows with different "
            f"scores: {format_rows(shown)} at {lines}. Keep one row per model and item (e.g. the "
            "final run) before aligning."
        )
    raise DataValidationError(
        f"{_source(frame)}: {n_keys} (model, item) pairs appear more than once with the same "
        f"score: {format_rows(shown)} at {lines}. Remove the repeated rows (was the file "
        "concatenated twice?)."
    )


def _benchmark_per_item(frame: pd.DataFrame, item_codes: np.ndarray, items: np.ndarray,
                        bench_codes: np.ndarray, bench_names: np.ndarray) -> np.ndarray:
    key = np.unique(item_codes.astype(np.int64) * len(bench_names) + bench_codes)
    item_of, bench_of = key // len(bench_names), key % len(bench_names)
    counts = np.bincount(item_of, minlength=len(items))
    if (counts > 1).any():
        bad = np.flatnonzero(counts > 1)
        shown = [f"{items[i]!r} in {sorted(bench_names[bench_of[item_of == i]])}" for i in bad[:5]]
        raise DataValidationError(
            f"{_source(frame)}: {len(bad)} items listed under more than one benchmark: "
            f"{format_rows(shown)}. Give each item one benchmark, or make item ids unique per "
            "benchmark (e.g. '<benchmark>/<id>')."
        )
    return bench_names[bench_of]


MAX_CELLS = 2_000_000_000
"""Largest models × items matrix benchalign builds (≈ 10 GB with its mask)."""
MAX_ABS_SCORE = 1e30
"""Scores beyond this magnitude cannot be meant as scores (and overflow float32 arithmetic)."""


def storage_dtype(scores: np.ndarray) -> np.dtype:
    """float32 when every score survives a float32 round trip exactly (0/1 data, halves and
    quarters, small integers), else float64, so that scores the input tells apart stay apart."""
    exact = np.array_equal(scores.astype(np.float32).astype(np.float64), scores)
    return np.dtype(np.float32 if exact else np.float64)


def _assemble(models: np.ndarray, items: np.ndarray, benchmarks: np.ndarray,
              rows: np.ndarray, cols: np.ndarray, scores: np.ndarray) -> Results:
    cells = len(models) * len(items)
    if cells > MAX_CELLS:
        raise InsufficientDataError(
            f"{len(models):,} models × {len(items):,} items make a {cells:,}-cell matrix of which "
            f"only {len(scores) / cells:.4%} is observed; that is too large to hold. Do models "
            "really share so few items? Keep the items that many models have (or split the "
            "file by benchmark) before aligning."
        )
    huge = np.abs(scores) > MAX_ABS_SCORE
    if huge.any():
        raise DataValidationError(
            f"{huge.sum()} scores have absurdly large magnitudes (e.g. {scores[huge][0]:g} for model "
            f"{models[rows[huge][0]]!r}, item {items[cols[huge][0]]!r}); scores must be below "
            f"{MAX_ABS_SCORE:g} in magnitude. Check the score column (units, corrupt values)."
        )
    values = np.zeros((len(models), len(items)), dtype=storage_dtype(scores))
    values[rows, cols] = scores
    observed = None
    if len(scores) < len(models) * len(items):
        observed = np.zeros(values.shape, dtype=bool)
        observed[rows, cols] = True
    return Results(models, items, benchmarks, values, observed)


SUMMARY_COLUMNS = ("score", "scores", "win_rate", "winrate", "length_controlled_winrate",
                   "discrete_win_rate", "standard_error", "average", "avg", "mean", "total",
                   "overall", "accuracy", "rating", "elo", "rank", "n_total", "n_wins", "params_b")
"""Column names that hold a per-model summary, never one question, in a wide results table."""


def results_from_wide(frame: pd.DataFrame, model_column: str = "model") -> Results:
    """Validate a wide table (one row per model, one column per item) into :class:`Results`.

    Empty cells are missing results. An item's benchmark is the part of its name before the first
    '/', or 'benchmark' when the name has no '/'. Columns named like a per-model summary
    (:data:`SUMMARY_COLUMNS`, e.g. ``win_rate``) raise :class:`DataValidationError`.
    """
    _require_columns(frame, (model_column,), "a wide results table",
                     "Name the first column 'model'.")
    _check_names(frame, (model_column,))
    _check_item_columns(frame, [c for c in frame.columns if c != model_column])
    items = [c for c in frame.columns if c != model_column]
    names = [str(c) for c in items]
    numbered = frame.rename(columns={c: j for j, c in enumerate(items)})
    numbered[model_column] = pd.Categorical(frame[model_column].astype(str))  # one string per row
    long = numbered.melt(id_vars=[model_column], var_name="__item", value_name="__score",
                         ignore_index=False)  # the index keeps file line numbers for messages
    long = long[long["__score"].notna()]
    long = long.rename(columns={model_column: "model", "__score": "score"})
    # categorical item and benchmark columns: one string per column of the wide table, not per cell
    codes = long.pop("__item").to_numpy(dtype=np.int64)
    benches = np.array([i.split("/", 1)[0] if "/" in i else "benchmark" for i in names], dtype=object)
    bench_names = np.unique(benches)
    long["item"] = pd.Categorical.from_codes(codes, names)
    long["benchmark"] = pd.Categorical.from_codes(np.searchsorted(bench_names, benches)[codes],
                                                  bench_names)
    long.attrs["source"] = _source(frame)
    if long.empty:
        raise InputFormatError(f"{_source(frame)}: the wide table has no score cells.")
    return results_from_long(long[list(LONG_COLUMNS)])


def _check_item_columns(frame: pd.DataFrame, items: list[object]) -> None:
    """Item columns of a wide table are unique questions, not per-model summaries."""
    names = [str(c) for c in items]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataValidationError(
            f"{_source(frame)}: the wide table repeats the item column(s) {format_rows(repeated)}. "
            "Keep one column per item."
        )
    summary = [n for n in names if n.strip().lower().replace(" ", "_") in SUMMARY_COLUMNS]
    if summary and len(summary) == len(names):
        raise DataValidationError(
            f"{_source(frame)}: a table of model and {format_rows(summary)} is not question-level "
            "results; it looks like ratings or a leaderboard. Were --results and --preferences "
            "swapped?"
        )
    if summary:
        raise DataValidationError(
            f"{_source(frame)}: the wide table has column(s) {format_rows(summary)} that hold a "
            "per-model summary, not a question; every column but 'model' would become a "
            "question. Delete those columns (or rename a column that really is one question)."
        )


def results_from_frame(frame: pd.DataFrame) -> Results:
    """Long or wide table, detected from the columns (long when it has model, item, score)."""
    if {"model", "item", "score"} <= set(frame.columns):
        return results_from_long(frame)
    if "model" in frame.columns and frame.shape[1] >= 2:
        return results_from_wide(frame)
    raise InputFormatError(
        f"{_source(frame)}: not a results table. Expected long columns model, benchmark, item, "
        "score, or a wide table with a 'model' column and one column per item; found "
        f"{', '.join(map(str, frame.columns))}."
    )


# --------------------------------------------------------------------------------------------------
# Preferences
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PairSet:
    """Unique unordered model pairs with total weight and soft target.

    a, b : (n_pairs,) int64 model ids (rows of a :class:`Results`, or of a name list).
    weight : (n_pairs,) float64 > 0, how much the pair counts (battle count, pair weight, 1 per
        rating pair).
    target : (n_pairs,) float64 in [0, 1], probability that ``a`` is preferred to ``b``.
    count : (n_pairs,) float64 number of comparisons behind each pair when that is not its weight
        (rankings and choices: one per list that holds the pair, whatever the pair's weight in
        it); None when the weight is the count. The noise ceiling reads it.
    """

    a: np.ndarray
    b: np.ndarray
    weight: np.ndarray
    target: np.ndarray
    count: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.a.shape[0])

    def select(self, keep: np.ndarray) -> "PairSet":
        """Pairs where boolean ``keep`` (n_pairs,) is True."""
        count = None if self.count is None else self.count[keep]
        return PairSet(self.a[keep], self.b[keep], self.weight[keep], self.target[keep], count)

    def within(self, members: np.ndarray, n_models: int) -> "PairSet":
        """Pairs whose both models are in the id array ``members``."""
        inside = np.zeros(n_models, dtype=bool)
        inside[members] = True
        return self.select(inside[self.a] & inside[self.b])

    def models(self) -> np.ndarray:
        """Sorted unique model ids that appear in a pair."""
        if len(self.a) == 0 or min(self.a.min(), self.b.min()) < 0:
            return np.unique(np.concatenate([self.a, self.b]))
        seen = np.zeros(int(max(self.a.max(), self.b.max())) + 1, dtype=bool)  # O(pairs), no sort
        seen[self.a] = True
        seen[self.b] = True
        return np.flatnonzero(seen).astype(np.int64)

    def remap(self, mapping: np.ndarray) -> "PairSet":
        """Replace model ids by ``mapping[id]``."""
        return PairSet(mapping[self.a], mapping[self.b], self.weight, self.target, self.count)

    def round_robin(self, n_models: int) -> np.ndarray | None:
        """Sorted ids of the models when the pairs list every unordered pair among them exactly
        once (a rating list, any complete round robin), else None."""
        a, b, n_pairs = self.a, self.b, len(self.a)
        if n_pairs == 0:
            return None
        seen = np.zeros(n_models, dtype=bool)
        seen[a] = True
        seen[b] = True
        members = np.flatnonzero(seen)
        k = len(members)
        if n_pairs != k * (k - 1) // 2:
            return None
        pos = np.full(n_models, -1, dtype=np.int64)
        pos[members] = np.arange(k)
        cells = np.zeros(k * k, dtype=bool)
        for i in range(0, n_pairs, 1 << 20):
            pa, pb = pos[a[i:i + (1 << 20)]], pos[b[i:i + (1 << 20)]]
            if np.any(pa == pb):
                return None
            cells[np.minimum(pa, pb) * k + np.maximum(pa, pb)] = True
        return members if int(np.count_nonzero(cells)) == n_pairs else None

    def relabel(self, rows: np.ndarray, n_models: int) -> "PairSet":
        """Ids replaced by their position in ``rows`` (ids in [0, n_models)); ids not in
        ``rows`` become -1, so call it on pairs among ``rows`` (e.g. from :meth:`within`)."""
        local = np.full(n_models, -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        return self.remap(local)


@dataclass(frozen=True, eq=False)
class Preferences:
    """Preferences about models, by name.

    kind : "pairs", "ratings", "battles", "rankings" or "choices" (the form they were given in).
    models : (n,) sorted model names.
    pairs : :class:`PairSet` over indices into ``models``.
    ratings : (n,) float64 ratings (higher is better) when kind is "ratings", else None.
    source : file the preferences came from, for messages.
    rating_sd : (n,) float64 standard error of each rating in rating units, from its 95 %
        interval (half-width / 1.96), when the ratings came with one; else None.
    counted : whether the pairs are sampled comparisons (battles, rankings and choices; pairs read
        with ``pair_counts=True``), so a pair's share of wins is an estimate from its comparisons
        (its weight, or :attr:`PairSet.count`); else each pair is a stated preference, which the
        noise ceiling and the cycle check take as certain.
    """

    kind: PreferenceKind
    models: np.ndarray
    pairs: PairSet
    ratings: np.ndarray | None = None
    source: str = "<preferences>"
    rating_sd: np.ndarray | None = None
    counted: bool = False


def detect_preference_kind(columns: list[str] | pd.Index, source: str = "<table>") -> PreferenceKind:
    """Which preference form a table's columns describe (in the order of
    :data:`PREFERENCE_COLUMNS` when the columns fit several; a :class:`DataWarning` says which one
    was read)."""
    cols = set(map(str, columns))
    forms = PREFERENCE_COLUMNS
    fits = [kind for kind, needed in forms.items() if set(needed) <= cols]
    if len(fits) > 1:
        warnings.warn(
            f"{source}: the columns fit {' and '.join(fits)} ({'; '.join(', '.join(forms[k]) for k in fits)}); "
            f"read as {fits[0]}. Pass --preference-format {fits[1]} to read the other, or keep "
            "one form per file.", DataWarning, stacklevel=3,
        )
    if fits:
        return fits[0]  # type: ignore[return-value]
    raise InputFormatError(
        f"{source}: cannot tell the preference format from columns {', '.join(sorted(cols))}. "
        "Expected pairs (winner, loser[, weight]), ratings (model, rating), battles "
        "(model_a, model_b, winner), rankings (list_id, model, rank) or best-of-k choices "
        "(list_id, model, chosen)."
    )


def preferences_from_frame(
    frame: pd.DataFrame, kind: PreferenceKind | None = None, rating_scale: float = ELO_SCALE,
    *, interval_columns: tuple[str, str] | None = None, use_uncertainty: bool = True,
    allow_rank_ties: bool = False,
    pair_counts: bool = False,
) -> Preferences:
    """Validate a preference table into :class:`Preferences` (form detected unless ``kind``).

    rating_scale : rating units per logit for ratings (default 400/ln 10 for Elo-like ratings);
        must be finite and > 0.
    interval_columns : (low, high) columns of each rating's 95 % interval; default
        :data:`INTERVAL_COLUMNS` when both are present. The intervals give each rating a standard
        error s = half-width / 1.96 (:attr:`Preferences.rating_sd`, for the noise ceiling).
    use_uncertainty : False ignores the interval columns.
    allow_rank_ties : rankings may give two models of one list the same rank (a tie, fitted as a
        half win each way); by default a repeated rank is an error.
    pair_counts : pairs only: each row (and each unit of its weight) is one sampled comparison,
        as in an A/B test log, so a pair's total weight counts comparisons
        (:attr:`Preferences.counted`). Default: each pair is a stated preference. Battles,
        rankings and choices always count comparisons.
    """
    check_param("preferences_from_frame", "rating_scale (--rating-scale)", rating_scale,
                isinstance(rating_scale, (int, float)) and math.isfinite(rating_scale)
                and rating_scale > 0, "a finite number > 0 (rating units per logit)")
    kind = kind or detect_preference_kind(frame.columns, _source(frame))
    needed = PREFERENCE_COLUMNS[kind]
    _require_columns(frame, needed, f"{kind} preferences", "Rename the columns or pass the right --preference-format.")
    interval = _interval_columns(frame, interval_columns) if kind == "ratings" and use_uncertainty else None
    if kind in LIST_KINDS and "weight" in frame.columns:
        raise InputFormatError(
            f"{_source(frame)}: {kind} take no 'weight' column (a list of k models counts k - 1). Remove "
            "it, or give weighted comparisons as pairs (winner, loser, weight)."
        )
    extra = [c for c in frame.columns if c not in needed + ("weight",) + (interval or ())]
    if extra:
        logger.info("%s: ignoring extra columns %s", _source(frame), ", ".join(map(str, extra)))
    _check_names(frame, needed[:2] if kind in LIST_KINDS else needed if kind != "ratings" else ("model",))
    frame = _nfc_columns(frame, ("model", "winner", "loser", "model_a", "model_b"))
    if kind == "ratings":
        return _ratings(frame, rating_scale, interval)
    if kind == "pairs":
        return _pairs(frame, pair_counts)
    if kind == "rankings":
        return _rankings(frame, allow_rank_ties)
    if kind == "choices":
        return _choices(frame)
    return _battles(frame)


def _interval_columns(frame: pd.DataFrame, named: tuple[str, str] | None) -> tuple[str, str] | None:
    """The (low, high) interval columns to use, None when the table has none."""
    columns = tuple(named) if named is not None else INTERVAL_COLUMNS
    present = [c for c in columns if c in frame.columns]
    if named is None and not present:
        return None
    if len(columns) != 2 or len(present) != 2:
        raise InputFormatError(
            f"{_source(frame)}: rating intervals need two columns (low, high); "
            f"{', '.join(c for c in columns if c not in frame.columns) or 'none'} missing (found: "
            f"{', '.join(map(str, frame.columns))}). Name them with --rating-interval-columns "
            "LOW,HIGH, or pass --ignore-uncertainty to read the ratings alone."
        )
    return columns  # type: ignore[return-value]


def _rating_sd(frame: pd.DataFrame, ratings: np.ndarray, columns: tuple[str, str]) -> np.ndarray:
    """(n,) standard errors from 95 % intervals; intervals must contain their rating."""
    low = parse_scores(frame, columns[0], what="rating interval")
    high = parse_scores(frame, columns[1], what="rating interval")
    huge = (np.abs(low) > MAX_ABS_SCORE) | (np.abs(high) > MAX_ABS_SCORE)
    if huge.any():
        raise DataValidationError(
            f"{_source(frame)}: rating intervals ({columns[0]}, {columns[1]}) of absurd magnitude "
            f"at {format_rows(_where(frame, huge))}: bounds must be below {MAX_ABS_SCORE:g} in "
            "magnitude, like the ratings. Check the interval columns, or pass "
            "--ignore-uncertainty.")
    bad = ~((low <= ratings) & (ratings <= high))
    if bad.any():
        shown = [f"{ln} ({lo:g} <= {r:g} <= {hi:g}?)" for ln, lo, r, hi in
                 zip(_lines(frame.index[bad]), low[bad], ratings[bad], high[bad])]
        raise DataValidationError(
            f"{_source(frame)}: rating intervals ({columns[0]}, {columns[1]}) that do not contain "
            f"their rating at {format_rows(shown, 3)}. Check the column order (low, high) and "
            "units, or pass --ignore-uncertainty."
        )
    return (high - low) / (2 * Z975)


def rating_pair_targets(ratings: np.ndarray, a: np.ndarray, b: np.ndarray,
                        scale: float) -> np.ndarray:
    """(n_pairs,) Bradley-Terry probability σ((r_a - r_b) / scale) that model ``a`` is preferred
    to ``b`` given ratings (n,)."""
    return expit((ratings[a] - ratings[b]) / scale)  # no overflow warning for huge gaps


def check_pair_count(n_models: int, source: str) -> int:
    """Number of pairs among ``n_models`` rated models; raise before building them when it is above
    :data:`MAX_RATING_PAIRS`."""
    n_pairs = n_models * (n_models - 1) // 2
    if n_pairs > MAX_RATING_PAIRS:
        raise InsufficientDataError(
            f"{source}: {n_models:,} rated models make {n_pairs:,} rating pairs, above the limit of "
            f"{MAX_RATING_PAIRS:,} (about {_max_models():,} models) that fits in memory. Keep "
            "the ratings of the models in your results (or a sample of them), or give preferences "
            "as pairs or battles for the comparisons you have."
        )
    return n_pairs


def _max_models() -> int:
    return int((1 + math.isqrt(1 + 8 * MAX_RATING_PAIRS)) // 2)


def _population_hint(frame: pd.DataFrame, names: np.ndarray, interval: tuple[str, str] | None) -> str:
    """When a column gives every model one rating per value (an Arena category, a language), say
    so and how to use it; else ""."""
    taken = {"model", "rating", "weight", *(interval or ())}
    for column in (c for c in frame.columns if c not in taken):
        values = frame[column].astype(str).to_numpy()
        if not pd.DataFrame({"m": names, "c": values}).duplicated().any():
            return (f"The file has a column '{column}' that gives a model one rating per value "
                    f"(e.g. {format_rows(sorted(set(values))[:3], 3)}): pass --population-column "
                    f"{column} to fit, check or evaluate one benchmark per {column}, or keep one "
                    "rating per model.")
    return ""


def _ratings(frame: pd.DataFrame, scale: float, interval: tuple[str, str] | None) -> Preferences:
    ratings = parse_scores(frame, "rating", what="rating")
    huge = np.abs(ratings) > MAX_ABS_SCORE
    if huge.any():
        raise DataValidationError(
            f"{_source(frame)}: ratings of absurd magnitude at {format_rows(_where(frame, huge))}: "
            f"ratings must be below {MAX_ABS_SCORE:g} in magnitude. Check the rating column."
        )
    names = frame["model"].astype(str).to_numpy()
    dup = pd.Series(names).duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataValidationError(
            f"{_source(frame)}: models rated more than once: "
            f"{format_rows(sorted(set(names[dup])))} at {format_rows(_lines(frame.index[dup]))}. "
            + (_population_hint(frame, names, interval) or "Keep one rating per model.")
        )
    if len(names) < 2:
        raise InsufficientDataError(
            f"{_source(frame)}: only {len(names)} rated model; preferences need at least 2 models."
        )
    check_pair_count(len(names), _source(frame))
    sd = None if interval is None else _rating_sd(frame, ratings, interval)
    order = np.argsort(names, kind="stable")
    names, ratings = names[order], ratings[order]
    sd = None if sd is None else sd[order]
    if np.ptp(ratings) == 0:
        raise InsufficientDataError(
            f"{_source(frame)}: all {len(names)} models have the same rating ({ratings[0]}); "
            "there is no preference to align with."
        )
    a, b = np.triu_indices(len(names), k=1)
    target = rating_pair_targets(ratings, a, b, scale)
    pairs = PairSet(a.astype(np.int64), b.astype(np.int64), np.ones(len(a)), target)
    return Preferences("ratings", names.astype(object), pairs, ratings, _source(frame), sd)


def _pairs(frame: pd.DataFrame, counted: bool) -> Preferences:
    winner = frame["winner"].astype(str).to_numpy()
    loser = frame["loser"].astype(str).to_numpy()
    weight = parse_scores(frame, "weight", "weight") if "weight" in frame.columns else np.ones(len(frame))
    bad = weight <= 0
    if bad.any():
        raise DataValidationError(
            f"{_source(frame)}: pair weights must be > 0; got {format_rows(weight[bad].tolist())} at "
            f"{format_rows(_lines(frame.index[bad]))}. Delete pairs that should not count."
        )
    _check_self(frame, winner, loser, ("winner", "loser"))
    return _aggregate(frame, winner, loser, weight, np.zeros(len(frame), dtype=bool), "pairs", counted)


def _battles(frame: pd.DataFrame) -> Preferences:
    a = frame["model_a"].astype(str).to_numpy()
    b = frame["model_b"].astype(str).to_numpy()
    winner = frame["winner"].astype(str).str.strip().to_numpy()
    known = np.isin(winner, ("model_a", "model_b") + TIE_LABELS)
    if not known.all():
        shown = [f"{ln} ({w!r})" for ln, w in zip(_lines(frame.index[~known]), winner[~known])]
        raise DataValidationError(
            f"{_source(frame)}: unknown winner labels at {format_rows(shown)}. Allowed: model_a, "
            f"model_b, {', '.join(TIE_LABELS)}. An unknown label is never read as a tie."
        )
    _check_self(frame, a, b, ("model_a", "model_b"))
    b_won = winner == "model_b"
    first = np.where(b_won, b, a)
    second = np.where(b_won, a, b)
    tie = np.isin(winner, TIE_LABELS)
    return _aggregate(frame, first, second, np.ones(len(frame)), tie, "battles", True)


def _rankings(frame: pd.DataFrame, allow_ties: bool) -> Preferences:
    """A ranking per list (rank 1 is best; any numbers, lower is better) as its pairs: the better
    ranked model of each pair wins, equal ranks tie. A list of k models counts as k - 1
    comparisons (the choices of the best of the rest that a ranking records), so each of its
    C(k, 2) pairs weighs 2 / k; a two-model list is one pair of weight 1."""
    lists = _list_codes(frame)
    ranks = parse_scores(frame, "rank", what="rank")
    if not allow_ties:
        _check_repeated_ranks(frame, lists, ranks)
    i, j, size = list_pairs(lists)
    models = frame["model"].astype(str).to_numpy()
    i_first = ranks[i] <= ranks[j]
    first, second = np.where(i_first, models[i], models[j]), np.where(i_first, models[j], models[i])
    return _aggregate(frame, first, second, 2.0 / size, ranks[i] == ranks[j], "rankings",
                      True)


def _choices(frame: pd.DataFrame) -> Preferences:
    """A best-of-k choice per list: the chosen model beats each of the k - 1 others, each pair
    of weight 1 (a list of k counts as k - 1 comparisons, as a ranking does)."""
    lists = _list_codes(frame)
    chosen = _parse_chosen(frame)
    n_lists = int(lists.max()) + 1
    count = np.bincount(lists, weights=chosen, minlength=n_lists)
    bad = np.flatnonzero(count != 1)
    if len(bad):
        ids = frame["list_id"].astype(str).to_numpy()
        first_row = np.unique(lists, return_index=True)[1]
        lines = _lines(frame.index[first_row[bad]])
        shown = [f"{ids[first_row[c]]!r} (from {ln}, {int(count[c])} chosen)" for c, ln in zip(bad, lines)]
        raise DataValidationError(
            f"{_source(frame)}: best-of-k lists must mark exactly one model chosen; lists "
            f"{format_rows(shown)} do not. Mark the one model picked in each list (chosen = 1, the "
            "others 0); a list where the rater picked none or several is a ranking with ties "
            "(list_id, model, rank) or should be deleted."
        )
    winner_row = np.zeros(n_lists, dtype=np.int64)
    winner_row[lists[chosen]] = np.flatnonzero(chosen)
    others = np.flatnonzero(~chosen)
    models = frame["model"].astype(str).to_numpy()
    return _aggregate(frame, models[winner_row[lists[others]]], models[others], np.ones(len(others)),
                      np.zeros(len(others), dtype=bool), "choices", True)


def _list_codes(frame: pd.DataFrame) -> np.ndarray:
    """(n_rows,) int64 list of each row; a list with one model, or a model twice in a list, raises."""
    codes, _ = pd.factorize(frame["list_id"].astype(str), sort=True)
    codes = codes.astype(np.int64)
    size = np.bincount(codes)
    alone = size[codes] == 1
    if alone.any():
        shown = [f"{ln} (list {lid!r})" for ln, lid in
                 zip(_lines(frame.index[alone]), frame["list_id"].astype(str).to_numpy()[alone])]
        raise DataValidationError(
            f"{_source(frame)}: lists with a single model at {format_rows(shown)}: a list compares "
            "at least two models. Add the models it was compared with, or delete those rows."
        )
    key = pd.Series(codes.astype(str)) + "\x00" + frame["model"].astype(str).to_numpy()
    twice = key.duplicated(keep=False).to_numpy()
    if twice.any():
        raise DataValidationError(
            f"{_source(frame)}: a model appears twice in one list at "
            f"{format_rows(_where(frame, twice))}. List each model once per list_id (give "
            "different prompts or raters their own list_id)."
        )
    n_pairs = int(np.sum(size * (size - 1) // 2))
    if n_pairs > MAX_RATING_PAIRS:
        raise InsufficientDataError(
            f"{_source(frame)}: the lists make {n_pairs:,} model pairs, above the limit of "
            f"{MAX_RATING_PAIRS:,} that fits in memory. Split the longest lists or keep fewer."
        )
    return codes


def _check_repeated_ranks(frame: pd.DataFrame, lists: np.ndarray, ranks: np.ndarray) -> None:
    key = pd.DataFrame({"list": lists, "rank": ranks})
    repeated = key.duplicated(keep=False).to_numpy()
    if repeated.any():
        raise DataValidationError(
            f"{_source(frame)}: a rank is repeated within a list at "
            f"{format_rows(_where(frame, repeated))} (list "
            f"{frame['list_id'].astype(str).to_numpy()[repeated][0]!r}). Give each model of a list "
            "its own rank, or pass --allow-rank-ties if equal ranks mean ties."
        )


def _parse_chosen(frame: pd.DataFrame) -> np.ndarray:
    """(n_rows,) bool ``chosen`` column: 1/0, true/false or yes/no (any case); anything else raises."""
    text = frame["chosen"].astype(str).str.strip().str.lower().to_numpy()
    known = np.isin(text, CHOSEN_TRUE + CHOSEN_FALSE)
    if not known.all():
        shown = [f"{ln} ({v!r})" for ln, v in
                 zip(_lines(frame.index[~known]), frame["chosen"].to_numpy()[~known])]
        raise DataValidationError(
            f"{_source(frame)}: column 'chosen' must be 1 or 0 (true/false); got "
            f"{format_rows(shown)}. Mark the picked model of each list 1 and the others 0."
        )
    return np.isin(text, CHOSEN_TRUE)


def list_pairs(lists: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of rows within each list, vectorized per list length.

    lists : (n_rows,) int64 list code of each row (>= 0; a code with fewer than 2 rows gives no pair).
    Returns row indices i, j (n_pairs,), i before j in row order, and size (n_pairs,) float64: the
    number of rows k of the list each pair comes from.
    """
    order = np.argsort(lists, kind="stable")
    size = np.bincount(lists)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for k in np.unique(size[size >= 2]):
        rows = order[start[size == k][:, None] + np.arange(k)]  # (lists of length k, k)
        a, b = np.triu_indices(int(k), 1)
        parts.append((rows[:, a].ravel(), rows[:, b].ravel(), np.full(rows.shape[0] * len(a), float(k))))
    i, j, size = (np.concatenate(p) for p in zip(*parts))
    return i, j, size


def _check_self(frame: pd.DataFrame, x: np.ndarray, y: np.ndarray, cols: tuple[str, str]) -> None:
    same = x == y
    if same.any():
        raise DataValidationError(
            f"{_source(frame)}: a model is compared with itself ({cols[0]} == {cols[1]}) at "
            f"{format_rows(_lines(frame.index[same]))} (model {x[same][0]!r}). Delete those rows."
        )


def _aggregate(frame: pd.DataFrame, first: np.ndarray, second: np.ndarray, weight: np.ndarray,
               tie: np.ndarray, kind: PreferenceKind, counted: bool) -> Preferences:
    """Collapse ordered outcomes (first beat second, or a tie) to unique unordered pairs."""
    codes, names = pd.factorize(np.concatenate([first, second]), sort=True)
    n = len(first)
    i, j = codes[:n], codes[n:]
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    lo_wins = np.where(tie, 0.5, (i == lo).astype(np.float64)) * weight
    key = lo.astype(np.int64) * len(names) + hi
    uniq, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=weight)
    wins = np.bincount(inverse, weights=lo_wins)
    count = np.bincount(inverse).astype(np.float64) if kind in LIST_KINDS else None
    pairs = PairSet(uniq // len(names), uniq % len(names), total, wins / total, count)
    if np.all(pairs.target == 0.5):
        raise InsufficientDataError(
            f"{_source(frame)}: every comparison is a tie (or balanced by its reverse); there is "
            "no preference to align with."
        )
    if kind == "pairs":
        _warn_contradictions(frame, pairs, np.asarray(names, dtype=object))
    return Preferences(kind, np.asarray(names, dtype=object), pairs, None, _source(frame),
                       counted=counted)


def _warn_contradictions(frame: pd.DataFrame, pairs: PairSet, names: np.ndarray) -> None:
    """Pairs given in both directions are kept as soft targets (share of wins), and said so."""
    mixed = (pairs.target > 0) & (pairs.target < 1)
    if mixed.any():
        shown = [f"{names[a]} vs {names[b]} ({t:.0%} / {1 - t:.0%})" for a, b, t in
                 zip(pairs.a[mixed][:3], pairs.b[mixed][:3], pairs.target[mixed][:3])]
        warnings.warn(
            f"{_source(frame)}: {mixed.sum()} model pairs are preferred in both directions, e.g. "
            f"{format_rows(shown, 3)}; each is fitted as the share of its wins. Remove the rows "
            "you do not mean, if any.",
            DataWarning, stacklevel=4,
        )


# --------------------------------------------------------------------------------------------------
# Model metadata
# --------------------------------------------------------------------------------------------------


def models_from_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate model metadata ``model[, params_b, organization, family, release_date, ...]``.

    Returns a frame indexed by model name; ``params_b`` (billions) is parsed to float, empty
    cells stay NaN (a model of unknown size is left out of size splits, and said so).
    """
    _require_columns(frame, ("model",), "model metadata", "Name the model column 'model'.")
    _check_names(frame, ("model",))
    names = frame["model"].astype(str).map(nfc)
    dup = names.duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataValidationError(
            f"{_source(frame)}: models listed more than once: "
            f"{format_rows(sorted(set(names[dup])))}. Keep one row per model."
        )
    out = frame.copy()
    out["model"] = names
    if "params_b" in out.columns:
        raw = out["params_b"]
        params = pd.to_numeric(raw, errors="coerce")
        bad = params.isna() & raw.notna()
        if bad.any():
            raise DataValidationError(
                f"{_source(frame)}: params_b is not a number at "
                f"{format_rows(_lines(frame.index[bad.to_numpy()]))}. Give billions of "
                "parameters as a number (e.g. 7 or 0.5) or leave the cell empty."
            )
        out["params_b"] = params.astype(np.float64)
    return out.set_index("model")


# --------------------------------------------------------------------------------------------------
# Linking preferences to results
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Linked:
    """Preferences expressed on the rows of a :class:`Results`.

    pairs : :class:`PairSet` with ids = results rows.
    rated : sorted results rows of models that appear in at least one pair.
    ratings : (n_models,) float64 rating per results row (NaN when unrated or kind is not ratings).
    kind : preference kind.
    rating_sd : (n_models,) float64 standard error of each rating (NaN when unrated), when the
        ratings came with intervals; else None.
    counted : pair weights are numbers of sampled comparisons (:attr:`Preferences.counted`).
    """

    pairs: PairSet
    rated: np.ndarray
    ratings: np.ndarray
    kind: PreferenceKind
    rating_sd: np.ndarray | None = None
    counted: bool = False


def link(results: Results, prefs: Preferences, ignore_unknown: bool = False) -> Linked:
    """Map preference models onto results rows.

    Preferences about models absent from the results raise :class:`UnknownModelError`, or, with
    ``ignore_unknown``, are dropped with a :class:`DataWarning` that lists them.
    """
    rows = results.index_of(prefs.models)
    unknown = prefs.models[rows < 0]
    if len(unknown) == len(prefs.models):
        raise UnknownModelError(
            f"{prefs.source}: none of the {len(unknown)} preference models appear in the results "
            f"(e.g. {format_rows(sorted(unknown), 3)}; results have e.g. "
            f"{format_rows(results.models[:3].tolist(), 3)}). Check that both files spell model "
            "names the same way; a name map (from, to) can translate them."
        )
    if len(unknown):
        msg = (f"{prefs.source}: {len(unknown)} preference models are not in the results: "
               f"{format_rows(sorted(unknown), 10)}")
        if not ignore_unknown:
            raise UnknownModelError(
                msg + ". Fix the names, remove them, or pass --ignore-unknown-models to drop "
                "their preferences with a warning."
            )
        warnings.warn(msg + "; their preferences are ignored.", DataWarning, stacklevel=2)
    keep = (rows[prefs.pairs.a] >= 0) & (rows[prefs.pairs.b] >= 0)
    pairs = prefs.pairs.select(keep).remap(rows)
    if len(pairs) == 0:
        raise InsufficientDataError(
            f"{prefs.source}: no preference pair is left between two models of the results."
        )
    ratings = _on_rows(prefs.ratings, rows, results.n_models)
    _warn_cycles(pairs, results.models, prefs.source)
    if prefs.ratings is not None:
        _warn_reversed_ratings(results, ratings, prefs.source)
    sd = None if prefs.rating_sd is None else _on_rows(prefs.rating_sd, rows, results.n_models)
    return Linked(pairs, pairs.models(), ratings, prefs.kind, sd, prefs.counted)


def pairs_on(results: Results, preferences: "Preferences | Linked | PairSet",
             ignore_unknown: bool = False) -> PairSet:
    """The preference pairs on ``results`` rows: a :class:`PairSet` as given (its ids are rows), a
    :class:`Linked`'s pairs, or :class:`Preferences` linked by name (:func:`link`)."""
    if isinstance(preferences, PairSet):
        return preferences
    if isinstance(preferences, Linked):
        return preferences.pairs
    return link(results, preferences, ignore_unknown=ignore_unknown).pairs


def _on_rows(values: np.ndarray | None, rows: np.ndarray, n_models: int) -> np.ndarray:
    """(n_models,) per-model values moved to results rows (NaN elsewhere, all NaN for None)."""
    out = np.full(n_models, np.nan)
    if values is not None:
        out[rows[rows >= 0]] = values[rows >= 0]
    return out


def _warn_reversed_ratings(results: Results, ratings: np.ndarray, source: str) -> None:
    """Ratings that fall as the benchmark score rises are most likely ranks (lower is better)."""
    rows = np.flatnonzero(np.isfinite(ratings))
    if len(rows) < 5:
        return
    from scipy.stats import spearmanr

    sub = results.take_models(rows)
    counts = sub.observed_count()
    has = counts > 0  # rated models without any item are reported by the fit, not here
    if has.sum() < 5:
        return
    plain = sub.values.sum(axis=1)[has] / counts[has]
    if np.ptp(plain) == 0:
        return
    rho = spearmanr(plain, ratings[rows[has]]).statistic
    if rho < -0.5:
        warnings.warn(
            f"{source}: the ratings fall as the plain benchmark score rises (Spearman {rho:.2f} over "
            f"{len(rows)} models; higher ratings are read as preferred). If the file holds ranks or "
            "losses, pass --lower-is-better (or negate them); if you passed --lower-is-better, the "
            "column is already higher-is-better: drop the flag.",
            DataWarning, stacklevel=3,
        )


def cycle_groups(pairs: PairSet, n_models: int) -> list[np.ndarray]:
    """Groups of model ids (each sorted, > 1 model) whose majority preferences form cycles: the
    strongly connected components of the graph 'a is preferred to b' over decided pairs."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    decided = pairs.target != 0.5
    src = np.where(pairs.target > 0.5, pairs.a, pairs.b)[decided]
    dst = np.where(pairs.target > 0.5, pairs.b, pairs.a)[decided]
    graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n_models, n_models))
    n_comp, labels = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(labels, minlength=n_comp)
    return [np.flatnonzero(labels == c) for c in np.flatnonzero(sizes > 1)]


def _warn_cycles(pairs: PairSet, names: np.ndarray, source: str) -> None:
    """Majority preferences that form cycles are a diagnostic, not an error."""
    groups = cycle_groups(pairs, len(names))
    if groups:
        members = [format_rows(sorted(names[g].tolist()), 4) for g in groups]
        warnings.warn(
            f"{source}: majority preferences contain {len(groups)} cycle group(s), e.g. "
            f"[{members[0]}]: no weighting can agree with all of them; they are fitted as given.",
            DataWarning,
            stacklevel=3,
        )

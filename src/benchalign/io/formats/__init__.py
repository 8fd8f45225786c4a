"""Readers for the files evaluation tools write, detected from the path or named explicitly.

Results formats (each gives a long table ``model, benchmark, item, score``):

* ``table``: a long or wide CSV / TSV / Parquet / JSON table (:func:`benchalign.io.readers.read_table`);
* ``lm_eval``: lm-evaluation-harness ``results_<ts>.json`` + ``samples_<task>_<ts>.jsonl``;
* ``helm``: HELM run directories (``per_instance_stats.json`` + ``run_spec.json``);
* ``alpaca_eval``: AlpacaEval ``results/<model>/<annotator>/annotations.json``;
* ``eee``: Every Eval Ever per-instance JSONL; ``eee_aggregate``: its aggregate JSON records.

Preference formats (each gives a frame that :func:`benchalign.data.preferences_from_frame` accepts):

* ``table``: pairs ``winner, loser[, weight]``, ratings ``model, rating``, battles
  ``model_a, model_b, winner``, rankings ``list_id, model, rank``, best-of-k choices
  ``list_id, model, chosen``;
* ``arena``: Chatbot Arena / LMArena battle logs (JSON, JSONL, one-hot CSV), with filters;
* ``leaderboard``: a rating or rank table with any column names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ...data import PREFERENCE_COLUMNS
from ...errors import InputFormatError, ParameterError, format_rows
from ..readers import read_table, sniff_header
from . import alpaca_eval, arena, every_eval_ever, helm, lm_eval
from ._common import expand_paths

RESULTS_FORMATS = ("table", "lm_eval", "helm", "alpaca_eval", "eee", "eee_aggregate")
PREFERENCE_FORMATS = ("table", "arena", "leaderboard")
_TABLE_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz", ".parquet", ".pq")

__all__ = [
    "PREFERENCE_FORMATS", "RESULTS_FORMATS", "detect_preference_format", "detect_results_format",
    "read_preferences_any", "read_results_any",
]


def one_file(path: str | Path) -> Path:
    """The one file a path or a quoted glob names; a glob matching several files raises (a table or
    a preference file is read one at a time)."""
    paths = expand_paths(path)
    if len(paths) > 1:
        raise InputFormatError(
            f"{path}: the pattern matches {len(paths)} files ({format_rows([str(p) for p in paths], 3)}); "
            "this input is read from one file. Concatenate them, or name one."
        )
    return paths[0]


def detect_results_format(path: str | Path) -> str | None:
    """The results format of a file, directory or glob (one of :data:`RESULTS_FORMATS`), or None.

    Directories are searched recursively, in this order: lm_eval, helm, alpaca_eval, eee,
    eee_aggregate. Table files (CSV, TSV, Parquet, and JSON that is no tool format) are ``table``.
    """
    paths = expand_paths(path)
    p = paths[0]
    if p.is_dir():
        for name, test in (("lm_eval", lm_eval.is_lm_eval), ("helm", helm.is_helm_run),
                           ("alpaca_eval", alpaca_eval.is_alpaca_eval),
                           ("eee", lambda d: any(map(every_eval_ever.is_instance_file, d.rglob("*.jsonl")))),
                           ("eee_aggregate", lambda d: any(map(every_eval_ever.is_aggregate_file, d.rglob("*.json"))))):
            if test(p):
                return name
        return None
    name = p.name.lower()
    if name.endswith(_TABLE_SUFFIXES):
        return "table"
    if lm_eval.RESULTS_RE.match(p.name) and lm_eval.is_lm_eval(p):
        return "lm_eval"
    if name in ("per_instance_stats.json", "run_spec.json"):
        return "helm"
    if name == "annotations.json":
        return "alpaca_eval"
    if every_eval_ever.is_instance_file(p):
        return "eee"
    if every_eval_ever.is_aggregate_file(p):
        return "eee_aggregate"
    if name.endswith((".json", ".jsonl", ".json.gz", ".jsonl.gz")):
        return "table"
    return None


def detect_preference_format(path: str | Path) -> str | None:
    """The preference format of a file (one of :data:`PREFERENCE_FORMATS`), or None.

    JSON/JSONL battle records and one-hot battle tables are ``arena``; tables with the canonical
    columns are ``table``; other tables are ``leaderboard`` when a model and a rating column can
    be recognized.
    """
    p = Path(path)
    if not p.is_file():
        return None
    name = p.name.lower()
    if name.endswith((".json", ".jsonl")):
        first = _first_record(p)
        if first is not None and arena.is_battle_columns(list(first)):
            return "arena"
    columns = _columns(p)
    if columns is None:
        return None
    if {"model_a", "model_b"} <= set(columns) and "winner" not in columns:
        return "arena" if arena.is_battle_columns(columns) else None
    if any(set(needed) <= set(columns) for needed in PREFERENCE_COLUMNS.values()):
        return "table"
    if looks_like_results(columns):
        return None
    lower = {c.lower() for c in columns}
    has_model = bool(lower & set(arena.MODEL_COLUMNS)) or (bool(columns) and arena.is_unnamed(columns[0]))
    if has_model and lower & set(arena.RATING_COLUMNS + arena.WIN_RATE_COLUMNS):
        return "leaderboard"
    return None


def looks_like_results(columns: list[str]) -> bool:
    """Columns of a long results table (model, item, score), never a preference table."""
    return {"model", "item", "score"} <= set(columns)


def _first_record(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            if path.name.lower().endswith(".jsonl"):
                rec = json.loads(fh.readline())
            else:
                data = json.load(fh)
                rec = data[0] if isinstance(data, list) and data else data
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) else None


def _columns(path: Path) -> list[str] | None:
    try:
        if path.name.lower().endswith(_TABLE_SUFFIXES):
            return [str(c) for c in sniff_header(path)]
        return [str(c) for c in read_table(path).columns]
    except (InputFormatError, OSError, UnicodeDecodeError):
        return None


_RESULTS_OPTIONS = {
    "lm_eval": {"metric", "filter_name"}, "helm": {"metric"}, "alpaca_eval": {"annotator", "item"},
    "eee": {"metric"}, "eee_aggregate": set(), "table": set(),
}
_PREFERENCE_OPTIONS = {
    "arena": {"language", "category", "since", "until"},
    "leaderboard": {"model_column", "rating_column", "lower_is_better"}, "table": set(),
}
_FLAG = {"metric": "--results-metric", "filter_name": "--lm-eval-filter", "annotator": "--annotator",
         "item": "item", "language": "--language", "category": "--category", "since": "--since",
         "until": "--until", "model_column": "--model-column", "rating_column": "--rating-column",
         "lower_is_better": "--lower-is-better"}


def _given(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v not in (None, False, (), [])}


def _check_options(fmt: str, given: dict[str, Any], allowed: dict[str, set[str]], path: Any) -> None:
    unknown = sorted(set(given) - set().union(*allowed.values()))
    if unknown:
        raise ParameterError(f"Unknown reader option(s) {', '.join(unknown)} for {path}.")
    wrong = sorted(set(given) - allowed[fmt])
    if wrong:
        raise ParameterError(
            f"{path}: {', '.join(_FLAG.get(w, w) for w in wrong)} do(es) not apply to the {fmt!r} "
            f"format (it takes {', '.join(sorted(_FLAG[o] for o in allowed[fmt])) or 'no options'})."
            " Remove the option or pick the right format."
        )


def read_results_any(path: str | Path, fmt: str | None = None, **options: Any) -> pd.DataFrame:
    """Read results in any supported format into a frame for :func:`benchalign.data.results_from_frame`.

    fmt : one of :data:`RESULTS_FORMATS`, or None / ``"auto"`` to detect it.
    options : ``metric`` (lm_eval, helm, eee), ``filter_name`` (lm_eval), ``annotator`` and
        ``item`` (alpaca_eval); None values are ignored, an option the format does not take raises.

    Returns the long table ``model, benchmark, item, score`` (a ``table`` may also be wide), with
    ``attrs["source"]`` naming the path.
    """
    fmt = _resolve(path, fmt, RESULTS_FORMATS, detect_results_format, "results")
    given = _given(options)
    _check_options(fmt, given, _RESULTS_OPTIONS, path)
    if fmt == "table":
        return read_table(one_file(path))
    reader = {"lm_eval": lm_eval.read_lm_eval, "helm": helm.read_helm,
              "alpaca_eval": alpaca_eval.read_alpaca_eval, "eee": every_eval_ever.read_eee_instances,
              "eee_aggregate": every_eval_ever.read_eee_aggregate}[fmt]
    return reader(path, **given)


def read_preferences_any(path: str | Path, fmt: str | None = None, *,
                         text_columns: tuple[str, ...] = (), **options: Any) -> pd.DataFrame:
    """Read preferences in any supported format into a frame for
    :func:`benchalign.data.preferences_from_frame`.

    text_columns : columns of a table or leaderboard to keep and read as text, as written (a
        population column: '01' stays '01', not the number 1).

    fmt : one of :data:`PREFERENCE_FORMATS`, or None / ``"auto"`` to detect it. A battles table
        with filters (language, category, since, until) is read as ``arena``; a table with
        model_column / rating_column / lower_is_better as ``leaderboard``.

    Returns a pairs, ratings, battles, rankings or choices frame with ``attrs["source"]`` naming
    the path.
    """
    given = _given(options)
    path = one_file(path)
    if fmt in (None, "auto"):
        if set(given) & _PREFERENCE_OPTIONS["leaderboard"]:
            fmt = "leaderboard"
        elif set(given) & _PREFERENCE_OPTIONS["arena"]:
            fmt = "arena"
    fmt = _resolve(path, fmt, PREFERENCE_FORMATS, detect_preference_format, "preference")
    _check_options(fmt, given, _PREFERENCE_OPTIONS, path)
    if fmt == "arena":
        return arena.read_battles(path, **given)
    if fmt == "leaderboard":
        return arena.read_leaderboard(path, **given, keep_columns=text_columns)
    return read_table(path, text_columns=text_columns)


_EXPECTED = {
    "results": "a table with columns model, benchmark, item, score (or a wide table with a model "
               "column), or a tool's output",
    "preference": "a table of pairs (winner, loser[, weight]), ratings (model, rating), battles "
                  "(model_a, model_b, winner), rankings (list_id, model, rank) or choices "
                  "(list_id, model, chosen), an Arena battle log, or a leaderboard",
}


def _resolve(path: str | Path, fmt: str | None, allowed: tuple[str, ...], detect: Any, what: str) -> str:
    if fmt in (None, "auto"):
        found = detect(path)
        if found is None:
            columns = _columns(Path(path)) if Path(path).is_file() else None
            seen = f" from columns {', '.join(columns)}" if columns else ""
            if what == "preference" and columns and looks_like_results(columns):
                seen += ", which are question-level results (were --results and --preferences swapped?)"
            raise InputFormatError(
                f"{path}: cannot tell the {what} format{seen}. Expected {_EXPECTED[what]}; or name "
                f"the format with --{what}-format ({', '.join(allowed)})."
            )
        return str(found)
    if fmt not in allowed:
        raise ParameterError(
            f"The '{what}_format' parameter must be one of {', '.join(allowed)}. Got {fmt!r} instead."
        )
    return fmt

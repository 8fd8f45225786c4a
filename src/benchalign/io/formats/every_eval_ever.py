"""Every Eval Ever (EEE) records: per-instance JSONL and aggregate JSON.

Per-instance (``<uuid>_samples.jsonl``, one line per item): ``model_id``, ``evaluation_name``,
optional ``evaluation_result_id`` (schema 0.3), ``sample_id`` and ``evaluation.score``.
Out: model = ``model_id``; benchmark = ``evaluation_name``; item = ``<evaluation_name>/<sample_id>``.

Aggregate (``<uuid>.json``): ``model_info.id`` and ``evaluation_results[]`` with ``evaluation_name``
and ``score_details.score``. Out: model = ``model_info.id``; benchmark =
``source_metadata.source_name`` (e.g. ``HF Open LLM v2``); item = the evaluation name, so weights
fall on the leaderboard's benchmarks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import DataValidationError, InputFormatError
from ._common import Row, as_score, expand_paths, iter_jsonl, long_frame, read_json


def _first_line(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            line = fh.readline()
        rec = json.loads(line)
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) else None


def is_instance_file(path: Path) -> bool:
    """True for a JSONL file whose first record has ``model_id``, ``sample_id`` and ``evaluation``."""
    rec = _first_line(path) if path.name.endswith(".jsonl") else None
    return bool(rec) and {"model_id", "sample_id", "evaluation"} <= set(rec)  # type: ignore[arg-type]


def is_aggregate_file(path: Path) -> bool:
    """True for a JSON file with ``model_info`` and ``evaluation_results``."""
    if not path.name.endswith(".json"):
        return False
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(65536)
    except OSError:
        return False
    return '"evaluation_results"' in head and '"model_info"' in head


def _files(path: str | Path, test: Any, pattern: str, what: str) -> list[Path]:
    found: list[Path] = []
    for p in expand_paths(path):
        found.extend([p] if p.is_file() else sorted(q for q in p.rglob(pattern) if test(q)))
    if not found:
        raise InputFormatError(f"{path}: no Every Eval Ever {what} found.")
    return found


def read_eee_instances(path: str | Path, metric: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Read EEE per-instance JSONL file(s) (a file, a directory searched recursively, or a glob).

    metric : keep only records whose ``evaluation_result_id`` is one of these (needed when a file
        holds several metrics for the same samples). Default: every record.

    Returns a DataFrame ``model, benchmark, item, score``.
    """
    keep = {m.strip() for w in ([metric] if isinstance(metric, str) else metric or [])
            for m in w.split(",") if m.strip()}
    rows: list[Row] = []
    result_ids: list[str] = []
    for f in _files(path, is_instance_file, "*.jsonl", "per-instance JSONL (*_samples.jsonl)"):
        for lineno, rec in iter_jsonl(f):
            row, result_id = _instance_row(rec, f"{f}:{lineno}")
            if not keep or result_id in keep:
                rows.append(row)
                result_ids.append(result_id)
    if keep and not rows:
        raise InputFormatError(f"{path}: no record has evaluation_result_id in {sorted(keep)}.")
    _check_one_metric(rows, result_ids, str(path))
    return long_frame(rows, str(path))


def _instance_row(rec: dict[str, Any], where: str) -> tuple[Row, str]:
    missing = [k for k in ("model_id", "sample_id", "evaluation_name", "evaluation") if rec.get(k) is None]
    if missing:
        raise InputFormatError(
            f"{where}: instance record lacks {', '.join(missing)}. Every Eval Ever instance records "
            "need model_id, evaluation_name, sample_id and evaluation.score."
        )
    result_id = str(rec.get("evaluation_result_id") or rec["evaluation_name"])
    evaluation = rec["evaluation"] if isinstance(rec["evaluation"], dict) else {}
    where_id = f"{where} (sample_id {rec['sample_id']!r})"
    score = as_score(evaluation.get("score"), where_id, "evaluation.score",
                     "Give a numeric score (is_correct alone is not read) or remove the record.")
    bench = str(rec["evaluation_name"])
    row = Row(str(rec["model_id"]), bench, f"{bench}/{rec['sample_id']}", score, where_id)
    return row, result_id


def _check_one_metric(rows: list[Row], result_ids: list[str], source: str) -> None:
    per_item: dict[tuple[str, str], set[str]] = {}
    for r, result_id in zip(rows, result_ids):
        per_item.setdefault((r.model, r.item), set()).add(result_id)
    several = {k: v for k, v in per_item.items() if len(v) > 1}
    if several:
        (model, item), ids = next(iter(several.items()))
        raise DataValidationError(
            f"{source}: {len(several)} samples carry several metrics, e.g. {item!r} of {model!r} "
            f"with evaluation_result_id {', '.join(sorted(ids))}. Choose one with --results-metric."
        )


def read_eee_aggregate(path: str | Path) -> pd.DataFrame:
    """Read EEE aggregate record(s): one score per (model, evaluation).

    Returns a DataFrame ``model, benchmark, item, score`` with benchmark = the source name and
    item = the evaluation name. A lower-is-better metric raises :class:`DataValidationError`.
    """
    rows: list[Row] = []
    for f in _files(path, is_aggregate_file, "*.json", "aggregate record (*.json)"):
        rows.extend(_aggregate_rows(f))
    return long_frame(rows, str(path))


def _aggregate_rows(path: Path) -> list[Row]:
    data = read_json(path)
    model = ((data.get("model_info") or {}).get("id") or (data.get("model_info") or {}).get("name")
             if isinstance(data, dict) else None)
    results = data.get("evaluation_results") if isinstance(data, dict) else None
    if not model or not isinstance(results, list):
        raise InputFormatError(
            f"{path}: an Every Eval Ever aggregate record needs model_info.id and a list "
            "evaluation_results."
        )
    source = str((data.get("source_metadata") or {}).get("source_name") or "every_eval_ever")
    rows = []
    for i, res in enumerate(results):
        name = res.get("evaluation_result_id") or res.get("evaluation_name")
        where = f"{path}: evaluation_results[{i}] ({name!r})"
        if not name:
            raise InputFormatError(f"{where}: has no evaluation_name.")
        if (res.get("metric_config") or {}).get("lower_is_better"):
            raise DataValidationError(
                f"{where}: the metric is lower-is-better; benchalign weights assume higher is "
                "better. Convert it (e.g. max_score - score) or remove this evaluation."
            )
        score = as_score((res.get("score_details") or {}).get("score"), where,
                         "score_details.score", "Give a numeric score or remove this evaluation.")
        rows.append(Row(str(model), source, str(name), score, where))
    return rows

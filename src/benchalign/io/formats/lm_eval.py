"""lm-evaluation-harness output directories (``lm_eval ... --output_path DIR --log_samples``).

Layout: ``DIR/<model_name_sanitized>/results_<timestamp>.json`` and, per task,
``samples_<task>_<timestamp>.jsonl`` with one line per document (and per filter for generative
tasks): ``doc_id``, ``filter``, ``metrics`` (the metric names) and each metric's per-item value.

Out comes the long table: model = the results file's ``model_name``; benchmark = the task's top-level
group (``mmlu`` for ``mmlu_anatomy``) or the task itself; item = ``<task>/<doc_id>``; score = the
chosen metric under the chosen filter. A task written by ``benchalign export lm-eval`` reads back
with the source benchmark and item ids its documents carry, so a run of the exported folder scores
with the benchmark file directly.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import DataValidationError, DataWarning, InputFormatError, format_rows
from ._common import Row, as_score, expand_paths, iter_jsonl, long_frame, read_json

ITEM_FIELD = "benchalign_item"
"""Field of each document of a task exported by benchalign: the item id it had in the benchmark."""
EXPORTED_BENCHMARK_KEY = "benchalign_benchmark"
"""Key of an exported task's ``metadata``: the source benchmark of its items."""
RESULTS_RE = re.compile(r"^results_(?P<ts>.+)\.json$")
DEFAULT_FILTER = "none"


@dataclass(frozen=True)
class Run:
    """One ``results_<timestamp>.json`` file and what it says about the run."""

    path: Path
    timestamp: str
    model: str
    configs: dict[str, Any]
    top_group: dict[str, str]


def is_lm_eval(path: Path) -> bool:
    """True for a ``results_<timestamp>.json`` file or a directory holding one (searched recursively)."""
    if path.is_file():
        return bool(RESULTS_RE.match(path.name)) and _looks_like_results(path)
    return any(_looks_like_results(p) for p in _results_files(path))


def _results_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("results_*.json") if RESULTS_RE.match(p.name))


def _looks_like_results(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return '"results"' in head


def find_results_files(path: str | Path) -> list[Path]:
    """All ``results_<timestamp>.json`` files of a file, directory (recursive) or glob pattern."""
    found: list[Path] = []
    for p in expand_paths(path):
        if p.is_file():
            if not RESULTS_RE.match(p.name):
                raise InputFormatError(
                    f"{p}: not an lm-evaluation-harness results file (expected a name like "
                    "results_<timestamp>.json). Point at the file or at its directory."
                )
            found.append(p)
        else:
            found.extend(_results_files(p))
    if not found:
        raise InputFormatError(
            f"{path}: no lm-evaluation-harness results_<timestamp>.json found. lm_eval writes them "
            "to --output_path/<model>/; pass that directory, a parent of several, or a glob."
        )
    return sorted(set(found))


def read_run(path: Path) -> Run:
    """Parse one results file: model name, task configs, and each task's top-level group."""
    data = read_json(path)
    if not isinstance(data, dict) or "results" not in data:
        raise InputFormatError(
            f"{path}: not an lm-evaluation-harness results file (no 'results' key)."
        )
    ts = RESULTS_RE.match(path.name).group("ts")  # type: ignore[union-attr]
    configs = data.get("configs") or {}
    if not isinstance(configs, dict) or not configs:
        raise InputFormatError(
            f"{path}: has no task 'configs'; it was written by an lm-eval version without them "
            "(< 0.4). Re-run with lm-eval >= 0.4 and --log_samples."
        )
    return Run(path, ts, _model_name(path, data), configs, _top_groups(data.get("group_subtasks")))


def _model_name(path: Path, data: dict[str, Any]) -> str:
    name = data.get("model_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    args = str((data.get("config") or {}).get("model_args") or "")
    match = re.search(r"(?:pretrained|model|path)=([^,]+)", args)
    if match:
        return match.group(1).strip()
    raise InputFormatError(
        f"{path}: no model name (neither 'model_name' nor pretrained=... in config.model_args). "
        "Add a \"model_name\" key to the file."
    )


def _top_groups(group_subtasks: Any) -> dict[str, str]:
    """Map each task to its top-most group (a task in no group maps to itself)."""
    if not isinstance(group_subtasks, dict):
        return {}
    parent = {str(t): str(g) for g, subs in group_subtasks.items() for t in (subs or [])}
    top = {}
    for task in parent:
        node, seen = task, {task}
        while node in parent and parent[node] not in seen:
            node = parent[node]
            seen.add(node)
        top[task] = node
    return top


def read_lm_eval(
    path: str | Path,
    metric: str | Sequence[str] | None = None,
    filter_name: str | None = None,
) -> pd.DataFrame:
    """Read lm-evaluation-harness ``--log_samples`` output into a long results table.

    path : a ``results_<timestamp>.json``, a model directory, a parent of several model
        directories (searched recursively), or a glob pattern. One model per results file.
    metric : metric name(s); per task, the first one the task has. Default: the first metric of
        the task's ``metric_list`` (e.g. ``acc`` for arc/hellaswag, ``exact_match`` for gsm8k).
    filter_name : filter of generative tasks. Default: the task's first ``filter_list`` entry
        (``strict-match`` for gsm8k), ``none`` for tasks without filters.

    Returns a DataFrame ``model, benchmark, item, score`` (item = ``<task>/<doc_id>``). When a
    model has the same task in several runs the newest run is used, with a :class:`DataWarning`.
    """
    metrics = _split(metric)
    runs = [read_run(p) for p in find_results_files(path)]
    rows: list[Row] = []
    for run, tasks in _latest_per_task(runs):
        for task in tasks:
            rows.extend(_task_rows(run, task, metrics, filter_name))
    return long_frame(rows, str(path))


def _split(metric: str | Sequence[str] | None) -> list[str]:
    if metric is None:
        return []
    parts = [metric] if isinstance(metric, str) else list(metric)
    return [m.strip() for p in parts for m in p.split(",") if m.strip()]


def _latest_per_task(runs: list[Run]) -> list[tuple[Run, list[str]]]:
    """Per model, each task from its newest run; warn about older runs that are not used."""
    chosen: dict[tuple[str, str], Run] = {}
    replaced: list[str] = []
    for run in sorted(runs, key=lambda r: r.timestamp):
        for task in run.configs:
            key = (run.model, task)
            if key in chosen:
                replaced.append(f"{run.model} / {task}: {chosen[key].path.name} -> {run.path.name}")
            chosen[key] = run
    if replaced:
        warnings.warn(
            f"lm-eval: tasks found in several runs of the same model; using the newest: "
            f"{format_rows(replaced, 3)}. Point at one results file to choose another run.",
            DataWarning, stacklevel=3,
        )
    plan: dict[Path, tuple[Run, list[str]]] = {}
    for (_, task), run in chosen.items():
        plan.setdefault(run.path, (run, []))[1].append(task)
    _warn_missing_samples(list(plan.values()))
    return [(run, [t for t in tasks if samples_path(run, t).exists()]) for run, tasks in plan.values()]


def samples_path(run: Run, task: str) -> Path:
    """The ``samples_<task>_<timestamp>.jsonl`` file of a task of a run (may not exist)."""
    return run.path.parent / f"samples_{task}_{run.timestamp}.jsonl"


def _warn_missing_samples(plan: list[tuple[Run, list[str]]]) -> None:
    missing = [f"{samples_path(r, t)}" for r, tasks in plan for t in tasks if not samples_path(r, t).exists()]
    n_tasks = sum(len(tasks) for _, tasks in plan)
    if len(missing) == n_tasks:
        raise InputFormatError(
            f"no samples_<task>_<timestamp>.jsonl next to the results files (looked for "
            f"{format_rows(missing, 3)}). Per-question results need lm_eval run with --log_samples."
        )
    if missing:
        warnings.warn(
            f"lm-eval: {len(missing)} task(s) have aggregate results but no samples file, so no "
            f"per-question results; they are left out: {format_rows(missing, 3)}.",
            DataWarning, stacklevel=4,
        )


def _task_rows(run: Run, task: str, metrics: list[str], filter_name: str | None) -> list[Row]:
    path = samples_path(run, task)
    by_filter: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for lineno, rec in iter_jsonl(path):
        by_filter.setdefault(str(rec.get("filter", DEFAULT_FILTER)), []).append((lineno, rec))
    if not by_filter:
        raise InputFormatError(f"{path}: the samples file is empty. Re-run the task with --log_samples.")
    config = run.configs.get(task) or {}
    chosen_filter = filter_name or default_filter(config, by_filter)
    if chosen_filter not in by_filter:
        raise InputFormatError(
            f"{path}: no samples with filter {chosen_filter!r}; this task has filters "
            f"{', '.join(sorted(by_filter))}. Pass one of them as the filter (--lm-eval-filter)."
        )
    records = by_filter[chosen_filter]
    name = choose_metric(path, config, records, metrics)
    benchmark = run.top_group.get(task, task)
    exported = (config.get("metadata") or {}).get(EXPORTED_BENCHMARK_KEY)
    rows, seen = [], {}
    for lineno, rec in records:
        where = f"{path}:{lineno}"
        if "doc_id" not in rec:
            raise DataValidationError(f"{where}: sample has no 'doc_id'. Is this an lm-eval samples file?")
        doc = rec["doc_id"]
        if doc in seen:
            raise DataValidationError(
                f"{where}: doc_id {doc} appears twice for filter {chosen_filter!r} (first at line "
                f"{seen[doc]}). Was the samples file concatenated from two runs? Keep one."
            )
        seen[doc] = lineno
        if name not in rec:
            raise DataValidationError(
                f"{where}: doc_id {doc} has no value for metric {name!r} (keys: "
                f"{format_rows(sorted(k for k in rec if k not in _NON_METRIC), 8)}). Choose a metric "
                "that every sample has, or re-run the task."
            )
        score = as_score(rec[name], f"{where} (doc_id {doc})", f"metric {name!r}",
                         "Choose a per-question metric such as acc or exact_match "
                         "(corpus metrics like bleu have no per-question score).")
        item = _source_item(rec, where) if exported is not None else f"{task}/{doc}"
        rows.append(Row(run.model, str(exported or benchmark), item, score, f"{where} (doc_id {doc})"))
    return rows


def _source_item(rec: dict[str, Any], where: str) -> str:
    """The benchalign item id an exported task's document carries (see :mod:`benchalign.export`)."""
    doc = rec.get("doc")
    item = doc.get(ITEM_FIELD) if isinstance(doc, dict) else None
    if not isinstance(item, str) or not item:
        raise DataValidationError(
            f"{where}: the task was exported by benchalign but this sample's doc has no "
            f"{ITEM_FIELD!r}. Run the task folder as written, with --log_samples.")
    return item


_NON_METRIC = {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter",
               "metrics", "doc_hash", "prompt_hash", "target_hash"}


def default_filter(config: dict[str, Any], by_filter: dict[str, Any]) -> str:
    """The filter read by default: the task's first ``filter_list`` entry present, else ``none``."""
    names = [f.get("name") for f in config.get("filter_list") or [] if isinstance(f, dict)]
    for name in names:
        if name in by_filter:
            return str(name)
    if DEFAULT_FILTER in by_filter or len(by_filter) > 1:
        return DEFAULT_FILTER
    return next(iter(by_filter))


def _available_metrics(config: dict[str, Any], records: list[tuple[int, dict[str, Any]]]) -> list[str]:
    listed = [m.get("metric") for m in config.get("metric_list") or [] if isinstance(m, dict)]
    in_samples = []
    for _, rec in records:
        for m in rec.get("metrics") or []:
            if m not in in_samples:
                in_samples.append(m)
    out = [str(m) for m in listed if isinstance(m, str) and (not in_samples or m in in_samples)]
    return out + [m for m in in_samples if m not in out]


def choose_metric(path: Path, config: dict[str, Any], records: list[tuple[int, dict[str, Any]]],
                  requested: list[str]) -> str:
    """The metric read from a task's samples: the first of ``requested`` the task has, else the
    first of its ``metric_list`` (or, lacking one, of the samples' metrics)."""
    available = _available_metrics(config, records)
    if not available:
        available = sorted({k for _, r in records for k in r if k not in _NON_METRIC})
    for name in requested or available[:1]:
        if name in available:
            return name
    if not requested:
        raise InputFormatError(f"{path}: no metric found in the task config or the samples.")
    raise InputFormatError(
        f"{path}: metric {', '.join(map(repr, requested))} not in this task; available: "
        f"{', '.join(available)}. Pass one of them (--results-metric; a comma list picks, per "
        "task, the first one the task has)."
    )

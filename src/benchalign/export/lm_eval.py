"""An aligned or pruned benchmark as a task folder of lm-evaluation-harness, or as a document list.

Task folder (:func:`export_lm_eval`), from the ``--log_samples`` runs the benchmark's results came
from: per source task one task ``<name>_<task>`` that reads only the kept documents (a JSONL written
from the logged ``doc`` of each, so a pruned benchmark of K questions costs K documents), with the
source task's prompt configuration (its logged fields, or an ``include:`` of its YAML when those
fields are Python functions) and its metrics, plus ``aligned`` = Σ w·x / Σ w over the documents run;
a group ``<name>`` whose ``aligned_benchmark`` is the benchmark's aligned score; ``weights.json``,
``utils.py`` (:mod:`benchalign.export.lm_eval_task_utils`, no import of benchalign) and a README
with the provenance. ``lm_eval run --include_path DIR --tasks <name>`` runs it; its samples read back
with the source item ids (see :mod:`benchalign.io.formats.lm_eval`), so ``benchalign score`` scores
the run directly.

Document list (:func:`document_list`): ``task, doc_id, weight, item`` rows and the JSON mapping that
the harness's ``--samples`` option takes to run only those documents of its own tasks.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..artifact import AlignedBenchmark
from ..errors import BenchAlignError, ExportError, format_rows
from ..io.formats._common import iter_jsonl
from ..io.formats.lm_eval import (DEFAULT_FILTER, EXPORTED_BENCHMARK_KEY, ITEM_FIELD, Run,
                                  choose_metric, default_filter, find_results_files, read_run,
                                  samples_path)
from ..outputs import write_folder_atomic

UTILS_SOURCE = Path(__file__).with_name("lm_eval_task_utils.py")
SPLIT = "kept"
ITEM_RE = re.compile(r"^(?P<task>[^/]+)/(?P<doc>\d+)$")
_FUNCTION_RE = re.compile(r"^\s*(def |@|lambda\b|class )|\ndef ")
_NOT_PROMPT = {"task", "task_alias", "tag", "group", "group_alias", "dataset_path", "dataset_name",
               "dataset_kwargs", "custom_dataset", "training_split", "validation_split",
               "test_split", "fewshot_split", "process_docs", "metadata", "fewshot_config",
               "class", "include"}


@dataclass
class LoggedTask:
    """What the ``--log_samples`` runs recorded about one source task.

    config : the task's configuration in the results file; docs : {doc_id: logged doc};
    records : the first run's samples (line number, record) under ``filter``, the filter the
    lm-eval reader reads by default; origin : the samples file the docs were first read from.
    """

    name: str
    benchmark: str
    config: dict[str, Any]
    n_shot: int
    origin: Path
    docs: dict[int, dict[str, Any]] = field(default_factory=dict)
    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    filter: str = DEFAULT_FILTER


@dataclass(frozen=True)
class LmEvalExport:
    """What :func:`export_lm_eval` wrote: the folder, the group name, {task: documents} and the
    command that runs it."""

    folder: Path
    group: str
    tasks: dict[str, int]
    command: str
    included: list[str]


def read_logged_tasks(run_dirs: Sequence[str | Path]) -> dict[str, LoggedTask]:
    """Every task of the runs' ``samples_<task>_<timestamp>.jsonl`` files with its logged docs.

    run_dirs : ``--output_path`` folders (or results files) of ``lm_eval run --log_samples``; the
    same task in several runs (several models) must log the same document for each doc_id.
    Raises :class:`ExportError` when a path holds no harness output.
    """
    tasks: dict[str, LoggedTask] = {}
    for run_dir in run_dirs:
        try:
            files = find_results_files(run_dir)
        except BenchAlignError as exc:
            raise ExportError(
                f"{run_dir}: not lm-evaluation-harness output ({exc}) The task folder is built "
                "from the documents the harness logged; for results from another source export "
                "the document list instead (--doc-list).") from None
        for path in files:
            run = read_run(path)
            for task in run.configs:
                _add_docs(tasks, run, task)
    if not tasks:
        raise ExportError(
            f"{', '.join(map(str, run_dirs))}: the runs have no samples files; re-run lm_eval "
            "with --log_samples.")
    return tasks


def _add_docs(tasks: dict[str, LoggedTask], run: Run, task: str) -> None:
    path = samples_path(run, task)
    if not path.exists():
        return
    config = run.configs.get(task) or {}
    first = task not in tasks
    if first:
        tasks[task] = LoggedTask(task, run.top_group.get(task, task), config,
                                 int(config.get("num_fewshot") or 0), path)
    logged = tasks[task]
    by_filter: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for lineno, rec in iter_jsonl(path):
        doc_id, doc = rec.get("doc_id"), rec.get("doc")
        if not isinstance(doc, dict) or not isinstance(doc_id, int):
            raise ExportError(f"{path}:{lineno}: sample without a 'doc' object and an integer "
                              "'doc_id'; re-run the task with --log_samples.")
        if logged.docs.setdefault(doc_id, doc) != doc:
            raise ExportError(
                f"{path}:{lineno}: doc_id {doc_id} differs from the same document in "
                f"{logged.origin}; the runs used different versions of the task's data. Export "
                "from runs of one version.")
        by_filter.setdefault(str(rec.get("filter", DEFAULT_FILTER)), []).append((lineno, rec))
    if first and by_filter:
        logged.filter = default_filter(config, by_filter)
        logged.records = by_filter[logged.filter]


def plan(benchmark: AlignedBenchmark, tasks: dict[str, LoggedTask]) -> dict[str, pd.DataFrame]:
    """Per source task, its kept documents: ``doc_id, item, weight`` (benchmark order).

    Raises :class:`ExportError` naming the items that are not ``<task>/<doc_id>`` or whose task or
    document no run logged.
    """
    rows = document_rows(benchmark)
    unknown = rows[~rows["task"].isin(list(tasks))]
    if len(unknown):
        raise ExportError(
            f"{len(unknown)} questions are from tasks no run logged ({format_rows(unknown['item'].tolist())}); "
            f"the runs have {format_rows(sorted(tasks))}. Pass the --log_samples output of those "
            "tasks to --results too.")
    lacking = [item for item, task, doc in zip(rows["item"], rows["task"], rows["doc_id"])
               if int(doc) not in tasks[task].docs]
    if lacking:
        raise ExportError(
            f"{len(lacking)} questions have no logged doc ({format_rows(lacking)}): no run logged "
            "those documents (was it run with --limit?). Pass a run that evaluated them.")
    return {task: frame[["doc_id", "item", "weight"]].reset_index(drop=True)
            for task, frame in rows.groupby("task", sort=True)}


def document_rows(benchmark: AlignedBenchmark) -> pd.DataFrame:
    """``task, doc_id, weight, item`` for every item of the benchmark (ids ``<task>/<doc_id>``, as
    the lm-eval reader writes them); :class:`ExportError` names the items of another form."""
    items = benchmark.items.astype(str)
    matches = [ITEM_RE.match(item) for item in items]
    bad = [item for item, m in zip(items, matches) if m is None]
    if bad:
        raise ExportError(
            f"{len(bad)} item ids are not <task>/<doc_id> ({format_rows(bad)}), so they name no "
            "harness document. Items read from lm-eval samples have that form; map other ids "
            "to harness tasks and document indices first (see docs/export.md).")
    return pd.DataFrame({"task": [m.group("task") for m in matches],  # type: ignore[union-attr]
                         "doc_id": [int(m.group("doc")) for m in matches],  # type: ignore[union-attr]
                         "weight": benchmark.weights.astype(float), "item": items})


def document_list(rows: pd.DataFrame) -> tuple[str, dict[str, list[int]]]:
    """The document-list form of ``rows`` (``task, doc_id, weight[, item]``): JSONL text, one
    document a line in decreasing weight, and ``{task: [doc_id, ...]}`` (sorted ids) for the
    harness's ``--samples`` option."""
    order = rows.sort_values(["weight", "task", "doc_id"], ascending=[False, True, True], kind="stable")
    lines = [json.dumps({k: _plain(row[k]) for k in order.columns}) for _, row in order.iterrows()]
    samples = {task: sorted(int(d) for d in frame["doc_id"])
               for task, frame in rows.groupby("task", sort=True)}
    return "\n".join(lines) + "\n", samples


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def export_lm_eval(benchmark: AlignedBenchmark, run_dirs: Sequence[str | Path],
                   folder: str | Path, *, name: str, provenance: dict[str, str],
                   metric: Sequence[str] = (), force: bool = False) -> LmEvalExport:
    """Write the task folder of ``benchmark`` (see the module docstring) and return what it holds.

    run_dirs : the ``--log_samples`` output the benchmark's results came from. name : the group,
    and the prefix of each task. provenance : lines for the README (benchmark file, its sha256,
    date, preferences, command line). metric : per task, the first of these it has is x (default:
    the metric the lm-eval reader reads, the first of the task's metric_list).
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ExportError(f"--name {name!r}: use letters, digits, '_', '-' or '.' (it names the "
                          "group and prefixes the task names).")
    tasks = read_logged_tasks(run_dirs)
    kept = plan(benchmark, tasks)
    files: dict[str, str] = {"utils.py": UTILS_SOURCE.read_text(encoding="utf-8")}
    metrics, included = {}, []
    for task, docs in kept.items():
        out_name = f"{name}_{task}"
        metrics[out_name] = _metric(tasks[task], list(metric))
        files[f"docs_{task}.jsonl"] = _docs_jsonl(tasks[task], docs)
        yaml, include = _task_yaml(out_name, tasks[task], f"docs_{task}.jsonl")
        files[f"{out_name}.yaml"] = yaml
        if include:
            included.append(task)
    files[f"{name}.yaml"] = _group_yaml(name, [f"{name}_{t}" for t in kept])
    files["weights.json"] = _weights_json(kept, metrics, {f"{name}_{t}": t for t in kept})
    command = (f"lm_eval run --include_path {Path(folder)} --tasks {name} --model <model> "
               "--model_args <args> --log_samples --output_path <run_dir>")
    counts = {f"{name}_{t}": len(d) for t, d in kept.items()}
    x_text = {f"{name}_{t}": f"`{metrics[f'{name}_{t}']}`" + (
        f" (filter `{tasks[t].filter}`, named `none` here)" if tasks[t].filter != DEFAULT_FILTER else "")
        for t in kept}
    files["README.md"] = _readme(name, counts, x_text, provenance, command, included)
    write_folder_atomic(folder, files, force=force)
    return LmEvalExport(Path(folder), name, counts, command, included)


def _metric(task: LoggedTask, requested: list[str]) -> str:
    """x of the task: the reader's choice of metric, checked to be a number per document."""
    name = choose_metric(task.origin, task.config, task.records, requested)
    for lineno, rec in task.records:
        value = rec.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExportError(
                f"{task.origin}:{lineno}: metric {name!r} of task {task.name} is {value!r}, not "
                "a number per document; the aligned score needs one (choose one with --metric).")
    return name


def _docs_jsonl(task: LoggedTask, docs: pd.DataFrame) -> str:
    """The kept documents in benchmark order, each marked with its item id."""
    lines = [json.dumps({**task.docs[int(d)], ITEM_FIELD: str(item)}, ensure_ascii=False)
             for d, item in zip(docs["doc_id"], docs["item"])]
    return "\n".join(lines) + "\n"


def _is_function(value: object) -> bool:
    if isinstance(value, str):
        return bool(_FUNCTION_RE.search(value))
    if isinstance(value, dict):
        return any(_is_function(v) for v in value.values())
    if isinstance(value, list):
        return any(_is_function(v) for v in value)
    return False


def _task_yaml(out_name: str, task: LoggedTask, docs_file: str) -> tuple[str, bool]:
    """YAML text of an exported task, and whether it includes the source YAML (prompt fields that
    are Python functions cannot be written from the logged config)."""
    prompt = {k: v for k, v in task.config.items() if k not in _NOT_PROMPT}
    include = _source_yaml(task) if any(_is_function(v) for v in prompt.values()) else None
    lines = [f"task: {json.dumps(out_name)}"]
    if include is not None:
        lines = [f"include: {json.dumps(str(include))}", *lines]
        prompt = {k: prompt[k] for k in ("num_fewshot", "filter_list") if k in prompt}
    if task.filter != DEFAULT_FILTER:
        prompt["filter_list"] = _read_filter_first(task)
    dataset_kwargs: dict[str, Any] = {"docs_file": docs_file}
    fewshot = _fewshot_source(task)
    if fewshot is not None:
        dataset_kwargs["fewshot"] = fewshot
    lines += ["class: !function utils.AlignedTask", "custom_dataset: !function utils.load_docs",
              f"dataset_kwargs: {json.dumps(dataset_kwargs)}", f"test_split: {SPLIT}",
              "training_split: null", "validation_split: null", "process_docs: null",
              f"fewshot_split: {json.dumps(fewshot['split'] if fewshot else None)}"]
    lines += [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in prompt.items()]
    meta = {"version": (task.config.get("metadata") or {}).get("version", 1.0),
            EXPORTED_BENCHMARK_KEY: task.benchmark, "benchalign_source_task": task.name}
    lines.append(f"metadata: {json.dumps(meta)}")
    return "\n".join(lines) + "\n", include is not None


def _read_filter_first(task: LoggedTask) -> list[dict[str, Any]]:
    """The source's filter_list with the filter x is read from first and named ``none``.

    The harness aggregates a group per filter name, and a multiple-choice task's only filter is
    ``none``: under its own name (``strict-match``) a generative task's aligned terms would be
    left out of the group's number. The lm-eval reader reads the first filter by default, so
    the exported run reads back the same x.
    """
    filters = [f for f in task.config.get("filter_list") or [] if isinstance(f, dict)]
    chosen = [{**f, "name": DEFAULT_FILTER} for f in filters if f.get("name") == task.filter]
    return chosen + [f for f in filters if f.get("name") not in (task.filter, DEFAULT_FILTER)]


def _fewshot_source(task: LoggedTask) -> dict[str, Any] | None:
    """Where the source drew its few-shot examples, when it used any (its dataset's split)."""
    if task.n_shot <= 0:
        return None
    cfg = task.config
    split = (cfg.get("fewshot_split") or (cfg.get("fewshot_config") or {}).get("split")
             or cfg.get("training_split") or cfg.get("validation_split"))
    if not split or not cfg.get("dataset_path"):
        raise ExportError(
            f"task {task.name} ran with {task.n_shot} few-shot examples drawn from its evaluation "
            "documents, which the exported task does not have. Export the document list instead "
            "(--doc-list) and run the harness's own task with --samples.")
    return {"path": cfg["dataset_path"], "name": cfg.get("dataset_name"), "split": split}


def _source_yaml(task: LoggedTask) -> Path:
    """The source task's YAML: the run's ``config_source`` if it still exists, else the task of
    that name in the installed harness."""
    source = (task.config.get("metadata") or {}).get("config_source")
    if source and Path(source).is_file():
        return Path(source).resolve()
    installed = _installed_yaml(task.name)
    if installed is not None:
        return installed
    raise ExportError(
        f"task {task.name}: its prompts are Python functions and its YAML ({source or 'unknown'}) "
        "is not found here or in the installed lm-eval. Run the export where the task's YAML is, "
        "or export the document list (--doc-list).")


def _installed_yaml(task: str) -> Path | None:
    """The YAML of ``task`` in the installed harness's task index (None without lm-eval)."""
    try:
        from lm_eval.tasks import TaskManager
    except ImportError:
        return None
    entry = TaskManager().task_index.get(task)
    path = getattr(entry, "yaml_path", None)
    return Path(path).resolve() if path and Path(path).is_file() else None


def _group_yaml(name: str, tasks: list[str]) -> str:
    return "\n".join([
        f"group: {json.dumps(name)}",
        f"task: {json.dumps(tasks)}",
        "aggregate_metric_list:",
        "  - metric: aligned_benchmark",
        "    weight_by_size: true",
        "metadata: {\"version\": 1.0}",
    ]) + "\n"


def _weights_json(kept: dict[str, pd.DataFrame], metrics: dict[str, str],
                  out_names: dict[str, str]) -> str:
    weights = {str(i): float(w) for docs in kept.values() for i, w in zip(docs["item"], docs["weight"])}
    doc = {"metric": metrics, "source_task": out_names, "n_docs": len(weights),
           "total_weight": float(sum(weights.values())), "weights": weights}
    return json.dumps(doc, indent=1) + "\n"


def file_provenance(path: str | Path) -> dict[str, str]:
    """Provenance lines of an input file: name, sha256 of its bytes, modification time (UTC)."""
    p = Path(path)
    stamp = datetime.fromtimestamp(p.stat().st_mtime, tz=timezone.utc)
    return {"path": str(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
            "modified": stamp.strftime("%Y-%m-%d %H:%M:%S UTC")}


def _readme(name: str, counts: dict[str, int], metrics: dict[str, str],
            provenance: dict[str, str], command: str, included: list[str]) -> str:
    rows = "\n".join(f"| `{t}` | {n} | {metrics[t]} |" for t, n in counts.items())
    prov = "\n".join(f"* {key}: {value}" for key, value in provenance.items())
    note = (f"\nTasks whose prompts are Python functions include the source task's YAML by absolute "
            f"path ({', '.join(included)}); the folder runs where that file is.\n"
            if included else "")
    return f"""# `{name}`: an aligned benchmark as lm-evaluation-harness tasks

Written by benchalign {__version__} (`benchalign export lm-eval`). Each task reads only the kept
documents (`docs_<task>.jsonl`, as the source runs logged them) with the source task's prompts and
metrics, and adds:

* `aligned`: Σ w·x / Σ w over the task's documents run (x = the metric in the table, w = the
  question's weight in `weights.json`);
* `aligned_benchmark`: the task's term of the benchmark score. The group `{name}` reports it
  averaged over tasks by document count, which is the aligned score of the whole benchmark,
  Σ w·x / Σ w over all {sum(counts.values())} documents, when every document is run (not with
  `--limit`).

| task | documents | x |
|---|---:|---|
{rows}

Run it (lm-eval >= 0.4):

    {command}

`benchalign score --benchmark BENCHMARK.json --results <run_dir>` scores the run's samples with
the benchmark file directly (the documents carry their item ids in `{ITEM_FIELD}`).
{note}
## Provenance

{prov}
"""

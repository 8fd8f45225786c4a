"""Run-time code of a task folder written by ``benchalign export lm-eval`` (copied there as utils.py).

lm-evaluation-harness loads it through the ``!function utils.…`` tags of the folder's YAML files.
It needs only the harness and the files beside it, never benchalign:

* ``docs_<task>.jsonl``: the kept documents, as the source run logged them, each with the field
  ``benchalign_item`` (its item id in the benchmark file);
* ``weights.json``: ``{"metric": {task: name}, "source_task": {task: source task}, "n_docs": N,
  "total_weight": W, "weights": {item: w}}`` over every document of the folder (``metric``: the
  source metric each task's x is).

Each task reports, beside the source task's own metrics (computed by the harness as usual):

* ``aligned``: Σ w·x / Σ w over the task's documents that were run, x = the source metric;
* ``aligned_benchmark``: the task's term of the benchmark's aligned score, (Σ w·x / n)·(N / W) over
  its n documents run. The group averages it weighted by n, which gives Σ w·x / W, the aligned
  score of the whole folder when every document is run (``--limit`` or ``--samples`` change W
  but not the stored total, so the group number then is not a weighted mean).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from lm_eval.api.task import ConfigurableTask

HERE = Path(__file__).resolve().parent
ITEM_FIELD = "benchalign_item"
SPLIT = "kept"


@lru_cache(maxsize=1)
def weights_file() -> dict[str, Any]:
    """The folder's weights.json (read once per process)."""
    with open(HERE / "weights.json", encoding="utf-8") as fh:
        return json.load(fh)


def load_docs(docs_file: str, fewshot: dict[str, Any] | None = None, **_: Any) -> Any:
    """``custom_dataset`` of every task: the kept documents as split ``kept``; the source's
    few-shot split too when the source ran with examples (``fewshot``: ``path``, ``name``,
    ``split`` of the source dataset, loaded like the source task loads it)."""
    import datasets

    with open(HERE / docs_file, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    splits = {SPLIT: datasets.Dataset.from_list(rows)}
    if fewshot:
        splits[fewshot["split"]] = datasets.load_dataset(
            fewshot["path"], fewshot.get("name"), split=fewshot["split"])
    return datasets.DatasetDict(splits)


def weighted_mean(items: list[tuple[float, float]]) -> float:
    """Σ w·x / Σ w over ``(w, x)`` per document run (NaN when Σ w = 0)."""
    total = sum(w for w, _ in items)
    return sum(w * x for w, x in items) / total if total > 0 else math.nan


def benchmark_term(items: list[tuple[float, float]]) -> float:
    """(Σ w·x / n)·(N / W): averaged over tasks weighted by n, the folder's Σ w·x / W."""
    spec = weights_file()
    if not items:
        return math.nan
    return sum(w * x for w, x in items) / len(items) * spec["n_docs"] / spec["total_weight"]


class AlignedTask(ConfigurableTask):
    """The source task's prompts and metrics, plus the aligned score of the documents run."""

    def __init__(self, config: dict[str, Any] | None = None, **kwargs: Any) -> None:
        config = {k: v for k, v in (config or {}).items() if k != "class"}
        super().__init__(config=config, **kwargs)

    def process_results(self, doc: dict[str, Any], results: Any) -> dict[str, Any]:
        out = dict(super().process_results(doc, results))
        spec = weights_file()
        pair = (float(spec["weights"][doc[ITEM_FIELD]]), float(out[spec["metric"][self.config.task]]))
        out["aligned"] = pair
        out["aligned_benchmark"] = pair
        return out

    def aggregation(self) -> dict[str, Any]:
        return {**super().aggregation(), "aligned": weighted_mean,
                "aligned_benchmark": benchmark_term}

    def higher_is_better(self) -> dict[str, bool]:
        return {**super().higher_is_better(), "aligned": True, "aligned_benchmark": True}

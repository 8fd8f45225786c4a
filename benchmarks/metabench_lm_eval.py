#!/usr/bin/env python3
"""A pruned metabench benchmark as the documents to run with the Open LLM Leaderboard v1 tasks of
the installed lm-evaluation-harness.

    python benchmarks/metabench_lm_eval.py [--k 100] [--seed 0] [--out-dir benchmarks/results]

Prunes the shipped metabench case (6,349 models x 1,075 questions, 33 Arena-rated models) to K
questions (`benchalign.prune.prune`, default method), maps each metabench item id
`<benchmark>/<original document index>` to the harness task that runs that document on the
leaderboard (arc -> arc_challenge, gsm8k -> gsm8k, mmlu/<subject>.<i> -> mmlu_<subject>,
truthfulqa -> truthfulqa_mc2, winogrande -> winogrande; the index is the harness doc_id), checks
every task name against the installed harness's task index (what `lm_eval ls tasks` lists), and
writes to --out-dir:

* metabench_k<K>_lm_eval.jsonl: task, doc_id, weight, item (the metabench id), heaviest first;
* metabench_k<K>_lm_eval.json: the pruned benchmark with harness ids <task>/<doc_id>, so
  `benchalign score --benchmark FILE --results <lm_eval run>` scores the run directly;
* metabench_k<K>_<n>shot.samples.json: the harness's --samples argument per leaderboard few-shot
  setting (arc 25, gsm8k/mmlu/winogrande 5, truthfulqa 0), one `lm_eval run` each;
* metabench_k<K>_lm_eval.png and .md: weight and documents per task, and the commands.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchalign import link  # noqa: E402
from benchalign.artifact import AlignedBenchmark  # noqa: E402
from benchalign.datasets import load_case  # noqa: E402
from benchalign.export import document_list, document_rows  # noqa: E402
from benchalign.prune import prune  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LEADERBOARD_V1 = {"arc": ("arc_challenge", 25), "gsm8k": ("gsm8k", 5), "mmlu": ("mmlu_{}", 5),
                  "truthfulqa": ("truthfulqa_mc2", 0), "winogrande": ("winogrande", 5)}
"""metabench benchmark -> (harness task, leaderboard few-shot count), as the `openllm` group of
the harness (lm_eval/tasks/benchmarks/openllm.yaml) sets them."""


def harness_id(item: str) -> tuple[str, int]:
    """metabench item id -> (harness task, doc_id)."""
    bench, rest = item.split("/", 1)
    task, _ = LEADERBOARD_V1[bench]
    if bench == "mmlu":
        subject, index = re.fullmatch(r"(.+)\.(\d+)", rest).groups()  # type: ignore[union-attr]
        return task.format(subject), int(index)
    return task, int(rest)


def installed_tasks() -> set[str]:
    """Task names of the installed lm-evaluation-harness (what `lm_eval ls tasks` lists)."""
    from lm_eval.tasks import TaskManager

    return set(TaskManager().all_tasks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out-dir", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    case = load_case("metabench")
    start = time.perf_counter()
    bench = prune(case.results, link(case.results, case.preferences), args.k,
                  aligner_params={"random_state": args.seed})
    took = time.perf_counter() - start
    mapped = [harness_id(str(i)) for i in bench.items]
    known = installed_tasks()
    missing = sorted({t for t, _ in mapped} - known)
    if missing:
        raise SystemExit(f"tasks not in the installed harness: {missing}")
    harness = AlignedBenchmark(np.array([f"{t}/{d}" for t, d in mapped], dtype=object),
                               bench.benchmarks, bench.weights,
                               {**bench.params, "item_ids": "lm-eval <task>/<doc_id> from metabench ids"},
                               bench.diagnostics)
    rows = document_rows(harness).assign(item=bench.items.astype(str))
    text, samples = document_list(rows)
    stem = args.out_dir / f"metabench_k{args.k}_lm_eval"
    stem.with_suffix(".jsonl").write_text(text, encoding="utf-8")
    harness.save(stem.with_suffix(".json"), force=True)
    commands = _samples_files(args.out_dir, args.k, samples)
    summary = _summary(rows, case.results.benchmarks)
    _figure(summary, stem.with_suffix(".png"), args.k)
    _write_md(stem.with_suffix(".md"), args, summary, commands, took, len(known))
    print(summary.to_string())
    print("\n".join(commands))


def _samples_files(out_dir: Path, k: int, samples: dict[str, list[int]]) -> list[str]:
    """One --samples file per leaderboard few-shot count; the `lm_eval run` line of each."""
    by_task = {task: n for task, n in LEADERBOARD_V1.values()}
    shots = {task: by_task["mmlu_{}" if task.startswith("mmlu_") else task] for task in samples}
    commands = []
    for n in sorted(set(shots.values()), reverse=True):
        part = {t: ids for t, ids in samples.items() if shots[t] == n}
        path = out_dir / f"metabench_k{k}_{n}shot.samples.json"
        path.write_text(json.dumps(part) + "\n", encoding="utf-8")
        commands.append(f"lm_eval run --model hf --model_args pretrained=<model> --tasks "
                        f"{','.join(part)} --num_fewshot {n} --samples {path.relative_to(ROOT)} "
                        "--log_samples --output_path runs/")
    return commands


def _summary(rows: pd.DataFrame, source_benchmarks: np.ndarray) -> pd.DataFrame:
    """Per harness task family: documents kept, weight, largest doc_id, the metabench benchmark,
    the leaderboard few-shot count and the benchmark's questions in metabench."""
    family = rows["task"].str.replace(r"^mmlu_.*", "mmlu_*", regex=True)
    out = rows.assign(family=family).groupby("family").agg(
        documents=("doc_id", "size"), weight=("weight", "sum"),
        max_doc_id=("doc_id", "max"))
    full = pd.Series(source_benchmarks.astype(str)).value_counts()
    out["metabench_benchmark"] = [b for f in out.index for b, (t, _) in LEADERBOARD_V1.items()
                                  if t == f or (f == "mmlu_*" and b == "mmlu")]
    out["shots"] = [LEADERBOARD_V1[b][1] for b in out["metabench_benchmark"]]
    return out.assign(metabench_questions=out["metabench_benchmark"].map(full))


def _figure(summary: pd.DataFrame, path: Path, k: int) -> None:
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.barh(summary.index, summary["weight"], color="#4477aa")
    for y, (w, n) in enumerate(zip(summary["weight"], summary["documents"])):
        ax.text(w, y, f" {n} docs", va="center", fontsize=8)
    ax.set_xlabel("share of the aligned weight")
    ax.set_title(f"metabench pruned to K={k}: Open LLM Leaderboard v1 tasks", fontsize=9)
    ax.set_xlim(0, max(summary["weight"]) * 1.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _write_md(path: Path, args: argparse.Namespace, summary: pd.DataFrame, commands: list[str],
              took: float, n_tasks: int) -> None:
    import lm_eval

    lines = [f"# metabench pruned to K={args.k}, as lm-evaluation-harness documents",
             "", f"`python benchmarks/metabench_lm_eval.py --k {args.k} --seed {args.seed}`; "
             f"prune took {took:.1f} s; task names checked against the {n_tasks} tasks of the "
             f"installed lm-eval {lm_eval.__version__}.", "",
             "Each document's doc_id is metabench's original document index (item "
             "`<benchmark>/<index>`; mmlu `<subject>.<index>`). `max_doc_id` is the largest kept; "
             "arc_challenge has 1,172 test documents, gsm8k 1,319, truthfulqa_mc2 817 "
             "(validation), winogrande 1,267 (validation). The prompts are the installed "
             "harness's, not those of the 2023 harness the leaderboard ran, so a model's scores "
             "here need not equal its leaderboard details; the documents are the same.", "",
             summary.to_markdown() if hasattr(summary, "to_markdown") else summary.to_string(), "",
             "Run (one command per leaderboard few-shot setting), then score the runs:", "", "```",
             *commands,
             f"benchalign score --benchmark benchmarks/results/metabench_k{args.k}_lm_eval.json --results runs/",
             "```", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The lm-evaluation-harness round trip with the real command lines, timed.

    python benchmarks/export_round_trip.py [--workdir DIR] [--models 6] [--k 10]
        [--out benchmarks/results/export_round_trip.md]

Runs, as a user would (each a subprocess): `lm_eval run --model dummy --seed S --log_samples` of
the test fixture tasks (tests/data/lm_eval_task) for each seeded "model" -> `benchalign fit` and
`prune --k` with ratings -> `benchalign export lm-eval` -> `lm_eval run` of the exported folder ->
`benchalign score --results` of that run. Prints and writes every command with its wall time and
output, the documents the harness ran, and the harness's aligned score beside `benchalign score`.
Needs `pip install 'benchalign[lm-eval]'`; no network (the fixture loads local JSONL).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchalign.artifact import load_benchmark, score
from benchalign.data import results_from_frame
from benchalign.io.formats.lm_eval import read_lm_eval

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "lm_eval_task"
RATINGS = [1210, 1100, 1005, 1150, 1060, 990, 1080, 1120]


def sh(args: list[str], cwd: Path, log: list[str], keep: int = 12) -> tuple[str, float]:
    """Run a command in ``cwd``; log it with its time and the last ``keep`` lines of its output."""
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "LMEVAL_LOG_LEVEL": "WARNING"}
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {shlex.join(args)}\n{done.stdout}\n{done.stderr}")
    lines = [ln for ln in done.stdout.splitlines() if ln.strip()]
    log += [f"$ {shlex.join(args)}    # {took:.1f} s", *lines[-keep:], ""]
    print(log[-len(lines[-keep:]) - 2], flush=True)
    return done.stdout, took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--models", type=int, default=6)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "export_round_trip.md")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="benchalign-roundtrip-"))
    work.mkdir(parents=True, exist_ok=True)
    log: list[str] = []
    times = {}
    models = [f"m{i}" for i in range(1, args.models + 1)]
    for i, model in enumerate(models, start=1):
        _, times[f"lm_eval run {model}"] = sh(
            ["lm_eval", "run", "--model", "dummy", "--model_args", f"pretrained={model}",
             "--seed", str(i), "--include_path", str(FIXTURE), "--tasks", "toyqa,toyfn",
             "--log_samples", "--output_path", "runs"], work, log, keep=0)
    (work / "ratings.csv").write_text("model,rating\n" + "".join(
        f"{m},{r}\n" for m, r in zip(models, RATINGS * 4)))
    base = ["--results", "runs", "--preferences", "ratings.csv"]
    sh(["benchalign", "fit", *base, "-o", "full.json"], work, log)
    _, times["prune"] = sh(["benchalign", "prune", *base, "--k", str(args.k), "-o", "pruned.json"], work, log)
    _, times["export"] = sh(["benchalign", "export", "lm-eval", "pruned.json", "--results", "runs",
                             "--preferences", "ratings.csv", "-o", "aligned_tasks"], work, log)
    out, times["lm_eval run (export)"] = sh(
        ["lm_eval", "run", "--model", "dummy", "--model_args", "pretrained=new_model", "--seed", "99",
         "--include_path", "aligned_tasks", "--tasks", "aligned_tasks", "--log_samples",
         "--output_path", "new_run"], work, log, keep=20)
    scored, times["score"] = sh(["benchalign", "score", "--benchmark", "pruned.json", "--results",
                                 "new_run"], work, log)
    results = json.loads(Path(glob.glob(str(work / "new_run" / "*" / "results_*.json"))[0]).read_text())
    harness = results["results"]["aligned_tasks"]["aligned_benchmark,none"]
    # benchalign's score at full precision (the command prints 6 significant digits)
    table = score(load_benchmark(work / "pruned.json"),
                  results_from_frame(read_lm_eval(work / "new_run")))
    ours = float(table["score"].iloc[0])
    n_docs = sum(len(Path(p).read_text().splitlines())
                 for p in glob.glob(str(work / "new_run" / "*" / "samples_*.jsonl")))
    summary = [f"documents run by the harness on the export: {n_docs} (K = {args.k}; the source "
               f"tasks have 40)",
               f"harness aligned_benchmark {harness:.9f}   benchalign score {ours:.9f}   "
               f"difference {abs(harness - ours):.1e}",
               "wall time (s): " + ", ".join(f"{k} {v:.1f}" for k, v in times.items())]
    print("\n".join(summary))
    text = ["# lm-evaluation-harness round trip (benchmarks/export_round_trip.py)", "",
            f"lm-eval {results.get('lm_eval_version')}, {os.cpu_count()} cores, work dir {work}", "",
            *[f"* {s}" for s in summary], "", "```", *log, "```", ""]
    args.out.write_text("\n".join(text), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

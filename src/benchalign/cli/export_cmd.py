"""`benchalign export`: the aligned benchmark as tasks of the harness people run benchmarks with."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click

from ..artifact import AlignedBenchmark, load_benchmark
from ..export import document_list, document_rows, export_lm_eval, file_provenance
from ..outputs import Outputs
from . import cli
from .common import check_outputs, force_option, stage


@cli.group("export")
def export_group() -> None:
    """Write an aligned or pruned benchmark in a form a benchmark harness runs.

    `benchalign export lm-eval` writes a task folder for lm-evaluation-harness (or, with
    --doc-list, the list of documents to run with the harness's own tasks).
    """


@export_group.command("lm-eval", short_help="A task folder (or document list) for lm-evaluation-harness.")
@click.argument("benchmark_path", metavar="BENCHMARK.json", type=click.Path(dir_okay=False, exists=True))
@click.argument("more_results", metavar="[RUN_DIR]...", nargs=-1, type=click.Path(exists=True))
@click.option("--results", "run_dirs", multiple=True, type=click.Path(exists=True),
              help="The lm_eval --log_samples output (--output_path folder, a parent of several, "
                   "or a results_<timestamp>.json) the benchmark's results were read from; the "
                   "logged documents of the kept questions are taken from there. Repeat it, or "
                   "list more folders after the benchmark file. Not used with --doc-list.")
@click.option("-o", "--output", required=True, type=click.Path(),
              help="The task folder to write (with --doc-list: the JSONL document list; the "
                   "--samples JSON goes beside it: kept.jsonl -> kept.samples.json).")
@click.option("--name", default=None,
              help="Name of the group the folder defines; each task is <name>_<source task>. "
                   "Default: the output folder's name (letters, digits, '_', '-', '.').")
@click.option("--metric", default=None,
              help="Per-document metric x of the aligned score; a comma list picks, per task, the "
                   "first one the task has. Default: the metric `benchalign` reads from the "
                   "samples, the first of the task's metric_list (acc, exact_match, ...). Use the "
                   "same one as when the benchmark was fitted (--results-metric).")
@click.option("--preferences", "preferences_path", default=None, type=click.Path(dir_okay=False, exists=True),
              help="The preference file the benchmark was fitted with, recorded (path and sha256) in "
                   "the folder's README; the benchmark file itself does not name it.")
@click.option("--doc-list", is_flag=True,
              help="Write the document-list form instead: JSONL rows task, doc_id, weight, item for "
                   "benchmarks whose item ids are <task>/<doc_id> of harness tasks (e.g. fitted from "
                   "the harness's samples, or mapped to them), plus the JSON that the harness's "
                   "--samples option takes to run only those documents. Needs no --results.")
@force_option
def export_lm_eval_cmd(benchmark_path: str, more_results: tuple[str, ...], run_dirs: tuple[str, ...],
                       output: str, name: str | None, metric: str | None,
                       preferences_path: str | None, doc_list: bool, force: bool) -> None:
    """Export BENCHMARK.json (from `fit` or `prune`) to lm-evaluation-harness.

    \b
    Task folder (default):
      benchalign export lm-eval pruned.json --results runs/ -o aligned_tasks
      lm_eval run --include_path aligned_tasks --tasks aligned_tasks --model ... --log_samples -o new/
      benchalign score --benchmark pruned.json --results new/

    One task per source task, reading only the kept documents (docs_<task>.jsonl, from the logged
    `doc`s) with the source task's prompts and metrics; each reports `aligned` (Σ w·x / Σ w over
    its documents run) beside them, and the group <name> reports `aligned_benchmark`, the aligned
    score over all documents. weights.json, utils.py (no benchalign needed at run time) and a
    README with the provenance (benchmark sha256, date, preferences, this command) are inside.
    Questions without a logged document, or results not from lm-eval, are errors that say which.
    The group's number is the benchmark score when every document is run (not with --limit).
    Details and a worked example: docs/export.md.

    \b
    Document list (--doc-list):
      benchalign export lm-eval pruned.json --doc-list -o kept.jsonl
      lm_eval run --tasks <tasks printed> --samples kept.samples.json --model ... --log_samples
    """
    runs = list(run_dirs) + list(more_results)
    if doc_list:
        _export_doc_list(benchmark_path, output, force, runs)
        return
    if not runs:
        raise click.UsageError("give the lm_eval --log_samples output with --results RUN_DIR "
                               "(or --doc-list for the document list).")
    check_outputs(force, folders=("o",), o=output)
    bench = load_benchmark(benchmark_path)
    command = _command_line(benchmark_path, runs, output, name, metric, preferences_path)
    name = name or re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(output).resolve().name)
    with stage("reading the logged documents and writing the task folder"):
        done = export_lm_eval(bench, runs, output, name=name, force=force,
                              provenance=_provenance(benchmark_path, preferences_path, bench, command),
                              metric=[m.strip() for m in (metric or "").split(",") if m.strip()])
    click.echo(f"wrote {output}: group {done.group}, {sum(done.tasks.values())} documents in "
               f"{len(done.tasks)} tasks ({', '.join(f'{t} {n}' for t, n in done.tasks.items())})")
    click.echo(f"run it: {done.command}")


def _export_doc_list(benchmark_path: str, output: str, force: bool, runs: list[str]) -> None:
    if runs:
        raise click.UsageError("--doc-list writes the list from the benchmark file alone; drop --results.")
    samples_path = str(Path(output).with_suffix("")) + ".samples.json"
    check_outputs(force, o=output, samples=samples_path)
    text, samples = document_list(document_rows(load_benchmark(benchmark_path)))
    with Outputs() as out:  # both files or neither
        out.write(output, text, force=force)
        out.write(samples_path, json.dumps(samples) + "\n", force=force)
    n = sum(len(v) for v in samples.values())
    click.echo(f"wrote {output} ({n} documents in {len(samples)} tasks) and {samples_path}")
    click.echo(f"run them: lm_eval run --tasks {','.join(samples)} --samples {samples_path} "
               "--model <model> --model_args <args> --log_samples --output_path <run_dir>")


def _command_line(benchmark_path: str, runs: list[str], output: str, name: str | None,
                  metric: str | None, preferences_path: str | None) -> str:
    """The export command as run (options in a canonical order), for the folder's README."""
    args = ["benchalign", "export", "lm-eval", benchmark_path]
    for run in runs:
        args += ["--results", run]
    args += ["-o", output]
    for flag, value in (("--name", name), ("--metric", metric), ("--preferences", preferences_path)):
        if value is not None:
            args += [flag, value]
    return shlex.join(args)


def _provenance(benchmark_path: str, preferences_path: str | None, bench: AlignedBenchmark,
                command: str) -> dict[str, str]:
    """README lines: benchmark file and hashes, its date, the fit, the preferences, the command."""
    meta = file_provenance(benchmark_path)
    diag = bench.diagnostics
    out = {"benchmark file": f"`{meta['path']}`, sha256 `{meta['sha256']}`",
           "benchmark content_sha256": f"`{bench.content_hash()}`",
           "fit date": f"{meta['modified']} (the benchmark file's modification time; the file "
                       "records no date)",
           "fit": f"method {diag.get('method')}, {diag.get('n_train_models')} rated models, "
                  f"{diag.get('n_train_pairs')} preference pairs, {len(bench.items)} questions"}
    if preferences_path:
        pref = file_provenance(preferences_path)
        out["preferences"] = f"`{pref['path']}`, sha256 `{pref['sha256']}`"
    else:
        out["preferences"] = "not recorded (pass --preferences to the export)"
    out["command"] = f"`{command}`"
    return out

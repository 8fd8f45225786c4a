"""Options and helpers shared by several commands."""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import click
from tqdm import tqdm

from ..check import CheckReport, Finding, check, check_populations, heldout_ceiling
from ..evaluation.heldout import Evaluation
from ..evaluation.heldout import evaluate as run_evaluation
from ..evaluation.splits import parse_split
from ..features.completion import SPECS
from ..fit.selection import METHODS

from ..report.text import format_findings, format_table
from ..data import Linked, Preferences, Results, link
from ..errors import DataWarning, check_param
from ..io.formats.names import read_name_map, warn_unused_names
from ..outputs import check_writable
from .format_options import (
    load_preferences_from_options,
    load_results_from_options,
    preference_format_options,
    preference_frame,
    results_format_options,
    uncertainty_options,
)

F = Callable[..., object]


SPLIT_MODELS_HELP = ("Model metadata (model, params_b, organization, first_seen, ...) for size, "
                     "group and time splits.")


def models_option(help_text: str) -> Callable[[F], F]:
    """--models: model metadata (model, params_b, organization, first_seen, ...), what it is for."""
    return click.option("--models", "models_path", type=click.Path(dir_okay=False), default=None,
                        help=help_text)


def date_format_option(f: F) -> F:
    """--date-format: the one format of a time split's dates (evaluate, report)."""
    return click.option(
        "--date-format", default=None, metavar="PATTERN",
        help="How the dates of a 'time:COLUMN:DATE' split are written, as a strftime pattern "
             "(e.g. %d/%m/%Y for 31/01/2024, %Y%m%d for 20240131), for DATE and for every cell "
             "of COLUMN. Default: ISO 8601 (2024-01-31, or a date-time; a time zone is converted "
             "to UTC, a date without one is read as UTC). Numbers are dates only with a pattern.",
    )(f)


def results_option(f: F) -> F:
    f = results_format_options(f)
    return click.option(
        "--results", "results_path", required=True, type=click.Path(dir_okay=True),
        help="Question-level results: a long table model, benchmark, item, score (CSV, CSV.gz, "
             "TSV or Parquet; extra columns ignored) or a wide models × items table, or a tool's "
             "output (file, directory or quoted glob; see --results-format).",
    )(f)


def preference_options(f: F) -> F:
    f = preference_format_options(f)
    f = click.option(
        "--ignore-unknown-models", is_flag=True,
        help="Drop preferences about models absent from the results, with a warning listing "
             "them (default: error).",
    )(f)
    return click.option(
        "--preferences", "preferences_path", required=True, type=click.Path(dir_okay=True),
        help="Preferences: pairs (winner, loser[, weight]), ratings (model, rating), battles "
             "(model_a, model_b, winner), rankings (list_id, model, rank) or best-of-k choices "
             "(list_id, model, chosen), as CSV/TSV/Parquet/JSON(L), or an Arena battle log or "
             "leaderboard (see --preference-format).",
    )(f)


def population_option(func):
    """--population-column: one benchmark per value of a preference column (fit, evaluate)."""
    return click.option(
        "--population-column", default=None,
        help="Column of the preference table naming each row's population (e.g. category, "
             "language, rater_group): one benchmark per population plus the pooled one, each "
             "population pulled toward the pooled weights by a cross-validated amount. Default: "
             "one benchmark for all rows.")(func)


def force_option(f: F) -> F:
    return click.option("--force", is_flag=True, help="Overwrite output files that exist.")(f)


def check_seed(ctx: click.Context, param: click.Parameter, value: int) -> int:
    """The --seed option: an int >= 0 (what numpy's generators accept)."""
    check_param(f"benchalign {ctx.command.name}", "--seed", value, value >= 0, "an int >= 0")
    return value


def seed_option(f: F) -> F:
    return click.option("--seed", type=int, default=0, show_default=True, callback=check_seed,
                        help="Seed of every random choice (splits, folds, bootstrap); an int >= 0.")(f)


INPUT_OPTIONS = {"results_path": "--results", "preferences_path": "--preferences",
                 "benchmark_path": "--benchmark", "models_path": "--models",
                 "items_path": "--items", "name_map": "--name-map"}
"""The parameters through which commands read files, by the option a user passes."""


def check_outputs(force: bool | Mapping[str, bool], folders: tuple[str, ...] = (),
                  **outputs: str | None) -> None:
    """Check every output of the running command before any work (see
    :func:`~benchalign.outputs.check_writable`): none may name one of the command's inputs
    (even with --force) or another output; each must be new or forced, in a writable folder.

    outputs : {label: path or None}, e.g. ``check_outputs(force, o=output)``; a one-letter label
    is shown as ``-o``, a longer one as ``--json``. force : one flag for all, or one per label.
    folders : labels whose output is a folder written as a whole (an existing folder is replaced
    with force).
    """
    params = click.get_current_context().params
    inputs = {f"the {flag} input": params.get(name) for name, flag in INPUT_OPTIONS.items()}
    for label, path in outputs.items():
        if path is None:
            continue
        flag = f"-{label}" if len(label) == 1 else f"--{label.replace('_', '-')}"
        forced = force.get(label, False) if isinstance(force, Mapping) else force
        check_writable(path, forced, inputs, folder=label in folders)
        inputs[f"the {flag} output"] = path


def load_inputs(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                **options: object) -> tuple[Results, Linked]:
    """:func:`load_checked` without the report: results and preferences linked by name, the data
    check's error and warning findings on stderr."""
    results, linked, _ = load_checked(results_path, preferences_path, ignore_unknown_models,
                                      **options)
    return results, linked


def read_inputs(results_path: str, preferences_path: str, **options: object) -> tuple[Results, Preferences]:
    """Results and preferences read with the command's format options; the name map is read once
    for both files, and its rows that matched no model are named."""
    map_path = options.get("name_map")
    if map_path is not None:
        options = {**options, "name_map": read_name_map(str(map_path))}
    results = load_results_from_options(results_path, **options)
    prefs = load_preferences_from_options(preferences_path, **options)
    if map_path is not None:
        warn_unused_names(options["name_map"], str(map_path))  # type: ignore[arg-type]
    return results, prefs


def read_population_inputs(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                           column: str, **options: object
                           ) -> tuple[Results, dict[str, Preferences], dict[str, Linked]]:
    """Results, each population's preferences (the population column read as text; see
    :func:`benchalign.populations.aligner.split_populations`) with the same options as one preference
    file (rating intervals, --ignore-uncertainty), and each linked by name (link's data warnings
    silenced: the check's findings say them)."""
    from ..populations.aligner import split_populations

    map_path = options.get("name_map")
    if map_path is not None:
        options = {**options, "name_map": read_name_map(str(map_path))}
    results = load_results_from_options(results_path, **options)
    frame, kind, scale = preference_frame(preferences_path, **options, text_columns=(column,))
    populations = split_populations(frame, column, kind=kind, rating_scale=scale,  # type: ignore[arg-type]
                                    **uncertainty_options(**options))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        linked = {name: link(results, prefs, ignore_unknown=ignore_unknown_models)
                  for name, prefs in populations.items()}
    return results, populations, linked


def load_population_inputs(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                           column: str, **options: object) -> tuple[Results, dict[str, Linked]]:
    """:func:`read_population_inputs`, then the data checks of :func:`load_checked`
    (:func:`benchalign.check.check_populations`) with their error and warning findings on
    stderr; returns the results and each population's linked preferences."""
    results, populations, linked = read_population_inputs(
        results_path, preferences_path, ignore_unknown_models, column, **options)
    report = check_populations(results, populations, linked, column=column,
                               ignore_unknown=ignore_unknown_models)
    show_findings(report.at_least("warning"))
    return results, linked


def show_findings(findings: list[Finding]) -> None:
    """The error and warning findings of a data check, on stderr (info findings are left to
    `benchalign check`)."""
    shown = [f for f in findings if f.severity != "info"]
    if shown:
        click.echo(f"check: {len(shown)} finding(s) to look at (`benchalign check` lists all):\n"
                   + format_findings(shown), err=True)


PROGRESS_DELAY: float | None = 1.0
"""Seconds a stage runs before its progress line appears, so that quick commands (and their
one-line errors) print nothing else; None: no progress lines (the tests' default)."""


def started(ctx: click.Context | None = None) -> None:
    """Start the clock of the running command's progress lines."""
    (ctx or click.get_current_context()).meta["benchalign.started"] = time.perf_counter()


@contextmanager
def stage(desc: str, total: int | None = None) -> Iterator[Callable[[int], object]]:
    """Progress of one stage of a long command, on stderr; yields ``update(n)`` for its steps.

    On a terminal a stage with ``total`` steps shows a progress bar. Otherwise (a log, a pipe, a
    CI job) it gets one line, ``[  12.3 s] desc`` for a stage that began 12.3 s after the command,
    once it has run :data:`PROGRESS_DELAY` seconds.
    """
    if total is not None and sys.stderr.isatty():
        with tqdm(total=total, desc=desc, unit="step", leave=False, file=sys.stderr) as bar:
            yield bar.update
        return
    ctx = click.get_current_context(silent=True)
    begin = ctx.meta.get("benchalign.started", time.perf_counter()) if ctx else time.perf_counter()
    line = f"[{time.perf_counter() - begin:7.1f} s] {desc}"
    timer = threading.Timer(PROGRESS_DELAY or 0.0, click.echo, args=(line,), kwargs={"err": True})
    timer.daemon = True
    if PROGRESS_DELAY is not None and PROGRESS_DELAY <= 0:
        click.echo(line, err=True)
    elif PROGRESS_DELAY is not None:
        timer.start()
    try:
        yield lambda n=1: None
    finally:
        timer.cancel()


def load_checked(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                 **options: object) -> tuple[Results, Linked, CheckReport]:
    """Read results and preferences, link them by name, run :func:`benchalign.check.check` and
    print its error and warning findings on stderr.

    link's own data warnings (unknown models dropped, cycles, reversed ratings) are findings of the
    check too, so they are silenced here: each is said once.
    """
    results, prefs = read_inputs(results_path, preferences_path, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        linked = link(results, prefs, ignore_unknown=ignore_unknown_models)
    report = check(results, prefs, ignore_unknown=ignore_unknown_models)
    show_findings(report.at_least("warning"))
    return results, linked, report


def method_option(func):
    """--method: which weighting is fitted."""
    return click.option(
        "--method", type=click.Choice(METHODS), default="auto", show_default=True,
        help="The weighting: 'auto' chooses among 'correlation' (each question weighted by how well "
             "it orders the rated models, on the benchmarks they all have), 'coverage' (the "
             "label-free prior that keeps scores from depending on which benchmarks a model lacks) "
             "and 'uniform' (the plain mean) by cross-validation over the rated models, and prints "
             "what each scored; one of those three forces that weighting. 'ranknet' is the "
             "published BenchAlign method, to reproduce the paper: a free weight per question "
             "fitted by the pairwise RankNet loss, pulled toward the coverage prior with a strength "
             "chosen by cross-validation over the rated models (slower; never chosen by 'auto', "
             "which beat it on the real cases). See docs/method.md.")(func)


def completion_option(func):
    """--completion: how a model's missing questions count."""
    return click.option(
        "--completion", type=click.Choice(SPECS), default="auto", show_default=True,
        help="How questions a model lacks count. 'auto' learns, without preferences, the "
             "completion that best restores hidden blocks of observed results (item_mean, "
             "additive ability + difficulty, or low rank) and lets cross-validation choose "
             "between scoring each model over the questions it has and over its completed row "
             "(the completed one must win by more than one standard error); 'none' never "
             "completes; a kind forces that completion. `score` completes new models the same "
             "way. See docs/method.md.")(func)


def run_and_print(results: Results, linked: Linked, *, splits: list[str], models, seed: int,
                  n_bootstrap: int, methods: dict, inputs: dict, name: str = "",
                  date_format: str | None = None) -> Evaluation:
    """Evaluate (with progress), add the held-out noise ceiling and the inputs, print the table;
    the report of `evaluate` and of each case of `demo`."""
    specs = [parse_split(s, date_format=date_format) for s in splits]
    total = sum(spec.repeats for spec in specs)
    with stage(f"{name + ': ' if name else ''}evaluating {len(methods)} methods on {total} "
               "splits", total) as update:
        report = run_evaluation(results, linked, splits=specs, models=models, seed=seed,
                                n_bootstrap=n_bootstrap, methods=methods, progress=update)
    report = dataclasses.replace(report, ceiling=heldout_ceiling(results, linked, report),
                                 inputs=inputs)
    click.echo(format_table(report.to_dict()))
    return report


def evaluation_json(report: dict) -> str:
    """The evaluation report as the JSON text `evaluate --json` and `demo --json` write."""
    return json.dumps(report, indent=1, allow_nan=True) + "\n"

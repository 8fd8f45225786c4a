"""`benchalign evaluate` and `benchalign demo`."""

from __future__ import annotations

import json
import time

import click

from ..evaluation.baselines import METHODS, VARIANTS, select_methods
from ..check import check, heldout_ceiling
from ..data import Linked, Results, link
from ..datasets import DEMO_CASES, load_case
from ..errors import ParameterError
from ..evaluation.heldout import evaluate as run_evaluation
from ..evaluation.splits import parse_split
from ..io.load import load_models
from ..outputs import Outputs, write_atomic
from ..populations.evaluate import evaluate_populations
from ..report.text import format_cross, format_table
from ..io.items import item_texts
from ..report.build import build_case
from ..report.html import render_report
from . import cli
from .common import (SPLIT_MODELS_HELP, check_outputs, date_format_option, force_option,
                     load_inputs, load_population_inputs, models_option, population_option,
                     preference_options, results_option, seed_option, stage)


def _methods(spec: str | None) -> dict:
    try:
        return select_methods(spec)
    except ParameterError as err:
        raise click.BadParameter(str(err)) from None


def run_and_print(results: Results, linked: Linked, *, splits: list[str], models, seed: int,
                  n_bootstrap: int, methods: dict, inputs: dict, name: str = "",
                  date_format: str | None = None) -> dict:
    specs = [parse_split(s, date_format=date_format) for s in splits]
    total = sum(spec.repeats for spec in specs)
    with stage(f"{name + ': ' if name else ''}evaluating {len(methods)} methods on {total} "
               "splits", total) as update:
        report = run_evaluation(results, linked, splits=specs, models=models, seed=seed,
                                n_bootstrap=n_bootstrap, methods=methods, progress=update)
    report["ceiling"] = heldout_ceiling(results, linked, report)
    report["inputs"] = inputs
    click.echo(format_table(report))
    return report


def _dump(report: dict) -> str:
    return json.dumps(report, indent=1, allow_nan=True) + "\n"


@cli.command("evaluate")
@results_option
@preference_options
@models_option(SPLIT_MODELS_HELP)
@click.option("--split", "splits", multiple=True, default=("random",), show_default=True,
              help="Repeatable. 'random[:FRACTION[:REPEATS]]' holds out a fraction of rated models "
                   "(default 0.3, 20 repeats); 'size:B' trains below B billion parameters and tests "
                   "at or above; 'group:COLUMN[:FRACTION[:REPEATS]]' holds out whole groups; "
                   "'time:COLUMN:DATE' trains on models whose COLUMN (a date, e.g. first_seen) is "
                   "before DATE and tests on the rest (see --date-format).")
@date_format_option
@click.option("--methods", default=None,
              help=f"Comma-separated subset of {', '.join(METHODS)} (uniform is always included); "
                   f"also, opt-in: {', '.join(VARIANTS)} (the aligner's correlation weighting "
                   "alone; the published RankNet method, slower).")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(min=50), default=1000,
              show_default=True, help="Bootstrap resamples of held-out models for the 95% CIs.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Write every number (per split family, method and metric, with CIs and paired "
                   "differences to uniform, plus each split's models) as JSON.")
@population_option
@seed_option
@force_option
def evaluate_cmd(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                 models_path: str | None, splits: tuple[str, ...], date_format: str | None,
                 methods: str | None, n_bootstrap: int, json_path: str | None,
                 population_column: str | None, seed: int, force: bool,
                 **formats: object) -> None:
    """Hold out rated models, fit every method on the rest, and compare them on the held-out ones.

    Methods: aligned (benchalign), uniform (the plain mean), uniform_completed (the plain mean
    after the label-free completion of missing questions), benchmark_mean, best_benchmark,
    coverage, correlation, ridge, random_subset. Metrics: pairwise accuracy, Spearman, Kendall tau-b against the
    preferences among held-out models, each with a bootstrap 95% CI, and each method's paired
    difference to uniform.

    With --population-column: per population, its own benchmark, the pooled one and uniform on
    its held-out pairs (the same splits for all), and the cross matrix (every population's
    benchmark on every population's held-out pairs, with the paired difference to the own one).
    """
    check_outputs(force, json=json_path)
    if population_column and methods:
        raise click.BadParameter("--methods does not apply with --population-column, which "
                                 "compares each population's benchmark, the pooled one and "
                                 "uniform; drop one of the two.")
    if population_column:
        specs = [parse_split(s, date_format=date_format) for s in splits]
        report = _evaluate_populations(results_path, preferences_path, ignore_unknown_models,
                                       models_path, population_column, specs, n_bootstrap, seed,
                                       formats)
        if json_path:
            write_atomic(json_path, _dump(report), force=force)
            click.echo(f"wrote {json_path}", err=True)
        return
    with stage("reading results and preferences"):
        results, linked = load_inputs(results_path, preferences_path, ignore_unknown_models,
                                      **formats)
        models = load_models(models_path) if models_path else None
    report = run_and_print(results, linked, splits=list(splits), models=models, seed=seed,
                           n_bootstrap=n_bootstrap, methods=_methods(methods),
                           date_format=date_format, inputs={"results": results_path, "preferences": preferences_path,
                                   "models": models_path})
    if json_path:
        write_atomic(json_path, _dump(report), force=force)
        click.echo(f"wrote {json_path}", err=True)


def _evaluate_populations(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                          models_path: str | None, column: str, specs: list,
                          n_bootstrap: int, seed: int, formats: dict) -> dict:
    with stage("reading results and preferences by population"):
        results, linked = load_population_inputs(results_path, preferences_path,
                                                 ignore_unknown_models, column, **formats)
        models = load_models(models_path) if models_path else None
    total = sum(spec.repeats for spec in specs)
    with stage(f"evaluating {len(linked)} populations on {total} splits", total) as update:
        report = evaluate_populations(results, linked, splits=specs, models=models, seed=seed,
                                      n_bootstrap=n_bootstrap, progress=update)
    report["inputs"] = {"results": results_path, "preferences": preferences_path,
                        "models": models_path, "population_column": column}
    click.echo(format_cross(report))
    return report


DEMO_SPLITS = {"metabench": ("random", "size:13"), "alpacaeval2": ("random",)}
DEMO_REPORT = "benchalign-demo-report.html"
DEMO_CURVES = {"learning_repeats": 2, "prune_repeats": 3}
"""The demo report's curves use few splits to keep the demo short; `benchalign report` uses more."""


@cli.command()
@click.option("--case", "cases", type=click.Choice(DEMO_CASES + ("all",)), default="all",
              show_default=True, help="Which shipped real case to run.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the evaluation of every case as JSON (replaces a JSON file an "
                   "earlier demo wrote; any other existing file needs --force).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=DEMO_REPORT,
              show_default=True, help="Where to write the HTML report of the cases (replaces a "
                                      "report an earlier demo wrote, so the demo can be run again; "
                                      "any other existing file needs --force).")
@seed_option
@force_option
def demo(cases: str, json_path: str | None, report_path: str, seed: int, force: bool) -> None:
    """Evaluate benchalign on the real data shipped inside the package.

    metabench: Open LLM Leaderboard v1, 6,349 models x 1,075 questions, 33 with Arena ratings
    (random and size splits). alpacaeval2: AlpacaEval 2.0, 58 models x 805 instructions, 14
    rated. Data licenses: CC BY-NC-SA 4.0 and CC BY-NC 4.0 (see benchalign/datasets/README.md).
    Writes an HTML report (see `benchalign report`) to --report; running the demo again
    replaces the report (and JSON) of the earlier run. Progress goes to stderr: a bar per step
    on a terminal, else a line per step with the time since the start.
    """
    check_outputs({"report": force or _demo_wrote(report_path, DEMO_REPORT_MARK),
                   "json": force or _demo_wrote(json_path, DEMO_JSON_MARK)},
                  report=report_path, json=json_path)
    out, sections = {}, []
    with Outputs() as files:  # the report and the JSON, or neither
        for name in DEMO_CASES if cases == "all" else (cases,):
            out[name], section = _demo_case(name, seed)
            sections.append(section)
        if json_path:
            files.write(json_path, _dump({"schema": DEMO_SCHEMA, **out}), force=True)  # checked above
        files.write(report_path, render_report(sections, title=DEMO_TITLE), force=True)
    for path in files.written:
        click.echo(f"wrote {path}", err=True)


def _demo_case(name: str, seed: int) -> tuple[dict, object]:
    """Evaluate one shipped case (printing its table) and build its report section."""
    start = time.perf_counter()
    with stage(f"{name}: loading the shipped case"):
        case = load_case(name)
        linked = link(case.results, case.preferences)
    click.echo(f"== {name}: {case.results.n_models} models x {case.results.n_items} items, "
               f"{len(linked.rated)} rated ==")
    evaluation = run_and_print(case.results, linked, splits=list(DEMO_SPLITS[name]),
                               models=case.models, seed=seed, n_bootstrap=1000,
                               methods=dict(METHODS), inputs={"case": name}, name=name)
    section = build_case(name, case.results, linked, models=case.models,
                         texts=item_texts(case.items), seed=seed, evaluation=evaluation,
                         splits=[parse_split(s) for s in DEMO_SPLITS[name]],
                         checked=check(case.results, case.preferences), stage=stage,
                         **DEMO_CURVES)
    click.echo(f"({name} took {time.perf_counter() - start:.0f} s)\n")
    return evaluation, section


DEMO_TITLE = "benchalign demo report"
DEMO_REPORT_MARK = f"<title>{DEMO_TITLE}</title>"
DEMO_SCHEMA = "benchalign.demo/1"
DEMO_JSON_MARK = f'"schema": "{DEMO_SCHEMA}"'
"""The demo's JSON starts with this; an evaluate JSON (another schema) is never taken for it."""


def _demo_wrote(path: str | None, mark: str) -> bool:
    """Whether ``path`` is a file an earlier demo wrote (its first 2 KB hold the demo's mark), so
    that the demo may replace it without --force."""
    try:
        with open(path or "", "rb") as fh:
            return mark.encode() in fh.read(2048)
    except OSError:
        return False

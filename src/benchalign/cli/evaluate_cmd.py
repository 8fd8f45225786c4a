"""`benchalign evaluate`: held-out evaluation of the aligned benchmark against baselines."""

from __future__ import annotations

import dataclasses

import click

from ..errors import ParameterError
from ..evaluation.baselines import METHODS, VARIANTS, select_methods
from ..evaluation.splits import parse_split
from ..io.load import load_models
from ..outputs import write_atomic
from ..populations.evaluate import PopulationEvaluation, evaluate_populations
from ..report.text import format_cross
from . import cli
from .common import (SPLIT_MODELS_HELP, check_outputs, date_format_option, evaluation_json,
                     force_option, load_inputs, load_population_inputs, models_option,
                     population_option, preference_options, results_option, run_and_print,
                     seed_option, stage)


def _methods(spec: str | None) -> dict:
    try:
        return select_methods(spec)
    except ParameterError as err:
        raise click.BadParameter(str(err)) from None


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
            write_atomic(json_path, evaluation_json(report.to_dict()), force=force)
            click.echo(f"wrote {json_path}", err=True)
        return
    with stage("reading results and preferences"):
        results, linked = load_inputs(results_path, preferences_path, ignore_unknown_models,
                                      **formats)
        models = load_models(models_path) if models_path else None
    report = run_and_print(results, linked, splits=list(splits), models=models, seed=seed,
                           n_bootstrap=n_bootstrap, methods=_methods(methods),
                           date_format=date_format, inputs={"results": results_path,
                                                            "preferences": preferences_path,
                                                            "models": models_path})
    if json_path:
        write_atomic(json_path, evaluation_json(report.to_dict()), force=force)
        click.echo(f"wrote {json_path}", err=True)


def _evaluate_populations(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                          models_path: str | None, column: str, specs: list,
                          n_bootstrap: int, seed: int, formats: dict) -> PopulationEvaluation:
    with stage("reading results and preferences by population"):
        results, linked = load_population_inputs(results_path, preferences_path,
                                                 ignore_unknown_models, column, **formats)
        models = load_models(models_path) if models_path else None
    total = sum(spec.repeats for spec in specs)
    with stage(f"evaluating {len(linked)} populations on {total} splits", total) as update:
        report = evaluate_populations(results, linked, splits=specs, models=models, seed=seed,
                                      n_bootstrap=n_bootstrap, progress=update)
    report = dataclasses.replace(report, inputs={"results": results_path,
                                                 "preferences": preferences_path,
                                                 "models": models_path, "population_column": column})
    click.echo(format_cross(report.to_dict()))
    return report

"""`benchalign check`: audit results and preferences before fitting."""

from __future__ import annotations

import json

import click

from ..check import CheckReport, check, check_populations

from ..report.text import format_ceiling, format_findings
from ..io.load import load_models
from ..outputs import write_atomic
from . import cli
from .common import (check_outputs, force_option, models_option, preference_options, read_inputs,
                     read_population_inputs, results_option, stage)


@cli.command("check")
@results_option
@preference_options
@models_option("Model metadata (model, params_b, ...): rated models it lacks, or whose size "
               "it does not give, are reported (size and group splits leave them out).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the findings, a summary and the noise ceiling as JSON (schema "
                   "benchalign.check/1).")
@click.option("--population-column", default=None,
              help="Column of the preference table naming each row's population (e.g. category): "
                   "the results are checked once, each population's preferences on their own, "
                   "with one noise ceiling per population. Default: one set of preferences.")
@force_option
@click.pass_context
def check_cmd(ctx: click.Context, results_path: str, preferences_path: str,
              ignore_unknown_models: bool, models_path: str | None, json_path: str | None,
              population_column: str | None, force: bool, **formats: object) -> None:
    """Audit results and preferences before fitting; print findings, most severe first.

    Coverage (rated models lacking whole benchmarks, compared models with no common item,
    constant items), suspicious runs (a benchmark far from what a model's other benchmarks
    predict, constant or degenerate models, a model on another scale, near-duplicate models),
    preferences (unknown models, cycles and intransitive triples, ties, overlapping rating
    intervals, ratings on the wrong scale or reversed) and headroom: how well the plain mean
    already orders the preferences, against the noise ceiling (the pairwise accuracy a perfect
    scorer could expect given the preferences' own uncertainty). With --population-column the
    results are checked once and each population's preferences on their own. See docs/check.md.

    Exit status: 0 when no finding is an error, 1 when one is, 2 when an input cannot be read.
    """
    check_outputs(force, json=json_path)
    if population_column:
        report = _check_populations(results_path, preferences_path, ignore_unknown_models,
                                    models_path, population_column, formats)
    else:
        with stage("reading results and preferences"):
            results, prefs = read_inputs(results_path, preferences_path, **formats)
            models = load_models(models_path) if models_path else None
        report = check(results, prefs, models=models, ignore_unknown=ignore_unknown_models)
        click.echo(format_findings(report.findings) if report.findings else "no findings")
        click.echo(f"\n{results.n_models} models x {results.n_items} items; "
                   f"{report.summary['n_rated_in_results']} rated models in the results, "
                   f"{report.summary['n_pairs']} compared pairs ({prefs.kind}); {_counts(report)}")
        click.echo(format_ceiling(report.ceiling))
    if json_path:
        write_atomic(json_path, json.dumps(report.to_dict(), indent=1) + "\n", force=force)
        click.echo(f"wrote {json_path}", err=True)
    ctx.exit(report.exit_code)


def _counts(report: CheckReport) -> str:
    counts = report.summary["counts"]
    return f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes"


def _check_populations(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                       models_path: str | None, column: str, formats: dict) -> CheckReport:
    """check --population-column: read, check and print; the report."""
    with stage("reading results and preferences by population"):
        results, populations, linked = read_population_inputs(
            results_path, preferences_path, ignore_unknown_models, column, **formats)
        models = load_models(models_path) if models_path else None
    report = check_populations(results, populations, linked, column=column, models=models,
                               ignore_unknown=ignore_unknown_models)
    click.echo(format_findings(report.findings) if report.findings else "no findings")
    click.echo(f"\n{results.n_models} models x {results.n_items} items; "
               f"{report.summary['n_rated_in_results']} rated models in the results, "
               f"{len(populations)} populations in '{column}'; {_counts(report)}")
    for name, ceiling in report.ceiling.items():
        part = report.summary["populations"][name]
        click.echo(f"{name} ({part['n_rated_in_results']} rated, {part['n_pairs']} pairs): "
                   + format_ceiling(ceiling))
    return report

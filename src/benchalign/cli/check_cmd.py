"""`benchalign check`: audit results and preferences before fitting."""

from __future__ import annotations

import json

import click

from ..check import check, format_ceiling, format_findings
from ..io.load import load_models
from ..outputs import write_atomic
from . import cli
from .common import (check_outputs, force_option, models_option, preference_options, read_inputs,
                     results_option, stage)


@cli.command("check")
@results_option
@preference_options
@models_option("Model metadata (model, params_b, ...): rated models it lacks, or whose size "
               "it does not give, are reported (size and group splits leave them out).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the findings, a summary and the noise ceiling as JSON (schema "
                   "benchalign.check/1).")
@force_option
@click.pass_context
def check_cmd(ctx: click.Context, results_path: str, preferences_path: str,
              ignore_unknown_models: bool, models_path: str | None, json_path: str | None,
              force: bool, **formats: object) -> None:
    """Audit results and preferences before fitting; print findings, most severe first.

    Coverage (rated models lacking whole benchmarks, compared models with no common item,
    constant items), suspicious runs (a benchmark far from what a model's other benchmarks
    predict, constant or degenerate models, a model on another scale, near-duplicate models),
    preferences (unknown models, cycles and intransitive triples, ties, overlapping rating
    intervals, ratings on the wrong scale or reversed) and headroom: how well the plain mean
    already orders the preferences, against the noise ceiling (the pairwise accuracy a perfect
    scorer could expect given the preferences' own uncertainty). See docs/check.md.

    Exit status: 0 when no finding is an error, 1 when one is, 2 when an input cannot be read.
    """
    check_outputs(force, json=json_path)
    with stage("reading results and preferences"):
        results, prefs = read_inputs(results_path, preferences_path, **formats)
        models = load_models(models_path) if models_path else None
    report = check(results, prefs, models=models, ignore_unknown=ignore_unknown_models)
    counts = report.summary["counts"]
    click.echo(format_findings(report.findings) if report.findings else "no findings")
    click.echo(f"\n{results.n_models} models x {results.n_items} items; "
               f"{report.summary['n_rated_in_results']} rated models in the results, "
               f"{report.summary['n_pairs']} compared pairs ({prefs.kind}); "
               f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes")
    click.echo(format_ceiling(report.ceiling))
    if json_path:
        write_atomic(json_path, json.dumps(report.to_dict(), indent=1) + "\n", force=force)
        click.echo(f"wrote {json_path}", err=True)
    ctx.exit(report.exit_code)

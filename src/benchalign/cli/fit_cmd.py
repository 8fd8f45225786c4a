"""`benchalign fit`: fit the aligned benchmark and write its file."""

from __future__ import annotations

import logging

import click

from ..artifact import AlignedBenchmark
from ..errors import ParameterError
from ..fit import BenchmarkAligner
from ..populations.aligner import PopulationAligner
from ..report.text import fit_summary, population_fit_summary
from . import cli
from .common import (check_outputs, completion_option, force_option, load_checked,
                     load_population_inputs, method_option, population_option, preference_options,
                     results_option, seed_option, stage)

logger = logging.getLogger("benchalign")


@cli.command()
@results_option
@preference_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the aligned benchmark (JSON).")
@method_option
@completion_option
@population_option
@seed_option
@force_option
def fit(results_path: str, preferences_path: str, ignore_unknown_models: bool, output: str,
        method: str, completion: str, population_column: str | None, seed: int, force: bool,
        **formats: object) -> None:
    """Fit question weights to the preferences and write the aligned benchmark file.

    The file lists every item with its weight (non-negative, summing to 1) and is what
    `benchalign score` applies to new models. With --population-column it holds one weight
    vector per population plus the pooled one (`benchalign score --population NAME`).
    """
    check_outputs(force, o=output)
    if population_column:
        if completion not in ("auto", "none"):
            raise ParameterError(
                f"--completion {completion} cannot be used with --population-column: population "
                "benchmarks blend their weights, so each is scored over the questions a model has. "
                "Drop --completion, or fit without --population-column.")
        params = {"method": method}
        return fit_populations(results_path, preferences_path, ignore_unknown_models, output,
                               population_column, params, seed, force, formats)
    with stage("reading results and preferences"):
        results, linked, _ = load_checked(results_path, preferences_path, ignore_unknown_models,
                                          **formats)
    aligner = BenchmarkAligner(random_state=seed, method=method, completion=completion)
    with stage(f"fitting {results.n_items} question weights to {len(linked.rated)} rated models"):
        aligner.fit(results, linked)
    bench = AlignedBenchmark.from_aligner(aligner, {"preference_kind": linked.kind, "method": method,
                                                    "chosen": aligner.method_})
    bench.save(output, force=force)
    click.echo(fit_summary(bench, aligner))
    click.echo(f"wrote {output}")


def fit_populations(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                    output: str, column: str, params: dict, seed: int, force: bool,
                    formats: dict) -> None:
    """`fit --population-column`: one benchmark per population plus the pooled one, one file."""
    with stage("reading results and preferences by population"):
        results, linked = load_population_inputs(results_path, preferences_path,
                                                 ignore_unknown_models, column, **formats)
    with stage(f"fitting {len(linked)} populations and the pooled benchmark"):
        template = BenchmarkAligner(**params)
        pa = PopulationAligner(random_state=seed, aligner=template).fit(results, linked)
    bench = AlignedBenchmark.from_population_aligner(pa, {"preference_kind": "pairs",
                                                          "method": params["method"],
                                                          "population_column": column})
    bench.save(output, force=force)
    click.echo(population_fit_summary(bench, pa))
    click.echo(f"wrote {output}")

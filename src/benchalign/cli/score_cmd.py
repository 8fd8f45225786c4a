"""`benchalign score`: score models' results with a benchmark file."""

from __future__ import annotations

import io
import sys

import click

from ..artifact import load_benchmark, score
from ..outputs import formula_safe, ordering_format, write_atomic
from . import cli
from .common import check_outputs, force_option, results_option, stage
from .format_options import load_results_from_options


@cli.command("score")
@click.option("--benchmark", "benchmark_path", required=True, type=click.Path(dir_okay=False),
              help="Aligned benchmark file written by `benchalign fit` or `prune`.")
@results_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the ranked table here (CSV); default: print it to stdout. A model name "
                   "that a spreadsheet would run as a formula (=, +, -, @ first) gets a leading '.")
@click.option("--strict", is_flag=True,
              help="Fail when the results lack benchmark items or have items the benchmark does "
                   "not know (default: report them and score over the shared items).")
@click.option("--population", default=None,
              help="With a benchmark fitted per population (fit --population-column): score with "
                   "this population's weights ('pooled' for the pooled ones, the default).")
@force_option
def score_cmd(benchmark_path: str, results_path: str, output: str | None, strict: bool,
              population: str | None, force: bool, **formats: object) -> None:
    """Score models' question-level results with an aligned benchmark; print or write a ranking.

    Columns: rank, model, score (weighted mean over the benchmark items the model has, or, with
    a benchmark that completes missing questions, the weighted sum over the model's row completed
    from its own results), coverage (weight mass of the items it has; 1 = complete), n_items.
    """
    check_outputs(force, o=output)
    bench = load_benchmark(benchmark_path)
    if population is not None:
        bench = bench.for_population(population)
    with stage("reading results"):
        results = load_results_from_options(results_path, **formats)
    table = score(bench, results, strict=strict)
    buf = io.StringIO()
    formula_safe(table).to_csv(buf, index=False, float_format=ordering_format(table["score"].to_numpy()))
    if output:
        write_atomic(output, buf.getvalue(), force=force)
        click.echo(f"scored {len(table)} models; wrote {output}", err=True)
    else:
        sys.stdout.write(buf.getvalue())

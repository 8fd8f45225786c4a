"""`benchalign prune`: a smaller aligned benchmark of K questions."""

from __future__ import annotations

import click

from ..prune import prune
from ..report.text import prune_summary
from . import cli
from .common import (check_outputs, completion_option, force_option, load_inputs, method_option,
                     preference_options, results_option,
                     seed_option, stage)


@cli.command("prune")
@results_option
@preference_options
@click.option("-k", "--k", "k", required=True, type=click.IntRange(min=1),
              help="Number of questions to keep.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the pruned benchmark (a normal benchmark file for `score`).")
@method_option
@completion_option
@seed_option
@force_option
def prune_cmd(results_path: str, preferences_path: str, ignore_unknown_models: bool, k: int,
              output: str, method: str, completion: str, seed: int, force: bool,
              **formats: object) -> None:
    """Fit, keep K questions chosen to preserve the preference ranking, re-fit their weights.

    Each source benchmark keeps its share of the fitted weight in questions (its heaviest ones),
    so models that lack some benchmarks stay scorable.

    The first fit on every question chooses the weighting (--method) and whether missing
    questions are completed (--completion); the kept questions are re-weighted with that choice
    restricted to them, and a model is then completed from its results on the kept questions. The output lists only the
    kept questions (weights summing to 1) and is scored like any
    benchmark file: `benchalign score --benchmark FILE --results NEW.csv`. See `benchalign
    report` for the held-out accuracy vs K.
    """
    check_outputs(force, o=output)
    with stage("reading results and preferences"):
        results, linked = load_inputs(results_path, preferences_path, ignore_unknown_models,
                                      **formats)
    if k > results.n_items:
        raise click.BadParameter(f"K={k} is more than the {results.n_items} questions of the "
                                 "results; choose a smaller K.", param_hint="--k")
    with stage(f"fitting, keeping {k} of {results.n_items} questions, re-fitting"):
        bench = prune(results, linked, k, aligner_params={"random_state": seed, "method": method,
                                                              "completion": completion})
    bench.save(output, force=force)
    click.echo(prune_summary(bench, results.n_items))
    click.echo(f"wrote {output}")

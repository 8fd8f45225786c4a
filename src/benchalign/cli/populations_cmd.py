"""`benchalign populations compare`: where two populations of a preference file differ."""

from __future__ import annotations

import json

import click

from ..populations.compare import ALPHA, N_BOOT, TOP_ITEMS, compare_populations

from ..report.text import format_diff
from ..populations.compare import pick_population
from ..populations.aligner import link_populations
from ..errors import ParameterError
from ..outputs import write_atomic
from . import cli
from .common import (check_outputs, force_option, load_population_inputs, preference_options,
                     results_option, seed_option, stage)


@cli.group()
def populations() -> None:
    """Populations of one preference file (a column naming each row's population, e.g. an
    Arena category). Fit, evaluate and report per population with --population-column."""


@populations.command("compare")
@results_option
@preference_options
@click.option("--population-column", required=True,
              help="Column of the preference table naming each row's population (e.g. category).")
@click.option("--a", "name_a", required=True, help="The first population ('pooled': all rows).")
@click.option("--b", "name_b", required=True, help="The second population ('pooled': all rows).")
@click.option("--n-boot", type=click.IntRange(min=20), default=N_BOOT, show_default=True,
              help="Refits of each population on bootstrap resamples of its rated models.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=ALPHA, show_default=True,
              help="The two differ when the test's p-value is below this.")
@click.option("--top", type=click.IntRange(min=1), default=TOP_ITEMS, show_default=True,
              help="Questions listed as gaining and as losing most (only when they differ).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Write the comparison as JSON (schema benchalign.population_diff/1).")
@seed_option
@force_option
def compare_cmd(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                population_column: str, name_a: str, name_b: str, n_boot: int, alpha: float,
                top: int, json_path: str | None, seed: int, force: bool,
                **formats: object) -> None:
    """Compare two populations' benchmarks: per-benchmark weight mass with bootstrap intervals,
    a resampling test, and the questions that gain and lose most.

    Each population's benchmark is the correlation weighting (the one of `auto`'s candidates
    that reads the preferences), fitted on its rated models and on --n-boot resamples of them.
    The test asks whether the two benchmarks order more model pairs differently than refitting
    one population on resampled models does; when they cannot be told apart it says so and lists
    no questions. See docs/populations.md.
    """
    check_outputs(force, json=json_path)
    if name_a == name_b:
        raise ParameterError(f"--a and --b are both {name_a!r}; name two different "
                             "populations.")
    with stage("reading results and preferences by population"):
        results, by_pop = load_population_inputs(results_path, preferences_path,
                                                 ignore_unknown_models, population_column,
                                                 **formats)
        linked = link_populations(results, by_pop)
    pair = [pick_population(linked, name, population_column, option)
            for name, option in ((name_a, "--a"), (name_b, "--b"))]
    with stage(f"refitting {name_a} and {name_b} on {n_boot} resamples each", 2 * n_boot) as update:
        diff = compare_populations(results, *pair, names=(name_a, name_b), n_boot=n_boot,
                                   random_state=seed, alpha=alpha, top=top, progress=update)
    click.echo(format_diff(diff, results.items, results.benchmarks), nl=False)
    if json_path:
        doc = diff.to_dict(results.items, results.benchmarks)
        doc["inputs"] = {"results": results_path, "preferences": preferences_path,
                         "population_column": population_column}
        write_atomic(json_path, json.dumps(doc, indent=1) + "\n", force=force)
        click.echo(f"wrote {json_path}", err=True)

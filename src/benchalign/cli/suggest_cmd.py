"""`benchalign suggest`: which models (or model pairs) to get preferences for next."""

from __future__ import annotations

import json

import click

from ..data import Linked, Results
from ..errors import ParameterError, format_rows
from ..outputs import Outputs
from ..report.suggest import suggest_page
from ..suggest.rank import UNITS, Suggestions, suggest
from ..suggest.curve import active_curve, curve_sizes
from . import cli
from .common import (check_outputs, force_option, load_inputs, preference_options, results_option,
                     seed_option, stage)


@cli.command("suggest")
@results_option
@preference_options
@click.option("--budget", required=True, type=click.IntRange(min=1),
              help="How many models (or pairs) to suggest.")
@click.option("--unit", type=click.Choice(UNITS), default="models", show_default=True,
              help="Suggest unrated models to get rated, or model pairs to compare.")
@click.option("--n-boot", type=click.IntRange(min=2), default=20, show_default=True,
              help="Bootstrap refits over the rated models behind the rank disagreement.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the suggestions as JSON (schema benchalign.suggest/1).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Also write an HTML page with the suggestions and the active curve on these "
                   "data: held-out accuracy as hidden ratings are revealed in suggest's order, "
                   "at random and by simple heuristics.")
@click.option("--curve-reps", type=click.IntRange(min=2), default=None,
              help="Repetitions of the --report page's active curve.  [default: 5]")
@seed_option
@force_option
def suggest_cmd(results_path: str, preferences_path: str, ignore_unknown_models: bool, budget: int,
                unit: str, n_boot: int, json_path: str | None, report_path: str | None,
                curve_reps: int | None, seed: int, force: bool, **formats: object) -> None:
    """Rank the unrated models to get rated next (or the pairs to compare next), best first.

    A model's value is how much bootstrap refits over the rated models disagree about where it
    ranks, times how far its results lie from the rated models' (its novelty); each line gives
    both numbers. With --unit pairs: pairs not yet compared whose order the refits disagree on.
    Deterministic for a given --seed. On the shipped cases the choice did no better than random selection
    (docs/suggest.md).
    """
    if curve_reps is not None and report_path is None:
        raise ParameterError("--curve-reps sets the active curve of the --report page; pass "
                             "--report PATH too, or leave out --curve-reps.")
    check_outputs(force, json=json_path, report=report_path)
    with stage("reading results and preferences"):
        results, linked = load_inputs(results_path, preferences_path, ignore_unknown_models,
                                      **formats)
    if report_path:
        curve_sizes(len(linked.rated))  # too few rated models fail before the work
    with Outputs() as out:  # both files or neither, even when the active curve fails
        with stage(f"refitting on {n_boot} bootstrap resamples of the rated models"):
            found = suggest(results, linked, budget, unit=unit, n_boot=n_boot, seed=seed)
        click.echo(_render(found))
        if json_path:
            out.write(json_path, json.dumps(found.to_dict(), indent=1) + "\n", force=force)
        if report_path:
            out.write(report_path, _report_page(found, results, linked,
                                                curve_reps or CURVE_REPS, n_boot, seed,
                                                f"results {results_path}, preferences "
                                                f"{preferences_path}"), force=force)
    for path in out.written:
        click.echo(f"wrote {path}", err=True)


CURVE_REPS = 5
"""Default repetitions of the --report page's active curve (about a minute on metabench)."""


def _report_page(found: Suggestions, results: Results, linked: Linked, reps: int,
                 n_boot: int, seed: int, inputs: str) -> str:
    """Run the active curve on the data (progress on stderr); the --report page."""
    with stage(f"active curve: {reps} repetitions", reps) as update:
        curve = active_curve(results, linked, reps=reps, n_boot=n_boot, seed=seed,
                             progress=update)
    return suggest_page(found, curve, title="benchalign suggest",
                        inputs=f"{inputs}; {results.n_models} models, {len(linked.rated)} rated.")


def _render(found: Suggestions) -> str:
    lines = []
    for _, r in found.table.iterrows():
        who = r["model"] if found.unit == "models" else f"{r['model_a']}  vs  {r['model_b']}"
        lines.append(f"{int(r['rank']):3d}. {who}  (value {r['value']:.3f}): {r['reason']}")
    left_out = found.left_out
    if left_out:
        one = len(left_out) == 1
        lines.append(f"left out {len(left_out)} unrated model{'' if one else 's'} that `benchalign "
                     f"check` finds degenerate (constant, or answering like no other model): "
                     f"{format_rows(left_out, 5)}.")
    return "\n".join(lines)

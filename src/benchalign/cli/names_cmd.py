"""`benchalign match-names`: propose a name map for review; never applies it."""

from __future__ import annotations

import io
import sys

import click

from ..io.formats.names import propose_name_map
from ..outputs import formula_safe, write_atomic
from .format_options import load_preferences_from_options, load_results_from_options
from . import cli
from .common import check_outputs, force_option, preference_options, results_option


@cli.command("match-names")
@results_option
@preference_options
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.6, show_default=True,
              help="Leave out proposals less confident than this.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the proposal here (CSV from, to, confidence, note); default: stdout. "
                   "Names a spreadsheet would run as formulas get a leading ', which --name-map "
                   "takes off.")
@force_option
def match_names(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                min_confidence: float, output: str | None, force: bool, **formats: object) -> None:
    """Propose a map from result model names to preference model names, for you to review.

    Names spelled the same on both sides need no entry. Nothing is applied: check the proposal
    (the note column flags ambiguous ones), delete wrong rows, then pass the file to fit, score
    or evaluate with --name-map.
    """
    check_outputs(force, o=output)
    formats = {**formats, "name_map": None}
    results = load_results_from_options(results_path, **formats)
    prefs = load_preferences_from_options(preferences_path, **formats)
    proposal = propose_name_map(results.models, prefs.models, min_confidence=min_confidence)
    buf = io.StringIO()
    formula_safe(proposal).to_csv(buf, index=False)  # read back by --name-map as it was
    unmatched = len(set(prefs.models) - set(results.models)) - len(proposal)
    summary = (f"proposed {len(proposal)} renames; {unmatched} preference models have no proposal "
               "and no exact match")
    if output:
        write_atomic(output, buf.getvalue(), force=force)
        click.echo(f"{summary}; wrote {output}. Review it before passing --name-map.", err=True)
    else:
        sys.stdout.write(buf.getvalue())
        click.echo(summary + ". Review before passing --name-map.", err=True)

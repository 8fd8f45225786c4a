"""Options and helpers shared by several commands."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click
from tqdm import tqdm

from ..data import ELO_SCALE, Linked, Results, link, load_preferences, load_results

F = Callable[..., object]


def results_option(f: F) -> F:
    return click.option(
        "--results", "results_path", required=True, type=click.Path(dir_okay=True),
        help="Question-level results: long table model, benchmark, item, score (CSV, CSV.gz, "
             "TSV or Parquet; extra columns ignored) or a wide models × items table.",
    )(f)


def preference_options(f: F) -> F:
    f = click.option(
        "--ignore-unknown-models", is_flag=True,
        help="Drop preferences about models absent from the results, with a warning listing "
             "them (default: error).",
    )(f)
    f = click.option(
        "--rating-scale", type=click.FloatRange(min=0, min_open=True), default=ELO_SCALE,
        show_default="400/ln 10 ≈ 173.7, Elo",
        help="Rating units per logit when turning ratings into soft pair targets "
             "p = σ((r_i − r_j)/scale).",
    )(f)
    f = click.option(
        "--preference-format", type=click.Choice(["pairs", "ratings", "battles"]), default=None,
        help="Form of the preference file; detected from its columns when omitted "
             "(winner, loser[, weight] | model, rating | model_a, model_b, winner).",
    )(f)
    return click.option(
        "--preferences", "preferences_path", required=True, type=click.Path(dir_okay=True),
        help="Preferences: pairs, ratings or battles (CSV, CSV.gz, TSV or Parquet).",
    )(f)


def force_option(f: F) -> F:
    return click.option("--force", is_flag=True, help="Overwrite output files that exist.")(f)


def seed_option(f: F) -> F:
    return click.option("--seed", type=int, default=0, show_default=True,
                        help="Seed of every random choice (splits, folds, bootstrap).")(f)


def load_inputs(results_path: str, preferences_path: str, preference_format: str | None,
                rating_scale: float, ignore_unknown_models: bool) -> tuple[Results, Linked]:
    """Read results and preferences and link them by model name."""
    results = load_results(results_path)
    prefs = load_preferences(preferences_path, kind=preference_format, rating_scale=rating_scale)
    return results, link(results, prefs, ignore_unknown=ignore_unknown_models)


def progress_bar(total: int, desc: str) -> tqdm:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    return tqdm(total=total, desc=desc, unit="split", disable=not sys.stderr.isatty(),
                leave=False, file=sys.stderr)

"""Options and helpers shared by several commands."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

import click
from tqdm import tqdm

from ..check import CheckReport, check, format_findings
from ..data import Linked, Results, link
from ..errors import DataWarning
from ..formats.options import (
    load_preferences_from_options,
    load_results_from_options,
    preference_format_options,
    results_format_options,
)

F = Callable[..., object]


def results_option(f: F) -> F:
    f = results_format_options(f)
    return click.option(
        "--results", "results_path", required=True, type=click.Path(dir_okay=True),
        help="Question-level results: a long table model, benchmark, item, score (CSV, CSV.gz, "
             "TSV or Parquet; extra columns ignored) or a wide models × items table, or a tool's "
             "output (file, directory or quoted glob; see --results-format).",
    )(f)


def preference_options(f: F) -> F:
    f = preference_format_options(f)
    f = click.option(
        "--ignore-unknown-models", is_flag=True,
        help="Drop preferences about models absent from the results, with a warning listing "
             "them (default: error).",
    )(f)
    return click.option(
        "--preferences", "preferences_path", required=True, type=click.Path(dir_okay=True),
        help="Preferences: pairs (winner, loser[, weight]), ratings (model, rating) or battles "
             "(model_a, model_b, winner), as CSV/TSV/Parquet/JSON(L), or an Arena battle log or "
             "leaderboard (see --preference-format).",
    )(f)


def force_option(f: F) -> F:
    return click.option("--force", is_flag=True, help="Overwrite output files that exist.")(f)


def seed_option(f: F) -> F:
    return click.option("--seed", type=int, default=0, show_default=True,
                        help="Seed of every random choice (splits, folds, bootstrap).")(f)


def load_inputs(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                **options: object) -> tuple[Results, Linked]:
    """Read results and preferences with the command's format options and link them by name."""
    results = load_results_from_options(results_path, **options)
    prefs = load_preferences_from_options(preferences_path, **options)
    return results, link(results, prefs, ignore_unknown=ignore_unknown_models)


def load_checked(results_path: str, preferences_path: str, ignore_unknown_models: bool,
                 **options: object) -> tuple[Results, Linked, CheckReport]:
    """Read results and preferences, link them by name, run :func:`benchalign.check.check` and
    print its error and warning findings on stderr.

    link's own data warnings (unknown models dropped, cycles, reversed ratings) are findings of the
    check too, so they are silenced here: each is said once.
    """
    results = load_results_from_options(results_path, **options)
    prefs = load_preferences_from_options(preferences_path, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        linked = link(results, prefs, ignore_unknown=ignore_unknown_models)
    report = check(results, prefs, ignore_unknown=ignore_unknown_models)
    shown = report.at_least("warning")
    if shown:
        click.echo(f"check: {len(shown)} finding(s) to look at (`benchalign check` lists all):\n"
                   + format_findings(shown), err=True)
    return results, linked, report


def progress_bar(total: int, desc: str) -> tqdm:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    return tqdm(total=total, desc=desc, unit="split", disable=not sys.stderr.isatty(),
                leave=False, file=sys.stderr)

"""`benchalign report`: the HTML report of one data set (the demo writes one for the shipped cases)."""

from __future__ import annotations

import dataclasses
import glob
import os
from pathlib import Path

import click

from ..evaluation.splits import parse_split
from ..io.items import item_texts, read_items, warn_unmatched_texts
from ..io.load import load_models
from ..outputs import write_atomic
from ..populations.aligner import POOLED, link_populations
from ..report.build import build_case, population_view
from ..report.html import render_report
from . import cli
from .common import (SPLIT_MODELS_HELP, check_outputs, date_format_option, force_option, load_checked,
                     load_population_inputs, models_option, population_option, preference_options,
                     results_option, seed_option, stage)


DATA_SUFFIXES = (".gz", ".csv", ".tsv", ".parquet", ".json", ".jsonl", ".txt")


def case_name(path: str) -> str:
    """The name of a case from its preference file: the file name without its data suffixes
    (``/data/prefs_full.csv.gz`` -> ``prefs_full``); for a folder or a glob, the folder's name."""
    p = Path(path)
    name = p.name
    while Path(name).suffix.lower() in DATA_SUFFIXES:
        name = name[: -len(Path(name).suffix)]
    if not name or glob.escape(name) != name:
        return Path(os.path.abspath(p.parent)).name or name
    return name


@cli.command("report")
@results_option
@preference_options
@click.option("--items", "items_path", type=click.Path(dir_okay=False), default=None,
              help="Item texts: a table with an item column and the question (CSV or CSV.gz), "
                   "to show the top and bottom weighted questions.")
@click.option("--text-column", default=None,
              help="Column of --items with the question. Default: the first of text, "
                   "instruction, question, prompt, input.")
@models_option(SPLIT_MODELS_HELP)
@click.option("--split", "splits", multiple=True, default=("random",), show_default=True,
              help="Repeatable; as for `benchalign evaluate`.")
@date_format_option
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(min=50), default=1000,
              show_default=True, help="Bootstrap resamples of held-out models for the 95% CIs.")
@click.option("--repeats", type=click.IntRange(min=1), default=5, show_default=True,
              help="Random splits of the learning curve and of the pruning curve.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the report (a single self-contained HTML file).")
@click.option("--title", default=None,
              help="Title of the report. Default: 'benchalign report: ' and the preference file's "
                   "name without its suffixes (the input paths are listed under the case heading).")
@population_option
@seed_option
@force_option
def report_cmd(results_path: str, preferences_path: str, ignore_unknown_models: bool,
               items_path: str | None, text_column: str | None, models_path: str | None,
               splits: tuple[str, ...], date_format: str | None, n_bootstrap: int, repeats: int,
               output: str, title: str | None, population_column: str | None, seed: int, force: bool,
               **formats: object) -> None:
    """Write an HTML report: held-out evaluation, scores vs ratings, where the weight goes,
    learning curve and pruning curve.

    The page is one file (figures embedded as SVG, no script, no network) that opens from disk.
    The same inputs and seed give the same bytes. With --population-column the report is of the
    pooled preferences, plus a populations section (see `benchalign evaluate`).
    """
    check_outputs(force, o=output)
    specs = [parse_split(s, date_format=date_format) for s in splits]
    texts = item_texts(read_items(items_path), text_column)  # a bad items file fails before the work
    with stage("reading results, preferences and metadata"):
        checked = None
        if population_column:
            results, by_pop = load_population_inputs(results_path, preferences_path,
                                                     ignore_unknown_models, population_column,
                                                     **formats)
            linked = link_populations(results, by_pop)[POOLED]
        else:
            results, linked, checked = load_checked(results_path, preferences_path,
                                                    ignore_unknown_models, **formats)
        models = load_models(models_path) if models_path else None
    warn_unmatched_texts(texts, results.items)
    name = case_name(preferences_path)
    case = build_case(name, results, linked, splits=specs, models=models,
                      texts=texts, seed=seed, n_bootstrap=n_bootstrap,
                      learning_repeats=repeats, prune_repeats=repeats, checked=checked,
                      stage=stage)
    case = dataclasses.replace(case, inputs="; ".join(
        f"{what} {path}" for what, path in (("results", results_path), ("preferences", preferences_path),
                                            ("models", models_path), ("items", items_path)) if path))
    if population_column:
        case = dataclasses.replace(case, populations=population_view(
            results, by_pop, specs, models, seed, n_bootstrap, stage=stage))
    page = render_report([case], title=title or f"benchalign report: {name}")
    write_atomic(output, page, force=force)
    click.echo(f"wrote {output}")

"""`benchalign report`: the HTML report of one data set (the demo writes one for the shipped cases)."""

from __future__ import annotations

import dataclasses
import glob
import os
from pathlib import Path

import click
import numpy as np
import pandas as pd

from ..check import CheckReport, heldout_ceiling
from ..data import Linked, Results
from ..errors import InputFormatError
from ..evaluation.heldout import evaluate
from ..evaluation.splits import Split, SplitSpec, parse_split
from ..fit import BenchmarkAligner
from ..io.load import load_models
from ..outputs import write_atomic
from ..populations.compare import N_BOOT, compare_each
from ..populations.evaluate import evaluate_populations
from ..populations.aligner import POOLED, PopulationAligner, link_populations
from ..report.populations import PopulationView
from ..prune import CURVE_KS, prune_curve
from ..report.build import (LEARNING_SIZES, CaseReport, benchmark_separability, describe_choice,
                            heldout_frame, item_texts, learning_curve, warn_unmatched_texts)
from ..report.html import render_report
from . import cli
from .common import (SPLIT_MODELS_HELP, check_outputs, date_format_option, force_option, load_checked,
                     load_population_inputs, models_option, population_option, preference_options,
                     results_option, seed_option, stage)


def build_case(name: str, results: Results, linked: Linked, *, splits: list[SplitSpec],
               models: pd.DataFrame | None, texts: dict[str, str], seed: int,
               n_bootstrap: int = 1000, evaluation: dict | None = None, learning_repeats: int = 5,
               prune_repeats: int = 5, prune_ks=CURVE_KS,
               checked: CheckReport | None = None) -> CaseReport:
    """Run every analysis of the report, with the progress of each step on stderr (see
    :func:`~benchalign.cli.common.stage`).

    evaluation : a report of :func:`evaluate` already computed on the same inputs (else run here).
    checked : the data check of the inputs, shown first (see :func:`benchalign.check.check`).
    """
    if evaluation is None:
        total = sum(s.repeats for s in splits)
        with stage(f"{name}: evaluating on {total} splits", total) as update:
            evaluation = evaluate(results, linked, splits=splits, models=models, seed=seed,
                                  n_bootstrap=n_bootstrap, progress=update)
    evaluation.setdefault("ceiling", heldout_ceiling(results, linked, evaluation))
    with stage(f"{name}: fitting on every rated model", 1) as update:
        aligner = BenchmarkAligner(random_state=seed).fit(results, linked)
        heldout, note, label = _heldout(results, linked, evaluation, seed)
        update(1)
    with stage(f"{name}: learning curve ({learning_repeats} splits)", learning_repeats) as update:
        learning = learning_curve(results, linked, sizes=LEARNING_SIZES, repeats=learning_repeats,
                                  seed=seed, progress=update)
    with stage(f"{name}: pruning curve ({prune_repeats} splits)", prune_repeats) as update:
        pruned = prune_curve(results, linked, ks=prune_ks, seed=seed, progress=update,
                             split=SplitSpec("random", repeats=prune_repeats))
    uniform = np.full(results.n_items, 1.0 / results.n_items)
    separable = benchmark_separability(results, linked.rated,
                                       {"aligned": aligner.weights_, "uniform": uniform}, seed=seed,
                                       completions={"aligned": aligner.completion_})
    return CaseReport(name, evaluation, results.items, results.benchmarks, aligner.weights_,
                      texts, heldout, note, label, learning, pruned,
                      check=None if checked is None else checked.to_dict(),
                      choice=describe_choice(aligner), separability=separable)


def _heldout(results: Results, linked: Linked, evaluation: dict,
             seed: int) -> tuple[pd.DataFrame, str, str]:
    """The scatter's split, taken from the evaluation: the size split if there is one (train
    small, rank large), else the first split of the first family."""
    families = evaluation["splits"]
    name = next((n for n in families if n.startswith("size:")), next(iter(families)))
    record = families[name]["per_split"][0]
    split = Split(results.index_of(record["train"]), results.index_of(record["test"]))
    frame, given = heldout_frame(results, linked, split, seed=seed)
    which = "the" if families[name]["n_splits"] == 1 else "its first"
    note = (f"Split '{name}' ({which} hold-out): aligned fitted on the preferences among "
            f"{len(split.train)} training models only.")
    label = "preference rating" if given else "Bradley-Terry strength (held-out pairs)"
    return frame, note, label


def population_view(results: Results, populations: dict[str, Linked], splits: list[SplitSpec],
                    models: pd.DataFrame | None, seed: int, n_bootstrap: int,
                    n_boot: int = N_BOOT) -> PopulationView:
    """The report's populations section: benchmarks fitted on every rated model, cross matrix,
    and each population compared with the pooled benchmark and with each other (n_boot refits
    of each on resampled rated models)."""
    with stage(f"fitting {len(populations)} populations"):
        fitted = PopulationAligner(random_state=seed).fit(results, populations)
    total = sum(s.repeats for s in splits)
    with stage(f"evaluating {len(populations)} populations on {total} splits", total) as update:
        evaluation = evaluate_populations(results, populations, splits=splits, models=models,
                                          seed=seed, n_bootstrap=n_bootstrap, progress=update)
    linked = link_populations(results, populations)
    with stage(f"comparing {len(populations)} populations and the pooled benchmark "
               f"({n_boot} refits each)", n_boot * len(linked)) as update:
        comparisons = compare_each(results, linked, n_boot=n_boot, random_state=seed,
                                   progress=update)
    return PopulationView(fitted.weights_, fitted.blend_, evaluation, comparisons)


def read_items(path: str | None) -> pd.DataFrame | None:
    """The items table (item, text[, ...]) or None."""
    if path is None:
        return None
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputFormatError(f"{path}: cannot read the items table ({exc}); expected a CSV "
                               "with an item column and a text column.") from exc


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
                      learning_repeats=repeats, prune_repeats=repeats, checked=checked)
    case = dataclasses.replace(case, inputs="; ".join(
        f"{what} {path}" for what, path in (("results", results_path), ("preferences", preferences_path),
                                            ("models", models_path), ("items", items_path)) if path))
    if population_column:
        case = dataclasses.replace(case, populations=population_view(
            results, by_pop, specs, models, seed, n_bootstrap))
    page = render_report([case], title=title or f"benchalign report: {name}")
    write_atomic(output, page, force=force)
    click.echo(f"wrote {output}")

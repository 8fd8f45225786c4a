"""`benchalign fit` and `benchalign score`."""

from __future__ import annotations

import io
import logging
import sys

import click
import numpy as np

from ..artifact import AlignedBenchmark, load_benchmark, score
from ..errors import ParameterError
from ..fit import BenchmarkAligner
from ..features.completion import SPECS
from ..features.structure import benchmark_mass, effective_questions
from ..fit.selection import METHODS
from ..outputs import formula_safe, ordering_format, write_atomic
from ..populations.aligner import POOLED, PopulationAligner
from . import cli
from .common import (check_outputs, force_option, load_checked, load_population_inputs,
                     population_option, preference_options, results_option, seed_option, stage)
from .format_options import load_results_from_options

logger = logging.getLogger("benchalign")


def method_option(func):
    """--method: which weighting is fitted."""
    return click.option(
        "--method", type=click.Choice(METHODS), default="auto", show_default=True,
        help="The weighting: 'auto' chooses among 'correlation' (each question weighted by how well "
             "it orders the rated models, on the benchmarks they all have), 'coverage' (the "
             "label-free prior that keeps scores from depending on which benchmarks a model lacks) "
             "and 'uniform' (the plain mean) by cross-validation over the rated models, and prints "
             "what each scored; one of those three forces that weighting. 'ranknet' is the "
             "published BenchAlign method, to reproduce the paper: a free weight per question "
             "fitted by the pairwise RankNet loss, pulled toward the coverage prior with a strength "
             "chosen by cross-validation over the rated models (slower; never chosen by 'auto', "
             "which beat it on the real cases). See docs/method.md.")(func)


def completion_option(func):
    """--completion: how a model's missing questions count."""
    return click.option(
        "--completion", type=click.Choice(SPECS), default="auto", show_default=True,
        help="How questions a model lacks count. 'auto' learns, without preferences, the "
             "completion that best restores hidden blocks of observed results (item_mean, "
             "additive ability + difficulty, or low rank) and lets cross-validation choose "
             "between scoring each model over the questions it has and over its completed row "
             "(the completed one must win by more than one standard error); 'none' never "
             "completes; a kind forces that completion. `score` completes new models the same "
             "way. See docs/method.md.")(func)


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
    click.echo(_summary(bench, aligner))
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
    click.echo(_population_summary(bench, pa))
    click.echo(f"wrote {output}")


def _population_summary(bench: AlignedBenchmark, pa: PopulationAligner) -> str:
    names = benchmark_mass(bench.benchmarks, bench.weights)[0]
    pops = [POOLED, *bench.populations]
    lines = [f"fitted {len(bench.items)} items for {len(bench.populations)} populations and the "
             "pooled benchmark; blend = pull toward the pooled weights (cross-validated)",
             f"  {'population':<20} {'models':>6} {'blend':>6}  " + "".join(f"{n[:10]:>11}" for n in names)]
    for name in pops:
        w = bench.weights if name == POOLED else bench.populations[name]
        blend = "" if name == POOLED else f"{pa.blend_[name]:.2f}"
        mass = benchmark_mass(bench.benchmarks, w)[1]
        lines.append(f"  {name:<20} {pa.aligners_[name].n_train_models_:>6} {blend:>6}  "
                     + "".join(f"{m:>11.1%}" for m in mass))
    return "\n".join(lines)


def _summary(bench: AlignedBenchmark, aligner: BenchmarkAligner) -> str:
    w = bench.weights
    effective = effective_questions(w)
    lines = [f"fitted {len(w)} items on {aligner.n_train_models_} rated models "
             f"({aligner.n_train_pairs_} pairs): {aligner.method_}"]
    lines += completion_lines(aligner) + candidate_lines(aligner) + pull_lines(aligner)
    lines += [f"effective number of questions: {effective:.1f} of {len(w)}",
              "weight per benchmark (uniform share in brackets):"]
    names, mass, counts = benchmark_mass(bench.benchmarks, w)
    share = counts / len(w)
    for name, m, u in zip(names, mass, share):
        lines.append(f"  {name:<30} {m:6.1%}  [{u:6.1%}]")
    return "\n".join(lines)


def completion_lines(aligner: BenchmarkAligner) -> list[str]:
    """The label-free completion choice (one line per candidate) and whether the fit uses it."""
    choice, used = aligner.completion_choice_, aligner.completion_
    out = []
    if choice is not None and np.isfinite(choice.errors).any():
        out.append("completion of missing questions, chosen without preferences (RMSE of hidden "
                   "benchmark blocks' means):")
        for i, (label, err) in enumerate(zip(choice.labels, choice.errors)):
            out.append(f"  {label:<24} {err:.4f}" + ("  <- chosen" if i == choice.chosen else ""))
    if used is not None:
        out.append(f"scores complete each model's missing questions with {used.label}")
    elif choice is not None:
        out.append("scores are each model's weighted mean over the questions it has")
    return out


def candidate_lines(aligner: BenchmarkAligner) -> list[str]:
    """What cross-validation tried and why it chose, one line per candidate (none if no choice)."""
    if aligner.candidate_scores_ is None:
        return []
    out = ["candidates (mean validation pairwise accuracy over folds of the rated models):"]
    for name, acc in zip(aligner.candidates_, aligner.candidate_scores_):
        mark = "  <- chosen" if name == aligner.method_ else ""
        out.append(f"  {name:<24} {acc:.3f}{mark}")
    return out


def pull_lines(aligner: BenchmarkAligner) -> list[str]:
    """The published method's choice of its pull toward the prior, one line per strength tried,
    and the optimizer's outcome (none for the other methods)."""
    det = aligner.fit_details_
    if "reg" not in det:
        return []
    out = [f"pull toward the prior: reg={det['reg']:g} ({det['n_iter']} L-BFGS iterations, "
           f"converged={det['converged']})"]
    if det["reg_cv_scores"] is not None:
        out.append("pulls tried (mean validation pairwise accuracy over folds of the rated models):")
        for reg, acc in zip(det["reg_grid"], det["reg_cv_scores"]):
            out.append(f"  reg={reg:<10g} {acc:.3f}" + ("  <- chosen" if reg == det["reg"] else ""))
    return out


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

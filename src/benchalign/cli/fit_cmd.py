"""`benchalign fit` and `benchalign score`."""

from __future__ import annotations

import io
import logging
import sys

import click
import numpy as np

from ..artifact import AlignedBenchmark, load_benchmark, score
from ..formats.options import load_results_from_options
from ..fit import BenchmarkAligner
from ..structured_fit import METHODS as STRUCTURED_METHODS
from ..structured_fit import PRIORS
from ..outputs import check_writable, write_atomic
from . import cli
from .common import force_option, load_checked, preference_options, results_option, seed_option

logger = logging.getLogger("benchalign")


def parse_reg(value: str) -> float | str:
    if value == "cv":
        return "cv"
    try:
        reg = float(value)
    except ValueError:
        raise click.BadParameter(f"must be 'cv' or a number >= 0, got {value!r}") from None
    if not reg >= 0:
        raise click.BadParameter(f"must be 'cv' or a number >= 0, got {value!r}")
    return reg


def method_options(func):
    """--reg, --method and --prior: how the weights are parametrized and regularized."""
    func = click.option(
        "--prior", type=click.Choice(PRIORS), default="coverage", show_default=True,
        help="What the weights are pulled toward: 'coverage' makes scores insensitive to which "
             "benchmarks a model has (learned from all models' results, no labels); 'uniform' is "
             "the plain mean.")(func)
    func = click.option(
        "--method", type=click.Choice(STRUCTURED_METHODS), default="auto", show_default=True,
        help="Parametrization of the weights: 'auto' chooses by cross-validation among the uniform "
             "mean, the coverage prior and 'irt' when the results have at least 500 models, else "
             "among those two, 'grouped', 'lowrank', 'factors' and 'items'; 'factors' fits a "
             "direction among the leading factors of all models' results and distils question "
             "weights from it; 'irt' does the same with the abilities of an item-response model "
             "of all models' results; 'items' is a free weight per question (with --prior "
             "uniform: the original method). See docs/few_preferences.md.")(func)
    return click.option(
        "--reg", default="cv", show_default=True,
        help="Strength of the pull toward the prior: 'cv' chooses it (with --method auto: the "
             "parametrization too) by cross-validation over the rated models, or a number >= 0 "
             "(0 = no pull; with --method auto a number means a free weight per question).")(func)


@cli.command()
@results_option
@preference_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the aligned benchmark (JSON).")
@method_options
@click.option("--max-iter", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Maximum L-BFGS iterations.")
@seed_option
@force_option
def fit(results_path: str, preferences_path: str, ignore_unknown_models: bool, output: str,
        reg: str, max_iter: int, method: str, prior: str, seed: int, force: bool,
        **formats: object) -> None:
    """Fit question weights to the preferences and write the aligned benchmark file.

    The file lists every item with its weight (non-negative, summing to 1) and is what
    `benchalign score` applies to new models.
    """
    check_writable(output, force)
    results, linked, _ = load_checked(results_path, preferences_path, ignore_unknown_models,
                                      **formats)
    aligner = BenchmarkAligner(reg=parse_reg(reg), max_iter=max_iter, random_state=seed,
                               method=method, prior=prior)
    aligner.fit(results, linked)
    bench = AlignedBenchmark.from_aligner(aligner, {"preference_kind": linked.kind, "method": method,
                                                    "prior": prior, "chosen": aligner.method_})
    bench.save(output, force=force)
    click.echo(_summary(bench, aligner))
    click.echo(f"wrote {output}")


def _summary(bench: AlignedBenchmark, aligner: BenchmarkAligner) -> str:
    w = bench.weights
    effective = float(np.exp(-np.sum(w * np.log(np.where(w > 0, w, 1.0)))))
    lines = [
        f"fitted {len(w)} items on {aligner.n_train_models_} rated models "
        f"({aligner.n_train_pairs_} pairs); {aligner.method_}; reg={aligner.reg_:g}"
        + (" (chosen by cross-validation)" if aligner.cv_scores_ is not None else "")
        + f"; {aligner.n_iter_} iterations, converged={aligner.converged_}",
        f"effective number of questions: {effective:.1f} of {len(w)}",
        "weight per benchmark (uniform share in brackets):",
    ]
    names, codes = np.unique(bench.benchmarks, return_inverse=True)
    mass = np.bincount(codes, weights=w)
    share = np.bincount(codes) / len(w)
    for name, m, u in zip(names, mass, share):
        lines.append(f"  {name:<30} {m:6.1%}  [{u:6.1%}]")
    return "\n".join(lines)


@cli.command("score")
@click.option("--benchmark", "benchmark_path", required=True, type=click.Path(dir_okay=False),
              help="Aligned benchmark file written by `benchalign fit` or `prune`.")
@results_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the ranked table here (CSV); default: print it to stdout.")
@click.option("--strict", is_flag=True,
              help="Fail when the results lack benchmark items or have items the benchmark does "
                   "not know (default: report them and score over the shared items).")
@force_option
def score_cmd(benchmark_path: str, results_path: str, output: str | None, strict: bool,
              force: bool, **formats: object) -> None:
    """Score models' question-level results with an aligned benchmark; print or write a ranking.

    Columns: rank, model, score (weighted mean over the benchmark items the model has),
    coverage (weight mass of those items; 1 = complete), n_items.
    """
    if output:
        check_writable(output, force)
    bench = load_benchmark(benchmark_path)
    table = score(bench, load_results_from_options(results_path, **formats), strict=strict)
    buf = io.StringIO()
    table.to_csv(buf, index=False, float_format="%.6g")
    if output:
        write_atomic(output, buf.getvalue(), force=force)
        click.echo(f"scored {len(table)} models; wrote {output}", err=True)
    else:
        sys.stdout.write(buf.getvalue())

"""What the HTML report shows, computed (pure: no files, no printing): :class:`CaseReport` and
the analyses the report needs beyond :func:`benchalign.evaluation.heldout.evaluate`: held-out
scores of one split (:func:`heldout_frame`), a learning curve over the number of training models
(:func:`learning_curve`), the separability of the benchmarks (:func:`benchmark_separability`);
the accuracy-vs-K curve is :func:`benchalign.prune.prune_curve`. :mod:`benchalign.report.html`
renders it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..check import CheckReport, heldout_ceiling
from ..data import Linked, PairSet, Results
from ..errors import BenchAlignError, ConvergenceWarning
from ..evaluation.baselines import METHODS, Method, Train
from ..evaluation.heldout import Evaluation, evaluate
from ..evaluation.splits import Split, SplitSpec, make_splits
from ..features.completion import Completion
from ..fit import BenchmarkAligner
from ..fit.folds import usable
from ..metrics import (bootstrap_counts, bradley_terry, interval_separability, pairwise_accuracy,
                      score_intervals)
from ..populations.aligner import PopulationAligner, link_populations
from ..populations.compare import N_BOOT, compare_each
from ..populations.evaluate import evaluate_populations
from ..prune import CURVE_KS, prune_curve
from ..scores import model_scores
from .populations import PopulationView


@contextmanager
def quiet_stage(desc: str, total: int | None = None) -> Iterator[Callable[[int], object]]:
    """A stage that says nothing (the default of :func:`build_case`; the CLI passes one that
    prints progress)."""
    yield lambda n=1: None

LEARNING_SIZES = (5, 10, 20, None)
"""Numbers of training models of the learning curve; None stands for every training model."""


@dataclass(frozen=True)
class CaseReport:
    """Everything the report shows about one data set.

    evaluation : the document (``to_dict()``) of :func:`benchalign.evaluation.heldout.evaluate`.
    items, benchmarks, weights : [n_items] the aligned benchmark fitted on every rated model.
    texts : item -> question text (may be empty).
    heldout : :func:`heldout_frame` of one split; heldout_note : which split, what the rating is.
    learning : :func:`learning_curve`; prune : :func:`benchalign.prune.prune_curve`.
    check : the JSON dict of :func:`benchalign.check.check` (shown first), or None.
    choice : what the fit chose and what each candidate scored (:func:`describe_choice`).
    inputs : where the data came from (the input files), shown under the case's heading.
    """

    name: str
    evaluation: dict
    items: np.ndarray
    benchmarks: np.ndarray
    weights: np.ndarray
    texts: dict[str, str]
    heldout: pd.DataFrame
    heldout_note: str
    rating_label: str
    learning: pd.DataFrame
    prune: pd.DataFrame
    check: dict | None = None
    choice: str = ""
    populations: PopulationView | None = None
    inputs: str = ""
    """Per-population benchmarks and their cross matrix (report --population-column), or None."""
    separability: dict | None = None
    """:func:`benchmark_separability` of the aligned and the uniform benchmark, or None."""


# --------------------------------------------------------------------------------------------------
# Analyses
# --------------------------------------------------------------------------------------------------


def describe_choice(aligner: BenchmarkAligner) -> str:
    """One sentence: the chosen weighting and each candidate's validation pairwise accuracy."""
    if aligner.candidate_scores_ is None:
        return f"Method: {aligner.method_}." + _describe_completion(aligner)
    scores = ", ".join(f"{n} {a:.3f}" for n, a in zip(aligner.candidates_, aligner.candidate_scores_))
    return (f"Chosen: {aligner.method_}, by cross-validation over the rated models "
            f"(validation pairwise accuracy: {scores})." + _describe_completion(aligner))


def _describe_completion(aligner: BenchmarkAligner) -> str:
    """The label-free completion choice in one sentence (empty when the results are complete)."""
    choice = getattr(aligner, "completion_choice_", None)
    if choice is None or not np.isfinite(choice.errors).any():
        return ""
    errors = ", ".join(f"{n} {e:.3f}" for n, e in zip(choice.labels, choice.errors))
    used = ("used by the chosen weighting" if aligner.completion_ is not None
            else "not used: each model is scored over the questions it has")
    return (f" Completion of missing questions, chosen without preferences: "
            f"{choice.labels[choice.chosen]} (error restoring hidden benchmark blocks: {errors}); "
            f"{used}.")


def heldout_frame(results: Results, linked: Linked, split: Split, *, seed: int = 0,
                  aligner_params: dict | None = None) -> tuple[pd.DataFrame, bool]:
    """Aligned (fitted on the split's training pairs) and uniform scores of its held-out models.

    Returns (frame with columns model, rating, aligned, uniform sorted by rating, whether the
    rating is the given one; else a Bradley-Terry strength fitted to the held-out pairs).
    """
    train = linked.pairs.within(split.train, results.n_models)
    test_pairs = linked.pairs.within(split.test, results.n_models)
    test = test_pairs.models()
    params = {"random_state": seed, **(aligner_params or {})}
    fit = BenchmarkAligner(**params).fit(results, train)
    uniform = np.full(results.n_items, 1.0 / results.n_items)
    sub = results.take_models(test)
    rating = linked.ratings[test]
    given = bool(np.isfinite(rating).all())
    if not given:
        rating = bradley_terry(test_pairs.relabel(test, results.n_models), len(test))
    frame = pd.DataFrame({
        "model": results.models[test],
        "rating": rating,
        "aligned": fit.score_rows(sub)[0],
        "uniform": model_scores(uniform, values=sub.values, observed=sub.observed)[0],
    })
    return frame.sort_values(["rating", "model"], kind="stable").reset_index(drop=True), given


SEPARABILITY_BOOTSTRAP = 500
"""Question resamples behind the intervals of :func:`benchmark_separability`."""


def benchmark_separability(results: Results, rows: np.ndarray, weights: dict[str, np.ndarray], *,
                           seed: int = 0, n_bootstrap: int = SEPARABILITY_BOOTSTRAP,
                           level: float = 0.95,
                           completions: dict[str, Completion | None] | None = None) -> dict[str, object]:
    """Arena-Hard-Auto's separability of each weighting: the share of pairs of the models ``rows``
    whose scores' ``level`` intervals, from a bootstrap over the questions (the same resamples for
    every weighting), do not overlap. weights : name -> [n_items] weights; completions : name ->
    the completion its scores use (the rows are completed first), absent or None for none.

    Returns ``{"separability": {name: share}, "n_models": int, "n_bootstrap": int, "level": float}``.
    """
    sub = results.take_models(np.asarray(rows, dtype=np.int64))
    counts = bootstrap_counts(results.n_items, n_bootstrap, np.random.default_rng(seed))
    shares = {}
    for name, w in weights.items():
        comp = (completions or {}).get(name)
        rows_of = sub if comp is None else comp.complete(sub)
        shares[name] = interval_separability(*score_intervals(rows_of.values, rows_of.observed, w,
                                                              counts, level))
    return {"separability": shares, "n_models": sub.n_models, "n_bootstrap": n_bootstrap,
            "level": level}


def learning_curve(
    results: Results, linked: Linked, *, sizes: Sequence[int | None] = LEARNING_SIZES,
    repeats: int = 5, fraction: float = 0.3, methods: dict[str, Method] | None = None,
    seed: int = 0, progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Held-out pairwise accuracy vs number of training models, for every method.

    Each of ``repeats`` random splits holds out ``fraction`` of the rated models; for each size
    n (None = all training models; sizes above that are dropped) the methods see only the
    preferences among n training models drawn at random (nested: the 10 include the 5). A
    method that cannot be fitted on so few models is left out at that size.
    Returns a long table ``split, n_train, method, pairwise_accuracy``.
    progress : called with 1 after each split.
    """
    methods = dict(METHODS) if methods is None else methods
    rows = []
    spec = SplitSpec("random", fraction=fraction, repeats=repeats)
    for i, split in enumerate(make_splits(spec, results, linked.rated, None, seed)):
        test = linked.pairs.within(split.test, results.n_models)
        order = np.random.default_rng(seed + i).permutation(split.train)
        for n in _sizes(sizes, len(order)):
            train_pairs = linked.pairs.within(order[:n], results.n_models)
            if not usable(train_pairs, test):
                continue
            ratings = np.full(results.n_models, np.nan)
            ratings[order[:n]] = linked.ratings[order[:n]]
            train = Train(train_pairs, ratings)
            for name, method in methods.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    acc = _try_method(method, results, train, seed + i, test)
                if acc is not None:
                    rows.append((i, n, name, acc))
        if progress is not None:
            progress(1)
    return pd.DataFrame(rows, columns=["split", "n_train", "method", "pairwise_accuracy"])


def _sizes(sizes: Sequence[int | None], n_train: int) -> list[int]:
    return sorted({n_train if s is None else int(s) for s in sizes
                   if s is None or 2 <= int(s) <= n_train})


def _try_method(method: Method, results: Results, train: Train, seed: int,
                test: PairSet) -> float | None:
    try:
        scores = method(results, train, seed)
    except BenchAlignError:
        return None
    return pairwise_accuracy(scores, test)


def build_case(name: str, results: Results, linked: Linked, *, splits: list[SplitSpec],
               models: pd.DataFrame | None, texts: dict[str, str], seed: int,
               n_bootstrap: int = 1000, evaluation: Evaluation | None = None,
               learning_repeats: int = 5,
               prune_repeats: int = 5, prune_ks=CURVE_KS,
               checked: CheckReport | None = None, stage=quiet_stage) -> CaseReport:
    """Run every analysis of the report for one data set.

    stage : ``stage(description, total)``, a context manager yielding ``update(n)`` around each
        step (the CLI's prints progress; :func:`~benchalign.cli.common.stage`).
    evaluation : a report of :func:`evaluate` already computed on the same inputs (else run here).
    checked : the data check of the inputs, shown first (see :func:`benchalign.check.check`).
    """
    if evaluation is None:
        total = sum(s.repeats for s in splits)
        with stage(f"{name}: evaluating on {total} splits", total) as update:
            evaluation = evaluate(results, linked, splits=splits, models=models, seed=seed,
                                  n_bootstrap=n_bootstrap, progress=update)
    if evaluation.ceiling is None:
        evaluation = replace(evaluation, ceiling=heldout_ceiling(results, linked, evaluation))
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
    return CaseReport(name, evaluation.to_dict(), results.items, results.benchmarks, aligner.weights_,
                      texts, heldout, note, label, learning, pruned,
                      check=None if checked is None else checked.to_dict(),
                      choice=describe_choice(aligner), separability=separable)


def _heldout(results: Results, linked: Linked, evaluation: Evaluation,
             seed: int) -> tuple[pd.DataFrame, str, str]:
    """The scatter's split, taken from the evaluation: the size split if there is one (train
    small, rank large), else the first split of the first family."""
    families = evaluation.splits
    name = next((n for n in families if n.startswith("size:")), next(iter(families)))
    record = families[name].per_split[0]
    split = Split(results.index_of(record["train"]), results.index_of(record["test"]))
    frame, given = heldout_frame(results, linked, split, seed=seed)
    which = "the" if families[name].n_splits == 1 else "its first"
    note = (f"Split '{name}' ({which} hold-out): aligned fitted on the preferences among "
            f"{len(split.train)} training models only.")
    label = "preference rating" if given else "Bradley-Terry strength (held-out pairs)"
    return frame, note, label


def population_view(results: Results, populations: dict[str, Linked], splits: list[SplitSpec],
                    models: pd.DataFrame | None, seed: int, n_bootstrap: int,
                    n_boot: int = N_BOOT, stage=quiet_stage) -> PopulationView:
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
    return PopulationView(fitted.weights_, fitted.blend_, evaluation.to_dict(), comparisons)

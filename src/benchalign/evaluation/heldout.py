"""Held-out evaluation: hold out models, fit every method on the rest, compare on the same splits.

A split divides the rated models into training and held-out models. Each method sees only the
preferences among training models; metrics compare its scores on held-out models with the
preferences among held-out models (see :mod:`benchalign.metrics`).

Confidence intervals come from a bootstrap over held-out models: within each split, B resamples
of its held-out models; replicate r of the summary is the mean over splits of each split's r-th
resample, so the interval reflects which models happened to be held out, and the paired
difference to the uniform mean uses the same resamples for both methods.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .baselines import METHODS, Method, Train
from .splits import Split, SplitSpec, make_splits
from ..check import pair_agreement
from ..data import Linked, PairSet, Results
from ..fit.folds import usable
from ..errors import ConvergenceWarning, InsufficientDataError, ParameterError
from ..metrics import (METRICS, bootstrap_counts, bradley_terry, confident_pairs,
                      mean_over_splits, replicate_metrics, separability_replicates,
                      summarize)

logger = logging.getLogger("benchalign")
SCHEMA = "benchalign.evaluation/1"


@dataclass
class Accumulator:
    """Bootstrap replicates per method and metric, split by split."""

    reps: dict[str, dict[str, list[np.ndarray]]] = field(default_factory=dict)
    separability: list[np.ndarray] = field(default_factory=list)  # of the preferences, per split

    def add(self, method: str, values: dict[str, np.ndarray]) -> None:
        slot = self.reps.setdefault(method, {m: [] for m in METRICS})
        for metric in METRICS:
            slot[metric].append(values[metric])

    def means(self) -> dict[str, dict[str, np.ndarray]]:
        """method -> metric -> [n_bootstrap + 1] mean over splits of each replicate (row 0: the
        point estimate), what every summary and paired difference is computed from."""
        return {method: {m: mean_over_splits(v) for m, v in slot.items()}
                for method, slot in self.reps.items()}

    def summary(self, level: float, paired_vs_all: bool = False) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        means = self.means()
        for method, mean in means.items():
            entry: dict[str, object] = {m: summarize(mean[m], level) for m in METRICS}
            if method != "uniform":
                entry["paired_vs_uniform"] = _paired(mean, means["uniform"], level)
            if paired_vs_all:
                entry["paired_vs"] = {other: _paired(mean, means[other], level)
                                      for other in means if other != method}
            out[method] = entry
        return out


def _paired(mean: dict[str, np.ndarray], other: dict[str, np.ndarray],
            level: float) -> dict[str, dict[str, object]]:
    """Per metric, the summary of one method's replicates minus another's (same resamples)."""
    return {m: summarize(mean[m] - other[m], level) for m in METRICS}


@dataclass(frozen=True, eq=False)
class FamilyEvaluation:
    """One split family of an :class:`Evaluation`.

    methods : method -> metric -> ``{"mean", "ci"}`` (with ``paired_vs_uniform``, and
    ``paired_vs`` when asked); preference_separability : ``{"mean", "ci"}``; per_split : one
    record per split (train and test models, each method's metrics); replicates : method ->
    metric -> [n_bootstrap + 1] means over splits, when asked (else None).
    """

    description: str
    n_splits: int
    n_skipped: int
    n_train_models: float
    n_test_models: float
    methods: dict[str, dict]
    preference_separability: dict
    per_split: list[dict]
    replicates: dict | None = None

    def to_dict(self) -> dict:
        out = {"description": self.description, "n_splits": self.n_splits,
               "n_skipped": self.n_skipped, "n_train_models": self.n_train_models,
               "n_test_models": self.n_test_models, "methods": self.methods,
               "preference_separability": self.preference_separability,
               "per_split": self.per_split}
        if self.replicates is not None:
            out["replicates"] = self.replicates
        return out


@dataclass(frozen=True, eq=False)
class RunInfo:
    """What every evaluation document opens with: the run's seed and bootstrap, and the size of
    the data (models, items, rated models)."""

    seed: int
    n_bootstrap: int
    ci_level: float
    n_models: int
    n_items: int
    n_rated: int

    def header(self, schema: str) -> dict:
        """The document's opening keys, in their written order."""
        return {"schema": schema, "seed": self.seed, "n_bootstrap": self.n_bootstrap,
                "ci_level": self.ci_level, "n_models": self.n_models, "n_items": self.n_items,
                "n_rated": self.n_rated}


@dataclass(frozen=True, eq=False)
class Evaluation(RunInfo):
    """What :func:`evaluate` returns; :meth:`to_dict` is the ``benchalign.evaluation/1`` document
    (docs/evaluation.md). splits : family name -> :class:`FamilyEvaluation`; ceiling : family
    name -> the held-out noise ceiling, and inputs : what was read, when the caller adds them."""

    preference_kind: str
    methods: list[str]
    splits: dict[str, FamilyEvaluation]
    ceiling: dict | None = None
    inputs: dict | None = None

    def to_dict(self) -> dict:
        out = {**self.header(SCHEMA), "preference_kind": self.preference_kind,
               "methods": list(self.methods),
               "splits": {name: fam.to_dict() for name, fam in self.splits.items()}}
        if self.ceiling is not None:
            out["ceiling"] = self.ceiling
        if self.inputs is not None:
            out["inputs"] = self.inputs
        return out


def evaluate(
    results: Results, linked: Linked, *, splits: Sequence[SplitSpec] = (SplitSpec("random"),),
    models: pd.DataFrame | None = None, methods: dict[str, Method] | None = None, seed: int = 0,
    n_bootstrap: int = 1000, level: float = 0.95,
    progress: Callable[[int], None] | None = None, paired_vs_all: bool = False,
    replicates: bool = False,
) -> Evaluation:
    """Compare methods on held-out models for each split family (:class:`Evaluation`; its
    ``to_dict()`` is the JSON report).

    results : all models' results; linked : preferences on results rows; models : metadata indexed
    by model name (for size/group splits); seed : drives splits, bootstrap and method seeds.
    progress : called with 1 after each split (for a progress bar). paired_vs_all : also give
    every method's paired difference to every other method (``paired_vs``, docs/evaluation.md).
    replicates : also give, per family, every method's bootstrap replicates (``replicates``:
    method -> metric -> [n_bootstrap + 1] means over splits, row 0 the point estimate), e.g. to
    pool paired differences over data sets (:func:`benchalign.metrics.pooled_summary`).
    """
    methods = dict(METHODS) if methods is None else methods
    if "uniform" not in methods:
        raise ParameterError("evaluation needs the 'uniform' method as the paired reference.")
    out: dict[str, FamilyEvaluation] = {}
    for k, spec in enumerate(splits):
        concrete = make_splits(spec, results, linked.rated, models, seed + 1000 * k)
        out[spec.name] = _run_family(results, linked, spec, concrete, methods, seed,
                                     n_bootstrap, level, progress, paired_vs_all, replicates)
    return Evaluation(seed, n_bootstrap, level, results.n_models, results.n_items,
                      int(len(linked.rated)), linked.kind, list(methods), out)


def _run_family(results: Results, linked: Linked, spec: SplitSpec, splits: list[Split],
                methods: dict[str, Method], seed: int, n_bootstrap: int, level: float,
                progress: Callable[[int], None] | None, paired_vs_all: bool,
                replicates: bool = False) -> FamilyEvaluation:
    acc = Accumulator()
    per_split = []
    rng = np.random.default_rng(seed)
    skipped = 0
    for i, split in enumerate(splits):
        record = _run_split(results, linked, split, methods, seed + i, n_bootstrap, rng, acc)
        if record is None:
            skipped += 1
        else:
            per_split.append(record)
        if progress is not None:
            progress(1)
    if not per_split:
        raise InsufficientDataError(
            f"{spec.name}: no split had at least 2 held-out and 2 training models with decided "
            "preferences among them; check the split threshold or metadata."
        )
    reps = ({method: {m: v.tolist() for m, v in mean.items()} for method, mean in acc.means().items()}
            if replicates else None)
    return FamilyEvaluation(spec.describe(), len(per_split), skipped,
                            float(np.mean([len(r["train"]) for r in per_split])),
                            float(np.mean([len(r["test"]) for r in per_split])),
                            acc.summary(level, paired_vs_all),
                            summarize(mean_over_splits(acc.separability), level), per_split, reps)


def _run_split(results: Results, linked: Linked, split: Split, methods: dict[str, Method],
               seed: int, n_bootstrap: int, rng: np.random.Generator,
               acc: Accumulator) -> dict[str, object] | None:
    train_pairs = linked.pairs.within(split.train, results.n_models)
    test_pairs = linked.pairs.within(split.test, results.n_models)
    if not usable(train_pairs, test_pairs):
        return None
    test = test_pairs.models()
    test_local = test_pairs.relabel(test, results.n_models)
    y = linked.ratings[test]
    if not np.isfinite(y).all():
        y = bradley_terry(test_local, len(test))
    counts = bootstrap_counts(len(test), n_bootstrap, rng)
    sure = separated_pairs(linked, test, test_local)
    acc.separability.append(separability_replicates(test_local, sure, counts))
    train_ratings = np.full(results.n_models, np.nan)
    train_ratings[split.train] = linked.ratings[split.train]
    train = Train(train_pairs, train_ratings)
    point: dict[str, dict[str, float]] = {}
    for name, method in methods.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = method(results, train, seed)
        values = replicate_metrics(scores[test], y, test_local, counts, sure)
        acc.add(name, values)
        point[name] = {m: float(values[m][0]) for m in METRICS}
    return {
        "train": results.models[train_pairs.models()].tolist(),
        "test": results.models[test].tolist(),
        "metrics": point,
    }


def separated_pairs(linked: Linked, rows: np.ndarray, pairs: PairSet) -> np.ndarray:
    """(n_pairs,) bool: which of ``pairs`` (among the models ``rows``, ids relabelled to positions
    in ``rows``) the preferences separate with confidence (see :func:`benchalign.metrics.confident_pairs`)."""
    sd = None if linked.rating_sd is None else linked.rating_sd[rows]
    return confident_pairs(pairs, pair_agreement(pairs, linked.kind, linked.ratings[rows], sd,
                                                 counted=linked.counted))

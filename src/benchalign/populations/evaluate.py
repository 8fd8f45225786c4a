"""Held-out evaluation per population, and the cross matrix: each population's benchmark scored on
every population's held-out preferences, on the same splits.

The splits divide the models rated in any population (the pooled rated set), so every population
holds out the same models. In each split one :class:`~benchalign.populations.aligner.PopulationAligner` is
fitted on the training models' preferences of every population; then, for each population B, the
held-out models' preferences of B score

* ``populations.<B>.methods``: ``own`` (B's benchmark), ``pooled`` and ``uniform`` (the plain
  mean), in the schema of :func:`benchalign.evaluation.heldout.evaluate` (bootstrap CIs over B's held-out
  models, paired differences on the same resamples);
* ``cross.<A>.<B>``: A's benchmark (A a population or ``pooled``) on B's held-out pairs:
  ``pairwise_accuracy`` and ``paired_vs_own`` = B's own benchmark minus A's, same resamples. A
  ``paired_vs_own`` interval above 0 says B's preferences are served better by B's own benchmark
  than by A's on models neither saw: the populations differ beyond the noise of these splits.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import Linked, Results
from ..errors import ConvergenceWarning, InsufficientDataError
from ..evaluation.heldout import Accumulator, RunInfo, separated_pairs
from ..evaluation.splits import Split, SplitSpec, make_splits
from ..fit.folds import usable
from ..metrics import bootstrap_counts, bradley_terry, mean_over_splits, replicate_metrics, summarize
from .aligner import POOLED, PopulationAligner, link_populations
from ..scores import model_scores

SCHEMA = "benchalign.population_evaluation/1"


@dataclass(frozen=True, eq=False)
class PopulationFamily:
    """One split family of a :class:`PopulationEvaluation`: populations : population ->
    ``{"methods": ...}`` (its own, the pooled and the uniform benchmark on its held-out pairs);
    cross : row benchmark -> column population -> accuracy and paired difference to the own one;
    per_split : the train and test models of each split used."""

    description: str
    n_splits: int
    n_skipped: int
    populations: dict[str, dict]
    cross: dict[str, dict]
    per_split: list[dict]

    def to_dict(self) -> dict:
        return {"description": self.description, "n_splits": self.n_splits,
                "n_skipped": self.n_skipped, "populations": self.populations,
                "cross": self.cross, "per_split": self.per_split}


@dataclass(frozen=True, eq=False)
class PopulationEvaluation(RunInfo):
    """What :func:`evaluate_populations` returns; :meth:`to_dict` is the
    ``benchalign.population_evaluation/1`` document. splits : family name ->
    :class:`PopulationFamily`; inputs : what was read, when the caller adds it."""

    populations: list[str]
    splits: dict[str, PopulationFamily]
    inputs: dict | None = None

    def to_dict(self) -> dict:
        out = {**self.header(SCHEMA), "populations": list(self.populations),
               "splits": {name: fam.to_dict() for name, fam in self.splits.items()}}
        if self.inputs is not None:
            out["inputs"] = self.inputs
        return out


def evaluate_populations(
    results: Results, populations: Mapping[str, Linked], *,
    splits: Sequence[SplitSpec] = (SplitSpec("random"),), models: pd.DataFrame | None = None,
    seed: int = 0, n_bootstrap: int = 1000, level: float = 0.95,
    aligner: PopulationAligner | None = None, progress: Callable[[int], None] | None = None,
) -> PopulationEvaluation:
    """Per-population held-out evaluation and cross matrix for each split family.

    populations : {name: preferences on results rows}; aligner : the unfitted PopulationAligner
    to fit per split (default ``PopulationAligner(random_state=seed)``).
    """
    pooled = link_populations(results, populations)[POOLED]
    template = aligner or PopulationAligner(random_state=seed)
    out = {}
    for k, spec in enumerate(splits):
        concrete = make_splits(spec, results, pooled.rated, models, seed + 1000 * k)
        out[spec.name] = _family(results, populations, spec, concrete, template, seed,
                                 n_bootstrap, level, progress)
    return PopulationEvaluation(seed, n_bootstrap, level, results.n_models, results.n_items,
                                int(len(pooled.rated)), sorted(populations), out)


def _family(results: Results, populations: Mapping[str, Linked], spec: SplitSpec,
            splits: list[Split], template: PopulationAligner, seed: int, n_bootstrap: int,
            level: float, progress: Callable[[int], None] | None) -> PopulationFamily:
    rng = np.random.default_rng(seed)
    accs = {name: Accumulator() for name in populations}
    cross: dict[str, dict[str, list[np.ndarray]]] = {b: {} for b in populations}
    used = []
    for split in splits:
        if _run_split(results, populations, split, template, n_bootstrap, rng, accs, cross):
            used.append({"train": results.models[split.train].tolist(),
                         "test": results.models[split.test].tolist()})
        if progress is not None:
            progress(1)
    if not used:
        raise InsufficientDataError(f"{spec.name}: no split left every population at least 2 "
                                    "training models and a decided held-out pair.")
    return PopulationFamily(spec.describe(), len(used), len(splits) - len(used),
                            {b: {"methods": accs[b].summary(level, paired_vs_all=True)}
                             for b in populations}, _cross_summary(cross, level), used)


def _run_split(results: Results, populations: Mapping[str, Linked], split: Split,
               template: PopulationAligner, n_bootstrap: int, rng: np.random.Generator,
               accs: dict[str, Accumulator], cross: dict[str, dict[str, list[np.ndarray]]]) -> bool:
    """Fit every population on the split's training models and score every population's held-out
    pairs; False (nothing recorded) when some population cannot be fitted or scored."""
    train = {n: _restrict(lk, split.train, results.n_models) for n, lk in populations.items()}
    tests = {n: lk.pairs.within(split.test, results.n_models) for n, lk in populations.items()}
    if not all(usable(train[n].pairs, tests[n]) for n in populations):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = PopulationAligner(**template.get_params()).fit(results, train)
    n = results.n_items
    weights = {**fitted.weights_, "uniform": np.full(n, 1.0 / n)}
    scores = {a: model_scores(w, values=results.values, observed=results.observed)[0]
              for a, w in weights.items()}
    for b, lk in populations.items():
        test = tests[b].models()
        local = tests[b].relabel(test, results.n_models)
        y = lk.ratings[test]
        if not np.isfinite(y).all():
            y = bradley_terry(local, len(test))
        counts = bootstrap_counts(len(test), n_bootstrap, rng)
        sure = separated_pairs(lk, test, local)
        reps = {a: replicate_metrics(s[test], y, local, counts, sure) for a, s in scores.items()}
        for a in (*populations, POOLED):
            cross[b].setdefault(a, []).append(reps[a]["pairwise_accuracy"])
        for label, a in (("uniform", "uniform"), ("own", b), ("pooled", POOLED)):
            accs[b].add(label, reps[a])
    return True


def _restrict(linked: Linked, rows: np.ndarray, n_models: int) -> Linked:
    """The preferences among ``rows`` only (ratings of the other models hidden)."""
    pairs = linked.pairs.within(rows, n_models)
    ratings = np.full(n_models, np.nan)
    ratings[rows] = linked.ratings[rows]
    return Linked(pairs, pairs.models(), ratings, linked.kind)


def _cross_summary(cross: dict[str, dict[str, list[np.ndarray]]],
                   level: float) -> dict[str, dict[str, object]]:
    """cross[A][B] = {pairwise_accuracy, paired_vs_own} from the replicates of A on B's pairs."""
    means = {b: {a: mean_over_splits(reps) for a, reps in row.items()}
             for b, row in cross.items()}
    benchmarks = [*next(iter(means.values()))]
    return {a: {b: {"pairwise_accuracy": summarize(means[b][a], level),
                    "paired_vs_own": summarize(means[b][b] - means[b][a], level)}
                for b in means} for a in benchmarks}

"""Where two populations differ: per-benchmark weight mass with bootstrap intervals, the questions
that gain and lose most, and a resampling test of whether the two benchmarks differ beyond what
refitting one population on resampled rated models gives.

Each population's benchmark is the **correlation** weighting (:class:`~benchalign.fit.candidates.
Correlation`: each question weighted by how well it orders the population's rated models), fitted
on all its rated models and on ``n_boot`` bootstrap resamples of them. The comparison fixes this
one weighting for every fit because it is the weighting among ``auto``'s candidates that reads the
preferences: the label-free ones (coverage, uniform) give every population the same weights by
construction, so a comparison through them, or through ``auto`` whenever it picks one of them,
would call any two populations "indistinguishable" without looking at their preferences.

Bootstrap resample: the rated models drawn with replacement; a model drawn k times becomes k rows
of identical results, and every preference pair between two drawn models is kept once per pair of
copies (weight and target unchanged; copies of one model have no pair between them). So a drawn
model counts k times in the question correlations and in the Bradley-Terry strengths, as in the
ordinary bootstrap of a statistic over models. A resample with fewer distinct models than a
question correlation needs (:data:`~benchalign.fit.candidates.MIN_CORRELATION_MODELS`) is drawn
again. Every refit keeps the questions of the full fit (the benchmarks every rated model of the
population has): a resample that happens to draw only models sharing one more benchmark would
otherwise switch to that benchmark alone, a change of design rather than of preference, and such
refits would widen the null with differences no preference made.

The test. Statistic: d(A, B) = the share of model pairs (every model of the results with a score
under both) that A's and B's benchmarks order differently, (1 − Kendall τ_b) / 2 (0 when both
tie every pair, as on identical results). It is what
matters for a benchmark that ranks models: two weight vectors that move weight between
interchangeable questions get d ≈ 0. Null: d(A, A*_k) and d(B, B*_k) over the refits of each
population on resampled models, i.e. how far a benchmark moves when only which models were rated
changes. p = (1 + #{null ≥ d(A, B)}) / (1 + #null). Verdict "differ" when p < alpha, else
"indistinguishable", and then no question is reported as gaining or losing. Two populations
rated on the same models share the model-sampling noise that the null puts on one side, so the
test is conservative: "differ" is strong evidence, "indistinguishable" weak evidence of sameness.

:func:`refit_population` does one population's refits once; :func:`compare_populations` takes
refits or preferences; :func:`compare_each` compares every population with the pooled benchmark
and every pair, refitting each population once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
from scipy.stats import kendalltau

from ..data import Linked, PairSet, Results
from ..errors import InsufficientDataError, ParameterError, check_param
from ..features.structure import benchmark_indicators
from ..fit.candidates import MIN_CORRELATION_MODELS, common_benchmark_items, correlation_weights
from .aligner import POOLED
from ..scores import model_scores

SCHEMA = "benchalign.population_diff/1"
N_BOOT = 200
"""Default refits per population: 2 × 200 null draws put the p-value's Monte-Carlo error near 0.01
at p = 0.05; one refit with its scores costs about 8 ms on metabench (6,349 models × 1,075 items,
33 rated), so 200 refits of 7 populations take about 11 s."""
ALPHA = 0.05
TOP_ITEMS = 10
MIN_RATED = 5
"""Fewest rated models a population needs to be compared."""
METHOD = "correlation"
SCORE_CELLS = 8_000_000
"""PopulationRefits are scored in blocks of about this many model × refit cells (64 MB of float64), one pass
over the results matrix per block."""
DIFFER, INDISTINGUISHABLE = "differ", "indistinguishable"


@dataclass(frozen=True, eq=False)
class PopulationRefits:
    """One population's benchmark on all its rated models and on bootstrap resamples of them.

    weights : [n_items] non-negative, summing to 1; boot_weights : [n_boot, n_items];
    scores : [n_models] weighted-mean score of every results row under ``weights`` (NaN for a model
    with no weight on its items); null : [n_boot] d(full fit, refit k), the share of model pairs
    the two order differently; n_rated : rated models of the population.
    """

    name: str
    weights: np.ndarray
    boot_weights: np.ndarray
    scores: np.ndarray
    null: np.ndarray
    n_rated: int
    seed: int


def refit_population(results: Results, linked: Linked, *, name: str = "population",
                     n_boot: int = N_BOOT, random_state: int = 0,
                     progress: Callable[[int], object] | None = None) -> PopulationRefits:
    """Fit ``linked``'s benchmark on its rated models and on ``n_boot`` bootstrap resamples
    (``progress(1)`` after each refit). Raises when the population has < :data:`MIN_RATED`
    rated models."""
    check_param("refit_population", "n_boot", n_boot,
                isinstance(n_boot, (int, np.integer)) and n_boot >= 1, "an int in the range [1, inf)")
    check_param("refit_population", "random_state", random_state,
                isinstance(random_state, (int, np.integer)) and random_state >= 0,
                "an int in the range [0, inf)")
    rated = linked.pairs.models()
    if len(rated) < MIN_RATED:
        raise InsufficientDataError(
            f"population '{name}' has {len(rated)} rated models; comparing populations needs at "
            f"least {MIN_RATED} rated models in each. Compare a larger population, or merge this "
            "one into another in the preference file.")
    local = linked.pairs.relabel(rated, results.n_models)
    rng = np.random.default_rng(random_state)
    keep = common_benchmark_items(results, rated)
    weights = np.empty((n_boot + 1, results.n_items))
    weights[0] = _weights(results, rated, local, keep)
    for k in range(1, n_boot + 1):
        weights[k] = _weights(results, *_resample_with_copies(rated, local, rng), keep)
        if progress is not None:
            progress(1)
    scores = np.empty((results.n_models, n_boot + 1))
    step = max(1, SCORE_CELLS // results.n_models)
    for i in range(0, n_boot + 1, step):  # one pass over the results per block of refits
        scores[:, i:i + step] = model_scores(weights[i:i + step].T, values=results.values,
                                             observed=results.observed)[0]
    null = np.array([discordance(scores[:, 0], scores[:, k]) for k in range(1, n_boot + 1)])
    return PopulationRefits(name, weights[0], weights[1:], scores[:, 0], null, int(len(rated)),
                  int(random_state))


def _weights(results: Results, rows: np.ndarray, pairs: PairSet, keep: np.ndarray) -> np.ndarray:
    """Correlation weights [n_items] from ``pairs`` on positions of the results rows ``rows``
    (rows may repeat), on the questions ``keep`` [n_items] bool."""
    return correlation_weights(results.take_models(rows), pairs, keep)


def _resample_with_copies(rated: np.ndarray, local: PairSet,
              rng: np.random.Generator) -> tuple[np.ndarray, PairSet]:
    """A bootstrap resample of the rated models: the results rows [n_rated] (copies adjacent)
    and the pairs among their positions, one per pair of copies of two different drawn models."""
    n = len(rated)
    for _ in range(1000):
        draw = np.sort(rng.integers(0, n, size=n))
        if len(np.unique(draw)) < MIN_CORRELATION_MODELS:
            continue
        pairs = expand_pairs(local, np.bincount(draw, minlength=n))
        if len(pairs):
            return rated[draw], pairs
    raise InsufficientDataError("no bootstrap resample of the rated models kept "
                                f"{MIN_CORRELATION_MODELS} distinct models with a pair among them.")


def expand_pairs(pairs: PairSet, mult: np.ndarray) -> PairSet:
    """The pairs among copies of models: model i (ids 0..n-1 of ``pairs``) drawn ``mult[i]``
    times becomes positions start[i] .. start[i] + mult[i] - 1 (copies adjacent, in id order);
    a pair (i, j) becomes mult[i] · mult[j] pairs of copies with the same weight and target.
    O(output pairs), no Python loop."""
    m_a, m_b = mult[pairs.a], mult[pairs.b]
    count = m_a * m_b
    keep = count > 0
    src = np.repeat(np.flatnonzero(keep), count[keep])
    offset = np.arange(len(src)) - np.repeat(np.cumsum(count[keep]) - count[keep], count[keep])
    start = np.cumsum(mult) - mult
    a = start[pairs.a[src]] + offset // m_b[src]
    b = start[pairs.b[src]] + offset % m_b[src]
    return PairSet(a, b, pairs.weight[src], pairs.target[src])


def discordance(x: np.ndarray, y: np.ndarray) -> float:
    """Share of pairs of models that scores ``x`` and ``y`` [n_models] order differently,
    (1 − Kendall τ_b) / 2 over the models with both scores finite. Two constant score vectors tie
    every pair alike: 0 (nothing is ordered differently); one constant beside one that is not:
    0.5. Fewer than 2 models with both scores: 0."""
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return 0.0
    flat_x, flat_y = np.ptp(x[ok]) == 0, np.ptp(y[ok]) == 0
    if flat_x or flat_y:
        return 0.0 if flat_x and flat_y else 0.5
    return float((1.0 - kendalltau(x[ok], y[ok]).statistic) / 2.0)


@dataclass(frozen=True, eq=False)
class PopulationDiff:
    """The comparison of populations ``a`` and ``b`` (see the module docstring).

    benchmarks : [n_bench] source benchmark names (sorted); mass_a, mass_b : [n_bench] weight
    mass of each population's benchmark on every rated model; mass_a_ci, mass_b_ci : [n_bench, 2]
    percentile intervals over the refits; item_diff : [n_items] w_b − w_a in units of the uniform
    weight 1 / n_items; distance : d(a, b), the share of model pairs their benchmarks order
    differently; null : [2 · n_boot] the refits' d(a, a*) then d(b, b*); p_value, alpha, verdict;
    gaining, losing : item indices of the largest positive / negative item_diff (at most ``top``
    each), empty when the verdict is "indistinguishable".
    """

    a: str
    b: str
    benchmarks: np.ndarray
    mass_a: np.ndarray
    mass_b: np.ndarray
    mass_a_ci: np.ndarray
    mass_b_ci: np.ndarray
    item_diff: np.ndarray
    distance: float
    null: np.ndarray
    p_value: float
    alpha: float
    level: float
    verdict: str
    gaining: np.ndarray
    losing: np.ndarray
    n_rated: tuple[int, int]
    n_boot: int
    seed: int
    method: str = METHOD
    p_holm: float | None = None
    """p-value after Holm's correction over the comparisons made together (:func:`compare_each`);
    the verdict then uses it. None for a single comparison."""

    @property
    def differ(self) -> bool:
        return self.verdict == DIFFER

    def sentence(self) -> str:
        """The verdict in one plain sentence."""
        null_hi = float(np.quantile(self.null, 0.95))
        base = (f"{self.a} and {self.b} ({self.n_rated[0]} and {self.n_rated[1]} rated models): "
                f"their benchmarks order {self.distance:.1%} of model pairs differently; refitting "
                f"either on resampled models moves it by up to {null_hi:.1%} (95th percentile), "
                f"p = {self.p_value:.3f}"
                + ("." if self.p_holm is None else
                   f", {self.p_holm:.3f} after Holm's correction for the comparisons made together."))
        if self.differ:
            return base + f" They differ (p < {self.alpha:g})."
        return base + (" They cannot be told apart at this many rated models: no question is "
                       "reported as gaining or losing weight.")

    def to_dict(self, items: np.ndarray, item_benchmarks: np.ndarray) -> dict[str, object]:
        """JSON-ready, schema :data:`SCHEMA`; items, item_benchmarks : [n_items] names."""
        def listed(idx: np.ndarray) -> list[dict]:
            return [{"item": str(items[j]), "benchmark": str(item_benchmarks[j]),
                     "delta": float(self.item_diff[j])} for j in idx]

        return {
            "schema": SCHEMA, "a": self.a, "b": self.b, "method": self.method,
            "n_rated": {self.a: self.n_rated[0], self.b: self.n_rated[1]},
            "n_boot": self.n_boot, "seed": self.seed, "alpha": self.alpha, "ci_level": self.level,
            "test": {"statistic": "discordant_pair_share", "observed": self.distance,
                     "null_quantiles": {str(q): float(np.quantile(self.null, q))
                                        for q in (0.5, 0.9, 0.95, 0.99)},
                     "p_value": self.p_value, "p_value_holm": self.p_holm},
            "verdict": self.verdict, "summary": self.sentence(),
            "benchmarks": {str(name): {
                self.a: {"mass": float(self.mass_a[i]), "ci": self.mass_a_ci[i].tolist()},
                self.b: {"mass": float(self.mass_b[i]), "ci": self.mass_b_ci[i].tolist()}}
                for i, name in enumerate(self.benchmarks)},
            "diverging": ({"unit": "weight b - a, in units of the uniform weight",
                           "gaining": listed(self.gaining), "losing": listed(self.losing)}
                          if self.differ else None),
        }


def compare_populations(results: Results, a: Linked | PopulationRefits, b: Linked | PopulationRefits, *,
                        names: tuple[str, str] = ("a", "b"), n_boot: int = N_BOOT,
                        random_state: int = 0, alpha: float = ALPHA, level: float = 0.95,
                        top: int = TOP_ITEMS,
                        progress: Callable[[int], object] | None = None) -> PopulationDiff:
    """Compare two populations' benchmarks on ``results`` (see the module docstring).

    a, b : a population's preferences on ``results`` rows, or its :class:`PopulationRefits` already made
    (e.g. one per population, shared by every pair); names : what to call them when given as
    preferences. ``progress(1)`` after each refit (2 · n_boot for two preference sets).
    """
    check_param("compare_populations", "alpha", alpha, 0 < alpha < 1, "a float in the range (0, 1)")
    check_param("compare_populations", "level", level, 0 < level < 1, "a float in the range (0, 1)")
    fa, fb = (p if isinstance(p, PopulationRefits) else refit_population(
        results, p, name=name, n_boot=n_boot, random_state=random_state, progress=progress)
        for p, name in ((a, names[0]), (b, names[1])))
    distance = discordance(fa.scores, fb.scores)
    null = np.concatenate([fa.null, fb.null])
    p_value = float((1 + np.count_nonzero(null >= distance - 1e-12)) / (1 + len(null)))
    verdict = DIFFER if p_value < alpha else INDISTINGUISHABLE
    diff = (fb.weights - fa.weights) * results.n_items
    gaining, losing = _listed(diff, verdict, top)
    onehot, names_b = benchmark_indicators(results)
    names_b = names_b.astype(str)
    q = [(1 - level) / 2, 1 - (1 - level) / 2]
    return PopulationDiff(
        fa.name, fb.name, names_b, fa.weights @ onehot, fb.weights @ onehot,
        np.quantile(fa.boot_weights @ onehot, q, axis=0).T,
        np.quantile(fb.boot_weights @ onehot, q, axis=0).T, diff, distance, null, p_value, alpha,
        level, verdict, gaining, losing, (fa.n_rated, fb.n_rated), len(fa.null), fa.seed)


def _listed(diff: np.ndarray, verdict: str, top: int) -> tuple[np.ndarray, np.ndarray]:
    """The questions to list as gaining and losing: :func:`_extremes` when the verdict is
    "differ", none otherwise (a list drawn from noise would mislead)."""
    if verdict != DIFFER:
        return np.array([], int), np.array([], int)
    return _extremes(diff, top)


def _extremes(diff: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``top`` largest positive and most negative entries of ``diff``."""
    order = np.argsort(-diff, kind="stable")
    gaining = order[:top][diff[order[:top]] > 0]
    losing = order[::-1][:top][diff[order[::-1][:top]] < 0]
    return gaining, losing


def pick_population(linked: Mapping[str, Linked], name: str, column: str, option: str) -> Linked:
    """``linked[name]``, or a :class:`ParameterError` naming the populations there are."""
    if name not in linked:
        raise ParameterError(
            f"{option} {name!r}: no population of that name in column '{column}'; it has "
            f"{', '.join(sorted(linked))}. Pass one of them.")
    return linked[name]


@dataclass(frozen=True, eq=False)
class Comparisons:
    """Every population against the pooled benchmark and every pair of populations.

    diffs : {(a, b): PopulationDiff} with (POOLED, p) for each population p (so item_diff is p's
    weight minus the pooled one) and (p, q) for p < q by name; skipped : {population: why} for
    those with too few rated models to compare.
    """

    diffs: dict[tuple[str, str], PopulationDiff]
    skipped: dict[str, str]


def compare_each(results: Results, linked: Mapping[str, Linked], *, n_boot: int = N_BOOT,
                 random_state: int = 0, alpha: float = ALPHA,
                 progress: Callable[[int], object] | None = None) -> Comparisons:
    """:func:`compare_populations` for each population of ``linked`` (which holds the pooled
    preferences under :data:`~benchalign.populations.aligner.POOLED`) against the pooled ones, and for
    each pair; each population is refitted once (``progress(1)`` per refit, n_boot per
    population). The verdicts use Holm's correction over all these comparisons (:func:`holm`),
    so that with many populations a difference is not found by chance in one pair of them."""
    fits, skipped = {}, {}
    for name, lk in linked.items():
        try:
            fits[name] = refit_population(results, lk, name=name, n_boot=n_boot,
                                          random_state=random_state, progress=progress)
        except InsufficientDataError as err:
            skipped[name] = str(err)
    names = sorted(n for n in fits if n != POOLED)
    pairs = [(POOLED, n) for n in names if POOLED in fits]
    pairs += [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    raw = [compare_populations(results, fits[a], fits[b], alpha=alpha) for a, b in pairs]
    held = holm([d.p_value for d in raw])
    return Comparisons({(d.a, d.b): _with_holm(d, p) for d, p in zip(raw, held)}, skipped)


def holm(p_values: list[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (same order as ``p_values``): the family-wise error of
    calling every comparison with adjusted p < alpha "differ" stays at most alpha."""
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    steps = p[order] * (len(p) - np.arange(len(p)))
    out = np.empty_like(p)
    out[order] = np.minimum(np.maximum.accumulate(steps), 1.0)
    return out


def _with_holm(diff: PopulationDiff, p_holm: float, top: int = TOP_ITEMS) -> PopulationDiff:
    """``diff`` judged by its Holm-adjusted p-value."""
    verdict = DIFFER if p_holm < diff.alpha else INDISTINGUISHABLE
    gaining, losing = _listed(diff.item_diff, verdict, top)
    return replace(diff, p_holm=float(p_holm), verdict=verdict, gaining=gaining, losing=losing)

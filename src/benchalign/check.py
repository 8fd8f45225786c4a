"""Audit results and preferences before fitting: what in the data deserves a look, and how close to
the achievable a pairwise accuracy is.

Pure analysis: :func:`check` takes validated :class:`~benchalign.data.Results` and
:class:`~benchalign.data.Preferences` and returns a :class:`CheckReport` of :class:`Finding` records
(severity ``error``, ``warning`` or ``info``), a summary and the noise ceiling. Nothing here reads
files or prints. The checks (codes in brackets; docs/check.md explains each):

* coverage: a single item [few-items], rated models lacking whole benchmarks
  [missing-benchmarks], compared models with no item in common [no-common-items], rated models in
  groups that share no item [disjoint-rated-models], items every model scores the same
  [constant-items], every model with the same results [identical-results];
* suspicious runs: one benchmark of a model far from what its other benchmarks predict
  [benchmark-outlier], constant models and models whose answers resemble no other model's
  [degenerate-model], a model on another scale [scale-mix], identical or almost identical score
  vectors under different names [near-duplicate];
* preferences: preferred models absent from the results [unknown-models], majority cycles and
  intransitive triples [preference-cycles], undecided pairs [ties], overlapping rating intervals
  [interval-overlap], ratings too close for their scale (win rates, percentages) [rating-scale],
  ratings that fall as the benchmark rises [reversed-ratings];
* headroom: how well the plain mean already orders the preferences [headroom], against the noise
  ceiling [ceiling] (:func:`pair_ceiling`).

Every command that reads results and preferences runs these checks and prints the error and
warning findings (the one audit: the same data gets the same findings everywhere).

Every model-by-model comparison is one blocked matrix product over the models' standardized score
vectors, so a 6,349 × 1,075 case takes a few seconds.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .data import Linked, PairSet, Preferences, Results, cycle_groups, link
from .errors import BenchAlignError, DataWarning, format_rows
from .features.structure import benchmark_indicators, benchmark_means, filled_values, item_means

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
SCHEMA = "benchalign.check/1"

OUTLIER_Z = 5.0
"""A benchmark is an outlier for a model when its residual is this many robust SDs from typical."""
ISOLATION_RATIO, ISOLATION_SE = 0.6, 5.0
"""A model is degenerate when its best correlation with any other model is below 0.6 times the
typical model's best correlation, and below it by more than 5 sampling errors (1/sqrt(items))."""
SCALE_RATIO = 20.0
"""A model whose largest |score| is this many times the typical model's is on another scale."""
UNIT_SCALE_SHARE = 0.5
"""Scores above 1 are a scale mix when at least this share of models keep every score in [0, 1]."""
DUPLICATE_RMS = 0.1
"""Near-duplicates: root-mean-square difference on common items at most this share of the score
range (0/1 scores: at most 1 % of the items differ)."""
MIN_COMMON = 30
"""Items two models must share before they can be called near-duplicates."""
CANDIDATE_CORR = 0.9
"""Correlation of filled score vectors above which a pair is checked for near-duplication."""
MAX_TRIPLE_MODELS = 4000
"""Intransitive triples are counted with a dense models × models product up to this many models."""
GRAM_BLOCK = 512
EXACT_SCAN_MODELS = 20_000
"""Up to this many distinct score vectors, every pair is compared; above it, each is compared with
a sample of :data:`REFERENCE_MODELS` and its neighbours along :data:`PROJECTIONS` projections."""
REFERENCE_MODELS, PROJECTIONS, WINDOW = 2048, 4, 8
NEIGHBOURS = 64
"""Candidate near-duplicates kept per distinct score vector: its most correlated ones."""
CONFIDENT = 0.95
"""A pair's majority is confident when its posterior probability of being the true order is this."""


@dataclass(frozen=True)
class Finding:
    """One thing in the data that deserves a look.

    code : stable identifier (e.g. ``missing-benchmarks``); severity : error | warning | info;
    message : what was found (one paragraph); fix : what to do about it; models, items,
    benchmarks : the names it concerns (may be empty).
    """

    code: str
    severity: Severity
    message: str
    fix: str
    models: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    benchmarks: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "severity": self.severity, "models": list(self.models),
                "items": list(self.items), "benchmarks": list(self.benchmarks),
                "message": self.message, "fix": self.fix}


@dataclass(frozen=True)
class CheckReport:
    """Findings (most severe first), a summary of the data and the noise ceiling."""

    findings: tuple[Finding, ...]
    summary: dict[str, object]
    ceiling: dict[str, object] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when no finding is an error, else 1 (a linter's convention)."""
        return int(any(f.severity == "error" for f in self.findings))

    def at_least(self, severity: Severity) -> list[Finding]:
        """Findings of ``severity`` or more severe."""
        cut = SEVERITIES.index(severity)
        return [f for f in self.findings if SEVERITIES.index(f.severity) <= cut]

    def to_dict(self) -> dict[str, object]:
        """The JSON document of schema ``benchalign.check/1``."""
        return {"schema": SCHEMA, "findings": [f.to_dict() for f in self.findings],
                "summary": self.summary, "ceiling": self.ceiling}


def _names(values: Sequence[object] | np.ndarray) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


# --------------------------------------------------------------------------------------------------
# The whole audit
# --------------------------------------------------------------------------------------------------


def check(results: Results, prefs: Preferences, *, models: pd.DataFrame | None = None,
          ignore_unknown: bool = False) -> CheckReport:
    """Run every check on results and preferences (by name); see the module docstring.

    models : optional metadata indexed by model name (rated models missing from it are reported).
    ignore_unknown : preferred models absent from the results are a warning, not an error.
    """
    findings = _unknown_models(results, prefs, ignore_unknown)
    linked = _quiet_link(results, prefs)
    rated = linked.rated if linked is not None else np.zeros(0, dtype=np.int64)
    findings += results_findings(results, rated)
    findings += preference_findings(prefs)
    ceiling: dict[str, object] = {"pairwise_accuracy": None, "reason": "no rated model in the results"}
    plain = None
    if linked is not None:
        findings += linked_findings(results, linked)
        ceiling = pair_ceiling(linked.pairs, linked.kind, linked.ratings, linked.rating_sd,
                               counted=linked.counted)
        plain, headroom = _headroom(results, linked, ceiling)
        findings += headroom
    if models is not None:
        findings += _metadata(results, rated, models)
    order = sorted(range(len(findings)), key=lambda i: (SEVERITIES.index(findings[i].severity), i))
    findings = [findings[i] for i in order]
    return CheckReport(tuple(findings), _summary(results, prefs, linked, findings, plain), ceiling)


def check_populations(results: Results, populations: Mapping[str, Preferences],
                      linked: Mapping[str, Linked], *, column: str = "population",
                      models: pd.DataFrame | None = None,
                      ignore_unknown: bool = False) -> CheckReport:
    """The checks of :func:`check` for a preference file split into populations (by ``column``):
    the results' once (a model rated in any population counts as rated), each population's
    preferences on their own, with the population named at the start of their messages.

    populations : {name: preferences}; linked : {name: the same on results rows}. The report's
    ceiling is one noise ceiling per population; its summary counts each population's pairs.
    """
    rated = np.unique(np.concatenate([linked[n].rated for n in populations] + [np.zeros(0, np.int64)]))
    findings = results_findings(results, rated)
    for name, prefs in populations.items():
        own = (_unknown_models(results, prefs, ignore_unknown) + preference_findings(prefs)
               + linked_findings(results, linked[name]))
        findings += [replace(f, message=f"population '{name}': {f.message}") for f in own]
    if models is not None:
        findings += _metadata(results, rated, models)
    order = sorted(range(len(findings)), key=lambda i: (SEVERITIES.index(findings[i].severity), i))
    findings = [findings[i] for i in order]
    summary = {"n_models": results.n_models, "n_items": results.n_items,
               "population_column": column, "n_rated_in_results": int(len(rated)),
               "populations": {n: {"preference_kind": populations[n].kind,
                                   "n_rated_in_results": int(len(linked[n].rated)),
                                   "n_pairs": int(len(linked[n].pairs))} for n in populations},
               "counts": {s: sum(f.severity == s for f in findings) for s in SEVERITIES}}
    ceiling = {n: pair_ceiling(linked[n].pairs, linked[n].kind, linked[n].ratings,
                               linked[n].rating_sd, counted=linked[n].counted) for n in populations}
    return CheckReport(tuple(findings), summary, ceiling)


def _quiet_link(results: Results, prefs: Preferences) -> Linked | None:
    """Preferences on results rows, without link's warnings (the findings say the same)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            return link(results, prefs, ignore_unknown=True)
    except BenchAlignError:
        return None


def _summary(results: Results, prefs: Preferences, linked: Linked | None,
             findings: list[Finding], plain: float | None) -> dict[str, object]:
    return {
        "n_models": results.n_models, "n_items": results.n_items,
        "n_benchmarks": int(len(results.benchmark_names())),
        "preference_kind": prefs.kind, "n_preference_models": int(len(prefs.models)),
        "n_rated_in_results": int(len(linked.rated)) if linked is not None else 0,
        "n_pairs": int(len(linked.pairs)) if linked is not None else 0,
        "plain_pairwise_accuracy": plain,
        "counts": {s: sum(f.severity == s for f in findings) for s in SEVERITIES},
    }


def results_findings(results: Results, rated: np.ndarray) -> list[Finding]:
    """Checks of the results alone; ``rated`` (results rows) decides what is a warning."""
    is_rated = np.zeros(results.n_models, dtype=bool)
    is_rated[rated] = True
    bench = BenchmarkMeans.of(results)
    out = _few_items(results) + _all_identical(results) + _coverage(results, bench, is_rated)
    out += _constant_items(results)
    out += _benchmark_outliers(results, bench, is_rated)
    out += _scale_mix(results, is_rated)
    profiles = model_profiles(results)
    scan = _gram_scan(profiles)
    out += _degenerate(results, profiles, scan[0], is_rated)
    out += _near_duplicates(results, scan[1], scan[2], is_rated)
    return out


def preference_findings(prefs: Preferences) -> list[Finding]:
    """Checks of the preferences alone (by name)."""
    return (_cycles(prefs) + _ties(prefs) + _interval_overlap(prefs) + _rating_scale(prefs))


def linked_findings(results: Results, linked: Linked) -> list[Finding]:
    """Checks that need preferences on results rows."""
    return (_disjoint_rated(results, linked) + _no_common_items(results, linked)
            + _reversed(results, linked))


def _split(results: Results, rows: np.ndarray, is_rated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rated rows, unrated rows) of ``rows``."""
    rows = np.asarray(rows, dtype=np.int64)
    return rows[is_rated[rows]], rows[~is_rated[rows]]


def _by_rating(make, results: Results, rows: np.ndarray, is_rated: np.ndarray) -> list[Finding]:
    """A warning about rated models and an info about unrated ones: ``make(rows, rated)``."""
    rated_rows, unrated_rows = _split(results, rows, is_rated)
    out = [make(rated_rows, True)] if len(rated_rows) else []
    return out + ([make(unrated_rows, False)] if len(unrated_rows) else [])


def _who(results: Results, rows: np.ndarray, rated: bool, verbs: tuple[str, str]) -> str:
    """'3 rated models (a, b, c) lack' / '1 rated model (a) lacks': subject and verb agree."""
    kind = "rated" if rated else "unrated"
    one = len(rows) == 1
    return (f"{len(rows)} {kind} model{'' if one else 's'} "
            f"({format_rows(results.models[rows].tolist(), 4)}) {verbs[0] if one else verbs[1]}")


# --------------------------------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkMeans:
    """Per model and benchmark: mean score and observed-item count.

    names : (K,) benchmark names; means : (n_models, K) float64, NaN where the model has fewer than
    half of the benchmark's items; counts : (n_models, K) observed items; sizes : (K,) items.
    """

    names: np.ndarray
    means: np.ndarray
    counts: np.ndarray
    sizes: np.ndarray

    @classmethod
    def of(cls, results: Results) -> "BenchmarkMeans":
        means, counts, names = benchmark_means(results, min_share=0.5)
        sizes = benchmark_indicators(results)[0].sum(axis=0)
        return cls(names.astype(str), means, counts, sizes)


def _coverage(results: Results, bench: BenchmarkMeans, is_rated: np.ndarray) -> list[Finding]:
    lacking = bench.counts == 0
    rows = np.flatnonzero(lacking.any(axis=1))
    if len(rows) == 0 or len(bench.names) < 2:
        return []
    count, filled = item_means(results)
    grand = float(filled[count > 0].mean()) if (count > 0).any() else float("nan")
    mask = results.mask()

    def make(sub: np.ndarray, rated: bool) -> Finding:
        patterns = pd.Series([" + ".join(bench.names[~lacking[r]]) for r in sub]).value_counts()
        shown = "; ".join(f"{p or 'none'}: {n}" for p, n in patterns.items())
        bias = (mask[sub] @ filled) / mask[sub].sum(axis=1) - grand
        missing = bench.names[lacking[sub].any(axis=0)]
        text = (f"{_who(results, sub, rated, ('lacks', 'lack'))} whole benchmarks; what they have: "
                f"{shown}. The "
                "plain mean of such a model is a mean over the benchmarks it ran, so it measures "
                f"which benchmarks it ran as well as how good it is: the item mix alone moves these "
                f"models' plain means by {bias.min():+.3f} to {bias.max():+.3f} (benchmark means "
                + ", ".join(f"{n} {m:.2f}" for n, m in zip(bench.names, _bench_avg(bench))) + ").")
        return Finding("missing-benchmarks", "warning" if rated else "info", text,
                       "Run the missing benchmarks, or keep the default fit, which tries the coverage "
                       "prior (scores insensitive to which benchmarks a model has) and scoring "
                       "completed rows (missing questions predicted from each model's own "
                       "results), and keeps correlation weights to the benchmarks every rated "
                       "model has; do not compare plain means across coverage patterns.",
                       _names(results.models[sub]), (), _names(missing))

    return _by_rating(make, results, rows, is_rated)


def _bench_avg(bench: BenchmarkMeans) -> np.ndarray:
    return np.array([np.nanmean(col) if np.isfinite(col).any() else np.nan for col in bench.means.T])


def _constant_items(results: Results) -> list[Finding]:
    mask = results.mask()
    big = np.finfo(np.float32).max
    low = np.where(mask, results.values, big).min(axis=0)
    high = np.where(mask, results.values, -big).max(axis=0)
    seen = mask.sum(axis=0) >= 2
    constant = seen & (low == high)
    if not constant.any():
        return []
    lo, hi = float(results.values[mask].min()), float(results.values[mask].max())
    nobody = int((constant & (low == lo)).sum())
    everybody = int((constant & (high == hi)).sum())
    idx = np.flatnonzero(constant)
    text = (f"{len(idx)} items get the same score from every model that has them ({nobody} at the "
            f"lowest score {lo:g}: nobody gets them right; {everybody} at the highest {hi:g}: "
            f"everybody does), e.g. {format_rows(results.items[idx].tolist(), 4)}. They cannot "
            "separate any two models.")
    return [Finding("constant-items", "info", text,
                    "Nothing to do for the fit (they carry no weight signal); drop them from a "
                    "pruned benchmark, and check them if many are at 0 (broken answer parsing?).",
                    (), _names(results.items[idx]), _names(np.unique(results.benchmarks[idx])))]


def _few_items(results: Results) -> list[Finding]:
    """A single question: there is nothing to weight."""
    if results.n_items > 1:
        return []
    return [Finding("few-items", "warning",
                    f"the results hold a single item ({results.items[0]!r}); there is nothing to "
                    "weight.", "Were --results and --preferences swapped? Give question-level "
                    "results of many items.", (), _names(results.items))]


def _all_identical(results: Results) -> list[Finding]:
    """Every model has the same results, cell for cell: no weighting can tell them apart."""
    if results.n_models < 2:
        return []
    first = results.values[0]
    mask = results.mask()
    if not ((results.values == first).all() and (mask == mask[0]).all()):
        return []
    return [Finding("identical-results", "warning",
                    f"all {results.n_models} models have identical results: no weighting can tell "
                    "them apart.", "Check that the results file holds each model's own results.",
                    _names(results.models))]


def _disjoint_rated(results: Results, linked: Linked) -> list[Finding]:
    """Rated models fall into groups that share no item, so their scores are not comparable."""
    if results.observed is None or len(linked.rated) < 2:
        return []
    rows, cols = np.nonzero(results.observed[linked.rated])
    n_rated = len(linked.rated)
    graph = coo_matrix((np.ones(len(rows)), (rows, n_rated + cols)),
                       shape=(n_rated + results.n_items,) * 2)
    _, labels = connected_components(graph, directed=False)
    groups = [linked.rated[labels[:n_rated] == g] for g in np.unique(labels[:n_rated])]
    if len(groups) < 2:
        return []
    shown = [f"[{format_rows(sorted(results.models[g].tolist()), 3)}]" for g in groups[:2]]
    text = (f"the rated models form {len(groups)} groups that share no item, e.g. {shown[0]} and "
            f"{shown[1]}: their scores are on different questions and cannot be compared.")
    return [Finding("disjoint-rated-models", "warning", text,
                    "Give the models results on common items.",
                    _names(results.models[np.concatenate(groups[:2])]))]


def _no_common_items(results: Results, linked: Linked) -> list[Finding]:
    """Compared pairs of models whose observed items do not overlap."""
    if results.complete:
        return []
    rated = linked.rated
    mask = results.mask()[rated].astype(np.float32)
    if len(rated) ** 2 * results.n_items <= 4e9:
        common = mask @ mask.T
    else:  # benchmark presence: sharing no benchmark surely means sharing no item
        bench = BenchmarkMeans.of(results.take_models(rated))
        present = (bench.counts > 0).astype(np.float32)
        common = present @ present.T
    local = np.full(results.n_models, -1, dtype=np.int64)
    local[rated] = np.arange(len(rated))
    zero = common[local[linked.pairs.a], local[linked.pairs.b]] == 0
    if not zero.any():
        return []
    a, b = linked.pairs.a[zero], linked.pairs.b[zero]
    shown = [f"{results.models[i]} vs {results.models[j]}" for i, j in zip(a[:3], b[:3])]
    text = (f"{int(zero.sum())} compared pairs of models have no item in common, e.g. "
            f"{format_rows(shown, 3)}: their scores are means over different questions, so the "
            "preference between them says nothing about which questions matter.")
    return [Finding("no-common-items", "warning", text,
                    "Run both models on a common set of items, or remove those preferences.",
                    _names(results.models[np.unique(np.concatenate([a, b]))]))]


# --------------------------------------------------------------------------------------------------
# Suspicious runs
# --------------------------------------------------------------------------------------------------


def _robust_z(x: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 MAD) over finite values; NaN stays NaN, 0 spread gives 0."""
    finite = np.isfinite(x)
    if finite.sum() < 3:
        return np.full(x.shape, np.nan)
    med = np.median(x[finite])
    mad = 1.4826 * np.median(np.abs(x[finite] - med))
    if mad == 0:
        return np.where(finite, 0.0, np.nan)
    return (x - med) / mad


def benchmark_residuals(bench: BenchmarkMeans) -> np.ndarray:
    """(n_models, K) robust z of each benchmark mean against what the model's other benchmarks
    predict: standardize each benchmark over models, regress it (through 0) on the mean of the
    model's other standardized benchmarks, and take the residual's robust z. NaN where the model
    lacks the benchmark or has fewer than 2 others."""
    m = bench.means
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (m - np.nanmean(m, axis=0)) / np.nanstd(m, axis=0)
    out = np.full(m.shape, np.nan)
    have = np.isfinite(z)
    for k in range(m.shape[1]):
        others = np.delete(z, k, axis=1)
        n_other = np.isfinite(others).sum(axis=1)
        with np.errstate(invalid="ignore"):
            pred = np.where(n_other >= 2, np.nansum(others, axis=1) / np.maximum(n_other, 1), np.nan)
        ok = have[:, k] & np.isfinite(pred)
        if ok.sum() < 10 or not np.any(pred[ok] != 0):
            continue
        beta = np.dot(z[ok, k], pred[ok]) / np.dot(pred[ok], pred[ok])
        out[:, k] = np.where(ok, _robust_z(np.where(ok, z[:, k] - beta * pred, np.nan)), np.nan)
    return out


def _benchmark_outliers(results: Results, bench: BenchmarkMeans, is_rated: np.ndarray) -> list[Finding]:
    rz = benchmark_residuals(bench)
    size = np.where(np.isfinite(rz), np.abs(rz), 0.0)
    worst = size.argmax(axis=1)
    rows = np.flatnonzero(size[np.arange(len(size)), worst] > OUTLIER_Z)
    if len(rows) == 0:
        return []
    typical = _bench_avg(bench)

    def make(sub: np.ndarray, rated: bool) -> Finding:
        parts = []
        for r in sub[:5]:
            k = worst[r]
            other = ", ".join(f"{bench.names[j]} {bench.means[r, j]:.2f}" for j in range(len(bench.names))
                              if j != k and np.isfinite(bench.means[r, j]))
            parts.append(f"{results.models[r]}: {bench.names[k]} {bench.means[r, k]:.2f} "
                         f"({'below' if rz[r, k] < 0 else 'above'} what {other} predict; "
                         f"{rz[r, k]:+.1f} robust SD; all models {typical[k]:.2f})")
        text = (f"{_who(results, sub, rated, ('has', 'have'))} one benchmark far from what their other "
                f"benchmarks predict: {'; '.join(parts)}"
                + (f" (and {len(sub) - 5} more)" if len(sub) > 5 else "") + ". A failed or "
                "broken run (answer parsing, truncation, wrong prompt format) looks like this.")
        return Finding("benchmark-outlier", "warning" if rated else "info", text,
                       "Check those runs and re-run or drop the benchmark for that model (leaving "
                       "the cells missing); keep it only if the model really is that uneven.",
                       _names(results.models[sub]), (), _names(np.unique(bench.names[worst[sub]])))

    return _by_rating(make, results, rows, is_rated)


def _scale_mix(results: Results, is_rated: np.ndarray) -> list[Finding]:
    """Models on another scale than the others: a largest |score| :data:`SCALE_RATIO` times (or
    1/SCALE_RATIO of) the typical model's (an error), or above 1 where at least
    :data:`UNIT_SCALE_SHARE` of the models keep every score in [0, 1] (a warning; e.g. 0-5 or
    0-100 among 0-1 scores)."""
    mask = results.mask()
    top = np.abs(np.where(mask, results.values, 0)).max(axis=1).astype(np.float64)
    ref = float(np.median(top))
    if ref == 0 or results.n_models < 3:
        return []
    ratio = top / ref
    far = (ratio >= SCALE_RATIO) | ((top > 0) & (ratio <= 1 / SCALE_RATIO))
    unit = top <= 1.0
    rows = np.flatnonzero(far | (~unit if unit.mean() >= UNIT_SCALE_SHARE else False))
    if len(rows) == 0:
        return []
    shown = [f"{results.models[r]} (largest {top[r]:g})" for r in rows[:4]]
    text = (f"{len(rows)} models are on another scale than the others (the typical model's "
            f"largest |score| is {ref:g}; {int(unit.sum())} of {results.n_models} keep every score "
            f"in [0, 1]): {format_rows(shown, 4)}; e.g. 0-100 among 0-1 scores. Their means cannot "
            "be compared.")
    return [Finding("scale-mix", "error" if far.any() else "warning", text,
                    "Put every model on the same scale (e.g. divide percentages by 100) before "
                    "aligning.", _names(results.models[rows]))]


def model_profiles(results: Results) -> np.ndarray:
    """(n_models, n_items) float32 score vectors, missing cells filled with the item mean, each row
    centred and scaled to unit norm (a constant row stays 0): the Gram of two rows is their
    correlation."""
    x = filled_values(results, np.float32)
    x -= x.mean(axis=1, keepdims=True)
    norm = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64)).astype(np.float32)
    x /= np.where(norm > 1e-6 * max(float(norm.max()), 1e-30), norm, np.inf)[:, None]
    return x


def _gram_scan(profiles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best correlation of each model with any other (n,), and candidate duplicate pairs (i < j)
    with correlation above :data:`CANDIDATE_CORR`, in memory and time that grow with the models,
    not their pairs.

    Identical profiles are grouped by sorting their bytes (each copy correlates 1 with its
    group's first row and is paired with it); the distinct profiles are then compared all against
    all in blocks when there are at most :data:`EXACT_SCAN_MODELS` of them, else each with a
    seeded sample and with its neighbours along random projections (:func:`_sampled_scan`; the
    best correlations are then lower bounds). Each distinct profile keeps at most
    :data:`NEIGHBOURS` candidates, its most correlated ones. Constant rows are in no pair.
    """
    n = len(profiles)
    rows = np.flatnonzero(profiles.any(axis=1))
    first, group = distinct_rows(profiles[rows])
    leaders = rows[first]
    reps = profiles[leaders]
    scan = _all_pairs if len(leaders) <= EXACT_SCAN_MODELS else _sampled_scan
    rep_best, ri, rj = scan(reps)
    rep_best = np.where(np.bincount(group, minlength=len(leaders)) > 1, 1.0, rep_best)
    best = np.full(n, -np.inf)
    best[rows] = rep_best[group]
    copy = rows != leaders[group]
    a = np.concatenate([leaders[group[copy]], leaders[ri]])
    b = np.concatenate([rows[copy], leaders[rj]])
    return best, np.minimum(a, b), np.maximum(a, b)


def distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, group) of the rows of ``matrix`` [n, k] that are equal byte for byte: ``first``
    [n_distinct] the first row of each distinct row, ``group`` [n] the index of each row's in
    ``first``. One sort of the rows' bytes: O(n log n), no pair of rows is compared."""
    block = np.ascontiguousarray(matrix)
    keys = block.view(np.dtype((np.void, block.shape[1] * block.itemsize))).ravel()
    _, first, group = np.unique(keys, return_index=True, return_inverse=True)
    return first, group.ravel()


def _top_candidates(g: np.ndarray, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i[r], j[c]) with ``g[r, c]`` above :data:`CANDIDATE_CORR`, at most
    :data:`NEIGHBOURS` per row, the most correlated first."""
    r, c = np.nonzero(g > CANDIDATE_CORR)
    if len(r) == 0:
        return r, c
    order = np.lexsort((-g[r, c], r))
    r, c = r[order], c[order]
    rank = np.arange(len(r)) - np.searchsorted(r, r)
    keep = rank < NEIGHBOURS
    return i[r[keep]], j[c[keep]]


def _all_pairs(reps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of (distinct) profiles: blocks of the upper triangle of the Gram matrix, each
    used for its rows' and its columns' maxima; bounded candidate lists."""
    n = len(reps)
    best = np.full(n, -np.inf)
    cand_i, cand_j = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for start in range(0, n, GRAM_BLOCK):
        stop = min(n, start + GRAM_BLOCK)
        g = reps[start:stop] @ reps[start:].T
        g[:, : stop - start][np.tril_indices(stop - start)] = -np.inf  # self and lower triangle
        if g.shape[1]:
            np.maximum(best[start:stop], g.max(axis=1), out=best[start:stop])
            np.maximum(best[start:], g.max(axis=0), out=best[start:])
        i, j = _top_candidates(g, np.arange(start, stop), np.arange(start, n))
        cand_i.append(i)
        cand_j.append(j)
    return best, np.concatenate(cand_i), np.concatenate(cand_j)


def _sampled_scan(reps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Too many distinct profiles for all pairs: each is compared with a seeded sample of
    :data:`REFERENCE_MODELS` others (for its best correlation) and with its :data:`WINDOW`
    neighbours in the order of each of :data:`PROJECTIONS` random projections (close vectors
    project close: best correlation and candidates), O(n) products each."""
    n = len(reps)
    rng = np.random.default_rng(0)
    ref = np.sort(rng.choice(n, REFERENCE_MODELS, replace=False))
    best = np.full(n, -np.inf)
    cand_i, cand_j = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for start in range(0, n, GRAM_BLOCK * 8):
        stop = min(n, start + GRAM_BLOCK * 8)
        g = reps[start:stop] @ reps[ref].T
        inside = np.flatnonzero((ref >= start) & (ref < stop))
        g[ref[inside] - start, inside] = -np.inf  # a model is not its own reference
        best[start:stop] = g.max(axis=1)
    for a, b, corr in _projection_neighbours(reps, rng):
        best[a] = np.maximum(best[a], corr)  # a and b are slices of a permutation: no repeats
        best[b] = np.maximum(best[b], corr)
        near = corr > CANDIDATE_CORR
        cand_i.append(a[near])
        cand_j.append(b[near])
    return best, np.concatenate(cand_i), np.concatenate(cand_j)


def _projection_neighbours(reps: np.ndarray, rng: np.random.Generator):
    """Yield (a, b, corr): rows ``step`` apart in the order of a random projection, for each of
    :data:`PROJECTIONS` projections and each step up to :data:`WINDOW`, with their correlations
    (rows gathered once per chunk of the order; within one yield no row repeats)."""
    chunk = 65536
    for _ in range(PROJECTIONS):
        direction = rng.standard_normal(reps.shape[1]).astype(np.float32)
        order = np.argsort(reps @ direction, kind="stable")
        for start in range(0, len(order), chunk):
            idx = order[start:start + chunk + WINDOW]
            block = reps[idx]
            for step in range(1, min(WINDOW + 1, len(idx))):
                m = min(chunk, len(idx) - step)
                yield idx[:m], idx[step:step + m], np.einsum("ij,ij->i", block[:m], block[step:step + m])


@dataclass(frozen=True)
class Degenerate:
    """Which models the degenerate-model check flags. constant, isolated : (n_models,) bool (a
    constant row is never also isolated); best : (n_models,) best correlation with any other
    model (NaN for constant rows); median : the typical model's best correlation."""

    constant: np.ndarray
    isolated: np.ndarray
    best: np.ndarray
    median: float

    @classmethod
    def of(cls, results: Results, profiles: np.ndarray, best: np.ndarray) -> "Degenerate":
        constant = ~profiles.any(axis=1)
        best = np.where(constant, np.nan, best)
        if results.n_models < 10:
            return cls(constant, np.zeros_like(constant), best, float("nan"))
        median = float(np.nanmedian(best))
        low = (best < ISOLATION_RATIO * median) & (median - best > ISOLATION_SE / np.sqrt(results.n_items))
        return cls(constant, np.nan_to_num(low, nan=0.0).astype(bool), best, median)


def degenerate_models(results: Results) -> np.ndarray:
    """Rows of the models the degenerate-model check flags (constant on every observed item, or
    answering like no other model): no rating of them can teach the aligner anything."""
    profiles = model_profiles(results)
    found = Degenerate.of(results, profiles, _gram_scan(profiles)[0])
    return np.flatnonzero(found.constant | found.isolated)


def _degenerate(results: Results, profiles: np.ndarray, best: np.ndarray,
                is_rated: np.ndarray) -> list[Finding]:
    found = Degenerate.of(results, profiles, best)
    out = _by_rating(lambda sub, rated: Finding(
        "degenerate-model", "warning" if rated else "info",
        f"{_who(results, sub, rated, ('scores', 'score'))} the same on every observed item (e.g. a "
        "reference model judged against itself, or an empty run): a constant says nothing about "
        "which questions matter.",
        "Drop them, or re-run them; a judge's reference model has no result of its own.",
        _names(results.models[sub])), results, np.flatnonzero(found.constant), is_rated)

    def make(sub: np.ndarray, rated: bool) -> Finding:
        shown = [f"{results.models[r]} ({found.best[r]:.2f})" for r in sub[:5]]
        text = (f"{_who(results, sub, rated, ('answers', 'answer'))} like no other model: their "
                "best correlation "
                f"with any other model's item scores is {format_rows(shown, 5)}, against "
                f"{found.median:.2f} for the typical model. Judge-gaming entries, empty or "
                "constant-template answers and broken runs look like this.")
        return Finding("degenerate-model", "warning" if rated else "info", text,
                       "Look at a few of their answers; drop entries that are not real models "
                       "(null or adversarial baselines) before aligning.",
                       _names(results.models[sub]))

    return out + _by_rating(make, results, np.flatnonzero(found.isolated), is_rated)


def _near_duplicates(results: Results, ci: np.ndarray, cj: np.ndarray,
                     is_rated: np.ndarray) -> list[Finding]:
    mask = results.mask()
    span = float(np.ptp(results.values[mask])) if mask.any() else 0.0
    if span == 0 or len(ci) == 0:
        return []
    keep, same = [], []
    for lo in range(0, len(ci), 1024):
        i, j = ci[lo:lo + 1024], cj[lo:lo + 1024]
        both = mask[i] & mask[j]
        common = both.sum(axis=1)
        d = np.where(both, results.values[i].astype(np.float64) - results.values[j], 0.0)
        msd = np.einsum("ij,ij->i", d, d) / np.maximum(common, 1)
        keep.append((common >= MIN_COMMON) & (msd <= (DUPLICATE_RMS * span) ** 2))
        same.append((msd == 0) & (common == mask[i].sum(axis=1)) & (common == mask[j].sum(axis=1)))
    keep_all, same_all = np.concatenate(keep), np.concatenate(same)
    pairs = list(zip(ci[keep_all], cj[keep_all]))
    groups = _groups(pairs, results.n_models)
    exact = set(map(tuple, np.column_stack([ci, cj])[keep_all & same_all].tolist()))
    out = [_duplicate_finding(results, g, pairs, exact) for g in groups if is_rated[g].any()]
    unrated = [g for g in groups if not is_rated[g].any()]
    return out + ([_unrated_duplicates(results, unrated)] if unrated else [])


def _groups(pairs: list[tuple[int, int]], n: int) -> list[np.ndarray]:
    if not pairs:
        return []
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = np.array(pairs).T
    _, labels = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False)
    members = np.unique(np.concatenate([a, b]))
    return [members[labels[members] == lab] for lab in np.unique(labels[members])]


def _duplicate_finding(results: Results, group: np.ndarray, pairs: list[tuple[int, int]],
                       exact: set[tuple[int, int]]) -> Finding:
    inside = set(group.tolist())
    same = all((int(i), int(j)) in exact for i, j in pairs if i in inside)
    what = "identical" if same else "almost identical"
    text = (f"{len(group)} models, at least one of them rated, have {what} score vectors under "
            f"different names: {format_rows(results.models[group].tolist(), 6)}. Copies of one run "
            "count twice in the fit and in every accuracy, and a copy can carry another model's "
            "preferences.")
    return Finding("near-duplicate", "warning", text,
                   "Check where the results came from; keep one row per real model (or fix the "
                   "file that was copied).", _names(results.models[group]))


def _unrated_duplicates(results: Results, groups: list[np.ndarray]) -> Finding:
    shown = ["[" + format_rows(results.models[g].tolist(), 3) + "]" for g in groups[:4]]
    members = np.concatenate(groups)
    text = (f"{len(groups)} groups of unrated models ({len(members)} models) have identical or "
            f"almost identical score vectors under different names, e.g. {format_rows(shown, 4)}"
            f"{' (and more)' if len(groups) > 4 else ''}: re-uploads, merges that changed nothing, "
            "or copied result files.")
    return Finding("near-duplicate", "info", text,
                   "Keep one row per real model if they are copies; they weigh the structure the "
                   "fit learns from all models' results.", _names(results.models[members]))


# --------------------------------------------------------------------------------------------------
# Preferences
# --------------------------------------------------------------------------------------------------


def _unknown_models(results: Results, prefs: Preferences, ignore: bool) -> list[Finding]:
    rows = results.index_of(prefs.models)
    unknown = prefs.models[rows < 0]
    if len(unknown) == 0:
        return []
    severity: Severity = "warning" if ignore and len(unknown) < len(prefs.models) else "error"
    text = (f"{len(unknown)} of {len(prefs.models)} models in the preferences are not in the "
            f"results: {format_rows(sorted(map(str, unknown)), 6)}. Their preferences cannot "
            "teach anything" + ("; they are dropped." if severity == "warning" else
                                "; fit and evaluate stop on them."))
    return [Finding("unknown-models", severity, text,
                    "Fix the names (a name map from,to; see `benchalign match-names`), add their "
                    "results, or pass --ignore-unknown-models to drop them.", _names(sorted(unknown)))]


def intransitive_triples(pairs: PairSet, n_models: int) -> int | None:
    """Number of model triples whose majority preferences form a cycle a > b > c > a (None when
    there are more than :data:`MAX_TRIPLE_MODELS` models)."""
    if n_models > MAX_TRIPLE_MODELS:
        return None
    decided = pairs.target != 0.5
    src = np.where(pairs.target > 0.5, pairs.a, pairs.b)[decided]
    dst = np.where(pairs.target > 0.5, pairs.b, pairs.a)[decided]
    adj = np.zeros((n_models, n_models), dtype=np.float64)
    adj[src, dst] = 1.0
    return int(round(np.einsum("ij,ji->", adj @ adj, adj) / 3))


def _cycles(prefs: Preferences) -> list[Finding]:
    """Majority cycles: a warning when the pairs in the cycle are each decided with confidence
    (posterior of the majority >= :data:`CONFIDENT`) or when the pairs are stated, not counted
    (a list of preferences, not samples: a cycle contradicts the list itself); a note when only
    pairs with few comparisons close them (what sampled comparisons show by chance)."""
    if prefs.kind == "ratings":
        return []
    groups = cycle_groups(prefs.pairs, len(prefs.models))
    if not groups:
        return []
    stated = not prefs.counted
    confident = (np.ones(len(prefs.pairs), dtype=bool) if stated
                 else pair_agreement(prefs.pairs, prefs.kind, counted=prefs.counted) >= CONFIDENT)
    strong = cycle_groups(prefs.pairs.select(confident), len(prefs.models))
    used = strong or groups
    pairs = prefs.pairs.select(confident) if strong else prefs.pairs
    triples = intransitive_triples(pairs, len(prefs.models))
    members = np.unique(np.concatenate(used))
    counted = f"{triples:,} intransitive triples" if triples is not None else "intransitive triples"
    which = " (stated pairs, not samples)" if stated else " of confidently decided pairs" if strong else ""
    text = (f"The majority preferences{which} contain "
            f"{counted} in {len(used)} cycle group(s), e.g. "
            f"[{format_rows(prefs.models[used[0]].tolist(), 5)}] ({len(members)} models in all): "
            "no ranking, and so no weighting, agrees with all of them"
            + ("." if strong else "; every cycle goes through pairs with few comparisons, as "
               "sampled comparisons give by chance."))
    fix = ("Check those comparisons (mislabelled winners, mixed populations of raters); they are "
           "fitted as given." if strong else
           "Nothing to do; more comparisons among these models would settle them.")
    return [Finding("preference-cycles", "warning" if strong else "info", text, fix,
                    _names(prefs.models[members]))]


def _ties(prefs: Preferences) -> list[Finding]:
    undecided = prefs.pairs.target == 0.5
    if not undecided.any():
        return []
    share = float(np.average(undecided, weights=prefs.pairs.weight))
    what = "have equal ratings" if prefs.kind == "ratings" else "are tied (or balanced by their reverse)"
    text = (f"{int(undecided.sum())} of {len(prefs.pairs)} compared model pairs ({share:.1%} of the "
            f"weight) {what}: they pull scores together in the fit and no accuracy counts them.")
    return [Finding("ties", "info", text, "Nothing to do unless the share is large; then the "
                    "preferences say little about these models.",
                    _names(prefs.models[np.unique(np.concatenate(
                        [prefs.pairs.a[undecided], prefs.pairs.b[undecided]]))]))]


def _interval_overlap(prefs: Preferences) -> list[Finding]:
    if prefs.rating_sd is None or prefs.ratings is None:
        return []
    a, b = prefs.pairs.a, prefs.pairs.b
    half = 1.959963984540054 * prefs.rating_sd
    overlap = np.abs(prefs.ratings[a] - prefs.ratings[b]) <= half[a] + half[b]
    share = float(overlap.mean())
    widest = np.argsort(-half, kind="stable")[:3]
    shown = [f"{prefs.models[i]} ±{half[i]:.0f}" for i in widest]
    text = (f"{share:.0%} of the {len(a)} rated pairs have overlapping 95 % rating intervals "
            f"(median half-width {np.median(half):.1f}; widest {format_rows(shown, 3)}): those "
            "pairs are not separable by the preferences themselves.")
    return [Finding("interval-overlap", "warning" if share >= 0.5 else "info", text,
                    "Read accuracies against the noise ceiling (benchalign evaluate prints it), "
                    "and prefer ratings from more battles.", _names(prefs.models[widest]))]


def _rating_scale(prefs: Preferences) -> list[Finding]:
    if prefs.kind != "ratings" or prefs.rating_sd is not None or prefs.ratings is None:
        return []
    sharpest = float(np.max(np.abs(prefs.pairs.target - 0.5))) + 0.5
    if sharpest >= 0.62:
        return []
    r = prefs.ratings
    looks = ("win rates or probabilities" if r.min() >= 0 and r.max() <= 1 else
             "percentages" if r.min() >= 0 and r.max() <= 100 else "on a small scale")
    span = float(np.ptp(r))
    text = (f"The ratings span only {span:g} ({r.min():g} to {r.max():g}); at the rating scale "
            f"they were read with, the best model beats the worst with probability {sharpest:.2f}, "
            f"so every pair target is close to 0.5. They look like {looks}, not Elo/Bradley-Terry "
            "ratings.")
    return [Finding("rating-scale", "warning", text,
                    f"Pass --rating-scale (rating units per logit), e.g. --rating-scale {span / 4:.3g} "
                    "puts the best and worst model 4 logits apart, or convert win rates to Elo "
                    "ratings first.", _names(prefs.models))]


def _reversed(results: Results, linked: Linked) -> list[Finding]:
    rows = np.flatnonzero(np.isfinite(linked.ratings))
    if len(rows) < 5:
        return []
    plain = _plain_scores(results)[rows]
    ok = np.isfinite(plain)
    if ok.sum() < 5 or np.ptp(plain[ok]) == 0:
        return []
    rho = float(pd.Series(plain[ok]).corr(pd.Series(linked.ratings[rows][ok]), method="spearman"))
    if not rho < -0.5:
        return []
    text = (f"The ratings fall as the plain benchmark score rises (Spearman {rho:.2f} over "
            f"{int(ok.sum())} rated models): they look like ranks or losses (lower is better).")
    return [Finding("reversed-ratings", "warning", text,
                    "If the file holds ranks or losses, pass --lower-is-better (or negate them); "
                    "if you passed --lower-is-better, the column is already higher-is-better: "
                    "drop the flag. benchalign reads higher ratings as preferred.",
                    _names(results.models[rows]))]


# --------------------------------------------------------------------------------------------------
# Headroom and the noise ceiling
# --------------------------------------------------------------------------------------------------


def _plain_scores(results: Results) -> np.ndarray:
    """(n_models,) plain mean over each model's observed items."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return results.values.sum(axis=1, dtype=np.float64) / results.observed_count()


def pair_agreement(pairs: PairSet, kind: str, ratings: np.ndarray | None = None,
                   rating_sd: np.ndarray | None = None, *,
                   counted: bool = False) -> np.ndarray | None:
    """(n_pairs,) probability that the true order of each pair is the observed one (the credit a
    perfect scorer expects on it), or None when the preferences carry no uncertainty.

    ratings with standard errors (``ratings``, ``rating_sd`` by model id):
    Φ(|r_a - r_b| / sqrt(s_a² + s_b²)) (1 for two exact ratings that differ, 0.5 for equal ones);
    battles, rankings and choices (each list holding the pair one comparison,
    :attr:`PairSet.count`), and pairs whose weight is a number of sampled comparisons
    (``counted``, :attr:`benchalign.data.Preferences.counted`): the posterior probability, under
    a Jeffreys Beta(k + ½, n - k + ½) prior on the win probability, that the side that won more of its n
    comparisons (k wins, ties a half) is the truly preferred one;
    other pairs (stated, not ``counted``): certain, 1 for a decided pair (0.5 for an undecided
    one); a stated pair's weight says how much it counts, not how often it was sampled.
    """
    if kind == "ratings":
        if ratings is None or rating_sd is None:
            return None
        gap = np.abs(ratings[pairs.a] - ratings[pairs.b])
        spread = np.hypot(rating_sd[pairs.a], rating_sd[pairs.b])
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(spread > 0, gap / np.where(spread > 0, spread, 1.0), np.where(gap > 0, np.inf, 0.0))
        from scipy.special import ndtr

        return ndtr(z)
    if kind == "pairs" and not counted:
        return np.where(pairs.target != 0.5, 1.0, 0.5)
    from scipy.special import betainc

    n = pairs.weight if pairs.count is None else pairs.count
    wins = pairs.target * n
    below = betainc(wins + 0.5, n - wins + 0.5, 0.5)  # P(true p < 1/2)
    return np.where(pairs.target > 0.5, 1 - below, below)


def pair_ceiling(pairs: PairSet, kind: str, ratings: np.ndarray | None = None,
                 rating_sd: np.ndarray | None = None, *, counted: bool = False) -> dict[str, object]:
    """The pairwise accuracy a perfect scorer (one that knows the true order) could expect against
    these preferences: the weighted mean of :func:`pair_agreement` over decided pairs (1 for
    stated pairs, which are taken as certain; a cycle among them, which no order satisfies, is
    the preference-cycles finding).

    Returns ``{"pairwise_accuracy", "source", "n_pairs"}``; ``pairwise_accuracy`` is None (with a
    ``reason``) when the preferences carry no uncertainty (ratings without intervals)."""
    agree = pair_agreement(pairs, kind, ratings, rating_sd, counted=counted)
    if agree is None:
        return {"pairwise_accuracy": None, "source": None, "n_pairs": int(len(pairs)),
                "reason": "the ratings carry no interval; give rating_q025/rating_q975 columns "
                          "(or --rating-interval-columns) to know the ceiling"}
    decided = pairs.target != 0.5
    weight = pairs.weight * decided
    value = float(np.dot(np.where(decided, agree, 0.0), weight) / weight.sum()) if weight.sum() > 0 else None
    source = "comparison counts (Jeffreys posterior of each pair's majority)"
    if kind == "ratings":
        source = "rating intervals (Φ of the gap over the combined standard error)"
    elif kind == "pairs" and not counted:
        source = ("stated pairs, each taken as certain (--pair-counts reads each row as one "
                  "sampled comparison)")
    return {"pairwise_accuracy": value, "source": source, "n_pairs": int(decided.sum())}


def heldout_ceiling(results: Results, linked: Linked, evaluation) -> dict[str, float | None]:
    """Per split family of an :func:`benchalign.evaluation.heldout.evaluate` report: the mean over its splits
    of :func:`pair_ceiling` on the held-out pairs (None when the preferences carry no uncertainty)."""
    out: dict[str, float | None] = {}
    for name, family in evaluation.splits.items():
        values = []
        for record in family.per_split:
            test = linked.pairs.within(results.index_of(record["test"]), results.n_models)
            values.append(pair_ceiling(test, linked.kind, linked.ratings, linked.rating_sd,
                                       counted=linked.counted)["pairwise_accuracy"])
        known = [v for v in values if v is not None]
        out[name] = float(np.mean(known)) if known and len(known) == len(values) else None
    return out


def _headroom(results: Results, linked: Linked,
              ceiling: dict[str, object]) -> tuple[float | None, list[Finding]]:
    from .metrics import pairwise_accuracy

    plain = pairwise_accuracy(_plain_scores(results), linked.pairs)
    if not np.isfinite(plain):
        return None, []
    top = ceiling.get("pairwise_accuracy")
    text = f"The plain mean already orders {plain:.3f} of the compared pairs the preferences' way"
    if isinstance(top, float):
        text += (f"; a perfect scorer could expect {top:.3f} given the preferences' own "
                 f"uncertainty (noise ceiling), so the headroom is {top - plain:+.3f}"
                 + (": the plain mean is already at the ceiling, and no weighting can be shown "
                    "to do better with these preferences." if top - plain <= 0.01 else "."))
    else:
        text += "; the noise ceiling is unknown (no interval or counts in the preferences)."
    out = [Finding("headroom", "info", text,
                   "Read held-out accuracies against these two numbers (benchalign evaluate "
                   "prints both).")]
    return float(plain), out


def _metadata(results: Results, rated: np.ndarray, models: pd.DataFrame) -> list[Finding]:
    names = results.models[rated]
    absent = [n for n in names if n not in models.index]
    unknown_size = []
    if "params_b" in models.columns:
        sizes = models.reindex(names)["params_b"].to_numpy(dtype=np.float64)
        unknown_size = [n for n, s in zip(names, sizes) if n not in absent and not np.isfinite(s)]
    if not absent and not unknown_size:
        return []
    text = (f"Model metadata lacks {len(absent)} rated models ({format_rows(absent, 4)}) and "
            f"gives no size for {len(unknown_size)} ({format_rows(unknown_size, 4)}): size and "
            "group splits leave them out.")
    return [Finding("metadata", "info", text, "Add a row (and params_b) for each rated model.",
                    _names(absent + unknown_size))]

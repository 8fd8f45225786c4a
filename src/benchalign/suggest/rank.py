"""Which models (or model pairs) to get preferences for next.

Preferences are the expensive input. :func:`suggest` ranks the models that have results but no
preference yet by how much a rating of them is expected to teach the aligner:

* **rank disagreement** ``rank_sd``: the aligner's preference-driven weighting (``correlation``,
  the one candidate of the default ``auto`` that the ratings move; when ``auto`` picks a fixed
  weighting every refit of it would agree) is refitted ``n_boot`` times on bootstrap resamples of
  the rated models; in each refit a candidate's aligned score is standardized against the
  rated models' scores (``(score - their mean) / their sd``); ``rank_sd`` is the standard
  deviation of that standardized score over the refits. A model whose place the preferences do
  not yet pin down is one whose rating can change the fit.
* **novelty**: the distance from the candidate to the nearest rated model in the space of the
  leading principal components of every model's results (missing cells filled with the item's
  mean), divided by the median nearest-neighbour distance among the rated models (1 = as far from
  the rated models as they are from each other). A rating far from the rated ones moves the item
  correlations the most.

``value = rank_sd × novelty``. The K suggestions are chosen greedily: after each pick the picked
model counts as rated for the novelty of the rest, so one batch does not spend its budget on K
near-copies of one model. What the choice is worth is measured by
``benchmarks/active_curve.py`` (docs/suggest.md): on the shipped cases, no better than random.

With ``unit="pairs"`` the suggestions are pairs of models not yet compared, among the rated models
and the most valuable unrated ones, ranked by how often the refits disagree about their order
(``flip``: the share of refits on the minority side, 0 to 0.5), ties going to the closer aligned
scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..check import degenerate_models
from ..data import Linked, PairSet, Preferences, Results, link
from ..errors import InsufficientDataError, check_param, format_rows
from ..fit import BenchmarkAligner
from ..fit.candidates import Context, Correlation
from ..fit.folds import usable
from ..scores import model_scores

SCHEMA = "benchalign.suggest/1"
UNITS = ("models", "pairs")
N_COMPONENTS = 8
"""Principal components of the results that define a model's position (novelty)."""
REFIT_METHOD = "correlation"
"""The weighting refitted on bootstrap resamples: closed form, and driven by the preferences."""
PAIR_POOL = 40
"""Unrated models (the most valuable) whose pairs are considered with unit="pairs"."""


@dataclass(frozen=True)
class ScoreRefits:
    """Aligned scores of bootstrap refits. scores : [n_boot, n_models]; rated : [n_rated] rows of
    the rated models; full : [n_models], the default aligner fitted on every rated model (for the
    tables' ``score`` columns)."""

    scores: np.ndarray
    rated: np.ndarray
    full: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class Suggestions:
    """What :func:`suggest` returns.

    table : for unit "models", columns ``rank, model, value, rank_sd, novelty, score, reason``;
        for "pairs", ``rank, model_a, model_b, value, flip, score_a, score_b, reason``; best first.
    unit : "models" or "pairs". left_out : unrated models not considered because
        :func:`benchalign.check.degenerate_models` finds them degenerate.
    """

    table: pd.DataFrame
    unit: str
    left_out: list[str]

    def to_dict(self) -> dict:
        """The ``benchalign.suggest/1`` document (what ``suggest --json`` writes)."""
        keys = ["model"] if self.unit == "models" else ["model_a", "model_b"]
        rows = [{**{k: str(r[k]) for k in keys}, "value": float(r["value"]),
                 "reason": str(r["reason"])} for _, r in self.table.iterrows()]
        return {"schema": SCHEMA, "unit": self.unit, "suggestions": rows,
                "left_out": list(self.left_out)}


def results_embedding(results: Results, n_components: int = N_COMPONENTS) -> np.ndarray:
    """[n_models, k] coordinates of every model on the leading principal components of the
    results (cells a model lacks filled with the item's mean over the models that have it), in the
    results' own units (projections, not whitened). k = min(n_components, n_items, n_models)."""
    x = results.values.astype(np.float32)
    mask = results.mask()
    count = np.maximum(mask.sum(axis=0), 1)
    mean = ((x * mask).sum(axis=0) / count).astype(np.float32)
    x = np.where(mask, x, mean) - mean
    gram = (x.T @ x).astype(np.float64)
    evals, evecs = np.linalg.eigh(gram)
    k = min(n_components, results.n_items, results.n_models)
    top = evecs[:, ::-1][:, :k]
    top *= np.where(top[np.abs(top).argmax(axis=0), np.arange(k)] < 0, -1.0, 1.0)  # fixed signs
    return (x @ top.astype(np.float32)).astype(np.float64)


def bootstrap_refits(results: Results, pairs: PairSet, *, n_boot: int, seed: int,
                     context: Context | None = None) -> ScoreRefits:
    """Refit :data:`REFIT_METHOD` on ``n_boot`` bootstrap resamples of the rated models (the
    distinct models drawn; a resample with fewer than 3 is drawn again) and score every model.
    context : ``Context.of(results)``, when the caller has it already."""
    rated = pairs.models()
    ctx = Context.of(results) if context is None else context
    rng = np.random.default_rng(seed)
    w = np.empty((results.n_items, n_boot))
    for b in range(n_boot):
        w[:, b] = Correlation().weights(ctx, _resample_distinct(pairs, rated, results.n_models, rng))
    scores = model_scores(w, values=results.values, observed=results.observed)[0]
    return ScoreRefits(np.ascontiguousarray(scores.T), rated)


def _resample_distinct(pairs: PairSet, rated: np.ndarray, n_models: int,
              rng: np.random.Generator) -> PairSet:
    """The pairs among a bootstrap resample of the rated models with at least 3 distinct models
    and a decided pair; raises after 100 draws without one (the full pair set is no replicate:
    counting it would shrink the spread of the refits)."""
    for _ in range(100):
        members = np.unique(rng.choice(rated, size=len(rated), replace=True))
        sub = pairs.within(members, n_models)
        if len(members) >= 3 and usable(sub, sub):
            return sub
    raise InsufficientDataError(
        f"no bootstrap resample of the {len(rated)} rated models in 100 draws kept 3 distinct "
        "models with a decided preference among them, so the rank spread of suggest cannot be "
        "measured; give preferences about more models (at least 3, with decided pairs)."
    )


def rank_spread(refits: ScoreRefits, rows: np.ndarray) -> np.ndarray:
    """[len(rows)] standard deviation over refits of each model's standardized aligned score,
    ``(score - mean of the rated models' scores) / their sd`` in each refit: how much the refits
    disagree about where it ranks relative to the rated models, in rated-model sds. Unlike a
    percentile it keeps growing beyond the rated models' range (a model above every rated one
    whose lead depends on the weights still counts). A model a refit cannot score counts 0."""
    ref = refits.scores[:, refits.rated]
    mu = np.nanmean(ref, axis=1, keepdims=True)
    sd = np.nanstd(ref, axis=1, keepdims=True)
    z = (refits.scores[:, rows] - mu) / np.where(sd > 0, sd, 1.0)
    return np.nan_to_num(z, nan=0.0).std(axis=0)


def nearest_distance(emb: np.ndarray, rows: np.ndarray, to: np.ndarray) -> np.ndarray:
    """[len(rows)] Euclidean distance from each of ``rows`` to the nearest of ``to`` in ``emb``."""
    a, b = emb[rows], emb[to]
    d2 = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(d2.min(axis=1), 0.0))


def novelty_scale(emb: np.ndarray, rated: np.ndarray) -> float:
    """Median distance from a rated model to its nearest other rated model (> 0)."""
    a = emb[rated]
    d2 = (a**2).sum(1)[:, None] + (a**2).sum(1)[None, :] - 2.0 * a @ a.T
    np.fill_diagonal(d2, np.inf)
    med = float(np.median(np.sqrt(np.maximum(d2.min(axis=1), 0.0))))
    return med if med > 0 else 1.0


def greedy_pick(spread: np.ndarray, dist: np.ndarray, emb_cand: np.ndarray, scale: float,
                budget: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, novelty at pick) of ``budget`` candidates picked by ``spread × novelty``, each
    pick counting as rated for the novelty of the rest. Ties go to the lower position."""
    dist = dist.copy()
    taken = np.zeros(len(spread), dtype=bool)
    order, nov = [], []
    for _ in range(budget):
        value = np.where(taken, -np.inf, spread * dist / scale)
        j = int(np.argmax(value))
        order.append(j)
        nov.append(dist[j] / scale)
        taken[j] = True
        dist = np.minimum(dist, np.sqrt(((emb_cand - emb_cand[j]) ** 2).sum(axis=1)))
    return np.asarray(order, dtype=np.int64), np.asarray(nov)


def suggest(results: Results, preferences: Preferences | Linked, budget: int, *,
            unit: str = "models", n_boot: int = 20, seed: int = 0,
            candidates: np.ndarray | list[str] | None = None,
            embedding: np.ndarray | None = None,
            aligner_params: dict | None = None) -> Suggestions:
    """The ``budget`` models to get rated next (or model pairs to compare next), best first.

    results, preferences : as for :meth:`BenchmarkAligner.fit` (preferences by name or linked).
    unit : "models" or "pairs". n_boot : bootstrap refits (>= 2). seed : every random choice.
    candidates : model names that may be suggested (default: every unrated model with a result,
        except those :func:`benchalign.check.degenerate_models` flags, listed in
        :attr:`Suggestions.left_out`: a constant or judge-gaming entry is no model to get rated).
    embedding : [n_models, k] precomputed :func:`results_embedding` (to reuse across calls).

    Returns :class:`Suggestions`; ``score`` in its table is the aligned score of the fit on every
    rated model, in the benchmark's units.
    """
    _check_params(unit, n_boot, seed)
    linked = preferences if isinstance(preferences, Linked) else link(results, preferences)
    cand, left_out = _candidate_rows(results, linked.rated, candidates, needed=unit == "models")
    n_options = len(cand) if unit == "models" else None
    check_param("suggest", "budget", budget,
                isinstance(budget, (int, np.integer)) and budget >= 1, "an int >= 1")
    if n_options is not None and budget > n_options:
        raise InsufficientDataError(
            f"budget {budget} is more than the {n_options} unrated models that could be rated; "
            f"pass --budget {n_options} or less."
        )
    refits = bootstrap_refits(results, linked.pairs, n_boot=n_boot, seed=seed)
    params = {"random_state": seed, **(aligner_params or {})}
    full = BenchmarkAligner(**params).fit(results, linked.pairs).predict(results)
    refits = ScoreRefits(refits.scores, refits.rated, full)
    emb = results_embedding(results) if embedding is None else embedding
    if unit == "models":
        table = _model_table(results, refits, emb, cand, budget)
    else:
        table = _pair_table(results, linked.pairs, refits, emb, cand, budget)
    return Suggestions(table, unit, list(left_out))


def _check_params(unit: str, n_boot: int, seed: int) -> None:
    check_param("suggest", "unit", unit, unit in UNITS, 'one of "models", "pairs"')
    check_param("suggest", "n_boot", n_boot,
                isinstance(n_boot, (int, np.integer)) and n_boot >= 2, "an int >= 2")
    check_param("suggest", "seed", seed, isinstance(seed, (int, np.integer)) and seed >= 0,
                "an int >= 0")


def _candidate_rows(results: Results, rated: np.ndarray, candidates: np.ndarray | list[str] | None,
                    needed: bool = True) -> tuple[np.ndarray, list[str]]:
    """Rows that may be suggested: unrated, with at least one observed result; and the names of
    the unrated models left out because the check finds them degenerate (default candidates only).
    needed : none is an error (suggesting models); suggesting pairs can do with the rated ones."""
    has = results.observed_count() > 0
    is_rated = np.zeros(results.n_models, dtype=bool)
    is_rated[rated] = True
    left_out: list[str] = []
    if candidates is None:
        degenerate = np.zeros(results.n_models, dtype=bool)
        degenerate[degenerate_models(results)] = True
        left_out = results.models[has & ~is_rated & degenerate].astype(str).tolist()
        rows = np.flatnonzero(has & ~is_rated & ~degenerate)
    else:
        names = np.asarray(candidates, dtype=str)
        rows = results.index_of(names)
        if (rows < 0).any():
            raise InsufficientDataError(
                f"{int((rows < 0).sum())} candidate models are not in the results: "
                f"{format_rows(names[rows < 0].tolist())}. Fix their names or leave them out."
            )
        rows = np.unique(rows[has[rows] & ~is_rated[rows]])
    if len(rows) == 0 and needed:
        raise InsufficientDataError(
            "there is no unrated model with results to suggest: every model of the results "
            "already has preferences. Add the results of models you could get rated."
        )
    return rows, left_out


def rank_models(refits: ScoreRefits, emb: np.ndarray, cand: np.ndarray,
                budget: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, rank_sd, novelty), each [budget]: the ``budget`` candidate rows of ``cand`` in the
    order :func:`suggest` picks them (greedy ``rank_sd × novelty``), with the two numbers behind
    each pick. The one ranking of models that :func:`suggest` and the active curve share."""
    spread = rank_spread(refits, cand)
    scale = novelty_scale(emb, refits.rated)
    dist = nearest_distance(emb, cand, refits.rated)
    order, nov = greedy_pick(spread, dist, emb[cand], scale, budget)
    return cand[order], spread[order], nov


def _model_table(results: Results, refits: ScoreRefits, emb: np.ndarray, cand: np.ndarray,
                 budget: int) -> pd.DataFrame:
    rows, sd, nov = rank_models(refits, emb, cand, budget)
    n_boot = len(refits.scores)
    reasons = [f"its place among the rated models varies by {s:.2f} rated-model sds over "
               f"{n_boot} bootstrap refits; {v:.2f}x as far from the nearest rated model as "
               "rated models are from each other" for s, v in zip(sd, nov)]
    return pd.DataFrame({
        "rank": np.arange(1, budget + 1), "model": results.models[rows], "value": sd * nov,
        "rank_sd": sd, "novelty": nov, "score": refits.full[rows], "reason": reasons,
    })


def _pair_table(results: Results, pairs: PairSet, refits: ScoreRefits, emb: np.ndarray,
                cand: np.ndarray, budget: int) -> pd.DataFrame:
    pool = _pair_pool(refits, emb, cand)
    ia, ib = np.triu_indices(len(pool), k=1)
    a, b = pool[ia], pool[ib]
    seen = set(zip(np.minimum(pairs.a, pairs.b).tolist(), np.maximum(pairs.a, pairs.b).tolist()))
    new = np.array([(min(x, y), max(x, y)) not in seen for x, y in zip(a.tolist(), b.tolist())],
                   dtype=bool)
    a, b = a[new], b[new]
    if len(a) == 0:
        raise InsufficientDataError(
            f"every pair of the {len(pool)} models considered (the rated ones and the "
            f"{PAIR_POOL} most valuable unrated ones) has been compared: no pair to suggest. "
            "Suggest models to rate (--unit models) once there are unrated models.")
    if budget > len(a):
        raise InsufficientDataError(
            f"budget {budget} is more than the {len(a)} pairs not yet compared among the rated "
            f"and the {PAIR_POOL} most valuable unrated models; pass --budget {len(a)} or less."
        )
    above = (refits.scores[:, a] > refits.scores[:, b]).mean(axis=0)
    flip = np.minimum(above, 1.0 - above)
    gap = np.abs(refits.full[a] - refits.full[b])
    order = np.lexsort((np.nan_to_num(gap, nan=np.inf), -flip))[:budget]
    reasons = [f"{f:.0%} of {len(refits.scores)} refits order this pair the other way; aligned "
               f"scores differ by {g:.4f}" for f, g in zip(flip[order], gap[order])]
    return pd.DataFrame({
        "rank": np.arange(1, budget + 1), "model_a": results.models[a[order]],
        "model_b": results.models[b[order]], "value": flip[order], "flip": flip[order],
        "score_a": refits.full[a[order]], "score_b": refits.full[b[order]], "reason": reasons,
    })


def _pair_pool(refits: ScoreRefits, emb: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """The rated models and the :data:`PAIR_POOL` most valuable candidates (sorted rows)."""
    if len(cand) == 0:  # every model is rated: pairs among them only
        return np.sort(refits.rated)
    rows, _, _ = rank_models(refits, emb, cand, min(PAIR_POOL, len(cand)))
    return np.union1d(refits.rated, rows)


"""Data that is readable but suspicious: each check returns a one-line finding, or None.

Nothing here refuses data. ``fit``, ``evaluate``, ``report`` and ``prune`` turn the findings into
:class:`~benchalign.errors.DataWarning`\\ s (:func:`warn_findings`); ``benchalign check`` lists them.
Each check is one small function of the validated containers of :mod:`benchalign.data`.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .check import distinct_rows
from .data import ELO_SCALE, Linked, Results
from .errors import DataWarning, format_rows

UNIT_SCALE_SHARE = 0.5
"""A scale mix is reported when at least this share of models keep every score in [0, 1]."""


def few_items(results: Results) -> str | None:
    """A single question: there is nothing to weight (were --results and --preferences swapped?)."""
    if results.n_items > 1:
        return None
    return (f"the results hold a single item ({results.items[0]!r}); there is nothing to weight. "
            "Were --results and --preferences swapped?")


def disjoint_rated_models(results: Results, linked: Linked) -> str | None:
    """Rated models fall into groups that share no item, so their scores are not comparable."""
    if results.observed is None or len(linked.rated) < 2:
        return None
    rows, cols = np.nonzero(results.observed[linked.rated])
    n_rated = len(linked.rated)
    graph = coo_matrix((np.ones(len(rows)), (rows, n_rated + cols)),
                       shape=(n_rated + results.n_items,) * 2)
    _, labels = connected_components(graph, directed=False)
    groups = np.unique(labels[:n_rated])
    if len(groups) < 2:
        return None
    shown = [f"[{format_rows(sorted(results.models[linked.rated][labels[:n_rated] == g]), 3)}]"
             for g in groups[:2]]
    return (f"the rated models form {len(groups)} groups that share no item, e.g. {shown[0]} and "
            f"{shown[1]}: their scores are on different questions and cannot be compared. Give "
            "the models results on common items.")


def scale_mix(results: Results) -> str | None:
    """Most models score in [0, 1] but some exceed it (a model reported in percent?)."""
    values = results.values  # unobserved cells hold 0
    top = np.maximum(values.max(axis=1), -values.min(axis=1)).astype(np.float64)
    unit = top <= 1.0
    if unit.mean() < UNIT_SCALE_SHARE or unit.all():
        return None
    odd = results.models[~unit]
    return (f"{unit.sum()} of {results.n_models} models score within [0, 1] but {len(odd)} exceed "
            f"it ({format_rows(odd.tolist(), 3)}, up to {top.max():g}): are those on a 0-100 scale? "
            "Put every model on one scale.")


def identical_models(results: Results) -> str | None:
    """Models whose results are identical cell for cell (copies, or runs that failed alike):
    rows equal in their scores and their observed cells (one sort of the rows' bytes)."""
    cells = results.values.view(np.uint8).reshape(results.n_models, -1)
    if results.observed is not None:
        cells = np.concatenate([cells, results.observed.view(np.uint8)], axis=1)
    first, group = distinct_rows(cells)
    size = np.bincount(group, minlength=len(first))
    shared = np.flatnonzero(size > 1)
    if len(shared) == 0:
        return None
    if size[shared[0]] == results.n_models:
        return (f"all {results.n_models} models have identical results: no weighting can tell them "
                "apart.")
    shown_groups = shared[np.argsort(first[shared], kind="stable")][:2]  # in file order
    shown = [f"[{format_rows(sorted(results.models[group == g].tolist()), 3)}]" for g in shown_groups]
    return (f"{int(size[shared].sum())} models share identical results in {len(shared)} group(s), "
            f"e.g. {', '.join(shown)}: the same model twice, or runs that failed alike? Any "
            "weighting ties them.")


def percent_ratings(ratings: np.ndarray, scale: float) -> str | None:
    """Ratings in [0, 100] (win rates in percent) read on the Elo scale become near-ties."""
    finite = ratings[np.isfinite(ratings)]
    if scale != ELO_SCALE or len(finite) < 2 or finite.min() < 0 or finite.max() > 100:
        return None
    gap = float(np.ptp(finite))
    odds = 1.0 / (1.0 + np.exp(-gap / scale))
    return (f"the ratings lie in [0, 100] like percentages; on the Elo scale ({scale:.1f} per "
            f"logit) their largest gap ({gap:g}) means only {odds:.0%}:{1 - odds:.0%} odds. If "
            "they are win rates, pass --rating-scale (e.g. 10 for percentage points).")


def findings(results: Results, linked: Linked, rating_scale: float = ELO_SCALE) -> list[str]:
    """Every finding of this module about a pair of linked inputs."""
    checks = [few_items(results), disjoint_rated_models(results, linked), scale_mix(results),
              identical_models(results), percent_ratings(linked.ratings, rating_scale)]
    return [c for c in checks if c is not None]


def warn_findings(messages: list[str]) -> None:
    """Each finding as a :class:`DataWarning`."""
    for message in messages:
        warnings.warn(message, DataWarning, stacklevel=2)

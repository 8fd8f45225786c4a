"""Shared fixtures: small generated data with a planted question weighting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from benchalign.data import Results, preferences_from_frame


@dataclass
class Planted:
    results: Results
    ratings: pd.DataFrame
    true_weights: np.ndarray
    true_scores: np.ndarray


def make_planted(n_models: int = 60, n_items: int = 40, seed: int = 0, missing: float = 0.0,
                 noise: float = 0.0) -> Planted:
    """0/1 results from a 2-ability IRT model; ratings follow a planted weighting of the items.

    The first quarter of the items ("pref" benchmark) measure the ability that preferences
    reward; the rest ("other") measure another ability.
    """
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=(n_models, 2))
    n_pref = n_items // 4
    loading = np.zeros((n_items, 2))
    loading[:n_pref, 0] = 1.0
    loading[n_pref:, 1] = 1.0
    difficulty = rng.normal(size=n_items)
    p = 1.0 / (1.0 + np.exp(-(ability @ loading.T * 1.5 - difficulty)))
    values = (rng.random(p.shape) < p).astype(np.float32)
    observed = None
    if missing > 0:
        observed = rng.random(values.shape) >= missing
        observed[:, 0] = True  # every model keeps at least one item
        values = np.where(observed, values, 0).astype(np.float32)
    true_w = np.zeros(n_items)
    true_w[:n_pref] = 1.0 / n_pref
    true_scores = p @ true_w
    models = np.array([f"m{i:03d}" for i in range(n_models)], dtype=object)
    items = np.array([f"{'pref' if j < n_pref else 'other'}/q{j:03d}" for j in range(n_items)], dtype=object)
    benchmarks = np.array([i.split("/")[0] for i in items], dtype=object)
    results = Results(models, items, benchmarks, values, observed)
    rating = 1000 + 400 * (true_scores + noise * rng.normal(size=n_models))
    ratings = pd.DataFrame({"model": models, "rating": rating})
    return Planted(results, ratings, true_w, true_scores)


def make_two_sided(n_models: int = 80, seed: int = 4) -> tuple[Results, pd.DataFrame]:
    """Results where half the 40 items reward an ability and half its absence (e.g. a refusal
    rate), so either direction of preference can be represented with non-negative weights; and
    ratings that follow the ability."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=n_models)
    p = 1 / (1 + np.exp(-(ability[:, None] - rng.normal(size=20)[None, :])))
    names = np.array([f"m{i:02d}" for i in range(n_models)], dtype=object)
    results = Results(names, np.array([f"b/q{j:02d}" for j in range(40)], dtype=object),
                      np.full(40, "b", dtype=object), np.hstack([p, 1 - p]).astype(np.float32))
    return results, pd.DataFrame({"model": names, "rating": 1000 + 100 * ability})


@pytest.fixture(autouse=True)
def no_progress_lines(monkeypatch):
    """Commands run in-process print no progress lines: a stage line appears only when a stage
    runs longer than a delay, which would make their output depend on the machine's speed.
    tests/test_reliability.py checks the lines themselves."""
    from benchalign.cli import common

    monkeypatch.setattr(common, "PROGRESS_DELAY", None)


@pytest.fixture
def planted() -> Planted:
    return make_planted()


@pytest.fixture
def planted_prefs(planted: Planted):
    return preferences_from_frame(planted.ratings)


def write_long(results: Results, path) -> None:
    results.to_long().to_csv(path, index=False)

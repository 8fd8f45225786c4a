"""Shared fixtures: small generated data with a planted question weighting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from benchalign.data import Results, link, preferences_from_frame
from benchalign.metrics import pairwise_accuracy
from benchalign.objective import model_scores


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


@pytest.fixture(scope="session")
def skills():
    """Simulated planted weights tied to one skill of 4 (160 questions); 300 of 1,500 models rated.
    Returns (SimulatedData, Linked)."""
    from benchalign.simulate import simulate

    d = simulate(1500, {"a": 60, "b": 60, "c": 40}, n_rated=300, missing=0.1, noise=0.1,
                 planted="skills", seed=3)
    return d, link(d.results, d.preferences)


def skill_split(linked, n_train: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(100 held-out rated models, ``n_train`` training ones), sorted rows, from a seeded shuffle."""
    perm = np.random.default_rng(seed).permutation(linked.rated)
    return np.sort(perm[:100]), np.sort(perm[100:100 + n_train])


def gap_accuracies(data, test_pairs, **weights: np.ndarray) -> dict[str, float]:
    """Held-out pairwise accuracy of the uniform mean, the planted weights ("oracle") and each
    named weighting of the simulated ``data``."""
    res = data.results
    weights = {"uniform": np.full(res.n_items, 1 / res.n_items), "oracle": data.true_weights, **weights}
    return {name: pairwise_accuracy(model_scores(w, values=res.values, observed=res.observed)[0], test_pairs)
            for name, w in weights.items()}

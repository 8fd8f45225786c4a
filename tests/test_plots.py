"""Figures: every line that can appear in one figure has a color of its own."""

from __future__ import annotations

import base64
import itertools

import pandas as pd
import pytest

from benchalign.report import plots
from benchalign.evaluation.baselines import METHODS, VARIANTS
from benchalign.prune import CONTROL, PRUNED
from benchalign.suggest.curve import STRATEGIES

GROUPS = {
    "evaluate methods": [*METHODS, *VARIANTS],
    "pruning curve": [PRUNED, CONTROL],
    "active curve": list(STRATEGIES),
}


@pytest.mark.parametrize("group", GROUPS)
def test_lines_drawn_together_have_distinct_colors(group):
    names = GROUPS[group]
    missing = [n for n in names if n not in plots.COLORS]
    assert not missing, f"{group}: no color for {missing} (they would share the fallback grey)"
    shared = [(a, b) for a, b in itertools.combinations(names, 2)
              if plots.color(a).lower() == plots.color(b).lower()]
    assert not shared, f"{group}: {shared} share a color"
    assert plots.FALLBACK.lower() not in {plots.color(n).lower() for n in names}


def test_learning_curve_draws_coverage_and_correlation_apart():
    frame = pd.DataFrame({"n_train": [5, 10] * 2, "line": ["coverage"] * 2 + ["correlation"] * 2,
                          "pairwise_accuracy": [0.6, 0.7, 0.65, 0.75]})
    uri = plots.accuracy_lines(frame, "n_train", "training models", "curve", xticks=[5, 10])
    svg = base64.b64decode(uri.split(",", 1)[1]).decode().lower()
    assert plots.color("coverage").lower() in svg and plots.color("correlation").lower() in svg
    assert plots.color("coverage") != plots.color("correlation")

"""The page of `benchalign suggest --report` (benchalign.report.suggest): the verdict states the
curve's actual target."""

from __future__ import annotations

import numpy as np

from benchalign.suggest import curve as suggest_curve
from benchalign.report.suggest import curve_html
from benchalign.suggest.curve import STRATEGIES, ActiveCurve


def _curve(start: int = 3, pool: int = 20) -> ActiveCurve:
    """A made-up curve (3 repetitions) rising to 0.8 with every strategy: no fit needed."""
    counts = np.arange(start, pool + 1)
    rise = 0.8 - 0.2 * (pool - counts) / (pool - start)
    rng = np.random.default_rng(0)
    curves = {s: np.clip(rise + 0.01 * rng.standard_normal((3, len(counts))), 0, 1)
              for s in STRATEGIES}
    return ActiveCurve(curves, start, pool, 5, 0, "auto")


def test_verdict_states_the_target_share_it_uses(monkeypatch):
    page = curve_html(_curve())
    assert "the target is to reach it with 12 (at most 60 % of the 20" in page
    monkeypatch.setattr(suggest_curve, "TARGET_SHARE", 0.25)
    page = curve_html(_curve())
    assert "the target is to reach it with 5 (at most 25 % of the 20" in page
    assert "60 %" not in page

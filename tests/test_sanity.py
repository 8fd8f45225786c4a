"""Suspicious-but-readable data: each check of benchalign.sanity finds its case and only it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchalign import sanity
from benchalign.data import ELO_SCALE, link, preferences_from_frame, results_from_long


def _results(rows: list[tuple[str, str, float]]):
    frame = pd.DataFrame(rows, columns=["model", "item", "score"])
    frame["benchmark"] = "b"
    return results_from_long(frame[["model", "benchmark", "item", "score"]])


def _clean():
    rng = np.random.default_rng(0)
    return _results([(f"m{m}", f"q{q}", float(rng.integers(0, 2))) for m in range(6) for q in range(20)])


def _ratings(models, values):
    return preferences_from_frame(pd.DataFrame({"model": models, "rating": values}))


def test_clean_data_has_no_finding():
    res = _clean()
    linked = link(res, _ratings([f"m{m}" for m in range(6)], [1000 + 40 * m for m in range(6)]))
    assert sanity.findings(res, linked) == []


def test_each_check_names_what_is_wrong():
    single = _results([("a", "rating", 1.0), ("b", "rating", 2.0)])
    assert "single item ('rating')" in sanity.few_items(single)
    mixed = _results([(f"m{m}", f"q{q}", (q + m) % 2 * (100.0 if m == 3 else 1.0)) for m in range(6) for q in range(4)])
    assert "exceed it (m3, up to 100)" in sanity.scale_mix(mixed)
    same = _results([(f"m{m}", f"q{q}", float(q % 2 if m < 2 else (q + m) % 3)) for m in range(5) for q in range(6)])
    assert "2 models share identical results in 1 group(s), e.g. [m0, m1]" in sanity.identical_models(same)
    assert sanity.identical_models(_clean()) is None
    split = _results([(f"m{m}", f"q{q + 10 * (m // 3)}", float((m + q) % 2)) for m in range(6) for q in range(3)])
    linked = link(split, _ratings([f"m{m}" for m in range(6)], [1000 + 40 * m for m in range(6)]))
    assert "2 groups that share no item, e.g. [m0, m1, m2] and [m3, m4, m5]" in sanity.disjoint_rated_models(split, linked)
    pct = np.array([12.0, 48.5, 90.0, np.nan])
    assert "like percentages" in sanity.percent_ratings(pct, ELO_SCALE)
    assert sanity.percent_ratings(pct, 10.0) is None
    assert sanity.percent_ratings(np.array([1100.0, 1250.0]), ELO_SCALE) is None

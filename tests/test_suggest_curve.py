"""The active curve (benchalign.suggest.curve) and the page of `benchalign suggest --report`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchalign.cli import cli
from benchalign.data import link, preferences_from_frame
from benchalign.errors import InsufficientDataError, ParameterError
from benchalign.suggest.curve import STRATEGIES, active_curve, curve_sizes, curve_summary

from .conftest import make_planted, write_long


@pytest.fixture(scope="module")
def case():
    """40 planted models, the first 12 rated."""
    p = make_planted(n_models=40, n_items=24, seed=4)
    prefs = preferences_from_frame(p.ratings.iloc[:12])
    return p.results, link(p.results, prefs), prefs


@pytest.fixture(scope="module")
def curve(case):
    results, linked, _ = case
    return active_curve(results, linked, reps=2, seed=3)


def test_curve_is_deterministic_with_a_seed(case, curve):
    results, linked, _ = case
    again = active_curve(results, linked, reps=2, seed=3)
    assert list(curve.curves) == list(STRATEGIES)
    for name in STRATEGIES:
        np.testing.assert_array_equal(curve.curves[name], again.curves[name])


def test_strategies_share_held_out_and_start_models(curve):
    """Same start models: equal first columns; same held-out and pool: equal last columns (every
    pool model revealed), per repetition."""
    assert (curve.test, curve.pool, curve.start) == (4, 8, 3)
    first = np.stack([c[:, 0] for c in curve.curves.values()])
    last = np.stack([c[:, -1] for c in curve.curves.values()])
    assert (first == first[0]).all() and (last == last[0]).all()
    assert all(c.shape == (2, curve.pool - curve.start + 1) for c in curve.curves.values())
    assert all(((c >= 0) & (c <= 1)).all() for c in curve.curves.values())


def test_summary_has_paired_intervals_against_random(curve):
    summary = curve_summary(curve)
    assert summary["k_target"] == 4
    assert summary["all"] == pytest.approx(curve.curves["random"][:, -1].mean())
    for name, row in summary["strategies"].items():
        m, lo, hi = row["at_target"]
        assert lo <= m <= hi
        assert ("vs_random" in row) == (name != "random")


@pytest.mark.parametrize("kwargs", [{"reps": 0}, {"method": "ranknet"}, {"strategies": ["best"]},
                                    {"strategies": []}, {"test": 1}, {"start": 1},
                                    {"n_boot": 1}])
def test_bad_parameters_name_the_parameter(case, kwargs):
    results, linked, _ = case
    with pytest.raises(ParameterError, match=list(kwargs)[0]):
        active_curve(results, linked, **kwargs)


def test_too_few_rated_models_is_a_typed_error():
    with pytest.raises(InsufficientDataError, match="needs 7 rated models.*rate 6"):
        curve_sizes(6, test=3)
    assert curve_sizes(33) == (10, 23) and curve_sizes(11) == (4, 7)


def _write(tmp_path, case):
    results, _, prefs = case
    write_long(results, tmp_path / "r.csv")
    pd.DataFrame({"model": prefs.models, "rating": np.linspace(1000, 1300, len(prefs.models))}
                 ).to_csv(tmp_path / "p.csv", index=False)
    return ["suggest", "--results", str(tmp_path / "r.csv"), "--preferences",
            str(tmp_path / "p.csv"), "--budget", "3", "--seed", "1"]


def test_report_page_holds_suggestions_and_curve(tmp_path, case):
    args = _write(tmp_path, case)
    out = CliRunner().invoke(cli, args + ["--report", str(tmp_path / "s.html"),
                                          "--curve-reps", "2"])
    assert out.exit_code == 0, out.output
    page = (tmp_path / "s.html").read_text()
    names = [line.split(". ", 1)[1].split("  (value")[0] for line in out.stdout.splitlines()]
    assert len(names) == 3 and all(f">{n}<" in page for n in names)
    assert 'data-section="suggestions"' in page and 'data-section="curve"' in page
    assert "data:image/svg+xml;base64," in page and "2 repetitions, seed 1" in page
    assert all(f"<b>{s}</b>" in page for s in STRATEGIES)
    again = CliRunner().invoke(cli, args + ["--report", str(tmp_path / "s.html")])
    assert again.exit_code == 2 and "--force" in again.output


def test_curve_reps_needs_report_and_at_least_2(tmp_path, case):
    args = _write(tmp_path, case)
    alone = CliRunner().invoke(cli, args + ["--curve-reps", "3"])
    assert alone.exit_code == 2 and "--report" in alone.output
    one = CliRunner().invoke(cli, args + ["--report", str(tmp_path / "s.html"), "--curve-reps", "1"])
    assert one.exit_code == 2 and not (tmp_path / "s.html").exists()

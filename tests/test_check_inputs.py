"""Rating inputs checked by check's issue: the rating scale, rating intervals as uncertainty-aware
targets, the too-many-pairs guard; and the `check` command with fit and report around it."""

from __future__ import annotations

import json
import math
import re
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import beta as beta_dist

from benchalign import data
from benchalign.check import check
from benchalign.cli import cli
from benchalign.data import ELO_SCALE, Z975, check_pair_count, preferences_from_frame
from benchalign.errors import DataValidationError, DataWarning, InputFormatError, InsufficientDataError
from benchalign.errors import ParameterError
from benchalign.report.text import format_table
from .conftest import make_planted, write_long

RATINGS = pd.DataFrame({"model": ["a", "b", "c"], "rating": [1000.0, 1040.0, 1200.0]})


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# --------------------------------------------------------------------------------------------------
# Rating scale (issue 19 item 1) and the pairs guard (item 7)
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [-1.0, 0.0, math.nan, math.inf, -math.inf])
def test_rating_scale_must_be_finite_and_positive(scale):
    with pytest.raises(ParameterError, match=r"rating_scale \(--rating-scale\).*finite number > 0"):
        preferences_from_frame(RATINGS, rating_scale=scale)


def test_rating_scale_orders_targets_the_right_way():
    prefs = preferences_from_frame(RATINGS, rating_scale=100.0)
    assert prefs.pairs.target == pytest.approx(1 / (1 + np.exp(-np.array([-40, -200, -160]) / 100)))


@pytest.mark.parametrize("scale", ["-1", "0", "nan", "inf"])
def test_cli_rating_scale_is_a_one_line_error(tmp_path, scale):
    d = make_planted(n_models=12, n_items=10)
    write_long(d.results, tmp_path / "r.csv")
    d.ratings.to_csv(tmp_path / "p.csv", index=False)
    res = run("fit", "--results", str(tmp_path / "r.csv"), "--preferences", str(tmp_path / "p.csv"),
              "-o", str(tmp_path / "b.json"), "--rating-scale", scale)
    assert res.exit_code == 2 and res.output.count("\n") == 1, res.output
    assert "--rating-scale" in res.output and "finite number > 0" in res.output
    assert not (tmp_path / "b.json").exists()


def test_too_many_rating_pairs_refused_before_building_them():
    n = 20_000
    frame = pd.DataFrame({"model": [f"m{i}" for i in range(n)], "rating": np.arange(n, dtype=float)})
    tracemalloc.start()
    try:
        with pytest.raises(InsufficientDataError) as info:
            preferences_from_frame(frame)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "20,000 rated models make 199,990,000 rating pairs" in str(info.value)
    assert f"{data.MAX_RATING_PAIRS:,}" in str(info.value) and "pairs or battles" in str(info.value)
    assert peak < 100e6          # the 2e8 pairs would take over 6 GB
    assert check_pair_count(7_000, "x") == 7_000 * 6_999 // 2


def test_pair_limit_is_the_documented_one(monkeypatch):
    monkeypatch.setattr(data, "MAX_RATING_PAIRS", 2)
    with pytest.raises(InsufficientDataError, match="3 rated models make 3 rating pairs"):
        preferences_from_frame(RATINGS)


# --------------------------------------------------------------------------------------------------
# Uncertainty-aware targets
# --------------------------------------------------------------------------------------------------


def with_interval(frame: pd.DataFrame, sd: list[float], names=("rating_q025", "rating_q975")) -> pd.DataFrame:
    half = Z975 * np.asarray(sd)
    return frame.assign(**{names[0]: frame["rating"] - half, names[1]: frame["rating"] + half})


def test_intervals_are_read_as_standard_errors_and_targets_stay_bradley_terry():
    sd = np.array([10.0, 30.0, 5.0])
    r = RATINGS["rating"].to_numpy()
    a, b = np.triu_indices(3, 1)
    bradley_terry = 1 / (1 + np.exp(-(r[a] - r[b]) / ELO_SCALE))
    default = preferences_from_frame(with_interval(RATINGS, sd.tolist()))   # intervals read, BT targets
    assert default.rating_sd == pytest.approx(sd) and default.pairs.target == pytest.approx(bradley_terry)
    plain = preferences_from_frame(with_interval(RATINGS, sd.tolist()), use_uncertainty=False)
    assert plain.rating_sd is None and plain.pairs.target == pytest.approx(bradley_terry)


def test_named_interval_columns_and_their_errors():
    frame = with_interval(RATINGS, [10, 10, 10], names=("lo", "hi"))
    prefs = preferences_from_frame(frame, interval_columns=("lo", "hi"))
    assert prefs.rating_sd == pytest.approx([10, 10, 10])
    with pytest.raises(InputFormatError, match="rating intervals need two columns.*rating_q975 missing"):
        preferences_from_frame(RATINGS.assign(rating_q025=900.0))
    with pytest.raises(InputFormatError, match="--rating-interval-columns"):
        preferences_from_frame(RATINGS, interval_columns=("lo", "hi"))
    swapped = frame.rename(columns={"lo": "rating_q975", "hi": "rating_q025"})
    with pytest.raises(DataValidationError, match="do not contain their rating at line 2"):
        preferences_from_frame(swapped)


def test_cli_interval_options(tmp_path):
    d = make_planted(n_models=20, n_items=16)
    write_long(d.results, tmp_path / "r.csv")
    with_interval(d.ratings, [15.0] * 20, names=("low", "high")).to_csv(tmp_path / "p.csv", index=False)
    args = ["check", "--results", str(tmp_path / "r.csv"), "--preferences", str(tmp_path / "p.csv")]
    res = run(*args, "--rating-interval-columns", "low,high", "--json", str(tmp_path / "c.json"))
    assert res.exit_code == 0, res.output
    ceiling = json.loads((tmp_path / "c.json").read_text())["ceiling"]
    assert ceiling["pairwise_accuracy"] > 0.5 and ceiling["source"].startswith("rating intervals")
    res = run(*args, "--rating-interval-columns", "low,high", "--ignore-uncertainty")
    assert "noise ceiling: unknown" in res.output
    res = run(*args, "--rating-interval-columns", "low")
    assert res.exit_code == 2 and "LOW,HIGH" in res.output


# --------------------------------------------------------------------------------------------------
# The command, and fit / report / evaluate around it
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("check")
    d = make_planted(n_models=40, n_items=40, seed=3)
    write_long(d.results, tmp / "clean.csv")
    d.ratings.to_csv(tmp / "prefs.csv", index=False)
    long = d.results.to_long()
    long.loc[long["model"] == "m005", "score"] *= 100
    long.to_csv(tmp / "scaled.csv", index=False)
    return tmp


def test_check_exit_status_like_a_linter(files, tmp_path):
    prefs = str(files / "prefs.csv")
    clean = run("check", "--results", str(files / "clean.csv"), "--preferences", prefs,
                "--json", str(tmp_path / "c.json"))
    assert clean.exit_code == 0, clean.output
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc["schema"] == "benchalign.check/1" and doc["summary"]["counts"]["error"] == 0
    bad = run("check", "--results", str(files / "scaled.csv"), "--preferences", prefs)
    assert bad.exit_code == 1 and bad.output.startswith("error: [scale-mix]") and "m005" in bad.output
    unreadable = run("check", "--results", str(tmp_path / "nope.csv"), "--preferences", prefs)
    assert unreadable.exit_code == 2 and unreadable.output.startswith("error: ")


def test_fit_prints_each_finding_once(tmp_path):
    d = make_planted(n_models=30, n_items=24, seed=5)
    write_long(d.results, tmp_path / "r.csv")
    m = ["m001", "m002", "m003"]
    pairs = pd.DataFrame({"winner": ["m010", "m011"] + [m[0], m[1], m[2]] * 20,
                          "loser": ["m012", "m013"] + [m[1], m[2], m[0]] * 20})
    pairs.to_csv(tmp_path / "p.csv", index=False)
    res = CliRunner().invoke(cli, ["fit", "--results", str(tmp_path / "r.csv"), "--preferences",
                                   str(tmp_path / "p.csv"), "-o", str(tmp_path / "b.json")])
    assert res.exit_code == 0, res.output
    assert res.output.count("[preference-cycles]") == 1
    assert "cycle group" in res.output and res.output.count("cycle group") == 1   # not link's warning too


def test_evaluate_table_shows_the_ceiling():
    stat = {"mean": 0.8, "ci": [0.7, 0.9]}
    entry = {m: stat for m in ("pairwise_accuracy", "spearman", "kendall_tau_b")}
    report = {"splits": {"random": {"description": "d", "n_splits": 1, "n_train_models": 5.0,
                                    "n_test_models": 3.0, "methods": {"uniform": entry}}},
              "ceiling": {"random": 0.912}}
    assert re.search(r"\n  noise ceiling +0\.912  \(pairwise accuracy a perfect scorer", format_table(report))
    report["ceiling"] = {"random": None}
    assert "unknown" in format_table(report)


# --------------------------------------------------------------------------------------------------
# Stated pairs and counted comparisons
# --------------------------------------------------------------------------------------------------


def _consistent_pairs(d, weight: float) -> pd.DataFrame:
    """Every pair of models, the higher-rated one winning: a list without a contradiction."""
    order = d.ratings.sort_values("rating", ascending=False)["model"].tolist()
    i, j = np.triu_indices(len(order), 1)
    return pd.DataFrame({"winner": np.array(order)[i], "loser": np.array(order)[j], "weight": weight})


@pytest.mark.parametrize("weight", [1.0, 50.0])
def test_stated_pairs_are_certain_whatever_their_weight(weight):
    """A hand-stated, fully consistent pair list: a perfect scorer gets every pair, so the ceiling
    is 1 and the headroom is 1 minus the plain mean's accuracy. Reading weight 1 as one sampled
    comparison gave 0.818 (the Jeffreys posterior of 1 win of 1), below the plain mean, and the
    finding said no weighting could do better."""
    d = make_planted(n_models=30, n_items=40, seed=2)
    report = check(d.results, preferences_from_frame(_consistent_pairs(d, weight)))
    assert report.ceiling["pairwise_accuracy"] == 1.0
    assert report.ceiling["source"].startswith("stated pairs")
    plain = report.summary["plain_pairwise_accuracy"]
    assert plain < 0.97
    headroom = next(f for f in report.findings if f.code == "headroom")
    assert f"headroom is {1 - plain:+.3f}." in headroom.message
    assert "no weighting can be shown to do better" not in headroom.message


def test_pair_counts_read_weights_as_sampled_comparisons(tmp_path):
    d = make_planted(n_models=30, n_items=40, seed=2)
    once = preferences_from_frame(_consistent_pairs(d, 1.0), pair_counts=True)
    assert once.counted and not preferences_from_frame(_consistent_pairs(d, 1.0)).counted
    report = check(d.results, once)
    # one win of one comparison: P(true p > 1/2) under Beta(1.5, 0.5)
    assert report.ceiling["pairwise_accuracy"] == pytest.approx(1 - beta_dist(1.5, 0.5).cdf(0.5))
    assert report.ceiling["source"].startswith("comparison counts")
    many = check(d.results, preferences_from_frame(_consistent_pairs(d, 50.0), pair_counts=True))
    assert many.ceiling["pairwise_accuracy"] > 0.999999
    # the command line: --pair-counts, and battles count comparisons without it
    write_long(d.results, tmp_path / "r.csv")
    _consistent_pairs(d, 1.0).to_csv(tmp_path / "p.csv", index=False)
    args = ["check", "--results", str(tmp_path / "r.csv"), "--preferences", str(tmp_path / "p.csv")]
    assert "noise ceiling: 1.000" in run(*args).output
    assert "noise ceiling: 0.818" in run(*args, "--pair-counts").output
    pairs = _consistent_pairs(d, 1.0)
    battles = pd.DataFrame({"model_a": pairs["winner"], "model_b": pairs["loser"], "winner": "model_a"})
    assert check(d.results, preferences_from_frame(battles)).ceiling["pairwise_accuracy"] == \
        pytest.approx(report.ceiling["pairwise_accuracy"])


def test_cycle_check_and_ceiling_share_one_rule():
    """A cycle among stated pairs contradicts the list whatever the weights (a warning); the same
    pairs read as 2 sampled comparisons each are a chance cycle (a note)."""
    d = make_planted(n_models=6, n_items=12, seed=0)
    m = d.results.models
    cycle = pd.DataFrame({"winner": [m[0], m[1], m[2]], "loser": [m[1], m[2], m[0]], "weight": 2.0})
    for counts, severity in ((False, "warning"), (True, "info")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            report = check(d.results, preferences_from_frame(cycle, pair_counts=counts))
        assert next(f for f in report.findings if f.code == "preference-cycles").severity == severity


def test_lists_are_sampled_comparisons():
    """Rankings and best-of-k choices are lists people gave one at a time: counted, like battles."""
    rankings = pd.DataFrame({"list_id": [1, 1, 1, 2, 2], "model": ["a", "b", "c", "a", "c"],
                             "rank": [1, 2, 3, 1, 2]})
    choices = pd.DataFrame({"list_id": [1, 1, 2, 2], "model": ["a", "b", "b", "c"], "chosen": [1, 0, 1, 0]})
    for frame in (rankings, choices):
        assert preferences_from_frame(frame).counted

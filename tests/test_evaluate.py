"""Held-out evaluation: splits, methods on the same splits, documented JSON schema."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchalign.evaluation.baselines import METHODS, ridge_loo
from benchalign.data import link, preferences_from_frame
from benchalign.errors import DataValidationError, DataWarning, InsufficientDataError, ParameterError
from benchalign.evaluation.heldout import evaluate
from benchalign.report.text import format_table
from benchalign.evaluation.splits import make_splits, parse_split
from benchalign.metrics import summarize

from .conftest import make_planted

FAST = {name: METHODS[name] for name in ("uniform", "benchmark_mean", "best_benchmark", "ridge", "random_subset")}


@pytest.fixture(scope="module")
def data():
    d = make_planted(n_models=40, n_items=48, seed=5, missing=0.2)
    return d, link(d.results, preferences_from_frame(d.ratings))


def test_parse_split_forms():
    assert parse_split("random").repeats == 20 and parse_split("random").fraction == 0.3
    assert parse_split("random:0.5:7").repeats == 7
    assert parse_split("size:13").threshold == 13.0
    spec = parse_split("group:organization:0.25:4")
    assert (spec.column, spec.fraction, spec.repeats) == ("organization", 0.25, 4)
    spec = parse_split("time:first_seen:2024-01-01")
    assert (spec.kind, spec.column, spec.date, spec.name) == (
        "time", "first_seen", "2024-01-01", "time:first_seen:2024-01-01")
    assert parse_split("time:t:2024-01-01T12:30").date == "2024-01-01T12:30"
    for bad in ("random:2", "size", "sized:3", "group:", "random:0.3:x", "time:first_seen",
                "time::2024-01-01", "time:first_seen:soon", "time:first_seen:"):
        with pytest.raises(ParameterError, match="random\\[:FRACTION"):
            parse_split(bad)


def test_random_splits_are_disjoint_deterministic_and_cover_the_fraction(data):
    d, linked = data
    s1 = make_splits(parse_split("random:0.3:5"), d.results, linked.rated, None, seed=1)
    s2 = make_splits(parse_split("random:0.3:5"), d.results, linked.rated, None, seed=1)
    assert len(s1) == 5
    for a, b in zip(s1, s2):
        assert np.array_equal(a.test, b.test)
        assert not set(a.train) & set(a.test)
        assert len(a.test) == 12 and len(a.train) == 28


def test_size_and_group_splits(data):
    d, linked = data
    names = d.results.models
    meta = pd.DataFrame({"params_b": np.arange(40, dtype=float), "org": [f"o{i % 5}" for i in range(40)]},
                        index=pd.Index(names, name="model"))
    (size,) = make_splits(parse_split("size:30"), d.results, linked.rated, meta, seed=0)
    assert meta.loc[names[size.train], "params_b"].max() < 30 <= meta.loc[names[size.test], "params_b"].min()
    for split in make_splits(parse_split("group:org:0.4:3"), d.results, linked.rated, meta, seed=0):
        assert not set(meta.loc[names[split.train], "org"]) & set(meta.loc[names[split.test], "org"])
    with pytest.raises(ParameterError, match="needs model metadata; pass --models"):
        make_splits(parse_split("size:30"), d.results, linked.rated, None, seed=0)
    with pytest.raises(ParameterError, match="needs a 'family' column"):
        make_splits(parse_split("group:family"), d.results, linked.rated, meta, seed=0)


def _dated(names, dates) -> pd.DataFrame:
    return pd.DataFrame({"first_seen": dates}, index=pd.Index(names, name="model"))


def test_time_split_trains_on_models_before_the_date(data, caplog):
    d, linked = data
    names = d.results.models
    days = pd.date_range("2023-01-01", periods=40, freq="7D")
    text = [str(t.date()) for t in days]
    text[3] = ""  # unknown: left out of both sides, with a warning
    (split,) = make_splits(parse_split("time:first_seen:2023-06-01"), d.results, linked.rated,
                           _dated(names, text), seed=0)
    assert days[split.train].max() < pd.Timestamp("2023-06-01") <= days[split.test].min()
    assert len(split.train) + len(split.test) == 39 and 3 not in set(split.train) | set(split.test)
    assert "1 rated models without a first_seen are left out: m003" in caplog.text
    # datetime64 values (as in a shipped case's models_time) give the same split
    (same,) = make_splits(parse_split("time:first_seen:2023-06-01"), d.results, linked.rated,
                          _dated(names, days.where(np.arange(40) != 3)), seed=0)
    assert np.array_equal(same.train, split.train) and np.array_equal(same.test, split.test)


def test_time_split_refuses_values_that_are_not_dates(data):
    d, linked = data
    text = ["2023-01-01"] * 40
    text[7] = "last spring"
    with pytest.raises(DataValidationError, match="not a date for m007 \\('last spring'\\)"):
        make_splits(parse_split("time:first_seen:2023-06-01"), d.results, linked.rated,
                    _dated(d.results.models, text), seed=0)
    with pytest.raises(ParameterError, match="needs a 'released' column"):
        make_splits(parse_split("time:released:2023-06-01"), d.results, linked.rated,
                    _dated(d.results.models, text), seed=0)


def test_time_split_on_a_shipped_case_evaluates(data):
    from benchalign.datasets import load_case

    case = load_case("alpacaeval2")
    linked = link(case.results, case.preferences)
    spec = parse_split("time:first_seen:2023-09-01")
    report = evaluate(case.results, linked, splits=[spec], models=case.models_time.set_index("model"),
                      methods={"uniform": METHODS["uniform"]}, n_bootstrap=50).to_dict()
    fam = report["splits"]["time:first_seen:2023-09-01"]
    (record,) = fam["per_split"]
    first = case.models_time.set_index("model")["first_seen"]
    assert first[record["train"]].max() < pd.Timestamp("2023-09-01") <= first[record["test"]].min()
    assert fam["description"].startswith("train on models with first_seen before 2023-09-01")


def test_report_schema_and_paired_differences(data):
    d, linked = data
    methods = {"aligned": METHODS["aligned"], **FAST}
    report = evaluate(d.results, linked, splits=[parse_split("random:0.3:3")], methods=methods,
                      seed=0, n_bootstrap=100).to_dict()
    fam = report["splits"]["random"]
    assert fam["n_splits"] == 3 and len(fam["per_split"]) == 3
    assert set(fam["methods"]) == set(methods)
    for name, entry in fam["methods"].items():
        for metric in ("pairwise_accuracy", "spearman", "kendall_tau_b"):
            lo, hi = entry[metric]["ci"]
            mean = entry[metric]["mean"]
            # the estimate is the mean over splits of each split's held-out metric ...
            assert mean == pytest.approx(np.mean([r["metrics"][name][metric] for r in fam["per_split"]]))
            # ... inside a bootstrap interval that 12 held-out models per split make visibly wide
            assert lo <= mean <= hi and hi - lo > 0.01, (name, metric, lo, mean, hi)
        assert ("paired_vs_uniform" in entry) == (name != "uniform")
    # a narrower level gives a nested interval from the same resamples
    narrow = evaluate(d.results, linked, splits=[parse_split("random:0.3:3")], methods=FAST,
                      seed=0, n_bootstrap=100, level=0.5).to_dict()["splits"]["random"]["methods"]
    for name in FAST:
        lo, hi = fam["methods"][name]["pairwise_accuracy"]["ci"]
        nlo, nhi = narrow[name]["pairwise_accuracy"]["ci"]
        assert lo <= nlo <= nhi <= hi and (nhi - nlo) < (hi - lo)
    paired = fam["methods"]["benchmark_mean"]["paired_vs_uniform"]["pairwise_accuracy"]["mean"]
    direct = (fam["methods"]["benchmark_mean"]["pairwise_accuracy"]["mean"]
              - fam["methods"]["uniform"]["pairwise_accuracy"]["mean"])
    assert paired == pytest.approx(direct)
    # the planted preferences reward a quarter of the items: aligned beats uniform clearly
    assert fam["methods"]["aligned"]["paired_vs_uniform"]["pairwise_accuracy"]["mean"] > 0.05
    table = format_table(report)
    assert "aligned" in table and "Δacc vs uniform" in table


def _uniform_rescaled(results, train, seed):
    """Scores that rank every model exactly as the uniform mean does."""
    return 2.0 * METHODS["uniform"](results, train, seed) + 1.0


def test_paired_differences_use_the_same_resamples_for_every_method(data):
    d, linked = data
    methods = {"uniform": METHODS["uniform"], "rescaled": _uniform_rescaled}
    fam = evaluate(d.results, linked, splits=[parse_split("random:0.3:3")], methods=methods,
                   seed=0, n_bootstrap=200).to_dict()["splits"]["random"]["methods"]
    for metric in ("pairwise_accuracy", "spearman", "kendall_tau_b"):
        # the same ranking gives the same metric on every resample: the paired difference is
        # exactly zero, while each method's own interval is wide
        assert fam["rescaled"]["paired_vs_uniform"][metric] == {"mean": 0.0, "ci": [0.0, 0.0]}
        lo, hi = fam["rescaled"][metric]["ci"]
        assert hi - lo > 0.05


def test_no_held_out_preference_reaches_a_method(data):
    d, linked = data
    given = []

    def recording(results, train, seed):
        given.append(train)
        return METHODS["uniform"](results, train, seed)

    spec = parse_split("random:0.3:4")
    fam = evaluate(d.results, linked, splits=[spec], methods={"uniform": METHODS["uniform"], "recording": recording},
                   seed=2, n_bootstrap=50).to_dict()["splits"]["random"]
    splits = make_splits(spec, d.results, linked.rated, None, seed=2)  # what evaluate draws
    assert fam["n_splits"] == len(given) == len(splits) == 4
    for train, split in zip(given, splits):
        models = set(train.pairs.a) | set(train.pairs.b)
        assert models and not models & set(split.test.tolist())
        assert len(train.pairs) == len(linked.pairs.within(split.train, d.results.n_models))
        assert np.isnan(train.ratings[split.test]).all()
        assert np.isfinite(train.ratings[split.train]).all()


def test_paired_vs_all_gives_every_pair_on_the_same_resamples(data):
    d, linked = data
    kw = dict(splits=[parse_split("random:0.3:3")], methods=FAST, seed=0, n_bootstrap=200)
    plain = evaluate(d.results, linked, **kw).to_dict()["splits"]["random"]["methods"]
    full = evaluate(d.results, linked, paired_vs_all=True, **kw).to_dict()["splits"]["random"]["methods"]
    assert all("paired_vs" not in entry for entry in plain.values())
    for name, entry in full.items():
        assert set(entry["paired_vs"]) == set(FAST) - {name}
        assert {k: v for k, v in entry.items() if k != "paired_vs"} == plain[name]
    ridge_vs_best = full["ridge"]["paired_vs"]["best_benchmark"]["pairwise_accuracy"]
    best_vs_ridge = full["best_benchmark"]["paired_vs"]["ridge"]["pairwise_accuracy"]
    assert ridge_vs_best["mean"] == pytest.approx(full["ridge"]["pairwise_accuracy"]["mean"]
                                                  - full["best_benchmark"]["pairwise_accuracy"]["mean"])
    # the same resamples for both methods: swapping them mirrors the interval exactly
    assert best_vs_ridge["mean"] == pytest.approx(-ridge_vs_best["mean"])
    assert best_vs_ridge["ci"] == pytest.approx([-ridge_vs_best["ci"][1], -ridge_vs_best["ci"][0]])
    assert full["ridge"]["paired_vs"]["uniform"] == full["ridge"]["paired_vs_uniform"]


def test_replicates_are_what_the_summaries_and_paired_differences_come_from(data):
    d, linked = data
    kw = dict(splits=[parse_split("random:0.3:3")], methods=FAST, seed=0, n_bootstrap=200)
    plain = evaluate(d.results, linked, paired_vs_all=True, **kw).to_dict()["splits"]["random"]
    full = evaluate(d.results, linked, paired_vs_all=True, replicates=True, **kw).to_dict()["splits"]["random"]
    assert "replicates" not in plain
    assert {k: v for k, v in full.items() if k != "replicates"} == plain
    reps = full["replicates"]
    assert set(reps) == set(FAST)
    ridge = np.asarray(reps["ridge"]["pairwise_accuracy"])
    best = np.asarray(reps["best_benchmark"]["pairwise_accuracy"])
    assert ridge.shape == (201,)
    assert summarize(ridge) == plain["methods"]["ridge"]["pairwise_accuracy"]
    assert summarize(ridge - best) == plain["methods"]["ridge"]["paired_vs"]["best_benchmark"]["pairwise_accuracy"]


def test_same_seed_same_report(data):
    d, linked = data
    kw = dict(splits=[parse_split("random:0.3:2")], methods=FAST, seed=3, n_bootstrap=50)
    assert evaluate(d.results, linked, **kw).to_dict() == evaluate(d.results, linked, **kw).to_dict()


def test_too_few_rated_models_for_a_split(data):
    d, _ = data
    few = d.ratings.iloc[:3]
    linked = link(d.results, preferences_from_frame(few))
    with pytest.raises(InsufficientDataError, match="fewer than 2 for training"):
        evaluate(d.results, linked, splits=[parse_split("random:0.5")], methods=FAST).to_dict()


def test_ridge_loo_recovers_a_linear_signal():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 5))
    y = x @ np.array([1.0, -2.0, 0.0, 0.5, 0.0]) + 3.0
    coef, intercept = ridge_loo(x, y, (1e-6, 1.0, 100.0))
    np.testing.assert_allclose(coef, [1.0, -2.0, 0.0, 0.5, 0.0], atol=1e-3)
    assert intercept == pytest.approx(3.0, abs=1e-3)


def test_agreement_with_confidence_and_separability(data):
    d, linked = data
    spec = [parse_split("random:0.3:3")]
    fam = evaluate(d.results, linked, methods=FAST, n_bootstrap=50, splits=spec).to_dict()["splits"]["random"]
    # exact ratings separate every pair, so agreement = right - wrong = 2 * accuracy - 1 per split
    assert fam["preference_separability"]["mean"] == 1.0
    for name, entry in fam["methods"].items():
        assert set(entry["agreement_ci"]) == {"mean", "ci"}
        accs = [r["metrics"][name]["pairwise_accuracy"] for r in fam["per_split"]]
        assert entry["agreement_ci"]["mean"] == pytest.approx(2 * np.mean(accs) - 1)
        if name != "uniform":
            assert "agreement_ci" in entry["paired_vs_uniform"]
    # ratings with 95 % intervals of ±100 Elo: only pairs far enough apart are separated
    frame = d.ratings.assign(rating_q025=d.ratings["rating"] - 100, rating_q975=d.ratings["rating"] + 100)
    noisy = link(d.results, preferences_from_frame(frame))
    fam = evaluate(d.results, noisy, methods=FAST, n_bootstrap=50, splits=spec).to_dict()["splits"]["random"]
    sep = fam["preference_separability"]["mean"]
    assert 0 < sep < 1
    for entry in fam["methods"].values():
        assert -sep <= entry["agreement_ci"]["mean"] <= sep


@pytest.mark.parametrize("early, late, refused, threshold, fmt", [
    ("20/01/2023", "06/05/2023", "not a date for .*'20/01/2023'.*ISO 8601", "01/03/2023", "%d/%m/%Y"),
    (20230101, 20230701, "holds numbers, not dates.*--date-format", "20230601", "%Y%m%d"),
])
def test_time_split_reads_one_date_format_per_column(data, early, late, refused, threshold, fmt):
    """Day-first text is not read row by row (06/05 as June 5 beside 20/01 as January 20) and a
    number is not read as nanoseconds since 1970: without a format both are refused; with
    --date-format they are read as written."""
    d, linked = data
    meta = _dated(d.results.models, [early] * 20 + [late] * 20)
    with pytest.raises(DataValidationError, match=refused):
        make_splits(parse_split("time:first_seen:2023-03-01"), d.results, linked.rated, meta, seed=0)
    spec = parse_split(f"time:first_seen:{threshold}", date_format=fmt)
    (split,) = make_splits(spec, d.results, linked.rated, meta, seed=0)
    assert list(split.train) == list(range(20)) and list(split.test) == list(range(20, 40))
    with pytest.raises(ParameterError, match="not understood"):
        parse_split("time:first_seen:2023-03-01T00:00", date_format=fmt)  # one format for both


@pytest.mark.parametrize("word", ["now", "today", "Now", "yesterday"])
def test_time_split_refuses_a_date_that_moves_with_the_clock(word):
    with pytest.raises(ParameterError, match="not 'now'"):
        parse_split(f"time:first_seen:{word}")


def test_time_split_compares_time_zones_in_utc_and_reads_naive_dates_as_utc(data):
    d, linked = data
    text = (["2023-01-31T00:00:00+05:00"] * 10 + ["2023-01-31T04:00:00Z"] * 10
            + ["2023-01-30"] * 10 + ["2023-01-31T02:00:00-03:00"] * 10)
    meta = _dated(d.results.models, text)
    (split,) = make_splits(parse_split("time:first_seen:2023-01-31T01:00:00Z"), d.results,
                           linked.rated, meta, seed=0)
    # +05:00 midnight is 19:00 UTC the day before; -03:00 at 02:00 is 05:00 UTC
    assert list(split.train) == list(range(10)) + list(range(20, 30))
    assert list(split.test) == list(range(10, 20)) + list(range(30, 40))
    (naive,) = make_splits(parse_split("time:first_seen:2023-01-31T01:00:00"), d.results,
                           linked.rated, meta, seed=0)
    assert np.array_equal(naive.train, split.train)


def test_time_split_with_a_utc_threshold_on_a_shipped_case():
    from benchalign.datasets import load_case

    case = load_case("alpacaeval2")
    linked = link(case.results, case.preferences)
    models = case.models_time.set_index("model")
    splits = [parse_split(t) for t in ("time:first_seen:2023-09-01T00:00:00Z",
                                       "time:first_seen:2023-09-01")]
    report = evaluate(case.results, linked, splits=splits, models=models,
                      methods={"uniform": METHODS["uniform"]}, n_bootstrap=50).to_dict()
    zoned, naive = (report["splits"][s.name]["per_split"][0] for s in splits)
    assert zoned["train"] == naive["train"] and zoned["test"] == naive["test"]


@pytest.mark.parametrize("layout", ["identical", "disjoint"])
def test_undefined_metrics_are_nan_without_numpy_warnings(layout):
    """Identical results (every score tied) or rated models sharing no question leave some metric
    undefined in every split: NaN in the report, and no 'Mean of empty slice' from numpy."""
    import warnings

    from benchalign.data import Results

    n, k = 10, 12
    values = np.tile((np.arange(k) % 3 / 2).astype(np.float32), (n, 1))
    observed = None
    if layout == "disjoint":
        values = ((np.arange(n)[:, None] * 7 + np.arange(k)[None, :] * 3) % 5 / 4).astype(np.float32)
        observed = (np.arange(n)[:, None] % 2) == (np.arange(k)[None, :] < k // 2)
    results = Results(np.array([f"m{i}" for i in range(n)], dtype=object),
                      np.array([f"b/q{j:02d}" for j in range(k)], dtype=object),
                      np.array(["b"] * k, dtype=object), values, observed)
    prefs = preferences_from_frame(pd.DataFrame({"model": results.models,
                                                 "rating": 1000 + 50.0 * np.arange(n)}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        linked = link(results, prefs)
        warnings.simplefilter("error", RuntimeWarning)
        report = evaluate(results, linked, splits=[parse_split("random:0.3:3")],
                          methods={"uniform": METHODS["uniform"]}, n_bootstrap=50).to_dict()
    uniform = report["splits"]["random"]["methods"]["uniform"]
    if layout == "identical":
        assert np.isnan(uniform["spearman"]["mean"])


def test_mean_over_splits_ignores_undefined_splits():
    from benchalign.metrics import mean_over_splits

    got = mean_over_splits([np.array([0.5, np.nan, np.nan]), np.array([0.7, 0.4, np.nan])])
    np.testing.assert_allclose(got, [0.6, 0.4, np.nan])


def test_json_on_a_shipped_case_is_unchanged(tmp_path, monkeypatch):
    """`evaluate --json` on alpacaeval2 (3 random splits, 50 resamples, seed 0) is byte-identical
    to the stored output: the typed Evaluation writes the document the dict did."""
    from click.testing import CliRunner

    from benchalign.cli import cli

    monkeypatch.chdir(tmp_path)  # relative paths: the document records them as given
    runner = CliRunner()
    assert runner.invoke(cli, ["datasets", "export", "alpacaeval2", "ae"]).exit_code == 0
    res = runner.invoke(cli, ["evaluate", "--results", "ae/results.csv.gz", "--preferences",
                              "ae/preferences.csv", "--split", "random:0.3:3", "--bootstrap", "50",
                              "--json", "ev.json"])
    assert res.exit_code == 0, res.output
    golden = Path(__file__).parent / "data" / "golden" / "evaluate_alpacaeval2_random3.json"
    assert (tmp_path / "ev.json").read_bytes() == golden.read_bytes()

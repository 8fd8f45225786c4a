"""Pruned benchmarks: K items kept, weights re-fitted and normalized, files that `score` accepts."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from benchalign import link, load_benchmark, preferences_from_frame, score
from benchalign.cli import cli
from benchalign.errors import ParameterError
from benchalign.evaluation.splits import SplitSpec
from benchalign.prune import CONTROL, PRUNED, curve_table, prune, prune_curve
from benchalign.report.text import format_curve
from .conftest import make_planted, write_long


@pytest.fixture(scope="module")
def data():
    d = make_planted(n_models=40, n_items=40, seed=3)
    return d, link(d.results, preferences_from_frame(d.ratings))


def test_prune_keeps_k_items_with_normalized_weights(tmp_path, data):
    d, linked = data
    bench = prune(d.results, linked, 8, aligner_params={"method": "correlation"})
    assert len(bench.items) == 8 and len(set(bench.items)) == 8
    assert set(bench.items) <= set(d.results.items)
    assert bench.weights.sum() == pytest.approx(1.0) and (bench.weights >= 0).all()
    assert bench.params["prune"] == {"k": 8, "n_items_before": 40}
    loaded = load_benchmark(bench.save(tmp_path / "p.json"))
    assert np.array_equal(loaded.weights, bench.weights)
    with pytest.warns(UserWarning, match="not in the benchmark"):
        table = score(loaded, d.results)
    assert len(table) == d.results.n_models and table["score"].notna().all()


def test_pruning_keeps_the_planted_preference_items(data):
    d, linked = data
    full = prune(d.results, linked, 40, aligner_params={"method": "correlation"})
    bench = prune(d.results, linked, 10, aligner_params={"method": "correlation"})
    # the planted preferences reward the "pref" quarter of the items only: that benchmark carries
    # most of the weight, so it gets that share of the K kept questions
    share = full.weights[full.benchmarks == "pref"].sum()
    assert share > 0.8
    assert np.sum(bench.benchmarks == "pref") == round(10 * share)


def test_prune_is_deterministic(tmp_path, data):
    d, linked = data
    a = prune(d.results, linked, 5).save(tmp_path / "a.json")
    b = prune(d.results, linked, 5).save(tmp_path / "b.json")
    assert a.read_bytes() == b.read_bytes()


def test_prune_validates_k(data):
    d, linked = data
    for bad in (41, 0, True, 2.0):
        with pytest.raises(ParameterError, match="'k' parameter of prune.*range \\[1, 40\\]"):
            prune(d.results, linked, bad)


def test_prune_survives_models_without_any_kept_item():
    d = make_planted(n_models=30, n_items=24, seed=4, missing=0.6)
    results = d.results
    bench = prune(results, preferences_from_frame(d.ratings), 2, aligner_params={"method": "correlation"})
    kept = np.isin(results.items, bench.items)
    assert (results.observed[:, kept].sum(axis=1) == 0).any()   # some models have none of the two
    assert len(bench.items) == 2 and bench.weights.sum() == pytest.approx(1.0)


def test_prune_curve_covers_every_k_beside_the_random_control(data):
    d, linked = data
    curve = prune_curve(d.results, linked, ks=(5, 10, None, 500), aligner_params={"method": "correlation"},
                        split=SplitSpec("random", repeats=2))
    assert set(curve["line"]) == {PRUNED, CONTROL}
    assert sorted(curve["k"].unique()) == [5, 10, 40]
    table = curve_table(curve, 40)
    assert list(table.columns) == [5, 10, "all"] and list(table.index) == [PRUNED, CONTROL]
    assert curve["pairwise_accuracy"].between(0, 1).all()
    assert "mean over 2 splits" in format_curve(curve, 40)


def test_cli_prune_writes_a_file_that_score_accepts(tmp_path, data):
    d, _ = data
    write_long(d.results, tmp_path / "r.csv")
    d.ratings.to_csv(tmp_path / "p.csv", index=False)
    out = tmp_path / "pruned.json"
    args = ["prune", "--results", str(tmp_path / "r.csv"), "--preferences", str(tmp_path / "p.csv"),
            "--k", "6", "-o", str(out)]
    runner = CliRunner()
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "kept 6 of 40 questions" in res.output
    res = runner.invoke(cli, ["score", "--benchmark", str(out), "--results", str(tmp_path / "r.csv")])
    assert res.exit_code == 0 and "rank,model,score" in res.output
    assert runner.invoke(cli, args).exit_code == 2  # exists: needs --force
    res = runner.invoke(cli, args[:-2] + ["--k", "99", "-o", str(tmp_path / "x.json")])
    assert res.exit_code == 2 and "smaller K" in res.output


@pytest.mark.parametrize("method", ["auto", "correlation", "coverage", "uniform"])
def test_restricted_refit_is_the_chosen_candidate_on_fewer_items(data, method):
    from benchalign import BenchmarkAligner

    d, linked = data
    full = BenchmarkAligner(method=method).fit(d.results, linked)
    everything = np.arange(d.results.n_items)
    same = full.refit_restricted(d.results, linked, everything)
    # restricting to every item is the same fit: no new search, the same weights
    assert same.method_ == full.method_ and same.candidates_ == [full.method_]
    np.testing.assert_allclose(same.weights_, full.weights_, atol=1e-6)
    kept = everything[::3]
    sub = full.refit_restricted(d.results, linked, kept)
    assert list(sub.items_) == list(d.results.items[kept])
    assert sub.weights_.sum() == pytest.approx(1.0) and (sub.weights_ >= 0).all()


def test_pruned_fit_takes_the_prior_from_every_model():
    """As in fit, the label-free prior comes from every row of results, not only the rated ones."""
    import pandas as pd

    from benchalign.data import results_from_long
    from benchalign.features.structure import coverage_prior

    d = make_planted(n_models=60, n_items=40, seed=5)
    long = pd.DataFrame({
        "model": np.repeat(d.results.models, d.results.n_items),
        "benchmark": np.tile(d.results.benchmarks, d.results.n_models),
        "item": np.tile(d.results.items, d.results.n_models),
        "score": d.results.values.ravel(),
    })
    # a third of the models (rated and unrated) lack the whole "pref" benchmark
    lacking = set(d.results.models[::3])
    results = results_from_long(long[~(long["model"].isin(lacking) & (long["benchmark"] == "pref"))])
    rated = d.ratings.iloc[:20]
    linked = link(results, preferences_from_frame(rated))
    theta0 = coverage_prior(results)
    only_rated = coverage_prior(results.take_models(linked.rated))
    assert np.abs(theta0 - only_rated).max() > 1e-3  # the unrated rows do change the prior

    bench = prune(results, linked, 10, aligner_params={"method": "coverage"})
    kept = np.searchsorted(results.items, bench.items)
    expected = np.exp(theta0[kept] - theta0[kept].max())
    np.testing.assert_allclose(bench.weights, expected / expected.sum(), rtol=1e-6)

"""The published method (RankNet on the simplex), the aligner's method="ranknet" and the
evaluation's `ranknet` baseline: recovery of a planted weighting, the choice of its pull by
cross-validation, determinism, convergence reporting, and that the fit, the baseline, the benchmark
file and pruning all go through the same fit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from benchalign import BenchmarkAligner, ConvergenceWarning, preferences_from_frame
from benchalign.artifact import AlignedBenchmark, load_benchmark
from benchalign.evaluation.baselines import Train, aligned_with, ranknet, select_methods, uniform
from benchalign.data import Results, link
from benchalign.evaluation.heldout import evaluate
from benchalign.evaluation.splits import SplitSpec
from benchalign.fit.candidates import Context
from benchalign.fit.ranknet import REG_GRID, fit_published
from benchalign.fit.selection import AUTO, candidates
from benchalign.prune import prune

from .conftest import make_planted, make_two_sided


def _pairs(data, n_train: int):
    train = data.ratings[data.ratings["model"].isin(data.results.models[:n_train])]
    return link(data.results, preferences_from_frame(train)).pairs


def _scores(results: Results, weights: np.ndarray) -> np.ndarray:
    return (results.values @ weights) / (results.mask() @ weights)


@pytest.mark.parametrize("missing", [0.0, 0.3])
def test_recovers_planted_weighting_on_held_out_models(missing):
    data = make_planted(n_models=120, n_items=40, seed=3, missing=missing)
    fit, _ = fit_published(data.results, _pairs(data, 60))
    r, test = data.results, np.arange(60, 120)
    truth = data.true_scores[test]
    aligned = spearmanr(_scores(r, fit.weights)[test], truth).statistic
    uniform = spearmanr((r.values.sum(1) / r.mask().sum(1))[test], truth).statistic
    oracle = spearmanr(_scores(r, data.true_weights)[test], truth).statistic
    assert aligned > uniform + 0.3 and aligned > oracle - 0.1
    assert fit.weights[:10].sum() > 0.5 and fit.converged


def test_reversing_every_preference_reverses_the_fitted_ranking():
    results, ratings = make_two_sided()
    fwd, _ = fit_published(results, link(results, preferences_from_frame(ratings)).pairs, reg_grid=(0.1,))
    flipped = preferences_from_frame(ratings.assign(rating=-ratings["rating"]))
    rev, _ = fit_published(results, link(results, flipped).pairs, reg_grid=(0.1,))
    assert spearmanr(_scores(results, fwd.weights), _scores(results, rev.weights)).statistic < -0.95
    assert fwd.weights[:20].sum() > 0.6 and rev.weights[20:].sum() > 0.6


def test_the_pull_is_chosen_by_cross_validation_and_the_fit_is_deterministic():
    data = make_planted(n_models=80, n_items=40, seed=2)
    pairs = _pairs(data, 40)
    fit, reg = fit_published(data.results, pairs, reg_grid=(0.01, 1000.0), seed=7)
    # a weak pull lets the planted questions win; the strong one keeps the plain mean
    assert reg == 0.01
    again, _ = fit_published(data.results, pairs, reg_grid=(0.01, 1000.0), seed=7)
    assert np.array_equal(fit.weights, again.weights)


def test_convergence_warning_when_iterations_run_out(planted, planted_prefs):
    pairs = link(planted.results, planted_prefs).pairs
    with pytest.warns(ConvergenceWarning, match="published RankNet fit.*did not converge"):
        fit_published(planted.results, pairs, reg_grid=(0.0,), max_iter=1)


def test_ranknet_is_an_opt_in_baseline_of_the_evaluation(planted, planted_prefs):
    assert "ranknet" not in select_methods(None)
    method = select_methods("ranknet")["ranknet"]
    linked = link(planted.results, planted_prefs)
    scores = method(planted.results, Train(linked.pairs, linked.ratings), 0)
    assert scores.shape == (planted.results.n_models,) and np.isfinite(scores).all()


def test_the_aligner_method_ranknet_is_the_published_fit(planted, planted_prefs):
    pairs = link(planted.results, planted_prefs).pairs
    aligner = BenchmarkAligner(method="ranknet", random_state=3).fit(planted.results, pairs)
    published, reg = fit_published(planted.results, pairs, seed=3)
    assert aligner.method_ == "ranknet" and aligner.fit_details_["reg"] == reg
    np.testing.assert_array_equal(aligner.weights_, published.weights)


def test_evaluate_scores_the_baseline_and_the_aligner_method_identically(planted, planted_prefs):
    linked = link(planted.results, planted_prefs)
    methods = {"uniform": uniform, "ranknet": ranknet, "aligned_ranknet": aligned_with("ranknet")}
    report = evaluate(planted.results, linked, splits=[SplitSpec("random", repeats=2)],
                      methods=methods, n_bootstrap=50, seed=1).to_dict()
    family = report["splits"]["random"]
    for record in family["per_split"]:
        assert record["metrics"]["ranknet"] == record["metrics"]["aligned_ranknet"]
    base, aligned = family["methods"]["ranknet"], family["methods"]["aligned_ranknet"]
    assert {k: base[k] for k in aligned} == aligned
    # the fit is not the plain mean: identical scores are not a degenerate agreement
    assert base["pairwise_accuracy"]["mean"] != family["methods"]["uniform"]["pairwise_accuracy"]["mean"]


def test_the_benchmark_file_records_ranknet_and_its_diagnostics(planted, planted_prefs, tmp_path):
    aligner = BenchmarkAligner(method="ranknet").fit(planted.results, planted_prefs)
    AlignedBenchmark.from_aligner(aligner).save(tmp_path / "b.json")
    loaded = load_benchmark(tmp_path / "b.json")
    diag = loaded.diagnostics
    assert loaded.params["method"] == "ranknet" and diag["method"] == "ranknet"
    assert diag["reg_grid"] == sorted(REG_GRID, reverse=True) and diag["reg"] in diag["reg_grid"]
    assert len(diag["reg_cv_scores"]) == len(REG_GRID)
    assert diag["converged"] is True and diag["n_iter"] == aligner.n_iter_ > 0
    np.testing.assert_allclose(loaded.weights, aligner.weights_, rtol=1e-12)


def test_auto_never_tries_the_published_method(planted):
    ctx = Context.of(planted.results)
    assert "ranknet" not in AUTO
    assert [c.name for c in candidates("ranknet", ctx)] == ["ranknet"]
    assert all(c.name != "ranknet" for c in candidates("auto", ctx))


def test_pruning_refits_ranknet_at_its_chosen_pull_without_a_new_search(planted, planted_prefs):
    full = BenchmarkAligner(method="ranknet").fit(planted.results, planted_prefs)
    bench = prune(planted.results, planted_prefs, 10, aligner_params={"method": "ranknet"})
    diag = bench.diagnostics
    assert diag["method"] == "ranknet" and len(bench.items) == 10
    assert diag["reg"] == full.fit_details_["reg"] and diag["reg_grid"] == [diag["reg"]]
    assert diag["reg_cv_scores"] is None

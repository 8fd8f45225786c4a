"""Completion of missing questions: the models, the fold-in, the label-free choice, and one scoring
rule in the fit, the benchmark file and `score`."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from benchalign import AlignedBenchmark, BenchmarkAligner, load_benchmark, preferences_from_frame, score
from benchalign.data import Results
from benchalign.datasets import load_case, masked_variant
from benchalign.errors import ArtifactError, DataWarning, ParameterError
from benchalign.features.completion import (Completion, choose_completion, fit_completion,
                                            hide_blocks, resolve, scores_with)


def additive_results(n_models: int = 120, seed: int = 0, noise: float = 0.02) -> tuple[Results, np.ndarray]:
    """Scores a_m + d_q (+ noise) on 3 benchmarks of 10 items; a third of the models lack one
    whole benchmark: strong models the easiest, weak ones the hardest. Returns the results with
    those blocks missing and the complete truth [n_models, 30]."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(scale=0.15, size=n_models)
    easiness = np.repeat([0.3, 0.0, -0.3], 10) + rng.normal(scale=0.05, size=30)
    truth = 0.5 + ability[:, None] + easiness[None, :] + rng.normal(scale=noise, size=(n_models, 30))
    observed = np.ones_like(truth, dtype=bool)
    lack = rng.random(n_models) < 1 / 3
    strong = ability > np.median(ability)
    observed[lack & strong, :10] = False   # strong models lack the easy benchmark
    observed[lack & ~strong, 20:] = False  # weak models lack the hard one
    items = np.array([f"{b}/q{j:02d}" for b in "abc" for j in range(10)], dtype=object)
    models = np.array([f"m{i:03d}" for i in range(n_models)], dtype=object)
    results = Results(models, items, np.array([i[0] for i in items], dtype=object),
                      np.where(observed, truth, 0.0), observed)
    return results, truth


def test_additive_completion_recovers_the_planted_cells():
    results, truth = additive_results()
    comp = fit_completion(results, "additive")
    pred = comp.predict(results.values, results.observed)
    missing = ~results.observed
    own_mean = (results.values.sum(1) / results.observed.sum(1))[:, None] * np.ones_like(truth)
    err_additive = np.sqrt(np.mean((pred - truth)[missing] ** 2))
    err_own = np.sqrt(np.mean((own_mean - truth)[missing] ** 2))
    assert err_additive < 0.04 < 0.15 < err_own


def test_fold_in_of_a_complete_row_is_its_least_squares_ability():
    results, truth = additive_results()
    comp = fit_completion(results, "additive")
    row = truth[:1]
    z = comp.model_params(row, None)
    # additive fold-in: a = mean over items of (x - d), up to the offsets' tiny ridge
    assert z[0, 0] == pytest.approx(np.mean(row[0] - comp.offsets), abs=1e-5)


@pytest.mark.parametrize("spec", [("item_mean", 0), ("additive", 0), ("lowrank", 1), ("lowrank", 2)])
def test_scores_without_the_completed_matrix_equal_the_completed_matrix_times_weights(spec):
    results, _ = additive_results(seed=3)
    comp = fit_completion(results, *spec)
    w = np.random.default_rng(1).random(results.n_items)
    w /= w.sum()
    s, mass = comp.scores(w, results.values, results.observed)
    assert s == pytest.approx(comp.complete(results).values @ w, abs=1e-9)
    assert mass == pytest.approx(results.observed.astype(float) @ w, abs=1e-12)


def test_no_completion_scores_the_weighted_mean_over_observed_questions():
    """A uniform benchmark on results with half the questions missing: an all-correct model
    scores 1.0 with coverage 0.5 when nothing is completed (hand computation)."""
    obs = np.array([[True, True, False, False], [True, True, True, True]])
    values = np.where(obs, 1.0, 0.0)
    values[1] = [1, 0, 0, 0]
    results = Results(np.array(["a", "b"], dtype=object), np.array(["q0", "q1", "q2", "q3"], dtype=object),
                      np.array(["x", "x", "y", "y"], dtype=object), values, obs)
    s, mass = scores_with(np.full(4, 0.25), None, results)
    assert s.tolist() == [1.0, 0.25] and mass.tolist() == [0.5, 1.0]
    # item_mean completion: the missing q2, q3 count as their means over the models that have them
    comp = fit_completion(results, "item_mean")
    s, mass = scores_with(np.full(4, 0.25), comp, results)
    assert s[0] == pytest.approx(0.25 * (1 + 1 + 0 + 0)) and mass[0] == 0.5


def test_take_items_completes_from_the_kept_items_only():
    results, _ = additive_results()
    comp = fit_completion(results, "additive")
    cols = np.arange(10, 30)
    sub = results.take_items(cols)
    part = comp.take_items(cols)
    a = part.model_params(sub.values, sub.observed)[:, 0]
    resid = np.where(sub.observed, sub.values - part.offsets, 0).sum(1) / sub.observed.sum(1)
    assert a == pytest.approx(resid, abs=1e-4)


def test_hide_blocks_keeps_a_block_per_model_and_hides_only_present_blocks():
    present = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0], [0, 1, 1]] * 10, dtype=bool)
    hide = hide_blocks(present, np.random.default_rng(0), fraction=0.9)
    assert hide.any()
    assert not (hide & ~present).any()
    assert ((present & ~hide).sum(axis=1) >= 1).all()
    assert not hide[1::4].any()  # a model with one block keeps it


def test_label_free_choice_prefers_a_model_over_own_means_on_planted_missingness():
    results, _ = additive_results()
    choice = choose_completion(results)
    errors = dict(zip(choice.labels, choice.errors))
    assert choice.labels[choice.chosen] != "none"
    assert errors[choice.labels[choice.chosen]] < 0.5 * errors["none"]


def test_complete_results_are_not_completed():
    results, truth = additive_results()
    full = Results(results.models, results.items, results.benchmarks, truth, None)
    assert resolve(full, "auto") is None and resolve(full, "additive") is None
    one_block = results.take_items(np.arange(10))  # models lack no block they could be shown
    assert np.isnan(choose_completion(one_block).errors).all()


@pytest.mark.parametrize("name", ["alpacaeval2", "livecodebench"])
def test_masked_shipped_case_the_chosen_completion_restores_hidden_benchmarks(name):
    """Whole benchmarks hidden where the truth is known, both directions of bias (strong models
    lack an easy benchmark, weak ones a hard one): the label-free choice restores the hidden
    blocks' means better than each model's own mean, against the complete results."""
    masked = masked_variant(load_case(name), share=0.5, seed=0)
    assert masked.hidden.any(axis=0).sum() >= 2  # both an easy and a hard benchmark hidden
    choice = choose_completion(masked.results)
    kind, _, rank = choice.labels[choice.chosen].partition(":")
    assert kind != "none"
    comp = fit_completion(masked.results, kind, int(rank or 0))
    pred = comp.predict(masked.results.values, masked.results.observed)
    _, codes = np.unique(masked.truth.benchmarks, return_inverse=True)
    rows, cols = np.nonzero(masked.hidden)
    own = masked.results.values.sum(1) / masked.results.observed.sum(1)
    err_chosen, err_own = [], []
    for r, c in zip(rows, cols):
        cells = (codes == c) & masked.truth.mask()[r]
        true_mean = masked.truth.values[r, cells].mean()
        err_chosen.append(pred[r, cells].mean() - true_mean)
        err_own.append(own[r] - true_mean)
    assert np.sqrt(np.mean(np.square(err_chosen))) < 0.7 * np.sqrt(np.mean(np.square(err_own)))


def test_aligner_completes_when_it_wins_and_score_applies_the_same_rule(tmp_path):
    results, truth = additive_results(n_models=120, seed=5)
    ability = truth.mean(axis=1)
    rated = np.arange(0, 120, 2)
    prefs = preferences_from_frame(pd.DataFrame({"model": results.models[rated],
                                                 "rating": 1000 + 400 * ability[rated]}))
    aligner = BenchmarkAligner(completion="item_mean").fit(results, prefs)
    assert aligner.completion_ is not None and aligner.method_.endswith("+completion")
    bench = AlignedBenchmark.from_aligner(aligner)
    loaded = load_benchmark(bench.save(tmp_path / "b.json"))
    assert loaded.completion.label == "item_mean"
    table = score(loaded, results).set_index("model")
    assert table.loc[results.models, "score"].to_numpy() == pytest.approx(aligner.predict(results), abs=1e-10)
    # an unseen model that lacks the hard benchmark: completed from its own results, the same way
    new = results.take_models(np.array([1]))
    row = score(loaded, new)
    assert row["score"].iloc[0] == pytest.approx(aligner.predict(results)[1], abs=1e-10)
    assert row["coverage"].iloc[0] == pytest.approx(results.observed[1] @ aligner.weights_)


def test_benchmark_file_version_1_still_scores_over_observed_questions(tmp_path):
    results, _ = additive_results()
    bench = AlignedBenchmark(results.items, results.benchmarks, np.full(30, 1 / 30))
    doc = json.loads(bench.to_json())
    doc["schema_version"] = 1
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(doc))
    loaded = load_benchmark(path)
    assert loaded.completion is None
    table = score(loaded, results).set_index("model")
    expected = results.values.sum(1) / results.observed.sum(1)
    assert table.loc[results.models, "score"].to_numpy() == pytest.approx(expected, abs=1e-12)


def test_an_edited_completion_is_refused(tmp_path):
    results, _ = additive_results()
    bench = AlignedBenchmark(results.items, results.benchmarks, np.full(30, 1 / 30),
                             completion=fit_completion(results, "additive"))
    doc = json.loads(bench.to_json())
    doc["completion"]["offsets"][0] += 0.1
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ArtifactError, match="completion does not match"):
        load_benchmark(path)


def test_models_scored_mostly_from_completed_cells_are_named():
    results, _ = additive_results()
    comp = fit_completion(results, "additive")
    bench = AlignedBenchmark(results.items, results.benchmarks, np.full(30, 1 / 30), completion=comp)
    few = results.observed.copy()
    few[0, 5:] = False
    thin = Results(results.models, results.items, results.benchmarks,
                   np.where(few, results.values, 0.0), few)
    with pytest.warns(DataWarning, match=r"scored mostly from completed.*m000"):
        score(bench, thin)


def test_equal_results_under_equal_weights_get_equal_scores():
    """Three models with 7 of 10 correct under weights of 0.1 score exactly 0.7 each and are
    ordered by name (float64 sums, rounded)."""
    rows = {"m07": [1] * 7 + [0] * 3, "m08": [0] * 3 + [1] * 7, "m09": [1, 0, 1, 1, 0, 1, 1, 0, 1, 1]}
    values = np.array(list(rows.values()), dtype=np.float32)
    items = np.array([f"q{j}" for j in range(10)], dtype=object)
    results = Results(np.array(list(rows), dtype=object), items, np.full(10, "b", dtype=object), values)
    bench = AlignedBenchmark(items, np.full(10, "b", dtype=object), np.full(10, 0.1))
    table = score(bench, results)
    assert table["score"].tolist() == [0.7, 0.7, 0.7]
    assert table["model"].tolist() == ["m07", "m08", "m09"]


def test_completion_parameter_is_validated():
    results, truth = additive_results()
    prefs = preferences_from_frame(pd.DataFrame({"model": results.models[:10],
                                                 "rating": np.arange(10.0)}))
    with pytest.raises(ParameterError, match="'completion' parameter"):
        BenchmarkAligner(completion="mice").fit(results, prefs)


def test_completion_none_reproduces_the_observed_mean_rule():
    results, truth = additive_results(seed=2)
    rated = np.arange(0, 120, 3)
    prefs = preferences_from_frame(pd.DataFrame({"model": results.models[rated],
                                                 "rating": truth.mean(1)[rated]}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aligner = BenchmarkAligner(completion="none").fit(results, prefs)
    assert aligner.completion_ is None and aligner.completion_choice_ is None
    expected = (results.values @ aligner.weights_) / (results.observed @ aligner.weights_)
    assert aligner.predict(results) == pytest.approx(expected, abs=1e-9)


def test_pruned_benchmark_completes_from_the_kept_questions():
    from benchalign.prune import prune

    results, truth = additive_results(n_models=120, seed=5)
    rated = np.arange(0, 120, 2)
    prefs = preferences_from_frame(pd.DataFrame({"model": results.models[rated],
                                                 "rating": 1000 + 400 * truth.mean(1)[rated]}))
    bench = prune(results, prefs, 12, aligner_params={"completion": "additive"})
    assert bench.completion is not None and len(bench.completion.offsets) == 12
    cols = pd.Index(results.items).get_indexer(bench.items)
    sub = results.take_items(cols)
    expected = bench.completion.scores(bench.weights, sub.values, sub.observed)[0]
    table = score(bench, results).set_index("model")
    assert table.loc[results.models, "score"].to_numpy() == pytest.approx(expected, abs=1e-10)


def test_score_renormalizes_over_the_questions_a_model_has_and_completes_by_the_file():
    """`score` of a uniform benchmark on results with half the questions missing: without a
    completion an all-correct model scores 1.0 with coverage 0.5; with an item_mean completion its
    missing questions count as their means over the models that have them (hand computation)."""
    items = np.array(["q0", "q1", "q2", "q3"], dtype=object)
    groups = np.array(["x", "x", "y", "y"], dtype=object)
    obs = np.array([[True, True, False, False], [True, True, True, True], [True, True, True, True]])
    values = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 0]], dtype=np.float32)
    results = Results(np.array(["a", "b", "c"], dtype=object), items, groups, values, obs)
    bench = AlignedBenchmark(items, groups, np.full(4, 0.25))
    row = score(bench, results).set_index("model").loc["a"]
    assert row["score"] == 1.0 and row["coverage"] == 0.5 and row["n_items"] == 2
    comp = Completion("item_mean", np.array([2 / 3, 2 / 3, 0.5, 0.0]), np.zeros((4, 0)))
    row = score(AlignedBenchmark(items, groups, np.full(4, 0.25), completion=comp), results)
    a = row.set_index("model").loc["a"]
    assert a["score"] == pytest.approx(0.25 * (1 + 1 + 0.5 + 0.0)) and a["coverage"] == 0.5


def test_report_separability_scores_completed_rows_when_the_fit_completes():
    from benchalign.report.build import benchmark_separability

    results, _ = additive_results(n_models=40, seed=9)
    comp = fit_completion(results, "additive")
    w = np.full(30, 1 / 30)
    rows = np.arange(40)
    via = benchmark_separability(results, rows, {"a": w}, completions={"a": comp})
    direct = benchmark_separability(comp.complete(results), rows, {"a": w})
    plain = benchmark_separability(results, rows, {"a": w})
    assert via["separability"] == direct["separability"]
    assert via["separability"] != plain["separability"]


@pytest.mark.parametrize("method", ["correlation", "coverage", "uniform"])
def test_a_forced_method_with_a_forced_completion_scores_completed_rows(method):
    """method X with completion KIND fits X over the completed rows (it raised on an empty
    candidate list for correlation and coverage)."""
    results, truth = additive_results(n_models=120, seed=5)
    rated = np.arange(0, 120, 2)
    prefs = preferences_from_frame(pd.DataFrame({"model": results.models[rated],
                                                 "rating": 1000 + 400 * truth.mean(1)[rated]}))
    aligner = BenchmarkAligner(method=method, completion="additive").fit(results, prefs)
    assert aligner.method_ == f"{method}+completion" and aligner.completion_.kind == "additive"
    completed = aligner.completion_.complete(results).values @ aligner.weights_
    assert aligner.predict(results) == pytest.approx(completed, abs=1e-9)

"""Where two populations differ: planted populations are told apart with separated mass intervals,
identical ones are not (and then no question is listed); seeds, the CLI and its errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchalign import compare_populations
from benchalign.cli import cli
from benchalign.data import PairSet
from benchalign.errors import InsufficientDataError, ParameterError
from benchalign.fit import BenchmarkAligner
from benchalign.populations.compare import (DIFFER, INDISTINGUISHABLE, SCHEMA, expand_pairs,
                                        refit_population)
from benchalign.populations.aligner import POOLED, link_populations, split_populations

from .conftest import make_planted, write_long

N_BOOT = 60


@pytest.fixture(scope="module")
def planted():
    return make_planted(n_models=40, n_items=48, seed=3)


def _ratings(d, seed: int = 0) -> dict[str, np.ndarray]:
    """A rewards the 'pref' items (first quarter), B the 'other' items; C and D are two further
    noisy draws of A's preference."""
    rng = np.random.default_rng(seed)
    v = d.results.values
    pref, other = v[:, :12].mean(axis=1), v[:, 12:].mean(axis=1)
    noise = lambda: 0.05 * rng.normal(size=d.results.n_models)  # noqa: E731
    return {"A": pref + noise(), "B": other + noise(), "C": pref + noise(), "D": pref + noise()}


def _frame(d, ratings: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"model": d.results.models, "category": name,
                                    "rating": 1000 + 400 * r}) for name, r in ratings.items()],
                     ignore_index=True)


@pytest.fixture(scope="module")
def linked(planted):
    return link_populations(planted.results, split_populations(_frame(planted, _ratings(planted)),
                                                               "category"))


def test_planted_populations_differ_with_separated_mass_intervals(planted, linked):
    diff = compare_populations(planted.results, linked["A"], linked["B"], names=("A", "B"),
                               n_boot=N_BOOT)
    assert diff.verdict == DIFFER and diff.p_value < 0.05
    assert list(diff.benchmarks) == ["other", "pref"]
    # A's interval of mass on the 'pref' benchmark lies wholly above B's
    assert diff.mass_a_ci[1, 0] > diff.mass_b_ci[1, 1]
    assert diff.mass_a[1] > 0.7 > 0.2 > diff.mass_b[1]
    assert diff.distance > np.quantile(diff.null, 0.95)
    # B gains on 'other' questions and loses on 'pref' ones (units of the uniform weight)
    bench = planted.results.benchmarks
    assert len(diff.gaining) and len(diff.losing)
    assert set(bench[diff.gaining]) == {"other"} and set(bench[diff.losing]) == {"pref"}
    assert np.all(diff.item_diff[diff.gaining] > 0) and np.all(diff.item_diff[diff.losing] < 0)
    assert diff.item_diff.sum() == pytest.approx(0.0, abs=1e-9)
    assert "They differ" in diff.sentence()


def test_identical_populations_are_indistinguishable_and_list_no_question(planted, linked):
    same = compare_populations(planted.results, linked["A"], linked["A"], names=("A", "A2"),
                               n_boot=N_BOOT)
    assert same.distance == 0.0 and same.p_value == 1.0 and same.verdict == INDISTINGUISHABLE
    for other in ("C", "D"):  # the same latent preference, independent noise
        diff = compare_populations(planted.results, linked["A"], linked[other],
                                   names=("A", other), n_boot=N_BOOT)
        assert diff.verdict == INDISTINGUISHABLE and diff.p_value >= 0.05
        assert len(diff.gaining) == 0 and len(diff.losing) == 0
        assert "cannot be told apart" in diff.sentence()
        doc = diff.to_dict(planted.results.items, planted.results.benchmarks)
        assert doc["diverging"] is None and doc["verdict"] == INDISTINGUISHABLE


def test_same_seed_same_result_and_refits_shared_across_pairs(planted, linked):
    one = compare_populations(planted.results, linked["A"], linked["B"], n_boot=20, random_state=4)
    two = compare_populations(planted.results, linked["A"], linked["B"], n_boot=20, random_state=4)
    items, bench = planted.results.items, planted.results.benchmarks
    assert json.dumps(one.to_dict(items, bench)) == json.dumps(two.to_dict(items, bench))
    fa = refit_population(planted.results, linked["A"], name="a", n_boot=20, random_state=4)
    fb = refit_population(planted.results, linked["B"], name="b", n_boot=20, random_state=4)
    three = compare_populations(planted.results, fa, fb)
    np.testing.assert_array_equal(three.null, one.null)
    assert three.p_value == one.p_value
    other = compare_populations(planted.results, linked["A"], linked["B"], n_boot=20, random_state=5)
    assert not np.array_equal(other.null, one.null)


def test_full_fit_is_the_aligners_correlation_weighting(planted, linked):
    fit = refit_population(planted.results, linked["A"], n_boot=1)
    aligner = BenchmarkAligner(method="correlation").fit(planted.results, linked["A"])
    np.testing.assert_allclose(fit.weights, aligner.weights_)
    assert fit.boot_weights.shape == (1, planted.results.n_items)
    np.testing.assert_allclose(fit.boot_weights.sum(axis=1), 1.0)


def test_expand_pairs_gives_one_pair_per_pair_of_copies():
    pairs = PairSet(np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([1.0, 2.0, 3.0]),
                    np.array([0.9, 0.2, 0.5]))
    # model 0 drawn twice (positions 0, 1), model 1 never, model 2 once (position 2)
    out = expand_pairs(pairs, np.array([2, 0, 1]))
    assert sorted(zip(out.a.tolist(), out.b.tolist())) == [(0, 2), (1, 2)]
    assert out.weight.tolist() == [2.0, 2.0] and out.target.tolist() == [0.2, 0.2]
    both = expand_pairs(pairs, np.array([1, 2, 2]))  # 2 + 2 + 4 pairs of copies
    assert len(both) == 8 and len(set(zip(both.a.tolist(), both.b.tolist()))) == 8
    assert not np.any(both.a == both.b)


def test_bad_parameters_and_small_populations_raise_typed_errors(planted, linked):
    with pytest.raises(ParameterError, match="'alpha' parameter"):
        compare_populations(planted.results, linked["A"], linked["B"], n_boot=5, alpha=1.5)
    with pytest.raises(ParameterError, match="'n_boot' parameter"):
        refit_population(planted.results, linked["A"], n_boot=0)
    small = linked["A"].pairs.within(np.arange(3), planted.results.n_models)
    tiny = type(linked["A"])(small, small.models(), linked["A"].ratings, "ratings")
    with pytest.raises(InsufficientDataError, match="'tiny' has 3 rated models.*at least 5"):
        compare_populations(planted.results, tiny, linked["B"], names=("tiny", "B"), n_boot=5)


def _files(planted, tmp_path) -> list[str]:
    write_long(planted.results, tmp_path / "results.csv")
    ratings = _ratings(planted)
    _frame(planted, {"A": ratings["A"], "B": ratings["B"]}).to_csv(tmp_path / "prefs.csv",
                                                                   index=False)
    return ["populations", "compare", "--results", str(tmp_path / "results.csv"),
            "--preferences", str(tmp_path / "prefs.csv"), "--population-column", "category"]


def test_cli_compare_round_trip_and_json_schema(planted, tmp_path):
    args = _files(planted, tmp_path)
    out = tmp_path / "diff.json"
    res = CliRunner().invoke(cli, [*args, "--a", "A", "--b", "B", "--n-boot", "40",
                                   "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "They differ" in res.output and "questions whose weight moves most" in res.output
    doc = json.loads(out.read_text())
    assert doc["schema"] == SCHEMA and doc["verdict"] == DIFFER and doc["n_boot"] == 40
    assert set(doc["benchmarks"]) == {"other", "pref"}
    pref = doc["benchmarks"]["pref"]
    assert pref["A"]["ci"][0] > pref["B"]["ci"][1] and pref["A"]["mass"] > pref["B"]["mass"]
    assert doc["diverging"]["gaining"][0]["benchmark"] == "other"
    assert 0 < doc["test"]["p_value"] < 0.05 and doc["inputs"]["population_column"] == "category"
    res = CliRunner().invoke(cli, [*args, "--a", "A", "--b", POOLED, "--n-boot", "20",
                                   "--json", str(out)])
    assert res.exit_code == 2 and "exists" in res.output  # never overwritten without --force


def test_cli_compare_unknown_or_repeated_population_names_the_fix(planted, tmp_path):
    args = _files(planted, tmp_path)
    res = CliRunner().invoke(cli, [*args, "--a", "A", "--b", "Z"])
    assert res.exit_code == 2
    assert "--b 'Z': no population of that name in column 'category'; it has A, B, pooled" in res.output
    res = CliRunner().invoke(cli, [*args, "--a", "A", "--b", "A"])
    assert res.exit_code == 2 and "name two different populations" in res.output


def test_report_section_lists_questions_only_for_populations_that_differ(planted, linked):
    from benchalign.populations.compare import compare_each
    from benchalign.report.populations import PopulationView, populations_html

    three = {n: linked[n] for n in ("A", "B", "C", POOLED)}
    comparisons = compare_each(planted.results, three, n_boot=N_BOOT)
    assert set(comparisons.diffs) == {(POOLED, "A"), (POOLED, "B"), (POOLED, "C"), ("A", "B"),
                                      ("A", "C"), ("B", "C")}
    assert comparisons.diffs[("A", "B")].differ and not comparisons.diffs[("A", "C")].differ
    # B (the other preference) differs from the pooled one (mostly A's three draws), A does not
    assert comparisons.diffs[(POOLED, "B")].differ and not comparisons.diffs[(POOLED, "A")].differ
    weights = {n: np.full(planted.results.n_items, 1 / planted.results.n_items) for n in three}
    view = PopulationView(weights, {"A": 0.0, "B": 0.0, "C": 0.0}, {"splits": {}}, comparisons)
    page = populations_html(view, planted.results.items, planted.results.benchmarks, {})
    assert "where populations differ from the pooled benchmark" in page
    assert "p-value (verdict)" in page and "every pair of populations" in page
    for name, d in ((n, comparisons.diffs[(POOLED, n)]) for n in "ABC"):
        listed = f"{name}: questions that gain and lose most against pooled" in page
        assert listed == d.differ
        if not d.differ:
            assert f"<b>{name}</b>: pooled and {name} (" in page and "cannot be told apart" in page


def test_compare_each_skips_a_population_with_too_few_rated_models(planted, linked):
    from benchalign.populations.compare import compare_each

    small = linked["B"].pairs.within(np.arange(4), planted.results.n_models)
    tiny = type(linked["B"])(small, small.models(), linked["B"].ratings, "ratings")
    comparisons = compare_each(planted.results, {"A": linked["A"], "tiny": tiny,
                                                 POOLED: linked[POOLED]}, n_boot=10)
    assert set(comparisons.diffs) == {(POOLED, "A")}
    assert "'tiny' has 4 rated models" in comparisons.skipped["tiny"]


def test_holm_adjusted_p_values_match_the_step_down_rule():
    from benchalign.populations.compare import holm

    # sorted 0.01, 0.02, 0.03, 0.5 times 4, 3, 2, 1 -> 0.04, 0.06, 0.06 (monotone), 0.5
    np.testing.assert_allclose(holm([0.03, 0.01, 0.5, 0.02]), [0.06, 0.04, 0.5, 0.06])
    np.testing.assert_allclose(holm([0.4, 0.9]), [0.8, 0.9])
    assert holm([0.6, 0.7]).max() <= 1.0


def test_compare_each_judges_by_the_holm_adjusted_p_value(planted, linked):
    from benchalign.populations.compare import compare_each, holm

    three = {n: linked[n] for n in ("A", "B", "C", POOLED)}
    comparisons = compare_each(planted.results, three, n_boot=N_BOOT)
    diffs = list(comparisons.diffs.values())
    np.testing.assert_allclose([d.p_holm for d in diffs], holm([d.p_value for d in diffs]))
    for d in diffs:
        assert d.differ == (d.p_holm < d.alpha) and d.p_holm >= d.p_value
        assert (len(d.gaining) + len(d.losing) > 0) == d.differ
        assert "after Holm's correction" in d.sentence()


def _flat_results(n_models: int = 12, n_items: int = 16):
    """Every model scores one value on every item (values differ between models): any weights
    give the same scores, so every refit orders the models as the full fit does."""
    from benchalign.data import Results

    level = np.linspace(0.1, 0.9, n_models, dtype=np.float32)
    values = np.repeat(level[:, None], n_items, axis=1)
    values[:, ::2] += 0.05  # the items differ by a constant: not all identical columns
    models = np.array([f"m{i:02d}" for i in range(n_models)], dtype=object)
    items = np.array([f"b{j % 2}/q{j:02d}" for j in range(n_items)], dtype=object)
    return Results(models, items, np.array([i.split("/")[0] for i in items], dtype=object), values)


def _linked_ratings(results, rating: np.ndarray):
    frame = pd.DataFrame({"model": results.models, "rating": rating, "category": "A"})
    return link_populations(results, split_populations(frame, "category"))["A"]


def test_a_population_compared_with_itself_where_refits_reproduce_the_fit_has_p_one():
    results = _flat_results()
    own = _linked_ratings(results, 1000 + 37 * (np.arange(results.n_models) % 7))
    diff = compare_populations(results, own, own, names=("A", "A2"), n_boot=30)
    assert diff.distance == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(diff.null, 0.0, atol=1e-12)
    assert diff.p_value == 1.0  # every null draw ties the observed distance, and counts
    assert diff.verdict == INDISTINGUISHABLE and len(diff.gaining) == len(diff.losing) == 0


def test_identical_scores_order_no_pair_differently():
    from benchalign.populations.compare import discordance

    flat = np.full(6, 0.7)
    assert discordance(flat, flat.copy()) == 0.0
    assert discordance(flat, np.arange(6.0)) == 0.5
    assert discordance(np.arange(6.0), np.arange(6.0)) == pytest.approx(0.0, abs=1e-12)
    assert discordance(np.arange(6.0), -np.arange(6.0)) == pytest.approx(1.0)


def test_cli_compare_on_identical_results_says_nothing_is_ordered_differently(tmp_path):
    n = 8
    long = pd.DataFrame([(f"m{i}", "b", f"q{j}", 0.5) for i in range(n) for j in range(12)],
                        columns=["model", "benchmark", "item", "score"])
    long.to_csv(tmp_path / "r.csv", index=False)
    prefs = pd.concat([pd.DataFrame({"model": [f"m{i}" for i in range(n)], "category": c,
                                     "rating": 1000 + 10 * np.arange(n) * s})
                       for c, s in (("A", 1), ("B", -1))])
    prefs.to_csv(tmp_path / "p.csv", index=False)
    res = CliRunner().invoke(cli, ["populations", "compare", "--results", str(tmp_path / "r.csv"),
                                   "--preferences", str(tmp_path / "p.csv"), "--population-column",
                                   "category", "--a", "A", "--b", "B", "--n-boot", "20"])
    assert res.exit_code == 0, res.output
    assert "order 0.0% of model pairs differently" in res.output, res.output
    assert "p = 1.000" in res.output


def test_the_null_is_each_populations_own_refits_against_its_own_full_fit(planted, linked):
    from benchalign.populations.compare import discordance
    from benchalign.scores import model_scores

    results = planted.results
    diff = compare_populations(results, linked["A"], linked["B"], n_boot=15, random_state=2)
    own = [refit_population(results, linked[p], n_boot=15, random_state=2) for p in "AB"]
    np.testing.assert_array_equal(diff.null, np.concatenate([own[0].null, own[1].null]))
    for fit, name in zip(own, "AB"):
        alone = BenchmarkAligner(method="correlation").fit(results, linked[name])
        np.testing.assert_allclose(fit.weights, alone.weights_)  # not the pooled fit
        full = model_scores(fit.weights, values=results.values, observed=results.observed)[0]
        boot = model_scores(fit.boot_weights.T, values=results.values, observed=results.observed)[0]
        expected = [discordance(full, boot[:, k]) for k in range(boot.shape[1])]
        np.testing.assert_allclose(fit.null, expected)
    pooled = refit_population(results, linked[POOLED], n_boot=15, random_state=2)
    assert not np.allclose(pooled.weights, own[0].weights)

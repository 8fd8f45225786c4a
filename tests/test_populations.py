"""Per-population fit: planted populations are told apart, identical ones are not; the benchmark
file holds every population's weights; `fit --population-column` and `score --population`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchalign.artifact import AlignedBenchmark, load_benchmark, score
from benchalign.cli import cli
from benchalign.data import PairSet
from benchalign.errors import ArtifactError, InputFormatError
from benchalign.populations.aligner import (POOLED, PopulationAligner, choose_blend, link_populations, pool,
                                    split_populations)

from .conftest import make_planted, write_long


@pytest.fixture(scope="module")
def planted():
    return make_planted(n_models=40, n_items=48, seed=3)


def _frame(d, ratings: dict[str, np.ndarray]) -> pd.DataFrame:
    """A ratings table with a 'category' column: one rating per model and population."""
    return pd.concat([pd.DataFrame({"model": d.results.models, "category": name,
                                    "rating": 1000 + 400 * r}) for name, r in ratings.items()],
                     ignore_index=True)


def _views(d, seed: int = 0):
    """Per-model mean on the 'pref' items (first quarter) and on the 'other' items, plus noise."""
    rng = np.random.default_rng(seed)
    v = d.results.values
    noise = lambda: 0.05 * rng.normal(size=d.results.n_models)  # noqa: E731
    return v[:, :12].mean(axis=1) + noise(), v[:, 12:].mean(axis=1) + noise(), v[:, :12].mean(axis=1) + noise()


def test_two_populations_preferring_different_benchmarks_are_told_apart(planted):
    pref_a, other_b, _ = _views(planted)
    pa = PopulationAligner().fit(planted.results, split_populations(
        _frame(planted, {"A": pref_a, "B": other_b}), "category"))
    assert set(pa.weights_) == {"A", "B", POOLED}
    mass = {name: w[:12].sum() for name, w in pa.weights_.items()}
    # each population keeps weights of its own, on the benchmark its preferences reward
    assert pa.blend_["A"] < 1 and pa.blend_["B"] < 1
    assert mass["A"] > 0.7 and mass["B"] < 0.2 and mass["B"] < mass[POOLED] < mass["A"]
    assert mass["A"] - mass["B"] > 0.5
    for w in pa.weights_.values():
        assert w.min() >= 0 and w.sum() == pytest.approx(1.0)


def test_identical_populations_are_not_told_apart(planted):
    pref_a, _, pref_c = _views(planted)  # two noisy draws of the same preference
    pa = PopulationAligner().fit(planted.results, split_populations(
        _frame(planted, {"A": pref_a, "C": pref_c}), "category"))
    # the blend may move on fold noise, but the benchmarks stay the same: per-benchmark mass
    # within 0.05 of each other and of the pooled one (against > 0.5 apart when they differ)
    mass = {name: w[:12].sum() for name, w in pa.weights_.items()}
    assert abs(mass["A"] - mass["C"]) < 0.05
    assert abs(mass["A"] - mass[POOLED]) < 0.05 and abs(mass["C"] - mass[POOLED]) < 0.05


def test_choose_blend_takes_the_largest_pull_within_one_standard_error():
    grid = (0.0, 0.5, 1.0)
    clear = np.array([[0.9, 0.8, 0.6], [0.92, 0.8, 0.62], [0.88, 0.79, 0.6]])
    assert choose_blend(grid, clear) == 0.0
    noisy = np.array([[0.9, 0.9, 0.8], [0.8, 0.9, 0.9], [0.9, 0.8, 0.9]])
    assert choose_blend(grid, noisy) == 1.0
    assert choose_blend(grid, np.full((1, 3), np.nan)) == 1.0


def test_pool_adds_weights_and_averages_targets_in_either_order():
    one = PairSet(np.array([0, 1]), np.array([1, 2]), np.array([1.0, 2.0]), np.array([1.0, 0.5]))
    two = PairSet(np.array([1]), np.array([0]), np.array([3.0]), np.array([1.0]))  # 1 beats 0
    pooled = pool([one, two])
    assert pooled.a.tolist() == [0, 1] and pooled.b.tolist() == [1, 2]
    assert pooled.weight.tolist() == [4.0, 2.0]
    assert pooled.target.tolist() == [0.25, 0.5]


def test_population_column_errors_name_the_fix(planted):
    frame = _frame(planted, {"A": np.arange(40.0)})
    with pytest.raises(InputFormatError, match="no population column 'language'"):
        split_populations(frame, "language")
    with pytest.raises(InputFormatError, match="reserved for the pooled"):
        split_populations(frame.assign(category=POOLED), "category")


def test_benchmark_file_round_trips_every_population(planted, tmp_path):
    items, benchmarks = planted.results.items, planted.results.benchmarks
    uniform = np.full(len(items), 1 / len(items))
    first = np.zeros(len(items))
    first[0] = 1.0
    bench = AlignedBenchmark(items, benchmarks, uniform, populations={"A": first})
    bench.save(tmp_path / "b.json")
    back = load_benchmark(tmp_path / "b.json")
    np.testing.assert_array_equal(back.populations["A"], first)
    ranked = score(back.for_population("A"), planted.results)
    assert ranked["score"].tolist()[:1] == [1.0]  # only item 0 counts
    np.testing.assert_array_equal(back.for_population(POOLED).weights, uniform)
    with pytest.raises(ArtifactError, match="no population 'B'; it has: pooled, A"):
        back.for_population("B")
    doc = json.loads((tmp_path / "b.json").read_text())
    doc["populations"]["A"]["weights"][0] = 0.5
    doc["populations"]["A"]["weights"][1] = 0.5
    (tmp_path / "edited.json").write_text(json.dumps(doc))
    with pytest.raises(ArtifactError, match="population 'A' do not match their content hash"):
        load_benchmark(tmp_path / "edited.json")


def _write_two_populations(planted, tmp_path) -> list[str]:
    """results.csv and prefs.csv (populations A and B in 'category'); the CLI arguments reading them."""
    write_long(planted.results, tmp_path / "results.csv")
    pref_a, other_b, _ = _views(planted)
    _frame(planted, {"A": pref_a, "B": other_b}).to_csv(tmp_path / "prefs.csv", index=False)
    return ["--results", str(tmp_path / "results.csv"), "--preferences", str(tmp_path / "prefs.csv"),
            "--population-column", "category"]


def test_fit_population_column_then_score_a_population(planted, tmp_path):
    files = _write_two_populations(planted, tmp_path)
    run = CliRunner().invoke
    out = tmp_path / "b.json"
    res = run(cli, ["fit", *files, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "pooled" in res.output and out.exists()
    bench = load_benchmark(out)
    assert set(bench.populations) == {"A", "B"}
    pref = bench.benchmarks == "pref"  # items are sorted by name in the file
    assert bench.populations["A"][pref].sum() > 0.7 > bench.populations["B"][pref].sum()
    res = run(cli, ["score", "--benchmark", str(out), "--results", str(tmp_path / "results.csv"),
                    "--population", "B"])
    assert res.exit_code == 0 and res.output.startswith("rank,model,score")
    res = run(cli, ["score", "--benchmark", str(out), "--results", str(tmp_path / "results.csv"),
                    "--population", "Z"])
    assert res.exit_code == 2 and "no population 'Z'" in res.output


def test_cross_matrix_tells_planted_populations_apart_on_the_same_splits(planted):
    from benchalign.data import link
    from benchalign.evaluation.splits import parse_split
    from benchalign.populations.evaluate import evaluate_populations
    from benchalign.report.text import format_cross
    pref_a, other_b, pref_c = _views(planted)
    pops = {name: link(planted.results, p) for name, p in split_populations(
        _frame(planted, {"A": pref_a, "B": other_b, "C": pref_c}), "category").items()}
    report = evaluate_populations(planted.results, pops, splits=[parse_split("random:0.3:3")],
                                  n_bootstrap=200).to_dict()
    fam = report["splits"]["random"]
    cross = fam["cross"]
    assert set(cross) == {"A", "B", "C", POOLED} and set(cross["A"]) == {"A", "B", "C"}
    # B's own benchmark beats A's on B's held-out pairs (and vice versa) beyond the interval ...
    assert cross["A"]["B"]["paired_vs_own"]["ci"][0] > 0.1
    assert cross["B"]["A"]["paired_vs_own"]["ci"][0] > 0.1
    # ... while A and C, two draws of one preference, are not: each interval holds 0
    for row, col in (("C", "A"), ("A", "C")):
        lo, hi = cross[row][col]["paired_vs_own"]["ci"]
        assert lo <= 0.0 <= hi, (row, col, lo, hi)
    assert cross["A"]["A"]["paired_vs_own"] == {"mean": 0.0, "ci": [0.0, 0.0]}
    own = fam["populations"]["B"]["methods"]["own"]
    assert own["pairwise_accuracy"]["mean"] == pytest.approx(cross["B"]["B"]["pairwise_accuracy"]["mean"])
    assert set(fam["populations"]["B"]["methods"]) == {"uniform", "own", "pooled"}
    assert len(fam["per_split"]) == 3 and "(own)" in format_cross(report)
    # the text names the level the intervals were computed at, not a fixed 95%
    assert "paired 95% CI" in format_cross(report)
    assert "paired 90% CI" in format_cross({**report, "ci_level": 0.9})
    assert "95%" not in format_cross({**report, "ci_level": 0.9})


def test_evaluate_population_column_writes_the_cross_matrix(planted, tmp_path):
    files = _write_two_populations(planted, tmp_path)
    out = tmp_path / "pop.json"
    res = CliRunner().invoke(cli, ["evaluate", *files, "--split", "random:0.3:2", "--bootstrap", "50",
                                   "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "(own)" in res.output
    doc = json.loads(out.read_text())
    assert doc["schema"] == "benchalign.population_evaluation/1"
    cell = doc["splits"]["random"]["cross"]["pooled"]["A"]
    assert set(cell) == {"pairwise_accuracy", "paired_vs_own"}
    assert set(cell["paired_vs_own"]) == {"mean", "ci"}


def test_report_population_column_adds_the_populations_section(planted, tmp_path):
    files = _write_two_populations(planted, tmp_path)
    out = tmp_path / "report.html"
    res = CliRunner().invoke(cli, ["report", *files, "--split", "random:0.3:2", "--repeats", "1",
                                   "--bootstrap", "50", "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text()
    assert 'data-section="populations"' in page and "cross matrix, split random" in page
    assert "where the column&#x27;s own benchmark and the row&#x27;s differ" in page
    assert "A: questions that gain and lose most against pooled" in page
    assert "where populations differ from the pooled benchmark" in page and "p-value (verdict)" in page


@pytest.mark.parametrize("name", ["pooled ", "Pooled", " POOLED", "", "   "])
def test_reserved_and_blank_population_names_are_refused(planted, name):
    frame = _frame(planted, {"A": np.arange(40.0), "B": np.arange(40.0)})
    frame.loc[frame["category"] == "B", "category"] = name
    with pytest.raises(InputFormatError, match="reserved for the pooled|is empty at 40 rows"):
        split_populations(frame, "category")


def test_population_names_are_read_as_written_then_scored_by_that_name(planted, tmp_path):
    """'01' and '1' are two populations (not both the number 1), and `score --population 01`
    finds the first."""
    write_long(planted.results, tmp_path / "results.csv")
    pref_a, other_b, _ = _views(planted)
    _frame(planted, {"01": pref_a, "1": other_b}).to_csv(tmp_path / "prefs.csv", index=False)
    out = tmp_path / "b.json"
    res = CliRunner().invoke(cli, ["fit", "--results", str(tmp_path / "results.csv"), "--preferences",
                                   str(tmp_path / "prefs.csv"), "--population-column", "category",
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    bench = load_benchmark(out)
    assert set(bench.populations) == {"01", "1"}
    pref = bench.benchmarks == "pref"
    assert bench.populations["01"][pref].sum() > 0.7 > bench.populations["1"][pref].sum()
    res = CliRunner().invoke(cli, ["score", "--benchmark", str(out), "--results",
                                   str(tmp_path / "results.csv"), "--population", "01"])
    assert res.exit_code == 0 and res.output.startswith("rank,model,score"), res.output


def _population_ratings(planted, tmp_path, **columns) -> list[str]:
    write_long(planted.results, tmp_path / "results.csv")
    pref_a, other_b, _ = _views(planted)
    frame = _frame(planted, {"A": pref_a, "B": other_b})
    frame.assign(**{k: v(frame) for k, v in columns.items()}).to_csv(tmp_path / "prefs.csv", index=False)
    return ["fit", "--results", str(tmp_path / "results.csv"), "--preferences",
            str(tmp_path / "prefs.csv"), "--population-column", "category",
            "-o", str(tmp_path / "b.json"), "--force"]


def test_the_population_path_honours_the_rating_interval_options(planted, tmp_path):
    # intervals that do not contain their rating: an error unless --ignore-uncertainty
    args = _population_ratings(planted, tmp_path, rating_q025=lambda f: f["rating"] + 5,
                               rating_q975=lambda f: f["rating"] + 10)
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and "rating_q025" in res.output, res.output
    res = CliRunner().invoke(cli, [*args, "--ignore-uncertainty"])
    assert res.exit_code == 0, res.output
    # --rating-interval-columns names the columns to read (here: ones the file lacks)
    res = CliRunner().invoke(cli, [*args, "--rating-interval-columns", "lo,hi"])
    assert res.exit_code == 2 and "lo" in res.output and "hi" in res.output, res.output


def test_the_population_path_reads_a_leaderboard_column_and_runs_the_data_checks(planted, tmp_path):
    args = _population_ratings(planted, tmp_path)
    frame = pd.read_csv(tmp_path / "prefs.csv").rename(columns={"rating": "arena score"})
    frame.to_csv(tmp_path / "prefs.csv", index=False)
    res = CliRunner().invoke(cli, [*args, "--rating-column", "arena score"])
    assert res.exit_code == 0, res.output
    long = pd.read_csv(tmp_path / "results.csv")
    long.loc[long["model"] == planted.results.models[3], "score"] *= 100  # 0-100 among 0-1
    long.to_csv(tmp_path / "results.csv", index=False)
    res = CliRunner().invoke(cli, [*args, "--rating-column", "arena score"])
    assert "[scale-mix]" in res.output and planted.results.models[3] in res.output, res.output


def test_a_per_category_file_without_the_option_says_how_to_use_it_and_check_takes_it(planted, tmp_path):
    args = _population_ratings(planted, tmp_path)[:5]  # fit --results R --preferences P
    check_args = ["check", *args[1:]]
    res = CliRunner().invoke(cli, check_args)
    assert res.exit_code == 2 and "models rated more than once" in res.output
    assert "has a column 'category' that gives a model one rating per value" in res.output
    assert "--population-column category" in res.output
    res = CliRunner().invoke(cli, [*check_args, "--population-column", "category",
                                   "--json", str(tmp_path / "check.json")])
    assert res.exit_code in (0, 1), res.output
    assert "2 populations in 'category'" in res.output
    assert "A (40 rated, 780 pairs): noise ceiling" in res.output
    assert "B (40 rated, 780 pairs): noise ceiling" in res.output
    doc = json.loads((tmp_path / "check.json").read_text())
    assert set(doc["ceiling"]) == {"A", "B"} and doc["summary"]["population_column"] == "category"


def test_no_held_out_preference_reaches_a_population_fit(planted, monkeypatch):
    """Every BenchmarkAligner fit made while evaluating populations (each population's, the
    pooled one, and the blend's folds) sees only the split's training models: no pair and no
    rating of a held-out model."""
    from benchalign.data import Linked
    from benchalign.evaluation.splits import make_splits, parse_split
    from benchalign.fit import aligner as aligner_module
    from benchalign.populations.evaluate import evaluate_populations

    pref_a, other_b, _ = _views(planted)
    linked = link_populations_of(planted, {"A": pref_a, "B": other_b})
    seen: list[list[tuple[set, set]]] = [[]]
    original = aligner_module.BenchmarkAligner.fit

    def recording(self, results, preferences, *args, **kwargs):
        pairs = preferences.pairs if isinstance(preferences, Linked) else preferences
        rated = (set(np.flatnonzero(np.isfinite(preferences.ratings)).tolist())
                 if isinstance(preferences, Linked) else set())
        seen[-1].append((set(pairs.a.tolist()) | set(pairs.b.tolist()), rated))
        return original(self, results, preferences, *args, **kwargs)

    monkeypatch.setattr(aligner_module.BenchmarkAligner, "fit", recording)
    spec = parse_split("random:0.3:3")
    report = evaluate_populations(planted.results, linked, splits=[spec], seed=1, n_bootstrap=50,
                                  progress=lambda n: seen.append([])).to_dict()
    pooled = link_populations(planted.results, linked)[POOLED]
    splits = make_splits(spec, planted.results, pooled.rated, None, 1)  # what it draws
    assert report["splits"]["random"]["n_splits"] == 3
    for fits, split in zip(seen, splits):
        held = set(split.test.tolist())
        assert len(fits) > 3  # two populations, the pooled fit and the blend's folds
        for models, rated in fits:
            assert models and not models & held
            assert not rated & held


def link_populations_of(d, ratings: dict[str, np.ndarray]) -> dict:
    """Each population's preferences on the results rows (without the pooled ones)."""
    linked = link_populations(d.results, split_populations(_frame(d, ratings), "category"))
    return {name: lk for name, lk in linked.items() if name != POOLED}


def test_estimator_edges_not_fitted_clone_and_get_params(planted):
    from benchalign.errors import BenchAlignError, NotFittedError, ParameterError
    from benchalign.fit import BenchmarkAligner

    pops = split_populations(_frame(planted, {"A": _views(planted)[0]}), "category")
    unfitted = BenchmarkAligner()
    for call in (unfitted.predict, unfitted.score_rows, PopulationAligner().predict):
        # scikit-learn's contract: an AttributeError too, so hasattr-style probes work
        with pytest.raises(NotFittedError, match="is not fitted yet; call fit") as info:
            call(planted.results)
        assert isinstance(info.value, AttributeError) and isinstance(info.value, BenchAlignError)
    template = BenchmarkAligner(method="correlation", cv_folds=3, random_state=9)
    pa = PopulationAligner(aligner=template, blend_grid=(0.0, 1.0), random_state=4)
    params = pa.get_params()
    assert params == {"aligner": template, "blend_grid": (0.0, 1.0), "cv_folds": 5, "random_state": 4}
    pa.fit(planted.results, pops)
    # every population's aligner is a clone of the template (a new object, not the template
    # fitted), with the population aligner's seed and scoring over observed questions
    assert not hasattr(template, "weights_")
    for fitted in pa.aligners_.values():
        assert fitted is not template and fitted.method_ == "correlation"
        assert fitted.get_params() == {"method": "correlation", "completion": "none",
                                       "cv_folds": 3, "random_state": 4}
    copy = PopulationAligner(**params).fit(planted.results, pops)
    np.testing.assert_array_equal(copy.weights_["A"], pa.weights_["A"])
    np.testing.assert_allclose(pa.predict(planted.results, "A"),
                               planted.results.values @ pa.weights_["A"], rtol=1e-5)
    with pytest.raises(ParameterError, match="'population' parameter"):
        pa.predict(planted.results, "B")
    with pytest.raises(ParameterError, match="'aligner' parameter of PopulationAligner"):
        PopulationAligner(aligner=BenchmarkAligner(completion="additive")).fit(planted.results, pops)


def test_population_evaluation_json_on_a_shipped_case_is_unchanged(tmp_path, monkeypatch):
    """`evaluate --population-column` on three alpacaeval2 categories (2 random splits, 50
    resamples) is byte-identical to the stored output: the typed PopulationEvaluation writes the
    document the dict did."""
    from pathlib import Path

    from click.testing import CliRunner

    from benchalign.cli import cli
    from benchalign.datasets import load_case

    monkeypatch.chdir(tmp_path)  # relative paths: the document records them as given
    runner = CliRunner()
    assert runner.invoke(cli, ["datasets", "export", "alpacaeval2", "ae"]).exit_code == 0
    table = load_case("alpacaeval2").preferences_by_category
    table[table["category"].isin(["coding", "math", "full"])].to_csv("ae/pbc3.csv", index=False)
    res = runner.invoke(cli, ["evaluate", "--results", "ae/results.csv.gz", "--preferences",
                              "ae/pbc3.csv", "--population-column", "category", "--split",
                              "random:0.3:2", "--bootstrap", "50", "--json", "pe.json"])
    assert res.exit_code == 0, res.output
    golden = Path(__file__).parent / "data" / "golden" / "evaluate_populations_alpacaeval2_3cat.json"
    assert (tmp_path / "pe.json").read_bytes() == golden.read_bytes()

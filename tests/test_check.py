"""benchalign.check: each check finds the problem planted in small generated data, clean generated
data gives no warning, and the shipped real cases name their known problems."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr
from scipy.stats import beta as beta_dist

from benchalign.check import CheckReport, Finding, check, heldout_ceiling, intransitive_triples, pair_ceiling
from benchalign.data import PairSet, Results, link, preferences_from_frame
from benchalign.evaluation.heldout import Evaluation, FamilyEvaluation
from benchalign.simulate import simulate


def sim(seed: int = 0, **kwargs):
    """120 models × 150 questions in 3 benchmarks, 40 rated (ratings unless told otherwise)."""
    params = dict(n_rated=40, seed=seed)
    params.update(kwargs)
    return simulate(120, {"a": 50, "b": 50, "c": 50}, **params)


def rated_names(d) -> list[str]:
    return sorted(d.preferences.models.tolist())


def edited(results: Results, values: np.ndarray, observed: np.ndarray | None = None) -> Results:
    return Results(results.models, results.items, results.benchmarks, values.astype(np.float32),
                   observed if observed is not None else results.observed)


def codes(report: CheckReport, severity: str | None = None) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in report.findings:
        if severity is None or f.severity == severity:
            out.setdefault(f.code, []).append(f)
    return out


def only(report: CheckReport, code: str) -> Finding:
    found = codes(report).get(code, [])
    assert len(found) == 1, (code, [(f.code, f.severity) for f in report.findings])
    return found[0]


# --------------------------------------------------------------------------------------------------
# Clean data and the report's shape
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    dict(), dict(missing=0.1, seed=1), dict(graded=True, seed=2),
    dict(preference="battles", seed=3), dict(preference="pairs", seed=4),
])
def test_clean_generated_data_has_no_warning_or_error(kwargs):
    d = sim(**kwargs)
    report = check(d.results, d.preferences)
    assert report.at_least("warning") == [], [f.message for f in report.at_least("warning")]
    assert report.exit_code == 0
    assert "headroom" in codes(report)


def test_findings_sorted_most_severe_first_and_json_schema():
    d = sim()
    values = d.results.values.copy()
    rated = d.results.index_of(rated_names(d))
    values[rated[0]] *= 100                                   # error: another scale
    values[rated[1]] = values[rated[2]]                       # warning: a copy
    report = check(edited(d.results, values), d.preferences)
    order = [("error", "warning", "info").index(f.severity) for f in report.findings]
    assert order == sorted(order) and order[0] == 0
    doc = report.to_dict()
    assert list(doc) == ["schema", "findings", "summary", "ceiling"]
    assert doc["schema"] == "benchalign.check/1"
    assert all(list(f) == ["code", "severity", "models", "items", "benchmarks", "message", "fix"]
               for f in doc["findings"])
    assert doc["summary"]["counts"]["error"] == 1 and report.exit_code == 1


# --------------------------------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------------------------------


def test_rated_models_lacking_whole_benchmarks():
    d = sim()
    r = d.results
    observed = r.mask().copy()
    lacking = r.index_of(rated_names(d)[:3])
    observed[np.ix_(lacking, np.flatnonzero(r.benchmarks == "a"))] = False
    values = np.where(observed, r.values, 0)
    f = only(check(edited(r, values, observed), d.preferences), "missing-benchmarks")
    assert f.severity == "warning"
    assert set(f.models) == set(rated_names(d)[:3]) and f.benchmarks == ("a",)
    assert "b + c: 3" in f.message


def test_compared_models_without_common_items():
    d = sim()
    r = d.results
    x, y = r.index_of(rated_names(d)[:2])
    observed = r.mask().copy()
    observed[x, r.benchmarks != "a"] = False
    observed[y, r.benchmarks == "a"] = False
    f = only(check(edited(r, np.where(observed, r.values, 0), observed), d.preferences), "no-common-items")
    assert f.severity == "warning" and set(f.models) == set(rated_names(d)[:2])
    assert f.message.startswith("1 compared pairs")


def test_items_nobody_or_everybody_gets_right():
    d = sim()
    values = d.results.values.copy()
    values[:, 3] = 0
    values[:, 7] = 1
    f = only(check(edited(d.results, values), d.preferences), "constant-items")
    assert f.severity == "info" and set(f.items) >= {d.results.items[3], d.results.items[7]}
    assert "nobody" in f.message and "everybody" in f.message


# --------------------------------------------------------------------------------------------------
# Suspicious runs
# --------------------------------------------------------------------------------------------------


def test_failed_benchmark_run():
    d = sim(missing=0.05)
    r = d.results
    rated = r.index_of(rated_names(d))
    strong = rated[np.argmax(d.true_scores[rated])]          # the best rated model ...
    values = r.values.copy()
    values[strong, r.benchmarks == "b"] = 0                   # ... whose benchmark b run failed
    f = only(check(edited(r, values), d.preferences), "benchmark-outlier")
    assert f.severity == "warning" and f.models == (r.models[strong],) and f.benchmarks == ("b",)
    assert "below" in f.message


def test_constant_and_isolated_models():
    d = sim()
    r = d.results
    constant, noise = r.index_of(rated_names(d)[:2])
    values = r.values.copy()
    values[constant] = 0.5
    values[noise] = np.random.default_rng(0).random(r.n_items) < 0.5   # answers unrelated to items
    found = codes(check(edited(r, values), d.preferences))["degenerate-model"]
    assert {m for f in found for m in f.models} == {r.models[constant], r.models[noise]}
    assert all(f.severity == "warning" for f in found)


def test_model_on_another_scale():
    d = sim()
    values = d.results.values.copy()
    row = d.results.index_of([rated_names(d)[5]])[0]
    values[row] *= 100
    report = check(edited(d.results, values), d.preferences)
    f = only(report, "scale-mix")
    assert f.severity == "error" and f.models == (rated_names(d)[5],) and report.exit_code == 1


@pytest.mark.parametrize("flip", [0, 1])
def test_identical_and_almost_identical_models(flip):
    d = sim()
    values = d.results.values.copy()
    a, b = d.results.index_of(rated_names(d)[:2])
    values[b] = values[a]
    values[b, :flip] = 1 - values[b, :flip]
    f = only(check(edited(d.results, values), d.preferences), "near-duplicate")
    assert f.severity == "warning" and set(f.models) == set(rated_names(d)[:2])
    assert ("almost identical" in f.message) == bool(flip)


def test_models_that_differ_on_a_few_percent_of_questions_are_not_near_duplicates():
    """The near-duplicate threshold (at most 1 % of 0/1 questions differ): a rated pair that
    differs on 4 % of the questions correlates above the candidate threshold, so only the RMS
    rule keeps it out; at 0.7 % it is flagged."""
    from benchalign.check import CANDIDATE_CORR, model_profiles

    d = sim()
    rated = d.results.index_of(rated_names(d))
    means = d.results.values[rated].mean(axis=1)
    a = rated[np.argmin(np.abs(means - 0.5))]  # a model right on half the questions: the most
    b = rated[rated != a][0]                   # correlated copy for a given share of flips
    base = d.results.values.copy()
    base[b] = base[a]
    for n_flip, flagged in ((6, False), (1, True)):
        values = base.copy()
        values[b, :n_flip] = 1 - values[b, :n_flip]
        results = edited(d.results, values)
        profiles = model_profiles(results)
        assert float(profiles[a] @ profiles[b]) > CANDIDATE_CORR  # a candidate pair either way
        found = [f for f in check(results, d.preferences).findings
                 if f.code == "near-duplicate" and set(f.models) >= {d.results.models[a]}]
        assert bool(found) == flagged, (n_flip, [f.message for f in found])


# --------------------------------------------------------------------------------------------------
# Preferences
# --------------------------------------------------------------------------------------------------


def test_rated_models_missing_from_results():
    d = sim()
    frame = pd.concat([d.preference_frame, pd.DataFrame({"model": ["ghost"], "rating": [900.0]})])
    prefs = preferences_from_frame(frame)
    f = only(check(d.results, prefs), "unknown-models")
    assert f.severity == "error" and f.models == ("ghost",)
    assert only(check(d.results, prefs, ignore_unknown=True), "unknown-models").severity == "warning"


def test_cycles_and_intransitive_triples():
    d = sim(preference="pairs")
    m = rated_names(d)[:3]
    extra = pd.DataFrame({"winner": [m[0], m[1], m[2]] * 30, "loser": [m[1], m[2], m[0]] * 30})
    # sampled pairs (one comparison a row) with a cycle decided 30 to 0 on each of its pairs
    prefs = preferences_from_frame(pd.concat([d.preference_frame, extra]), kind="pairs",
                                   pair_counts=True)
    f = only(check(d.results, prefs), "preference-cycles")
    assert f.severity == "warning" and set(f.models) == set(m) and "1 intransitive triples" in f.message
    sampled = only(check(d.results, d.preferences), "preference-cycles")   # chance cycles only
    assert sampled.severity == "info" and "few comparisons" in sampled.message
    pairs = PairSet(np.array([0, 1, 0]), np.array([1, 2, 2]), np.ones(3), np.array([1.0, 1.0, 0.0]))
    assert intransitive_triples(pairs, 3) == 1
    assert intransitive_triples(PairSet(pairs.a, pairs.b, pairs.weight, np.ones(3)), 3) == 0


def test_ties_share():
    d = sim(preference="battles", tie_rate=0.0)
    m = rated_names(d)[:2]
    extra = pd.DataFrame({"model_a": [m[0]] * 4, "model_b": [m[1]] * 4, "winner": ["tie"] * 4})
    frame = d.preference_frame[~(d.preference_frame[["model_a", "model_b"]].isin(m).all(axis=1))]
    prefs = preferences_from_frame(pd.concat([frame, extra]), kind="battles")
    f = only(check(d.results, prefs), "ties")
    balanced = int(np.sum(prefs.pairs.target == 0.5))           # the tie and 1-1 draws
    assert f.severity == "info" and set(m) <= set(f.models)
    assert f.message.startswith(f"{balanced} of {len(prefs.pairs)} compared model pairs")


def interval_frame(d, half: float) -> pd.DataFrame:
    frame = d.preference_frame.copy()
    return frame.assign(rating_q025=frame["rating"] - half, rating_q975=frame["rating"] + half)


def test_overlapping_rating_intervals():
    d = sim()
    wide = check(d.results, preferences_from_frame(interval_frame(d, 200.0)))
    f = only(wide, "interval-overlap")
    assert f.severity == "warning" and "not separable" in f.message
    r = d.preference_frame["rating"].to_numpy()
    gaps = np.abs(r[:, None] - r[None, :])[np.triu_indices(len(r), 1)]
    assert f.message.startswith(f"{np.mean(gaps <= 400):.0%} of the {len(gaps)} rated pairs")
    narrow = only(check(d.results, preferences_from_frame(interval_frame(d, 0.5))), "interval-overlap")
    assert narrow.severity == "info"


def test_ratings_that_look_like_win_rates():
    d = sim()
    frame = d.preference_frame.assign(rating=lambda f: (f["rating"] - 600) / 800)   # in [0, 1]
    f = only(check(d.results, preferences_from_frame(frame)), "rating-scale")
    assert f.severity == "warning" and "win rates" in f.message and "--rating-scale" in f.fix


def test_reversed_ratings():
    d = sim()
    frame = d.preference_frame.assign(rating=lambda f: -f["rating"])
    f = only(check(d.results, preferences_from_frame(frame)), "reversed-ratings")
    assert f.severity == "warning" and "--lower-is-better" in f.fix


def test_metadata_lacking_rated_models():
    d = sim()
    models = d.models.set_index("model").drop(index=rated_names(d)[0])
    f = only(check(d.results, d.preferences, models=models), "metadata")
    assert f.models == (rated_names(d)[0],)


# --------------------------------------------------------------------------------------------------
# Noise ceiling
# --------------------------------------------------------------------------------------------------


def test_ceiling_from_rating_intervals_is_the_mean_agreement():
    ratings = np.array([1000.0, 1010.0, 1100.0])
    sd = np.array([10.0, 20.0, 5.0])
    frame = pd.DataFrame({"model": ["a", "b", "c"], "rating": ratings,
                          "rating_q025": ratings - 1.959963984540054 * sd,
                          "rating_q975": ratings + 1.959963984540054 * sd})
    prefs = preferences_from_frame(frame)
    a, b = np.triu_indices(3, 1)
    expected = np.mean(ndtr(np.abs(ratings[a] - ratings[b]) / np.hypot(sd[a], sd[b])))
    ceiling = pair_ceiling(prefs.pairs, "ratings", prefs.ratings, prefs.rating_sd)
    assert ceiling["pairwise_accuracy"] == pytest.approx(expected)
    assert ceiling["n_pairs"] == 3
    sharper = preferences_from_frame(frame.assign(rating_q025=ratings - 1, rating_q975=ratings + 1))
    assert pair_ceiling(sharper.pairs, "ratings", sharper.ratings,
                        sharper.rating_sd)["pairwise_accuracy"] > expected
    plain = preferences_from_frame(frame[["model", "rating"]])
    none = pair_ceiling(plain.pairs, "ratings", plain.ratings, None)
    assert none["pairwise_accuracy"] is None and "interval" in none["reason"]


def test_ceiling_from_battle_counts_is_the_posterior_of_the_majority():
    pairs = PairSet(np.array([0, 1]), np.array([1, 2]), np.array([10.0, 1.0]), np.array([0.7, 0.0]))
    got = pair_ceiling(pairs, "battles")["pairwise_accuracy"]
    first = 1 - beta_dist(7.5, 3.5).cdf(0.5)          # 7 wins of 10: P(true p > 1/2)
    second = beta_dist(0.5, 1.5).cdf(0.5)             # 0 wins of 1: P(true p < 1/2)
    assert got == pytest.approx((10 * first + 1 * second) / 11)


def test_heldout_ceiling_per_split_family():
    d = sim()
    prefs = preferences_from_frame(interval_frame(d, 30.0))
    linked = link(d.results, prefs)
    test = d.results.models[linked.rated[:10]].tolist()
    family = FamilyEvaluation("", 2, 0, 0.0, 10.0, {}, {}, [{"test": test}, {"test": test}])
    evaluation = Evaluation(0, 50, 0.95, d.results.n_models, d.results.n_items, 10, "ratings", [],
                            {"random": family})
    rows = d.results.index_of(test)
    expected = pair_ceiling(linked.pairs.within(rows, d.results.n_models), "ratings",
                            linked.ratings, linked.rating_sd)["pairwise_accuracy"]
    assert heldout_ceiling(d.results, linked, evaluation) == {"random": pytest.approx(expected)}
    plain = link(d.results, d.preferences)
    assert heldout_ceiling(d.results, plain, evaluation) == {"random": None}


def test_the_duplicate_scan_grows_with_models_not_pairs():
    """3,000 copies of one run and a near-copy: candidate pairs are one per copy (to the group's
    first model), not the 4.5 million pairs of copies; the finding is the same."""
    from benchalign.check import _gram_scan, model_profiles

    d = sim()
    values = np.repeat(d.results.values[:1], 3000, axis=0)
    values = np.vstack([values, d.results.values[1:]])
    values[-1] = values[0]
    values[-1, 0] = 1 - values[-1, 0]  # almost identical to the copies
    models = np.array([f"copy{i:04d}" for i in range(3000)] + list(d.results.models[1:]), dtype=object)
    results = Results(models, d.results.items, d.results.benchmarks, values.astype(np.float32))
    best, ci, cj = _gram_scan(model_profiles(results))
    assert len(ci) < 3000 + 64 * len(d.results.models)
    assert (ci < cj).all() and np.allclose(best[:3000], 1.0)
    found = [f for f in check(results, d.preferences).findings if f.code == "near-duplicate"]
    assert any({"copy0000", "copy2999", str(models[-1])} <= set(f.models) for f in found)


def test_the_sampled_scan_finds_what_the_full_scan_finds_on_planted_copies(monkeypatch):
    """Above EXACT_SCAN_MODELS distinct vectors the scan compares each with a sample and its
    neighbours along random projections: a planted near-copy is still found, and every best
    correlation is a lower bound of the exact one."""
    import benchalign.check as check_module

    d = sim()
    values = d.results.values.copy()
    a, b = d.results.index_of(rated_names(d)[:2])
    values[b] = values[a]
    values[b, 0] = 1 - values[b, 0]
    results = edited(d.results, values)
    profiles = check_module.model_profiles(results)
    exact_best, _, _ = check_module._gram_scan(profiles)
    monkeypatch.setattr(check_module, "EXACT_SCAN_MODELS", 10)
    monkeypatch.setattr(check_module, "REFERENCE_MODELS", 20)
    sampled_best, ci, cj = check_module._gram_scan(profiles)
    assert (min(a, b), max(a, b)) in set(zip(ci.tolist(), cj.tolist()))
    assert (sampled_best <= exact_best + 1e-6).all()
    f = only(check(results, d.preferences), "near-duplicate")
    assert set(f.models) == {d.results.models[a], d.results.models[b]}

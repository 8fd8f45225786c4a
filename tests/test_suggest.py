"""benchalign suggest: which models / pairs to get preferences for next."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchalign.cli import cli
from benchalign.data import Results, preferences_from_frame
from benchalign.errors import InsufficientDataError, ParameterError
from benchalign.suggest.rank import SCHEMA, suggest

from .conftest import make_planted, write_long


@pytest.fixture(scope="module")
def case():
    """60 planted models, the first 20 rated."""
    p = make_planted(n_models=60, n_items=40, seed=3)
    return p.results, preferences_from_frame(p.ratings.iloc[:20])


def test_models_table_ranked_and_deterministic(case):
    results, prefs = case
    a = suggest(results, prefs, 5, seed=1).table
    b = suggest(results, prefs, 5, seed=1).table
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["rank", "model", "value", "rank_sd", "novelty", "score", "reason"]
    assert list(a["rank"]) == [1, 2, 3, 4, 5]
    assert a["model"].is_unique
    assert not set(a["model"]) & set(prefs.models)
    assert np.allclose(a["value"], a["rank_sd"] * a["novelty"])
    assert (a["rank_sd"] >= 0).all() and (a["novelty"] >= 0).all()


def test_budget_equal_to_candidates_returns_every_candidate(case):
    results, prefs = case
    table = suggest(results, prefs, 40, seed=0).table
    assert sorted(table["model"]) == sorted(set(results.models) - set(prefs.models))


def test_budget_larger_than_candidates_is_a_typed_error(case):
    results, prefs = case
    with pytest.raises(InsufficientDataError, match="40 unrated models.*--budget 40"):
        suggest(results, prefs, 41)


def test_no_unrated_model_is_a_typed_error():
    p = make_planted(n_models=12, n_items=20, seed=0)
    with pytest.raises(InsufficientDataError, match="no unrated model"):
        suggest(p.results, preferences_from_frame(p.ratings), 1)


def test_pairs_are_suggested_when_every_model_is_rated():
    """A chain of pairs over 14 models, all rated: 78 of the 91 pairs were never compared, and
    pairs (not models) are what --unit pairs suggests."""
    p = make_planted(n_models=14, n_items=20, seed=0)
    names = p.results.models
    order = np.argsort(-p.ratings["rating"].to_numpy())
    chain = pd.DataFrame({"winner": names[order[:-1]], "loser": names[order[1:]]})
    prefs = preferences_from_frame(chain, kind="pairs")
    table = suggest(p.results, prefs, 5, unit="pairs", seed=0).table
    assert len(table) == 5
    compared = set(zip(chain["winner"], chain["loser"])) | set(zip(chain["loser"], chain["winner"]))
    assert not set(zip(table["model_a"], table["model_b"])) & compared
    with pytest.raises(InsufficientDataError, match="no unrated model"):
        suggest(p.results, prefs, 1, unit="models")


def test_no_bootstrap_replicate_is_a_typed_error_not_the_full_pair_set(case):
    """With 2 rated models no resample has the 3 distinct models a refit needs: an error, where
    counting the full pair set as every replicate gave rank_sd 0 for every model (the coverage
    weighting fits 2 rated models, so only the bootstrap stops it)."""
    results, prefs = case
    two = preferences_from_frame(pd.DataFrame({"winner": [prefs.models[0]], "loser": [prefs.models[1]]}))
    with pytest.raises(InsufficientDataError, match="no bootstrap resample of the 2 rated models"):
        suggest(results, two, 3, seed=0, aligner_params={"method": "coverage"})


@pytest.mark.parametrize("kwargs", [{"unit": "items"}, {"n_boot": 1}, {"seed": -1}])
def test_bad_parameters_name_the_parameter(case, kwargs):
    results, prefs = case
    with pytest.raises(ParameterError, match=list(kwargs)[0]):
        suggest(results, prefs, 2, **kwargs)


def test_zero_budget_is_rejected(case):
    with pytest.raises(ParameterError, match="budget"):
        suggest(*case, 0)


def test_unknown_candidate_is_named(case):
    with pytest.raises(InsufficientDataError, match="nope"):
        suggest(*case, 1, candidates=["m030", "nope"])


def test_pairs_are_new_and_ranked_by_disagreement(case):
    results, prefs = case
    table = suggest(results, prefs, 6, unit="pairs", seed=0).table
    assert list(table.columns[:3]) == ["rank", "model_a", "model_b"]
    assert (table["model_a"] != table["model_b"]).all()
    rated = set(prefs.models)
    assert not any(a in rated and b in rated for a, b in zip(table["model_a"], table["model_b"]))
    assert (np.diff(table["flip"]) <= 1e-12).all()
    assert ((table["flip"] >= 0) & (table["flip"] <= 0.5)).all()


def test_planted_informative_model_comes_first():
    """Rated models agree on both abilities' order; one unrated model is strong where the
    preferences look and weak elsewhere: where it ranks depends on the weights, and it lies far
    from every rated model. Copies of rated models carry no information."""
    p = make_planted(n_models=40, n_items=40, seed=5)
    values = p.results.values.copy()
    n_pref = 10
    values[30] = 0.0
    values[30, :n_pref] = 1.0  # the informative model
    values[31:] = values[:9]   # near-copies of rated models
    results = Results(p.results.models, p.results.items, p.results.benchmarks, values)
    prefs = preferences_from_frame(p.ratings.iloc[:20])
    table = suggest(results, prefs, 3, seed=0, candidates=results.models[20:]).table
    assert table["model"].iloc[0] == results.models[30]
    copies = set(results.models[31:])
    assert not copies & set(table["model"].iloc[:1])


def test_json_schema(case):
    results, prefs = case
    doc = suggest(results, prefs, 3).to_dict()
    assert doc["schema"] == SCHEMA == "benchalign.suggest/1"
    assert doc["unit"] == "models" and len(doc["suggestions"]) == 3
    assert set(doc["suggestions"][0]) == {"model", "value", "reason"}
    pairs = suggest(results, prefs, 2, unit="pairs").to_dict()
    assert set(pairs["suggestions"][0]) == {"model_a", "model_b", "value", "reason"}


def test_cli_writes_json_and_is_deterministic(tmp_path, case):
    results, prefs = case
    write_long(results, tmp_path / "r.csv")
    pd.DataFrame({"model": prefs.models, "rating": np.linspace(1000, 1200, len(prefs.models))}
                 ).to_csv(tmp_path / "p.csv", index=False)
    args = ["suggest", "--results", str(tmp_path / "r.csv"), "--preferences",
            str(tmp_path / "p.csv"), "--budget", "3", "--seed", "2"]
    one = CliRunner().invoke(cli, args + ["--json", str(tmp_path / "s.json")])
    two = CliRunner().invoke(cli, args)
    assert one.exit_code == 0, one.output
    assert one.stdout == two.stdout and one.stdout.count("\n") >= 3
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["schema"] == SCHEMA and len(doc["suggestions"]) == 3
    again = CliRunner().invoke(cli, args + ["--json", str(tmp_path / "s.json")])
    assert again.exit_code == 2 and "--force" in again.output


def test_cli_budget_too_large_exits_2_in_one_line(tmp_path, case):
    results, prefs = case
    write_long(results, tmp_path / "r.csv")
    prefs_frame = pd.DataFrame({"model": prefs.models, "rating": 1000 + 10 * np.arange(len(prefs.models))})
    prefs_frame.to_csv(tmp_path / "p.csv", index=False)
    out = CliRunner().invoke(cli, ["suggest", "--results", str(tmp_path / "r.csv"),
                                   "--preferences", str(tmp_path / "p.csv"), "--budget", "999"])
    assert out.exit_code == 2
    assert "--budget 40" in out.output and out.output.strip().count("\n") == 0


def test_models_the_check_finds_degenerate_are_left_out_and_listed(case, tmp_path):
    results, prefs = case
    values = results.values.copy()
    values[59] = 1.0                                      # an unrated model right on every item
    flat = Results(results.models, results.items, results.benchmarks, values, results.observed)
    found = suggest(flat, prefs, 39, seed=0)              # every other unrated model
    assert results.models[59] not in set(found.table["model"])
    assert found.left_out == [results.models[59]]
    assert found.to_dict()["left_out"] == [results.models[59]]
    # a candidate list given by the user is taken as it is
    named = suggest(flat, prefs, 1, seed=0, candidates=[results.models[59]])
    assert list(named.table["model"]) == [results.models[59]] and named.left_out == []
    write_long(flat, tmp_path / "r.csv")
    prefs_frame = pd.DataFrame({"model": prefs.models, "rating": prefs.ratings})
    prefs_frame.to_csv(tmp_path / "p.csv", index=False)
    res = CliRunner().invoke(cli, ["suggest", "--results", str(tmp_path / "r.csv"), "--preferences",
                                   str(tmp_path / "p.csv"), "--budget", "2"])
    assert res.exit_code == 0, res.output
    assert "left out 1 unrated model that `benchalign check` finds degenerate" in res.output
    assert results.models[59] in res.output.splitlines()[-1]


def test_json_on_a_shipped_case_is_unchanged(tmp_path):
    """`suggest --json` on alpacaeval2 (budget 5, seed 0) is byte-identical to the stored output:
    the typed result writes the same document the table-with-attrs did."""
    out, ae = tmp_path / "s.json", tmp_path / "ae"
    assert CliRunner().invoke(cli, ["datasets", "export", "alpacaeval2", str(ae)]).exit_code == 0
    res = CliRunner().invoke(cli, ["suggest", "--results", str(ae / "results.csv.gz"),
                                   "--preferences", str(ae / "preferences.csv"),
                                   "--budget", "5", "--json", str(out)])
    assert res.exit_code == 0, res.output
    golden = Path(__file__).parent / "data" / "golden" / "suggest_alpacaeval2_budget5.json"
    assert out.read_bytes() == golden.read_bytes()

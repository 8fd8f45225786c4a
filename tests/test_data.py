"""Readers and validation: every accepted form, and a typed, specific error for each bad input."""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pandas as pd
import pytest

from benchalign.data import ELO_SCALE, PairSet, link
from benchalign.errors import (
    DataValidationError,
    DataWarning,
    InputFormatError,
    InsufficientDataError,
    UnknownModelError,
)
from benchalign.io.load import load_models, load_preferences, load_results

LONG = "model,benchmark,item,score\nA,x,x/1,1\nA,x,x/2,0\nB,x,x/1,0\nB,y,y/1,0.5\nC,y,y/1,1\n"


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["r.csv", "r.csv.gz"])
def test_long_csv_and_gzip_give_the_same_matrix(tmp_path, name):
    r = load_results(_write(tmp_path, name, LONG))
    assert r.models.tolist() == ["A", "B", "C"]
    assert r.items.tolist() == ["x/1", "x/2", "y/1"]
    assert r.benchmarks.tolist() == ["x", "x", "y"]
    np.testing.assert_array_equal(r.mask(), [[1, 1, 0], [1, 0, 1], [0, 0, 1]])
    assert r.values[1, 2] == pytest.approx(0.5)


def test_parquet_round_trip(tmp_path):
    r = load_results(_write(tmp_path, "r.csv", LONG))
    r.to_long().to_parquet(tmp_path / "r.parquet")
    r2 = load_results(tmp_path / "r.parquet")
    np.testing.assert_array_equal(r.values, r2.values)
    np.testing.assert_array_equal(r.mask(), r2.mask())


def test_extra_columns_are_ignored_and_said_in_verbose_output(tmp_path, caplog):
    text = "run_id,model,benchmark,item,score,latency\n" + "\n".join(
        f"{i},{line},0.1" for i, line in enumerate(LONG.splitlines()[1:]))
    with caplog.at_level("INFO", logger="benchalign"):
        r = load_results(_write(tmp_path, "r.csv", text + "\n"))
    assert r.n_models == 3
    assert "ignoring extra columns run_id, latency" in caplog.text


def test_wide_table(tmp_path):
    r = load_results(_write(tmp_path, "w.csv", "model,x/1,x/2,y/1\nA,1,0,\nB,0,,0.5\n"))
    assert r.items.tolist() == ["x/1", "x/2", "y/1"]
    np.testing.assert_array_equal(r.mask(), [[1, 1, 0], [1, 0, 1]])


def test_model_names_that_look_like_numbers_stay_text(tmp_path):
    r = load_results(_write(tmp_path, "r.csv", "model,benchmark,item,score\n007,b,1,1\n7,b,1,0\n"))
    assert r.models.tolist() == ["007", "7"]


@pytest.mark.parametrize(
    ("text", "error", "fragments"),
    [
        (LONG + "D,x,x/1,nan\n", DataValidationError, ["missing (empty or NaN)", "line 7", "never imputes"]),
        (LONG + "D,x,x/1,\n", DataValidationError, ["missing (empty or NaN)", "line 7"]),
        (LONG + "D,x,x/1,inf\n", DataValidationError, ["infinite", "line 7"]),
        (LONG + "D,x,x/1,yes\n", DataValidationError, ["not numbers", "line 7 ('yes')", "decimal"]),
        (LONG + "A,x,x/1,0\n", DataValidationError, ["different scores", "('A', 'x/1')", "line 2", "line 7"]),
        (LONG + "A,x,x/1,1\n", DataValidationError, ["more than once with the same score", "concatenated"]),
        (LONG + "D,y,x/1,1\n", DataValidationError, ["more than one benchmark", "'x/1'"]),
        (LONG + ",x,x/1,1\n", DataValidationError, ["'model' is empty", "line 7"]),
        ("model;benchmark;item;score\nA;x;x/1;1\n", InputFormatError, ["semicolon", "comma-separated"]),
        ("model,benchmark,item,score\n", InputFormatError, ["no data rows"]),
        ("", InputFormatError, ["empty"]),
        ("name,value\na,1\n", InputFormatError, ["not a results table", "name, value"]),
    ],
)
def test_bad_results_raise_typed_errors_naming_rows_and_fix(tmp_path, text, error, fragments):
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(error) as err:
        load_results(path)
    message = str(err.value)
    assert "bad.csv" in message
    for fragment in fragments:
        assert fragment in message


def test_truncated_gzip_and_wrong_encoding(tmp_path):
    path = tmp_path / "r.csv.gz"
    path.write_bytes(gzip.compress(LONG.encode() * 50)[:60])
    with pytest.raises(InputFormatError, match="truncated or corrupt"):
        load_results(path)
    latin = tmp_path / "l.csv"
    latin.write_bytes("model,benchmark,item,score\nModèle,x,x/1,1\n".encode("latin-1"))
    with pytest.raises(InputFormatError, match="not valid UTF-8"):
        load_results(latin)


def test_missing_file(tmp_path):
    with pytest.raises(InputFormatError, match="not found. Check the path"):
        load_results(tmp_path / "nope.csv")


# ---------------------------------------------------------------------------------------- prefs


def test_ratings_become_soft_pairs(tmp_path):
    p = load_preferences(_write(tmp_path, "p.csv", "model,rating,source\nA,1100,x\nB,1000,x\nC,1000,x\n"))
    assert p.kind == "ratings"
    assert len(p.pairs) == 3
    ab = (p.pairs.a == 0) & (p.pairs.b == 1)
    assert p.pairs.target[ab][0] == pytest.approx(1 / (1 + np.exp(-100 / ELO_SCALE)))
    bc = (p.pairs.a == 1) & (p.pairs.b == 2)
    assert p.pairs.target[bc][0] == 0.5


def test_pairs_collapse_to_counts(tmp_path):
    p = load_preferences(_write(tmp_path, "p.csv", "winner,loser\nA,B\nA,B\nB,A\nC,A\n"))
    assert p.kind == "pairs"
    by = {(p.models[a], p.models[b]): (w, t) for a, b, w, t in zip(p.pairs.a, p.pairs.b, p.pairs.weight, p.pairs.target)}
    assert by[("A", "B")] == (3.0, pytest.approx(2 / 3))
    assert by[("A", "C")] == (1.0, 0.0)


def test_weighted_pairs(tmp_path):
    p = load_preferences(_write(tmp_path, "p.csv", "winner,loser,weight\nA,B,2.5\nB,A,0.5\n"))
    assert p.pairs.weight.tolist() == [3.0]
    assert p.pairs.target[0] == pytest.approx(2.5 / 3)


def test_battles_with_ties(tmp_path):
    text = ("model_a,model_b,winner,language\nA,B,model_a,en\nA,B,model_b,en\nB,A,tie,en\n"
            "A,C,tie (bothbad),de\nC,A,both_bad,de\nA,C,model_b,de\n")
    p = load_preferences(_write(tmp_path, "b.csv", text))
    assert p.kind == "battles"
    by = {(p.models[a], p.models[b]): (w, t) for a, b, w, t in zip(p.pairs.a, p.pairs.b, p.pairs.weight, p.pairs.target)}
    assert by[("A", "B")] == (3.0, pytest.approx(0.5))
    assert by[("A", "C")] == (3.0, pytest.approx(1 / 3))


def test_forced_format_overrides_detection(tmp_path):
    path = _write(tmp_path, "p.csv", "model,rating,winner,loser\nA,1,A,B\nB,2,A,B\n")
    assert load_preferences(path).kind == "pairs"
    assert load_preferences(path, kind="ratings").kind == "ratings"


@pytest.mark.parametrize(
    ("text", "error", "fragments"),
    [
        ("winner,loser\nA,A\nA,B\n", DataValidationError, ["compared with itself", "line 2", "'A'"]),
        ("model_a,model_b,winner\nA,B,draw\n", DataValidationError, ["unknown winner labels", "'draw'", "never read as a tie"]),
        ("model,rating\nA,1000\nA,1100\n", DataValidationError, ["rated more than once", "A"]),
        ("model,rating\nA,\nB,1100\n", DataValidationError, ["missing", "line 2"]),
        ("model,rating\nA,1000\n", InsufficientDataError, ["only 1 rated model"]),
        ("model,rating\nA,1000\nB,1000\n", InsufficientDataError, ["same rating"]),
        ("model_a,model_b,winner\nA,B,tie\nB,A,tie\n", InsufficientDataError, ["every comparison is a tie"]),
        ("winner,loser\nA,B\nB,A\n", InsufficientDataError, ["balanced"]),
        ("winner,loser,weight\nA,B,-1\n", DataValidationError, ["must be > 0", "line 2"]),
        ("who,what\nA,B\n", InputFormatError, ["cannot tell the preference format"]),
        # rankings and best-of-k choices (tests/test_lists.py has the accepted forms)
        ("list_id,model,rank\na,x,1\na,y,2\nb,z,1\n", DataValidationError,
         ["single model", "line 4 (list 'b')", "at least two models"]),
        ("list_id,model,rank\na,x,1\na,x,2\n", DataValidationError,
         ["appears twice in one list", "line 2", "line 3", "'x'"]),
        ("list_id,model,rank\na,x,1\na,y,first\n", DataValidationError,
         ["rank column 'rank'", "not numbers", "line 3 ('first')"]),
        ("list_id,model,rank\na,x,1\na,y,\n", DataValidationError, ["rank column 'rank' is missing", "line 3"]),
        ("list_id,model,rank\na,x,1\n,y,2\n", DataValidationError, ["'list_id' is empty at line 3"]),
        ("list_id,model,rank,weight\na,x,1,1\na,y,2,1\n", InputFormatError, ["no 'weight' column"]),
        ("list_id,model,chosen\na,x,0\na,y,0\nb,x,1\nb,y,0\n", DataValidationError,
         ["exactly one model chosen", "'a' (from line 2, 0 chosen)"]),
        ("list_id,model,chosen\na,x,1\na,y,1\n", DataValidationError, ["'a' (from line 2, 2 chosen)"]),
        ("list_id,model,chosen\na,x,1\na,y,maybe\n", DataValidationError,
         ["'chosen' must be 1 or 0", "line 3 ('maybe')"]),
        ("list_id,model,chosen\na,x,1\n", DataValidationError, ["single model"]),
    ],
)
def test_bad_preferences(tmp_path, text, error, fragments):
    with pytest.raises(error) as err:
        load_preferences(_write(tmp_path, "bad.csv", text))
    assert "bad.csv" in str(err.value)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_unknown_models_are_an_error_or_a_listed_warning(tmp_path):
    results = load_results(_write(tmp_path, "r.csv", LONG))
    prefs = load_preferences(_write(tmp_path, "p.csv", "model,rating\nA,1\nB,2\nZed,3\nYak,4\n"))
    with pytest.raises(UnknownModelError, match=r"2 preference models are not in the results: Yak, Zed.*--ignore-unknown-models"):
        link(results, prefs)
    with pytest.warns(DataWarning, match="Yak, Zed; their preferences are ignored"):
        linked = link(results, prefs, ignore_unknown=True)
    assert results.models[linked.rated].tolist() == ["A", "B"]


def test_no_overlap_is_an_error(tmp_path):
    results = load_results(_write(tmp_path, "r.csv", LONG))
    prefs = load_preferences(_write(tmp_path, "p.csv", "model,rating\nP,1\nQ,2\n"))
    with pytest.raises(UnknownModelError, match="none of the 2 preference models appear"):
        link(results, prefs, ignore_unknown=True)


def test_cycles_are_a_warning_not_an_error(tmp_path):
    results = load_results(_write(tmp_path, "r.csv", LONG))
    prefs = load_preferences(_write(tmp_path, "p.csv", "winner,loser\nA,B\nB,C\nC,A\n"))
    with pytest.warns(DataWarning, match=r"cycle group\(s\), e.g. \[A, B, C\]"):
        linked = link(results, prefs)
    assert len(linked.pairs) == 3


def test_no_cycle_no_warning(tmp_path):
    results = load_results(_write(tmp_path, "r.csv", LONG))
    prefs = load_preferences(_write(tmp_path, "p.csv", "winner,loser\nA,B\nB,C\nA,C\n"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        link(results, prefs)


def test_model_metadata(tmp_path):
    m = load_models(_write(tmp_path, "m.csv", "model,params_b,organization\nA,7,x\nB,,y\n"))
    assert m.loc["A", "params_b"] == 7.0 and np.isnan(m.loc["B", "params_b"])
    with pytest.raises(DataValidationError, match="params_b is not a number at line 2"):
        load_models(_write(tmp_path, "m2.csv", "model,params_b\nA,seven\n"))
    with pytest.raises(DataValidationError, match="listed more than once: A"):
        load_models(_write(tmp_path, "m3.csv", "model,params_b\nA,1\nA,2\n"))


def test_ratings_that_look_reversed_are_flagged(planted):
    from benchalign.data import preferences_from_frame

    r = planted.results
    ranks = pd.DataFrame({"model": r.models, "rating": (-r.values.mean(axis=1)).argsort().argsort() + 1})
    with pytest.warns(DataWarning, match="ratings fall as the plain benchmark score rises.*--lower-is-better"):
        link(r, preferences_from_frame(ranks))  # rank 1 = best: lower is better
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        link(r, preferences_from_frame(ranks.assign(rating=-ranks["rating"])))


def test_absurd_scores_and_absurd_sparsity(tmp_path, monkeypatch):
    with pytest.raises(DataValidationError, match="absurdly large magnitudes.*'A'"):
        load_results(_write(tmp_path, "r.csv", "model,benchmark,item,score\nA,x,x/1,1e300\nB,x,x/1,0\n"))
    import benchalign.data as data_module

    monkeypatch.setattr(data_module, "MAX_CELLS", 1000)
    rows = "\n".join(f"m{i},b,b/{i},1" for i in range(100))  # 100 models, one different item each
    with pytest.raises(InsufficientDataError, match="100 models × 100 items make a 10,000-cell matrix of which only 1.0000% is observed"):
        load_results(_write(tmp_path, "s.csv", "model,benchmark,item,score\n" + rows + "\n"))


def test_one_hundred_thousand_models_with_one_item_each(tmp_path):
    n = 100_000
    frame = pd.DataFrame({"model": [f"m{i}" for i in range(n)], "benchmark": "b", "item": "b/1",
                          "score": np.arange(n) % 2})
    frame.to_parquet(tmp_path / "r.parquet")
    r = load_results(tmp_path / "r.parquet")
    assert r.values.shape == (n, 1) and r.complete


def test_pairs_relabel_to_positions_among_rows():
    pairs = PairSet(np.array([4, 7, 2]), np.array([7, 2, 4]), np.ones(3), np.array([1.0, 0.0, 0.5]))
    local = pairs.relabel(np.array([2, 4, 7]), n_models=9)
    np.testing.assert_array_equal(local.a, [1, 2, 0])
    np.testing.assert_array_equal(local.b, [2, 0, 1])
    np.testing.assert_array_equal(local.target, pairs.target)
    outside = pairs.relabel(np.array([2, 4]), n_models=9)      # model 7 is not among the rows
    np.testing.assert_array_equal(outside.a, [1, -1, 0])


def test_scores_keep_float64_when_float32_would_merge_or_shift_them(tmp_path):
    exact = load_results(_write(tmp_path, "a.csv", "model,benchmark,item,score\nA,b,q,1\nB,b,q,0.25\n"))
    assert exact.values.dtype == np.float32
    text = ("model,benchmark,item,score\na,b,q,100000001\nb,b,q,100000000\nc,b,q,100000003\n"
            "d,b,r,0.70000001\ne,b,r,0.7000004\n")
    precise = load_results(_write(tmp_path, "b.csv", text))
    assert precise.values.dtype == np.float64
    got = {m: precise.values[i, precise.observed[i]][0] for i, m in enumerate(precise.models)}
    assert got == {"a": 100000001, "b": 100000000, "c": 100000003, "d": 0.70000001, "e": 0.7000004}


def test_printed_scores_have_the_digits_to_order_them():
    from benchalign.outputs import ordering_format

    assert ordering_format(np.array([0.5, 0.25, 1.0])) == "%.6g"
    close = np.array([100000001.0, 100000000.0, 100000003.0, np.nan])
    fmt = ordering_format(close)
    assert len({fmt % v for v in close[:3]}) == 3
    assert ordering_format(np.array([0.70000001, 0.7000004])) == "%.7g"  # 0.7 and 0.7000004


def test_score_ranks_and_prints_scores_that_float32_would_tie(tmp_path):
    from click.testing import CliRunner

    from benchalign.cli import cli

    results = _write(tmp_path, "r.csv", "model,benchmark,item,score\n" + "".join(
        f"{m},b,q{q},{v + q}\n" for m, v in (("a", 100000001), ("b", 100000000), ("c", 100000003))
        for q in range(3)))
    prefs = _write(tmp_path, "p.csv", "model,rating\na,1000\nb,900\nc,1100\n")
    run = CliRunner().invoke(cli, ["fit", "--results", str(results), "--preferences", str(prefs),
                                   "-o", str(tmp_path / "b.json")])
    assert run.exit_code == 0, run.output
    run = CliRunner().invoke(cli, ["score", "--benchmark", str(tmp_path / "b.json"), "--results", str(results)])
    rows = [line.split(",")[:3] for line in run.stdout.splitlines()[1:]]
    assert [m for _, m, _ in rows] == ["c", "a", "b"]
    scores = [float(s) for _, _, s in rows]  # every model has the same weighted offset over q
    assert scores[0] - scores[1] == pytest.approx(2, abs=1e-6) and scores[1] - scores[2] == pytest.approx(1, abs=1e-6)


NFC_NAME, NFD_NAME = "mod\u00e8le-\u00e9t\u00e9", "mode\u0300le-e\u0301te\u0301"


@pytest.mark.parametrize("wide", [False, True])
def test_names_in_nfd_and_nfc_are_one_name(tmp_path, wide):
    """'modèle-été' typed with combining accents (NFD, as macOS gives it) in the results and
    precomposed (NFC) in the preferences: one model, linked, not 'unknown'."""
    assert NFC_NAME != NFD_NAME
    rows = [(NFD_NAME if m == 0 else f"m{m}", "b", f"b/q{q}", float((m + q) % 3 == 0))
            for m in range(4) for q in range(6)]
    long = pd.DataFrame(rows, columns=["model", "benchmark", "item", "score"])
    table = long.pivot(index="model", columns="item", values="score").reset_index() if wide else long
    table.to_csv(tmp_path / "r.csv", index=False)
    pd.DataFrame({"model": [NFC_NAME, "m1", "m2", "m3"], "rating": [1000.0, 1100, 1200, 1300]}) \
        .to_csv(tmp_path / "p.csv", index=False)
    results = load_results(tmp_path / "r.csv")
    prefs = load_preferences(tmp_path / "p.csv")
    assert NFC_NAME in results.models.tolist() and NFC_NAME in prefs.models.tolist()
    linked = link(results, prefs)
    assert len(linked.rated) == 4


def test_the_same_name_in_nfd_and_nfc_in_one_file_is_one_model(tmp_path):
    pd.DataFrame({"model": [NFC_NAME, NFD_NAME, "m2"], "rating": [1000.0, 1100, 1200]}) \
        .to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(DataValidationError, match="rated more than once"):
        load_preferences(tmp_path / "p.csv")
    meta = pd.DataFrame({"model": [NFD_NAME, "m2"], "params_b": [7, 13]})
    meta.to_csv(tmp_path / "m.csv", index=False)
    assert NFC_NAME in load_models(tmp_path / "m.csv").index

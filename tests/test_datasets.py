"""The shipped real cases: shapes and rated counts as documented, Arena extras, and their export."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchalign.cli import cli
from benchalign.data import link
from benchalign.io.load import load_preferences, load_results
from benchalign.datasets import CASES, DEMO_CASES, case_path, case_shape, load_case
from benchalign.errors import InputFormatError

# models, questions, rated models, per benchmark (or dataset) question counts where documented
DOCUMENTED = {
    "metabench": (6349, 1075, 33, {"arc": 245, "gsm8k": 486, "mmlu": 102, "truthfulqa": 136,
                                    "winogrande": 106}),
    "alpacaeval2": (58, 805, 14, None),
    "alpacaeval1": (53, 805, 13, None),
    "livecodebench": (46, 1279, 11, {"lcb_codegen": 400, "lcb_execution": 479, "lcb_repair": 400}),
}


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_every_case_is_listed_once_and_demo_cases_are_shipped():
    assert sorted(CASES) == sorted(DOCUMENTED)
    assert set(DEMO_CASES) <= set(CASES)


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_case_has_the_documented_shape(name):
    n_models, n_items, n_rated, per_benchmark = DOCUMENTED[name]
    case = load_case(name)
    linked = link(case.results, case.preferences)
    assert (case.results.n_models, case.results.n_items, len(linked.rated)) == (n_models, n_items, n_rated)
    assert case_shape(name) == (n_models, n_items, n_rated)
    assert len(set(case.results.models)) == n_models
    if per_benchmark is not None:
        names, counts = np.unique(case.results.benchmarks, return_counts=True)
        assert dict(zip(names.tolist(), counts.tolist())) == per_benchmark
    assert case.items is not None and len(case.items) == n_items
    assert set(case.items["item"]) == set(case.results.items)


def test_alpacaeval1_scores_are_win_tie_loss_and_livecodebench_pass_rates():
    ae1 = load_case("alpacaeval1").results
    assert set(np.unique(ae1.values[ae1.mask()]).tolist()) == {0.0, 0.5, 1.0}
    lcb = load_case("livecodebench").results
    observed = lcb.values[lcb.mask()]
    assert observed.min() >= 0.0 and observed.max() <= 1.0 and len(np.unique(observed)) > 3


@pytest.mark.parametrize("name,rows,n_models", [("metabench", 643, 33), ("alpacaeval2", 275, 14)])
def test_arena_extras_cover_the_rated_models(name, rows, n_models):
    case = load_case(name)
    rated = set(case.preferences.models)
    by_category = case.preferences_by_category
    assert by_category is not None and len(by_category) == rows
    assert set(by_category["model"]) == rated and len(rated) == n_models
    assert (by_category["rating_q025"] <= by_category["rating"]).all()
    assert (by_category["rating"] <= by_category["rating_q975"]).all()
    assert "full" in set(by_category["category"])
    times = case.models_time
    assert times is not None and set(times["model"]) == rated and len(times) == n_models
    assert pd.api.types.is_datetime64_any_dtype(times["first_seen"])
    assert times["first_seen"].min() == pd.Timestamp("2023-05-08")


@pytest.mark.parametrize("name", ["alpacaeval1", "livecodebench"])
def test_cases_without_arena_extras_say_none(name):
    case = load_case(name)
    assert case.preferences_by_category is None and case.models_time is None and case.models is None


def test_unknown_case_names_the_shipped_ones():
    with pytest.raises(InputFormatError, match="choose one of metabench, alpacaeval2, alpacaeval1, livecodebench"):
        load_case("alpacaeval3")


def test_datasets_list_names_every_case_with_its_license():
    res = run("datasets", "list")
    assert res.exit_code == 0, res.output
    assert "metabench: " in res.output and "6,349 models x 1,075 questions, 33 rated" in res.output
    assert "livecodebench: " in res.output and "46 models x 1,279 questions, 11 rated" in res.output
    assert "data license: CC BY-NC-SA 4.0" in res.output
    assert "data license: none stated upstream" in res.output


def test_export_writes_files_every_command_reads(tmp_path):
    out = tmp_path / "ae1"
    res = run("datasets", "export", "alpacaeval1", str(out))
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "items.csv", "preferences.csv",
                                                     "results.csv.gz"]
    case = load_case("alpacaeval1")
    exported = load_results(out / "results.csv.gz")
    key = ["model", "item"]
    a = exported.to_long().sort_values(key).reset_index(drop=True)
    b = case.results.to_long().sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert (out / "preferences.csv").read_bytes() == case_path("alpacaeval1", "preferences.csv").read_bytes()
    assert len(link(exported, load_preferences(out / "preferences.csv")).rated) == 13
    items = pd.read_csv(out / "items.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(items, pd.read_csv(case_path("alpacaeval1", "items.csv.gz"), dtype=str,
                                                     keep_default_na=False))
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "CC BY-NC 4.0" in readme and "alpaca_eval_gpt4" in readme and "livecodebench" not in readme


def test_export_writes_the_arena_extras_and_float_scores_exactly(tmp_path):
    out = tmp_path / "ae2"
    assert run("datasets", "export", "alpacaeval2", str(out)).exit_code == 0
    for file in ("preferences_by_category.csv", "models_time.csv"):
        assert (out / file).read_bytes() == case_path("alpacaeval2", file).read_bytes()
    assert "Arena extras" in (out / "README.md").read_text(encoding="utf-8")
    exported = load_results(out / "results.csv.gz")
    case = load_case("alpacaeval2").results
    order = np.argsort(exported.models)
    assert np.array_equal(np.sort(exported.models), np.sort(case.models))
    # the shipped scores are float32; their shortest text reads back as the same float32 (the
    # reader keeps float64, which holds the decimal exactly)
    assert np.array_equal(exported.values[order][:, np.argsort(exported.items)].astype(np.float32),
                          case.values[np.argsort(case.models)][:, np.argsort(case.items)],
                          equal_nan=True)


def test_export_is_byte_identical_when_repeated(tmp_path):
    for folder in ("a", "b"):
        assert run("datasets", "export", "livecodebench", str(tmp_path / folder)).exit_code == 0
    for file in (tmp_path / "a").iterdir():
        assert file.read_bytes() == (tmp_path / "b" / file.name).read_bytes(), file.name
    assert gzip.decompress((tmp_path / "a" / "results.csv.gz").read_bytes()).startswith(
        b"model,benchmark,item,score\n")


def test_export_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "lcb"
    out.mkdir()
    (out / "preferences.csv").write_text("keep me")
    res = run("datasets", "export", "livecodebench", str(out))
    assert res.exit_code == 2
    assert res.output == (f"error: {out}: preferences.csv already exist(s); pass --force to overwrite, "
                          "or export into another folder.\n")
    assert (out / "preferences.csv").read_text() == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["preferences.csv"]
    assert run("datasets", "export", "livecodebench", str(out), "--force").exit_code == 0
    assert (out / "preferences.csv").read_bytes() == case_path("livecodebench", "preferences.csv").read_bytes()


def test_export_folder_errors_are_one_line(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    res = run("datasets", "export", "livecodebench", str(a_file))
    assert res.exit_code == 2 and res.output.count("\n") == 1 and "not a folder" in res.output
    res = run("datasets", "export", "livecodebench", str(tmp_path / "missing" / "deeper"))
    assert res.exit_code == 2 and res.output.count("\n") == 1 and "does not exist" in res.output
    res = run("datasets", "export", "alpacaeval3", str(tmp_path / "x"))
    assert res.exit_code == 2 and "alpacaeval3" in res.output
    assert not (tmp_path / "x").exists()

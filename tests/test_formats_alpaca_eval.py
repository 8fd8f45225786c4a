"""AlpacaEval reader: real AlpacaEval 1 and 2 annotations, and generated edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchalign.errors import DataValidationError, DataWarning, InputFormatError
from benchalign.io.formats import (
    detect_preference_format,
    detect_results_format,
    read_preferences_any,
    read_results_any,
)
from benchalign.io.formats.alpaca_eval import read_alpaca_eval
from benchalign.io.load import load_results

DATA = Path(__file__).parent / "data" / "formats" / "alpaca_eval" / "results"


def test_alpaca_eval_2_two_models():
    frame = read_results_any(DATA, annotator="weighted_alpaca_eval_gpt4_turbo")
    assert detect_results_format(DATA) == "alpaca_eval"
    assert frame.shape == (50, 4)
    assert sorted(frame["model"].unique()) == ["claude-2", "gemma-2b-it"]
    assert set(frame["benchmark"]) == {"alpaca_eval_2.0/weighted_alpaca_eval_gpt4_turbo"}
    assert frame["item"].nunique() == 25
    assert frame["item"].iloc[0].startswith("What are the names of some famous actors")
    assert frame["score"].between(0, 1).all()
    claude = frame[frame["model"] == "claude-2"]["score"].iloc[:4].round(7).tolist()
    assert claude == [0.0001196, 0.0000023, 0.0001234, 0.0695417]  # preference - 1
    results = load_results(DATA, annotator="weighted_alpaca_eval_gpt4_turbo")
    assert results.n_models == 2 and results.n_items == 25 and results.complete


def test_alpaca_eval_1_integer_preferences_and_draw():
    frame = read_alpaca_eval(DATA, annotator="alpaca_eval_gpt4")
    assert sorted(frame["model"].unique()) == ["alpaca-7b", "phi-2"]
    assert set(frame["benchmark"]) == {"alpaca_eval_1.0/alpaca_eval_gpt4"}
    assert set(frame["score"]) <= {0.0, 0.5, 1.0}
    alpaca = frame[frame["model"] == "alpaca-7b"]
    assert (alpaca["score"] == 0.5).sum() == 1  # the one preference 0 (a draw)


def test_mixed_annotators_need_a_choice_and_single_file():
    with pytest.raises(InputFormatError, match="several annotators.*--annotator"):
        read_alpaca_eval(DATA)
    one = DATA / "phi-2" / "alpaca_eval_gpt4" / "annotations.json"
    assert detect_results_format(one) == "alpaca_eval"
    assert len(read_results_any(one)) == 25
    with pytest.raises(InputFormatError, match="no annotations by 'gpt5'"):
        read_alpaca_eval(DATA, annotator="gpt5")


def write(tmp_path: Path, model: str, records: list[dict], annotator: str = "weighted_alpaca_eval_gpt4_turbo") -> Path:
    folder = tmp_path / "results" / model / annotator
    folder.mkdir(parents=True)
    (folder / "annotations.json").write_text(json.dumps(records))
    return folder / "annotations.json"


def record(i: int, pref, model: str = "m", ref: str = "gpt4_1106_preview") -> dict:
    return {"instruction": f"q{i}", "generator_1": ref, "generator_2": model, "preference": pref}


def test_null_preferences_are_skipped_and_counted_out_of_range_ones_raise(tmp_path):
    path = write(tmp_path, "m", [record(0, 1.2), record(1, None), record(2, None)])
    with pytest.warns(DataWarning, match=r"skipped 2 annotation records whose 'preference' is null .* 2 in "):
        frame = read_alpaca_eval(path)
    assert list(frame["item"]) == ["q0"] and frame["score"].tolist() == pytest.approx([0.2])
    path = write(tmp_path, "n", [record(0, 2.5, "n")])
    with pytest.raises(DataValidationError, match=r"\[0\]: 'preference' is 2.5, expected a number in \[1, 2\]"):
        read_alpaca_eval(path)


def test_different_references_are_not_comparable(tmp_path):
    write(tmp_path, "a", [record(0, 1.5, "a")])
    write(tmp_path, "b", [record(0, 1.5, "b", ref="text_davinci_003")])
    with pytest.raises(DataValidationError, match="different reference models"):
        read_alpaca_eval(tmp_path / "results")


def test_position_items_and_missing_key(tmp_path):
    path = write(tmp_path, "a", [record(0, 1.25, "a"), record(1, 2, "a")])
    assert list(read_alpaca_eval(path, item="position")["item"]) == ["0", "1"]
    bad = write(tmp_path, "b", [{"instruction": "q", "generator_2": "b"}])
    with pytest.raises(InputFormatError, match=r"\[0\]: annotation record lacks preference"):
        read_alpaca_eval(bad)


QUIRKS = Path(__file__).parent / "data" / "formats" / "alpaca_eval_quirks"


def test_real_upstream_quirks_are_read_with_a_warning_each():
    with pytest.warns(DataWarning) as seen:
        frame = read_alpaca_eval(QUIRKS / "results", annotator="weighted_alpaca_eval_gpt4_turbo")
    messages = " | ".join(str(w.message) for w in seen)
    # the nested copy of the annotator folder is named and not read: every pair once
    assert "nested inside itself" in messages and "weighted_alpaca_eval_gpt4_turbo/weighted_alpaca_eval_gpt4_turbo" in messages
    assert frame.groupby("model").size().to_dict() == {"NullModel": 10, "vicuna-13b-v1.5": 10}
    # NullModel's generator_2 is 'example': the folder names the model, as the leaderboard does
    assert "generator_2 is 'example'" in messages and "example" not in set(frame["model"])
    with pytest.warns(DataWarning, match=r"skipped 1 annotation records whose 'preference' is null"):
        one = read_alpaca_eval(QUIRKS / "results", annotator="alpaca_eval_gpt4")
    assert len(one) == 9 and set(one["model"]) == {"LMCocktail-10.7B-v1"}


@pytest.mark.parametrize("board", ["data_AlpacaEval/alpaca_eval_gpt4_leaderboard.csv",
                                   "data_AlpacaEval_2/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv"])
def test_leaderboard_whose_model_column_has_no_header(board):
    path = QUIRKS / "leaderboards" / board
    assert detect_preference_format(path) == "leaderboard"
    frame = read_preferences_any(path, rating_column="win_rate")
    assert "NullModel" in set(frame["model"]) or "gpt4_1106_preview" in set(frame["model"])
    assert frame["rating"].between(0, 100).all()
    with pytest.raises(InputFormatError, match="which column holds the rating.*--rating-column"):
        read_preferences_any(path)

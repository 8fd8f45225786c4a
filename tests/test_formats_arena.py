"""Arena battle logs and leaderboard tables. Battle files are generated in the FastChat
clean_battle JSON, LMArena JSONL and Kaggle one-hot CSV layouts (no real battle file is available
offline); the leaderboard test uses a real Chatbot Arena rating snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from benchalign.errors import DataValidationError, InputFormatError, InsufficientDataError
from benchalign.io.formats import detect_preference_format, read_preferences_any
from benchalign.io.formats.arena import read_battles, read_leaderboard
from benchalign.io.load import load_preferences

LEADERBOARD = Path(__file__).parent / "data" / "formats" / "leaderboard" / "ratings_2024-03-29.csv"

BATTLES = [  # FastChat clean_battle fields
    {"model_a": "gpt-4", "model_b": "vicuna-13b", "winner": "model_a", "language": "English",
     "tstamp": 1714500000.0, "anony": True, "is_code": False,
     "category_tag": {"math_v0.1": {"math": True}}},
    {"model_a": "gpt-4", "model_b": "vicuna-13b", "winner": "tie (bothbad)", "language": "German",
     "tstamp": 1714600000.0, "anony": True, "is_code": True,
     "category_tag": {"math_v0.1": {"math": False}}},
    {"model_a": "llama-2-7b-chat", "model_b": "gpt-4", "winner": "model_b", "language": "english",
     "tstamp": 1717200000.0, "anony": True, "is_code": True,
     "category_tag": {"math_v0.1": {"math": False}}},
    {"model_a": "vicuna-13b", "model_b": "llama-2-7b-chat", "winner": "both_bad",
     "language": "English", "tstamp": 1717300000.0, "anony": False, "is_code": False,
     "category_tag": {"math_v0.1": {"math": True}}},
]


@pytest.fixture
def battle_json(tmp_path: Path) -> Path:
    path = tmp_path / "clean_battle_20240601.json"
    path.write_text(json.dumps(BATTLES))
    return path


def test_json_battles_to_canonical_frame_and_pair_counts(battle_json):
    assert detect_preference_format(battle_json) == "arena"
    frame = read_preferences_any(battle_json)
    assert frame.columns.tolist() == ["model_a", "model_b", "winner"]
    assert frame["winner"].tolist() == ["model_a", "tie (bothbad)", "model_b", "tie (bothbad)"]
    prefs = load_preferences(battle_json)
    assert prefs.kind == "battles"
    assert prefs.models.tolist() == ["gpt-4", "llama-2-7b-chat", "vicuna-13b"]
    gpt_vicuna = (prefs.pairs.a == 0) & (prefs.pairs.b == 2)
    assert prefs.pairs.weight[gpt_vicuna].item() == 2.0  # one win + one tie
    assert prefs.pairs.target[gpt_vicuna].item() == 0.75


def test_jsonl_with_both_bad_and_filters(tmp_path):
    path = tmp_path / "battles.jsonl"
    path.write_text("\n".join(json.dumps(b) for b in BATTLES) + "\n")
    assert len(read_battles(path, language="english")) == 3
    assert len(read_battles(path, language=["German", "French"])) == 1
    assert len(read_battles(path, category="code")) == 2
    assert len(read_battles(path, category="math")) == 2
    assert len(read_battles(path, since="2024-05-01", until="2024-06-01")) == 2
    assert len(read_battles(path, until="2024-04-30")) == 1
    assert len(read_battles(path, until="2024-05-01")) == 2  # a date-only until includes that day
    assert len(read_battles(path, until="2024-05-01T00:00")) == 1
    prefs = load_preferences(path, fmt="arena", language="English", since="2024-06-01")
    assert len(prefs.pairs) == 2


def test_filter_needs_the_field_on_every_record(tmp_path):
    records = [dict(b) for b in BATTLES]
    del records[2]["language"]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(records))
    with pytest.raises(InputFormatError, match=r"b.json\[2\]: battle has no 'language'"):
        read_battles(path, language="English")
    with pytest.raises(InputFormatError, match=r"\[0\]: cannot tell whether the battle is in category 'poetry'"):
        read_battles(path, category="poetry")
    with pytest.raises(InputFormatError, match="--since 'May 1' is not a date"):
        read_battles(path, since="May 1")


def test_filters_that_keep_nothing(battle_json):
    with pytest.raises(InsufficientDataError, match="keep none of the 4 battles"):
        read_battles(battle_json, language="Klingon")


def test_unknown_winner_names_record(tmp_path):
    records = [dict(b) for b in BATTLES]
    records[1]["winner"] = "draw"
    path = tmp_path / "b.json"
    path.write_text(json.dumps(records))
    with pytest.raises(DataValidationError, match=r"b.json\[1\]: unknown winner 'draw'.*never read as a tie"):
        read_battles(path)


def test_one_hot_csv_layout(tmp_path):
    path = tmp_path / "train.csv"
    pd.DataFrame({
        "id": [1, 2, 3], "model_a": ["gpt-4", "gpt-4", "claude-2"],
        "model_b": ["claude-2", "llama", "llama"], "prompt": ["p", "q", "r"],
        "winner_model_a": [1, 0, 0], "winner_model_b": [0, 0, 1], "winner_tie": [0, 1, 0],
    }).to_csv(path, index=False)
    assert detect_preference_format(path) == "arena"
    assert read_battles(path)["winner"].tolist() == ["model_a", "tie", "model_b"]
    assert load_preferences(path).kind == "battles"
    frame = pd.read_csv(path)
    frame.loc[1, "winner_tie"] = 0
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError, match=r"train.csv: line 3: .*exactly one must be 1"):
        read_battles(path)


def test_canonical_battle_csv_stays_a_table_unless_filtered(tmp_path):
    path = tmp_path / "battles.csv"
    pd.DataFrame(BATTLES).drop(columns=["category_tag"]).to_csv(path, index=False)
    assert detect_preference_format(path) == "table"
    prefs = load_preferences(path)  # the core path reads both spellings of the both-bad tie
    assert prefs.kind == "battles" and prefs.pairs.weight.sum() == 4
    assert len(read_preferences_any(path, language="english")) == 3


def test_real_leaderboard_with_named_columns():
    frame = read_preferences_any(LEADERBOARD, model_column="arena_model")
    assert frame.columns.tolist() == ["model", "rating"]
    assert len(frame) == 76
    assert frame.iloc[0].tolist() == ["claude-3-opus-20240229", 1254.64]
    assert detect_preference_format(LEADERBOARD) == "leaderboard"
    prefs = load_preferences(LEADERBOARD, fmt="leaderboard")  # arena_model, rating recognized
    assert prefs.kind == "ratings" and len(prefs.models) == 76
    assert prefs.ratings.max() == 1254.64


def test_rank_column_lower_is_better(tmp_path):
    path = tmp_path / "board.csv"
    pd.DataFrame({"Model": ["a", "b", "c"], "Rank (UB)": [2, 1, 3]}).to_csv(path, index=False)
    with pytest.raises(InputFormatError, match="which column holds the rating.*--rating-column"):
        read_leaderboard(path)
    frame = read_leaderboard(path, rating_column="Rank (UB)", lower_is_better=True)
    assert frame["model"].tolist() == ["a", "b", "c"]
    assert frame["rating"].tolist() == [-2.0, -1.0, -3.0]
    with pytest.raises(InputFormatError, match="no column 'elo'"):
        read_leaderboard(path, rating_column="elo")


def test_bad_rating_cell_names_line(tmp_path):
    path = tmp_path / "board.csv"
    path.write_text("name,score\na,1.0\nb,1.2k\n")
    with pytest.raises(DataValidationError, match=r"not numbers at line 3 \('1.2k'\)"):
        read_leaderboard(path)


def test_duplicate_leaderboard_model_is_refused_by_validation(tmp_path):
    path = tmp_path / "board.csv"
    path.write_text("model,elo\na,1100\nb,1000\na,900\n")
    with pytest.raises(DataValidationError, match="rated more than once.*line 2, line 4"):
        load_preferences(path, fmt="leaderboard")

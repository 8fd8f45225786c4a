"""Name maps: reading and applying a reviewed map, and proposals checked against two real
hand-curated maps (Hugging Face / AlpacaEval names → Chatbot Arena names)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchalign.errors import DataValidationError, DataWarning, InputFormatError
from benchalign.io.formats.names import (
    apply_name_map,
    name_similarity,
    propose_name_map,
    read_name_map,
    warn_unused_names,
)

DATA = Path(__file__).parent / "data" / "formats"
ARENA = pd.read_csv(DATA / "leaderboard" / "ratings_2024-03-29.csv")["arena_model"]


@pytest.mark.parametrize("curated", ["metabench_name_map.csv", "alpacaeval2_name_map.csv"])
def test_every_proposal_agrees_with_the_curated_map(curated):
    truth = pd.read_csv(DATA / "names" / curated)
    proposal = propose_name_map(truth["model"], ARENA)
    expected = dict(zip(truth["model"], truth["arena_model"]))
    assert all(expected[f] == t for f, t in zip(proposal["from"], proposal["to"]))
    needed = truth[truth["model"] != truth["arena_model"]]
    found = set(proposal["from"])
    recall = needed["model"].isin(found).mean()
    assert recall >= (1.0 if curated.startswith("metabench") else 0.5)
    assert proposal["confidence"].between(0.6, 1.0).all()
    assert list(proposal.columns) == ["from", "to", "confidence", "note"]


def test_similarity_penalizes_size_and_version_contradictions():
    assert name_similarity("meta-llama/Llama-2-70b-chat-hf", "llama-2-70b-chat") == 1.0
    assert name_similarity("gpt4_1106_preview", "gpt-4-1106-preview") == 0.95
    assert name_similarity("llama-2-7b-chat", "llama-2-13b-chat") < 0.5
    assert name_similarity("Mistral-7B-Instruct-v0.1", "mistral-7b-instruct-v0.2") < 0.6
    assert name_similarity("claude-2.1", "claude-2.0") < 0.6
    assert name_similarity("claude-2", "claude-2.0") > 0.8


def test_different_families_are_not_proposed():
    assert name_similarity("falcon-7b-instruct", "mistral-7b-instruct") < 0.5
    assert name_similarity("jina-chat", "yi-34b-chat") < 0.5
    assert name_similarity("Meta-Llama-3-8B-Instruct", "llama-3-8b-instruct") >= 0.8
    proposal = propose_name_map(["falcon-7b-instruct", "jina-chat", "vicuna-13b-v1.5-hf"],
                                ["mistral-7b-instruct", "yi-34b-chat", "vicuna-13b-v1.5"])
    assert proposal[["from", "to"]].values.tolist() == [["vicuna-13b-v1.5-hf", "vicuna-13b-v1.5"]]


def test_identical_names_are_not_proposed():
    assert propose_name_map(["a-model", "b"], ["a-model"]).empty


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.csv"
    path.write_text(text)
    return path


def test_read_and_apply_map(tmp_path):
    mapping = read_name_map(write(tmp_path, "from,to\nmeta-llama/Llama-2-7b-chat-hf,llama-2-7b-chat\n"))
    frame = pd.DataFrame({"model_a": ["llama-2-7b-chat"], "model_b": ["x"], "winner": ["model_a"]})
    results = pd.DataFrame({"model": ["meta-llama/Llama-2-7b-chat-hf", "x"]})
    out = apply_name_map(results, mapping, ["model"])
    assert out["model"].tolist() == ["llama-2-7b-chat", "x"]
    assert apply_name_map(frame, mapping, ["model_a", "model_b"]).equals(frame)


def test_map_errors_name_the_rows(tmp_path):
    with pytest.raises(InputFormatError, match="needs columns from, to.*model -> from"):
        read_name_map(write(tmp_path, "model,arena_model\na,b\n"))
    with pytest.raises(DataValidationError, match="line 3 maps 'a' to 'c'.*earlier line maps it to 'b'"):
        read_name_map(write(tmp_path, "from,to\na,b\na,c\n"))
    with pytest.raises(DataValidationError, match="empty from/to at line 2"):
        read_name_map(write(tmp_path, "from,to\na,\n"))


def test_map_that_merges_two_present_models_is_refused(tmp_path):
    mapping = read_name_map(write(tmp_path, "from,to\nvicuna-13b-v1.5,vicuna-13b\n"))
    frame = pd.DataFrame({"model": ["vicuna-13b", "vicuna-13b-v1.5"]})
    frame.attrs["source"] = "results.csv"
    with pytest.raises(DataValidationError, match="results.csv: the name map merges.*'vicuna-13b-v1.5'"):
        apply_name_map(frame, mapping, ["model"])


def test_unsure_rows_are_applied_with_a_warning(tmp_path):
    path = write(tmp_path, "from,to,confidence\na,b,high\nc,d,low\ne,f,0.7\n")
    with pytest.warns(DataWarning, match="2 name-map rows whose confidence is not high: c -> d"):
        assert read_name_map(path) == {"a": "b", "c": "d", "e": "f"}


def test_json_map_and_unused_rows(tmp_path):
    path = tmp_path / "map.json"
    path.write_text('{"Llama-2-7b": "llama-2-7b-chat", "ghost": "x"}')
    mapping = read_name_map(path)
    assert dict(mapping) == {"Llama-2-7b": "llama-2-7b-chat", "ghost": "x"}
    apply_name_map(pd.DataFrame({"model": ["Llama-2-7b", "y"]}), mapping, ["model"])
    with pytest.warns(DataWarning, match="1 name-map rows rename models that are in neither file: ghost"):
        warn_unused_names(mapping, "map.json")
    path.write_text('[1, 2]')
    with pytest.raises(InputFormatError, match="a JSON name map is an object"):
        read_name_map(path)


def test_cli_reads_the_map_once_and_names_unused_rows(tmp_path):
    from click.testing import CliRunner

    from benchalign.cli import cli

    (tmp_path / "r.csv").write_text("model,benchmark,item,score\n" + "".join(
        f"M{m},b,b/q{q},{(m + q) % 3 / 2}\n" for m in range(4) for q in range(5)))
    (tmp_path / "p.csv").write_text("model,rating\n" + "".join(f"m{m},{1000 + 50 * m}\n" for m in range(4)))
    (tmp_path / "map.csv").write_text("from,to,confidence\n" + "".join(
        f"M{m},m{m},{'low' if m == 0 else 'high'}\n" for m in range(4)) + "ghost,m9,high\n")
    res = CliRunner().invoke(cli, ["fit", "--results", str(tmp_path / "r.csv"), "--preferences",
                                   str(tmp_path / "p.csv"), "--name-map", str(tmp_path / "map.csv"),
                                   "-o", str(tmp_path / "b.json")])
    assert res.exit_code == 0, res.output
    assert res.output.count("confidence is not high: M0 -> m0 (low)") == 1
    assert "rename models that are in neither file: ghost" in res.output

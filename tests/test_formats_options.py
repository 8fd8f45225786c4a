"""CLI options and loaders: a dummy click command with both decorators, every format through
load_results_from_options / load_preferences_from_options, and plain tables unchanged."""

from __future__ import annotations

import json
import math
from contextlib import nullcontext
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from benchalign.cli.format_options import (
    load_preferences_from_options,
    load_results_from_options,
    preference_format_options,
    results_format_options,
)
from benchalign.data import ELO_SCALE
from benchalign.errors import BenchAlignError, DataWarning, InputFormatError, ParameterError
from benchalign.io.formats import read_preferences_any, read_results_any
from benchalign.io.load import load_preferences, load_results

DATA = Path(__file__).parent / "data" / "formats"


@click.command()
@click.option("--results", required=True)
@click.option("--preferences", required=True)
@results_format_options
@preference_format_options
def dummy(results: str, preferences: str, **opts: object) -> None:
    try:
        res = load_results_from_options(results, **opts)
        prefs = load_preferences_from_options(preferences, **opts)
    except BenchAlignError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{res.n_models} {res.n_items} {prefs.kind} {len(prefs.models)} "
               f"{sorted(set(res.models) & set(prefs.models))}")


def test_help_lists_every_flag_once_with_defaults():
    result = CliRunner().invoke(dummy, ["--help"])
    assert result.exit_code == 0, result.output
    for flag in ("--results-format", "--results-metric", "--lm-eval-filter", "--annotator",
                 "--preference-format", "--model-column", "--rating-column", "--lower-is-better",
                 "--rating-scale", "--language", "--category", "--since", "--until"):
        assert result.output.count(flag) >= 1, flag
    assert result.output.count("--name-map") == 1
    assert "Default" in result.output


def test_alpaca_results_with_leaderboard_and_name_map(tmp_path):
    name_map = tmp_path / "map.csv"
    name_map.write_text("from,to\nclaude-2,claude-2.0\n")
    args = ["--results", str(DATA / "alpaca_eval" / "results"), "--annotator",
            "weighted_alpaca_eval_gpt4_turbo", "--preferences",
            str(DATA / "leaderboard" / "ratings_2024-03-29.csv"), "--model-column", "arena_model",
            "--name-map", str(name_map)]
    result = CliRunner().invoke(dummy, args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 25 ratings 76 ['claude-2.0', 'gemma-2b-it']"


def test_errors_reach_the_cli_as_one_line():
    args = ["--results", str(DATA / "helm"), "--results-metric", "accuracy",
            "--preferences", str(DATA / "leaderboard" / "ratings_2024-03-29.csv")]
    result = CliRunner().invoke(dummy, args)
    assert result.exit_code == 1
    assert "metric 'accuracy' not in this run" in result.output


@pytest.mark.parametrize("path, fmt, options, shape", [
    ("lm_eval", "auto", {}, (1, 10)),
    ("helm", "auto", {"results_metric": "exact_match"}, (1, 15)),
    ("alpaca_eval/results/phi-2", "alpaca_eval", {}, (1, 25)),
    ("every_eval_ever/instance_level__helm_mmlu_gpt2__None_samples.jsonl", "auto", {}, (1, 10)),
    ("every_eval_ever/example_aggregate__98ea850e-7019-4728-a558-8b1819ec47c2.json",
     "eee_aggregate", {}, (1, 6)),
])
def test_each_results_format_through_the_loader(path, fmt, options, shape):
    with pytest.warns(DataWarning) if path == "lm_eval" else nullcontext():
        results = load_results_from_options(DATA / path, results_format=fmt, seed=0, **options)
    assert (results.n_models, results.n_items) == shape


def test_plain_tables_take_the_table_path(tmp_path):
    long = tmp_path / "results.csv"
    pd.DataFrame({"model": ["a", "a", "b", "b"], "benchmark": "x", "item": ["q1", "q2"] * 2,
                  "score": [1, 0, 0, 1]}).to_csv(long, index=False)
    assert load_results(long).n_items == 2
    assert load_results_from_options(long).n_models == 2
    prefs = tmp_path / "prefs.csv"
    prefs.write_text("winner,loser\na,b\n")
    assert load_preferences(prefs).kind == "pairs"
    assert load_preferences_from_options(prefs).kind == "pairs"
    assert load_preferences_from_options(prefs, preference_format="pairs").kind == "pairs"
    with pytest.raises(InputFormatError, match="ratings preferences needs columns model, rating"):
        load_preferences_from_options(prefs, preference_format="ratings")
    assert read_results_any(long, "table").attrs["source"] == str(long)


def test_option_that_does_not_apply_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="--lm-eval-filter do\\(es\\) not apply to the 'helm' format"):
        read_results_any(DATA / "helm", filter_name="strict-match")
    with pytest.raises(ParameterError, match="'results_format' parameter must be one of"):
        read_results_any(DATA / "helm", "csv")
    with pytest.raises(ParameterError, match="--language do\\(es\\) not apply to the 'leaderboard'"):
        read_preferences_any(DATA / "leaderboard" / "ratings_2024-03-29.csv", "leaderboard",
                             language=["English"])


def test_unknown_layouts_ask_for_a_format(tmp_path):
    (tmp_path / "notes.md").write_text("hello")
    with pytest.raises(InputFormatError, match="cannot tell the results format.*--results-format"):
        read_results_any(tmp_path)
    odd = tmp_path / "odd.csv"
    odd.write_text("x,y\n1,2\n")
    with pytest.raises(InputFormatError, match="cannot tell the preference format.*--preference-format"):
        load_preferences_from_options(odd)


def test_rank_scale_default_and_override(tmp_path):
    board = tmp_path / "board.csv"
    board.write_text("Model,Rank\na,1\nb,2\n")
    prefs = load_preferences_from_options(board, rating_column="Rank", lower_is_better=True)
    assert prefs.pairs.target.item() == pytest.approx(1 / (1 + math.exp(-1)))
    prefs = load_preferences_from_options(board, rating_column="Rank", lower_is_better=True,
                                          rating_scale=ELO_SCALE)
    assert 0.5 < prefs.pairs.target.item() < 0.51


def test_battle_filters_through_the_loader(tmp_path):
    battles = tmp_path / "battles.jsonl"
    rows = [{"model_a": "a", "model_b": "b", "winner": "model_a", "language": "English"},
            {"model_a": "a", "model_b": "c", "winner": "both_bad", "language": "German"},
            {"model_a": "b", "model_b": "c", "winner": "model_b", "language": "English"}]
    battles.write_text("\n".join(json.dumps(r) for r in rows))
    prefs = load_preferences_from_options(battles, language=("english",))
    assert prefs.kind == "battles" and len(prefs.pairs) == 2

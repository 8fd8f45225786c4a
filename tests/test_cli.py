"""The command line end to end on small files: outputs, one-line errors, exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from benchalign.cli import cli

from .conftest import make_planted, write_long


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    d = make_planted(n_models=30, n_items=24, seed=11)
    write_long(d.results, tmp / "results.csv")
    d.ratings.assign(source="test").to_csv(tmp / "prefs.csv", index=False)
    return tmp


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_fit_then_score(files, tmp_path):
    out = tmp_path / "b.json"
    res = run("fit", "--results", str(files / "results.csv"), "--preferences", str(files / "prefs.csv"),
              "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "weight per benchmark" in res.output and out.exists()
    res = run("score", "--benchmark", str(out), "--results", str(files / "results.csv"))
    assert res.exit_code == 0
    lines = res.output.strip().splitlines()
    assert lines[0] == "rank,model,score,coverage,n_items" and len(lines) == 31
    ranked = tmp_path / "ranked.csv"
    assert run("score", "--benchmark", str(out), "--results", str(files / "results.csv"), "-o", str(ranked)).exit_code == 0
    assert ranked.read_text().startswith("rank,model")


def test_existing_output_needs_force(files, tmp_path):
    out = tmp_path / "b.json"
    out.write_text("keep me")
    args = ["fit", "--results", str(files / "results.csv"), "--preferences", str(files / "prefs.csv"),
            "-o", str(out)]
    res = run(*args)
    assert res.exit_code == 2
    assert res.output.strip() == f"error: {out}: already exists; pass --force to overwrite it."
    assert out.read_text() == "keep me"
    assert run(*args, "--force").exit_code == 0


def test_user_errors_are_one_line_with_exit_code_2(files, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("model,benchmark,item,score\nA,x,x/1,oops\n")
    res = run("fit", "--results", str(bad), "--preferences", str(files / "prefs.csv"), "-o", str(tmp_path / "o.json"))
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and res.output.startswith("error: ")
    assert "Traceback" not in res.output
    res = run("--debug", "fit", "--results", str(bad), "--preferences", str(files / "prefs.csv"), "-o", str(tmp_path / "o.json"))
    assert "Traceback" in res.output


def test_evaluate_writes_the_documented_json(files, tmp_path):
    out = tmp_path / "eval.json"
    res = run("evaluate", "--results", str(files / "results.csv"), "--preferences", str(files / "prefs.csv"),
              "--split", "random:0.3:2", "--methods", "uniform,benchmark_mean,ridge", "--bootstrap", "50",
              "--json", str(out))
    assert res.exit_code == 0, res.output
    assert "split random" in res.output
    report = json.loads(out.read_text())
    entry = report["splits"]["random"]["methods"]["ridge"]
    assert set(entry) == {"pairwise_accuracy", "spearman", "kendall_tau_b", "agreement_ci", "paired_vs_uniform"}
    assert set(entry["pairwise_accuracy"]) == {"mean", "ci"}
    assert set(report["splits"]["random"]["preference_separability"]) == {"mean", "ci"}


def test_evaluate_time_split_reads_dates_from_models(files, tmp_path):
    models = tmp_path / "models_time.csv"
    names = [f"m{i:03d}" for i in range(30)]
    dates = [f"2023-{1 + i // 3:02d}-{1 + i % 3:02d}" for i in range(30)]
    models.write_text("model,first_seen\n" + "".join(f"{n},{d}\n" for n, d in zip(names, dates)))
    out = tmp_path / "eval.json"
    res = run("evaluate", "--results", str(files / "results.csv"), "--preferences", str(files / "prefs.csv"),
              "--models", str(models), "--split", "time:first_seen:2023-08-01", "--methods", "uniform",
              "--bootstrap", "50", "--json", str(out))
    assert res.exit_code == 0, res.output
    (record,) = json.loads(out.read_text())["splits"]["time:first_seen:2023-08-01"]["per_split"]
    assert record["train"] == names[:21] and record["test"] == names[21:]
    res = run("evaluate", "--results", str(files / "results.csv"), "--preferences", str(files / "prefs.csv"),
              "--split", "time:first_seen:2023-08-01")
    assert res.exit_code == 2 and "needs model metadata; pass --models" in res.output


def test_unknown_method_is_a_usage_error(files):
    res = run("evaluate", "--results", str(files / "results.csv"), "--preferences", str(files / "prefs.csv"),
              "--methods", "magic")
    assert res.exit_code == 2 and "unknown methods magic" in res.output


def test_simulate_writes_a_case_that_fit_reads(tmp_path):
    out = tmp_path / "sim"
    res = run("simulate", str(out), "--models", "30", "--benchmarks", "a=20,b=10", "--seed", "3")
    assert res.exit_code == 0, res.output
    assert {"results.csv", "preferences.csv", "models.csv", "items.csv", "truth.csv", "params.json"} <= {
        p.name for p in out.iterdir()}
    res = run("fit", "--results", str(out / "results.csv"), "--preferences", str(out / "preferences.csv"),
              "-o", str(tmp_path / "b.json"))
    assert res.exit_code == 0, res.output
    bad = run("simulate", str(tmp_path / "x"), "--benchmarks", "a=zero")
    assert bad.exit_code == 2 and "name=count pairs" in bad.output

"""The command line end to end on small files: outputs, one-line errors, exit codes."""

from __future__ import annotations

import json

import pandas as pd
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


def test_fit_method_ranknet_writes_the_published_fit_and_says_which_pull(files, tmp_path):
    out = tmp_path / "b.json"
    res = run("fit", "--results", str(files / "results.csv"), "--preferences", str(files / "prefs.csv"),
              "--method", "ranknet", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "): ranknet" in res.output and "pull toward the prior: reg=" in res.output
    assert res.output.count("<- chosen") == 1
    doc = json.loads(out.read_text())
    assert doc["params"]["method"] == doc["diagnostics"]["method"] == "ranknet"
    assert "published BenchAlign method" in " ".join(run("fit", "--help").output.split())


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


@pytest.mark.parametrize("args, message", [
    (["suggest", "--results", "r.csv", "--preferences", "p.csv", "--budget", "0"],
     "error: Invalid value for '--budget': 0 is not in the range x>=1. See `benchalign suggest --help`."),
    (["datasets", "export", "nope", "folder"],
     "'nope' is not one of 'metabench', 'alpacaeval2'"),
    (["fit", "--bogus"], "error: No such option '--bogus'. See `benchalign fit --help`."),
    (["--bogus"], "error: No such option '--bogus'."),
    (["nocommand"], "error: No such command 'nocommand'."),
])
def test_click_usage_errors_are_one_line_like_every_other_error(args, message):
    res = CliRunner().invoke(cli, args, prog_name="benchalign", catch_exceptions=False)
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: ") and res.output.count("\n") == 1, res.output
    assert message in res.output and "Usage:" not in res.output


def test_help_and_a_group_without_a_command_still_show_usage():
    for args in (["suggest", "--help"], ["datasets"], []):
        res = CliRunner().invoke(cli, args, prog_name="benchalign", catch_exceptions=False)
        assert res.output.startswith("Usage: benchalign"), (args, res.output)


def test_csv_cells_a_spreadsheet_would_run_are_quoted(tmp_path):
    # OWASP's CSV injection advice: a text cell starting with = + - @ tab or CR gets a quote
    names = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tm", "'=already", "plain", "it's"]
    results = "model,benchmark,item,score\n" + "".join(
        f'"{n}",b,b/q{q},{(i + q) % 3 / 2}\n' for i, n in enumerate(names) for q in range(4))
    (tmp_path / "r.csv").write_text(results)
    (tmp_path / "p.csv").write_text("model,rating\n" + "".join(f'"{n}",{1000 + 10 * i}\n' for i, n in enumerate(names)))
    assert run("fit", "--results", str(tmp_path / "r.csv"), "--preferences", str(tmp_path / "p.csv"),
               "-o", str(tmp_path / "b.json")).exit_code == 0
    res = run("score", "--benchmark", str(tmp_path / "b.json"), "--results", str(tmp_path / "r.csv"),
              "-o", str(tmp_path / "s.csv"))
    assert res.exit_code == 0, res.output
    written = pd.read_csv(tmp_path / "s.csv", keep_default_na=False)
    assert sorted(written["model"]) == sorted(["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "'\tm",
                                               "''=already", "plain", "it's"])
    assert written["score"].dtype == float  # numbers stay numbers
    stdout = run("score", "--benchmark", str(tmp_path / "b.json"), "--results", str(tmp_path / "r.csv"))
    assert stdout.stdout == (tmp_path / "s.csv").read_text()


def test_a_quoted_name_map_from_match_names_reads_back_as_written(tmp_path):
    from benchalign.io.formats.names import read_name_map
    from benchalign.outputs import formula_safe

    written = pd.DataFrame({"from": ["=m1", "'=m2", "+m3", "'plain"],
                            "to": ["=m1 x", "'=m2 x", "m3", "'plain x"], "confidence": 0.5, "note": ""})
    formula_safe(written).to_csv(tmp_path / "map.csv", index=False)
    assert (tmp_path / "map.csv").read_text().splitlines()[1].startswith("'=m1,'=m1 x,")
    with pytest.warns(Warning):  # low confidence rows are applied with a warning
        mapping = read_name_map(tmp_path / "map.csv")
    assert dict(mapping) == {"=m1": "=m1 x", "'=m2": "'=m2 x", "+m3": "m3", "'plain": "'plain x"}


def test_too_few_rated_models_in_a_population_names_it(tmp_path):
    d = make_planted(n_models=12, n_items=10, seed=2)
    write_long(d.results, tmp_path / "r.csv")
    # ratings far enough apart that the population's own checks have nothing to say
    small = d.ratings.iloc[:2].assign(category="tiny", rating=[1000.0, 1400.0])
    pd.concat([d.ratings.assign(category="big"), small]).to_csv(tmp_path / "p.csv", index=False)
    res = run("fit", "--results", str(tmp_path / "r.csv"), "--preferences", str(tmp_path / "p.csv"),
              "--population-column", "category", "-o", str(tmp_path / "b.json"))
    assert res.exit_code == 2 and res.output.count("\n") == 1, res.output
    assert res.output.startswith("error: population 'tiny': cross-validation over the 2 rated models")
    assert "`fit` and `prune`: --method coverage" in res.output

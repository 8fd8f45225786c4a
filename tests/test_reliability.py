"""Reliability: Ctrl-C leaves no partial file, outputs are byte-identical across runs, and
internal errors ask to be reported."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from benchalign.cli import cli

from .conftest import make_planted, write_long


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rel")
    d = make_planted(n_models=30, n_items=24, seed=12)
    write_long(d.results, tmp / "results.csv")
    d.ratings.to_csv(tmp / "prefs.csv", index=False)
    return tmp


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_fit_and_evaluate_outputs_are_byte_identical_across_runs(small, tmp_path):
    common = ["--results", str(small / "results.csv"), "--preferences", str(small / "prefs.csv")]
    for name in ("a", "b"):
        assert _invoke("fit", *common, "-o", str(tmp_path / f"{name}.json")).exit_code == 0
        assert _invoke("evaluate", *common, "--split", "random:0.3:2", "--bootstrap", "50", "--seed", "4",
                       "--json", str(tmp_path / f"{name}_eval.json")).exit_code == 0
        assert _invoke("score", "--benchmark", str(tmp_path / f"{name}.json"), "--results",
                       str(small / "results.csv"), "-o", str(tmp_path / f"{name}.csv")).exit_code == 0
    for suffix in (".json", "_eval.json", ".csv"):
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()


def test_internal_errors_ask_for_a_report(small, tmp_path, monkeypatch):
    import benchalign.cli.fit_cmd as fit_cmd

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(fit_cmd, "load_checked", boom)
    res = _invoke("fit", "--results", str(small / "results.csv"), "--preferences", str(small / "prefs.csv"),
                  "-o", str(tmp_path / "x.json"))
    assert res.exit_code == 3
    assert "internal error: RuntimeError: simulated bug" in res.output
    assert "Please report it" in res.output and "--debug" in res.output
    assert "Traceback" not in res.output


def test_ctrl_c_mid_fit_leaves_no_file_and_says_so(tmp_path):
    d = make_planted(n_models=300, n_items=2000, seed=2)
    d.results.to_long().to_parquet(tmp_path / "r.parquet")
    d.ratings.to_csv(tmp_path / "p.csv", index=False)
    out = tmp_path / "out.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchalign", "fit", "--results", str(tmp_path / "r.parquet"),
         "--preferences", str(tmp_path / "p.csv"), "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(3.0)
    assert proc.poll() is None, "the fit finished before it could be interrupted; enlarge the problem"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted: stopped before writing any output file." in stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv", "r.parquet"]

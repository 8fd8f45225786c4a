"""Reliability: Ctrl-C leaves no partial file, outputs are byte-identical across runs, and
internal errors ask to be reported."""

from __future__ import annotations

from types import SimpleNamespace

import os
import re
import signal
import subprocess
import sys

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


STALLED_FIT = """
import sys, time

import benchalign.fit.aligner as aligner


def stalled(*args, **kwargs):
    # the choice among candidates waits: the fit cannot end before the test interrupts it
    time.sleep(600)


aligner.select = stalled
sys.argv[0] = "benchalign"  # run as the command, as the console script does
from benchalign.cli import main
main()
"""


STALLED_IMPORT = """
import sys, time


class StallPandas:
    # the command's imports reach pandas and wait there until the test interrupts them
    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            sys.stderr.write("importing pandas\\n")
            sys.stderr.flush()
            time.sleep(600)
        return None


sys.meta_path.insert(0, StallPandas())
"""


def _interrupt_when(proc: subprocess.Popen, ready: str) -> tuple[str, list[str]]:
    """Send SIGINT once a stderr line contains ``ready``; return (stdout, stderr lines)."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if ready in line:
            break
    assert proc.poll() is None, seen
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=60)
    return stdout, seen + rest.splitlines(keepends=True)


def _expect_clean_interrupt(proc: subprocess.Popen, stderr: list[str]) -> None:
    text = "".join(stderr)
    assert proc.returncode == 130, text
    assert text.rstrip().endswith("interrupted: stopped before writing any output file."), text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text


def test_ctrl_c_mid_fit_leaves_no_file_and_says_so(small, tmp_path):
    # the fit is stalled inside its cross-validation, so the signal arrives mid-fit on any machine;
    # the ready line is the command's own progress line for the fit
    out = tmp_path / "out.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", STALLED_FIT, "fit", "--results", str(small / "results.csv"),
         "--preferences", str(small / "prefs.csv"), "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    _, stderr = _interrupt_when(proc, "] fitting 24 question weights")
    _expect_clean_interrupt(proc, stderr)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_the_command_loads_exits_cleanly(small, tmp_path):
    (tmp_path / "sitecustomize.py").write_text(STALLED_IMPORT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / "out.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchalign", "fit", "--results", str(small / "results.csv"),
         "--preferences", str(small / "prefs.csv"), "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    _, stderr = _interrupt_when(proc, "importing pandas")
    _expect_clean_interrupt(proc, stderr)
    assert not out.exists()


def test_progress_lines_on_stderr_when_it_is_not_a_terminal(small, tmp_path, monkeypatch):
    from benchalign.cli import common

    monkeypatch.setattr(common, "PROGRESS_DELAY", 0.0)  # a line for every stage, however short
    res = _invoke("fit", "--results", str(small / "results.csv"), "--preferences",
                  str(small / "prefs.csv"), "-o", str(tmp_path / "b.json"))
    assert res.exit_code == 0, res.output
    lines = res.stderr.splitlines()
    assert [re.sub(r"^\[ *\d+\.\d s\] ", "", line) for line in lines] == [
        "reading results and preferences", "fitting 24 question weights to 30 rated models"]
    assert "fitted 24 items" in res.stdout and " s] " not in res.stdout


def test_the_demo_replaces_its_own_report_and_nothing_else(tmp_path, monkeypatch):
    import benchalign.cli.demo_cmd as demo_cmd

    # the demo's work is replaced by stubs: what matters here is which files it may replace
    monkeypatch.setattr(demo_cmd, "run_and_print",
                        lambda *a, **k: SimpleNamespace(to_dict=lambda: {"schema": "benchalign.evaluation/1"}))
    monkeypatch.setattr(demo_cmd, "build_case", lambda *a, **k: None)
    monkeypatch.setattr(demo_cmd, "load_case", lambda name: _StubCase())
    monkeypatch.setattr(demo_cmd, "link", lambda r, p: type("L", (), {"rated": [0, 1]})())
    monkeypatch.setattr(demo_cmd, "check", lambda *a, **k: None)
    monkeypatch.setattr(demo_cmd, "render_report", lambda sections, title: f"<title>{title}</title> {len(sections)}")
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        res = _invoke("demo", "--case", "alpacaeval2", "--json", "demo.json")
        assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["benchalign-demo-report.html", "demo.json"]
    (tmp_path / "mine.html").write_text("<title>my own page</title>")
    res = _invoke("demo", "--case", "alpacaeval2", "--report", "mine.html")
    assert res.exit_code == 2 and "mine.html: already exists; pass --force" in res.output
    assert (tmp_path / "mine.html").read_text() == "<title>my own page</title>"
    res = _invoke("demo", "--case", "alpacaeval2", "--json", "benchalign-demo-report.html")
    assert res.exit_code == 2 and "names the --report output" in res.output


class _StubCase:
    class results:  # noqa: N801 - stands in for a Results
        n_models, n_items = 3, 4

    preferences = models = items = None

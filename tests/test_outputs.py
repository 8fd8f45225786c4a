"""Output files: never over a pipe or a device, all of a command's outputs or none, long names.

Only pipes made in a temporary folder are used; no test touches a system device.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchalign.cli import cli
from benchalign.errors import InsufficientDataError
from benchalign import outputs

from .conftest import make_planted, write_long


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("outputs")
    d = make_planted(n_models=30, n_items=24, seed=5)
    write_long(d.results, tmp / "results.csv")
    d.ratings.iloc[:20].to_csv(tmp / "prefs.csv", index=False)  # 10 unrated models to suggest
    return tmp


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _fit(files: Path, output: Path | str, *extra: str):
    return run("fit", "--results", files / "results.csv", "--preferences", files / "prefs.csv",
               "-o", output, *extra)


def _one_error_line(res, *fragments: str) -> None:
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: ") and res.output.count("\n") == 1, res.output
    for fragment in fragments:
        assert fragment in res.output, (fragment, res.output)


@pytest.mark.parametrize("through_symlink", [False, True])
def test_a_named_pipe_is_never_replaced_even_with_force(files, tmp_path, through_symlink):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    target = pipe
    if through_symlink:
        target = tmp_path / "link.json"
        target.symlink_to(pipe)
    res = _fit(files, target, "--force")
    _one_error_line(res, f"{target}: is a named pipe (FIFO), not a regular file", "even with --force")
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"pipe", target.name})


def test_the_library_writer_refuses_a_pipe_too(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(Exception, match="named pipe"):
        outputs.write_atomic(pipe, "x", force=True)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)


def test_a_legal_245_character_name_is_written(files, tmp_path):
    name = "b" * 240 + ".json"
    res = _fit(files, tmp_path / name)
    assert res.exit_code == 0, res.output
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_name_too_long_for_the_file_system_is_one_line_naming_it(files, tmp_path):
    long = tmp_path / ("a" * 300 + ".json")
    res = _fit(files, long)
    _one_error_line(res, f"{long}: cannot be written (File name too long)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["a", "x" * 20, "é" * 120, "z" * 255])
def test_a_temporary_name_is_never_longer_than_its_target_or_the_floor(tmp_path, name):
    fd, tmp = outputs.temporary_file(tmp_path / name)
    os.close(fd)
    size = len(os.fsencode(Path(tmp).name))
    assert size <= max(len(os.fsencode(name)), outputs.TEMP_NAME_BYTES)
    Path(tmp).read_bytes()  # a valid, complete UTF-8 name that exists
    assert Path(tmp).name.startswith(".") and Path(tmp).name.endswith(".tmp")


def test_an_empty_output_path_is_refused(files, tmp_path):
    _one_error_line(_fit(files, ""), "an output path is empty ('')")


def test_outputs_are_written_together_or_not_at_all(tmp_path):
    with pytest.raises(RuntimeError):
        with outputs.Outputs() as out:
            out.write(tmp_path / "a.json", "{}")
            raise RuntimeError("the second output's work failed")
    assert list(tmp_path.iterdir()) == []
    with outputs.Outputs() as out:
        out.write(tmp_path / "a.json", "{}")
        assert list(tmp_path.iterdir())[0].name.startswith(".a.json.")  # staged, not yet there
        out.write(tmp_path / "b.json", "[]")
    assert out.written == [tmp_path / "a.json", tmp_path / "b.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]


def _suggest(files: Path, *extra: object):
    return run("suggest", "--results", files / "results.csv", "--preferences", files / "prefs.csv",
               "--budget", "1", "--n-boot", "2", *extra)


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_suggest_refuses_one_path_for_two_outputs_before_any_work(files, tmp_path, monkeypatch, force):
    import benchalign.cli.suggest_cmd as suggest_cmd

    monkeypatch.setattr(suggest_cmd, "load_inputs", _no_work)
    same = tmp_path / "same"
    res = _suggest(files, "--json", same, "--report", same, *force)
    _one_error_line(res, f"{same}: names the --json output", "even with --force")
    assert list(tmp_path.iterdir()) == []


def _no_work(*args, **kwargs):
    raise AssertionError("the command started working before checking its outputs")


@pytest.mark.parametrize("failure", [InsufficientDataError("too few usable folds"), KeyboardInterrupt()])
def test_suggest_that_fails_in_the_active_curve_leaves_no_json(files, tmp_path, monkeypatch, failure):
    import benchalign.cli.suggest_cmd as suggest_cmd

    def curve_fails(*args, **kwargs):
        raise failure

    monkeypatch.setattr(suggest_cmd, "active_curve", curve_fails)
    res = _suggest(files, "--json", tmp_path / "s.json", "--report", tmp_path / "s.html")
    assert res.exit_code == (130 if isinstance(failure, KeyboardInterrupt) else 2), res.output
    assert "wrote" not in res.output
    assert list(tmp_path.iterdir()) == []


def test_suggest_writes_both_outputs_when_it_succeeds(files, tmp_path, monkeypatch):
    import benchalign.cli.suggest_cmd as suggest_cmd

    monkeypatch.setattr(suggest_cmd, "_report_page", lambda *a, **k: "<html></html>")
    res = _suggest(files, "--json", tmp_path / "s.json", "--report", tmp_path / "s.html")
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines()[-2:] == [f"wrote {tmp_path / 's.json'}", f"wrote {tmp_path / 's.html'}"]
    assert json.loads((tmp_path / "s.json").read_text())["schema"] == "benchalign.suggest/1"


def test_export_with_a_folder_in_the_way_writes_nothing(tmp_path):
    (tmp_path / "ae" / "items.csv").mkdir(parents=True)
    res = run("datasets", "export", "alpacaeval2", tmp_path / "ae", "--force")
    _one_error_line(res, "items.csv: is a folder, not a regular file")
    assert [p.name for p in (tmp_path / "ae").iterdir()] == ["items.csv"]


def test_an_export_that_fails_removes_the_folder_it_created(tmp_path, monkeypatch):
    import benchalign.datasets.export as export

    def fails(name, file):
        if file == "README.md":
            raise KeyboardInterrupt
        return b"x"

    monkeypatch.setattr(export, "_content", fails)
    with pytest.raises(KeyboardInterrupt):
        export.export_case("alpacaeval2", tmp_path / "ae")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("folder", ["too-long", "under-a-file", "proc"])
def test_export_into_a_folder_it_cannot_make_is_one_line(tmp_path, folder):
    (tmp_path / "f").write_text("")
    where = {"too-long": tmp_path / ("a" * 300), "under-a-file": tmp_path / "f" / "x",
             "proc": Path("/proc/benchalign-no-such-folder")}[folder]
    if folder == "proc" and not Path("/proc/self").is_dir():
        pytest.skip("no /proc here")
    res = run("datasets", "export", "alpacaeval2", where)
    _one_error_line(res, str(where))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_simulate_refuses_existing_outputs_before_simulating(tmp_path, monkeypatch):
    import benchalign.cli.simulate_cmd as simulate_cmd

    monkeypatch.setattr(simulate_cmd, "simulate", _no_work)
    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "truth.csv").write_text("mine")
    res = run("simulate", tmp_path / "sim", "--models", "10", "--benchmarks", "a=5")
    _one_error_line(res, "truth.csv: already exists; pass --force")
    assert (tmp_path / "sim" / "truth.csv").read_text() == "mine"


def test_the_demo_never_takes_an_evaluate_json_for_its_own(files, tmp_path, monkeypatch):
    import benchalign.cli.demo_cmd as demo_cmd

    mine = tmp_path / "eval.json"
    res = run("evaluate", "--results", files / "results.csv", "--preferences", files / "prefs.csv",
              "--split", "random:0.3:2", "--bootstrap", "50", "--json", mine)
    assert res.exit_code == 0, res.output
    before = mine.read_bytes()
    monkeypatch.setattr(demo_cmd, "load_case", _no_work)
    monkeypatch.chdir(tmp_path)
    res = run("demo", "--case", "alpacaeval2", "--json", mine)
    _one_error_line(res, f"{mine}: already exists; pass --force")
    assert mine.read_bytes() == before

"""The HTML report: every section, self-contained, deterministic, no matplotlib state leaks, and
(when Chromium is installed) loads in a real headless browser."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchalign import link, parse_split, preferences_from_frame
from benchalign.cli import cli
from benchalign.io.items import item_texts
from benchalign.report.build import build_case
from benchalign.errors import DataValidationError, DataWarning, InputFormatError
from benchalign.report.html import render_report

from .conftest import make_planted, write_long

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SECTIONS = ("evaluation", "heldout", "weights", "learning", "pruning")


def _case(seed: int = 5):
    d = make_planted(n_models=36, n_items=32, seed=seed)
    linked = link(d.results, preferences_from_frame(d.ratings))
    items = pd.DataFrame({"item": d.results.items,
                          "text": [f"Question <{i}> & more" for i in range(d.results.n_items)]})
    return build_case("planted", d.results, linked, splits=[parse_split("random:0.3:2")],
                      models=None, texts=item_texts(items), seed=0, n_bootstrap=50, learning_repeats=2,
                      prune_repeats=2, prune_ks=(4, 10, None))


@pytest.fixture(scope="module")
def case():
    return _case()


@pytest.fixture(scope="module")
def page(case) -> str:
    return render_report([case], title="test report")


def test_report_has_every_section(page):
    for key in SECTIONS:
        assert f'data-section="{key}"' in page
    for method in ("aligned", "uniform", "ridge", "random_subset"):
        assert f">{method}<" in page
    assert "effective number of questions" in page and "split random" in page
    assert "Question &lt;0&gt; &amp; more" in page  # item texts, escaped
    assert re.search(r"<th>all</th>", page)  # the pruning table reaches K = all
    assert len(re.findall(r'<img src="data:image/svg\+xml;base64,', page)) == 5


def test_report_is_self_contained(page):
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:|//|file:)", page)
    assert "<script" not in page.lower()


def test_report_is_deterministic(page):
    assert render_report([_case()], title="test report") == page


def test_plots_leave_no_global_state(case):
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    backend = matplotlib.get_backend()
    render_report([case])
    after = dict(matplotlib.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()
    assert plt.get_fignums() == [] and matplotlib.get_backend() == backend


def test_item_texts_find_the_text_column_and_refuse_conflicts():
    assert item_texts(None) == {}
    with pytest.raises(InputFormatError, match="lacks the column.*--text-column"):
        item_texts(pd.DataFrame({"item": ["a"], "body": ["x"]}))
    assert item_texts(pd.DataFrame({"item": ["a"], "instruction": ["x"]})) == {"a": "x"}
    assert item_texts(pd.DataFrame({"item": ["a"], "question": ["q"], "body": ["b"]}), "body") == {"a": "b"}
    with pytest.raises(DataValidationError, match="different texts for the item.*a"):
        item_texts(pd.DataFrame({"item": ["a", "a"], "prompt": ["x", "y"]}))
    with pytest.warns(DataWarning, match="lists a more than once"):
        assert item_texts(pd.DataFrame({"item": ["a", "a"], "prompt": ["x", "x"]})) == {"a": "x"}


def test_cli_report_writes_once_without_force(tmp_path):
    d = make_planted(n_models=30, n_items=20, seed=7)
    write_long(d.results, tmp_path / "r.csv")
    d.ratings.to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"item": d.results.items, "text": "q"}).to_csv(tmp_path / "items.csv", index=False)
    out = tmp_path / "report.html"
    args = ["report", "--results", str(tmp_path / "r.csv"), "--preferences", str(tmp_path / "p.csv"),
            "--items", str(tmp_path / "items.csv"), "--split", "random:0.3:2", "--repeats", "1",
            "--bootstrap", "50", "-o", str(out)]
    runner = CliRunner()
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    first = out.read_bytes()
    # the title and heading name the case; the paths are in the provenance line only
    page = out.read_text()
    assert "<title>benchalign report: p</title>" in page and '<h2 id="case-p">p</h2>' in page
    provenance = (f'<p class="muted" data-provenance>Inputs: results {tmp_path / "r.csv"}; '
                  f'preferences {tmp_path / "p.csv"}; items {tmp_path / "items.csv"}</p>')
    assert provenance in page and page.count(str(tmp_path)) == 3
    res = runner.invoke(cli, args)
    assert res.exit_code == 2 and "--force" in res.output
    assert runner.invoke(cli, args + ["--force"]).exit_code == 0
    assert out.read_bytes() == first


def test_report_title_option_and_the_case_name_of_a_path(tmp_path):
    from benchalign.cli.report_cmd import case_name

    assert [case_name(p) for p in ("/home/me/prefs_full.csv", "prefs.csv.gz", "arena/*.json",
                                    "battles.jsonl", "arena_dir/")] == [
        "prefs_full", "prefs", "arena", "battles", "arena_dir"]
    d = make_planted(n_models=24, n_items=12, seed=3)
    write_long(d.results, tmp_path / "r.csv")
    d.ratings.to_csv(tmp_path / "arena_full.csv", index=False)
    res = CliRunner().invoke(cli, ["report", "--results", str(tmp_path / "r.csv"), "--preferences",
                                   str(tmp_path / "arena_full.csv"), "--split", "random:0.3:2",
                                   "--repeats", "1", "--bootstrap", "50", "--title", "Arena <full>",
                                   "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "r.html").read_text()
    assert "<title>Arena &lt;full&gt;</title>" in page and '<h2 id="case-arena-full">arena_full</h2>' in page


@pytest.mark.parametrize("ids, said", [
    (lambda items: [f"other/{i}" for i in items], "matches 0 of the 20 questions"),
    (lambda items: list(items[:5]), "matches 5 of the 20 questions"),
    (lambda items: list(items), None),
])
def test_cli_report_says_how_many_questions_the_items_file_matches(tmp_path, ids, said):
    d = make_planted(n_models=30, n_items=20, seed=7)
    write_long(d.results, tmp_path / "r.csv")
    d.ratings.to_csv(tmp_path / "p.csv", index=False)
    keys = ids(d.results.items)
    pd.DataFrame({"item": keys, "text": "q"}).to_csv(tmp_path / "items.csv", index=False)
    res = CliRunner().invoke(cli, [
        "report", "--results", str(tmp_path / "r.csv"), "--preferences", str(tmp_path / "p.csv"),
        "--items", str(tmp_path / "items.csv"), "--split", "random:0.3:2", "--repeats", "1",
        "--bootstrap", "50", "-o", str(tmp_path / "report.html")])
    assert res.exit_code == 0, res.output
    if said is None:
        assert "items table matches" not in res.output
    else:
        assert f"warning: the items table matches {said[8:]}" in res.output, res.output
        assert "Check that its 'item' column holds the results' item ids" in res.output


@pytest.mark.skipif(not CHROMIUM.exists(),
                    reason="Chromium is not installed (/usr/bin/chromium); install it with "
                           "`apt-get install -y chromium` to check the report in a real browser")
def test_report_loads_in_headless_chromium(tmp_path, page):
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_report.py"), str(report),
                           str(shot)], capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "broken=0" in proc.stdout and shot.stat().st_size > 1000


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (/usr/bin/chromium)")
def test_check_script_catches_a_broken_page(tmp_path, page):
    report = tmp_path / "bad.html"
    report.write_text(page.replace('data-section="pruning"', "").replace(
        "</main>", '<img src="https://example.invalid/x.png"></main>'), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_report.py"), str(report),
                           str(tmp_path / "s.png")], capture_output=True, text=True, timeout=180,
                          check=False)
    assert proc.returncode == 1
    assert "external references" in proc.stderr and "'pruning' is missing" in proc.stderr


def test_report_opens_with_the_data_check(case):
    from dataclasses import replace

    from benchalign.check import check
    from benchalign.data import Results

    d = make_planted(n_models=36, n_items=32, seed=5)
    values = d.results.values.copy()
    values[4] *= 100                                          # m004 on another scale
    results = Results(d.results.models, d.results.items, d.results.benchmarks, values)
    page = render_report([replace(case, check=check(results, preferences_from_frame(d.ratings)).to_dict())])
    assert re.findall(r'data-section="([a-z]+)"', page)[:2] == ["check", "evaluation"]
    opening = page.split('data-section="evaluation"')[0]
    assert "scale-mix" in opening and "m004" in opening and "headroom" not in opening
    assert "check" not in re.findall(r'data-section="([a-z]+)"', render_report([case]))


def test_evaluation_reads_against_the_noise_ceiling(case):
    from dataclasses import replace

    aligned = case.evaluation["splits"]["random"]["methods"]["aligned"]["pairwise_accuracy"]["mean"]
    page = render_report([replace(case, evaluation={**case.evaluation, "ceiling": {"random": 0.9}})])
    assert f"aligned {aligned:.3f} of an attainable 0.900" in page
    assert "attainable" not in render_report([replace(case, evaluation={**case.evaluation,
                                                                         "ceiling": {"random": None}})])


def test_evaluation_shows_agreement_with_confidence_and_separability(case, page):
    from dataclasses import replace

    fam = case.evaluation["splits"]["random"]
    agree = fam["methods"]["aligned"]["agreement_ci"]["mean"]
    assert "<th>agreement w/ conf.</th>" in page and "<th>Δ agreement w/ conf. vs uniform</th>" in page
    assert f"<td>{agree:.3f} " in page
    assert "The preferences separate 1.000 " in page  # exact ratings separate every pair
    # an evaluation file written before these metrics renders without them
    old = {k: v for k, v in fam.items() if k != "preference_separability"}
    old["methods"] = {m: {k: v for k, v in e.items() if k != "agreement_ci"} for m, e in fam["methods"].items()}
    legacy = render_report([replace(case, evaluation={**case.evaluation, "splits": {"random": old}})])
    assert "agreement w/ conf." not in legacy and "The preferences separate" not in legacy


def test_benchmark_separability_uses_the_same_question_resamples():
    from benchalign.report.build import benchmark_separability

    d = make_planted(n_models=12, n_items=40, seed=3)
    rows = np.arange(12)
    uniform = np.full(40, 1 / 40)
    one_question = np.eye(40)[0]
    sep = benchmark_separability(d.results, rows, {"uniform": uniform, "one": one_question}, seed=1)
    assert sep["n_models"] == 12 and sep["n_bootstrap"] == 500
    # all weight on one question: every resample that draws it scores each model by its result
    # there (point intervals), so exactly the pairs that differ on that question are separated
    first = d.results.values[:, 0]
    differ = np.triu(first[:, None] != first[None, :], 1).sum()
    assert sep["separability"]["one"] == pytest.approx(differ / 66)
    same = benchmark_separability(d.results, rows, {"uniform": uniform}, seed=1)
    assert same["separability"]["uniform"] == sep["separability"]["uniform"]


def test_report_shows_the_benchmarks_separability(case, page):
    assert case.separability is not None and set(case.separability["separability"]) == {"aligned", "uniform"}
    assert "Separability (Arena-Hard-Auto)" in page
    assert f"aligned <b>{case.separability['separability']['aligned']:.1%}</b>" in page

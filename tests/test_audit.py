"""One audit: the rules that used to be separate warnings are findings of the check, and every
command that reads results and preferences prints the same findings for the same data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchalign.check import check
from benchalign.cli import cli
from benchalign.data import link, preferences_from_frame, results_from_long


def _results(rows: list[tuple[str, str, float]]):
    frame = pd.DataFrame(rows, columns=["model", "item", "score"])
    frame["benchmark"] = "b"
    return results_from_long(frame[["model", "benchmark", "item", "score"]])


def _clean():
    rng = np.random.default_rng(0)
    return _results([(f"m{m}", f"q{q}", float(rng.integers(0, 2))) for m in range(6) for q in range(20)])


def _ratings(models, values):
    return preferences_from_frame(pd.DataFrame({"model": models, "rating": values}))


def _codes(results, prefs) -> dict[str, str]:
    return {f.code: f.message for f in check(results, prefs).findings}


RATED = _ratings([f"m{m}" for m in range(6)], [1000 + 80 * m for m in range(6)])


def test_clean_data_has_no_warning():
    report = check(_clean(), RATED)
    assert [f.code for f in report.at_least("warning")] == []


def test_each_rule_names_what_is_wrong():
    single = _results([(f"m{m}", "rating", float(m)) for m in range(6)])
    assert "single item ('rating')" in _codes(single, RATED)["few-items"]
    five = _results([(f"m{m}", f"q{q}", (q + m) % 2 * (5.0 if m == 3 else 1.0)) for m in range(6) for q in range(4)])
    found = check(five, RATED).findings
    mix = next(f for f in found if f.code == "scale-mix")
    assert mix.severity == "warning" and mix.models == ("m3",) and "5 of 6 keep every score in [0, 1]" in mix.message
    hundred = _results([(f"m{m}", f"q{q}", (q + m) % 2 * (100.0 if m == 3 else 1.0)) for m in range(6) for q in range(4)])
    assert next(f for f in check(hundred, RATED).findings if f.code == "scale-mix").severity == "error"
    split = _results([(f"m{m}", f"q{q + 10 * (m // 3)}", float((m + q) % 2)) for m in range(6) for q in range(3)])
    assert "2 groups that share no item, e.g. [m0, m1, m2] and [m3, m4, m5]" in _codes(split, RATED)["disjoint-rated-models"]
    pct = _ratings([f"m{m}" for m in range(6)], [10.0 + 15 * m for m in range(6)])
    assert "look like percentages" in _codes(_clean(), pct)["rating-scale"]
    rng = np.random.default_rng(1)
    table = rng.integers(0, 2, size=(6, 40)).astype(float)
    table[1] = table[0]
    same = _results([(f"m{m}", f"q{q:02d}", table[m, q]) for m in range(6) for q in range(40)])
    dup = next(f for f in check(same, RATED).findings if f.code == "near-duplicate")
    assert set(dup.models) == {"m0", "m1"} and "identical" in dup.message
    alike = _results([(f"m{m}", f"q{q}", float(q % 2)) for m in range(6) for q in range(4)])
    assert "all 6 models have identical results" in _codes(alike, RATED)["identical-results"]


def _write_planted(tmp_path) -> tuple[str, str]:
    """Results where one of 24 models reports on a 0-5 scale among 0-1 models, and ratings of 18."""
    rng = np.random.default_rng(3)
    rows = []
    for m in range(24):
        ability = m / 24
        for q in range(30):
            score = float(rng.random() < 0.3 + 0.5 * ability)
            rows.append((f"m{m:02d}", f"b{q % 3}", f"b{q % 3}/q{q:02d}", score * (5.0 if m == 7 else 1.0)))
    pd.DataFrame(rows, columns=["model", "benchmark", "item", "score"]).to_csv(tmp_path / "r.csv", index=False)
    pd.DataFrame({"model": [f"m{m:02d}" for m in range(18)],  # six unrated models to suggest
                  "rating": [1000 + 25 * m for m in range(18)]}).to_csv(tmp_path / "p.csv", index=False)
    return str(tmp_path / "r.csv"), str(tmp_path / "p.csv")


FINDING = re.compile(r"^(error|warning): \[([a-z-]+)\]", re.M)


@pytest.mark.parametrize("command", [
    ["check"], ["fit", "-o", "{tmp}/b.json"], ["prune", "--k", "10", "-o", "{tmp}/k.json"],
    ["evaluate", "--split", "random:0.3:2", "--bootstrap", "50"],
    ["suggest", "--budget", "2"],
    ["report", "--split", "random:0.3:2", "--repeats", "1", "--bootstrap", "50", "-o", "{tmp}/r.html"],
])
def test_every_command_prints_the_same_findings(tmp_path, command):
    results, prefs = _write_planted(tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    res = CliRunner().invoke(cli, [args[0], "--results", results, "--preferences", prefs, *args[1:]])
    assert res.exit_code in (0, 1), res.output  # check exits 1 when a finding is an error
    said = set(FINDING.findall(res.output))
    assert ("warning", "scale-mix") in said, res.output
    expected = {(f.severity, f.code) for f in check(*_inputs(results, prefs)).at_least("warning")}
    assert said == expected


def _inputs(results: str, prefs: str):
    from benchalign.io.load import load_preferences, load_results

    return load_results(results), load_preferences(prefs)

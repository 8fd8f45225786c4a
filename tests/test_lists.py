"""Rankings (list_id, model, rank) and best-of-k choices (list_id, model, chosen): their pairwise
decomposition, their errors, and every --preferences command reading them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchalign.check import pair_agreement
from benchalign.cli import cli
from benchalign.data import PairSet, list_pairs, preferences_from_frame
from benchalign.errors import DataValidationError
from benchalign.io.load import load_preferences
from benchalign.populations.aligner import split_populations

RANKING = "list_id,model,rank\na,x,1\na,y,2\na,z,3\nb,x,2\nb,z,1\n"
CHOICES = "list_id,model,chosen\na,x,1\na,y,0\na,z,0\nb,x,false\nb,z,TRUE\n"


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _by_pair(prefs) -> dict[tuple[str, str], tuple[float, float]]:
    p = prefs.pairs
    return {(prefs.models[a], prefs.models[b]): (w, t) for a, b, w, t in zip(p.a, p.b, p.weight, p.target)}


def test_a_ranking_is_its_pairs_a_list_of_k_weighing_k_minus_1(tmp_path):
    prefs = load_preferences(_write(tmp_path, "r.csv", RANKING))
    assert prefs.kind == "rankings"
    by = _by_pair(prefs)
    # list a (3 models, 3 pairs of weight 2/3): x>y, x>z, y>z; list b (1 pair of weight 1): z>x
    assert by[("x", "y")] == (pytest.approx(2 / 3), 1.0)
    assert by[("y", "z")] == (pytest.approx(2 / 3), 1.0)
    assert by[("x", "z")] == (pytest.approx(5 / 3), pytest.approx((2 / 3) / (5 / 3)))
    assert prefs.pairs.weight.sum() == pytest.approx(3.0)  # (3 - 1) + (2 - 1)
    assert prefs.pairs.count.tolist() == [1.0, 2.0, 1.0]  # lists holding (x,y), (x,z), (y,z)


def test_a_choice_beats_every_other_member_of_its_list(tmp_path):
    prefs = load_preferences(_write(tmp_path, "c.csv", CHOICES))
    assert prefs.kind == "choices"
    by = _by_pair(prefs)
    # list a: x chosen over y and z (weight 1 each); list b: z chosen over x (weight 1)
    assert by[("x", "y")] == (1.0, 1.0)
    assert by[("x", "z")] == (2.0, 0.5)
    assert ("y", "z") not in by  # two models not chosen say nothing about each other
    assert prefs.pairs.weight.sum() == pytest.approx(3.0)  # (3 - 1) + (2 - 1)


def test_a_two_model_list_is_one_pair():
    ranking = pd.DataFrame({"list_id": ["l", "l"], "model": ["p", "q"], "rank": [2, 1]})
    pairs = pd.DataFrame({"winner": ["q"], "loser": ["p"]})
    got, want = preferences_from_frame(ranking).pairs, preferences_from_frame(pairs).pairs
    for field in ("a", "b", "weight", "target"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))


def test_list_pairs_enumerates_every_pair_of_each_list_once():
    lists = np.array([2, 0, 0, 0, 2, 2, 0, 2, 2])  # list 0: rows 1, 2, 3, 6; list 1 empty; list 2: 5 rows
    i, j, size = list_pairs(lists)
    got = sorted(zip(i.tolist(), j.tolist()))
    want = sorted((int(a), int(b)) for c in (0, 2) for a in np.flatnonzero(lists == c)
                  for b in np.flatnonzero(lists == c) if a < b)
    assert got == want  # i before j
    assert size.tolist() == [4.0 if lists[a] == 0 else 5.0 for a in i]


def test_ties_are_an_error_unless_allowed(tmp_path):
    path = _write(tmp_path, "t.csv", "list_id,model,rank\na,x,1\na,y,1\na,z,2\n")
    with pytest.raises(DataValidationError) as err:
        load_preferences(path)
    for fragment in ("t.csv", "rank is repeated", "line 2", "line 3", "'a'", "--allow-rank-ties"):
        assert fragment in str(err.value)
    by = _by_pair(load_preferences(path, allow_rank_ties=True))
    assert by[("x", "y")] == (pytest.approx(2 / 3), 0.5)
    assert by[("x", "z")] == (pytest.approx(2 / 3), 1.0)


def test_ranks_are_any_numbers_lower_is_better(tmp_path):
    by = _by_pair(load_preferences(_write(tmp_path, "r.csv", "list_id,model,rank\na,x,0.5\na,y,-3\n")))
    assert by[("x", "y")] == (1.0, 0.0)


def test_list_ids_that_look_like_numbers_stay_text(tmp_path):
    text = "list_id,model,rank\n007,x,1\n007,y,2\n7,x,1\n7,y,2\n"
    by = _by_pair(load_preferences(_write(tmp_path, "r.csv", text)))
    assert by[("x", "y")] == (2.0, 1.0)  # two lists, not one list with x and y twice


def test_noise_ceiling_counts_lists_not_weights():
    # one pair seen in 4 rankings of 6 models (weight 4 x 2/6) and always won by a: a Jeffreys
    # posterior on 4 comparisons, not on 4/3 of one
    pairs = PairSet(np.array([0]), np.array([1]), np.array([4 / 3]), np.array([1.0]), np.array([4.0]))
    from scipy.special import betainc

    assert pair_agreement(pairs, "rankings")[0] == pytest.approx(1 - betainc(4.5, 0.5, 0.5))
    by_weight = PairSet(pairs.a, pairs.b, pairs.weight, pairs.target)
    assert pair_agreement(by_weight, "rankings")[0] == pytest.approx(1 - betainc(4 / 3 + 0.5, 0.5, 0.5))
    assert pair_agreement(pairs, "rankings")[0] > 0.98 > pair_agreement(by_weight, "rankings")[0]


def test_populations_split_rankings_with_ties(tmp_path):
    frame = pd.DataFrame({"list_id": list("aabbcc"), "model": list("xyxyxy"), "rank": [1, 2, 1, 1, 2, 1],
                          "rater": ["r1"] * 4 + ["r2"] * 2})
    with pytest.raises(DataValidationError, match="--allow-rank-ties"):
        split_populations(frame, "rater")
    out = split_populations(frame, "rater", allow_rank_ties=True)
    assert out["r1"].pairs.target.tolist() == [0.75] and out["r2"].pairs.target.tolist() == [0.0]


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(3)
    models = [f"m{i}" for i in range(12)]  # m10, m11 unrated (for suggest)
    quality = np.linspace(0, 1, 12)
    rows = [f"{m},b,q{q},{float(rng.random() < 0.2 + 0.6 * quality[i])}"
            for i, m in enumerate(models) for q in range(40)]
    _write(tmp_path, "r.csv", "model,benchmark,item,score\n" + "\n".join(rows) + "\n")
    rank_rows, choice_rows = [], []
    for lst in range(30):
        members = rng.choice(10, size=int(rng.integers(2, 6)), replace=False)
        utility = quality[members] * 4 + rng.gumbel(size=len(members))
        ranks = np.argsort(np.argsort(-utility)) + 1
        rank_rows += [f"L{lst},m{m},{r}" for m, r in zip(members, ranks)]
        choice_rows += [f"C{lst},m{m},{int(r == 1)}" for m, r in zip(members, ranks)]
    _write(tmp_path, "rank.csv", "list_id,model,rank\n" + "\n".join(rank_rows) + "\n")
    _write(tmp_path, "choice.csv", "list_id,model,chosen\n" + "\n".join(choice_rows) + "\n")
    return tmp_path


@pytest.mark.parametrize("prefs", ["rank.csv", "choice.csv"])
@pytest.mark.parametrize("command", [
    ["fit", "-o", "{d}/w.json"],
    ["check"],
    ["evaluate", "--bootstrap", "50", "--split", "random:0.3:3"],
    ["suggest", "--budget", "2"],
    ["prune", "--k", "5", "-o", "{d}/p.json"],
    ["report", "-o", "{d}/r.html", "--bootstrap", "50"],
])
def test_every_preferences_command_reads_lists(files, prefs, command):
    args = [a.replace("{d}", str(files)) for a in command]
    res = CliRunner().invoke(cli, [args[0], "--results", str(files / "r.csv"), "--preferences",
                                   str(files / prefs), *args[1:]])
    assert res.exit_code == 0, res.output
    if args[0] == "check":
        assert ("(rankings)" if prefs == "rank.csv" else "(choices)") in res.output


def test_forced_format_and_tie_flag_on_the_command_line(files):
    tied = files / "tied.csv"
    tied.write_text((files / "rank.csv").read_text() + "T,m0,1\nT,m1,1\n")
    base = ["check", "--results", str(files / "r.csv"), "--preferences", str(tied)]
    res = CliRunner().invoke(cli, base)
    assert res.exit_code == 2 and "--allow-rank-ties" in res.output
    res = CliRunner().invoke(cli, base + ["--allow-rank-ties", "--preference-format", "rankings"])
    assert res.exit_code == 0, res.output


def test_population_commands_pass_the_tie_flag(files):
    lines = (files / "rank.csv").read_text().splitlines()
    rows = [f"{line},{'r1' if int(line.split(',')[0][1:]) % 2 else 'r2'}" for line in lines[1:]]
    tied = files / "pop.csv"
    tied.write_text("list_id,model,rank,rater\n" + "\n".join(rows) + "\nT,m0,1,r1\nT,m1,1,r1\n")
    base = ["fit", "--results", str(files / "r.csv"), "--preferences", str(tied), "--population-column",
            "rater", "-o", str(files / "pop.json")]
    res = CliRunner().invoke(cli, base)
    assert res.exit_code == 2 and "[rater=r1]" in res.output and "--allow-rank-ties" in res.output
    res = CliRunner().invoke(cli, base + ["--allow-rank-ties"])
    assert res.exit_code == 0, res.output

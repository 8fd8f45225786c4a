"""How fast an aligned benchmark goes stale: fit on the Arena ratings of an earlier date, rank the
models that arrived later against a later date's ratings.

Reads the Arena rating history ``/work/shared/data/arena/history.csv`` (``arena_model, date,
rating``; 98 dates, 2023-05 to 2025-02). The history is development data, not shipped in the
package: this benchmark script reads it from the shared data folder (``--history``). A shipped
case's models are mapped to Arena keys by its ``models_time`` table (``arena_model``, and
``first_seen_key`` for a key renamed during the history, e.g. ``claude-2`` → ``claude-2.0``).

For every fit date t0 and evaluation date t1 > t0 **within one rating system** (the history holds
online Elo up to 2024-06-26 and Bradley-Terry from 2024-06-29; ratings jump at the switch, so a
pair of dates across it is never formed):

* train models: the case's models rated at t0; their t0 ratings are the preferences of the fit;
* new models: models first rated after t0 and rated at t1 (the models an aligned benchmark built
  at t0 is meant to rank);
* ``stale``: aligned fitted on t0 ratings of the train models; ``fresh``: aligned fitted on the t1
  ratings of the same train models (new labels, no new models); ``uniform``: the plain mean.
  Each scores the new models against their t1 ratings: pairwise accuracy with a 95 % bootstrap
  interval over new models, and ``stale - fresh`` on the same resamples (how much of the loss is
  the labels' drift rather than the new models).

    nice python benchmarks/drift.py --out benchmarks/results/drift.md     # ~1 min
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from benchalign.data import ELO_SCALE, PairSet, Results
from benchalign.datasets import load_case
from benchalign.fit import BenchmarkAligner
from benchalign.metrics import bootstrap_counts, replicate_metrics, summarize
from benchalign.outputs import write_atomic
from benchalign.scores import model_scores

HISTORY = Path("/work/shared/data/arena/history.csv")
SWITCH = pd.Timestamp("2024-06-29")
"""First date of the Bradley-Terry ratings in the history (online Elo before)."""
DATES = {
    "metabench": [("2023-08-02", "2023-12-20"), ("2023-08-02", "2024-06-26"),
                  ("2023-11-08", "2024-06-26"), ("2024-01-09", "2024-06-26")],
    "alpacaeval2": [("2023-08-02", "2024-06-26"), ("2023-11-08", "2024-06-26")],
}


def ratings_at(history: pd.DataFrame, keys: pd.DataFrame, date: str) -> pd.Series:
    """Rating of each case model (index: model) at ``date``: its Arena key's, else its older key's."""
    at = history[history["date"] == pd.Timestamp(date)].set_index("arena_model")["rating"]
    if at.empty:
        raise SystemExit(f"no history rows on {date}; pick one of the history's dates")
    first = keys["arena_model"].map(at)
    return first.fillna(keys["first_seen_key"].map(at)).dropna()


def rating_pairs(rows: np.ndarray, ratings: np.ndarray) -> PairSet:
    """Every pair of ``rows`` with the soft target of their rating difference (Elo scale)."""
    a, b = np.triu_indices(len(rows), k=1)
    target = 1.0 / (1.0 + np.exp(-(ratings[a] - ratings[b]) / ELO_SCALE))
    return PairSet(rows[a], rows[b], np.ones(len(a)), target)


def one_row(results: Results, r0: pd.Series, r1: pd.Series, seed: int,
            n_bootstrap: int) -> dict[str, object]:
    """Stale / fresh / uniform on the new models for one (t0, t1) pair of rating snapshots."""
    train = r0.index.intersection(r1.index)
    new = r1.index.difference(r0.index)
    rows_train = results.index_of(train.to_numpy())
    rows_new = results.index_of(new.to_numpy())
    stale = BenchmarkAligner(random_state=seed).fit(results, rating_pairs(rows_train, r0[train].to_numpy()))
    fresh = BenchmarkAligner(random_state=seed).fit(results, rating_pairs(rows_train, r1[train].to_numpy()))
    weights = {"stale": stale.weights_, "fresh": fresh.weights_,
               "uniform": np.full(results.n_items, 1.0 / results.n_items)}
    y = r1[new].to_numpy()
    local = rating_pairs(np.arange(len(new)), y)
    counts = bootstrap_counts(len(new), n_bootstrap, np.random.default_rng(seed))
    reps = {}
    for name, w in weights.items():
        s = model_scores(w, values=results.values, observed=results.observed)[0][rows_new]
        reps[name] = replicate_metrics(s, y, local, counts)["pairwise_accuracy"]
    row: dict[str, object] = {"n_train": len(train), "n_new": len(new),
                              "chosen": f"{stale.method_} / {fresh.method_}"}
    row.update({name: summarize(r) for name, r in reps.items()})
    row["stale - fresh"] = summarize(reps["stale"] - reps["fresh"])
    row["stale - uniform"] = summarize(reps["stale"] - reps["uniform"])
    return row


def run(case_name: str, history: pd.DataFrame, seed: int, n_bootstrap: int) -> list[str]:
    case = load_case(case_name)
    keys = case.models_time.set_index("model")
    lines = [f"### {case_name}", "",
             "| fit t0 | eval t1 | system | train | new | chosen (stale / fresh) | stale | fresh | uniform | stale − fresh | stale − uniform |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for t0, t1 in DATES[case_name]:
        if (pd.Timestamp(t0) < SWITCH) != (pd.Timestamp(t1) < SWITCH):
            raise SystemExit(f"{t0} and {t1} straddle the rating-system switch of {SWITCH.date()}")
        row = one_row(case.results, ratings_at(history, keys, t0), ratings_at(history, keys, t1),
                      seed, n_bootstrap)
        system = "Elo (online)" if pd.Timestamp(t1) < SWITCH else "Bradley-Terry"
        cells = [_fmt(row[k]) for k in ("stale", "fresh", "uniform", "stale - fresh", "stale - uniform")]
        lines.append(f"| {t0} | {t1} | {system} | {row['n_train']} | {row['n_new']} | {row['chosen']} | "
                     + " | ".join(cells) + " |")
    return lines + [""]


def _fmt(stat: dict[str, object]) -> str:
    lo, hi = stat["ci"]
    return f"{stat['mean']:.3f} [{lo:.2f}, {hi:.2f}]"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=Path, default=HISTORY)
    parser.add_argument("--cases", default="metabench,alpacaeval2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    history = pd.read_csv(args.history, parse_dates=["date"])
    lines = ["# Drift: an aligned benchmark fitted on earlier Arena ratings, ranking later models", "",
             "Pairwise accuracy on the pairs among the new models (first rated after t0) against their t1",
             "ratings; 95 % bootstrap interval over new models; differences on the same resamples.",
             "Every pair of dates lies in the online-Elo part of the history: the shipped cases' rated models",
             "all first appear by 2024-03-26, so after the switch to Bradley-Terry (2024-06-29) no new model",
             "arrives to be ranked. stale − fresh is exactly 0 where both fits order the new models alike",
             "(e.g. both chose the label-free coverage weighting).", "",
             "    " + " ".join(shlex.quote(a) for a in ["python", "benchmarks/drift.py", *sys.argv[1:]]), ""]
    for name in args.cases.split(","):
        lines += run(name, history, args.seed, args.bootstrap)
    text = "\n".join(lines)
    print(text)
    if args.out:
        write_atomic(args.out, text, force=True)


if __name__ == "__main__":
    main()

"""The real-case suite: every shipped case through `evaluate`, on the same splits, every method.

Each case of ``benchalign.datasets.CASES`` runs through :func:`benchalign.evaluation.heldout.evaluate` with
seed 0 and the ``random`` split family (--repeats random hold-outs of 30 % of the rated models);
metabench also runs ``size:13`` (train below 13 B parameters, test at or above, from its
models.csv). Per case and split family one table: every method's held-out pairwise accuracy (mean
over splits, 95 % bootstrap interval over held-out models), its paired difference to uniform, and
its paired difference to the best other method (the other method with the highest mean accuracy
in that table), both on the same bootstrap resamples (``evaluate(..., paired_vs_all=True)``).

Then, pooled over the cases' ``random`` families, `aligned` minus each other method: the mean over
cases of each case's paired difference (mean over its splits), with the 95 % interval of a bootstrap
stratified by case (replicate r: the mean over cases of each case's r-th replicate, every case's
held-out models resampled within the case; :func:`benchalign.metrics.pooled_summary`). With 11-33
rated models a single case can rarely show a difference; the pooled line can.

The last line counts, over cases, how `aligned` does against the best other method on the case's
``random`` family: ``cases=N wins=W ties=T losses=L`` (win: the paired interval lies above 0;
loss: below 0; tie otherwise). metabench's ``size:13`` family gets its own line just before it.

    nice python benchmarks/real_cases.py --out benchmarks/results/real_cases.md   # ~10 min
    python benchmarks/real_cases.py --cases alpacaeval1,livecodebench --repeats 3  # a quick check
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from benchalign.evaluation.baselines import Method, select_methods
from benchalign.data import link
from benchalign.datasets import CASE_INFO, CASES, load_case, masked_variant
from benchalign.evaluation.heldout import evaluate
from benchalign.evaluation.splits import parse_split
from benchalign.metrics import pooled_summary
from benchalign.outputs import write_atomic

EXTRA_SPLITS = {"metabench": ("size:13",)}
"""Split families beyond ``random`` (metabench has model sizes in its models.csv)."""
METRIC = "pairwise_accuracy"


def run_case(name: str, methods: dict[str, Method], seed: int, repeats: int,
             n_bootstrap: int, masked: bool = False) -> dict[str, object]:
    """The evaluation report of one shipped case (or, with ``masked``, of its
    :func:`benchalign.datasets.masked_variant`: a whole benchmark hidden for half the models that
    have all, an easy one for strong models and a hard one for weak ones) with every method
    compared pairwise."""
    case = load_case(name)
    results = masked_variant(case).results if masked else case.results
    linked = link(results, case.preferences)
    extra = () if masked else EXTRA_SPLITS.get(name, ())
    splits = [parse_split(f"random:0.3:{repeats}")] + [parse_split(s) for s in extra]
    report = evaluate(results, linked, splits=splits, models=case.models, methods=methods,
                      seed=seed, n_bootstrap=n_bootstrap, paired_vs_all=True, replicates=True)
    return report.to_dict()


def best_other(family: dict[str, object], method: str) -> str:
    """The other method with the highest mean accuracy (the first in method order on a tie)."""
    entries = family["methods"]
    others = [m for m in entries if m != method]
    return max(others, key=lambda m: entries[m][METRIC]["mean"])


def verdict(stat: dict[str, object]) -> str:
    """win / loss when the paired interval lies above / below 0, else tie (also when undefined)."""
    lo, hi = stat["ci"]
    return "win" if lo > 0 else "loss" if hi < 0 else "tie"


def fmt(stat: dict[str, object], signed: bool = False) -> str:
    sign = "+" if signed else ""
    lo, hi = stat["ci"]
    return f"{stat['mean']:{sign}.3f} [{lo:{sign}.3f}, {hi:{sign}.3f}]"


def family_table(name: str, split: str, family: dict[str, object]) -> list[str]:
    """Markdown lines: a heading and one row per method."""
    lines = [f"### {name}, {split}", "",
             f"{family['description']}: {family['n_splits']} splits ({family['n_skipped']} skipped), "
             f"{family['n_train_models']:.1f} training / {family['n_test_models']:.1f} held-out "
             "rated models on average.", "",
             "| method | pairwise accuracy [95 % CI] | − uniform [95 % CI] | best other | "
             "− best other [95 % CI] | vs best other |",
             "|---|---|---|---|---|---|"]
    for method, entry in family["methods"].items():
        other = best_other(family, method)
        paired = entry["paired_vs"][other][METRIC]
        vs_uniform = fmt(entry["paired_vs_uniform"][METRIC], True) if method != "uniform" else ""
        lines.append(f"| {method} | {fmt(entry[METRIC])} | {vs_uniform} | {other} | "
                     f"{fmt(paired, True)} | {verdict(paired)} |")
    return lines + [""]


def aligned_line(label: str, family: dict[str, object]) -> tuple[str, str]:
    """(verdict, one line) for aligned against the best other method of a family."""
    other = best_other(family, "aligned")
    paired = family["methods"]["aligned"]["paired_vs"][other][METRIC]
    return verdict(paired), f"{label}: aligned − {other} = {fmt(paired, True)} → {verdict(paired)}"


def summary_lines(reports: dict[str, dict[str, object]], methods: dict[str, Method]) -> list[str]:
    """The aligned-vs-best-other lines and the final ``cases= wins= ties= losses=`` line."""
    if "aligned" not in methods:
        return ["aligned was not among the methods: no wins/ties/losses to count."]
    lines, counts = [], {"win": 0, "tie": 0, "loss": 0}
    for name, report in reports.items():
        for split, family in report["splits"].items():
            result, line = aligned_line(f"{name} {split}", family)
            lines.append(f"* {line}" + ("" if split == "random" else " (not counted)"))
            counts[result] += split == "random"
    return lines + ["", *pooled_lines(reports, methods), "",
                    f"cases={len(reports)} wins={counts['win']} ties={counts['tie']} "
                    f"losses={counts['loss']}"]


def pooled_lines(reports: dict[str, dict[str, object]], methods: dict[str, Method]) -> list[str]:
    """aligned minus each other method, pooled over the cases' ``random`` families (paired within
    each case, bootstrap stratified by case)."""
    families = [report["splits"]["random"] for report in reports.values()]
    lines = [f"pooled over {len(families)} cases ({', '.join(reports)}; random splits), mean over "
             "cases of each case's paired difference, 95 % interval stratified by case:"]
    for other in (m for m in methods if m != "aligned"):
        diffs = [np.asarray(f["replicates"]["aligned"][METRIC], dtype=np.float64)
                 - np.asarray(f["replicates"][other][METRIC], dtype=np.float64) for f in families]
        stat = pooled_summary(diffs)
        lines.append(f"* pooled: aligned − {other} = {fmt(stat, True)} → {verdict(stat)}")
    return lines


def header(args: argparse.Namespace, methods: dict[str, Method]) -> list[str]:
    command = "python benchmarks/real_cases.py " + shlex.join(sys.argv[1:])
    return ["# Real-case suite", "",
            f"Command: `{command.strip()}`. Seed {args.seed}, {args.repeats} random splits of 30 % "
            f"of the rated models, {args.n_bootstrap} bootstrap resamples of held-out models; "
            f"methods {', '.join(methods)}. Differences are paired (same splits, same resamples); "
            "“best other” is the other method with the highest mean accuracy in the same table.", ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated shipped cases")
    ap.add_argument("--methods", default=None,
                    help="comma-separated entries of baselines.METHODS or VARIANTS (default: METHODS)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=20, help="random splits per case")
    ap.add_argument("--n-bootstrap", type=int, default=1000)
    ap.add_argument("--out", default=None, help="also write the markdown here (atomically)")
    ap.add_argument("--masked", default="",
                    help="comma-separated shipped cases also run as masked variants (a whole "
                         "benchmark hidden where the truth is known; reported, not counted)")
    args = ap.parse_args()
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    masked = [c.strip() for c in args.masked.split(",") if c.strip()]
    unknown = [c for c in cases + masked if c not in CASES]
    if unknown:
        ap.error(f"unknown cases {', '.join(unknown)}; choose from {', '.join(CASES)}")
    methods = select_methods(args.methods)
    # a rank correlation is undefined (NaN, as documented) when every held-out model ties
    warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
    text, reports = header(args, methods), {}
    print("\n".join(text), flush=True)
    runs = [(name, False) for name in cases] + [(name, True) for name in masked]
    extra = {}
    for name, hide in runs:
        start = time.perf_counter()
        report = run_case(name, methods, args.seed, args.repeats, args.n_bootstrap, hide)
        label = f"{name} (masked)" if hide else name
        (extra if hide else reports)[label] = report
        block = [f"## {label}: {CASE_INFO[name].title}", "",
                 f"{report['n_models']:,} models × {report['n_items']:,} questions, "
                 f"{report['n_rated']} rated.", ""]
        for split, family in report["splits"].items():
            block += family_table(label, split, family)
        block.append(f"({label}: {time.perf_counter() - start:.0f} s)\n")
        print("\n".join(block), flush=True)
        text += block
        if args.out:
            write_atomic(Path(args.out), "\n".join(text) + "\n", force=True)
    tail = ["## aligned against the best other method", "", *summary_lines(reports, methods)]
    if extra and "aligned" in methods:
        tail += ["", "Masked variants (not counted):", ""] + [
            f"* {aligned_line(name, report['splits']['random'])[1]}" for name, report in extra.items()]
    print("\n".join(tail), flush=True)
    if args.out:
        write_atomic(Path(args.out), "\n".join(text + tail) + "\n", force=True)


if __name__ == "__main__":
    main()

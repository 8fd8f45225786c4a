"""Console text of every command's results (what :mod:`benchalign.report.html` is for the
page): the data check's findings and noise ceiling, the evaluation table, the population cross
matrix and comparison, the pruning curve, what a fit or a prune chose. Pure functions of the results they format.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..artifact import AlignedBenchmark
from ..check import Finding
from ..errors import format_rows
from ..features.structure import benchmark_mass, effective_questions
from ..fit import BenchmarkAligner
from ..populations.aligner import POOLED, PopulationAligner
from ..populations.compare import PopulationDiff
from ..prune import curve_table

def format_cross(report: dict) -> str:
    """The cross matrices as text: rows = whose benchmark, columns = whose held-out pairs; each
    cell the pairwise accuracy and, below the own benchmark, the paired difference own − row."""
    lines = []
    for name, fam in report["splits"].items():
        pops = list(fam["populations"])
        lines.append(f"split {name}: {fam['description']}; {fam['n_splits']} splits "
                     f"({fam['n_skipped']} skipped)")
        lines.append("  pairwise accuracy of the row's benchmark on the column's held-out pairs; "
                     f"[own - row] paired {100 * report['ci_level']:g}% CI")
        lines.append(f"  {'benchmark':<18}" + "".join(f"{p[:22]:>24}" for p in pops))
        for a, row in fam["cross"].items():
            cells = []
            for b in pops:
                cell = row[b]
                lo, hi = cell["paired_vs_own"]["ci"]
                extra = "  (own)      " if a == b else f" [{lo:+.2f},{hi:+.2f}]"
                cells.append(f"{cell['pairwise_accuracy']['mean']:.3f}{extra}")
            lines.append(f"  {a:<18}" + "".join(f"{c:>24}" for c in cells))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def format_diff(diff: PopulationDiff, items: np.ndarray, item_benchmarks: np.ndarray) -> str:
    """The comparison as text: the verdict sentence, per-benchmark mass of each population with
    its interval, and (only when they differ) the questions that gain and lose most."""
    pct = f"{diff.level:.0%}"
    lines = [diff.sentence(), "",
             f"weight per benchmark ({diff.method} weighting; [{pct} interval over {diff.n_boot} "
             "refits on resampled rated models]):",
             f"  {'benchmark':<24}{diff.a[:26]:>28}{diff.b[:26]:>28}"]
    for i, name in enumerate(diff.benchmarks):
        cells = [f"{m:6.1%} [{lo:5.1%}, {hi:5.1%}]" for m, (lo, hi) in
                 ((diff.mass_a[i], diff.mass_a_ci[i]), (diff.mass_b[i], diff.mass_b_ci[i]))]
        lines.append(f"  {name[:24]:<24}{cells[0]:>28}{cells[1]:>28}")
    if diff.differ:
        lines += ["", f"questions whose weight moves most from {diff.a} to {diff.b} "
                  "(× uniform weight):"]
        for j in [*diff.gaining, *diff.losing]:
            lines.append(f"  {diff.item_diff[j]:+8.2f}  {item_benchmarks[j]}  {items[j]}")
    return "\n".join(lines) + "\n"


TABLE_METRICS = ("pairwise_accuracy", "spearman", "kendall_tau_b")
"""The metrics of the console table (the JSON and the HTML report hold every metric)."""


def format_table(report: dict) -> str:
    """A readable console table: one block per split family, one row per method."""
    lines = []
    for name, fam in report["splits"].items():
        lines.append(f"split {name}: {fam['description']}; {fam['n_splits']} splits, "
                     f"{fam['n_train_models']:.1f} train / {fam['n_test_models']:.1f} held-out "
                     "models on average")
        width = max(15, *(len(m) + 1 for m in fam["methods"]))
        header = f"  {'method':<{width}}" + "".join(f"{m:>24}" for m in TABLE_METRICS) + f"{'Δacc vs uniform':>26}"
        lines.append(header)
        for method, entry in fam["methods"].items():
            row = f"  {method:<{width}}" + "".join(f"{_fmt(entry[m]):>24}" for m in TABLE_METRICS)
            paired = entry.get("paired_vs_uniform")
            row += f"{_fmt(paired['pairwise_accuracy'], signed=True):>26}" if paired else f"{'':>26}"
            lines.append(row)
        if "ceiling" in report:
            lines.append(_ceiling_row(report["ceiling"].get(name), width))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _ceiling_row(value: float | None, width: int) -> str:
    """The noise ceiling of a split family (see :func:`benchalign.check.heldout_ceiling`)."""
    if value is None:
        return (f"  {'noise ceiling':<{width}}{'unknown':>24}  (the preferences carry no interval "
                "or counts)")
    return (f"  {'noise ceiling':<{width}}{value:>24.3f}  (pairwise accuracy a perfect scorer "
            "could expect, given the preferences' own uncertainty)")


def _fmt(stat: dict, signed: bool = False) -> str:
    lo, hi = stat["ci"]
    sign = "+" if signed else ""
    return f"{stat['mean']:{sign}.3f} [{lo:{sign}.3f}, {hi:{sign}.3f}]"


def format_curve(curve: pd.DataFrame, n_items: int) -> str:
    """The :func:`curve_table` as aligned text, with the number of splits."""
    table = curve_table(curve, n_items)
    head = f"{'K':<12}" + "".join(f"{str(c):>9}" for c in table.columns)
    lines = [head] + [f"{line:<12}" + "".join(f"{v:>9.3f}" for v in row)
                      for line, row in zip(table.index, table.to_numpy())]
    n = curve["split"].nunique()
    return "\n".join(lines) + f"\n(held-out pairwise accuracy, mean over {n} splits)\n"


def format_findings(findings: Sequence[Finding], *, limit: int = 8) -> str:
    """Findings as console text: one block per finding (severity, code, message, names, fix)."""
    lines = []
    for f in findings:
        lines.append(f"{f.severity}: [{f.code}] {f.message}")
        for label, names in (("models", f.models), ("items", f.items), ("benchmarks", f.benchmarks)):
            if names:
                lines.append(f"    {label}: {format_rows(list(names), limit)}")
        lines.append(f"    fix: {f.fix}")
    return "\n".join(lines)


def format_ceiling(ceiling: dict) -> str:
    """One line on the noise ceiling."""
    value = ceiling.get("pairwise_accuracy")
    if value is None:
        return f"noise ceiling: unknown ({ceiling.get('reason', 'no uncertainty given')})"
    return (f"noise ceiling: {value:.3f} pairwise accuracy for a perfect scorer over "
            f"{ceiling['n_pairs']} decided pairs, from {ceiling['source']}")


def population_fit_summary(bench: AlignedBenchmark, pa: PopulationAligner) -> str:
    names = benchmark_mass(bench.benchmarks, bench.weights)[0]
    pops = [POOLED, *bench.populations]
    lines = [f"fitted {len(bench.items)} items for {len(bench.populations)} populations and the "
             "pooled benchmark; blend = pull toward the pooled weights (cross-validated)",
             f"  {'population':<20} {'models':>6} {'blend':>6}  " + "".join(f"{n[:10]:>11}" for n in names)]
    for name in pops:
        w = bench.weights if name == POOLED else bench.populations[name]
        blend = "" if name == POOLED else f"{pa.blend_[name]:.2f}"
        mass = benchmark_mass(bench.benchmarks, w)[1]
        lines.append(f"  {name:<20} {pa.aligners_[name].n_train_models_:>6} {blend:>6}  "
                     + "".join(f"{m:>11.1%}" for m in mass))
    return "\n".join(lines)


def fit_summary(bench: AlignedBenchmark, aligner: BenchmarkAligner) -> str:
    w = bench.weights
    effective = effective_questions(w)
    lines = [f"fitted {len(w)} items on {aligner.n_train_models_} rated models "
             f"({aligner.n_train_pairs_} pairs): {aligner.method_}"]
    lines += completion_lines(aligner) + candidate_lines(aligner) + pull_lines(aligner)
    lines += [f"effective number of questions: {effective:.1f} of {len(w)}",
              "weight per benchmark (uniform share in brackets):"]
    names, mass, counts = benchmark_mass(bench.benchmarks, w)
    share = counts / len(w)
    for name, m, u in zip(names, mass, share):
        lines.append(f"  {name:<30} {m:6.1%}  [{u:6.1%}]")
    return "\n".join(lines)


def completion_lines(aligner: BenchmarkAligner) -> list[str]:
    """The label-free completion choice (one line per candidate) and whether the fit uses it."""
    choice, used = aligner.completion_choice_, aligner.completion_
    out = []
    if choice is not None and np.isfinite(choice.errors).any():
        out.append("completion of missing questions, chosen without preferences (RMSE of hidden "
                   "benchmark blocks' means):")
        for i, (label, err) in enumerate(zip(choice.labels, choice.errors)):
            out.append(f"  {label:<24} {err:.4f}" + ("  <- chosen" if i == choice.chosen else ""))
    if used is not None:
        out.append(f"scores complete each model's missing questions with {used.label}")
    elif choice is not None:
        out.append("scores are each model's weighted mean over the questions it has")
    return out


def candidate_lines(aligner: BenchmarkAligner) -> list[str]:
    """What cross-validation tried and why it chose, one line per candidate (none if no choice)."""
    if aligner.candidate_scores_ is None:
        return []
    out = ["candidates (mean validation pairwise accuracy over folds of the rated models):"]
    for name, acc in zip(aligner.candidates_, aligner.candidate_scores_):
        mark = "  <- chosen" if name == aligner.method_ else ""
        out.append(f"  {name:<24} {acc:.3f}{mark}")
    return out


def pull_lines(aligner: BenchmarkAligner) -> list[str]:
    """The published method's choice of its pull toward the prior, one line per strength tried,
    and the optimizer's outcome (none for the other methods)."""
    det = aligner.fit_details_
    if "reg" not in det:
        return []
    out = [f"pull toward the prior: reg={det['reg']:g} ({det['n_iter']} L-BFGS iterations, "
           f"converged={det['converged']})"]
    if det["reg_cv_scores"] is not None:
        out.append("pulls tried (mean validation pairwise accuracy over folds of the rated models):")
        for reg, acc in zip(det["reg_grid"], det["reg_cv_scores"]):
            out.append(f"  reg={reg:<10g} {acc:.3f}" + ("  <- chosen" if reg == det["reg"] else ""))
    return out


def prune_summary(bench: AlignedBenchmark, n_before: int) -> str:
    diag = bench.diagnostics
    lines = [f"kept {len(bench.items)} of {n_before} questions; weights re-fitted on "
             f"{diag['n_train_models']} rated models, {diag['method']}", "questions and weight per benchmark:"]
    names, mass, counts = benchmark_mass(bench.benchmarks, bench.weights)
    for name, count, m in zip(names, counts, mass):
        lines.append(f"  {name:<30} {count:5d}  {m:6.1%}")
    return "\n".join(lines)

"""Active selection of the models to rate: held-out accuracy vs number of ratings revealed.

The simulation is :func:`benchalign.suggest.curve.active_curve` (the same code as
``benchalign suggest --report``): each repetition holds out ``--test`` rated models (default a
third, at most 10; the same for every strategy), starts from ``--start`` rated models of the rest
(the same for every strategy) and reveals the remaining pool one rating at a time, in the order a
strategy picks (suggest, uncertain, novel, most_run, random). After every reveal the aligner is
fitted on the revealed ratings and scored by pairwise accuracy on the held-out models' pairs.
Target of issue 17: ``suggest`` reaches the accuracy of all available ratings (the end of every
curve) with at most 60 % of them, with a paired interval over repetitions.

    python benchmarks/active_curve.py --case metabench alpacaeval2 alpacaeval1 livecodebench --method auto correlation --reps 12 --seed 0
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from benchalign.data import link
from benchalign.datasets import load_case
from benchalign.suggest.curve import METHODS, ActiveCurve, active_curve, curve_summary

OUT = Path(__file__).parent / "results"
CASES = ("metabench", "alpacaeval2", "alpacaeval1", "livecodebench")


def summarize(curve: ActiveCurve) -> list[str]:
    """Markdown lines: mean accuracy per strategy at each count, and the target's paired test."""
    names = list(curve.curves)
    lines = ["| revealed | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for i, n in enumerate(curve.counts):
        lines.append(f"| {n} | " + " | ".join(f"{curve.curves[s][:, i].mean():.3f}" for s in names)
                     + " |")
    summary = curve_summary(curve)
    lines += ["", f"All {curve.pool} pool ratings: accuracy {summary['all']:.3f}. At "
              f"{summary['k_target']} revealed (60 %), paired difference to all (mean, 95 % "
              "bootstrap interval over repetitions):"]
    for s, row in summary["strategies"].items():
        m, lo, hi = row["at_target"]
        reach = "never" if row["reaches"] is None else f"{row['reaches']} revealed"
        lines.append(f"* {s}: {m:+.3f} [{lo:+.3f}, {hi:+.3f}]; mean curve first reaches the "
                     f"all-ratings accuracy at {reach}")
    lines += ["", f"Paired difference to random, mean over {curve.start}..{curve.pool} revealed "
              "(area between the curves per step), 95 % bootstrap interval over repetitions:"]
    for s, row in summary["strategies"].items():
        if "vs_random" in row:
            m, lo, hi = row["vs_random"]
            lines.append(f"* {s} - random: {m:+.3f} [{lo:+.3f}, {hi:+.3f}]")
    return lines


def plot(curve: ActiveCurve, path: Path, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s, c in curve.curves.items():
        half = 1.96 * c.std(axis=0, ddof=1) / np.sqrt(len(c))
        ax.plot(curve.counts, c.mean(axis=0), label=s, lw=2 if s == "suggest" else 1.2)
        ax.fill_between(curve.counts, c.mean(axis=0) - half, c.mean(axis=0) + half, alpha=0.12)
    ax.axvline(0.6 * curve.pool, color="grey", ls=":", lw=1)
    ax.set_xlabel("rated models revealed")
    ax.set_ylabel("held-out pairwise accuracy")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_case(name: str, method: str, args: argparse.Namespace, cmd: str) -> None:
    """Run one case with one aligner; write its table and figure to benchmarks/results/."""
    t0 = time.perf_counter()
    case = load_case(name)
    linked = link(case.results, case.preferences)
    curve = active_curve(case.results, linked, reps=args.reps, test=args.test, start=args.start,
                         n_boot=args.n_boot, seed=args.seed, method=method,
                         progress=lambda n: print(".", end="", file=sys.stderr, flush=True))
    print(file=sys.stderr)
    title = (f"{name}, method {method}: {args.reps} reps, {curve.test} held out, start "
             f"{args.start}, seed {args.seed}")
    OUT.mkdir(exist_ok=True)
    stem = OUT / f"active_curve_{name}_{method}"
    plot(curve, stem.with_suffix(".png"), title)
    lines = [f"# Active selection of models to rate: {name}, method {method}", "",
             f"Command: `{cmd}`", f"({curve.test} rated models held out, pool {curve.pool}; "
             f"{time.perf_counter() - t0:.0f} s)", "", *summarize(curve)]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", nargs="+", choices=CASES, default=["metabench"])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--test", type=int, default=None,
                    help="held-out rated models per repetition (default: a third, at most 10)")
    ap.add_argument("--start", type=int, default=3, help="ratings known at the start")
    ap.add_argument("--n-boot", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--method", nargs="+", choices=METHODS, default=["auto"],
                    help="the aligner(s) fitted on the revealed ratings")
    args = ap.parse_args(argv)
    cmd = "python benchmarks/active_curve.py " + " ".join(argv if argv is not None else sys.argv[1:])
    for name in args.case:
        for method in args.method:
            run_case(name, method, args, cmd)


if __name__ == "__main__":
    main()

"""Time the default fit (method="auto": coverage prior, label-free completion choice, then
cross-validation of the correlation, coverage, uniform and uniform+completion candidates over the
rated models) at Open LLM Leaderboard v2 scale.

    nice python benchmarks/auto_scale.py [--rated 1000] [--missing 0.3]

Simulated 4,576 models × 21,606 questions (benchalign.simulate), ratings for --rated of them.
Prints the time of each stage: simulation, link, the label-free coverage prior and completion
(from every model; cached, so the fit reuses them), and the whole default fit, with the candidate it chose. fit_scale.py
times the plain fixed-strength fit; this is what `benchalign fit` with no options costs.
"""

from __future__ import annotations

import argparse
import time
import warnings

from benchalign import BenchmarkAligner
from benchalign.data import link
from benchalign.errors import ConvergenceWarning
from benchalign.simulate import simulate
from benchalign.features.completion import choose_completion, resolve
from benchalign.features.structure import clear_learned, coverage_prior


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=4576)
    ap.add_argument("--rated", type=int, default=1000)
    ap.add_argument("--missing", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    def stage(name, func):
        start = time.perf_counter()
        out = func()
        print(f"{name:<40}{time.perf_counter() - start:8.1f} s", flush=True)
        return out

    data = stage(f"simulate {args.models} x 21,606", lambda: simulate(
        n_models=args.models, n_rated=args.rated, missing=args.missing, seed=args.seed))
    linked = stage(f"link ({args.rated} rated)", lambda: link(data.results, data.preferences))
    print(f"pairs: {len(linked.pairs):,}")
    stage("coverage prior (all models)", lambda: coverage_prior(data.results))
    clear_learned()
    choice = stage("completion choice (all models)", lambda: choose_completion(data.results))
    print("completion block RMSE: " + ", ".join(
        f"{n} {e:.4f}" for n, e in zip(choice.labels, choice.errors)) + f"; chosen {choice.labels[choice.chosen]}")
    stage("completion fit (chosen)", lambda: resolve(data.results, "auto"))
    stage("BenchmarkAligner(completion='none').fit",
          lambda: BenchmarkAligner(random_state=args.seed, completion="none").fit(data.results, linked))
    clear_learned()  # the default fit below pays for its label-free prior and completion again
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        aligner = stage("BenchmarkAligner().fit (default auto)",
                        lambda: BenchmarkAligner(random_state=args.seed).fit(data.results, linked))
    print(f"completion used: {None if aligner.completion_ is None else aligner.completion_.label}")
    print(f"chose {aligner.method_} among {', '.join(aligner.candidates_)} (validation accuracy "
          f"{', '.join(f'{a:.3f}' for a in aligner.candidate_scores_)}); "
          f"{sum(issubclass(w.category, ConvergenceWarning) for w in caught)} convergence warnings")


if __name__ == "__main__":
    main()

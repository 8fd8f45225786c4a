"""How long `benchalign check` takes on the shipped metabench case (6,349 models × 1,075 questions).

Target (issue 15): under 10 s. Prints the load time of the shipped case (not part of the check),
the wall time of :func:`benchalign.check.check` (best of ``--rounds``) and its findings by code.

    python benchmarks/check_speed.py [--case metabench] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter

from benchalign.check import check
from benchalign.datasets import load_case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", default="metabench")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    case = load_case(args.case)
    loaded = time.perf_counter() - start
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        report = check(case.results, case.preferences)
        times.append(time.perf_counter() - start)
    r = case.results
    print(f"{args.case}: {r.n_models:,} models x {r.n_items:,} items; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"load_case {loaded:.1f} s; check best {min(times):.2f} s of {args.rounds} "
          f"({', '.join(f'{t:.2f}' for t in times)}) (target < 10 s)")
    counts = Counter((f.code, f.severity) for f in report.findings)
    for (code, severity), n in sorted(counts.items(), key=lambda kv: kv[0][1]):
        print(f"  {severity:<8}{code:<20}{n}")


if __name__ == "__main__":
    main()

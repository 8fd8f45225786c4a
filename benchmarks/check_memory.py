"""Time and peak memory of `benchalign check` and `benchalign fit` on a wide table of many models.

Target: 10^6 models x 20 questions through `check` and through `fit`, each in under 60 s and
4 GB of peak resident memory. The data: 0/1 scores drawn from a Rasch model (ability ~ N(0, 1),
difficulty ~ N(0, 1)); with 20 questions most answer patterns repeat, so the duplicate scan meets
hundreds of thousands of identical score vectors. 1,000 models get an Elo-like rating (ability
plus noise). Files are written to a temporary folder (not timed); each command runs in its own
Python process, which reports its wall time and its ``ru_maxrss``.

    python benchmarks/check_memory.py                    # 10^6 models, the target run
    python benchmarks/check_memory.py --models 100000    # a quicker look
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_S, TARGET_GB = 60.0, 4.0

_CHILD = """
import json, resource, sys, time
from benchalign.cli import cli
start = time.perf_counter()
try:
    cli.main(sys.argv[1:], prog_name="benchalign", standalone_mode=False)
    code = 0
except SystemExit as exc:
    code = exc.code
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": time.perf_counter() - start, "peak_kb": peak, "exit": code}),
      file=sys.stderr)
"""


def write_case(folder: Path, n_models: int, n_items: int, n_rated: int, seed: int) -> tuple[Path, Path]:
    """A wide 0/1 results table and a ratings table of ``n_rated`` of its models."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=n_models)
    difficulty = rng.normal(size=n_items)
    p = 1.0 / (1.0 + np.exp(difficulty[None, :] - ability[:, None]))
    scores = (rng.random((n_models, n_items)) < p).astype(np.uint8)
    names = np.char.add("m", np.arange(n_models).astype(str))
    wide = pd.DataFrame(scores, columns=[f"q{j:02d}" for j in range(n_items)])
    wide.insert(0, "model", names)
    results = folder / "results.csv"
    wide.to_csv(results, index=False)
    rated = rng.choice(n_models, n_rated, replace=False)
    ratings = pd.DataFrame({"model": names[rated],
                            "rating": 1000 + 100 * ability[rated] + rng.normal(0, 30, n_rated)})
    preferences = folder / "ratings.csv"
    ratings.to_csv(preferences, index=False)
    return results, preferences


def run(args: list[str]) -> dict:
    """Run one benchalign command in a fresh process; its wall time, peak memory and exit code."""
    proc = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True)
    line = proc.stderr.strip().splitlines()[-1]
    out = json.loads(line)
    out["stderr"] = proc.stderr.strip().splitlines()[:-1]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--rated", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        results, prefs = write_case(folder, args.models, args.items, args.rated, args.seed)
        print(f"{args.models:,} models x {args.items} questions, {args.rated:,} rated; files "
              f"written in {time.perf_counter() - start:.1f} s ({results.stat().st_size / 1e6:.0f} "
              f"MB); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        common = ["--results", str(results), "--preferences", str(prefs)]
        commands = {"check": ["check", *common],
                    "fit": ["fit", *common, "-o", str(folder / "bench.json")]}
        ok = True
        for name, argv in commands.items():
            got = run(argv)
            gb = got["peak_kb"] / 1024 ** 2
            met = got["seconds"] < TARGET_S and gb < TARGET_GB
            ok &= met
            print(f"{name:<6} {got['seconds']:6.1f} s  peak {gb:5.2f} GB  exit {got['exit']}  "
                  f"({'meets' if met else 'MISSES'} < {TARGET_S:g} s and < {TARGET_GB:g} GB)")
            for line in got["stderr"][:6]:
                print(f"         {line[:160]}")
        print("all targets met" if ok else "a target is missed")


if __name__ == "__main__":
    main()

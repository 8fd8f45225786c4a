"""Build the compact shipped copies of the real data from ../shared/data (run once by a developer).

    python scripts/build_datasets.py ../shared/data

Writes src/benchalign/datasets/<case>/{results.npz, preferences.csv, models.csv, items.csv.gz}.
The package never reads ../shared at run time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from benchalign.io.load import load_results
from benchalign.datasets import HERE, save_compact


def build(shared: Path) -> None:
    for case in ("metabench", "alpacaeval2"):
        src, dst = shared / case, HERE / case
        dst.mkdir(parents=True, exist_ok=True)
        save_compact(load_results(src / "results.csv.gz"), dst / "results.npz")
        prefs = pd.read_csv(src / "preferences.csv", dtype=str, keep_default_na=False)
        prefs.to_csv(dst / "preferences.csv", index=False)
        if (src / "models.csv").exists():
            pd.read_csv(src / "models.csv", dtype=str, keep_default_na=False).to_csv(
                dst / "models.csv", index=False)
        items = src / "items.csv.gz" if (src / "items.csv.gz").exists() else src / "items.csv"
        frame = pd.read_csv(items, dtype=str, keep_default_na=False)
        text = "prompt_tail" if "prompt_tail" in frame.columns else "instruction"
        keep = [c for c in ("item", "benchmark", "dataset", text) if c in frame.columns]
        frame = frame[keep].rename(columns={text: "text"})
        frame.to_csv(dst / "items.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})
        print(f"{case}: wrote {dst}")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))

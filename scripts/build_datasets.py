"""Build the compact shipped copies of the real data from ../shared/data (run once by a developer).

    python scripts/build_datasets.py ../shared/data

Writes src/benchalign/datasets/<case>/ for every case of ``benchalign.datasets.CASES``:
``results.npz`` (the compact results matrix), ``preferences.csv``, ``items.csv.gz`` (item,
benchmark or dataset, the question text as ``text`` where the source has one, and livecodebench's
difficulty, platform and contest date) and, where the source has them, ``models.csv``,
``preferences_by_category.csv`` and ``models_time.csv``. The package never reads ../shared at
run time. Rebuilding from the same sources gives byte-identical files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from benchalign.io.load import load_results
from benchalign.datasets import CASES, HERE, OPTIONAL_FILES, save_compact

TEXT_COLUMNS = ("prompt_tail", "instruction")
"""Source columns that hold the question text (metabench, AlpacaEval), shipped as ``text``."""
ITEM_COLUMNS = ("item", "benchmark", "dataset", "text", "difficulty", "platform", "contest_date")
"""Item columns kept; metabench's fitted IRT parameters and source file names are left out."""


def build_case(src: Path, dst: Path) -> None:
    """Write one case's shipped files from its development folder."""
    dst.mkdir(parents=True, exist_ok=True)
    save_compact(load_results(src / "results.csv.gz"), dst / "results.npz")
    for name in ("preferences.csv", *OPTIONAL_FILES):
        if (src / name).exists():
            read_text_csv(src / name).to_csv(dst / name, index=False)
    items = src / "items.csv.gz" if (src / "items.csv.gz").exists() else src / "items.csv"
    frame = read_text_csv(items)
    text = [c for c in TEXT_COLUMNS if c in frame.columns]
    frame = frame.rename(columns={text[0]: "text"}) if text else frame
    frame = frame[[c for c in ITEM_COLUMNS if c in frame.columns]]
    frame.to_csv(dst / "items.csv.gz", index=False, compression={"method": "gzip", "mtime": 0})


def read_text_csv(path: Path) -> pd.DataFrame:
    """Every cell as the string it is in the file (no number parsing, empty stays empty)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def build(shared: Path) -> None:
    for case in CASES:
        build_case(shared / case, HERE / case)
        print(f"{case}: wrote {HERE / case}")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))

"""Real data shipped inside the package (see README.md in this folder for provenance and licenses).

Each case is a folder with ``results.npz`` (a compact :class:`~benchalign.data.Results`),
``preferences.csv`` and optionally ``models.csv`` and ``items.csv.gz``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import Preferences, Results
from ..errors import InputFormatError
from ..io.load import load_models, load_preferences

HERE = Path(__file__).parent
CASES = ("metabench", "alpacaeval2")


@dataclass(frozen=True)
class Case:
    """A shipped case: results, preferences, optional model metadata and item texts."""

    name: str
    results: Results
    preferences: Preferences
    models: pd.DataFrame | None
    items: pd.DataFrame | None
    folder: Path


def save_compact(results: Results, path: str | Path) -> None:
    """Write results as a compressed npz: uint8 values when every score is 0/1, bit-packed mask."""
    values = results.values
    binary = bool(np.isin(values, (0.0, 1.0)).all())
    arrays = {
        "models": results.models.astype(str),
        "items": results.items.astype(str),
        "benchmarks": results.benchmarks.astype(str),
        "values": values.astype(np.uint8) if binary else values.astype(np.float32),
        "shape": np.array(values.shape),
    }
    if results.observed is not None:
        arrays["observed"] = np.packbits(results.observed, axis=None)
    np.savez_compressed(path, **arrays)


def load_compact(path: str | Path) -> Results:
    """Read results written by :func:`save_compact`."""
    with np.load(path, allow_pickle=False) as z:
        shape = tuple(z["shape"])
        observed = None
        if "observed" in z.files:
            observed = np.unpackbits(z["observed"], count=shape[0] * shape[1]).reshape(shape).astype(bool)
        return Results(z["models"].astype(object), z["items"].astype(object),
                       z["benchmarks"].astype(object), z["values"].astype(np.float32), observed)


def load_case(name: str) -> Case:
    """Load a shipped case by name ("metabench" or "alpacaeval2")."""
    if name not in CASES:
        raise InputFormatError(f"unknown shipped case {name!r}; choose one of {', '.join(CASES)}.")
    folder = HERE / name
    models = load_models(folder / "models.csv") if (folder / "models.csv").exists() else None
    items_path = folder / "items.csv.gz"
    items = pd.read_csv(items_path, dtype=str) if items_path.exists() else None
    return Case(name, load_compact(folder / "results.npz"),
                load_preferences(folder / "preferences.csv"), models, items, folder)


def case_path(name: str, file: str) -> Path:
    """Path of a shipped file, e.g. ``case_path("metabench", "preferences.csv")``."""
    return HERE / name / file

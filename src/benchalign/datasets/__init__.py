"""Real data shipped inside the package (see README.md in this folder for provenance and licenses).

Each case is a folder with ``results.npz`` (a compact :class:`~benchalign.data.Results`),
``preferences.csv``, ``items.csv.gz`` and, where the source has them, ``models.csv`` (model
metadata: size, organization), ``preferences_by_category.csv`` (the rated models' Arena rating per
prompt category, with its 95 % interval) and ``models_time.csv`` (each rated model's first date on
the Arena).
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


@dataclass(frozen=True)
class CaseInfo:
    """What a shipped case is and under which terms its data may be used (details: README.md)."""

    title: str
    license: str


CASE_INFO = {
    "metabench": CaseInfo("Open LLM Leaderboard v1 (metabench questions), 0/1 correctness",
                          "CC BY-NC-SA 4.0"),
    "alpacaeval2": CaseInfo("AlpacaEval 2.0, judge preference probability", "CC BY-NC 4.0"),
    "alpacaeval1": CaseInfo("AlpacaEval 1.0, judge win / tie / loss", "CC BY-NC 4.0"),
    "livecodebench": CaseInfo("LiveCodeBench, pass@1", "none stated upstream"),
}
CASES = tuple(CASE_INFO)
"""Every shipped case, in the order the benchmarks report them."""
DEMO_CASES = ("metabench", "alpacaeval2")
"""The cases `benchalign demo` runs (the two that keep it to a few minutes)."""
ARENA_EXTRAS = ("preferences_by_category.csv", "models_time.csv")
"""Arena tables beyond the ratings: per prompt category, and first dates on the Arena."""
OPTIONAL_FILES = ("models.csv", *ARENA_EXTRAS)
"""Files some cases have beside results, preferences and items."""


@dataclass(frozen=True)
class Case:
    """A shipped case: results, preferences, optional model metadata, items and Arena extras.

    models : model metadata indexed by model name (``params_b``, ``organization``), or None.
    items : one row per question (``item``, ``benchmark`` or ``dataset``, ``text`` where the
        source has the question text), all strings, or None.
    preferences_by_category : rows ``model, category, rating, rating_q025, rating_q975,
        arena_model`` (ratings in Arena points, one snapshot; compare within this table only), or
        None when the case has none.
    models_time : rows ``model, arena_model, first_seen, first_seen_key`` (``first_seen`` a
        datetime64 date), or None.
    """

    name: str
    results: Results
    preferences: Preferences
    models: pd.DataFrame | None
    items: pd.DataFrame | None
    folder: Path
    preferences_by_category: pd.DataFrame | None = None
    models_time: pd.DataFrame | None = None


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
    """Load a shipped case by name (one of :data:`CASES`)."""
    folder = case_folder(name)
    models = load_models(folder / "models.csv") if (folder / "models.csv").exists() else None
    items_path = folder / "items.csv.gz"
    items = pd.read_csv(items_path, dtype=str) if items_path.exists() else None
    return Case(name, load_compact(folder / "results.npz"),
                load_preferences(folder / "preferences.csv"), models, items, folder,
                _optional_table(folder / "preferences_by_category.csv", ()),
                _optional_table(folder / "models_time.csv", ("first_seen",)))


def case_folder(name: str) -> Path:
    """The folder of a shipped case; :class:`InputFormatError` naming the cases if unknown."""
    if name not in CASES:
        raise InputFormatError(f"unknown shipped case {name!r}; choose one of {', '.join(CASES)}.")
    return HERE / name


def case_shape(name: str) -> tuple[int, int, int]:
    """(models, questions, preference rows) of a shipped case, read without loading the matrix."""
    folder = case_folder(name)
    with np.load(folder / "results.npz", allow_pickle=False) as z:
        n_models, n_items = (int(n) for n in z["shape"])
    n_rated = len(pd.read_csv(folder / "preferences.csv", usecols=["model"]))
    return n_models, n_items, n_rated


def _optional_table(path: Path, dates: tuple[str, ...]) -> pd.DataFrame | None:
    """A shipped CSV with names as strings, numbers as floats, ``dates`` as datetime64; None if absent."""
    if not path.exists():
        return None
    frame = pd.read_csv(path, dtype={"model": str, "category": str, "arena_model": str,
                                     "first_seen_key": str})
    for column in dates:
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d")
    return frame


def case_path(name: str, file: str) -> Path:
    """Path of a shipped file, e.g. ``case_path("metabench", "preferences.csv")``."""
    return HERE / name / file


@dataclass(frozen=True)
class MaskedCase:
    """A shipped case with whole benchmarks hidden where the truth is known.

    results : the case's results with blocks hidden (benchmarks as in :attr:`truth`);
    truth : the same models and items with every cell the case observed;
    hidden : [n_models, n_benchmarks] bool, the (model, benchmark) blocks hidden;
    benchmarks : [n_benchmarks] names of the columns of ``hidden``.
    """

    results: Results
    truth: Results
    hidden: np.ndarray
    benchmarks: np.ndarray


def masked_variant(case: Case, share: float = 0.5, seed: int = 0) -> MaskedCase:
    """Hide one whole benchmark of ``share`` of the models that have every benchmark: the
    easiest benchmark for the stronger half (by plain mean), the hardest for the weaker half, so
    that scoring over the questions a model has biases both ways (strong models look weaker,
    weak ones stronger). A case with one benchmark whose item table has a ``dataset`` column
    (AlpacaEval's five prompt sources) is split into those sources first."""
    truth = case.results
    if len(np.unique(truth.benchmarks)) == 1 and case.items is not None and "dataset" in case.items:
        source = case.items.set_index("item")["dataset"].reindex(truth.items.astype(str))
        truth = Results(truth.models, truth.items, source.to_numpy(dtype=object), truth.values,
                        truth.observed)
    names, codes = np.unique(truth.benchmarks, return_inverse=True)
    mask = truth.mask()
    onehot = np.eye(len(names))[codes]
    count = mask.astype(np.float64) @ onehot
    means = (truth.values.astype(np.float64) @ onehot) / np.maximum(count, 1)
    full = (count > 0).all(axis=1)
    overall = np.where(full, means.mean(axis=1), np.nan)
    strong = overall >= np.nanmedian(overall)
    easy, hard = np.argmax(np.nanmean(means[full], 0)), np.argmin(np.nanmean(means[full], 0))
    chosen = full & (np.random.default_rng(seed).random(truth.n_models) < share)
    hidden = np.zeros((truth.n_models, len(names)), dtype=bool)
    hidden[chosen & strong, easy] = True
    hidden[chosen & ~strong, hard] = True
    observed = mask & ~hidden[:, codes]
    results = Results(truth.models, truth.items, truth.benchmarks,
                      np.where(observed, truth.values, 0).astype(truth.values.dtype), observed)
    return MaskedCase(results, truth, hidden, names)

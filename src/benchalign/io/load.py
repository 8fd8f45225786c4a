"""Read a file and validate it: the loaders of results, preferences and model metadata."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data import (
    ELO_SCALE,
    PreferenceKind,
    Preferences,
    Results,
    models_from_frame,
    preferences_from_frame,
    results_from_frame,
)
from .formats import (
    detect_preference_format,
    detect_results_format,
    read_preferences_any,
    read_results_any,
)
from .readers import read_table


def load_results(path: str | Path, *, fmt: str | None = None, **options: object) -> Results:
    """Read and validate results: a long or wide table (CSV / CSV.gz / TSV / Parquet), or a tool's
    output (lm-eval, HELM, AlpacaEval, Every Eval Ever; a file, a directory or a glob).

    fmt : the format (see :data:`benchalign.io.formats.RESULTS_FORMATS`); detected when None.
    options : reader options such as ``metric``, ``filter_name``, ``annotator``
        (see :func:`benchalign.io.formats.read_results_any`).
    """
    if fmt in (None, "table") and not options and Path(path).is_file():
        if fmt == "table" or detect_results_format(path) == "table":
            return results_from_frame(read_table(path))
    return results_from_frame(read_results_any(path, fmt, **options))


def load_preferences(
    path: str | Path, kind: PreferenceKind | None = None, rating_scale: float = ELO_SCALE,
    *, fmt: str | None = None, allow_rank_ties: bool = False, **options: object,
) -> Preferences:
    """Read and validate preferences (pairs, ratings, battles, rankings or choices; detected unless
    ``kind``).

    fmt : ``table`` (the canonical columns), ``arena`` (battle logs, with ``language``,
        ``category``, ``since``, ``until`` filters) or ``leaderboard`` (``model_column``,
        ``rating_column``, ``lower_is_better``); detected when None.
    allow_rank_ties : rankings may repeat a rank within a list (ties); else that is an error.
    """
    if fmt in (None, "table") and not options:
        if fmt == "table" or detect_preference_format(path) in ("table", None):
            return preferences_from_frame(read_table(path), kind=kind, rating_scale=rating_scale,
                                          allow_rank_ties=allow_rank_ties)
    frame = read_preferences_any(path, fmt, **options)
    return preferences_from_frame(frame, kind=kind, rating_scale=rating_scale,
                                  allow_rank_ties=allow_rank_ties)


def load_models(path: str | Path) -> pd.DataFrame:
    """Read model metadata ``model[, params_b, organization, family, release_date, ...]``.

    Returns a frame indexed by model name (see :func:`benchalign.data.models_from_frame`).
    """
    return models_from_frame(read_table(path))

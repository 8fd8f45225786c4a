"""Question texts: the items table a user passes to `report --items` (item, text[, ...]), read,
validated and matched against the results' item ids.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..data import nfc
from ..errors import DataValidationError, DataWarning, InputFormatError, format_rows


TEXT_COLUMNS = ("text", "instruction", "question", "prompt", "input")
"""Columns that hold an item's text in real item files, in the order they are looked for."""


def item_texts(frame: pd.DataFrame | None, text_column: str | None = None) -> dict[str, str]:
    """item -> text from an items table with an ``item`` column and a text column.

    text_column : the column with the question; default the first of :data:`TEXT_COLUMNS`
        present. An item listed twice with different texts raises :class:`DataValidationError`;
        listed twice with the same text, a :class:`DataWarning`.
    """
    if frame is None:
        return {}
    found = ", ".join(map(str, frame.columns))
    column = text_column or next((c for c in TEXT_COLUMNS if c in frame.columns), None)
    if "item" not in frame.columns or column not in frame.columns:
        wanted = f"'{text_column}'" if text_column else f"a text column ({', '.join(TEXT_COLUMNS)})"
        raise InputFormatError(
            f"the items table lacks the column(s) 'item' or {wanted}; found {found}. It needs "
            "'item' (the results' item ids) and the question text; name its column with "
            "--text-column."
        )
    texts = frame[["item", column]].dropna().astype(str)
    texts["item"] = texts["item"].map(nfc)  # as the results' item ids are
    _check_repeated_items(texts, column)
    return dict(zip(texts["item"], texts[column]))


def warn_unmatched_texts(texts: dict[str, str], items: np.ndarray) -> None:
    """A :class:`DataWarning` when an items table was given but some of the results' items
    [n_items] have no text in it (their text cells would be empty), with the count matched."""
    if not texts:
        return
    missing = [str(i) for i in items if str(i) not in texts]
    if missing:
        warnings.warn(
            f"the items table matches {len(items) - len(missing)} of the {len(items)} questions "
            f"of the results; {len(missing)} have no text (e.g. {format_rows(missing, 3)}) and "
            "show an empty cell. Check that its 'item' column holds the results' item ids.",
            DataWarning, stacklevel=2)


def _check_repeated_items(texts: pd.DataFrame, column: str) -> None:
    repeated = texts[texts["item"].duplicated(keep=False)]
    if repeated.empty:
        return
    differ = repeated.groupby("item")[column].nunique()
    differ = differ[differ > 1].index.tolist()
    if differ:
        raise DataValidationError(
            f"the items table gives different texts for the item(s) {format_rows(differ)}. Keep "
            "one row per item."
        )
    warnings.warn(f"the items table lists {format_rows(sorted(set(repeated['item'])))} more than "
                  "once (with the same text).", DataWarning, stacklevel=3)


def read_items(path: str | None) -> pd.DataFrame | None:
    """The items table (item, text[, ...]) or None."""
    if path is None:
        return None
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputFormatError(f"{path}: cannot read the items table ({exc}); expected a CSV "
                               "with an item column and a text column.") from exc

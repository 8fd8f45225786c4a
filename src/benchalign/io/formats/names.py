"""Model-name maps: read and apply a reviewed ``from, to`` file, and propose one for review.

Results and preferences often spell one model differently (``meta-llama/Llama-2-70b-chat-hf`` vs
``llama-2-70b-chat``). A map file is applied only when the user passes it; :func:`propose_name_map`
only proposes, with a confidence per pair, and never applies anything.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from difflib import SequenceMatcher
from pathlib import Path

import pandas as pd

from ...data import nfc
from ...errors import DataValidationError, DataWarning, InputFormatError, format_rows
from ...outputs import formula_unsafe
from ..readers import read_table
from ._common import read_json

NAME_COLUMNS = {"pairs": ("winner", "loser"), "battles": ("model_a", "model_b"),
                "ratings": ("model",), "rankings": ("model",), "choices": ("model",),
                "results": ("model",)}
_SURE = {"high", "exact", "sure", "yes", "true"}


class NameMap(dict):
    """``from -> to`` names, remembering which ``from`` names :func:`apply_name_map` met."""

    def __init__(self, mapping: dict[str, str]) -> None:
        super().__init__(mapping)
        self.used: set[str] = set()


def warn_unused_names(mapping: dict[str, str], source: str) -> None:
    """A :class:`DataWarning` listing ``from`` names of a :class:`NameMap` that no file held
    (misspelled, or for models not in these files)."""
    unused = sorted(set(mapping) - getattr(mapping, "used", set(mapping)))
    if unused:
        warnings.warn(
            f"{source}: {len(unused)} name-map rows rename models that are in neither file: "
            f"{format_rows(unused)}. Check their spelling (the map is applied exactly as given).",
            DataWarning, stacklevel=3,
        )


def read_name_map(path: str | Path) -> NameMap:
    """Read a name map with columns ``from, to`` (other columns, e.g. ``confidence``, are kept out).

    Raises for missing columns, empty cells and a ``from`` name mapped to two different names.
    Rows whose ``confidence`` column says low/medium (or < 0.9) are applied, with a
    :class:`DataWarning` listing them.
    """
    frame = _map_table(Path(path))
    missing = [c for c in ("from", "to") if c not in frame.columns]
    if missing:
        raise InputFormatError(
            f"{path}: a name map needs columns from, to; missing {', '.join(missing)} (found: "
            f"{', '.join(map(str, frame.columns))}). Rename e.g. model -> from, arena_model -> to."
        )
    frame = frame.assign(**{c: frame[c].map(_unquote) for c in ("from", "to")})
    empty = frame.index[frame["from"].isna() | frame["to"].isna()]
    if len(empty):
        raise DataValidationError(
            f"{path}: empty from/to at {format_rows([f'line {i + 2}' for i in empty])}. "
            "Fill them in or delete those rows."
        )
    mapping: dict[str, str] = {}
    for i, (src, dst) in enumerate(zip(frame["from"].astype(str).map(nfc),
                                       frame["to"].astype(str).map(nfc))):
        if src in mapping and mapping[src] != dst:
            raise DataValidationError(
                f"{path}: line {i + 2} maps {src!r} to {dst!r}, but an earlier line maps it to "
                f"{mapping[src]!r}. Keep one target per name."
            )
        mapping[src] = dst
    _warn_unsure(frame, path)
    return NameMap(mapping)


def _unquote(cell: object) -> object:
    """A name as it was before `match-names` quoted it for spreadsheets (see formula_safe)."""
    return formula_unsafe(cell) if isinstance(cell, str) else cell


def _map_table(path: Path) -> pd.DataFrame:
    """A name map as a table: CSV/TSV/Parquet, or JSON ``{"from name": "to name", ...}`` or
    ``[{"from": ..., "to": ...}, ...]``."""
    if not path.name.lower().endswith(".json"):
        return read_table(path)
    data = read_json(path)
    if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        return pd.DataFrame({"from": list(data), "to": list(data.values())})
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return pd.DataFrame(data)
    raise InputFormatError(
        f"{path}: a JSON name map is an object {{\"from name\": \"to name\", ...}} or a list of "
        "{\"from\": ..., \"to\": ...} records; or give a CSV with columns from, to."
    )


def _warn_unsure(frame: pd.DataFrame, path: str | Path) -> None:
    if "confidence" not in frame.columns:
        return
    conf = frame["confidence"]
    numeric = pd.to_numeric(conf, errors="coerce")
    unsure = numeric.lt(0.9) | (numeric.isna() & ~conf.astype(str).str.lower().isin(_SURE))
    if unsure.any():
        shown = [f"{a} -> {b} ({c})" for a, b, c in
                 zip(frame["from"][unsure], frame["to"][unsure], conf[unsure])]
        warnings.warn(
            f"{path}: applying {int(unsure.sum())} name-map rows whose confidence is not high: "
            f"{format_rows(shown, 4)}. Delete the rows you do not trust.",
            DataWarning, stacklevel=3,
        )


def apply_name_map(frame: pd.DataFrame, mapping: dict[str, str], columns: Iterable[str]) -> pd.DataFrame:
    """A copy of ``frame`` with the model names in ``columns`` replaced through ``mapping``.

    Raises :class:`DataValidationError` when two different names of the frame end up as one name
    (e.g. a map sends ``vicuna-13b`` and ``vicuna-13b-v1.5`` both to ``vicuna-13b``).
    """
    columns = [c for c in columns if c in frame.columns]
    names = (pd.unique(pd.concat([frame[c].dropna().astype(str).map(nfc) for c in columns]))
             if columns else [])
    if isinstance(mapping, NameMap):
        mapping.used.update(n for n in names if n in mapping)
    merged: dict[str, list[str]] = {}
    for name in names:
        merged.setdefault(mapping.get(name, name), []).append(name)
    clashes = {dst: srcs for dst, srcs in merged.items() if len(srcs) > 1}
    if clashes:
        shown = [f"{' and '.join(map(repr, srcs))} -> {dst!r}" for dst, srcs in clashes.items()]
        raise DataValidationError(
            f"{frame.attrs.get('source', '<table>')}: the name map merges different models into one "
            f"name: {format_rows(shown, 3)}. Map each model to a distinct name (or remove one)."
        )
    out = frame.copy()
    for c in columns:  # names and map both in NFC (see benchalign.data.nfc)
        out[c] = [mapping.get(nfc(v), v) if isinstance(v, str) else v for v in out[c]]
    out.attrs = dict(frame.attrs)
    return out


# --------------------------------------------------------------------------------------------------
# Proposals
# --------------------------------------------------------------------------------------------------

_SIZE = re.compile(r"(?<![a-z0-9])(\d+(?:\.\d+)?x?\d*[bm])(?![a-z])")
_VERSION = re.compile(r"(?<![a-z])v\d+(?:\.\d+)*")
_DROP = re.compile(r"(-hf|-merged)$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def normalize_name(name: str) -> str:
    """Lower-case, without ``org/``, ``-hf``/``-merged`` suffixes, with ``_``, space and ``.`` → ``-``
    between words (dots inside numbers are kept)."""
    text = str(name).strip().lower().rsplit("/", 1)[-1]
    text = re.sub(r"[_\s]+", "-", text)
    text = re.sub(r"(?<=[a-z])\.(?=[a-z])", "-", text)
    return _DROP.sub("", text)


def _tokens(pattern: re.Pattern[str], text: str) -> set[str]:
    return set(pattern.findall(text))


def name_similarity(a: str, b: str) -> float:
    """Confidence in [0, 1] that two model names denote one model.

    1.0 for the same normalized name (:func:`normalize_name`), 0.95 when they differ only in
    ``-``/``_`` separators; otherwise the string similarity of the normalized names, raised to 0.8
    when one name is the other plus words without numbers or a version (``-chat``, ``-v1.5``), and
    halved for each contradiction: different sizes (7b vs 13b), different versions (v0.1 vs v0.2),
    numbers that disagree on both sides (claude-2.1 vs claude-2.0; 2 and 2.0 agree), or different
    families (falcon-7b-instruct vs mistral-7b-instruct: neither name's first word is in the other).
    """
    x, y = normalize_name(a), normalize_name(b)
    if x == y:
        return 1.0
    if re.sub(r"[-_]", "", x) == re.sub(r"[-_]", "", y):
        return 0.95
    score = SequenceMatcher(None, x, y).ratio()
    if _extends(x, y) or _extends(y, x):
        score = max(score, 0.8)
    for pattern in (_SIZE, _VERSION):
        tx, ty = _tokens(pattern, x), _tokens(pattern, y)
        if tx and ty and tx != ty:
            score *= 0.5
    nx, ny = _tokens(_NUMBER, x), _tokens(_NUMBER, y)
    if _unmatched(nx, ny) and _unmatched(ny, nx):
        score *= 0.5
    if not _same_family(x, y):
        score *= 0.5
    return round(score, 3)


def _words(name: str) -> list[str]:
    """The letter stems of a normalized name's words (``gpt4`` -> ``gpt``; numbers dropped)."""
    return [m.group(0) for w in name.split("-") if (m := re.match(r"[a-z]+", w))]


def _same_family(x: str, y: str) -> bool:
    """The family word (first word of a name, ``falcon`` / ``mistral``) of one name occurs in the
    other (``meta-llama-3-8b`` and ``llama-3-8b`` agree); names without one never disagree."""
    wx, wy = _words(x), _words(y)
    if not wx or not wy:
        return True
    return wx[0] in wy or wy[0] in wx


def _unmatched(these: set[str], others: set[str]) -> set[str]:
    """Numbers of ``these`` that no number of ``others`` equals or refines (2 ~ 2.0, 1 ~ 1.2)."""
    def fits(u: str, v: str) -> bool:
        return u == v or u.startswith(v + ".") or v.startswith(u + ".")
    return {u for u in these if not any(fits(u, v) for v in others)}


def _extends(short: str, long: str) -> bool:
    """``long`` is ``short`` plus whole words that carry no number other than a version."""
    if short not in long:
        return False
    rest = [w for w in long.replace(short, "-", 1).split("-") if w]
    return all(_VERSION.fullmatch(w) or not re.search(r"\d", w) for w in rest)


def propose_name_map(
    results_models: Iterable[str], preference_models: Iterable[str], min_confidence: float = 0.6
) -> pd.DataFrame:
    """Propose ``from`` (results name) → ``to`` (preference name) pairs for review; applies nothing.

    Names spelled identically on both sides need no map and are left out. The other pairs with
    confidence (:func:`name_similarity`) at least ``min_confidence`` are matched greedily, most
    confident first, each name used once.

    Returns a DataFrame ``from, to, confidence, note`` sorted by decreasing confidence; ``note``
    names a runner-up within 0.05 of a pair that is not an exact normalized match (an ambiguous
    proposal to check by hand).
    """
    results_set, prefs_set = set(map(str, results_models)), set(map(str, preference_models))
    results = sorted(results_set - prefs_set)
    prefs = sorted(prefs_set - results_set)
    scored = [(name_similarity(r, p), r, p) for r in results for p in prefs]
    scored = sorted((c for c in scored if c[0] >= min_confidence), key=lambda c: (-c[0], c[1], c[2]))
    used_from: set[str] = set()
    used_to: set[str] = set()
    rows = []
    for conf, src, dst in scored:
        if src in used_from or dst in used_to:
            continue
        used_from.add(src)
        used_to.add(dst)
        rivals = [f"{r!r} -> {p!r} ({c})" for c, r, p in scored
                  if (r == src) != (p == dst) and r not in used_from - {src}
                  and p not in used_to - {dst} and conf - c < 0.05 and conf < 1.0]
        rows.append((src, dst, conf, f"ambiguous: {rivals[0]}" if rivals else ""))
    return pd.DataFrame(rows, columns=["from", "to", "confidence", "note"])

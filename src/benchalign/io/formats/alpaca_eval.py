"""AlpacaEval annotations: ``results/<model>/<annotator>/annotations.json``.

Each record holds an ``instruction``, the reference answer (``output_1`` by ``generator_1``), the
model's answer (``output_2`` by ``generator_2``) and the judge's ``preference`` in [1, 2]
(1 = reference preferred, 2 = model preferred; AlpacaEval 1 writes 0 for a draw).

Out comes the long table: model = the ``<model>`` folder (upstream ``generator_2`` is not always
the model's name: ``NullModel`` holds ``example``); benchmark = ``alpaca_eval_<version>/<annotator>``;
item = the instruction text (or its position in the file); score = ``preference - 1``, the
probability that the model's answer beats the reference (a draw, 0 or 1.5, is 0.5).

Upstream quirks handled with a :class:`~benchalign.errors.DataWarning` each: records whose
``preference`` is null (the judge gave none) are skipped and counted; an annotator folder nested
inside itself (``<annotator>/<annotator>/annotations.json``, a second copy of the judgments) is
ignored in favour of the outer one.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ...errors import DataValidationError, DataWarning, InputFormatError, format_rows
from ._common import Row, as_score, expand_paths, long_frame, read_json

VERSION = {"alpaca_eval_gpt4": "alpaca_eval_1.0", "weighted_alpaca_eval_gpt4_turbo": "alpaca_eval_2.0",
           "alpaca_eval_gpt4_turbo_fn": "alpaca_eval_2.0", "alpaca_eval_cot_gpt4_turbo_fn": "alpaca_eval_2.0"}


def is_alpaca_eval(path: Path) -> bool:
    """True for an ``annotations.json`` or a directory holding ``<model>/<annotator>/annotations.json``."""
    if path.is_file():
        return path.name == "annotations.json"
    return any(True for _ in path.rglob("annotations.json"))


def find_annotation_files(path: str | Path, annotator: str | None) -> list[Path]:
    """``annotations.json`` files under ``path`` for one annotator (the only one, unless given)."""
    files: list[Path] = []
    for p in expand_paths(path):
        files.extend([p] if p.is_file() else sorted(p.rglob("annotations.json")))
    if not files:
        raise InputFormatError(
            f"{path}: no AlpacaEval annotations.json found. Pass the results/ directory, a "
            "results/<model>/ directory or an annotations.json file."
        )
    by_annotator: dict[str, list[Path]] = {}
    for f in files:
        by_annotator.setdefault(f.parent.name, []).append(f)
    if annotator is None:
        if len(by_annotator) > 1:
            raise InputFormatError(
                f"{path}: annotations from several annotators ({', '.join(sorted(by_annotator))}); "
                "their scores are not comparable. Choose one with --annotator."
            )
        annotator = next(iter(by_annotator))
    if annotator not in by_annotator:
        raise InputFormatError(
            f"{path}: no annotations by {annotator!r}; found {', '.join(sorted(by_annotator))}."
        )
    return _without_nested_copies(sorted(by_annotator[annotator]))


def _model_folder(path: Path) -> Path:
    """``results/<model>`` of ``results/<model>/<annotator>[/<annotator>...]/annotations.json``."""
    folder = path.parent
    while folder.parent.name == path.parent.name:
        folder = folder.parent
    return folder.parent


def _without_nested_copies(files: list[Path]) -> list[Path]:
    """Drop ``<annotator>/<annotator>/annotations.json`` when ``<annotator>/annotations.json`` of the
    same model is read too (upstream keeps such copies; reading both counts every pair twice)."""
    outer = {_model_folder(f): f for f in sorted(files, key=lambda f: len(f.parts), reverse=True)}
    nested = [f for f in files if outer[_model_folder(f)] != f]
    if nested:
        warnings.warn(
            f"{len(nested)} annotation files sit in an annotator folder nested inside itself and "
            f"hold a second copy of the outer file's judgments: {format_rows([str(f.parent) for f in nested], 3)}; "
            "read only the outer annotations.json of each model. Delete the nested folders to "
            "silence this.", DataWarning, stacklevel=4,
        )
    return [f for f in files if f not in nested]


def read_alpaca_eval(
    path: str | Path, annotator: str | None = None,
    item: Literal["instruction", "position"] = "instruction",
) -> pd.DataFrame:
    """Read AlpacaEval annotations into a long results table (score = preference − 1, in [0, 1]).

    annotator : annotator folder name (``weighted_alpaca_eval_gpt4_turbo`` for AlpacaEval 2,
        ``alpaca_eval_gpt4`` for AlpacaEval 1). Default: the only one present.
    item : ``instruction`` (default; robust to missing records) or ``position`` (index in the file).

    Returns a DataFrame ``model, benchmark, item, score``. All models must be judged against the
    same reference model.
    """
    rows: list[Row] = []
    references: dict[str, list[str]] = {}
    skipped: dict[str, int] = {}
    for f in find_annotation_files(path, annotator):
        file_rows, reference, n_null = _file_rows(f, item)
        rows.extend(file_rows)
        references.setdefault(reference, []).append(str(f))
        if n_null:
            skipped[str(f)] = n_null
    _warn_null_preferences(skipped)
    if len(references) > 1:
        shown = [f"{ref!r} ({format_rows(fs, 2)})" for ref, fs in references.items()]
        raise DataValidationError(
            f"{path}: models were judged against different reference models: {'; '.join(shown)}. "
            "Win rates against different references are not comparable; read one set at a time."
        )
    return long_frame(rows, str(path))


def _file_rows(path: Path, item: str) -> tuple[list[Row], str, int]:
    """The rows of one annotations file, its reference model and its count of null preferences."""
    records = read_json(path)
    if not isinstance(records, list) or not records:
        raise InputFormatError(f"{path}: expected a non-empty JSON list of annotation records.")
    annotator = path.parent.name
    benchmark = f"{VERSION.get(annotator, 'alpaca_eval')}/{annotator}"
    rows, references, n_null = [], set(), 0
    for i, rec in enumerate(records):
        where = f"{path}[{i}]"
        _require(rec, where)
        references.add(str(rec.get("generator_1")))
        if rec["preference"] is None:
            n_null += 1
            continue
        key = str(rec["instruction"]) if item == "instruction" else str(i)
        rows.append(Row(str(rec["generator_2"]), benchmark, key, _probability(rec, where), where))
    if len(references) > 1:
        raise DataValidationError(
            f"{path}: records use several reference models ({', '.join(sorted(references))}). "
            "Keep one reference per annotations file."
        )
    return _named_by_folder(path, rows), references.pop(), n_null


def _named_by_folder(path: Path, rows: list[Row]) -> list[Row]:
    """Rows of a one-model file named after its ``<model>`` folder, with a warning where
    ``generator_2`` says otherwise (a file holding several generators keeps their names)."""
    generators = {r.model for r in rows}
    folder = _model_folder(path).name
    if len(generators) != 1 or generators == {folder} or not folder:
        return rows
    warnings.warn(
        f"{path}: generator_2 is {generators.pop()!r}; the model is named after its folder "
        f"{folder!r}, as AlpacaEval's leaderboard names it.", DataWarning, stacklevel=4,
    )
    return [Row(folder, r.benchmark, r.item, r.score, r.origin) for r in rows]


def _warn_null_preferences(skipped: dict[str, int]) -> None:
    if skipped:
        shown = [f"{n} in {f}" for f, n in skipped.items()]
        warnings.warn(
            f"skipped {sum(skipped.values())} annotation records whose 'preference' is null (the "
            f"judge gave none) in {len(skipped)} files: {format_rows(shown, 3)}. Those models lack "
            "those items; re-run the annotator to score them.", DataWarning, stacklevel=3,
        )


def _require(rec: Any, where: str) -> None:
    if not isinstance(rec, dict):
        raise InputFormatError(f"{where}: expected a JSON object, got {type(rec).__name__}.")
    missing = [k for k in ("instruction", "generator_2", "preference") if k not in rec]
    if missing:
        raise InputFormatError(
            f"{where}: annotation record lacks {', '.join(missing)}. Is this an AlpacaEval "
            "annotations.json?"
        )


def _probability(rec: dict[str, Any], where: str) -> float:
    fix = ("Re-run the annotator for this instruction, or delete the record (a model may lack an "
           "item).")
    value = as_score(rec["preference"], f"{where} (instruction {str(rec['instruction'])[:40]!r})",
                     "'preference'", fix)
    if value == 0:
        return 0.5  # AlpacaEval 1 writes 0 for a draw
    if not 1.0 <= value <= 2.0:
        raise DataValidationError(
            f"{where}: 'preference' is {value}, expected a number in [1, 2] (or 0 for a draw). {fix}"
        )
    return value - 1.0

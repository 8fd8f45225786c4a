"""The aligned benchmark as a portable file, and scoring new models with it.

A benchmark file is JSON: schema name and version, package version, the parameters of the fit,
fit diagnostics, and the item list (item id, source benchmark, weight) with a SHA-256 hash of its
canonical content. Loading checks all of them, so a file edited by hand or written by a newer
benchalign is refused with a clear message instead of giving silently wrong scores.

A file whose fit chose to complete missing questions (schema version 2) also has a ``completion``
key: ``{"kind", "offsets": [n_items], "factors": [n_items][k], "content_sha256"}``, what
:class:`~benchalign.features.completion.Completion` needs to complete a new model from its own
results, so ``score`` treats a model that lacks questions exactly as the fit did. Version 1 files
(no completion) still load and score over the questions a model has.

A file fitted per population (``benchalign fit --population-column``) also has a ``populations``
key: ``{name: {"weights": [n_items], "blend": a, "content_sha256": ...}}`` over the same item list;
the top-level weights are then the pooled benchmark, so a reader that ignores the key scores with
the pooled weights.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ._version import __version__
from .data import Results
from .errors import ArtifactError, DataWarning, ItemMismatchError, format_rows
from .features.completion import Completion, scores_with
from .outputs import write_atomic

logger = logging.getLogger("benchalign")
SCHEMA = "benchalign.benchmark"
SCHEMA_VERSION = 2
POOLED = "pooled"
"""The name of the pooled benchmark among the populations of a file (a reserved population name)."""
SCORE_DECIMALS = 12
"""Scores are rounded to this many decimals, so models with the same results under the same
weights get equal scores whatever the order of the floating-point sums."""
MOSTLY_COMPLETED = 0.5
"""A model whose observed weight mass is below this is named in a warning: its score is mostly
completed, not measured."""


@dataclass(frozen=True)
class AlignedBenchmark:
    """Items with non-negative weights summing to 1, plus how they were obtained.

    items, benchmarks : [n_items] str; weights : [n_items] float64.
    params : fit parameters; diagnostics : fit outcome (chosen method, candidate scores, loss, ...;
    for the published method ``ranknet`` also its pull ``reg``, ``reg_grid``, ``reg_cv_scores``,
    ``n_iter`` and ``converged``).
    """

    items: np.ndarray
    benchmarks: np.ndarray
    weights: np.ndarray
    params: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)
    populations: dict = field(default_factory=dict)
    """{population: [n_items] float64 weights}, empty unless fitted per population."""
    completion: Completion | None = None
    """How a model's missing questions are completed (None: scored over those it has)."""

    @classmethod
    def from_aligner(cls, aligner, params: dict | None = None) -> "AlignedBenchmark":
        """Wrap a fitted :class:`~benchalign.fit.BenchmarkAligner`."""
        diag = {
            "method": aligner.method_,
            "candidates": aligner.candidates_,
            "candidate_cv_scores": _finite_or_none(aligner.candidate_scores_),
            "beta": aligner.beta_,
            "loss": aligner.loss_,
            "n_train_models": aligner.n_train_models_,
            "n_train_pairs": aligner.n_train_pairs_,
            **aligner.fit_details_,
        }
        base = aligner.get_params()
        diag["completion"] = None if aligner.completion_ is None else aligner.completion_.label
        choice = getattr(aligner, "completion_choice_", None)
        if choice is not None:
            diag["completion_choice"] = {"chosen": choice.labels[choice.chosen],
                                         "block_rmse": dict(zip(choice.labels,
                                                                _finite_or_none(choice.errors)))}
        return cls(aligner.items_.copy(), aligner.benchmarks_.copy(), aligner.weights_.copy(),
                   {**base, **(params or {})}, diag, completion=aligner.completion_)

    @classmethod
    def from_population_aligner(cls, pa, params: dict | None = None) -> "AlignedBenchmark":
        """Wrap a fitted :class:`~benchalign.populations.aligner.PopulationAligner`: the pooled
        benchmark at the top level, one weight vector per population, and each population's
        blend, own choice and blend cross-validation in ``diagnostics["populations"]``."""
        pooled = pa.aligners_[POOLED]
        names = list(pa.blend_)
        diag = {name: {"blend": pa.blend_[name], "own_method": pa.aligners_[name].method_,
                       "blend_grid": list(pa.blend_grid),
                       "blend_cv_scores": _finite_or_none(pa.blend_scores_[name]),
                       "n_train_models": pa.aligners_[name].n_train_models_} for name in names}
        params = dict(params or {})
        params = {**{k: params.pop(k) for k in ("preference_kind", "method") if k in params},
                  "chosen": pooled.method_, **params}  # the order `fit` has always written
        bench = cls.from_aligner(pooled, params)
        return replace(bench, diagnostics={**bench.diagnostics, "populations": diag},
                       populations={name: pa.weights_[name] for name in names})

    def content_hash(self) -> str:
        return _content_hash(self.items, self.benchmarks, self.weights)

    def for_population(self, name: str) -> "AlignedBenchmark":
        """The benchmark of one population (``pooled`` is the top-level one); an unknown name
        raises :class:`ArtifactError` listing the populations."""
        if name == POOLED and self.populations:
            return AlignedBenchmark(self.items, self.benchmarks, self.weights, self.params,
                                    self.diagnostics, completion=self.completion)
        if name not in self.populations:
            known = ", ".join([POOLED, *self.populations]) if self.populations else "none"
            raise ArtifactError(f"the benchmark has no population {name!r}; it has: {known}.")
        return AlignedBenchmark(self.items, self.benchmarks, np.asarray(self.populations[name]),
                                self.params, self.diagnostics.get("populations", {}).get(name, {}),
                                completion=self.completion)

    def to_json(self) -> str:
        """Canonical JSON text (deterministic: same benchmark, same bytes)."""
        doc = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "benchalign_version": __version__,
            "n_items": int(len(self.items)),
            "content_sha256": self.content_hash(),
            "params": self.params,
            "diagnostics": self.diagnostics,
            "items": [
                {"item": str(i), "benchmark": str(b), "weight": float(w)}
                for i, b, w in zip(self.items, self.benchmarks, self.weights)
            ],
        }
        if self.completion is not None:
            entry = self.completion.to_dict()
            doc["completion"] = {**entry, "content_sha256": _json_hash(entry)}
        if self.populations:
            doc["populations"] = {
                name: {"weights": [float(x) for x in w],
                       "content_sha256": _content_hash(self.items, self.benchmarks, w)}
                for name, w in self.populations.items()}
        return json.dumps(doc, indent=1, allow_nan=False, default=_jsonable) + "\n"

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the benchmark file atomically (refuses to overwrite unless ``force``)."""
        return write_atomic(path, self.to_json(), force=force)

    def weight_table(self) -> pd.DataFrame:
        """``item, benchmark, weight`` sorted by decreasing weight."""
        frame = pd.DataFrame({"item": self.items, "benchmark": self.benchmarks, "weight": self.weights})
        return frame.sort_values(["weight", "item"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _finite_or_none(values) -> list | None:
    """JSON list of floats with ``None`` (null) where a value is NaN (e.g. a grid value CV never tried)."""
    if values is None:
        return None
    return [float(x) if np.isfinite(x) else None for x in np.asarray(values, dtype=float)]


def _jsonable(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _json_hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, separators=(",", ":")).encode()).hexdigest()


def _content_hash(items: np.ndarray, benchmarks: np.ndarray, weights: np.ndarray) -> str:
    rows = [[str(i), str(b), float(w)] for i, b, w in zip(items, benchmarks, weights)]
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def load_benchmark(path: str | Path) -> AlignedBenchmark:
    """Read and verify a benchmark file; :class:`ArtifactError` says what is wrong and what to do."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{path}: file not found.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: not a benchalign benchmark file (invalid JSON: {exc}).") from exc
    except RecursionError:
        raise ArtifactError(f"{path}: not a benchalign benchmark file (JSON nested too deeply to "
                            "read; a benchmark file is two levels deep).") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ArtifactError(
            f"{path}: not a benchalign benchmark file (no \"schema\": \"{SCHEMA}\"). Write one "
            "with `benchalign fit ... -o FILE`."
        )
    version = doc.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ArtifactError(
            f"{path}: schema_version is {json.dumps(version)}, not a version number (1, 2, ...): "
            "the file was edited or corrupted. Re-create it with `benchalign fit` (or `prune`)."
        )
    if version > SCHEMA_VERSION:
        raise ArtifactError(
            f"{path}: schema version {version!r} was written by benchalign "
            f"{doc.get('benchalign_version', '?')}; this benchalign ({__version__}) reads versions "
            f"up to {SCHEMA_VERSION}. Upgrade benchalign."
        )
    try:
        rows = doc["items"]
        items = np.array([r["item"] for r in rows], dtype=object)
        benchmarks = np.array([r["benchmark"] for r in rows], dtype=object)
        weights = np.array([float(r["weight"]) for r in rows], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"{path}: the item list is malformed ({exc!r}); re-create the file.") from exc
    repeated = sorted(set(items[pd.Index(items).duplicated()].tolist()))
    if repeated:
        raise ArtifactError(
            f"{path}: the item(s) {format_rows(repeated)} are listed more than once; a benchmark "
            "weights each item once. Re-create the file with `benchalign fit` (or `prune`)."
        )
    if _content_hash(items, benchmarks, weights) != doc.get("content_sha256"):
        raise ArtifactError(
            f"{path}: the items or weights do not match the file's content hash: it was edited "
            "or corrupted after it was written. Re-create it with `benchalign fit` (or `prune`)."
        )
    _check_weights(path, weights)
    populations = _load_populations(path, doc, items, benchmarks)
    return AlignedBenchmark(items, benchmarks, weights, doc.get("params", {}),
                            doc.get("diagnostics", {}), populations,
                            _load_completion(path, doc, len(items)))


def _load_completion(path: Path, doc: dict, n_items: int) -> Completion | None:
    """The completion of a version-2 file (None when the file has none), verified."""
    entry = doc.get("completion")
    if entry is None:
        return None
    try:
        body = {k: entry[k] for k in ("kind", "offsets", "factors")}
        completion = Completion.from_dict(body)
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"{path}: the completion is malformed ({exc!r}); re-create the "
                            "file.") from exc
    if _json_hash(body) != entry.get("content_sha256") or len(completion.offsets) != n_items:
        raise ArtifactError(
            f"{path}: the completion does not match its content hash or the item list: the file "
            "was edited or corrupted. Re-create it with `benchalign fit` (or `prune`)."
        )
    return completion


def _check_weights(path: Path, weights: np.ndarray) -> None:
    if len(weights) == 0 or (weights < 0).any() or not np.isclose(weights.sum(), 1.0, atol=1e-6):
        raise ArtifactError(f"{path}: weights must be non-negative and sum to 1; re-create the file.")


def _load_populations(path: Path, doc: dict, items: np.ndarray,
                      benchmarks: np.ndarray) -> dict[str, np.ndarray]:
    """The per-population weight vectors of a file (empty when it has none), each verified."""
    out = {}
    for name, entry in (doc.get("populations") or {}).items():
        try:
            weights = np.array([float(x) for x in entry["weights"]], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{path}: population {name!r} is malformed ({exc!r}); re-create "
                                "the file.") from exc
        if len(weights) != len(items) or _content_hash(items, benchmarks, weights) != entry.get(
                "content_sha256"):
            raise ArtifactError(
                f"{path}: the weights of population {name!r} do not match their content hash: "
                "the file was edited or corrupted. Re-create it with `benchalign fit`."
            )
        _check_weights(path, weights)
        out[str(name)] = weights
    return out


def score(benchmark: AlignedBenchmark, results: Results, *, strict: bool = False) -> pd.DataFrame:
    """Score every model of ``results`` with the benchmark; returns the ranked table.

    Columns: ``rank, model, score, coverage, n_items``. Without a completion, ``score`` is the
    weighted mean over the benchmark items the model has (weights renormalized); with one, it is
    the weighted sum over the model's row completed from its own results exactly as in the fit.
    ``coverage`` is the weight mass of the items the model has (1 = every weighted item); models
    below :data:`MOSTLY_COMPLETED` with a completion are named in a :class:`DataWarning`. Scores
    are computed in float64 and rounded to :data:`SCORE_DECIMALS` decimals. Result items that the
    benchmark does not know are ignored, and benchmark items missing from the results are left
    out (or completed); both are reported with a :class:`DataWarning`, or raise
    :class:`ItemMismatchError` when ``strict``.
    """
    pos = pd.Index(results.items).get_indexer(benchmark.items)
    unknown = np.setdiff1d(results.items.astype(str), benchmark.items.astype(str))
    if (pos < 0).all():
        raise ItemMismatchError(
            f"none of the benchmark's {len(benchmark.items)} items appear in the results (e.g. "
            f"benchmark has {format_rows(benchmark.items[:3].tolist(), 3)}; results have "
            f"{format_rows(results.items[:3].tolist(), 3)}). Are these results for the same "
            "benchmark? Item ids must match exactly."
        )
    _report_mismatch(unknown, benchmark.items[pos < 0], benchmark, pos, strict,
                     benchmark.completion is not None)
    values, observed = _benchmark_matrix(results, pos)
    s, coverage = scores_with(benchmark.weights, benchmark.completion,
                              Results(results.models, benchmark.items, benchmark.benchmarks,
                                      values, observed))
    uncovered = coverage <= 0
    _warn_coverage(results.models, uncovered, coverage, benchmark.completion is not None)
    frame = pd.DataFrame({
        "model": results.models,
        "score": np.where(uncovered, np.nan, np.round(s, SCORE_DECIMALS)),
        "coverage": coverage,
        "n_items": np.count_nonzero(observed, axis=1),
    })
    frame = frame.sort_values(["score", "model"], ascending=[False, True], na_position="last",
                              kind="stable").reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return frame


def _benchmark_matrix(results: Results, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(values float64, observed bool)`` [n_models, n_benchmark_items]: the results on the
    benchmark's items in its order; items the results lack are unobserved columns."""
    have = pos >= 0
    values = np.zeros((results.n_models, len(pos)))
    observed = np.zeros((results.n_models, len(pos)), dtype=bool)
    values[:, have] = results.values[:, pos[have]]
    observed[:, have] = results.mask()[:, pos[have]]
    return values, observed


def _warn_coverage(models: np.ndarray, uncovered: np.ndarray, coverage: np.ndarray,
                   completed: bool) -> None:
    if uncovered.any():
        warnings.warn(
            f"{uncovered.sum()} models have no result on any weighted item and get no score: "
            f"{format_rows(models[uncovered].tolist())}.", DataWarning, stacklevel=3,
        )
    mostly = ~uncovered & (coverage < MOSTLY_COMPLETED) if completed else np.zeros(0, bool)
    if mostly.any():
        warnings.warn(
            f"{mostly.sum()} models have results on less than {MOSTLY_COMPLETED:.0%} of the weight "
            "and are scored mostly from completed (predicted) results: "
            f"{format_rows(models[mostly].tolist())}. Their coverage column says how much was "
            "measured.", DataWarning, stacklevel=3,
        )


def _report_mismatch(unknown: np.ndarray, lacking: np.ndarray, benchmark: AlignedBenchmark,
                     pos: np.ndarray, strict: bool, completed: bool = False) -> None:
    problems = []
    if len(unknown):
        problems.append(f"{len(unknown)} result items are not in the benchmark and are ignored "
                        f"({format_rows(unknown.tolist())})")
    if len(lacking):
        mass = benchmark.weights[pos < 0].sum()
        problems.append(f"{len(lacking)} benchmark items ({mass:.1%} of the weight) are missing "
                        f"from the results ({format_rows(lacking.tolist())}); "
                        + ("they are completed from the items each model has" if completed
                           else "models are scored over the items they have"))
    if not problems:
        return
    message = "; ".join(problems) + "."
    if strict:
        raise ItemMismatchError(message + " Without --strict these are reported and scoring goes on.")
    warnings.warn(message, DataWarning, stacklevel=3)

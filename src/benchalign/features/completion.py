r"""What a model would score on a question it lacks: completion models learned without preferences.

A completion has item parameters learned from every model's results (rated or not) and predicts a
model's missing cells from its own observed results by a *fold-in*: the model's parameters are
fitted to its observed cells with the item parameters held fixed. The fit, the evaluation and
``benchalign score`` all complete a model this way, so a model is scored by one rule wherever it
appears.

Kinds (``V`` values, ``M`` observed mask, both [n_models, n_items]):

* ``none``: no prediction; a model's score is the weighted mean over the questions it has;
* ``item_mean``: a missing cell is the question's mean over the models that have it, :math:`d_q`;
* ``additive``: :math:`\hat V_{mq} = a_m + d_q` (model ability plus question easiness);
* ``lowrank`` of rank k: :math:`\hat V_{mq} = a_m + d_q + u_m \cdot v_q`, :math:`u_m, v_q \in
  \mathbb{R}^k`.

``additive`` and ``lowrank`` are fitted by alternating ridge least squares on the observed cells
(the model side and the item side each a batch of small linear solves; the factors carry a ridge
penalty :data:`RIDGE`, the offsets a tiny one). Never a dense float copy of the whole matrix beyond
the at most :data:`MAX_FIT_MODELS` models the item parameters are learned from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import PairSet, Results
from ..metrics import pairwise_accuracy
from ..scores import ScoreMatrix, model_scores
from .structure import item_means, learned

KINDS = ("none", "item_mean", "additive", "lowrank")
RIDGE = 1.0
"""Ridge penalty of the factors u, v (in units of one squared cell error)."""
OFFSET_RIDGE = 1e-6
"""Ridge penalty of the offsets a, d (only to keep each small solve well posed)."""
MAX_FIT_MODELS = 1000
"""Item parameters are learned from at most this many models (evenly spaced rows)."""
N_SWEEPS = 20
TOL = 1e-3
"""Alternating least squares stops when no item parameter moves by more than this in a sweep."""


@dataclass(frozen=True)
class Completion:
    """A fitted completion: its kind and item parameters.

    kind : one of :data:`KINDS`; offsets : [n_items] d (question means for ``item_mean``, zeros
    for ``none``); factors : [n_items, k] v (k = 0 unless ``lowrank``).
    """

    kind: str
    offsets: np.ndarray
    factors: np.ndarray

    @property
    def rank(self) -> int:
        return int(self.factors.shape[1])

    @property
    def label(self) -> str:
        """``none``, ``item_mean``, ``additive`` or ``lowrank:K``."""
        return f"lowrank:{self.rank}" if self.kind == "lowrank" else self.kind

    def model_params(self, values: np.ndarray, observed: np.ndarray | None) -> np.ndarray:
        """[n_models, 1 + k] each model's (a, u) fitted to its observed cells (zeros for ``none``
        and ``item_mean``). ``values`` [n_models, n_items] (0 where unobserved), any dtype;
        read in row blocks, no float copy."""
        n = values.shape[0]
        if self.kind in ("none", "item_mean"):
            return np.zeros((n, 1 + self.rank))
        mask, cells = _matrix(observed, values.shape), ScoreMatrix(values, None)
        return _solve_rows(lambda v: mask.scores(v)[0], lambda v: cells.scores(v)[0],
                           _design(self.factors), self.offsets, _penalty(self.rank))

    def predict(self, values: np.ndarray, observed: np.ndarray | None) -> np.ndarray:
        """[n_models, n_items] float64 predicted value of every cell (observed ones included)."""
        z = self.model_params(values, observed)
        return self.offsets[None, :] + z @ _design(self.factors).T

    def complete(self, results: Results) -> Results:
        """``results`` with every missing cell replaced by its prediction (complete, float64);
        the same object for ``none`` or complete results."""
        if self.kind == "none" or results.observed is None:
            return results
        filled = np.where(results.observed, results.values,
                          self.predict(results.values, results.observed))
        return Results(results.models, results.items, results.benchmarks, filled, None)

    def scores(self, weights: np.ndarray, values: np.ndarray,
               observed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        r"""``(s, mass)`` [n_models] each: the score :math:`\sum_q w_q \tilde V_{mq}` over the
        completed row (observed cells as they are, missing ones predicted) and the weight mass of
        the observed cells. For ``none``, s is the weighted mean over the observed cells (NaN
        where the model has no weight). ``weights`` [n_items] non-negative, summing to 1.

        Computed without the completed matrix: with P = 1dᵀ + ZΦᵀ the predictions,
        s = Vw + Pw − (M∘P)w, each term a product of V or M with a few vectors."""
        if self.kind == "none" or observed is None:
            return ScoreMatrix(values, observed).scores(weights)
        z = self.model_params(values, observed)
        design = _design(self.factors)
        mask = _matrix(observed, values.shape)
        cols = np.column_stack([weights, weights * self.offsets, weights[:, None] * design])
        prod = mask.scores(cols)[0]  # [n, 2 + k1]: mass, M(d∘w), M(w∘Φ)
        s = (ScoreMatrix(values, None).scores(weights)[0] + self.offsets @ weights
             + z @ (design.T @ weights) - prod[:, 1] - np.sum(z * prod[:, 2:], axis=1))
        return s, prod[:, 0]

    def take_items(self, cols: np.ndarray) -> "Completion":
        """The completion restricted to the items ``cols`` (a model is then completed from its
        results on those items only)."""
        return Completion(self.kind, self.offsets[cols], self.factors[cols])

    def to_dict(self) -> dict:
        """JSON-ready ``{"kind", "offsets", "factors"}`` (what a benchmark file stores)."""
        return {"kind": self.kind, "offsets": [float(x) for x in self.offsets],
                "factors": [[float(x) for x in row] for row in self.factors]}

    @classmethod
    def from_dict(cls, doc: dict) -> "Completion":
        """The inverse of :meth:`to_dict`; ValueError when the parts do not fit together."""
        kind = str(doc["kind"])
        offsets = np.array([float(x) for x in doc["offsets"]], dtype=np.float64)
        rows = [[float(x) for x in row] for row in doc["factors"]]
        width = len(rows[0]) if rows else 0
        if kind not in KINDS[1:] or len(rows) != len(offsets) or any(len(r) != width for r in rows):
            raise ValueError(f"completion of kind {kind!r} with {len(offsets)} offsets and "
                             f"{len(rows)} factor rows")
        factors = np.array(rows, dtype=np.float64).reshape(len(offsets), width)
        return cls(kind, offsets, factors)


def scores_with(weights: np.ndarray, completion: Completion | None,
                results: Results) -> tuple[np.ndarray, np.ndarray]:
    """``(score, observed weight mass)`` [n_models] under ``weights`` [n_items]: the weighted sum
    over each model's row completed by ``completion`` or, when None, the weighted mean over the
    items it has (:func:`benchalign.scores.model_scores`)."""
    if completion is None:
        return model_scores(weights, values=results.values, observed=results.observed)
    return completion.scores(weights, results.values, results.observed)


def scored_accuracy(weights: np.ndarray, completion: "Completion | None", results: Results,
                    pairs: PairSet) -> float:
    """Pairwise accuracy on ``pairs`` (ids are rows of ``results``) of the scores under ``weights``
    [n_items] and ``completion`` (:func:`scores_with`); only the rows in the pairs are scored."""
    rows = pairs.models()
    s, _ = scores_with(weights, completion, results.take_models(rows))
    return pairwise_accuracy(s, pairs.relabel(rows, results.n_models))


def _matrix(observed: np.ndarray | None, shape: tuple[int, int]) -> ScoreMatrix:
    """The observed mask as a :class:`ScoreMatrix` (products M @ x read in row blocks)."""
    return ScoreMatrix(np.ones(shape, dtype=bool) if observed is None else observed, None)


def _design(factors: np.ndarray) -> np.ndarray:
    """[n_items, 1 + k] item design (1, v_q) of the model side."""
    return np.hstack([np.ones((factors.shape[0], 1)), factors])


def _penalty(k: int) -> np.ndarray:
    return np.array([OFFSET_RIDGE] + [RIDGE] * k)


def _solve_rows(mask_times, values_times, design: np.ndarray, offset: np.ndarray,
                penalty: np.ndarray) -> np.ndarray:
    r"""Per row r, the ridge solution z_r [k1] of
    :math:`\sum_{c \in obs(r)} (V_{rc} - o_c - \phi_c \cdot z_r)^2 + \sum_j \lambda_j z_{rj}^2`:
    the fold-in of a model (rows = models) and each half-sweep of alternating least squares.

    mask_times(x), values_times(x) : M @ x and V @ x (float64 [n, j]) for x [p, j], with M the
    [n, p] 0/1 observed mask and V the values (0 where unobserved); design [p, k1] column design
    φ; offset [p] column offsets o; penalty [k1] λ. Returns [n, k1]."""
    k1 = design.shape[1]
    outer = (design[:, :, None] * design[:, None, :]).reshape(len(design), k1 * k1)
    both = mask_times(np.hstack([outer, offset[:, None] * design]))
    gram = both[:, : k1 * k1].reshape(-1, k1, k1) + np.diag(penalty)[None]
    rhs = values_times(design) - both[:, k1 * k1:]
    return np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]


def _times(x: np.ndarray):
    """``v -> x @ v`` in x's float dtype, returned as float64 (the products of :func:`_als`)."""
    return lambda v: (x @ v.astype(x.dtype)).astype(np.float64)


def fit_completion(results: Results, kind: str, rank: int = 0, seed: int = 0) -> Completion:
    """Learn a completion of ``kind`` (rank k for ``lowrank``) from every model's results.

    Label-free. Item parameters are learned from at most :data:`MAX_FIT_MODELS` evenly spaced
    models' rows. Cached by the results' content.
    """
    return learned(results, ("completion", kind, int(rank), int(seed)),
                   lambda: _fit_completion(results, kind, rank, seed))


def _fit_completion(results: Results, kind: str, rank: int, seed: int) -> Completion:
    n_items = results.n_items
    if kind == "none":
        return Completion("none", np.zeros(n_items), np.zeros((n_items, 0)))
    _, means = item_means(results)
    if kind == "item_mean":
        return Completion("item_mean", means, np.zeros((n_items, 0)))
    k = rank if kind == "lowrank" else 0
    sub = results.take_models(_evenly(results.n_models, MAX_FIT_MODELS))
    offsets, factors = _als(sub.values, sub.mask(), means, k, seed)
    return Completion(kind, offsets, factors)


def _evenly(n: int, most: int) -> np.ndarray:
    """At most ``most`` evenly spaced indices of range(n) (all of them when n <= most)."""
    return np.arange(0, n, max(1, -(-n // most)))


def _als(values: np.ndarray, mask: np.ndarray, means: np.ndarray, k: int,
         seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Alternating ridge least squares of V ≈ a 1ᵀ + 1 dᵀ + U Vᵀ on the observed cells
    (``values`` [n, p] 0 where unobserved, ``mask`` [n, p] bool): ``(d [p], v [p, k])``. Stops
    when no item parameter moves by more than :data:`TOL` in a sweep."""
    factors = np.random.default_rng(seed).normal(scale=0.1, size=(values.shape[1], k))
    offsets, penalty = means.copy(), _penalty(k)
    m = mask.astype(np.float32)
    xm = np.where(mask, values, 0).astype(np.float32)
    mt, xt = np.ascontiguousarray(m.T), np.ascontiguousarray(xm.T)
    for _ in range(N_SWEEPS):
        # (a, u) per model, then (d, v) per item
        z = _solve_rows(_times(m), _times(xm), _design(factors), offsets, penalty)
        item = _solve_rows(_times(mt), _times(xt), _design(z[:, 1:]), z[:, 0], penalty)
        step = np.abs(item - np.column_stack([offsets, factors])).max()
        offsets, factors = item[:, 0], item[:, 1:]
        if step < TOL:
            break
    return offsets, factors


# --------------------------------------------------------------------------------------------------
# Label-free choice: hide observed (model, benchmark) blocks, restore them
# --------------------------------------------------------------------------------------------------

CANDIDATES = (("none", 0), ("item_mean", 0), ("additive", 0), ("lowrank", 1), ("lowrank", 2),
              ("lowrank", 3))
HIDE_FRACTION = 0.2
N_HIDE = 5
MAX_SELECT_MODELS = 500
MAX_SELECT_ITEMS = 1000
"""The choice hides blocks among at most this many evenly spaced models and items."""


@dataclass(frozen=True)
class Choice:
    """The label-free choice of a completion: each candidate's error restoring hidden blocks.

    labels : [n_candidates] candidate labels; errors : [n_candidates] root mean squared error of
    the hidden (model, benchmark) blocks' means over the repeats (NaN when nothing could be
    hidden); chosen : index of the chosen candidate.
    """

    labels: list
    errors: np.ndarray
    chosen: int


def block_presence(results: Results) -> tuple[np.ndarray, np.ndarray]:
    """``(present [n_models, n_benchmarks] bool, codes [n_items])``: which benchmark blocks each
    model has at least one result in, and each item's benchmark code."""
    _, codes = np.unique(results.benchmarks, return_inverse=True)
    mask = results.mask()
    present = np.column_stack([mask[:, codes == j].any(axis=1) for j in range(codes.max() + 1)])
    return present, codes


def hide_blocks(present: np.ndarray, rng: np.random.Generator,
                fraction: float = HIDE_FRACTION) -> np.ndarray:
    """[n_models, n_benchmarks] bool: blocks to hide, ``fraction`` of the present blocks of models
    with at least 2 blocks, keeping at least one block per model."""
    hide = np.zeros_like(present)
    rows, cols = np.nonzero(present[present.sum(axis=1) >= 2])
    eligible = np.flatnonzero(present.sum(axis=1) >= 2)
    rows = eligible[rows]
    order = rng.permutation(len(rows))[: int(round(fraction * len(rows)))]
    left = present.sum(axis=1)
    for r, c in zip(rows[order], cols[order]):
        if left[r] > 1:
            hide[r, c], left[r] = True, left[r] - 1
    return hide


def block_errors(results: Results, hide: np.ndarray, codes: np.ndarray,
                 candidates=CANDIDATES, seed: int = 0) -> np.ndarray:
    """[n_candidates, n_hidden_blocks] error of each candidate's predicted block mean."""
    cell_hidden = hide[:, codes] & results.mask()
    masked = Results(results.models, results.items, results.benchmarks,
                     np.where(cell_hidden, 0, results.values), results.mask() & ~cell_hidden)
    r, c = np.nonzero(hide)
    onehot = np.eye(codes.max() + 1)[codes]  # [n_items, n_benchmarks]
    hidden = cell_hidden.astype(np.float64)
    count = (hidden @ onehot)[r, c]
    truth = ((np.where(cell_hidden, results.values, 0.0)) @ onehot)[r, c] / count
    out = []
    for kind, k in candidates:
        pred = _predict_all(masked, kind, k, seed)
        out.append(((pred * hidden) @ onehot)[r, c] / count - truth)
    return np.asarray(out)


def _predict_all(results: Results, kind: str, rank: int, seed: int) -> np.ndarray:
    """[n_models, n_items] each cell's prediction; ``none`` predicts the model's own mean."""
    if kind == "none":
        mask = results.mask()
        own = results.values.sum(axis=1, dtype=np.float64) / np.maximum(mask.sum(axis=1), 1)
        return np.repeat(own[:, None], results.n_items, axis=1)
    comp = _fit_completion(results, kind, rank, seed)
    return comp.predict(results.values.astype(np.float64), results.observed)


def choose_completion(results: Results, candidates=CANDIDATES, seed: int = 0,
                      repeats: int = N_HIDE) -> Choice:
    """Choose the completion that best restores hidden blocks (smallest RMSE of block means).

    Cached by the results' content."""
    return learned(results, ("choice", tuple(candidates), int(seed), int(repeats)),
                   lambda: _choose(results, candidates, seed, repeats))


def auto_completion(results: Results, seed: int = 0) -> tuple[Completion, Choice]:
    """The completion :func:`choose_completion` picks, fitted on ``results``, and the choice."""
    choice = choose_completion(results, seed=seed)
    kind, rank = CANDIDATES[choice.chosen]
    return fit_completion(results, kind, rank, seed), choice


SPECS = ("auto", "none", "item_mean", "additive", "lowrank:1", "lowrank:2", "lowrank:3")
"""What a user may ask for: the label-free choice, no completion, or one candidate."""


def resolve(results: Results, spec: str, seed: int = 0) -> Completion | None:
    """The completion ``spec`` (one of :data:`SPECS`) names, fitted on ``results``; None when it
    is ``none`` or nothing is missing."""
    if results.observed is None or spec == "none":
        return None
    if spec == "auto":
        comp = auto_completion(results, seed)[0]
    else:
        kind, _, rank = spec.partition(":")
        comp = fit_completion(results, kind, int(rank or 0), seed)
    return None if comp.kind == "none" else comp


def _choose(results: Results, candidates, seed: int, repeats: int) -> Choice:
    labels = [f"lowrank:{k}" if kind == "lowrank" else kind for kind, k in candidates]
    rng = np.random.default_rng(seed)
    sub = results.take_models(_evenly(results.n_models, MAX_SELECT_MODELS))
    sub = sub.take_items(_evenly(results.n_items, MAX_SELECT_ITEMS))
    present, codes = block_presence(sub)
    errs = []
    for _ in range(repeats):
        hide = hide_blocks(present, rng)
        if hide.any():
            errs.append(block_errors(sub, hide, codes, candidates, seed))
    if not errs:
        return Choice(labels, np.full(len(candidates), np.nan), 0)
    rmse = np.sqrt(np.mean(np.concatenate(errs, axis=1) ** 2, axis=1))
    return Choice(labels, rmse, int(np.argmin(rmse)))

"""The fast paths of the objective agree with the plain formula and have exact gradients."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from scipy.special import expit, log_expit

from benchalign import optimize, scores
from benchalign.fit import objective
from benchalign.fit.objective import Objective, PairTerms, loss_and_grad, pair_loss_and_grad
from benchalign.scores import ScoreMatrix


def _reference_pairs(s, beta, a, b, weight, target):
    """The plain per-pair formula, float64."""
    z = beta * (s[a] - s[b])
    loss = np.dot(weight, (1 - target) * z - log_expit(z)) / weight.sum()
    r = weight * (expit(z) - target) / weight.sum()
    gs = beta * (np.bincount(a, r, minlength=len(s)) - np.bincount(b, r, minlength=len(s)))
    return loss, gs, np.dot(r, z)


def _round_robin(n, rng, flip=True):
    a, b = np.triu_indices(n, k=1)
    if flip:  # orientation of a pair must not matter
        swap = rng.random(len(a)) < 0.5
        a, b = np.where(swap, b, a), np.where(swap, a, b)
    order = rng.permutation(len(a))
    return a[order], b[order], rng.random(len(a))


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Blocks and chunks of a few cells, so the tiny problems below cross many block boundaries."""
    monkeypatch.setattr(objective, "BLOCK_ELEMENTS", 37)
    monkeypatch.setattr(scores, "BLOCK_ELEMENTS", 37)
    monkeypatch.setattr(objective, "PAIR_CHUNK", 13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("span", [600.0, -1.0])  # exponentials as products / exp per pair
@pytest.mark.parametrize("cells", [37, 300])     # one row per block / several rows per block
def test_round_robin_pass_matches_the_plain_formula(dtype, span, cells, monkeypatch):
    monkeypatch.setattr(objective, "PRODUCT_SPAN", span)
    monkeypatch.setattr(objective, "BLOCK_ELEMENTS", cells)
    monkeypatch.setattr(scores, "BLOCK_ELEMENTS", cells)
    rng = np.random.default_rng(0)
    a, b, target = _round_robin(30, rng)
    s = rng.normal(size=30)
    s[[3, 7, 11]] = s[5]  # ties
    terms = PairTerms(a, b, np.full(len(a), 2.0), target, 30, dtype=dtype)
    assert terms.complete
    got = terms.loss_and_grad(s, 3.0)
    want = _reference_pairs(s, 3.0, a, b, np.full(len(a), 2.0), target)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    assert got[0] == pytest.approx(want[0], rel=tol)
    np.testing.assert_allclose(got[1], want[1], rtol=tol, atol=tol * np.abs(want[1]).max())
    assert got[2] == pytest.approx(want[2], rel=tol, abs=tol)


def test_round_robin_among_some_models_only():
    rng = np.random.default_rng(1)
    members = np.array([1, 4, 5, 8, 9])
    a, b, target = _round_robin(5, rng)
    a, b = members[a], members[b]
    terms = PairTerms(a, b, np.ones(len(a)), target, 12)
    assert terms.complete
    s = rng.normal(size=12)
    got, want = terms.loss_and_grad(s, 1.5), _reference_pairs(s, 1.5, a, b, np.ones(len(a)), target)
    assert got[0] == pytest.approx(want[0], rel=1e-12)
    np.testing.assert_allclose(got[1], want[1], atol=1e-14)


def test_chunked_pass_matches_the_plain_formula_with_weights():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 20, 200)
    b = (a + rng.integers(1, 20, 200)) % 20
    weight, target = rng.random(200) + 0.1, rng.random(200)
    s = rng.normal(size=20)
    terms = PairTerms(a, b, weight, target, 20)
    assert not terms.complete
    got, want = terms.loss_and_grad(s, 2.0), _reference_pairs(s, 2.0, a, b, weight, target)
    assert got[0] == pytest.approx(want[0], rel=1e-12)
    np.testing.assert_allclose(got[1], want[1], atol=1e-14)
    assert got[2] == pytest.approx(want[2], rel=1e-12)


@pytest.mark.parametrize(
    "edit",
    [lambda a, b: (a, np.where(np.arange(len(b)) == 0, a, b)),  # a self-pair
     lambda a, b: (np.r_[a[:-1], a[0]], np.r_[b[:-1], b[0]])],  # a pair twice, one missing
)
def test_only_a_true_round_robin_takes_the_sorted_path(edit):
    rng = np.random.default_rng(3)
    a, b, target = _round_robin(8, rng, flip=False)
    a, b = edit(a, b)
    assert not PairTerms(a, b, np.ones(len(a)), target, 8).complete


def test_huge_margins_stay_finite_and_exact():
    s = np.array([0.5, 0.5 + 1e-9, 0.5 - 2e-9, 0.7])
    a, b = np.triu_indices(4, k=1)
    target = np.array([0.0, 1.0, 0.2, 0.9, 0.1, 0.5])
    got = pair_loss_and_grad(s, 1e9, a=a, b=b, weight=np.ones(6), target=target)
    want = _reference_pairs(s, 1e9, a, b, np.ones(6), target)
    assert np.isfinite(got[0]) and got[0] == pytest.approx(want[0], rel=1e-9)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-9)


@pytest.mark.parametrize("missing", [False, True])
def test_gradient_of_the_round_robin_objective(missing):
    rng = np.random.default_rng(4)
    values = rng.random((9, 6))
    observed = None
    if missing:
        observed = rng.random(values.shape) > 0.3
        observed[:, 0] = True
        values = np.where(observed, values, 0.0)
    a, b, target = _round_robin(9, rng)
    kw = dict(values=values, observed=observed, a=a, b=b, weight=np.ones(len(a)), target=target,
              reg=0.7, log_beta0=0.1)
    x = np.r_[rng.normal(size=6), 0.9]
    grad = loss_and_grad(x, **kw)[1]
    numeric = approx_fprime(x, lambda z: loss_and_grad(z, **kw)[0], 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("missing", [False, True])
def test_compact_matrix_reads_blocks_exactly(missing):
    rng = np.random.default_rng(5)
    values = (rng.random((11, 7)) < 0.5).astype(np.float32)
    observed = rng.random(values.shape) > 0.3 if missing else None
    if missing:
        values[~observed] = 0
    matrix = ScoreMatrix.compact(values, observed, rows=np.array([0, 2, 3, 5, 6, 7, 8, 10]))
    assert matrix.values.dtype == np.uint8
    rows = [0, 2, 3, 5, 6, 7, 8, 10]
    v64 = values[rows].astype(np.float64)
    m64 = np.ones_like(v64) if observed is None else observed[rows].astype(np.float64)
    w, g = rng.dirichlet(np.ones(7)), rng.normal(size=8)
    s, den = matrix.scores(w)
    np.testing.assert_allclose(den, m64 @ w, rtol=1e-6)
    np.testing.assert_allclose(s, (v64 @ w) / (m64 @ w), rtol=1e-6)
    want = v64.T @ (g / den)  # complete: s = V w, no renormalization
    if missing:
        want -= m64.T @ (g * s / den)
    np.testing.assert_allclose(matrix.pullback(g, s, den), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_scores_of_several_weight_vectors_at_once_match_one_at_a_time(dtype):
    rng = np.random.default_rng(7)
    values = (rng.random((9, 6)) < 0.5).astype(dtype)
    observed = rng.random(values.shape) > 0.3
    observed[:, 0] = True
    matrix = ScoreMatrix(values, observed)
    w = rng.dirichlet(np.ones(6), size=4).T  # [n_items, 4]
    s, den = matrix.scores(w)
    assert s.shape == den.shape == (9, 4)
    for k in range(4):
        one = matrix.scores(w[:, k])
        np.testing.assert_allclose(s[:, k], one[0], rtol=1e-6)
        np.testing.assert_allclose(den[:, k], one[1], rtol=1e-6)


def test_compact_keeps_graded_scores_and_drops_a_full_mask():
    values = np.array([[0.25, 1.0], [0.0, 0.5]], dtype=np.float32)
    matrix = ScoreMatrix.compact(values, np.ones((2, 2), dtype=bool))
    assert matrix.values is values and matrix.observed is None


def test_float32_compact_objective_agrees_with_float64():
    rng = np.random.default_rng(6)
    values = (rng.random((40, 25)) < 0.6).astype(np.float32)
    observed = rng.random(values.shape) > 0.2
    values[~observed] = 0
    a, b, target = _round_robin(40, rng)
    x = np.r_[rng.normal(size=25), 1.2]
    fast = Objective(ScoreMatrix.compact(values, observed),
                     PairTerms(a, b, np.ones(len(a)), target, 40, dtype=np.float32), reg=0.5)
    ref = loss_and_grad(x, values=values.astype(np.float64), observed=observed, a=a, b=b,
                        weight=np.ones(len(a)), target=target, reg=0.5)
    loss, grad = fast(x)
    assert loss == pytest.approx(ref[0], rel=1e-6)
    np.testing.assert_allclose(grad, ref[1], atol=1e-6 * np.abs(ref[1]).max())


def test_pair_models_and_identity_selections_take_the_cheap_path():
    from benchalign.data import PairSet, Results

    rng = np.random.default_rng(7)
    a, b = rng.integers(0, 50, 300), rng.integers(0, 50, 300)
    pairs = PairSet(a, b, np.ones(300), np.ones(300))
    np.testing.assert_array_equal(pairs.models(), np.unique(np.r_[a, b]))
    assert pairs.models().dtype == np.int64
    values = rng.random((4, 3)).astype(np.float32)
    r = Results(np.array(["a", "b", "c", "d"], dtype=object), np.array(["x", "y", "z"], dtype=object),
                np.array(["B"] * 3, dtype=object), values, np.ones((4, 3), dtype=bool))
    same = r.take_models(np.arange(4)).take_items(np.arange(3))
    assert same.values is values and same.observed is None  # all-observed mask dropped as before
    np.testing.assert_array_equal(r.take_items([2, 0]).values, values[:, [2, 0]])
    np.testing.assert_array_equal(r.observed_count(), [3, 3, 3, 3])


def test_scipy_blas_limit_is_restored():
    """scipy's own BLAS runs on one thread inside the block, numpy's keeps its threads, and the
    previous setting comes back on exit."""
    from threadpoolctl import threadpool_info

    scipy_blas = optimize._scipy_blas()
    if not scipy_blas.lib_controllers:
        pytest.skip("scipy ships no BLAS of its own here")
    ours = {c.filepath for c in scipy_blas.lib_controllers}

    def threads() -> dict[str, int]:
        return {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    before = threads()
    with optimize.scipy_blas_single_threaded():
        inside = threads()
    assert all(inside[p] == 1 for p in ours)
    assert all(inside[p] == before[p] for p in before if p not in ours)
    assert threads() == before

"""Property-based tests (Hypothesis): invariants of the loss and of the readers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from benchalign.data import Results, results_from_frame
from benchalign.fit.objective import loss_and_grad

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw):
    n_models = draw(st.integers(2, 7))
    n_items = draw(st.integers(1, 6))
    values = draw(arrays(np.float64, (n_models, n_items), elements=st.floats(-5, 5)))
    n_pairs = draw(st.integers(1, 12))
    a = draw(arrays(np.int64, n_pairs, elements=st.integers(0, n_models - 1)))
    shift = draw(arrays(np.int64, n_pairs, elements=st.integers(1, n_models - 1)))
    b = (a + shift) % n_models  # never a self-pair
    weight = draw(arrays(np.float64, n_pairs, elements=st.floats(0.1, 5)))
    target = draw(arrays(np.float64, n_pairs, elements=st.floats(0, 1)))
    x = draw(arrays(np.float64, n_items + 1, elements=st.floats(-2, 2)))
    reg = draw(st.floats(0, 10))
    return x, dict(values=values, observed=None, a=a, b=b, weight=weight, target=target, reg=reg)


@SETTINGS
@given(problems(), st.integers(0, 2**32 - 1))
def test_loss_ignores_model_order(problem, seed):
    x, kw = problem
    perm = np.random.default_rng(seed).permutation(kw["values"].shape[0])
    inverse = np.argsort(perm)
    moved = dict(kw, values=kw["values"][perm], a=inverse[kw["a"]], b=inverse[kw["b"]])
    l1, g1 = loss_and_grad(x, **kw)
    l2, g2 = loss_and_grad(x, **moved)
    np.testing.assert_allclose(l2, l1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g2, g1, rtol=1e-7, atol=1e-10)


@SETTINGS
@given(problems(), st.floats(-3, 3), st.data())
def test_loss_ignores_a_constant_added_to_one_question(problem, c, data):
    x, kw = problem
    q = data.draw(st.integers(0, kw["values"].shape[1] - 1))
    shifted = kw["values"].copy()
    shifted[:, q] += c
    np.testing.assert_allclose(loss_and_grad(x, **dict(kw, values=shifted))[0], loss_and_grad(x, **kw)[0],
                               rtol=1e-9, atol=1e-9)


@SETTINGS
@given(problems())
def test_swapping_both_ends_and_the_target_leaves_the_loss(problem):
    x, kw = problem
    swapped = dict(kw, a=kw["b"], b=kw["a"], target=1 - kw["target"])
    np.testing.assert_allclose(loss_and_grad(x, **swapped)[0], loss_and_grad(x, **kw)[0], rtol=1e-9, atol=1e-12)


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_./", min_size=1, max_size=8)


@st.composite
def long_tables(draw):
    models = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    items = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    cells = draw(st.lists(st.tuples(st.sampled_from(models), st.sampled_from(items)), min_size=1,
                          max_size=20, unique=True))
    scores = draw(st.lists(st.sampled_from([0.0, 1.0, 0.25, 0.5, 0.125]), min_size=len(cells), max_size=len(cells)))
    frame = pd.DataFrame({"model": [c[0] for c in cells], "benchmark": [f"b{len(c[1]) % 2}" for c in cells],
                          "item": [c[1] for c in cells], "score": scores})
    return frame


def _same(r1: Results, r2: Results) -> None:
    assert r1.models.tolist() == r2.models.tolist()
    assert r1.items.tolist() == r2.items.tolist()
    assert r1.benchmarks.tolist() == r2.benchmarks.tolist()
    np.testing.assert_array_equal(r1.values, r2.values)
    np.testing.assert_array_equal(r1.mask(), r2.mask())


@SETTINGS
@given(long_tables())
def test_write_then_read_gives_the_same_results(tmp_path_factory, frame):
    path = tmp_path_factory.mktemp("rt") / "r.csv"
    original = results_from_frame(frame)
    original.to_long().to_csv(path, index=False)
    from benchalign.io.load import load_results

    _same(load_results(path), original)


@SETTINGS
@given(long_tables(), st.integers(0, 2**32 - 1))
def test_row_order_changes_nothing(frame, seed):
    shuffled = frame.sample(frac=1.0, random_state=seed % (2**31)).reset_index(drop=True)
    _same(results_from_frame(shuffled), results_from_frame(frame))


@SETTINGS
@given(long_tables())
def test_renaming_models_changes_only_names(frame):
    renamed = frame.assign(model="renamed::" + frame["model"])
    r1, r2 = results_from_frame(frame), results_from_frame(renamed)
    order = np.argsort(["renamed::" + m for m in r1.models])
    assert r2.models.tolist() == ["renamed::" + m for m in r1.models[order]]
    np.testing.assert_array_equal(r2.values, r1.values[order])

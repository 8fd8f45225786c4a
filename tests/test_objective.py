"""The loss: exact gradient, invariants, and the scores it is built on."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from benchalign.fit.objective import loss_and_grad, pair_loss_and_grad
from benchalign.scores import model_scores


def _problem(seed: int = 0, missing: bool = False, n_models: int = 7, n_items: int = 5):
    rng = np.random.default_rng(seed)
    values = rng.random((n_models, n_items))
    observed = None
    if missing:
        observed = rng.random(values.shape) > 0.3
        observed[:, 0] = True
        values = np.where(observed, values, 0.0)
    a, b = np.triu_indices(n_models, k=1)
    target = rng.random(len(a))
    weight = rng.integers(1, 4, size=len(a)).astype(float)
    x = np.concatenate([rng.normal(size=n_items), [0.7]])
    kw = dict(values=values, observed=observed, a=a, b=b, weight=weight, target=target)
    return x, kw


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("reg", [0.0, 3.0])
def test_gradient_matches_finite_differences(missing: bool, reg: float) -> None:
    x, kw = _problem(missing=missing)
    theta0 = np.linspace(-1, 1, len(x) - 1)
    f = lambda z: loss_and_grad(z, reg=reg, theta0=theta0, log_beta0=0.2, **kw)[0]  # noqa: E731
    _, grad = loss_and_grad(x, reg=reg, theta0=theta0, log_beta0=0.2, **kw)
    numeric = approx_fprime(x, f, 1e-7)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-7)


def test_adding_a_constant_to_one_question_leaves_the_loss_unchanged() -> None:
    x, kw = _problem(seed=1)
    loss, _ = loss_and_grad(x, reg=0.5, **kw)
    shifted = dict(kw, values=kw["values"] + np.array([0, 0, 2.5, 0, 0]))
    loss2, _ = loss_and_grad(x, reg=0.5, **shifted)
    assert loss2 == pytest.approx(loss, rel=1e-10)


def test_adding_a_constant_to_every_result_leaves_the_loss_unchanged_with_missing_cells() -> None:
    x, kw = _problem(seed=2, missing=True)
    loss, _ = loss_and_grad(x, reg=0.0, **kw)
    shifted = dict(kw, values=np.where(kw["observed"], kw["values"] + 4.0, 0.0))
    assert loss_and_grad(x, reg=0.0, **shifted)[0] == pytest.approx(loss, rel=1e-10)


def test_swapping_winner_and_loser_flips_the_margin() -> None:
    s = np.array([0.1, 0.5, 0.3])
    a, b = np.array([0, 1]), np.array([1, 2])
    w, t = np.ones(2), np.array([0.9, 0.2])
    loss, gs, glb = pair_loss_and_grad(s, 2.0, a=a, b=b, weight=w, target=t)
    loss2, gs2, glb2 = pair_loss_and_grad(s, 2.0, a=b, b=a, weight=w, target=1 - t)
    assert loss2 == pytest.approx(loss)
    np.testing.assert_allclose(gs2, gs)
    # the margin is s[a] - s[b] with a the preferred side (target = P(a preferred)): the loss is
    # the cross-entropy of t against sigmoid(beta * margin), which a sign error would break
    # while leaving the swap symmetry above intact
    def cross_entropy(margin, target):
        p = 1 / (1 + np.exp(-2.0 * margin))
        return float(np.sum(w * -(target * np.log(p) + (1 - target) * np.log(1 - p))) / w.sum())

    assert loss == pytest.approx(cross_entropy(s[a] - s[b], t))
    assert pair_loss_and_grad(s, 2.0, a=b, b=a, weight=w, target=t)[0] == pytest.approx(
        cross_entropy(s[b] - s[a], t))
    # and descending the gradient widens the margin of a pair whose a side should win
    assert gs[0] < 0 < gs[1]


def test_hard_pair_loss_is_ranknet() -> None:
    s = np.array([0.8, 0.2])
    loss, _, _ = pair_loss_and_grad(s, 3.0, a=np.array([0]), b=np.array([1]),
                                    weight=np.ones(1), target=np.ones(1))
    assert loss == pytest.approx(np.log1p(np.exp(-3.0 * 0.6)))


def test_scores_renormalize_over_observed_items() -> None:
    values = np.array([[1.0, 0.0, 0.5], [1.0, 0.0, 0.0]], dtype=np.float32)
    observed = np.array([[True, True, True], [True, False, False]])
    w = np.array([0.5, 0.25, 0.25])
    s, den = model_scores(w, values=values, observed=observed)
    np.testing.assert_allclose(s, [0.625, 1.0])
    np.testing.assert_allclose(den, [1.0, 0.5])

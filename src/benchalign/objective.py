r"""Pure loss functions of the aligned benchmark, with exact gradients.

Notation (shapes in brackets):

* ``values`` V [n_models, n_items] scores (0 where unobserved), ``observed`` M [n_models, n_items]
  bool or None when complete;
* weights :math:`w = \mathrm{softmax}(\theta)` [n_items], on the simplex;
* score :math:`s_m = \sum_q w_q V_{mq} / \sum_q w_q M_{mq}` (the weighted mean over the items the model
  has; the plain :math:`V w` when complete) [n_models];
* pairs (a, b, c, p) [n_pairs]: weight c, probability p that a is preferred to b;
* margin :math:`z = \beta (s_a - s_b)` with a learned inverse temperature :math:`\beta = e^{\ell}`;
* loss :math:`\frac{1}{\sum c} \sum c\,[\mathrm{softplus}(-z) + (1 - p) z]`, the cross-entropy of
  :math:`\sigma(z)` against p (RankNet when p = 1), plus
  :math:`\frac{\lambda}{2}\,\mathrm{mean}_q (\theta_q - \bar\theta - \theta^0_q)^2` (pull toward the
  prior, the uniform benchmark by default) and :math:`\frac{\kappa}{2} (\ell - \ell_0)^2`.

Gradients flow back through per-model vectors built with ``np.bincount``; no pairs × items array is
ever built, so memory is O(models × items + pairs).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit, softmax


def weights_from_theta(theta: np.ndarray) -> np.ndarray:
    """Softmax of the log-weights ``theta`` [n_items]: non-negative weights that sum to 1."""
    return softmax(theta)


def model_scores(
    w: np.ndarray, *, values: np.ndarray, observed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean score per model over its observed items.

    Returns ``(s, den)``, both [n_models] float64: the score and the weight mass of the model's
    observed items (1 when complete). A model with no weight on its observed items gets NaN.
    """
    w32 = w.astype(values.dtype, copy=False)
    num = (values @ w32).astype(np.float64)
    if observed is None:
        return num, np.ones_like(num)
    den = (observed @ w32.astype(np.float32)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den, den


def pair_loss_and_grad(
    s: np.ndarray, beta: float, *, a: np.ndarray, b: np.ndarray, weight: np.ndarray,
    target: np.ndarray,
) -> tuple[float, np.ndarray, float]:
    """Weighted-mean pairwise cross-entropy on scores ``s`` [n_models].

    Returns ``(loss, dloss/ds [n_models], dloss/dlog(beta))``.
    """
    d = s[a] - s[b]
    z = beta * d
    total = weight.sum()
    loss = float(np.dot(weight, (1.0 - target) * z - log_expit(z)) / total)
    r = weight * (expit(z) - target) / total
    n = s.shape[0]
    gs = beta * (np.bincount(a, r, minlength=n) - np.bincount(b, r, minlength=n))
    glog_beta = float(np.dot(r, z))
    return loss, gs, glog_beta


def loss_and_grad(
    x: np.ndarray, *, values: np.ndarray, observed: np.ndarray | None, a: np.ndarray,
    b: np.ndarray, weight: np.ndarray, target: np.ndarray, reg: float,
    theta0: np.ndarray | None = None, log_beta0: float = 0.0, beta_reg: float = 1e-2,
) -> tuple[float, np.ndarray]:
    """Objective of the aligned benchmark and its exact gradient.

    x : [n_items + 1] parameters: log-weights theta, then log inverse temperature.
    reg : strength lambda >= 0 of the pull of theta toward ``theta0`` (zeros = uniform weights).
    Returns ``(loss, grad)`` with grad shaped like x.
    """
    theta, log_beta = x[:-1], float(x[-1])
    w = weights_from_theta(theta)
    s, den = model_scores(w, values=values, observed=observed)
    loss, gs, glb = pair_loss_and_grad(
        s, np.exp(log_beta), a=a, b=b, weight=weight, target=target
    )
    gw = _scores_vjp(gs, s, den, values=values, observed=observed)
    gtheta = w * (gw - np.dot(w, gw))
    dev = theta - theta.mean() - (0.0 if theta0 is None else theta0 - theta0.mean())
    n_items = theta.shape[0]
    loss += 0.5 * reg * float(np.dot(dev, dev)) / n_items
    gtheta += reg * dev / n_items
    loss += 0.5 * beta_reg * (log_beta - log_beta0) ** 2
    glb += beta_reg * (log_beta - log_beta0)
    return loss, np.concatenate([gtheta, [glb]])


def _scores_vjp(
    gs: np.ndarray, s: np.ndarray, den: np.ndarray, *, values: np.ndarray,
    observed: np.ndarray | None,
) -> np.ndarray:
    """Pull a gradient on scores [n_models] back to the weights [n_items].

    ds_m/dw_q = (V_mq - s_m M_mq) / den_m, so dL/dw = V^T (g/den) - M^T (g s/den).
    """
    g = gs / den
    gw = (values.T @ g.astype(values.dtype)).astype(np.float64)
    if observed is not None:
        gw -= (observed.T @ (g * np.nan_to_num(s)).astype(np.float32)).astype(np.float64)
    return gw

"""Rankings and best-of-k lists on generated data where the truth is known: how should a list's
pairs be weighted, and does a Plackett-Luce likelihood recover the preference order of held-out
models better than the pairwise decomposition benchalign fits?

Data: ``benchalign.simulate`` results (planted question weights that follow one skill; a true
utility per model that the preferences follow). Lists are drawn among the training models from the
Plackett-Luce model of that utility (Gumbel noise on ``BETA * utility``); best-of-k choices are the
first place of such a draw. Every way of fitting below shares one parametrization and optimizer, so
only the loss differs: question weights w = softmax(θ), scores s = R w on each model's observed
questions, a learned scale α on s, a ridge on θ (each loss shown at its best ridge of a small grid,
an oracle that favours every loss alike), each loss a mean (over pair weight, or over
Plackett-Luce choices). Losses over the training lists:

* ``list=1``: pairwise logistic loss, the pairs of a list sharing weight 1 (a list counts once);
* ``pair=1``: every pair weight 1 (a ranking of k counts C(k, 2) times; a choice k - 1 times);
* ``list=k-1``: a list counts k - 1 (ranking: pair weight 2 / k, the number of choices of the best
  of the rest a ranking records; best-of-k: the same as pair=1). What benchalign reads;
* ``plackett-luce``: the log-likelihood of each ranking as successive choices of the best of the
  rest (best-of-k: one choice), each list once.

Reported: Spearman correlation and pairwise accuracy of the held-out models' scores against their
true utility, mean (and standard error) over seeds, and the uniform mean. The shipped
``BenchmarkAligner`` (which chooses among its own candidates) is also fitted with each weighting,
``list=k-1`` through the list reader itself (checked to give the same pairs).

    python benchmarks/list_preferences.py            # 10 seeds, about five minutes
    python benchmarks/list_preferences.py --seeds 2  # a quick check
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, log_expit
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from benchalign import BenchmarkAligner  # noqa: E402
from benchalign.data import link, list_pairs, preferences_from_frame  # noqa: E402
from benchalign.errors import DataWarning  # noqa: E402
from benchalign.optimize import lbfgs  # noqa: E402
from benchalign.scores import model_scores  # noqa: E402
from benchalign.simulate import simulate  # noqa: E402

BETA = 1.5
SIZES = {"bbh": 150, "mmlu_pro": 150, "ifeval": 100}
SIMULATION = dict(n_models=200, n_items_per_benchmark=SIZES, planted="skills", irrelevant=0.7, noise=0.2)
"""Preferences follow one skill more than the plain mean does: room for a weighting to help."""
SCENARIOS = {  # name: (list lengths, best-of-k instead of full rankings)
    "rankings, k = 4": ([4] * 150, False),
    "rankings, half k = 2, half k = 10": ([2] * 75 + [10] * 75, False),
    "best-of-k, k = 4": ([4] * 300, True),
    "best-of-k, half k = 2, half k = 8": ([2] * 150 + [8] * 150, True),
}


def draw_lists(utility: np.ndarray, rows: np.ndarray, lengths: list[int],
               rng: np.random.Generator) -> list[np.ndarray]:
    """Model rows of each list, best first, from the Plackett-Luce model of ``utility``."""
    out = []
    for k in lengths:
        members = rng.choice(rows, size=k, replace=False)
        noisy = BETA * utility[members] + rng.gumbel(size=k)
        out.append(members[np.argsort(-noisy)])
    return out


def pairs_of(lists: list[np.ndarray], best_of: bool, per_list: str) -> tuple[np.ndarray, ...]:
    """(winner, loser, weight) of every pair the lists state, weighted per ``per_list``."""
    codes = np.concatenate([np.full(len(m), i) for i, m in enumerate(lists)])
    members = np.concatenate(lists)
    position = np.concatenate([np.arange(len(m)) for m in lists])
    i, j, _ = list_pairs(codes)
    if best_of:  # only the chosen model's pairs
        keep = (position[i] == 0) | (position[j] == 0)
        i, j = i[keep], j[keep]
    k = np.bincount(codes)[codes[i]].astype(np.float64)
    per = (k - 1) if best_of else k * (k - 1) / 2  # pairs a list states
    weight = {"list=1": 1 / per, "pair=1": np.ones(len(i)), "list=k-1": (k - 1) / per}[per_list]
    first = position[i] < position[j]
    return np.where(first, members[i], members[j]), np.where(first, members[j], members[i]), weight


def pairwise_loss(s: np.ndarray, alpha: float, data: tuple[np.ndarray, ...]) -> tuple[float, np.ndarray, float]:
    """Σ c softplus(-α (s_win - s_lose)) / Σ c; gradient wrt s and wrt log α."""
    win, lose, c = data
    c = c / c.sum()  # a mean, so that the ridge weighs the same against every weighting
    d = s[win] - s[lose]
    loss = -np.dot(c, log_expit(alpha * d))
    g = -c * expit(-alpha * d)
    grad_s = alpha * (np.bincount(win, g, minlength=len(s)) - np.bincount(lose, g, minlength=len(s)))
    return float(loss), grad_s, float(alpha * np.dot(g, d))


def plackett_luce_loss(s: np.ndarray, alpha: float, data: list[np.ndarray]) -> tuple[float, np.ndarray, float]:
    """Mean over the choices of all lists (``data``: [n_lists, k] blocks of rows, best first, one
    per k; best-of-k blocks hold -(row + 1): one choice per list) of the negative log-likelihood of
    each choice of the best of the rest; gradient wrt s and wrt log α."""
    n_choices = sum(b.shape[0] * (1 if b[0, 0] < 0 else b.shape[1] - 1) for b in data)
    loss, grad_s, grad_a = 0.0, np.zeros_like(s), 0.0
    for block in data:
        best_of = block[0, 0] < 0
        rows = np.abs(block) - best_of  # best-of-k rows are stored as -(row + 1)
        z = alpha * s[rows]
        lse = np.logaddexp.accumulate(z[:, ::-1], axis=1)[:, ::-1]  # log Σ_{j >= i} exp z_j
        stages = 1 if best_of else z.shape[1] - 1
        loss += float(np.sum(lse[:, :stages] - z[:, :stages]))
        mass = np.cumsum(np.exp(-lse[:, :stages]), axis=1)  # Σ_{i <= min(j, stages-1)} exp(-lse_i)
        mass = np.concatenate([mass, np.repeat(mass[:, -1:], z.shape[1] - stages, axis=1)], axis=1)
        gz = np.exp(z) * mass
        gz[:, :stages] -= 1.0
        grad_s += alpha * np.bincount(rows.ravel(), gz.ravel(), minlength=len(s))
        grad_a += float(np.sum(gz * z))
    return loss / n_choices, grad_s / n_choices, grad_a / n_choices


def pl_blocks(lists: list[np.ndarray], best_of: bool) -> list[np.ndarray]:
    by_k: dict[int, list[np.ndarray]] = {}
    for m in lists:
        by_k.setdefault(len(m), []).append(m)
    return [-(np.vstack(v) + 1) if best_of else np.vstack(v) for v in by_k.values()]


def fit(values: np.ndarray, observed: np.ndarray | None, loss, data, ridge: float) -> np.ndarray:
    """Question weights w = softmax(θ) minimizing loss(s = R w, α) + ridge/2 |θ|²."""
    n_items = values.shape[1]
    mask = np.ones_like(values, dtype=bool) if observed is None else observed

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        theta, log_alpha = x[:-1], x[-1]
        w = np.exp(theta - theta.max())
        w /= w.sum()
        num, den = values @ w, mask @ w
        s = num / den
        value, grad_s, grad_a = loss(s, np.exp(log_alpha), data)
        grad_w = values.T @ (grad_s / den) - mask.T @ (grad_s * num / den**2)
        grad_theta = w * (grad_w - np.dot(w, grad_w)) + ridge * theta
        return value + 0.5 * ridge * float(theta @ theta), np.append(grad_theta, grad_a)

    x = lbfgs(objective, np.append(np.zeros(n_items), np.log(10.0)), max_iter=2000, tol=1e-6).x
    w = np.exp(x[:-1] - x[:-1].max())
    return w / w.sum()


def held_out(scores: np.ndarray, utility: np.ndarray) -> tuple[float, float]:
    a, b = np.triu_indices(len(scores), 1)
    right = np.sign(scores[a] - scores[b]) == np.sign(utility[a] - utility[b])
    return float(spearmanr(scores, utility).statistic), float(right.mean())


def one_seed(seed: int, lengths: list[int], best_of: bool) -> dict[str, tuple[float, float]]:
    """Held-out (Spearman, pairwise accuracy) of every method; shared-fit methods once per ridge,
    keyed ``name @ ridge``."""
    sim = simulate(**SIMULATION, seed=seed)
    rng = np.random.default_rng(seed + 100)
    order = rng.permutation(200)
    train, test = np.sort(order[:100]), np.sort(order[100:])
    lists = draw_lists(sim.utility, train, lengths, rng)
    res = sim.results
    truth = sim.utility[test]
    out = {"uniform (no preferences)": held_out(_scores(res, np.full(res.n_items, 1 / res.n_items))[test], truth)}
    losses = {per_list: (pairwise_loss, pairs_of(lists, best_of, per_list)) for per_list in WEIGHTINGS[best_of]}
    losses["plackett-luce"] = (plackett_luce_loss, pl_blocks(lists, best_of))
    for name, (loss, data) in losses.items():
        for ridge in RIDGES:
            w = fit(res.values, res.observed, loss, data, ridge)
            out[f"{name} @ {ridge:g}"] = held_out(_scores(res, w)[test], truth)
    for per_list in WEIGHTINGS[best_of]:
        w = aligner_weights(sim, lists, best_of, seed, per_list)
        out[f"BenchmarkAligner {per_list}"] = held_out(_scores(res, w)[test], truth)
    return out


WEIGHTINGS = {False: ("list=1", "pair=1", "list=k-1"), True: ("list=1", "list=k-1")}
"""Pair weightings compared (for best-of-k, list=k-1 is pair=1: a choice states k - 1 pairs)."""
READER = "list=k-1"
"""The weighting benchalign's list reader applies (checked in :func:`aligner_weights`)."""
RIDGES = (3e-4, 1e-3, 3e-3, 1e-2)
"""Ridge grid of the shared fit; each loss is shown at its best ridge (the same oracle for all)."""


def _scores(results, w: np.ndarray) -> np.ndarray:
    return model_scores(w, values=results.values, observed=results.observed)[0]


def aligner_weights(sim, lists: list[np.ndarray], best_of: bool, seed: int, per_list: str) -> np.ndarray:
    """The shipped aligner's weights from weighted pairs (winner, loser, weight); for
    :data:`READER`, from the list table (list_id, model, rank / chosen) through the reader, after
    checking that it gives the same pairs."""
    names = sim.results.models
    win, lose, weight = pairs_of(lists, best_of, per_list)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # cycles among sampled lists are expected
        prefs = preferences_from_frame(pd.DataFrame({"winner": names[win], "loser": names[lose],
                                                     "weight": weight}))
        if per_list == READER:
            column = "chosen" if best_of else "rank"
            frame = pd.DataFrame([(str(i), names[m], int(p == 0) if best_of else p + 1)
                                  for i, ms in enumerate(lists) for p, m in enumerate(ms)],
                                 columns=["list_id", "model", column])
            read = preferences_from_frame(frame)
            for field in ("a", "b", "weight", "target"):
                np.testing.assert_allclose(getattr(read.pairs, field), getattr(prefs.pairs, field))
            prefs = read
        linked = link(sim.results, prefs)
        return BenchmarkAligner(random_state=seed).fit(sim.results, linked).weights_


def summary(runs: list[dict[str, tuple[float, float]]]) -> list[str]:
    """One line per method: mean ± standard error over seeds; a shared-fit loss at its best ridge."""
    se = np.sqrt(len(runs))
    stats = {m: np.array([r[m] for r in runs]) for m in runs[0]}  # [seeds, 2]
    best: dict[str, str] = {}
    for key in stats:
        name = key.split(" @ ")[0]
        if name not in best or stats[key][:, 0].mean() > stats[best[name]][:, 0].mean():
            best[name] = key
    lines = []
    for name, key in best.items():
        rho, acc = stats[key][:, 0], stats[key][:, 1]
        label = f"{name} (ridge {key.split(' @ ')[1]})" if " @ " in key else name
        lines.append(f"  {label:<34} Spearman {rho.mean():.3f} ± {rho.std(ddof=1) / se:.3f}   "
                     f"pairwise {acc.mean():.3f} ± {acc.std(ddof=1) / se:.3f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--only", type=int, default=None, help="run only this scenario (index)")
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"simulate({', '.join(f'{k}={v}' for k, v in SIMULATION.items() if k != 'n_items_per_benchmark')}), "
          f"{sum(SIZES.values())} questions; 100 train / 100 held-out models; PL temperature {BETA}; "
          f"{args.seeds} seeds; shared fit at its best ridge of {', '.join(map(str, RIDGES))}. "
          "Held-out Spearman and pairwise accuracy against the true utility, mean ± standard error "
          f"over seeds. benchalign reads lists as {READER}.\n")
    for index, (name, (lengths, best_of)) in enumerate(SCENARIOS.items()):
        if args.only is not None and index != args.only:
            continue
        runs = [one_seed(seed, lengths, best_of) for seed in range(args.seeds)]
        print(f"{name} ({len(lengths)} lists)")
        print("\n".join(summary(runs)) + "\n")
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

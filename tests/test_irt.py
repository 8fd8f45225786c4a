"""The item-response model of all models' results and method="irt" built on its abilities."""

from __future__ import annotations

import numpy as np
import pytest

from benchalign import BenchmarkAligner
from benchalign.irt import fit_item_response
from benchalign.simulate import simulate

from .conftest import gap_accuracies, skill_split


def _explained(target: np.ndarray, columns: np.ndarray) -> float:
    """R² of the least-squares fit of target on the columns (with an intercept)."""
    x = np.column_stack([np.ones(len(target)), columns])
    coef, *_ = np.linalg.lstsq(x, target, rcond=None)
    return 1.0 - np.var(target - x @ coef) / np.var(target)


def test_one_ability_is_recovered_from_binary_answers():
    d = simulate(800, {"a": 100, "b": 100}, n_dims=1, missing=0.2, seed=1)
    fit = fit_item_response(d.results, 1)
    assert fit.k == 1 and fit.heldout == {} and fit.converged
    assert abs(np.corrcoef(fit.abilities[:, 0], d.abilities[:, 0])[0, 1]) > 0.95
    # slopes follow slope × direction of the generator (up to the sign of the axis)
    assert abs(np.corrcoef(fit.slopes[:, 0], d.loadings[0])[0, 1]) > 0.9


def test_held_out_cells_choose_the_number_of_abilities():
    d = simulate(1000, {"a": 150, "b": 150, "c": 100}, missing=0.1, seed=4)      # 4 abilities
    fit = fit_item_response(d.results, (1, 4, 8))
    assert set(fit.heldout) == {1, 4, 8}
    assert fit.k == 4 == max(fit.heldout, key=fit.heldout.get)
    assert fit.abilities.shape == (d.results.n_models, 4)
    # the abilities span the generator's (a rotation is free): each true ability is explained
    for j in range(4):
        assert _explained(d.abilities[:, j], fit.abilities) > 0.8, j


def test_subsampled_fit_gives_every_model_abilities(skills):
    d, _ = skills
    full = fit_item_response(d.results, 4)
    sub = fit_item_response(d.results, 4, max_models=500, seed=2)
    assert sub.abilities.shape == full.abilities.shape
    # questions fitted on a third of the models; every model's abilities follow from them
    for j in range(4):
        assert _explained(full.abilities[:, j], sub.abilities) > 0.9, j
    few = fit_item_response(d.results, 4, max_items=100, seed=2)
    assert len(few.items) == len(few.slopes) == 100 and np.all(np.diff(few.items) > 0)


def test_bad_dimension_is_refused(skills):
    d, _ = skills
    with pytest.raises(ValueError, match="dims"):
        fit_item_response(d.results, 0)


def test_irt_recovers_a_skill_weighting_from_few_rated_models(skills):
    d, linked = skills
    res = d.results
    test, train = skill_split(linked, 30)                           # 30 rated training models
    test_pairs = linked.pairs.within(test, res.n_models)
    fit = BenchmarkAligner(method="irt").fit(res, linked.pairs.within(train, res.n_models))
    acc = gap_accuracies(d, test_pairs, irt=fit.weights_)
    gap = acc["oracle"] - acc["uniform"]
    assert gap > 0.02, acc
    # 0.50 of the gap here (factors: 0.44); only 160 questions, so the skills are measured noisily
    assert acc["irt"] - acc["uniform"] > 0.4 * gap, acc
    assert fit.candidates_ == ["irt:k=4:reg=0.01", "irt:k=4:reg=0.1", "irt:k=4:reg=1"]
    assert fit.method_ in fit.candidates_ and fit.distill_corr_ > 0.95
    assert (fit.weights_ >= 0).all() and fit.weights_.sum() == pytest.approx(1.0)

"""The generator: shapes, determinism, realism, the three preference forms, and the files it writes."""

from __future__ import annotations

import numpy as np
import pytest

from benchalign.io.load import load_preferences, load_results
from benchalign.errors import OutputExistsError, ParameterError
from benchalign.simulate import more_models, simulate, write_simulated

SIZES = {"mmlu_pro": 40, "gpqa": 15, "a-b": 10}


def test_shapes_sorted_names_and_planted_weights():
    data = simulate(50, SIZES, seed=1)
    r = data.results
    assert r.values.shape == (50, 65) and r.values.dtype == np.float32
    assert r.observed is None and set(np.unique(r.values)) <= {0.0, 1.0}
    assert list(r.items) == sorted(r.items) and list(r.models) == sorted(r.models)
    assert dict(zip(*np.unique(r.benchmarks, return_counts=True))) == SIZES
    assert data.true_weights.min() >= 0 and data.true_weights.sum() == pytest.approx(1.0)
    assert (data.true_weights == 0).any()  # some questions do not matter
    assert data.abilities.shape == (50, 4) and data.loadings.shape == (4, 65)
    assert list(data.models.columns) == ["model", "params_b", "family"]


def test_same_seed_same_data_other_seed_other_data():
    one, two = simulate(30, SIZES, missing=0.2, seed=5), simulate(30, SIZES, missing=0.2, seed=5)
    assert np.array_equal(one.results.values, two.results.values)
    assert np.array_equal(one.results.observed, two.results.observed)
    assert one.preference_frame.equals(two.preference_frame)
    other = simulate(30, SIZES, missing=0.2, seed=6)
    assert not np.array_equal(one.results.values, other.results.values)


def test_results_follow_ability_and_the_guessing_floor():
    data = simulate(400, {"gpqa": 200, "math_lvl5": 200}, n_dims=2, seed=2)
    r = data.results
    mean = r.values.mean(axis=1)
    assert np.corrcoef(mean, data.abilities[:, 0])[0, 1] > 0.6
    weakest = np.argsort(data.abilities[:, 0])[:40]
    gpqa = r.benchmarks == "gpqa"
    # weak models still guess a quarter of 4-option questions right, not of free-form answers
    assert r.values[np.ix_(weakest, gpqa)].mean() > r.values[np.ix_(weakest, ~gpqa)].mean() + 0.1


def test_missing_cells_and_graded_scores():
    data = simulate(60, SIZES, missing=0.4, graded=True, seed=3)
    r = data.results
    assert r.observed.mean() == pytest.approx(0.6, abs=0.03)
    assert r.observed.any(axis=1).all()
    assert (r.values[~r.observed] == 0).all()
    assert set(np.unique(r.values)) <= {0.0, 0.25, 0.5, 0.75, 1.0}


@pytest.mark.parametrize("form", ["ratings", "pairs", "battles"])
def test_preference_forms_parse_and_follow_the_true_scores(form):
    data = simulate(80, SIZES, preference=form, n_rated=60, noise=0.0, seed=4)
    prefs = data.preferences
    assert prefs.kind == form
    assert len(prefs.models) <= 60
    if form == "ratings":
        rated = data.results.index_of(prefs.models)
        assert np.corrcoef(prefs.ratings, data.true_scores[rated])[0, 1] > 0.99
    else:
        assert len(data.preference_frame) == 20 * 60
        frame = data.preference_frame
        first = frame.iloc[:, 0].to_numpy()
        second = frame.iloc[:, 1].to_numpy()
        if form == "battles":
            assert set(frame["winner"]) <= {"model_a", "model_b", "tie"}
            decided = frame["winner"] != "tie"
            swap = (frame["winner"] == "model_b").to_numpy()
            first, second = np.where(swap, second, first)[decided], np.where(swap, first, second)[decided]
        pos = data.results.index_of
        agree = (data.true_scores[pos(first)] > data.true_scores[pos(second)]).mean()
        assert agree > 0.6  # winners are mostly the better models under the planted weighting


def test_more_models_draws_new_compact_chunks():
    data = simulate(40, SIZES, missing=0.1, seed=5)
    chunks = list(more_models(data, 25, chunk=10, dtype=np.uint8, seed=9))
    assert [len(c.models) for c in chunks] == [10, 10, 5]
    assert chunks[0].values.dtype == np.uint8 and chunks[0].observed is not None
    assert np.array_equal(chunks[0].items, data.results.items)
    again = list(more_models(data, 25, chunk=10, dtype=np.uint8, seed=9))
    assert all(np.array_equal(a.values, b.values) for a, b in zip(chunks, again))


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_written_files_read_back_identically(tmp_path, fmt):
    data = simulate(20, SIZES, missing=0.2, preference="battles", seed=6)
    paths = write_simulated(data, tmp_path, fmt)
    back = load_results(paths["results"])
    assert np.array_equal(back.values, data.results.values)
    assert np.array_equal(back.observed, data.results.observed)
    assert np.array_equal(back.items, data.results.items)
    prefs = load_preferences(paths["preferences"])
    assert prefs.kind == "battles" and len(prefs.pairs) == len(data.preferences.pairs)
    with pytest.raises(OutputExistsError, match="force"):
        write_simulated(data, tmp_path, fmt)
    write_simulated(data, tmp_path, fmt, force=True)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"n_models": 1}, "n_models"), ({"missing": 1.0}, "missing"), ({"preference": "votes"}, "preference"),
     ({"n_rated": 500}, "n_rated"), ({"n_items_per_benchmark": {}}, "n_items_per_benchmark")],
)
def test_invalid_parameters_are_named(kwargs, name):
    args = {"n_models": 10, "n_items_per_benchmark": SIZES, **kwargs}
    with pytest.raises(ParameterError, match=f"'{name}' parameter of simulate"):
        simulate(**args)


def test_model_names_stay_sorted_above_99999_models():
    """Names are padded to the digits the count needs: 100,001 models still sort in number order
    (5-digit padding put sim/model-100000 before sim/model-10001), and up to 99,999 models the
    names keep their 5 digits, so shipped and benchmark outputs do not move."""
    big = simulate(100_001, {"x": 1}, n_rated=10, seed=0).results.models
    assert list(big) == sorted(big) and big[-1] == "sim/model-100000" and big[0] == "sim/model-000000"
    small = simulate(12, {"x": 2}, seed=0).results.models
    assert small[0] == "sim/model-00000" and small[-1] == "sim/model-00011"

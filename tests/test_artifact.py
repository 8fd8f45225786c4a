"""Benchmark files: round trip, verification on load, scoring new models with mismatched items."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchalign import AlignedBenchmark, BenchmarkAligner, load_benchmark, score
from benchalign.errors import ArtifactError, DataWarning, ItemMismatchError, OutputExistsError

from .conftest import make_planted


@pytest.fixture(scope="module")
def fitted():
    d = make_planted(n_models=50, n_items=20, seed=8)
    from benchalign import preferences_from_frame

    aligner = BenchmarkAligner().fit(d.results, preferences_from_frame(d.ratings))
    return d, aligner, AlignedBenchmark.from_aligner(aligner)


def test_round_trip_is_exact_and_deterministic(tmp_path, fitted):
    _, aligner, bench = fitted
    path = bench.save(tmp_path / "b.json")
    loaded = load_benchmark(path)
    assert np.array_equal(loaded.weights, aligner.weights_)
    assert loaded.items.tolist() == aligner.items_.tolist()
    doc = json.loads(path.read_text())
    assert doc["schema"] == "benchalign.benchmark" and doc["schema_version"] == 2
    assert doc["params"]["method"] == "auto" and doc["diagnostics"]["method"] == aligner.method_
    assert doc["diagnostics"]["candidates"] == aligner.candidates_
    assert doc["diagnostics"]["candidate_cv_scores"] == pytest.approx(aligner.candidate_scores_.tolist())
    assert doc["params"] == {"method": "auto", "completion": "auto", "cv_folds": 20, "random_state": 0}
    assert bench.save(tmp_path / "c.json").read_bytes() == path.read_bytes()


def test_never_overwrites_without_force(tmp_path, fitted):
    _, _, bench = fitted
    bench.save(tmp_path / "b.json")
    with pytest.raises(OutputExistsError, match="--force"):
        bench.save(tmp_path / "b.json")
    bench.save(tmp_path / "b.json", force=True)
    assert [p.name for p in tmp_path.iterdir()] == ["b.json"]  # no temporary file left behind


def test_scores_equal_predict(fitted):
    d, aligner, bench = fitted
    table = score(bench, d.results)
    by_model = dict(zip(table["model"], table["score"]))
    expected = aligner.predict(d.results)
    assert [by_model[m] for m in d.results.models] == pytest.approx(expected.tolist())
    assert table["rank"].tolist() == list(range(1, 51))
    assert table["score"].is_monotonic_decreasing
    assert np.allclose(table["coverage"], 1.0)


def test_score_is_the_mean_over_each_models_observed_items_like_predict():
    from benchalign import preferences_from_frame

    d = make_planted(n_models=50, n_items=20, seed=8, missing=0.2)
    aligner = BenchmarkAligner().fit(d.results, preferences_from_frame(d.ratings))
    bench = AlignedBenchmark.from_aligner(aligner)
    mask, w = d.results.mask(), bench.weights
    weighted_sum = (d.results.values * mask) @ w
    mean_observed = weighted_sum / (mask @ w)
    # with a fifth of the cells missing the two orders differ: the test can tell them apart
    assert not np.array_equal(np.argsort(-weighted_sum), np.argsort(-mean_observed))
    table = score(bench, d.results)
    order = table.set_index("model").loc[d.results.models]
    assert order["score"].to_numpy() == pytest.approx(mean_observed)
    assert order["score"].to_numpy() == pytest.approx(aligner.predict(d.results))
    assert order["coverage"].to_numpy() == pytest.approx(mask @ w)
    assert table["model"].tolist() == d.results.models[np.argsort(-mean_observed, kind="stable")].tolist()


def _edit(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def test_tampered_newer_and_foreign_files_are_refused(tmp_path, fitted):
    _, _, bench = fitted
    path = bench.save(tmp_path / "b.json")
    _edit(path, lambda d: d["items"][0].update(weight=d["items"][0]["weight"] * 2))
    with pytest.raises(ArtifactError, match="do not match the file's content hash"):
        load_benchmark(path)
    path = bench.save(tmp_path / "n.json")
    _edit(path, lambda d: d.update(schema_version=99))
    with pytest.raises(ArtifactError, match="schema version 99 .* Upgrade benchalign"):
        load_benchmark(path)
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(ArtifactError, match="not a benchalign benchmark file"):
        load_benchmark(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("{")
    with pytest.raises(ArtifactError, match="invalid JSON"):
        load_benchmark(tmp_path / "y.json")


def test_mismatched_items_are_reported_or_strict_errors(fitted):
    d, _, bench = fitted
    r = d.results
    fewer = r.take_items(np.arange(2, r.n_items))  # the new results lack two benchmark items
    with pytest.warns(DataWarning, match=r"2 benchmark items \(.*of the weight\) are missing"):
        table = score(bench, fewer)
    assert (table["coverage"] < 1).all()
    with pytest.raises(ItemMismatchError, match="2 benchmark items"):
        score(bench, fewer, strict=True)
    renamed = type(r)(r.models, np.array([f"new/{i}" for i in r.items], dtype=object), r.benchmarks, r.values)
    with pytest.raises(ItemMismatchError, match="none of the benchmark's 20 items appear"):
        score(bench, renamed)


def test_written_files_get_the_usual_permissions(tmp_path, fitted):
    import os

    _, _, bench = fitted
    path = bench.save(tmp_path / "b.json")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask

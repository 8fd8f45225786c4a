"""HELM reader: two real run directories (openai/gpt2) and generated runs in the same layout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchalign.errors import DataValidationError, InputFormatError
from benchalign.io.formats import detect_results_format, read_results_any
from benchalign.io.formats.helm import read_helm
from benchalign.io.load import load_results

DATA = Path(__file__).parent / "data" / "formats" / "helm"
MMLU = DATA / "mmlu-subject=philosophy,method=multiple_choice_joint,model=openai_gpt2"
NQA = DATA / "narrative_qa-model=openai_gpt2"


def test_real_suite_reads_both_runs_with_main_metrics():
    frame = read_results_any(DATA)
    assert detect_results_format(DATA) == "helm"
    assert frame.shape == (15, 4)
    assert set(frame["model"]) == {"openai/gpt2"}
    counts = frame.groupby("benchmark").size().to_dict()
    assert counts == {"mmlu": 10, "narrative_qa": 5}
    mmlu = frame[frame["benchmark"] == "mmlu"]
    assert mmlu["item"].iloc[0] == "mmlu:subject=philosophy,method=multiple_choice_joint/id147"
    assert mmlu["score"].sum() == 1.0  # exact_match: one of ten right
    nqa = frame[frame["benchmark"] == "narrative_qa"]
    assert sorted(nqa["score"].round(6)) == [0.0, 0.0, 0.0, 0.333333, 0.363636]  # f1_score


def test_single_run_dir_metric_choice_and_load_results():
    assert read_helm(NQA, metric="exact_match")["score"].sum() == 0.0
    assert read_helm(NQA, metric="rouge_l")["score"].max() > 0
    results = load_results(MMLU)
    assert results.n_models == 1 and results.n_items == 10


def test_unknown_metric_lists_available():
    with pytest.raises(InputFormatError, match=r"'accuracy' not in this run; available stats: .*exact_match"):
        read_helm(MMLU, metric="accuracy")


def copy_run(tmp_path: Path, src: Path = MMLU) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


def edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_unlisted_group_needs_explicit_metric(tmp_path):
    run = copy_run(tmp_path)
    edit(run / "run_spec.json", lambda d: d.update(groups=["my_scenario"]))
    with pytest.raises(InputFormatError, match="no known main metric for run group.*my_scenario"):
        read_helm(run)
    assert len(read_helm(run, metric="exact_match")) == 10


def test_instance_without_the_metric_names_instance(tmp_path):
    run = copy_run(tmp_path)

    def drop(d):
        d[2]["stats"] = [s for s in d[2]["stats"] if s["name"]["name"] != "exact_match"]
    edit(run / "per_instance_stats.json", drop)
    with pytest.raises(DataValidationError, match=r"per_instance_stats.json\[2\] \(instance_id 'id65'\).*no unperturbed 'exact_match'"):
        read_helm(run)


def test_trials_are_averaged_and_perturbations_skipped(tmp_path):
    run = copy_run(tmp_path)

    def add(d):
        first = json.loads(json.dumps(d[0]))
        second = json.loads(json.dumps(d[0]))
        second["train_trial_index"] = 1
        for s in second["stats"]:
            if s["name"]["name"] == "exact_match":
                s["mean"] = 1.0
        first["perturbation"] = {"name": "typos"}
        d.extend([second, first])
    edit(run / "per_instance_stats.json", add)
    frame = read_helm(run)
    assert len(frame) == 10
    assert frame.set_index("item")["score"].iloc[0] == 0.5


def test_missing_run_spec_and_empty_dir(tmp_path):
    run = copy_run(tmp_path)
    (run / "run_spec.json").unlink()
    with pytest.raises(InputFormatError, match="without run_spec.json"):
        read_helm(run)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputFormatError, match="no HELM per_instance_stats.json"):
        read_helm(empty)


def test_same_model_in_two_copies_of_a_run_is_a_duplicate(tmp_path):
    copy_run(tmp_path / "a")
    copy_run(tmp_path / "b")
    with pytest.raises(DataValidationError, match="read more than once"):
        read_helm(tmp_path)

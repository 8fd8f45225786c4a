"""Every Eval Ever reader: real per-instance and aggregate records, and generated edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchalign.errors import DataValidationError, InputFormatError
from benchalign.io.formats import detect_results_format, read_results_any
from benchalign.io.formats.every_eval_ever import read_eee_aggregate, read_eee_instances
from benchalign.io.load import load_results

DATA = Path(__file__).parent / "data" / "formats" / "every_eval_ever"
INSTANCES = DATA / "instance_level__helm_mmlu_gpt2__None_samples.jsonl"
AGGREGATE = DATA / "example_aggregate__98ea850e-7019-4728-a558-8b1819ec47c2.json"
HELM_MMLU = DATA.parent / "helm" / "mmlu-subject=philosophy,method=multiple_choice_joint,model=openai_gpt2"


def test_real_instances_match_the_helm_run_they_came_from():
    frame = read_results_any(INSTANCES)
    assert detect_results_format(INSTANCES) == "eee"
    assert frame.shape == (10, 4)
    assert set(frame["model"]) == {"openai/gpt2"} and set(frame["benchmark"]) == {"mmlu"}
    assert frame["item"].iloc[0] == "mmlu/id147"
    helm = read_results_any(HELM_MMLU)
    ids = {i.rsplit("/", 1)[1]: s for i, s in zip(helm["item"], helm["score"])}
    assert {i.rsplit("/", 1)[1]: s for i, s in zip(frame["item"], frame["score"])} == ids


def test_real_aggregate_records():
    frame = read_results_any(AGGREGATE)
    assert detect_results_format(AGGREGATE) == "eee_aggregate"
    assert frame["model"].unique().tolist() == ["TencentARC/LLaMA-Pro-8B-Instruct"]
    assert set(frame["benchmark"]) == {"HF Open LLM v2"}
    assert frame["item"].tolist() == ["IFEval", "BBH", "MATH Level 5", "GPQA", "MUSR", "MMLU-PRO"]
    assert frame["score"].tolist() == [0.4486, 0.4224, 0.0249, 0.2743, 0.419, 0.1946]


def test_demo_pair_schema_0_3_and_directory():
    frame = read_eee_instances(DATA / "demo_instances__f3a1c0de_samples.jsonl")
    assert frame.to_dict("records") == [{"model": "demo-org/demo-model", "benchmark": "demo-source.demo_bench",
                                         "item": "demo-source.demo_bench/demo_0001", "score": 1.0}]
    both = read_eee_instances(DATA)
    assert both["model"].nunique() == 2 and len(both) == 11
    results = load_results(DATA, fmt="eee")
    assert results.n_models == 2 and results.n_items == 11
    aggregates = read_eee_aggregate(DATA)
    assert len(aggregates) == 7


def line(sample: str, score, result_id: str = "bench.acc", model: str = "org/m") -> str:
    return json.dumps({"schema_version": "0.3.0", "model_id": model, "evaluation_name": "bench",
                       "evaluation_result_id": result_id, "sample_id": sample,
                       "evaluation": {"score": score}})


def test_missing_score_names_line_and_sample(tmp_path):
    path = tmp_path / "x_samples.jsonl"
    path.write_text("\n".join([line("a", 1.0), line("b", None)]) + "\n")
    with pytest.raises(DataValidationError, match=r"x_samples.jsonl:2 \(sample_id 'b'\): evaluation.score is missing"):
        read_eee_instances(path)


def test_several_metrics_per_sample_must_be_chosen(tmp_path):
    path = tmp_path / "x_samples.jsonl"
    path.write_text("\n".join([line("a", 1.0), line("a", 0.3, "bench.f1"), line("b", 0.0),
                               line("b", 0.5, "bench.f1")]) + "\n")
    with pytest.raises(DataValidationError, match="several metrics.*bench.acc, bench.f1.*--results-metric"):
        read_eee_instances(path)
    assert read_eee_instances(path, metric="bench.f1")["score"].tolist() == [0.3, 0.5]


def test_lower_is_better_aggregate_is_refused(tmp_path):
    data = json.loads(AGGREGATE.read_text())
    data["evaluation_results"][1]["metric_config"]["lower_is_better"] = True
    path = tmp_path / "agg.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataValidationError, match=r"evaluation_results\[1\] \('BBH'\).*lower-is-better"):
        read_eee_aggregate(path)


def test_record_without_model_id(tmp_path):
    path = tmp_path / "x_samples.jsonl"
    path.write_text(json.dumps({"sample_id": "a", "evaluation_name": "b", "evaluation": {"score": 1}}) + "\n")
    with pytest.raises(InputFormatError, match=r"x_samples.jsonl:1: instance record lacks model_id"):
        read_eee_instances(path)

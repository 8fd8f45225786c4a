"""lm-evaluation-harness reader: the real 0.4.9 output, and generated runs in the same layout."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from benchalign.errors import DataValidationError, DataWarning, InputFormatError
from benchalign.io.formats import detect_results_format, read_results_any
from benchalign.io.formats.lm_eval import read_lm_eval
from benchalign.io.load import load_results

DATA = Path(__file__).parent / "data" / "formats" / "lm_eval"
REAL_MODEL = "RylanSchaeffer/mem_Qwen3-93M_minerva_math_rep_0_sbst_1.0000_epch_1_ot_1"
TS = "2024-05-01T10-00-00.000001"


def write_run(root: Path, model: str, tasks: dict[str, list[dict]], *, ts: str = TS,
              groups: dict[str, list[str]] | None = None, configs: dict[str, dict] | None = None) -> Path:
    """Write results_<ts>.json and samples_<task>_<ts>.jsonl the way lm_eval --log_samples does."""
    folder = root / model.replace("/", "__")
    folder.mkdir(parents=True, exist_ok=True)
    cfg = configs or {t: {"task": t, "metric_list": [{"metric": "acc"}, {"metric": "acc_norm"}]}
                      for t in tasks}
    results = {"results": {t: {"alias": t} for t in tasks}, "group_subtasks": groups or {},
               "configs": cfg, "model_name": model, "config": {"model": "hf"}}
    (folder / f"results_{ts}.json").write_text(json.dumps(results))
    for task, lines in tasks.items():
        text = "\n".join(json.dumps(line) for line in lines) + "\n"
        (folder / f"samples_{task}_{ts}.jsonl").write_text(text)
    return folder


def mc_lines(n: int, acc: list[float] | None = None) -> list[dict]:
    acc = acc or [float(i % 2) for i in range(n)]
    return [{"doc_id": i, "filter": "none", "metrics": ["acc", "acc_norm"], "acc": acc[i],
             "acc_norm": 1.0 - acc[i], "doc": {}, "resps": []} for i in range(n)]


def test_real_output_reads_ten_items_of_one_model():
    with pytest.warns(DataWarning, match="math_rephrased_full"):
        frame = read_results_any(DATA)
    assert detect_results_format(DATA) == "lm_eval"
    assert list(frame.columns) == ["model", "benchmark", "item", "score"]
    assert frame.shape == (10, 4)
    assert set(frame["model"]) == {REAL_MODEL}
    assert set(frame["benchmark"]) == {"math_perturbed_full"}
    assert list(frame["item"]) == [f"math_perturbed_full/{i}" for i in range(10)]
    assert (frame["score"] == 0.0).all()
    assert frame.attrs["source"] == str(DATA)


def test_real_results_file_path_and_load_results():
    file = next(DATA.rglob("results_*.json"))
    with pytest.warns(DataWarning):
        results = load_results(file)
    assert results.n_models == 1 and results.n_items == 10


def test_default_metric_is_first_of_metric_list_and_override(tmp_path):
    write_run(tmp_path, "org/a", {"arc_easy": mc_lines(4)})
    assert list(read_lm_eval(tmp_path)["score"]) == [0.0, 1.0, 0.0, 1.0]
    assert list(read_lm_eval(tmp_path, metric="acc_norm")["score"]) == [1.0, 0.0, 1.0, 0.0]


def test_unknown_metric_lists_available(tmp_path):
    write_run(tmp_path, "org/a", {"arc_easy": mc_lines(3)})
    with pytest.raises(InputFormatError, match=r"'exact_match'.*available: acc, acc_norm"):
        read_lm_eval(tmp_path, metric="exact_match")


def test_metric_list_picks_first_present_per_task(tmp_path):
    gen = [{"doc_id": i, "filter": "none", "metrics": ["exact_match"], "exact_match": 1.0}
           for i in range(2)]
    configs = {"arc_easy": {"metric_list": [{"metric": "acc"}, {"metric": "acc_norm"}]},
               "gsm8k": {"metric_list": [{"metric": "exact_match"}]}}
    write_run(tmp_path, "org/a", {"arc_easy": mc_lines(2), "gsm8k": gen}, configs=configs)
    frame = read_lm_eval(tmp_path, metric="acc_norm,exact_match")
    assert dict(zip(frame["item"], frame["score"])) == {
        "arc_easy/0": 1.0, "arc_easy/1": 0.0, "gsm8k/0": 1.0, "gsm8k/1": 1.0}


def gsm8k_lines() -> list[dict]:
    out = []
    for i in range(3):
        for flt, value in (("strict-match", 0.0), ("flexible-extract", 1.0)):
            out.append({"doc_id": i, "filter": flt, "metrics": ["exact_match"], "exact_match": value})
    return out


def test_filters_default_to_first_filter_list_entry(tmp_path):
    cfg = {"gsm8k": {"metric_list": [{"metric": "exact_match"}],
                     "filter_list": [{"name": "strict-match"}, {"name": "flexible-extract"}]}}
    write_run(tmp_path, "org/a", {"gsm8k": gsm8k_lines()}, configs=cfg)
    assert (read_lm_eval(tmp_path)["score"] == 0.0).all()
    assert (read_lm_eval(tmp_path, filter_name="flexible-extract")["score"] == 1.0).all()
    with pytest.raises(InputFormatError, match="has filters flexible-extract, strict-match"):
        read_lm_eval(tmp_path, filter_name="majority")


def test_several_filters_without_filter_list_must_be_chosen(tmp_path):
    cfg = {"gsm8k": {"metric_list": [{"metric": "exact_match"}]}}
    write_run(tmp_path, "org/a", {"gsm8k": gsm8k_lines()}, configs=cfg)
    with pytest.raises(InputFormatError, match="no samples with filter 'none'"):
        read_lm_eval(tmp_path)


def test_several_model_dirs_and_glob(tmp_path):
    write_run(tmp_path, "org/a", {"arc_easy": mc_lines(3)})
    write_run(tmp_path, "org/b", {"arc_easy": mc_lines(3, [1.0, 1.0, 1.0])})
    frame = read_lm_eval(tmp_path)
    assert sorted(frame["model"].unique()) == ["org/a", "org/b"]
    assert frame.shape == (6, 4)
    globbed = read_results_any(str(tmp_path / "org__*"), fmt="lm_eval")
    assert len(globbed) == 6
    results = load_results(tmp_path)
    assert results.n_models == 2 and results.n_items == 3


def test_group_tasks_take_top_level_group_as_benchmark(tmp_path):
    groups = {"mmlu": ["mmlu_stem"], "mmlu_stem": ["mmlu_anatomy", "mmlu_astronomy"]}
    write_run(tmp_path, "org/a", {"mmlu_anatomy": mc_lines(2), "mmlu_astronomy": mc_lines(2)},
              groups=groups)
    frame = read_lm_eval(tmp_path)
    assert set(frame["benchmark"]) == {"mmlu"}
    assert set(frame["item"]) == {"mmlu_anatomy/0", "mmlu_anatomy/1", "mmlu_astronomy/0",
                                  "mmlu_astronomy/1"}


def test_sample_missing_the_metric_names_doc_id_and_line(tmp_path):
    lines = mc_lines(3)
    del lines[1]["acc"]
    folder = write_run(tmp_path, "org/a", {"arc_easy": lines})
    with pytest.raises(DataValidationError, match=r"samples_arc_easy_.*\.jsonl:2: doc_id 1 has no value for metric 'acc'"):
        read_lm_eval(folder)


def test_non_numeric_metric_and_duplicate_doc(tmp_path):
    lines = mc_lines(2)
    lines[0]["acc"] = ["ref", "pred"]
    write_run(tmp_path, "org/a", {"arc_easy": lines})
    with pytest.raises(DataValidationError, match=r":1 \(doc_id 0\).*expected a finite number"):
        read_lm_eval(tmp_path)
    write_run(tmp_path, "org/b", {"arc_easy": mc_lines(2) + mc_lines(1)})
    with pytest.raises(DataValidationError, match="doc_id 0 appears twice"):
        read_lm_eval(tmp_path / "org__b")


def test_newer_run_of_same_task_wins_with_warning(tmp_path):
    write_run(tmp_path, "org/a", {"arc_easy": mc_lines(2, [0.0, 0.0])}, ts="2024-01-01T00-00-00.0")
    write_run(tmp_path, "org/a", {"arc_easy": mc_lines(2, [1.0, 1.0])}, ts="2024-02-01T00-00-00.0")
    with pytest.warns(DataWarning, match="using the newest"):
        frame = read_lm_eval(tmp_path)
    assert list(frame["score"]) == [1.0, 1.0]


def test_no_samples_means_no_log_samples(tmp_path):
    folder = write_run(tmp_path, "org/a", {"arc_easy": mc_lines(2)})
    next(folder.glob("samples_*")).unlink()
    with pytest.raises(InputFormatError, match="--log_samples"):
        read_lm_eval(tmp_path)


def test_truncated_jsonl_names_line(tmp_path):
    folder = write_run(tmp_path, "org/a", {"arc_easy": mc_lines(2)})
    sample = next(folder.glob("samples_*"))
    sample.write_text(sample.read_text() + '{"doc_id": 2, "acc"\n')
    with pytest.raises(InputFormatError, match=r"\.jsonl:3: not valid JSON"):
        read_lm_eval(tmp_path)


def test_no_results_file(tmp_path):
    with pytest.raises(InputFormatError, match="no lm-evaluation-harness results"):
        read_lm_eval(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert detect_results_format(tmp_path) is None

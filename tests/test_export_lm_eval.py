"""`benchalign export lm-eval`: the round trip through lm-evaluation-harness, and its errors.

Round trip: the fixture tasks (tests/data/lm_eval_task) run by six seeded models with
--log_samples -> fit and prune --k with given ratings -> export lm-eval -> the harness runs the
exported folder for a model -> the lm-eval reader reads it back. The harness's numbers must be
benchalign's: the aligned score equals `benchalign score` of the pruned benchmark, the plain
accuracy the harness's own on the source task, per document.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from benchalign.artifact import AlignedBenchmark, load_benchmark, score
from benchalign.data import results_from_frame
from benchalign.cli import cli
from benchalign.io.formats.lm_eval import read_lm_eval

from .lm_eval_harness import FIXTURE, require_lm_eval, run_harness

K = 10
TASKS = ["toyqa", "toyfn", "toygen"]
METRIC = {"toyqa": "acc", "toyfn": "acc", "toygen": "exact_match"}
"""The metric the lm-eval reader reads per task, so the x of the aligned score (toygen: under its
first filter, strict-match, which the exported task names `none`)."""
RATINGS = {"m1": 1210, "m2": 1100, "m3": 1005, "m4": 1150, "m5": 1060, "m6": 990}
NEW_MODEL = ("m7", 77)


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """Everything the round trip writes, built once: runs/, pruned.json, exported/, new/."""
    require_lm_eval()
    root = tmp_path_factory.mktemp("round_trip")
    for i, model in enumerate(RATINGS, start=1):
        run_harness(FIXTURE, TASKS, model, i, root / "runs")
    pd.DataFrame({"model": list(RATINGS), "rating": list(RATINGS.values())}).to_csv(
        root / "ratings.csv", index=False)
    for args in (["fit", "-o", root / "full.json"], ["prune", "--k", K, "-o", root / "pruned.json"]):
        res = run(args[0], "--results", root / "runs", "--preferences", root / "ratings.csv", *args[1:])
        assert res.exit_code == 0, res.output
    for bench, folder in (("pruned.json", "exported"), ("full.json", "exported_full")):
        res = run("export", "lm-eval", root / bench, "--results", root / "runs",
                  "-o", root / folder, "--preferences", root / "ratings.csv")
        assert res.exit_code == 0, res.output
    model, seed = NEW_MODEL
    # the new model on the exported groups, and on the source tasks (all documents)
    new = run_harness(root / "exported", ["exported"], model, seed, root / "new")
    run_harness(root / "exported_full", ["exported_full"], model, seed, root / "new_full")
    run_harness(FIXTURE, TASKS, model, seed, root / "source")
    return root, new


def test_round_trip_runs_exactly_the_kept_documents(round_trip):
    root, new = round_trip
    kept = load_benchmark(root / "pruned.json")
    assert len(kept.items) == K
    read = read_lm_eval(root / "new")
    assert sorted(read["item"]) == sorted(kept.items.tolist())
    assert sum(new["n-samples"][t]["effective"] for t in new["n-samples"]) == K
    # back to the source benchmarks and item ids
    assert set(read["benchmark"]) <= set(TASKS)


def test_round_trip_aligned_score_is_benchalign_score(round_trip):
    root, new = round_trip
    res = run("score", "--benchmark", root / "pruned.json", "--results", root / "new")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(io.StringIO(res.stdout))
    assert table["model"].tolist() == [NEW_MODEL[0]] and table["coverage"].iloc[0] == pytest.approx(1)
    harness = new["results"]["exported"]["aligned_benchmark,none"]
    assert harness == pytest.approx(table["score"].iloc[0], abs=1e-6)  # printed to 6 digits
    exact = score(load_benchmark(root / "pruned.json"), results_from_frame(read_lm_eval(root / "new")))
    # benchalign scores in float32 (the results matrix), the harness in float64
    assert harness == pytest.approx(exact["score"].iloc[0], abs=1e-7)
    # and the same model's run of the full source tasks scores the same (same prompts, same x)
    full = run("score", "--benchmark", root / "pruned.json", "--results", root / "source")
    assert pd.read_csv(io.StringIO(full.stdout))["score"].iloc[0] == pytest.approx(harness, abs=1e-6)


@pytest.mark.parametrize("bench, folder", [("pruned.json", "new"), ("full.json", "new_full")])
def test_round_trip_per_task_aligned_and_plain_accuracy(round_trip, bench, folder):
    """Per task: the harness's own metric equals the source run's on those documents, `aligned`
    is Σw·x/Σw of them; the full benchmark (every task, the generative one with its regex
    filter too) gives benchalign's score as well."""
    root, _ = round_trip
    kept = load_benchmark(root / bench)
    weight = dict(zip(kept.items, kept.weights))
    source = read_lm_eval(root / "source").set_index("item")["score"]
    exported = read_lm_eval(root / folder)
    results = json.loads(next((root / folder).rglob("results_*.json")).read_text())["results"]
    for task, frame in exported.groupby("benchmark"):
        metrics = results[f"{folder.replace('new', 'exported')}_{task}"]
        x = frame["score"].to_numpy()
        w = np.array([weight[i] for i in frame["item"]])
        assert metrics[f"{METRIC[task]},none"] == pytest.approx(x.mean(), abs=1e-12)
        assert metrics[f"{METRIC[task]},none"] == pytest.approx(source.loc[frame["item"]].mean(), abs=1e-12)
        assert metrics["aligned,none"] == pytest.approx((w * x).sum() / w.sum(), abs=1e-9)
    if bench == "full.json":
        assert set(exported["benchmark"]) == set(TASKS)
    group = results[folder.replace("new", "exported")]["aligned_benchmark,none"]
    exact = score(kept, results_from_frame(exported))["score"].iloc[0]
    assert group == pytest.approx(exact, abs=1e-7)


def test_round_trip_prompts_are_the_source_prompts(round_trip):
    """The same requests reach the model: the include route (toyfn, a Python prompt) and the
    fields route (toyqa) both reproduce the source task's arguments for every kept document."""
    root, _ = round_trip
    source = _arguments(root / "source", by_item=False)
    exported = _arguments(root / "new", by_item=True)
    assert len(exported) == K
    for item, args in exported.items():
        assert args == source[item], item
    yaml = {t: (root / "exported" / f"exported_{t}.yaml").read_text() for t in TASKS}
    assert "include:" in yaml["toyfn"] and "include:" not in yaml["toyqa"]


def _arguments(run_dir: Path, by_item: bool) -> dict[str, object]:
    out = {}
    for path in run_dir.rglob("samples_*.jsonl"):
        task = path.name.split("_")[1]
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            key = rec["doc"]["benchalign_item"] if by_item else f"{task}/{rec['doc_id']}"
            out[key] = rec["arguments"]
    return out


def test_export_folder_contents_and_provenance(round_trip):
    root, _ = round_trip
    folder = root / "exported"
    weights = json.loads((folder / "weights.json").read_text())
    kept = load_benchmark(root / "pruned.json")
    assert weights["weights"] == pytest.approx(dict(zip(kept.items.tolist(), kept.weights.tolist())))
    assert weights["n_docs"] == K
    assert "benchalign" not in (folder / "utils.py").read_text().split('"""', 2)[2].replace(
        "benchalign_item", "")
    readme = (folder / "README.md").read_text()
    assert hashlib.sha256((root / "pruned.json").read_bytes()).hexdigest() in readme
    command = (f"benchalign export lm-eval {root / 'pruned.json'} --results {root / 'runs'} "
               f"-o {root / 'exported'} --preferences {root / 'ratings.csv'}")
    assert f"* command: `{command}`" in readme
    assert hashlib.sha256((root / "ratings.csv").read_bytes()).hexdigest() in readme
    full = root / "exported_full"
    assert "`exact_match` (filter `strict-match`, named `none` here)" in (full / "README.md").read_text()
    yaml = (full / "exported_full_toygen.yaml").read_text()
    assert 'filter_list: [{"name": "none", "filter": [{"function": "regex"' in yaml
    assert '{"name": "flexible"' in yaml


def test_export_refuses_to_overwrite(round_trip):
    root, _ = round_trip
    res = CliRunner().invoke(cli, ["export", "lm-eval", str(root / "pruned.json"), "--results",
                                   str(root / "runs"), "-o", str(root / "exported")])
    assert res.exit_code == 2 and "--force" in res.output


def test_question_without_logged_doc_is_an_error(round_trip, tmp_path):
    root, _ = round_trip
    bench = AlignedBenchmark(np.array(["toyqa/3", "toyqa/999", "other/1"], dtype=object),
                             np.array(["toyqa", "toyqa", "other"], dtype=object), np.full(3, 1 / 3))
    bench.save(tmp_path / "b.json")
    res = CliRunner().invoke(cli, ["export", "lm-eval", str(tmp_path / "b.json"), "--results",
                                   str(root / "runs"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2 and "other/1" in res.output and "no run logged" in res.output
    bench = AlignedBenchmark(bench.items[:2], bench.benchmarks[:2], np.full(2, 0.5))
    bench.save(tmp_path / "b2.json")
    res = CliRunner().invoke(cli, ["export", "lm-eval", str(tmp_path / "b2.json"), "--results",
                                   str(root / "runs"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2 and "toyqa/999" in res.output and "no logged doc" in res.output
    assert not (tmp_path / "out").exists()


def test_results_not_from_lm_eval_is_an_error(tmp_path):
    bench = AlignedBenchmark(np.array(["toyqa/3"], dtype=object), np.array(["toyqa"], dtype=object),
                             np.ones(1))
    bench.save(tmp_path / "b.json")
    (tmp_path / "csv_results").mkdir()
    (tmp_path / "csv_results" / "results.csv").write_text("model,benchmark,item,score\na,t,t/1,1\n")
    res = CliRunner().invoke(cli, ["export", "lm-eval", str(tmp_path / "b.json"), "--results",
                                   str(tmp_path / "csv_results"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "not lm-evaluation-harness output" in res.output and "--doc-list" in res.output


def test_doc_list_form(tmp_path):
    bench = AlignedBenchmark(np.array(["arc_challenge/660", "gsm8k/74", "arc_challenge/12"], dtype=object),
                             np.array(["arc", "gsm8k", "arc"], dtype=object), np.array([0.2, 0.5, 0.3]))
    bench.save(tmp_path / "b.json")
    res = run("export", "lm-eval", tmp_path / "b.json", "--doc-list", "-o", tmp_path / "kept.jsonl")
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in (tmp_path / "kept.jsonl").read_text().splitlines()]
    assert [(r["task"], r["doc_id"], r["weight"]) for r in rows] == [
        ("gsm8k", 74, 0.5), ("arc_challenge", 12, 0.3), ("arc_challenge", 660, 0.2)]
    samples = json.loads((tmp_path / "kept.samples.json").read_text())
    assert samples == {"arc_challenge": [12, 660], "gsm8k": [74]}
    assert "--samples" in res.output and "arc_challenge,gsm8k" in res.output


def test_doc_list_needs_task_and_doc_ids(tmp_path):
    bench = AlignedBenchmark(np.array(["arc/q1", "arc/2"], dtype=object),
                             np.array(["arc", "arc"], dtype=object), np.array([0.5, 0.5]))
    bench.save(tmp_path / "b.json")
    res = CliRunner().invoke(cli, ["export", "lm-eval", str(tmp_path / "b.json"), "--doc-list",
                                   "-o", str(tmp_path / "kept.jsonl")])
    assert res.exit_code == 2 and "arc/q1" in res.output and "<task>/<doc_id>" in res.output


def test_doc_list_runs_in_the_harness(round_trip, tmp_path):
    """The --samples JSON runs exactly the listed documents of the source tasks, and their
    samples score with the benchmark directly (item ids are the harness's own)."""
    root, _ = round_trip
    res = run("export", "lm-eval", root / "pruned.json", "--doc-list", "-o", tmp_path / "kept.jsonl")
    assert res.exit_code == 0, res.output
    samples = json.loads((tmp_path / "kept.samples.json").read_text())
    run_harness(FIXTURE, sorted(samples), *NEW_MODEL, tmp_path / "listed", samples=samples)
    read = read_lm_eval(tmp_path / "listed")
    assert sorted(read["item"]) == sorted(load_benchmark(root / "pruned.json").items.tolist())


def test_readme_test_command_is_the_ci_command():
    """CI runs the README's test command, which installs lm-eval, so the round trip runs there."""
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    command = "python3 -m pip install '.[test,lm-eval]' && python3 -m pytest"
    assert command in readme
    assert command in (root / ".ci" / "run").read_text(encoding="utf-8")


def test_exported_sample_without_item_id_is_an_error(round_trip, tmp_path):
    import shutil

    from benchalign.errors import DataValidationError

    root, _ = round_trip
    shutil.copytree(root / "new", tmp_path / "new")
    path = next((tmp_path / "new").rglob("samples_exported_toyqa_*.jsonl"))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    del lines[0]["doc"]["benchalign_item"]
    path.write_text("\n".join(json.dumps(rec) for rec in lines) + "\n")
    with pytest.raises(DataValidationError, match="benchalign_item"):
        read_lm_eval(tmp_path / "new")


def test_few_shot_source_keeps_its_example_split(tmp_path):
    """A source run with few-shot examples: the exported task draws them from the source
    dataset's few-shot split; with none (examples from the evaluation documents) it cannot."""
    from benchalign.errors import ExportError
    from benchalign.export.lm_eval import LoggedTask, _task_yaml

    config = {"task": "arc_easy", "dataset_path": "allenai/ai2_arc", "dataset_name": "ARC-Easy",
              "training_split": "train", "test_split": "test", "num_fewshot": 25,
              "doc_to_text": "Question: {{question}}\nAnswer:", "output_type": "multiple_choice"}
    task = LoggedTask("arc_easy", "arc_easy", config, 25, tmp_path / "s.jsonl")
    yaml, included = _task_yaml("x_arc_easy", task, "docs_arc_easy.jsonl")
    assert not included
    assert 'fewshot_split: "train"' in yaml and '"path": "allenai/ai2_arc"' in yaml
    assert 'doc_to_text: "Question: {{question}}\\nAnswer:"' in yaml
    config = {k: v for k, v in config.items() if k != "training_split"}
    with pytest.raises(ExportError, match="few-shot"):
        _task_yaml("x", LoggedTask("arc_easy", "arc_easy", config, 25, tmp_path / "s.jsonl"), "d.jsonl")


def test_force_replaces_the_folder_as_a_whole(round_trip, tmp_path):
    root, _ = round_trip
    out = tmp_path / "tasks"
    out.mkdir()
    (out / "stale.yaml").write_text("task: stale\n")
    res = run("export", "lm-eval", root / "pruned.json", "--results", root / "runs", "-o", out, "--force")
    assert res.exit_code == 0, res.output
    assert not (out / "stale.yaml").exists() and (out / "tasks.yaml").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks"]  # no temporary folder left

"""`check` on the shipped real cases names the problems known in them (issue 15)."""

from __future__ import annotations

import pytest

from benchalign.check import CheckReport, check
from benchalign.datasets import load_case
from benchalign.errors import BenchAlignError


def checked(name: str) -> CheckReport:
    try:
        case = load_case(name)
    except BenchAlignError:
        pytest.skip(f"the {name} case is not shipped in this version of the package")
    return check(case.results, case.preferences)


def findings(report: CheckReport, code: str, severity: str | None = None) -> set[str]:
    """Model names of the findings with ``code`` (and ``severity``)."""
    return {m for f in report.findings if f.code == code and severity in (None, f.severity)
            for m in f.models}


@pytest.fixture(scope="module")
def metabench() -> CheckReport:
    return checked("metabench")


def test_metabench_rated_models_lacking_whole_benchmarks(metabench):
    lacking = findings(metabench, "missing-benchmarks", "warning")
    assert len(lacking) == 21                       # of 33 rated; 12 have all five benchmarks
    assert {"HuggingFaceH4/zephyr-7b-beta", "lmsys/vicuna-33b-v1.3", "databricks/dolly-v2-12b"} <= lacking
    assert not {"01-ai/Yi-34B-Chat", "openchat/openchat_3.5", "google/gemma-2b-it"} & lacking
    assert metabench.summary["n_rated_in_results"] == 33 and metabench.exit_code == 0


def test_alpacaeval2_degenerate_and_judge_gaming_entries():
    report = checked("alpacaeval2")
    degenerate = findings(report, "degenerate-model")
    assert {"NullModel", "gpt4_gamed"} <= degenerate
    assert "gpt4_1106_preview" in findings(report, "degenerate-model", "warning")  # the judge's reference
    assert len(degenerate) == 3


def test_livecodebench_failed_execution_run():
    report = checked("livecodebench")
    outliers = [f for f in report.findings if f.code == "benchmark-outlier" and f.severity == "warning"]
    assert len(outliers) == 1
    assert outliers[0].models == ("claude-3-haiku-20240307",)
    assert outliers[0].benchmarks == ("lcb_execution",)


def test_alpacaeval1_falcons_are_copies():
    report = checked("alpacaeval1")
    groups = [set(f.models) for f in report.findings if f.code == "near-duplicate"]
    assert {"falcon-7b-instruct", "falcon-40b-instruct"} in groups
    assert any("identical" in f.message for f in report.findings if f.code == "near-duplicate")

"""Running lm-evaluation-harness in the tests: offline, in this process, on deterministic models.

``hashlm`` is a test-only model: the log-likelihood of a continuation is a hash of (seed, context,
continuation), so a "model" (a seed) answers a prompt the same way in every run and in any order,
and two models differ. A task whose prompts are reproduced exactly gets exactly the same results.
Runs write what ``lm_eval run --log_samples --output_path OUT`` writes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

FIXTURE = Path(__file__).parent / "data" / "lm_eval_task"


def require_lm_eval() -> None:
    """Skip without lm-eval, except in CI (CI=true), where the round trip must run: fail there."""
    try:
        import lm_eval  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("lm-eval is not installed but CI=true: the export round trip must run in "
                        "CI; install the test extras with lm-eval: pip install '.[test,lm-eval]'.")
        pytest.skip("lm-eval not installed (pip install 'benchalign[lm-eval]')")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _register()


def _register() -> None:
    from lm_eval.api.model import LM
    from lm_eval.api.registry import MODEL_REGISTRY, register_model

    if "hashlm" in MODEL_REGISTRY:
        return

    @register_model("hashlm")
    class HashLM(LM):
        def __init__(self, seed: str = "0", **_: Any) -> None:
            super().__init__()
            self.seed = str(seed)

        @classmethod
        def create_from_arg_string(cls, arg_string: str, additional_config: dict | None = None) -> "HashLM":
            args = dict(kv.split("=", 1) for kv in arg_string.split(",") if kv)
            return cls(seed=args.get("seed", "0"))

        def _ll(self, context: str, continuation: str) -> float:
            digest = hashlib.sha256(f"{self.seed}|{context}|{continuation}".encode()).digest()
            return -int.from_bytes(digest[:6], "big") / 2**48

        def loglikelihood(self, requests, disable_tqdm: bool = False):  # noqa: ANN001
            return [(self._ll(*req.args[:2]), False) for req in requests]

        def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):  # noqa: ANN001
            return [self._ll(req.args[0], "") for req in requests]

        def generate_until(self, requests, disable_tqdm: bool = False):  # noqa: ANN001
            # "<n> apples", n in 2..6: a regex filter finds the number, a plain one does not
            return [f" {int(-self._ll(req.args[0], '') * 10) % 5 + 2} apples" for req in requests]


def run_harness(include: Path, tasks: list[str], model: str, seed: int, out: Path,
                samples: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """``lm_eval run --model hashlm --model_args pretrained=<model>,seed=<seed> --include_path
    <include> --tasks ... --log_samples --output_path <out> [--samples ...]``, in this process,
    indexing only ``include`` (the harness's own task index takes seconds to build)."""
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    tracker = EvaluationTracker(output_path=str(out))
    results = simple_evaluate(
        model="hashlm", model_args=f"pretrained={model},seed={seed}", tasks=tasks,
        task_manager=TaskManager(include_path=str(include), include_defaults=False),
        log_samples=True, samples=samples, evaluation_tracker=tracker, bootstrap_iters=0)
    logged = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=logged)
    for task in results["configs"]:
        tracker.save_results_samples(task_name=task, samples=logged[task])
    return results

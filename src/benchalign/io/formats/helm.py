"""HELM run directories (``benchmark_output/runs/<suite>/<run name>/``).

Each run directory holds ``run_spec.json`` (model in ``adapter_spec.model``, scenario in ``name`` and
``groups``) and ``per_instance_stats.json``: a list of ``{instance_id, train_trial_index,
[perturbation], stats: [{name: {name, split, [perturbation]}, mean, count, ...}]}``.

Out comes the long table: model = ``adapter_spec.model`` (e.g. ``openai/gpt2``); benchmark = the
run's first group (``mmlu``); item = ``<run name without model>/<instance_id>``; score = the ``mean``
of the chosen metric's stat on the unperturbed instance, averaged over train trials when a run
has several (as HELM does).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import DataValidationError, InputFormatError
from ._common import Row, as_score, expand_paths, long_frame, read_json

MAIN_METRIC = {
    # run group -> main metric, as in HELM's schema_classic.yaml / schema_lite.yaml (main_name).
    "mmlu": "exact_match", "boolq": "quasi_exact_match", "narrative_qa": "f1_score",
    "natural_qa_closedbook": "f1_score", "natural_qa_openbook_longans": "f1_score",
    "quac": "f1_score", "hellaswag": "exact_match", "openbookqa": "exact_match",
    "truthful_qa": "exact_match", "imdb": "quasi_exact_match", "raft": "quasi_exact_match",
    "civil_comments": "quasi_exact_match", "summarization_cnndm": "rouge_2",
    "summarization_xsum": "rouge_2", "msmarco_regular": "RR@10", "msmarco_trec": "NDCG@10",
    "gsm": "final_number_exact_match", "math_chain_of_thought": "math_equiv_chain_of_thought",
    "legalbench": "quasi_exact_match", "med_qa": "quasi_exact_match", "wmt_14": "bleu_4",
    "bbq": "quasi_exact_match", "babi_qa": "quasi_exact_match", "lsat_qa": "quasi_exact_match",
    "entity_matching": "quasi_exact_match", "entity_data_imputation": "quasi_exact_match",
    "synthetic_reasoning": "quasi_exact_match", "legal_support": "quasi_exact_match",
    "dyck_language": "exact_match_indicator", "wikifact": "quasi_exact_match",
}


def is_helm_run(path: Path) -> bool:
    """True for a directory with ``per_instance_stats.json`` and ``run_spec.json`` (or a parent of some)."""
    if path.is_file():
        return path.name in ("per_instance_stats.json", "run_spec.json")
    return (path / "per_instance_stats.json").exists() or any(
        True for _ in path.rglob("per_instance_stats.json")
    )


def find_run_dirs(path: str | Path) -> list[Path]:
    """Run directories under a run directory, a suite directory, a glob, or a run's JSON file."""
    found: list[Path] = []
    for p in expand_paths(path):
        if p.is_file():
            p = p.parent
        found.extend(sorted(q.parent for q in p.rglob("per_instance_stats.json")))
    if not found:
        raise InputFormatError(
            f"{path}: no HELM per_instance_stats.json found. Pass a run directory "
            "(benchmark_output/runs/<suite>/<run>) or a suite directory."
        )
    return sorted(set(found))


def read_helm(path: str | Path, metric: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Read HELM run directories into a long results table.

    metric : HELM stat name(s) (e.g. ``exact_match``, ``f1_score``); per run, the first one the
        run has. Default: the run group's main metric (``exact_match`` for mmlu, ``f1_score`` for
        narrative_qa, ...); a run of an unlisted group needs an explicit metric.

    Returns a DataFrame ``model, benchmark, item, score``.
    """
    wanted = [metric] if isinstance(metric, str) else list(metric or [])
    wanted = [m.strip() for w in wanted for m in w.split(",") if m.strip()]
    rows: list[Row] = []
    for run_dir in find_run_dirs(path):
        rows.extend(_run_rows(run_dir, wanted))
    return long_frame(rows, str(path))


def _run_spec(run_dir: Path) -> tuple[str, str, str, list[str]]:
    """(model, benchmark, run key, groups) of a run."""
    spec_path = run_dir / "run_spec.json"
    if not spec_path.exists():
        raise InputFormatError(
            f"{run_dir}: per_instance_stats.json without run_spec.json; the model name is read from "
            "run_spec.json. Copy the whole HELM run directory."
        )
    spec = read_json(spec_path)
    model = (spec.get("adapter_spec") or {}).get("model") if isinstance(spec, dict) else None
    name = spec.get("name") if isinstance(spec, dict) else None
    if not model or not name:
        raise InputFormatError(
            f"{spec_path}: needs 'name' and 'adapter_spec.model'; is this a HELM run_spec.json?"
        )
    groups = [str(g) for g in spec.get("groups") or []]
    run_key = ",".join(p for p in str(name).split(",") if not p.startswith("model="))
    benchmark = groups[0] if groups else str(name).split(":", 1)[0]
    return str(model), benchmark, run_key, groups


def _run_rows(run_dir: Path, wanted: list[str]) -> list[Row]:
    model, benchmark, run_key, groups = _run_spec(run_dir)
    stats_path = run_dir / "per_instance_stats.json"
    records = read_json(stats_path)
    if not isinstance(records, list):
        raise InputFormatError(f"{stats_path}: expected a JSON list of instance records.")
    metric = _choose_metric(stats_path, records, wanted, groups)
    sums: dict[str, list[float]] = {}
    origin: dict[str, str] = {}
    for i, rec in enumerate(records):
        if rec.get("perturbation"):
            continue  # perturbed copies of an instance measure robustness, not the question
        where = f"{stats_path}[{i}] (instance_id {rec.get('instance_id')!r})"
        if "instance_id" not in rec:
            raise DataValidationError(f"{where}: record has no instance_id. Is the file complete?")
        stat = _find_stat(rec, metric)
        if stat is None:
            raise DataValidationError(
                f"{where}: no unperturbed '{metric}' stat. Choose a metric every instance has, "
                "or re-run HELM for this instance."
            )
        value = as_score(stat.get("mean"), where, f"stat '{metric}' mean",
                         "HELM leaves 'mean' out when count is 0; choose another metric.")
        sums.setdefault(str(rec["instance_id"]), []).append(value)
        origin.setdefault(str(rec["instance_id"]), where)
    return [Row(model, benchmark, f"{run_key}/{iid}", sum(v) / len(v), origin[iid])
            for iid, v in sums.items()]


def _find_stat(rec: dict[str, Any], metric: str) -> dict[str, Any] | None:
    for stat in rec.get("stats") or []:
        name = stat.get("name") or {}
        if name.get("name") == metric and not name.get("perturbation"):
            return stat
    return None


def _choose_metric(path: Path, records: list[dict[str, Any]], wanted: list[str],
                   groups: list[str]) -> str:
    available = sorted({(s.get("name") or {}).get("name") for r in records
                        for s in r.get("stats") or [] if (s.get("name") or {}).get("name")})
    if not wanted:
        main = [MAIN_METRIC[g] for g in groups if g in MAIN_METRIC]
        if not main:
            raise InputFormatError(
                f"{path}: no known main metric for run group(s) {', '.join(groups) or '(none)'}; "
                f"pass a metric (--results-metric), one of: {', '.join(available)}."
            )
        wanted = main
    for name in wanted:
        if name in available:
            return name
    raise InputFormatError(
        f"{path}: metric {', '.join(map(repr, wanted))} not in this run; available stats: "
        f"{', '.join(available)}. Pass one of them (--results-metric)."
    )

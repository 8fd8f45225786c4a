"""`benchalign demo`: the evaluation and the report of the real cases shipped in the package."""

from __future__ import annotations

import time

import click

from ..check import check
from ..data import link
from ..datasets import DEMO_CASES, load_case
from ..evaluation.baselines import METHODS
from ..evaluation.splits import parse_split
from ..io.items import item_texts
from ..outputs import Outputs
from ..report.build import build_case
from ..report.html import render_report
from . import cli
from .common import check_outputs, evaluation_json, force_option, run_and_print, seed_option, stage


DEMO_SPLITS = {"metabench": ("random", "size:13"), "alpacaeval2": ("random",)}
DEMO_REPORT = "benchalign-demo-report.html"
DEMO_CURVES = {"learning_repeats": 2, "prune_repeats": 3}
"""The demo report's curves use few splits to keep the demo short; `benchalign report` uses more."""


@cli.command()
@click.option("--case", "cases", type=click.Choice(DEMO_CASES + ("all",)), default="all",
              show_default=True, help="Which shipped real case to run.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the evaluation of every case as JSON (replaces a JSON file an "
                   "earlier demo wrote; any other existing file needs --force).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=DEMO_REPORT,
              show_default=True, help="Where to write the HTML report of the cases (replaces a "
                                      "report an earlier demo wrote, so the demo can be run again; "
                                      "any other existing file needs --force).")
@seed_option
@force_option
def demo(cases: str, json_path: str | None, report_path: str, seed: int, force: bool) -> None:
    """Evaluate benchalign on the real data shipped inside the package.

    metabench: Open LLM Leaderboard v1, 6,349 models x 1,075 questions, 33 with Arena ratings
    (random and size splits). alpacaeval2: AlpacaEval 2.0, 58 models x 805 instructions, 14
    rated. Data licenses: CC BY-NC-SA 4.0 and CC BY-NC 4.0 (see benchalign/datasets/README.md).
    Writes an HTML report (see `benchalign report`) to --report; running the demo again
    replaces the report (and JSON) of the earlier run. Progress goes to stderr: a bar per step
    on a terminal, else a line per step with the time since the start.
    """
    check_outputs({"report": force or _demo_wrote(report_path, DEMO_REPORT_MARK),
                   "json": force or _demo_wrote(json_path, DEMO_JSON_MARK)},
                  report=report_path, json=json_path)
    out, sections = {}, []
    with Outputs() as files:  # the report and the JSON, or neither
        for name in DEMO_CASES if cases == "all" else (cases,):
            out[name], section = _demo_case(name, seed)
            sections.append(section)
        if json_path:
            files.write(json_path, evaluation_json({"schema": DEMO_SCHEMA, **out}), force=True)  # checked above
        files.write(report_path, render_report(sections, title=DEMO_TITLE), force=True)
    for path in files.written:
        click.echo(f"wrote {path}", err=True)


def _demo_case(name: str, seed: int) -> tuple[dict, object]:
    """Evaluate one shipped case (printing its table) and build its report section."""
    start = time.perf_counter()
    with stage(f"{name}: loading the shipped case"):
        case = load_case(name)
        linked = link(case.results, case.preferences)
    click.echo(f"== {name}: {case.results.n_models} models x {case.results.n_items} items, "
               f"{len(linked.rated)} rated ==")
    evaluation = run_and_print(case.results, linked, splits=list(DEMO_SPLITS[name]),
                               models=case.models, seed=seed, n_bootstrap=1000,
                               methods=dict(METHODS), inputs={"case": name}, name=name)
    section = build_case(name, case.results, linked, models=case.models,
                         texts=item_texts(case.items), seed=seed, evaluation=evaluation,
                         splits=[parse_split(s) for s in DEMO_SPLITS[name]],
                         checked=check(case.results, case.preferences), stage=stage,
                         **DEMO_CURVES)
    click.echo(f"({name} took {time.perf_counter() - start:.0f} s)\n")
    return evaluation.to_dict(), section


DEMO_TITLE = "benchalign demo report"
DEMO_REPORT_MARK = f"<title>{DEMO_TITLE}</title>"
DEMO_SCHEMA = "benchalign.demo/1"
DEMO_JSON_MARK = f'"schema": "{DEMO_SCHEMA}"'
"""The demo's JSON starts with this; an evaluate JSON (another schema) is never taken for it."""


def _demo_wrote(path: str | None, mark: str) -> bool:
    """Whether ``path`` is a file an earlier demo wrote (its first 2 KB hold the demo's mark), so
    that the demo may replace it without --force."""
    try:
        with open(path or "", "rb") as fh:
            return mark.encode() in fh.read(2048)
    except OSError:
        return False

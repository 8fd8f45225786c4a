"""The HTML report, rendered: :func:`render_report` turns one
:class:`~benchalign.report.build.CaseReport` per data set into a single self-contained page (inline
CSS, figures as SVG data URIs, no script, no network); the page frame and table helpers are shared
with the populations and suggest pages.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._version import __version__
from ..metrics import METRICS
from ..prune import curve_table
from . import plots
from .populations import populations_html
from .build import CaseReport

TOP_ITEMS, BOTTOM_ITEMS, TEXT_WIDTH = 15, 10, 220

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
color:#1d1d1f;background:#fafafa;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:1.7em;margin:0.2em 0}h2{font-size:1.35em;margin-top:2.2em;border-bottom:2px solid #1f5fa8;
padding-bottom:4px}h3{font-size:1.1em;margin-top:1.6em}
section{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:6px 18px 14px;margin:14px 0}
table{border-collapse:collapse;font-size:0.86em;margin:8px 0}
th,td{padding:3px 9px;border-bottom:1px solid #e6e6e6;text-align:right;vertical-align:top}
th{background:#f1f4f8;font-weight:600}td.l,th.l{text-align:left}
td.text{text-align:left;max-width:560px;font-size:0.92em;color:#333;white-space:pre-wrap}
tr.aligned td{background:#eef4fb;font-weight:600}
.pos{color:#17803d}.neg{color:#b3261e}.muted{color:#666;font-size:0.9em}
img{max-width:100%;height:auto;display:block;margin:8px 0}
nav a{margin-right:14px}.kpi{display:inline-block;margin-right:28px}.kpi b{font-size:1.3em}
"""


def render_report(cases: Sequence[CaseReport], *, title: str = "benchalign report") -> str:
    """One self-contained HTML page with a block of sections per case."""
    nav = " ".join(f'<a href="#{_id(c.name)}">{_e(c.name)}</a>' for c in cases)
    body = "\n".join(_case_html(c) for c in cases)
    return html_page(title, "Held-out evaluation of the aligned benchmark against baselines, where "
                     "its weight goes, how it learns, and how far it can be pruned.",
                     f"<nav>{nav}</nav>\n{body}")


def html_page(title: str, intro: str, body: str) -> str:
    """A self-contained HTML page in the report's style: ``title`` as heading, ``intro`` (plain
    text, escaped here) under it with the package version, then ``body`` (HTML)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"benchalign {_e(__version__)}\">\n"
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_e(title)}</h1>\n<p class=\"muted\">{_e(intro)} "
        f"benchalign {_e(__version__)}.</p>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _id(name: str) -> str:
    return "case-" + "".join(ch if ch.isalnum() else "-" for ch in name)


def _section(case: CaseReport, key: str, heading: str, content: str) -> str:
    return (f'<section id="{_id(case.name)}-{key}" data-section="{key}">\n'
            f"<h3>{_e(heading)}</h3>\n{content}\n</section>")


def _img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{_e(alt)}">'


def _case_html(case: CaseReport) -> str:
    ev = case.evaluation
    head = (f'<h2 id="{_id(case.name)}">{_e(case.name)}</h2>\n<p>{ev["n_models"]} models × '
            f'{ev["n_items"]} items; preferences ({_e(ev["preference_kind"])}) about '
            f'{ev["n_rated"]} models; seed {ev["seed"]}, {ev["n_bootstrap"]} bootstrap resamples.</p>')
    if case.inputs:
        head += f'\n<p class="muted" data-provenance>Inputs: {_e(case.inputs)}</p>'
    parts = [head] + ([_section(case, "check", "Data check", _check_html(case.check))]
                      if case.check is not None else []) + [
        _section(case, "evaluation", "Held-out evaluation", _evaluation_html(ev)),
        _section(case, "heldout", "Aligned vs uniform score of held-out models", _heldout_html(case)),
        _section(case, "weights", "Where the weight goes", _weights_html(case)),
        _section(case, "learning", "Learning curve", _learning_html(case)),
        _section(case, "pruning", "Pruned benchmark: accuracy vs K", _prune_html(case)),
    ]
    if case.populations is not None:
        parts.append(_section(case, "populations", "Populations", populations_html(
            case.populations, case.items, case.benchmarks, case.texts)))
    return "\n".join(parts)


def _stat(stat: dict, signed: bool = False) -> str:
    lo, hi = stat["ci"]
    sign = "+" if signed else ""
    text = f"{stat['mean']:{sign}.3f} <span class=\"muted\">[{lo:{sign}.3f}, {hi:{sign}.3f}]</span>"
    if signed and np.isfinite(lo) and (lo > 0 or hi < 0):
        return f'<span class="{"pos" if lo > 0 else "neg"}">{text}</span>'
    return text


def _evaluation_html(ev: dict) -> str:
    names = {"pairwise_accuracy": "pairwise acc.", "spearman": "Spearman",
             "kendall_tau_b": "Kendall τ<sub>b</sub>", "agreement_ci": "agreement w/ conf."}
    blocks = []
    for split, fam in ev["splits"].items():
        shown = [m for m in METRICS if m in next(iter(fam["methods"].values()))]  # older files lack some
        head = ('<tr><th class="l">method</th>' + "".join(f"<th>{names[m]}</th>" for m in shown)
                + "".join(f"<th>Δ {names[m]} vs uniform</th>" for m in shown) + "</tr>")
        rows = []
        for method, entry in fam["methods"].items():
            paired = entry.get("paired_vs_uniform")
            cells = "".join(f"<td>{_stat(entry[m])}</td>" for m in shown)
            cells += "".join(f"<td>{_stat(paired[m], True) if paired else '—'}</td>" for m in shown)
            cls = ' class="aligned"' if method == "aligned" else ""
            rows.append(f'<tr{cls}><td class="l">{_e(method)}</td>{cells}</tr>')
        blocks.append(
            f"<h4>split {_e(split)}</h4><p class=\"muted\">{_e(fam['description'])}; "
            f"{fam['n_splits']} splits ({fam['n_skipped']} skipped), {fam['n_train_models']:.1f} "
            f"training / {fam['n_test_models']:.1f} held-out models on average. Mean with "
            f"{ev['ci_level']:.0%} bootstrap CI over held-out models; Δ is the paired difference "
            f"to the uniform mean on the same resamples (green/red: CI excludes 0).</p>"
            f"<table>{head}{''.join(rows)}</table>" + _ceiling_text(ev, split, fam)
            + _separability_text(fam)
        )
    return "\n".join(blocks)


def _check_html(checked: dict) -> str:
    """The data check's error and warning findings (the notes are counted, not listed)."""
    shown = [f for f in checked["findings"] if f["severity"] != "info"]
    notes = len(checked["findings"]) - len(shown)
    rows = "".join(f'<tr><td class="l">{_e(f["severity"])}</td><td class="l">{_e(f["code"])}</td>'
                   f'<td class="text">{_e(f["message"])}</td><td class="text">{_e(f["fix"])}</td></tr>'
                   for f in shown)
    table = ('<table><tr><th class="l">severity</th><th class="l">check</th><th class="l">finding'
             f'</th><th class="l">what to do</th></tr>{rows}</table>') if shown else ""
    return (f"<p>{len(shown)} findings to look at before trusting the numbers below, and {notes} "
            "notes (<code>benchalign check</code> lists them all).</p>" + table)


def _ceiling_text(ev: dict, split: str, fam: dict) -> str:
    """'aligned 0.81 of an attainable 0.93' when the noise ceiling of the split is known."""
    top = ev.get("ceiling", {}).get(split)
    if top is None:
        return ""
    aligned = fam["methods"].get("aligned", {}).get("pairwise_accuracy", {}).get("mean")
    got = f"aligned {aligned:.3f} of " if aligned is not None else ""
    return (f"<p><b>{got}an attainable {top:.3f}</b> <span class=\"muted\">(noise ceiling: the "
            "pairwise accuracy a perfect scorer could expect on these held-out pairs given the "
            "preferences' own uncertainty)</span></p>")


def _separability_text(fam: dict) -> str:
    """The preferences' separability of a split family: what agreement with confidence can reach."""
    sep = fam.get("preference_separability")
    if sep is None:
        return ""
    return (f"<p>The preferences separate {_stat(sep)} of the held-out pairs with confidence "
            "<span class=\"muted\">(separability: the most agreement with confidence can reach; "
            "agreement scores +1 / −1 for each such pair a method orders their way / the other "
            "way, 0 for the rest; docs/evaluation.md)</span></p>")


def _heldout_html(case: CaseReport) -> str:
    frame = case.heldout
    stats = []
    for method in ("aligned", "uniform"):
        rho = frame[method].rank().corr(frame["rating"].rank())
        stats.append(f"{method}: Spearman {rho:.3f}")
    uri = plots.heldout_scatter(frame, case.rating_label, "")
    return (f"<p>{_e(case.heldout_note)} {len(frame)} held-out models; "
            f"{_e('; '.join(stats))}.</p>\n" + _img(uri, "aligned and uniform score vs rating"))


def _weights_html(case: CaseReport) -> str:
    w = case.weights
    n = len(w)
    positive = w[w > 0]
    effective = float(np.exp(-np.sum(positive * np.log(positive))))
    names, codes = np.unique(case.benchmarks.astype(str), return_inverse=True)
    mass = np.bincount(codes, weights=w, minlength=len(names))
    share = np.bincount(codes, minlength=len(names)) / n
    kpis = (f'<p><span class="kpi">effective number of questions <b>{effective:.1f}</b> of {n} '
            f'(exp of the weight entropy)</span><span class="kpi">heaviest item <b>'
            f'{w.max() * n:.1f}×</b> uniform</span><span class="kpi">half the weight on '
            f'<b>{_half_mass(w)}</b> items</span></p>' + _benchmark_separability_html(case.separability))
    table = ('<table><tr><th class="l">benchmark</th><th>items</th><th>aligned weight</th>'
             '<th>uniform share</th><th>ratio</th></tr>'
             + "".join(f'<tr><td class="l">{_e(b)}</td><td>{int(round(s * n))}</td>'
                       f"<td>{m:.1%}</td><td>{s:.1%}</td><td>{m / s:.2f}×</td></tr>"
                       for b, m, s in zip(names, mass, share)) + "</table>")
    fitted = ("<p class=\"muted\">The aligned benchmark fitted on every rated model (what "
              f"<code>benchalign fit</code> writes). {_e(case.choice)}</p>")
    return "\n".join([fitted, kpis, table, _img(plots.benchmark_mass(names, mass, share),
                                               "weight per source benchmark"),
                      _img(plots.weight_distribution(w), "weight distribution"),
                      _items_html(case)])


def _benchmark_separability_html(sep: dict | None) -> str:
    """How many pairs of rated models each benchmark tells apart despite its question sampling."""
    if sep is None:
        return ""
    shares = sep["separability"]
    parts = ", ".join(f"{_e(name)} <b>{share:.1%}</b>" for name, share in shares.items())
    return (f"<p>Separability (Arena-Hard-Auto): share of the {sep['n_models']} rated models' pairs "
            f"whose {sep['level']:.0%} score intervals do not overlap, the intervals from "
            f"{sep['n_bootstrap']} resamples of the questions: {parts}. "
            "<span class=\"muted\">Weight on fewer questions widens the intervals; a benchmark that "
            "cannot tell models apart cannot rank them (docs/evaluation.md).</span></p>")


def _half_mass(w: np.ndarray) -> int:
    return int(np.searchsorted(np.cumsum(np.sort(w)[::-1]), 0.5) + 1)


def _items_html(case: CaseReport) -> str:
    n = len(case.weights)
    order = np.argsort(-case.weights, kind="stable")
    picks = [("top", order[:TOP_ITEMS]), ("bottom", order[::-1][:BOTTOM_ITEMS])]
    has_text = bool(case.texts)
    out = []
    for label, idx in picks:
        rows = []
        for rank, j in zip(_ranks(label, n, len(idx)), idx):
            item = str(case.items[j])
            text = case.texts.get(item, "")
            text = text if len(text) <= TEXT_WIDTH else text[: TEXT_WIDTH - 1] + "…"
            cell = f'<td class="text">{_e(text)}</td>' if has_text else ""
            rows.append(f'<tr><td>{rank}</td><td class="l">{_e(item)}</td>'
                        f'<td class="l">{_e(case.benchmarks[j])}</td><td>{case.weights[j]:.5f}</td>'
                        f"<td>{case.weights[j] * n:.2f}×</td>{cell}</tr>")
        text_head = '<th class="l">text</th>' if has_text else ""
        out.append(f"<h4>{label} {len(idx)} items by weight</h4><table><tr><th>rank</th>"
                   f'<th class="l">item</th><th class="l">benchmark</th><th>weight</th>'
                   f"<th>× uniform</th>{text_head}</tr>{''.join(rows)}</table>")
    if not has_text:
        out.append('<p class="muted">No item texts: pass an items file (columns item, text) '
                   "to show the questions.</p>")
    return "\n".join(out)


def _ranks(label: str, n: int, count: int) -> range:
    return range(1, count + 1) if label == "top" else range(n, n - count, -1)


def _learning_html(case: CaseReport) -> str:
    frame = case.learning.rename(columns={"method": "line"})
    if frame.empty:
        return '<p class="muted">Too few rated models for a learning curve.</p>'
    sizes = sorted(frame["n_train"].unique())
    uri = plots.accuracy_lines(frame, "n_train", "number of training models",
                               "Held-out pairwise accuracy vs training models", xticks=sizes)
    table = frame.pivot_table(index="line", columns="n_train", values="pairwise_accuracy",
                              aggfunc="mean", sort=False)
    note = (f"<p class=\"muted\">{frame['split'].nunique()} random splits; at each size every "
            "method sees only the preferences among that many training models (mean ± one "
            "standard error over splits).</p>")
    return note + _img(uri, "learning curve") + frame_table(table, "method", "training models")


def _prune_html(case: CaseReport) -> str:
    n_items = len(case.items)
    frame = case.prune
    ks = sorted(frame["k"].unique())
    labels = ["all" if k == n_items else str(k) for k in ks]
    uri = plots.accuracy_lines(frame, "k", "K (questions kept)", "Pruned benchmark: held-out "
                               "pairwise accuracy vs K", log_x=True, xticks=ks, xticklabels=labels)
    note = (f"<p class=\"muted\">{frame['split'].nunique()} random splits. <b>aligned</b>: the "
            "heaviest questions within each source benchmark's share of the weight, re-fitted on "
            "the kept questions (at 'all': the full aligned benchmark); <b>random</b>: plain mean "
            "over K random questions (control; at 'all' it is the uniform benchmark). Write one "
            "with <code>benchalign prune --k K</code>.</p>")
    return note + _img(uri, "pruning curve") + frame_table(curve_table(case.prune, n_items),
                                                            "line", "K")


def frame_table(table: pd.DataFrame, index_name: str, columns_name: str) -> str:
    """An HTML table of ``table``'s numbers (3 decimals, — for NaN), rows labelled by its index."""
    head = f'<tr><th class="l">{_e(index_name)} \\ {_e(columns_name)}</th>' + "".join(
        f"<th>{_e(c)}</th>" for c in table.columns) + "</tr>"
    rows = "".join(f'<tr><td class="l">{_e(i)}</td>' + "".join(
        f"<td>{v:.3f}</td>" if np.isfinite(v) else "<td>—</td>" for v in row) + "</tr>"
        for i, row in zip(table.index, table.to_numpy(dtype=float)))
    return f"<table>{head}{rows}</table>"

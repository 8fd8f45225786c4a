"""The report's populations section: per-benchmark weight mass of every population's benchmark
side by side, the cross matrix as a heat map (an HTML table coloured by accuracy), and the
questions whose weight moves most between a population and the pooled benchmark.

Pure: takes the fitted weights and the dict of
:func:`benchalign.population_eval.evaluate_populations`, returns HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

DIVERGING_ITEMS = 5
TEXT_WIDTH = 160


@dataclass(frozen=True)
class PopulationView:
    """What the section shows.

    weights : {population or "pooled": [n_items]} fitted on every rated model; blend : {population:
    pull toward the pooled weights}; evaluation : the dict of ``evaluate_populations``.
    """

    weights: dict[str, np.ndarray]
    blend: dict[str, float]
    evaluation: dict


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def populations_html(view: PopulationView, items: np.ndarray, benchmarks: np.ndarray,
                     texts: dict[str, str]) -> str:
    """The section's HTML (mass table, one cross matrix per split family, diverging questions)."""
    parts = [_mass_html(view, benchmarks)]
    for name, fam in view.evaluation["splits"].items():
        parts.append(_cross_html(name, fam))
    parts.append(_diverging_html(view, items, benchmarks, texts))
    return "\n".join(parts)


def _mass_html(view: PopulationView, benchmarks: np.ndarray) -> str:
    names, codes = np.unique(benchmarks.astype(str), return_inverse=True)
    pops = list(view.weights)
    head = '<tr><th class="l">benchmark</th>' + "".join(
        f"<th>{_e(p)}" + (f"<br><span class=\"muted\">blend {view.blend[p]:.2f}</span>"
                          if p in view.blend else "") + "</th>" for p in pops) + "</tr>"
    mass = {p: np.bincount(codes, weights=w, minlength=len(names)) for p, w in view.weights.items()}
    rows = "".join(f'<tr><td class="l">{_e(b)}</td>' + "".join(
        f"<td>{mass[p][i]:.1%}</td>" for p in pops) + "</tr>" for i, b in enumerate(names))
    return ("<p class=\"muted\">Weight per source benchmark of each population's benchmark, fitted "
            "on every rated model; blend is the cross-validated pull toward the pooled weights "
            "(1: the pooled benchmark itself).</p>" f"<table>{head}{rows}</table>")


def _cross_html(name: str, fam: dict) -> str:
    pops = list(fam["populations"])
    cells = [[fam["cross"][a][b] for b in pops] for a in fam["cross"]]
    accs = np.array([[c["pairwise_accuracy"]["mean"] for c in row] for row in cells], dtype=float)
    lo, hi = np.nanmin(accs), np.nanmax(accs)
    head = '<tr><th class="l">benchmark \\ held-out pairs of</th>' + "".join(
        f"<th>{_e(p)}</th>" for p in pops) + "</tr>"
    rows = []
    for a, row, acc in zip(fam["cross"], cells, accs):
        tds = []
        for b, cell, value in zip(pops, row, acc):
            shade = 0.0 if hi <= lo else (value - lo) / (hi - lo)
            d_lo, d_hi = cell["paired_vs_own"]["ci"]
            mark = " own" if a == b else (" *" if d_lo > 0 or d_hi < 0 else "")
            tds.append(f'<td style="background:hsl(140,45%,{92 - 30 * shade:.0f}%)" '
                       f'title="own − row {cell["paired_vs_own"]["mean"]:+.3f} [{d_lo:+.3f}, '
                       f'{d_hi:+.3f}]">{value:.3f}{mark}</td>')
        rows.append(f'<tr><td class="l">{_e(a)}</td>{"".join(tds)}</tr>')
    differ = [(a, b) for a in fam["cross"] for b in pops if a != b and
              (fam["cross"][a][b]["paired_vs_own"]["ci"][0] > 0
               or fam["cross"][a][b]["paired_vs_own"]["ci"][1] < 0)]
    verdict = (f"{len(differ)} cells (*) where the column's own benchmark and the row's differ "
               "beyond the paired interval." if differ else
               "No population is told apart: every paired interval (the column's own benchmark "
               "minus the row's, on the column's held-out pairs) holds 0.")
    return (f"<h4>cross matrix, split {_e(name)}</h4><p class=\"muted\">{_e(fam['description'])}; "
            f"{fam['n_splits']} splits. Pairwise accuracy of the row's benchmark on the column's "
            f"held-out pairs (darker: higher; hover for the paired difference).</p>"
            f"<table>{head}{''.join(rows)}</table><p>{_e(verdict)}</p>")


def _diverging_html(view: PopulationView, items: np.ndarray, benchmarks: np.ndarray,
                    texts: dict[str, str]) -> str:
    pooled = view.weights["pooled"]
    n = len(pooled)
    out = []
    for pop, w in view.weights.items():
        if pop == "pooled":
            continue
        diff = (w - pooled) * n
        if np.abs(diff).max() < 1e-9:
            out.append(f"<p><b>{_e(pop)}</b>: the pooled benchmark itself (no question moves).</p>")
            continue
        order = np.argsort(-diff, kind="stable")
        rows = []
        for j in [*order[:DIVERGING_ITEMS], *order[::-1][:DIVERGING_ITEMS]]:
            text = texts.get(str(items[j]), "")
            text = text if len(text) <= TEXT_WIDTH else text[: TEXT_WIDTH - 1] + "…"
            rows.append(f'<tr><td class="l">{_e(items[j])}</td><td class="l">{_e(benchmarks[j])}'
                        f'</td><td>{diff[j]:+.2f}×</td><td class="text">{_e(text)}</td></tr>')
        out.append(f"<h4>{_e(pop)}: questions that gain and lose most against pooled</h4>"
                   '<table><tr><th class="l">item</th><th class="l">benchmark</th>'
                   '<th>Δ weight (× uniform)</th><th class="l">text</th></tr>'
                   f"{''.join(rows)}</table>")
    return "\n".join(out)

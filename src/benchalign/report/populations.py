"""The report's populations section: per-benchmark weight mass of every population's benchmark
side by side, the cross matrix as a heat map (an HTML table coloured by accuracy), and where
each population differs from the pooled benchmark (:mod:`benchalign.populations.compare`): masses
with bootstrap intervals, the resampling test, and the questions that gain and lose most only
where the test says they differ.

Pure: takes the fitted weights, the dict of
:func:`benchalign.populations.evaluate.evaluate_populations` and the comparisons, returns HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..features.structure import benchmark_mass
from ..populations.compare import Comparisons, PopulationDiff
from ..populations.aligner import POOLED
from .page import escape as _e

DIVERGING_ITEMS = 5
TEXT_WIDTH = 160


@dataclass(frozen=True)
class PopulationView:
    """What the section shows.

    weights : {population or "pooled": [n_items]} fitted on every rated model; blend : {population:
    pull toward the pooled weights}; evaluation : the document (``to_dict()``) of ``evaluate_populations``;
    comparisons : :func:`benchalign.populations.compare.compare_each` of the populations.
    """

    weights: dict[str, np.ndarray]
    blend: dict[str, float]
    evaluation: dict
    comparisons: Comparisons


def populations_html(view: PopulationView, items: np.ndarray, benchmarks: np.ndarray,
                     texts: dict[str, str]) -> str:
    """The section's HTML (mass table, one cross matrix per split family, the comparisons)."""
    parts = [_mass_html(view, benchmarks)]
    for name, fam in view.evaluation["splits"].items():
        parts.append(_cross_html(name, fam))
    parts.append(_differ_html(view.comparisons, items, benchmarks, texts))
    return "\n".join(parts)


def _mass_html(view: PopulationView, benchmarks: np.ndarray) -> str:
    pops = list(view.weights)
    head = '<tr><th class="l">benchmark</th>' + "".join(
        f"<th>{_e(p)}" + (f"<br><span class=\"muted\">blend {view.blend[p]:.2f}</span>"
                          if p in view.blend else "") + "</th>" for p in pops) + "</tr>"
    names = benchmark_mass(benchmarks, np.zeros(len(benchmarks)))[0]
    mass = {p: benchmark_mass(benchmarks, w)[1] for p, w in view.weights.items()}
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


def _differ_html(comparisons: Comparisons, items: np.ndarray, benchmarks: np.ndarray,
                 texts: dict[str, str]) -> str:
    """Each population against the pooled benchmark: masses with intervals, the test, and the
    diverging questions only where the test says they differ; then the pairs' p-values."""
    vs_pooled = [d for (a, _), d in comparisons.diffs.items() if a == POOLED]
    parts = ["<h4>where populations differ from the pooled benchmark</h4>",
             f"<p class=\"muted\">{_e(DIFF_NOTE)}</p>"]
    if vs_pooled:
        parts.append(_diff_mass_table(vs_pooled))
    parts += [f"<p>{_e(name)}: too few rated models to compare ({_e(why)})</p>"
              for name, why in comparisons.skipped.items()]
    for d in vs_pooled:
        if d.differ:
            parts.append(_items_table(d, items, benchmarks, texts))
        else:
            parts.append(f"<p><b>{_e(d.b)}</b>: {_e(d.sentence())}</p>")
    parts.append(_pairs_table(comparisons))
    return "\n".join(parts)


DIFF_NOTE = ("Each population's benchmark refitted with the correlation weighting (the one that "
             "reads the preferences) on all its rated models and on bootstrap resamples of them. "
             "Mass: weight per source benchmark, with its 95% interval over the refits. Test: the "
             "share of model pairs that the population's benchmark and the pooled one order "
             "differently, against how far refitting either on resampled models moves it; p < "
             "alpha: they differ. Questions that gain and lose weight are listed only then.")


def _diff_mass_table(diffs: list[PopulationDiff]) -> str:
    """Rows: source benchmarks, then the test; columns: pooled, then each population."""
    first = diffs[0]

    def cell(mass: float, ci: np.ndarray) -> str:
        return f"<td>{mass:.1%}<br><span class=\"muted\">[{ci[0]:.1%}, {ci[1]:.1%}]</span></td>"

    head = ('<tr><th class="l">benchmark</th><th>pooled</th>'
            + "".join(f"<th>{_e(d.b)}</th>" for d in diffs) + "</tr>")
    rows = [f'<tr><td class="l">{_e(name)}</td>{cell(first.mass_a[i], first.mass_a_ci[i])}'
            + "".join(cell(d.mass_b[i], d.mass_b_ci[i]) for d in diffs) + "</tr>"
            for i, name in enumerate(first.benchmarks)]
    rows.append('<tr><td class="l">pairs ordered differently from pooled</td><td></td>'
                + "".join(f"<td>{d.distance:.1%}</td>" for d in diffs) + "</tr>")
    rows.append('<tr><td class="l">p-value (verdict)</td><td></td>' + "".join(
        f"<td>{d.p_value:.3f}<br><b>{_e(d.verdict)}</b></td>" for d in diffs) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _items_table(d: PopulationDiff, items: np.ndarray, benchmarks: np.ndarray,
                 texts: dict[str, str]) -> str:
    rows = []
    for j in [*d.gaining[:DIVERGING_ITEMS], *d.losing[:DIVERGING_ITEMS]]:
        text = texts.get(str(items[j]), "")
        text = text if len(text) <= TEXT_WIDTH else text[: TEXT_WIDTH - 1] + "…"
        rows.append(f'<tr><td class="l">{_e(items[j])}</td><td class="l">{_e(benchmarks[j])}'
                    f'</td><td>{d.item_diff[j]:+.2f}×</td><td class="text">{_e(text)}</td></tr>')
    return (f"<h4>{_e(d.b)}: questions that gain and lose most against pooled</h4>"
            f"<p>{_e(d.sentence())}</p>"
            '<table><tr><th class="l">item</th><th class="l">benchmark</th>'
            '<th>Δ weight (× uniform)</th><th class="l">text</th></tr>'
            f"{''.join(rows)}</table>")


def _pairs_table(comparisons: Comparisons) -> str:
    """p-value of every pair of populations (* where they differ)."""
    pairs = {k: d for k, d in comparisons.diffs.items() if k[0] != POOLED}
    names = sorted({n for k in pairs for n in k})
    if not pairs:
        return ""
    rows = []
    for a in names:
        tds = []
        for b in names:
            d = pairs.get((a, b)) or pairs.get((b, a))
            tds.append("<td></td>" if d is None else
                       f"<td>{d.p_value:.3f}{'' if d.p_holm is None else f' ({d.p_holm:.3f})'}"
                       f"{' *' if d.differ else ''}</td>")
        rows.append(f'<tr><td class="l">{_e(a)}</td>{"".join(tds)}</tr>')
    n_differ = sum(d.differ for d in pairs.values())
    verdict = (f"{n_differ} of {len(pairs)} pairs (*) differ." if n_differ else
               f"No pair of populations is told apart (all {len(pairs)} Holm-adjusted p-values "
               "≥ alpha).")
    return ("<h4>every pair of populations</h4><p class=\"muted\">p-value of the same test "
            "between two populations' benchmarks; in brackets after Holm's correction over every "
            "comparison of this section, which decides the verdict (*).</p><table><tr><th class=\"l\"></th>"
            + "".join(f"<th>{_e(n)}</th>" for n in names) + f"</tr>{''.join(rows)}</table>"
            f"<p>{_e(verdict)}</p>")

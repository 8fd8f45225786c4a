"""The page of ``benchalign suggest --report``: the ranked suggestions with their reasons, and the
active curve on the user's own data (what choosing the models to rate by ``suggest`` was worth
there, against random choice and the simple heuristics).

Pure: takes the :func:`benchalign.suggest.rank.suggest` table and a
:class:`benchalign.suggest.curve.ActiveCurve`, returns HTML.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from . import plots
from ..errors import format_rows
from .page import frame_table, html_page
from ..suggest.curve import ActiveCurve, curve_frame, curve_summary
from ..suggest.rank import Suggestions
from .page import escape as _e

VALUE_NOTE = {
    "models": "value = rank_sd × novelty. <b>rank_sd</b>: how much bootstrap refits of the "
              "preference-driven weighting over the rated models disagree about where the model "
              "ranks, in standard deviations of the rated models' scores. <b>novelty</b>: distance "
              "to the nearest rated model in the leading principal components of the results, "
              "relative to the rated models' distance to each other (1 = as far as they are from "
              "each other); each pick counts as rated for the novelty of the next. <b>score</b>: "
              "aligned score under the default fit on every rated model.",
    "pairs": "value = flip: the share of bootstrap refits that order the pair against the majority "
             "(0 to 0.5), ties going to the closer aligned scores.",
}


def suggest_page(found: Suggestions, curve: ActiveCurve, *, title: str, inputs: str) -> str:
    """The whole page. found : what :func:`~benchalign.suggest.rank.suggest` returned; inputs :
    one line naming the data (shown under the title)."""
    body = (f"<p>{_e(inputs)}</p>\n"
            f'<section data-section="suggestions"><h3>Suggestions, best first</h3>\n'
            f'<p class="muted">{VALUE_NOTE[found.unit]}</p>\n{_table_html(found.table)}'
            f"{_left_out_html(found.left_out)}</section>\n"
            f'<section data-section="curve"><h3>What the choice was worth on these data</h3>\n'
            f"{curve_html(curve, found.unit)}</section>")
    return html_page(title, "Which models (or pairs) to get preferences for next, and what "
                     "choosing them this way was worth on the data's own rated models.", body)


def _left_out_html(left_out: list[str]) -> str:
    if not left_out:
        return ""
    return (f'<p class="muted">Not considered: {len(left_out)} unrated models that '
            "<code>benchalign check</code> finds degenerate (constant, or answering like no other "
            f"model): {_e(format_rows(left_out, 10))}.</p>")


def _table_html(table: pd.DataFrame) -> str:
    left = ' class="l"'
    head = "".join(f"<th{'' if pd.api.types.is_numeric_dtype(table[c]) else left}>{_e(c)}</th>"
                   for c in table.columns)
    rows = []
    for _, r in table.iterrows():
        cells = []
        for c in table.columns:
            v = r[c]
            if isinstance(v, (float, np.floating)):
                cells.append(f"<td>{v:.4f}</td>" if np.isfinite(v) else "<td>—</td>")
            elif isinstance(v, (int, np.integer)):
                cells.append(f"<td>{int(v)}</td>")
            else:
                cells.append(f'<td class="l">{_e(v)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def curve_html(curve: ActiveCurve, unit: str = "models") -> str:
    """The curve section: how it was made, the figure, the verdict and the table of means."""
    reps = len(next(iter(curve.curves.values())))
    note = (f"<p class=\"muted\">{reps} repetitions, seed {curve.seed}: each hides {curve.test} "
            f"rated models (held out, the same for every strategy), starts from {curve.start} "
            f"rated models of the other {curve.pool} and reveals the rest one at a time in the "
            "order a strategy picks: <b>suggest</b> (this command's ranking), <b>uncertain</b> "
            "(rank disagreement alone), <b>novel</b> (novelty alone), <b>most_run</b> (most "
            "observed questions), <b>random</b>. After each reveal the aligner "
            f"(<code>{_e(curve.method)}</code>) is fitted on the revealed models' preferences and "
            "scored by pairwise accuracy on the held-out models' pairs (mean ± one standard error "
            "over repetitions)." + (" The curve measures the choice of models to rate; choosing "
                                    "pairs has no curve." if unit == "pairs" else "") + "</p>")
    uri = plots.accuracy_lines(curve_frame(curve), "n_revealed", "rated models revealed",
                               "Held-out pairwise accuracy vs ratings revealed",
                               xticks=curve.counts.tolist())
    means = pd.DataFrame({s: c.mean(axis=0) for s, c in curve.curves.items()},
                         index=curve.counts)
    return (note + f'<img src="{uri}" alt="active curve">' + _verdict_html(curve)
            + frame_table(means, "revealed", "strategy"))


def _verdict_html(curve: ActiveCurve) -> str:
    summary = curve_summary(curve)
    lines = [f"With all {curve.pool} revealable ratings the held-out accuracy is "
             f"{summary['all']:.3f}; the target is to reach it with {summary['k_target']} "
             f"(at most {100 * summary['target_share']:g} % of the {curve.pool}, and no fewer than "
             f"the {curve.start} to start from)."]
    for name, row in summary["strategies"].items():
        m, lo, hi = row["at_target"]
        reach = "never" if row["reaches"] is None else f"at {row['reaches']}"
        text = (f"<b>{_e(name)}</b>: at {summary['k_target']} revealed {m:+.3f} "
                f"[{lo:+.3f}, {hi:+.3f}] against all; mean curve reaches it {reach}")
        if "vs_random" in row:
            m, lo, hi = row["vs_random"]
            text += f"; minus random over the curve {_signed(m, lo, hi)}"
        lines.append(text + ".")
    return ("<ul>" + "".join(f"<li>{t}</li>" for t in lines) + "</ul>"
            + f"<p>{_e(_plain_verdict(summary))}</p>")


def _signed(m: float, lo: float, hi: float) -> str:
    text = f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]"
    if lo > 0 or hi < 0:
        return f'<span class="{"pos" if lo > 0 else "neg"}">{text}</span>'
    return text


def _plain_verdict(summary: dict) -> str:
    row = summary["strategies"].get("suggest", {})
    if "vs_random" not in row:
        return ""
    m, lo, hi = row["vs_random"]
    if lo > 0:
        return (f"On these data, choosing by suggest beat random choice: {m:+.3f} pairwise "
                "accuracy per step on average (95 % paired interval above 0).")
    if hi < 0:
        return (f"On these data, choosing by suggest did worse than random choice: {m:+.3f} "
                "pairwise accuracy per step on average (95 % paired interval below 0).")
    return ("On these data, suggest and random choice are not told apart (the 95 % paired "
            "interval of their difference holds 0): the ranking is an informed default, not a "
            "measured gain.")

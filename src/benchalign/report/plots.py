"""Figures of the HTML report, in one style, as self-contained SVG data URIs.

Every figure is built with the object-oriented API (:class:`matplotlib.figure.Figure`, no pyplot)
inside :func:`matplotlib.rc_context`, so nothing global changes: no figure is registered with
pyplot, no backend is switched and rcParams are restored on exit. Output is deterministic: a fixed
hash salt for SVG ids, no date or creator in the metadata, and the DejaVu Sans font that ships with
matplotlib, drawn as paths so the page looks the same without any font installed.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
    "svg.fonttype": "path",
    "svg.hashsalt": "benchalign-report",
    "figure.dpi": 100,
}
COLORS = {
    # methods of benchalign evaluate (baselines.METHODS and VARIANTS), drawn together
    "aligned": "#1f5fa8", "uniform": "#7a7a7a", "uniform_completed": "#a6761d",
    "benchmark_mean": "#8c6bb1", "best_benchmark": "#d98c1f", "coverage": "#17becf",
    "correlation": "#e377c2", "ridge": "#2a9d5c", "random_subset": "#c44e52",
    "aligned_correlation": "#6baed6", "ranknet": "#bcbd22",
    # the pruning curve's control and the active curve's strategies
    "random": "#7a7a7a",
    "suggest": "#1f5fa8", "uncertain": "#c44e52", "novel": "#2a9d5c", "most_run": "#d98c1f",
}
"""One color per method or suggest strategy (``random``: random K questions, or random
ratings in the active curve), the same in every figure; lines drawn in one figure never share a
color (tests/test_plots.py checks each group)."""
FALLBACK = "#444444"


def render(draw: Callable[[Figure], None], size: tuple[float, float]) -> str:
    """Draw a figure of ``size`` inches with ``draw(fig)``; return it as an SVG data URI."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=size, layout="constrained")
        draw(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def color(name: str) -> str:
    """The color of a method or strategy; :data:`FALLBACK` for a name without one."""
    return COLORS.get(name, FALLBACK)


def short_name(model: str, width: int = 24) -> str:
    """A model name short enough for a point label: the part after the last '/', truncated."""
    name = str(model).rsplit("/", 1)[-1]
    return name if len(name) <= width else name[: width - 1] + "…"


def heldout_scatter(frame: pd.DataFrame, rating_label: str, title_suffix: str) -> str:
    """Two panels, aligned and uniform score vs rating of held-out models, each point labelled.

    frame : columns model, rating, aligned, uniform (one row per held-out model).
    """
    def draw(fig: Figure) -> None:
        axes = fig.subplots(1, 2, sharex=True)
        for ax, method in zip(axes, ("aligned", "uniform")):
            ax.scatter(frame["rating"], frame[method], color=color(method), zorder=3)
            ax.set_xlabel(rating_label)
            ax.set_ylabel(f"{method} score")
            ax.set_title(f"{method}{title_suffix}")
        fig.draw_without_rendering()  # fix the layout, so label boxes are measured where they land
        for ax, method in zip(axes, ("aligned", "uniform")):
            label_points(ax, frame["rating"].to_numpy(float), frame[method].to_numpy(float),
                         [short_name(m) for m in frame["model"]])

    return render(draw, (11, 4.6))


LABEL_OFFSETS = [(3, 2), (3, -8), (-3, 2), (-3, -8), (0, 6), (0, -11), (6, 9), (6, -14),
                 (-6, 9), (-6, -14), (8, -3), (-8, -3)]
"""Label positions tried around a point, in points (x right, y up), nearest first."""


def label_points(ax, x: np.ndarray, y: np.ndarray, labels: Sequence[str], fontsize: float = 6.5) -> None:
    """Label each point at the first offset where the label overlaps no other label or point.

    Points are labelled top to bottom; a label that finds no free offset gets a thin leader line
    from a spot further out, so every point stays labelled. Deterministic (no randomness).
    """
    renderer = ax.figure._get_renderer()
    pts = ax.transData.transform(np.column_stack([x, y]))
    placed: list = []
    for i in np.lexsort((x, -y)):
        if not (np.isfinite(x[i]) and np.isfinite(y[i])):
            continue
        text = None
        for dx, dy in LABEL_OFFSETS:
            text = ax.annotate(labels[i], (x[i], y[i]), xytext=(dx, dy), textcoords="offset points",
                               ha="left" if dx >= 0 else "right", fontsize=fontsize, color="#333333")
            box = text.get_window_extent(renderer).expanded(1.02, 1.1)
            hits_point = box.count_contains(np.delete(pts, i, axis=0)) > 0
            if not hits_point and not any(box.overlaps(b) for b in placed):
                break
            text.remove()
            text = None
        if text is None:  # crowded: step out along a leader line until free (or give up after 8 steps)
            for step in range(1, 9):
                dy = 10 + 9 * step
                text = ax.annotate(labels[i], (x[i], y[i]), xytext=(12, dy if step % 2 else -dy),
                                   textcoords="offset points", fontsize=fontsize, color="#333333",
                                   arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.5})
                box = text.get_window_extent(renderer)
                if not any(box.overlaps(b) for b in placed) or step == 8:
                    break
                text.remove()
        placed.append(text.get_window_extent(renderer))


def benchmark_mass(names: Sequence[str], mass: np.ndarray, share: np.ndarray) -> str:
    """Horizontal bars: aligned weight mass per source benchmark next to its uniform share."""
    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        y = np.arange(len(names))
        ax.barh(y - 0.2, mass, height=0.4, color=color("aligned"), label="aligned weight")
        ax.barh(y + 0.2, share, height=0.4, color=color("uniform"), label="uniform share")
        ax.set_yticks(y, [str(n) for n in names])
        ax.invert_yaxis()
        ax.set_xlabel("share of the total weight")
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.legend(loc="lower right")
        ax.set_title("Weight per source benchmark", loc="left")

    return render(draw, (6.4, 0.45 * len(names) + 1.6))


def weight_distribution(weights: np.ndarray) -> str:
    """Histogram of weights relative to uniform, and the cumulative weight of the top items."""
    n = len(weights)
    rel = np.maximum(weights * n, 1e-6)

    def draw(fig: Figure) -> None:
        left, right = fig.subplots(1, 2)
        wide = rel.max() / rel.min() > 20
        if wide:
            bins = np.logspace(np.log10(rel.min()), np.log10(rel.max()) + 1e-9, 40)
        else:
            bins = np.linspace(min(rel.min(), 0.9), max(rel.max(), 1.1), 40)
        left.hist(rel, bins=bins, color=color("aligned"))
        if wide:
            left.set_xscale("log")
        left.axvline(1.0, color=color("uniform"), linestyle="--", label="uniform weight")
        left.set_xlabel("weight × number of items (1 = uniform)")
        left.set_ylabel("number of items")
        left.legend()
        left.set_title("Weight distribution")
        top = np.sort(weights)[::-1]
        frac = np.arange(1, n + 1) / n
        right.plot(frac, np.cumsum(top), color=color("aligned"), label="aligned")
        right.plot(frac, frac, color=color("uniform"), linestyle="--", label="uniform")
        right.set_xlabel("share of items, heaviest first")
        right.set_ylabel("share of the weight")
        for axis in (right.xaxis, right.yaxis):
            axis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        right.legend(loc="lower right")
        right.set_title("Concentration")

    return render(draw, (10, 3.8))


def accuracy_lines(frame: pd.DataFrame, x: str, xlabel: str, title: str, *,
                   log_x: bool = False, xticks: Sequence[int] | None = None,
                   xticklabels: Sequence[str] | None = None) -> str:
    """Mean held-out pairwise accuracy (± one standard error over splits) per line vs ``x``.

    frame : long table with columns ``x``, line, pairwise_accuracy (one row per split).
    """
    stats = (frame.groupby(["line", x], sort=False)["pairwise_accuracy"]
             .agg(["mean", "std", "count"]).reset_index())

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        for line, part in stats.groupby("line", sort=False):
            part = part.sort_values(x)
            err = (part["std"].fillna(0) / np.sqrt(part["count"])).to_numpy()
            ax.errorbar(part[x], part["mean"], yerr=err, color=color(str(line)), marker="o",
                        capsize=2.5, label=str(line))
        if log_x:
            ax.set_xscale("log")
        if xticks is not None:
            ax.set_xticks(list(xticks), list(xticklabels or map(str, xticks)))
            ax.minorticks_off()
        ax.axhline(0.5, color="#bbbbbb", linewidth=1, linestyle=":")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("held-out pairwise accuracy")
        ax.set_title(title)
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))

    return render(draw, (7.6, 4.0))

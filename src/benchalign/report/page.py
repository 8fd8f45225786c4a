"""The frame every HTML page of benchalign shares: its CSS, the page skeleton, HTML escaping and a
table of numbers. The report, the populations section and the suggest page all use it.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from .._version import __version__

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


def html_page(title: str, intro: str, body: str) -> str:
    """A self-contained HTML page in the report's style: ``title`` as heading, ``intro`` (plain
    text, escaped here) under it with the package version, then ``body`` (HTML)."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"benchalign {escape(__version__)}\">\n"
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{escape(title)}</h1>\n<p class=\"muted\">{escape(intro)} "
        f"benchalign {escape(__version__)}.</p>\n{body}\n</main>\n</body>\n</html>\n"
    )


def escape(text: object) -> str:
    """``text`` as HTML text or attribute value (quotes escaped)."""
    return html.escape(str(text), quote=True)


def frame_table(table: pd.DataFrame, index_name: str, columns_name: str) -> str:
    """An HTML table of ``table``'s numbers (3 decimals, — for NaN), rows labelled by its index."""
    head = f'<tr><th class="l">{escape(index_name)} \\ {escape(columns_name)}</th>' + "".join(
        f"<th>{escape(c)}</th>" for c in table.columns) + "</tr>"
    rows = "".join(f'<tr><td class="l">{escape(i)}</td>' + "".join(
        f"<td>{v:.3f}</td>" if np.isfinite(v) else "<td>—</td>" for v in row) + "</tr>"
        for i, row in zip(table.index, table.to_numpy(dtype=float)))
    return f"<table>{head}{rows}</table>"

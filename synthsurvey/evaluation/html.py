"""HTML pieces every report page shares: the style sheet, tables with numbers to 4 significant
digits, figures drawn off-screen (matplotlib's object API, imported when a figure is drawn, so
`import synthsurvey` stays fast and a notebook's backend is never switched) as inline PNG."""

import base64
import html
import io

from ..common.results import format_number

STYLE = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1180px; padding: 0 10px; color: #222; }
table { border-collapse: collapse; font-size: 0.82em; margin: 0.4em 0 1.2em; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 2px 5px; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; white-space: normal; }
td:first-child, th:first-child { text-align: left; white-space: normal; overflow-wrap: anywhere; max-width: 16em; }
td:last-child { white-space: normal; overflow-wrap: anywhere; min-width: 6em; }
table.overview td:last-child { text-align: left; }
.wide { overflow-x: auto; max-width: 100%; }
img { max-width: 100%; height: auto; }
.note { color: #555; font-size: 0.88em; max-width: 60em; }
nav ul { display: flex; flex-wrap: wrap; gap: 0.2em 1.4em; list-style: none; padding-left: 0; }
nav li { max-width: 100%; overflow-wrap: anywhere; }
h2, h3, p { overflow-wrap: anywhere; }
section { border-top: 2px solid #ddd; margin-top: 1.5em; }
"""
def subplots(figsize):
    """A (figure, axis) pair drawn off-screen: matplotlib's object API without pyplot, so making a
    report never switches the backend of a notebook that shows its own figures."""
    from matplotlib.figure import Figure  # imported when a figure is drawn: `import synthsurvey` stays fast

    figure = Figure(figsize=figsize)
    return figure, figure.subplots()


def png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{encoded}">'


def table(frame, columns=None, css_class=None):
    """A DataFrame as an HTML table, numbers to 4 significant digits, in a box that scrolls if a
    table is ever wider than the page."""
    shown = frame if columns is None else frame[[c for c in columns if c in frame.columns]]
    shown = shown.copy()
    for column in shown.columns:
        shown[column] = [format_number(v) if not isinstance(v, str) else v for v in shown[column]]
    return f"<div class='wide'>{shown.to_html(index=False, border=0, escape=True, classes=css_class)}</div>"


def page(title, sections):
    """A self-contained HTML page of ``sections`` (HTML strings) under ``title``."""
    head = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>")
    return "\n".join([head, *sections, "</body></html>"])

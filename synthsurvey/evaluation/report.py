"""A self-contained HTML fidelity report: tables and matplotlib figures (inline PNG).

Sections: marginal fidelity (with the human floor) and a distribution chart per item;
structural recovery with a coefficient forest plot per estimator; individual accuracy;
subgroups with a heatmap of W1 by group and predictor; belief-action coherence.
"""

import base64
import html
import io
from pathlib import Path

import numpy as np

from .fidelity import FidelityReport, fidelity
from .sources import SourceComparison

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
th { background: #f3f3f3; }
img { max-width: 100%; }
.note { color: #555; font-size: 0.9em; }
"""


def _pyplot():
    """matplotlib's pyplot on the non-interactive Agg backend, imported when a figure is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(figure):
    plt = _pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{encoded}">'


def _table(frame):
    return frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)


def distribution_figure(distributions, item):
    """Bar chart of the human pilot and each predictor's population distribution of one item."""
    rows = distributions[distributions["item"] == item]
    series = [c for c in rows.columns if c not in ("item", "level")]
    figure, axis = _pyplot().subplots(figsize=(6, 3))
    width = 0.8 / len(series)
    for position, name in enumerate(series):
        axis.bar(np.arange(len(rows)) + position * width, rows[name], width, label=name)
    axis.set_xticks(np.arange(len(rows)) + 0.4 - width / 2, [f"{v:g}" for v in rows["level"]])
    axis.set_xlabel(f"{item}: answer level")
    axis.set_ylabel("share")
    axis.legend(fontsize=8)
    return _png(figure)


def forest_figure(coefficients):
    """Coefficient forest plot: one row per term, one colour per estimator, with CIs."""
    terms = [t for t in coefficients["term"].unique() if t != "Intercept"]
    estimators = list(coefficients["estimator"].unique())
    figure, axis = _pyplot().subplots(figsize=(7, 0.45 * len(terms) * len(estimators) / 2 + 1.5))
    for offset, estimator in enumerate(estimators):
        rows = coefficients[(coefficients["estimator"] == estimator) & coefficients["term"].isin(terms)]
        y = np.array([terms.index(t) for t in rows["term"]]) + (offset - len(estimators) / 2) * 0.12
        axis.errorbar(rows["estimate"], y, xerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                      fmt="o", markersize=3, label=estimator)
    axis.axvline(0, color="grey", linewidth=0.8)
    axis.set_yticks(range(len(terms)), terms)
    axis.invert_yaxis()
    axis.set_xlabel("coefficient")
    axis.legend(fontsize=8)
    return _png(figure)


def subgroup_figure(subgroups, item):
    """Heatmap of the Wasserstein distance to the humans by subgroup (rows) and predictor (columns)."""
    rows = subgroups[subgroups["item"] == item]
    table = rows.assign(label=rows["by"] + "=" + rows["group"].astype(str)).pivot_table(
        index="label", columns="predictor", values="wasserstein", sort=False)
    figure, axis = _pyplot().subplots(figsize=(5, 0.35 * len(table) + 1.2))
    image = axis.imshow(table.to_numpy(), cmap="viridis", aspect="auto")
    axis.set_xticks(range(table.shape[1]), table.columns)
    axis.set_yticks(range(table.shape[0]), table.index)
    figure.colorbar(image, ax=axis, label="Wasserstein-1 to humans")
    axis.set_title(item)
    return _png(figure)


def render(report, title="synthsurvey fidelity report"):
    """The HTML text of a FidelityReport."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"]
    parts.append("<h2>Marginal fidelity</h2><p class='note'>Distances between the human pilot's answer "
                 "distribution and each predictor's population distribution; <code>floor_*</code> columns give the "
                 "same distance between two random halves of the pilot (what humans achieve against humans).</p>")
    parts.append(_table(report.marginal))
    for item in report.distributions["item"].unique() if len(report.distributions) else []:
        parts.append(distribution_figure(report.distributions, item))
    if report.structural is not None:
        parts.append("<h2>Structural fidelity: coefficient recovery</h2>")
        parts.append(_table(report.structural.overall()))
        parts.append(forest_figure(report.structural.table()))
        parts.append(_table(report.structural.per_term()))
    parts.append("<h2>Individual fidelity</h2><p class='note'>Held-out (cross-fitted) errors on the pilot.</p>")
    parts.append(_table(report.individual))
    if len(report.subgroups):
        parts.append("<h2>Subgroups</h2>")
        parts.append(_table(report.subgroup_summary))
        for item in report.subgroups["item"].unique():
            parts.append(subgroup_figure(report.subgroups, item))
    if len(report.coherence):
        parts.append("<h2>Belief-action coherence</h2>")
        parts.append(_table(report.coherence))
    for note in report.notes:
        parts.append(f"<p class='note'>{html.escape(note)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def report(fits_or_report, path, title="synthsurvey fidelity report", **fidelity_options):
    """Write the HTML report to ``path`` and return the path. Pass a FidelityReport, or fits
    (one or a list) and the options of ``fidelity`` to compute one, or a SourceComparison
    (``compare_sources``: the page is its section, ``sources_section``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(fits_or_report, SourceComparison):
        path.write_text(_page(title, [sources_section(fits_or_report)]))
        return path
    result = fits_or_report if isinstance(fits_or_report, FidelityReport) else fidelity(fits_or_report,
                                                                                     **fidelity_options)
    path.write_text(render(result, title))
    return path


# LLM sources compared (compare_sources): a self-contained section any page can include -----------
def _page(title, sections):
    head = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>")
    return "\n".join([head, *sections, "</body></html>"])


def sources_section(comparison):
    """The HTML of a SourceComparison: the side-by-side table, the analyst's coefficients' n_effective
    by variant, the draws curve and the cost view (tables and figures)."""
    parts = ["<h2>LLM sources compared</h2><p class='note'>Each source alone and combined in one debiaser, on the "
             "same pilot. <code>n_effective</code>: pilot answers the PPI++ estimate is worth; <code>w1_*</code>: "
             "Wasserstein-1 to the pilot's answers; <code>rmse_*</code>: held-out individual error; "
             "<code>attenuation_*</code>: the analyst's coefficients in raw draw means / debiased predictions over the "
             "pilot's; <code>coherence_slope_diff_*</code>: action-on-belief slope minus the humans'.</p>",
             _table(comparison.wide), value_figure(comparison.wide)]
    if len(comparison.coefficients):
        wide = comparison.coefficients.pivot_table(index="term", columns="variant", values="n_effective", sort=False)
        parts += ["<h3>The analyst's coefficients: n_effective by variant</h3>", _table(wide.reset_index())]
    if len(comparison.draws):
        parts += ["<h3>Draws curve</h3><p class='note'>n_effective of the population mean with the first m draws of "
                  "every person and source (the same pilot and folds).</p>", draws_figure(comparison.draws),
                  _table(comparison.draws)]
    if len(comparison.cost):
        best = comparison.cost[comparison.cost["best"]]
        parts += [f"<h3>Cost view</h3><p class='note'>The cheapest pilot size and number of people with predictions "
                  f"reaching a CI half-width of {comparison.cost['half_width'].iloc[0]:g} at each number of draws "
                  "(draws 0: the pilot alone); the mixed-subjects design of ppi_py.ppi_power.</p>",
                  cost_figure(comparison.cost), _table(best)]
    parts += [f"<p class='note'>{html.escape(note)}</p>" for note in comparison.notes]
    return "\n".join(parts)


def value_figure(wide):
    """Bars: n_effective of the population mean per variant and item."""
    table = wide.pivot_table(index="variant", columns="item", values="n_effective_mean", sort=False)
    figure, axis = _pyplot().subplots(figsize=(6, 3))
    table.plot.bar(ax=axis, rot=15)
    axis.set_ylabel("n_effective (pilot answers)")
    axis.set_xlabel("")
    return _png(figure)


def draws_figure(curve):
    """Lines: n_effective of the mean against draws per person, one per variant."""
    figure, axis = _pyplot().subplots(figsize=(6, 3.5))
    for variant, points in curve.groupby("variant", sort=False):
        axis.plot(points["draws_per_person"], points["n_effective_mean"], marker="o", label=variant)
    axis.set_xscale("log")
    axis.set_xlabel("LLM draws per person (all sources of the variant)")
    axis.set_ylabel("n_effective of the mean")
    axis.legend(fontsize=8)
    return _png(figure)


def cost_figure(cost):
    """Lines: the cheapest study's cost against draws per person, one per variant."""
    figure, axis = _pyplot().subplots(figsize=(6, 3.5))
    for variant, points in cost[cost["draws_per_person"] > 0].groupby("variant", sort=False):
        axis.plot(points["draws_per_person"], points["cost"], marker="o", label=variant)
    alone = cost.loc[cost["draws_per_person"] == 0, "cost"]
    if len(alone):
        axis.axhline(float(alone.min()), color="grey", linestyle="--", label="pilot alone")
    axis.set_xscale("log")
    axis.set_xlabel("LLM draws per person")
    axis.set_ylabel("cost of the cheapest study")
    axis.legend(fontsize=8)
    return _png(figure)

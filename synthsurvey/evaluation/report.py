"""The methodologist's HTML report: self-contained (inline PNG figures), tables that fit the page.

Layout: the population estimates first (one row per item: the base LLM, the pilot alone and
PPI++ with their intervals, and what PPI++ is worth in pilot answers), a forest plot of them,
then a navigation list and a section per item: its population estimates by method, the honest
(cross-fitted) marginal axis with the human floor as a row, the distribution chart, individual
accuracy, the structural axis when an analyst formula is given, subgroups, and the exclusions and
scale notes; then belief-action coherence and the notes. Numbers show 4 significant digits.
"""

import html
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError
from ..common.results import format_number
from ..models.formula import parse as parse_formula
from .estimates import overview as overview_table
from .estimates import population_by_item
from .fidelity import FidelityReport, fidelity
from .html import STYLE, png as _png, subplots as _subplots, table as _table
from .recovery import recover
from .sources import SourceComparison
from .sources_report import write_sources_report

COMPARED = ("Each row compares a method's population distribution with human answers it was not fit on: the pilot "
            "is split into the fits' folds; for each fold, every method estimates the population distribution "
            "without that fold's answers (the model fit on the other folds predicts everybody, rectified by PPI++ "
            "on the other folds' answers; the base LLM uses no answers), and the distance to that fold's answers is "
            "averaged over the folds. The <b>human floor</b> row is computed the same way: the other folds' answers "
            "alone against the held-out fold. Distances between samples are biased upward; a method at the floor "
            "does as well as the pilot itself.")


def _interval(estimate, low, high):
    if pd.isna(estimate):
        return ""
    if pd.isna(low):
        return format_number(estimate)
    return f"{format_number(estimate)} [{format_number(low)}, {format_number(high)}]"


def _slug(item):
    return "item-" + "".join(ch if ch.isalnum() else "-" for ch in str(item))


def population_figure(overview, scales):
    """Forest plot of every item's population mean: the pilot alone and PPI++ with their
    intervals and the base LLM, on each item's scale position (0 = lowest level, 1 = highest)."""
    figure, axis = _subplots((7.5, 0.32 * len(overview) + 1.2))
    for position, row in enumerate(overview.itertuples()):
        low, high = _range(scales.get(row.item), row)
        rescale = (lambda v, low=low, high=high: (v - low) / (high - low))  # noqa: E731
        for offset, (prefix, colour, label) in enumerate((("pilot", "#999999", "pilot alone"),
                                                          ("ppi", "#1f77b4", "PPI++"))):
            estimate = getattr(row, f"{prefix}_estimate")
            if pd.notna(estimate):
                y = position + (offset - 0.5) * 0.3
                errors = [[rescale(estimate) - rescale(getattr(row, f"{prefix}_ci_low"))],
                          [rescale(getattr(row, f"{prefix}_ci_high")) - rescale(estimate)]]
                axis.errorbar(rescale(estimate), y, xerr=errors, fmt="o", color=colour, markersize=3,
                              label=label if position == 0 else None)
        if pd.notna(row.base_llm):
            axis.plot(rescale(row.base_llm), position, "x", color="#d62728",
                      label="base LLM" if position == 0 else None)
    axis.set_yticks(range(len(overview)), overview["item"])
    axis.invert_yaxis()
    axis.set_xlabel("population mean, as a position on the item's scale (0 = lowest level, 1 = highest; "
                    "continuous items: their estimates' span, padded)")
    axis.legend(fontsize=8, loc="best")
    return _png(figure)


def _range(scale, row):
    if scale is not None and scale.is_discrete:
        return scale.levels[0], scale.levels[-1]
    # a continuous item: the span of its estimates and intervals, padded by a quarter on each side
    values = [v for v in (row.pilot_ci_low, row.pilot_ci_high, row.ppi_ci_low, row.ppi_ci_high, row.base_llm)
              if pd.notna(v)]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    pad = 0.25 * (high - low) if high > low else 1.0
    return low - pad, high + pad


def distribution_figure(distributions, item):
    """Bar chart of the human pilot and each predictor's population distribution of one item."""
    rows = distributions[distributions["item"] == item]
    series = [c for c in rows.columns if c not in ("item", "level")]
    figure, axis = _subplots((5.5, 2.6))
    width = 0.8 / len(series)
    for position, name in enumerate(series):
        axis.bar(np.arange(len(rows)) + position * width, rows[name], width, label=name)
    axis.set_xticks(np.arange(len(rows)) + 0.4 - width / 2, [f"{v:g}" for v in rows["level"]])
    axis.set_xlabel(f"{item}: answer level")
    axis.set_ylabel("share")
    axis.legend(fontsize=7)
    return _png(figure)


def forest_figure(coefficients):
    """Coefficient forest plot: one row per term, one colour per estimator, with CIs."""
    terms = [t for t in coefficients["term"].unique() if t != "Intercept"]
    estimators = list(coefficients["estimator"].unique())
    figure, axis = _subplots((7, 0.45 * len(terms) * len(estimators) / 2 + 1.5))
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
    figure, axis = _subplots((5, 0.35 * len(table) + 1.2))
    image = axis.imshow(table.to_numpy(), cmap="viridis", aspect="auto")
    axis.set_xticks(range(table.shape[1]), table.columns)
    axis.set_yticks(range(table.shape[0]), table.index)
    figure.colorbar(image, ax=axis, label="Wasserstein-1 to humans")
    axis.set_title(item)
    return _png(figure)


def _overview_html(overview):
    shown = pd.DataFrame({
        "item": overview["item"], "scale": overview["scale"], "family": overview["family"],
        "pilot n": overview["n_pilot"], "population N": overview["n_population"],
        "base LLM": overview["base_llm"],
        "pilot alone [95% CI]": [_interval(*v) for v in overview[["pilot_estimate", "pilot_ci_low", "pilot_ci_high"]]
                                 .itertuples(index=False)],
        "PPI++ [95% CI]": [_interval(*v) for v in overview[["ppi_estimate", "ppi_ci_low", "ppi_ci_high"]]
                           .itertuples(index=False)],
        "worth (pilot answers)": overview["n_effective"], "note": overview["note"]})
    return _table(shown, css_class="overview")


def _item_estimates(population, item):
    """The item's estimates by estimand, the methods side by side."""
    rows = population[population["item"] == item]
    out = []
    for term, group in rows.groupby("term", sort=False):
        by_method = group.set_index("method")
        line = {"estimand": term}
        for method, label in (("base LLM", "base LLM"), ("classical", "pilot alone"), ("ppi++", "PPI++")):
            if method in by_method.index:
                row = by_method.loc[method]
                line[label] = _interval(row["estimate"], row["ci_low"], row["ci_high"])
        if "ppi++" in by_method.index:
            line["worth (pilot answers)"] = format_number(by_method.loc["ppi++", "n_effective"])
        out.append(line)
    return pd.DataFrame(out)


def _marginal(marginal, item):
    """The marginal axis of an item with the human floor as a row of its own."""
    rows = marginal[marginal["item"] == item]
    if rows.empty:
        return rows
    distances = [c[len("floor_"):] for c in rows.columns if c.startswith("floor_")]
    floor = {"predictor": "human floor (pilot alone)", **{d: rows[f"floor_{d}"].iloc[0] for d in distances}}
    shown = pd.concat([rows.drop(columns=[c for c in rows.columns if c.startswith("floor_")] + ["item"]),
                       pd.DataFrame([floor])], ignore_index=True)
    return shown


def _item_section(item, population, scales, report, structural, exclusions):
    """One item's section; ``population`` is the population table (None: a fidelity report alone)."""
    rows = population[population["item"] == item] if population is not None else pd.DataFrame([{}])
    first = rows.iloc[0]
    scale = scales.get(item)
    parts = [f"<section id='{_slug(item)}'><h2>{html.escape(str(item))}</h2>"]
    facts = [("formula", first.get("formula", "")), ("family", first.get("family", "")),
             ("scale", scale.describe() if scale is not None else "")]
    if pd.notna(first.get("n_input", np.nan)):
        n_input, n_excluded = int(first["n_input"]), int(first["n_excluded"])
        facts.append(("population", f"{n_input - n_excluded:,} people: the {n_input:,} in the input minus "
                                    f"{n_excluded:,} excluded"))
    parts.append("<p>" + "<br>".join(f"<b>{name}</b>: {html.escape(str(value))}" for name, value in facts if value)
                 + "</p>")
    if isinstance(first.get("note"), str) and first.get("note"):
        parts.append(f"<p class='note'><b>{html.escape(first['note'])}</b></p>")
    if population is not None:
        parts.append("<h3>Population estimates</h3>" + _table(_item_estimates(population, item)))
    if report is not None and len(report.marginal) and item in set(report.marginal["item"]):
        parts.append("<h3>Marginal fidelity (held-out answers)</h3>")
        parts.append(_table(_marginal(report.marginal, item)))
        if len(report.distributions) and item in set(report.distributions["item"]):
            parts.append(distribution_figure(report.distributions, item))
        parts.append("<h3>Individual fidelity (cross-fitted)</h3><p class='note'>Each pilot answer is predicted by "
                     "the model fit without its fold.</p>")
        parts.append(_table(report.individual[report.individual["item"] == item].drop(columns="item")))
    if item in structural:
        recovered = structural[item]
        parts.append(f"<h3>Structural fidelity: {html.escape(recovered.formula)}</h3><p class='note'>Each "
                     "estimator's coefficients against the PPI++ reference: the attenuation slope of standardised "
                     "coefficients with its 95% interval (1: no attenuation), the coefficients' correlation, and the "
                     "shares agreeing in sign, in significance and inside the reference's interval.</p>")
        overall = recovered.overall()
        interval = [_interval(row.attenuation_slope, row.attenuation_ci_low, row.attenuation_ci_high)
                    for row in overall.itertuples()] if "attenuation_ci_low" in overall else None
        shown = overall.drop(columns=[c for c in ("attenuation_slope", "attenuation_se", "attenuation_ci_low",
                                                  "attenuation_ci_high", "rmse_standardized") if c in overall])
        if interval is not None:
            shown.insert(1, "attenuation [95% CI]", interval)
        parts.append(_table(shown))
        parts.append(forest_figure(recovered.table()))
    if report is not None and len(report.subgroups) and item in set(report.subgroups["item"]):
        parts.append("<h3>Subgroups</h3>")
        parts.append(_table(report.subgroup_summary[report.subgroup_summary["item"] == item].drop(columns="item")))
        parts.append(subgroup_figure(report.subgroups, item))
    notes = []
    if len(exclusions) and item in set(exclusions["item"]):
        notes += [f"{row.n_rows} {'pilot answers not used' if row.scope == 'pilot answer' else 'excluded'} "
                  f"({row.n_pilot} pilot): {row.reason}" for row in exclusions[exclusions["item"] == item].itertuples()]
    if scale is not None:
        notes += [f"scale: {note}" for note in scale.notes]
    if notes:
        parts.append("<h3>Exclusions and scale notes</h3><ul>" +
                     "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def render(population, overview, report=None, structural=None, scales=None, exclusions=None,
           title="synthsurvey report"):
    """The HTML text of the report (see the module docstring); ``population`` is a
    ``population_by_item`` result (or None: a fidelity report alone), ``report`` a FidelityReport."""
    structural, scales = dict(structural or {}), dict(scales or {})
    exclusions = pd.DataFrame() if exclusions is None else exclusions
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"]
    table = population.table() if population is not None else None
    if table is not None:
        parts.append("<h2 id='population'>Population estimates</h2><p class='note'>Population mean of each item: "
                     "the raw LLM (base), the pilot alone, and cross-fitted PPI++ (the pilot's answers correct the "
                     "debiased predictions of everybody); <i>worth</i> is the number of pilot answers the PPI++ "
                     "estimate is worth (n x pilot-only variance / PPI++ variance).</p>")
        parts.append(_overview_html(overview))
        parts.append(population_figure(overview, scales))
        items = list(dict.fromkeys(table["item"]))
    else:
        items = list(dict.fromkeys(report.marginal["item"])) if report is not None else []
    parts.append("<h2 id='items'>Items</h2><nav><ul>" + "".join(
        f"<li><a href='#{_slug(item)}'>{html.escape(str(item))}</a></li>" for item in items) + "</ul></nav>")
    parts.append(f"<p class='note'><b>Marginal fidelity.</b> {COMPARED}</p>")
    for item in items:
        parts.append(_item_section(item, table, scales, report, structural, exclusions))
    if report is not None and len(report.coherence):
        parts.append("<h2>Belief-action coherence</h2>" + _table(report.coherence))
    notes = list(report.notes) if report is not None else []
    notes += list(population.notes) if population is not None else []
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(path, population, overview, report=None, structural=None, scales=None, exclusions=None,
                 title="synthsurvey report"):
    """Write ``render(...)`` to ``path`` (folders created); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(population, overview, report, structural, scales, exclusions, title))
    return path


def report(fits_or_report, path, title="synthsurvey report", **fidelity_options):
    """Write the HTML report to ``path`` and return the path. Pass fits (one or a list; the
    population estimates come first, then fidelity with ``fidelity_options``: ``formula`` gives
    the structural axis of its item), a FidelityReport (fidelity sections only), or a
    SourceComparison (``compare_sources``: its section, ``sources_report.sources_section``)."""
    if isinstance(fits_or_report, SourceComparison):
        return write_sources_report(fits_or_report, path, title)
    if isinstance(fits_or_report, FidelityReport):
        return write_report(path, None, None, fits_or_report, title=title)
    fits = fits_or_report if isinstance(fits_or_report, (list, tuple)) else [fits_or_report]
    by_item = {fit.item: fit for fit in fits}
    options = {key: value for key, value in fidelity_options.items() if key in ("folds", "seed", "alpha")}
    population = population_by_item(by_item, **options)
    scales = {fit.item: fit.scale for fit in fits}
    result = fidelity(fits, **{key: value for key, value in fidelity_options.items() if key != "formula"})
    structural = {}
    formula = fidelity_options.get("formula")
    if formula is not None:
        item = parse_formula(formula).item
        if item not in by_item:
            raise SynthsurveyError(f"formula {formula!r} is about {item!r}, which none of the fits debiases")
        structural[item] = recover(by_item[item], formula, family=fidelity_options.get("recovery_family", "ols"),
                                   **options)
    exclusions = pd.concat([fit.exclusions.assign(item=fit.item) for fit in fits], ignore_index=True)
    return write_report(path, population, overview_table(population, scales), result, structural, scales, exclusions,
                        title)

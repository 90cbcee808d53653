"""The HTML section of a source comparison (``compare_sources``): the side-by-side table, the
analyst's coefficients' n_effective by variant, the draws curve and the cost view."""

import html
from pathlib import Path

from .html import page, png, subplots, table


def write_sources_report(comparison, path, title):
    """Write a page holding ``sources_section(comparison)`` to ``path``; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(title, [sources_section(comparison)]))
    return path


def sources_section(comparison):
    """The HTML of a SourceComparison: the side-by-side table, the analyst's coefficients' n_effective
    by variant, the draws curve and the cost view (tables and figures)."""
    parts = ["<h2>LLM sources compared</h2><p class='note'>Each source alone and combined in one debiaser, on the "
             "same pilot. <code>n_effective</code>: pilot answers the PPI++ estimate is worth; <code>w1_*</code>: "
             "Wasserstein-1 to the pilot's answers; <code>rmse_*</code>: held-out individual error; "
             "<code>attenuation_*</code>: the analyst's coefficients in raw draw means / debiased predictions over the "
             "pilot's; <code>coherence_slope_diff_*</code>: action-on-belief slope minus the humans'.</p>",
             table(comparison.wide), value_figure(comparison.wide)]
    if len(comparison.coefficients):
        wide = comparison.coefficients.pivot_table(index="term", columns="variant", values="n_effective", sort=False)
        parts += ["<h3>The analyst's coefficients: n_effective by variant</h3>", table(wide.reset_index())]
    if len(comparison.draws):
        parts += ["<h3>Draws curve</h3><p class='note'>n_effective of the population mean with the first m draws of "
                  "every person and source (the same pilot and folds).</p>", draws_figure(comparison.draws),
                  table(comparison.draws)]
    if len(comparison.cost):
        best = comparison.cost[comparison.cost["best"]]
        parts += [f"<h3>Cost view</h3><p class='note'>The cheapest pilot size and number of people with predictions "
                  f"reaching a CI half-width of {comparison.cost['half_width'].iloc[0]:g} at each number of draws "
                  "(draws 0: the pilot alone); the mixed-subjects design of ppi_py.ppi_power.</p>",
                  cost_figure(comparison.cost), table(best)]
    parts += [f"<p class='note'>{html.escape(note)}</p>" for note in comparison.notes]
    return "\n".join(parts)


def value_figure(wide):
    """Bars: n_effective of the population mean per variant and item."""
    table = wide.pivot_table(index="variant", columns="item", values="n_effective_mean", sort=False)
    figure, axis = subplots((6, 3))
    table.plot.bar(ax=axis, rot=15)
    axis.set_ylabel("n_effective (pilot answers)")
    axis.set_xlabel("")
    return png(figure)


def draws_figure(curve):
    """Lines: n_effective of the mean against draws per person, one per variant."""
    figure, axis = subplots((6, 3.5))
    for variant, points in curve.groupby("variant", sort=False):
        axis.plot(points["draws_per_person"], points["n_effective_mean"], marker="o", label=variant)
    axis.set_xscale("log")
    axis.set_xlabel("LLM draws per person (all sources of the variant)")
    axis.set_ylabel("n_effective of the mean")
    axis.legend(fontsize=8)
    return png(figure)


def cost_figure(cost):
    """Lines: the cheapest study's cost against draws per person, one per variant."""
    figure, axis = subplots((6, 3.5))
    for variant, points in cost[cost["draws_per_person"] > 0].groupby("variant", sort=False):
        axis.plot(points["draws_per_person"], points["cost"], marker="o", label=variant)
    alone = cost.loc[cost["draws_per_person"] == 0, "cost"]
    if len(alone):
        axis.axhline(float(alone.min()), color="grey", linestyle="--", label="pilot alone")
    axis.set_xscale("log")
    axis.set_xlabel("LLM draws per person")
    axis.set_ylabel("cost of the cheapest study")
    axis.legend(fontsize=8)
    return png(figure)

"""Population estimates of many items side by side: the headline table of a questionnaire.

For every item: the mean (and, for discrete items, the share of each level) by three methods,
``ppi++`` (cross-fitted PPI++, the valid estimate), ``classical`` (the pilot alone) and
``base LLM`` (the raw draws' population average, no interval), with ``item``, ``estimand``,
``formula``, ``family`` and ``note`` columns and the population each row describes (``n_input``,
``n_excluded``, ``excluded``, ``answers_not_used``: see ``inference.population_notes``). An item
whose fit failed gets the pilot alone, from its usable answers, with the reason in ``note``.
"""

import numpy as np
import pandas as pd

from ..common.checks import check_alpha
from ..common.errors import SynthsurveyError
from ..inference import designs, ppi
from ..inference.population import PopulationResult, estimate_rows, population_mean, population_shares

METHODS = ("ppi++", "classical", "base LLM")


def base_means(fit):
    """(mean of the draw means, mean draw shares or None) over the fit's population."""
    frame = fit.frame if fit.in_memory else fit.features  # a distributed fit's features stay in Dask
    shares = fit.scale.share_names() if fit.scale.is_discrete else []
    values = frame[["llm_mean", *shares]].mean()
    values = values.compute() if hasattr(values, "compute") else values
    return float(values["llm_mean"]), (values[shares].to_numpy(dtype=float) if shares else None)


def _base_rows(fit, mean, shares):
    n = fit.n_population if fit.in_memory else np.nan
    rows = [{"term": "mean", "estimate": mean, "std_error": np.nan, "df": np.inf, "n_labeled": 0, "n_unlabeled": n,
             "method": "base LLM"}]
    if shares is not None:
        rows += [{"term": f"share[{level:g}]", "level": level, "estimate": value, "std_error": np.nan, "df": np.inf,
                  "n_labeled": 0, "n_unlabeled": n, "method": "base LLM"}
                 for level, value in zip(fit.scale.levels, shares)]
    return rows


def item_rows(fit, alpha=0.05, folds=5, seed=0, shares=True, **options):
    """Rows (dicts) of one fit: mean and shares by each method; ``options`` go to the estimators
    (design, weights, pilot_weights, finite_population)."""
    tables = []
    for method in ("ppi++", "classical"):
        tables.append(population_mean(fit, method=method, alpha=alpha, folds=folds, seed=seed, **options).table())
        if shares and fit.scale.is_discrete:
            try:
                tables.append(population_shares(fit, method=method, alpha=alpha, folds=folds, seed=seed,
                                                **options).table())
            except SynthsurveyError:  # e.g. shares of a distributed ols fit: the means stand alone
                pass
    rows = [row for table in tables for row in table.to_dict("records")]
    mean, draw_shares = base_means(fit)
    statement = {key: rows[0][key] for key in ("n_input", "n_excluded", "excluded", "answers_not_used")
                 if key in rows[0]}
    rows += [{**row, **statement} for row in _base_rows(fit, mean, draw_shares if shares else None)]
    return [{**row, "item": fit.item, "formula": fit.formula, "family": fit.family, "note": ""} for row in rows]


def pilot_only_rows(item, scale, answers, n_people, reason, shares=True):
    """Rows of an item without a fit: the pilot alone (classical mean and shares, subsample design
    over the ``n_people`` with draws), with ``reason`` in the note."""
    answers = np.asarray(answers, dtype=float)
    note = f"not fitted, pilot alone: {reason}"
    if len(answers) < 2:
        return [{"item": item, "term": "mean", "estimate": np.nan, "std_error": np.nan, "df": np.inf,
                 "method": "classical", "n_labeled": len(answers), "formula": "", "family": "", "note": note}]
    n_people = max(int(n_people), len(answers))
    zeros = np.zeros(n_people)
    result = ppi.mean(answers, np.zeros(len(answers)), zeros, method="classical")
    sampling = designs.from_sizes("subsample", len(answers), n_people, True)  # a simple random pilot of the people
    rows = estimate_rows(["mean"], result, len(answers), n_people, "classical", sampling)
    if shares and scale.is_discrete:
        on_scale = answers[np.isin(answers, scale.levels)]
        if len(on_scale) == len(answers):
            indicators = scale.indicators(answers)
            result = ppi.mean(indicators, np.zeros_like(indicators), np.zeros((n_people, scale.n_levels)),
                              method="classical")
            share_rows = estimate_rows([f"share[{level:g}]" for level in scale.levels], result, len(answers),
                                       n_people, "classical", sampling)
            rows += [{**row, "level": level} for row, level in zip(share_rows, scale.levels)]
    return [{**row, "item": item, "formula": "", "family": "", "note": note} for row in rows]


def population_by_item(fits, failures=None, alpha=0.05, folds=5, seed=0, shares=True, **options):
    """One PopulationResult with a row per item, estimand and method (see the module docstring).
    fits: {item: fit}; failures: {item: (scale, pilot answers, people with draws, reason)}."""
    alpha = check_alpha(alpha)
    rows, notes = [], []
    order = list(fits) + [item for item in (failures or {}) if item not in fits]
    for item in order:
        if item in fits:
            rows += item_rows(fits[item], alpha, folds, seed, shares, **options)
        else:
            scale, answers, n_people, reason = failures[item]
            rows += pilot_only_rows(item, scale, answers, n_people, reason, shares)
            notes.append(f"{item}: not fitted ({reason}); its rows are the pilot alone")
    for row in rows:
        row["estimand"] = "mean" if row["term"] == "mean" else "share"
    table = pd.DataFrame(rows)
    leading = ["item", "estimand", "method"]
    table = table[leading + [c for c in table.columns if c not in leading]]
    return PopulationResult(table, alpha, notes, keys=("item", "estimand", "method"),
                            title=f"Population estimates of {len(order)} item(s)")


def overview(population, scales, alpha=None):
    """One row per item from a ``population_by_item`` result: item, scale, family, n_pilot,
    n_population, base LLM mean, the pilot alone (estimate and CI), PPI++ (estimate and CI),
    n_effective (pilot answers PPI++ is worth) and the note."""
    table = population.table(alpha)
    means = table[table["term"] == "mean"]
    rows = []
    for item, group in means.groupby("item", sort=False):
        by_method = group.set_index("method")
        row = {"item": item, "scale": scale_label(scales.get(item)), "family": group["family"].iloc[0] or "-"}
        for method, prefix in (("classical", "pilot"), ("ppi++", "ppi")):
            if method in by_method.index:
                picked = by_method.loc[method]
                row.update({f"{prefix}_estimate": picked["estimate"], f"{prefix}_ci_low": picked["ci_low"],
                            f"{prefix}_ci_high": picked["ci_high"]})
        ppi_row = by_method.loc["ppi++"] if "ppi++" in by_method.index else by_method.iloc[0]
        row["n_pilot"] = ppi_row["n_labeled"]
        row["n_population"] = ppi_row["n_labeled"] + ppi_row.get("n_unlabeled", np.nan)
        row["base_llm"] = by_method.loc["base LLM", "estimate"] if "base LLM" in by_method.index else np.nan
        row["n_effective"] = by_method.loc["ppi++", "n_effective"] if "ppi++" in by_method.index else np.nan
        row["note"] = group["note"].iloc[0]
        rows.append(row)
    columns = ["item", "scale", "family", "n_pilot", "n_population", "base_llm", "pilot_estimate", "pilot_ci_low",
               "pilot_ci_high", "ppi_estimate", "ppi_ci_low", "ppi_ci_high", "n_effective", "note"]
    return pd.DataFrame(rows).reindex(columns=columns)


def scale_label(scale):
    """'ordinal 1..5', 'binary 0/1', 'continuous' ('' for an unknown scale)."""
    if scale is None:
        return ""
    if scale.kind == "continuous":
        return "continuous"
    low, high = scale.levels[0], scale.levels[-1]
    return f"{scale.kind} {low:g}/{high:g}" if scale.kind == "binary" else f"{scale.kind} {low:g}..{high:g}"

"""Which LLM source is worth the most humans? ``compare_sources`` refits one study's debiasers on
each source alone and on all sources combined, and sets their fidelity and value side by side.

Variants: each source alone (the fit's formula with that source as ``source=``); ``combined``:
one debiaser whose every term reading draw features is repeated for each source (``llm_auto`` ->
``llm_auto[base] + llm_auto[persona] + ...``); and, when a source was declared ``tuned_on`` pilot
ids and at least two others were not, ``combined untuned``: the combination of the others (what
they are worth without it). A variant that reads a tuned source is trained on the untouched pilot
answers (``n_pilot``); its population mean and coefficients still use every pilot answer
(``n_labeled_mean``), stacked over the tuned source (``inference.tuned``).
Every variant keeps the fit's pilot, covariates, family, options and tuned-on declarations.

For each variant and item: the population mean with PPI++ (its half-width and ``n_effective``:
"this source is worth n pilot answers"), the marginal (Wasserstein-1 to the pilot's answers),
individual (held-out RMSE), structural (attenuation of the analyst's coefficients in the raw draw
means and the debiased predictions; median ``n_effective`` of the PPI++ coefficients), subgroup
(worst group's Wasserstein-1) and coherence (logit slope of the action on the belief minus the
humans') axes (``fidelity``), the draws curve and, given costs and a target half-width, the cost
view (``draws``).
"""

import numpy as np
import pandas as pd

from ..common.checks import as_names, check_alpha
from ..common.errors import SynthsurveyError
from ..common.results import Result, Summary
from ..inference.coefficients import population_logit, population_ols
from ..inference.population import population_mean
from ..models.formula import parse as parse_formula
from ..models.model import DebiasModel
from .draws import DRAWS, cost_view, draws_curve
from .fidelity import fidelity

COMBINED, COMBINED_UNTUNED = "combined", "combined untuned"


class SourceComparison(Result):
    """The side-by-side comparison (see ``compare_sources``). ``wide``: one row per (variant, item)
    with every axis's headline numbers; ``coefficients``: the analyst's PPI++ coefficients by
    variant with their ``n_effective``; ``draws``: the draws curve; ``cost``: the cost view (empty
    without a target half-width); ``reports``: the FidelityReport of each variant. ``table()`` is
    ``wide`` in long form (variant, item, term = the metric, estimate)."""

    def __init__(self, wide, coefficients, draws, cost, reports, notes=(), alpha=0.05):
        self.wide, self.coefficients, self.draws, self.cost = wide, coefficients, draws, cost
        self.reports = dict(reports)
        labels = [c for c in ("variant", "sources", "item") if c in wide.columns]
        long = wide.melt(id_vars=labels, var_name="term", value_name="estimate")
        long["estimate"] = pd.to_numeric(long["estimate"], errors="coerce")
        long["std_error"] = np.nan
        long.attrs["keys"] = tuple(labels)
        self._set_estimates(long, alpha, notes)
        self._freeze()

    def tables(self):
        """Every table by name: wide, coefficients, draws, cost."""
        return {"wide": self.wide, "coefficients": self.coefficients, "draws": self.draws, "cost": self.cost}

    def _title(self):
        return "LLM sources compared: each alone and combined"

    def summary(self, alpha=None):
        shown = {"side by side": self.wide}
        if len(self.draws):
            shown["draws curve"] = self.draws
        if len(self.cost):
            shown["cost view (cheapest per variant: best)"] = self.cost[self.cost["best"]]
        return Summary(self._title(), [], self.table().iloc[0:0], self.notes, tables=shown)

    def __repr__(self):
        variants = ", ".join(map(str, dict.fromkeys(self.wide["variant"]))) if len(self.wide) else ""
        return f"<SourceComparison: {variants}>"


def rebuild(fit, formula=None, source=None, features=None):
    """``fit``'s model refit with another formula, default source or feature table (the same pilot,
    covariates, family, options and tuned-on declarations)."""
    model = getattr(fit, "model", None)
    if model is None or not getattr(fit, "in_memory", False):
        raise SynthsurveyError("compare_sources needs in-memory fits (a DistributedFit: use fit.to_memory())")
    return DebiasModel(formula or model.formula, model.samples, model.humans, model.covariates, family=model.family,
                       key=model.key, scales=model.scales, link=model.link, q=model.q,
                       features=model.features if features is None else features, source=source,
                       tuned_on=model.sources.tuned_on or None).fit()


def variant_fits(fits):
    """{variant: (its sources, [one fit per item])} of ``fits`` (see the module docstring)."""
    sources = fits[0].model.sources
    labels = list(sources.labels)
    if len(labels) < 2:
        raise SynthsurveyError(f"compare_sources needs samples with a 'source' column holding at least two sources; "
                               f"these have {labels or 'none'}")
    names = set(map(str, labels))
    for fit in fits:
        if any(len(r.labels) == 2 or r.labels[0] in names for r in parse_formula(fit.formula).references):
            raise SynthsurveyError(f"{fit.formula!r} names a source: write it with plain feature names "
                                   "(compare_sources applies it to each source)")
    variants = {str(label): ([label], [rebuild(fit, source=label) for fit in fits]) for label in labels}
    variants[COMBINED] = (labels, [rebuild(fit, sources.combined_formula(fit.formula)) for fit in fits])
    untuned = [label for label in labels if label not in sources.tuned_on]
    if len(untuned) >= 2 and len(untuned) < len(labels):
        variants[COMBINED_UNTUNED] = (untuned, [rebuild(fit, sources.combined_formula(fit.formula, untuned))
                                                for fit in fits])
    return variants


def compare_sources(fits, formula=None, recovery_family="ols", by=None, coherence=None, draws=DRAWS,
                    half_width=None, cost_human=1.0, cost_draw=0.0, cost_person=0.0, folds=5, seed=0,
                    alpha=0.05):
    """Compare the LLM sources of one study, each alone and combined (see the module docstring).

    fits: a fit or a list (one per item) made from samples with a ``source`` column and a formula
        written with plain feature names (e.g. ``ss.default_formula``'s); ``formula``: the analyst's
        model (structural axis, coefficients' n_effective); ``by``, ``coherence``: as ``fidelity``.
    draws: draws per person for the draws curve (None: all; ``()``: no curve).
    half_width: target CI half-width of the mean (item units) for the cost view, with costs per human
        answer, per LLM draw and per person reached.
    Returns a SourceComparison.
    """
    fits = [fits] if not isinstance(fits, (list, tuple)) else list(fits)
    alpha, by = check_alpha(alpha), as_names(by)
    item = parse_formula(formula).item if formula is not None else fits[0].item
    if item not in [fit.item for fit in fits]:
        raise SynthsurveyError(f"formula {formula!r} is about {item!r}, which none of the fits debiases")
    variants = variant_fits(fits)
    rows, coefficients, reports, notes = [], [], {}, []
    for name, (labels, variant) in variants.items():
        report = fidelity(variant, formula, recovery_family, by, coherence, folds, seed, alpha=alpha)
        reports[name] = report
        notes += [f"{name}: {note}" for note in report.notes]
        for fit in variant:
            row = _row(name, labels, fit, report, coherence, alpha, folds, seed)
            if formula is not None and fit.item == item:
                estimator = population_ols if recovery_family == "ols" else population_logit
                table = estimator(fit, formula, alpha=alpha, folds=folds, seed=seed).table()
                coefficients.append(table.assign(variant=name))
                terms = table[table["term"] != "Intercept"]
                row["n_effective_coef"] = float(np.median(terms["n_effective"])) if len(terms) else np.nan
            rows.append(row)
    curve, cost = pd.DataFrame(), pd.DataFrame()
    if draws and fits[0].samples is None:
        notes.append("no draws curve or cost view: the fits were made from a feature table, without raw draws")
    elif draws:
        by_name = {name: next(fit for fit in variant if fit.item == item) for name, (_, variant) in variants.items()}
        curve, curve_notes = draws_curve(by_name, lambda fit, features: rebuild(fit, fit.formula, fit.model.sources.default,
                                                                                features),
                                         formula, recovery_family, draws, folds, seed, alpha)
        notes += curve_notes
        if half_width is not None and len(curve):
            n_max = max(fit.n_population for fit in by_name.values())
            cost = cost_view(curve, half_width, cost_human, cost_draw, cost_person, n_max, alpha)
    coefficient_table = pd.concat(coefficients, ignore_index=True) if coefficients else pd.DataFrame()
    if len(coefficient_table):
        coefficient_table = coefficient_table[["variant"] + [c for c in coefficient_table.columns if c != "variant"]]
    return SourceComparison(pd.DataFrame(rows), coefficient_table, curve, cost, reports, notes, alpha)


def _row(name, labels, fit, report, coherence, alpha, folds, seed):
    """The side-by-side row of one variant's fit of one item."""
    mean = population_mean(fit, alpha=alpha, folds=folds, seed=seed).table().iloc[0]
    row = {"variant": name, "sources": " + ".join(map(str, labels)), "item": fit.item, "n_pilot": fit.nobs,
           "n_labeled_mean": int(mean["n_labeled"]), "n_population": fit.n_population, "mean": float(mean["estimate"]),
           "half_width": float(mean["ci_high"] - mean["estimate"]), "n_effective_mean": float(mean["n_effective"])}
    marginal = report.marginal[report.marginal["item"] == fit.item].set_index("predictor")
    individual = report.individual[report.individual["item"] == fit.item].set_index("predictor")
    for predictor in ("base", "debiased"):
        row[f"w1_{predictor}"] = float(marginal.loc[predictor, "wasserstein"]) if predictor in marginal.index else np.nan
        row[f"rmse_{predictor}"] = float(individual.loc[predictor, "rmse"]) if predictor in individual.index else np.nan
    if report.structural is not None and parse_formula(report.structural.formula).item == fit.item:
        overall = report.structural.overall().set_index("estimator")
        for estimator, label in (("LLM draw mean", "raw"), ("debiased (naive)", "debiased")):
            if estimator in overall.index:
                row[f"attenuation_{label}"] = float(overall.loc[estimator, "attenuation_slope"])
    summary = report.subgroup_summary
    if len(summary):
        mine = summary[summary["item"] == fit.item]
        for predictor in ("base", "debiased"):
            worst = mine.loc[mine["predictor"] == predictor, "worst_wasserstein"]
            if len(worst):
                row[f"subgroup_worst_w1_{predictor}"] = float(worst.max())
    if coherence is not None and fit.item == coherence[0] and len(report.coherence):
        slopes = report.coherence.set_index("answers")["slope_diff"]
        for answers, label in (("raw LLM", "raw"), ("debiased", "debiased")):  # the rows' labels begin so
            matching = [name for name in slopes.index if str(name).startswith(answers)]
            if matching:
                row[f"coherence_slope_diff_{label}"] = float(slopes[matching[0]])
    return row

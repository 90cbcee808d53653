"""The R package's calls for whole questionnaires (``r-package/R/questionnaire.R``):
``ss.debias_items`` with R's tables and options, the population table of every item, the
overview, the report, and the simulated questionnaire. Imported by ``rapi`` (the module R loads);
no statistics here."""

import numpy as np

from ..evaluation.estimates import scale_label
from ..io.simulate_questionnaire import simulate_questionnaire as simulate
from .questionnaire import debias_items as core_debias_items
from .rbridge import frame_to_spec
from .rcommon import call_tables, names, result_spec, scale_declarations


def _by_item(value):
    """R's formulas= / families=: None, one string (a template, a family) or a dict by item."""
    if value is None or isinstance(value, str):
        return value
    return {str(item): str(spec) for item, spec in dict(value).items()}


def debias_items(samples, humans, covariates, items, formulas, families, scales, covariate_terms, key, alpha,
                 folds, seed, errors, unseen_levels, link):
    """ss_debias_items: the QuestionnaireResults (``py``) and what R shows of it: items in order,
    fits {item: DebiasResults}, failures {item: reason}, formulas, families and scales by item."""
    samples, humans, covariates, _ = call_tables(samples, humans, covariates, key)
    study = core_debias_items(samples, humans, covariates, items=names(items), formulas=_by_item(formulas),
                              families=_by_item(families), scales=scale_declarations(scales),
                              covariate_terms=tuple(names(covariate_terms) or ()), key=key, alpha=float(alpha),
                              folds=int(folds), seed=int(seed), errors=errors, unseen_levels=unseen_levels,
                              link=link)
    return {"py": study, "items": list(study.items), "fits": dict(study.fits), "failures": dict(study.failures),
            "formulas": dict(study.formulas), "families": dict(study.families),
            "scales": {item: _label(scale) for item, scale in study.scales.items()},
            "notes": list(study.notes)}


def _label(scale):
    """A scale in a few words: 'ordinal 1..5, missing 8/9'."""
    codes = "/".join(f"{code:g}" for code in scale.missing)
    return scale_label(scale) + (f", missing {codes}" if codes else "")


def questionnaire_fit(study, item):
    """``study[item]``: the item's fit (the core's error for an item not fitted)."""
    return study[item]


def questionnaire_population(study, alpha, shares, design, weights, pilot_weights):
    """``study.population(...)``: one result with a row per item, estimand and method."""
    def weight(value):
        return value if value is None or isinstance(value, str) else np.asarray(value, dtype=float)

    return result_spec(study.population(alpha=alpha, shares=bool(shares), design=design, weights=weight(weights),
                                        pilot_weights=weight(pilot_weights)))


def questionnaire_overview(study, alpha):
    """``study.overview(alpha)``: one row per item."""
    return frame_to_spec(study.overview(alpha))


def questionnaire_report(study, path, title, analyst, by, coherence):
    """``study.report(path, ...)``: write the questionnaire's HTML report; returns its path."""
    return str(study.report(path, title=title, analyst=None if analyst is None else dict(analyst),
                            by=names(by), coherence=None if coherence is None else tuple(names(coherence))))


def simulate_questionnaire(n_people, n_draws, n_pilot, items, seed, ids, dont_know, pilot_missing):
    """ss_simulate_questionnaire: the seeded questionnaire's tables as frame specs."""
    items = None if items is None else {str(name): int(levels) for name, levels in dict(items).items()}
    dont_know = None if dont_know is None else (float(dont_know[0]), float(dont_know[1]))
    study = simulate(int(n_people), int(n_draws), int(n_pilot), items=items, seed=int(seed), ids=ids,
                     dont_know=dont_know, pilot_missing=float(pilot_missing))
    return {name: frame_to_spec(getattr(study, name))
            for name in ("samples", "pilot", "covariates", "humans", "truth")}

"""Coefficients of the analyst's regression on the human population, with PPI++.

``population_ols("belief ~ age + C(educ)", fit)`` estimates the coefficients the regression
would have if every person in the fit's population had answered: the pilot's answers,
corrected predictions for everybody (cross-fitted), sandwich standard errors. The
left-hand side must be the fit's item.
"""

import numpy as np

from . import formula as formulas
from . import ppi
from .errors import SynthsurveyError
from .crossfit import predictions
from .families import PROBABILITY_FAMILIES
from .population import PopulationResult, design_weights, estimate_rows, population_part
from .study import RESPONSE, Exclusions, complete_rows, exclusion_notes, IS_PILOT


def analyst_design(formula, fit):
    """Return (design matrix over the usable rows, their mask, exclusions table) of the
    analyst's ``formula`` on the fit's population frame; raise if its item is not the fit's."""
    spec = formulas.parse(formula)
    if spec.item != fit.item:
        raise SynthsurveyError(
            f"the left-hand side of {formula!r} is {spec.item!r}, but the fit debiases {fit.item!r}"
        )
    formulas.check_columns(spec, fit.frame, "the fit's frame")
    exclusions = Exclusions()
    usable = complete_rows(fit.frame.drop(columns="_no_covariates", errors="ignore"),
                           list(spec.llm_features + spec.covariates), exclusions)
    frame = fit.frame.loc[usable]
    design = formulas.build(spec.rhs, frame.loc[frame[IS_PILOT]])
    matrix = formulas.rebuild(design, frame)
    problem = formulas.rank_deficiency(matrix.loc[frame[IS_PILOT].to_numpy()])
    if problem:
        raise SynthsurveyError(f"formula {formula!r} is rank-deficient in the pilot: {problem}")
    return matrix, usable, exclusions.table()


def _estimate(kernel, formula, fit, response, predicted, method, design, alpha, weights,
              pilot_weights, finite_population):
    matrix, usable, exclusions = analyst_design(formula, fit)
    is_pilot = fit.is_pilot[usable]
    x_all = matrix.to_numpy(dtype=float)
    y = response[usable][is_pilot]
    f = predicted[usable]
    w_all, w_pilot = design_weights(fit, weights, pilot_weights)
    w_all = None if w_all is None else w_all[usable]
    w_pilot = None if w_pilot is None else w_pilot[usable][is_pilot]
    rows_all, f_all, weights_all = population_part(design, is_pilot, x_all, f, w_all)
    if len(y) <= x_all.shape[1]:
        raise SynthsurveyError(
            f"the pilot has {len(y)} usable answers but {formula!r} has {x_all.shape[1]} coefficients"
        )
    result = kernel(x_all[is_pilot], y, f[is_pilot], rows_all, f_all, method, design, w_pilot, weights_all,
                    finite_population)
    rows = estimate_rows(list(matrix.columns), result, alpha, len(y), len(f_all), method, design)
    return PopulationResult(rows, alpha, exclusion_notes(exclusions))


def population_ols(formula, fit, method="ppi++", design="subsample", alpha=0.05, cross_fit=True, folds=5,
                   seed=0, weights=None, pilot_weights=None, finite_population=True):
    """OLS coefficients of ``formula`` (item ~ covariates) over the population: PopulationResult
    with one row per coefficient (term names as patsy gives them)."""
    response = fit.frame[RESPONSE].to_numpy(dtype=float)
    predicted = predictions(fit, "response", cross_fit, folds, seed)
    return _estimate(ppi.ols, formula, fit, response, predicted, method, design, alpha, weights,
                     pilot_weights, finite_population)


def population_logit(formula, fit, method="ppi++", design="subsample", alpha=0.05, cross_fit=True, folds=5,
                     seed=0, weights=None, pilot_weights=None, finite_population=True):
    """Logistic-regression coefficients of ``formula`` for a binary item over the population.
    The outcome is 1 at the item's higher level; predictions are the fit's probability of it
    (an ols fit's expected answer is rescaled to [0, 1] and clipped)."""
    if fit.scale.n_levels != 2:
        raise SynthsurveyError(f"population_logit needs a binary item; {fit.item!r} is {fit.scale.describe()}")
    low, high = fit.scale.levels
    response = (fit.frame[RESPONSE].to_numpy(dtype=float) == high).astype(float)
    if fit.family in PROBABILITY_FAMILIES:
        predicted = predictions(fit, "probs", cross_fit, folds, seed)[:, 1]
    else:
        predicted = np.clip((predictions(fit, "response", cross_fit, folds, seed) - low) / (high - low), 0, 1)
    return _estimate(ppi.logistic, formula, fit, response, predicted, method, design, alpha, weights,
                     pilot_weights, finite_population)

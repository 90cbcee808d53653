"""Coefficients of the analyst's regression on the human population, with PPI++.

``population_ols(fit, "belief ~ age + C(educ)")`` estimates the coefficients the regression
would have if every person in the fit's population had answered: the pilot's answers,
corrected predictions for everybody (cross-fitted), design-based sandwich standard errors
(the fit's pilot design: strata, clusters, inclusion probabilities; see ``designs``) with t
intervals on the design's residual degrees of freedom. The left-hand side must be the fit's item.
The estimand is the census regression over the rows the formula can use (its exclusions are
counted in the notes).
"""

import numpy as np

from ..common.checks import check_alpha
from ..common.errors import SynthsurveyError
from ..models import formula as formulas
from ..models.families import PROBABILITY_FAMILIES
from ..models.frame import IS_PILOT, Exclusions, complete_rows, exclusion_notes
from . import ppi, regression, tuned
from .population import PopulationResult, covariance_frame, estimate_rows, estimation_inputs, stacked_inputs


def check_fit_first(fit, formula, function):
    """Raise a clear error when the fit and the formula come in the old order (formula, fit)."""
    if isinstance(fit, str) and not isinstance(formula, str):
        raise SynthsurveyError(f"{function} takes the fit first: {function}(fit, {fit!r})")
    if not isinstance(formula, str):
        raise SynthsurveyError(f"{function} needs the analyst's formula as a string 'item ~ terms', got "
                               f"{type(formula).__name__}")


def analyst_design(fit, formula, frame, has_covariates=None):
    """Return (design matrix over the usable rows of ``frame``, their mask, exclusions table) of the
    analyst's ``formula`` (its item must be the fit's), built on the pilot rows."""
    spec = formulas.parse(formula)
    if spec.item != fit.item:
        raise SynthsurveyError(
            f"the left-hand side of {formula!r} is {spec.item!r}, but the fit debiases {fit.item!r}")
    formulas.check_columns(spec, frame, "the fit's frame")
    exclusions = Exclusions()
    usable = complete_rows(frame, list(spec.llm_features + spec.covariates), exclusions, has_covariates)
    rows = frame.loc[usable]
    design = formulas.build(spec.rhs, rows.loc[rows[IS_PILOT]])
    matrix = formulas.rebuild(design, rows)
    problem = formulas.rank_deficiency(matrix.loc[rows[IS_PILOT].to_numpy()])
    if problem:
        raise SynthsurveyError(f"formula {formula!r} is rank-deficient in the pilot: {problem}")
    return matrix, usable, exclusions.table()


def coefficient_estimate(kernel, fit, formula, kind, to_outcome, method, design, cross_fit, folds, seed, weights,
                         pilot_weights, finite_population, leverage=True):
    """(ppi ArrayEstimate, term names, the population.Inputs of the usable rows, exclusions table)
    of the analyst's ``formula`` with a regression ``kernel`` (regression.ols / regression.logistic)."""
    ppi.check_method(method)
    spec = formulas.parse(formula)
    inputs = estimation_inputs(fit, kind, cross_fit, folds, seed, weights, pilot_weights,
                               [*spec.covariates, *spec.llm_features], design, finite_population)
    matrix, usable, exclusions = analyst_design(fit, formula, inputs.frame, getattr(fit, "has_covariates", None))
    if not usable.all():
        inputs = inputs.subset(usable)
    x_all = matrix.to_numpy(dtype=float)
    y = to_outcome(inputs.answers)
    f = np.asarray(inputs.predictions)
    f = f[:, 1] if f.ndim == 2 else f  # a binary item's probability of its higher level
    rows_all, f_all, weights_all = inputs.population_side(x_all, f, inputs.weights_all)
    if len(y) <= x_all.shape[1]:
        raise SynthsurveyError(
            f"the pilot has {len(y)} usable answers but {formula!r} has {x_all.shape[1]} coefficients")
    try:
        result = kernel(x_all[inputs.is_pilot], y, f[inputs.is_pilot], rows_all, f_all, method, inputs.sampling,
                        inputs.weights_pilot, weights_all, leverage=leverage)
    except SynthsurveyError as error:
        raise SynthsurveyError(f"{formula!r}: {error}") from None
    return result, list(matrix.columns), inputs, exclusions


def _estimate(kernel, fit, formula, kind, to_outcome, method, design, alpha, cross_fit, folds, seed, weights,
              pilot_weights, finite_population, leverage):
    stacking, tuned_note = tuned.applicable(fit, method, design, weights, pilot_weights, None,
                                            "ols" if kernel is regression.ols else "logistic")
    if stacking is not None:
        return _stacked_ols(fit, stacking, formula, alpha, cross_fit, folds, seed, finite_population, leverage)
    result, terms, inputs, exclusions = coefficient_estimate(
        kernel, fit, formula, kind, to_outcome, method, design, cross_fit, folds, seed, weights, pilot_weights,
        finite_population, leverage)
    n_all = len(inputs.frame) if not inputs.sampling.independent else int((~inputs.is_pilot).sum())
    rows = estimate_rows(terms, result, len(inputs.answers), n_all, method, inputs.sampling)
    notes = exclusion_notes(exclusions) + ([tuned_note] if tuned_note else [])
    return PopulationResult(rows, alpha, notes, title=f"Population coefficients: {formula}",
                            covariance=covariance_frame(result, terms), fit=fit)


def _stacked_ols(fit, stacking, formula, alpha, cross_fit, folds, seed, finite_population, leverage):
    """The OLS coefficients stacked over a tuned source (``tuned``), on the rows the formula can use."""
    spec = formulas.parse(formula)
    full, f_c, untouched_rows = stacked_inputs(fit, stacking, "response", cross_fit, folds, seed,
                                               [*spec.covariates, *spec.llm_features], finite_population)
    matrix, usable, exclusions = analyst_design(fit, formula, full.frame, getattr(fit, "has_covariates", None))
    if not usable.all():
        full, f_c, untouched_rows = full.subset(usable), f_c[usable], untouched_rows[usable]
    try:
        result, lam = tuned.ols(matrix.to_numpy(dtype=float), full.answers, np.asarray(full.predictions), f_c,
                                full.is_pilot, untouched_rows, full.sampling.pilot.finite, leverage)
    except SynthsurveyError as error:
        raise SynthsurveyError(f"{formula!r}: {error}") from None
    terms = list(matrix.columns)
    rows = estimate_rows(terms, result, len(full.answers), len(full.frame), "ppi++", full.sampling)
    notes = exclusion_notes(exclusions) + [tuned.note(stacking, lam, len(full.frame))]
    return PopulationResult(rows, alpha, notes, title=f"Population coefficients: {formula}",
                            covariance=covariance_frame(result, terms), fit=fit)


def population_ols(fit, formula, method="ppi++", design="subsample", alpha=0.05, cross_fit=True, folds=5,
                   seed=0, weights=None, pilot_weights=None, finite_population=True, leverage=True):
    """OLS coefficients of ``formula`` (item ~ covariates) over the population: a PopulationResult
    with one row per coefficient (term names as patsy gives them) and ``vcov()``. ``leverage``:
    the HC2 small-sample correction (see ``regression``); False gives ``survey::svyglm``'s
    sandwich exactly."""
    check_fit_first(fit, formula, "population_ols")
    alpha = check_alpha(alpha)
    return _estimate(regression.ols, fit, formula, "response", lambda values: values, method, design, alpha, cross_fit,
                     folds, seed, weights, pilot_weights, finite_population, leverage)


def logit_estimator(fit):
    """(prediction kind, regression kernel, outcome map) of the logistic PPI of a binary item: the
    outcome is 1 at the item's higher level; predictions are the fit's probability of it (an ols
    fit's expected answer rescaled to [0, 1] and clipped)."""
    if fit.scale.n_levels != 2:
        raise SynthsurveyError(f"population_logit needs a binary item; {fit.item!r} is {fit.scale.describe()}")
    low, high = fit.scale.levels
    if fit.family in PROBABILITY_FAMILIES:
        kind, kernel = "probs", regression.logistic
    else:
        kind = "response"

        def kernel(x, y, f, x_all, f_all, *rest, **options):
            rescale = lambda values: np.clip((values - low) / (high - low), 0, 1)  # noqa: E731
            return regression.logistic(x, y, rescale(f), x_all, rescale(f_all), *rest, **options)
    return kind, kernel, lambda values: (values == high).astype(float)


def population_logit(fit, formula, method="ppi++", design="subsample", alpha=0.05, cross_fit=True, folds=5,
                     seed=0, weights=None, pilot_weights=None, finite_population=True, leverage=True):
    """Logistic-regression coefficients of ``formula`` for a binary item over the population (see
    ``logit_estimator``). ``leverage`` as in ``population_ols`` (False: ``svyglm(family =
    quasibinomial)`` exactly)."""
    check_fit_first(fit, formula, "population_logit")
    alpha = check_alpha(alpha)
    kind, kernel, outcome = logit_estimator(fit)
    return _estimate(kernel, fit, formula, kind, outcome, method, design, alpha, cross_fit, folds, seed, weights,
                     pilot_weights, finite_population, leverage)

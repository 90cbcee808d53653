"""Population means, shares, quantiles and subgroup means of one item with valid inference.

Estimand: the mean (share, quantile) of the human answers over the N people of the fit's
population frame. Assumption: the pilot is a simple random sample of those N (design
``"subsample"``, the default, with finite-population correction), or, with design
``"independent"``, the pilot and the rest are independent samples of a superpopulation.
Predictions are cross-fitted by default (see ``crossfit``).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats

from . import ppi
from .crossfit import predictions
from .families import PROBABILITY_FAMILIES
from .errors import SynthsurveyError, preview
from .study import RESPONSE

COLUMNS = ["term", "estimate", "std_error", "ci_low", "ci_high", "n_labeled", "n_unlabeled",
           "n_effective", "lam", "method", "design"]


class PopulationResult:
    """Tidy population estimates. ``table()`` returns a DataFrame with columns term, estimate,
    std_error, ci_low, ci_high, n_labeled (pilot answers used), n_unlabeled (people without
    one), n_effective (pilot answers the estimate is worth: n x classical variance / this
    variance), lam, method, design, plus ``group`` for subgroup estimates. The first row's
    values are also attributes (``estimate``, ``std_err``, ``ci_low`` ...)."""

    def __init__(self, rows, alpha, notes=()):
        self._table = pd.DataFrame(rows)
        self.alpha = alpha
        self.notes = tuple(notes)

    def table(self):
        return self._table.copy()

    def _first(self, column):
        return self._table[column].iloc[0]

    estimate = property(lambda self: float(self._first("estimate")))
    std_err = property(lambda self: float(self._first("std_error")))
    std_error = std_err
    ci_low = property(lambda self: float(self._first("ci_low")))
    ci_high = property(lambda self: float(self._first("ci_high")))
    n_labeled = property(lambda self: int(self._first("n_labeled")))
    n_unlabeled = property(lambda self: int(self._first("n_unlabeled")))
    n_effective = property(lambda self: float(self._first("n_effective")))
    method = property(lambda self: self._first("method"))

    def __repr__(self):
        text = self._table.to_string(index=False, float_format=lambda v: f"{v:.4g}")
        notes = "".join(f"\n note: {note}" for note in self.notes)
        return f"Population estimates ({100 * (1 - self.alpha):g}% CI)\n{text}{notes}"


def estimate_rows(terms, result, alpha, n, n_all, method, design):
    """Table rows from a ppi.ArrayEstimate."""
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    n_unlabeled = n_all - n if design == "subsample" else n_all
    rows = []
    for term, estimate, std_error, classical in zip(terms, result.estimate, result.std_error,
                                                    result.classical_std_error):
        rows.append({
            "term": term, "estimate": estimate, "std_error": std_error,
            "ci_low": estimate - z * std_error, "ci_high": estimate + z * std_error,
            "n_labeled": n, "n_unlabeled": n_unlabeled,
            "n_effective": n * (classical / std_error) ** 2 if std_error > 0 else np.inf,
            "lam": result.lam, "method": method, "design": design,
        })
    return rows


@dataclass(frozen=True)
class Inputs:
    """What an estimator needs from a fit: pilot mask, answers, predictions, weights."""

    is_pilot: np.ndarray
    answers: np.ndarray
    predictions: np.ndarray
    weights_all: np.ndarray
    weights_pilot: np.ndarray


def design_weights(fit, weights, pilot_weights):
    """(population weights, pilot weights) as arrays over the frame's rows; column names of
    the frame or arrays. Pilot weights default to the population weights of the pilot rows."""
    def column(spec, name):
        if spec is None:
            return None
        if isinstance(spec, str):
            if spec not in fit.frame.columns:
                raise SynthsurveyError(f"{name}={spec!r} is not a column of the fit's frame")
            values = fit.frame[spec].to_numpy(dtype=float)
        else:
            values = np.asarray(spec, dtype=float)
            if values.shape != (fit.n_population,):
                raise SynthsurveyError(f"{name} must have one value per person ({fit.n_population})")
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            ids = fit.frame["id"].to_numpy()[bad]
            raise SynthsurveyError(f"{name} has missing or negative values, e.g. at id {preview(ids)}")
        return values

    population = column(weights, "weights")
    pilot = column(pilot_weights, "pilot_weights")
    if pilot is None:
        pilot = population
    return population, pilot


def _inputs(fit, kind, cross_fit, folds, seed, weights, pilot_weights):
    population_weights, pilot_weights = design_weights(fit, weights, pilot_weights)
    return Inputs(
        fit.is_pilot, fit.frame[RESPONSE].to_numpy(dtype=float)[fit.is_pilot],
        predictions(fit, kind, cross_fit, folds, seed), population_weights,
        None if pilot_weights is None else pilot_weights[fit.is_pilot],
    )


def _restricted(inputs, rows):
    """The Inputs of the people in ``rows`` (a boolean mask over the frame)."""
    pilot_rows = rows[inputs.is_pilot]
    return Inputs(
        inputs.is_pilot[rows], inputs.answers[pilot_rows], inputs.predictions[rows],
        None if inputs.weights_all is None else inputs.weights_all[rows],
        None if inputs.weights_pilot is None else inputs.weights_pilot[pilot_rows],
    )


def population_part(design, is_pilot, *arrays):
    """``arrays`` (over the frame's rows; None stays None) restricted to the rows an estimator's
    population side uses: everybody (subsample design) or the people outside the pilot
    (independent design). Returns a tuple."""
    if design == "subsample":
        return arrays
    rest = ~is_pilot
    return tuple(None if values is None else values[rest] for values in arrays)


def population_mean(fit, by=None, method="ppi++", design="subsample", alpha=0.05, cross_fit=True,
                    folds=5, seed=0, weights=None, pilot_weights=None, finite_population=True):
    """Population mean of the item's human answers (item units); one row per level of ``by``
    (a covariate column) when given. Returns a PopulationResult."""
    if by is None:
        inputs = _inputs(fit, "response", cross_fit, folds, seed, weights, pilot_weights)
        rows = _mean_rows(inputs, "mean", method, design, alpha, finite_population)
        return PopulationResult(rows, alpha)
    if by not in fit.frame.columns:
        raise SynthsurveyError(f"by={by!r} is not a column of the fit's frame (its covariates)")
    groups = fit.frame[by]
    notes, rows = [], []
    if groups.isna().any():
        notes.append(f"{int(groups.isna().sum())} people with missing {by!r} are in no group")
    everybody = _inputs(fit, "response", cross_fit, folds, seed, weights, pilot_weights)
    for level in sorted(groups.dropna().unique().tolist()):
        inputs = _restricted(everybody, (groups == level).to_numpy())
        if inputs.is_pilot.sum() < 2:
            notes.append(f"group {by}={level!r} has {int(inputs.is_pilot.sum())} pilot answer(s): no estimate")
            continue
        for row in _mean_rows(inputs, f"mean[{by}={level}]", method, design, alpha, finite_population):
            rows.append({"group": level, **row})
    return PopulationResult(rows, alpha, notes)


def _mean_rows(inputs, term, method, design, alpha, finite_population):
    f_all, w_all = population_part(design, inputs.is_pilot, inputs.predictions, inputs.weights_all)
    result = ppi.mean(inputs.answers, inputs.predictions[inputs.is_pilot], f_all, method, design,
                      inputs.weights_pilot, w_all, finite_population)
    return estimate_rows([term], result, alpha, len(inputs.answers), len(f_all), method, design)


def population_shares(fit, method="ppi++", design="subsample", alpha=0.05, cross_fit=True, folds=5,
                      seed=0, weights=None, pilot_weights=None, finite_population=True):
    """Population share of each level of a discrete item (one common lam, so the shares sum
    to 1). Predictions are the fit's level probabilities; a family without them (ols,
    quantreg) uses the LLM's own draw shares. Returns a PopulationResult with ``level``."""
    if not fit.scale.is_discrete:
        raise SynthsurveyError(f"shares need a discrete item; {fit.item!r} is {fit.scale.describe()}")
    levels = np.asarray(fit.scale.levels)
    notes = []
    if fit.family in PROBABILITY_FAMILIES:
        inputs = _inputs(fit, "probs", cross_fit, folds, seed, weights, pilot_weights)
    else:
        base = fit.frame[fit.scale.share_names()].to_numpy(dtype=float)
        inputs = _inputs(fit, "response", cross_fit, folds, seed, weights, pilot_weights)
        inputs = Inputs(inputs.is_pilot, inputs.answers, base, inputs.weights_all, inputs.weights_pilot)
        notes.append(f"family {fit.family!r} has no level probabilities: predictions are the LLM draw shares")
    indicators = np.isclose(inputs.answers[:, None], levels[None, :]).astype(float)
    f_all, w_all = population_part(design, inputs.is_pilot, inputs.predictions, inputs.weights_all)
    result = ppi.mean(indicators, inputs.predictions[inputs.is_pilot], f_all, method, design,
                      inputs.weights_pilot, w_all, finite_population)
    terms = [f"share[{level:g}]" for level in levels]
    rows = estimate_rows(terms, result, alpha, len(indicators), len(f_all), method, design)
    for row, level in zip(rows, levels):
        row["level"] = level
    return PopulationResult(rows, alpha, notes)


def population_quantile(fit, q=0.5, method="ppi++", design="subsample", alpha=0.05, cross_fit=True,
                        folds=5, seed=0, weights=None, pilot_weights=None, finite_population=True):
    """Population q-quantile of the answers by inverting the rectified CDF over a grid (the
    levels of a discrete item; pilot answers and prediction quantiles for a continuous one).
    The interval is a set of grid values, so ``std_error`` is NaN."""
    if not 0 < q < 1:
        raise SynthsurveyError(f"q must lie strictly between 0 and 1, got {q!r}")
    discrete_probs = fit.family in PROBABILITY_FAMILIES
    kind = "probs" if discrete_probs else "response"
    inputs = _inputs(fit, kind, cross_fit, folds, seed, weights, pilot_weights)
    if fit.scale.is_discrete:
        grid = np.asarray(fit.scale.levels)
    else:
        spread = np.quantile(inputs.predictions, np.linspace(0, 1, 101))
        grid = np.unique(np.r_[inputs.answers, spread])
    if discrete_probs:
        cdf = np.cumsum(inputs.predictions, axis=1)
    else:
        cdf = (inputs.predictions[:, None] <= grid[None, :]).astype(float)
    cdf_all, w_all = population_part(design, inputs.is_pilot, cdf, inputs.weights_all)
    result = ppi.quantile(q, inputs.answers, cdf[inputs.is_pilot], cdf_all, grid, method, design, alpha,
                          inputs.weights_pilot, w_all, finite_population)
    n = len(inputs.answers)
    row = {"term": f"quantile[{q:g}]", "estimate": result.estimate, "std_error": np.nan,
           "ci_low": result.ci_low, "ci_high": result.ci_high, "n_labeled": n,
           "n_unlabeled": len(cdf_all) - n if design == "subsample" else len(cdf_all),
           "n_effective": np.nan, "lam": result.lam, "method": method, "design": design}
    return PopulationResult([row], alpha)

"""Population means, shares, quantiles and subgroup means of one item with valid inference.

Estimand: the mean (share, quantile) of the human answers over the N people of the fit's
population frame. Assumption: the pilot is a simple random sample of those N (design
``"subsample"``, the default, with finite-population correction), or, with design
``"independent"``, the pilot and the rest are independent samples of a superpopulation.
Predictions are cross-fitted by default (see ``models.crossfit``).

Every function takes the fit first (a DebiasResults, or a DistributedFit whose population side is
brought into memory as one row per person) and returns a PopulationResult.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..common.checks import as_names, check_alpha
from ..common.errors import SynthsurveyError, preview
from ..common.results import Result, single_row_property
from ..models.families import PROBABILITY_FAMILIES
from ..models.frame import IS_PILOT, RESPONSE
from . import population_notes, ppi


class PopulationResult(Result):
    """Tidy population estimates (see ``common.results``): ``table()`` has term, estimate,
    std_error, statistic, p_value, ci_low, ci_high, n_labeled (pilot answers used), n_unlabeled
    (people without one), n_effective (pilot answers the estimate is worth: n x pilot-only
    variance / this variance), lam, method, design, df, plus ``level`` for shares and the ``by``
    columns for subgroup estimates (before ``term``). A one-row result also reads as attributes
    (``estimate``, ``std_error``, ``ci_low`` ...)."""

    def __init__(self, rows, alpha, notes=(), keys=(), title="Population estimates", fit=None):
        if fit is not None:  # state the population each row describes (see population_notes)
            rows, notes = population_notes.describe(rows, notes, fit, alpha)
        estimates = pd.DataFrame(rows)
        estimates.attrs["keys"] = tuple(keys)
        self._title_text = title
        self._set_estimates(estimates, alpha, notes)
        self._freeze()

    estimate = single_row_property("estimate")
    std_error = single_row_property("std_error")
    ci_low = single_row_property("ci_low")
    ci_high = single_row_property("ci_high")
    n_labeled = single_row_property("n_labeled", int)
    n_unlabeled = single_row_property("n_unlabeled", int)
    n_effective = single_row_property("n_effective")
    lam = single_row_property("lam")
    method = single_row_property("method", str)

    def _title(self):
        return self._title_text

    def summary(self, alpha=None):
        """The Summary of ``table(alpha)``; the population statement shows as info lines and notes."""
        return population_notes.shown(super().summary(alpha))

    def _info(self):
        table = self._estimates
        info = []
        for column, label in (("method", "Method"), ("design", "Design")):
            if column in table and table[column].nunique() == 1:
                info.append((label, table[column].iloc[0]))
        return info + population_notes.info(table)


def estimate_rows(terms, result, n, n_all, method, design):
    """Rows (dicts with term, estimate, std_error, df and the counts) from a ppi.ArrayEstimate."""
    n_unlabeled = n_all - n if design == "subsample" else n_all
    rows = []
    for term, estimate, std_error, classical in zip(terms, result.estimate, result.std_error,
                                                    result.classical_std_error):
        rows.append({
            "term": term, "estimate": estimate, "std_error": std_error, "df": np.inf,
            "n_labeled": n, "n_unlabeled": n_unlabeled,
            "n_effective": n * (classical / std_error) ** 2 if std_error > 0 else np.inf,
            "lam": result.lam, "method": method, "design": design,
        })
    return rows


@dataclass(frozen=True)
class Inputs:
    """What an estimator needs from a fit: the frame (id, covariates, response, is_pilot), the
    pilot mask, the pilot's answers, predictions for every row, and the weights."""

    frame: pd.DataFrame
    is_pilot: np.ndarray
    answers: np.ndarray
    predictions: np.ndarray
    weights_all: np.ndarray
    weights_pilot: np.ndarray

    def restricted(self, rows):
        """The Inputs of the people in ``rows`` (a boolean mask over the frame)."""
        pilot_rows = rows[self.is_pilot]
        return Inputs(self.frame.loc[rows], self.is_pilot[rows], self.answers[pilot_rows], self.predictions[rows],
                      None if self.weights_all is None else self.weights_all[rows],
                      None if self.weights_pilot is None else self.weights_pilot[pilot_rows])


def _weight_values(spec, name, frame, fit):
    """A weight specification (a column name, or one number per row of an in-memory fit's frame) as
    an array over ``frame``'s rows; None stays None."""
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec not in frame.columns:
            raise SynthsurveyError(f"{name}={spec!r} is not a column of the fit's frame (its covariates)")
        values = frame[spec].to_numpy(dtype=float)
    else:
        if not fit.in_memory:
            raise SynthsurveyError(f"{name} of a distributed fit must name a column of covariates")
        values = np.asarray(spec, dtype=float)
        if values.shape != (len(frame),):
            raise SynthsurveyError(f"{name} must have one value per person ({len(frame)}), got shape {values.shape}")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise SynthsurveyError(f"{name} has missing or negative values, e.g. at id "
                               f"{preview(frame['id'].to_numpy()[bad])}")
    return values


def estimation_inputs(fit, kind, cross_fit, folds, seed, weights, pilot_weights, columns=()):
    """The Inputs of ``fit``: its estimation frame with the predictions of ``kind`` and the weights
    (pilot weights default to the population weights of the pilot rows)."""
    wanted = list(dict.fromkeys([*columns, *(w for w in (weights, pilot_weights) if isinstance(w, str))]))
    frame, predicted = fit.estimation_frame(kind, cross_fit, folds, seed, wanted)
    is_pilot = frame[IS_PILOT].to_numpy()
    population_weights = _weight_values(weights, "weights", frame, fit)
    pilot = _weight_values(pilot_weights, "pilot_weights", frame, fit)
    pilot = population_weights if pilot is None else pilot
    population_notes.check_weights(population_weights, None if pilot is None else pilot[is_pilot])
    return Inputs(frame, is_pilot, frame[RESPONSE].to_numpy(dtype=float)[is_pilot], predicted,
                  population_weights, None if pilot is None else pilot[is_pilot])


def population_part(design, is_pilot, *arrays):
    """``arrays`` (over the frame's rows; None stays None) restricted to the rows an estimator's
    population side uses: everybody (subsample design) or the people outside the pilot
    (independent design). Returns a tuple."""
    if design == "subsample":
        return arrays
    rest = ~is_pilot
    return tuple(None if values is None else values[rest] for values in arrays)


def _groups(frame, by):
    """(group key tuples in order, their row masks): factor levels in their order (ordered
    factors included), other values sorted; people with a missing ``by`` value are in no group."""
    keys, masks = [], []
    for key, group in frame.reset_index(drop=True).groupby(list(by), sort=True, observed=True, dropna=True):
        mask = np.zeros(len(frame), dtype=bool)
        mask[group.index.to_numpy()] = True
        keys.append(key if isinstance(key, tuple) else (key,))
        masks.append(mask)
    return keys, masks


def population_mean(fit, by=None, method="ppi++", design="subsample", alpha=0.05, cross_fit=True,
                    folds=5, seed=0, weights=None, pilot_weights=None, finite_population=True):
    """Population mean of the item's human answers (item units); with ``by`` (a covariate name or
    a list of names) one row per group of people sharing their values. Returns a PopulationResult."""
    alpha, by = check_alpha(alpha), as_names(by)
    everybody = estimation_inputs(fit, "response", cross_fit, folds, seed, weights, pilot_weights, by)
    if not by:
        rows = _mean_rows(everybody, "mean", method, design, finite_population)
        return PopulationResult(rows, alpha, fit=fit)
    unknown = [name for name in by if name not in everybody.frame.columns]
    if unknown:
        raise SynthsurveyError(f"by={preview(unknown)} is not a column of the fit's frame (its covariates)")
    notes, rows = [], []
    absent = everybody.frame[list(by)].isna().any(axis=1)
    if absent.any():
        notes.append(f"{int(absent.sum())} people with a missing {'/'.join(by)} value are in no group")
    for key, mask in zip(*_groups(everybody.frame, by)):
        inputs = everybody.restricted(mask)
        label = ", ".join(f"{name}={value}" for name, value in zip(by, key))
        if inputs.is_pilot.sum() < 2:
            notes.append(f"group {label} has {int(inputs.is_pilot.sum())} pilot answer(s): no estimate")
            continue
        for row in _mean_rows(inputs, f"mean[{label}]", method, design, finite_population):
            rows.append({**dict(zip(by, key)), **row})
    return PopulationResult(rows, alpha, notes, keys=by, fit=fit)


def _mean_rows(inputs, term, method, design, finite_population):
    f_all, w_all = population_part(design, inputs.is_pilot, inputs.predictions, inputs.weights_all)
    result = ppi.mean(inputs.answers, inputs.predictions[inputs.is_pilot], f_all, method, design,
                      inputs.weights_pilot, w_all, finite_population)
    return estimate_rows([term], result, len(inputs.answers), len(f_all), method, design)


def population_shares(fit, method="ppi++", design="subsample", alpha=0.05, cross_fit=True, folds=5,
                      seed=0, weights=None, pilot_weights=None, finite_population=True):
    """Population share of each level of a discrete item (one common lam, so the shares sum
    to 1). Predictions are the fit's level probabilities; a family without them (ols,
    quantreg) uses the LLM's own draw shares. Returns a PopulationResult with ``level``."""
    alpha = check_alpha(alpha)
    if not fit.scale.is_discrete:
        raise SynthsurveyError(f"shares need a discrete item; {fit.item!r} is {fit.scale.describe()}")
    levels = np.asarray(fit.scale.levels)
    notes = []
    if fit.family in PROBABILITY_FAMILIES:
        inputs = estimation_inputs(fit, "probs", cross_fit, folds, seed, weights, pilot_weights)
    else:
        if not fit.in_memory:
            raise SynthsurveyError(f"shares of a distributed {fit.family} fit need the LLM draw shares of "
                                   "everybody: use fit.to_memory(), or an ordinal/logit family")
        inputs = estimation_inputs(fit, "response", cross_fit, folds, seed, weights, pilot_weights)
        base = fit.frame[fit.scale.share_names()].to_numpy(dtype=float)
        inputs = Inputs(inputs.frame, inputs.is_pilot, inputs.answers, base, inputs.weights_all,
                        inputs.weights_pilot)
        notes.append(f"family {fit.family!r} has no level probabilities: predictions are the LLM draw shares")
    indicators = fit.scale.indicators(inputs.answers, where="the pilot's answers")
    f_all, w_all = population_part(design, inputs.is_pilot, inputs.predictions, inputs.weights_all)
    result = ppi.mean(indicators, inputs.predictions[inputs.is_pilot], f_all, method, design,
                      inputs.weights_pilot, w_all, finite_population)
    terms = [f"share[{level:g}]" for level in levels]
    rows = estimate_rows(terms, result, len(indicators), len(f_all), method, design)
    for row, level in zip(rows, levels):
        row["level"] = level
    rows, zero_notes = population_notes.zero_share_intervals(rows, indicators, alpha, inputs.weights_pilot)
    return PopulationResult(rows, alpha, notes + zero_notes, fit=fit)


def population_quantile(fit, q=0.5, method="ppi++", design="subsample", alpha=0.05, cross_fit=True,
                        folds=5, seed=0, weights=None, pilot_weights=None, finite_population=True):
    """Population q-quantile of the answers by inverting the rectified CDF over a grid (the
    levels of a discrete item; pilot answers and prediction quantiles for a continuous one).
    The interval is a set of grid values found at ``alpha``, so ``std_error`` is NaN and the
    interval is not available at another alpha."""
    alpha = check_alpha(alpha)
    if not 0 < q < 1:
        raise SynthsurveyError(f"q must lie strictly between 0 and 1, got {q!r}")
    discrete_probs = fit.family in PROBABILITY_FAMILIES
    inputs = estimation_inputs(fit, "probs" if discrete_probs else "response", cross_fit, folds, seed, weights,
                               pilot_weights)
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
    row = {"term": f"quantile[{q:g}]", "estimate": result.estimate, "std_error": np.nan, "df": np.inf,
           "ci_low": result.ci_low, "ci_high": result.ci_high, "n_labeled": n,
           "n_unlabeled": len(cdf_all) - n if design == "subsample" else len(cdf_all),
           "n_effective": np.nan, "lam": result.lam, "method": method, "design": design}
    return PopulationResult([row], alpha, fit=fit)

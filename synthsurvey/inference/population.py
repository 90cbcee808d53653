"""Population means, shares, quantiles and subgroup means of one item with valid inference.

Estimand: the mean (share, quantile, total) of the human answers over the N people of the fit's
population frame, weighted by the population ``weights`` if given. Assumption: the pilot was
drawn from those N by the fit's pilot design (``fit.pilot_design``: simple random unless the fit
was given strata, clusters or inclusion probabilities; ``design="subsample"``, the default, with
finite-population corrections), or, with ``design="independent"``, the pilot (drawn by the same
design) and the rest are independent samples of a superpopulation; an ``ss.Design`` given as
``design`` overrides the fit's. Subgroups are domains of the whole design (``domains``).
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
from ..models.sampling import Design
from . import designs, domains, population_notes, ppi, tuned


class PopulationResult(Result):
    """Tidy population estimates (see ``common.results``): ``table()`` has term, estimate,
    std_error, statistic, p_value, ci_low, ci_high, n_labeled (pilot answers used), n_unlabeled
    (people without one), n_effective (pilot answers the estimate is worth: the size of a pilot
    drawn by the same design whose estimate alone would be as precise, at most N; see
    ``designs.effective_size``), lam (stacked over a tuned source: that of the untuned predictions,
    the note gives both; see ``tuned``), method, design, df (the design's: t intervals), flag (why
    an interval is withheld, see ``domains``; "" when it is not), plus ``level`` for shares and the
    ``by`` columns for subgroup estimates (before ``term``). A one-row result also reads as
    attributes (``estimate``, ``std_error``, ``ci_low`` ...). ``vcov()``: the covariance of the
    estimates where it was computed (coefficients, shares)."""

    def __init__(self, rows, alpha, notes=(), keys=(), title="Population estimates", covariance=None, fit=None):
        if fit is not None:  # state the population each row describes (see population_notes)
            rows, notes = population_notes.describe(rows, notes, fit, alpha)
        estimates = pd.DataFrame(rows)
        estimates.attrs["keys"] = tuple(keys)
        self._title_text = title
        self._covariance = covariance
        self._set_estimates(estimates, alpha, notes)
        self._freeze()

    def vcov(self):
        """Covariance matrix of the estimates (DataFrame labelled by term)."""
        if self._covariance is None:
            raise SynthsurveyError("this result has no covariance matrix (one estimate per group)")
        return self._covariance.copy()

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


def estimate_rows(terms, result, n, n_all, method, sampling, min_pilot=2, domain=None):
    """Rows (dicts with term, estimate, std_error, df, the counts, n_effective and flag) from a
    ppi.ArrayEstimate of n pilot answers (those in ``domain``, a mask over the pilot's rows, if
    given); ``n_all`` rows on the population side (the frame, or the unlabeled rows under the
    independent design)."""
    n_unlabeled = n_all - n if not sampling.independent else n_all
    n_population = n + n_unlabeled
    units = sampling.pilot.n_units if domain is None else sampling.pilot.domain_units(domain)
    rows = []
    for position, term in enumerate(terms):
        std_error, classical = result.std_error[position], result.classical_std_error[position]
        flag = domains.interval_flag(units, bool(result.spread[position]), min_pilot,
                                     sampling.pilot.n_units < sampling.pilot.n)
        rows.append({
            "term": term, "estimate": result.estimate[position], "std_error": np.nan if flag else std_error,
            "df": result.df, "n_labeled": n, "n_unlabeled": n_unlabeled,
            "n_effective": np.nan if flag else designs.effective_size(
                n, n_population, std_error ** 2, classical ** 2, sampling.pilot.finite),
            "lam": result.lam, "method": method, "design": sampling.label, "flag": flag,
        })
    return rows


def covariance_frame(result, terms):
    """The covariance of an ArrayEstimate as a DataFrame labelled by ``terms``."""
    return pd.DataFrame(result.covariance, index=list(terms), columns=list(terms))


@dataclass(frozen=True)
class Inputs:
    """What an estimator needs from a fit: the frame (id, covariates, response, is_pilot), the
    pilot mask, the pilot's answers, predictions for every row, the population weights (None:
    equal) and the design (a designs.Sampling)."""

    frame: pd.DataFrame
    is_pilot: np.ndarray
    answers: np.ndarray
    predictions: np.ndarray
    weights_all: np.ndarray
    sampling: designs.Sampling
    design_args: tuple = ()  # (the fit's design, design, finite_population, pilot probabilities)

    def subset(self, rows):
        """The Inputs of the frame's ``rows`` (a boolean mask), the design re-resolved on them (the
        population is then those rows: e.g. the rows an analyst's formula can use)."""
        fit_design, design, finite_population, pilot_probs = self.design_args
        is_pilot = self.is_pilot[rows]
        frame = self.frame.loc[rows]
        sampling = designs.resolve(fit_design, frame, is_pilot, design, finite_population,
                                   None if pilot_probs is None else pilot_probs[rows])
        return Inputs(frame, is_pilot, self.answers[rows[self.is_pilot]], self.predictions[rows],
                      None if self.weights_all is None else self.weights_all[rows], sampling,
                      (fit_design, design, finite_population, None if pilot_probs is None else pilot_probs[rows]))

    @property
    def weights_pilot(self):
        """The population weights of the pilot rows (None: equal)."""
        return None if self.weights_all is None else self.weights_all[self.is_pilot]

    def population_side(self, *arrays):
        """``arrays`` (over the frame's rows; None stays None) restricted to the rows the
        estimator's population side uses (see ``population_part``)."""
        return population_part(self.sampling.relation, self.is_pilot, *arrays)


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


def estimation_inputs(fit, kind, cross_fit, folds, seed, weights, pilot_weights, columns=(), design="subsample",
                      finite_population=True):
    """The Inputs of ``fit``: its estimation frame with the predictions of ``kind``, the population
    weights and the design (the fit's pilot design, or ``design``; ``pilot_weights``, if given,
    are the pilot's sampling weights 1 / inclusion probability)."""
    fit_design = getattr(fit, "pilot_design", None) or Design()
    described = design if isinstance(design, Design) else fit_design
    wanted = [*columns, *(w for w in (weights, pilot_weights) if isinstance(w, str)), *described.columns]
    frame, predicted = fit.estimation_frame(kind, cross_fit, folds, seed, list(dict.fromkeys(wanted)))
    is_pilot = frame[IS_PILOT].to_numpy()
    population_weights = _weight_values(weights, "weights", frame, fit)
    pilot_probs = None
    if pilot_weights is not None:
        sampling_weights = _weight_values(pilot_weights, "pilot_weights", frame, fit)
        population_notes.check_weights(None, sampling_weights[is_pilot])
        with np.errstate(divide="ignore"):
            pilot_probs = np.where(is_pilot, 1.0 / sampling_weights, 1.0)
    population_notes.check_weights(population_weights, None if population_weights is None else
                                   population_weights[is_pilot])
    sampling = designs.resolve(fit_design, frame, is_pilot, design, finite_population, pilot_probs)
    return Inputs(frame, is_pilot, frame[RESPONSE].to_numpy(dtype=float)[is_pilot], predicted,
                  population_weights, sampling, (fit_design, design, finite_population, pilot_probs))


def population_part(design, is_pilot, *arrays):
    """``arrays`` (over the frame's rows; None stays None) restricted to the rows an estimator's
    population side uses: everybody (subsample design) or the people outside the pilot
    (independent design). Returns a tuple."""
    if design == "subsample":
        return arrays
    rest = ~is_pilot
    return tuple(None if values is None else values[rest] for values in arrays)


def population_mean(fit, by=None, method="ppi++", design="subsample", alpha=0.05, cross_fit=True,
                    folds=5, seed=0, weights=None, pilot_weights=None, finite_population=True,
                    min_pilot=domains.MIN_PILOT):
    """Population mean of the item's human answers (item units); with ``by`` (a covariate name or
    a list of names) one row per group of people sharing their values, each a domain of the whole
    design (``survey::svyby``). A row with fewer than ``min_pilot`` pilot answers (clusters) or no
    spread has no interval (``flag`` says why). Returns a PopulationResult."""
    return _estimates(ppi.mean, "mean", fit, by, method, design, alpha, cross_fit, folds, seed, weights,
                      pilot_weights, finite_population, min_pilot)


def population_total(fit, by=None, method="ppi++", design="subsample", alpha=0.05, cross_fit=True,
                     folds=5, seed=0, weights=None, pilot_weights=None, finite_population=True,
                     min_pilot=domains.MIN_PILOT):
    """Population total of the item's human answers over the fit's frame (item units x people,
    weighted by ``weights``): lam x the predictions' total + the Horvitz-Thompson total of the
    pilot's residuals (``survey::svytotal`` for the classical method). Subsample design only;
    ``by`` as in ``population_mean``. Returns a PopulationResult."""
    return _estimates(ppi.total, "total", fit, by, method, design, alpha, cross_fit, folds, seed, weights,
                      pilot_weights, finite_population, min_pilot)


def _estimates(kernel, name, fit, by, method, design, alpha, cross_fit, folds, seed, weights, pilot_weights,
               finite_population, min_pilot):
    alpha, by, min_pilot = check_alpha(alpha), as_names(by), domains.check_min_pilot(min_pilot)
    ppi.check_method(method)
    stacking, tuned_note = tuned.applicable(fit, method, design, weights, pilot_weights, by, name)
    if stacking is not None:
        return _stacked_mean(fit, stacking, alpha, cross_fit, folds, seed, finite_population)
    notes = [tuned_note] if tuned_note else []
    everybody = estimation_inputs(fit, "response", cross_fit, folds, seed, weights, pilot_weights, by, design,
                                  finite_population)
    if not by:
        return PopulationResult(_kernel_rows(kernel, everybody, name, method, min_pilot), alpha, notes, fit=fit)
    unknown = [column for column in by if column not in everybody.frame.columns]
    if unknown:
        raise SynthsurveyError(f"by={preview(unknown)} is not a column of the fit's frame (its covariates)")
    rows = []
    absent = everybody.frame[list(by)].isna().any(axis=1)
    if absent.any():
        notes.append(f"{int(absent.sum())} people with a missing {'/'.join(by)} value are in no group")
    for key, rows_in in zip(*domains.groups(everybody.frame, by)):
        label = ", ".join(f"{column}={value}" for column, value in zip(by, key))
        n_pilot = int((rows_in & everybody.is_pilot).sum())
        if n_pilot < 2:
            notes.append(f"group {label} has {n_pilot} pilot answer(s): no estimate")
            continue
        for row in _kernel_rows(kernel, everybody, f"{name}[{label}]", method, min_pilot, rows_in):
            rows.append({**dict(zip(by, key)), **row})
    if any(row["flag"] for row in rows):
        notes.append(f"rows with a flag have no interval: fewer than min_pilot={min_pilot} pilot answers "
                     "(clusters), or no spread among them")
    return PopulationResult(rows, alpha, notes, keys=by, fit=fit)


def stacked_inputs(fit, stacking, kind, cross_fit, folds, seed, columns=(), finite_population=True):
    """(the companion's Inputs over the whole pilot, the fit's predictions over the same rows, the
    rows of the untouched pilot answers) of a stacked estimate (``tuned``)."""
    full = estimation_inputs(stacking.companion, kind, cross_fit, folds, seed, None, None, columns,
                             finite_population=finite_population)
    frame, own = fit.estimation_frame(kind, cross_fit, folds, seed, columns)
    if not np.array_equal(full.frame["id"].to_numpy(), frame["id"].to_numpy()):
        raise AssertionError("the untuned companion's frame must hold the fit's rows in its order")
    return full, np.asarray(own), frame[IS_PILOT].to_numpy()


def _stacked_mean(fit, stacking, alpha, cross_fit, folds, seed, finite_population):
    full, f_c, untouched_rows = stacked_inputs(fit, stacking, "response", cross_fit, folds, seed,
                                               finite_population=finite_population)
    result, lam = tuned.mean(full.answers, full.predictions, f_c, full.is_pilot, untouched_rows,
                             full.sampling.pilot.finite)
    rows = estimate_rows(["mean"], result, len(full.answers), len(full.frame), "ppi++", full.sampling)
    return PopulationResult(rows, alpha, [tuned.note(stacking, lam, len(full.frame))], fit=fit)


def _kernel_rows(kernel, inputs, term, method, min_pilot, rows_in=None):
    """The rows of a mean or total kernel on ``inputs``, over the domain ``rows_in`` (a mask over
    the frame's rows; None: everybody)."""
    f_all, w_all, domain_all = inputs.population_side(inputs.predictions, inputs.weights_all, rows_in)
    domain = None if rows_in is None else rows_in[inputs.is_pilot]
    result = kernel(inputs.answers, inputs.predictions[inputs.is_pilot], f_all, method, inputs.sampling,
                    inputs.weights_pilot, w_all, domain=domain, domain_all=domain_all)
    n = len(inputs.answers) if domain is None else int(domain.sum())
    n_all = len(f_all) if domain_all is None else int(domain_all.sum())
    return estimate_rows([term], result, n, n_all, method, inputs.sampling, min_pilot, domain)


SHARE_INTERVALS = ("logit", "wald")


def population_shares(fit, method="ppi++", design="subsample", alpha=0.05, cross_fit=True, folds=5,
                      seed=0, weights=None, pilot_weights=None, finite_population=True, interval="logit"):
    """Population share of each level of a discrete item (one common lam, so the shares sum
    to 1). Predictions are the fit's level probabilities; a family without them (ols,
    quantreg) uses the LLM's own draw shares. ``interval``: "logit" (default, as
    ``survey::svyciprop``'s): symmetric on the log-odds scale, so inside (0, 1) and wider on the
    side away from 0 or 1, where a proportion's Wald interval undercovers; "wald": estimate -+ q
    std_error (``svymean``'s). The standard errors are the same. Returns a PopulationResult with
    ``level`` and ``interval``."""
    alpha = check_alpha(alpha)
    ppi.check_method(method)
    if interval not in SHARE_INTERVALS:
        raise SynthsurveyError(f"interval must be one of {SHARE_INTERVALS}, got {interval!r}")
    if not fit.scale.is_discrete:
        raise SynthsurveyError(f"shares need a discrete item; {fit.item!r} is {fit.scale.describe()}")
    levels = np.asarray(fit.scale.levels)
    notes = []
    options = dict(design=design, finite_population=finite_population)
    if fit.family in PROBABILITY_FAMILIES:
        inputs = estimation_inputs(fit, "probs", cross_fit, folds, seed, weights, pilot_weights, **options)
    else:
        if not fit.in_memory:
            raise SynthsurveyError(f"shares of a distributed {fit.family} fit need the LLM draw shares of "
                                   "everybody: use fit.to_memory(), or an ordinal/logit family")
        inputs = estimation_inputs(fit, "response", cross_fit, folds, seed, weights, pilot_weights, **options)
        base = fit.frame[fit.scale.share_names()].to_numpy(dtype=float)
        inputs = Inputs(inputs.frame, inputs.is_pilot, inputs.answers, base, inputs.weights_all, inputs.sampling)
        notes.append(f"family {fit.family!r} has no level probabilities: predictions are the LLM draw shares")
    tuned_note = tuned.applicable(fit, method, design, weights, pilot_weights, None, "share")[1]
    notes += [tuned_note] if tuned_note else []
    indicators = fit.scale.indicators(inputs.answers, where="the pilot's answers")
    f_all, w_all = inputs.population_side(inputs.predictions, inputs.weights_all)
    result = ppi.mean(indicators, inputs.predictions[inputs.is_pilot], f_all, method, inputs.sampling,
                      inputs.weights_pilot, w_all)
    terms = [f"share[{level:g}]" for level in levels]
    rows = estimate_rows(terms, result, len(indicators), len(f_all), method, inputs.sampling)
    for row, level in zip(rows, levels):
        row["level"], row["interval"] = level, interval
    rows, zero_notes = population_notes.zero_share_intervals(rows, indicators, alpha, inputs.weights_pilot)
    outside = [row["term"] for row in rows
               if interval == "logit" and np.isfinite(row["std_error"]) and not 0 < row["estimate"] < 1]
    if outside:
        notes.append(f"{', '.join(outside)}: the estimate lies outside (0, 1), so its interval is estimate +- q "
                     "std_error (a logit-scale one needs a share inside)")
    return PopulationResult(rows, alpha, notes + zero_notes, covariance=covariance_frame(result, terms), fit=fit)


def population_quantile(fit, q=0.5, method="ppi++", design="subsample", alpha=0.05, cross_fit=True,
                        folds=5, seed=0, weights=None, pilot_weights=None, finite_population=True):
    """Population q-quantile of the answers by inverting the rectified CDF over a grid (the
    levels of a discrete item; pilot answers and prediction quantiles for a continuous one).
    The interval is a set of grid values found at ``alpha`` (conservative on a discrete grid), so
    ``std_error`` is NaN and the interval is not available at another alpha."""
    alpha = check_alpha(alpha)
    ppi.check_method(method)
    if not 0 < q < 1:
        raise SynthsurveyError(f"q must lie strictly between 0 and 1, got {q!r}")
    discrete_probs = fit.family in PROBABILITY_FAMILIES
    inputs = estimation_inputs(fit, "probs" if discrete_probs else "response", cross_fit, folds, seed, weights,
                               pilot_weights, design=design, finite_population=finite_population)
    if fit.scale.is_discrete:
        grid = np.asarray(fit.scale.levels)
    else:
        spread = np.quantile(inputs.predictions, np.linspace(0, 1, 101))
        grid = np.unique(np.r_[inputs.answers, spread])
    if discrete_probs:
        cdf = np.cumsum(inputs.predictions, axis=1)
    else:
        cdf = (inputs.predictions[:, None] <= grid[None, :]).astype(float)
    cdf_all, w_all = inputs.population_side(cdf, inputs.weights_all)
    result = ppi.quantile(q, inputs.answers, cdf[inputs.is_pilot], cdf_all, grid, method, inputs.sampling, alpha,
                          inputs.weights_pilot, w_all)
    n = len(inputs.answers)
    row = {"term": f"quantile[{q:g}]", "estimate": result.estimate, "std_error": np.nan, "df": result.df,
           "ci_low": result.ci_low, "ci_high": result.ci_high, "n_labeled": n,
           "n_unlabeled": len(cdf_all) - n if not inputs.sampling.independent else len(cdf_all),
           "n_effective": np.nan, "lam": result.lam, "method": method, "design": inputs.sampling.label, "flag": ""}
    tuned_note = tuned.applicable(fit, method, design, weights, pilot_weights, None, "quantile")[1]
    return PopulationResult([row], alpha, [tuned_note] if tuned_note else [], fit=fit)

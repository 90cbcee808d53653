"""Prediction-powered estimators (PPI, PPI++) on arrays: means, totals and quantiles here,
regression coefficients in ``regression``, all under a sampling design (``designs``).

Every estimator is lam x (a population term built from the predictions: known for the frame,
or estimated from an independent sample) + (a design-weighted pilot term of the answers minus
lam times the predictions). Its error is a sum of influence values over the pilot's rows (plus,
under the independent design, over the unlabeled rows), whose variance ``designs.SampleDesign``
computes as R's survey package does. lam in [0, 1] minimises that variance in closed form
(``method="ppi++"``); ``"ppi"`` fixes 1 and ``"classical"`` 0: the pilot alone, which then equals
``svymean``/``svytotal``/``svyglm`` on the pilot's design (tested to 1e-8).

``design``: ``"subsample"`` (default): the pilot is a simple random sample of the N rows of
``f_all`` (the estimand is their finite-population quantity; fpc 1 - n/N); ``"independent"``: the
pilot and the rows of ``f_all`` are independent samples of a superpopulation (ppi-python's
setting); or a ``designs.Sampling`` (strata, clusters, inclusion probabilities).

Weights: ``weights`` (pilot rows) and ``weights_all`` (the population's rows) are population
weights: they define the estimand, a weighted mean over the population. The pilot's analysis
weights are these times the design's sampling weights 1 / pi (Hajek estimators). Spreads are
centred around the weighted means and use the design's m / (m - 1) convention (units minus
strata), as ``survey::svymean``. ppi-python uses ddof=0 for means and, with weights, spreads of
w x values around their unweighted mean: see the README for where the two still agree.
"""

from dataclasses import dataclass

import numpy as np

from ..common.errors import SynthsurveyError
from ..common.results import critical_values
from . import designs

METHODS = ("ppi++", "ppi", "classical")
DESIGNS = designs.RELATIONS


@dataclass(frozen=True)
class ArrayEstimate:
    """Estimates of a d-dimensional estimand (arrays (d,)) with their covariance (d, d), the
    tuning parameter, the pilot alone's (classical) standard errors and covariance, the degrees
    of freedom of the t reference, and the influence values: ``influence`` (n, d) over the pilot's
    rows and ``rest_influence`` over the unlabeled rows (independent design; else None), so that
    two estimates from one pilot can be compared (``designs.SampleDesign.covariance``)."""

    estimate: np.ndarray
    std_error: np.ndarray
    lam: float
    classical_std_error: np.ndarray
    covariance: np.ndarray
    classical_covariance: np.ndarray
    df: float
    influence: np.ndarray
    classical_influence: np.ndarray
    rest_influence: np.ndarray | None = None
    spread: np.ndarray | None = None  # (d,) whether the pilot's answers vary (False: no variance to estimate)


def check_method(method):
    if method not in METHODS:
        raise SynthsurveyError(f"method {method!r} is not one of {METHODS}")


def fixed_lam(method):
    """lam of a method that fixes it (ppi: 1, classical: 0); None for ppi++."""
    check_method(method)
    return {"ppi": 1.0, "classical": 0.0}.get(method)


def population_weights(weights, n, name="weights"):
    """Population weights as an array (n,) (ones when None): finite, non-negative, not all zero."""
    if weights is None:
        return np.ones(n)
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (n,) or np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise SynthsurveyError(f"{name} must be {n} finite non-negative numbers")
    if not weights.sum() > 0:
        raise SynthsurveyError(f"{name} are all zero: at least one must be positive")
    return weights


def mask(rows, n):
    """A domain mask as 0/1 floats (all ones when None)."""
    return np.ones(n) if rows is None else np.asarray(rows, dtype=bool).astype(float)


def two_d(values):
    values = np.asarray(values, dtype=float)
    return values[:, None] if values.ndim == 1 else values


def hajek(values, weights):
    """(weighted mean (d,), influence values (n, d)) of the Hajek mean of ``values`` (n, d):
    u_i = w_i (v_i - mean) / sum(w), zero where the weight is zero."""
    total = weights.sum()
    if not total > 0:
        raise SynthsurveyError("no pilot row with a positive weight remains (an empty group?)")
    average = weights @ values / total
    return average, weights[:, None] * (values - average) / total


def tuned_lam(sampling, u_y, u_f, rest_variance=None):
    """lam in [0, 1] minimising trace Var(sum(u_y - lam u_f)) + lam^2 trace(rest_variance):
    trace Cov(u_y, u_f) / (trace Var(u_f) + trace rest_variance), clipped; 0 when the
    predictions do not vary."""
    cross = np.trace(sampling.pilot.covariance(u_y, u_f))
    spread = np.trace(sampling.pilot.variance(u_f)) + (0.0 if rest_variance is None else np.trace(rest_variance))
    return float(np.clip(cross / spread, 0.0, 1.0)) if spread > 1e-300 else 0.0


def finish(estimate, lam, sampling, u, u_classical, rest_u=None, df=None, spread=None):
    """The ArrayEstimate of an estimate whose pilot influence is ``u`` (and rest influence
    ``rest_u``, already multiplied by lam), with the classical influence ``u_classical`` (centred:
    all zero when the answers do not vary, unless ``spread`` says otherwise)."""
    covariance = sampling.pilot.variance(u)
    if rest_u is not None:
        covariance = covariance + sampling.rest.variance(rest_u)
    classical = sampling.pilot.variance(u_classical)
    return ArrayEstimate(np.asarray(estimate, dtype=float), np.sqrt(np.clip(np.diag(covariance), 0, None)),
                         float(lam), np.sqrt(np.clip(np.diag(classical), 0, None)), covariance, classical,
                         sampling.pilot.df if df is None else float(df), u, u_classical, rest_u,
                         np.abs(u_classical).max(0) > 0 if spread is None else spread)


# means and totals ----------------------------------------------------------------------

def mean(y, f, f_all, method="ppi++", design="subsample", weights=None, weights_all=None,
         finite_population=True, lam=None, domain=None, domain_all=None):
    """PPI estimate of the (population-weighted) mean of ``y`` (n,) or (n, d) with predictions ``f``
    for the pilot rows and ``f_all`` for the population (subsample) or the unlabeled rows
    (independent). One lam for all d coordinates (minimising the summed variance), so shares
    from probabilities that sum to 1 also sum to 1; a given ``lam`` overrides ``method``.
    ``domain`` / ``domain_all`` (boolean masks over the pilot's and the population's rows) estimate
    the mean of a subgroup as a domain of the whole design (``survey::svyby``). Returns an
    ArrayEstimate; its df are the design's (the domain's units minus their strata), shrunk for
    unequal weights (``designs.SampleDesign.effective_df``)."""
    y, f, f_all = two_d(y), two_d(f), two_d(f_all)
    n, n_all = len(y), len(f_all)
    lam = fixed_lam(method) if lam is None else float(lam)
    sampling = designs.from_sizes(design, n, n_all, finite_population)
    a = population_weights(weights, n) * sampling.pilot.weights * mask(domain, n)
    b = population_weights(weights_all, n_all, "weights_all") * mask(domain_all, n_all)
    if np.count_nonzero(a) < 2:
        raise SynthsurveyError(f"at least 2 pilot answers are needed, got {np.count_nonzero(a)}")
    if not b.sum() > 0:
        raise SynthsurveyError("the population (or group) has no row with a positive weight")
    f_population = b @ f_all / b.sum()
    y_mean, u_y = hajek(y, a)
    f_mean, u_f = hajek(f, a)
    rest_f = hajek(f_all, b)[1] if sampling.independent else None
    if lam is None:
        rest_variance = sampling.rest.variance(rest_f) if sampling.independent else None
        lam = tuned_lam(sampling, u_y, u_f, rest_variance)
    estimate = lam * f_population + y_mean - lam * f_mean
    df = sampling.pilot.effective_df(a, a > 0 if domain is not None else None)
    return finish(estimate, lam, sampling, u_y - lam * u_f, u_y, None if rest_f is None else lam * rest_f, df,
                  np.ptp(y[a > 0], axis=0) > 0)


def total(y, f, f_all, method="ppi++", design="subsample", weights=None, weights_all=None,
          finite_population=True, domain=None, domain_all=None):
    """PPI estimate of the (population-weighted) total of ``y`` over the population frame:
    lam sum_N(w f) + the Horvitz-Thompson total of y - lam f over the pilot (``survey::svytotal``
    for lam = 0). Needs the subsample design (the frame is the population). Returns an
    ArrayEstimate."""
    y, f, f_all = two_d(y), two_d(f), two_d(f_all)
    n, n_all = len(y), len(f_all)
    lam = fixed_lam(method)
    sampling = designs.from_sizes(design, n, n_all, finite_population)
    if sampling.independent:
        raise SynthsurveyError("a population total needs the subsample design: the pilot drawn from a known frame")
    a = population_weights(weights, n) * sampling.pilot.weights * mask(domain, n)
    b = population_weights(weights_all, n_all, "weights_all") * mask(domain_all, n_all)
    if np.count_nonzero(a) < 2:
        raise SynthsurveyError(f"at least 2 pilot answers are needed, got {np.count_nonzero(a)}")
    u_y, u_f = a[:, None] * y, a[:, None] * f  # Horvitz-Thompson: the design centres unit totals
    if lam is None:
        lam = tuned_lam(sampling, u_y, u_f)
    estimate = lam * (b @ f_all) + u_y.sum(0) - lam * u_f.sum(0)
    df = sampling.pilot.effective_df(a, a > 0 if domain is not None else None)
    return finish(estimate, lam, sampling, u_y - lam * u_f, u_y, None, df, np.ptp(y[a > 0], axis=0) > 0)


# quantiles ----------------------------------------------------------------------------

@dataclass(frozen=True)
class QuantileEstimate:
    """A quantile estimate and the confidence interval found by inverting the rectified CDF."""

    estimate: float
    ci_low: float
    ci_high: float
    lam: float
    df: float


def quantile(q, y, cdf, cdf_all, grid, method="ppi++", design="subsample", alpha=0.05,
             weights=None, weights_all=None, finite_population=True):
    """PPI estimate of the q-quantile of ``y`` over the values ``grid`` (sorted).

    cdf, cdf_all: predicted P(Y <= t) for each grid value t, arrays (n, G) and (N, G)
    (from predicted probabilities, or indicators 1[f <= t] of point predictions).
    The rectified CDF F(t) = mean_all(lam cdf) + mean_pilot(1[y <= t] - lam cdf) is a PPI
    mean at each t; the estimate is the smallest t with F(t) >= q. The interval holds every
    grid value t that could be the quantile at level alpha: F(t) + c se(t) >= q and
    F(t-) - c se(t-) <= q at the grid value t- before it, c the t quantile with the design's df
    (Angelopoulos et al. 2023, adapted so that a discrete grid gives a set of levels rather than
    an empty one). On a discrete grid the interval is conservative (a set of whole levels).
    """
    grid = np.asarray(grid, dtype=float)
    indicators = (np.asarray(y, dtype=float)[:, None] <= grid[None, :]).astype(float)
    lam = fixed_lam(method)
    if lam is None:  # tune at the pilot-only quantile
        position = min(int(np.searchsorted(grid, np.quantile(y, q))), len(grid) - 1)
        lam = mean(indicators[:, position], cdf[:, position], cdf_all[:, position], method, design,
                   weights, weights_all, finite_population).lam
    rectified = mean(indicators, cdf, cdf_all, method, design, weights, weights_all, finite_population, lam=lam)
    estimate_cdf, std_error = rectified.estimate, rectified.std_error
    reached = np.flatnonzero(estimate_cdf >= q)
    estimate = grid[reached[0]] if reached.size else grid[-1]
    critical = float(critical_values(alpha, rectified.df))
    upper_ok = estimate_cdf + critical * std_error >= q
    previous_low = np.r_[-np.inf, (estimate_cdf - critical * std_error)[:-1]]
    inside = np.flatnonzero(upper_ok & (previous_low <= q))
    low, high = (grid[inside[0]], grid[inside[-1]]) if inside.size else (estimate, estimate)
    return QuantileEstimate(float(estimate), float(min(low, estimate)), float(max(high, estimate)), float(lam),
                            rectified.df)

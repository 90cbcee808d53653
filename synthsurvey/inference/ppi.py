"""Prediction-powered estimators (PPI, PPI++) on arrays: means, OLS and logistic
coefficients, quantiles.

Two designs:

* ``"subsample"`` (default): the pilot is a simple random sample (without replacement)
  of the N people who all have predictions, and the estimand is the finite-population
  quantity over those N. The imputed part is then a known function of the population
  and only the pilot's rectifier varies: Var = (1 - n/N) H^-1 S(g_y - lam g_f) H^-1 / n,
  the survey-sampling variance of a difference (model-assisted) estimator. Spreads S use
  ddof=1 (n - 1), the unbiased sample variance of survey sampling (``survey::svymean``'s
  (1 - n/N) s^2 / n for a simple random sample).
* ``"independent"``: the labeled and unlabeled samples are independent draws from a
  superpopulation (ppi-python's setting); the formulas follow ppi-python exactly,
  including its choice of the tuning parameter and its ddof=0 spreads (``np.std``), so the
  two agree to rounding.

The tuning parameter ``lam`` is clipped to [0, 1]: 0 is the pilot alone (classical),
1 is plain PPI. ``method`` picks ``"classical"`` (lam = 0), ``"ppi"`` (lam = 1) or
``"ppi++"`` (lam estimated to minimise the variance).

Weights: ``weights`` for the pilot rows and ``weights_all`` for the population (or the
unlabeled rows), each normalised to mean 1 as ppi-python does.
"""

from dataclasses import dataclass

import numpy as np
import scipy.special
import scipy.stats

from ..common.errors import SynthsurveyError

METHODS = ("ppi++", "ppi", "classical")
DESIGNS = ("subsample", "independent")


@dataclass(frozen=True)
class ArrayEstimate:
    """Point estimates and standard errors of a d-dimensional estimand (arrays of shape (d,)),
    with the tuning parameter used and the classical (pilot-only) standard errors."""

    estimate: np.ndarray
    std_error: np.ndarray
    lam: float
    classical_std_error: np.ndarray


def _check(method, design):
    if method not in METHODS:
        raise SynthsurveyError(f"method {method!r} is not one of {METHODS}")
    if design not in DESIGNS:
        raise SynthsurveyError(f"design {design!r} is not one of {DESIGNS}")


def _normalised(weights, n):
    if weights is None:
        return np.ones(n)
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (n,) or np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise SynthsurveyError(f"weights must be {n} finite non-negative numbers")
    return weights / weights.sum() * n


def _two_d(values):
    values = np.asarray(values, dtype=float)
    return values[:, None] if values.ndim == 1 else values


def _fixed_lam(method):
    return {"ppi": 1.0, "classical": 0.0}.get(method)


def fpc(n, n_all, design, finite_population):
    """The finite-population correction 1 - n/N of the subsample design (1 otherwise)."""
    return 1.0 - n / n_all if design == "subsample" and finite_population else 1.0


# means --------------------------------------------------------------------------------

def mean(y, f, f_all, method="ppi++", design="subsample", weights=None, weights_all=None,
         finite_population=True, lam=None):
    """PPI estimate of the mean of ``y`` (n,) or (n, d) with predictions ``f`` for the pilot
    rows and ``f_all`` for the population (subsample) or the unlabeled rows (independent).
    One lam for all d coordinates (minimising the summed variance), so shares estimated
    from probabilities that sum to 1 also sum to 1; a given ``lam`` overrides ``method``.
    Returns an ArrayEstimate."""
    _check(method, design)
    y, f, f_all = _two_d(y), _two_d(f), _two_d(f_all)
    n, n_all = len(y), len(f_all)
    if n < 2:
        raise SynthsurveyError(f"at least 2 pilot answers are needed, got {n}")
    w, w_all = _normalised(weights, n)[:, None], _normalised(weights_all, n_all)[:, None]
    lam = _fixed_lam(method) if lam is None else float(lam)
    if design == "independent":
        if lam is None:
            start = (w_all * f_all).mean(0) + (w * (y - f)).mean(0)
            lam = _lam_glm(w * (y - start), w * (f - start), w_all * (f_all - start), np.eye(y.shape[1]))
        estimate = (w_all * lam * f_all).mean(0) + (w * (y - lam * f)).mean(0)
        # ddof=0 spreads, as ppi-python's ppi_mean_ci computes them (parity to 1e-8)
        variance = (w_all * lam * f_all).std(0) ** 2 / n_all + (w * (y - lam * f)).std(0) ** 2 / n
        classical = (w * y).std(0) ** 2 / n
    else:
        return mean_from_total(y, f, (w_all * f_all).mean(0), n_all, method, weights, finite_population, lam)
    return ArrayEstimate(estimate, np.sqrt(variance), float(lam), np.sqrt(classical))


def mean_from_total(y, f, f_all_mean, n_all, method="ppi++", weights=None, finite_population=True, lam=None):
    """The subsample-design PPI mean from the population's (weighted) mean prediction
    ``f_all_mean`` and size ``n_all`` alone: all it needs of the population, so the population
    can be summed partition by partition. A given ``lam`` overrides ``method``. Returns an
    ArrayEstimate."""
    _check(method, "subsample")
    lam = _fixed_lam(method) if lam is None else float(lam)
    y, f = _two_d(y), _two_d(f)
    n = len(y)
    w = _normalised(weights, n)[:, None]
    correction = fpc(n, n_all, "subsample", finite_population)
    if lam is None:
        lam = _lam_subsample(w * _centred(y, w), w * _centred(f, w))
    residual = y - lam * f
    estimate = lam * np.asarray(f_all_mean, dtype=float) + (w * residual).mean(0)
    variance = correction * _weighted_var(residual, w) / n
    classical = correction * _weighted_var(y, w) / n
    return ArrayEstimate(estimate, np.sqrt(variance), float(lam), np.sqrt(classical))


def _centred(values, w):
    return values - (w * values).sum(0) / w.sum()


def _weighted_var(values, w):
    """Linearised variance of a weighted mean times n: sum w^2 (v - mean_w)^2 / (n - 1)."""
    return ((w * _centred(values, w)) ** 2).sum(0) / (len(values) - 1)


def _lam_subsample(gy, gf, inv_hessian=None):
    """lam minimising trace(H^-1 Cov(gy - lam gf) H^-1), clipped to [0, 1]."""
    gy, gf = gy - gy.mean(0), gf - gf.mean(0)
    if inv_hessian is not None:
        gy, gf = gy @ inv_hessian, gf @ inv_hessian
    denominator = (gf * gf).sum()
    if denominator <= 0:
        return 0.0
    return float(np.clip((gy * gf).sum() / denominator, 0.0, 1.0))


def _lam_glm(grads, grads_hat, grads_hat_unlabeled, inv_hessian):
    """ppi-python's lam (``_calc_lam_glm``, optim_mode 'overall', clipped to [0, 1])."""
    n, n_unlabeled = len(grads), len(grads_hat_unlabeled)
    centred, centred_hat = grads - grads.mean(0), grads_hat - grads_hat.mean(0)
    cov_grads = (centred.T @ centred_hat + centred_hat.T @ centred) / n
    var_hat = np.atleast_2d(np.cov(np.concatenate([grads_hat, grads_hat_unlabeled]).T))
    numerator = np.trace(inv_hessian @ cov_grads @ inv_hessian)
    denominator = 2 * (1 + n / n_unlabeled) * np.trace(inv_hessian @ var_hat @ inv_hessian)
    return float(np.clip(numerator / denominator, 0.0, 1.0))


# OLS ----------------------------------------------------------------------------------

def _wls(x, y, w):
    sqrt_w = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(x * sqrt_w[:, None], y * sqrt_w, rcond=None)
    return coef


def _bread(x, w, n):
    """The inverse of the weighted Hessian of least squares, ((x' W x) / n)^-1."""
    return np.linalg.inv((w[:, None] * x).T @ x / n)


def _sandwich(scores, inv_hessian, n, correction=1.0):
    """Standard errors correction * H^-1 Cov(scores) H^-1 / n (np.cov: ddof=1) as an array (d,)."""
    d = scores.shape[1]
    meat = np.cov(scores.T).reshape(d, d)
    return np.sqrt(np.diag(correction * inv_hessian @ meat @ inv_hessian) / n)


def ols(x, y, f, x_all, f_all, method="ppi++", design="subsample", weights=None, weights_all=None,
        finite_population=True):
    """PPI estimate of the OLS coefficients of ``y`` on ``x`` (n, d); ``x_all``/``f_all`` are the
    population's (subsample) or the unlabeled rows' (independent) design and predictions.
    The estimate is beta_all(lam f_all) + beta_pilot(y - lam f) (ppi-python's). Sandwich
    standard errors. Returns an ArrayEstimate.

    Subsample design: the population term is known, so the estimator's error is that of the
    pilot regression of r = y - lam f on x around the population's: beta_pilot(r) - beta_N(r)
    = H_n^-1 mean_pilot(x e) with e the residuals of r around beta_N(r) = beta_y - lam beta_f.
    Its variance is the (1 - n/N) HC0 sandwich of the pilot regression of r (the pilot's bread,
    as ``survey::svyglm``), and e(lam) = e_y - lam e_f is linear in lam, so lam minimises that
    variance in closed form. lam = 0 is the pilot's own OLS with its own sandwich.
    """
    _check(method, design)
    x, x_all = np.asarray(x, dtype=float), np.asarray(x_all, dtype=float)
    y, f, f_all = (np.asarray(v, dtype=float) for v in (y, f, f_all))
    n, n_all = len(y), len(f_all)
    w, w_all = _normalised(weights, n), _normalised(weights_all, n_all)
    lam = _fixed_lam(method)

    def point(lam_value):
        return _wls(x_all, lam_value * f_all, w_all) + _wls(x, y - lam_value * f, w)

    if design == "subsample":
        inv_h = _bread(x, w, n)
        score_y = w[:, None] * x * (y - x @ _wls(x, y, w))[:, None]  # x e_y, e_y around beta_pilot(y)
        score_f = w[:, None] * x * (f - x @ _wls(x, f, w))[:, None]  # x e_f, e_f around beta_pilot(f)
        if lam is None:
            lam = _lam_subsample(score_y, score_f, inv_h)
        correction = fpc(n, n_all, design, finite_population)
        std_error = _sandwich(score_y - lam * score_f, inv_h, n, correction)
        classical = _sandwich(score_y, inv_h, n, correction)
        return ArrayEstimate(point(lam), std_error, float(lam), classical)

    def stats(theta, use_all=True):
        gy = w[:, None] * x * (x @ theta - y)[:, None]
        gf = w[:, None] * x * (x @ theta - f)[:, None]
        g_all = w_all[:, None] * x_all * (x_all @ theta - f_all)[:, None]
        hessian = ((w_all[:, None] * x_all).T @ x_all + (w[:, None] * x).T @ x) / (n_all + n) if use_all \
            else (w[:, None] * x).T @ x / n
        return gy, gf, g_all, np.linalg.inv(hessian)

    # independent design: ppi-python's ppi_ols_ci step by step (parity to 1e-8)
    if lam is None:  # ppi-python: tune at the PPI estimate, then again at the tuned estimate
        lam = _lam_glm(*stats(point(1.0)))
        lam = _lam_glm(*stats(point(lam)))
    theta = point(lam)
    gy, gf, g_all, inv_h = stats(theta, use_all=lam != 0)
    d = x.shape[1]
    var_all = np.cov((lam * g_all).T).reshape(d, d)
    var = np.cov((gy - lam * gf).T).reshape(d, d)
    sigma = inv_h @ (n / n_all * var_all + var) @ inv_h
    classical_theta = _wls(x, y, w)
    classical = _sandwich(w[:, None] * x * (x @ classical_theta - y)[:, None], _bread(x, w, n), n)
    return ArrayEstimate(theta, np.sqrt(np.diag(sigma) / n), float(lam), classical)


# logistic regression ------------------------------------------------------------------

def logistic(x, y, f, x_all, f_all, method="ppi++", design="subsample", weights=None, weights_all=None,
             finite_population=True, max_iter=100, tol=1e-10):
    """PPI estimate of logistic-regression coefficients of a 0/1 ``y`` on ``x``; ``f`` are
    predicted probabilities in [0, 1]. Newton's method on the PPI loss (convex for lam in
    [0, 1]); sandwich standard errors whose bread is the derivative of the estimating equation
    at the estimate: lam H_all + (1 - lam) H_pilot in the subsample design (the pilot's own
    Hessian for the classical estimate), ppi-python's pooled Hessian in the independent one.
    Returns an ArrayEstimate."""
    _check(method, design)
    x, x_all = np.asarray(x, dtype=float), np.asarray(x_all, dtype=float)
    y, f, f_all = (np.asarray(v, dtype=float) for v in (y, f, f_all))
    if np.any((f < 0) | (f > 1)) or np.any((f_all < 0) | (f_all > 1)):
        raise SynthsurveyError("logistic PPI needs predicted probabilities in [0, 1]")
    n, n_all = len(y), len(f_all)
    w, w_all = _normalised(weights, n), _normalised(weights_all, n_all)
    lam = _fixed_lam(method)

    def hessians(theta):
        p, p_all = scipy.special.expit(x @ theta), scipy.special.expit(x_all @ theta)
        pilot = (x * (w * p * (1 - p))[:, None]).T @ x / n
        population = (x_all * (w_all * p_all * (1 - p_all))[:, None]).T @ x_all / n_all
        return p, p_all, pilot, population

    def solve(lam_value):
        theta = np.zeros(x.shape[1])
        for _ in range(max_iter):
            p, p_all, pilot, population = hessians(theta)
            grad = (lam_value * (w_all[:, None] * x_all * (p_all - f_all)[:, None]).mean(0)
                    + (w[:, None] * x * ((p - y) - lam_value * (p - f))[:, None]).mean(0))
            step = np.linalg.solve(lam_value * population + (1 - lam_value) * pilot, grad)
            theta -= step
            if np.max(np.abs(step)) < tol:
                break
        return theta

    def stats(theta, lam_value):
        p, p_all, pilot, population = hessians(theta)
        gy = w[:, None] * x * (p - y)[:, None]
        gf = w[:, None] * x * (p - f)[:, None]
        g_all = w_all[:, None] * x_all * (p_all - f_all)[:, None]
        if design == "independent":  # ppi-python's pooled Hessian
            hessian = (population * n_all + pilot * n) / (n + n_all)
        else:
            hessian = lam_value * population + (1 - lam_value) * pilot
        return gy, gf, g_all, np.linalg.inv(hessian)

    if lam is None:
        gy, gf, g_all, inv_h = stats(solve(1.0), 1.0)
        lam = _lam_glm(gy, gf, g_all, inv_h) if design == "independent" else _lam_subsample(gy, gf, inv_h)
    theta = solve(lam)
    gy, gf, g_all, inv_h = stats(theta, lam)
    correction = fpc(n, n_all, design, finite_population)
    var = np.atleast_2d(np.cov((gy - lam * gf).T))  # ddof=1
    if design == "independent":
        sigma = inv_h @ (n / n_all * np.atleast_2d(np.cov((lam * g_all).T)) + var) @ inv_h
    else:
        sigma = correction * inv_h @ var @ inv_h
    classical_theta = solve(0.0)
    gy0, _, _, _ = stats(classical_theta, 0.0)
    _, _, pilot_hessian, _ = hessians(classical_theta)
    classical = _sandwich(gy0, np.linalg.inv(pilot_hessian), n, correction)
    return ArrayEstimate(theta, np.sqrt(np.diag(sigma) / n), float(lam), classical)


# quantiles ----------------------------------------------------------------------------

@dataclass(frozen=True)
class QuantileEstimate:
    """A quantile estimate and the confidence interval found by inverting the rectified CDF."""

    estimate: float
    ci_low: float
    ci_high: float
    lam: float


def quantile(q, y, cdf, cdf_all, grid, method="ppi++", design="subsample", alpha=0.05,
             weights=None, weights_all=None, finite_population=True):
    """PPI estimate of the q-quantile of ``y`` over the values ``grid`` (sorted).

    cdf, cdf_all: predicted P(Y <= t) for each grid value t, arrays (n, G) and (N, G)
    (from predicted probabilities, or indicators 1[f <= t] of point predictions).
    The rectified CDF F(t) = mean_all(lam cdf) + mean_pilot(1[y <= t] - lam cdf) is a PPI
    mean at each t; the estimate is the smallest t with F(t) >= q. The interval holds every
    grid value t that could be the quantile at level alpha: F(t) + z se(t) >= q and
    F(t-) - z se(t-) <= q at the grid value t- before it (Angelopoulos et al. 2023, adapted
    so that a discrete grid gives a set of levels rather than an empty one).
    """
    grid = np.asarray(grid, dtype=float)
    indicators = (np.asarray(y, dtype=float)[:, None] <= grid[None, :]).astype(float)
    lam = _fixed_lam(method)
    if lam is None:  # tune at the pilot-only quantile
        position = min(int(np.searchsorted(grid, np.quantile(y, q))), len(grid) - 1)
        at = mean(indicators[:, position], cdf[:, position], cdf_all[:, position], method, design,
                  weights, weights_all, finite_population)
        lam = at.lam
    rectified = mean(indicators, cdf, cdf_all, method, design, weights, weights_all, finite_population,
                     lam=lam)
    estimate_cdf, std_error = rectified.estimate, rectified.std_error
    reached = np.flatnonzero(estimate_cdf >= q)
    estimate = grid[reached[0]] if reached.size else grid[-1]
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    upper_ok = estimate_cdf + z * std_error >= q
    previous_low = np.r_[-np.inf, (estimate_cdf - z * std_error)[:-1]]
    inside = np.flatnonzero(upper_ok & (previous_low <= q))
    low, high = (grid[inside[0]], grid[inside[-1]]) if inside.size else (estimate, estimate)
    return QuantileEstimate(float(estimate), float(min(low, estimate)), float(max(high, estimate)), float(lam))

"""Prediction-powered OLS and logistic-regression coefficients on arrays, under a sampling
design (see ``ppi`` for the designs, weights and methods).

OLS: the estimate is beta_pop(lam f) + beta_pilot(y - lam f) (ppi-python's). Its error comes
from the pilot regression of r = y - lam f around the population's, H^-1 x e with e the residuals
of r around beta_y - lam beta_f (e_y - lam e_f: y's residuals around beta_y, f's around beta_f)
and, under the independent design, lam times the unlabeled rows' regression of f around theirs.
The variance of those influence values under the design is the design-based sandwich with the
pilot's bread (``survey::svyglm``'s); it is quadratic in lam, so lam minimises it in closed form.
ppi-python centres both scores at the PPI estimate instead, which overstates the error when the
predictions' slopes are attenuated (a kernel test checks ours against the Monte-Carlo SD).

Logistic: Newton's method with step halving on the PPI loss (convex for lam in [0, 1]), with a
convergence check and a clear error on separation. The bread is the derivative of the PPI
estimating equation at the estimate, lam H_pop + (1 - lam) H_pilot (the pilot's own Hessian for
the classical estimate, which is ``svyglm(family = quasibinomial)``).

Small samples: by default each pilot row's OLS residual is divided by sqrt(1 - h_ii), h_ii its
(weighted) leverage in the pilot regression: the HC2 correction inside the design-based sandwich
(under clusters, row by row: a diagonal version of Bell and McCaffrey's CR2). Measured on simple
random pilots of 30 (README): svyglm's sandwich with t intervals covered 0.927 (classical) and
0.914 (PPI++), HC1 0.941/0.933, HC2 closest to 0.95. The logit's score residuals are divided by
1 - h_ii (HC3; leverage at the pilot Hessian): with heavy weights (largest 81x the smallest) the
coefficients that rest on the most heavily weighted people covered 0.913-0.917 with HC2 (svyglm's
own sandwich 0.907) and 0.930-0.933 with HC3 over the same 300 pilots (README).
``leverage=False`` gives ``svyglm``'s sandwich exactly. Degrees of freedom: the design's df minus
the coefficients plus one (``svyglm``'s residual df), the design's df shrunk for unequal weights
as in ``designs``.
"""

import numpy as np
import scipy.special

from ..common.errors import SynthsurveyError
from . import designs
from .ppi import finish, fixed_lam, population_weights, tuned_lam


def _arrays(x, y, f, x_all, f_all):
    x, x_all = np.asarray(x, dtype=float), np.asarray(x_all, dtype=float)
    y, f, f_all = (np.asarray(v, dtype=float) for v in (y, f, f_all))
    if len(y) <= x.shape[1]:
        raise SynthsurveyError(f"the pilot has {len(y)} rows but the model has {x.shape[1]} coefficients")
    return x, y, f, x_all, f_all


def _wls(x, y, w):
    sqrt_w = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(x * sqrt_w[:, None], y * sqrt_w, rcond=None)
    return coef


def _inverse(matrix, what):
    try:
        return np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        raise SynthsurveyError(f"the {what} is singular: a term is constant or collinear in the pilot") from None


def _regression_df(sampling, weights, n_coefficients):
    return max(sampling.pilot.effective_df(weights) - n_coefficients + 1, 1.0)


def leverage_scale(weights, x, inv_hessian, leverage):
    """1 / sqrt(1 - h_ii) per pilot row (ones without the correction); h_ii = w_i x_i' H^-1 x_i with
    w normalised to sum 1 and H the matching Hessian (so the h_ii sum to the number of terms)."""
    if not leverage:
        return np.ones(len(x))
    hat = weights * np.einsum("ij,jk,ik->i", x, inv_hessian, x)
    return 1.0 / np.sqrt(np.clip(1.0 - hat, 1e-8, None))


def ols_influence(x, weights, leverage, *responses):
    """For each of ``responses`` (arrays (n,)), (its weighted OLS coefficients on ``x`` (d,), their
    influence values (n, d)): u_i = w_i s_i e_i x_i' H^-1 / sum(w), with e the residuals around the
    coefficients, H = X'WX / sum(w) and s_i = 1 / sqrt(1 - h_ii) with ``leverage`` (HC2), else 1."""
    inv_h = _inverse((weights[:, None] * x).T @ x / weights.sum(), "pilot's X'WX")
    scale = leverage_scale(weights / weights.sum(), x, inv_h, leverage)
    fitted = []
    for values in responses:
        coef = _wls(x, values, weights)
        fitted.append((coef, (weights * scale * (values - x @ coef))[:, None] * x @ inv_h / weights.sum()))
    return fitted


def _setup(x, y, x_all, method, design, weights, weights_all, finite_population):
    n, n_all = len(y), len(x_all)
    sampling = designs.from_sizes(design, n, n_all, finite_population)
    a = population_weights(weights, n) * sampling.pilot.weights
    b = population_weights(weights_all, n_all, "weights_all")
    return sampling, a, b, fixed_lam(method)


def ols(x, y, f, x_all, f_all, method="ppi++", design="subsample", weights=None, weights_all=None,
        finite_population=True, leverage=True):
    """PPI estimate of the OLS coefficients of ``y`` on ``x`` (n, d); ``x_all``/``f_all`` are the
    population's (subsample) or the unlabeled rows' (independent) design matrix and predictions.
    Returns an ArrayEstimate (see the module docstring)."""
    x, y, f, x_all, f_all = _arrays(x, y, f, x_all, f_all)
    sampling, a, b, lam = _setup(x, y, x_all, method, design, weights, weights_all, finite_population)
    # H^-1 x e_y with e_y around beta_y, H^-1 x e_f with e_f around beta_f
    (beta_y, u_y), (beta_f, u_f) = ols_influence(x, a, leverage, y, f)
    beta_all = _wls(x_all, f_all, b)
    rest = None
    if sampling.independent:
        inv_h_all = _inverse((b[:, None] * x_all).T @ x_all / b.sum(), "unlabeled rows' X'WX")
        rest = (b * (f_all - x_all @ beta_all))[:, None] * x_all @ inv_h_all / b.sum()
    if lam is None:
        lam = tuned_lam(sampling, u_y, u_f, None if rest is None else sampling.rest.variance(rest))
    estimate = lam * beta_all + beta_y - lam * beta_f
    return finish(estimate, lam, sampling, u_y - lam * u_f, u_y, None if rest is None else lam * rest,
                  _regression_df(sampling, a, x.shape[1]))


class _LogisticLoss:
    """The PPI logistic loss lam mean_pop[l(theta; f)] + mean_pilot[l(theta; y) - lam l(theta; f)],
    l(theta; t) = log(1 + e^eta) - t eta, with normalised weights A (pilot) and B (population)."""

    def __init__(self, x, y, f, x_all, f_all, a, b):
        self.x, self.y, self.f, self.x_all, self.f_all = x, y, f, x_all, f_all
        self.pilot_weights, self.population_weights = a / a.sum(), b / b.sum()

    def value(self, theta, lam):
        eta = self.x @ theta
        pilot = self.pilot_weights @ ((1 - lam) * np.logaddexp(0, eta) - (self.y - lam * self.f) * eta)
        if lam == 0:
            return pilot
        eta_all = self.x_all @ theta
        return pilot + lam * self.population_weights @ (np.logaddexp(0, eta_all) - self.f_all * eta_all)

    def hessians(self, theta, lam=1.0):
        """(pilot probabilities, population probabilities, H_pilot, H_pop) at ``theta``."""
        p = scipy.special.expit(self.x @ theta)
        pilot = (self.x * (self.pilot_weights * p * (1 - p))[:, None]).T @ self.x
        if lam == 0:
            return p, None, pilot, np.zeros_like(pilot)
        p_all = scipy.special.expit(self.x_all @ theta)
        population = (self.x_all * (self.population_weights * p_all * (1 - p_all))[:, None]).T @ self.x_all
        return p, p_all, pilot, population

    def gradient(self, theta, lam):
        p, p_all, pilot, population = self.hessians(theta, lam)
        grad = self.x.T @ (self.pilot_weights * ((1 - lam) * p - (self.y - lam * self.f)))
        if lam:
            grad = grad + lam * self.x_all.T @ (self.population_weights * (p_all - self.f_all))
        return grad, lam * population + (1 - lam) * pilot

    def solve(self, lam, max_iter=100, tol=1e-10):
        """Newton's method with step halving from 0; raises on separation (a pilot row's fitted
        log-odds beyond +-30, i.e. probabilities numerically 0 or 1: the coefficients run off to
        infinity) or non-convergence."""
        theta = np.zeros(self.x.shape[1])
        current = self.value(theta, lam)
        converged = False
        for _ in range(max_iter):
            grad, hessian = self.gradient(theta, lam)
            try:
                step = np.linalg.solve(hessian, grad)
            except np.linalg.LinAlgError:
                break
            size = 1.0
            while size > 1e-12:
                candidate = theta - size * step
                value = self.value(candidate, lam)
                if value <= current - 1e-4 * size * (grad @ step):
                    break
                size /= 2
            else:
                converged = np.max(np.abs(grad)) < 1e-8  # no descent left: at the optimum up to rounding
                break
            theta, current = candidate, value
            if np.max(np.abs(size * step)) < tol or np.max(np.abs(grad)) < 1e-12:
                converged = True
                break
        if np.max(np.abs(self.x @ theta)) > 30 or not np.all(np.isfinite(theta)):
            raise SynthsurveyError(
                "the logistic regression has no finite estimate: the pilot's 0/1 answers are (quasi-)perfectly "
                "separated by the model's terms (some combination predicts them exactly); drop or merge the "
                "terms that separate them")
        if not converged:
            raise SynthsurveyError(f"the logistic regression did not converge in {max_iter} Newton steps "
                                   "(a term constant or collinear in the pilot?)")
        return theta


def _solve_shrinking(loss, lam, max_iter, tol):
    """(theta, lam): the PPI++ estimate at the tuned lam, or, when the PPI loss has no minimum there
    (its rectifier term, linear in theta, can outweigh the population term under heavy weights),
    at lam halved until it has one (0: the pilot alone, whose failure is a genuine separation)."""
    while True:
        try:
            return loss.solve(lam, max_iter, tol), lam
        except SynthsurveyError:
            if lam == 0:
                raise
            lam = lam / 2 if lam > 1 / 64 else 0.0


def logistic(x, y, f, x_all, f_all, method="ppi++", design="subsample", weights=None, weights_all=None,
             finite_population=True, leverage=True, max_iter=100, tol=1e-10):
    """PPI estimate of logistic-regression coefficients of a 0/1 ``y`` on ``x``; ``f`` are
    predicted probabilities in [0, 1]. Returns an ArrayEstimate (see the module docstring)."""
    x, y, f, x_all, f_all = _arrays(x, y, f, x_all, f_all)
    if np.any((f < 0) | (f > 1)) or np.any((f_all < 0) | (f_all > 1)):
        raise SynthsurveyError("logistic PPI needs predicted probabilities in [0, 1]")
    sampling, a, b, lam = _setup(x, y, x_all, method, design, weights, weights_all, finite_population)
    loss = _LogisticLoss(x, y, f, x_all, f_all, a, b)
    weights_pilot, weights_population = loss.pilot_weights, loss.population_weights

    def influence(theta, lam_value):
        """(u_y, u_f, rest): the pilot's influence of x(p - y) and x(p - f), the population's of
        x(p - f), each centred and multiplied by the inverse bread at ``theta``."""
        p, p_all, pilot, population = loss.hessians(theta, 1.0 if lam_value or sampling.independent else 0.0)
        inv_j = _inverse(lam_value * population + (1 - lam_value) * pilot, "logistic Hessian")
        scale = leverage_scale(weights_pilot * p * (1 - p), x, _inverse(pilot, "pilot's logistic Hessian"),
                               leverage) ** 2  # HC3: 1 / (1 - h_ii) (module docstring)

        def centred(values, weight):
            return weight[:, None] * (values - weight @ values) @ inv_j

        u_y = centred(x * (scale * (p - y))[:, None], weights_pilot)
        u_f = centred(x * (scale * (p - f))[:, None], weights_pilot)
        rest = centred(x_all * (p_all - f_all)[:, None], weights_population) if sampling.independent else None
        return u_y, u_f, rest

    if lam is None:
        try:  # tune at the PPI estimate, or at the pilot's own when the PPI loss has no minimum
            u_y, u_f, rest = influence(loss.solve(1.0, max_iter, tol), 1.0)
        except SynthsurveyError:
            u_y, u_f, rest = influence(loss.solve(0.0, max_iter, tol), 0.0)
        lam = tuned_lam(sampling, u_y, u_f, None if rest is None else sampling.rest.variance(rest))
        theta, lam = _solve_shrinking(loss, lam, max_iter, tol)
    else:
        theta = loss.solve(lam, max_iter, tol)
    u_y, u_f, rest = influence(theta, lam)
    classical_theta = theta if lam == 0 else loss.solve(0.0, max_iter, tol)
    u_classical = u_y if lam == 0 else influence(classical_theta, 0.0)[0]
    return finish(theta, lam, sampling, u_y - lam * u_f, u_classical, None if rest is None else lam * rest,
                  _regression_df(sampling, a, x.shape[1]))

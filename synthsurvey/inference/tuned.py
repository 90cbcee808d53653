"""Population means and OLS coefficients that keep the pilot answers a tuned source cost.

A source tuned (fine-tuned) on pilot people T predicts them from their own answers, so a debiaser
that reads it is trained and corrected on the untouched pilot rows U only (``models.sources``).
Dropping T's answers costs precision: on the three-source world of the tests the combination of
every source came out about 1.4x as wide as the best single source. These estimators use every
pilot answer with two control variates (stacked PPI):

    theta = ybar_P + lam1 (mean_N(f_u) - mean_P(f_u)) + lam2 (mean_{N-T}(f_c) - mean_U(f_c))

(for OLS the same with the regressions' coefficients in place of the means), f_u the cross-fitted
predictions of the *untuned companion* (the fit's formula without the terms that read a tuned
source, fit on the whole pilot: ``DebiasModel.untuned_companion``; honest on all of P) and f_c the
fit's own (honest on U, and on the people outside T). Assumptions: the pilot P is a simple random
sample of the frame's N people and T a subset of P chosen independently of the answers (e.g. at
random): then, given T, U is a simple random sample of the N - m people outside T (m = |T|), each
bracket has expectation zero and theta is unbiased for any (lam1, lam2).

Variance. With per-row influence values z (the centred values for a mean; H^-1 x e with HC2
leverage scaling for OLS, as in ``regression``) of y and f_u over P and of f_c over U, and S the
covariances of the z (ddof 1; those with f_c over U), the first-order variance of theta under the
design is

    G_P (S_yy - lam1 (S_yu + S_uy) + lam1^2 S_uu) - lam2 G_PU (S_yc + S_cy - lam1 (S_uc + S_cu))
        + lam2^2 G_U S_cc,
    G_P = 1/n - 1/N,  G_PU = (N - n) / (n (N - m)),  G_U = 1/k - 1/(N - m)

(n = |P|, k = |U|; without the finite-population correction the 1/N terms go). With m = 0 it is
the simple random design's variance of the pilot influence values (``designs``). (lam1, lam2)
minimise its trace in closed form, unclipped (two control variates: any values keep theta
unbiased). Degrees of freedom: the whole pilot's (n - 1; n minus the coefficients for OLS).

Other designs (strata, clusters, unequal probabilities, the independent design), population or
pilot weights, subgroups, shares, quantiles, totals and logistic coefficients keep the estimator
of the untouched rows alone, and their result says so in a note (``applicable``).
"""

from dataclasses import dataclass

import numpy as np

from ..common.errors import SynthsurveyError
from .ppi import ArrayEstimate, two_d
from .regression import _wls, ols_influence

STACKED = "stacked over the tuned source"


@dataclass(frozen=True)
class Stacking:
    """What a stacked estimate needs from a fit: the untuned ``companion`` fit, the number of pilot
    answers the tuned source cost (``n_tuned``) and of the untouched ones (``n_untouched``)."""

    companion: object
    n_tuned: int
    n_untouched: int


def applicable(fit, method, design, weights=None, pilot_weights=None, by=None, estimator="mean"):
    """(Stacking or None, note or None) for an estimate of ``fit``: None and no note when the fit
    masked no pilot answer; None and a note saying why the tuned people's answers stay unused when
    the estimate is not one of those stacked (see the module docstring)."""
    model = getattr(fit, "model", None)
    masked = getattr(model, "tuned_answers", None)
    if masked is None or not len(masked):
        return None, None
    n_tuned = int(np.isin(fit.frame["id"].to_numpy(), masked.index.to_numpy()).sum())
    if not n_tuned:
        return None, None
    reasons = []
    if estimator not in ("mean", "ols"):
        reasons.append(f"{estimator} estimates are not stacked")
    if method != "ppi++":
        reasons.append(f"method={method!r} (stacking tunes its own lam: ppi++)")
    if not (isinstance(design, str) and design == "subsample") or not fit.pilot_design.is_simple:
        reasons.append("the pilot design is not simple random")
    if weights is not None or pilot_weights is not None:
        reasons.append("weights are given")
    if by:
        reasons.append("subgroup estimates are not stacked")
    if reasons:
        return None, (f"the {n_tuned} pilot answer(s) of people a source was tuned on are not used ("
                      f"{'; '.join(reasons)}): the estimate rests on the {fit.nobs} untouched one(s)")
    return Stacking(fit.untuned_companion(), n_tuned, int(fit.nobs)), None


def note(stacking, lam, n_population):
    """The note a stacked result carries."""
    return (f"{STACKED}: every one of the {stacking.n_tuned + stacking.n_untouched} pilot answers is used; lam "
            f"{lam[0]:.3g} on the predictions of the formula without the tuned source (fit on the whole pilot), "
            f"{lam[1]:.3g} on the fit's own over its {stacking.n_untouched} untouched pilot answers and the "
            f"{n_population - stacking.n_tuned} people outside the {stacking.n_tuned} tuned on (assumes a simple "
            "random pilot and a tuned subset chosen independently of the answers)")


def _cov(a, b):
    """Cross-covariance (d, d) of the rows of ``a`` and ``b`` (n, d) with ddof 1."""
    a, b = a - a.mean(0), b - b.mean(0)
    return a.T @ b / (len(a) - 1)


def combine(base, d_untuned, d_tuned, z_y, z_u, z_c, untouched, n_population, finite=True, df=None):
    """The stacked ArrayEstimate from the pilot-only estimate ``base`` (d,), the two brackets
    (population minus pilot side) of the untuned predictions ``d_untuned`` and of the fit's own
    ``d_tuned``, the influence values ``z_y``, ``z_u`` (n, d) over the pilot and ``z_c`` (k, d) over
    its ``untouched`` rows (a mask over the pilot's n rows), N = ``n_population``."""
    n, k = len(z_y), int(untouched.sum())
    m = n - k
    if k < 2:
        raise SynthsurveyError(f"{k} untouched pilot answer(s) remain: stacking needs at least 2")
    if finite:
        g_p, g_pu = 1.0 / n - 1.0 / n_population, (n_population - n) / (n * (n_population - m))
        g_u = 1.0 / k - 1.0 / (n_population - m)
    else:
        g_p, g_pu, g_u = 1.0 / n, 1.0 / n, 1.0 / k
    s_yy, s_yu, s_uu = _cov(z_y, z_y), _cov(z_y, z_u), _cov(z_u, z_u)
    s_yc, s_uc, s_cc = _cov(z_y[untouched], z_c), _cov(z_u[untouched], z_c), _cov(z_c, z_c)
    matrix = np.array([[g_p * np.trace(s_uu), g_pu * np.trace(s_uc)], [g_pu * np.trace(s_uc), g_u * np.trace(s_cc)]])
    target = np.array([g_p * np.trace(s_yu), g_pu * np.trace(s_yc)])
    lam = np.linalg.lstsq(matrix, target, rcond=None)[0]
    lam1, lam2 = float(lam[0]), float(lam[1])
    covariance = (g_p * (s_yy - lam1 * (s_yu + s_yu.T) + lam1 ** 2 * s_uu)
                  - lam2 * g_pu * (s_yc + s_yc.T - lam1 * (s_uc + s_uc.T)) + lam2 ** 2 * g_u * s_cc)
    classical = g_p * s_yy
    estimate = base + lam1 * d_untuned + lam2 * d_tuned
    influence = (z_y - lam1 * z_u) / n
    influence[untouched] -= lam2 * z_c / k
    return ArrayEstimate(np.asarray(estimate, dtype=float), np.sqrt(np.clip(np.diag(covariance), 0, None)), lam1,
                         np.sqrt(np.clip(np.diag(classical), 0, None)), covariance, classical,
                         float(n - 1 if df is None else df), influence, z_y / n, None, np.ptp(z_y, axis=0) > 0), lam


def mean(y, f_u, f_c, is_pilot, untouched_rows, finite=True):
    """(ArrayEstimate, (lam1, lam2)) of the stacked population mean of the pilot answers ``y``
    (n,): ``f_u`` and ``f_c`` (N,) the untuned companion's and the fit's predictions over the
    frame's rows, ``is_pilot`` the pilot's rows (n of them), ``untouched_rows`` those of U."""
    y, f_u, f_c = two_d(y), two_d(f_u), two_d(f_c)
    untouched = np.asarray(untouched_rows, dtype=bool)[is_pilot]
    outside_tuned = ~(is_pilot & ~untouched_rows)
    fu_pilot, fc_untouched = f_u[is_pilot], f_c[untouched_rows]
    return combine(y.mean(0), f_u.mean(0) - fu_pilot.mean(0), f_c[outside_tuned].mean(0) - fc_untouched.mean(0),
                   y - y.mean(0), fu_pilot - fu_pilot.mean(0), fc_untouched - fc_untouched.mean(0), untouched,
                   len(f_u), finite)


def ols(x_all, y, f_u, f_c, is_pilot, untouched_rows, finite=True, leverage=True):
    """(ArrayEstimate, (lam1, lam2)) of the stacked OLS coefficients of the pilot answers ``y`` on
    the design ``x_all`` (N, d) over the frame's rows (the other arguments as in ``mean``)."""
    x_all, f_u, f_c = np.asarray(x_all, dtype=float), np.asarray(f_u, dtype=float), np.asarray(f_c, dtype=float)
    untouched = np.asarray(untouched_rows, dtype=bool)[is_pilot]
    outside_tuned = ~(is_pilot & ~untouched_rows)
    x_pilot, x_untouched = x_all[is_pilot], x_all[untouched_rows]
    if untouched.sum() <= x_all.shape[1]:
        raise SynthsurveyError(f"{int(untouched.sum())} untouched pilot answers for {x_all.shape[1]} coefficients")
    (beta_y, u_y), (beta_u, u_u) = ols_influence(x_pilot, np.ones(len(x_pilot)), leverage,
                                                 np.asarray(y, dtype=float), f_u[is_pilot])
    ((beta_c, u_c),) = ols_influence(x_untouched, np.ones(len(x_untouched)), leverage, f_c[untouched_rows])
    z_y, z_u, z_c = len(x_pilot) * u_y, len(x_pilot) * u_u, len(x_untouched) * u_c  # per row: H^-1 x e
    population_u = _wls(x_all, f_u, np.ones(len(x_all)))
    population_c = _wls(x_all[outside_tuned], f_c[outside_tuned], np.ones(int(outside_tuned.sum())))
    return combine(beta_y, population_u - beta_u, population_c - beta_c, z_y, z_u, z_c, untouched, len(x_all),
                   finite, df=max(len(y) - x_all.shape[1], 1))

"""PPI kernels: parity with ppi-python (the peer) where the conventions agree, and closed forms.

Source of truth: ppi-python 0.2.x (``ppi_mean_ci``, ``ppi_ols_ci`` and their point estimates),
called with alpha=0.05 explicitly (its default is 0.1), under the independent-samples design
it assumes. Tolerance 1e-8. Where synthsurvey departs on purpose (README, inference section) the
tests check the departure exactly: means use the survey convention n - 1 for each sample's spread
where ppi-python uses n (np.std); weighted spreads are centred at the weighted mean; the OLS PPI
variance centres each score where the estimator's error comes from; lam minimises that variance.
"""

import numpy as np
import pytest
import scipy.stats

import synthsurvey as ss
from synthsurvey.inference import ppi

ppi_py = pytest.importorskip("ppi_py")
Z = scipy.stats.norm.ppf(0.975)
LAMS = [(None, "ppi++"), (1.0, "ppi"), (0.0, "classical")]


def _ppi_python_variance(low, high):
    return ((np.ravel(high) - np.ravel(low)) / (2 * Z)) ** 2


@pytest.mark.parametrize("lam, method", LAMS[1:])
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_estimate_matches_ppi_python(data, lam, method, weighted):
    """At a fixed lam the point estimates agree, weighted or not (both are Hajek means)."""
    x, y, f, x_u, f_u, w, w_u = data
    weights = dict(w=w, w_unlabeled=w_u) if weighted else {}
    point = ppi_py.ppi_mean_pointestimate(y, f, f_u, lam=lam, **weights)
    ours = ppi.mean(y, f, f_u, method=method, design="independent",
                    weights=w if weighted else None, weights_all=w_u if weighted else None)
    np.testing.assert_allclose(ours.estimate, np.ravel(point), rtol=0, atol=1e-8)


@pytest.mark.parametrize("lam, method", LAMS[1:])
def test_mean_variance_is_ppi_pythons_with_n_minus_1_spreads(data, lam, method):
    """Unweighted, our variance is ppi-python's with each sample's spread on n - 1 (survey's
    convention) instead of n: theirs + s0^2(lam f_u) / (N (N - 1)) + s0^2(y - lam f) / (n (n - 1))."""
    x, y, f, x_u, f_u, w, w_u = data
    n, n_u = len(y), len(f_u)
    low, high = ppi_py.ppi_mean_ci(y, f, f_u, alpha=0.05, lam=lam)
    theirs = _ppi_python_variance(low, high)
    ddof = np.var(lam * f_u) / (n_u * (n_u - 1)) + np.var(y - lam * f) / (n * (n - 1))
    ours = ppi.mean(y, f, f_u, method=method, design="independent")
    np.testing.assert_allclose(ours.std_error ** 2, theirs + ddof, rtol=1e-9)


def test_weighted_spreads_are_centred(data):
    """ppi-python's weighted spread is that of w * y around its unweighted mean, so adding a
    constant to every answer changes its standard error (the issue: 0.124 -> 3.378); ours is
    centred at the weighted mean (svymean's linearisation), so it cannot."""
    x, y, f, x_u, f_u, w, w_u = data
    ours = ppi.mean(y, f, f_u, method="classical", design="independent", weights=w)
    shifted = ppi.mean(y + 100, f, f_u, method="classical", design="independent", weights=w)
    np.testing.assert_allclose(shifted.std_error, ours.std_error, rtol=1e-10)
    low, high = ppi_py.ppi_mean_ci(y, f, f_u, alpha=0.05, lam=0.0, w=w, w_unlabeled=w_u)
    low100, high100 = ppi_py.ppi_mean_ci(y + 100, f, f_u, alpha=0.05, lam=0.0, w=w, w_unlabeled=w_u)
    assert (high100 - low100) / (high - low) > 5  # the peer's uncentred spread
    expected = np.sum((w / w.sum()) ** 2 * (y - np.average(y, weights=w)) ** 2) * len(y) / (len(y) - 1)
    assert ours.std_error[0] == pytest.approx(np.sqrt(expected), rel=1e-12)


def test_independent_lam_minimises_the_reported_variance(data):
    x, y, f, x_u, f_u, w, w_u = data
    tuned = ppi.mean(y, f, f_u, design="independent", weights=w, weights_all=w_u)
    grid = np.linspace(0, 1, 201)
    variances = [ppi.mean(y, f, f_u, design="independent", weights=w, weights_all=w_u, lam=lam).std_error[0] ** 2
                 for lam in grid]
    assert tuned.lam == pytest.approx(grid[int(np.argmin(variances))], abs=0.006)
    assert tuned.std_error[0] ** 2 <= min(variances) + 1e-15


def test_subsample_design_closed_forms(data):
    x, y, f, x_u, f_u, w, w_u = data
    f_all = np.r_[f, f_u]  # the pilot is part of the population
    n, n_all = len(y), len(f_all)
    fpc = 1 - n / n_all
    classical = ppi.mean(y, f, f_all, method="classical")
    assert classical.estimate[0] == pytest.approx(y.mean())
    assert classical.std_error[0] == pytest.approx(np.sqrt(fpc * y.var(ddof=1) / n))
    plain = ppi.mean(y, f, f_all, method="ppi")
    assert plain.estimate[0] == pytest.approx(f_all.mean() + (y - f).mean())
    assert plain.std_error[0] == pytest.approx(np.sqrt(fpc * (y - f).var(ddof=1) / n))
    tuned = ppi.mean(y, f, f_all)
    lam = np.cov(y, f)[0, 1] / f.var(ddof=1)
    assert tuned.lam == pytest.approx(np.clip(lam, 0, 1))
    assert tuned.std_error[0] <= min(plain.std_error[0], classical.std_error[0]) + 1e-12
    no_fpc = ppi.mean(y, f, f_all, method="classical", finite_population=False)
    assert no_fpc.std_error[0] == pytest.approx(np.sqrt(y.var(ddof=1) / n))


def test_shares_sum_to_one_with_common_lam():
    rng = np.random.default_rng(4)
    probs = rng.dirichlet(np.ones(4), size=500)
    answers = np.array([rng.choice(4, p=p) for p in probs])
    indicators = np.eye(4)[answers[:120]]
    result = ppi.mean(indicators, probs[:120], probs)
    assert result.estimate.sum() == pytest.approx(1.0)


def test_bad_method_and_design():
    with pytest.raises(ss.SynthsurveyError, match="method"):
        ppi.mean([1, 2], [1, 2], [1, 2, 3], method="magic")
    with pytest.raises(ss.SynthsurveyError, match="design 'cluster' is not one of"):
        ppi.mean([1, 2], [1, 2], [1, 2, 3], design="cluster")
    with pytest.raises(ss.SynthsurveyError, match="weights must be"):
        ppi.mean([1, 2], [1, 2], [1, 2, 3], weights=[1, -1])


def test_quantile_interval_holds_every_plausible_level():
    """A median that sits on the boundary between two levels: half the pilot answers 2, half 3.
    The interval must hold both (a collapsed interval, [estimate, estimate], fails). Source of
    truth: the rectified CDF at 2 is 0.5 with a standard error of about 0.065, so both 2 and 3 are
    within reach of q = 0.5 at the 95% level."""
    rng = np.random.default_rng(3)
    y = np.repeat([2.0, 3.0], 30)
    grid = np.array([1.0, 2.0, 3.0, 4.0])
    cdf = np.clip(np.array([0.05, 0.5, 0.95, 1.0])[None, :] + 0.02 * rng.normal(size=(60, 4)), 0, 1)
    cdf_all = np.r_[cdf, np.clip(np.array([0.05, 0.5, 0.95, 1.0])[None, :] + 0.02 * rng.normal(size=(600, 4)), 0, 1)]
    result = ppi.quantile(0.5, y, cdf, cdf_all, grid)
    assert result.ci_low <= 2.0 and result.ci_high >= 3.0
    assert result.ci_low <= result.estimate <= result.ci_high
    sure = ppi.quantile(0.5, np.full(60, 3.0), np.tile([0, 0, 1.0, 1.0], (60, 1)),
                        np.tile([0, 0, 1.0, 1.0], (660, 1)), grid, method="classical")
    assert sure.estimate == 3.0

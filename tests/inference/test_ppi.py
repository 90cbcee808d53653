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
from synthsurvey.inference import designs, ppi, regression

ppi_py = pytest.importorskip("ppi_py")
Z = scipy.stats.norm.ppf(0.975)
LAMS = [(None, "ppi++"), (1.0, "ppi"), (0.0, "classical")]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    n, n_unlabeled = 150, 1500
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    x_u = np.column_stack([np.ones(n_unlabeled), rng.normal(size=(n_unlabeled, 2))])
    beta = np.array([1.0, 2.0, -1.0])
    y = x @ beta + rng.normal(size=n)
    f = 0.8 * (x @ beta) + 0.3 + 0.5 * rng.normal(size=n)
    f_u = 0.8 * (x_u @ beta) + 0.3 + 0.5 * rng.normal(size=n_unlabeled)
    w, w_u = rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n_unlabeled)
    return x, y, f, x_u, f_u, w, w_u


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


@pytest.mark.parametrize("weighted", [False, True])
def test_classical_ols_matches_ppi_python(data, weighted):
    """lam = 0: the pilot's own (weighted) OLS with its sandwich; the two packages agree exactly."""
    x, y, f, x_u, f_u, w, w_u = data
    weights = dict(w=w, w_unlabeled=w_u) if weighted else {}
    low, high = ppi_py.ppi_ols_ci(x, y, f, x_u, f_u, alpha=0.05, lam=0.0, **weights)
    ours = regression.ols(x, y, f, x_u, f_u, method="classical", design="independent",
                          weights=w if weighted else None, weights_all=w_u if weighted else None)
    np.testing.assert_allclose(ours.estimate - Z * ours.std_error, low, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.estimate + Z * ours.std_error, high, rtol=0, atol=1e-8)


@pytest.mark.parametrize("weighted", [False, True])
def test_ppi_ols_estimate_matches_ppi_python(data, weighted):
    x, y, f, x_u, f_u, w, w_u = data
    weights = dict(w=w, w_unlabeled=w_u) if weighted else {}
    point = ppi_py.ppi_ols_pointestimate(x, y, f, x_u, f_u, lam=1.0, **weights)
    ours = regression.ols(x, y, f, x_u, f_u, method="ppi", design="independent",
                          weights=w if weighted else None, weights_all=w_u if weighted else None)
    np.testing.assert_allclose(ours.estimate, point, rtol=0, atol=1e-8)


def test_independent_ols_se_matches_the_monte_carlo_sd_with_attenuated_predictions():
    """Source of truth: the Monte-Carlo SD over 300 independent pairs of samples (pilot of 200,
    unlabeled 2,000) from one superpopulation where the predictions' slope is a third of the
    answers'. ppi-python's scores at the PPI estimate overstate the error here; ours must match
    within 15% (the SD of 300 draws is known to about 4%)."""
    rng = np.random.default_rng(8)

    def sample(size):
        x = np.column_stack([np.ones(size), rng.normal(size=size)])
        return x, x @ np.array([1.0, 1.0]) + rng.normal(size=size), x @ np.array([1.0, 1 / 3]) + 0.5 * rng.normal(size=size)

    estimates, errors = [], []
    for _ in range(300):
        x, y, f = sample(200)
        x_u, _, f_u = sample(2000)
        result = regression.ols(x, y, f, x_u, f_u, method="ppi", design="independent")
        estimates.append(result.estimate[1])
        errors.append(result.std_error[1])
    ratio = np.mean(errors) / np.std(estimates, ddof=1)
    assert 0.85 < ratio < 1.15, ratio


def test_independent_lam_minimises_the_reported_variance(data):
    x, y, f, x_u, f_u, w, w_u = data
    tuned = ppi.mean(y, f, f_u, design="independent", weights=w, weights_all=w_u)
    grid = np.linspace(0, 1, 201)
    variances = [ppi.mean(y, f, f_u, design="independent", weights=w, weights_all=w_u, lam=lam).std_error[0] ** 2
                 for lam in grid]
    assert tuned.lam == pytest.approx(grid[int(np.argmin(variances))], abs=0.006)
    assert tuned.std_error[0] ** 2 <= min(variances) + 1e-15
    tuned_ols = regression.ols(x, y, f, x_u, f_u, design="independent")
    assert 0 < tuned_ols.lam < 1


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


def test_ols_subsample_classical_is_pilot_ols_with_hc0_and_fpc(data):
    import statsmodels.api as sm

    x, y, f, x_u, f_u, w, w_u = data
    x_all, f_all = np.r_[x, x_u], np.r_[f, f_u]
    ours = regression.ols(x, y, f, x_all, f_all, method="classical")
    reference = sm.OLS(y, x).fit()
    np.testing.assert_allclose(ours.estimate, reference.params, atol=1e-10)


def test_logistic_classical_equals_maximum_likelihood():
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    x = np.column_stack([np.ones(400), rng.normal(size=400)])
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.3 + x[:, 1])))).astype(float)
    f = np.clip(0.5 + 0.2 * x[:, 1], 0, 1)
    ours = regression.logistic(x[:100], y[:100], f[:100], x, f, method="classical")
    reference = sm.Logit(y[:100], x[:100]).fit(disp=0)
    np.testing.assert_allclose(ours.estimate, reference.params, atol=1e-8)
    perfect = regression.logistic(x[:100], y[:100], y[:100], np.r_[x[:100]], y[:100], method="ppi")
    np.testing.assert_allclose(perfect.estimate, reference.params, atol=1e-6)


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


# closed forms and Monte-Carlo checks that bite: an SE off by a factor of 2 or a collapsed
# interval fails these -------------------------------------------------------------------

def _population(data):
    x, y, f, x_u, f_u, w, w_u = data
    return x, y, f, np.r_[x, x_u], np.r_[f, f_u], len(y), len(y) + len(f_u), w


@pytest.mark.parametrize("weighted", [False, True])
def test_subsample_ols_se_is_the_fpc_scaled_pilot_sandwich(data, weighted):
    """Source of truth: statsmodels' HC0 sandwich. Under the subsample design the PPI OLS error is
    the pilot regression of r = y - lam f on x around the population's, so its standard error is
    sqrt((1 - n/N) n/(n-1)) times the HC0 standard error of (weighted) OLS of r on x in the pilot."""
    import statsmodels.api as sm

    x, y, f, x_all, f_all, n, n_all, w = _population(data)
    weights = w if weighted else None
    factor = np.sqrt((1 - n / n_all) * n / (n - 1))
    for method in ("classical", "ppi", "ppi++"):
        ours = regression.ols(x, y, f, x_all, f_all, method=method, weights=weights)
        residual = y - ours.lam * f
        reference = sm.WLS(residual, x, weights=w if weighted else np.ones(n)).fit(cov_type="HC0")
        np.testing.assert_allclose(ours.std_error, reference.bse * factor, rtol=1e-10, err_msg=method)
        classical = sm.WLS(y, x, weights=w if weighted else np.ones(n)).fit(cov_type="HC0")
        np.testing.assert_allclose(ours.classical_std_error, classical.bse * factor, rtol=1e-10)
    tuned = regression.ols(x, y, f, x_all, f_all)
    grid = np.linspace(0, 1, 101)
    variances = []
    for lam in grid:  # lam minimises the summed variance of the coefficients
        residual = y - lam * f
        variances.append(np.sum(sm.OLS(residual, x).fit(cov_type="HC0").bse ** 2))
    assert tuned.lam == pytest.approx(grid[int(np.argmin(variances))], abs=0.011)


def test_subsample_ols_se_matches_the_monte_carlo_sd_with_attenuated_predictions():
    """Source of truth: the Monte-Carlo standard deviation of the estimator over 400 random pilots
    from one fixed population, where the predictions' slope is a third of the answers' (the case in
    which scores centred at the answers' coefficients overstate the error threefold). Tolerance:
    the SD of 400 draws is known to about 3.5%; the check allows 15%."""
    rng = np.random.default_rng(5)
    n_all, n = 3000, 200
    x_all = np.column_stack([np.ones(n_all), rng.normal(size=n_all)])
    y_all = x_all @ np.array([1.0, 1.0]) + rng.normal(size=n_all)
    f_all = x_all @ np.array([1.0, 1 / 3]) + 0.5 * rng.normal(size=n_all)
    for method in ("ppi", "ppi++"):
        estimates, errors = [], []
        for _ in range(400):
            rows = rng.choice(n_all, n, replace=False)
            result = regression.ols(x_all[rows], y_all[rows], f_all[rows], x_all, f_all, method=method)
            estimates.append(result.estimate[1])
            errors.append(result.std_error[1])
        ratio = np.mean(errors) / np.std(estimates, ddof=1)
        assert 0.85 < ratio < 1.15, (method, ratio)


def test_logistic_classical_se_is_the_pilot_mle_sandwich():
    """Source of truth: statsmodels' Logit with HC0 standard errors on the pilot alone (its own
    coefficients and its own Hessian), scaled by sqrt((1 - n/N) n/(n-1)) for the subsample design."""
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    x = np.column_stack([np.ones(600), rng.normal(size=600)])
    y = (rng.random(600) < 1 / (1 + np.exp(-(0.3 + x[:, 1])))).astype(float)
    f = np.clip(0.5 + 0.15 * x[:, 1] + 0.1 * rng.normal(size=600), 0, 1)
    n, n_all = 150, 600
    ours = regression.logistic(x[:n], y[:n], f[:n], x, f, method="classical")
    reference = sm.Logit(y[:n], x[:n]).fit(disp=0, cov_type="HC0")
    factor = np.sqrt((1 - n / n_all) * n / (n - 1))
    np.testing.assert_allclose(ours.std_error, reference.bse * factor, rtol=1e-6)
    tuned = regression.logistic(x[:n], y[:n], f[:n], x, f)
    np.testing.assert_allclose(tuned.classical_std_error, reference.bse * factor, rtol=1e-6)


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

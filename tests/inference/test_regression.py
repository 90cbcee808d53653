"""Regression kernels (OLS and logistic PPI coefficients).

Sources of truth: ppi-python 0.2.x where the conventions agree (the classical OLS interval, the
PPI point estimate; independent design; tolerance 1e-8); statsmodels' HC0 and HC2 sandwiches and
maximum-likelihood logit; the Monte-Carlo SD of the estimators over repeated samples with
attenuated predictions (the case where scores centred at the answers' coefficients overstate the
error). Survey-package parity of the classical coefficients under every design is in
tests/parity/test_survey_parity.py.
"""

import numpy as np
import pytest
import scipy.stats

import synthsurvey as ss
from synthsurvey.inference import regression

ppi_py = pytest.importorskip("ppi_py")
Z = scipy.stats.norm.ppf(0.975)


def _population(data):
    x, y, f, x_u, f_u, w, w_u = data
    return x, y, f, np.r_[x, x_u], np.r_[f, f_u], len(y), len(y) + len(f_u), w


@pytest.mark.parametrize("weighted", [False, True])
def test_classical_ols_matches_ppi_python(data, weighted):
    """lam = 0: the pilot's own (weighted) OLS with its sandwich; the two packages agree exactly."""
    x, y, f, x_u, f_u, w, w_u = data
    weights = dict(w=w, w_unlabeled=w_u) if weighted else {}
    low, high = ppi_py.ppi_ols_ci(x, y, f, x_u, f_u, alpha=0.05, lam=0.0, **weights)
    ours = regression.ols(x, y, f, x_u, f_u, method="classical", design="independent",
                          weights=w if weighted else None, weights_all=w_u if weighted else None, leverage=False)
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
        ours = regression.ols(x, y, f, x_all, f_all, method=method, weights=weights, leverage=False)
        residual = y - ours.lam * f
        reference = sm.WLS(residual, x, weights=w if weighted else np.ones(n)).fit(cov_type="HC0")
        np.testing.assert_allclose(ours.std_error, reference.bse * factor, rtol=1e-10, err_msg=method)
        classical = sm.WLS(y, x, weights=w if weighted else np.ones(n)).fit(cov_type="HC0")
        np.testing.assert_allclose(ours.classical_std_error, classical.bse * factor, rtol=1e-10)
    tuned = regression.ols(x, y, f, x_all, f_all, leverage=False)
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
    ours = regression.logistic(x[:n], y[:n], f[:n], x, f, method="classical", leverage=False)
    reference = sm.Logit(y[:n], x[:n]).fit(disp=0, cov_type="HC0")
    factor = np.sqrt((1 - n / n_all) * n / (n - 1))
    np.testing.assert_allclose(ours.std_error, reference.bse * factor, rtol=1e-6)
    tuned = regression.logistic(x[:n], y[:n], f[:n], x, f, leverage=False)
    np.testing.assert_allclose(tuned.classical_std_error, reference.bse * factor, rtol=1e-6)


def test_default_logistic_se_is_the_hc3_sandwich_in_the_design():
    """Source of truth: the closed form of HC3 for the pilot's logistic MLE (score residuals over
    1 - h_ii, h_ii = p_i (1 - p_i) x_i' (X'VX)^-1 x_i; statsmodels' coefficients), bread (X'VX)^-1, times
    the subsample design's sqrt((1 - n/N) n / (n - 1)); the design centres the scaled scores, hence
    the tolerance."""
    import statsmodels.api as sm

    rng = np.random.default_rng(4)
    x = np.column_stack([np.ones(600), rng.normal(size=600), rng.binomial(1, 0.3, 600)])
    y = (rng.random(600) < 1 / (1 + np.exp(-(0.3 + x[:, 1] - 0.5 * x[:, 2])))).astype(float)
    f = np.full(600, 0.5)
    n, n_all = 60, 600
    ours = regression.logistic(x[:n], y[:n], f[:n], x, f, method="classical")
    beta = sm.Logit(y[:n], x[:n]).fit(disp=0).params
    p = 1 / (1 + np.exp(-x[:n] @ beta))
    inverse = np.linalg.inv((x[:n] * (p * (1 - p))[:, None]).T @ x[:n])
    hat = p * (1 - p) * np.einsum("ij,jk,ik->i", x[:n], inverse, x[:n])
    scores = x[:n] * ((y[:n] - p) / (1 - hat))[:, None]
    scores -= scores.mean(0)
    reference = np.sqrt(np.diag(inverse @ scores.T @ scores @ inverse) * (1 - n / n_all) * n / (n - 1))
    np.testing.assert_allclose(ours.std_error, reference, rtol=1e-6)
    plain = regression.logistic(x[:n], y[:n], f[:n], x, f, method="classical", leverage=False)
    assert np.all(ours.std_error > plain.std_error)


@pytest.mark.parametrize("weighted", [False, True])
def test_default_coefficient_se_is_the_hc2_sandwich_in_the_design(data, weighted):
    """Source of truth: statsmodels' HC2 (residuals over sqrt(1 - h_ii)) of the pilot regression of
    y - lam f, times the subsample design's sqrt((1 - n/N) n / (n - 1)). Tolerance 1e-5: the design
    variance centres the scaled scores, which (unlike HC0's) no longer sum to exactly zero."""
    import statsmodels.api as sm

    x, y, f, x_all, f_all, n, n_all, w = _population(data)
    weights = w if weighted else np.ones(n)
    factor = np.sqrt((1 - n / n_all) * n / (n - 1))
    for method in ("classical", "ppi"):
        ours = regression.ols(x, y, f, x_all, f_all, method=method, weights=w if weighted else None)
        reference = sm.WLS(y - ours.lam * f, x, weights=weights).fit(cov_type="HC2")
        np.testing.assert_allclose(ours.std_error, reference.bse * factor, rtol=1e-5, err_msg=method)
    plain = regression.ols(x, y, f, x_all, f_all, leverage=False)
    assert np.all(regression.ols(x, y, f, x_all, f_all).std_error > plain.std_error)


def test_separation_is_a_clear_error():
    rng = np.random.default_rng(1)
    x = np.column_stack([np.ones(40), rng.normal(size=40)])
    y = (x[:, 1] > 0).astype(float)  # perfectly separated by the slope
    f = np.full(40, 0.5)
    with pytest.raises(ss.SynthsurveyError, match="separated"):
        regression.logistic(x, y, f, x, f, method="classical")
    y[:3] = 1 - y[:3]  # three answers against the slope: finite again
    assert np.all(np.isfinite(regression.logistic(x, y, f, x, f, method="classical").estimate))


def test_collinear_terms_are_a_clear_error():
    x = np.column_stack([np.ones(30), np.arange(30.0), 2 * np.arange(30.0)])
    y = (np.arange(30) % 3 == 0).astype(float)
    with pytest.raises(ss.SynthsurveyError, match="singular|converge"):
        regression.logistic(x, y, np.full(30, 0.3), x, np.full(30, 0.3), method="classical")

"""PPI kernels: parity with ppi-python (the peer) and closed forms.

Source of truth: ppi-python 0.2.x (``ppi_mean_ci``, ``ppi_ols_ci`` and their point estimates),
called with alpha=0.05 explicitly (its default is 0.1), under the independent-samples design
it assumes. Tolerance 1e-8.
"""

import numpy as np
import pytest
import scipy.stats

import synthsurvey as ss
from synthsurvey import ppi

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


@pytest.mark.parametrize("lam, method", LAMS)
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_matches_ppi_python(data, lam, method, weighted):
    x, y, f, x_u, f_u, w, w_u = data
    weights = dict(w=w, w_unlabeled=w_u) if weighted else {}
    low, high = ppi_py.ppi_mean_ci(y, f, f_u, alpha=0.05, lam=lam, **weights)
    point = ppi_py.ppi_mean_pointestimate(y, f, f_u, lam=lam, **weights)
    ours = ppi.mean(y, f, f_u, method=method, design="independent",
                    weights=w if weighted else None, weights_all=w_u if weighted else None)
    np.testing.assert_allclose(ours.estimate, np.ravel(point), rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.estimate - Z * ours.std_error, np.ravel(low), rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.estimate + Z * ours.std_error, np.ravel(high), rtol=0, atol=1e-8)


@pytest.mark.parametrize("lam, method", LAMS)
@pytest.mark.parametrize("weighted", [False, True])
def test_ols_matches_ppi_python(data, lam, method, weighted):
    x, y, f, x_u, f_u, w, w_u = data
    weights = dict(w=w, w_unlabeled=w_u) if weighted else {}
    low, high = ppi_py.ppi_ols_ci(x, y, f, x_u, f_u, alpha=0.05, lam=lam, **weights)
    point = ppi_py.ppi_ols_pointestimate(x, y, f, x_u, f_u, lam=lam, **weights)
    ours = ppi.ols(x, y, f, x_u, f_u, method=method, design="independent",
                   weights=w if weighted else None, weights_all=w_u if weighted else None)
    # ppi_ols_ci tunes lam a second time at the tuned estimate and centres its interval
    # there; ppi_ols_pointestimate stops after the first tuning. We follow the interval.
    np.testing.assert_allclose(ours.estimate, (low + high) / 2, rtol=0, atol=1e-8)
    if lam is not None:
        np.testing.assert_allclose(ours.estimate, point, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.estimate - Z * ours.std_error, low, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.estimate + Z * ours.std_error, high, rtol=0, atol=1e-8)


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
    ours = ppi.ols(x, y, f, x_all, f_all, method="classical")
    reference = sm.OLS(y, x).fit()
    np.testing.assert_allclose(ours.estimate, reference.params, atol=1e-10)


def test_logistic_classical_equals_maximum_likelihood():
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    x = np.column_stack([np.ones(400), rng.normal(size=400)])
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.3 + x[:, 1])))).astype(float)
    f = np.clip(0.5 + 0.2 * x[:, 1], 0, 1)
    ours = ppi.logistic(x[:100], y[:100], f[:100], x, f, method="classical")
    reference = sm.Logit(y[:100], x[:100]).fit(disp=0)
    np.testing.assert_allclose(ours.estimate, reference.params, atol=1e-8)
    perfect = ppi.logistic(x[:100], y[:100], y[:100], np.r_[x[:100]], y[:100], method="ppi")
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
    with pytest.raises(ss.SynthsurveyError, match="design"):
        ppi.mean([1, 2], [1, 2], [1, 2, 3], design="cluster")
    with pytest.raises(ss.SynthsurveyError, match="weights must be"):
        ppi.mean([1, 2], [1, 2], [1, 2, 3], weights=[1, -1])

"""Each family recovers known coefficients on simulated data, through ss.debias.

Truth is set on the realised features, so the regressors are known exactly; a
coefficient passes when it lies within 4 standard errors of the truth (a false alarm
has probability about 6e-5 per coefficient; the seeds are fixed).
"""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.stats import norm

import synthsurvey as ss
from tests.helpers import long_samples

N = 3000


@pytest.fixture(scope="module")
def world():
    rng = np.random.default_rng(7)
    location = rng.normal(3, 0.8, N)
    draws = np.clip(np.round(location[:, None] + rng.normal(0, 1, (N, 20))), 1, 5).astype(int)
    samples = long_samples(draws, item="y")
    samples_bin = long_samples((draws >= 3).astype(int), item="b")
    samples_multi = long_samples(draws, item="m")
    samples_cont = long_samples(draws, item="c")
    feats = ss.features(samples).set_index("id")
    feats_bin = ss.features(samples_bin).set_index("id")
    covariates = pd.DataFrame({"id": np.arange(1, N + 1), "x": rng.normal(0, 1, N)})
    return rng, pd.concat([samples, samples_bin, samples_multi, samples_cont]), feats, covariates, feats_bin


def within(fit, truth, n_se=4):
    params, se = fit.params, fit.std_error
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov())), se.to_numpy(), rtol=1e-10)
    assert list(fit.vcov().index) == list(params.index)
    for term, value in truth.items():
        assert abs(params[term] - value) < n_se * se[term], (term, params[term], value, se[term])


def test_ols_recovers_coefficients(world):
    rng, samples, feats, covariates, feats_bin = world
    mean = feats["llm_mean"].to_numpy()
    y = 1.0 + 0.8 * mean - 0.5 * covariates["x"].to_numpy() + rng.normal(0, 1, N)
    humans = pd.DataFrame({"id": covariates["id"], "item": "c", "response": y})
    fit = ss.debias("c ~ llm_mean + x", samples, humans, covariates, family="ols", scales={"c": "continuous"})
    within(fit, {"Intercept": 1.0, "llm_mean": 0.8, "x": -0.5})


def test_logit_recovers_coefficients(world):
    rng, samples, feats, covariates, feats_bin = world
    eta = -1.0 + 2.0 * feats_bin["llm_mean"].to_numpy() + 0.6 * covariates["x"].to_numpy()
    y = (rng.random(N) < expit(eta)).astype(int)
    humans = pd.DataFrame({"id": covariates["id"], "item": "b", "response": y})
    fit = ss.debias("b ~ llm_mean + x", samples, humans, covariates, family="logit", scales={"b": "binary"})
    within(fit, {"Intercept": -1.0, "llm_mean": 2.0, "x": 0.6})
    probs = fit.predict(kind="probs")
    np.testing.assert_allclose(probs[["prob_0", "prob_1"]].sum(axis=1), 1)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_ordinal_recovers_coefficients(world, link):
    rng, samples, feats, covariates, feats_bin = world
    eta = 0.9 * feats["llm_mean"].to_numpy() - 0.7 * covariates["x"].to_numpy()
    noise = rng.logistic(size=N) if link == "logit" else rng.normal(size=N)
    cuts = np.array([1.5, 2.5, 3.5, 4.5])
    y = 1 + np.searchsorted(cuts, eta + noise)
    humans = pd.DataFrame({"id": covariates["id"], "item": "y", "response": y})
    fit = ss.debias("y ~ llm_mean + x", samples, humans, covariates, family="ordinal", link=link)
    # polr-style cutpoints P(y <= k) = F(cut_k - eta), with delta-method standard errors
    within(fit, {"llm_mean": 0.9, "x": -0.7, "1|2": 1.5, "2|3": 2.5, "3|4": 3.5, "4|5": 4.5})
    probs = fit.predict(kind="probs")
    np.testing.assert_allclose(probs.filter(like="prob_").sum(axis=1), 1)
    expected = probs.filter(like="prob_").to_numpy() @ np.arange(1, 6)
    np.testing.assert_allclose(fit.predict()["prediction"], expected)


def test_mnlogit_recovers_coefficients(world):
    rng, samples, feats, covariates, feats_bin = world
    x = covariates["x"].to_numpy()
    mean = feats["llm_mean"].to_numpy()
    utilities = np.column_stack([np.zeros(N), -1.0 + 0.5 * mean + 0.8 * x, 1.0 - 0.4 * mean - 0.6 * x])
    probs = np.exp(utilities) / np.exp(utilities).sum(axis=1, keepdims=True)
    y = 1 + (rng.random(N)[:, None] > probs.cumsum(axis=1)).sum(axis=1)
    humans = pd.DataFrame({"id": covariates["id"], "item": "m", "response": y})
    fit = ss.debias("m ~ llm_mean + x", samples, humans, covariates, family="mnlogit", scales={"m": [1, 2, 3, 4, 5]})
    params = fit.params
    assert any(term.endswith(":llm_mean") for term in params.index)
    within(fit, {"2:Intercept": -1.0, "2:llm_mean": 0.5, "2:x": 0.8, "3:Intercept": 1.0, "3:x": -0.6})
    predicted = fit.predict(kind="probs")
    np.testing.assert_allclose(predicted[["prob_4", "prob_5"]].to_numpy(), 0)  # levels no pilot answer used


def test_quantreg_recovers_conditional_quantile(world):
    rng, samples, feats, covariates, feats_bin = world
    y = 1.0 + 0.8 * feats["llm_mean"].to_numpy() + rng.normal(0, 1, N)
    humans = pd.DataFrame({"id": covariates["id"], "item": "c", "response": y})
    fit = ss.debias("c ~ llm_mean", samples, humans, covariates, family="quantreg", q=0.9,
                    scales={"c": "continuous"})
    within(fit, {"Intercept": 1.0 + norm.ppf(0.9), "llm_mean": 0.8})

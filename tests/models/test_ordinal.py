"""The ordinal family's Newton fit (models/ordinal.py). Sources of truth: statsmodels'
OrderedModel (the same likelihood, maximised by BFGS with numerical derivatives) and R's
MASS::polr (through rpy2, r_parity marker): the same maximum, cutpoints, standard errors and
probabilities."""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.miscmodels.ordinal_model import OrderedModel

from synthsurvey.featurize.scales import Scale
from synthsurvey.models.families import fit_family
from synthsurvey.models.ordinal import fit_ordinal


def data(n=300, seed=0, link="logit"):
    rng = np.random.default_rng(seed)
    design = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.integers(0, 2, n).astype(float),
                           "x3": rng.uniform(-1, 1, n)})
    eta = 0.8 * design["x1"] - 0.5 * design["x2"] + 0.3 * design["x3"]
    noise = rng.logistic(size=n) if link == "logit" else rng.normal(size=n)
    codes = np.searchsorted([-1.2, -0.2, 0.7, 1.6], eta + noise)
    return codes, design


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_newton_reaches_statsmodels_maximum(link):
    codes, design = data(link=link)
    ours = fit_ordinal(codes, design, 5, link)
    labels = pd.Series(pd.Categorical(codes, categories=range(5), ordered=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = OrderedModel(labels, design, distr=link).fit(method="bfgs", disp=False, maxiter=5000, gtol=1e-9)
    assert ours.converged and ours.llf >= reference.llf - 1e-9
    np.testing.assert_allclose(ours.params, np.asarray(reference.params), atol=2e-5)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.cov_params())), np.sqrt(np.diag(reference.cov_params())),
                               rtol=1e-3)
    np.testing.assert_allclose(ours.predict(design), reference.predict(design), atol=1e-5)
    assert ours.aic == pytest.approx(reference.aic, abs=1e-6) and ours.bic == pytest.approx(reference.bic, abs=1e-6)


def test_a_warm_start_reaches_the_same_maximum():
    codes, design = data(seed=1)
    cold = fit_ordinal(codes, design, 5)
    warm = fit_ordinal(codes[:240], design.iloc[:240], 5, start=cold.params)
    again = fit_ordinal(codes[:240], design.iloc[:240], 5)
    np.testing.assert_allclose(warm.params, again.params, atol=1e-8)


def test_family_names_cutpoints_as_polr():
    codes, design = data(seed=2)
    matrix = design.assign(Intercept=1.0)[["Intercept", "x1", "x2", "x3"]]
    fitted = fit_family("ordinal", codes + 1.0, matrix, Scale("ordinal", (1, 2, 3, 4, 5)))
    assert list(fitted.params.index) == ["x1", "x2", "x3", "1|2", "2|3", "3|4", "4|5"]
    assert np.all(np.diff(fitted.params.to_numpy()[3:]) > 0)


@pytest.mark.r_parity
def test_matches_mass_polr():
    """R's MASS::polr on the same data, in this process through rpy2."""
    logging.getLogger("rpy2.rinterface_lib.embedded").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ro = pytest.importorskip("rpy2.robjects")
        ro.r("suppressPackageStartupMessages(library(MASS))")
    codes, design = data(seed=3)
    frame = ro.DataFrame({"y": ro.r["factor"](ro.IntVector(codes + 1), ordered=True),
                          **{c: ro.FloatVector(design[c].to_numpy()) for c in design.columns}})
    model = ro.r["polr"](ro.Formula("y ~ x1 + x2 + x3"), data=frame, Hess=True)
    polr = np.r_[np.asarray(ro.r["coef"](model)), np.asarray(model.rx2("zeta"))]
    polr_se = np.sqrt(np.diag(np.asarray(ro.r["vcov"](model))))
    matrix = design.assign(Intercept=1.0)[["Intercept", "x1", "x2", "x3"]]
    fitted = fit_family("ordinal", codes + 1.0, matrix, Scale("ordinal", (1, 2, 3, 4, 5)))
    np.testing.assert_allclose(fitted.params.to_numpy(), polr, atol=1e-4)
    np.testing.assert_allclose(fitted.std_error.to_numpy(), polr_se, rtol=1e-3)

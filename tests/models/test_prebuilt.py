"""The prebuilt-design path (``DebiasModel.with_matrix``, the R package's): a design built outside
patsy gives the fit patsy's own design would give (source of truth: the same fit through the
formula), under the names it was given; new rows need their matrix; and the prediction standard
errors and residuals R's predict/residuals read, against statsmodels' own."""

import numpy as np
import pytest
import statsmodels.api as sm

import synthsurvey as ss
from synthsurvey.common.errors import SynthsurveyError
from synthsurvey.models import DebiasModel
from synthsurvey.models import formula as formulas

FORMULA = "belief ~ llm_mean + llm_sd + age + C(educ)"


@pytest.fixture(scope="module")
def fits(simulated):
    model = DebiasModel(FORMULA, simulated.samples, simulated.pilot, simulated.covariates)
    patsy_fit = model.fit()
    matrix = formulas.rebuild(patsy_fit.design, model.frame)
    renamed = matrix.rename(columns=lambda name: name.replace("C(educ)[T.", "educ").replace("]", ""))
    reads_llm = [name.startswith("llm_") for name in renamed.columns]
    return patsy_fit, model.with_matrix(renamed, reads_llm).fit(), renamed


def test_a_prebuilt_design_fits_as_the_formula_under_its_own_names(fits):
    patsy_fit, prebuilt, matrix = fits
    assert list(prebuilt.params.index) == list(matrix.columns)
    np.testing.assert_allclose(prebuilt.params.to_numpy(), patsy_fit.params.to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(prebuilt.vcov().to_numpy(), patsy_fit.vcov().to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(prebuilt.predictions(), patsy_fit.predictions(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ss.population_mean(prebuilt).estimate, ss.population_mean(patsy_fit).estimate,
                               rtol=0, atol=1e-12)
    # the pilot-only baseline keeps the design's columns that read no llm_* feature
    np.testing.assert_allclose(prebuilt.baseline("pilot").params.to_numpy(),
                               patsy_fit.baseline("pilot").params.to_numpy(), rtol=0, atol=1e-12)
    assert list(prebuilt.baseline("pilot").params.index) == ["Intercept", "educ2", "educ3", "educ4", "age"]
    # resampled pilots keep the design (fidelity's replications)
    keep = np.random.default_rng(1).random(len(prebuilt.frame)) < 0.8
    np.testing.assert_allclose(prebuilt.with_pilot(keep).params.to_numpy(),
                               patsy_fit.with_pilot(keep).params.to_numpy(), rtol=0, atol=1e-12)


def test_new_rows_need_their_design(fits):
    patsy_fit, prebuilt, matrix = fits
    newdata = patsy_fit.frame.iloc[:5].reset_index(drop=True)
    with pytest.raises(SynthsurveyError, match="new rows need their design matrix"):
        prebuilt.predict(newdata=newdata.assign(id=newdata["id"] + 10_000))
    given = matrix.iloc[:5].reset_index(drop=True)
    np.testing.assert_allclose(prebuilt.predict(newdata=newdata, matrix=given)["prediction"],
                               patsy_fit.predict(newdata=newdata)["prediction"], rtol=0, atol=1e-12)
    with pytest.raises(SynthsurveyError, match="missing 'llm_sd'"):
        prebuilt.predict(newdata=newdata, matrix=given.drop(columns="llm_sd"))


def test_a_bad_design_is_refused(fits, simulated):
    _, prebuilt, matrix = fits
    model = prebuilt.model
    with pytest.raises(SynthsurveyError, match="the design has 10 rows; the model.s frame has 800"):
        model.with_matrix(matrix.iloc[:10], [False] * matrix.shape[1])
    with pytest.raises(SynthsurveyError, match="one reads_llm flag per column"):
        model.with_matrix(matrix, [False])
    broken = matrix.copy()
    broken.loc[3, "age"] = np.nan
    with pytest.raises(SynthsurveyError, match="missing or infinite values in column\\(s\\) 'age'"):
        model.with_matrix(broken, [False] * matrix.shape[1])
    collinear = matrix.assign(twice=2 * matrix["age"])
    with pytest.raises(SynthsurveyError, match="'twice' is an exact linear combination"):
        model.with_matrix(collinear, [False] * collinear.shape[1]).fit()


def test_prediction_intervals_equal_statsmodels(fits, simulated):
    patsy_fit, prebuilt, matrix = fits
    newdata = patsy_fit.frame.iloc[:7].reset_index(drop=True)
    given = matrix.iloc[:7].reset_index(drop=True)
    reference = patsy_fit.fitted.result.get_prediction(given).summary_frame(alpha=0.1)
    confidence = prebuilt.prediction_intervals("response", newdata, given, "confidence", alpha=0.1)
    np.testing.assert_allclose(confidence["std_error"], reference["mean_se"], rtol=1e-10)
    np.testing.assert_allclose(confidence["ci_low"], reference["mean_ci_lower"], rtol=1e-10)
    prediction = prebuilt.prediction_intervals("response", newdata, given, "prediction", alpha=0.1)
    np.testing.assert_allclose(prediction["ci_high"], reference["obs_ci_upper"], rtol=1e-10)
    logit = ss.debias("action ~ llm_mean + age", simulated.samples, simulated.pilot, simulated.covariates,
                      family="logit")
    rows = logit.frame.iloc[:6]
    x = formulas.rebuild(logit.design, rows)
    linear = logit.fitted.result.get_prediction(x, which="linear").summary_frame()
    link = logit.prediction_intervals("link", rows)
    np.testing.assert_allclose(link["std_error"], linear["se"], rtol=1e-8)
    p = logit.prediction_intervals("response", rows)
    np.testing.assert_allclose(p["std_error"], linear["se"] * p["prediction"] * (1 - p["prediction"]), rtol=1e-8)
    with pytest.raises(SynthsurveyError, match="prediction intervals need the ols family"):
        logit.prediction_intervals("response", rows, interval="prediction")


def test_residuals_equal_statsmodels(fits, simulated):
    patsy_fit, _, _ = fits
    np.testing.assert_allclose(patsy_fit.fitted.residuals(), patsy_fit.fitted.result.resid, rtol=0, atol=1e-12)
    logit = ss.debias("action ~ llm_mean + age", simulated.samples, simulated.pilot, simulated.covariates,
                      family="logit")
    result = logit.fitted.result
    glm = sm.GLM(result.model.endog, result.model.exog, family=sm.families.Binomial()).fit()
    for kind, expected in (("deviance", glm.resid_deviance), ("pearson", glm.resid_pearson),
                           ("working", glm.resid_working), ("response", glm.resid_response)):
        np.testing.assert_allclose(logit.fitted.residuals(kind), expected, rtol=1e-6, err_msg=kind)
    assert logit.statistics()["deviance"] == pytest.approx(glm.deviance, rel=1e-8)
    assert patsy_fit.statistics()["deviance"] == pytest.approx(float((patsy_fit.fitted.result.resid ** 2).sum()))
    ordinal = ss.debias("belief ~ llm_mean", simulated.samples, simulated.pilot, family="ordinal")
    with pytest.raises(SynthsurveyError, match="has no residuals"):
        ordinal.fitted.residuals()
    assert ordinal.statistics()["deviance"] == pytest.approx(-2 * ordinal.fitted.result.llf)

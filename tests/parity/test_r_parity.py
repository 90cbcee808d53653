"""R parity. (1) The same analysis run from R (the installed synthsurvey R package, in an
Rscript process that hosts this Python through reticulate) and from Python gives the same
numbers to 1e-8, joined on term names. (2) The debiasing OLS equals R's own ``lm`` on the
same design (a reference implementation), through rpy2 in this process.

Why a separate R process for (1): rpy2 releases the GIL while R runs, and Debian's
reticulate (1.28) finalizes Python objects from R's garbage collector without taking it
back, which aborts an rpy2-embedded R that calls into Python. R hosting Python is safe.
Needs the R package installed (``make test`` installs it first).
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss

pytestmark = pytest.mark.r_parity

R_FORMULA = "belief ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + female + factor(educ) + ideology"
PY_FORMULA = "belief ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + female + C(educ) + ideology"
TOL = 1e-8

R_SCRIPT = textwrap.dedent(f"""
    suppressPackageStartupMessages(library(synthsurvey))
    study <- ss_load_simulated()
    fit <- ss_debias({R_FORMULA}, study$samples, study$pilot, study$covariates)
    ordinal <- ss_debias(belief ~ llm_mean + ideology, study$samples, study$pilot, study$covariates,
                         family = "ordinal")
    logit <- ss_debias(action ~ llm_mean + ideology, study$samples, study$pilot, study$covariates, family = "logit")
    # the same study with character ids ("R_0001" ...) and a character covariate, through read.csv
    as_text <- function(frame) {{ frame$id <- sprintf("R_%04d", frame$id); frame }}
    folder <- tempfile(); dir.create(folder)
    covariates <- study$covariates
    covariates$sex <- ifelse(covariates$female == 1, "female", "male")
    tables <- list(samples = study$samples, pilot = study$pilot, covariates = covariates)
    for (name in names(tables)) write.csv(as_text(tables[[name]]), file.path(folder, name), row.names = FALSE)
    csv <- lapply(stats::setNames(names(tables), names(tables)), function(name) read.csv(file.path(folder, name)))
    text_fit <- ss_debias(belief ~ llm_mean + age + sex, csv$samples, csv$pilot, csv$covariates)
    newdata <- merge(merge(study$pilot[study$pilot$item == "belief", c("id", "response")], study$covariates),
                     ss_features(study$samples)[ss_features(study$samples)$item == "belief", ])[1:20, ]
    intervals <- predict(fit, newdata, interval = "prediction", level = 0.9, se.fit = TRUE)
    estimates <- list(
      mean = as.data.frame(ss_population_mean(fit)),
      shares = as.data.frame(ss_population_shares(ordinal)),
      by_educ = as.data.frame(ss_population_mean(fit, by = "educ")),
      by_two = as.data.frame(ss_population_mean(fit, by = ~ female + educ)),
      quantile = as.data.frame(ss_population_quantile(fit, 0.5)),
      ols = as.data.frame(ss_population_ols(fit, belief ~ age + female + factor(educ))),
      logit = as.data.frame(ss_population_logit(logit, action ~ ideology)),
      text_mean = as.data.frame(ss_population_mean(text_fit, by = "sex")),
      recovery = as.data.frame(ss_recover(fit, belief ~ age + ideology))
    )
    at_90 <- list(mean = confint(ss_population_mean(fit), level = 0.9),
                  ols = confint(ss_population_ols(fit, belief ~ age + female + factor(educ)), level = 0.9))
    out <- list(
      coef = as.list(coef(fit)), vcov = unname(vcov(fit)), vcov_names = rownames(vcov(fit)),
      confint = unname(confint(fit)), predict = list(id = as.integer(names(predict(fit))), value = unname(predict(fit))),
      fitted = unname(fitted(fit)), residuals = unname(residuals(fit)), fitted_ids = as.integer(names(fitted(fit))),
      logit_residuals = unname(residuals(logit)),
      statistics = list(aic = AIC(fit), bic = BIC(fit), loglik = as.numeric(logLik(fit)), sigma = sigma(fit),
                        deviance = deviance(fit), r_squared = summary(fit)$r.squared,
                        f = unname(summary(fit)$fstatistic[1]), logit_aic = AIC(logit), ordinal_aic = AIC(ordinal)),
      intervals = list(id = newdata$id, fit = unname(intervals$fit), se = unname(intervals$se.fit)),
      ordinal_coef = as.list(coef(ordinal)), ordinal_probs = unname(predict(ordinal, type = "probs")),
      ordinal_ids = as.integer(rownames(predict(ordinal, type = "probs"))),
      text_coef = as.list(coef(text_fit)),
      tables = estimates, at_90 = lapply(at_90, unname),
      bfi_humans = ss_load_bfi()$humans, bfi_covariates = ss_load_bfi()$covariates
    )
    jsonlite::write_json(out, commandArgs(TRUE)[1], digits = NA, dataframe = "columns", auto_unbox = TRUE, na = "null")
""")


@pytest.fixture(scope="module")
def from_r(tmp_path_factory):
    folder = tmp_path_factory.mktemp("r")
    script, output = folder / "parity.R", folder / "parity.json"
    script.write_text(R_SCRIPT)
    env = {**os.environ, "SYNTHSURVEY_PYTHON": sys.executable}
    run = subprocess.run(["Rscript", str(script), str(output)], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(output.read_text())


@pytest.fixture(scope="module")
def study():
    return ss.datasets.load_simulated()


@pytest.fixture(scope="module")
def py_fit(study):
    return ss.debias(PY_FORMULA, study.samples, study.pilot, study.covariates)


def r_terms(names):
    """Python term names in R's spelling (the mapping the R package applies)."""
    return [n.replace("C(educ)[T.", "factor(educ)").replace("sex[T.", "sex").replace("]", "")
            .replace("Intercept", "(Intercept)") for n in names]


def test_coefficients_vcov_confint(from_r, py_fit):
    """A fit from R has R's design (lm's order: the factor's columns after the terms before it)
    and the Python fit's numbers under the same names."""
    python = pd.Series(py_fit.params.to_numpy(), index=r_terms(py_fit.params.index))
    from_r_coef = pd.Series(from_r["coef"]).astype(float)
    assert list(from_r_coef.index) == ["(Intercept)", "llm_mean", "llm_sd", "llm_p1", "llm_p5", "age", "female",
                                       "factor(educ)2", "factor(educ)3", "factor(educ)4", "ideology"]
    assert sorted(from_r_coef.index) == sorted(python.index)
    np.testing.assert_allclose(from_r_coef[python.index], python, rtol=0, atol=TOL)
    order = [from_r["vcov_names"].index(term) for term in python.index]
    vcov = np.asarray(from_r["vcov"], dtype=float)
    np.testing.assert_allclose(vcov[np.ix_(order, order)], py_fit.vcov().to_numpy(), rtol=0, atol=TOL)
    confint = np.asarray(from_r["confint"], dtype=float)[order]
    table = py_fit.table()
    np.testing.assert_allclose(confint[:, 0], table["ci_low"], rtol=0, atol=TOL)
    np.testing.assert_allclose(confint[:, 1], table["ci_high"], rtol=0, atol=TOL)


def test_predictions_fitted_residuals_and_statistics(from_r, py_fit, study):
    predicted = pd.DataFrame(from_r["predict"])
    merged = py_fit.predict().merge(predicted, on="id")
    assert len(merged) == py_fit.n_population
    np.testing.assert_allclose(merged["prediction"], merged["value"], rtol=0, atol=TOL)
    pilot = py_fit.frame.loc[py_fit.is_pilot]
    assert from_r["fitted_ids"] == pilot["id"].tolist()
    np.testing.assert_allclose(from_r["fitted"], py_fit.predict_values("response", "debiased", pilot), rtol=0, atol=TOL)
    np.testing.assert_allclose(from_r["residuals"], py_fit.fitted.residuals(), rtol=0, atol=TOL)
    statistics = py_fit.statistics()
    n_coef = len(py_fit.params)
    expected = {"loglik": statistics["log_likelihood"], "aic": -2 * statistics["log_likelihood"] + 2 * (n_coef + 1),
                "bic": -2 * statistics["log_likelihood"] + np.log(py_fit.nobs) * (n_coef + 1),
                "sigma": statistics["sigma"], "deviance": statistics["deviance"], "r_squared": statistics["r_squared"],
                "f": statistics["f_statistic"]}
    for name, value in expected.items():
        assert from_r["statistics"][name] == pytest.approx(value, abs=TOL), name
    logit = ss.debias("action ~ llm_mean + ideology", study.samples, study.pilot, study.covariates, family="logit")
    assert from_r["statistics"]["logit_aic"] == pytest.approx(logit.statistics()["aic"], abs=TOL)
    np.testing.assert_allclose(from_r["logit_residuals"], logit.fitted.residuals("deviance"), rtol=0, atol=TOL)
    intervals = from_r["intervals"]
    rows = py_fit.frame.set_index("id").loc[intervals["id"]].reset_index()
    table = py_fit.prediction_intervals("response", rows, None, "prediction", alpha=0.1)
    fit = np.asarray(intervals["fit"], dtype=float)
    np.testing.assert_allclose(fit[:, 0], table["prediction"], rtol=0, atol=TOL)
    np.testing.assert_allclose(fit[:, 1], table["ci_low"], rtol=0, atol=TOL)
    np.testing.assert_allclose(fit[:, 2], table["ci_high"], rtol=0, atol=TOL)
    np.testing.assert_allclose(intervals["se"], table["std_error"], rtol=0, atol=TOL)


def test_ordinal_fit_and_probabilities(from_r, study):
    ordinal = ss.debias("belief ~ llm_mean + ideology", study.samples, study.pilot, study.covariates,
                        family="ordinal")
    from_r_coef = pd.Series(from_r["ordinal_coef"]).astype(float)
    assert list(from_r_coef.index) == list(ordinal.params.index)  # slopes, then 1|2, 2|3, 3|4, 4|5
    np.testing.assert_allclose(from_r_coef[ordinal.params.index], ordinal.params, rtol=0, atol=TOL)
    probs = np.asarray(from_r["ordinal_probs"], dtype=float)
    python = ordinal.predict(kind="probs").set_index("id").loc[from_r["ordinal_ids"]]
    np.testing.assert_allclose(probs, python[[f"prob_{k}" for k in range(1, 6)]].to_numpy(), rtol=0, atol=TOL)
    assert from_r["statistics"]["ordinal_aic"] == pytest.approx(ordinal.statistics()["aic"], abs=TOL)


def test_character_ids_read_with_read_csv(from_r, study):
    """The study with "R_0001" ids and a character covariate, written with write.csv and read with
    read.csv in R, against Python on the same strings."""
    def as_text(frame):
        return frame.assign(id=frame["id"].map("R_{:04d}".format))
    covariates = study.covariates.assign(sex=np.where(study.covariates["female"] == 1, "female", "male"))
    fit = ss.debias("belief ~ llm_mean + age + sex", as_text(study.samples), as_text(study.pilot),
                    as_text(covariates))
    from_r_coef = pd.Series(from_r["text_coef"]).astype(float)
    np.testing.assert_allclose(from_r_coef[r_terms(fit.params.index)], fit.params, rtol=0, atol=TOL)
    table, got = ss.population_mean(fit, by="sex").table(), pd.DataFrame(from_r["tables"]["text_mean"])
    assert got["sex"].tolist() == ["female", "male"]
    np.testing.assert_allclose(got["estimate"], table["estimate"], rtol=0, atol=TOL)
    np.testing.assert_allclose(got["conf.low"], table["ci_low"], rtol=0, atol=TOL)


def test_population_estimates(from_r, py_fit, study):
    ordinal = ss.debias("belief ~ llm_mean + ideology", study.samples, study.pilot, study.covariates,
                        family="ordinal")
    logit = ss.debias("action ~ llm_mean + ideology", study.samples, study.pilot, study.covariates, family="logit")
    expected = {
        "mean": ss.population_mean(py_fit),
        "shares": ss.population_shares(ordinal),
        "by_educ": ss.population_mean(py_fit, by="educ"),
        "by_two": ss.population_mean(py_fit, by=["female", "educ"]),
        "quantile": ss.population_quantile(py_fit, 0.5),
        "ols": ss.population_ols(py_fit, "belief ~ age + female + C(educ)"),
        "logit": ss.population_logit(logit, "action ~ ideology"),
        "recovery": ss.recover(py_fit, "belief ~ age + ideology"),
    }
    for name, result in expected.items():
        table, got = result.table(), pd.DataFrame(from_r["tables"][name])
        assert len(got) == len(table), name
        if "term" in table and name in ("ols", "logit", "recovery"):
            assert list(got["term"]) == r_terms(table["term"])
        for key in ("female", "educ"):
            if key in table:
                assert got[key].tolist() == table[key].tolist(), name
        np.testing.assert_allclose(got["estimate"], table["estimate"], rtol=0, atol=TOL, err_msg=name)
        if name != "quantile":
            np.testing.assert_allclose(got["std.error"], table["std_error"], rtol=0, atol=TOL, err_msg=name)
        np.testing.assert_allclose(got["conf.low"], table["ci_low"], rtol=0, atol=TOL, err_msg=name)
        np.testing.assert_allclose(got["conf.high"], table["ci_high"], rtol=0, atol=TOL, err_msg=name)
    at_90 = {"mean": expected["mean"].table(0.1), "ols": expected["ols"].table(0.1)}
    for name, table in at_90.items():
        limits = np.asarray(from_r["at_90"][name], dtype=float).reshape(len(table), 2)
        np.testing.assert_allclose(limits[:, 0], table["ci_low"], rtol=0, atol=TOL, err_msg=name)
        np.testing.assert_allclose(limits[:, 1], table["ci_high"], rtol=0, atol=TOL, err_msg=name)


def test_debiasing_ols_equals_r_lm_on_the_same_design(py_fit):
    """Reference implementation: R's lm (embedded through rpy2) on the fit's pilot rows."""
    import logging
    import warnings

    logging.getLogger("rpy2.rinterface_lib.embedded").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import rpy2.robjects as ro
    columns = ["response", "llm_mean", "llm_sd", "llm_p1", "llm_p5", "age", "female", "educ", "ideology"]
    pilot = py_fit.frame.loc[py_fit.is_pilot, columns]
    frame = ro.DataFrame({column: ro.FloatVector(pilot[column].to_numpy(dtype=float)) for column in columns})
    model = ro.r["lm"](ro.Formula("response ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + female"
                                  " + factor(educ) + ideology"), data=frame)
    coefficients = ro.r["coef"](model)
    standard_errors = ro.r("function(m) sqrt(diag(vcov(m)))")(model)
    reference = pd.DataFrame({"lm": np.asarray(coefficients), "lm_se": np.asarray(standard_errors)},
                             index=list(coefficients.names))
    python = pd.DataFrame({"estimate": py_fit.params.to_numpy(), "se": py_fit.std_error.to_numpy()},
                          index=r_terms(py_fit.params.index))
    joined = python.join(reference, how="inner")
    assert len(joined) == len(python) == len(reference)
    np.testing.assert_allclose(joined["estimate"], joined["lm"], rtol=0, atol=TOL)
    np.testing.assert_allclose(joined["se"], joined["lm_se"], rtol=0, atol=TOL)


def test_bfi_loader_matches(from_r):
    python = ss.datasets.load_bfi()
    humans = pd.DataFrame(from_r["bfi_humans"])
    pd.testing.assert_frame_equal(humans.reset_index(drop=True), python.humans.reset_index(drop=True),
                                  check_dtype=False)
    covariates = pd.DataFrame(from_r["bfi_covariates"])
    np.testing.assert_array_equal(covariates["age"], python.covariates["age"].to_numpy(dtype=float))
    assert covariates["education"].isna().sum() == python.covariates["education"].isna().sum()

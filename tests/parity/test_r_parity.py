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
    shares <- ss_population_shares(ordinal)
    coefficients <- ss_population_ols(fit, belief ~ age + female + factor(educ))
    by_educ <- ss_population_mean(fit, by = "educ")
    # a questionnaire (character ids, a don't-know code) and the alignment curve per setting
    q <- ss_simulate_questionnaire(n_people = 500, n_draws = 6, n_pilot = 150, seed = 9, ids = "qualtrics",
                                   dont_know = c(99, 0.05), items = c(q01 = 5, q02 = 2))
    items <- ss_debias_items(q$samples, q$pilot, q$covariates, scales = list(missing = 99),
                             covariate_terms = c("age", "factor(educ)"))
    smartvote <- ss_load_smartvote()
    cells <- ss_group_cells(smartvote$samples, smartvote$humans, smartvote$covariates, key = "party")
    questions <- sort(unique(cells$item))
    cells$half <- ifelse(cells$item %in% questions[seq_len(length(questions) %/% 2)], "first", "second")
    curve <- ss_alignment_curve(cells, sizes = c(3, 10), replications = 2, by = "half")
    out <- list(
      vcov_population = list(shares = unname(vcov(shares)), shares_names = rownames(vcov(shares)),
                             ols = unname(vcov(coefficients)), ols_names = rownames(vcov(coefficients)),
                             by_educ = unname(vcov(by_educ)), by_educ_note = attr(vcov(by_educ), "note")),
      questionnaire = as.data.frame(ss_population(items)), questionnaire_q01 = as.list(coef(items[["q01"]])),
      curve = list(settings = curve$settings, summary = curve$summary),
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


def test_population_vcov_is_the_cores(from_r, py_fit, study):
    """vcov() of shares and coefficients from R is the core's covariance (PopulationResult.vcov());
    of subgroup means, the diagonal of the squared standard errors, with a note."""
    ordinal = ss.debias("belief ~ llm_mean + ideology", study.samples, study.pilot, study.covariates,
                        family="ordinal")
    got = from_r["vcov_population"]
    for name, result in (("shares", ss.population_shares(ordinal)),
                         ("ols", ss.population_ols(py_fit, "belief ~ age + female + C(educ)"))):
        expected = result.vcov()
        names = list(expected.index) if name == "shares" else r_terms(expected.index)
        assert got[f"{name}_names"] == names, name
        matrix = np.asarray(got[name], dtype=float)
        assert np.abs(matrix - np.diag(np.diag(matrix))).max() > 0, name  # not a diagonal
        np.testing.assert_allclose(matrix, expected.to_numpy(), rtol=0, atol=TOL, err_msg=name)
    by_educ = ss.population_mean(py_fit, by="educ").table()
    np.testing.assert_allclose(np.asarray(got["by_educ"], dtype=float), np.diag(by_educ["std_error"] ** 2),
                               rtol=0, atol=TOL)
    assert "diagonal" in got["by_educ_note"]


def test_questionnaire_and_alignment_curve_per_setting(from_r):
    """ss_debias_items and ss_population from R (character ids, code 99 declared from R) give the
    core's debias_items table; ss_alignment_curve(by = ) the core's per-setting curve."""
    from synthsurvey.io.simulate_questionnaire import simulate_questionnaire

    q = simulate_questionnaire(n_people=500, n_draws=6, n_pilot=150, seed=9, ids="qualtrics", dont_know=(99, 0.05),
                               items={"q01": 5, "q02": 2})
    study = ss.debias_items(q.samples, q.pilot, q.covariates, scales={"missing": [99]},
                            covariate_terms=["age", "C(educ)"])
    table = study.population().table()
    got = pd.DataFrame(from_r["questionnaire"])
    assert got[["item", "method", "term"]].values.tolist() == table[["item", "method", "term"]].values.tolist()
    assert got["answers_not_used"].tolist() == table["answers_not_used"].tolist()
    for r_name, name in (("estimate", "estimate"), ("std.error", "std_error"), ("conf.low", "ci_low"),
                         ("n_labeled", "n_labeled")):
        np.testing.assert_allclose(pd.to_numeric(got[r_name]).astype(float), table[name].astype(float), rtol=0,
                                   atol=TOL, err_msg=r_name)
    params = study["q01"].params
    np.testing.assert_allclose(pd.Series(from_r["questionnaire_q01"], dtype=float)[r_terms(params.index)],
                               params.to_numpy(), rtol=0, atol=TOL)
    data = ss.datasets.load_smartvote()
    cells = ss.group_cells(data.samples, data.humans, data.covariates, key="party")
    questions = sorted(cells["item"].unique())
    cells["half"] = np.where(cells["item"].isin(questions[:len(questions) // 2]), "first", "second")
    curve = ss.alignment_curve(cells, sizes=(3, 10), replications=2, by="half")
    for name in ("settings", "summary"):
        expected, got = getattr(curve, name), pd.DataFrame(from_r["curve"][name])
        assert list(got.columns) == list(expected.columns), name
        for column in expected.columns:
            if pd.api.types.is_numeric_dtype(expected[column]):
                np.testing.assert_allclose(got[column].astype(float), expected[column].astype(float), rtol=0,
                                           atol=TOL, err_msg=f"{name}.{column}")
            else:
                assert got[column].tolist() == expected[column].tolist(), f"{name}.{column}"

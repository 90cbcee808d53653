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
    tables <- list(
      mean = as.data.frame(ss_population_mean(fit)),
      shares = as.data.frame(ss_population_shares(ordinal)),
      by_educ = as.data.frame(ss_population_mean(fit, by = "educ")),
      ols = as.data.frame(ss_population_ols(fit, belief ~ age + female + factor(educ)))
    )
    out <- list(
      coef = as.list(coef(fit)), vcov = unname(vcov(fit)), vcov_names = rownames(vcov(fit)),
      confint = unname(confint(fit)), predict = predict(fit),
      ordinal_coef = as.list(coef(ordinal)), ordinal_probs = predict(ordinal, type = "probs"),
      tables = tables,
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
    return [n.replace("C(educ)[T.", "factor(educ)").replace("]", "").replace("Intercept", "(Intercept)")
            for n in names]


def test_coefficients_vcov_confint(from_r, py_fit):
    python = pd.Series(py_fit.params.to_numpy(), index=r_terms(py_fit.params.index))
    from_r_coef = pd.Series(from_r["coef"]).astype(float)
    assert sorted(from_r_coef.index) == sorted(python.index)
    np.testing.assert_allclose(from_r_coef[python.index], python, rtol=0, atol=TOL)
    order = [from_r["vcov_names"].index(term) for term in python.index]
    vcov = np.asarray(from_r["vcov"], dtype=float)
    np.testing.assert_allclose(vcov[np.ix_(order, order)], py_fit.vcov().to_numpy(), rtol=0, atol=TOL)
    confint = np.asarray(from_r["confint"], dtype=float)[order]
    table = py_fit.table()
    np.testing.assert_allclose(confint[:, 0], table["ci_low"], rtol=0, atol=TOL)
    np.testing.assert_allclose(confint[:, 1], table["ci_high"], rtol=0, atol=TOL)


def test_predictions(from_r, py_fit):
    predicted = pd.DataFrame(from_r["predict"])
    merged = py_fit.predict().merge(predicted, on="id", suffixes=("_py", "_r"))
    assert len(merged) == py_fit.n_population
    assert (merged["is_pilot_py"] == merged["is_pilot_r"]).all()
    np.testing.assert_allclose(merged["prediction_py"], merged["prediction_r"], rtol=0, atol=TOL)


def test_ordinal_fit_and_probabilities(from_r, study):
    ordinal = ss.debias("belief ~ llm_mean + ideology", study.samples, study.pilot, study.covariates,
                        family="ordinal")
    from_r_coef = pd.Series(from_r["ordinal_coef"]).astype(float)
    np.testing.assert_allclose(from_r_coef[ordinal.params.index], ordinal.params, rtol=0, atol=1e-6)
    probs = pd.DataFrame(from_r["ordinal_probs"]).sort_values("id")
    python = ordinal.predict(kind="probs").sort_values("id")
    columns = [f"prob_{k}" for k in range(1, 6)]
    np.testing.assert_allclose(probs[columns].to_numpy(), python[columns].to_numpy(), rtol=0, atol=TOL)


def test_population_estimates(from_r, py_fit, study):
    ordinal = ss.debias("belief ~ llm_mean + ideology", study.samples, study.pilot, study.covariates,
                        family="ordinal")
    expected = {
        "mean": ss.population_mean(py_fit),
        "shares": ss.population_shares(ordinal),
        "by_educ": ss.population_mean(py_fit, by="educ"),
        "ols": ss.population_ols(py_fit, "belief ~ age + female + C(educ)"),
    }
    for name, result in expected.items():
        table, got = result.table(), pd.DataFrame(from_r["tables"][name])
        assert len(got) == len(table), name
        if "term" in table and name == "ols":
            assert list(got["term"]) == r_terms(table["term"])
        np.testing.assert_allclose(got["estimate"], table["estimate"], rtol=0, atol=TOL, err_msg=name)
        np.testing.assert_allclose(got["std.error"], table["std_error"], rtol=0, atol=TOL, err_msg=name)
        np.testing.assert_allclose(got["conf.low"], table["ci_low"], rtol=0, atol=TOL, err_msg=name)
        np.testing.assert_allclose(got["conf.high"], table["ci_high"], rtol=0, atol=TOL, err_msg=name)


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

"""Population means, shares, quantiles and subgroups through the fit: the API, the PPI kernel on
cross-fitted predictions (source of truth: ppi.mean, itself checked against closed forms and
ppi-python), subgroups, weights, errors."""

import numpy as np
import pandas as pd
import pytest
import scipy.stats

import synthsurvey as ss
from synthsurvey.inference import ppi
from synthsurvey.models.crossfit import crossfit_predictions


def test_issue_api(fit):
    est = ss.population_mean(fit)
    assert est.n_labeled == 160 and est.n_unlabeled == 640
    assert est.ci_low < est.estimate < est.ci_high
    assert est.n_effective > est.n_labeled  # the LLM helps on this world
    assert {"term", "estimate", "std_error", "ci_low", "ci_high", "n_effective", "method"} <= set(est.table())
    assert "95%" in repr(est) and "95%" in str(est.summary())


def test_mean_is_the_ppi_kernel_on_crossfit_predictions(fit):
    predicted = crossfit_predictions(fit, folds=5, seed=0)
    answers = fit.frame.loc[fit.is_pilot, "response"].to_numpy()
    kernel = ppi.mean(answers, predicted[fit.is_pilot], predicted)
    assert ss.population_mean(fit).estimate == pytest.approx(kernel.estimate[0], abs=1e-12)
    plain = ss.population_mean(fit, method="ppi")
    assert plain.estimate == pytest.approx(predicted.mean() + (answers - predicted[fit.is_pilot]).mean())


def test_subgroups(fit, study):
    table = ss.population_mean(fit, by="educ").table()
    assert list(table["educ"]) == [1, 2, 3, 4]
    assert table["n_labeled"].sum() == fit.nobs
    assert (table["n_labeled"] + table["n_unlabeled"]).sum() == fit.n_population
    one = table.set_index("educ").loc[2]
    rows = (fit.frame["educ"] == 2).to_numpy()
    predicted = crossfit_predictions(fit)[rows]
    is_pilot = fit.is_pilot[rows]
    kernel = ppi.mean(fit.frame.loc[rows & fit.is_pilot, "response"].to_numpy(), predicted[is_pilot], predicted)
    assert one["estimate"] == pytest.approx(kernel.estimate[0])
    with pytest.raises(ss.SynthsurveyError, match="by='income'"):
        ss.population_mean(fit, by="income")


def test_shares(study):
    ordinal = ss.debias("belief ~ llm_mean + llm_sd + ideology", study.samples, study.pilot, study.covariates,
                        family="ordinal")
    table = ss.population_shares(ordinal).table()
    assert list(table["level"]) == [1, 2, 3, 4, 5]
    assert table["estimate"].sum() == pytest.approx(1.0)
    assert ss.population_shares(ordinal, method="classical").table()["estimate"].tolist() == pytest.approx(
        [(ordinal.frame.loc[ordinal.is_pilot, "response"] == k).mean() for k in range(1, 6)])
    continuous = ss.debias("belief ~ llm_mean", study.samples, study.pilot, study.covariates,
                           scales={"belief": "continuous", "action": "binary"})
    with pytest.raises(ss.SynthsurveyError, match="shares need a discrete item"):
        ss.population_shares(continuous)
    # logit-scale intervals by default (svyciprop's); Wald on request; the same estimates and SEs
    wald = ss.population_shares(ordinal, interval="wald").table()
    np.testing.assert_array_equal(wald[["estimate", "std_error"]], table[["estimate", "std_error"]])
    assert (table["interval"] == "logit").all() and (wald["interval"] == "wald").all()
    t = scipy.stats.t.ppf(0.975, table["df"])
    np.testing.assert_allclose(wald["ci_high"] - wald["ci_low"], 2 * t * wald["std_error"], rtol=1e-12)
    p = table["estimate"]
    log_odds = np.log(p / (1 - p))
    np.testing.assert_allclose(np.log(table["ci_low"] / (1 - table["ci_low"])),
                               log_odds - t * table["std_error"] / (p * (1 - p)), rtol=1e-10)
    assert ((table["ci_low"] > 0) & (table["ci_high"] < 1)).all()
    with pytest.raises(ss.SynthsurveyError, match="interval must be one of"):
        ss.population_shares(ordinal, interval="beta")


def test_quantile(study):
    ordinal = ss.debias("belief ~ llm_mean + llm_sd + ideology", study.samples, study.pilot, study.covariates,
                        family="ordinal")
    result = ss.population_quantile(ordinal, 0.5)
    assert result.ci_low <= result.estimate <= result.ci_high
    assert result.estimate in (1, 2, 3, 4, 5)
    with pytest.raises(ss.SynthsurveyError, match="strictly between"):
        ss.population_quantile(ordinal, 1.5)


def test_equal_weights_change_nothing_and_unequal_weights_do(fit):
    frame = fit.frame
    equal = ss.population_mean(fit, weights=np.full(fit.n_population, 3.0)).table()
    plain = ss.population_mean(fit).table()
    np.testing.assert_allclose(equal[["estimate", "std_error"]], plain[["estimate", "std_error"]])
    weights = np.where(frame["rural"] == 1, 3.0, 1.0)
    weighted = ss.population_mean(fit, weights=weights)
    predicted = crossfit_predictions(fit)
    expected_imputed = np.average(predicted, weights=weights)
    assert weighted.estimate != pytest.approx(plain["estimate"][0])
    lam = weighted.table()["lam"][0]
    pilot = fit.is_pilot
    residual = frame.loc[pilot, "response"].to_numpy() - lam * predicted[pilot]
    expected = lam * expected_imputed + np.average(residual, weights=weights[pilot])
    assert weighted.estimate == pytest.approx(expected)
    with pytest.raises(ss.SynthsurveyError, match="weights has missing or negative"):
        ss.population_mean(fit, weights=np.where(frame["rural"] == 1, -1.0, 1.0))
    with pytest.raises(ss.SynthsurveyError, match="not a column"):
        ss.population_mean(fit, weights="w")


def test_independent_design_counts_the_rest_as_unlabeled(fit):
    result = ss.population_mean(fit, design="independent")
    assert result.n_unlabeled == fit.n_population - fit.nobs


def test_one_row_attributes_refuse_a_table_of_many(fit):
    by_group = ss.population_mean(fit, by="educ")
    with pytest.raises(ss.SynthsurveyError, match="4 rows.*use .table"):
        by_group.estimate
    assert ss.population_mean(fit).conf_int(0.1).loc["mean", "ci_low"] > ss.population_mean(fit).ci_low


def test_by_several_columns_and_factor_order(fit, study):
    table = ss.population_mean(fit, by=["educ", "rural"]).table()
    assert list(table.columns[:3]) == ["educ", "rural", "term"]
    assert table["n_labeled"].sum() == fit.nobs
    labels = np.array(["high", "low", "mid"])  # a categorical keeps its level order, not the alphabet's
    band = pd.Categorical(labels[study.covariates["educ"].to_numpy() % 3], categories=["low", "mid", "high"],
                          ordered=True)
    banded = ss.debias("belief ~ llm_mean + age", study.samples, study.pilot, study.covariates.assign(band=band))
    groups = ss.population_mean(banded, by="band").table()
    assert groups["band"].tolist() == ["low", "mid", "high"]

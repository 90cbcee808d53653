"""ss.debias_items: many items in one call. Sources of truth: a seeded simulated questionnaire
whose population means are known (every person's human answer is generated), the counts of the
input, and ss.debias on one item."""

import re

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.io.simulate_questionnaire import item_plan

COVARIATES = ["age", "female", "C(educ)", "ideology"]


@pytest.fixture(scope="module")
def questionnaire():
    return ss.simulate_questionnaire(n_people=1200, n_draws=12, n_pilot=260, items=item_plan(3, 1, 1), seed=5,
                                     dont_know=(99, 0.05), pilot_missing=0.03)


@pytest.fixture(scope="module")
def study(questionnaire):
    q = questionnaire
    samples = q.samples[~((q.samples["item"] == "q02") & (q.samples["id"] > 1150))]  # 50 people without q02 draws
    return ss.debias_items(samples, q.pilot, q.covariates, scales={"missing": [99]}, covariate_terms=COVARIATES,
                           families={"q01": "ordinal"})


def test_each_items_ppi_mean_is_within_reach_of_the_truth(study, questionnaire):
    table = study.population().table()
    means = table[(table["term"] == "mean") & (table["method"] == "ppi++")].set_index("item")
    truth = questionnaire.truth.set_index("item")["mean"]
    z = (means["estimate"] - truth[means.index]) / means["std_error"]
    assert (np.abs(z) < 3.5).all(), z  # 5 items, P(|z| > 3.5) = 5e-4 each
    assert set(table["method"]) == {"ppi++", "classical", "base LLM"}
    assert {"item", "estimand", "formula", "family", "note"} <= set(table.columns)
    assert means.loc["q01", "family"] == "ordinal" and means.loc["q05", "family"] == "logit"
    shares = table[(table["item"] == "q04") & (table["estimand"] == "share") & (table["method"] == "ppi++")]
    assert len(shares) == 7 and shares["estimate"].sum() == pytest.approx(1.0)


def test_the_population_each_row_describes_adds_up(study, questionnaire):
    table = study.population().table()
    mean = table[(table["term"] == "mean") & (table["method"] == "ppi++")].set_index("item")
    assert (mean["n_input"] == 1200).all()
    assert mean.loc["q02", "n_excluded"] == 50 and mean.loc["q01", "n_excluded"] == 0
    assert (mean["n_input"] - mean["n_excluded"] == mean["n_labeled"] + mean["n_unlabeled"]).all()
    pilot = questionnaire.pilot
    for item in mean.index:
        answers = pilot.loc[pilot["item"] == item, "response"]
        fit = study[item]
        not_used = fit.exclusions.loc[fit.exclusions["scope"] == "pilot answer", "n_rows"].sum()
        left = fit.exclusions.loc[fit.exclusions["scope"] == "population", "n_pilot"].sum()
        assert fit.nobs == len(answers) - not_used - left == mean.loc[item, "n_labeled"]
        kept = pilot.loc[pilot["item"] == item, "id"].isin(fit.frame["id"]).to_numpy()
        assert not_used == answers[kept].isna().sum() + (answers[kept] == 99).sum()


def test_one_item_equals_ss_debias(study, questionnaire):
    q = questionnaire
    samples = q.samples[~((q.samples["item"] == "q02") & (q.samples["id"] > 1150))]
    alone = ss.debias(study.formulas["q03"], samples, q.pilot, q.covariates, scales={"missing": [99]})
    pd.testing.assert_series_equal(alone.params, study["q03"].params)
    assert ss.population_mean(alone).estimate == pytest.approx(ss.population_mean(study["q03"]).estimate, abs=1e-12)
    assert study["q03"].samples is not None  # the raw draws are kept


def test_an_item_that_cannot_be_fitted_falls_back_to_the_pilot_alone(questionnaire):
    q = questionnaire
    flat = q.samples[q.samples["item"] == "q01"].assign(item="flat", response=3)
    answers = q.pilot[q.pilot["item"] == "q01"].assign(item="flat")
    samples = pd.concat([q.samples.astype({"item": str}), flat], ignore_index=True)
    humans = pd.concat([q.pilot, answers], ignore_index=True)
    study = ss.debias_items(samples, humans, q.covariates, items=["q03", "flat"], scales={"missing": [99]})
    assert list(study.fits) == ["q03"] and "'llm_mean' are constant in the pilot" in study.failures["flat"]
    rows = study.population().table().query("item == 'flat' and term == 'mean'")
    assert rows["method"].tolist() == ["classical"]
    usable = answers["response"][answers["response"].notna() & (answers["response"] != 99)]
    assert rows["estimate"].iloc[0] == pytest.approx(usable.mean())
    assert re.match(r"not fitted, pilot alone: formula 'flat ~ llm_(auto|mean)' is rank-deficient", rows["note"].iloc[0])
    with pytest.raises(ss.SynthsurveyError, match="item 'flat' was not fitted"):
        study["flat"]
    with pytest.raises(ss.SynthsurveyError, match=r"item 'flat': formula 'flat ~ llm_(auto|mean)' is rank-deficient"):
        ss.debias_items(samples, humans, q.covariates, items=["flat"], scales={"missing": [99]}, errors="raise")


def test_formula_templates_and_argument_checks(questionnaire):
    q = questionnaire
    study = ss.debias_items(q.samples, q.pilot, q.covariates, items=["q01", "q05"], scales={"missing": [99]},
                            formulas="~ llm_mean + age")
    assert study.formulas == {"q01": "q01 ~ llm_mean + age", "q05": "q05 ~ llm_mean + age"}
    assert study.families == {"q01": "ols", "q05": "logit"}
    with pytest.raises(ss.SynthsurveyError, match="formulas= names items that are not fitted: 'q09'"):
        ss.debias_items(q.samples, q.pilot, items=["q01"], formulas={"q09": "q09 ~ llm_mean"})
    with pytest.raises(ss.SynthsurveyError, match="items 'q99' are not items of the samples"):
        ss.debias_items(q.samples, q.pilot, items=["q99"])


def test_summary_and_report(study, tmp_path):
    text = str(study.summary())
    assert "Questionnaire: population means of 5 item(s)" in text and "q04" in text
    path = study.report(tmp_path / "report.html", analyst={"q01": "q01 ~ age + ideology"}, by=["educ"])
    html = path.read_text()
    assert "id='population'" in html and html.count("<section id='item-") == 5
    assert "Structural fidelity: q01 ~ age + ideology" in html


def test_dask_samples_give_the_in_memory_estimates(questionnaire, dask_client):
    dd = pytest.importorskip("dask.dataframe")
    q = questionnaire
    items = ["q03", "q05"]
    samples = q.samples[q.samples["item"].isin(items) & (q.samples["id"] <= 600)].astype({"item": str})
    people = q.covariates[q.covariates["id"] <= 600]
    pilot = q.pilot[q.pilot["id"] <= 600]
    lazy = dd.from_pandas(samples.sort_values("id"), npartitions=3, sort=False)
    options = dict(scales={"missing": [99]}, covariate_terms=["age"], items=items)
    distributed = ss.debias_items(lazy, pilot, people, **options)
    in_memory = ss.debias_items(samples, pilot, people, **options)
    got, expected = (s.population(shares=False).table().set_index(["item", "method"]) for s in (distributed, in_memory))
    np.testing.assert_allclose(got.loc[expected.index, "estimate"], expected["estimate"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(got.loc[expected.index, "std_error"], expected["std_error"], rtol=0, atol=1e-10)

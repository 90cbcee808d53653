"""Coefficient recovery on a simulated world whose LLM attenuates the predictor effects
(ideology and age at half strength, no rural effect: see synthsurvey.simulate)."""

import numpy as np
import pytest

import synthsurvey as ss
from synthsurvey.evaluation.recovery import ESTIMATORS, recover
from synthsurvey.io.simulate import simulate_study

ANALYST = "belief ~ age + female + C(educ) + ideology + rural"
COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]


@pytest.fixture(scope="module")
def fit():
    study = simulate_study(n_people=3000, n_draws=20, n_pilot=600, seed=21)
    return ss.debias(ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES), study.samples, study.pilot,
                     study.covariates)


@pytest.fixture(scope="module")
def recovery(fit):
    return recover(fit, ANALYST)


def test_table_has_every_estimator_and_term(recovery):
    table = recovery.table()
    assert list(table.columns) == ["estimator", "term", "estimate", "std_error", "statistic", "p_value", "ci_low",
                                   "ci_high", "df"]
    assert list(table["estimator"].unique()) == list(ESTIMATORS)
    assert table.groupby("estimator").size().nunique() == 1
    summary = recovery.summary()
    assert summary.table.equals(table) and "overall agreement (intercept left out)" in str(summary)


def test_raw_llm_coefficients_are_attenuated_and_the_summary_says_so(recovery):
    per_term, overall = recovery.per_term(), recovery.overall()
    overall = overall.set_index("estimator")
    for estimator in ("LLM one draw", "LLM draw mean"):
        assert overall.loc[estimator, "attenuation_slope"] < 0.6
    ideology = per_term[(per_term["term"] == "ideology")].set_index("estimator")
    assert ideology.loc["LLM draw mean", "ratio"] < 0.7
    assert ideology.loc["LLM draw mean", "p_diff"] < 0.01  # the z test sees the difference
    assert 0.8 < overall.loc["PPI++", "attenuation_slope"] < 1.2
    assert overall.loc["PPI++", "share_in_human_ci"] == 1.0


def test_human_pilot_is_the_classical_estimate(fit, recovery):
    import statsmodels.formula.api as smf

    pilot = fit.frame.loc[fit.is_pilot]
    reference = smf.ols("response ~ age + female + C(educ) + ideology + rural", pilot).fit().params
    human = recovery.table().query("estimator == 'human pilot'").set_index("term")["estimate"]
    np.testing.assert_allclose(human[reference.index], reference, atol=1e-10)


def test_one_draw_estimator_needs_raw_draws(fit):
    reused = ss.debias(fit.formula, None, fit.frame.loc[fit.is_pilot, ["id", "response"]].assign(item="belief"),
                       fit.frame[["id", "age", "female", "educ", "ideology", "rural"]],
                       features=ss.features(fit.samples))
    result = recover(reused, ANALYST)
    assert "LLM one draw" not in set(result.table()["estimator"])
    assert "one-draw estimator is left out" in result.notes[0]


def test_logit_recovery_and_errors(fit):
    study = simulate_study(n_people=1000, n_draws=10, n_pilot=300, seed=3)
    action = ss.debias("action ~ llm_mean + ideology", study.samples, study.pilot, study.covariates, family="logit")
    result = recover(action, "action ~ age + ideology", family="logit")
    assert set(result.table()["estimator"]) == set(ESTIMATORS)
    with pytest.raises(ss.SynthsurveyError, match="logit recovery needs a binary item"):
        recover(fit, ANALYST, family="logit")
    with pytest.raises(ss.SynthsurveyError, match="family 'probit'"):
        recover(fit, ANALYST, family="probit")


def test_rows_the_analyst_model_cannot_use_are_reported():
    study = simulate_study(n_people=400, n_draws=5, n_pilot=150, seed=22)
    income = np.random.default_rng(0).normal(50, 10, len(study.covariates))
    covariates = study.covariates.assign(income=np.where(study.covariates["id"] <= 30, np.nan, income))
    fit = ss.debias("belief ~ llm_mean + age", study.samples, study.pilot, covariates)
    n_pilot = int(fit.frame.loc[fit.frame["id"] <= 30, "is_pilot"].sum())
    expected = f"Excluded 30 row(s) ({n_pilot} pilot)"
    assert any(note.startswith(expected) for note in recover(fit, "belief ~ age + income").notes)
    assert any(note.startswith(expected) for note in ss.population_ols(fit, "belief ~ age + income").notes)

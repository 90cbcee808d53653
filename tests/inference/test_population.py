"""Population estimates through the fit: API, subgroups, weights, planning, errors."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.inference import ppi
from synthsurvey.models.crossfit import fold_assignment, crossfit_predictions, predictions
from synthsurvey.io.simulate import simulate_study

COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]


@pytest.fixture(scope="module")
def study():
    return simulate_study(n_people=800, n_draws=15, n_pilot=160, seed=9)


@pytest.fixture(scope="module")
def fit(study):
    return ss.debias(ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES), study.samples, study.pilot,
                     study.covariates)


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


def test_crossfit_never_predicts_a_pilot_row_with_its_own_model(fit):
    folds = fold_assignment(fit.nobs, 5, seed=0)
    assert np.bincount(folds).min() >= fit.nobs // 5
    predicted = crossfit_predictions(fit, folds=5, seed=0)
    pilot_rows = np.flatnonzero(fit.is_pilot)
    held_out = pilot_rows[folds == 0]
    train = fit.is_pilot.copy()
    train[held_out] = False
    expected = fit.fit_rows(train).mean(fit.design_matrix())[held_out]
    np.testing.assert_allclose(predicted[held_out], expected)
    with pytest.raises(ss.SynthsurveyError, match="folds must be"):
        ss.population_mean(fit, folds=1)


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


def test_population_ols_and_logit(study, fit):
    result = ss.population_ols(fit, "belief ~ age + female + ideology")
    assert list(result.table()["term"]) == ["Intercept", "age", "female", "ideology"]
    with pytest.raises(ss.SynthsurveyError, match="but the fit debiases 'belief'"):
        ss.population_ols(fit, "action ~ age")
    action = ss.debias("action ~ llm_mean + ideology", study.samples, study.pilot, study.covariates, family="logit")
    logit = ss.population_logit(action, "action ~ age + ideology", method="classical").table()
    import statsmodels.formula.api as smf
    pilot = action.frame.loc[action.is_pilot]
    reference = smf.logit("response ~ age + ideology", pilot).fit(disp=0).params
    np.testing.assert_allclose(logit["estimate"], reference.to_numpy(), atol=1e-6)
    with pytest.raises(ss.SynthsurveyError, match="needs a binary item"):
        ss.population_logit(fit, "belief ~ age")


def test_plan_pilot():
    plan = ss.plan_pilot(half_width=0.1, rho=0.6, sd=1.2)
    z = 1.959963984540054
    assert plan.n_classical == int(np.ceil((z * 1.2 / 0.1) ** 2))
    assert plan.n_ppi == int(np.ceil((z * 1.2 / 0.1) ** 2 * (1 - 0.36)))
    finite = ss.plan_pilot(half_width=0.1, rho=0.6, sd=1.2, n_population=1000)
    assert finite.n_ppi < plan.n_ppi
    table = finite.curve([100, 200])
    assert (table["half_width_ppi"] < table["half_width_classical"]).all()
    with pytest.raises(ss.SynthsurveyError, match="needs a fit, or both"):
        ss.plan_pilot(half_width=0.1, rho=0.5)


def test_plan_pilot_from_a_fit(fit):
    plan = ss.plan_pilot(fit, half_width=0.1)
    predicted = crossfit_predictions(fit)[fit.is_pilot]
    answers = fit.frame.loc[fit.is_pilot, "response"]
    assert plan.rho == pytest.approx(np.corrcoef(answers, predicted)[0, 1])
    assert plan.n_population == fit.n_population
    assert plan.n_ppi < plan.n_classical


def test_fold_models_are_fit_once_per_fit_and_shared(study, monkeypatch):
    # means, shares, coefficients, planning and fidelity of one fit reuse its K fold models
    from synthsurvey.models.results import DebiasResults

    fit = ss.debias("belief ~ llm_mean + llm_p1 + age", study.samples, study.pilot, study.covariates,
                    family="ordinal")
    fits = []
    original = DebiasResults.fit_rows
    monkeypatch.setattr(DebiasResults, "fit_rows", lambda self, *a, **k: fits.append(self) or original(self, *a, **k))
    ss.population_mean(fit)
    ss.population_shares(fit)
    ss.population_quantile(fit, 0.5)
    ss.population_ols(fit, "belief ~ age")
    ss.plan_pilot(fit, half_width=0.1)
    ss.fidelity([fit])
    assert sum(f is fit for f in fits) == 5  # the K = 5 fold models, once
    cached = predictions(fit)
    assert cached is predictions(fit, "response", True, 5, 0)
    with pytest.raises(ValueError, match="read-only"):  # shared, so not writable
        cached[0] = 0.0

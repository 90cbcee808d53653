"""Pilot planning: closed forms of the half-width (source of truth: the normal-approximation
formula in inference/planning.py's docstring) and the plan from a fit."""

import numpy as np
import pytest

import synthsurvey as ss
from synthsurvey.models.crossfit import crossfit_predictions



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


def test_negative_or_weak_predictions_plan_the_pilot_alone():
    """PPI++ clips lam to [0, 1]: with rho <= 0 it is the pilot alone, so the plan is too."""
    negative = ss.plan_pilot(half_width=0.1, rho=-0.6, sd=1.2)
    assert negative.n_ppi == negative.n_classical
    from synthsurvey.inference.planning import variance_ratio

    assert variance_ratio(0.6) == pytest.approx(1 - 0.36)
    # lam clipped at 1: predictions far more spread than the answers' signal
    assert variance_ratio(0.9, sd=1.0, sd_prediction=0.5) == pytest.approx(1 - 2 * 0.9 * 0.5 + 0.25)
    assert variance_ratio(0.5, sd=1.0, sd_prediction=2.0) == pytest.approx(1 - 0.25)


def test_a_half_width_off_the_scale_is_refused(fit):
    with pytest.raises(ss.SynthsurveyError, match="pilot of 2 answers.*item's units"):
        ss.plan_pilot(fit, half_width=5)
    with pytest.raises(ss.SynthsurveyError, match="takes the fit first"):
        ss.plan_pilot(0.1, fit)
    plan = ss.plan_pilot(fit, half_width=0.1)
    assert set(plan.table()["method"]) == {"classical", "ppi++"} and "Pilot plan" in str(plan.summary())


def test_a_plan_from_a_fit_reproduces_its_own_design_based_half_widths(fit, study):
    """Source of truth: the fit's own standard errors (population_mean, classical and PPI++) under its
    design: the plan's curve at the fit's pilot size gives back z x those standard errors, for a
    simple random and for a clustered pilot (design effect measured on the fit)."""
    import scipy.stats

    from synthsurvey.inference.planning import variance_ratio

    z = scipy.stats.norm.ppf(0.975)
    covariates = study.covariates.assign(household=(study.covariates["id"] - 1) // 5)
    clustered = ss.debias(fit.formula, study.samples, study.pilot, covariates, cluster="household")
    for one in (fit, clustered):
        plan = ss.plan_pilot(one, half_width=0.1)
        curve = plan.curve([one.nobs]).iloc[0]
        assert curve["half_width_classical"] == pytest.approx(z * ss.population_mean(one, method="classical").std_error)
        assert curve["half_width_ppi"] == pytest.approx(z * ss.population_mean(one).std_error)
    plan = ss.plan_pilot(fit, half_width=0.1)
    predicted = crossfit_predictions(fit)[fit.is_pilot]
    assert plan.deff == pytest.approx(1.0)
    assert plan.ratio == pytest.approx(variance_ratio(plan.rho, plan.sd, np.std(predicted, ddof=1)))
    assumed = ss.plan_pilot(half_width=0.1, rho=0.6, sd=1.2, deff=2.0)
    assert assumed.n_classical == int(np.ceil((z * 1.2 / 0.1) ** 2 * 2.0))
    with pytest.raises(ss.SynthsurveyError, match="deff"):
        ss.plan_pilot(half_width=0.1, rho=0.6, sd=1.2, deff=0)

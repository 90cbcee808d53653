"""Coefficients of the analyst's model: the API, the classical estimates against statsmodels,
and the errors."""

import numpy as np
import pytest

import synthsurvey as ss



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


def test_classical_ols_is_the_pilot_regression_with_its_sandwich(fit):
    """Source of truth: statsmodels OLS on the pilot rows with HC0 standard errors, scaled by
    sqrt((1 - n/N) n/(n-1)) for the subsample design (survey::svyglm's convention on a simple
    random sample with a finite population correction)."""
    import statsmodels.formula.api as smf

    result = ss.population_ols(fit, "belief ~ age + female", method="classical", leverage=False).table()
    result = result.set_index("term")
    pilot = fit.frame.loc[fit.is_pilot]
    reference = smf.ols("response ~ age + female", pilot).fit(cov_type="HC0")
    n, n_all = fit.nobs, fit.n_population
    np.testing.assert_allclose(result["estimate"], reference.params.to_numpy(), atol=1e-10)
    np.testing.assert_allclose(result["std_error"], reference.bse.to_numpy() * np.sqrt((1 - n / n_all) * n / (n - 1)),
                               rtol=1e-10)


def test_the_old_argument_order_is_refused_clearly(fit):
    with pytest.raises(ss.SynthsurveyError, match=r"takes the fit first: population_ols\(fit, 'belief ~ age'\)"):
        ss.population_ols("belief ~ age", fit)
    with pytest.raises(ss.SynthsurveyError, match="takes the fit first"):
        ss.recover("belief ~ age", fit)

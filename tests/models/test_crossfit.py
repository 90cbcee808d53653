"""Cross-fitting: fold models, held-out predictions, and the cache on the results object."""

import numpy as np
import pytest

import synthsurvey as ss
from synthsurvey.models.crossfit import crossfit_predictions, fold_assignment, predictions



def test_crossfit_never_predicts_a_pilot_row_with_its_own_model(simulated_fit):
    fit = simulated_fit
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


def test_fold_models_are_fit_once_per_fit_and_shared(simulated, monkeypatch):
    # means, shares, coefficients, planning and fidelity of one fit reuse its K fold models
    from synthsurvey.models.results import DebiasResults

    study = simulated
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

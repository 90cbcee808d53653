"""``llm_auto``: the chosen feature set is recorded, the cross-validation solves statsmodels' ridge
(source of truth: ``OLS.fit_regularized(L1_wt=0)`` and the closed form), the choice goes where
the data say, and a pilot row never takes part in choosing the model that predicts it."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import synthsurvey as ss
from synthsurvey.models import crossfit
from synthsurvey.models.selection import NESTED, Selector, _ridge_errors
from tests.helpers import long_samples

COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]


@pytest.fixture(scope="module")
def auto_fit(simulated):
    return ss.debias(ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES), simulated.samples, simulated.pilot,
                     simulated.covariates)


def test_default_formula_is_llm_auto():
    assert ss.default_formula("belief", [1, 2, 3, 4, 5], ["age"]) == "belief ~ llm_auto + age"
    assert ss.default_formula("my q", "continuous") == 'Q("my q") ~ llm_auto'
    with pytest.raises(ss.SynthsurveyError, match="variant 'best' is not one of"):
        ss.default_formula("belief", [1, 2, 3], variant="best")


def test_the_chosen_feature_set_is_recorded_on_the_fit(auto_fit):
    table = auto_fit.selection.table
    assert {"candidate", "penalty_features", "penalty_terms", "cv_error", "cv_std_error", "chosen"} <= set(table)
    assert table["chosen"].sum() == 1
    chosen = table.loc[table["chosen"]].iloc[0]
    assert chosen["cv_error"] == table["cv_error"].min() and chosen["candidate"] == auto_fit.selection.chosen
    assert {"draw mean", "draw mean + terms", "full + terms"} <= set(table["candidate"])
    assert any(note.startswith(f"llm_auto chose {chosen['candidate']!r} by 5-fold") for note in auto_fit.notes)
    assert auto_fit.formula == "belief ~ llm_auto + age + female + C(educ) + ideology + rural"
    assert list(auto_fit.params.index) == list(auto_fit.selection.columns)
    folds = auto_fit.selections()
    assert folds["fold"].tolist() == [-1, 0, 1, 2, 3, 4]
    assert folds["n_rows"].tolist() == [160] + [128] * 5


def test_cross_validation_solves_statsmodels_ridge(auto_fit):
    matrix = auto_fit.design.matrix
    answers = auto_fit.frame.loc[auto_fit.is_pilot, "response"].to_numpy()
    selector = auto_fit.model.selector
    groups = selector._groups(matrix)
    fold = np.random.default_rng(0).permutation(len(answers)) % 5
    table, kept = _ridge_errors(answers, matrix.to_numpy(), groups, fold)
    for penalty_features, penalty_terms in ((0.1, 0.3), (0.0, 0.0), (1.0, np.inf)):
        row = table[(table["penalty_features"] == penalty_features) & (table["penalty_terms"] == penalty_terms)]
        columns = kept[row["candidate"].iloc[0]]
        losses = np.empty(len(answers))
        for k in range(5):
            train, test = fold != k, fold == k
            x = matrix.to_numpy()[train][:, columns]
            weights = np.array([0.0 if j in groups[0] else (penalty_features if j in groups[1] else penalty_terms)
                                for j in columns]) * x.var(axis=0)
            result = sm.OLS(answers[train], x).fit_regularized(alpha=weights, L1_wt=0.0)
            losses[test] = (answers[test] - matrix.to_numpy()[test][:, columns] @ result.params) ** 2
        np.testing.assert_allclose(row["cv_error"].iloc[0], losses.mean(), rtol=1e-7)


def test_a_ridge_fit_is_the_closed_form_and_has_no_standard_errors():
    rng = np.random.default_rng(3)
    matrix = pd.DataFrame({"Intercept": 1.0, "llm_mean": rng.normal(size=200), "llm_sd": rng.normal(size=200),
                           "age": rng.normal(size=200)})
    answers = matrix["llm_mean"] + 0.15 * matrix["llm_sd"] + 0.15 * matrix["age"] + rng.normal(size=200)
    fitted = Selector("ols", ["llm_mean"], ["llm_sd"]).fit(answers, matrix, ss.Scale("continuous"))
    assert fitted.penalised, fitted.selection.chosen
    chosen = fitted.selection.table.loc[fitted.selection.table["chosen"]].iloc[0]
    x = matrix[fitted.columns].to_numpy()
    penalty = {"Intercept": 0.0, "llm_mean": 0.0, "llm_sd": chosen["penalty_features"], "age": chosen["penalty_terms"]}
    weights = np.array([penalty[c] for c in fitted.columns]) * x.var(axis=0)
    closed = np.linalg.solve(x.T @ x + len(x) * np.diag(weights), x.T @ answers.to_numpy())
    np.testing.assert_allclose(fitted.params.to_numpy(), closed, rtol=1e-10)
    assert fitted.std_error.isna().all() and fitted.covariance().isna().all().all()
    np.testing.assert_allclose(fitted.mean(matrix), x @ closed, rtol=1e-10)


def draws_world(signal, seed=0, n=300, draws=8):
    """People whose draws are N(location, spread); the answer follows the location, plus
    ``signal`` x the draws' spread."""
    rng = np.random.default_rng(seed)
    location, spread = rng.normal(size=n), rng.uniform(0.2, 2.0, n)
    samples = long_samples(location[:, None] + spread[:, None] * rng.normal(size=(n, draws)))
    answers = location + signal * spread + rng.normal(scale=0.7, size=n)
    humans = pd.DataFrame({"id": np.arange(1, n + 1), "item": "q", "response": answers})
    return samples, humans


def test_the_choice_goes_where_the_data_say():
    noise = ss.debias("q ~ llm_auto", *draws_world(0.0), scales={"q": "continuous"})
    spread = ss.debias("q ~ llm_auto", *draws_world(1.5), scales={"q": "continuous"})
    chosen = lambda fit: fit.selection.table.loc[fit.selection.table["chosen"]].iloc[0]  # noqa: E731
    assert chosen(noise)["penalty_features"] >= 0.3  # the extra features barely enter
    assert chosen(spread)["penalty_features"] <= 0.03  # the spread carries the signal: it enters
    assert "llm_sd" in spread.params.index


def test_a_pilot_row_never_helps_choose_the_model_that_predicts_it(simulated, auto_fit):
    pilot_rows, fold, models = crossfit.fold_models(auto_fit, 5, 0)
    held_out_ids = auto_fit.frame["id"].to_numpy()[pilot_rows[fold == 0]]
    changed = simulated.pilot.copy()
    rows = (changed["item"] == "belief") & changed["id"].isin(held_out_ids)
    changed.loc[rows, "response"] = 6 - changed.loc[rows, "response"]  # mirror fold 0's answers
    other = ss.debias(auto_fit.formula, simulated.samples, changed, simulated.covariates)
    _, other_fold, other_models = crossfit.fold_models(other, 5, 0)
    np.testing.assert_array_equal(fold, other_fold)
    pd.testing.assert_series_equal(models[0].params, other_models[0].params)  # trained and chosen without fold 0
    assert models[0].selection.table.equals(other_models[0].selection.table)
    assert not models[1].params.equals(other_models[1].params)  # fold 0 trains fold 1's model


def test_other_families_choose_among_nested_sets(simulated):
    fit = ss.debias("action ~ llm_auto + ideology + female", simulated.samples, simulated.pilot, simulated.covariates,
                    family="logit")
    assert fit.selection.table["candidate"].tolist() == ["draw mean", "draw mean + terms", "draw mean + spread + terms"]
    assert fit.selection.chosen in NESTED
    assert np.isfinite(fit.std_error).all()  # a nested choice is an ordinary fit, with standard errors
    probs = fit.predictions("probs")
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_a_distributed_fit_chooses_as_the_in_memory_fit(dask_client, simulated):
    """Source of truth: the in-memory fit of the same formula (its population mean to 1e-10)."""
    from tests.featurize.test_dask import by_respondent

    formula = ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES)
    local = ss.debias(formula, simulated.samples, simulated.pilot, simulated.covariates)
    remote = ss.debias(formula, by_respondent(simulated.samples), simulated.pilot, simulated.covariates)
    assert remote.pilot_fit.selection.chosen == local.selection.chosen
    np.testing.assert_allclose(ss.population_mean(remote).estimate, ss.population_mean(local).estimate, atol=1e-10)
    with pytest.raises(ss.SynthsurveyError, match="reads another item's features"):
        ss.debias("belief ~ llm_mean + llm_mean[action]", by_respondent(simulated.samples), simulated.pilot,
                  simulated.covariates)

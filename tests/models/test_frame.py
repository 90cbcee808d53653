"""The item frame: reserved column names and the population each fit describes."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from tests.helpers import long_samples


@pytest.mark.parametrize("name", ["response", "is_pilot", "item", "draw"])
def test_reserved_covariate_names_are_refused(name):
    rng = np.random.default_rng(0)
    samples = long_samples(rng.integers(1, 6, (40, 8)), item="q")
    humans = pd.DataFrame({"id": np.arange(1, 31), "item": "q", "response": rng.integers(1, 6, 30)})
    covariates = pd.DataFrame({"id": np.arange(1, 41), name: rng.normal(size=40)})
    with pytest.raises(ss.SynthsurveyError, match=f"covariates column\\(s\\) '{name}' use a name synthsurvey reserves"):
        ss.debias("q ~ llm_mean", samples, humans, covariates)


def world(n_people=80, n_draws=8, n_pilot=50, seed=0):
    """Draws for items q and r, a pilot answering both, covariates with a 4-level educ."""
    rng = np.random.default_rng(seed)
    samples = pd.concat([long_samples(rng.integers(1, 6, (n_people, n_draws)), item=item) for item in ("q", "r")],
                        ignore_index=True)
    ids = np.arange(1, n_pilot + 1)
    humans = pd.concat([pd.DataFrame({"id": ids, "item": item, "response": rng.integers(1, 6, n_pilot).astype(float)})
                        for item in ("q", "r")], ignore_index=True)
    covariates = pd.DataFrame({"id": np.arange(1, n_people + 1), "age": rng.integers(20, 70, n_people),
                               "educ": np.tile([1, 2, 3, 4], n_people // 4)})
    return samples, humans, covariates


def test_a_missing_answer_to_another_item_does_not_block_a_fit():
    samples, humans, covariates = world()
    humans.loc[(humans["item"] == "r") & humans["id"].isin([3, 4]), "response"] = np.nan
    fit = ss.debias("q ~ llm_mean", samples, humans, covariates)
    assert fit.nobs == 50 and fit.exclusions.empty


def test_missing_answers_and_codes_of_the_item_are_counted_and_stay_in_the_population():
    samples, humans, covariates = world()
    rows = humans["item"] == "q"
    humans.loc[rows & humans["id"].isin([1, 2, 3]), "response"] = np.nan
    humans.loc[rows & humans["id"].isin([4, 5]), "response"] = 99
    fit = ss.debias("q ~ llm_mean", samples, humans, covariates,
                    scales={"q": ss.Scale("ordinal", (1, 2, 3, 4, 5), missing=(99,))})
    table = fit.exclusions.set_index("reason")
    assert table.loc["missing answer (NaN) to item 'q'", ["n_rows", "n_pilot", "scope"]].tolist() == [3, 3, "pilot answer"]
    assert table.loc["missing-value code(s) 99 (don't know / refused) for item 'q'", "n_rows"] == 2
    assert fit.nobs == 45 and fit.n_population == 80 and fit.n_input == 80
    assert "Not used: 3 pilot answer(s)" in str(fit.summary())


def test_people_without_draws_are_counted_and_the_counts_add_up():
    samples, humans, covariates = world()
    samples = samples[~((samples["item"] == "q") & samples["id"].isin([2, 60, 61]))]  # 1 pilot, 2 others
    covariates.loc[covariates["id"].isin([70, 71]), "age"] = np.nan
    covariates = pd.concat([covariates, pd.DataFrame({"id": [200, 201], "age": [30, 40], "educ": [1, 2]})])
    fit = ss.debias("q ~ llm_mean + age", samples, humans, covariates)
    table = fit.exclusions.set_index("reason")
    assert table.loc["no LLM draws for item 'q'", ["n_rows", "n_pilot"]].tolist() == [5, 1]  # 2, 60, 61, 200, 201
    assert table.loc["missing value in column 'age'", "n_rows"] == 2
    assert fit.n_input == 82 and fit.n_population == 82 - 5 - 2 == len(fit.frame)
    mean = ss.population_mean(fit).table().iloc[0]
    assert mean["n_input"] - mean["n_excluded"] == mean["n_labeled"] + mean["n_unlabeled"] == 75


def test_covariates_named_like_features_are_refused():
    samples, humans, covariates = world()
    with pytest.raises(ss.SynthsurveyError, match="covariates column\\(s\\) 'llm_score' start with 'llm_'"):
        ss.debias("q ~ llm_mean", samples, humans, covariates.assign(llm_score=1.0))


def test_a_covariate_level_absent_from_the_pilot_is_named_with_its_remedy():
    samples, humans, covariates = world()
    covariates.loc[covariates["id"].isin([60, 61, 62]), "educ"] = 5  # nobody in the pilot (ids 1..50)
    with pytest.raises(ss.SynthsurveyError) as error:
        ss.debias("q ~ llm_mean + C(educ)", samples, humans, covariates)
    assert str(error.value) == (
        "covariate 'educ' has level(s) no pilot respondent of item 'q' has: 5 (3 people); the model cannot predict "
        "them. Collapse rare levels into larger ones, or pass unseen_levels='exclude' to leave these people out "
        "(they are counted)")
    fit = ss.debias("q ~ llm_mean + C(educ)", samples, humans, covariates, unseen_levels="exclude")
    assert fit.exclusions.set_index("reason").loc["level(s) 5 of covariate 'educ' absent from the pilot",
                                                  "n_rows"] == 3
    assert fit.n_population == 77 and len(ss.population_mean(fit).table()) == 1


def test_an_unseen_text_level_is_named_too():
    samples, humans, covariates = world()
    covariates["region"] = np.where(covariates["id"] <= 60, "north", "south")  # the pilot (ids 1..50) is north
    with pytest.raises(ss.SynthsurveyError, match="covariate 'region' has level\\(s\\) no pilot respondent of item "
                                                  "'q' has: 'south' \\(20 people\\)"):
        ss.debias("q ~ llm_mean + region", samples, humans, covariates)
    fit = ss.debias("q ~ llm_mean + region", samples, humans, covariates, unseen_levels="exclude")
    assert fit.n_population == 60

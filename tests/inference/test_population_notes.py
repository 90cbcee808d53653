"""What population estimates say about themselves: the population they describe, few pilot
answers, levels nobody in the pilot chose, weights. Sources of truth: the counts of the input
and the closed-form Clopper-Pearson bound 1 - (alpha/2)^(1/n) for 0 successes in n."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from tests.helpers import long_samples


def small_world(n_people=200, n_pilot=80, seed=0, levels=(1, 2, 3, 4)):
    rng = np.random.default_rng(seed)
    draws = rng.choice([1, 2, 3, 4, 5], (n_people, 10))
    samples = long_samples(draws)
    answers = rng.choice(levels, n_pilot)
    humans = pd.DataFrame({"id": np.arange(1, n_pilot + 1), "item": "q", "response": answers.astype(float)})
    covariates = pd.DataFrame({"id": np.arange(1, n_people + 6), "age": rng.integers(20, 70, n_people + 5),
                               "weight": rng.uniform(0.5, 2, n_people + 5)})
    return samples, humans, covariates


def test_every_estimate_states_its_population():
    samples, humans, covariates = small_world()
    humans.loc[humans["id"] == 3, "response"] = np.nan
    fit = ss.debias("q ~ llm_mean + age", samples, humans, covariates, scales={"q": [1, 2, 3, 4, 5]})
    for result in (ss.population_mean(fit), ss.population_shares(fit), ss.population_quantile(fit),
                   ss.population_ols(fit, "q ~ age")):
        row = result.table().iloc[0]
        assert row["n_input"] == 205 and row["n_excluded"] == 5
        assert row["excluded"] == "5 no LLM draws for item 'q'"
        assert row["answers_not_used"] == "1 missing answer (NaN) to item 'q'"
        text = str(result.summary())
        assert "People in the input  205" in text and "People excluded      5" in text
        assert "Population: 200 people: the 205 in the input minus 5 excluded (5 no LLM draws for item 'q')" in text
    mean = ss.population_mean(fit).table().iloc[0]
    assert mean["n_labeled"] + mean["n_unlabeled"] == 200 and mean["n_labeled"] == 79


def test_a_level_nobody_chose_gets_an_interval_that_is_not_a_point():
    samples, humans, covariates = small_world(levels=(1, 2, 3, 4))  # nobody in the pilot answers 5
    fit = ss.debias("q ~ llm_mean", samples, humans, covariates, scales={"q": [1, 2, 3, 4, 5]})
    bound = 1 - 0.025 ** (1 / 80)
    for method in ("classical", "ppi++"):
        result = ss.population_shares(fit, method=method)
        row = result.table().set_index("level").loc[5.0]
        assert row["ci_low"] <= min(0.0, row["estimate"]) and row["ci_high"] >= bound - 1e-12
        assert np.isnan(row["std_error"])
        assert any(f"share[5]: no pilot respondent chose this level; its interval reaches at least {bound:.3g}" in note
                   for note in result.notes)
    assert ss.population_shares(fit, method="classical").table().set_index("level").loc[5.0, "ci_high"] == \
        pytest.approx(bound)


def test_a_small_pilot_warns_that_normal_intervals_are_doubtful():
    samples, humans, covariates = small_world(n_pilot=20)
    fit = ss.debias("q ~ llm_mean", samples, humans, covariates, scales={"q": [1, 2, 3, 4, 5]})
    with pytest.warns(ss.SynthsurveyWarning, match="item 'q': 20 pilot answer\\(s\\) \\(under 30\\): normal-approximation "
                                                   "intervals at 95% are doubtful"):
        result = ss.population_mean(fit, folds=2)
    assert any("under 30" in note for note in result.notes)


def test_weights_need_a_positive_pilot_weight():
    samples, humans, covariates = small_world()
    fit = ss.debias("q ~ llm_mean + weight", samples, humans, covariates, scales={"q": [1, 2, 3, 4, 5]})
    zero = np.where(fit.is_pilot, 0.0, 1.0)
    with pytest.raises(ss.SynthsurveyError, match="every pilot answer has weight 0 \\(80 pilot rows\\)"):
        ss.population_mean(fit, weights=zero)
    with pytest.raises(ss.SynthsurveyError, match="every weight in weights= is 0"):
        ss.population_mean(fit, weights=np.zeros(fit.n_population), pilot_weights=np.ones(fit.n_population))
    assert np.isfinite(ss.population_mean(fit, weights="weight").estimate)

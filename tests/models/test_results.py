"""ss.debias: the API of the issue, persona keys, baselines, exclusions and bad input."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.io.simulate import simulate_study
from tests.helpers import long_samples

COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]


@pytest.fixture(scope="module")
def small():
    return simulate_study(n_people=300, n_draws=10, n_pilot=120, seed=5)


def test_issue_example_runs_and_predicts_everybody(study):
    fit = ss.debias("belief ~ llm_mean + llm_sd + llm_p1 + llm_p5 + age + C(educ)",
                    samples=study.samples, humans=study.pilot, covariates=study.covariates, family="ols")
    text = str(fit.summary())
    assert "llm_sd" in text and "ordinal levels {1, 2, 3, 4, 5}" in text
    pred = fit.predict()
    assert len(pred) == study.covariates.shape[0] and pred["id"].is_unique
    assert pred["is_pilot"].sum() == fit.nobs == study.pilot["id"].nunique()
    table = fit.table()
    assert list(table.columns) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high", "df"]
    assert (table["df"] == fit.nobs - len(table)).all()  # OLS: t with the residual degrees of freedom
    summary = fit.summary()
    assert summary.table.equals(table)  # the summary shows the table, names and numbers alike
    assert (table["ci_low"] < table["estimate"]).all() and (table["estimate"] < table["ci_high"]).all()
    np.testing.assert_allclose(fit.conf_int(0.1)["ci_low"], fit.fitted.result.conf_int(0.1)[0])


def test_full_vector_beats_base_and_scalar_on_holdout(study):
    formula = ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES)
    fit = ss.debias(formula, study.samples, study.pilot, study.covariates)
    side = fit.baselines().merge(study.holdout[study.holdout["item"] == "belief"], on="id",
                                 suffixes=("", "_human"))
    error = {m: ss.metrics.rmse(side["response_human"], side[m]) for m in ("base", "scalar", "debiased")}
    assert error["debiased"] < error["scalar"] < error["base"]


def test_probs_sum_to_one_and_class_is_a_level(small):
    fit = ss.debias("belief ~ llm_mean + ideology", small.samples, small.pilot, small.covariates, family="ordinal")
    probs = fit.predict(kind="probs")
    assert list(probs.columns) == ["id", "is_pilot"] + [f"prob_{k}" for k in range(1, 6)]
    np.testing.assert_allclose(probs.filter(like="prob_").sum(axis=1), 1, atol=1e-12)
    assert set(fit.predict(kind="class")["prediction"]) <= {1, 2, 3, 4, 5}
    base = fit.predict(kind="probs", predictor="base")
    np.testing.assert_allclose(base.filter(like="prob_").to_numpy(),
                               fit.frame[[f"llm_p{k}" for k in range(1, 6)]].to_numpy())


def test_baseline_methods(small):
    fit = ss.debias("belief ~ llm_mean + llm_sd + ideology + female", small.samples, small.pilot, small.covariates)
    side = fit.baselines()
    np.testing.assert_allclose(side["base"], fit.frame["llm_mean"])
    pilot = fit.frame.loc[fit.is_pilot]
    slope, intercept = np.polyfit(pilot["llm_mean"], pilot["response"], 1)
    np.testing.assert_allclose(side["scalar"], intercept + slope * fit.frame["llm_mean"], rtol=1e-8)
    import statsmodels.formula.api as smf
    covariate_only = smf.ols("response ~ ideology + female", pilot).fit()
    np.testing.assert_allclose(side["pilot"], covariate_only.predict(fit.frame), rtol=1e-8)
    with pytest.raises(ss.SynthsurveyError, match="predictor"):
        fit.predict(predictor="magic")
    with pytest.raises(ss.SynthsurveyError, match="probabilities"):
        fit.predict(kind="probs")


def test_persona_key_shares_draws_across_people():
    rng = np.random.default_rng(1)
    parties = ["A", "B", "C"]
    samples = pd.concat([
        pd.DataFrame({"party": p, "item": "q", "draw": np.arange(30), "response": rng.normal(i, 0.2, 30)})
        for i, p in enumerate(parties)
    ])
    people = pd.DataFrame({"id": np.arange(100), "party": rng.choice(parties + ["Other"], 100)})
    value = people["party"].map({"A": 0.5, "B": 1.2, "C": 2.1, "Other": 0.0})
    humans = pd.DataFrame({"id": people["id"], "item": "q", "response": value + rng.normal(0, 0.1, 100)})
    humans = humans[people["party"] != "Other"].iloc[:40]
    fit = ss.debias("q ~ llm_mean", samples, humans, people, key="party", scales={"q": "continuous"})
    n_other = int((people["party"] == "Other").sum())
    assert fit.n_population == 100 - n_other
    row = fit.exclusions.iloc[0]
    assert row["n_rows"] == n_other and "party" in row["reason"]
    pred = fit.predict().merge(people, on="id")
    assert pred.groupby("party")["prediction"].nunique().eq(1).all()
    with pytest.raises(ss.SynthsurveyError, match="covariates with columns 'id' and 'party'"):
        ss.debias("q ~ llm_mean", samples, humans, None, key="party")


def test_exclusions_are_counted_not_silent(small):
    covariates = small.covariates.copy()
    covariates.loc[covariates.index[:7], "age"] = np.nan
    dropped = small.pilot.loc[~small.pilot["id"].isin(covariates["id"].iloc[:7]), "id"].iloc[0]
    samples = small.samples[~((small.samples["id"] == dropped) &
                              (small.samples["item"] == "belief"))]
    fit = ss.debias("belief ~ llm_mean + age", samples, small.pilot, covariates)
    reasons = fit.exclusions.set_index("reason")
    assert reasons.loc["missing value in column 'age'", "n_rows"] == 7
    assert reasons.loc["no LLM draws for item 'belief'", ["n_rows", "n_pilot"]].tolist() == [1, 1]
    missing_pilot = covariates.loc[covariates.index[:7], "id"].isin(small.pilot["id"]).sum()
    assert fit.n_population == 300 - 1 - 7
    assert fit.nobs == 120 - 1 - missing_pilot
    assert "Excluded 7 row(s)" in str(fit.summary())


def test_covariates_missing_for_an_id_are_counted(small):
    covariates = small.covariates.iloc[5:]
    fit = ss.debias("belief ~ llm_mean + age", small.samples, small.pilot, covariates)
    assert fit.exclusions.set_index("reason").loc["no row in covariates", "n_rows"] == 5
    assert fit.n_population == 295


# bad input ---------------------------------------------------------------------------

def base_tables():
    rng = np.random.default_rng(0)
    samples = long_samples(rng.integers(1, 6, (40, 8)), item="q")
    humans = pd.DataFrame({"id": np.arange(1, 31), "item": "q", "response": rng.integers(1, 6, 30)})
    covariates = pd.DataFrame({"id": np.arange(1, 41), "age": rng.integers(20, 70, 40)})
    return samples, humans, covariates


@pytest.mark.parametrize("change, message", [
    (lambda s, h, c: (s.drop(columns="draw"), h, c), "samples is missing column.*'draw'"),
    (lambda s, h, c: (s, h.drop(columns="response"), c), "humans is missing column.*'response'"),
    (lambda s, h, c: (s, pd.concat([h, pd.DataFrame({"id": [999], "item": ["q"], "response": [3]})]), c),
     "absent from the LLM samples.*999"),
    (lambda s, h, c: (s.assign(response=s["response"].where(s.index != 5, 9)), h, c),
     "response.*9.*outside its levels.*id=1"),
    (lambda s, h, c: (s, h.assign(response=h["response"].where(h.index != 2, 7)), c),
     "humans: item 'q' has answer.*7.*outside.*id=3"),
    (lambda s, h, c: (pd.concat([s, s.iloc[[10]]]), h, c), "repeat a \\(id, item, draw\\).*id=2"),
    (lambda s, h, c: (s.assign(id="p" + s["id"].astype(str)).pipe(lambda t: pd.concat([t, t.iloc[[0]]])),
                      h.assign(id="p" + h["id"].astype(str)), c.assign(id="p" + c["id"].astype(str))),
     "repeat a \\(id, item, draw\\).*id='p1'"),
    (lambda s, h, c: (s.assign(response=3), h.assign(response=3), c), "'llm_mean' are constant in the pilot"),
    (lambda s, h, c: (s, h.iloc[:2], c), "pilot has 2 usable answer.*2 parameters"),
    (lambda s, h, c: (s, pd.concat([h, h.iloc[[0]]]), c), "humans has 2 rows that repeat.*id=1"),
    (lambda s, h, c: (s.assign(response="x"), h, c), "'response' must be numeric.*'x'"),
    (lambda s, h, c: (s, h, pd.concat([c, c.iloc[[0]]])), "covariates has 2 rows that repeat.*id=1"),
])
def test_bad_input_names_the_culprit(change, message):
    samples, humans, covariates = change(*base_tables())
    with pytest.raises(ss.SynthsurveyError, match=message):
        ss.debias("q ~ llm_mean", samples, humans, covariates, scales={"q": [1, 2, 3, 4, 5]})


def test_item_with_a_single_level_is_refused():
    samples, humans, covariates = base_tables()
    with pytest.raises(ss.SynthsurveyError, match="item 'q' has a single level \\(3\\)"):
        ss.debias("q ~ llm_mean", samples.assign(response=3), humans.assign(response=3), covariates)


def test_unknown_column_and_unknown_item():
    samples, humans, covariates = base_tables()
    with pytest.raises(ss.SynthsurveyError, match="unknown column.*'income'"):
        ss.debias("q ~ llm_mean + income", samples, humans, covariates)
    with pytest.raises(ss.SynthsurveyError, match="unknown column.*'llm_q33'"):
        ss.debias("q ~ llm_q33", samples, humans, covariates)
    with pytest.raises(ss.SynthsurveyError, match="'trust' is not an item"):
        ss.debias("trust ~ llm_mean", samples, humans, covariates)


def test_rank_deficient_formula_is_refused_with_the_reason():
    samples, humans, covariates = base_tables()
    with pytest.raises(ss.SynthsurveyError, match="rank-deficient.*linear combination.*shares llm_p\\* sum to 1"):
        ss.debias("q ~ llm_mean + llm_p1 + llm_p2 + llm_p3 + llm_p4", samples, humans, covariates)
    with pytest.raises(ss.SynthsurveyError, match="rank-deficient.*llm_extreme"):
        ss.debias("q ~ llm_p1 + llm_p5 + llm_extreme", samples, humans, covariates)
    one_draw = samples[samples["draw"] == 0]
    with pytest.raises(ss.SynthsurveyError, match="'llm_sd'.* identically 0"):
        ss.debias("q ~ llm_mean + llm_sd", one_draw, humans, covariates)


def test_family_must_fit_the_scale():
    samples, humans, covariates = base_tables()
    with pytest.raises(ss.SynthsurveyError, match="'logit' needs a binary item"):
        ss.debias("q ~ llm_mean", samples, humans, covariates, family="logit")
    with pytest.raises(ss.SynthsurveyError, match="family 'poisson' is not one of"):
        ss.debias("q ~ llm_mean", samples, humans, covariates, family="poisson")
    continuous = samples.assign(response=samples["response"] + 0.5 * np.sin(samples["draw"]))
    with pytest.raises(ss.SynthsurveyError, match="'ordinal' needs a discrete item"):
        ss.debias("q ~ llm_mean", continuous, humans, covariates, family="ordinal",
                  scales={"q": "continuous"})


def test_formula_must_name_one_item():
    samples, humans, covariates = base_tables()
    with pytest.raises(ss.SynthsurveyError, match="must name one item"):
        ss.debias("np.log(q) ~ llm_mean", samples, humans, covariates)
    with pytest.raises(ss.SynthsurveyError, match="'item ~ terms'"):
        ss.debias("llm_mean", samples, humans, covariates)


def test_precomputed_features_give_the_same_fit(small):
    feats = ss.features(small.samples)
    direct = ss.debias("belief ~ llm_mean + llm_p1 + age", small.samples, small.pilot, small.covariates)
    reused = ss.debias("belief ~ llm_mean + llm_p1 + age", None, small.pilot, small.covariates, features=feats)
    np.testing.assert_allclose(direct.params, reused.params, rtol=1e-12)
    assert reused.scale.levels == direct.scale.levels


def test_with_pilot_equals_a_fit_on_the_smaller_pilot(small):
    fit = ss.debias("belief ~ llm_mean + age", small.samples, small.pilot, small.covariates)
    kept_ids = small.pilot["id"].unique()[:70]
    smaller = fit.with_pilot(fit.frame["id"].isin(kept_ids).to_numpy())
    direct = ss.debias("belief ~ llm_mean + age", small.samples, small.pilot[small.pilot["id"].isin(kept_ids)],
                       small.covariates)
    assert smaller.nobs == direct.nobs == 70
    np.testing.assert_allclose(smaller.params, direct.params, rtol=1e-12)
    assert ss.population_mean(smaller).estimate == pytest.approx(ss.population_mean(direct).estimate, abs=1e-12)


def test_simulated_expected_answers_are_the_conditional_mean():
    # regress the human answer on the simulation's expected answer: slope 1, intercept 0
    import statsmodels.api as sm

    study = simulate_study(n_people=20000, n_draws=2, n_pilot=10, seed=11)
    belief = study.humans.query("item == 'belief'").set_index("id")["response"]
    expected = study.expected.set_index("id")["belief"].loc[belief.index]
    fit = sm.OLS(belief.to_numpy(float), sm.add_constant(expected.to_numpy())).fit()
    (intercept, slope), (se_intercept, se_slope) = fit.params, fit.bse
    assert abs(slope - 1) < 3 * se_slope and abs(intercept) < 3 * se_intercept
    assert expected.between(1, 5).all()


def test_best_prediction_is_calibrated_and_between_the_latent_and_a_linear_fit():
    # E[answer | draws, covariates] under the true parameters: regressing the answer on it gives
    # slope 1 and intercept 0, and its squared error lies between that of the expected answer given
    # the latent traits (which knows more) and that of the default formula's in-sample OLS fit.
    import statsmodels.api as sm
    from synthsurvey.io.simulate import best_prediction

    study = simulate_study(n_people=6000, n_draws=12, n_pilot=10, seed=13)
    belief = study.humans.query("item == 'belief'").set_index("id")["response"]
    best = best_prediction(study.samples, study.covariates).set_index("id")["belief"].loc[belief.index]
    fit = sm.OLS(belief.to_numpy(float), sm.add_constant(best.to_numpy())).fit()
    (intercept, slope), (se_intercept, se_slope) = fit.params, fit.bse
    assert abs(slope - 1) < 3 * se_slope and abs(intercept) < 3 * se_intercept
    latent = study.expected.set_index("id")["belief"].loc[belief.index]
    formula = ss.default_formula("belief", [1, 2, 3, 4, 5], ["age", "female", "C(educ)", "ideology", "rural"])
    linear = ss.debias(formula, study.samples, study.humans, study.covariates)
    linear = linear.predict().set_index("id")["prediction"].loc[belief.index]
    mse = {name: float(((belief - values) ** 2).mean()) for name, values in
           {"latent": latent, "best": best, "linear": linear}.items()}
    assert mse["latent"] < mse["best"] < mse["linear"], mse

"""The fidelity report's axes on the bundled simulated study."""

import numpy as np
import pytest

import synthsurvey as ss
from synthsurvey.evaluation import metrics
from synthsurvey.evaluation.axes import pmf
from synthsurvey.evaluation.fidelity import fidelity
from synthsurvey.models.crossfit import fold_assignment

COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]


@pytest.fixture(scope="module")
def fits(study):
    belief = ss.debias(ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES), study.samples, study.pilot,
                       study.covariates, family="ols")
    action = ss.debias(ss.default_formula("action", ss.Scale("binary", (0, 1)), COVARIATES), study.samples,
                       study.pilot, study.covariates, family="logit")
    return belief, action


@pytest.fixture(scope="module")
def report(fits):
    return fidelity(list(fits), formula="belief ~ age + female + C(educ) + ideology + rural",
                    by=["educ", "rural"], coherence=("belief", "action"), replications=4)


def test_human_floor_is_below_the_base_llm_distance(report):
    marginal = report.marginal.set_index(["item", "predictor"])
    for item in ("belief", "action"):
        row = marginal.loc[(item, "base")]
        assert row["floor_wasserstein"] < row["wasserstein"]
        assert row["floor_total_variation"] < row["total_variation"]
    assert marginal.loc[("belief", "debiased"), "wasserstein"] < marginal.loc[("belief", "base"), "wasserstein"]


def test_marginal_axis_compares_with_held_out_answers(report, fits):
    """Source of truth: the fold assignment of the fit (models.crossfit) and the metrics on pmfs,
    recomputed here: the base row is the mean over folds of W1(fold k's answers, the draw shares),
    the floor the mean of W1(fold k's answers, the other folds' answers)."""
    belief = fits[0]
    answers = belief.frame.loc[belief.is_pilot, "response"].to_numpy()
    fold = fold_assignment(len(answers), 5, 0)
    draw_shares = belief.frame[["llm_p1", "llm_p2", "llm_p3", "llm_p4", "llm_p5"]].to_numpy().mean(axis=0)
    levels = [1, 2, 3, 4, 5]
    base = np.mean([metrics.wasserstein(pmf(answers[fold == k], levels), draw_shares) for k in range(5)])
    floor = np.mean([metrics.wasserstein(pmf(answers[fold == k], levels), pmf(answers[fold != k], levels))
                     for k in range(5)])
    row = report.marginal.set_index(["item", "predictor"]).loc[("belief", "base")]
    assert row["wasserstein"] == pytest.approx(base, rel=1e-12)
    assert row["floor_wasserstein"] == pytest.approx(floor, rel=1e-12)
    assert row["variance_ratio"] < 1  # the LLM compresses variance toward the neutral answer


def test_no_method_beats_the_floor_by_construction(report):
    """Before the axis was cross-fitted, the debiased distance was ~30x below the floor (its PPI++
    shares were built from the pilot they were compared with); held out, every method faces the
    held-out fold's noise, so none can be far below the floor."""
    marginal = report.marginal
    assert (marginal["total_variation"] > 0.5 * marginal["floor_total_variation"]).all()
    assert (marginal["wasserstein"] > 0.5 * marginal["floor_wasserstein"]).all()
    # an ols fit has no level probabilities: its scalar row would repeat the debiased one
    assert "scalar" not in set(marginal.loc[marginal["item"] == "belief", "predictor"])


def test_individual_axis_uses_held_out_predictions(report, fits):
    individual = report.individual.set_index(["item", "predictor"])
    assert individual.loc[("belief", "debiased"), "rmse"] < individual.loc[("belief", "base"), "rmse"]
    assert np.isfinite(individual.loc[("action", "debiased"), "rps"])
    assert np.isnan(individual.loc[("belief", "debiased"), "rps"])  # an ols fit gives no level probabilities
    assert individual.loc[("belief", "debiased"), "n"] == fits[0].nobs


def test_subgroups_and_worst_group(report):
    summary = report.subgroup_summary
    assert set(summary["by"]) == {"educ", "rural"}
    groups = report.subgroups
    for row in summary.itertuples():
        rows = groups[(groups["item"] == row.item) & (groups["by"] == row.by) & (groups["predictor"] == row.predictor)]
        assert row.worst_wasserstein == pytest.approx(rows["wasserstein"].max())


def test_coherence_raw_llm_slope_is_weaker_than_humans(report):
    coherence = report.coherence.set_index("answers")
    debiased = "debiased (action predicted, on human belief)"
    assert set(coherence.index) == {"humans", "raw LLM (same draw)", debiased}
    assert coherence.loc["raw LLM (same draw)", "logit_slope"] < coherence.loc["humans", "logit_slope"]
    assert coherence.loc["raw LLM (same draw)", "slope_diff_ci_high"] < 0
    assert coherence.loc[debiased, "n"] == coherence.loc["humans", "n"]  # the same people, individual level


def test_coherence_slopes_are_individual_level_and_paired(fits):
    """Source of truth: statsmodels' logit of the pilot's human action on their human belief, and
    its fractional (binomial GLM) logit of the debiased action model's cross-fitted probability on
    the same beliefs; the difference's CI is centred on the difference."""
    import statsmodels.api as sm

    from synthsurvey.evaluation.axes import coherence_axis

    belief, action = fits
    table = coherence_axis(belief, action).set_index("answers")
    merged = belief.frame.loc[belief.is_pilot, ["id", "response"]].merge(
        action.frame.assign(p=action.predictions("response"))[["id", "response", "p", "is_pilot"]], on="id")
    merged = merged[merged["is_pilot"]]
    x = sm.add_constant(merged["response_x"].to_numpy(dtype=float))
    human = sm.Logit(merged["response_y"].to_numpy(dtype=float), x).fit(disp=0).params[1]
    debiased = sm.GLM(merged["p"].to_numpy(), x, family=sm.families.Binomial()).fit().params[1]
    assert table.loc["humans", "logit_slope"] == pytest.approx(human, rel=1e-6)
    row = table.loc["debiased (action predicted, on human belief)"]
    assert row["logit_slope"] == pytest.approx(debiased, rel=1e-6)
    assert row["slope_diff"] == pytest.approx(debiased - human, rel=1e-5)
    assert (row["slope_diff_ci_high"] + row["slope_diff_ci_low"]) / 2 == pytest.approx(row["slope_diff"])
    assert row["slope_diff_ci_high"] - row["slope_diff_ci_low"] > 0


def test_resampled_metrics_and_errors(report, fits):
    marginal = report.resampled["marginal"].set_index(["item", "predictor"])
    assert {"wasserstein_mean", "wasserstein_sd", "floor_wasserstein_mean"} <= set(marginal.columns)
    assert (marginal["wasserstein_sd"] > 0).all()
    individual = report.resampled["individual"].set_index(["item", "predictor"])
    assert individual.loc[("belief", "debiased"), "rmse_mean"] < individual.loc[("belief", "base"), "rmse_mean"]
    assert individual.loc[("belief", "debiased"), "n_mean"] == pytest.approx(round(0.8 * fits[0].nobs))
    assert set(report.resampled["structural"]["estimator"]) >= {"human pilot", "LLM draw mean"}
    assert "resampled_marginal" in report.tables()
    with pytest.raises(ss.SynthsurveyError, match="none of the fits debiases"):
        fidelity(fits[0], formula="trust ~ age")
    with pytest.raises(ss.SynthsurveyError, match="binary action item"):
        fidelity(list(fits), coherence=("action", "belief"))


def test_subgroups_are_cross_fitted_with_their_own_floor(report):
    """Held out within each group, as the marginal axis: the floor is a row, and the debiased
    distance is never a small fraction of it (before, the PPI++ group shares were compared with
    the answers they were built from)."""
    groups = report.subgroups.set_index(["item", "by", "group", "predictor"])["wasserstein"]
    floor = groups.xs("human floor (pilot alone)", level="predictor")
    debiased = groups.xs("debiased", level="predictor")
    assert (debiased > 0.5 * floor[debiased.index]).all()

"""Coverage of 95% intervals for population means, shares and OLS coefficients, by
simulation on a fixed finite population with repeated random pilots (source of truth: the
nominal level; tolerance: 3 Monte-Carlo standard errors, see worlds.tolerance).

Fast tier: 120 replications. Slow tier (marker ``slow``): 500 replications. Coverage alone
cannot catch a standard error that is too large (100% coverage passes a tolerance of 0.06), so
each tier also checks the mean reported standard error against the Monte-Carlo standard
deviation of the estimates over the same pilots (source of truth: that SD; with R replications
it is known to about 1/sqrt(2(R - 1)), 6.5% at R = 120; the check allows a ratio in [0.75, 1.33],
which an SE off by a factor of 2 fails). The median is a discrete statistic on 5 levels: its
interval may be conservative, so only a lower bound is checked.
"""

import numpy as np
import pytest

from .worlds import COVARIATES, World, covered, population_ols_truth, run, tolerance

import synthsurvey as ss

FULL = ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES)
ANALYST = "belief ~ age + female + C(educ) + ideology + rural"


@pytest.fixture(scope="module")
def world():
    return World()


def coverage_study(world, replications, seed, n_pilot=200):
    truth_answers = world.truth("belief")
    truth_mean = truth_answers.mean()
    truth_shares = np.array([(truth_answers == k).mean() for k in range(1, 6)])
    truth_coef = population_ols_truth(world, ANALYST)

    def one(rng):
        fit = world.fit(FULL, world.pilot(rng, n_pilot))
        mean = ss.population_mean(fit).table()
        classical = ss.population_mean(fit, method="classical").table()
        shares = ss.population_shares(fit).table()
        coef = ss.population_ols(fit, ANALYST).table().set_index("term").loc[truth_coef.index].reset_index()
        median = ss.population_quantile(fit, 0.5).table()
        return {
            "mean": covered(mean, truth_mean)[0],
            "mean_estimate": mean["estimate"][0], "mean_se": mean["std_error"][0],
            "share_estimate": shares["estimate"].to_numpy(), "share_se": shares["std_error"].to_numpy(),
            "coef_estimate": coef["estimate"].to_numpy(), "coef_se": coef["std_error"].to_numpy(),
            "median": covered(median, np.median(truth_answers))[0],
            "mean_error": abs(mean["estimate"][0] - truth_mean),
            "width_ratio": (mean["ci_high"] - mean["ci_low"])[0] / (classical["ci_high"] - classical["ci_low"])[0],
            "shares": covered(shares, truth_shares),
            "share_sum": shares["estimate"].sum(),
            "coef": covered(coef, truth_coef.to_numpy()),
        }

    return run(replications, seed, one)


def check(results, replications):
    allowed = tolerance(replications)
    assert abs(results["mean"].mean() - 0.95) <= allowed, results["mean"].mean()
    per_level = results["shares"].mean(axis=0)
    assert np.all(np.abs(per_level - 0.95) <= allowed), per_level
    per_coef = results["coef"].mean(axis=0)
    assert np.all(np.abs(per_coef - 0.95) <= allowed), per_coef
    np.testing.assert_allclose(results["share_sum"], 1.0, atol=1e-10)
    for name in ("mean", "share", "coef"):
        ratio = results[f"{name}_se"].mean(axis=0) / results[f"{name}_estimate"].std(axis=0, ddof=1)
        assert np.all((0.75 < ratio) & (ratio < 1.33)), (name, ratio)
    assert results["median"].mean() >= 0.95 - allowed, results["median"].mean()
    # narrower than the pilot alone on this world, where the LLM carries signal
    assert np.median(results["width_ratio"]) < 0.9


def test_coverage_fast_tier(world):
    check(coverage_study(world, 120, seed=1), 120)


@pytest.mark.slow
def test_coverage_slow_tier(world):
    check(coverage_study(world, 500, seed=2), 500)


def test_without_cross_fitting_a_flexible_model_undercovers(world):
    """A model with many terms on a small pilot fits its own noise: in-sample residuals
    understate the error, so the interval built from them is too short. Cross-fitting
    restores the nominal level on the same pilots."""
    flexible = ("belief ~ (llm_mean + llm_sd + llm_p1 + llm_p5 + llm_entropy) * (female + rural)"
                " + C(educ) * llm_mean + C(ideology) + age")
    truth = world.truth("belief").mean()
    replications, n_pilot = 150, 70

    def one(rng):
        fit = world.fit(flexible, world.pilot(rng, n_pilot))
        return {
            "crossfit": covered(ss.population_mean(fit).table(), truth)[0],
            "insample": covered(ss.population_mean(fit, cross_fit=False).table(), truth)[0],
        }

    results = run(replications, 3, one)
    allowed = tolerance(replications)
    assert results["insample"].mean() < 0.95 - allowed, results["insample"].mean()
    assert results["crossfit"].mean() >= 0.95 - allowed, results["crossfit"].mean()

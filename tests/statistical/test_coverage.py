"""Coverage of 95% intervals for population means, shares and OLS coefficients, by
simulation on a fixed finite population with repeated random pilots (source of truth: the
nominal level; tolerance: 3 Monte-Carlo standard errors, see worlds.tolerance).

Fast tier: 120 replications. Slow tier (marker ``slow``): 500 replications.
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
        mean = fit.population_mean().table()
        classical = fit.population_mean(method="classical").table()
        shares = fit.population_shares().table()
        coef = ss.population_ols(ANALYST, fit).table().set_index("term")
        return {
            "mean": covered(mean, truth_mean)[0],
            "mean_error": abs(mean["estimate"][0] - truth_mean),
            "width_ratio": (mean["ci_high"] - mean["ci_low"])[0] / (classical["ci_high"] - classical["ci_low"])[0],
            "shares": covered(shares, truth_shares),
            "share_sum": shares["estimate"].sum(),
            "coef": covered(coef.loc[truth_coef.index].reset_index(), truth_coef.to_numpy()),
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
            "crossfit": covered(fit.population_mean().table(), truth)[0],
            "insample": covered(fit.population_mean(cross_fit=False).table(), truth)[0],
        }

    results = run(replications, 3, one)
    allowed = tolerance(replications)
    assert results["insample"].mean() < 0.95 - allowed, results["insample"].mean()
    assert results["crossfit"].mean() >= 0.95 - allowed, results["crossfit"].mean()

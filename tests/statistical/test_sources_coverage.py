"""Coverage with several LLM sources, by simulation on a fixed three-source population with
repeated random pilots (``sources_world``; source of truth: the nominal level, tolerance 3
Monte-Carlo SEs, and the Monte-Carlo SD of the estimates for the mean reported SE, as in
test_coverage.py):

* a fine-tuned source tuned on half of each pilot: ignoring the declaration undercovers (its
  predictions of the tuned people repeat their answers, so the residuals that size the interval
  are too small); declaring ``tuned_on`` keeps the nominal level with the untouched half;
* the combined debiaser (``llm_auto`` of every source, one cross-fitted regression) covers the
  population mean (within Monte-Carlo error of 95%) and the analyst's OLS coefficients (at least
  95% within Monte-Carlo error: conservative, see ``check_combined``);
* slow tier: the combination of the sources that keep the whole pilot is at most 1.01x as wide as
  the best single source (paired over the same pilots).
"""

import numpy as np
import pytest

import synthsurvey as ss

from .sources_world import ANALYST, COVARIATES, SourcesWorld
from .worlds import covered, population_ols_truth, run, tolerance

COMBINED = f"belief ~ llm_auto[base] + llm_auto[persona] + llm_auto[finetuned] + {COVARIATES}"
N_PILOT = 250


@pytest.fixture(scope="module")
def world():
    return SourcesWorld()


def se_ratio(results, name):
    return results[f"{name}_se"].mean(axis=0) / results[f"{name}_estimate"].std(axis=0, ddof=1)


def test_ignoring_tuned_on_undercovers_and_declaring_it_covers(world):
    truth = world.truth().mean()
    formula = f"belief ~ llm_mean + llm_sd + {COVARIATES}"

    def one(rng):
        pilot, tuned, features = world.replication(rng, N_PILOT)
        out = {}
        for name, tuned_on in (("ignored", None), ("declared", {"finetuned": tuned})):
            mean = ss.population_mean(world.fit(formula, pilot, features, source="finetuned",
                                                tuned_on=tuned_on)).table()
            out.update({name: covered(mean, truth)[0], f"{name}_estimate": mean["estimate"][0],
                        f"{name}_se": mean["std_error"][0]})
        return out

    replications = 120
    results = run(replications, 11, one)
    allowed = tolerance(replications)
    assert results["ignored"].mean() < 0.95 - allowed, results["ignored"].mean()
    assert se_ratio(results, "ignored") < 0.8  # the interval is sized from residuals the tuning shrank
    assert abs(results["declared"].mean() - 0.95) <= allowed, results["declared"].mean()
    assert 0.75 < se_ratio(results, "declared") < 1.33


def combined_study(world, replications, seed, widths=0):
    """Coverage of the combined debiaser over ``replications`` pilots; in the first ``widths`` of
    them also the mean's CI width of each source alone and of the untuned sources combined."""
    truth_mean = world.truth().mean()
    truth_coef = population_ols_truth(world, ANALYST)

    count = iter(range(replications))

    def one(rng):
        pilot, tuned, features = world.replication(rng, N_PILOT)
        declared = {"finetuned": tuned}
        fit = world.fit(COMBINED, pilot, features, tuned_on=declared)
        mean = ss.population_mean(fit).table()
        coef = ss.population_ols(fit, ANALYST).table().set_index("term").loc[truth_coef.index].reset_index()
        out = {"mean": covered(mean, truth_mean)[0], "mean_estimate": mean["estimate"][0],
               "mean_se": mean["std_error"][0], "coef": covered(coef, truth_coef.to_numpy()),
               "coef_estimate": coef["estimate"].to_numpy(), "coef_se": coef["std_error"].to_numpy()}
        if next(count) < widths:
            for name, formula, source in (("base", None, "base"), ("persona", None, "persona"),
                                          ("finetuned", None, "finetuned"),
                                          ("untuned", "belief ~ llm_auto[base] + llm_auto[persona]", None)):
                formula = (formula or "belief ~ llm_auto") + f" + {COVARIATES}"
                table = ss.population_mean(world.fit(formula, pilot, features, source=source,
                                                     tuned_on=declared)).table()
                out[f"width_{name}"] = float(table["ci_high"][0] - table["ci_low"][0])
            out["width_combined"] = float(mean["ci_high"][0] - mean["ci_low"][0])
        elif widths:
            out.update({f"width_{name}": np.nan for name in ("base", "persona", "finetuned", "untuned", "combined")})
        return out

    return run(replications, seed, one)


def check_combined(results, replications):
    allowed = tolerance(replications)
    assert abs(results["mean"].mean() - 0.95) <= allowed, results["mean"].mean()
    # the coefficients may be conservative, not anti-conservative: the tuned half's predictions of
    # its own people are nearly their answers, so the estimator varies less than the design-based
    # variance of the untouched half (which knows nothing of that) says; the SE ratio band below
    # still fails an SE off by a factor of 2 (measured over 60 pilots: ratios 0.97 to 1.26)
    per_coef = results["coef"].mean(axis=0)
    assert np.all(per_coef >= 0.95 - allowed), per_coef
    for name in ("mean", "coef"):
        ratio = se_ratio(results, name)
        assert np.all((0.75 < ratio) & (ratio < 1.33)), (name, ratio)


def test_combined_debiaser_covers_fast_tier(world):
    check_combined(combined_study(world, 100, seed=12), 100)


@pytest.mark.slow
def test_combined_debiaser_covers_and_is_no_wider_than_the_best_source_slow_tier(world):
    replications = 300
    results = combined_study(world, replications, seed=13, widths=80)
    check_combined(results, replications)
    singles = {name: np.nanmean(results[f"width_{name}"]) for name in ("base", "persona", "finetuned")}
    best = min(singles.values())
    assert np.nanmean(results["width_untuned"]) <= 1.01 * best, (np.nanmean(results["width_untuned"]), singles)

"""Coverage with several LLM sources, by simulation on a fixed three-source population with
repeated random pilots (``sources_world``; source of truth: the nominal level, tolerance 3
Monte-Carlo SEs, and the Monte-Carlo SD of the estimates for the mean reported SE, as in
test_coverage.py):

* a fine-tuned source tuned on half of each pilot: ignoring the declaration undercovers (its
  predictions of the tuned people repeat their answers, so the residuals that size the interval
  are too small); declaring ``tuned_on`` keeps the nominal level with the untouched half;
* the combined debiaser (``llm_auto`` of every source, one cross-fitted regression, stacked over
  the tuned source: ``inference.tuned``) covers the population mean and the analyst's OLS
  coefficients (within Monte-Carlo error of 95%), with SEs that match the estimates' spread;
* slow tier: the combined debiaser's interval is at most 1.01x as wide as the best single source's
  (each source alone, the tuned one stacked too; paired over the same pilots), and so is the
  combination of the sources that keep the whole pilot.
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
                single = world.fit(formula, pilot, features, source=source, tuned_on=declared)
                table = ss.population_mean(single).table()
                out[f"width_{name}"] = float(table["ci_high"][0] - table["ci_low"][0])
                ols = ss.population_ols(single, ANALYST).table().set_index("term").loc[truth_coef.index]
                out[f"coef_se_{name}"] = ols["std_error"].to_numpy()
            out["width_combined"] = float(mean["ci_high"][0] - mean["ci_low"][0])
            out["coef_se_combined"] = coef["std_error"].to_numpy()
        elif widths:
            out.update({f"width_{name}": np.nan for name in ("base", "persona", "finetuned", "untuned", "combined")})
            out.update({f"coef_se_{name}": np.full(len(truth_coef), np.nan)
                        for name in ("base", "persona", "finetuned", "untuned", "combined")})
        return out

    return run(replications, seed, one)


def check_combined(results, replications):
    allowed = tolerance(replications)
    assert abs(results["mean"].mean() - 0.95) <= allowed, results["mean"].mean()
    per_coef = results["coef"].mean(axis=0)
    assert np.all(np.abs(per_coef - 0.95) <= allowed), per_coef
    # all coefficients together: 8 x replications intervals (correlated, so the tolerance is loose)
    assert abs(per_coef.mean() - 0.95) <= allowed, per_coef.mean()
    for name in ("mean", "coef"):
        ratio = se_ratio(results, name)
        assert np.all((0.75 < ratio) & (ratio < 1.33)), (name, ratio)


def test_combined_debiaser_covers_fast_tier(world):
    check_combined(combined_study(world, 60, seed=12), 60)


@pytest.mark.slow
def test_combined_debiaser_covers_and_is_no_wider_than_the_best_source_slow_tier(world):
    replications = 200  # each replication fits the combined debiaser and its untuned companion
    results = combined_study(world, replications, seed=13, widths=60)
    check_combined(results, replications)
    singles = {name: np.nanmean(results[f"width_{name}"]) for name in ("base", "persona", "finetuned")}
    best = min(singles.values())
    for name in ("combined", "untuned"):
        assert np.nanmean(results[f"width_{name}"]) <= 1.01 * best, (name, np.nanmean(results[f"width_{name}"]), singles)
    # the analyst's OLS coefficients too, coefficient by coefficient (measured over 80 pilots: 0.91-0.94x)
    coef_se = {name: np.nanmean(results[f"coef_se_{name}"], axis=0) for name in ("base", "persona", "finetuned")}
    best_coef = np.min(np.vstack(list(coef_se.values())), axis=0)
    ratio = np.nanmean(results["coef_se_combined"], axis=0) / best_coef
    assert np.all(ratio <= 1.01), ratio

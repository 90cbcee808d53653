"""Coverage of 95% intervals under each pilot design, by simulation on fixed finite populations
with repeated pilots drawn by the design (source of truth: the nominal level; tolerance: 3
Monte-Carlo standard errors, worlds.tolerance; and, so that an interval too wide cannot pass, the
mean reported standard error against the Monte-Carlo SD of the estimates over the same pilots,
in [0.75, 1.33] as in test_coverage.py).

Designs: whole respondents of a multi-row world (cluster-robust intervals hold where row-level
ones undercover); a stratified pilot with disproportionate allocation; unequal inclusion
probabilities with heavy weights (largest 81x the smallest, Poisson sampling); simple random
pilots of 30 (shares and logit coefficients conservative there); a subgroup of ~14 pilot rows (a
domain, t on its own df); pilots planned by ss.design_pilot in a world where human-LLM
disagreement grows with the draws' spread (beside simple random pilots: narrower, every named
group present). Estimates: means, shares, OLS and logit coefficients, a subgroup mean, PPI++
(the default) unless said otherwise.

Fast tier: 80 replications per design, coverage averaged over each estimate's terms (a share per
level, a coefficient per term: the average is no noisier than one term, so one term's tolerance
holds); slow tier (marker ``slow``): 300 replications, every term on its own.
"""

import numpy as np
import pytest
import statsmodels.api as sm

import synthsurvey as ss

from .design_worlds import ClusteredWorld, SpreadWorld, heavy_probabilities, poisson_pilot, stratified_pilot
from .worlds import World, covered, population_ols_truth, run, tolerance

ANALYST = "belief ~ age + ideology + rural"
LOGIT = "action ~ ideology + rural"
DEBIAS = "belief ~ llm_mean + llm_sd + ideology + rural"
ACTION = "action ~ llm_mean + ideology"


@pytest.fixture(scope="module")
def world():
    return World()


@pytest.fixture(scope="module")
def clustered():
    return ClusteredWorld()


def _se_ratio(results, name):
    return results[f"{name}_se"].mean(axis=0) / results[f"{name}_estimate"].std(axis=0, ddof=1)


def check(results, replications, names, per_term=False):
    """Coverage within 3 Monte-Carlo SEs of 0.95 for every ``names`` entry (averaged over its terms,
    or ``per_term``) and a mean SE within [0.75, 1.33] of the Monte-Carlo SD for every term."""
    allowed = tolerance(replications)
    for name in names:
        coverage = np.atleast_1d(results[f"{name}_covered"].mean(axis=0))
        coverage = coverage if per_term else coverage.mean(keepdims=True)
        assert np.all(np.abs(coverage - 0.95) <= allowed), (name, coverage)
        ratio = np.atleast_1d(_se_ratio(results, name))
        assert np.all((0.75 < ratio) & (ratio < 1.33)), (name, ratio)


def _record(results, name, table, truth):
    results[f"{name}_covered"] = covered(table, truth)
    results[f"{name}_estimate"] = table["estimate"].to_numpy()
    results[f"{name}_se"] = table["std_error"].to_numpy()


def _world_truths(world):
    answers = world.truth("belief")
    frame = world.covariates.merge(world.humans[world.humans["item"] == "action"], on="id")
    logit = sm.Logit(frame["response"], sm.add_constant(frame[["ideology", "rural"]])).fit(disp=0).params
    return {"mean": answers.mean(), "shares": np.array([(answers == k).mean() for k in range(1, 6)]),
            "ols": population_ols_truth(world, ANALYST).to_numpy(), "logit": logit.to_numpy()}


def _world_study(world, replications, seed, draw, design=None, covariates=None):
    """Mean, shares, OLS, logit under ``design`` for pilots drawn by ``draw(rng)``."""
    truth = _world_truths(world)
    covariates = world.covariates if covariates is None else covariates

    def fit(formula, pilot, family="ols"):
        return ss.debias(formula, None, pilot, covariates, family=family, scales=world.scales,
                         features=world.features, design=design)

    def one(rng):
        pilot = draw(rng)
        belief, action = fit(DEBIAS, pilot), fit(ACTION, pilot, "logit")
        results = {}
        _record(results, "mean", ss.population_mean(belief).table(), truth["mean"])
        _record(results, "shares", ss.population_shares(belief).table(), truth["shares"])
        _record(results, "ols", ss.population_ols(belief, ANALYST).table(), truth["ols"])
        _record(results, "logit", ss.population_logit(action, LOGIT).table(), truth["logit"])
        return results

    return run(replications, seed, one)


def _clustered_study(clustered, replications, seed, n_respondents=30):
    truth, coefficients = clustered.truth("rating"), clustered.coefficients("rating")
    logit, choice_share = clustered.coefficients("choice", "logit"), clustered.truth("choice").mean()
    subgroup = truth[clustered.covariates["a1"] == 1].mean()
    design = ss.Design(cluster="respondent")

    def one(rng):
        pilot = clustered.pilot(rng, n_respondents)
        rating = clustered.fit("rating ~ llm_mean + a1 + a2", pilot, design=design)
        choice = clustered.fit("choice ~ llm_mean + a1 + a2", pilot, "logit", design)
        rows = rating.with_design(ss.Design())  # the same fit, rows treated as independent
        results = {}
        _record(results, "mean", ss.population_mean(rating).table(), truth.mean())
        _record(results, "row_mean", ss.population_mean(rows).table(), truth.mean())
        _record(results, "share", ss.population_mean(choice).table(), choice_share)
        _record(results, "ols", ss.population_ols(rating, "rating ~ a1 + a2").table(), coefficients)
        _record(results, "row_ols", ss.population_ols(rows, "rating ~ a1 + a2").table(), coefficients)
        _record(results, "logit", ss.population_logit(choice, "choice ~ a1 + a2").table(), logit)
        _record(results, "subgroup", ss.population_mean(rating, by="a1").table().iloc[[1]], subgroup)
        return results

    return run(replications, seed, one)


def check_clustered(results, replications, per_term=False):
    check(results, replications, ["mean", "share", "ols", "logit", "subgroup"], per_term)
    # the same pilots with rows treated as independent: the intervals are too short (the mean's by
    # far; the a1 effect's, which varies by respondent, by less: checked in the slow tier)
    for name, term in (("row_mean", 0), ("row_ols", 1))[:2 if per_term else 1]:
        assert results[f"{name}_covered"][:, term].mean() < 0.95 - tolerance(replications), name
        assert np.atleast_1d(_se_ratio(results, name))[term] < 0.8, name


def _stratified_draw(world):
    sizes = {1: 40, 2: 40, 3: 40, 4: 80}  # educ 4 (17% of people) oversampled
    return lambda rng: stratified_pilot(world, rng, "educ", sizes)


def _heavy_draw(world, probs):
    return lambda rng: poisson_pilot(world, rng, probs)


def _heavy_covariates(world):
    """Inclusion probabilities rising 81-fold with ideology (so the weights matter for belief)."""
    probs = heavy_probabilities(world.covariates["ideology"] + 0.01 * world.covariates["age"], 200)
    return world.covariates.assign(pi=probs), probs


def _small_study(world, replications, seed, n_pilot=30, domain=None):
    """Simple random pilots of ``n_pilot``: mean, shares, OLS and logit coefficients (NaN where the
    logit's pilot is separated: a clear error, counted), and (``domain``) a subgroup mean."""
    truth = _world_truths(world)
    answers = world.truth("belief")
    educ, rural = domain or (3, 1)
    inside = ((world.covariates["educ"] == educ) & (world.covariates["rural"] == rural)).to_numpy()
    subgroup_truth = answers[inside].mean()

    def one(rng):
        pilot = world.pilot(rng, n_pilot)
        belief = world.fit("belief ~ llm_mean + ideology", pilot)
        results = {}
        _record(results, "mean", ss.population_mean(belief).table(), truth["mean"])
        _record(results, "ols", ss.population_ols(belief, "belief ~ ideology + rural").table(),
                population_ols_truth(world, "belief ~ ideology + rural").to_numpy())
        if not domain:
            _record(results, "shares", ss.population_shares(belief).table(), truth["shares"])
            try:
                logit = ss.population_logit(world.fit(ACTION, pilot, "logit"), LOGIT).table()
                _record(results, "logit", logit, truth["logit"])
                results["logit_covered"] = results["logit_covered"].astype(float)
            except ss.SynthsurveyError:  # separation in a pilot of 30
                for part in ("covered", "estimate", "se"):
                    results[f"logit_{part}"] = np.full(len(truth["logit"]), np.nan)
        if domain:
            table = ss.population_mean(belief, by=["educ", "rural"]).table()
            row = table[(table["educ"] == educ) & (table["rural"] == rural)]
            results["subgroup_covered"] = bool(covered(row, subgroup_truth)[0]) if len(row) and not row["flag"].iloc[0] \
                else np.nan
        return results

    return run(replications, seed, one)


def _planned_study(replications, seed, n_pilot=200):
    """Pilots planned by ss.design_pilot (strata: a small group x spread bands) beside simple random
    pilots of the same size, in a world where human-LLM disagreement grows with the draws' spread.
    The guard is loosened to 10% (the default 2% allows each stratum to give up only ~4% of its
    share: a ~1% gain here, benchmarks/inference.py) so that the gain shows beyond the noise."""
    world = SpreadWorld()
    plan = ss.design_pilot(world.samples, world.covariates, n_pilot, "y", by="group", scales=world.scales,
                           max_widening=0.10)
    truth = world.truth()

    def one(rng):
        recruit = plan.draw(int(rng.integers(1 << 30)))
        planned = ss.population_mean(world.fit(recruit["id"], plan.covariates, plan.design)).table()
        simple = ss.population_mean(world.fit(rng.choice(world.covariates["id"], n_pilot, replace=False))).table()
        results = {"smallest_group": recruit.merge(world.covariates, on="id")["group"].value_counts().min()}
        _record(results, "mean", planned, truth)
        results["width_ratio"] = (planned["ci_high"] - planned["ci_low"])[0] / (simple["ci_high"] - simple["ci_low"])[0]
        return results

    return run(replications, seed, one)


def check_planned(results, replications):
    check(results, replications, ["mean"])
    assert results["smallest_group"].min() >= 10  # every named group present, at its minimum
    assert np.mean(results["width_ratio"]) < 0.97, np.mean(results["width_ratio"])  # narrower: spreads differ


# fast tier -------------------------------------------------------------------------------

def test_planned_pilots_fast_tier():
    check_planned(_planned_study(60, 15), 60)


def test_clustered_pilot_fast_tier(clustered):
    check_clustered(_clustered_study(clustered, 80, seed=11), 80)


def test_stratified_pilot_fast_tier(world):
    results = _world_study(world, 80, 12, _stratified_draw(world), ss.Design(strata="educ"))
    check(results, 80, ["mean", "shares", "ols", "logit"])


def test_heavy_weights_fast_tier(world):
    covariates, probs = _heavy_covariates(world)
    results = _world_study(world, 80, 13, _heavy_draw(world, probs), ss.Design(probs="pi"), covariates)
    check(results, 80, ["mean", "shares", "ols", "logit"])


def check_small(results, replications, per_term=False):
    """Pilots of 30: mean and OLS within tolerance; shares and logit coefficients at least nominal
    within tolerance (conservative: a share of 30 answers is a discrete statistic, and the logit's
    HC3 correction is strong at n = 30; measured over 300 pilots: shares 0.96-0.98, logit
    0.96-0.99), with the mean SE no more than 1.5x the Monte-Carlo spread of the estimates (an
    SD from their interquartile range: at n = 30 a few nearly separated pilots give a binary
    term's logit slope values far out that dominate the plain SD); few separated logit pilots."""
    check(results, replications, ["mean", "ols"], per_term)
    allowed = tolerance(replications)
    for name in ("shares", "logit"):
        coverage = np.nanmean(results[f"{name}_covered"], axis=0)
        coverage = coverage if per_term else coverage.mean(keepdims=True)
        assert np.all(coverage >= 0.95 - allowed), (name, coverage)
        quartiles = np.nanpercentile(results[f"{name}_estimate"], [25, 75], axis=0)
        ratio = np.nanmedian(results[f"{name}_se"], axis=0) / ((quartiles[1] - quartiles[0]) / 1.349)
        assert np.all((0.75 < ratio) & (ratio < 1.5)), (name, ratio)
    assert np.isnan(results["logit_covered"][:, 0]).mean() < 0.05


def test_pilots_of_30_fast_tier(world):
    check_small(_small_study(world, 80, 14), 80)


# slow tier -------------------------------------------------------------------------------

@pytest.mark.slow
def test_planned_pilots_slow_tier():
    check_planned(_planned_study(300, 26), 300)


@pytest.mark.slow
def test_clustered_pilot_slow_tier(clustered):
    check_clustered(_clustered_study(clustered, 300, seed=21), 300, per_term=True)


@pytest.mark.slow
def test_stratified_pilot_slow_tier(world):
    results = _world_study(world, 300, 22, _stratified_draw(world), ss.Design(strata="educ"))
    check(results, 300, ["mean", "shares", "ols", "logit"], per_term=True)


@pytest.mark.slow
def test_heavy_weights_slow_tier(world):
    """Every term on its own. What rests on the most heavily weighted people (low ideology, the
    smallest inclusion probabilities) is where intervals are weakest: the share of level 1 covered
    0.893 with Wald intervals (svymean's; the pilot alone 0.880) and 0.913 on the logit scale (the
    default, svyciprop's), the logit's intercept and ideology slope 0.913-0.917 with HC2 (svyglm's
    own sandwich 0.907) and 0.930-0.933 with HC3 (the default) over these 300 pilots."""
    covariates, probs = _heavy_covariates(world)
    results = _world_study(world, 300, 23, _heavy_draw(world, probs), ss.Design(probs="pi"), covariates)
    check(results, 300, ["mean", "shares", "ols", "logit"], per_term=True)


@pytest.mark.slow
def test_pilots_of_30_and_a_subgroup_of_14_slow_tier(world):
    results = _small_study(world, 300, 24)
    check_small(results, 300, per_term=True)
    groups = _small_study(world, 300, 25, n_pilot=200, domain=(3, 1))["subgroup_covered"]
    shown = groups[~np.isnan(groups)]
    assert len(shown) > 250  # ~14 pilot rows on average: few groups fall under min_pilot=10
    assert abs(shown.mean() - 0.95) <= tolerance(len(shown)), shown.mean()

"""The interval choices for heavy weights (issue 15), measured: on the heavy-weights world of the
design coverage tests (``tests/statistical/test_design_coverage.py``: Poisson pilots of ~200,
inclusion probabilities 81 times apart, the slow tier's seed 23), the coverage of 95% intervals
over REPLICATIONS pilots of

* the logit coefficients of ``action ~ ideology + rural`` with the HC2 and the HC3 leverage
  correction (HC3 is the default; ``leverage=False`` would be svyglm's own sandwich);
* the population shares of ``belief`` with Wald intervals (svymean's) and logit-scale intervals
  (svyciprop's, the default),

each for PPI++ and the pilot alone (method="classical"). Monte-Carlo SE of a coverage near 0.95:
sqrt(0.95 * 0.05 / REPLICATIONS).
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import scipy.special
import scipy.stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import synthsurvey as ss  # noqa: E402
from synthsurvey.inference import regression  # noqa: E402
from tests.statistical import test_design_coverage as coverage  # noqa: E402
from tests.statistical.worlds import World, run  # noqa: E402

REPLICATIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
LEVERAGE_SCALE = regression.leverage_scale  # 1 / sqrt(1 - h); the logit squares it (HC3)


def hc2(weights, x, inv_hessian, leverage):
    """A scale whose square (what the logit uses) is HC2's 1 / sqrt(1 - h_ii)."""
    return np.sqrt(LEVERAGE_SCALE(weights, x, inv_hessian, leverage))


def covered(estimate, std_error, df, truth, logit=False):
    q = scipy.stats.t.ppf(0.975, df)
    if not logit:
        return np.abs(estimate - truth) <= q * std_error
    inside = (estimate > 0) & (estimate < 1)
    centre = scipy.special.logit(np.clip(estimate, 1e-12, 1 - 1e-12))
    half = q * std_error / np.where(inside, estimate * (1 - estimate), 1.0)
    low = np.where(inside, scipy.special.expit(centre - half), estimate - q * std_error)
    high = np.where(inside, scipy.special.expit(centre + half), estimate + q * std_error)
    return (low <= truth) & (truth <= high)


def main():
    warnings.filterwarnings("ignore")
    world = World()
    truth = coverage._world_truths(world)
    covariates, probs = coverage._heavy_covariates(world)
    draw = coverage._heavy_draw(world, probs)

    def fit(formula, pilot, family="ols"):
        return ss.debias(formula, None, pilot, covariates, family=family, scales=world.scales,
                         features=world.features, design=ss.Design(probs="pi"))

    def one(rng):
        pilot = draw(rng)
        action, belief = fit(coverage.ACTION, pilot, "logit"), fit(coverage.DEBIAS, pilot)
        out = {}
        for method in ("ppi++", "classical"):
            for name, scale in (("HC2", hc2), ("HC3", LEVERAGE_SCALE)):
                regression.leverage_scale = scale
                try:
                    table = ss.population_logit(action, coverage.LOGIT, method=method).table()
                finally:
                    regression.leverage_scale = LEVERAGE_SCALE
                out[f"logit {name} {method}"] = covered(table["estimate"], table["std_error"], table["df"],
                                                        truth["logit"])
            shares = ss.population_shares(belief, method=method).table()
            for name, logit in (("Wald", False), ("logit-scale", True)):
                out[f"shares {name} {method}"] = covered(shares["estimate"], shares["std_error"], shares["df"],
                                                         truth["shares"], logit)
        return out

    results = run(REPLICATIONS, 23, one)
    print(f"{REPLICATIONS} pilots; coverage Monte-Carlo SE {np.sqrt(0.95 * 0.05 / REPLICATIONS):.3f}")
    for name, values in results.items():
        print(f"{name:28s}", np.round(values.mean(axis=0), 3))


if __name__ == "__main__":
    main()

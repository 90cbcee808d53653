"""Seeded finite populations and repeated random pilots for coverage simulations.

Each replication draws a simple random pilot of ``n_pilot`` people from a fixed population
of N whose human answers are all known, fits the debiasing model on the pilot, and checks
whether the interval covers the finite-population truth. Monte-Carlo tolerance: a coverage
estimate from R replications has standard error sqrt(p (1 - p) / R); tests allow 3 of them.
"""

import numpy as np

import synthsurvey as ss
from synthsurvey.io.simulate import simulate_study

COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]


def tolerance(replications, level=0.95):
    """Three Monte-Carlo standard errors of a coverage estimate at nominal ``level``."""
    return 3 * np.sqrt(level * (1 - level) / replications)


class World:
    """A fixed population (the simulated study's design with ``n_people`` people) and its truth."""

    def __init__(self, n_people=2000, n_draws=10, seed=101):
        study = simulate_study(n_people=n_people, n_draws=n_draws, n_pilot=10, seed=seed)
        self.samples = study.samples
        self.covariates = study.covariates
        self.humans = study.humans
        self.features = ss.features(study.samples)
        self.scales = {"belief": [1, 2, 3, 4, 5], "action": [0, 1]}

    def truth(self, item):
        return self.humans.loc[self.humans["item"] == item, "response"].to_numpy(dtype=float)

    def pilot(self, rng, n_pilot):
        ids = rng.choice(self.covariates["id"].to_numpy(), n_pilot, replace=False)
        return self.humans[self.humans["id"].isin(ids)]

    def fit(self, formula, pilot, family="ols"):
        return ss.debias(formula, None, pilot, self.covariates, family=family, scales=self.scales,
                         features=self.features)


def population_ols_truth(world, formula):
    """The OLS coefficients of ``formula`` fit on every person's human answer."""
    import statsmodels.formula.api as smf

    item = formula.split("~")[0].strip()
    frame = world.covariates.merge(world.humans[world.humans["item"] == item], on="id")
    return smf.ols(formula.replace(item, "response", 1), frame).fit().params


def covered(table, truth):
    """Boolean per row: truth within [ci_low, ci_high]."""
    return ((table["ci_low"].to_numpy() <= truth) & (truth <= table["ci_high"].to_numpy()))


def run(replications, seed, one_replication):
    """Stack the per-replication outputs (dicts of arrays) of ``one_replication(rng)``."""
    rng = np.random.default_rng(seed)
    rows = [one_replication(rng) for _ in range(replications)]
    return {key: np.array([row[key] for row in rows]) for key in rows[0]}

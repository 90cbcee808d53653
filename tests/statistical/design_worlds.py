"""Seeded worlds and pilot draws for the design coverage simulations.

``ClusteredWorld``: respondents with several rows each, as conjoint tasks give them: R respondents
x T tasks, each task a profile with two attributes (a1 in {0, 1}, a2 standard normal). A
respondent's trait u (sd 1) moves all of their answers and their own taste v (sd 1) the effect
of a1: the human rating is y = 1 + (0.5 + v) a1 + 0.4 a2 + u + e (e sd 1) and the choice
b = 1[y + logistic noise > 1.5]. Each task has LLM draws (10) around an attenuated version,
0.9 + 0.25 a1 + 0.2 a2 + 0.3 u + noise, and binary draws from the matching logistic, so the
LLM knows a little of the trait and nothing of the taste: the pilot's residuals stay correlated
within respondents, and row-level standard errors are too small (as for the AMCEs of a real
conjoint, whose row-level intervals covered 0.82-0.88).

``PoissonPilot`` / ``stratified_pilot`` / ``cluster_pilot`` draw pilots by a design from a
population frame (the World of ``worlds``, or the ClusteredWorld).
"""

import numpy as np
import pandas as pd
import statsmodels.api as sm

import synthsurvey as ss


class ClusteredWorld:
    """A fixed population of ``n_respondents`` x ``n_tasks`` rows (see the module docstring)."""

    def __init__(self, n_respondents=300, n_tasks=8, n_draws=10, seed=7):
        rng = np.random.default_rng(seed)
        rows = n_respondents * n_tasks
        respondent = np.repeat(np.arange(n_respondents), n_tasks)
        trait = rng.normal(size=n_respondents)[respondent]
        taste = rng.normal(size=n_respondents)[respondent]
        a1 = rng.integers(0, 2, rows).astype(float)
        a2 = rng.normal(size=rows)
        y = 1 + (0.5 + taste) * a1 + 0.4 * a2 + trait + rng.normal(size=rows)
        b = (y + rng.logistic(size=rows) > 1.5).astype(float)
        self.covariates = pd.DataFrame({"id": np.arange(rows), "respondent": respondent, "a1": a1, "a2": a2})
        self.humans = pd.concat([pd.DataFrame({"id": np.arange(rows), "item": "rating", "response": y}),
                                 pd.DataFrame({"id": np.arange(rows), "item": "choice", "response": b})],
                                ignore_index=True)
        location = 0.9 + 0.25 * a1 + 0.2 * a2 + 0.3 * trait
        draws = location[:, None] + rng.normal(size=(rows, n_draws))
        choices = (draws + rng.logistic(size=(rows, n_draws)) > 1.5).astype(float)
        ids = np.repeat(np.arange(rows), n_draws)
        draw = np.tile(np.arange(n_draws), rows)
        samples = pd.concat([pd.DataFrame({"id": ids, "item": "rating", "draw": draw, "response": draws.ravel()}),
                             pd.DataFrame({"id": ids, "item": "choice", "draw": draw, "response": choices.ravel()})],
                            ignore_index=True)
        self.scales = {"rating": "continuous", "choice": [0, 1]}
        self.features = ss.features(samples, scales=self.scales)
        self.n_respondents = n_respondents

    def truth(self, item):
        return self.humans.loc[self.humans["item"] == item, "response"].to_numpy()

    def coefficients(self, item, family="ols"):
        """The census regression of ``item`` on a1 + a2 over every row."""
        design = sm.add_constant(self.covariates[["a1", "a2"]].to_numpy())
        model = sm.OLS(self.truth(item), design) if family == "ols" else sm.Logit(self.truth(item), design)
        return np.asarray(model.fit(disp=0).params if family != "ols" else model.fit().params)

    def pilot(self, rng, n_respondents):
        """Every row of ``n_respondents`` respondents drawn at random (a pilot of whole clusters)."""
        chosen = rng.choice(self.n_respondents, n_respondents, replace=False)
        ids = self.covariates.loc[self.covariates["respondent"].isin(chosen), "id"]
        return self.humans[self.humans["id"].isin(ids)]

    def fit(self, formula, pilot, family="ols", design=None):
        return ss.debias(formula, None, pilot, self.covariates, family=family, scales=self.scales,
                         features=self.features, design=design)


def stratified_pilot(world, rng, column, sizes):
    """A stratified simple random pilot: ``sizes[level]`` people of each level of ``column``."""
    covariates = world.covariates
    ids = np.concatenate([rng.choice(covariates.loc[covariates[column] == level, "id"], size, replace=False)
                          for level, size in sizes.items()])
    return world.humans[world.humans["id"].isin(ids)]


def poisson_pilot(world, rng, probs):
    """A Poisson-sampling pilot: each person in with their own probability ``probs`` (an array over
    ``world.covariates``' rows)."""
    chosen = world.covariates.loc[rng.random(len(probs)) < probs, "id"]
    return world.humans[world.humans["id"].isin(chosen)]


def heavy_probabilities(values, expected_size, ratio=81.0):
    """Inclusion probabilities rising with ``values`` (by rank) from p to ratio x p, summing to
    ``expected_size``: design weights whose largest is ``ratio`` times their smallest."""
    rank = pd.Series(values).rank(method="first").to_numpy() / len(values)
    shape = ratio ** rank
    return shape * expected_size / shape.sum()


class SpreadWorld:
    """A world where human-LLM disagreement grows with the draws' spread: ``n_people`` people, each
    with ``n_draws`` LLM draws around their own mean mu_i with their own sd sigma_i (log-normal,
    median 0.8, 10-90% range about 0.35-1.8), and a human answer y_i = 0.3 + mu_i + 1.2 sigma_i e_i
    (e standard normal): the residual of y on the draw mean has sd proportional to the draws' sd,
    so Neyman allocation on the draws' spread has something to gain."""

    def __init__(self, n_people=3000, n_draws=20, seed=17):
        rng = np.random.default_rng(seed)
        mu = rng.normal(3, 1, n_people)
        sigma = np.exp(rng.normal(np.log(0.8), 0.6, n_people))
        y = 0.3 + mu + 1.2 * sigma * rng.normal(size=n_people)
        draws = mu[:, None] + sigma[:, None] * rng.normal(size=(n_people, n_draws))
        ids = np.arange(n_people)
        self.covariates = pd.DataFrame({"id": ids, "group": np.where(rng.random(n_people) < 0.1, "small", "large")})
        self.humans = pd.DataFrame({"id": ids, "item": "y", "response": y})
        self.samples = pd.DataFrame({"id": np.repeat(ids, n_draws), "item": "y",
                                     "draw": np.tile(np.arange(n_draws), n_people), "response": draws.ravel()})
        self.scales = {"y": "continuous"}
        self.features = ss.features(self.samples, scales=self.scales)

    def truth(self):
        return self.humans["response"].mean()

    def fit(self, pilot_ids, covariates=None, design=None):
        humans = self.humans[self.humans["id"].isin(pilot_ids)]
        return ss.debias("y ~ llm_mean", None, humans, self.covariates if covariates is None else covariates,
                         scales=self.scales, features=self.features, design=design)

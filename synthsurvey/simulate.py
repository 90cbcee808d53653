"""A seeded simulated survey with the biases LLM answers show in practice.

World: N people with covariates (age, female, educ 1-4, ideology 1-7, rural). Each
holds a latent belief; humans answer a 5-point item ``belief`` and a binary item
``action`` that follows their belief. Each person's LLM twin answers both items in
``n_draws`` draws and is biased the documented ways: it hedges to the neutral option
(a person-specific share of 10% to 80% of draws is 3 whatever the person), leans to one side (its latent
location is shifted by -0.4), compresses the predictor effects (ideology and age at half strength) and misses a subgroup (no
rural effect). People with strong opinions (30%) answer toward the ends of the scale
and their twins' non-hedged draws are as extreme, so the tails of the draws (shares of
the end levels, tail quantiles) predict extreme human answers that the hedged mean
hides.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

THRESHOLDS = np.array([-1.5, -0.5, 0.5, 1.5])
EDUC_EFFECT = np.array([0.0, -0.2, -0.35, -0.5])  # educ 1..4


@dataclass(frozen=True)
class SimulatedStudy:
    """A simulated study: LLM ``samples`` (id, item, draw, response), the human ``pilot``
    (id, item, response), ``covariates`` (one row per id) and ``holdout`` (the human
    answers of everybody outside the pilot, for checking predictions). A freshly simulated
    study also has ``expected``: each person's expected ``belief`` answer given their latent
    traits (the best prediction any model could make; not written to files)."""

    samples: pd.DataFrame
    pilot: pd.DataFrame
    covariates: pd.DataFrame
    holdout: pd.DataFrame
    expected: pd.DataFrame = None  # id, belief: E[human answer | the person's latent traits]

    @property
    def humans(self):
        """Every person's human answers (pilot and holdout together)."""
        return pd.concat([self.pilot, self.holdout], ignore_index=True).sort_values(["item", "id"],
                                                                                    ignore_index=True)


def _ordinal(location, rng, scale=0.6):
    """1..5 answers from an ordered logit with the fixed THRESHOLDS."""
    latent = location + rng.logistic(scale=scale, size=np.shape(location))
    return 1 + np.searchsorted(THRESHOLDS, latent)


def _expected_ordinal(location, scale):
    """E[answer] of ``_ordinal``: 1 + sum over thresholds t of P(latent > t)."""
    return 1 + expit((np.asarray(location)[:, None] - THRESHOLDS[None, :]) / scale).sum(axis=1)


def simulate_study(n_people=2000, n_draws=40, n_pilot=250, seed=20261122):
    """Return a SimulatedStudy; the same seed gives the same study on every machine."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n_people + 1)
    covariates = pd.DataFrame({
        "id": ids,
        "age": rng.integers(18, 81, n_people),
        "female": rng.integers(0, 2, n_people),
        "educ": rng.choice([1, 2, 3, 4], n_people, p=[0.3, 0.3, 0.25, 0.15]),
        "ideology": rng.integers(1, 8, n_people),
        "rural": (rng.random(n_people) < 0.3).astype(int),
    })
    age_c = (covariates["age"].to_numpy() - 50) / 15
    female = covariates["female"].to_numpy()
    educ = EDUC_EFFECT[covariates["educ"].to_numpy() - 1]
    ideology_c = covariates["ideology"].to_numpy() - 4
    rural = covariates["rural"].to_numpy()
    personal = rng.normal(0, 0.7, n_people)
    strong = rng.random(n_people) < 0.3

    human_location = 0.25 * age_c + 0.3 * female + educ + 0.35 * ideology_c + 0.6 * rural + personal
    belief_location = np.where(strong, 3 * human_location, human_location)
    belief = _ordinal(belief_location, rng, scale=0.4)
    action = (rng.random(n_people) < expit(-0.3 + 0.9 * (belief - 3) + 0.3 * female)).astype(int)

    llm_location = -0.4 + 0.125 * age_c + 0.3 * female + educ + 0.175 * ideology_c + 0.8 * personal
    hedge_rate = rng.uniform(0.1, 0.8, n_people)
    location = np.repeat(np.where(strong, 3 * llm_location, llm_location), n_draws)
    draws = _ordinal(location, rng, scale=0.7)
    draws = np.where(rng.random(draws.size) < np.repeat(hedge_rate, n_draws), 3, draws)
    llm_action = (rng.random(draws.size) < expit(-0.3 + 0.4 * (draws - 3))).astype(int)

    draw_index = np.tile(np.arange(n_draws), n_people)
    person = np.repeat(ids, n_draws)
    samples = pd.concat([
        pd.DataFrame({"id": person, "item": "belief", "draw": draw_index, "response": draws}),
        pd.DataFrame({"id": person, "item": "action", "draw": draw_index, "response": llm_action}),
    ], ignore_index=True)
    answers = pd.concat([
        pd.DataFrame({"id": ids, "item": "belief", "response": belief}),
        pd.DataFrame({"id": ids, "item": "action", "response": action}),
    ], ignore_index=True)
    in_pilot = np.isin(answers["id"], rng.choice(ids, n_pilot, replace=False))
    pilot = answers.loc[in_pilot].reset_index(drop=True)
    holdout = answers.loc[~in_pilot].reset_index(drop=True)
    expected = pd.DataFrame({"id": ids, "belief": _expected_ordinal(belief_location, 0.4)})
    return SimulatedStudy(samples, pilot, covariates, holdout, expected)


STUDY_FILES = ("samples", "pilot", "covariates", "holdout")


def write_study(study, folder):
    """Write the study's four tables as ``<name>.csv.gz`` files into ``folder``."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in STUDY_FILES:
        getattr(study, name).to_csv(folder / f"{name}.csv.gz", index=False,
                                    compression={"method": "gzip", "mtime": 0})


def read_study(folder):
    """Read a study written by ``write_study``."""
    from pathlib import Path

    folder = Path(folder)
    return SimulatedStudy(*(pd.read_csv(folder / f"{name}.csv.gz") for name in STUDY_FILES))

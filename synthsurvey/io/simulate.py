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
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.polynomial.legendre import leggauss
from scipy.special import expit, logsumexp, xlogy
from scipy.stats import norm

THRESHOLDS = np.array([-1.5, -0.5, 0.5, 1.5])
EDUC_EFFECT = np.array([0.0, -0.2, -0.35, -0.5])  # educ 1..4
# Latent locations are linear in (centred age, female, ideology - 4, rural, personal trait); educ
# adds EDUC_EFFECT. Humans hold HUMAN_EFFECTS, LLM twins LLM_EFFECTS plus LLM_SHIFT.
HUMAN_EFFECTS = np.array([0.25, 0.3, 0.35, 0.6, 1.0])
LLM_EFFECTS = np.array([0.125, 0.3, 0.175, 0.0, 0.8])
LLM_SHIFT = -0.4
PERSONAL_SD = 0.7
STRONG_SHARE, STRONG_FACTOR = 0.3, 3.0  # strong opinions multiply the location by 3
HEDGE_RANGE = (0.1, 0.8)  # each twin's share of draws forced to 3 is uniform on this range
HUMAN_SCALE, LLM_SCALE = 0.4, 0.7  # logistic scales of the ordered logits


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


def _locations(covariates):
    """Each person's human and LLM latent location before the personal trait (float arrays)."""
    age_c = (covariates["age"].to_numpy() - 50) / 15
    female = covariates["female"].to_numpy()
    educ = EDUC_EFFECT[covariates["educ"].to_numpy() - 1]
    ideology_c = covariates["ideology"].to_numpy() - 4
    rural = covariates["rural"].to_numpy()
    h, m = HUMAN_EFFECTS, LLM_EFFECTS
    human = h[0] * age_c + h[1] * female + educ + h[2] * ideology_c + h[3] * rural
    llm = LLM_SHIFT + m[0] * age_c + m[1] * female + educ + m[2] * ideology_c + m[3] * rural
    return human, llm


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
    personal = rng.normal(0, PERSONAL_SD, n_people)
    strong = rng.random(n_people) < STRONG_SHARE
    factor = np.where(strong, STRONG_FACTOR, 1.0)
    human_base, llm_base = _locations(covariates)

    belief_location = factor * (human_base + HUMAN_EFFECTS[-1] * personal)
    belief = _ordinal(belief_location, rng, scale=HUMAN_SCALE)
    female = covariates["female"].to_numpy()
    action = (rng.random(n_people) < expit(-0.3 + 0.9 * (belief - 3) + 0.3 * female)).astype(int)

    hedge_rate = rng.uniform(*HEDGE_RANGE, n_people)
    location = np.repeat(factor * (llm_base + LLM_EFFECTS[-1] * personal), n_draws)
    draws = _ordinal(location, rng, scale=LLM_SCALE)
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
    expected = pd.DataFrame({"id": ids, "belief": _expected_ordinal(belief_location, HUMAN_SCALE)})
    return SimulatedStudy(samples, pilot, covariates, holdout, expected)


STUDY_FILES = ("samples", "pilot", "covariates", "holdout")


def write_study(study, folder):
    """Write the study's four tables as ``<name>.csv.gz`` files into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in STUDY_FILES:
        getattr(study, name).to_csv(folder / f"{name}.csv.gz", index=False,
                                    compression={"method": "gzip", "mtime": 0})


def read_study(folder):
    """Read a study written by ``write_study``."""
    folder = Path(folder)
    return SimulatedStudy(*(pd.read_csv(folder / f"{name}.csv.gz") for name in STUDY_FILES))


def best_prediction(samples, covariates, item="belief", grid=401):
    """Each person's E[human ``item`` answer | their LLM draws of it and their covariates] under
    the simulation's own parameters, in answer units (1-5): the best prediction any model could
    make from what a study observes. Its correlation rho with the answers bounds every debiaser:
    no population-mean CI can be narrower than about sqrt(1 - rho^2) times the pilot-only one.
    Returns a DataFrame with columns id and ``item``, in the order of ``covariates``.

    The personal trait is integrated on ``grid`` points over +-6 sd, the hedge share by
    Gauss-Legendre with enough nodes to be exact (the likelihood is a polynomial in it)."""
    draws = samples[samples["item"] == item]
    ids = covariates["id"].to_numpy()
    person = pd.Index(ids).get_indexer(draws["id"])
    counts = np.zeros((len(ids), len(THRESHOLDS) + 1))
    np.add.at(counts, (person, draws["response"].to_numpy() - 1), 1)
    trait = np.linspace(-6, 6, grid) * PERSONAL_SD
    log_prior = norm.logpdf(trait, scale=PERSONAL_SD)[:, None] + np.log([1 - STRONG_SHARE, STRONG_SHARE])
    factor = np.array([1.0, STRONG_FACTOR])
    nodes, weights = leggauss(int(counts.sum(axis=1).max()) // 2 + 1)
    low, high = HEDGE_RANGE
    hedge = low + (high - low) * (nodes + 1) / 2
    log_hedge_weight = np.log(weights / 2)
    neutral = np.arange(len(THRESHOLDS) + 1) == 2
    human_base, llm_base = _locations(covariates)
    result = np.empty(len(ids))
    for start in range(0, len(ids), 64):
        rows = slice(start, start + 64)
        location = factor * (llm_base[rows, None, None] + LLM_EFFECTS[-1] * trait[None, :, None])
        above = expit((location[..., None] - THRESHOLDS) / LLM_SCALE)
        probs = -np.diff(np.concatenate([np.ones_like(above[..., :1]), above, np.zeros_like(above[..., :1])],
                                        axis=-1), axis=-1)
        mixed = (1 - hedge)[:, None] * probs[..., None, :] + hedge[:, None] * neutral
        log_lik = xlogy(counts[rows, None, None, None, :], mixed).sum(axis=-1)
        log_post = logsumexp(log_lik + log_hedge_weight, axis=-1) + log_prior
        post = np.exp(log_post - logsumexp(log_post, axis=(1, 2), keepdims=True))
        answer_location = factor * (human_base[rows, None, None] + HUMAN_EFFECTS[-1] * trait[None, :, None])
        answer = _expected_ordinal(answer_location.ravel(), HUMAN_SCALE).reshape(answer_location.shape)
        result[rows] = (post * answer).sum(axis=(1, 2))
    return pd.DataFrame({"id": ids, item: result})

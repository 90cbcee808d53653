"""A seeded simulated questionnaire: many items, LLM draws with the usual biases, a human pilot,
and, optionally, the mess of real survey files (don't-know codes, missing answers).

World: N people with covariates (age, female, educ 1-4, ideology -2..2). Each item j has a
latent answer z_ij = a_j + b_j ideology_i + c_j (age_i - 50)/15 + t_i + e_ij (t a personal trait
shared across items, e idiosyncratic); humans answer by cutting z at fixed thresholds (ordinal
items) or as a logit (binary items). The LLM twin of each person draws answers from a compressed
and shifted latent (half the ideology and age effects, 60% of the trait, a shift of its own per
item, no idiosyncratic part) with draw-level noise, so its draws are informative but biased.

``truth`` holds each item's population mean of the human answers (over all N people, with every
answer observed): the estimand of a population mean on the whole frame.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

KINDS = {5: "five-point", 7: "seven-point", 2: "binary"}


@dataclass(frozen=True)
class SimulatedQuestionnaire:
    """samples (id, item, draw, response), pilot (id, item, response; long), covariates (one row
    per id), humans (every person's answers, long), truth (item, n_levels, mean over all N)."""

    samples: pd.DataFrame
    pilot: pd.DataFrame
    covariates: pd.DataFrame
    humans: pd.DataFrame
    truth: pd.DataFrame


def item_plan(n_five=3, n_seven=1, n_binary=1):
    """Item names and their numbers of levels: ``q01``.. in the order five-point, seven-point, binary."""
    sizes = [5] * n_five + [7] * n_seven + [2] * n_binary
    return {f"q{j + 1:02d}": size for j, size in enumerate(sizes)}


def _thresholds(n_levels):
    return np.linspace(-1.6, 1.6, n_levels - 1)


def _answers(latent, n_levels, rng):
    """Answers on 1..C (C >= 3) by cutting ``latent`` + logistic noise, or 0/1 for C = 2."""
    if n_levels == 2:
        return (rng.random(latent.shape) < expit(1.5 * latent)).astype(np.int8)
    noisy = latent + rng.logistic(scale=0.35, size=latent.shape)
    return (1 + np.searchsorted(_thresholds(n_levels), noisy)).astype(np.int8)


def simulate_questionnaire(n_people=2000, n_draws=20, n_pilot=300, items=None, seed=0, ids="numbers",
                           dont_know=None, pilot_missing=0.0):
    """Return a SimulatedQuestionnaire.

    items: ``{name: n_levels}`` (default ``item_plan()``: three 5-point, one 7-point, one binary).
    ids: ``"numbers"`` (1..N) or ``"qualtrics"`` (response ids like ``R_3fGh9kLm2pQw``).
    dont_know: optional (code, share): that share of the pilot's answers and of the LLM draws of
        non-binary items are replaced by ``code`` (a don't-know code such as 99).
    pilot_missing: share of the pilot's answers left empty (NaN), at random, on every item.
    """
    rng = np.random.default_rng(seed)
    items = item_plan() if items is None else dict(items)
    people = pd.DataFrame({
        "id": np.arange(1, n_people + 1) if ids == "numbers" else _response_ids(n_people, rng),
        "age": rng.integers(18, 81, n_people), "female": rng.integers(0, 2, n_people),
        "educ": rng.integers(1, 5, n_people), "ideology": np.round(rng.uniform(-2, 2, n_people), 1)})
    age = (people["age"].to_numpy() - 50) / 15
    ideology = people["ideology"].to_numpy()
    trait = rng.normal(0, 0.6, n_people)
    pilot_ids = rng.choice(people["id"].to_numpy(), n_pilot, replace=False)
    samples, humans = [], []
    for name, n_levels in items.items():
        a, b, c = rng.normal(0, 0.4), rng.uniform(0.3, 0.8), rng.uniform(-0.4, 0.4)
        latent = a + b * ideology + c * age + trait
        humans.append(pd.DataFrame({"id": people["id"], "item": name,
                                    "response": _answers(latent + rng.normal(0, 0.5, n_people), n_levels, rng)}))
        twin = a + rng.normal(0.3, 0.2) + 0.5 * b * ideology + 0.5 * c * age + 0.6 * trait
        draws = _answers(np.repeat(twin, n_draws) + rng.normal(0, 0.6, n_people * n_draws), n_levels, rng)
        samples.append(pd.DataFrame({"id": np.repeat(people["id"].to_numpy(), n_draws), "item": name,
                                     "draw": np.tile(np.arange(1, n_draws + 1, dtype=np.int16), n_people),
                                     "response": draws}))
    humans = pd.concat(humans, ignore_index=True)
    truth = humans.groupby("item", sort=False)["response"].mean().rename("mean").reset_index()
    truth.insert(1, "n_levels", truth["item"].map(items))
    samples = pd.concat(samples, ignore_index=True)
    samples["item"] = pd.Categorical(samples["item"], categories=list(items))
    pilot = humans[humans["id"].isin(pilot_ids)].reset_index(drop=True)
    if dont_know is not None:
        code, share = dont_know
        pilot, samples = _with_code(pilot, items, code, share, rng), _with_code(samples, items, code, share, rng)
    if pilot_missing:
        pilot["response"] = pilot["response"].astype(float).mask(rng.random(len(pilot)) < pilot_missing)
    return SimulatedQuestionnaire(samples, pilot, people, humans, truth)


def _with_code(table, items, code, share, rng):
    """``table`` with a ``share`` of the responses of non-binary items replaced by ``code``."""
    response = table["response"].to_numpy().astype(np.int16)
    eligible = table["item"].map({name: n_levels > 2 for name, n_levels in items.items()}).to_numpy(dtype=bool)
    response[eligible & (rng.random(len(table)) < share)] = code
    return table.assign(response=response)


def _response_ids(n, rng):
    """Qualtrics-like response ids: ``R_`` and 14 letters and digits, unique."""
    alphabet = np.array(list("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"))
    ids = set()
    while len(ids) < n:
        ids.update("R_" + "".join(rng.choice(alphabet, 14)) for _ in range(n - len(ids)))
    return np.array(sorted(ids), dtype=object)

"""A seeded simulated study with three LLM sources of distinct faults, for comparing sources.

The people, their covariates and their human answers are those of ``simulate.simulate_study``'s
world (a 5-point ``belief`` item, a binary ``action`` that follows it). Three sources answer both
items for everybody:

* ``base``: the hedging base model of ``simulate_study`` (a person-specific 10-80% of draws at
  the neutral level, location shifted by -0.4, predictor effects halved, no rural effect);
* ``persona``: persona-prompted: little hedging and the human effects, but its means are shifted
  (+0.6 on the latent scale) and it stereotypes (ideology effect x1.6); it knows less of the
  person beyond the persona (personal trait at 0.5 of its strength);
* ``finetuned``: fine-tuned on part of the pilot: no shift, the human effects and most of the
  personal trait (less bias), but a wide logistic noise and few draws (noisier). For the people it
  was tuned on (``tuned_on``: half the pilot) it has memorised the answer: each draw repeats the
  person's human answer with probability ``MEMORY``.

``memorised_draws`` gives the fine-tuned draws for any set of tuned people, so a coverage
simulation can redraw the pilot and the tuned half in each replication.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from .simulate import HUMAN_EFFECTS, LLM_EFFECTS, PERSONAL_SD, _locations, _ordinal

SOURCES = ("base", "persona", "finetuned")
MEMORY = 0.8  # a tuned person's fine-tuned draw repeats their answer with this probability
DRAWS = {"base": 20, "persona": 20, "finetuned": 5}


@dataclass(frozen=True)
class SourcesStudy:
    """``samples`` (id, item, source, draw, response), ``pilot`` and ``holdout`` (id, item,
    response), ``covariates``, ``tuned_on`` ({"finetuned": ids}: half the pilot), and the parts
    ``memorised_draws`` needs (``finetuned_plain``: the fine-tuned draws of a person nobody tuned
    on, ``humans``: every person's answers)."""

    samples: pd.DataFrame
    pilot: pd.DataFrame
    covariates: pd.DataFrame
    holdout: pd.DataFrame
    tuned_on: dict
    finetuned_plain: pd.DataFrame

    @property
    def humans(self):
        return pd.concat([self.pilot, self.holdout], ignore_index=True).sort_values(["item", "id"], ignore_index=True)


def _draws(location, hedge, n_draws, scale, rng, action_slope):
    """Long (person index, draw, belief, action) arrays of one source."""
    n_people = len(location)
    repeated = np.repeat(location, n_draws)
    belief = _ordinal(repeated, rng, scale=scale)
    belief = np.where(rng.random(belief.size) < np.repeat(hedge, n_draws), 3, belief)
    action = (rng.random(belief.size) < expit(-0.3 + action_slope * (belief - 3))).astype(int)
    return np.repeat(np.arange(n_people), n_draws), np.tile(np.arange(n_draws), n_people), belief, action


def _long(ids, source, person, draw, belief, action):
    return pd.concat([
        pd.DataFrame({"id": ids[person], "item": "belief", "source": source, "draw": draw, "response": belief}),
        pd.DataFrame({"id": ids[person], "item": "action", "source": source, "draw": draw, "response": action}),
    ], ignore_index=True)


def simulate_sources(n_people=2000, n_pilot=250, seed=20261123, draws=None):
    """Return a SourcesStudy (see the module docstring); the same seed gives the same study."""
    draws = {**DRAWS, **(draws or {})}
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n_people + 1)
    covariates = pd.DataFrame({
        "id": ids, "age": rng.integers(18, 81, n_people), "female": rng.integers(0, 2, n_people),
        "educ": rng.choice([1, 2, 3, 4], n_people, p=[0.3, 0.3, 0.25, 0.15]),
        "ideology": rng.integers(1, 8, n_people), "rural": (rng.random(n_people) < 0.3).astype(int),
    })
    personal = rng.normal(0, PERSONAL_SD, n_people)
    factor = np.where(rng.random(n_people) < 0.3, 3.0, 1.0)
    human_base, llm_base = _locations(covariates)
    human_location = factor * (human_base + HUMAN_EFFECTS[-1] * personal)
    belief = _ordinal(human_location, rng, scale=0.4)
    action = (rng.random(n_people) < expit(-0.3 + 0.9 * (belief - 3) + 0.3 * covariates["female"].to_numpy())).astype(int)

    ideology_c = covariates["ideology"].to_numpy() - 4
    locations = {
        "base": factor * (llm_base + LLM_EFFECTS[-1] * personal),
        "persona": factor * (human_base + 0.6 * HUMAN_EFFECTS[2] * ideology_c + 0.5 * HUMAN_EFFECTS[-1] * personal)
        + 0.6,
        "finetuned": factor * (human_base + 0.9 * HUMAN_EFFECTS[-1] * personal),
    }
    hedges = {"base": rng.uniform(0.1, 0.8, n_people), "persona": rng.uniform(0.0, 0.15, n_people),
              "finetuned": np.zeros(n_people)}
    scales = {"base": 0.7, "persona": 0.5, "finetuned": 1.4}
    slopes = {"base": 0.4, "persona": 0.9, "finetuned": 0.9}
    parts = {source: _long(ids, source, *_draws(locations[source], hedges[source], draws[source], scales[source],
                                                  rng, slopes[source]))
             for source in SOURCES}
    answers = pd.concat([pd.DataFrame({"id": ids, "item": "belief", "response": belief}),
                         pd.DataFrame({"id": ids, "item": "action", "response": action})], ignore_index=True)
    pilot_ids = rng.choice(ids, n_pilot, replace=False)
    tuned = np.sort(rng.choice(pilot_ids, n_pilot // 2, replace=False))
    in_pilot = answers["id"].isin(pilot_ids)
    pilot = answers.loc[in_pilot].reset_index(drop=True)
    holdout = answers.loc[~in_pilot].reset_index(drop=True)
    plain = parts["finetuned"]
    parts["finetuned"] = memorised_draws(plain, answers, tuned, np.random.default_rng(seed + 1))
    samples = pd.concat([parts[source] for source in SOURCES], ignore_index=True)
    return SourcesStudy(samples, pilot, covariates, holdout, {"finetuned": tuned.tolist()}, plain)


def memorised_draws(plain, answers, tuned, rng, memory=MEMORY):
    """The fine-tuned source's draws (``plain``: as if tuned on nobody) with the people in ``tuned``
    remembered: each of their draws is their own human answer (``answers``: id, item, response)
    with probability ``memory``."""
    rows = plain["id"].isin(tuned).to_numpy()
    own = plain.loc[rows, ["id", "item"]].merge(answers, on=["id", "item"], how="left")["response"].to_numpy()
    out = plain.copy()
    remembered = rng.random(int(rows.sum())) < memory
    values = out["response"].to_numpy().copy()
    values[np.flatnonzero(rows)[remembered]] = own[remembered]
    out["response"] = values
    return out

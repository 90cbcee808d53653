"""A fixed population with three LLM sources (``io.simulate_sources``) and repeated random pilots,
the fine-tuned source tuned on a random half of each pilot: its draws of those people are the
memorised ones (each repeats the person's answer with probability MEMORY), of everybody else the
plain ones. Features of both versions are computed once; each replication picks its rows."""

import numpy as np
import pandas as pd

import synthsurvey as ss
from synthsurvey.io.simulate_sources import memorised_draws, simulate_sources

COVARIATES = "age + female + C(educ) + ideology + rural"
ANALYST = f"belief ~ {COVARIATES}"


class SourcesWorld:
    """The population (``covariates``, every person's ``humans`` answers) and feature tables."""

    def __init__(self, n_people=2000, seed=303, memory=0.95):
        study = simulate_sources(n_people=n_people, n_pilot=10, seed=seed)
        self.covariates, self.humans = study.covariates, study.humans
        self.scales = {"belief": [1, 2, 3, 4, 5], "action": [0, 1]}
        samples = study.samples
        memorised = memorised_draws(study.finetuned_plain, self.humans, self.covariates["id"].to_numpy(),
                                    np.random.default_rng(seed + 7), memory)
        self.features = ss.features(samples[samples["source"] != "finetuned"], scales=self.scales)
        self.plain = ss.features(study.finetuned_plain, scales=self.scales)
        self.memorised = ss.features(memorised, scales=self.scales)

    def truth(self, item="belief"):
        return self.humans.loc[self.humans["item"] == item, "response"].to_numpy(dtype=float)

    def replication(self, rng, n_pilot):
        """(pilot answers, tuned ids, feature table) of one random pilot."""
        ids = rng.choice(self.covariates["id"].to_numpy(), n_pilot, replace=False)
        tuned = rng.choice(ids, n_pilot // 2, replace=False)
        finetuned = pd.concat([self.plain[~self.plain["id"].isin(tuned)], self.memorised[self.memorised["id"].isin(tuned)]])
        features = pd.concat([self.features, finetuned], ignore_index=True)
        return self.humans[self.humans["id"].isin(ids)], tuned, features

    def fit(self, formula, pilot, features, **options):
        return ss.debias(formula, None, pilot, self.covariates, scales=self.scales, features=features, **options)

"""The item frame: reserved column names and the population each fit describes."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from tests.helpers import long_samples


@pytest.mark.parametrize("name", ["response", "is_pilot", "item", "draw"])
def test_reserved_covariate_names_are_refused(name):
    rng = np.random.default_rng(0)
    samples = long_samples(rng.integers(1, 6, (40, 8)), item="q")
    humans = pd.DataFrame({"id": np.arange(1, 31), "item": "q", "response": rng.integers(1, 6, 30)})
    covariates = pd.DataFrame({"id": np.arange(1, 41), name: rng.normal(size=40)})
    with pytest.raises(ss.SynthsurveyError, match=f"covariates column\\(s\\) '{name}' use a name synthsurvey reserves"):
        ss.debias("q ~ llm_mean", samples, humans, covariates)

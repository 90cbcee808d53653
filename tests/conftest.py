import numpy as np
import pandas as pd
import pytest

from synthsurvey.datasets import load_simulated


@pytest.fixture(scope="session")
def study():
    """The bundled simulated study (2,000 people, 40 draws, items belief and action)."""
    return load_simulated()


def long_samples(responses, item="q", ids=None):
    """A samples table from a (people, draws) array of responses."""
    responses = np.asarray(responses)
    n_people, n_draws = responses.shape
    ids = np.arange(1, n_people + 1) if ids is None else np.asarray(ids)
    return pd.DataFrame({
        "id": np.repeat(ids, n_draws),
        "item": item,
        "draw": np.tile(np.arange(n_draws), n_people),
        "response": responses.ravel(),
    })

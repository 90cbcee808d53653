"""Small helpers the tests share."""

import numpy as np
import pandas as pd


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

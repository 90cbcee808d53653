"""The inference tests' study and fit (the freshly simulated ones of the root conftest) and the
kernels' arrays."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def study(simulated):
    return simulated


@pytest.fixture(scope="module")
def fit(simulated_fit):
    return simulated_fit


@pytest.fixture(scope="module")
def data():
    """A labeled sample of 150 and an unlabeled one of 1,500 (x, y, f, x_u, f_u, w, w_u): predictions
    with slopes at 0.8 of the answers', weights in [0.5, 2]."""
    rng = np.random.default_rng(11)
    n, n_unlabeled = 150, 1500
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    x_u = np.column_stack([np.ones(n_unlabeled), rng.normal(size=(n_unlabeled, 2))])
    beta = np.array([1.0, 2.0, -1.0])
    y = x @ beta + rng.normal(size=n)
    f = 0.8 * (x @ beta) + 0.3 + 0.5 * rng.normal(size=n)
    f_u = 0.8 * (x_u @ beta) + 0.3 + 0.5 * rng.normal(size=n_unlabeled)
    w, w_u = rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n_unlabeled)
    return x, y, f, x_u, f_u, w, w_u

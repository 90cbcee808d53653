"""The inference tests' study and fit: the freshly simulated ones of the root conftest."""

import pytest


@pytest.fixture(scope="module")
def study(simulated):
    return simulated


@pytest.fixture(scope="module")
def fit(simulated_fit):
    return simulated_fit

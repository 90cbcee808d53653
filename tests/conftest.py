import numpy as np
import pandas as pd
import pytest

from synthsurvey.io.datasets import load_simulated


@pytest.fixture(scope="session")
def study():
    """The bundled simulated study (2,000 people, 40 draws, items belief and action)."""
    return load_simulated()

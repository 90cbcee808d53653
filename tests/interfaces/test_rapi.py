"""The R package's main Python entry module: the two-step fit on R's design, results restored from
their pickles, covariances of estimates (``result_vcov``)."""

import numpy as np
import pandas as pd

import synthsurvey as ss
from synthsurvey.interfaces import rapi

from tests.helpers import read_by_r


def test_results_restore_from_their_pickles(simulated_fit):
    spec = rapi.population_table("population_mean", simulated_fit, {"by": "educ"})
    restored = rapi.restore(spec["pickle"])
    pd.testing.assert_frame_equal(restored.table(0.1), spec["py"].table(0.1))


def test_result_vcov_is_the_cores_or_none(simulated, simulated_fit):
    ols = ss.population_ols(simulated_fit, "belief ~ age + ideology")
    frame = read_by_r(rapi.result_vcov(ols))
    assert frame["term"].tolist() == list(ols.vcov().index)
    np.testing.assert_array_equal(frame.drop(columns="term").to_numpy(), ols.vcov().to_numpy())
    assert rapi.result_vcov(ss.population_mean(simulated_fit, by="educ")) is None

"""The R package's Python entry points: ids linked across tables as text, the two-step fit on
R's design, results restored from their pickles."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.common.errors import SynthsurveyError
from synthsurvey.interfaces import rapi


def _tables(simulated, to_text):
    samples, pilot, covariates = (frame.copy() for frame in (simulated.samples, simulated.pilot, simulated.covariates))
    for frame in to_text:
        frame = {"samples": samples, "pilot": pilot, "covariates": covariates}[frame]
        frame["id"] = pd.Categorical(frame["id"].astype(str))
    return samples, pilot, covariates


@pytest.mark.parametrize("to_text", [("pilot",), ("covariates",), ("samples", "covariates")])
def test_ids_that_match_as_text_are_linked(simulated, to_text):
    samples, pilot, covariates = _tables(simulated, to_text)
    rapi._linked_ids(samples, pilot, covariates, "id")
    fit = ss.debias("belief ~ llm_mean + age", samples, pilot, covariates)
    expected = ss.debias("belief ~ llm_mean + age", simulated.samples, simulated.pilot, simulated.covariates)
    np.testing.assert_allclose(fit.params, expected.params, rtol=0, atol=1e-12)


def test_ids_that_do_not_match_as_text_name_both_tables(simulated):
    samples, pilot, covariates = _tables(simulated, ())
    samples["id"] = "R_" + samples["id"].astype(str)
    with pytest.raises(SynthsurveyError, match=r"ids of samples \(id: text, e.g. 'R_1'.*and of humans \(id: numbers, "
                                               r"e.g. 3.*do not match as text"):
        rapi._linked_ids(samples, pilot, covariates, "id")
    padded = simulated.pilot.assign(id=simulated.pilot["id"].map("{:03d}".format))  # "001" is not the text of 1: numbers become text
    rapi._linked_ids(simulated.samples.copy(), padded, None, "id")
    assert padded["id"].iloc[0] == f"{simulated.pilot['id'].iloc[0]:03d}"


def test_numbers_become_text_without_a_decimal_point():
    assert list(rapi._number_text(pd.Series([1.0, 20.0, np.nan, 2.5]))) == ["1", "20", None, "2.5"]
    assert rapi._integer_text(["1", "20"]).tolist() == [1, 20]
    assert rapi._integer_text(["01", "2"]) is None and rapi._integer_text(["1.0"]) is None


def test_results_restore_from_their_pickles(simulated_fit):
    spec = rapi.population_table("population_mean", simulated_fit, {"by": "educ"})
    restored = rapi.restore(spec["pickle"])
    pd.testing.assert_frame_equal(restored.table(0.1), spec["py"].table(0.1))

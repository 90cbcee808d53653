"""What the R entry modules share: ids linked across tables as text, scale declarations as R sends
them, the core's warnings handed to R."""

import warnings

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.common.errors import SynthsurveyError
from synthsurvey.featurize.scales import declared_scales
from synthsurvey.interfaces import rapi, rcommon

from tests.helpers import read_by_r, sent_by_r


def _tables(simulated, to_text):
    samples, pilot, covariates = (frame.copy() for frame in (simulated.samples, simulated.pilot, simulated.covariates))
    for frame in to_text:
        frame = {"samples": samples, "pilot": pilot, "covariates": covariates}[frame]
        frame["id"] = pd.Categorical(frame["id"].astype(str))
    return samples, pilot, covariates


@pytest.mark.parametrize("to_text", [("pilot",), ("covariates",), ("samples", "covariates")])
def test_ids_that_match_as_text_are_linked(simulated, to_text):
    samples, pilot, covariates = _tables(simulated, to_text)
    rcommon.linked_ids(samples, pilot, covariates, "id")
    fit = ss.debias("belief ~ llm_mean + age", samples, pilot, covariates)
    expected = ss.debias("belief ~ llm_mean + age", simulated.samples, simulated.pilot, simulated.covariates)
    np.testing.assert_allclose(fit.params, expected.params, rtol=0, atol=1e-12)


def test_ids_that_do_not_match_as_text_name_both_tables(simulated):
    samples, pilot, covariates = _tables(simulated, ())
    samples["id"] = "R_" + samples["id"].astype(str)
    with pytest.raises(SynthsurveyError, match=r"ids of samples \(id: text, e.g. 'R_1'.*and of humans \(id: numbers, "
                                               r"e.g. 3.*do not match as text"):
        rcommon.linked_ids(samples, pilot, covariates, "id")
    padded = simulated.pilot.assign(id=simulated.pilot["id"].map("{:03d}".format))  # "001" is not the text of 1: numbers become text
    rcommon.linked_ids(simulated.samples.copy(), padded, None, "id")
    assert padded["id"].iloc[0] == f"{simulated.pilot['id'].iloc[0]:03d}"


def test_numbers_become_text_without_a_decimal_point():
    assert list(rcommon.number_text(pd.Series([1.0, 20.0, np.nan, 2.5]))) == ["1", "20", None, "2.5"]
    assert rcommon.integer_text(["1", "20"]).tolist() == [1, 20]
    assert rcommon.integer_text(["01", "2"]) is None and rcommon.integer_text(["1.0"]) is None


def test_scale_declarations_from_r_reach_the_core_as_lists():
    """R sends length-one vectors as scalars: a declaration's numbers become lists of floats."""
    assert rcommon.scale_declarations({"missing": 99}) == {"missing": [99.0]}
    assert rcommon.scale_declarations({"q1": {"levels": [1, 2, 3], "missing": 9}, "q2": "binary", "q3": 5}) == {
        "q1": {"levels": [1.0, 2.0, 3.0], "missing": [9.0]}, "q2": "binary", "q3": [5.0]}
    scale = ss.Scale("ordinal", (1, 2, 3), missing=(9,))
    assert declared_scales(rcommon.scale_declarations({"q1": {"levels": [1, 2, 3], "missing": 9}}), ["q1"]) == {
        "q1": scale}


def test_calls_from_r_return_the_cores_warnings(simulated):
    def warns():
        warnings.warn("a scale finding", ss.SynthsurveyWarning)
        return 1

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing escapes: the warning is handed to R
        assert rcommon.with_warnings(warns) == {"value": 1, "warnings": ["a scale finding"]}
        samples = simulated.samples[simulated.samples["item"] == "belief"].astype({"response": float})
        samples.loc[samples.index[:3], "response"] = 2.5  # a half point among whole numbers
        alive = []  # the buffers the spec points to, kept until the call returns (R keeps its vectors)
        result = rapi.call("features", sent_by_r(samples, alive), "id", None)
    assert len(result["warnings"]) == 1 and "not whole numbers" in result["warnings"][0]
    assert read_by_r(result["value"])["item"].tolist() == ["belief"] * samples["id"].nunique()


def test_a_suggested_declaration_reaches_r_in_r_syntax():
    from synthsurvey.common.errors import ScaleSuggestion

    suggested = ScaleSuggestion("q01", "ordinal", (1.0, 2.0, 3.0, 4.0, 5.0), (99.0,), True)
    assert rcommon.r_spelling(suggested) == ('scales = list(q01 = list(kind = "ordinal", levels = 1:5, missing = 99)) '
                                             "(or scales = list(missing = 99) for every item)")
    odd = ScaleSuggestion("my item", "binary", (0.0, 1.0), (8.0, 9.0))
    assert rcommon.r_spelling(odd) == 'scales = list(`my item` = list(kind = "binary", levels = c(0, 1), missing = c(8, 9)))'
    samples = pd.DataFrame({"id": np.repeat(np.arange(1, 41), 3), "item": "q01", "draw": np.tile([1, 2, 3], 40),
                            "response": np.r_[np.tile([1, 2, 3, 4, 5], 23), 99, 99, 99, 99, 99]})
    with pytest.raises(SynthsurveyError) as error:
        rcommon.with_warnings(lambda: ss.features(samples))
    message = str(error.value)
    assert 'Declare them, e.g. scales = list(q01 = list(kind = "ordinal", levels = 1:5, missing = 99)) (or scales = ' \
           "list(missing = 99) for every item); declare the item 'continuous'" in message
    assert "ss.Scale" not in message and "scales={" not in message

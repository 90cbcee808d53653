"""Scales: declarations, inference, and the one place answers are coded to levels."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.featurize.scales import as_scale, declared_scales, level_codes
from tests.helpers import long_samples


def test_codes_and_indicators():
    scale = ss.Scale("ordinal", (1, 2, 3, 4, 5))
    np.testing.assert_array_equal(scale.codes([1, 5, 3.0]), [0, 4, 2])
    np.testing.assert_array_equal(scale.indicators([2, 4]), [[0, 1, 0, 0, 0], [0, 0, 0, 1, 0]])
    with pytest.raises(ss.SynthsurveyError, match="answers hold value.*99.*not among the levels"):
        scale.codes([1, 99], where="answers")
    with pytest.raises(ss.SynthsurveyError, match="no levels"):
        ss.Scale("continuous").codes([1.0])


def test_nearest_level_binning_breaks_ties_downward():
    np.testing.assert_array_equal(level_codes([0.2, 1.5, 2.6, 9], [1, 2, 3], exact=False), [0, 0, 2, 2])


def test_declarations():
    assert as_scale("binary").levels == (0.0, 1.0)
    assert as_scale([1, 2, 3]).kind == "ordinal"
    assert declared_scales("continuous", ["a", "b"])["b"].kind == "continuous"
    with pytest.raises(ss.SynthsurveyError, match="scales= names items not in samples: 'c'"):
        declared_scales({"c": "binary"}, ["a", "b"])


# missing-value codes and inference that does not guess silently ------------------------------

def test_a_declared_scale_carries_missing_codes():
    scale = ss.Scale("ordinal", (1, 2, 3, 4, 5), missing=(8, 9, 99))
    assert scale.missing == (8.0, 9.0, 99.0)
    np.testing.assert_array_equal(scale.is_missing([1, 99, np.nan, 9, 5]), [False, True, True, True, False])
    assert "missing codes {8, 9, 99}" in scale.describe()
    assert as_scale({"levels": [1, 2, 3], "missing": [9]}) == ss.Scale("ordinal", (1, 2, 3), missing=(9,))
    assert as_scale({"missing": [99]}).is_partial
    with pytest.raises(ss.SynthsurveyError, match=r"value\(s\) 9 are declared both as levels and as missing codes"):
        ss.Scale("ordinal", (1, 9), missing=(9,))
    with pytest.raises(ss.SynthsurveyError, match="unknown: 'levles'"):
        as_scale({"levles": [1, 2]})


def test_one_declaration_of_codes_for_every_item():
    declared = declared_scales({"missing": [99]}, ["a", "b"])
    assert declared["b"].missing == (99.0,) and declared["b"].is_partial


def _draws(values, item="q", n_draws=10):
    values = np.asarray(values)
    n_people = len(values) // n_draws
    return long_samples(values[:n_people * n_draws].reshape(n_people, n_draws), item=item)


def test_missing_codes_in_draws_are_left_out_and_counted():
    rng = np.random.default_rng(0)
    values = rng.integers(1, 6, 400).astype(float)
    values[:10] = 99  # all ten draws of person 1 are don't-know
    values[[15, 25, 35]] = 99
    values[[16, 26]] = np.nan
    feats = ss.features(_draws(values), scales={"q": ss.Scale("ordinal", (1, 2, 3, 4, 5), missing=(99,))})
    assert feats.attrs["missing_draws"] == {"q": {"nan": 2, "codes": 13, "keys_without_draws": 1}}
    assert 1 not in set(feats["id"]) and len(feats) == 39
    assert feats.set_index("id").loc[2, "llm_n_draws"] == 8  # draws 10..19 minus a code (15) and a NaN (16)


def test_values_that_look_like_missing_codes_are_an_error_naming_them():
    rng = np.random.default_rng(1)
    samples = _draws(rng.integers(1, 6, 400))
    humans = pd.DataFrame({"id": np.arange(1, 41), "item": "q", "response": np.r_[rng.integers(1, 6, 37), 99, 99, -9]})
    with pytest.raises(ss.SynthsurveyError) as error:
        ss.infer_scales(samples, humans)
    message = str(error.value)
    assert "value(s) -9, 99 (3 human answer(s)) lie far outside the run of the other values 1..5" in message
    assert "scales={'q': ss.Scale('ordinal', (1, 2, 3, 4, 5), missing=(-9, 99))}" in message
    # the suggestion travels with the error, so each interface can spell it in its own syntax
    suggested = error.value.suggestion
    assert (suggested.item, suggested.kind, suggested.levels, suggested.missing, suggested.every_item) == \
        ("q", "ordinal", (1, 2, 3, 4, 5), (-9, 99), True)
    respelled = error.value.respelled(lambda s: f"<{s.item}: {s.missing}>")
    assert "<q: (-9.0, 99.0)>; declare the item 'continuous'" in respelled and "ss.Scale" not in respelled
    prefixed = error.value.prefixed("item 'q': ")
    assert str(prefixed).startswith("item 'q': item 'q': value(s)") and prefixed.suggestion == suggested
    table = ss.infer_scales(samples, humans, scales={"missing": [99, -9]}).set_index("item")
    assert table.loc["q", "levels"] == (1, 2, 3, 4, 5) and table.loc["q", "missing"] == (-9, 99)


@pytest.mark.parametrize("llm, human, expected", [
    ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 8], "value(s) 8 (1 human answer(s)) lie outside the run of the other values 1..5"),
    ([0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5], "level(s) 0 occur only in the LLM draws"),
    ([1, 2, 3, 4, 5], [1, 2, 2.5, 3, 4, 5], "value(s) 2.5 (1 human answer(s)) are not whole numbers"),
])
def test_each_suspicious_inference_is_warned_about(llm, human, expected):
    rng = np.random.default_rng(2)
    samples = _draws(rng.choice(llm, 400))
    answers = np.r_[rng.choice([v for v in human if v in (1, 2, 3, 4, 5)], 40 - len(human)), human]
    humans = pd.DataFrame({"id": np.arange(1, 41), "item": "q", "response": answers})
    with pytest.warns(ss.ScaleWarning, match=re.escape(expected)):
        table = ss.infer_scales(samples, humans)
    assert table["notes"].iloc[0] and "warning" in table["source"].iloc[0]


def test_declared_scales_silence_inference():
    rng = np.random.default_rng(3)
    samples = _draws(rng.choice([0, 1, 2, 3, 4, 5], 400))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = ss.infer_scales(samples, scales={"q": [0, 1, 2, 3, 4, 5]})
    assert table["levels"].iloc[0] == (0, 1, 2, 3, 4, 5) and table["notes"].iloc[0] == ()

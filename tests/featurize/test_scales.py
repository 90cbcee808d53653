"""Scales: declarations, inference, and the one place answers are coded to levels."""

import numpy as np
import pytest

import synthsurvey as ss
from synthsurvey.featurize.scales import as_scale, declared_scales, level_codes


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

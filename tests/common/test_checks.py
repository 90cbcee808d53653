"""Checks of user input: each error names the value at fault."""

import pandas as pd
import pytest

from synthsurvey import SynthsurveyError
from synthsurvey.common.checks import as_names, check_alpha, check_count, numeric_values


def test_as_names_takes_a_name_or_a_list():
    assert as_names(None) == ()
    assert as_names("educ") == ("educ",)
    assert as_names(["educ", "rural"]) == ("educ", "rural")
    with pytest.raises(SynthsurveyError, match="column names"):
        as_names([1, 2])


def test_alpha_and_counts():
    assert check_alpha(0.1) == 0.1
    with pytest.raises(SynthsurveyError, match="alpha=0.05 gives 95%"):
        check_alpha(5)
    assert check_count(5.0, "folds", 2) == 5
    with pytest.raises(SynthsurveyError, match="folds must be a whole number of at least 2, got 1"):
        check_count(1, "folds", 2)
    with pytest.raises(SynthsurveyError, match="folds"):
        check_count(2.5, "folds", 2)


def test_text_in_an_arrow_column_is_not_silently_missing():
    """The R bridge sends text columns dictionary-encoded; pandas coerces their text to NaN (not
    null), which must still be reported as non-numeric."""
    pa = pytest.importorskip("pyarrow")
    column = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(["3", "x", None]).dictionary_encode()))
    with pytest.raises(SynthsurveyError, match="'response' must be numeric; non-numeric values: 'x'"):
        numeric_values(pd.DataFrame({"response": column}), "response", "samples")

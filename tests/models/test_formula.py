"""Formula parsing, the default right-hand sides and the rank check."""

import itertools

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.models import formula as formulas
from synthsurvey.featurize.scales import Scale
from tests.helpers import long_samples


def test_parse_splits_features_and_covariates():
    spec = formulas.parse("belief ~ llm_mean * C(educ) + np.log(age) + I(llm_sd ** 2)")
    assert spec.item == "belief"
    assert spec.llm_features == ("llm_mean", "llm_sd")
    assert spec.covariates == ("educ", "age")
    assert spec.has_intercept
    assert formulas.parse('Q("trust in x") ~ llm_mean - 1').item == "trust in x"
    assert not formulas.parse("y ~ llm_mean - 1").has_intercept


def test_covariate_rhs_drops_llm_terms():
    spec = formulas.parse("y ~ llm_mean + llm_mean:age + age + C(educ)")
    assert formulas.covariate_rhs(spec) == "age + C(educ)"
    assert formulas.covariate_rhs(formulas.parse("y ~ llm_mean")) == "1"


def test_rank_deficiency_names_the_columns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    frame = pd.DataFrame({"Intercept": 1.0, "a": x[:, 0], "b": x[:, 1], "c": x[:, 0] - 2 * x[:, 1]})
    message = formulas.rank_deficiency(frame)
    assert "exact linear combination" in message and "'a'" in message and "'b'" in message
    assert formulas.rank_deficiency(frame.drop(columns="c")) is None


@pytest.mark.parametrize("n_levels", [2, 3, 4, 5, 7])
def test_default_formulas_are_full_rank(n_levels):
    rng = np.random.default_rng(n_levels)
    levels = list(range(1, n_levels + 1))
    draws = rng.integers(1, n_levels + 1, (200, 15))
    samples = long_samples(draws)
    humans = pd.DataFrame({"id": np.arange(1, 101), "item": "q", "response": rng.integers(1, n_levels + 1, 100)})
    for variant in ("full", "mean"):
        fit = ss.debias(ss.default_formula("q", levels, variant=variant), samples, humans)
        assert fit.nobs == 100


def test_default_formula_for_continuous_items_and_constant_features():
    rng = np.random.default_rng(1)
    samples = long_samples(rng.normal(size=(100, 10)))
    humans = pd.DataFrame({"id": np.arange(1, 61), "item": "q", "response": rng.normal(size=60)})
    fit = ss.debias(ss.default_formula("q", "continuous", ["1"]), samples, humans)
    assert set(fit.spec.llm_features) == {"llm_mean", "llm_sd", "llm_skew", "llm_q10", "llm_q90"}
    one_draw = long_samples(rng.integers(1, 6, (100, 1)))
    feats = ss.features(one_draw)
    formula = ss.default_formula("q", [1, 2, 3, 4, 5], features=feats)
    assert "llm_sd" not in formula and "llm_entropy" not in formula
    assert "llm_q10" not in formula and "llm_q90" not in formula  # one draw: quantiles equal the mean
    assert ss.default_formula("my item", "continuous", variant="mean") == 'Q("my item") ~ llm_mean'


def test_scale_declarations():
    assert Scale("ordinal", (3, 1, 2)).levels == (1.0, 2.0, 3.0)
    assert Scale("ordinal", (0.25, 0.75)).share_names() == ["llm_p1", "llm_p2"]
    assert Scale("ordinal", (-1, 0, 1)).share_names() == ["llm_pm1", "llm_p0", "llm_p1"]
    with pytest.raises(ss.SynthsurveyError, match="at least 2 levels"):
        Scale("ordinal", (1,))
    with pytest.raises(ss.SynthsurveyError, match="not one of"):
        Scale("nominal", (1, 2))


def test_patsy_reads_nullable_and_date_columns_as_r_model_matrix_does():
    """Source of truth: R's model.matrix codes a logical as a factor (xTRUE), a Date as its days
    since 1970-01-01 and a POSIXct as its seconds; nullable integers are numbers."""
    frame = pd.DataFrame({
        "flag": pd.array([True, False, True, False], dtype="boolean"),
        "count": pd.array([1, 2, 3, 5], dtype="Int32"),
        "day": pd.to_datetime(["1970-01-02", "1970-01-11", "2024-03-01", "1970-01-01"]),
        "moment": pd.to_datetime([60, 120, 0, 30], unit="s", utc=True),
    })
    design = formulas.build("flag + count + day + moment", frame)
    assert list(design.matrix.columns) == ["Intercept", "flag[T.True]", "count", "day", "moment"]
    np.testing.assert_array_equal(design.matrix["day"], [1, 10, 19783, 0])
    np.testing.assert_array_equal(design.matrix["moment"], [60, 120, 0, 30])
    np.testing.assert_array_equal(design.matrix["flag[T.True]"], [1, 0, 1, 0])
    np.testing.assert_array_equal(formulas.rebuild(design, frame.iloc[[1]]).to_numpy(), [[1, 0, 2, 10, 120]])
    plain = pd.DataFrame({"x": [1.0, 2.0]})
    assert formulas.patsy_ready(plain) is plain  # nothing to convert: no copy

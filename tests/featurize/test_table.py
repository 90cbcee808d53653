"""Features against a plain numpy/scipy reference computed person by person."""

import contextlib

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings, strategies as st, HealthCheck

import synthsurvey as ss
from synthsurvey.featurize import kernels
from synthsurvey.featurize.summaries import quantile_name

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def reference_row(values, levels=None):
    """Features of one draw vector with numpy/scipy, one call per feature."""
    values = np.asarray(values, dtype=float)
    row = {"llm_n_draws": len(values), "llm_mean": values.mean(), "llm_sd": values.std(ddof=0)}
    constant = np.all(values == values[0])
    row["llm_skew"] = 0.0 if constant else scipy.stats.skew(values)
    row["llm_kurtosis"] = 0.0 if constant else scipy.stats.kurtosis(values)
    if levels is None:
        for q in QUANTILES:
            row[quantile_name(q)] = np.quantile(values, q)
        row["llm_iqr"] = np.quantile(values, 0.75) - np.quantile(values, 0.25)
        return row
    levels = np.asarray(levels, dtype=float)
    shares = np.array([np.mean(values == level) for level in levels])
    support = shares > 0
    mid_cdf = np.cumsum(shares) - shares / 2

    def mid_quantile(q):
        return np.interp(q, mid_cdf[support], levels[support])

    for q in QUANTILES:
        row[quantile_name(q)] = mid_quantile(q)
    row["llm_iqr"] = mid_quantile(0.75) - mid_quantile(0.25)
    for level, share in zip(levels, shares):
        row[f"llm_p{int(level)}".replace("-", "m")] = share
    row["llm_extreme"] = shares[0] + shares[-1]
    c = len(levels)
    middle = [c // 2] if c % 2 else [c // 2 - 1, c // 2]
    row["llm_mid"] = shares[middle].sum()
    row["llm_modal"] = shares.max()
    row["llm_entropy"] = scipy.stats.entropy(shares, base=2)
    return row


@contextlib.contextmanager
def numpy_path():
    """Run ``ss.features`` without the compiled kernels."""
    saved = kernels.ENABLED
    kernels.ENABLED = False
    try:
        yield
    finally:
        kernels.ENABLED = saved


def both_paths(function):
    """``function()`` with the compiled kernels and on the numpy path: (kernel, numpy) results."""
    compiled = function()
    with numpy_path():
        return compiled, function()


def compare(feats, samples, levels=None):
    expected = pd.DataFrame([
        {"id": person, **reference_row(group["response"].to_numpy(), levels)}
        for person, group in samples.groupby("id")
    ])
    got = feats.set_index("id").loc[expected["id"]]
    for column in expected.columns.drop("id"):
        np.testing.assert_allclose(got[column].to_numpy(dtype=float), expected[column].to_numpy(dtype=float),
                                   rtol=1e-9, atol=1e-9, err_msg=column)


@st.composite
def ordinal_draws(draw):
    low = draw(st.integers(-2, 3))
    n_levels = draw(st.integers(2, 7))
    levels = np.arange(low, low + n_levels)
    n_people = draw(st.integers(1, 6))
    rows = []
    for person in range(n_people):
        n_draws = draw(st.integers(1, 25))
        values = draw(st.lists(st.sampled_from(levels.tolist()), min_size=n_draws, max_size=n_draws))
        rows += [(person * 7 + 3, "q", d, v) for d, v in enumerate(values)]
    samples = pd.DataFrame(rows, columns=["id", "item", "draw", "response"])
    return samples.sample(frac=1, random_state=0), levels


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ordinal_draws())
def test_ordinal_features_match_numpy_scipy_reference(case):
    samples, levels = case
    for feats in both_paths(lambda: ss.features(samples, scales={"q": levels.tolist()})):
        compare(feats, samples, levels)


@st.composite
def continuous_draws(draw):
    n_people = draw(st.integers(1, 5))
    rows = []
    for person in range(n_people):
        n_draws = draw(st.integers(1, 30))
        values = draw(st.lists(st.integers(-10_000, 10_000), min_size=n_draws, max_size=n_draws))
        rows += [(f"p{person}", "x", d, v / 100) for d, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["id", "item", "draw", "response"]).sample(frac=1, random_state=1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(continuous_draws())
def test_continuous_features_match_numpy_scipy_reference(samples):
    feats = ss.features(samples, scales={"x": "continuous"})
    compare(feats, samples)
    assert feats.filter(like="llm_p").isna().all().all()


def test_mixed_items_and_inferred_scales():
    rng = np.random.default_rng(3)
    likert = pd.DataFrame({"id": np.repeat(np.arange(50), 10), "item": "likert",
                           "draw": np.tile(np.arange(10), 50), "response": rng.integers(1, 6, 500)})
    temp = likert.assign(item="temp", response=rng.normal(size=500))
    yes = likert.assign(item="yes", response=rng.integers(0, 2, 500))
    samples = pd.concat([likert, temp, yes], ignore_index=True)
    feats = ss.features(samples)
    assert len(feats) == 150
    compare(feats[feats["item"] == "likert"], likert, np.arange(1, 6))
    compare(feats[feats["item"] == "temp"], temp)
    compare(feats[feats["item"] == "yes"], yes, np.array([0, 1]))
    scales = ss.infer_scales(samples).set_index("item")
    assert scales.loc["likert", "kind"] == "ordinal" and scales.loc["likert", "n_levels"] == 5
    assert scales.loc["yes", "kind"] == "binary"
    assert scales.loc["temp", "kind"] == "continuous"
    assert "inferred" in scales.loc["likert", "source"]


def test_declared_levels_keep_unused_levels_and_name_shares_by_level():
    samples = pd.DataFrame({"id": [1, 1, 2, 2], "item": "q", "draw": [0, 1, 0, 1], "response": [2, 3, 3, 3]})
    feats = ss.features(samples, scales={"q": [1, 2, 3, 4]})
    assert list(feats.filter(like="llm_p").columns) == ["llm_p1", "llm_p2", "llm_p3", "llm_p4"]
    np.testing.assert_allclose(feats["llm_p1"], 0)
    np.testing.assert_allclose(feats["llm_p3"], [0.5, 1.0])


def test_inference_fills_integer_gaps_from_human_answers():
    samples = pd.DataFrame({"id": [1, 1, 2, 2], "item": "q", "draw": [0, 1, 0, 1], "response": [2, 4, 3, 4]})
    humans = pd.DataFrame({"id": [1], "item": "q", "response": [1]})
    table = ss.infer_scales(samples, humans).set_index("item")
    assert table.loc["q", "levels"] == (1, 2, 3, 4)


def test_features_handle_categorical_item_and_string_ids():
    samples = pd.DataFrame({"id": list("aabb"), "item": pd.Categorical(["q"] * 4),
                            "draw": [0, 1, 0, 1], "response": [1, 2, 2, 2]})
    feats = ss.features(samples)
    assert feats["id"].tolist() == ["a", "b"]
    np.testing.assert_allclose(feats["llm_mean"], [1.5, 2.0])


def test_quantile_names():
    assert quantile_name(0.1) == "llm_q10"
    assert quantile_name(0.975) == "llm_q97_5"
    with pytest.raises(ss.SynthsurveyError, match="strictly between"):
        quantile_name(1.0)


def test_dictionary_encoded_string_columns_give_the_same_features():
    import pyarrow as pa

    rng = np.random.default_rng(5)
    samples = pd.DataFrame({"id": np.repeat(np.arange(20), 9), "item": np.tile(["b", "a", "c"], 60),
                            "draw": np.tile(np.repeat(np.arange(3), 3), 20), "response": rng.integers(1, 6, 180)})
    encoded = samples.assign(item=pd.arrays.ArrowExtensionArray(pa.array(samples["item"]).dictionary_encode()))
    pd.testing.assert_frame_equal(ss.features(encoded), ss.features(samples), check_dtype=False)


def test_compiled_kernels_are_active_in_the_test_environment():
    # the `fast` extra (numba) is part of `dev`: the kernel path must be the one tested by default
    assert kernels.enabled()


def messy_study(seed):
    """Shuffled rows, gaps in the ids, three items (one with half-point levels, one continuous)."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(5, 400, 3), size=60, replace=False)
    n_draws = rng.integers(1, 30, size=len(ids))
    person = np.repeat(ids, n_draws)
    draw = np.concatenate([rng.permutation(200)[:n] for n in n_draws])
    likert = pd.DataFrame({"id": person, "item": "likert", "draw": draw,
                           "response": rng.choice([1, 2, 4, 5], size=len(person))})
    half = likert.assign(item="half", response=rng.choice([0.5, 1.0, 1.5, 2.5], size=len(person)))
    temp = likert.assign(item="temp", response=rng.normal(size=len(person)))
    return pd.concat([likert, half, temp], ignore_index=True).sample(frac=1, random_state=seed)


@pytest.mark.parametrize("seed, quantiles", [(0, QUANTILES), (1, (0.8, 0.05, 0.5))])
def test_kernel_and_numpy_paths_agree(seed, quantiles):
    samples = messy_study(seed)
    scales = {"likert": [1, 2, 3, 4, 5], "half": [0.5, 1.0, 1.5, 2.0, 2.5]}
    compiled, plain = both_paths(lambda: ss.features(samples, scales=scales, quantiles=quantiles))
    pd.testing.assert_frame_equal(compiled, plain, rtol=1e-12, atol=1e-12)
    assert compiled["llm_p3"].eq(0).loc[compiled["item"] == "likert"].all()
    if quantiles == QUANTILES:
        likert = samples[samples["item"] == "likert"]
        compare(compiled[compiled["item"] == "likert"], likert, np.array(scales["likert"]))
    # half-point levels are named by position: level 2.0 (never drawn) is llm_p4
    assert compiled.loc[compiled["item"] == "half", "llm_p4"].eq(0).all()


def test_both_paths_reject_a_repeated_draw_naming_it():
    samples = messy_study(2)
    for item in ("likert", "temp"):  # discrete (kernel) and continuous items
        repeated = samples[samples["item"] == item].iloc[[0]]
        bad = pd.concat([samples, repeated.assign(response=repeated["response"] + 1)], ignore_index=True)
        row = repeated.iloc[0]
        message = rf"2 rows that repeat a \(id, item, draw\).*id={row['id']}, item='{item}', draw={row['draw']}"
        for path in (contextlib.nullcontext(), numpy_path()):
            with path, pytest.raises(ss.SynthsurveyError, match=message):
                ss.features(bad)


def test_both_paths_reject_a_response_outside_the_declared_levels():
    samples = messy_study(3)
    samples = samples[samples["item"] == "likert"]
    for path in (contextlib.nullcontext(), numpy_path()):
        with path, pytest.raises(ss.SynthsurveyError, match=r"item 'likert' has response\(s\) 5.0 outside its levels"):
            ss.features(samples, scales={"likert": [1, 2, 3, 4]})


def test_constant_draws_have_zero_spread_on_both_paths():
    samples = pd.DataFrame({"id": np.repeat([1, 2], [37, 5]), "item": "q", "draw": np.r_[0:37, 0:5],
                            "response": [4] * 37 + [2] * 5})
    for feats in both_paths(lambda: ss.features(samples, scales={"q": [1, 2, 3, 4, 5]})):
        assert (feats[["llm_sd", "llm_skew", "llm_kurtosis", "llm_entropy", "llm_iqr"]] == 0).all().all()
        assert (feats["llm_modal"] == 1).all()


def test_empty_samples_get_a_clear_error():
    empty = pd.DataFrame({"id": pd.Series([], dtype=int), "item": pd.Series([], dtype=object),
                          "draw": pd.Series([], dtype=int), "response": pd.Series([], dtype=float)})
    with pytest.raises(ss.SynthsurveyError, match="samples has no rows"):
        ss.features(empty)

"""Features of several LLM sources: one row per (key, item, source), each source's rows equal to the
one-source features of that source's draws (source of truth: the one-source kernel, itself tested
against numpy/scipy in test_table.py)."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.featurize.sources import source_labels
from tests.helpers import long_samples


def test_features_per_source_equal_the_one_source_features_of_its_rows(sources_study):
    samples = sources_study.samples
    scales = {"belief": [1, 2, 3, 4, 5], "action": [0, 1]}
    feats = ss.features(samples, scales=scales)
    assert list(feats.columns[:3]) == ["id", "item", "source"]
    assert len(feats) == samples.groupby(["id", "item", "source"]).ngroups
    for source in ("base", "persona", "finetuned"):
        rows = samples[samples["source"] == source].drop(columns="source")
        alone = ss.features(rows, scales=scales)
        mine = feats[feats["source"] == source].drop(columns="source").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone.reset_index(drop=True), check_dtype=False)


def test_a_source_that_never_draws_a_level_shares_the_items_scale():
    """Scale inference pools every source: source b never draws 5, yet its table has llm_p5 = 0,
    exactly the one-source features of its rows under the pooled scale."""
    rng = np.random.default_rng(1)
    a = long_samples(rng.integers(1, 6, size=(30, 8))).assign(source="a")
    b = long_samples(rng.integers(1, 5, size=(30, 8))).assign(source="b")
    feats = ss.features(pd.concat([a, b], ignore_index=True))
    rows_b = feats[feats["source"] == "b"]
    assert (rows_b["llm_p5"] == 0).all()
    alone = ss.features(b.drop(columns="source"), scales={"q": [1, 2, 3, 4, 5]})
    pd.testing.assert_frame_equal(rows_b.drop(columns="source").reset_index(drop=True), alone, check_dtype=False)
    inferred = ss.features(b.drop(columns="source"))
    assert "llm_p5" not in inferred.columns or inferred["llm_p5"].isna().all()  # alone, 5 is not a level


def test_source_labels_and_missing_sources():
    samples = long_samples(np.ones((3, 2))).assign(source=["x", "y"] * 3)
    assert source_labels(samples) == ("x", "y")
    assert source_labels(samples.drop(columns="source")) == ()
    samples.loc[0, "source"] = None
    with pytest.raises(ss.SynthsurveyError, match="'source' has 1 missing"):
        ss.features(samples)

"""Group-level cells and their calibration: on Smartvote (bundled) and, as a check on
outside data, the distributional-alignment benchmark read from ../shared/data (never copied)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey import metrics
from synthsurvey.groups import GroupCalibration, alignment, alignment_curve, calibrate_groups, group_cells

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "distalign_benchmark"


@pytest.fixture(scope="module")
def smartvote_cells():
    data = ss.datasets.load_smartvote()
    return group_cells(data.samples, data.humans, data.covariates, key="party")


def test_cells_are_pmfs(smartvote_cells):
    sums = smartvote_cells.groupby(["item", "group"])[["human_prob", "llm_prob"]].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    assert smartvote_cells["group"].nunique() == 8  # the persona-less list has no cells
    one = smartvote_cells[(smartvote_cells["item"] == "q32214") & (smartvote_cells["group"] == "SP")]
    data = ss.datasets.load_smartvote()
    answers = data.humans.merge(data.covariates, on="id").query("item == 'q32214' and party == 'SP'")["response"]
    levels = np.sort(data.humans.query("item == 'q32214'")["response"].unique())
    expected = answers.value_counts(normalize=True).reindex(levels, fill_value=0)
    np.testing.assert_allclose(one["human_prob"], expected.to_numpy())


def test_alignment_is_one_minus_scaled_w1():
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.5, 0.3, 0.2])
    assert alignment(p, q) == pytest.approx(metrics.opinion_alignment(p, q))


def test_calibration_flattens_overconfident_llm_and_helps_on_held_out_cells(smartvote_cells):
    curve = alignment_curve(smartvote_cells, sizes=(20,), replications=6, seed=1)
    assert curve["gain"].iloc[0] > 2 * curve["gain_sd"].iloc[0] / np.sqrt(6)
    keys = list(smartvote_cells.groupby(["item", "group"]).groups)[:20]
    fitted = calibrate_groups(smartvote_cells, keys)
    assert fitted.tau < 1  # GPT-4's party distributions are too concentrated
    evaluated = fitted.evaluate(smartvote_cells)
    assert len(evaluated) == 600 - 20


def test_transform_and_errors(smartvote_cells):
    calibration = GroupCalibration(tau=2.0, labeled=())
    np.testing.assert_allclose(calibration.transform([0.25, 0.75]), np.array([1, 9]) / 10)
    with pytest.raises(ss.SynthsurveyError, match="not in cells"):
        calibrate_groups(smartvote_cells, [("nope", "SP")])
    with pytest.raises(ss.SynthsurveyError, match="at least one"):
        calibrate_groups(smartvote_cells, [])


def test_distributional_alignment_benchmark_cells():
    assert SHARED.exists(), f"the shared benchmark data must lie beside the repository: {SHARED}"
    table = pd.read_csv(SHARED / "opinionqa_llm_vs_human_distributions.csv.gz")
    chosen = table[(table["model"] == "gpt-4") & (table["method"] == "sequence") & (table["steering"] == "persona")]
    cells = chosen.rename(columns={"qid": "item", "letter": "level"})[["item", "group", "level", "human_prob", "llm_prob"]]
    sums = cells.groupby(["item", "group"])[["human_prob", "llm_prob"]].sum()
    cells = cells.set_index(["item", "group"]).loc[sums[(sums - 1).abs().max(axis=1) < 1e-6].index].reset_index()
    curve = alignment_curve(cells, sizes=(10,), replications=3, seed=0)
    assert 0.5 < curve["alignment_before"].iloc[0] < 1
    assert np.isfinite(curve["alignment_after"].iloc[0])

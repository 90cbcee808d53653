"""Group-level cells and their calibration: on Smartvote (bundled) and, as a check on
outside data, the distributional-alignment benchmark read from ../shared/data (never copied)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.evaluation import metrics
from synthsurvey.evaluation.groups import GroupCalibration, alignment_curve, calibrate_groups, group_cells

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "distalign_benchmark"


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


def test_a_one_level_cell_is_refused_naming_it(smartvote_cells):
    # alignment is 0/0 on one level: such a cell must not turn into a NaN that means skip silently
    one = pd.DataFrame([{"item": "q1", "group": "g1", "level": 1, "human_prob": 1.0, "llm_prob": 1.0}])
    with pytest.raises(ss.SynthsurveyError, match=r"item='q1', group='g1'.* 1 level"):
        calibrate_groups(pd.concat([smartvote_cells, one]), [("q1", "g1")])
    with pytest.raises(ss.SynthsurveyError, match="at least 2 levels"):
        metrics.opinion_alignment([1.0], [1.0])


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
    n_levels = cells.groupby(["item", "group"]).size()
    keep = sums.index[((sums - 1).abs().max(axis=1) < 1e-6) & (n_levels.loc[sums.index] >= 2)]
    cells = cells.set_index(["item", "group"]).loc[keep].reset_index()
    # the file's probabilities are rounded to 6 decimals: rescale each kept pmf to sum to 1
    for column in ("human_prob", "llm_prob"):
        cells[column] /= cells.groupby(["item", "group"])[column].transform("sum")
    curve = alignment_curve(cells, sizes=(10,), replications=3, seed=0)
    assert 0.5 < curve["alignment_before"].iloc[0] < 1
    assert np.isfinite(curve["alignment_after"].iloc[0])

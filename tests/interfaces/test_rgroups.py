"""The R package's group-calibration calls: the alignment curve per setting as R receives it
(source of truth: ``ss.alignment_curve`` on the same cells)."""

import numpy as np

import synthsurvey as ss
from synthsurvey.interfaces import rgroups

from tests.helpers import read_by_r, sent_by_r


def test_alignment_curve_per_setting_as_r_receives_it():
    data = ss.datasets.load_smartvote()
    cells = ss.group_cells(data.samples, data.humans, data.covariates, key="party")
    questions = sorted(cells["item"].unique())
    cells["half"] = np.where(cells["item"].isin(questions[:len(questions) // 2]), "first", "second")
    alive = []
    result = rgroups.alignment_curve(sent_by_r(cells, alive), [3], 1, 0, "half")
    expected = ss.alignment_curve(cells, sizes=[3], replications=1, by="half")
    settings = read_by_r(result["settings"])
    np.testing.assert_array_equal(settings["gain"], expected.settings["gain"])
    assert result["by"] == ["half"]
    draws = read_by_r(result["draws"])
    first = expected.draws["labeled"].iloc[0]
    assert draws["labeled"].iloc[0] == "; ".join(f"{item} / {group}" for item, group in first)

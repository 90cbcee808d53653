"""The cost view's cheapest design against ppi-python's mixed-subjects power analysis
(``ppi_py.ppi_power``, the reference) and against a brute-force search over pilot sizes."""

import warnings

import numpy as np
import pytest
from ppi_py import ppi_power

import synthsurvey as ss
from synthsurvey.inference.budget import cheapest_design, effective_n, required_effective_n


@pytest.mark.parametrize("rho", [0.05, 0.3, 0.6, 0.9, 0.97])
@pytest.mark.parametrize("costs", [(10, 0.1, 0.0), (1, 0.5, 0.1), (5, 0.02, 0.3), (1, 1, 0.0)])
@pytest.mark.parametrize("n_max", [None, 2000, 500])
def test_cheapest_design_equals_ppi_power(rho, costs, n_max):
    cost_human, cost_prediction, cost_person = costs
    for needed in (50, 400, 3000):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = ppi_power(rho, cost_person, cost_human, cost_prediction, effective_n=needed, n_max=n_max)
        mine = cheapest_design(rho, cost_human, cost_prediction, needed, cost_person, n_max)
        assert (mine["n"], mine["n_unlabeled"]) == (reference["n"], reference["N"])
        assert mine["cost"] == pytest.approx(reference["cost"], abs=1e-9)


def test_the_closed_form_is_the_brute_force_minimum():
    """Over every pilot size n, the unlabeled count reaching n_effective exactly, the cheapest pair:
    the closed form lands within one rounding step of it."""
    rho, cost_human, cost_prediction, needed = 0.7, 4.0, 0.05, 600.0
    n = np.arange(int(needed * (1 - rho ** 2)) + 1, int(needed) + 1, dtype=float)
    unlabeled = n * (needed - n) / (n - (1 - rho ** 2) * needed)
    cost = n * (cost_human + cost_prediction) + unlabeled * cost_prediction
    best = int(n[np.argmin(cost)])
    mine = cheapest_design(rho, cost_human, cost_prediction, needed)
    assert abs(mine["n"] - best) <= 1
    assert mine["cost"] <= cost.min() + cost_human + cost_prediction  # one rounding step
    assert mine["n_effective"] == pytest.approx(needed, rel=0.005)
    assert effective_n(100, 0, 0.5) == 100
    assert required_effective_n(0.1, 1.0) == pytest.approx((1.959963984540054 / 0.1) ** 2)
    with pytest.raises(ss.SynthsurveyError, match="rho must lie"):
        cheapest_design(1.0, 1, 1, 10)

"""The cheapest mix of human answers and LLM predictions for a target precision of a mean.

Setting (the mixed-subjects design of Broska, Howes & van Loon 2024, as ``ppi_py.ppi_power``):
``n`` people answer and get predictions, ``n_unlabeled`` more get predictions only, independent
samples. PPI++ with its best lam has variance ``sd^2 / n * (1 - rho^2 N / (n + N))`` (rho: the
correlation of predictions and answers), so it is worth ``n_effective = n (n + N) / (n + (1 - rho^2)
N)`` answers alone. Costs: ``cost_human`` per answer, ``cost_prediction`` per person predicted
(e.g. draws per person x cost per draw), ``cost_person`` per person reached at all.

For a required ``n_effective = n0`` the cost ``n (c_h + c_p + c_x) + N (c_p + c_x)`` is smallest at

    n = n0 (1 - rho^2 + sqrt(g rho^2 (1 - rho^2))),  N = n (n0 - n) / (n - (1 - rho^2) n0),

with g = (c_p + c_x) / c_h (setting the derivative of the cost along n_effective = n0 to zero);
when that is dearer than n0 answers alone (no predictions), the answers alone are the plan. With
at most ``n_max`` people (a finite population), n + N = n_max gives the n that reaches n0.
"""

import numpy as np
import scipy.stats

from ..common.errors import SynthsurveyError


def required_effective_n(half_width, sd, alpha=0.05):
    """Answers alone needed for a CI half-width ``half_width`` of a mean with answers' sd ``sd``."""
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    return float((z * sd / half_width) ** 2)


def effective_n(n, n_unlabeled, rho):
    """Answers alone that ``n`` answers and ``n_unlabeled`` more predictions of correlation ``rho`` are worth."""
    return n * (n + n_unlabeled) / (n + (1 - rho ** 2) * n_unlabeled)


def cheapest_design(rho, cost_human, cost_prediction, n_effective, cost_person=0.0, n_max=None):
    """The cheapest (n, n_unlabeled) reaching ``n_effective`` (see the module docstring).

    Returns a dict: n, n_unlabeled (0: the answers alone are cheaper), cost, n_effective (reached,
    after rounding), rho. ``n_max`` caps n + n_unlabeled (the people there are); if even n_max
    answers alone fall short, n = n_max and n_effective says what is reached."""
    if not -1 < rho < 1:
        raise SynthsurveyError(f"rho must lie strictly between -1 and 1, got {rho!r}")
    if min(cost_human, cost_prediction, cost_person) < 0 or cost_human <= 0:
        raise SynthsurveyError("costs must be non-negative and the cost of a human answer positive")
    r2 = rho ** 2
    gamma = (cost_prediction + cost_person) / cost_human
    per_answer_ppi = cost_human * (1 - r2 + gamma * r2 + 2 * np.sqrt(gamma * r2 * (1 - r2)))
    per_answer_alone = cost_human + cost_person
    n0 = float(n_effective)
    n, n_unlabeled = n0, 0.0
    if per_answer_ppi < per_answer_alone and r2 > 0:
        ppi_n = n0 * (1 - r2 + np.sqrt(gamma * r2 * (1 - r2)))
        ppi_unlabeled = ppi_n * (n0 - ppi_n) / (ppi_n - (1 - r2) * n0)
        if ppi_unlabeled >= 0:  # else predictions do not pay: the answers alone
            n, n_unlabeled = ppi_n, ppi_unlabeled
    if n_max is not None and n + n_unlabeled > n_max:
        if n0 > n_max or r2 == 0:
            n, n_unlabeled = float(n_max), 0.0
        else:  # all n_max people predicted; the fewest answers reaching n0
            n = n0 * n_max * (1 - r2) / (n_max - r2 * n0)
            n_unlabeled = n_max - n
    n, n_unlabeled = int(round(n)), int(round(max(n_unlabeled, 0.0)))
    cost = n * (cost_human + cost_prediction + cost_person) + n_unlabeled * (cost_prediction + cost_person)
    if n_unlabeled == 0:
        cost = n * per_answer_alone
    return {"n": n, "n_unlabeled": n_unlabeled, "cost": float(cost),
            "n_effective": float(effective_n(n, n_unlabeled, rho)) if n else 0.0, "rho": float(rho)}

"""Subgroups as domains of the whole design, and the rows whose interval cannot be trusted.

A subgroup estimate (``by=``) is a domain estimate, as ``survey::svyby`` makes it: the pilot's
design stays whole (every stratum and cluster, with the frame's sizes), and rows outside the
group contribute zero influence. Its degrees of freedom are the group's sampled units minus
their strata.

An interval needs enough pilot answers to estimate a spread: below ``min_pilot`` sampled units
(rows, or clusters under a clustered design) in the estimate's group, or when every pilot answer
in it is the same (no spread: a variance estimate of 0 is not knowledge of a variance of 0), the
row keeps its estimate but its standard error and interval are withheld (NaN) and its ``flag``
says why. ``n_effective`` is then NaN too, never infinite.
"""

import numpy as np

from ..common.checks import check_count

MIN_PILOT = 10


def groups(frame, by):
    """(group key tuples in order, their row masks): factor levels in their order (ordered
    factors included), other values sorted; people with a missing ``by`` value are in no group."""
    keys, masks = [], []
    for key, group in frame.reset_index(drop=True).groupby(list(by), sort=True, observed=True, dropna=True):
        rows = np.zeros(len(frame), dtype=bool)
        rows[group.index.to_numpy()] = True
        keys.append(key if isinstance(key, tuple) else (key,))
        masks.append(rows)
    return keys, masks


def check_min_pilot(min_pilot):
    return check_count(min_pilot, "min_pilot", minimum=2)


def interval_flag(n_units, spread, min_pilot, clustered=False):
    """Why a row's interval is withheld ("" when it is not): fewer than ``min_pilot`` sampled units,
    or no spread among the pilot answers (``spread`` False)."""
    unit = "pilot clusters" if clustered else "pilot answers"
    if n_units < min_pilot:
        return f"{n_units} {unit} (fewer than min_pilot={min_pilot}): no interval"
    if not spread:
        return "every pilot answer is the same (no spread to estimate a variance from): no interval"
    return ""

"""The R package's calls for group-level calibration (``r-package/R/groups.R``): group cells, a
calibration fit, the alignment curve per setting, and the distributional-alignment benchmark's
reader. Imported by ``rapi`` (the module R loads); no statistics here."""

import numpy as np

from .. import evaluation as fidelity_stage
from ..io import distalign
from .rbridge import frame_to_spec
from .rcommon import call_tables, from_spec, names


def group_cells(samples, humans, covariates, key, group):
    """ss_group_cells: human and LLM distributions per (item, group)."""
    samples, humans, covariates, _ = call_tables(samples, humans, covariates, key)
    return frame_to_spec(fidelity_stage.group_cells(samples, humans, covariates, key=key, group=group))


def _calibration_options(members, blends, metric):
    """The calibration options R set (None: the core's default)."""
    options = {"metric": metric}
    if members is not None:
        options["members"] = names(members)
    if blends is not None:
        options["blends"] = [float(blend) for blend in np.atleast_1d(blends)]
    return options


def calibrate_groups(cells, labeled, members=None, blends=None, metric="opinion_alignment"):
    """ss_calibrate_groups: the calibration fit on ``labeled`` [(item, group)]: the member chosen,
    its temperature, blend and cross-validated gain, the cross-validation table and the evaluation
    on the other cells."""
    cells = from_spec(cells)
    calibration = fidelity_stage.calibrate_groups(cells, [tuple(cell) for cell in labeled],
                                                  **_calibration_options(members, blends, metric))
    cv = calibration.cv
    cv = None if cv is None else frame_to_spec(cv.assign(params=cv["params"].map(_parameters)))
    return {"tau": float(calibration.tau), "member": str(calibration.member), "blend": float(calibration.blend),
            "cv_gain": float(calibration.cv_gain), "note": calibration.note, "cv": cv,
            "evaluation": frame_to_spec(calibration.evaluate(cells))}


def _parameters(params):
    """A member's parameters as text (tau=0.71, weight=0.2)."""
    if not isinstance(params, dict):
        return "" if params is None else str(params)
    return ", ".join(f"{name}={np.round(value, 4).tolist()}" for name, value in params.items())


def alignment_curve(cells, sizes, replications, seed, by=None, members=None, blends=None,
                    metric="opinion_alignment"):
    """ss_alignment_curve: the core's AlignmentCurve as frame specs (settings: one row per setting
    and size; summary: one row per size across settings; draws: one row per replication, the
    labeled cells as text) and its notes."""
    curve = fidelity_stage.alignment_curve(from_spec(cells), sizes=[int(size) for size in sizes],
                                           replications=int(replications), seed=int(seed), by=names(by),
                                           **_calibration_options(members, blends, metric))
    draws = curve.draws.assign(labeled=curve.draws["labeled"].map(
        lambda cells: "; ".join(f"{item} / {group}" for item, group in cells)))
    return {"settings": frame_to_spec(curve.settings), "summary": frame_to_spec(curve.summary),
            "draws": frame_to_spec(draws), "notes": [str(note) for note in curve.notes], "by": list(curve.by)}


def load_distalign(folder, benchmark, steering, models, methods, borrow, midpoints):
    """ss_load_distalign: the benchmark's cells (``io.distalign``), the cells left out and their
    counts by setting and reason."""
    options = {"steering": names(steering), "models": names(models), "methods": names(methods), "dropped": True}
    if benchmark == "opinionqa":
        cells, dropped = distalign.load_opinionqa(folder, borrow=bool(borrow), midpoints=midpoints, **options)
    else:
        cells, dropped = distalign.load_globalopinionqa(folder, **options)
    return {"cells": frame_to_spec(cells), "dropped": frame_to_spec(dropped),
            "dropped_summary": frame_to_spec(distalign.dropped_summary(dropped))}

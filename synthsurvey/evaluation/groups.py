"""Group-level data and its calibration curve: per (item, group) human answer distributions
beside LLM distributions (``group_cells``), and the alignment of held-out cells before and after
calibration by number of labeled cells, per setting (``alignment_curve``). The calibration
itself: ``calibration``."""


import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..common.checks import require_columns
from ..common.errors import SynthsurveyError
from ..featurize.scales import level_codes
from .calibration import BLENDS, _calibrate_pack, _check_options, _scores
from .cells import CELL_COLUMNS, _native, _split


def group_cells(samples, humans, covariates, key="id", group=None):
    """Long table (item, group, level, human_prob, llm_prob, n_human, n_llm): for each item and
    group, the pmf of the human answers over the item's observed human levels, and the pmf of
    the LLM draws of that group's people or persona, each draw binned to the nearest human level.

    group: the covariate defining groups (default: ``key``, e.g. the persona column).
    """
    group = group or key
    require_columns(covariates, ["id", group] + ([key] if key != "id" else []), "covariates")
    answers = humans.merge(covariates[["id", group]], on="id")
    people = covariates[[key, group]].drop_duplicates(key) if key != "id" else covariates[["id", group]]
    draws = samples.merge(people, on=key) if key != group else samples.assign(**{group: samples[key]})
    rows = []
    for item, human_item in answers.groupby("item", sort=True):
        levels = np.sort(human_item["response"].unique())
        llm_item = draws[draws["item"] == item]
        for name, human_group in human_item.groupby(group, sort=True):
            llm_values = llm_item.loc[llm_item[group] == name, "response"].to_numpy(dtype=float)
            if len(llm_values) == 0:
                continue
            human_codes = np.searchsorted(levels, human_group["response"].to_numpy())
            llm_codes = level_codes(llm_values, levels, exact=False)  # each draw binned to the nearest human level
            human_pmf = np.bincount(human_codes, minlength=len(levels)) / len(human_codes)
            llm_pmf = np.bincount(llm_codes, minlength=len(levels)) / len(llm_codes)
            for level, h, p in zip(levels, human_pmf, llm_pmf):
                rows.append({"item": item, "group": name, "level": level, "human_prob": h, "llm_prob": p,
                             "n_human": len(human_codes), "n_llm": len(llm_codes)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# cells as padded arrays


@dataclass(frozen=True)
class AlignmentCurve:
    """Alignment before and after calibration by number of labeled cells, per setting.

    settings: one row per setting (the ``by`` columns) and size: n_cells, replications,
    alignment_before / alignment_after (means over replications of the mean over the unlabeled
    cells), gain and gain_sd (over replications), chosen (how often each member was chosen).
    summary: one row per size, across the settings evaluated at that size: settings,
    alignment_before / alignment_after (means over settings), gain, sd_before / sd_after (the
    standard deviation across settings of their mean alignment, ddof=1), worst_gain and
    worst_gain_setting, lowest_after and lowest_after_setting, skipped (settings with too few cells).
    draws: one row per setting, size and replication: the member and blend chosen, cv_gain, the
    mean alignments, and labeled (the (item, group) cells drawn).
    notes: what was skipped and why.
    """

    settings: pd.DataFrame
    summary: pd.DataFrame
    draws: pd.DataFrame = field(repr=False)
    notes: tuple = ()
    by: tuple = ()


def _label(by, key):
    return " / ".join(str(v) for v in key) if by else "all cells"


def alignment_curve(cells, sizes=(1, 3, 10, 30), replications=20, seed=0, *, by=None, members=None,
                    alpha=0.05, blends=BLENDS, ridge=0.01, metric="opinion_alignment", folds="item"):
    """Mean alignment on the unlabeled cells before and after calibration, for each number of
    labeled cells in ``sizes`` drawn at random (``replications`` draws per size) and each setting
    (the groups of columns ``by``, e.g. ["model", "method", "steering"]; None: all cells are one
    setting). A size that leaves a setting no cell to evaluate is skipped with a note. Every
    setting and size draws from its own seeded stream, so runs with other options (members,
    alpha, blends) see the same labeled cells. Returns an AlignmentCurve; the calibration options are
    those of ``calibrate_groups``."""
    members, blends = _check_options(members, metric, alpha, blends, ridge, folds)
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    require_columns(cells, CELL_COLUMNS + by, "cells")
    sizes = [int(s) for s in sizes]
    if any(s < 1 for s in sizes) or replications < 1:
        raise SynthsurveyError(f"sizes and replications must be positive, got {sizes} and {replications}")
    groups = cells.groupby(by, sort=True) if by else [((), cells)]
    draws, notes = [], []
    for key, setting_cells in groups:
        key = tuple(_native(k) for k in (key if isinstance(key, tuple) else (key,))) if by else ()
        pack = _split(setting_cells)
        n = len(pack.keys)
        for size in sizes:
            if size >= n:
                notes.append(f"{_label(by, key)}: {size} labeled cells leave none to evaluate (there are {n})")
                continue
            rng = np.random.default_rng([seed, zlib.crc32(repr(key).encode()), size])
            for replication in range(replications):
                chosen = rng.choice(n, size, replace=False)
                rest = np.setdiff1d(np.arange(n), chosen)
                fitted = _calibrate_pack(pack.take(chosen), metric, members, alpha, blends, ridge, folds)
                before, after = _scores(fitted, pack.take(rest))
                draws.append({**dict(zip(by, key)), "n_labeled": size, "replication": replication,
                              "n_cells": n, "member": fitted.member, "blend": fitted.blend, "cv_gain": fitted.cv_gain,
                              "alignment_before": before.mean(), "alignment_after": after.mean(),
                              "labeled": fitted.labeled})
    columns = by + ["n_labeled", "replication", "n_cells", "member", "blend", "cv_gain", "alignment_before",
                    "alignment_after", "labeled"]
    draws = pd.DataFrame(draws, columns=columns)
    draws["gain"] = draws["alignment_after"] - draws["alignment_before"]
    keys = by + ["n_labeled"]
    settings = draws.groupby(keys, sort=True).agg(
        n_cells=("n_cells", "first"), replications=("replication", "size"),
        alignment_before=("alignment_before", "mean"), alignment_after=("alignment_after", "mean"),
        gain=("gain", "mean"), gain_sd=("gain", "std"),
        chosen=("member", lambda m: ", ".join(f"{k} {v}" for k, v in m.value_counts().items()))).reset_index()
    summary = []
    n_settings = len(groups) if by else 1
    for size in sizes:
        rows = settings[settings["n_labeled"] == size]
        label = [_label(by, tuple(r)) for r in rows[by].itertuples(index=False)] if by else ["all cells"] * len(rows)
        if rows.empty:
            summary.append({"n_labeled": size, "settings": 0, "skipped": n_settings})
            continue
        worst, lowest = int(np.argmin(rows["gain"].to_numpy())), int(np.argmin(rows["alignment_after"].to_numpy()))
        summary.append({"n_labeled": size, "settings": len(rows),
                        "alignment_before": rows["alignment_before"].mean(),
                        "alignment_after": rows["alignment_after"].mean(), "gain": rows["gain"].mean(),
                        "sd_before": rows["alignment_before"].std(), "sd_after": rows["alignment_after"].std(),
                        "worst_gain": rows["gain"].iloc[worst], "worst_gain_setting": label[worst],
                        "lowest_after": rows["alignment_after"].iloc[lowest], "lowest_after_setting": label[lowest],
                        "skipped": n_settings - len(rows)})
    summary = pd.DataFrame(summary, columns=["n_labeled", "settings", "alignment_before", "alignment_after", "gain",
                                             "sd_before", "sd_after", "worst_gain", "worst_gain_setting",
                                             "lowest_after", "lowest_after_setting", "skipped"])
    return AlignmentCurve(settings=settings, summary=summary, draws=draws, notes=tuple(notes), by=tuple(by))

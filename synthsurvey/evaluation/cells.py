"""Cells of group-level data (item, group, level, human_prob, llm_prob) checked and packed into
arrays, one row per (item, group) cell padded to the most levels: what the calibration fits on."""

from dataclasses import dataclass

import numpy as np

from ..common.checks import numeric_values, require_columns
from ..common.errors import SynthsurveyError, preview, show

CELL_COLUMNS = ["item", "group", "level", "human_prob", "llm_prob"]
FLOOR = 1e-12  # LLM probabilities are floored here before their logarithm


@dataclass(frozen=True)
class _Pack:
    """Cells as arrays padded to the largest number of levels K: human and llm (n, K) with 0 in
    the padding, mask (n, K), n_levels (n,), position (n, K) relative positions in [0, 1]."""

    keys: tuple
    human: np.ndarray
    llm: np.ndarray
    mask: np.ndarray
    n_levels: np.ndarray

    def take(self, index):
        index = np.asarray(index)
        return _Pack(tuple(self.keys[i] for i in index), self.human[index], self.llm[index],
                     self.mask[index], self.n_levels[index])

    @property
    def position(self):
        steps = np.arange(self.mask.shape[1])[None, :] / np.maximum(self.n_levels[:, None] - 1, 1)
        return np.where(self.mask, steps, 0.0)

    @property
    def log_llm(self):
        return np.where(self.mask, np.log(np.clip(self.llm, FLOOR, None)), -np.inf)


def _native(value):
    return value.item() if hasattr(value, "item") else value


def _settings_hint(cells):
    varying = [c for c in cells.columns if c not in CELL_COLUMNS and cells[c].nunique(dropna=False) > 1
               and cells.groupby(["item", "group", "level"])[c].nunique(dropna=False).max() > 1]
    return varying


def _split(cells):
    """Validate ``cells`` (one setting) and return them as a _Pack in (item, group) order."""
    require_columns(cells, CELL_COLUMNS, "cells")
    repeated = cells.duplicated(["item", "group", "level"], keep=False)
    if repeated.any():
        example = cells.loc[repeated, ["item", "group", "level"]].iloc[0]
        varying = _settings_hint(cells)
        hint = (f"; they differ in {preview(varying)}: calibrate one setting at a time "
                f"(alignment_curve(..., by=[...]) does)") if varying else ""
        raise SynthsurveyError(f"cells repeat (item, group, level), e.g. item={show(example['item'])}, "
                               f"group={show(example['group'])}, level={show(example['level'])}{hint}")
    frame = cells.sort_values(["item", "group", "level"], kind="stable")
    for column in ("human_prob", "llm_prob"):
        values = numeric_values(frame, column, "cells")
        if np.isnan(values).any() or (values < -1e-12).any():
            bad = frame[np.isnan(values) | (values < -1e-12)].iloc[0]
            raise SynthsurveyError(f"cells column {column!r} must be non-negative probabilities; item="
                                   f"{show(bad['item'])}, group={show(bad['group'])} has {show(bad[column])}")
    grouped = frame.groupby(["item", "group"], sort=False)
    sizes = grouped.size()
    if (sizes < 2).any():
        item, group = sizes.index[np.argmax(sizes.to_numpy() < 2)]
        raise SynthsurveyError(f"cell (item={show(item)}, group={show(group)}) has {sizes.min()} level: opinion "
                               "alignment needs at least 2 (drop the cells of one-level items)")
    sums = grouped[["human_prob", "llm_prob"]].sum()
    off = (sums - 1).abs().max(axis=1) > 1e-6
    if off.any():
        item, group = off.index[np.argmax(off.to_numpy())]
        raise SynthsurveyError(f"cell (item={show(item)}, group={show(group)}) is not a pair of pmfs: its "
                               f"human_prob and llm_prob sum to {sums.loc[(item, group)].round(6).tolist()} "
                               "(rescale each to sum to 1)")
    code = grouped.ngroup().to_numpy()
    within = grouped.cumcount().to_numpy()
    n_cells, width = len(sizes), int(sizes.max())
    human, llm = np.zeros((n_cells, width)), np.zeros((n_cells, width))
    human[code, within] = np.clip(frame["human_prob"].to_numpy(dtype=float), 0, None)
    llm[code, within] = np.clip(frame["llm_prob"].to_numpy(dtype=float), 0, None)
    n_levels = sizes.to_numpy()
    mask = np.arange(width)[None, :] < n_levels[:, None]
    keys = tuple((_native(item), _native(group)) for item, group in sizes.index)
    return _Pack(keys, human, llm, mask, n_levels)

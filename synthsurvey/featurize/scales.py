"""Response scales of survey items: ordinal (explicit levels), binary, or continuous.

A scale is declared by the user or inferred from the values seen; the inference
is recorded in ``Scale.source`` so fits and feature tables can report it. A discrete
scale codes answers to level positions (``Scale.codes``) and indicator columns
(``Scale.indicators``): the one place answers are matched to levels.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..common.checks import numeric_values
from ..common.errors import SynthsurveyError, preview

KINDS = ("ordinal", "binary", "continuous")
MAX_INFERRED_LEVELS = 11  # integer items with at most this many values are ordinal


def level_codes(values, levels, exact=True, where="values"):
    """Position of each value among ``levels`` (sorted numbers), an int array.

    exact: values must equal a level (to floating-point tolerance), else an error naming the
    values outside; with ``exact=False`` each value goes to its nearest level (binning).
    """
    values = np.asarray(values, dtype=float)
    levels = np.asarray(levels, dtype=float)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    codes = np.clip(np.searchsorted(levels, values), 0, len(levels) - 1)
    below = np.clip(codes - 1, 0, len(levels) - 1)
    nearer = np.abs(values - levels[below]) <= np.abs(values - levels[codes])  # ties go to the lower level
    codes = np.where(nearer, below, codes)
    if exact:
        outside = ~np.isclose(levels[codes], values)
        if outside.any():
            raise SynthsurveyError(
                f"{where} hold value(s) {preview(np.unique(values[outside]))} that are not among the levels "
                f"{preview(levels.tolist(), 12)}")
    return codes.astype(np.int64)


@dataclass(frozen=True)
class Scale:
    """The response scale of one item.

    kind: ``"ordinal"``, ``"binary"`` or ``"continuous"``.
    levels: sorted numeric levels (ordinal and binary); empty for continuous.
    source: how the scale was obtained (``"declared"`` or a sentence on the inference).
    """

    kind: str
    levels: tuple = ()
    source: str = "declared"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise SynthsurveyError(f"scale kind {self.kind!r} is not one of {KINDS}")
        if self.kind != "continuous":
            levels = tuple(sorted(float(v) for v in self.levels))
            if len(levels) < 2:
                raise SynthsurveyError(
                    f"an {self.kind} scale needs at least 2 levels, got {preview(self.levels)}"
                )
            if len(set(levels)) != len(levels):
                raise SynthsurveyError(f"scale levels repeat a value: {preview(self.levels)}")
            if self.kind == "binary" and len(levels) != 2:
                raise SynthsurveyError(f"a binary scale has exactly 2 levels, got {preview(levels)}")
            object.__setattr__(self, "levels", levels)

    @property
    def is_discrete(self):
        """True for ordinal and binary scales (responses take one of ``levels``)."""
        return self.kind != "continuous"

    @property
    def n_levels(self):
        return len(self.levels)

    def codes(self, values, where="values"):
        """Position (0..C-1) of each value among the levels; an error names values off the scale."""
        self._require_discrete()
        return level_codes(values, self.levels, exact=True, where=where)

    def indicators(self, values, where="values"):
        """(n, C) float array: 1 where the value is the level, else 0."""
        return np.eye(self.n_levels)[self.codes(values, where)]

    def _require_discrete(self):
        if not self.is_discrete:
            raise SynthsurveyError(f"a {self.describe()} item has no levels to code answers to")

    def share_names(self):
        """Feature names of the category shares: ``llm_p<level>`` for integer levels
        (``llm_pm1`` for -1), positional ``llm_p1..llm_pC`` otherwise."""
        if all(float(v).is_integer() for v in self.levels):
            return [f"llm_p{int(v)}".replace("-", "m") for v in self.levels]
        return [f"llm_p{j + 1}" for j in range(self.n_levels)]

    def describe(self):
        """One line: kind, levels and source."""
        if self.kind == "continuous":
            return f"continuous ({self.source})"
        shown = ", ".join(f"{v:g}" for v in self.levels)
        return f"{self.kind} levels {{{shown}}} ({self.source})"


def as_scale(spec):
    """Turn a user declaration into a Scale: a Scale, ``"continuous"``, ``"binary"``
    (levels 0/1), a sequence of numeric levels (ordinal), or a dict
    ``{"kind": ..., "levels": ...}``."""
    if isinstance(spec, Scale):
        return spec
    if isinstance(spec, str):
        if spec == "continuous":
            return Scale("continuous")
        if spec == "binary":
            return Scale("binary", (0, 1))
        raise SynthsurveyError(
            f"scale {spec!r} needs levels: pass a list of levels for an ordinal item, "
            "or 'binary' / 'continuous'"
        )
    if isinstance(spec, dict):
        return Scale(spec["kind"], tuple(spec.get("levels", ())))
    levels = tuple(spec)
    kind = "binary" if sorted(float(v) for v in levels) == [0.0, 1.0] else "ordinal"
    return Scale(kind, levels)


def declared_scales(scales, items, where="samples"):
    """``{item: Scale}`` of the declarations in ``scales`` (None, one declaration for every item, or
    a dict by item); an error names declared items that are not among ``items``."""
    if scales is None:
        return {}
    items = list(items)
    if not isinstance(scales, dict):
        return {item: as_scale(scales) for item in items}
    known = set(items)
    unknown = [item for item in scales if item not in known]
    if unknown:
        raise SynthsurveyError(f"scales= names items not in {where}: {preview(unknown)}")
    return {item: as_scale(spec) for item, spec in scales.items()}


def infer_scale(values, item):
    """Infer an item's scale from its observed numeric responses.

    Integer values spanning at most 11 consecutive levels are ordinal, with every
    integer from the minimum to the maximum as a level (an unobserved middle level
    is kept); exactly {0, 1} is binary; anything else is continuous.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise SynthsurveyError(f"item {item!r} has no non-missing responses to infer its scale from")
    distinct = np.unique(values)
    if distinct.size < 2:
        raise SynthsurveyError(
            f"item {item!r} has a single level ({distinct[0]:g}) in the data: "
            "declare its scale with scales={...} or drop the item"
        )
    integer = np.all(distinct == np.round(distinct))
    span = distinct[-1] - distinct[0]
    if integer and span + 1 <= MAX_INFERRED_LEVELS:
        levels = tuple(np.arange(distinct[0], distinct[-1] + 1))
        if levels == (0.0, 1.0):
            return Scale("binary", levels, "inferred: values are 0/1")
        return Scale(
            "ordinal", levels,
            f"inferred: integer values {distinct[0]:g}..{distinct[-1]:g}",
        )
    return Scale("continuous", (), f"inferred: {distinct.size} distinct values, not a short integer range")


def resolve_scales(responses_by_item, declared=None):
    """Return ``{item: Scale}`` for every item, declared where given, else inferred.

    responses_by_item: mapping item -> array of responses (LLM draws, human answers or both).
    declared: optional declarations (see ``declared_scales``).
    """
    declared = declared_scales(declared, responses_by_item, "the data")
    return {
        item: declared[item] if item in declared else infer_scale(values, item)
        for item, values in responses_by_item.items()
    }


def answers_by_item(humans):
    """``{item: numeric answers}`` of a long humans table (id, item, response), for scale
    inference to cover levels only humans used; {} when ``humans`` is None or has no item."""
    if humans is None or "item" not in humans.columns or "response" not in humans.columns:
        return {}
    return {item: numeric_values(group, "response", "humans")
            for item, group in humans.groupby("item", observed=True, sort=False)}


def scales_from_features(features, declared=None):
    """Scales for a precomputed feature table: declared, else read off its share columns
    (``llm_p<level>``; items without shares are continuous). Declare the scale of an item
    with non-integer levels, whose share columns are positional."""
    declared = declared if isinstance(declared, dict) else {}
    result = {}
    for item, rows in features.groupby("item", observed=True):
        shares = [c for c in rows.columns if c.startswith("llm_p") and rows[c].notna().any()]
        if item in declared:
            result[item] = as_scale(declared[item])
        elif shares:
            levels = tuple(float(c[len("llm_p"):].replace("m", "-")) for c in shares)
            kind = "binary" if levels == (0.0, 1.0) else "ordinal"
            result[item] = Scale(kind, levels, "read off the share columns of features")
        else:
            result[item] = Scale("continuous", (), "features have no share columns")
    return result


def scales_table(scales):
    """Return a DataFrame (item, kind, n_levels, levels, source) describing ``{item: Scale}``."""
    return pd.DataFrame(
        [
            {
                "item": item,
                "kind": scale.kind,
                "n_levels": scale.n_levels,
                "levels": ", ".join(f"{v:g}" for v in scale.levels),
                "source": scale.source,
            }
            for item, scale in scales.items()
        ]
    )

"""Response scales of survey items: ordinal (explicit levels), binary, or continuous.

A scale is declared by the user or inferred from the values seen; the inference
is recorded in ``Scale.source`` so fits and feature tables can report it.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import SynthsurveyError, preview

KINDS = ("ordinal", "binary", "continuous")
MAX_INFERRED_LEVELS = 11  # integer items with at most this many values are ordinal


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
    declared: optional mapping item -> scale declaration (see ``as_scale``), or one
    declaration applied to every item.
    """
    if declared is not None and not isinstance(declared, dict):
        declared = {item: declared for item in responses_by_item}
    declared = declared or {}
    unknown = [item for item in declared if item not in responses_by_item]
    if unknown:
        raise SynthsurveyError(f"scales= names items not in the data: {preview(unknown)}")
    return {
        item: as_scale(declared[item]) if item in declared else infer_scale(values, item)
        for item, values in responses_by_item.items()
    }


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

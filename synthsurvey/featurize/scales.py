"""Response scales of survey items: ordinal (explicit levels), binary, or continuous.

A scale is declared by the user (its levels and its missing-value codes) or inferred from the
values seen (``scale_inference``); the inference is recorded in ``Scale.source`` and what looked
suspicious in ``Scale.notes``, so fits and reports can show it. A discrete scale codes answers to
level positions (``Scale.codes``) and indicator columns (``Scale.indicators``): the one place
answers are matched to levels.
"""

from dataclasses import dataclass, field, replace

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

    kind: ``"ordinal"``, ``"binary"``, ``"continuous"``, or None for a partial declaration whose
        levels are inferred from the data (e.g. ``Scale(missing=(99,))``: only the missing codes
        are declared).
    levels: sorted numeric levels (ordinal and binary); empty for continuous.
    source: how the scale was obtained (``"declared"`` or a sentence on the inference).
    missing: missing-value codes (e.g. ``(8, 9, 99)`` for "don't know" / "refused"): answers and
        draws equal to one of them are treated as missing, and counted, never as a level.
    notes: sentences on anything suspicious scale inference found (see ``scale_inference``).
    """

    kind: str = None
    levels: tuple = ()
    source: str = "declared"
    missing: tuple = ()
    notes: tuple = field(default=(), compare=False)  # what inference found suspicious

    def __post_init__(self):
        missing = _numbers(self.missing, "missing codes")
        if len(set(missing)) != len(missing):
            raise SynthsurveyError(f"missing codes repeat a value: {preview(self.missing)}")
        object.__setattr__(self, "missing", tuple(sorted(missing)))
        if self.kind is None:
            if len(self.levels):
                raise SynthsurveyError("a scale with levels needs a kind ('ordinal' or 'binary')")
            return
        if self.kind not in KINDS:
            raise SynthsurveyError(f"scale kind {self.kind!r} is not one of {KINDS}")
        if self.kind != "continuous":
            levels = tuple(sorted(_numbers(self.levels, "scale levels")))
            if len(levels) < 2:
                raise SynthsurveyError(
                    f"an {self.kind} scale needs at least 2 levels, got {preview(self.levels)}"
                )
            if len(set(levels)) != len(levels):
                raise SynthsurveyError(f"scale levels repeat a value: {preview(self.levels)}")
            if self.kind == "binary" and len(levels) != 2:
                raise SynthsurveyError(f"a binary scale has exactly 2 levels, got {preview(levels)}")
            both = sorted(set(levels) & set(self.missing))
            if both:
                raise SynthsurveyError(f"value(s) {', '.join(f'{v:g}' for v in both)} are declared both as levels "
                                       "and as missing codes")
            object.__setattr__(self, "levels", levels)

    @property
    def is_partial(self):
        """True for a declaration of missing codes only (the levels are to be inferred)."""
        return self.kind is None

    @property
    def is_discrete(self):
        """True for ordinal and binary scales (responses take one of ``levels``)."""
        return self.kind in ("ordinal", "binary")

    @property
    def n_levels(self):
        return len(self.levels)

    def is_missing(self, values):
        """Boolean array: True where a value is NaN or one of the missing codes."""
        values = np.asarray(values, dtype=float)
        missing = np.isnan(values)
        for code in self.missing:
            missing |= np.isclose(values, code)
        return missing

    def with_missing(self, missing):
        """This scale with missing codes ``missing`` (a completed partial declaration keeps its codes)."""
        return replace(self, missing=tuple(missing))

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
        """One line: kind, levels, missing codes and source."""
        codes = f", missing codes {{{', '.join(f'{v:g}' for v in self.missing)}}}" if self.missing else ""
        if self.kind is None:
            return f"levels to infer{codes} ({self.source})"
        if self.kind == "continuous":
            return f"continuous{codes} ({self.source})"
        shown = ", ".join(f"{v:g}" for v in self.levels)
        return f"{self.kind} levels {{{shown}}}{codes} ({self.source})"


def _numbers(values, what):
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        raise SynthsurveyError(f"{what} must be numbers, got {values!r}") from None
    if not all(np.isfinite(numbers)):
        raise SynthsurveyError(f"{what} must be finite numbers, got {values!r}")
    return numbers


DECLARATION_KEYS = ("kind", "levels", "missing")


def as_scale(spec):
    """Turn a user declaration into a Scale: a Scale, ``"continuous"``, ``"binary"``
    (levels 0/1), a sequence of numeric levels (ordinal), or a dict with ``levels`` and/or
    ``kind`` and ``missing`` (``{"levels": [1, 2, 3, 4, 5], "missing": [99]}``; a dict with
    ``missing`` alone declares the codes and leaves the levels to inference)."""
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
        unknown = [key for key in spec if key not in DECLARATION_KEYS]
        if unknown:
            raise SynthsurveyError(f"a scale declaration has keys {DECLARATION_KEYS}; unknown: {preview(unknown)}")
        levels = tuple(spec.get("levels", ()))
        kind = spec.get("kind")
        if kind is None and levels:
            kind = _kind_of(levels)
        if kind == "binary" and not levels:
            levels = (0, 1)
        return Scale(kind, levels, missing=tuple(spec.get("missing", ())))
    try:
        levels = tuple(spec)
    except TypeError:
        raise SynthsurveyError(f"cannot read a scale declaration from {spec!r}") from None
    return Scale(_kind_of(levels), levels)


def _kind_of(levels):
    return "binary" if sorted(float(v) for v in levels) == [0.0, 1.0] else "ordinal"


def declared_scales(scales, items, where="samples"):
    """``{item: Scale}`` of the declarations in ``scales`` (None, one declaration for every item, or
    a dict by item); an error names declared items that are not among ``items``."""
    if scales is None:
        return {}
    items = list(items)
    if not isinstance(scales, dict) or _one_declaration(scales, items):
        return {item: as_scale(scales) for item in items}
    known = set(items)
    unknown = [item for item in scales if item not in known]
    if unknown:
        raise SynthsurveyError(f"scales= names items not in {where}: {preview(unknown)}")
    return {item: as_scale(spec) for item, spec in scales.items()}


def restrict_declarations(scales, items):
    """``scales`` (None, one declaration, or a dict by item) limited to ``items``: a dict by item
    keeps only their entries; one declaration for every item stays as it is."""
    if not isinstance(scales, dict) or _one_declaration(scales, items):
        return scales
    return {item: spec for item, spec in scales.items() if item in set(items)}


def _one_declaration(scales, items):
    """Whether a dict is one declaration for every item (``{"missing": [99]}``) rather than a dict by
    item: its keys are all declaration keys and none of them is an item."""
    return bool(scales) and set(scales) <= set(DECLARATION_KEYS) and not set(scales) & set(items)


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
    with non-integer levels, whose share columns are positional. A partial declaration (missing
    codes only) keeps its codes on the scale read off the features."""
    items = features["item"].unique().tolist()
    declared = declared_scales(declared, items, "features") if declared is not None else {}
    result = {}
    for item, rows in features.groupby("item", observed=True):
        shares = [c for c in rows.columns if c.startswith("llm_p") and rows[c].notna().any()]
        scale = declared.get(item)
        if scale is not None and not scale.is_partial:
            result[item] = scale
            continue
        missing = scale.missing if scale is not None else ()
        if shares:
            levels = tuple(float(c[len("llm_p"):].replace("m", "-")) for c in shares)
            result[item] = Scale(_kind_of(levels), levels, "read off the share columns of features", missing)
        else:
            result[item] = Scale("continuous", (), "features have no share columns", missing)
    return result


def scales_table(scales):
    """A DataFrame (item, kind, n_levels, levels, missing, source) describing ``{item: Scale}``:
    ``levels`` and ``missing`` hold tuples of numbers (data, not text)."""
    return pd.DataFrame(
        [{"item": item, "kind": scale.kind, "n_levels": scale.n_levels, "levels": tuple(scale.levels),
          "missing": tuple(scale.missing), "source": scale.source} for item, scale in scales.items()],
        columns=["item", "kind", "n_levels", "levels", "missing", "source"])

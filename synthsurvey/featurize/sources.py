"""Features of LLM draws from several sources (models, prompts, fine-tunes): one row per
(key, item, source).

A ``source`` column in ``samples`` is optional: without it every draw comes from one source and
the feature table has no ``source`` column. With it, each (item, source) pair is summarised as if
it were an item of its own, by the same kernel (``table.feature_table``), under the item's one
scale: declared, or inferred from the draws of every source together (and the human answers), so
every source's share columns mean the same levels. The features of one source are therefore those
of a one-source table of that source's rows with the item's scale (a test checks it).
"""

import numpy as np
import pandas as pd

from ..common.checks import numeric_values, require_columns
from ..common.errors import SynthsurveyError
from .scale_inference import resolve_scales
from .scales import declared_scales
from .table import DEFAULT_QUANTILES, feature_table

SOURCE = "source"


def has_sources(table):
    """True when ``table`` (LLM samples or their feature table) has a ``source`` column."""
    return SOURCE in getattr(table, "columns", ())


def source_labels(table):
    """The sources of a samples or feature table, sorted (() without a ``source`` column)."""
    if not has_sources(table):
        return ()
    values = table[SOURCE]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values[values.notna()].cat.remove_unused_categories()
        return tuple(values.cat.categories)
    return tuple(sorted(pd.unique(values.dropna()), key=str))


def source_feature_table(samples, key="id", scales=None, quantiles=DEFAULT_QUANTILES, extra_values=None):
    """Return ``(features, {item: Scale})`` of ``samples`` with a ``source`` column: one row per
    (key, item, source), columns key, item, source and the features of ``feature_table``.

    extra_values: optional ``{item: array}`` of human answers scale inference must cover.
    """
    require_columns(samples, [key, "item", SOURCE, "draw", "response"], "samples")
    if len(samples) == 0:
        raise SynthsurveyError("samples has no rows: there are no LLM draws to summarise")
    if samples[SOURCE].isna().any():
        raise SynthsurveyError(f"samples column 'source' has {int(samples[SOURCE].isna().sum())} missing value(s)")
    if samples["item"].isna().any():
        raise SynthsurveyError(f"samples column 'item' has {int(samples['item'].isna().sum())} missing value(s)")
    item_codes, items = pd.factorize(samples["item"], sort=True)
    source_codes, sources = pd.factorize(samples[SOURCE], sort=True)
    items, sources = list(items), list(sources)
    item_scales = _item_scales(samples, item_codes, items, scales, extra_values or {})
    labels = [f"{item} [source {source}]" for item in items for source in sources]
    if len(set(labels)) != len(labels):
        raise SynthsurveyError("item and source labels combine ambiguously; rename items or sources")
    pairs = dict(zip(labels, [(item, source) for item in items for source in sources]))
    combined = pd.Categorical.from_codes(item_codes.astype(np.int64) * len(sources) + source_codes,
                                         categories=labels)
    view = pd.DataFrame({key: samples[key].to_numpy(), "item": combined, "draw": samples["draw"].to_numpy(),
                         "response": samples["response"].to_numpy()}, copy=False)
    declared = {label: item_scales[pairs[label][0]] for label in labels}
    table, _ = feature_table(view, key=key, scales=declared, quantiles=quantiles)
    item_column = table["item"].astype(str)
    table["item"] = item_column.map(lambda label: pairs[label][0]).to_numpy()
    table.insert(2, SOURCE, item_column.map(lambda label: pairs[label][1]).to_numpy())
    return table, item_scales


def _item_scales(samples, item_codes, items, scales, extra_values):
    """Each item's Scale: declared, or inferred from its draws of every source and the human answers."""
    declared = declared_scales(scales, items)
    response = numeric_values(samples, "response", "samples")
    distinct = pd.Series(response).groupby(item_codes).unique()
    values = {item: np.asarray(distinct.iloc[position], dtype=float) for position, item in enumerate(items)}
    human = {item: np.asarray(extra_values[item], dtype=float) for item in items if item in (extra_values or {})}
    return resolve_scales(values, declared or None, human_values=human)

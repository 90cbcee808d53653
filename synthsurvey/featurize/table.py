"""The feature table: per (respondent, item) summaries of a vector of LLM draws, in memory.

Discrete (ordinal, binary) items are summarised from one pass of counts over (respondent,
level): no Python loop over respondents and no groupby-apply. The features themselves come
from ``summaries``; this module indexes the long table, checks it (missing values, repeated
draws, values off the declared levels) and counts.
"""

import numpy as np
import pandas as pd

from ..common.checks import numeric_values, reject_duplicates, require_columns
from ..common.errors import SynthsurveyError, preview
from . import kernels
from .scale_inference import resolve_scale
from .scales import declared_scales
from .summaries import continuous_features, discrete_table, order_columns, quantile_name

DEFAULT_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
MAX_COUNT_LEVELS = 64  # discrete values per item handled by the counts kernel
CHUNK_ROWS = 1 << 22  # rows per bincount pass: keeps temporaries cache-sized


def feature_table(samples, key="id", scales=None, quantiles=DEFAULT_QUANTILES, extra_values=None):
    """Return ``(features DataFrame, {item: Scale})``; see ``synthsurvey.features.features``.

    extra_values: optional ``{item: array}`` of further responses (the human answers, see
    ``scales.answers_by_item``) that scale inference must cover, so a level the LLM never drew
    is still a level.

    Draws that are missing (NaN) or equal one of their item's declared missing codes are left
    out and counted: ``features.attrs["missing_draws"]`` is ``{item: {"nan": n, "codes": n,
    "keys_without_draws": n}}`` (the last: keys all of whose draws were left out, so they have no
    row).
    """
    require_columns(samples, [key, "item", "draw", "response"], "samples")
    if len(samples) == 0:
        raise SynthsurveyError("samples has no rows: there are no LLM draws to summarise")
    quantiles = tuple(float(q) for q in quantiles)
    names = [quantile_name(q) for q in quantiles]
    if len(set(names)) != len(names):
        raise SynthsurveyError(f"quantiles repeat a value: {preview(quantiles)}")
    response = numeric_values(samples, "response", "samples")
    for column in (key, "item", "draw"):
        dtype = samples[column].dtype
        if dtype.kind not in "iu" and not isinstance(dtype, pd.CategoricalDtype) and samples[column].isna().any():
            raise SynthsurveyError(
                f"samples column {column!r} has {int(samples[column].isna().sum())} missing value(s)"
            )
    key_index, key_values, key_offset = index_codes(samples[key])
    item_index, item_values, item_offset = _one_string(samples["item"]) or index_codes(samples["item"])
    item_index = item_index - item_offset if item_offset else item_index
    draw_index, draw_values, draw_offset = index_codes(samples["draw"])
    n_draw_labels = len(draw_values)
    declared = declared_scales(scales, item_values.tolist())
    extra_values = extra_values or {}

    tables, resolved, dropped = [], {}, {}
    for position, rows in _rows_by_group(item_index, len(item_values)):
        item = item_values[position]
        keys = key_index if rows is None else key_index[rows]
        values = response if rows is None else response[rows]
        draws = draw_index if rows is None else draw_index[rows]
        declaration = declared.get(item)
        keys, values, draws, dropped[item] = _drop_missing(keys, values, draws, declaration)
        if len(values) == 0:
            raise SynthsurveyError(f"item {item!r} has no LLM draws left once missing ones (NaN or missing codes) "
                                   "are left out")
        raw = _raw_levels(values)
        scale = resolve_scale(item, declaration, value_counts_of(raw, values), extra_values.get(item))
        resolved[item] = scale
        n_keys = len(key_values)
        countable = scale.is_discrete and raw is not None
        if countable and kernels.enabled() and _bitmap_fits(n_keys, n_draw_labels, len(keys)):
            # one compiled pass counts the levels and checks the draws
            counts_raw, repeat = kernels.count_cells(keys, key_offset, raw, n_keys, draws, draw_offset,
                                                     n_draw_labels)
            if repeat:
                _reject_repeats(samples, keys, key, item, found=True)
        else:
            _check_unique_draws(keys, key_offset, draws, draw_offset, n_keys, n_draw_labels, samples, key, item)
            counts_raw = count_cells(keys, key_offset, raw, n_keys) if countable else None
        if scale.is_discrete:
            counts, present, totals = _level_counts(counts_raw, raw, scale, item, key_values, key)
            table = discrete_table(counts, scale, quantiles, names, totals)
        else:
            present, table = continuous_features(keys - key_offset, values, quantiles, names)
        table.insert(0, "item", item)
        table.insert(0, key, key_values[present])
        tables.append(table)
    result = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    result = order_columns(result, key)
    result.attrs["missing_draws"] = {item: counts for item, counts in dropped.items() if any(counts.values())}
    return result, resolved


def _drop_missing(keys, values, draws, declaration):
    """(keys, values, draws) without the draws that are NaN or a missing code of ``declaration``,
    and the counts {"nan", "codes", "keys_without_draws"}."""
    counts = {"nan": 0, "codes": 0, "keys_without_draws": 0}
    if values.dtype.kind != "f" and (declaration is None or not declaration.missing):
        return keys, values, draws, counts
    nan = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), dtype=bool)
    coded = np.zeros(len(values), dtype=bool)
    for code in (declaration.missing if declaration is not None else ()):
        coded |= values == code
    drop = nan | coded
    if not drop.any():
        return keys, values, draws, counts
    keep = ~drop
    counts["nan"], counts["codes"] = int(nan.sum()), int((coded & ~nan).sum())
    dropped_keys = np.unique(keys[drop])
    counts["keys_without_draws"] = int(len(dropped_keys) - np.isin(dropped_keys, keys[keep]).sum())
    return keys[keep], values[keep], draws[keep], counts


def index_codes(series):
    """Return (codes, unique values, offset): row i's position among the unique values is
    ``codes[i] - offset``. Integer ids in a dense range are their own codes (offset = min,
    no hashing, no copy); categoricals use their codes; others ``pd.factorize``."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.array.codes  # read-only view (.cat.codes copies)
        if len(codes) and kernels.min_max(codes)[0] < 0:
            raise SynthsurveyError(f"samples column {series.name!r} has {int((codes < 0).sum())} missing value(s)")
        return codes, np.asarray(series.cat.categories), 0
    dictionary = _dictionary_codes(series)
    if dictionary is not None:
        return dictionary
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu" and len(series):
        values = series.to_numpy()
        low, high = map(int, kernels.min_max(values))
        if high - low <= 2 * len(values) + 1024:
            return values, np.arange(low, high + 1, dtype=values.dtype), low
    codes, uniques = pd.factorize(series)
    order = np.argsort(np.asarray(uniques), kind="stable")
    if np.any(order != np.arange(len(order))):
        codes = np.argsort(order)[codes]
    return codes, np.asarray(uniques)[order], 0


def _one_string(series):
    """``index_codes``'s (codes, values, 0) for an Arrow-backed string column whose values all equal
    its first (one item: one vectorised comparison, about a quarter of the cost of hashing the
    column), else None."""
    if len(series) == 0 or not hasattr(series.array, "__arrow_array__"):
        return None
    array = series.array.__arrow_array__()  # the Arrow protocol: no private pandas API
    if not str(array.type).startswith(("string", "large_string")):
        return None
    import pyarrow.compute as pc  # present: the column is Arrow-backed

    if not pc.all(pc.equal(array, array[0]), skip_nulls=False).as_py():
        return None
    return np.zeros(len(series), dtype=np.int8), np.asarray(series.iloc[:1], dtype=object), 0


def _dictionary_codes(series):
    """(codes, sorted uniques, 0) of a dictionary-encoded Arrow column from its indices, without
    hashing the values (such columns come from the R bridge); None for other columns."""
    dtype = series.dtype
    if not (isinstance(dtype, pd.ArrowDtype) and str(dtype).startswith("dictionary")):
        return None
    import pyarrow as pa  # present: the column is Arrow-backed

    chunked = series.array.__arrow_array__()
    combined = chunked.combine_chunks() if isinstance(chunked, pa.ChunkedArray) else chunked
    if combined.null_count:
        raise SynthsurveyError(f"column {series.name!r} has {combined.null_count} missing value(s)")
    indices = combined.indices.to_numpy(zero_copy_only=False)
    values = np.asarray(combined.dictionary.to_pylist(), dtype=object)
    order = np.argsort(values.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[indices]
    present = np.unique(codes)
    remap = np.full(len(order), -1, dtype=np.int64)
    remap[present] = np.arange(len(present))
    return remap[codes], values[order][present], 0


def _rows_by_group(group_index, n_groups):
    """Yield (group position, row indices or None for all rows) for each group present."""
    if n_groups == 1:
        yield 0, None
        return
    order = np.argsort(group_index, kind="stable")
    bounds = np.searchsorted(group_index[order], np.arange(n_groups + 1))
    for position in range(n_groups):
        if bounds[position + 1] > bounds[position]:
            yield position, order[bounds[position]:bounds[position + 1]]


def _bitmap_fits(n_keys, n_draws, n_rows):
    """Whether a map of (key, draw) cells is small next to the rows (else pandas checks)."""
    return n_keys * n_draws <= 8 * n_rows + (1 << 20)


def _reject_repeats(samples, keys, key, item, found=False):
    """Raise the duplicate-rows error if ``item``'s rows repeat a (key, item, draw); ``found``
    says a map of (key, draw) cells has already shown that they do."""
    subset = samples if len(samples) == len(keys) else samples[samples["item"] == item]
    reject_duplicates(subset, [key, "item", "draw"], "samples")
    if found:
        raise AssertionError("a repeated (key, draw) cell was found but pandas found no duplicate rows")


def _check_unique_draws(keys, key_offset, draws, draw_offset, n_keys, n_draws, samples, key, item):
    """Raise if a (key, item, draw) repeats. Uses a bitmap of (key, draw) cells when that is
    small (an exact check: no repeats iff as many cells are set as there are rows)."""
    if _bitmap_fits(n_keys, n_draws, len(keys)):
        seen = np.zeros(n_keys * n_draws, dtype=bool)
        shift = key_offset * n_draws + draw_offset
        for start in range(0, len(keys), CHUNK_ROWS):
            cell = keys[start:start + CHUNK_ROWS].astype(np.int64) * n_draws
            cell += draws[start:start + CHUNK_ROWS]
            cell -= shift
            seen[cell] = True
        if int(np.count_nonzero(seen)) == len(keys):
            return
        _reject_repeats(samples, keys, key, item, found=True)
    _reject_repeats(samples, keys, key, item)


def _raw_levels(values):
    """Return (codes, distinct values, shift) when the item has at most ``MAX_COUNT_LEVELS``
    distinct values, else None; row i holds distinct value ``codes[i] - shift``. Integer
    responses in a short range are their own codes (shift = min: no hashing, no copy)."""
    if values.dtype.kind in "iu" or (values.dtype.kind == "f" and _all_integer(values)):
        low, high = kernels.min_max(values)
        if high - low < MAX_COUNT_LEVELS:
            codes = values if values.dtype.kind in "iu" else values.astype(np.int64)
            return codes, np.arange(low, high + 1, dtype=float), int(low)
    codes, uniques = pd.factorize(values)
    if len(uniques) <= MAX_COUNT_LEVELS:
        return codes, np.asarray(uniques, dtype=float), 0
    return None


def _all_integer(values):
    return bool(np.all(np.mod(values, 1) == 0))


def value_counts_of(raw, values):
    """(distinct values, counts) of an item's draws: from ``_raw_levels``'s codes when it has them
    (one bincount), else ``values`` itself for ``scale_inference`` to count."""
    if raw is None:
        return values
    codes, distinct, shift = raw
    counts = np.bincount(codes - shift if shift else codes, minlength=len(distinct))
    return distinct, counts[:len(distinct)]


def count_cells(keys, key_offset, raw, n_keys):
    """Return an (n_keys, n_values) int64 count matrix from one chunked bincount pass:
    row i counts in cell ``(keys[i] - key_offset, codes[i] - shift)`` of ``raw``'s codes.
    Each chunk counts only over the span of cells it touches (rows sorted by key make
    that span short). The compiled kernel does it in one pass when enabled."""
    if kernels.enabled():
        return kernels.count_cells(keys, key_offset, raw, n_keys)[0]
    codes, distinct, value_shift = raw
    n_values = len(distinct)
    counts = np.zeros(n_keys * n_values, dtype=np.int64)
    shift = key_offset * n_values + value_shift
    for start in range(0, len(keys), CHUNK_ROWS):
        cell = keys[start:start + CHUNK_ROWS].astype(np.int64) * n_values
        cell += codes[start:start + CHUNK_ROWS]
        low = int(cell.min())
        cell -= low
        chunk_counts = np.bincount(cell)
        counts[low - shift:low - shift + len(chunk_counts)] += chunk_counts
    return counts.reshape(n_keys, n_values)


def _level_counts(counts_raw, raw, scale, item, key_values, key):
    """Return (counts over the scale's levels for the keys present, their positions, their
    numbers of draws); raise naming a value outside the declared levels."""
    levels = np.asarray(scale.levels)
    if counts_raw is None:
        raise SynthsurveyError(
            f"item {item!r} is declared {scale.kind} with {scale.n_levels} levels but its draws "
            f"take more than {MAX_COUNT_LEVELS} distinct values"
        )
    raw_values = raw[1]
    used = counts_raw.sum(axis=0) > 0
    outside = [v for v in raw_values[used] if not np.any(np.isclose(levels, v))]
    if outside:
        column = int(np.flatnonzero(np.isclose(raw_values, outside[0]))[0])
        example = key_values[int(np.flatnonzero(counts_raw[:, column])[0])]
        raise SynthsurveyError(
            f"samples: item {item!r} has response(s) {preview(outside)} outside its levels "
            f"{preview(levels.tolist(), 12)}, e.g. at {key}={preview([example])}"
        )
    if len(raw_values) == len(levels) and np.array_equal(raw_values, levels.astype(float)):
        counts = counts_raw  # the draws' value range is the scale's levels: no copy
    else:
        counts = np.zeros((counts_raw.shape[0], len(levels)), dtype=np.int64)
        for position, level in enumerate(levels):
            match = np.flatnonzero(np.isclose(raw_values, level))
            if match.size:
                counts[:, position] = counts_raw[:, match[0]]
    totals = kernels.row_totals(counts)
    if int(np.count_nonzero(totals)) == len(totals):
        return counts, np.arange(len(totals)), totals
    present = np.flatnonzero(totals)
    return counts[present], present, totals[present]


"""Per (respondent, item) summaries of a vector of LLM draws.

Every feature is a functional of the empirical distribution of the draws
(so ``llm_sd`` uses ddof=0 and skew/kurtosis are the plain moment ratios that
``scipy.stats.skew``/``kurtosis`` return with their default ``bias=True``).

Discrete (ordinal, binary) items are summarised from one pass of counts over
(respondent, level): no Python loop over respondents and no groupby-apply.
Their quantiles are *mid-distribution quantiles* (Ma, Genton & Parzen 2011):
the mid-distribution function F(x) - p(x)/2 evaluated at the levels the draws
use, linearly interpolated and held constant beyond its ends. They move
smoothly with the shares, unlike the step quantiles of discrete data.
Continuous items use numpy's default (linear, "type 7") quantiles.
"""

import numpy as np
import pandas as pd

from .errors import SynthsurveyError, preview
from . import kernels
from .scales import resolve_scales, infer_scale, as_scale
from .validate import require_columns, numeric_values, reject_missing, reject_duplicates

DEFAULT_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
MAX_COUNT_LEVELS = 64  # discrete values per item handled by the counts kernel
CHUNK_ROWS = 1 << 22  # rows per bincount pass: keeps temporaries cache-sized


def quantile_name(q):
    """Feature name of quantile ``q`` in (0, 1): 0.1 -> ``llm_q10``, 0.975 -> ``llm_q97_5``."""
    if not 0 < q < 1:
        raise SynthsurveyError(f"quantiles must lie strictly between 0 and 1, got {q!r}")
    return "llm_q" + f"{q * 100:g}".replace(".", "_")


def features(samples, key="id", scales=None, quantiles=DEFAULT_QUANTILES, split_respondents=False):
    """Summarise each (key, item) vector of LLM draws.

    samples: long DataFrame with columns ``key``, ``item``, ``draw``, ``response``
        (numeric responses; pass ``item`` as a Categorical for speed on large tables).
    key: column linking draws to respondents (their own id) or to personas.
    scales: optional ``{item: declaration}`` (see ``synthsurvey.scales.as_scale``);
        undeclared items are inferred (``infer_scales`` reports how).

    Returns a DataFrame with one row per (key, item): ``llm_n_draws``, ``llm_mean``,
    ``llm_sd``, ``llm_skew``, ``llm_kurtosis`` (excess), one ``llm_q*`` per quantile,
    ``llm_iqr``, and for discrete items the category shares ``llm_p*``, ``llm_extreme``
    (share at the lowest or highest level), ``llm_mid`` (share at the middle level, or
    the two middle levels of an even scale), ``llm_modal`` (share of the most frequent
    level) and ``llm_entropy`` (Shannon entropy of the shares, in bits). Features a
    scale does not define are NaN. Skew and kurtosis are 0 when all draws are equal.

    A Dask DataFrame gives a lazy Dask DataFrame computed partition by partition (see
    ``synthsurvey.scale_out``; ``split_respondents`` says whether a respondent's draws may
    span partitions).
    """
    from .scale_out import dask_features, is_dask

    if is_dask(samples):
        return dask_features(samples, key, scales, quantiles, split_respondents)[0]
    return feature_table(samples, key=key, scales=scales, quantiles=quantiles)[0]


def infer_scales(samples, humans=None, scales=None):
    """Return a DataFrame (item, kind, n_levels, levels, source): each item's scale,
    declared or inferred from the LLM draws together with the human answers."""
    from .scales import scales_table

    require_columns(samples, ["item", "response"], "samples")
    pooled = [samples[["item", "response"]]]
    if humans is not None:
        require_columns(humans, ["item", "response"], "humans")
        pooled.append(humans[["item", "response"]])
    pooled = pd.concat(pooled, ignore_index=True)
    values = {
        item: numeric_values(group, "response", "samples")
        for item, group in pooled.groupby("item", sort=True, observed=True)
    }
    return scales_table(resolve_scales(values, scales))


def feature_table(samples, key="id", scales=None, quantiles=DEFAULT_QUANTILES, extra_values=None):
    """Return ``(features DataFrame, {item: Scale})``; see ``features``.

    extra_values: optional ``{item: array}`` of further responses (the human answers)
    that scale inference must cover, so a level the LLM never drew is still a level.
    """
    require_columns(samples, [key, "item", "draw", "response"], "samples")
    if len(samples) == 0:
        raise SynthsurveyError("samples has no rows: there are no LLM draws to summarise")
    quantiles = tuple(float(q) for q in quantiles)
    names = [quantile_name(q) for q in quantiles]
    if len(set(names)) != len(names):
        raise SynthsurveyError(f"quantiles repeat a value: {preview(quantiles)}")
    response = numeric_values(samples, "response", "samples")
    reject_missing(response, samples, "response", "samples", [key, "item", "draw"])
    for column in (key, "item", "draw"):
        dtype = samples[column].dtype
        if dtype.kind not in "iu" and not isinstance(dtype, pd.CategoricalDtype) and samples[column].isna().any():
            raise SynthsurveyError(
                f"samples column {column!r} has {int(samples[column].isna().sum())} missing value(s)"
            )
    key_index, key_values, key_offset = _index(samples[key])
    item_index, item_values, item_offset = _one_string(samples["item"]) or _index(samples["item"])
    item_index = item_index - item_offset if item_offset else item_index
    draw_index, draw_values, draw_offset = _index(samples["draw"])
    n_draw_labels = len(draw_values)
    declared = _declarations(scales, item_values)
    extra_values = extra_values or {}

    tables, resolved = [], {}
    for position, rows in _rows_by_group(item_index, len(item_values)):
        item = item_values[position]
        keys = key_index if rows is None else key_index[rows]
        values = response if rows is None else response[rows]
        draws = draw_index if rows is None else draw_index[rows]
        raw = _raw_levels(values)
        scale = declared.get(item) or _infer(raw, values, extra_values.get(item), item)
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
            counts_raw = _count(keys, key_offset, raw, n_keys) if countable else None
        if scale.is_discrete:
            counts, present, totals = _level_counts(counts_raw, raw, scale, item, key_values, key)
            table = discrete_table(counts, scale, quantiles, names, totals)
        else:
            present, table = _continuous_features(keys - key_offset, values, quantiles, names)
        table.insert(0, "item", item)
        table.insert(0, key, key_values[present])
        tables.append(table)
    result = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    return _order_columns(result, key), resolved


def feature_columns(quantile_names, share_names):
    """The feature columns in table order, given the quantile and category-share names."""
    return (["llm_n_draws", "llm_mean", "llm_sd", "llm_skew", "llm_kurtosis"] + list(quantile_names) + ["llm_iqr"]
            + list(share_names) + ["llm_extreme", "llm_mid", "llm_modal", "llm_entropy"])


def _order_columns(table, key):
    quant = [c for c in table.columns if c.startswith("llm_q")]
    shares = [c for c in table.columns if c.startswith("llm_p")]
    order = [key, "item"] + feature_columns(quant, shares)
    return table if list(table.columns) == order else table.reindex(columns=order)


def _index(series):
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
    """``_index``'s (codes, values, 0) for an Arrow-backed string column whose values all equal
    its first (one item: one vectorised comparison, about a quarter of the cost of hashing the
    column), else None."""
    array = getattr(series.array, "_pa_array", None)
    if array is None or len(series) == 0 or not str(array.type).startswith(("string", "large_string")):
        return None
    import pyarrow.compute as pc

    if not pc.all(pc.equal(array, array[0]), skip_nulls=False).as_py():
        return None
    return np.zeros(len(series), dtype=np.int8), np.asarray(series.iloc[:1], dtype=object), 0


def _dictionary_codes(series):
    """(codes, sorted uniques, 0) of a dictionary-encoded Arrow column from its indices, without
    hashing the values (such columns come from the R bridge); None for other columns."""
    dtype = series.dtype
    if not (isinstance(dtype, pd.ArrowDtype) and str(dtype).startswith("dictionary")):
        return None
    import pyarrow as pa

    chunked = series.array._pa_array
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


def _declarations(scales, item_values):
    if scales is None:
        return {}
    if not isinstance(scales, dict):
        return {item: as_scale(scales) for item in item_values}
    known = set(item_values.tolist())
    unknown = [item for item in scales if item not in known]
    if unknown:
        raise SynthsurveyError(f"scales= names items not in samples: {preview(unknown)}")
    return {item: as_scale(spec) for item, spec in scales.items()}


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


def _infer(raw, values, extra, item):
    """Infer an item's scale from its draws (and any human answers in ``extra``)."""
    observed = raw[1] if raw is not None else np.unique(values)
    if extra is not None and len(extra):
        observed = np.union1d(observed, np.asarray(extra, dtype=float))
    return infer_scale(observed, item)


def _count(keys, key_offset, raw, n_keys):
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


def discrete_table(counts, scale, quantiles, names, totals=None):
    """Return the DataFrame of the features of an (n, C) count matrix over ``scale``'s levels
    (every row with a draw; ``totals`` its row sums when known): from the compiled kernel
    as one float block when enabled, else from numpy."""
    if totals is None:
        totals = kernels.row_totals(counts)
    if kernels.enabled():
        return _kernel_features(counts, totals, scale, quantiles, names)
    table = _discrete_features(counts, np.asarray(scale.levels), quantiles, names)
    table[scale.share_names()] = counts / totals[:, None]
    return table


def _kernel_features(counts, totals, scale, quantiles, names):
    """The discrete features of an (n, C) count matrix from the compiled kernel, as one
    float block (the column order of ``_order_columns``); returns a DataFrame."""
    columns = feature_columns(names, scale.share_names())[1:]  # llm_n_draws is inserted below
    table = pd.DataFrame(kernels.discrete_rows(counts, scale.levels, quantiles), columns=columns, copy=False)
    table.insert(0, "llm_n_draws", totals)
    return table


def _discrete_features(counts, levels, quantiles, names):
    """Features from an (n, C) count matrix over ``levels``; returns a DataFrame."""
    n_draws = counts.sum(axis=1)
    shares = counts / n_draws[:, None]
    mean = shares @ levels
    deviation = levels[None, :] - mean[:, None]
    m2 = np.einsum("ij,ij->i", shares, deviation**2)
    m3 = np.einsum("ij,ij->i", shares, deviation**3)
    m4 = np.einsum("ij,ij->i", shares, deviation**4)
    table = _moment_table(n_draws, mean, m2, m3, m4)
    mid_cdf = np.cumsum(shares, axis=1) - shares / 2
    wanted = sorted(set(quantiles) | {0.25, 0.75})
    values = dict(zip(wanted, mid_quantiles(mid_cdf, shares > 0, levels, wanted).T))
    for q, name in zip(quantiles, names):
        table[name] = values[q]
    table["llm_iqr"] = values[0.75] - values[0.25]
    n_levels = len(levels)
    middle = [n_levels // 2] if n_levels % 2 else [n_levels // 2 - 1, n_levels // 2]
    table["llm_extreme"] = shares[:, 0] + shares[:, -1]
    table["llm_mid"] = shares[:, middle].sum(axis=1)
    table["llm_modal"] = shares.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["llm_entropy"] = -np.where(shares > 0, shares * np.log2(shares), 0.0).sum(axis=1)
    return pd.DataFrame(table)


def mid_quantiles(mid_cdf, support, levels, qs):
    """Mid-distribution quantiles, an (n, len(qs)) array: for each row, the linear
    interpolation of the points (mid_cdf, level) over the levels in ``support`` at each q,
    held at the first/last support level beyond the ends. Row by row this equals
    ``np.interp(q, mid_cdf[support], levels[support])``.

    One sweep over the C levels: a quantile is set at the first support level whose
    mid_cdf reaches q, interpolating from the previous support level.
    """
    qs = np.asarray(qs, dtype=float)[None, :]
    n_rows = len(mid_cdf)
    out = np.empty((n_rows, qs.shape[1]))
    done = np.zeros(out.shape, dtype=bool)
    reached = np.empty(out.shape, dtype=bool)
    between = np.empty(out.shape)
    prev_f = np.full((n_rows, 1), np.nan)
    prev_x = np.full((n_rows, 1), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j, level in enumerate(levels):
            here = support[:, j:j + 1]
            f = mid_cdf[:, j:j + 1]
            np.less_equal(qs, f, out=reached)
            reached &= here
            reached &= ~done
            np.subtract(qs, prev_f, out=between)
            between *= (level - prev_x) / (f - prev_f)
            between += prev_x
            np.copyto(between, level, where=np.isnan(prev_f))
            np.copyto(out, between, where=reached)
            done |= reached
            np.copyto(prev_f, f, where=here)
            np.copyto(prev_x, level, where=here)
    np.copyto(out, prev_x, where=~done)
    return out


def _moment_table(n_draws, mean, m2, m3, m4):
    """The moment features as a dict of arrays, from the central moments m2, m3, m4."""
    skew, kurtosis = _moment_ratios(m2, m3, m4)
    return {"llm_n_draws": n_draws, "llm_mean": mean, "llm_sd": np.sqrt(m2), "llm_skew": skew,
            "llm_kurtosis": kurtosis}


def _moment_ratios(m2, m3, m4):
    """Skewness m3/m2^1.5 and excess kurtosis m4/m2^2 - 3; both 0 where m2 == 0.
    Central moments that round-off leaves at ~1e-30 of the scale count as 0."""
    scale = np.maximum(np.abs(m2), 1e-300)
    degenerate = m2 <= 1e-24 * np.maximum(1.0, scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = np.where(degenerate, 0.0, m3 / m2**1.5)
        kurtosis = np.where(degenerate, 0.0, m4 / m2**2 - 3.0)
    return skew, kurtosis


def _continuous_features(keys, values, quantiles, names):
    """Features of continuous draws by sorting within key; returns (key positions, DataFrame)."""
    values = values.astype(float, copy=False)
    order = np.lexsort((values, keys))
    sorted_keys, sorted_values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    n_draws = np.diff(np.r_[starts, len(sorted_values)])
    mean = np.add.reduceat(sorted_values, starts) / n_draws
    deviation = sorted_values - np.repeat(mean, n_draws)
    m2 = np.add.reduceat(deviation**2, starts) / n_draws
    m3 = np.add.reduceat(deviation**3, starts) / n_draws
    m4 = np.add.reduceat(deviation**4, starts) / n_draws
    table = _moment_table(n_draws, mean, m2, m3, m4)

    def quantile(q):
        position = (n_draws - 1) * q
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, n_draws - 1)
        below, above = sorted_values[starts + low], sorted_values[starts + high]
        return below + (position - low) * (above - below)

    values = {q: quantile(q) for q in sorted(set(quantiles) | {0.25, 0.75})}
    for q, name in zip(quantiles, names):
        table[name] = values[q]
    table["llm_iqr"] = values[0.75] - values[0.25]
    return sorted_keys[starts], pd.DataFrame(table)

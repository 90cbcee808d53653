"""Features of one item's draws from their counts (discrete items) or sorted values (continuous).

Every feature is a functional of the empirical distribution of the draws (so ``llm_sd`` uses
ddof=0 and skew/kurtosis are the plain moment ratios that ``scipy.stats.skew``/``kurtosis``
return with their default ``bias=True``). Quantiles of discrete items are *mid-distribution
quantiles* (Ma, Genton & Parzen 2011): the mid-distribution function F(x) - p(x)/2 evaluated at
the levels the draws use, linearly interpolated and held constant beyond its ends; they move
smoothly with the shares, unlike the step quantiles of discrete data. Continuous items use
numpy's default (linear, "type 7") quantiles.

Discrete features come from the compiled kernel (``kernels``) when enabled, else from numpy
here; both use the definitions ``kernels`` holds (middle levels, IQR quartiles, degeneracy).
"""

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError
from . import kernels


def quantile_name(q):
    """Feature name of quantile ``q`` in (0, 1): 0.1 -> ``llm_q10``, 0.975 -> ``llm_q97_5``."""
    if not 0 < q < 1:
        raise SynthsurveyError(f"quantiles must lie strictly between 0 and 1, got {q!r}")
    return "llm_q" + f"{q * 100:g}".replace(".", "_")


def feature_columns(quantile_names, share_names):
    """The feature columns in table order, given the quantile and category-share names."""
    return (["llm_n_draws", "llm_mean", "llm_sd", "llm_skew", "llm_kurtosis"] + list(quantile_names) + ["llm_iqr"]
            + list(share_names) + ["llm_extreme", "llm_mid", "llm_modal", "llm_entropy"])


def order_columns(table, key):
    """``table`` with its columns in the order key, item, ``feature_columns`` (missing ones NaN)."""
    quant = [c for c in table.columns if c.startswith("llm_q")]
    shares = [c for c in table.columns if c.startswith("llm_p")]
    order = [key, "item"] + feature_columns(quant, shares)
    return table if list(table.columns) == order else table.reindex(columns=order)


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
    float block (the column order of ``order_columns``); returns a DataFrame."""
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
    wanted = kernels.wanted_quantiles(quantiles)
    values = dict(zip(wanted, mid_quantiles(mid_cdf, shares > 0, levels, wanted).T))
    _quantile_columns(table, values, quantiles, names)
    middle = sorted(set(kernels.middle_positions(len(levels))))
    table["llm_extreme"] = shares[:, 0] + shares[:, -1]
    table["llm_mid"] = shares[:, middle].sum(axis=1)
    table["llm_modal"] = shares.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(shares > 0, shares * np.log2(shares), 0.0).sum(axis=1)
    table["llm_entropy"] = np.where(table["llm_modal"] == 1, 0.0, np.maximum(entropy, 0.0))
    return pd.DataFrame(table)


def _quantile_columns(table, values, quantiles, names):
    """Put the requested quantiles and the IQR (from ``values``: {q: array}) into ``table``."""
    for q, name in zip(quantiles, names):
        table[name] = values[q]
    low, high = kernels.IQR_QUANTILES
    table["llm_iqr"] = values[high] - values[low]


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
    degenerate = kernels.is_degenerate(m2)
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = np.where(degenerate, 0.0, m3 / m2**1.5)
        kurtosis = np.where(degenerate, 0.0, m4 / m2**2 - 3.0)
    return skew, kurtosis


def continuous_features(keys, values, quantiles, names):
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

    values = {q: quantile(q) for q in kernels.wanted_quantiles(quantiles)}
    _quantile_columns(table, values, quantiles, names)
    return sorted_keys[starts], pd.DataFrame(table)

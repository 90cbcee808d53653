"""Compiled (numba) kernels for the features of discrete items, used when numba is installed.

``features`` has a numpy path for everything here; these kernels do the same arithmetic in
one pass over the responses (counts and the duplicate check together) and one pass over the
respondents (every feature of a row from its counts), which is what makes ``ss.features``
run within a small factor of one ``np.bincount`` pass. Install them with the ``fast`` extra
(``pip install synthsurvey[fast]``); set ``SYNTHSURVEY_NUMBA=0`` to use the numpy path.
Both paths agree to rounding (tests/test_features.py runs each).
"""

import os

import numpy as np

try:  # optional: the numpy path in ``features`` covers every case
    import numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None

ENABLED = numba is not None and os.environ.get("SYNTHSURVEY_NUMBA", "1") != "0"

# Definitions both paths share (the numpy path in ``summaries`` imports them):
DEGENERATE_M2 = 1e-24  # a second central moment at most this (relative to max(1, |m2|)) counts as 0
IQR_QUANTILES = (0.25, 0.75)  # the quartiles whose difference is ``llm_iqr``


def middle_positions(n_levels):
    """Positions of the middle level (odd C) or the two middle levels (even C): (low, high)."""
    return (n_levels // 2, n_levels // 2) if n_levels % 2 else (n_levels // 2 - 1, n_levels // 2)


def wanted_quantiles(quantiles):
    """The sorted union of the requested quantiles and the IQR's quartiles, computed in one sweep."""
    return sorted(set(float(q) for q in quantiles) | set(IQR_QUANTILES))


def _jit(function):
    return numba.njit(cache=True, nogil=True)(function) if numba is not None else function


@_jit
def is_degenerate(m2):
    """Whether a second central moment (a number or an array) is 0 up to round-off: then the
    draws are constant and skew and kurtosis are 0."""
    return m2 <= DEGENERATE_M2 * np.maximum(1.0, np.abs(m2))


def enabled():
    """True when the compiled kernels are used."""
    return ENABLED


@_jit
def _count_cells(keys, key_offset, codes, code_shift, n_values, n_keys, draws, draw_offset, n_draw_labels,
                 check):
    """One pass over the rows: counts of (key, value) cells, flat (n_keys * n_values), and,
    when ``check``, a byte map of the (key, draw) cells taken (stores only, no reads: the
    rows repeat no cell iff as many cells are set as there are rows)."""
    counts = np.zeros(n_keys * n_values, dtype=np.int64)
    seen = np.zeros(n_keys * n_draw_labels if check else 0, dtype=np.uint8)
    for i in range(keys.shape[0]):
        k = np.int64(keys[i]) - key_offset
        counts[k * n_values + np.int64(codes[i]) - code_shift] += 1
        if check:
            seen[k * n_draw_labels + np.int64(draws[i]) - draw_offset] = 1
    return counts, seen


def count_cells(keys, key_offset, raw, n_keys, draws=None, draw_offset=0, n_draw_labels=0):
    """Return (an (n_keys, n_values) int64 count matrix, whether a (key, draw) cell repeats).

    Row i counts in cell ``(keys[i] - key_offset, codes[i] - shift)`` of ``raw = (codes,
    distinct values, shift)``. With ``draws`` the (key, draw) cells are checked for repeats
    on the way (``draws[i] - draw_offset`` in ``range(n_draw_labels)``); without, the
    second value is False.
    """
    codes, distinct, shift = raw
    check = draws is not None
    counts, seen = _count_cells(_signed(keys), int(key_offset), _signed(codes), int(shift), len(distinct),
                                int(n_keys), _signed(draws if check else keys[:0]), int(draw_offset),
                                int(n_draw_labels), check)
    repeats = check and int(np.count_nonzero(seen)) != len(keys)
    return counts.reshape(int(n_keys), len(distinct)), repeats


def _signed(values):
    """numba mixes uint64 and int64 into floats: pass such arrays as int64."""
    return values.astype(np.int64) if values.dtype == np.uint64 else values


@_jit
def _discrete_rows(counts, levels, wanted, user, i25, i75, middle_low, middle_high, c_log2_c):
    n_rows, n_levels = counts.shape
    n_table = c_log2_c.shape[0]
    n_user = user.shape[0]
    out = np.empty((n_rows, 9 + n_user + n_levels))
    shares = np.empty(n_levels)
    n_wanted = wanted.shape[0]
    quant = np.empty(n_wanted)
    for r in range(n_rows):
        total = 0
        for j in range(n_levels):
            total += counts[r, j]
        mean = 0.0
        modal = 0.0
        for j in range(n_levels):
            shares[j] = counts[r, j] / total
            mean += shares[j] * levels[j]
            modal = max(modal, shares[j])
        m2 = 0.0
        m3 = 0.0
        m4 = 0.0
        entropy = 0.0
        used = 0
        for j in range(n_levels):
            d = levels[j] - mean
            d2 = d * d
            m2 += shares[j] * d2
            m3 += shares[j] * d2 * d
            m4 += shares[j] * d2 * d2
            c = counts[r, j]
            if c > 0:
                used += 1
                entropy -= c * np.log2(c) if c >= n_table else c_log2_c[c]
        # -sum p log2 p with p = c / total: exactly 0 for one used level, never below 0 by rounding
        entropy = 0.0 if used == 1 else max(entropy / total + np.log2(total), 0.0)
        if is_degenerate(m2):
            skew = 0.0
            kurtosis = 0.0
        else:
            skew = m3 / (m2 * np.sqrt(m2))
            kurtosis = m4 / (m2 * m2) - 3.0
        # mid-distribution quantiles: interpolate (mid cdf, level) over the used levels; the
        # wanted q ascend and the mid cdf rises, so one pointer walks both
        w = 0
        below = 0.0
        prev_f = 0.0
        prev_x = 0.0
        started = False
        for j in range(n_levels):
            p = shares[j]
            if p > 0:
                f = below + p / 2
                while w < n_wanted and wanted[w] <= f:
                    if started:
                        quant[w] = prev_x + (wanted[w] - prev_f) * ((levels[j] - prev_x) / (f - prev_f))
                    else:
                        quant[w] = levels[j]
                    w += 1
                prev_f = f
                prev_x = levels[j]
                started = True
            below += p
        while w < n_wanted:
            quant[w] = prev_x
            w += 1
        out[r, 0] = mean
        out[r, 1] = np.sqrt(m2)
        out[r, 2] = skew
        out[r, 3] = kurtosis
        for u in range(n_user):
            out[r, 4 + u] = quant[user[u]]
        out[r, 4 + n_user] = quant[i75] - quant[i25]
        for j in range(n_levels):
            out[r, 5 + n_user + j] = shares[j]
        column = 5 + n_user + n_levels
        out[r, column] = shares[0] + shares[n_levels - 1]
        mid = shares[middle_low]
        if middle_high != middle_low:
            mid += shares[middle_high]
        out[r, column + 1] = mid
        out[r, column + 2] = modal
        out[r, column + 3] = entropy
    return out


def discrete_rows(counts, levels, quantiles):
    """Return an (n, 9 + len(quantiles) + C) float array of the features of each row of an
    (n, C) count matrix over ``levels`` (every row with at least one draw), in the column
    order mean, sd, skew, excess kurtosis, the quantiles, IQR, the C shares, extreme share,
    middle share, modal share, entropy (bits); the same definitions as the numpy path."""
    levels = np.asarray(levels, dtype=float)
    wanted = np.array(wanted_quantiles(quantiles), dtype=float)
    position = {q: i for i, q in enumerate(wanted.tolist())}
    user = np.array([position[q] for q in quantiles], dtype=np.int64)
    middle = middle_positions(len(levels))
    counted = np.arange(min(int(counts.max(initial=0)) + 1, 1 << 16), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_log2_c = np.where(counted > 0, counted * np.log2(counted), 0.0)  # a table: log2 is slow
    return _discrete_rows(np.ascontiguousarray(counts), levels, wanted, user, position[IQR_QUANTILES[0]],
                          position[IQR_QUANTILES[1]], *middle, c_log2_c)


@_jit
def _row_totals(counts):
    totals = np.zeros(counts.shape[0], dtype=np.int64)
    for r in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            totals[r] += counts[r, j]
    return totals


def row_totals(counts):
    """Row sums of an (n, C) integer count matrix (int64)."""
    return _row_totals(np.ascontiguousarray(counts)) if ENABLED else counts.sum(axis=1)


@_jit
def _min_max(values):
    low = values[0]
    high = values[0]
    for i in range(values.shape[0]):
        low = min(low, values[i])
        high = max(high, values[i])
    return low, high


def min_max(values):
    """(min, max) of a non-empty integer array: one vectorised pass with the kernels, two without."""
    if ENABLED and values.dtype.kind in "iu":
        return _min_max(values)
    return values.min(), values.max()

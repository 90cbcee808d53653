"""Data-frame conversion between R and pandas for the R package.

The R package hosts Python through reticulate. reticulate's own data-frame conversion turns
an integer NA into -2147483648, a logical NA into True and a character NA into "NA", and
the Debian reticulate (1.28) cannot convert numpy 2 arrays at all; rpy2 inside a
reticulate-hosted Python crashes when R's garbage collector finalizes a Python object
while rpy2 has released the GIL. So columns travel as their R storage, NA bit patterns
included, plus their levels, and are rebuilt here with their missing values:

* R to Python: each column spec holds the hexadecimal ``address`` of the R vector's data
  (the package's C helper ``ss_address``; character columns are first coded to integers by
  ``ss_string_codes``), and the values are copied from there into numpy. R never moves an
  object, and the R side keeps every such vector referenced until the call returns.
* Python to R: each column spec holds the bytes of its R storage (``data``, a bytearray
  that R reads with ``readBin``).

| R                         | pandas                                                      |
|---------------------------|-------------------------------------------------------------|
| double                    | float64 (NA -> NaN)                                         |
| integer                   | int32, or nullable Int32 when it has NA                     |
| logical                   | bool, or nullable boolean when it has NA                    |
| character                 | Categorical of the distinct strings, sorted (NA -> missing) |
| factor / ordered factor   | Categorical (R's level order; ordered kept; NA -> missing)  |
| Date                      | datetime64 without time zone (NA -> NaT)                    |
| POSIXct                   | datetime64 in UTC (NA -> NaT)                               |

R's ``haven_labelled`` columns, tibbles and other classes are reduced to these on the R side
(``r-package/R/convert.R``). A character column becomes a Categorical built from its integer
codes (no string is hashed twice) whose categories are sorted by code point, so sorting it,
grouping by it and merging on it give what the same column of Python strings gives; back
in R it is character again. Back to R, Categorical columns become factors and other string
columns character.

A frame spec is ``{"names": [...], "nrow": n, "columns": [column spec, ...]}`` and a column
spec ``{"kind": ..., "address": hex (from R) or "data": bytearray (to R), "levels": [...],
"ordered": bool}``. A numeric matrix from R (a design built by R's ``model.matrix``) is a
matrix spec ``{"address": hex, "nrow": n, "ncol": p, "names": [...]}`` (column-major doubles).
"""

import ctypes

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError

NA_INTEGER = -2147483648
SECONDS_PER_DAY = 86400.0


def frame_from_spec(spec):
    """A pandas DataFrame from an R frame spec (see module docstring)."""
    spec = dict(spec)
    names = _strings(spec["names"])
    columns = spec["columns"]
    if isinstance(columns, dict):  # a one-column list arrives as its element
        columns = [columns]
    n_rows = int(spec["nrow"])
    data = {name: _column_from_spec(dict(column), n_rows) for name, column in zip(names, columns)}
    return pd.DataFrame(data, index=pd.RangeIndex(n_rows), copy=False)


def matrix_from_spec(spec):
    """A float64 DataFrame (RangeIndex) from an R matrix spec: the columns of a numeric R matrix,
    copied from R's memory."""
    spec = dict(spec)
    n_rows, n_columns = int(spec["nrow"]), int(spec["ncol"])
    values = _read(spec["address"], "<f8", n_rows * n_columns).reshape((n_rows, n_columns), order="F")
    return pd.DataFrame(values, columns=_strings(spec["names"]), copy=False)


def _strings(values):
    if values is None:
        return []
    return [values] if isinstance(values, str) else [str(value) for value in values]


def _read(address, dtype, count):
    """A copy of ``count`` values of ``dtype`` at hexadecimal ``address`` (an R vector's data)."""
    dtype = np.dtype(dtype)
    if count == 0:
        return np.empty(0, dtype=dtype)
    memory = (ctypes.c_char * (count * dtype.itemsize)).from_address(int(address, 16))
    return np.frombuffer(memory, dtype=dtype, count=count).copy()


def _column_from_spec(column, n_rows):
    kind = column["kind"]
    if kind in ("double", "date", "datetime"):
        values = _read(column["address"], "<f8", n_rows)
        np.nan_to_num(values, copy=False, nan=np.nan)  # R's NA is a NaN with a payload: a plain NaN
        if kind == "date":
            return pd.to_datetime(values * SECONDS_PER_DAY, unit="s", origin="unix")
        if kind == "datetime":
            return pd.to_datetime(values, unit="s", origin="unix", utc=True)
        return values
    codes = _read(column["address"], "<i4", n_rows)  # R integers, logicals and factor codes are 32-bit
    missing = codes == NA_INTEGER
    if kind == "integer":
        if missing.any():
            codes[missing] = 0
            return pd.arrays.IntegerArray(codes, missing)
        return codes
    if kind == "logical":
        values = codes.astype(bool)
        return pd.arrays.BooleanArray(values, missing) if missing.any() else values
    if kind not in ("factor", "character"):
        raise SynthsurveyError(f"unknown column kind {kind!r}")
    levels = _strings(column.get("levels"))
    codes -= 1  # R codes are 1-based
    codes[missing] = -1
    if kind == "factor":
        return pd.Categorical.from_codes(codes, categories=levels, ordered=bool(column.get("ordered", False)))
    return _sorted_categorical(codes, levels)


def _sorted_categorical(codes, levels):
    """A Categorical of strings from 0-based ``codes`` (-1 missing) into ``levels`` (distinct, in
    order of first appearance), its categories sorted by code point as Python sorts strings."""
    levels = np.asarray(levels, dtype=object)
    order = np.argsort(levels.astype(str), kind="stable")
    if len(order) and np.any(order[1:] < order[:-1]):
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1).astype(np.int32)
        levels = levels[order]
    return pd.Categorical.from_codes(codes, categories=pd.Index(levels, dtype=object))


def frame_to_spec(frame):
    """An R frame spec from a pandas DataFrame (see module docstring)."""
    return {
        "names": [str(column) for column in frame.columns],
        "nrow": len(frame),
        "columns": [_column_to_spec(frame[column]) for column in frame.columns],
    }


def _int_bytes(values, missing):
    values = np.asarray(values, dtype=np.int64)
    return bytearray(np.where(missing, NA_INTEGER, values).astype("<i4").tobytes())


def _float_bytes(values):
    return bytearray(np.asarray(values, dtype="<f8").tobytes())


def _column_to_spec(series):
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        return {"kind": "factor", "data": _int_bytes(codes + 1, codes < 0),
                "levels": [_label(v) for v in dtype.categories], "ordered": bool(dtype.ordered)}
    if pd.api.types.is_datetime64_any_dtype(dtype):  # naive: a Date; with a time zone: a POSIXct
        zoned = getattr(dtype, "tz", None) is not None
        times = series.dt.tz_convert("UTC").dt.tz_localize(None) if zoned else series
        seconds = (times - pd.Timestamp(0)).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
        if zoned:
            return {"kind": "datetime", "data": _float_bytes(seconds)}
        return {"kind": "date", "data": _float_bytes(seconds / SECONDS_PER_DAY)}
    if pd.api.types.is_bool_dtype(dtype):
        missing = series.isna().to_numpy()
        values = series.to_numpy(dtype=object, na_value=False).astype(bool).astype(np.int64)
        return {"kind": "logical", "data": _int_bytes(values, missing)}
    if pd.api.types.is_integer_dtype(dtype):
        missing = series.isna().to_numpy()
        values = series.to_numpy(dtype=np.float64, na_value=0)
        if np.any(np.abs(values) > 2**31 - 1):
            return {"kind": "double", "data": _float_bytes(np.where(missing, np.nan, values))}
        return {"kind": "integer", "data": _int_bytes(values.astype(np.int64), missing)}
    if pd.api.types.is_float_dtype(dtype):
        return {"kind": "double", "data": _float_bytes(series.to_numpy(dtype=float, na_value=np.nan))}
    codes, uniques = pd.factorize(series.astype(object).where(series.notna(), None), use_na_sentinel=True)
    return {"kind": "character", "data": _int_bytes(codes + 1, codes < 0), "levels": [str(u) for u in uniques]}


def _label(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
